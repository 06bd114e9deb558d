"""Benders decomposition for the p-median (Duran-Mateluna, Ales & Elloumi 2023, EJOR).

The assignment variables are projected out: the master keeps the sites ``y`` and one
variable ``θᵢ`` per demand (its distance to the nearest open site), and learns ``θ`` through
optimality cuts. For demand ``i`` with sorted distinct distances ``D⁰ < D¹ < …``, every level
``Dᵏ`` gives the valid cut ``θᵢ ≥ Dᵏ − Σ_{j: dᵢⱼ < Dᵏ} (Dᵏ − dᵢⱼ) yⱼ``; for a given ``y`` the
subproblem is solved in closed form by taking the first level at which the open share of
the nearer sites reaches 1 (:func:`cut_levels`), so separation is a sort-free pass over each
demand's candidate list. Cuts are added lazily: first on the LP relaxation (Kelley's cutting
planes, stabilised by separating at a point between the LP answer and an interior "core"
point — in-out), then on the integer master, re-solved by HiGHS with the accumulated cuts
until the answer's true distance meets the master's bound. HiGHS 1.16 offers no usable
lazy-constraint callback (``kCallbackMipDefineLazyConstraints`` is declared but its input
carries no cut), hence the re-solves. Sites a Lagrangian or LP reduced cost rules out are
fixed closed before the integer phase. A cut read from a truncated list (no open share 1
within it) stops at the first distance beyond the list, which keeps it valid; lists are
widened where an answer reaches beyond them.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import highspy
import numpy as np

from xuewei.planning.siting.geometry import BoolArray, FloatArray, IntArray
from xuewei.planning.siting.highs import new_highs, run_until
from xuewei.planning.siting.lists import CandidateLists

if TYPE_CHECKING:
    from xuewei.planning.siting.problem import SitingProblem

__all__ = ["BendersAnswer", "benders_p_median", "cut_levels"]

#: Most Kelley (LP) rounds, and the relative LP gap at which the LP phase stops.
LP_ROUNDS = 300
LP_TOL = 1e-7
#: Cuts held in the master before slack ones are dropped: this many per demand.
CUTS_PER_DEMAND = 4
#: Most cuts added per LP round, as a share of the demand rows (the most violated first).
#: All violated cuts at once made each dual simplex re-solve take thousands of iterations;
#: a tenth brought 5,000 × 500 from 41 s to 19 s (``benchmarks/siting.md``).
CUT_SHARE = 0.1


@dataclass
class BendersAnswer:
    """What the decomposition returns: the answer, its value, the proven bound, a note."""

    best: BoolArray
    ub: float
    lb: float
    optimal: bool
    note: str
    rounds: dict[str, int] = field(default_factory=dict)


def cut_levels(
    lists: CandidateLists, row_of: IntArray, y: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Solve every demand's subproblem in closed form at a (fractional) site vector ``y``.

    Returns, per demand, the level ``D`` of its deepest cut at ``y`` (the first listed
    distance at which the open share of the sites up to it reaches 1; the first distance
    beyond the list when it never does), per list entry the cut coefficient ``D − dᵢⱼ`` of
    the sites nearer than ``D`` (0 otherwise), and per demand the subproblem value
    ``D − Σ coef · y`` (its distance to the nearest open site when ``y`` is 0/1).

    Examples
    --------
    One demand with sites at 1, 2 and 4 m; half of the first two sites open:

    >>> from xuewei.planning.siting.lists import CandidateLists
    >>> lists = CandidateLists(np.array([0, 3]), np.array([0, 1, 2]),
    ...                        np.array([1.0, 2.0, 4.0]), np.array([np.inf]),
    ...                        np.array([True]))
    >>> d, coef, value = cut_levels(lists, np.zeros(3, np.int64), np.array([0.5, 0.5, 1.0]))
    >>> d.tolist(), coef.tolist(), value.tolist()
    ([2.0], [1.0, 0.0, 0.0], [1.5])
    """
    nrow = len(lists.ptr) - 1
    yv = y[lists.site]
    cs = np.cumsum(yv)
    before = np.r_[0.0, cs[lists.ptr[1:-1] - 1]]
    cum = cs - np.repeat(before, lists.sizes)
    big = len(yv)
    idx = np.where(cum >= 1.0 - 1e-9, np.arange(big), big)
    first = np.minimum.reduceat(idx, lists.ptr[:-1])
    beyond = np.where(lists.complete, lists.reach, lists.next_dist)
    level = np.where(first < big, lists.dist[np.minimum(first, big - 1)], beyond)
    lv = level[row_of]
    coef = np.where(lists.dist < lv, lv - lists.dist, 0.0)
    value = level - np.bincount(row_of, weights=coef * yv, minlength=nrow)
    return level.astype(np.float64), coef.astype(np.float64), value.astype(np.float64)


class _Master:
    """The master problem in HiGHS: columns ``y`` (m) and ``θ`` (one per listed demand)."""

    def __init__(
        self,
        m: int,
        w: FloatArray,
        lists: CandidateLists,
        free: BoolArray,
        fixed: BoolArray,
        p: int,
    ) -> None:
        self.m, self.nrow = m, len(w)
        h = new_highs()
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("threads", 1)
        # cuts are added between solves: keep the basis (dual simplex warm start)
        h.setOptionValue("presolve", "off")
        lo = np.r_[fixed.astype(np.float64), lists.dist[lists.ptr[:-1]]]
        hi = np.r_[np.where(free | fixed, 1.0, 0.0), np.full(self.nrow, np.inf)]
        ncol = m + self.nrow
        h.addCols(
            ncol,
            np.r_[np.zeros(m), w],
            lo,
            hi,
            0,
            np.zeros(ncol, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0),
        )
        idx = np.flatnonzero(free).astype(np.int32)
        h.addRow(float(p), float(p), len(idx), idx, np.ones(len(idx)))
        self.h = h
        self.row_demand: list[IntArray] = [np.array([-1])]

    def add_cuts(
        self,
        lists: CandidateLists,
        row_of: IntArray,
        level: FloatArray,
        coef: FloatArray,
        rows: IntArray,
    ) -> None:
        """Add the cuts ``θᵢ + Σ coef yⱼ ≥ Dᵢ`` of the demand ``rows`` (ascending)."""
        if len(rows) == 0:
            return
        pick = np.zeros(self.nrow, bool)
        pick[rows] = True
        sel = (coef > 0) & pick[row_of]
        r = np.concatenate([row_of[sel], rows])
        j = np.concatenate([lists.site[sel], self.m + rows])
        c = np.concatenate([coef[sel], np.ones(len(rows))])
        order = np.argsort(r, kind="stable")
        counts = np.bincount(r, minlength=self.nrow)[rows]
        starts = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int32)
        self.h.addRows(
            len(rows),
            level[rows].astype(np.float64),
            np.full(len(rows), np.inf),
            len(c),
            starts,
            j[order].astype(np.int32),
            c[order].astype(np.float64),
        )
        self.row_demand.append(rows)

    def drop_slack(self, tol: float) -> None:
        """Delete the cuts that are not tight at the current answer (LP or MIP)."""
        sol = self.h.getSolution()
        value = np.asarray(sol.row_value, dtype=np.float64)
        lo = np.asarray(self.h.getLp().row_lower_, dtype=np.float64)
        slack = value - lo > tol * np.maximum(1.0, np.abs(lo))
        slack[0] = False
        drop = np.flatnonzero(slack).astype(np.int32)
        if len(drop):
            self.h.deleteRows(len(drop), drop)

    def solve(self, deadline: float) -> tuple[str, FloatArray, float, float]:
        """Run HiGHS until ``deadline``; return status, column values, objective, bound."""
        return run_until(self.h, deadline)


def benders_p_median(
    problem: SitingProblem,
    p: int,
    free: BoolArray,
    best: BoolArray,
    lb: float,
    forced_out: BoolArray,
    *,
    deadline: float,
    mip_rel_gap: float,
) -> BendersAnswer:
    """Prove (or improve) a p-median answer by Benders decomposition, until ``deadline``.

    ``best`` is the incumbent (a heuristic answer), ``lb`` a known lower bound (e.g. the
    Lagrangian's, ``-inf`` if none) and ``forced_out`` the sites already proven closed in
    every answer better than ``best``. Returns the best answer, its objective, the proven
    bound and whether the two meet within ``mip_rel_gap``.
    """
    m = problem.shape[1]
    w = problem.weights
    act = np.flatnonzero(w > 0)
    ub = problem.total_distance(best)
    if len(act) == 0:
        return BendersAnswer(best, ub, ub, True, "no demand weight", {})
    n_open = p + int(problem.fixed.sum())
    k = min(m, max(32, math.ceil(4 * m / max(n_open, 1))))
    lists = CandidateLists.build(problem.geometry, act, k)
    row_of = np.repeat(np.arange(len(act)), lists.sizes)
    allowed = free & ~forced_out
    master = _Master(m, w[act], lists, allowed, problem.fixed, p)
    lp_lb, rounds = _lp_phase(master, lists, row_of, best, allowed, problem.fixed, p, deadline)
    # every demand goes at least to its nearest site: a bound even when time ran out
    lb = max(lb, lp_lb, float(w[act] @ lists.dist[lists.ptr[:-1]]))
    if ub - lb <= mip_rel_gap * abs(ub):
        return BendersAnswer(best, ub, min(lb, ub), True, "LP bound meets the answer", rounds)
    if master.h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        _fix_by_reduced_cost(master, m, ub)
        master.drop_slack(1e-9)
    h = master.h
    cols = np.flatnonzero(allowed).astype(np.int32)
    h.changeColsIntegrality(
        len(cols), cols, np.full(len(cols), int(highspy.HighsVarType.kInteger), np.uint8)
    )
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    h.setOptionValue("mip_lp_solver", "simplex")
    mip_rounds = 0
    while time.perf_counter() < deadline:
        mip_rounds += 1
        _set_start(master, problem, best, act)
        status, x, _, bound = master.solve(deadline)
        if status == "none":
            break
        lb = max(lb, bound)
        y = x[:m] > 0.5
        value = problem.total_distance(y)
        if value < ub:
            best, ub = y, value
        if ub - lb <= mip_rel_gap * abs(ub):
            break
        level, coef, sub = cut_levels(lists, row_of, y.astype(np.float64))
        d_open, _ = problem.geometry.nearest_open(np.flatnonzero(y))
        short = d_open[act] > sub + 1e-9 * np.maximum(1.0, d_open[act])
        if short.any():
            # the answer reaches beyond some lists: widen them, then cut with the true level
            lists = lists.widen(problem.geometry, np.flatnonzero(short), d_open[act][short])
            row_of = np.repeat(np.arange(len(act)), lists.sizes)
            level, coef, sub = cut_levels(lists, row_of, y.astype(np.float64))
        theta = x[m:]
        viol = np.flatnonzero(sub > theta + 1e-7 * np.maximum(1.0, sub))
        if len(viol) == 0:
            break
        master.add_cuts(lists, row_of, level, coef, viol)
    rounds["mip"] = mip_rounds
    lb = min(lb, ub)
    optimal = ub - lb <= mip_rel_gap * abs(ub)
    note = (
        f"Benders decomposition (HiGHS master: {rounds['lp']} LP rounds, {mip_rounds} MIP "
        f"rounds; candidate lists {int(lists.sizes.min())}–{int(lists.sizes.max())} sites)"
    )
    return BendersAnswer(best, ub, lb, optimal, note, rounds)


def _lp_phase(
    master: _Master,
    lists: CandidateLists,
    row_of: IntArray,
    best: BoolArray,
    allowed: BoolArray,
    fixed: BoolArray,
    p: int,
    deadline: float,
) -> tuple[float, dict[str, int]]:
    """Kelley's cutting planes on the LP master, with in-out stabilisation.

    The master starts without cuts (each ``θᵢ`` at its nearest distance); the cuts are
    separated at the midpoint of the LP answer and a core point (itself moved
    halfway towards each LP answer, starting between the incumbent and the uniform point);
    when that midpoint yields no cut violated by the LP answer, at the LP answer itself.
    At most ``CUT_SHARE`` of the demand rows get a cut per round, the most violated.
    Returns the LP bound (a lower bound of the p-median) and the number of rounds.
    """
    m, nrow = master.m, master.nrow
    w = np.asarray(master.h.getLp().col_cost_, dtype=np.float64)[m:]
    uniform = np.where(allowed, p / max(int(allowed.sum()), 1), 0.0) + fixed
    core = 0.5 * best + 0.5 * uniform
    lb, history, rounds = -math.inf, [], 0
    while rounds < LP_ROUNDS and time.perf_counter() < deadline:
        rounds += 1
        status, x, obj, _ = master.solve(deadline)
        if status != "optimal":
            break
        lb = max(lb, obj)
        history.append(lb)
        y, theta = x[:m], x[m:]
        level_y, coef_y, value_y = cut_levels(lists, row_of, y)
        upper = float(w @ value_y)
        tailing = len(history) > 8 and history[-1] - history[-9] <= LP_TOL * abs(upper)
        if upper - lb <= LP_TOL * abs(upper) or tailing:
            break
        core = 0.5 * (core + y)
        level, coef, _ = cut_levels(lists, row_of, 0.5 * (core + y))
        at_y = level - np.bincount(row_of, weights=coef * y[lists.site], minlength=nrow)
        viol = np.flatnonzero(at_y > theta + 1e-7 * np.maximum(1.0, level))
        depth = at_y
        if len(viol) < nrow // 100:
            level, coef, depth = level_y, coef_y, value_y
            viol = np.flatnonzero(value_y > theta + 1e-7 * np.maximum(1.0, level_y))
        if len(viol) == 0:
            break
        cap = max(int(CUT_SHARE * nrow), 100)
        if len(viol) > cap:
            # only the most violated cuts (weighted): each re-solve stays short
            worst = np.argsort(-w[viol] * (depth[viol] - theta[viol]), kind="stable")[:cap]
            viol = np.sort(viol[worst])
        if master.h.getNumRow() > CUTS_PER_DEMAND * nrow:
            master.drop_slack(1e-9)
        master.add_cuts(lists, row_of, level, coef, viol)
    return lb, {"lp": rounds}


def _fix_by_reduced_cost(master: _Master, m: int, ub: float) -> None:
    """Close the sites whose LP reduced cost lifts the bound above the incumbent.

    Called only right after an optimal LP solve (the duals belong to the current cuts).
    """
    h = master.h
    lp_lb = float(h.getInfo().objective_function_value)
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=np.float64)[:m]
    dj = np.asarray(sol.col_dual, dtype=np.float64)[:m]
    out = np.flatnonzero((x < 1e-9) & (lp_lb + dj > ub * (1 + 1e-9)))
    if len(out):
        h.changeColsBounds(len(out), out.astype(np.int32), np.zeros(len(out)), np.zeros(len(out)))


def _set_start(master: _Master, problem: SitingProblem, best: BoolArray, act: IntArray) -> None:
    """Give HiGHS the incumbent (θ at its true distances, which satisfy every cut)."""
    d_open, _ = problem.geometry.nearest_open(np.flatnonzero(best))
    sol = highspy.HighsSolution()
    sol.col_value = list(np.r_[best.astype(np.float64), d_open[act]])
    sol.value_valid = True
    master.h.setSolution(sol)
