"""The siting problem: demand, candidate sites and their distances, and the models on it.

:class:`SitingProblem` is what a caller builds — from demand points and candidate sites in a
projected CRS (:meth:`~SitingProblem.from_points`), or from a distance matrix such as road
metres (:meth:`~SitingProblem.from_cost_matrix`) — and asks one of three questions:

- :meth:`~SitingProblem.p_median` — open ``p`` sites to minimise the residents' (or
  pupils') total distance to their nearest open school (:mod:`.pmedian`);
- :meth:`~SitingProblem.mclp` (maximal covering) — open ``p`` sites to maximise the demand
  within the service radius of an open school (:mod:`.mclp`);
- :meth:`~SitingProblem.capacitated` — open at most ``p`` sites, each new school holding its
  standard size and each existing school its spare places, to serve as much demand as fits
  within the service radius (first) at the least total distance (second)
  (:mod:`.capacitated`). Demand that does not fit is reported as unassigned, never forced.

Existing schools take part as sites fixed open. Each answer is a
:class:`~xuewei.planning.siting.result.SitingResult` with the solver status, the best bound
and the relative optimality gap; a greedy heuristic answer says so.
"""

from __future__ import annotations

import time

import numpy as np
import numpy.typing as npt
import pandas as pd

from xuewei.errors import ConfigError, InfeasibleError, InputError, Problem
from xuewei.planning.siting.capacitated import solve_capacitated
from xuewei.planning.siting.geometry import BoolArray, FloatArray, Geometry
from xuewei.planning.siting.mclp import solve_mclp
from xuewei.planning.siting.pmedian import solve_p_median
from xuewei.planning.siting.result import Method, SitingResult

__all__ = ["SitingProblem"]


class SitingProblem:
    """A location-allocation problem: demand points, candidate sites, and their distances.

    Build it once (:meth:`from_points` or :meth:`from_cost_matrix`), then solve one or more
    models on it: :meth:`p_median`, :meth:`mclp`, :meth:`capacitated`. Each returns a
    :class:`SitingResult`. The problem itself is never modified by a solve.

    Attributes
    ----------
    geometry
        The distances: a dense matrix or demand and site points
        (:class:`~xuewei.planning.siting.geometry.Geometry`).
    weights
        Demand weight per demand point (residents or pupils).
    demand_ids, site_ids
        Labels of the demand points and the candidate sites.
    fixed
        Per site: always open (an existing school).
    capacity
        Places per site (NaN when not given).

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
        geometry: Geometry,
        weights: FloatArray,
        *,
        demand_ids: pd.Index,
        site_ids: pd.Index,
        fixed: BoolArray,
        capacity: FloatArray,
    ) -> None:
        self.geometry = geometry
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
            Geometry(demand_xy=dxy, site_xy=sxy),
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
            raise InputError([Problem("cost", f"expected a 2-d matrix, got shape {c.shape}")])
        if np.isnan(c).any() or (c < 0).any():
            raise InputError(
                [Problem("cost", "distances must be ≥ 0 (inf for forbidden pairs), no NaN")]
            )
        n, m = c.shape
        w = _weights(pd.Series(np.asarray(weights, dtype=np.float64)), "weights", "weights")
        if len(w) != n:
            raise InputError([Problem("weights", f"got {len(w)} values for {n} demand rows")])
        fx = np.zeros(m, bool) if fixed is None else np.asarray(fixed, dtype=bool)
        cap = np.full(m, np.nan) if capacity is None else np.asarray(capacity, np.float64)
        return cls(
            Geometry(dense=c),
            w,
            demand_ids=pd.Index(np.arange(n) if demand_ids is None else np.asarray(demand_ids)),
            site_ids=pd.Index(np.arange(m) if site_ids is None else np.asarray(site_ids)),
            fixed=fx,
            capacity=cap,
        )

    @property
    def shape(self) -> tuple[int, int]:
        """(number of demand points, number of candidate sites)."""
        return self.geometry.shape

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
        instances, :class:`~xuewei.planning.siting.interchange.Interchange`) give an upper
        bound; subgradient steps towards it give the bound, reduced costs that rule sites
        out, and the Lagrangian's own answer, which local search among the surviving sites
        improves; the next pass starts from the best multipliers. If they stall apart, a
        variable neighbourhood search shakes the answer (within ``time_limit_s``; see
        :func:`~xuewei.planning.siting.shake.shake_search`). When bound and answer meet
        (within ``mip_rel_gap``) the answer is returned as optimal; otherwise the fixed
        sites and the best answer (HiGHS's first incumbent) go to HiGHS, so a time limit
        still returns a good answer with the gap to the best bound — except with
        ``method="auto"`` when the lists at sites not ruled out hold more than
        ``MAX_HIGHS_ENTRIES`` entries: HiGHS does not move either side of such a model in
        minutes, so the answer is returned at once (status ``time_limit``, the proven gap).

        ``method="benders"`` solves it by Benders decomposition instead
        (:mod:`~xuewei.planning.siting.benders_pmedian`, Duran-Mateluna, Ales & Elloumi
        2023): from the swap-improved greedy answer, a master over the sites with one
        distance variable per demand learns closed-form cuts from each demand's sorted
        distances, first on the LP, then on the integer master re-solved by HiGHS. It is
        exact and agrees with the path above, but measured slower on every benchmark
        instance (``benchmarks/siting.md``), so ``auto`` does not choose it.

        Parameters
        ----------
        p
            Number of new sites to open (fixed sites are open in addition).
        k_nearest
            Initial candidate list length per demand.
        time_limit_s
            Time limit of the whole call (search and solves; a HiGHS solve that starts
            late still gets at least 1 s). On reaching it the best answer is returned with
            status ``time_limit`` and its proven bound and gap.
        mip_rel_gap
            Relative optimality gap at which HiGHS stops.
        method
            ``exact`` (HiGHS), ``benders`` (Benders decomposition), ``greedy``
            (heuristic), or ``auto`` (exact unless the candidate lists, demand ×
            ``k_nearest``, exceed ``MAX_EXACT_PAIRS`` entries, or HiGHS finds no answer in
            time). The exact paths never hold all demand × site distances of a point
            problem: lists come from a k-d tree.
        bound_first
            Try the heuristic and the Lagrangian bound before HiGHS (and fix sites by
            reduced cost); ``False`` goes straight to HiGHS.

        Returns
        -------
        SitingResult

        Raises
        ------
        ConfigError
            When ``p`` is negative.
        InfeasibleError
            When ``p`` exceeds the free candidates, or nothing would be open.
        """
        t0 = time.perf_counter()
        free = self._check_p(p, exact_p=True)
        return solve_p_median(
            self,
            p,
            free,
            t0,
            k_nearest=k_nearest,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            method=method,
            bound_first=bound_first,
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
        time_limit_s, mip_rel_gap
            As in :meth:`p_median` (the whole call within ``time_limit_s``).
        method
            ``exact`` (the model above in HiGHS), ``benders`` (Benders decomposition on
            the coverage classes, :mod:`~xuewei.planning.siting.benders_mclp`: classes are
            read in chunks, never the whole coverage matrix; Cordeau, Furini & Ljubić
            2019), ``greedy``, or ``auto``: ``benders`` for point problems with at least
            ``MIN_BENDERS_DEMAND`` (5,000) demand points, where it was measured faster,
            otherwise ``exact`` (unless the coverage exceeds ``MAX_EXACT_PAIRS`` pairs:
            ``greedy``).

        Returns
        -------
        SitingResult
            ``objective`` is the covered weight; uncovered demand is in ``unassigned``.

        Raises
        ------
        ConfigError
            When ``p`` is negative.
        InfeasibleError
            When ``p`` exceeds the free candidates, or nothing would be open.

        Examples
        --------
        >>> p = SitingProblem.from_cost_matrix([[0, 9], [9, 0], [1, 9]], [1, 5, 2])
        >>> p.mclp(1, radius_m=2).objective
        5.0
        """
        t0 = time.perf_counter()
        free = self._check_p(p, exact_p=True)
        return solve_mclp(
            self,
            p,
            free,
            t0,
            radius_m=radius_m,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            method=method,
        )

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
        ConfigError
            When ``p`` is negative.
        InfeasibleError
            When nothing would be open (``p`` = 0 and no fixed site).
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
        return solve_capacitated(
            self,
            p,
            free,
            t0,
            radius_m=radius_m,
            k_nearest=k_nearest,
            time_limit_s=time_limit_s,
            mip_rel_gap=mip_rel_gap,
            method=method,
        )

    # ------------------------------------------------------------------ shared

    def total_distance(self, open_: BoolArray) -> float:
        """Weighted distance of all demand to its nearest site among ``open_`` (a mask).

        The p-median objective of an answer: ``Σ weight × distance to the nearest open
        site``.

        Examples
        --------
        >>> p = SitingProblem.from_cost_matrix([[0, 3], [4, 0], [2, 2]], [1, 1, 1])
        >>> p.total_distance(np.array([True, False]))
        6.0
        """
        d, _ = self.geometry.nearest_open(np.flatnonzero(open_))
        return float(np.sum(self.weights * d))

    def _check_p(self, p: int, *, exact_p: bool) -> BoolArray:
        free = ~self.fixed
        if p < 0:
            raise ConfigError(f"p = {p}: the number of sites to open must be ≥ 0")
        if exact_p and p > int(free.sum()):
            raise InfeasibleError(
                f"p = {p} new sites asked for, but only {int(free.sum())} candidate sites are "
                "not already open; lower p or add candidate sites"
            )
        if p == 0 and not self.fixed.any():
            raise InfeasibleError("p = 0 and no fixed (existing) site: nothing would be open")
        return free


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
) -> tuple[BoolArray, FloatArray]:
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
