"""The one place HiGHS is called: a sparse MIP (or LP) in, a :class:`Solved` answer out.

Every exact model of siting is written as ``min cost·x`` subject to ``row_lo ≤ A x ≤
row_hi``, column bounds and integrality, with ``A`` a ``scipy.sparse`` matrix, and passed to
HiGHS (``highspy``) directly — no modelling layer. The solve is single-threaded with a
fixed random seed, so the same model gives the same answer.
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time

import highspy
import numpy as np
import scipy.sparse as sp

from xuewei.errors import InfeasibleError
from xuewei.planning.siting.geometry import BoolArray, FloatArray
from xuewei.planning.siting.result import Solved

__all__ = ["load_highs", "new_highs", "run_until", "solve_highs"]

_BANNER_LOCK = threading.Lock()
_banner_done = False


def new_highs() -> highspy.Highs:
    """Return a silent ``Highs``.

    HiGHS prints a banner to the C-level stdout when the first ``Highs`` of a process is
    made, before any option can switch output off. Results go to stdout and chatter to
    stderr, so that first instance is made with stdout sent to the null device.
    """
    global _banner_done
    with _BANNER_LOCK:
        if not _banner_done:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with open(os.devnull, "w") as null:
                    os.dup2(null.fileno(), 1)
                    highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _banner_done = True
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    return h


def solve_highs(
    cost: FloatArray,
    a: sp.csc_array,
    row_lo: FloatArray,
    row_hi: FloatArray,
    col_lo: FloatArray,
    col_hi: FloatArray,
    integer: BoolArray,
    *,
    time_limit_s: float,
    mip_rel_gap: float,
    start: FloatArray | None = None,
    options: dict[str, bool | int | float | str] | None = None,
) -> Solved | None:
    """Solve ``min cost·x`` s.t. ``row_lo ≤ A x ≤ row_hi``, bounds, integrality, by HiGHS.

    Returns ``None`` when HiGHS stops without a feasible answer (time limit); raises
    :class:`InfeasibleError` when the model is infeasible.
    """
    h = load_highs(cost, a, row_lo, row_hi, col_lo, col_hi, integer, options=options)
    h.setOptionValue("time_limit", float(time_limit_s))
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    is_mip = bool(integer.any())
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
    return Solved(x, objective, bound, gap, label)


def load_highs(
    cost: FloatArray,
    a: sp.csc_array,
    row_lo: FloatArray,
    row_hi: FloatArray,
    col_lo: FloatArray,
    col_hi: FloatArray,
    integer: BoolArray,
    *,
    options: dict[str, bool | int | float | str] | None = None,
) -> highspy.Highs:
    """Return a silent, single-threaded, seeded ``Highs`` holding ``min cost·x`` s.t. the rows.

    The model is loaded, not solved: callers change bounds and re-run it warm.
    """
    h = new_highs()
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
    return h


def run_until(
    h: highspy.Highs, deadline: float, *, sign: float = 1.0
) -> tuple[str, FloatArray, float, float]:
    """Run a loaded model until ``deadline`` (``time.perf_counter``); read its answer.

    Returns the status (``optimal``, ``time_limit`` with a feasible answer, else ``none``),
    the column values, the objective and the proven bound, both times ``sign`` (``-1`` for
    a maximisation stated as the minimisation of the negated objective). An LP's bound is
    its objective once optimal; without an answer the bound is the worst one, ``-sign·∞``.
    """
    h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    none = -sign * math.inf
    if status == highspy.HighsModelStatus.kOptimal:
        label = "optimal"
    elif info.primal_solution_status == 2:
        label = "time_limit"
    else:
        return "none", x, math.nan, none
    obj = sign * float(info.objective_function_value)
    integrality = h.getLp().integrality_
    if integrality is not None and len(integrality) > 0:
        return label, x, obj, sign * float(info.mip_dual_bound)
    return label, x, obj, obj if label == "optimal" else none
