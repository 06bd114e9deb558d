"""The maximal covering location problem (MCLP): open ``p`` sites covering most demand.

A demand point is covered when an open site (new or fixed) lies within the service
radius. The model, ``max Σ wᵢ uᵢ`` with ``uᵢ ≤ Σ_{j ∈ N(i)} yⱼ`` and ``Σ free y = p``, is
built as a ``scipy.sparse`` matrix with one row per distinct coverage set
(:func:`coverage_classes`) and solved with HiGHS; :func:`greedy_mclp` is its heuristic
and HiGHS's first incumbent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

from xuewei.errors import InfeasibleError
from xuewei.planning.siting.benders_mclp import CoverageClasses, benders_mclp, point_classes
from xuewei.planning.siting.geometry import BoolArray, FloatArray
from xuewei.planning.siting.highs import solve_highs
from xuewei.planning.siting.limits import MAX_EXACT_PAIRS, MIN_BENDERS_DEMAND
from xuewei.planning.siting.result import Method, SitingResult, Solved, build_result

if TYPE_CHECKING:
    from xuewei.planning.siting.problem import SitingProblem

__all__ = ["coverage_classes", "greedy_mclp", "solve_mclp"]


def solve_mclp(
    problem: SitingProblem,
    p: int,
    free: BoolArray,
    t0: float,
    *,
    radius_m: float,
    time_limit_s: float,
    mip_rel_gap: float,
    method: Method,
) -> SitingResult:
    """Answer :meth:`SitingProblem.mclp` (``free``: the sites that may be opened)."""
    n, m = problem.shape
    if method == "benders" or (
        method == "auto" and problem.geometry.dense is None and n >= MIN_BENDERS_DEMAND
    ):
        return _solve_benders(problem, p, free, t0, radius_m, time_limit_s, mip_rel_gap)
    cover = problem.geometry.within(radius_m)
    w = problem.weights
    if method == "greedy" or (method == "auto" and cover.nnz > MAX_EXACT_PAIRS):
        open_ = greedy_mclp(problem, cover, p, free)
        note = "greedy heuristic (not exact): add the site covering most uncovered demand"
        return _mclp_result(problem, open_, cover, None, t0, note)
    # One row per distinct coverage set (demand points reached by exactly the same
    # sites are interchangeable: their weights add up); demand that a fixed site covers,
    # or that no site reaches, is a constant and stays out of the model.
    ones, wk, constant = coverage_classes(cover, w, problem.fixed)
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
    col_lo[:m][problem.fixed] = 1.0
    col_hi = np.ones(m + nr)
    integer = np.r_[np.ones(m, bool), np.zeros(nr, bool)]
    greedy = greedy_mclp(problem, cover, p, free)
    hit = np.zeros(nr)
    np.maximum.at(hit, np.repeat(np.arange(nr), np.diff(ones.indptr)), greedy[ones.indices])
    solved = solve_highs(
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
        solved = Solved(
            solved.x,
            solved.objective - constant,
            solved.bound - constant,
            solved.gap,
            solved.status,
        )
    if solved is None:
        if method == "exact":
            raise InfeasibleError(f"MCLP: HiGHS found no feasible answer within {time_limit_s} s")
        open_ = greedy_mclp(problem, cover, p, free)
        note = "greedy heuristic (not exact): HiGHS found no answer in the time limit"
        return _mclp_result(problem, open_, cover, None, t0, note)
    flipped = Solved(solved.x, -solved.objective, -solved.bound, solved.gap, solved.status)
    return _mclp_result(problem, solved.x[:m] > 0.5, cover, flipped, t0, "exact (HiGHS)")


def _solve_benders(
    problem: SitingProblem,
    p: int,
    free: BoolArray,
    t0: float,
    radius_m: float,
    time_limit_s: float,
    mip_rel_gap: float,
) -> SitingResult:
    """MCLP by Benders decomposition on coverage classes; the whole call within the limit."""
    geo = problem.geometry
    w = problem.weights
    if geo.dense is None:
        assert geo.demand_xy is not None and geo.site_xy is not None
        cc = point_classes(geo.demand_xy, geo.site_xy, w, problem.fixed, radius_m)
        cover = None
    else:
        cover = geo.within(radius_m)
        ones, wk, constant = coverage_classes(cover, w, problem.fixed)
        cc = CoverageClasses(ones, wk, np.zeros((len(wk), 2)), constant)
    start = greedy_classes(cc.ones, cc.weight, problem.fixed, p, free)
    ans = benders_mclp(
        cc, free, problem.fixed, p, start, deadline=t0 + time_limit_s, mip_rel_gap=mip_rel_gap
    )
    status = "optimal" if ans.optimal else "time_limit"
    gap = (ans.bound - ans.objective) / max(abs(ans.objective), 1e-12)
    solved = Solved(ans.open_.astype(np.float64), ans.objective, ans.bound, gap, status)
    note = ans.note if ans.optimal else f"time limit reached: {ans.note}"
    if cover is None:
        cover = _open_cover(problem, ans.open_, radius_m)
    return _mclp_result(problem, ans.open_, cover, solved, t0, note, method="benders")


def _open_cover(problem: SitingProblem, open_: BoolArray, radius_m: float) -> sp.csr_array:
    """Coverage (d + 1, as :meth:`Geometry.within`) of the open sites only."""
    geo = problem.geometry
    assert geo.demand_xy is not None and geo.site_xy is not None
    n, m = problem.shape
    idx = np.flatnonzero(open_)
    coo = cKDTree(geo.demand_xy).sparse_distance_matrix(
        cKDTree(geo.site_xy[idx]), radius_m, output_type="ndarray"
    )
    i, j = coo["i"].astype(np.int64), idx[coo["j"].astype(np.int64)]
    out = sp.csr_array((coo["v"] + 1.0, (i, j)), shape=(n, m))
    out.sum_duplicates()
    out.sort_indices()
    return out


def greedy_classes(
    ones: sp.csr_array, weight: FloatArray, fixed: BoolArray, p: int, free: BoolArray
) -> BoolArray:
    """Greedy MCLP on coverage classes: open ``p`` sites, each covering most uncovered."""
    m = ones.shape[1]
    open_ = fixed.copy()
    row_of = np.repeat(np.arange(ones.shape[0]), np.diff(ones.indptr))
    covered = np.zeros(ones.shape[0], bool)
    for _ in range(p):
        gain = np.bincount(ones.indices, weights=weight[row_of] * ~covered[row_of], minlength=m)
        gain[~free | open_] = -1.0
        j = int(np.argmax(gain))
        open_[j] = True
        covered[row_of[ones.indices == j]] = True
    return open_


def greedy_mclp(problem: SitingProblem, cover: sp.csr_array, p: int, free: BoolArray) -> BoolArray:
    """Open ``p`` free sites one at a time, each covering most uncovered demand."""
    n, m = problem.shape
    open_ = problem.fixed.copy()
    row_of = np.repeat(np.arange(n), np.diff(cover.indptr))
    covered = np.zeros(n, bool)
    if open_.any():
        covered[np.unique(row_of[open_[cover.indices]])] = True
    for _ in range(p):
        gain = np.bincount(
            cover.indices, weights=problem.weights[row_of] * ~covered[row_of], minlength=m
        )
        gain[~free | open_] = -1.0
        j = int(np.argmax(gain))
        open_[j] = True
        covered[row_of[cover.indices == j]] = True
    return open_


def _mclp_result(
    problem: SitingProblem,
    open_: BoolArray,
    cover: sp.csr_array,
    solved: Solved | None,
    t0: float,
    note: str,
    method: str = "highs",
) -> SitingResult:
    # nearest open site within the radius (cover stores d + 1)
    n, _ = problem.shape
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
    objective = float(problem.weights[covered].sum())
    labels = problem.site_ids.to_numpy()[np.maximum(j_best, 0)].astype(object)
    site = np.where(covered, labels, np.array(None, dtype=object))
    assignment = pd.DataFrame(
        {
            "demand_id": problem.demand_ids.to_numpy(),
            "site_id": site,
            "weight": problem.weights,
            "distance_m": np.where(covered, d_best, np.nan),
        }
    )
    unassigned = float(problem.weights[~covered].sum())
    return build_result(
        problem, "mclp", open_, assignment, objective, solved, t0, note, unassigned, method=method
    )


def coverage_classes(
    cover: sp.csr_array, w: FloatArray, fixed: BoolArray
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
