"""Bounds and starts for the capacitated model: its LP, a dive, and reduced-cost fixing.

Each phase of :func:`~xuewei.planning.siting.capacitated.solve_capacitated` is a MIP whose
time goes into HiGHS's branch and bound. Before it, :func:`bound_and_start` solves the
phase's LP relaxation once (the proven bound), builds answers from it — the LP's own site
choice, a dive (open the most-open site, re-solve warm, until the sites are whole) and the
caller's candidates (the greedy sites, the other phase's sites), each assigned exactly by
the same LP with the sites fixed — and keeps the best. When that answer meets the bound
within the gap, the phase is proven without a MIP; otherwise sites whose LP reduced cost
proves them out of every better answer are closed (:func:`closed_by_reduced_cost`) and the
MIP starts from the answer. Neither changes the optimum: the same model, the same gap.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from xuewei.planning.siting.geometry import BoolArray, FloatArray
from xuewei.planning.siting.highs import load_highs

__all__ = ["Start", "bound_and_start", "closed_by_reduced_cost"]

#: A site counts as open in an LP answer from this value on (and as closed up to 1 minus it).
_WHOLE = 1e-6


@dataclass(frozen=True)
class Start:
    """A phase's LP bound, its best answer found without branching, and the y reduced costs.

    ``x`` is ``None`` when no answer was found (then ``objective`` is inf). ``support``:
    the sites open (even a little) in the LP, in the answer or among the dive's.
    """

    bound: float
    objective: float
    x: FloatArray | None
    reduced_cost: FloatArray
    support: BoolArray


def bound_and_start(
    cost: FloatArray,
    a: sp.csc_array,
    rows: tuple[FloatArray, FloatArray],
    cols: tuple[FloatArray, FloatArray],
    m: int,
    candidates: list[BoolArray],
    *,
    deadline: float,
    primal: bool = False,
    gap: float = 0.0,
) -> Start:
    """Solve the LP relaxation (first ``m`` columns: the sites' y); try answers from it.

    ``candidates`` are site sets (masks over the ``m`` sites) to assign exactly; the LP's
    rounded sites and a dive are tried too; the dive is skipped when an answer meets the
    bound within ``gap`` (relative). ``primal``: primal simplex (faster on the flow-like
    phase 1), else dual simplex.
    """
    integer = np.zeros(a.shape[1], bool)
    options: dict[str, bool | int | float | str] = {"simplex_strategy": 4 if primal else 1}
    h = load_highs(cost, a, rows[0], rows[1], cols[0], cols[1], integer, options=options)
    if not _run(h, deadline):
        return Start(-math.inf, math.inf, None, np.zeros(m), np.zeros(m, bool))
    bound = float(h.getInfo().objective_function_value)
    sol = h.getSolution()
    reduced = np.asarray(sol.col_dual, dtype=np.float64)[:m].copy()
    y_lp = np.asarray(sol.col_value, dtype=np.float64)[:m].copy()
    basis = h.getBasis()
    lo, hi = cols[0][:m], cols[1][:m]
    best: tuple[float, FloatArray | None] = (math.inf, None)
    tried: set[bytes] = set()
    for y in [_whole(y_lp, lo, hi), *candidates]:
        if y is None or y.tobytes() in tried:
            continue
        tried.add(y.tobytes())
        found = _assign(h, y, lo, hi, deadline)
        if found is not None and found[0] < best[0]:
            best = found
    if best[1] is not None and best[0] - bound <= gap * max(abs(best[0]), 1.0):
        return Start(bound, best[0], best[1], reduced, y_lp > _WHOLE)
    h.setBasis(basis)
    dived = _dive(h, y_lp, lo, hi, deadline)
    if dived is not None and dived[0] < best[0]:
        best = dived
    support = y_lp > _WHOLE
    for x in (best[1], None if dived is None else dived[1]):
        if x is not None:
            support |= x[:m] > 0.5
    return Start(bound, best[0], best[1], reduced, support)


def closed_by_reduced_cost(
    start: Start, cols: tuple[FloatArray, FloatArray], keep: BoolArray
) -> BoolArray:
    """Sites whose LP reduced cost proves them out of every answer better than the start.

    Opening site ``j`` (at 0 in the LP, reduced cost ``r_j``) costs at least ``bound +
    r_j`` (LP duality); when that exceeds the start's objective (with a margin of 10⁻⁶ of
    it), no better answer opens ``j``. Sites of ``keep`` (the start's) and sites that must
    be open (lower bound 1) stay.
    """
    m = len(start.reduced_cost)
    margin = 1e-6 * max(abs(start.objective), 1.0)
    closed = (start.bound + start.reduced_cost > start.objective + margin) & ~keep
    return closed & (cols[1][:m] > 0) & (cols[0][:m] <= 0)


# ------------------------------------------------------------------ internals


def _run(h: highspy.Highs, deadline: float) -> bool:
    """Run the LP until ``deadline``; whether it ended optimal."""
    h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
    h.run()
    return bool(h.getModelStatus() == highspy.HighsModelStatus.kOptimal)


def _whole(y: FloatArray, lo: FloatArray, hi: FloatArray) -> BoolArray | None:
    """Return the LP's sites when they are whole (each y at 0 or 1), else ``None``."""
    if np.all((y <= _WHOLE) | (y >= 1.0 - _WHOLE)):
        return (y >= 1.0 - _WHOLE) & (hi > 0) | (lo > 0)
    return None


def _assign(
    h: highspy.Highs, y: BoolArray, lo: FloatArray, hi: FloatArray, deadline: float
) -> tuple[float, FloatArray] | None:
    """Solve the LP with the sites fixed to ``y`` (exact assignment); restore the bounds."""
    idx = np.arange(len(y), dtype=np.int32)
    val = y.astype(np.float64)
    h.changeColsBounds(len(idx), idx, val, val)
    try:
        if not _run(h, deadline):
            return None
        x = np.asarray(h.getSolution().col_value, dtype=np.float64)
        x[: len(y)] = val
        return float(h.getInfo().objective_function_value), x
    finally:
        h.changeColsBounds(len(idx), idx, lo.astype(np.float64), hi.astype(np.float64))


def _dive(
    h: highspy.Highs, y: FloatArray, lo: FloatArray, hi: FloatArray, deadline: float
) -> tuple[float, FloatArray] | None:
    """Open the most-open fractional site, re-solve warm, until the sites are whole.

    A site whose opening makes the LP infeasible is closed instead. Ties go to the lower
    site index. Bounds are restored after.
    """
    m = len(y)
    if not np.any((y > _WHOLE) & (y < 1.0 - _WHOLE)):
        return None  # the LP's own sites are whole: tried already
    cur_lo, cur_hi = lo.astype(np.float64).copy(), hi.astype(np.float64).copy()
    out: tuple[float, FloatArray] | None = None
    try:
        for _ in range(2 * m):
            frac = np.flatnonzero((y > _WHOLE) & (y < 1.0 - _WHOLE))
            if len(frac) == 0:
                x = np.asarray(h.getSolution().col_value, dtype=np.float64)
                x[:m] = np.where(y >= 1.0 - _WHOLE, 1.0, 0.0)
                out = (float(h.getInfo().objective_function_value), x)
                break
            j = int(frac[np.lexsort((frac, -y[frac]))[0]])
            whole = np.flatnonzero(y >= 1.0 - _WHOLE)
            cur_lo[whole] = 1.0
            cur_lo[j] = 1.0
            h.changeColsBounds(m, np.arange(m, dtype=np.int32), cur_lo, cur_hi)
            if not _run(h, deadline):
                if time.perf_counter() >= deadline:
                    break
                cur_lo[j], cur_hi[j] = 0.0, 0.0  # cannot open j with the others: close it
                h.changeColsBounds(m, np.arange(m, dtype=np.int32), cur_lo, cur_hi)
                if not _run(h, deadline):
                    break
            y = np.asarray(h.getSolution().col_value, dtype=np.float64)[:m]
    finally:
        h.changeColsBounds(
            m, np.arange(m, dtype=np.int32), lo.astype(np.float64), hi.astype(np.float64)
        )
    return out
