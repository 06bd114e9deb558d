"""Variable neighbourhood search for the p-median, when swaps stall above the bound.

Swap local search stops in a local optimum. :func:`shake_search` escapes it: it shakes the
answer (exchanges a few open sites at random, :func:`shake`), descends again through the
whole swap neighbourhood, keeps the result if it is better and undoes it otherwise; each
clearly better answer is followed by a warm-started Lagrangian pass that lifts the bound
and rules out more sites. Seeded, so the same inputs give the same answer.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from xuewei.planning.siting.geometry import BoolArray, FloatArray
from xuewei.planning.siting.interchange import Interchange
from xuewei.planning.siting.lagrangian import lagrangian_bound
from xuewei.planning.siting.limits import LAGRANGIAN_ITERS, SHAKE_PATIENCE
from xuewei.planning.siting.lists import CandidateLists

if TYPE_CHECKING:
    from xuewei.planning.siting.problem import SitingProblem

__all__ = ["shake", "shake_search"]


def shake_search(
    problem: SitingProblem,
    best: BoolArray,
    ub: float,
    lb: float,
    lam: FloatArray | None,
    lists: CandidateLists,
    p: int,
    free: BoolArray,
    forced_out: BoolArray,
    forced_in: BoolArray,
    tol: float,
    deadline: float,
) -> tuple[BoolArray, float, float, BoolArray, BoolArray]:
    """Variable neighbourhood search on the answer; the bound re-tightened after gains.

    Swap local search stops in a local optimum (at 20,000 × 2,000 about 1 % above the
    bound). Shaking it — close ``s`` open sites at random (s = 1, 2, 3, back to 1 after a
    gain) and open for each a site from the candidate list of one of its demand points —
    then descending again through the whole swap neighbourhood escapes it. Shakes and
    descents are swaps of one :class:`Interchange`, so a shake costs milliseconds, and
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
    state = Interchange(problem.geometry, problem.weights, lists, best, movable, free & ~forced_out)
    state.descend()
    if state.value < ub - 1e-9 * max(abs(ub), 1.0):
        best, ub = state.open_.copy(), problem.total_distance(state.open_)
    fails, s, ub_pass = 0, 1, ub
    while fails < SHAKE_PATIENCE and time.perf_counter() < deadline:
        snap = state.snapshot()
        if not shake(state, lists, s, rng):
            break
        state.descend()
        if not state.value < ub - 1e-9 * max(abs(ub), 1.0):
            state.restore(snap)
            fails, s = fails + 1, s % 3 + 1
            continue
        value = problem.total_distance(state.open_)  # the running sums are checked, not trusted
        if not value < ub - 1e-9 * max(abs(ub), 1.0):
            state.restore(snap)
            fails, s = fails + 1, s % 3 + 1
            continue
        best, ub, fails, s = state.open_.copy(), value, 0, 1
        # a pass costs as much as hundreds of shakes and lifts the bound little: run
        # one only when the answer has closed a quarter of the gap since the last one
        if ub_pass - ub >= 0.25 * (ub_pass - lb):
            lb, lam = _fix_pass(problem, lists, p, free, ub, lb, lam, tol, forced_out, forced_in)
            state.allowed = free & ~forced_out
            ub_pass = ub
            if ub - lb <= tol * max(abs(ub), 1e-12):
                break
    if ub < ub_pass:
        lb, lam = _fix_pass(problem, lists, p, free, ub, lb, lam, tol, forced_out, forced_in)
    return best, ub, lb, forced_out, forced_in


def shake(state: Interchange, lists: CandidateLists, s: int, rng: np.random.Generator) -> bool:
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
    problem: SitingProblem,
    lists: CandidateLists,
    p: int,
    free: BoolArray,
    ub: float,
    lb: float,
    lam: FloatArray | None,
    tol: float,
    forced_out: BoolArray,
    forced_in: BoolArray,
) -> tuple[float, FloatArray]:
    """One warm-started Lagrangian pass against ``ub``; adds its fixings in place."""
    lb_k, out_k, in_k, _, lam_k, _ = lagrangian_bound(
        problem, lists, p, free, ub, iters=LAGRANGIAN_ITERS, lam0=lam, tol=tol
    )
    forced_out |= out_k
    forced_in |= in_k
    return max(lb, lb_k), lam_k
