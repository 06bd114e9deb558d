"""Capacitated siting: open at most ``p`` sites to serve the most demand that fits, nearest.

Each site holds ``capacity`` places (a new school its standard size, an existing school its
spare places) and a demand point may be split between sites. The model — ``y`` per site,
a flow ``x`` per allowed (demand, site) pair, ``u`` per demand for what does not fit — is
built as a ``scipy.sparse`` matrix and solved lexicographically in two HiGHS solves: first
the least unassigned weight, then, keeping that, the least weighted distance. Demand that
fits nowhere is reported, never forced. :func:`greedy_capacitated` is the heuristic.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from xuewei.errors import InfeasibleError, InputError, Problem
from xuewei.planning.siting.capacitated_search import (
    Start,
    bound_and_start,
    closed_by_reduced_cost,
)
from xuewei.planning.siting.geometry import BoolArray, FloatArray, IntArray
from xuewei.planning.siting.highs import solve_highs
from xuewei.planning.siting.limits import MAX_EXACT_PAIRS
from xuewei.planning.siting.result import Method, SitingResult, Solved, build_result

if TYPE_CHECKING:
    from xuewei.planning.siting.problem import SitingProblem

__all__ = ["allowed_pairs", "greedy_capacitated", "solve_capacitated", "split_weights"]

#: HiGHS options of both phases: no sub-MIP or rounding heuristics (RINS, RENS, reduced-cost
#: fixing at the root, ZI rounding, shifting). They change how fast HiGHS proves the
#: optimum, not the optimum: on the Changsha models they took most of the time (3-6x
#: slower with them, benchmarks/siting.md), because the flow LP's own vertices and the
#: phase-1 start are good answers already and the work is in the bound.
CAPACITATED_HIGHS_OPTIONS: dict[str, bool | int | float | str] = {
    "mip_heuristic_run_rins": False,
    "mip_heuristic_run_rens": False,
    "mip_heuristic_run_root_reduced_cost": False,
    "mip_heuristic_run_zi_round": False,
    "mip_heuristic_run_shifting": False,
}

#: Sites from which phase 1 tries the MIP on the LP's support before the full MIP. Below
#: this the full MIP takes under a second on the Changsha plan's models and the detour,
#: where it does not prove the optimum, costs 0.1-0.2 s (the demo's run_plan 4 % slower
#: without this floor); above it, phase 1 of the plan without candidate sites (368-994
#: sites a model) is up to 3x faster (benchmarks/siting.md).
SUPPORT_FIRST_MIN_SITES = 350

#: Added when HiGHS gets a start (phase 2, after reduced-cost fixing): no dominated-column
#: reductions in presolve — with them, HiGHS 1.16 values the start wrongly in its reduced
#: model (on one model of the Changsha plan 114.78 pupils below cost·x) and prunes with
#: that value — and no restart (the sites the root could fix are closed already).
_WITH_START: dict[str, bool | int | float | str] = {
    "presolve_rule_off": 1 << 5,
    "mip_allow_restart": False,
}


def solve_capacitated(
    problem: SitingProblem,
    p: int,
    free: BoolArray,
    t0: float,
    *,
    radius_m: float | None,
    k_nearest: int | None,
    time_limit_s: float,
    mip_rel_gap: float,
    method: Method,
) -> SitingResult:
    """Answer :meth:`SitingProblem.capacitated` (``free``: the sites that may be opened)."""
    cap = problem.capacity
    bad = np.flatnonzero(np.isnan(cap) | (cap < 0))
    if len(bad):
        raise InputError(
            [
                Problem(
                    "sites",
                    f"site {problem.site_ids[int(j)]}: capacity {cap[j]}; capacitated siting "
                    "needs places ≥ 0 for every site",
                    row=int(j) + 1,
                    column="capacity",
                )
                for j in bad
            ]
        )
    pairs = allowed_pairs(problem, radius_m, k_nearest)
    if method == "greedy" or (method == "auto" and pairs.nnz > MAX_EXACT_PAIRS):
        open_ = greedy_capacitated(problem, pairs, p, free)
        note = "greedy heuristic (not exact): sites opened by demand served, then an exact "
        return _assign_fixed(problem, open_, pairs, t0, note + "assignment (LP)")
    solved = _solve_two_phases(problem, pairs, p, free, time_limit_s, mip_rel_gap, None)
    if solved is None:
        if method == "exact":
            raise InfeasibleError(
                f"capacitated siting: HiGHS found no answer within {time_limit_s} s"
            )
        open_ = greedy_capacitated(problem, pairs, p, free)
        note = "greedy heuristic (not exact): HiGHS found no answer in the time limit; "
        return _assign_fixed(problem, open_, pairs, t0, note + "exact assignment (LP)")
    return _capacitated_result(problem, solved, pairs, t0, "exact (HiGHS, two phases)")


def allowed_pairs(
    problem: SitingProblem, radius_m: float | None, k_nearest: int | None
) -> sp.csr_array:
    """Sparse (demand × site) distances + 1 of the pairs a demand may be assigned to."""
    n, m = problem.shape
    if radius_m is not None:
        pairs = problem.geometry.within(radius_m)
        if k_nearest is not None and k_nearest < m:
            d, idx = problem.geometry.nearest(np.arange(n), k_nearest)
            keep = sp.csr_array(
                (np.ones(idx.size), (np.repeat(np.arange(n), k_nearest), idx.ravel())),
                shape=(n, m),
            )
            pairs = pairs.multiply(keep > 0).tocsr()
        pairs.sort_indices()
        return sp.csr_array(pairs)
    k = m if k_nearest is None else min(k_nearest, m)
    d, idx = problem.geometry.nearest(np.arange(n), k)
    ok = np.isfinite(d)
    rows = np.repeat(np.arange(n), k).reshape(n, k)
    out = sp.csr_array((d[ok] + 1.0, (rows[ok], idx[ok])), shape=(n, m))
    out.sort_indices()
    return out


def _solve_two_phases(
    problem: SitingProblem,
    pairs: sp.csr_array,
    p: int,
    free: BoolArray,
    time_limit_s: float,
    mip_rel_gap: float,
    open_given: BoolArray | None,
) -> Solved | None:
    """Phase 1: least unassigned weight; phase 2: keeping it, least weighted distance.

    With ``open_given``, the open sites are fixed to it (an LP: the exact assignment of a
    heuristic's sites). ``None`` when phase 1 finds no answer in time. Each phase starts
    from its LP bound and the best answer found from it (:func:`bound_and_start`); the MIP
    runs only when they do not meet within the gap.
    """
    n, m = problem.shape
    w = problem.weights
    a, row_lo, row_hi, col_lo, col_hi, integer = _model(problem, pairs, p, free, open_given)
    n_col = a.shape[1]
    row_of = np.repeat(np.arange(n), np.diff(pairs.indptr))
    dist = pairs.data - 1.0
    col_x = m + np.arange(pairs.nnz)
    col_u = m + pairs.nnz + np.arange(n)
    # phase 1: least unassigned weight
    cost1 = np.zeros(n_col)
    cost1[col_u] = w
    cands = [] if open_given is not None else [greedy_capacitated(problem, pairs, p, free)]
    s1 = _phase(
        cost1,
        a,
        (row_lo, row_hi),
        (col_lo, col_hi),
        integer,
        m,
        cands,
        time_limit_s,
        mip_rel_gap,
        primal=True,
        exact_gap=1e-9,
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
    s2 = _phase(
        cost2,
        a2,
        (row_lo2, row_hi2),
        (col_lo, col_hi),
        integer,
        m,
        [s1.x[:m] > 0.5],
        time_limit_s,
        mip_rel_gap,
        primal=False,
        exact_gap=mip_rel_gap,
    )
    if s2 is None:
        return s1
    status = "optimal" if s1.status == s2.status == "optimal" else "time_limit"
    gap = max(s1.gap if math.isfinite(s1.gap) else 0.0, s2.gap)
    return Solved(s2.x, s2.objective, s2.bound, gap, status)


def _phase(
    cost: FloatArray,
    a: sp.csc_array,
    rows: tuple[FloatArray, FloatArray],
    cols: tuple[FloatArray, FloatArray],
    integer: BoolArray,
    m: int,
    candidates: list[BoolArray],
    time_limit_s: float,
    mip_rel_gap: float,
    *,
    primal: bool,
    exact_gap: float,
) -> Solved | None:
    """One phase: its LP bound and best start; the MIP only when they do not meet.

    Both phases first solve the MIP on the sites of the LP's support and the starts' (few
    sites: a fraction of the time; phase 1 only from :data:`SUPPORT_FIRST_MIN_SITES` sites).
    Phase 1 (``primal``) stops there when that answer meets the LP bound (its LP bound is
    often the optimum: 430121 junior p = 12 of the Changsha plan without candidate sites,
    phase 1 1.5 s instead of 4.9 s), else runs the full MIP as it is (a start and closed
    sites slowed HiGHS down there, measured); phase 2 takes
    the support's answer when better than the dive's, closes the sites ruled out by
    reduced cost, and starts the MIP from the best answer.
    """
    deadline = time.perf_counter() + time_limit_s
    start = bound_and_start(
        cost, a, rows, cols, m, candidates, deadline=deadline, primal=primal, gap=exact_gap
    )
    proven = _proven(start, exact_gap)
    if proven is not None:
        return proven
    model = (cost, a, rows, cols, integer)
    x0 = start.x
    if x0 is None or (primal and m < SUPPORT_FIRST_MIN_SITES):
        return _mip(model, cols[1], deadline, mip_rel_gap, None)
    sub_hi = np.where(np.r_[start.support, np.ones(len(cost) - m, bool)], cols[1], 0.0)
    budget = time.perf_counter() + max(0.25 * (deadline - time.perf_counter()), 0.5)
    try:
        sub = _mip(model, sub_hi, budget, mip_rel_gap, None)
    except InfeasibleError:  # the support's sites cannot serve as much
        sub = None
    if sub is not None and float(cost @ sub.x) < start.objective:
        x0 = sub.x
        start = dataclasses.replace(start, objective=float(cost @ x0), x=x0)
    if primal:
        # phase 1's LP bound is often the optimum, found by the support's MIP in a
        # fraction of the full MIP's time: then it is proven without the full MIP
        proven = _proven(start, exact_gap)
        return proven if proven is not None else _mip(model, cols[1], deadline, mip_rel_gap, None)
    col_hi = cols[1].copy()
    col_hi[:m][closed_by_reduced_cost(start, cols, x0[:m] > 0.5)] = 0.0
    solved = _mip(model, col_hi, deadline, mip_rel_gap, x0)
    if solved is not None and _misvalued(cost, solved):
        # HiGHS 1.16 can value a start wrongly in its presolved model (on one model of the
        # Changsha plan 114.78 pupils below cost·x, with dominated-column reductions) and
        # prune with that value: the proof is void, so solve again without the start
        solved = _mip(model, col_hi, deadline, mip_rel_gap, None)
    if solved is None:  # no answer in time: the start, with the LP's bound
        return Solved(x0, start.objective, start.bound, _gap(start), "time_limit")
    return solved


def _gap(start: Start) -> float:
    """How far the start's answer may be above the optimum, relative to the answer."""
    return max((start.objective - start.bound) / max(abs(start.objective), 1e-9), 0.0)


def _proven(start: Start, tolerance: float) -> Solved | None:
    """Return the start's answer as optimal if it meets the LP bound within ``tolerance``."""
    if start.x is None or start.objective - start.bound > tolerance * max(
        abs(start.objective), 1.0
    ):
        return None
    return Solved(start.x, start.objective, start.bound, _gap(start), "optimal")


def _mip(
    model: tuple[FloatArray, sp.csc_array, Any, Any, BoolArray],
    col_hi: FloatArray,
    deadline: float,
    mip_rel_gap: float,
    start: FloatArray | None,
) -> Solved | None:
    """Solve the MIP with upper column bounds ``col_hi`` until ``deadline`` (at least 1 s)."""
    cost, a, rows, cols, integer = model
    options = CAPACITATED_HIGHS_OPTIONS | (_WITH_START if start is not None else {})
    return solve_highs(
        cost,
        a,
        rows[0],
        rows[1],
        cols[0],
        col_hi,
        integer,
        time_limit_s=max(deadline - time.perf_counter(), 1.0),
        mip_rel_gap=mip_rel_gap,
        start=start,
        options=options,
    )


def _misvalued(cost: FloatArray, solved: Solved) -> bool:
    """Whether HiGHS's objective differs from ``cost·x`` of its answer (beyond rounding)."""
    value = float(cost @ solved.x)
    return abs(value - solved.objective) > 1e-9 * max(abs(value), 1.0)


def _model(
    problem: SitingProblem,
    pairs: sp.csr_array,
    p: int,
    free: BoolArray,
    open_given: BoolArray | None,
) -> tuple[sp.csc_array, FloatArray, FloatArray, FloatArray, FloatArray, BoolArray]:
    """Return the constraint matrix, row and column bounds and integrality of the model."""
    n, m = problem.shape
    w = problem.weights
    npair = pairs.nnz
    row_of = np.repeat(np.arange(n), np.diff(pairs.indptr))
    j_of = pairs.indices.astype(np.int64)
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
            -problem.capacity,
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
    col_lo[:m][problem.fixed] = 1.0
    integer = np.zeros(n_col, bool)
    integer[:m] = True
    if open_given is not None:
        col_lo[:m] = open_given
        col_hi[:m] = open_given
    return a, row_lo, row_hi, col_lo, col_hi, integer


def greedy_capacitated(
    problem: SitingProblem, pairs: sp.csr_array, p: int, free: BoolArray
) -> BoolArray:
    """Fill the fixed sites (nearest demand first), then open the sites serving most."""
    n, m = problem.shape
    row_of = np.repeat(np.arange(n), np.diff(pairs.indptr))
    left = problem.weights.copy()
    # fixed sites first take what they can (nearest first)
    open_ = problem.fixed.copy()
    room = np.where(open_, problem.capacity, 0.0)
    order = np.argsort(pairs.data, kind="stable")
    for e in order:
        j = pairs.indices[e]
        if open_[j] and room[j] > 0 and left[row_of[e]] > 0:
            t = min(room[j], left[row_of[e]])
            room[j] -= t
            left[row_of[e]] -= t
    for _ in range(p):
        reach = np.bincount(pairs.indices, weights=left[row_of], minlength=m)
        gain = np.minimum(reach, problem.capacity)
        gain[~free | open_] = -1.0
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        open_[j] = True
        room[j] = problem.capacity[j]
        for e in np.flatnonzero(pairs.indices == j)[np.argsort(pairs.data[pairs.indices == j])]:
            t = min(room[j], left[row_of[e]])
            room[j] -= t
            left[row_of[e]] -= t
    return open_


def _assign_fixed(
    problem: SitingProblem, open_: BoolArray, pairs: sp.csr_array, t0: float, note: str
) -> SitingResult:
    """Assign exactly (an LP) to the sites a heuristic opened; return its result."""
    solved = _solve_two_phases(problem, pairs, int(open_.sum()), ~problem.fixed, 600.0, 1e-9, open_)
    assert solved is not None  # an LP with y fixed is always feasible (u = 1)
    heuristic = Solved(solved.x, solved.objective, math.nan, math.nan, "heuristic")
    return _capacitated_result(problem, heuristic, pairs, t0, note)


def _capacitated_result(
    problem: SitingProblem, solved: Solved, pairs: sp.csr_array, t0: float, note: str
) -> SitingResult:
    n, m = problem.shape
    w = problem.weights
    row_of = np.repeat(np.arange(n), np.diff(pairs.indptr))
    x = np.clip(solved.x[m : m + pairs.nnz], 0.0, 1.0)
    flow = split_weights(w, row_of, x)
    used = flow > 0
    assigned = np.bincount(row_of[used], weights=flow[used], minlength=n)
    left = w - assigned
    frames = [
        pd.DataFrame(
            {
                "demand_id": problem.demand_ids.to_numpy()[row_of[used]],
                "site_id": pd.array(problem.site_ids.to_numpy()[pairs.indices[used]], object),
                "weight": flow[used],
                "distance_m": pairs.data[used] - 1.0,
                "_row": row_of[used],
            }
        ),
        pd.DataFrame(
            {
                "demand_id": problem.demand_ids.to_numpy()[left > 0],
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
    return build_result(
        problem, "capacitated", open_, assignment, objective, solved, t0, note, float(left.sum())
    )


# ------------------------------------------------------------------ shared


def split_weights(w: FloatArray, row_of: IntArray, x: FloatArray) -> FloatArray:
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
