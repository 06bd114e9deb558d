"""The p-median: open ``p`` sites minimising the total weighted distance, proven optimal.

:func:`solve_p_median` runs the steps :meth:`SitingProblem.p_median
<xuewei.planning.siting.SitingProblem.p_median>` documents: a greedy answer improved by
local search (:mod:`~xuewei.planning.siting.local_search`), alternated with the Lagrangian
bound (:mod:`~xuewei.planning.siting.lagrangian`) until they meet; if they stall apart, the
shake search (:mod:`~xuewei.planning.siting.shake`), then HiGHS on the radius formulation
(:mod:`~xuewei.planning.siting.radius_model`), widening each demand's candidate list until
no answer reaches beyond it. ``method="benders"`` hands the swap-improved greedy answer to
Benders decomposition instead (:mod:`~xuewei.planning.siting.benders_pmedian`).
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from xuewei.errors import InfeasibleError
from xuewei.planning.siting.benders_pmedian import benders_p_median
from xuewei.planning.siting.geometry import BoolArray, FloatArray
from xuewei.planning.siting.lagrangian import lagrangian_bound
from xuewei.planning.siting.limits import (
    LAGRANGIAN_ITERS,
    LAGRANGIAN_ROUNDS,
    MAX_EXACT_PAIRS,
    MAX_HIGHS_ENTRIES,
    MAX_LAGRANGIAN_ENTRIES,
    MAX_SWAP_PAIRS,
    SEARCH_SHARE,
)
from xuewei.planning.siting.lists import CandidateLists
from xuewei.planning.siting.local_search import local_search, relocate, swap_dense, swap_lists
from xuewei.planning.siting.radius_model import solve_radius
from xuewei.planning.siting.result import Method, SitingResult, Solved, build_result
from xuewei.planning.siting.shake import shake_search

if TYPE_CHECKING:
    from xuewei.planning.siting.problem import SitingProblem

__all__ = ["greedy_p_median", "solve_p_median"]


def solve_p_median(
    problem: SitingProblem,
    p: int,
    free: BoolArray,
    t0: float,
    *,
    k_nearest: int,
    time_limit_s: float,
    mip_rel_gap: float,
    method: Method,
    bound_first: bool,
) -> SitingResult:
    """Answer :meth:`SitingProblem.p_median` (``free``: the sites that may be opened)."""
    n, m = problem.shape
    if method == "greedy" or (method == "auto" and n * min(m, k_nearest) > MAX_EXACT_PAIRS):
        open_ = greedy_p_median(problem, p, free)
        return _p_median_result(
            problem,
            open_,
            None,
            t0,
            "greedy heuristic (not exact): add the site that cuts the total distance most, p times",
        )
    k = max(1, min(k_nearest, m))
    lists = CandidateLists.build(problem.geometry, np.arange(n), k)
    # An upper bound (greedy, then relocation within clusters) and a Lagrangian lower
    # bound; sites whose reduced cost proves them out of (or in) every better answer
    # are fixed before HiGHS sees the model.
    best = relocate(problem, greedy_p_median(problem, p, free), free)
    deadline = t0 + time_limit_s
    if method == "benders":
        # Benders alone, from the swap-improved greedy answer (no Lagrangian passes)
        swapped = (
            swap_dense(problem, best, free)
            if n * m <= MAX_SWAP_PAIRS
            else swap_lists(problem, best, free, lists)
        )
        return _benders_result(
            problem, p, free, swapped, -np.inf, np.zeros(m, bool), t0, deadline, mip_rel_gap
        )
    if not bound_first:
        return _highs_rounds(
            problem,
            lists,
            p,
            free,
            best,
            None,
            None,
            -np.inf,
            t0,
            time_limit_s,
            mip_rel_gap,
            method,
        )
    # the whole call is bounded by time_limit_s: when HiGHS may follow the search, the
    # search leaves it a share of the time
    may_follow = method == "exact" or len(lists.site) <= MAX_HIGHS_ENTRIES
    search_end = t0 + (SEARCH_SHARE if may_follow else 1.0) * time_limit_s
    best, ub, lb, forced_out, forced_in = _bound_and_search(
        problem, lists, k, p, free, best, search_end, mip_rel_gap
    )
    if ub - lb <= mip_rel_gap * max(abs(ub), 1e-12):
        solved0 = Solved(best.astype(np.float64), ub, lb, (ub - lb) / max(ub, 1e-12), "optimal")
        return _p_median_result(
            problem, best, solved0, t0, "exact (Lagrangian bound meets the heuristic answer)"
        )
    if method == "auto":
        unsolved = _answer_without_highs(problem, lists, best, ub, lb, forced_out, t0)
        if unsolved is not None:
            return unsolved
    return _highs_rounds(
        problem,
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


def _bound_and_search(
    problem: SitingProblem,
    lists: CandidateLists,
    k: int,
    p: int,
    free: BoolArray,
    best: BoolArray,
    deadline: float,
    mip_rel_gap: float,
) -> tuple[BoolArray, float, float, BoolArray, BoolArray]:
    """Swap, then alternate Lagrangian bound and local search, then shake, until ``deadline``.

    Returns the best answer, its objective (upper bound), the best lower bound, and the
    sites fixed out and in by reduced cost.
    """
    n, m = problem.shape
    # longer lists (built with ``k`` nearest) make a stronger bound: about 4 × the sites
    # per open school
    k_lag = min(m, max(k, math.ceil(4 * m / max(p + int(problem.fixed.sum()), 1))))
    lag_lists = (
        lists
        if k_lag == k or n * k_lag > MAX_LAGRANGIAN_ENTRIES
        else CandidateLists.build(problem.geometry, np.arange(n), k_lag)
    )
    if n * m <= MAX_SWAP_PAIRS:
        best = swap_dense(problem, best, free)
    else:
        best = swap_lists(problem, best, free, lag_lists)
    ub = problem.total_distance(best)

    # Alternate bound and answer: the Lagrangian's own answer, improved by local search
    # among the sites its reduced costs leave alive, is usually the optimum (a single
    # greedy + swap run can stall 2 % above it); a better upper bound in turn sharpens
    # the subgradient steps and the fixing. Stop when they meet or the answer stalls.
    lam: FloatArray | None = None
    lb = -np.inf
    forced_out = np.zeros(m, bool)
    forced_in = np.zeros(m, bool)
    for round_ in range(LAGRANGIAN_ROUNDS):
        if round_ and time.perf_counter() > deadline:
            break
        lb_k, forced_out, forced_in, y_lag, lam, _ = lagrangian_bound(
            problem, lag_lists, p, free, ub, iters=LAGRANGIAN_ITERS, lam0=lam, tol=mip_rel_gap
        )
        gap_before = ub - lb
        lb = max(lb, lb_k)
        if ub - lb <= mip_rel_gap * max(abs(ub), 1e-12):
            break
        alive = free & ~forced_out
        improved = False
        for y0 in (y_lag, best):
            cand = local_search(problem, y0, free, alive, lag_lists)
            value = problem.total_distance(cand)
            if value < ub - 1e-9 * max(abs(ub), 1.0):
                best, ub, improved = cand, value, True
        if not improved and ub - lb > 0.9 * gap_before:
            break  # neither side moves: shake the answer, then leave the rest to HiGHS
    if ub - lb > mip_rel_gap * max(abs(ub), 1e-12):
        best, ub, lb, forced_out, forced_in = shake_search(
            problem,
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
            deadline=deadline,
        )
    return best, ub, lb, forced_out, forced_in


def _answer_without_highs(
    problem: SitingProblem,
    lists: CandidateLists,
    best: BoolArray,
    ub: float,
    lb: float,
    forced_out: BoolArray,
    t0: float,
) -> SitingResult | None:
    """Return the answer and its proven gap when HiGHS would not help (``None``: try it).

    HiGHS on the radius model moves neither side when the model is large (at 20,000 ×
    2,000: 640,000 rows, two 120 s solves without a better answer or bound;
    benchmarks/siting.md): above ``MAX_HIGHS_ENTRIES`` list entries at sites not ruled
    out, the answer is returned with its proven gap.
    """
    alive_entries = int(np.count_nonzero(~forced_out[lists.site]))
    if alive_entries <= MAX_HIGHS_ENTRIES:
        return None
    gap = (ub - lb) / max(abs(ub), 1e-12)
    solved1 = Solved(best.astype(np.float64), ub, lb, gap, "time_limit")
    return _p_median_result(
        problem,
        best,
        solved1,
        t0,
        "search limit reached: swap/shake search answer, Lagrangian bound; HiGHS not "
        f"tried ({alive_entries:,} list entries at sites not ruled out, above "
        f"{MAX_HIGHS_ENTRIES:,}); method='exact' tries it",
    )


def _benders_result(
    problem: SitingProblem,
    p: int,
    free: BoolArray,
    best: BoolArray,
    lb: float,
    forced_out: BoolArray,
    t0: float,
    deadline: float,
    mip_rel_gap: float,
) -> SitingResult:
    """Run Benders decomposition from an answer and a bound; state optimal or the gap."""
    ans = benders_p_median(
        problem, p, free, best, lb, forced_out, deadline=deadline, mip_rel_gap=mip_rel_gap
    )
    status = "optimal" if ans.optimal else "time_limit"
    gap = (ans.ub - ans.lb) / max(abs(ans.ub), 1e-12)
    solved = Solved(ans.best.astype(np.float64), ans.ub, ans.lb, gap, status)
    note = ans.note if ans.optimal else f"time limit reached: {ans.note}"
    return _p_median_result(problem, ans.best, solved, t0, note, method="benders")


def _highs_rounds(
    problem: SitingProblem,
    lists: CandidateLists,
    p: int,
    free: BoolArray,
    best: BoolArray,
    forced_out: BoolArray | None,
    forced_in: BoolArray | None,
    lb: float,
    t0: float,
    time_limit_s: float,
    mip_rel_gap: float,
    method: Method,
) -> SitingResult:
    """Solve the radius formulation with HiGHS, widening lists until none is cut."""
    _, m = problem.shape
    ub = problem.total_distance(best)
    start: BoolArray | None = best
    rounds = 0
    while True:
        rounds += 1
        solved = solve_radius(
            problem,
            lists,
            p,
            free,
            start,
            max(t0 + time_limit_s - time.perf_counter(), 1.0),
            mip_rel_gap,
            forced_out,
            forced_in,
        )
        if solved is not None and solved.status != "optimal":
            # keep the better of HiGHS's incumbent and the heuristic; the bound holds
            if problem.total_distance(solved.x[:m] > 0.5) > ub:
                x = np.zeros_like(solved.x)
                x[:m] = best
                solved = Solved(x, ub, max(solved.bound, lb), solved.gap, solved.status)
            else:
                solved = Solved(
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
            open_ = greedy_p_median(problem, p, free)
            return _p_median_result(
                problem,
                open_,
                None,
                t0,
                "greedy heuristic (not exact): HiGHS found no answer in the time limit",
            )
        open_ = solved.x[:m] > 0.5
        d_open, _ = problem.geometry.nearest_open(np.flatnonzero(open_))
        beyond = (d_open > lists.reach + 1e-9) & ~lists.complete
        if not beyond.any():
            note = (
                f"exact (HiGHS, radius formulation, {rounds} round(s); candidate lists "
                f"{int(lists.sizes.min())}–{int(lists.sizes.max())} sites per demand)"
            )
            return _p_median_result(problem, open_, solved, t0, note)
        rows = np.flatnonzero(beyond)
        lists = lists.widen(problem.geometry, rows, d_open[rows])
        start = open_


def greedy_p_median(problem: SitingProblem, p: int, free: BoolArray) -> BoolArray:
    """Open ``p`` free sites one at a time, each cutting the total distance most."""
    n, m = problem.shape
    k = min(m, 64)
    lists = CandidateLists.build(problem.geometry, np.arange(n), k)
    row_of = np.repeat(np.arange(n), np.diff(lists.ptr))
    open_ = problem.fixed.copy()
    if open_.any():
        best, _ = problem.geometry.nearest_open(np.flatnonzero(open_))
        best = np.minimum(best, np.where(lists.complete, np.inf, lists.next_dist))
    else:
        best = np.where(lists.complete, lists.dist[lists.ptr[1:] - 1] * 2 + 1, lists.next_dist)
    w = problem.weights
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
    problem: SitingProblem,
    open_: BoolArray,
    solved: Solved | None,
    t0: float,
    note: str,
    method: str = "highs",
) -> SitingResult:
    d, j = problem.geometry.nearest_open(np.flatnonzero(open_))
    objective = float(np.sum(problem.weights * d))
    assignment = pd.DataFrame(
        {
            "demand_id": problem.demand_ids.to_numpy(),
            "site_id": problem.site_ids.to_numpy()[j],
            "weight": problem.weights,
            "distance_m": d,
        }
    )
    return build_result(
        problem,
        "p_median",
        open_,
        assignment,
        objective,
        solved,
        t0,
        note,
        unassigned=0.0,
        method=method,
    )
