"""Where to build: location-allocation over candidate sites, solved exactly with HiGHS.

Three models answer "where should the new schools go?":

- **p-median** — open ``p`` sites to minimise the residents' (or pupils') total distance to
  their nearest open school;
- **MCLP** (maximal covering) — open ``p`` sites to maximise the demand within the service
  radius of an open school;
- **capacitated** — open at most ``p`` sites, each new school holding its standard size and
  each existing school its spare places, to serve as much demand as fits within the service
  radius (first) at the least total distance (second). Demand that does not fit is
  reported as unassigned, never forced.

Existing schools take part as sites fixed open. The models are built as sparse matrices with
numpy/scipy.sparse and passed to HiGHS (``highspy``) directly — no modelling layer. The
p-median uses the radius formulation of García, Labbé & Marín (2011) on each demand's
nearest candidates only, and widens a demand's list until no demand is left beyond it; the
answer is then exactly the optimum of the full problem (see :meth:`SitingProblem.p_median`).
Every result carries the solver status, the best bound and the relative optimality gap;
with ``method="greedy"`` (or when an instance is too large for the exact model) a greedy
heuristic answers, and its result says so.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal

import highspy
import numpy as np
import numpy.typing as npt
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from xuewei.errors import InfeasibleError, InputError, Problem

__all__ = ["SitingProblem", "SitingResult"]

Model = Literal["p_median", "mclp", "capacitated"]
Method = Literal["auto", "exact", "greedy"]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Above this many demand–site pairs, ``method="auto"`` uses the greedy heuristic.
MAX_EXACT_PAIRS = 30_000_000
#: Up to this many pairs the p-median heuristic improves its answer by swaps (dense).
MAX_SWAP_PAIRS = 12_000_000
#: Above this many list entries (at sites not ruled out), ``method="auto"`` does not hand a
#: p-median that the bound and the search left open to HiGHS (it does not help in time).
MAX_HIGHS_ENTRIES = 400_000
#: The Lagrangian bound uses longer candidate lists up to this many (demand, site) entries.
MAX_LAGRANGIAN_ENTRIES = 8_000_000
#: Subgradient iterations per Lagrangian pass, and most passes (each warm-started, with the
#: upper bound improved in between).
LAGRANGIAN_ITERS = 300
LAGRANGIAN_ROUNDS = 8
#: Shakes in a row without a better answer before the search gives up.
SHAKE_PATIENCE = 400


@dataclass(frozen=True)
class SitingResult:
    """The answer of one location-allocation model.

    Attributes
    ----------
    model
        ``p_median``, ``mclp`` or ``capacitated``.
    method
        ``highs`` (exact MIP) or ``greedy`` (a heuristic: no optimality guarantee).
    status
        ``optimal`` (within ``mip_rel_gap``), ``time_limit`` (stopped by the time limit,
        or by the p-median search's limits, with a feasible answer; ``bound`` and ``gap``
        are still proven) or ``heuristic``.
    objective
        p-median: weighted distance (weight × metres) of all demand to its nearest open
        site; MCLP: demand weight covered; capacitated: weighted distance of the assigned
        demand.
    bound
        The solver's best bound on the objective (NaN for the heuristic).
    gap
        Relative optimality gap ``|objective − bound| / |objective|`` (NaN for the
        heuristic).
    seconds
        Wall time of building and solving.
    sites
        One row per candidate: ``site_id``, ``fixed``, ``open``, ``assigned`` (demand
        weight served there), ``capacity`` (NaN when uncapacitated).
    assignment
        One row per (demand, site) flow: ``demand_id``, ``site_id``, ``weight``,
        ``distance_m``. Demand not served (beyond the radius, or no room) has a row with
        ``site_id`` missing; per demand the weights add up to its weight exactly.
    unassigned
        Demand weight left unserved (MCLP: not covered; capacitated: did not fit).
    note
        Plain words on how the answer was found.
    """

    model: str
    method: str
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    sites: pd.DataFrame
    assignment: pd.DataFrame
    unassigned: float
    note: str = ""

    @property
    def open_sites(self) -> list[object]:
        """Ids of the sites opened by the model, fixed sites excluded, in input order."""
        s = self.sites
        return s.loc[s["open"] & ~s["fixed"], "site_id"].tolist()


@dataclass(frozen=True)
class _Solved:
    x: FloatArray
    objective: float
    bound: float
    gap: float
    status: str


@dataclass
class _Geometry:
    """Distances between demand and sites: a dense matrix or two sets of points."""

    dense: FloatArray | None = None
    demand_xy: FloatArray | None = None
    site_xy: FloatArray | None = None
    _tree: cKDTree | None = field(default=None, repr=False)

    @property
    def tree(self) -> cKDTree:
        if self._tree is None:
            self._tree = cKDTree(self.site_xy)
        return self._tree

    def nearest(self, rows: IntArray, k: int) -> tuple[FloatArray, IntArray]:
        """Return the ``k`` nearest sites of each row (ascending; ties by site order)."""
        if self.dense is not None:
            block = self.dense[rows]
            m = block.shape[1]
            if k < m:
                part = np.argpartition(block, k - 1, axis=1)[:, :k]
            else:
                part = np.broadcast_to(np.arange(m), (len(rows), m)).copy()
            d = np.take_along_axis(block, part, axis=1)
            order = np.lexsort((part, d), axis=1)
            idx = np.take_along_axis(part, order, axis=1)
            return np.take_along_axis(d, order, axis=1), idx.astype(np.int64)
        assert self.demand_xy is not None
        d, idx = self.tree.query(self.demand_xy[rows], k=k)
        d = np.asarray(d, dtype=np.float64).reshape(len(rows), k)
        idx = np.asarray(idx, dtype=np.int64).reshape(len(rows), k)
        order = np.lexsort((idx, d), axis=1)
        return np.take_along_axis(d, order, axis=1), np.take_along_axis(idx, order, axis=1)

    def block(self, rows: IntArray, cols: IntArray) -> FloatArray:
        """Dense distances between some demand rows and some sites."""
        if self.dense is not None:
            return self.dense[np.ix_(rows, cols)]
        assert self.demand_xy is not None and self.site_xy is not None
        a = self.demand_xy[rows]
        b = self.site_xy[cols]
        return np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])

    def within(self, radius: float) -> sp.csr_array:
        """Sparse (demand × site) distances of the pairs within ``radius`` (zeros kept)."""
        if self.dense is not None:
            i, j = np.nonzero(self.dense <= radius)
            d = self.dense[i, j]
        else:
            assert self.demand_xy is not None and self.site_xy is not None
            dtree = cKDTree(self.demand_xy)
            coo = dtree.sparse_distance_matrix(self.tree, radius, output_type="ndarray")
            i, j, d = coo["i"].astype(np.int64), coo["j"].astype(np.int64), coo["v"]
        n, m = self.shape
        # store d + 1 so that zero distances survive as explicit entries; undo on read
        out = sp.csr_array((d + 1.0, (i, j)), shape=(n, m))
        out.sum_duplicates()
        out.sort_indices()
        return out

    def nearest_open(self, open_idx: IntArray) -> tuple[FloatArray, IntArray]:
        """Distance to, and index of, every demand's nearest open site."""
        if self.dense is not None:
            sub = self.dense[:, open_idx]
            k = np.argmin(sub, axis=1)
            return sub[np.arange(sub.shape[0]), k], open_idx[k]
        assert self.demand_xy is not None and self.site_xy is not None
        d, k = cKDTree(self.site_xy[open_idx]).query(self.demand_xy, k=1)
        return np.asarray(d, dtype=np.float64), open_idx[np.asarray(k, dtype=np.int64)]

    @property
    def shape(self) -> tuple[int, int]:
        if self.dense is not None:
            return int(self.dense.shape[0]), int(self.dense.shape[1])
        assert self.demand_xy is not None and self.site_xy is not None
        return len(self.demand_xy), len(self.site_xy)


class SitingProblem:
    """A location-allocation problem: demand points, candidate sites, and their distances.

    Build it once (:meth:`from_points` or :meth:`from_cost_matrix`), then solve one or more
    models on it: :meth:`p_median`, :meth:`mclp`, :meth:`capacitated`. Each returns a
    :class:`SitingResult`. The problem itself is never modified by a solve.

    Examples
    --------
    Two villages of 100 and 50 pupils at 0 m and 1,000 m on a line; three candidate sites
    at 0, 600 and 1,000 m. One school goes to the bigger village:

    >>> demand = pd.DataFrame({"demand_id": ["a", "b"], "x": [0.0, 1000.0], "y": 0.0,
    ...                        "pupils": [100, 50]})
    >>> sites = pd.DataFrame({"site_id": ["s0", "s1", "s2"], "x": [0.0, 600.0, 1000.0],
    ...                       "y": 0.0})
    >>> problem = SitingProblem.from_points(demand, sites, weight_col="pupils")
    >>> r = problem.p_median(1)
    >>> r.open_sites, r.objective, r.status
    (['s0'], 50000.0, 'optimal')
    >>> problem.mclp(1, radius_m=500).objective
    100.0
    """

    def __init__(
        self,
        geometry: _Geometry,
        weights: FloatArray,
        *,
        demand_ids: pd.Index,
        site_ids: pd.Index,
        fixed: npt.NDArray[np.bool_],
        capacity: FloatArray,
    ) -> None:
        self._geo = geometry
        self.weights = weights
        self.demand_ids = demand_ids
        self.site_ids = site_ids
        self.fixed = fixed
        self.capacity = capacity

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_points(
        cls,
        demand: pd.DataFrame,
        sites: pd.DataFrame,
        *,
        weight_col: str = "residents",
        demand_id_col: str = "demand_id",
        site_id_col: str = "site_id",
        fixed_col: str = "fixed",
        capacity_col: str = "capacity",
    ) -> SitingProblem:
        """Build from demand points and candidate sites in one projected metric CRS.

        Parameters
        ----------
        demand
            A GeoDataFrame of points, or a DataFrame with ``x`` and ``y`` in metres; with
            ``demand_id_col`` (default the index when missing) and ``weight_col`` (residents
            or pupils, ≥ 0).
        sites
            Candidate sites the same way, with ``site_id_col``. Optional ``fixed_col``
            (true: an existing school, always open) and ``capacity_col`` (places: the
            standard size of a new school, the spare places of an existing one).
        weight_col, demand_id_col, site_id_col, fixed_col, capacity_col
            Column names.

        Returns
        -------
        SitingProblem
            Distances are straight-line metres between the points.
        """
        problems: list[Problem] = []
        dxy = _xy(demand, "demand", problems)
        sxy = _xy(sites, "sites", problems)
        if weight_col not in demand:
            problems.append(
                Problem("demand", f"no column `{weight_col}`; give the weight per point")
            )
        if site_id_col not in sites:
            problems.append(Problem("sites", f"no column `{site_id_col}`"))
        if problems:
            raise InputError(problems)
        assert dxy is not None and sxy is not None
        weights = _weights(demand[weight_col], "demand", weight_col)
        fixed, capacity = _site_columns(sites, fixed_col, capacity_col)
        demand_ids = pd.Index(
            demand[demand_id_col].to_numpy() if demand_id_col in demand else demand.index
        )
        return cls(
            _Geometry(demand_xy=dxy, site_xy=sxy),
            weights,
            demand_ids=demand_ids,
            site_ids=pd.Index(sites[site_id_col].to_numpy()),
            fixed=fixed,
            capacity=capacity,
        )

    @classmethod
    def from_cost_matrix(
        cls,
        cost: npt.ArrayLike,
        weights: npt.ArrayLike,
        *,
        fixed: npt.ArrayLike | None = None,
        capacity: npt.ArrayLike | None = None,
        demand_ids: npt.ArrayLike | None = None,
        site_ids: npt.ArrayLike | None = None,
    ) -> SitingProblem:
        """Build from a dense (demand × site) distance matrix, e.g. road-network metres.

        Parameters
        ----------
        cost
            Distances ≥ 0; ``inf`` marks a pair that may not be assigned.
        weights
            Demand per row, ≥ 0.
        fixed, capacity
            Per site: always open (existing schools); places.
        demand_ids, site_ids
            Labels of the rows and columns; default 0, 1, ...

        Returns
        -------
        SitingProblem

        Examples
        --------
        >>> p = SitingProblem.from_cost_matrix([[0, 3], [4, 0], [2, 2]], [1, 1, 1])
        >>> p.p_median(1).objective
        5.0
        """
        c = np.asarray(cost, dtype=np.float64)
        if c.ndim != 2:
            raise InputError(f"cost: expected a 2-d matrix, got shape {c.shape}")
        if np.isnan(c).any() or (c < 0).any():
            raise InputError("cost: distances must be ≥ 0 (inf for forbidden pairs), no NaN")
        n, m = c.shape
        w = _weights(pd.Series(np.asarray(weights, dtype=np.float64)), "weights", "weights")
        if len(w) != n:
            raise InputError(f"weights: got {len(w)} values for {n} demand rows")
        fx = np.zeros(m, bool) if fixed is None else np.asarray(fixed, dtype=bool)
        cap = np.full(m, np.nan) if capacity is None else np.asarray(capacity, np.float64)
        return cls(
            _Geometry(dense=c),
            w,
            demand_ids=pd.Index(np.arange(n) if demand_ids is None else np.asarray(demand_ids)),
            site_ids=pd.Index(np.arange(m) if site_ids is None else np.asarray(site_ids)),
            fixed=fx,
            capacity=cap,
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(number of demand points, number of candidate sites)."""
        return self._geo.shape

    # ------------------------------------------------------------------ p-median

    def p_median(
        self,
        p: int,
        *,
        k_nearest: int = 32,
        time_limit_s: float = 60.0,
        mip_rel_gap: float = 1e-6,
        method: Method = "auto",
        bound_first: bool = True,
    ) -> SitingResult:
        """Open ``p`` sites (besides the fixed ones) minimising total weighted distance.

        Exact method: the radius formulation of García, Labbé & Marín (2011) — for demand
        ``i`` with distinct candidate distances ``D⁰ < D¹ < …``, a continuous ``zᵏ`` is 1
        when no open site is nearer than ``Dᵏ``; cost ``Σ wᵢ (D⁰ + Σₖ (Dᵏ − Dᵏ⁻¹) zᵏ)``,
        written as a chain ``zᵏ ≥ zᵏ⁻¹ − Σ_{d=Dᵏ⁻¹} y`` so each (demand, site) pair appears
        once. Each demand starts with its ``k_nearest`` sites; "none of them open" costs the
        distance to the next site, a lower bound. After a solve, every demand whose nearest
        open site lies beyond its list gets the list widened to that site and the model is
        solved again (from the previous answer). When no demand is left beyond its list,
        the truncated objective equals the full one, so the answer is optimal for the full
        problem (up to ``mip_rel_gap``). Before HiGHS, a heuristic answer and a Lagrangian
        bound (the assignment rows relaxed; its value is the LP bound of this model) are
        alternated: greedy, moves within clusters and best-improvement swaps over the whole
        swap neighbourhood (a dense block, or fast interchange on the lists for large
        instances, :class:`_Interchange`) give an upper bound; subgradient steps towards it
        give the bound, reduced costs that rule sites out, and the Lagrangian's own answer,
        which local search among the surviving sites improves; the next pass starts from
        the best multipliers. If they stall apart, a variable neighbourhood search shakes
        the answer (for up to ``time_limit_s``; see :meth:`_shake_search`). When bound and
        answer meet (within ``mip_rel_gap``) the answer is returned as optimal; otherwise
        the fixed sites and the best answer (HiGHS's first incumbent) go to HiGHS, so a
        time limit still returns a good answer with the gap to the best bound — except
        with ``method="auto"`` when the lists at sites not ruled out hold more than
        ``MAX_HIGHS_ENTRIES`` entries: HiGHS does not move either side of such a model in
        minutes, so the answer is returned at once (status ``time_limit``, the proven gap).

        Parameters
        ----------
        p
            Number of new sites to open (fixed sites are open in addition).
        k_nearest
            Initial candidate list length per demand.
        time_limit_s
            Time limit of each HiGHS solve (and of the neighbourhood search before them).
        mip_rel_gap
            Relative optimality gap at which HiGHS stops.
        method
            ``exact`` (HiGHS), ``greedy`` (heuristic), or ``auto`` (exact unless the
            candidate lists, demand × ``k_nearest``, exceed ``MAX_EXACT_PAIRS`` entries, or
            HiGHS finds no answer in time). The exact path never holds all demand × site
            distances of a point problem: lists come from a k-d tree.
        bound_first
            Try the heuristic and the Lagrangian bound before HiGHS (and fix sites by
            reduced cost); ``False`` goes straight to HiGHS.

        Returns
        -------
        SitingResult

        Raises
        ------
        InfeasibleError
            When ``p`` exceeds the free candidates, or nothing would be open.
        """
        t0 = time.perf_counter()
        free = self._check_p(p, exact_p=True)
        n, m = self.shape
        if method == "greedy" or (method == "auto" and n * min(m, k_nearest) > MAX_EXACT_PAIRS):
            open_ = self._greedy_p_median(p, free)
            return self._p_median_result(
                open_,
                None,
                t0,
                "greedy heuristic (not exact): add the site that cuts the "
                "total distance most, p times",
            )
        k = max(1, min(k_nearest, m))
        lists = _Lists.build(self._geo, np.arange(n), k)
        # An upper bound (greedy, then relocation within clusters) and a Lagrangian lower
        # bound; sites whose reduced cost proves them out of (or in) every better answer
        # are fixed before HiGHS sees the model.
        best = self._relocate(self._greedy_p_median(p, free), free)
        if not bound_first:
            return self._p_median_exact(
                lists, p, free, best, None, None, -np.inf, t0, time_limit_s, mip_rel_gap, method
            )
        # longer lists make a stronger bound: about 4 × the sites per open school
        k_lag = min(m, max(k, math.ceil(4 * m / max(p + int(self.fixed.sum()), 1))))
        lag_lists = (
            lists
            if k_lag == k or n * k_lag > MAX_LAGRANGIAN_ENTRIES
            else _Lists.build(self._geo, np.arange(n), k_lag)
        )
        if n * m <= MAX_SWAP_PAIRS:
            best = self._swap(best, free)
        else:
            best = self._swap_lists(best, free, lag_lists)
        ub = self._objective(best)
        # Alternate bound and answer: the Lagrangian's own answer, improved by local search
        # among the sites its reduced costs leave alive, is usually the optimum (a single
        # greedy + swap run can stall 2 % above it); a better upper bound in turn sharpens
        # the subgradient steps and the fixing. Stop when they meet or the answer stalls.
        lam: FloatArray | None = None
        lb = -np.inf
        forced_out = np.zeros(m, bool)
        forced_in = np.zeros(m, bool)
        for _ in range(LAGRANGIAN_ROUNDS):
            lb_k, forced_out, forced_in, y_lag, lam, _ = self._lagrangian(
                lag_lists, p, free, ub, iters=LAGRANGIAN_ITERS, lam0=lam, tol=mip_rel_gap
            )
            gap_before = ub - lb
            lb = max(lb, lb_k)
            if ub - lb <= mip_rel_gap * max(abs(ub), 1e-12):
                break
            alive = free & ~forced_out
            improved = False
            for y0 in (y_lag, best):
                cand = self._local_search(y0, free, alive, lag_lists)
                value = self._objective(cand)
                if value < ub - 1e-9 * max(abs(ub), 1.0):
                    best, ub, improved = cand, value, True
            if not improved and ub - lb > 0.9 * gap_before:
                break  # neither side moves: shake the answer, then leave the rest to HiGHS
        if ub - lb > mip_rel_gap * max(abs(ub), 1e-12):
            best, ub, lb, forced_out, forced_in = self._shake_search(
                best,
                ub,
                lb,
                lam,
                lag_lists,
                p,
                free,
                forced_out,
                forced_in,
                mip_rel_gap,
                deadline=time.perf_counter() + time_limit_s,
            )
        if ub - lb <= mip_rel_gap * max(abs(ub), 1e-12):
            solved0 = _Solved(
                best.astype(np.float64), ub, lb, (ub - lb) / max(ub, 1e-12), "optimal"
            )
            return self._p_median_result(
                best, solved0, t0, "exact (Lagrangian bound meets the heuristic answer)"
            )
        # HiGHS on the radius model moves neither side when the model is large (at
        # 20,000 × 2,000: 640,000 rows, two 120 s solves without a better answer or bound;
        # benchmarks/siting.md): then the answer is returned with its proven gap.
        alive_entries = int(np.count_nonzero(~forced_out[lists.site]))
        if method == "auto" and alive_entries > MAX_HIGHS_ENTRIES:
            gap = (ub - lb) / max(abs(ub), 1e-12)
            solved1 = _Solved(best.astype(np.float64), ub, lb, gap, "time_limit")
            return self._p_median_result(
                best,
                solved1,
                t0,
                "search limit reached: swap/shake search answer, Lagrangian bound; HiGHS not "
                f"tried ({alive_entries:,} list entries at sites not ruled out, above "
                f"{MAX_HIGHS_ENTRIES:,}); method='exact' tries it",
            )
        return self._p_median_exact(
            lists,
            p,
            free,
            best,
            forced_out,
            forced_in,
            lb,
            t0,
            time_limit_s,
            mip_rel_gap,
            method,
        )

    def _p_median_exact(
        self,
        lists: _Lists,
        p: int,
        free: npt.NDArray[np.bool_],
        best: npt.NDArray[np.bool_],
        forced_out: npt.NDArray[np.bool_] | None,
        forced_in: npt.NDArray[np.bool_] | None,
        lb: float,
        t0: float,
        time_limit_s: float,
        mip_rel_gap: float,
        method: Method,
    ) -> SitingResult:
        """Solve the radius formulation with HiGHS, widening lists until none is cut."""
        _, m = self.shape
        ub = self._objective(best)
        start: npt.NDArray[np.bool_] | None = best
        rounds = 0
        while True:
            rounds += 1
            solved = self._solve_radius(
                lists, p, free, start, time_limit_s, mip_rel_gap, forced_out, forced_in
            )
            if solved is not None and solved.status != "optimal":
                # keep the better of HiGHS's incumbent and the heuristic; the bound holds
                if self._objective(solved.x[:m] > 0.5) > ub:
                    x = np.zeros_like(solved.x)
                    x[:m] = best
                    solved = _Solved(x, ub, max(solved.bound, lb), solved.gap, solved.status)
                else:
                    solved = _Solved(
                        solved.x,
                        solved.objective,
                        max(solved.bound, lb),
                        solved.gap,
                        solved.status,
                    )
            if solved is None:
                if method == "exact":
                    raise InfeasibleError(
                        f"p-median: HiGHS found no feasible answer within {time_limit_s} s; "
                        "raise time_limit_s or use method='greedy'"
                    )
                open_ = self._greedy_p_median(p, free)
                return self._p_median_result(
                    open_,
                    None,
                    t0,
                    "greedy heuristic (not exact): HiGHS found no answer in the time limit",
                )
            open_ = solved.x[:m] > 0.5
            d_open, _ = self._geo.nearest_open(np.flatnonzero(open_))
            beyond = (d_open > lists.reach + 1e-9) & ~lists.complete
            if not beyond.any():
                note = (
                    f"exact (HiGHS, radius formulation, {rounds} round(s); candidate lists "
                    f"{int(lists.sizes.min())}–{int(lists.sizes.max())} sites per demand)"
                )
                return self._p_median_result(open_, solved, t0, note)
            rows = np.flatnonzero(beyond)
            lists = lists.widen(self._geo, rows, d_open[rows])
            start = open_

    def _check_p(self, p: int, *, exact_p: bool) -> npt.NDArray[np.bool_]:
        free = ~self.fixed
        if p < 0:
            raise InfeasibleError(f"p = {p}: the number of sites to open must be ≥ 0")
        if exact_p and p > int(free.sum()):
            raise InfeasibleError(
                f"p = {p} new sites asked for, but only {int(free.sum())} candidate sites are "
                "not already open; lower p or add candidate sites"
            )
        if p == 0 and not self.fixed.any():
            raise InfeasibleError("p = 0 and no fixed (existing) site: nothing would be open")
        return free

    def _objective(self, open_: npt.NDArray[np.bool_]) -> float:
        d, _ = self._geo.nearest_open(np.flatnonzero(open_))
        return float(np.sum(self.weights * d))

    def _local_search(
        self,
        open_: npt.NDArray[np.bool_],
        free: npt.NDArray[np.bool_],
        alive: npt.NDArray[np.bool_],
        lists: _Lists,
    ) -> npt.NDArray[np.bool_]:
        """Relocation within clusters, then best-improvement swaps bringing in ``alive`` sites."""
        n = self.shape[0]
        cand = self._relocate(open_, alive)
        if n * int((alive | cand).sum()) <= MAX_SWAP_PAIRS:
            return self._swap(cand, free, allowed=alive)
        # too many sites for the dense block: swaps evaluated on the lists
        return self._swap_lists(cand, free, lists, allowed=alive)

    def _shake_search(
        self,
        best: npt.NDArray[np.bool_],
        ub: float,
        lb: float,
        lam: FloatArray | None,
        lists: _Lists,
        p: int,
        free: npt.NDArray[np.bool_],
        forced_out: npt.NDArray[np.bool_],
        forced_in: npt.NDArray[np.bool_],
        tol: float,
        deadline: float,
    ) -> tuple[npt.NDArray[np.bool_], float, float, npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        """Variable neighbourhood search on the answer; the bound re-tightened after gains.

        Swap local search stops in a local optimum (at 20,000 × 2,000 about 1 % above the
        bound). Shaking it — close ``s`` open sites at random (s = 1, 2, 3, back to 1 after a
        gain) and open for each a site from the candidate list of one of its demand points —
        then descending again through the whole swap neighbourhood escapes it. Shakes and
        descents are swaps of one :class:`_Interchange`, so a shake costs milliseconds, and
        a shake that does not pay is undone from a snapshot. Each clearly better answer
        sharpens the subgradient's target and the reduced-cost fixing, so a warm-started
        Lagrangian pass follows (a site fixed against an earlier, higher upper bound stays
        fixed: every answer better than the current one is better than the earlier one
        too). Stops when bound and answer meet, after ``SHAKE_PATIENCE`` shakes in a row
        without gain, or at ``deadline``. Seeded, so the same inputs give the same answer.
        """
        rng = np.random.default_rng(0)
        forced_out, forced_in = forced_out.copy(), forced_in.copy()
        if int(best.sum()) < 2:
            return best, ub, lb, forced_out, forced_in
        movable = free & ~forced_in
        state = _Interchange(self._geo, self.weights, lists, best, movable, free & ~forced_out)
        state.descend()
        if state.value < ub - 1e-9 * max(abs(ub), 1.0):
            best, ub = state.open_.copy(), self._objective(state.open_)
        fails, s, ub_pass = 0, 1, ub
        while fails < SHAKE_PATIENCE and time.perf_counter() < deadline:
            snap = state.snapshot()
            if not self._shake_state(state, lists, s, rng):
                break
            state.descend()
            if not state.value < ub - 1e-9 * max(abs(ub), 1.0):
                state.restore(snap)
                fails, s = fails + 1, s % 3 + 1
                continue
            value = self._objective(state.open_)  # the running sums are checked, not trusted
            if not value < ub - 1e-9 * max(abs(ub), 1.0):
                state.restore(snap)
                fails, s = fails + 1, s % 3 + 1
                continue
            best, ub, fails, s = state.open_.copy(), value, 0, 1
            # a pass costs as much as hundreds of shakes and lifts the bound little: run
            # one only when the answer has closed a quarter of the gap since the last one
            if ub_pass - ub >= 0.25 * (ub_pass - lb):
                lb, lam = self._fix_pass(lists, p, free, ub, lb, lam, tol, forced_out, forced_in)
                state.allowed = free & ~forced_out
                ub_pass = ub
                if ub - lb <= tol * max(abs(ub), 1e-12):
                    break
        if ub < ub_pass:
            lb, lam = self._fix_pass(lists, p, free, ub, lb, lam, tol, forced_out, forced_in)
        return best, ub, lb, forced_out, forced_in

    def _shake_state(
        self, state: _Interchange, lists: _Lists, s: int, rng: np.random.Generator
    ) -> bool:
        """Exchange ``s`` random movable open sites for closed allowed ones, in place.

        Each closed site is replaced by one from the candidate list of one of its demand
        points (any closed allowed site when that list has none); ``False`` when nothing
        can be exchanged.
        """
        for _ in range(s):
            movable = np.flatnonzero(state.open_ & state.movable)
            closed = state.allowed & ~state.open_
            if len(movable) == 0 or not closed.any():
                return False
            r = int(rng.choice(movable))
            members = np.flatnonzero(state.c1 == r)
            options = np.zeros(0, dtype=np.int64)
            if len(members):
                i = int(rng.choice(members))
                options = lists.site[lists.ptr[i] : lists.ptr[i + 1]]
                options = options[closed[options]]
            if len(options) == 0:
                options = np.flatnonzero(closed)
            state.apply(r, int(rng.choice(options)))
        return True

    def _fix_pass(
        self,
        lists: _Lists,
        p: int,
        free: npt.NDArray[np.bool_],
        ub: float,
        lb: float,
        lam: FloatArray | None,
        tol: float,
        forced_out: npt.NDArray[np.bool_],
        forced_in: npt.NDArray[np.bool_],
    ) -> tuple[float, FloatArray]:
        """One warm-started Lagrangian pass against ``ub``; adds its fixings in place."""
        lb_k, out_k, in_k, _, lam_k, _ = self._lagrangian(
            lists, p, free, ub, iters=LAGRANGIAN_ITERS, lam0=lam, tol=tol
        )
        forced_out |= out_k
        forced_in |= in_k
        return max(lb, lb_k), lam_k

    def _swap(
        self,
        open_: npt.NDArray[np.bool_],
        free: npt.NDArray[np.bool_],
        max_swaps: int = 2000,
        allowed: npt.NDArray[np.bool_] | None = None,
    ) -> npt.NDArray[np.bool_]:
        """Improve an answer by best-improvement swaps (fast interchange, dense distances).

        Only sites in ``allowed`` (default: every free site) may be swapped in; the dense
        block is built over the open and allowed sites only.
        """
        n = self.shape[0]
        allowed = free if allowed is None else allowed & free
        cols = np.flatnonzero(open_ | allowed)
        dist = self._geo.block(np.arange(n), cols)
        w = self.weights
        open_l = open_[cols].copy()
        free_l = free[cols]
        allowed_l = allowed[cols]
        rows = np.arange(n)
        for _ in range(max_swaps):
            open_idx = np.flatnonzero(open_l)
            if len(open_idx) < 2:
                break
            sub = dist[:, open_idx]
            two = np.argpartition(sub, 1, axis=1)[:, :2]
            d_two = np.take_along_axis(sub, two, axis=1)
            first = np.argmin(d_two, axis=1)
            c1 = two[rows, first]
            d1 = d_two[rows, first]
            d2 = d_two[rows, 1 - first]
            gain = w @ np.maximum(d1[:, None] - dist, 0.0)
            term = w[:, None] * (np.minimum(dist, d2[:, None]) - np.minimum(dist, d1[:, None]))
            # loss of closing each open site: Σ over its demand of term (a sparse product
            # is much faster than np.add.at here)
            owner = sp.csr_array((np.ones(n), (c1, rows)), shape=(len(open_idx), n))
            extra = np.asarray(owner @ term)
            profit = gain[None, :] - extra
            profit[:, ~allowed_l | open_l] = -np.inf
            profit[~free_l[open_idx], :] = -np.inf
            r, j = np.unravel_index(int(np.argmax(profit)), profit.shape)
            if not profit[r, j] > 1e-9 * max(float(w @ d1), 1.0):
                break
            open_l[open_idx[r]] = False
            open_l[j] = True
        out = open_.copy()
        out[cols] = open_l
        return out

    def _swap_lists(
        self,
        open_: npt.NDArray[np.bool_],
        free: npt.NDArray[np.bool_],
        lists: _Lists,
        allowed: npt.NDArray[np.bool_] | None = None,
    ) -> npt.NDArray[np.bool_]:
        """Best-improvement swaps over the whole swap neighbourhood, from the lists.

        For large instances, where the dense block of :meth:`_swap` does not fit: the
        neighbourhood is kept by an :class:`_Interchange` (exact where a list reaches the
        demand's second-nearest open site; elsewhere its profits are underestimates, so a
        swap it makes always truly improves).
        """
        allowed = free if allowed is None else allowed & free
        if int(open_.sum()) < 2:
            return open_.copy()
        state = _Interchange(self._geo, self.weights, lists, open_, free, allowed)
        state.descend()
        return state.open_.copy()

    def _relocate(
        self, open_: npt.NDArray[np.bool_], free: npt.NDArray[np.bool_], rounds: int = 20
    ) -> npt.NDArray[np.bool_]:
        """Improve an answer: move each new site to the best free site for its cluster."""
        open_ = open_.copy()
        w = self.weights
        xy = self._geo.site_xy
        for _ in range(rounds):
            moved = False
            _, j_of = self._geo.nearest_open(np.flatnonzero(open_))
            cell = None
            if xy is not None:
                # With coordinates, a cluster's best site lies in (or near) its own cell:
                # try the candidates nearest to j among the open sites, not all of them
                # (all of them cost n × m distance evaluations per round).
                open_idx = np.flatnonzero(open_)
                _, near = cKDTree(xy[open_idx]).query(xy, k=min(2, len(open_idx)))
                near = np.asarray(near).reshape(len(xy), -1)
                cell = open_idx[near]
            for j in np.flatnonzero(open_ & free):
                members = np.flatnonzero(j_of == j)
                if len(members) == 0:
                    continue
                mine = np.ones(len(free), bool) if cell is None else (cell == j).any(axis=1)
                options = np.flatnonzero(free & mine & (~open_ | (np.arange(len(free)) == j)))
                if not (options == j).any():
                    options = np.r_[options, j]
                cost = self._geo.block(members, options).T @ w[members]
                k = options[int(np.argmin(cost))]
                if k != j and cost[options == k][0] < cost[options == j][0] - 1e-9:
                    open_[j], open_[k] = False, True
                    j_of[members] = k
                    moved = True
            if not moved:
                break
        return open_

    def _lagrangian(
        self,
        lists: _Lists,
        p: int,
        free: npt.NDArray[np.bool_],
        ub: float,
        iters: int = 300,
        lam0: FloatArray | None = None,
        tol: float = 1e-9,
    ) -> tuple[
        float,
        npt.NDArray[np.bool_],
        npt.NDArray[np.bool_],
        npt.NDArray[np.bool_],
        FloatArray,
        FloatArray,
    ]:
        """Lagrangian bound (assignment rows relaxed), reduced-cost fixing, its answer.

        Unlisted pairs are charged the distance to the first site beyond the list, a lower
        bound, so the bound holds for the full problem. Subgradient steps (Polyak, towards
        ``ub``) from ``lam0`` (default: each demand's second-nearest distance); returns the
        bound, the sites fixed out and in, the answer at the best bound, its multipliers and
        the sites' Lagrangian costs ρ (low ρ: a promising site).
        """
        n, m = self.shape
        w = self.weights
        sizes = lists.sizes
        row_of = np.repeat(np.arange(n), sizes)
        wd = w[row_of] * lists.dist
        # beyond a complete list nothing can be paid (inf); 0 × inf would be NaN
        wb = np.where(lists.complete, np.inf, w * np.where(lists.complete, 0.0, lists.next_dist))
        lam = (
            w * lists.dist[lists.ptr[:-1] + np.minimum(1, sizes - 1)]
            if lam0 is None
            else lam0.copy()
        )
        best_lam = lam
        free_idx = np.flatnonzero(free)
        n_fixed = int(self.fixed.sum())
        best_lb, best_rho, best_y = -np.inf, np.zeros(m), self.fixed.copy()
        # a warm start is already near the optimum: begin with shorter steps
        theta, stall = (2.0 if lam0 is None else 0.25), 0
        # Only entries with wᵢdᵢⱼ < λᵢ count (the rest contribute exactly 0), and lists are
        # sorted, so each demand's active entries are a prefix of its list. Work on the
        # prefixes up to a cap above λ, rebuilt when some λ outgrows its cap: exact, and
        # 3-5× less work per iteration than the whole lists.
        cap = np.full(n, -np.inf)
        a_row, a_site, a_wd = row_of, lists.site, wd
        for _ in range(iters):
            if (lam >= cap).any():
                cap = lam + 0.25 * np.abs(lam) + 1e-9
                act = wd < cap[row_of]
                a_row, a_site, a_wd = row_of[act], lists.site[act], wd[act]
            base = np.minimum(0.0, wb - lam)
            contrib = np.minimum(0.0, a_wd - lam[a_row]) - base[a_row]
            rho = np.bincount(a_site, weights=contrib, minlength=m) + base.sum()
            y = self.fixed.copy()
            y[free_idx[np.argsort(rho[free_idx], kind="stable")[:p]]] = True
            value = float(lam.sum() + rho[y].sum())
            if value > best_lb + 1e-9 * abs(value):
                best_lb, best_rho, best_y, best_lam, stall = value, rho, y, lam, 0
            else:
                stall += 1
                if stall >= 20:
                    theta, stall = theta / 2.0, 0
            if theta < 1e-4 or ub - best_lb <= tol * abs(ub):
                break
            on = y[a_site]
            hits = np.bincount(a_row, weights=(on & (a_wd < lam[a_row])), minlength=n)
            # rows whose tail is active (wb < λ) have their whole list active
            listed_open = np.bincount(a_row, weights=on, minlength=n)
            unlisted = np.where(wb < lam, p + n_fixed - listed_open, 0.0)
            g = 1.0 - hits - unlisted
            norm = float(g @ g)
            if norm == 0.0:
                break
            lam = lam + theta * max(ub - value, 1e-9 * abs(ub)) / norm * g
        # reduced-cost fixing against the upper bound
        chosen = free_idx[best_y[free_idx]]
        other = free_idx[~best_y[free_idx]]
        slack = 1e-9 * max(abs(ub), 1.0)
        out = np.zeros(m, bool)
        inn = np.zeros(m, bool)
        if len(chosen) and len(other):
            worst_in = best_rho[chosen].max()
            best_out = best_rho[other].min()
            out[other] = best_lb + best_rho[other] - worst_in > ub + slack
            inn[chosen] = best_lb - best_rho[chosen] + best_out > ub + slack
        return best_lb, out, inn, best_y, best_lam, best_rho

    def _solve_radius(
        self,
        lists: _Lists,
        p: int,
        free: npt.NDArray[np.bool_],
        start: npt.NDArray[np.bool_] | None,
        time_limit_s: float,
        mip_rel_gap: float,
        forced_out: npt.NDArray[np.bool_] | None = None,
        forced_in: npt.NDArray[np.bool_] | None = None,
    ) -> _Solved | None:
        n, m = self.shape
        w = self.weights
        # Distinct distance levels per demand: level id of each list entry.
        d, idx, ptr = lists.dist, lists.site, lists.ptr
        row_of = np.repeat(np.arange(n), np.diff(ptr))
        new_level = np.ones(len(d), dtype=bool)
        same = (row_of[1:] == row_of[:-1]) & (d[1:] == d[:-1])
        new_level[1:] = ~same
        level_start = np.flatnonzero(new_level)  # entry index where each level starts
        level_row = row_of[level_start]
        level_d = d[level_start]
        n_levels = len(level_start)
        level_of_entry = np.cumsum(new_level) - 1
        first_level = np.r_[True, level_row[1:] != level_row[:-1]]
        # z variables: one per level except each row's first, plus a "beyond" z for
        # truncated rows. z of level L (not first) has cost w (D_L - D_{L-1}).
        z_level = np.flatnonzero(~first_level)
        trunc_rows = np.flatnonzero(~lists.complete)
        n_z = len(z_level) + len(trunc_rows)
        # Row (constraint) k ↔ level k: z_{k+1}(or beyond) - z_k + Σ_{d=D_k} y ≥ 0, with
        # z_first := 1 folded into the rhs (≥ 1 for each row's first level).
        last_level = np.r_[level_row[1:] != level_row[:-1], True]
        z_col = np.full(n_levels, -1, dtype=np.int64)  # z column of each level (not first)
        z_col[z_level] = m + np.arange(len(z_level))
        beyond_col = np.full(n, -1, dtype=np.int64)
        beyond_col[trunc_rows] = m + len(z_level) + np.arange(len(trunc_rows))
        # next z of each level: the z of the following level, or the beyond z of its row
        next_z = np.full(n_levels, -1, dtype=np.int64)
        has_next = ~last_level
        next_z[has_next] = z_col[np.flatnonzero(has_next) + 1]
        next_z[last_level] = beyond_col[level_row[last_level]]
        rows_i: list[IntArray] = [level_of_entry]
        cols_i: list[IntArray] = [idx]
        vals: list[FloatArray] = [np.ones(len(idx))]
        k1 = np.flatnonzero(next_z >= 0)
        rows_i.append(k1)
        cols_i.append(next_z[k1])
        vals.append(np.ones(len(k1)))
        k2 = np.flatnonzero(~first_level)
        rows_i.append(k2)
        cols_i.append(z_col[k2])
        vals.append(-np.ones(len(k2)))
        # cardinality row: Σ free y = p
        rows_i.append(np.full(int(free.sum()), n_levels, dtype=np.int64))
        cols_i.append(np.flatnonzero(free).astype(np.int64))
        vals.append(np.ones(int(free.sum())))
        n_col = m + n_z
        a = sp.csc_array(
            (np.concatenate(vals), (np.concatenate(rows_i), np.concatenate(cols_i))),
            shape=(n_levels + 1, n_col),
        )
        row_lo = np.where(first_level, 1.0, 0.0)
        row_lo = np.r_[row_lo, float(p)]
        row_hi = np.r_[np.full(n_levels, np.inf), float(p)]
        cost = np.zeros(n_col)
        prev_d = np.r_[np.nan, level_d[:-1]]
        cost[z_col[z_level]] = w[level_row[z_level]] * (level_d[z_level] - prev_d[z_level])
        last_d = level_d[last_level]
        last_row = level_row[last_level]
        tr = ~lists.complete[last_row]
        cost[beyond_col[last_row[tr]]] = w[last_row[tr]] * (
            lists.next_dist[last_row[tr]] - last_d[tr]
        )
        constant = float(np.sum(w[level_row[first_level]] * level_d[first_level]))
        col_lo = np.zeros(n_col)
        col_hi = np.ones(n_col)
        col_lo[:m][self.fixed] = 1.0
        if forced_out is not None:
            col_hi[:m][forced_out] = 0.0
        if forced_in is not None:
            col_lo[:m][forced_in] = 1.0
        integer = np.zeros(n_col, dtype=bool)
        integer[:m] = True
        x0 = None
        if start is not None:
            x0 = np.zeros(n_col)
            x0[:m] = start
            # a feasible z for the start: z_L = 1 - (any open at a level < L)
            opened = start[idx].astype(np.float64)
            seen = np.zeros(n_levels)
            np.add.at(seen, level_of_entry, opened)
            cum = _grouped_cumsum(seen, level_row)
            before = cum - seen
            zs = np.clip(1.0 - before, 0.0, 1.0)
            x0[z_col[z_level]] = zs[z_level]
            ll = np.flatnonzero(last_level)
            tl = ll[~lists.complete[level_row[ll]]]
            x0[beyond_col[level_row[tl]]] = np.clip(1.0 - cum[tl], 0.0, 1.0)
        solved = _highs(
            cost,
            a,
            row_lo,
            row_hi,
            col_lo,
            col_hi,
            integer,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            start=x0,
        )
        if solved is None:
            return None
        return _Solved(
            solved.x,
            solved.objective + constant,
            solved.bound + constant,
            solved.gap,
            solved.status,
        )

    def _greedy_p_median(self, p: int, free: npt.NDArray[np.bool_]) -> npt.NDArray[np.bool_]:
        n, m = self.shape
        k = min(m, 64)
        lists = _Lists.build(self._geo, np.arange(n), k)
        row_of = np.repeat(np.arange(n), np.diff(lists.ptr))
        open_ = self.fixed.copy()
        if open_.any():
            best, _ = self._geo.nearest_open(np.flatnonzero(open_))
            best = np.minimum(best, np.where(lists.complete, np.inf, lists.next_dist))
        else:
            best = np.where(lists.complete, lists.dist[lists.ptr[1:] - 1] * 2 + 1, lists.next_dist)
        w = self.weights
        for _ in range(p):
            gain_entry = w[row_of] * np.maximum(best[row_of] - lists.dist, 0.0)
            gain = np.bincount(lists.site, weights=gain_entry, minlength=m)
            gain[~free | open_] = -1.0
            j = int(np.argmax(gain))
            open_[j] = True
            hit = lists.site == j
            np.minimum.at(best, row_of[hit], lists.dist[hit])
        return open_

    def _p_median_result(
        self, open_: npt.NDArray[np.bool_], solved: _Solved | None, t0: float, note: str
    ) -> SitingResult:
        d, j = self._geo.nearest_open(np.flatnonzero(open_))
        objective = float(np.sum(self.weights * d))
        assignment = pd.DataFrame(
            {
                "demand_id": self.demand_ids.to_numpy(),
                "site_id": self.site_ids.to_numpy()[j],
                "weight": self.weights,
                "distance_m": d,
            }
        )
        return self._result(
            "p_median", open_, assignment, objective, solved, t0, note, unassigned=0.0
        )

    # ------------------------------------------------------------------ MCLP

    def mclp(
        self,
        p: int,
        *,
        radius_m: float,
        time_limit_s: float = 60.0,
        mip_rel_gap: float = 1e-6,
        method: Method = "auto",
    ) -> SitingResult:
        """Open ``p`` sites (besides the fixed ones) maximising the demand covered.

        A demand point is covered when an open site (new or fixed) lies within
        ``radius_m``. Model: ``max Σ wᵢ uᵢ`` with ``uᵢ ≤ Σ_{j ∈ N(i)} yⱼ``, ``Σ free y = p``,
        ``u`` continuous in [0, 1] (integral at the optimum because ``y`` is), fixed
        ``y = 1``; demand that no site can reach is left out of the model.

        Parameters
        ----------
        p
            Number of new sites to open.
        radius_m
            Service radius in metres (e.g. ``standards.service_radius_m(level)``).
        time_limit_s, mip_rel_gap, method
            As in :meth:`p_median`.

        Returns
        -------
        SitingResult
            ``objective`` is the covered weight; uncovered demand is in ``unassigned``.

        Examples
        --------
        >>> p = SitingProblem.from_cost_matrix([[0, 9], [9, 0], [1, 9]], [1, 5, 2])
        >>> p.mclp(1, radius_m=2).objective
        5.0
        """
        t0 = time.perf_counter()
        free = self._check_p(p, exact_p=True)
        _, m = self.shape
        cover = self._geo.within(radius_m)
        w = self.weights
        if method == "greedy" or (method == "auto" and cover.nnz > MAX_EXACT_PAIRS):
            open_ = self._greedy_mclp(cover, p, free)
            note = "greedy heuristic (not exact): add the site covering most uncovered demand"
            return self._mclp_result(open_, cover, None, t0, note)
        # One row per distinct coverage set (demand points reached by exactly the same
        # sites are interchangeable: their weights add up); demand that a fixed site covers,
        # or that no site reaches, is a constant and stays out of the model.
        ones, wk, constant = _coverage_classes(cover, w, self.fixed)
        nr = ones.shape[0]
        # columns: y (m), u (nr); rows: u_k - Σ y_j ≤ 0 (nr), Σ free y = p
        a = sp.hstack(
            [
                sp.vstack([-ones, sp.csr_array(free.astype(np.float64)[None, :])]),
                sp.vstack([sp.identity(nr, format="csr"), sp.csr_array((1, nr))]),
            ],
            format="csc",
        )
        row_lo = np.r_[np.full(nr, -np.inf), float(p)]
        row_hi = np.r_[np.zeros(nr), float(p)]
        cost = np.r_[np.zeros(m), -wk]
        col_lo = np.zeros(m + nr)
        col_lo[:m][self.fixed] = 1.0
        col_hi = np.ones(m + nr)
        integer = np.r_[np.ones(m, bool), np.zeros(nr, bool)]
        greedy = self._greedy_mclp(cover, p, free)
        hit = np.zeros(nr)
        np.maximum.at(hit, np.repeat(np.arange(nr), np.diff(ones.indptr)), greedy[ones.indices])
        solved = _highs(
            cost,
            a,
            row_lo,
            row_hi,
            col_lo,
            col_hi,
            integer,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            start=np.r_[greedy.astype(np.float64), hit],
            # The root LP is degenerate (many equal-weight rows): interior point solves it
            # 4-10x faster than dual simplex here (benchmarks/siting.md).
            options={"mip_lp_solver": "ipm"},
        )
        if solved is not None:
            solved = _Solved(
                solved.x,
                solved.objective - constant,
                solved.bound - constant,
                solved.gap,
                solved.status,
            )
        if solved is None:
            if method == "exact":
                raise InfeasibleError(
                    f"MCLP: HiGHS found no feasible answer within {time_limit_s} s"
                )
            open_ = self._greedy_mclp(cover, p, free)
            note = "greedy heuristic (not exact): HiGHS found no answer in the time limit"
            return self._mclp_result(open_, cover, None, t0, note)
        flipped = _Solved(solved.x, -solved.objective, -solved.bound, solved.gap, solved.status)
        return self._mclp_result(solved.x[:m] > 0.5, cover, flipped, t0, "exact (HiGHS)")

    def _greedy_mclp(
        self, cover: sp.csr_array, p: int, free: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.bool_]:
        n, m = self.shape
        open_ = self.fixed.copy()
        row_of = np.repeat(np.arange(n), np.diff(cover.indptr))
        covered = np.zeros(n, bool)
        if open_.any():
            covered[np.unique(row_of[open_[cover.indices]])] = True
        for _ in range(p):
            gain = np.bincount(
                cover.indices, weights=self.weights[row_of] * ~covered[row_of], minlength=m
            )
            gain[~free | open_] = -1.0
            j = int(np.argmax(gain))
            open_[j] = True
            covered[row_of[cover.indices == j]] = True
        return open_

    def _mclp_result(
        self,
        open_: npt.NDArray[np.bool_],
        cover: sp.csr_array,
        solved: _Solved | None,
        t0: float,
        note: str,
    ) -> SitingResult:
        # nearest open site within the radius (cover stores d + 1)
        n, _ = self.shape
        row_of = np.repeat(np.arange(n), np.diff(cover.indptr))
        ok = open_[cover.indices]
        d_best = np.full(n, np.inf)
        np.minimum.at(d_best, row_of[ok], cover.data[ok] - 1.0)
        covered = np.isfinite(d_best)
        # pick, per covered demand, the lowest-index open site at that distance
        j_best = np.full(n, -1, dtype=np.int64)
        cand = ok & (cover.data - 1.0 == d_best[row_of])
        first = np.flatnonzero(cand)[::-1]
        j_best[row_of[first]] = cover.indices[first]
        objective = float(self.weights[covered].sum())
        labels = self.site_ids.to_numpy()[np.maximum(j_best, 0)].astype(object)
        site = np.where(covered, labels, np.array(None, dtype=object))
        assignment = pd.DataFrame(
            {
                "demand_id": self.demand_ids.to_numpy(),
                "site_id": site,
                "weight": self.weights,
                "distance_m": np.where(covered, d_best, np.nan),
            }
        )
        unassigned = float(self.weights[~covered].sum())
        return self._result("mclp", open_, assignment, objective, solved, t0, note, unassigned)

    # ------------------------------------------------------------------ capacitated

    def capacitated(
        self,
        p: int,
        *,
        radius_m: float | None = None,
        k_nearest: int | None = None,
        time_limit_s: float = 60.0,
        mip_rel_gap: float = 1e-6,
        method: Method = "auto",
    ) -> SitingResult:
        """Open at most ``p`` sites to serve the most demand that fits, at least distance.

        Each site holds ``capacity`` (new sites: their standard size; fixed sites: their
        spare places). A demand point may be split between sites. Allowed pairs are those
        within ``radius_m`` (and among each demand's ``k_nearest`` sites, when given).
        Solved lexicographically, in two HiGHS solves: first the most demand weight served,
        then, keeping that, the least weighted distance. Demand that fits nowhere is
        reported (``unassigned``, assignment rows without a site), never forced.

        Parameters
        ----------
        p
            Most new sites to open.
        radius_m
            Longest allowed distance; default no limit.
        k_nearest
            Allow only each demand's nearest sites; default all.
        time_limit_s, mip_rel_gap, method
            As in :meth:`p_median`; the greedy heuristic opens sites by served demand and
            then assigns exactly (an LP).

        Returns
        -------
        SitingResult

        Raises
        ------
        InputError
            When a capacity is missing or negative.

        Examples
        --------
        Three villages of 60 pupils; each school holds 100; one school can be built:

        >>> p = SitingProblem.from_cost_matrix(
        ...     [[0, 5], [1, 5], [5, 0]], [60, 60, 60], capacity=[100, 100])
        >>> r = p.capacitated(1)
        >>> r.open_sites, r.unassigned, r.objective
        ([0], 80.0, 40.0)
        """
        t0 = time.perf_counter()
        free = self._check_p(p, exact_p=False)
        cap = self.capacity
        bad = np.flatnonzero(np.isnan(cap) | (cap < 0))
        if len(bad):
            raise InputError(
                [
                    Problem(
                        "sites",
                        f"site {self.site_ids[int(j)]}: capacity {cap[j]}; capacitated siting "
                        "needs places ≥ 0 for every site",
                        row=int(j) + 1,
                        column="capacity",
                    )
                    for j in bad
                ]
            )
        pairs = self._pairs(radius_m, k_nearest)
        if method == "greedy" or (method == "auto" and pairs.nnz > MAX_EXACT_PAIRS):
            open_ = self._greedy_capacitated(pairs, p, free)
            note = "greedy heuristic (not exact): sites opened by demand served, then an exact "
            return self._assign_fixed(open_, pairs, t0, note + "assignment (LP)")
        solved = self._solve_capacitated(pairs, p, free, time_limit_s, mip_rel_gap, None)
        if solved is None:
            if method == "exact":
                raise InfeasibleError(
                    f"capacitated siting: HiGHS found no answer within {time_limit_s} s"
                )
            open_ = self._greedy_capacitated(pairs, p, free)
            note = "greedy heuristic (not exact): HiGHS found no answer in the time limit; "
            return self._assign_fixed(open_, pairs, t0, note + "exact assignment (LP)")
        return self._capacitated_result(solved, pairs, t0, "exact (HiGHS, two phases)")

    def _pairs(self, radius_m: float | None, k_nearest: int | None) -> sp.csr_array:
        n, m = self.shape
        if radius_m is not None:
            pairs = self._geo.within(radius_m)
            if k_nearest is not None and k_nearest < m:
                d, idx = self._geo.nearest(np.arange(n), k_nearest)
                keep = sp.csr_array(
                    (np.ones(idx.size), (np.repeat(np.arange(n), k_nearest), idx.ravel())),
                    shape=(n, m),
                )
                pairs = pairs.multiply(keep > 0).tocsr()
            pairs.sort_indices()
            return sp.csr_array(pairs)
        k = m if k_nearest is None else min(k_nearest, m)
        d, idx = self._geo.nearest(np.arange(n), k)
        ok = np.isfinite(d)
        rows = np.repeat(np.arange(n), k).reshape(n, k)
        out = sp.csr_array((d[ok] + 1.0, (rows[ok], idx[ok])), shape=(n, m))
        out.sort_indices()
        return out

    def _solve_capacitated(
        self,
        pairs: sp.csr_array,
        p: int,
        free: npt.NDArray[np.bool_],
        time_limit_s: float,
        mip_rel_gap: float,
        open_given: npt.NDArray[np.bool_] | None,
    ) -> _Solved | None:
        n, m = self.shape
        w = self.weights
        npair = pairs.nnz
        row_of = np.repeat(np.arange(n), np.diff(pairs.indptr))
        j_of = pairs.indices.astype(np.int64)
        dist = pairs.data - 1.0
        # columns: y (m), x (npair), u (n)
        ny, nx = m, npair
        col_x = ny + np.arange(nx)
        col_u = ny + nx + np.arange(n)
        r_assign = np.arange(n)  # Σ x + u = 1
        r_cap = n + np.arange(m)  # Σ w x - cap y ≤ 0
        linked = free[j_of] & (w[row_of] > 0)
        r_link = n + m + np.arange(int(linked.sum()))  # x - y ≤ 0 for new sites
        r_card = n + m + len(r_link)
        rows = np.concatenate(
            [
                r_assign[row_of],
                r_assign,
                r_cap[j_of],
                r_cap,
                r_link,
                r_link,
                np.full(int(free.sum()), r_card),
            ]
        )
        cols = np.concatenate(
            [col_x, col_u, col_x, np.arange(m), col_x[linked], j_of[linked], np.flatnonzero(free)]
        )
        vals = np.concatenate(
            [
                np.ones(nx),
                np.ones(n),
                w[row_of],
                -self.capacity,
                np.ones(len(r_link)),
                -np.ones(len(r_link)),
                np.ones(int(free.sum())),
            ]
        )
        n_row = r_card + 1
        n_col = ny + nx + n
        a = sp.csc_array((vals, (rows, cols)), shape=(n_row, n_col))
        row_lo = np.r_[np.ones(n), np.full(m, -np.inf), np.full(len(r_link), -np.inf), -np.inf]
        row_hi = np.r_[np.ones(n), np.zeros(m), np.zeros(len(r_link)), float(p)]
        col_lo = np.zeros(n_col)
        col_hi = np.ones(n_col)
        col_lo[:m][self.fixed] = 1.0
        integer = np.zeros(n_col, bool)
        integer[:m] = True
        if open_given is not None:
            col_lo[:m] = open_given
            col_hi[:m] = open_given
        # phase 1: least unassigned weight
        cost1 = np.zeros(n_col)
        cost1[col_u] = w
        s1 = _highs(
            cost1,
            a,
            row_lo,
            row_hi,
            col_lo,
            col_hi,
            integer,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
        )
        if s1 is None:
            return None
        # phase 2: keep the unassigned weight at phase 1's, least distance
        total_w = float(w.sum())
        slack = max(1e-7 * total_w, 1e-9)
        a2 = sp.vstack([a, sp.csr_array(cost1[None, :])], format="csc")
        row_lo2 = np.r_[row_lo, -np.inf]
        row_hi2 = np.r_[row_hi, s1.objective + slack]
        cost2 = np.zeros(n_col)
        cost2[col_x] = w[row_of] * dist
        s2 = _highs(
            cost2,
            a2,
            row_lo2,
            row_hi2,
            col_lo,
            col_hi,
            integer,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            start=s1.x,
        )
        if s2 is None:
            return s1
        status = "optimal" if s1.status == s2.status == "optimal" else "time_limit"
        gap = max(s1.gap if math.isfinite(s1.gap) else 0.0, s2.gap)
        return _Solved(s2.x, s2.objective, s2.bound, gap, status)

    def _greedy_capacitated(
        self, pairs: sp.csr_array, p: int, free: npt.NDArray[np.bool_]
    ) -> npt.NDArray[np.bool_]:
        n, m = self.shape
        row_of = np.repeat(np.arange(n), np.diff(pairs.indptr))
        left = self.weights.copy()
        # fixed sites first take what they can (nearest first)
        open_ = self.fixed.copy()
        room = np.where(open_, self.capacity, 0.0)
        order = np.argsort(pairs.data, kind="stable")
        for e in order:
            j = pairs.indices[e]
            if open_[j] and room[j] > 0 and left[row_of[e]] > 0:
                t = min(room[j], left[row_of[e]])
                room[j] -= t
                left[row_of[e]] -= t
        for _ in range(p):
            reach = np.bincount(pairs.indices, weights=left[row_of], minlength=m)
            gain = np.minimum(reach, self.capacity)
            gain[~free | open_] = -1.0
            j = int(np.argmax(gain))
            if gain[j] <= 0:
                break
            open_[j] = True
            room[j] = self.capacity[j]
            for e in np.flatnonzero(pairs.indices == j)[np.argsort(pairs.data[pairs.indices == j])]:
                t = min(room[j], left[row_of[e]])
                room[j] -= t
                left[row_of[e]] -= t
        return open_

    def _assign_fixed(
        self, open_: npt.NDArray[np.bool_], pairs: sp.csr_array, t0: float, note: str
    ) -> SitingResult:
        solved = self._solve_capacitated(pairs, int(open_.sum()), ~self.fixed, 600.0, 1e-9, open_)
        assert solved is not None  # an LP with y fixed is always feasible (u = 1)
        heuristic = _Solved(solved.x, solved.objective, math.nan, math.nan, "heuristic")
        return self._capacitated_result(heuristic, pairs, t0, note)

    def _capacitated_result(
        self, solved: _Solved, pairs: sp.csr_array, t0: float, note: str
    ) -> SitingResult:
        n, m = self.shape
        w = self.weights
        row_of = np.repeat(np.arange(n), np.diff(pairs.indptr))
        x = np.clip(solved.x[m : m + pairs.nnz], 0.0, 1.0)
        flow = _split_weights(w, row_of, x)
        used = flow > 0
        assigned = np.bincount(row_of[used], weights=flow[used], minlength=n)
        left = w - assigned
        frames = [
            pd.DataFrame(
                {
                    "demand_id": self.demand_ids.to_numpy()[row_of[used]],
                    "site_id": pd.array(self.site_ids.to_numpy()[pairs.indices[used]], object),
                    "weight": flow[used],
                    "distance_m": pairs.data[used] - 1.0,
                    "_row": row_of[used],
                }
            ),
            pd.DataFrame(
                {
                    "demand_id": self.demand_ids.to_numpy()[left > 0],
                    "site_id": pd.array([None] * int((left > 0).sum()), dtype=object),
                    "weight": left[left > 0],
                    "distance_m": np.nan,
                    "_row": np.flatnonzero(left > 0),
                }
            ),
        ]
        assignment = (
            pd.concat(frames, ignore_index=True)
            .sort_values(["_row", "distance_m"], kind="stable", na_position="last")
            .drop(columns="_row")
            .reset_index(drop=True)
        )
        objective = float(np.sum(flow[used] * (pairs.data[used] - 1.0)))
        open_ = solved.x[:m] > 0.5
        return self._result(
            "capacitated", open_, assignment, objective, solved, t0, note, float(left.sum())
        )

    # ------------------------------------------------------------------ shared

    def _result(
        self,
        model: str,
        open_: npt.NDArray[np.bool_],
        assignment: pd.DataFrame,
        objective: float,
        solved: _Solved | None,
        t0: float,
        note: str,
        unassigned: float,
    ) -> SitingResult:
        served = assignment.dropna(subset=["site_id"]).groupby("site_id", sort=False)["weight"]
        load = served.sum()
        sites = pd.DataFrame(
            {
                "site_id": self.site_ids.to_numpy(),
                "fixed": self.fixed,
                "open": open_,
                "assigned": self.site_ids.map(load.to_dict()).to_numpy(
                    dtype=np.float64, na_value=0.0
                ),
                "capacity": self.capacity,
            }
        )
        if solved is None or solved.status == "heuristic":
            method, status, bound, gap = "greedy", "heuristic", math.nan, math.nan
            if solved is not None and model == "capacitated":
                method = "greedy"
        else:
            method, status, bound = "highs", solved.status, solved.bound
            gap = abs(objective - bound) / max(abs(objective), 1e-12)
            if model == "capacitated":
                gap = solved.gap
        return SitingResult(
            model=model,
            method=method,
            status=status,
            objective=objective,
            bound=bound,
            gap=gap,
            seconds=time.perf_counter() - t0,
            sites=sites,
            assignment=assignment,
            unassigned=unassigned,
            note=note,
        )


@dataclass(frozen=True)
class _Lists:
    """Each demand's candidate list, sorted by distance (CSR layout).

    A list holds every site up to its last distance (ties at the cut are kept together);
    ``next_dist`` is the distance to the first site beyond the list (inf when complete).
    """

    ptr: IntArray
    site: IntArray
    dist: FloatArray
    next_dist: FloatArray
    complete: npt.NDArray[np.bool_]

    @property
    def sizes(self) -> IntArray:
        return np.diff(self.ptr)

    @property
    def reach(self) -> FloatArray:
        """Largest distance in each list."""
        return self.dist[self.ptr[1:] - 1]

    @classmethod
    def build(cls, geo: _Geometry, rows: IntArray, k: int) -> _Lists:
        d, idx, nxt, complete = _nearest_lists(geo, rows, k)
        finite = np.isfinite(d)
        sizes = finite.sum(axis=1)
        if (sizes == 0).any():
            i = int(rows[np.flatnonzero(sizes == 0)[0]])
            raise InfeasibleError(
                f"demand row {i + 1} may not be assigned to any site (all distances inf)"
            )
        ptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
        return cls(ptr, idx[finite], d[finite], nxt, complete)

    def widen(self, geo: _Geometry, rows: IntArray, reach: FloatArray) -> _Lists:
        """Extend the lists of ``rows`` until each holds every site within ``reach``."""
        _, m = geo.shape
        sizes = self.sizes
        k = int(min(max(2 * int(sizes[rows].max()), 1), m))
        todo, need = rows, reach
        new: dict[int, tuple[FloatArray, IntArray, float, bool]] = {}
        while len(todo):
            d, idx, nxt, complete = _nearest_lists(geo, todo, k)
            done = complete | (nxt > need + 1e-9)
            for pos in np.flatnonzero(done):
                keep = np.isfinite(d[pos])
                new[int(todo[pos])] = (d[pos][keep], idx[pos][keep], nxt[pos], complete[pos])
            todo, need = todo[~done], need[~done]
            k = min(2 * k, m)
        n = len(sizes)
        sites: list[IntArray] = []
        dists: list[FloatArray] = []
        nxt_all = self.next_dist.copy()
        comp_all = self.complete.copy()
        new_sizes = sizes.copy()
        for i in range(n):
            if i in new:
                d_i, s_i, nx, c = new[i]
                sites.append(s_i)
                dists.append(d_i)
                nxt_all[i], comp_all[i], new_sizes[i] = nx, c, len(s_i)
            else:
                sites.append(self.site[self.ptr[i] : self.ptr[i + 1]])
                dists.append(self.dist[self.ptr[i] : self.ptr[i + 1]])
        ptr = np.r_[0, np.cumsum(new_sizes)].astype(np.int64)
        return _Lists(ptr, np.concatenate(sites), np.concatenate(dists), nxt_all, comp_all)


def _nearest_lists(
    geo: _Geometry, rows: IntArray, k: int
) -> tuple[FloatArray, IntArray, FloatArray, npt.NDArray[np.bool_]]:
    """Return padded nearest-site lists of at least ``k`` sites per row, ties kept whole."""
    _, m = geo.shape
    k = min(k, m)
    kk = min(k + 1, m)
    d, idx = geo.nearest(rows, kk)
    if kk > k:
        nxt = d[:, k].copy()
        d, idx = d[:, :k], idx[:, :k]
    else:
        nxt = np.full(len(rows), np.inf)
    complete = ~np.isfinite(nxt)
    tie = ~complete & (nxt <= d[:, -1])
    if tie.any():
        d2, i2, n2, c2 = _nearest_lists(geo, rows[tie], min(2 * k, m))
        width = d2.shape[1]
        dd = np.full((len(rows), width), np.inf)
        ii = np.zeros((len(rows), width), dtype=np.int64)
        dd[:, : d.shape[1]] = d
        ii[:, : d.shape[1]] = idx
        dd[tie], ii[tie] = d2, i2
        nxt, complete = nxt.copy(), complete.copy()
        nxt[tie], complete[tie] = n2, c2
        return dd, ii, nxt, complete
    return d, idx, nxt, complete


def _coverage_classes(
    cover: sp.csr_array, w: FloatArray, fixed: npt.NDArray[np.bool_]
) -> tuple[sp.csr_array, FloatArray, float]:
    """Group demand rows by identical coverage set (0/1 CSR rows, summed weights).

    Rows that no site reaches, that have zero weight, or that a fixed (always open) site
    covers are left out; the weight of the last kind is returned as a constant.
    """
    n, m = cover.shape
    sizes = np.diff(cover.indptr)
    row_of = np.repeat(np.arange(n), sizes)
    by_fixed = np.zeros(n, bool)
    by_fixed[row_of[fixed[cover.indices]]] = True
    constant = float(w[by_fixed].sum())
    keep = np.flatnonzero((sizes > 0) & (w > 0) & ~by_fixed)
    if len(keep) == 0:
        return sp.csr_array((0, m)), np.zeros(0), constant
    sub = cover[keep]
    ks = np.diff(sub.indptr)
    width = int(ks.max())
    # pad each row's sorted site list to a fixed width: equal rows ⇔ equal padded rows
    padded = np.full((len(keep), width + 1), -1, dtype=np.int64)
    padded[:, 0] = ks
    pos = np.arange(sub.nnz) - np.repeat(sub.indptr[:-1], ks)
    padded[np.repeat(np.arange(len(keep)), ks), 1 + pos] = sub.indices
    _, first, inverse = np.unique(padded, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    # keep the classes in the order of their first demand row (deterministic, input-led)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    wk = np.bincount(rank[inverse], weights=w[keep], minlength=len(order)).astype(np.float64)
    reps = sub[first[order]]
    ones = sp.csr_array((np.ones(reps.nnz), reps.indices, reps.indptr), shape=(len(order), m))
    return ones, wk, constant


def _grouped_cumsum(values: FloatArray, groups: IntArray) -> FloatArray:
    """Cumulative sum restarting at each change of ``groups`` (sorted)."""
    start = np.r_[True, groups[1:] != groups[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(values)), 0))
    total = np.cumsum(values)
    return total - (total - values)[first]


def _split_weights(w: FloatArray, row_of: IntArray, x: FloatArray) -> FloatArray:
    """Flows ``w[row] × x``, rounded so that integer weights split into integers.

    With integer weights, each row's flows are rounded by largest remainder so they add up
    to ``round(w × Σx)`` exactly (the rest is the row's unassigned weight).
    """
    raw = w[row_of] * x
    if not np.all(np.equal(np.mod(w, 1.0), 0.0)):
        return raw
    n = len(w)
    target = np.rint(np.bincount(row_of, weights=raw, minlength=n))
    target = np.minimum(target, w)
    floor = np.floor(raw + 1e-9)
    short = target - np.bincount(row_of, weights=floor, minlength=n)
    frac = raw - floor
    order = np.lexsort((-frac, row_of))
    rank = np.arange(len(order)) - np.searchsorted(row_of[order], row_of[order])
    add = np.zeros(len(raw))
    add[order] = (rank < short[row_of[order]]).astype(np.float64)
    return floor + add


def _highs(
    cost: FloatArray,
    a: sp.csc_array,
    row_lo: FloatArray,
    row_hi: FloatArray,
    col_lo: FloatArray,
    col_hi: FloatArray,
    integer: npt.NDArray[np.bool_],
    *,
    time_limit_s: float,
    mip_rel_gap: float,
    start: FloatArray | None = None,
    options: dict[str, bool | int | float | str] | None = None,
) -> _Solved | None:
    """Solve ``min cost·x`` s.t. ``row_lo ≤ A x ≤ row_hi``, bounds, integrality, by HiGHS.

    Returns ``None`` when HiGHS stops without a feasible answer (time limit); raises
    :class:`InfeasibleError` when the model is infeasible.
    """
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("random_seed", 0)
    h.setOptionValue("threads", 1)
    for name, value in (options or {}).items():
        h.setOptionValue(name, value)
    lp = highspy.HighsLp()
    lp.num_col_ = int(a.shape[1])
    lp.num_row_ = int(a.shape[0])
    lp.col_cost_ = np.ascontiguousarray(cost, dtype=np.float64)
    lp.col_lower_ = np.ascontiguousarray(col_lo, dtype=np.float64)
    lp.col_upper_ = np.ascontiguousarray(col_hi, dtype=np.float64)
    lp.row_lower_ = np.ascontiguousarray(row_lo, dtype=np.float64)
    lp.row_upper_ = np.ascontiguousarray(row_hi, dtype=np.float64)
    a = sp.csc_array(a)
    a.sum_duplicates()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = a.indptr.astype(np.int32)
    lp.a_matrix_.index_ = a.indices.astype(np.int32)
    lp.a_matrix_.value_ = a.data.astype(np.float64)
    lp.a_matrix_.num_col_ = lp.num_col_
    lp.a_matrix_.num_row_ = lp.num_row_
    is_mip = bool(integer.any())
    if is_mip:
        lp.integrality_ = [
            highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
            for b in integer
        ]
    h.passModel(lp)
    if start is not None and is_mip:
        sol = highspy.HighsSolution()
        sol.col_value = list(np.asarray(start, dtype=np.float64))
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    if status == highspy.HighsModelStatus.kInfeasible:
        raise InfeasibleError("the siting model is infeasible; check p, fixed sites and inputs")
    if status == highspy.HighsModelStatus.kOptimal:
        label = "optimal"
    elif info.primal_solution_status == 2:  # feasible point available
        label = "time_limit"
    else:
        return None
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    objective = float(info.objective_function_value)
    if is_mip:
        bound, gap = float(info.mip_dual_bound), float(info.mip_gap)
    else:
        bound, gap = objective, 0.0
    return _Solved(x, objective, bound, gap, label)


def _xy(frame: pd.DataFrame, source: str, problems: list[Problem]) -> FloatArray | None:
    geom = getattr(frame, "geometry", None) if hasattr(frame, "geometry") else None
    if geom is not None and "geometry" in frame:
        crs = getattr(frame, "crs", None)
        if crs is not None and not crs.is_projected:
            problems.append(
                Problem(source, f"CRS {crs.to_string()} is geographic; project to metres first")
            )
            return None
        pts = geom.representative_point() if not (geom.geom_type == "Point").all() else geom
        return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()]).astype(np.float64)
    if "x" in frame and "y" in frame:
        return frame[["x", "y"]].to_numpy(dtype=np.float64)
    problems.append(Problem(source, "no point geometry and no `x`/`y` columns in metres"))
    return None


def _weights(values: pd.Series, source: str, column: str) -> FloatArray:
    w = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if len(bad):
        raise InputError(
            [
                Problem(
                    source,
                    f"got {_show(values.iloc[i])}; expected a number ≥ 0",
                    row=int(i) + 1,
                    column=column,
                )
                for i in bad[:20]
            ]
        )
    return w


def _site_columns(
    sites: pd.DataFrame, fixed_col: str, capacity_col: str
) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    m = len(sites)
    fixed = (
        sites[fixed_col].fillna(False).astype(bool).to_numpy()
        if fixed_col in sites
        else np.zeros(m, bool)
    )
    capacity = (
        pd.to_numeric(sites[capacity_col], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        if capacity_col in sites
        else np.full(m, np.nan)
    )
    return fixed, capacity


def _show(value: object) -> str:
    return repr(value.item()) if isinstance(value, np.generic) else repr(value)


class _Interchange:
    """The whole swap neighbourhood of an answer, kept up to date swap by swap.

    Fast interchange (Whitaker 1983) with the incremental updates of Resende & Werneck
    (2007). Per demand ``i``: ``d1``, ``d2`` the distances to its nearest and second-nearest
    open sites (``c1``, ``c2`` those sites). Swapping open ``r`` out and closed ``j`` in
    lowers the objective by ``gain[j] − loss[r] + extra[r, j]`` with

    - ``gain[j] = Σᵢ wᵢ (d1ᵢ − dᵢⱼ)⁺`` (demand that moves to ``j``),
    - ``loss[r] = Σ_{i: c1ᵢ = r} wᵢ (d2ᵢ − d1ᵢ)`` (demand of ``r`` falls back to ``c2``),
    - ``extra[r, j] = Σ_{i: c1ᵢ = r, dᵢⱼ < d2ᵢ} wᵢ (d2ᵢ − max(dᵢⱼ, d1ᵢ))`` (what the two
      terms count twice for demand of ``r`` that ``j`` serves).

    Only pairs with ``dᵢⱼ < d2ᵢ`` enter, so the candidate lists suffice wherever a list
    reaches ``d2ᵢ``; where it does not, the missing pairs only make the predicted profit
    smaller than the true one, never larger. After a swap only the demand whose two
    nearest open sites change (``c1`` or ``c2`` was ``r``, or ``j`` is nearer than ``d2``)
    is re-counted, so a swap costs milliseconds where re-evaluating the neighbourhood
    (``P × m`` swaps) costs a pass over every list.
    """

    _STATE = ("open_", "open_idx", "slot", "d1", "d2", "c1", "c2", "gain", "loss", "extra")

    def __init__(
        self,
        geo: _Geometry,
        w: FloatArray,
        lists: _Lists,
        open_: npt.NDArray[np.bool_],
        movable: npt.NDArray[np.bool_],
        allowed: npt.NDArray[np.bool_],
    ) -> None:
        n, m = geo.shape
        self.geo, self.w, self.lists = geo, w, lists
        self.movable, self.allowed = movable, allowed
        self.open_ = open_.copy()
        self.open_idx = np.flatnonzero(self.open_)
        self.slot = np.full(m, -1, dtype=np.int64)
        self.slot[self.open_idx] = np.arange(len(self.open_idx))
        self.row_of = np.repeat(np.arange(n), lists.sizes)
        # list entries by site, to find the demand a newly opened site reaches
        self.by_site = np.argsort(lists.site, kind="stable")
        self.site_ptr = np.r_[0, np.cumsum(np.bincount(lists.site, minlength=m))]
        # a finite stand-in for "no second open site" keeps the profit arithmetic free of
        # inf − inf; it is large enough never to look like a gain
        finite = lists.dist[np.isfinite(lists.dist)]
        self.big = 1e6 * (float(finite.max()) + 1.0) if len(finite) else 1e6
        self.reach = lists.reach
        self.d1, self.d2 = np.zeros(n), np.zeros(n)
        self.c1, self.c2 = np.zeros(n, np.int64), np.zeros(n, np.int64)
        self._rebuild()

    @property
    def value(self) -> float:
        return float(self.w @ self.d1)

    def _rebuild(self) -> None:
        n, m = self.geo.shape
        rows = np.arange(n)
        self.d1, self.c1, self.d2, self.c2 = self._top2(rows)
        self.gain = np.zeros(m)
        self.loss = np.zeros(len(self.open_idx))
        self.extra = np.zeros((len(self.open_idx), m))
        self._count(rows, 1.0)
        self.swaps_since_rebuild = 0

    def _top2(self, rows: IntArray) -> tuple[FloatArray, IntArray, FloatArray, IntArray]:
        """Two nearest open sites of ``rows`` (from the lists; the geometry where short)."""
        lists = self.lists
        sizes = lists.sizes[rows]
        ent = np.repeat(lists.ptr[rows] - np.cumsum(np.r_[0, sizes[:-1]]), sizes) + np.arange(
            int(sizes.sum())
        )
        pos = np.repeat(np.arange(len(rows)), sizes)
        on = self.open_[lists.site[ent]]
        ent, pos = ent[on], pos[on]
        rank = np.arange(len(pos)) - np.searchsorted(pos, pos)
        d1 = np.full(len(rows), np.inf)
        d2 = np.full(len(rows), np.inf)
        c1 = np.full(len(rows), -1, dtype=np.int64)
        c2 = np.full(len(rows), -1, dtype=np.int64)
        first, second = rank == 0, rank == 1
        d1[pos[first]], c1[pos[first]] = lists.dist[ent[first]], lists.site[ent[first]]
        d2[pos[second]], c2[pos[second]] = lists.dist[ent[second]], lists.site[ent[second]]
        short = np.flatnonzero(c2 < 0)
        if len(short) and len(self.open_idx) >= 2:
            d, k = _two_nearest_open_rows(self.geo, self.open_idx, rows[short])
            d1[short], c1[short], d2[short], c2[short] = d[:, 0], k[:, 0], d[:, 1], k[:, 1]
        d1 = np.minimum(d1, self.big)
        d2 = np.minimum(d2, self.big)
        return d1, c1, d2, c2

    def _count(self, rows: IntArray, sign: float) -> None:
        """Add (``sign`` = 1) or remove (−1) the contributions of ``rows``."""
        lists = self.lists
        m = len(self.gain)
        sizes = lists.sizes[rows]
        ent = np.repeat(lists.ptr[rows] - np.cumsum(np.r_[0, sizes[:-1]]), sizes) + np.arange(
            int(sizes.sum())
        )
        pos = np.repeat(np.arange(len(rows)), sizes)
        dist = lists.dist[ent]
        d1, d2 = self.d1[rows], self.d2[rows]
        wr = self.w[rows]
        near = dist < d2[pos]
        ent, pos, dist = ent[near], pos[near], dist[near]
        site = lists.site[ent]
        self.gain += sign * np.bincount(
            site, weights=wr[pos] * np.maximum(d1[pos] - dist, 0.0), minlength=m
        )
        slot1 = self.slot[self.c1[rows]]
        P = len(self.loss)
        self.loss += sign * np.bincount(slot1, weights=wr * (d2 - d1), minlength=P)
        key = slot1[pos] * m + site
        self.extra += sign * np.bincount(
            key, weights=wr[pos] * (d2[pos] - np.maximum(dist, d1[pos])), minlength=P * m
        ).reshape(P, m)

    def best(self) -> tuple[int, int, float]:
        """Return the best swap (open site out, closed site in) and its predicted profit."""
        profit = self.gain[None, :] - self.loss[:, None] + self.extra
        profit[:, ~self.allowed | self.open_] = -np.inf
        profit[~self.movable[self.open_idx], :] = -np.inf
        e = int(np.argmax(profit))
        r, j = divmod(e, profit.shape[1])
        return int(self.open_idx[r]), int(j), float(profit[r, j])

    def apply(self, r: int, j: int) -> None:
        """Close ``r``, open ``j``; re-count the demand whose nearest two change."""
        lists = self.lists
        hit_j = self.by_site[self.site_ptr[j] : self.site_ptr[j + 1]]
        near_j = np.zeros(len(self.d1), bool)
        near_j[self.row_of[hit_j][lists.dist[hit_j] < self.d2[self.row_of[hit_j]]]] = True
        # a list that stops short of d2 cannot tell whether j is nearer: re-count that row
        short = (self.d2 > self.reach) & ~lists.complete
        rows = np.flatnonzero(near_j | short | (self.c1 == r) | (self.c2 == r))
        self._count(rows, -1.0)
        s = self.slot[r]
        self.loss[s] = 0.0  # clear rounding residue: this slot now belongs to j
        self.extra[s] = 0.0
        self.open_[r], self.open_[j] = False, True
        self.slot[r], self.slot[j] = -1, s
        self.open_idx[s] = j
        self.d1[rows], self.c1[rows], self.d2[rows], self.c2[rows] = self._top2(rows)
        self._count(rows, 1.0)
        self.swaps_since_rebuild += 1
        if self.swaps_since_rebuild >= 200:
            self._rebuild()  # bound the rounding drift of the running sums

    def descend(self, max_swaps: int = 10_000) -> None:
        """Best-improvement swaps until no swap lowers the objective."""
        if len(self.open_idx) < 2:
            return
        for _ in range(max_swaps):
            r, j, profit = self.best()
            if not profit > 1e-9 * max(self.value, 1.0):
                break
            self.apply(r, j)

    def snapshot(self) -> dict[str, object]:
        """Copy of the state, for :meth:`restore` (undoing a shake that did not pay)."""
        snap: dict[str, object] = {k: getattr(self, k).copy() for k in self._STATE}
        snap["swaps_since_rebuild"] = self.swaps_since_rebuild
        return snap

    def restore(self, snap: dict[str, object]) -> None:
        for k, v in snap.items():
            setattr(self, k, v.copy() if isinstance(v, np.ndarray) else v)


def _two_nearest_open_rows(
    geo: _Geometry, open_idx: IntArray, rows: IntArray
) -> tuple[FloatArray, IntArray]:
    """Distances to, and indices of, the two nearest open sites of some demand rows."""
    if geo.dense is not None:
        sub = geo.dense[np.ix_(rows, open_idx)]
        two = np.argpartition(sub, 1, axis=1)[:, :2]
        d = np.take_along_axis(sub, two, axis=1)
        order = np.argsort(d, axis=1, kind="stable")
        return np.take_along_axis(d, order, axis=1), open_idx[np.take_along_axis(two, order, 1)]
    assert geo.demand_xy is not None and geo.site_xy is not None
    d, k = cKDTree(geo.site_xy[open_idx]).query(geo.demand_xy[rows], k=2)
    d = np.asarray(d, dtype=np.float64).reshape(len(rows), 2)
    return d, open_idx[np.asarray(k, dtype=np.int64).reshape(len(rows), 2)]
