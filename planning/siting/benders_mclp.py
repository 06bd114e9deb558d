"""Benders decomposition for the MCLP (Cordeau, Furini & Ljubić 2019), for millions of points.

The covering variables are projected out. Demand points reached by exactly the same sites
form one class (their weights add up); classes are found without ever holding the whole
demand × site coverage: demand is read in chunks, and each point's set of covering sites is
keyed by its size and two 64-bit sums of random per-site keys (:func:`coverage_keys`; two
different sets share a key with probability about 2⁻¹²⁸ per pair). The classes are grouped
by their first covering site (so a group lies within the radius of one site), and the
master keeps the sites ``y`` and one ``θ_g`` per group: the covered weight of the group,
bounded by the cuts ``θ_g ≤ Σ_{k covered at ŷ} W_k + Σ_{k not covered} W_k Σ_{j covers k}
yⱼ`` — each class's row ``z_k ≤ Σ_{j covers k} yⱼ`` of the compact model, summed over the
classes of the group that ``ŷ`` leaves uncovered (the closed-form subproblem). Cuts are
added lazily: Kelley rounds with in-out stabilisation on the LP, then HiGHS re-solves of
the integer master with the accumulated cuts until the answer's true coverage meets the
master's bound (HiGHS 1.16 has no usable lazy-constraint callback).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import highspy
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.spatial import cKDTree

from xuewei.planning.siting.geometry import BoolArray, FloatArray, IntArray
from xuewei.planning.siting.highs import new_highs, run_until

__all__ = ["CoverageClasses", "MclpAnswer", "benders_mclp", "coverage_keys", "point_classes"]

U64Array = npt.NDArray[np.uint64]

#: Demand points per chunk when reading coverage (bounds the memory of a radius query).
CHUNK = 200_000
#: Kelley rounds of the LP phase, and the relative gap at which it stops.
LP_ROUNDS = 200
LP_TOL = 1e-7


@dataclass(frozen=True)
class CoverageClasses:
    """Demand grouped by identical coverage set.

    ``ones`` is the (class × site) 0/1 coverage, ``weight`` the summed weight per class,
    ``xy`` a representative point per class, ``constant`` the weight covered by fixed sites
    (left out of the classes).
    """

    ones: sp.csr_array
    weight: FloatArray
    xy: FloatArray
    constant: float


@dataclass(frozen=True)
class MclpAnswer:
    """The decomposition's answer: open sites, covered weight, proven bound, note."""

    open_: BoolArray
    objective: float
    bound: float
    optimal: bool
    note: str


def coverage_keys(
    demand_xy: FloatArray, site_tree: cKDTree, radius: float, m: int
) -> tuple[U64Array, U64Array, IntArray]:
    """Per demand point, a key of its covering-site set: (sum of keys 1, of keys 2, size).

    Examples
    --------
    Two points covered by the same two sites share a key; a third differs:

    >>> tree = cKDTree(np.array([[0.0, 0.0], [1.0, 0.0], [9.0, 0.0]]))
    >>> k1, k2, size = coverage_keys(np.array([[0.5, 0], [0.6, 0], [9, 0]]), tree, 1.0, 3)
    >>> bool(k1[0] == k1[1] and k2[0] == k2[1]), bool(k1[0] == k1[2]), size.tolist()
    (True, False, [2, 2, 1])
    """
    rng = np.random.default_rng(20231204)
    h1 = rng.integers(0, 2**63, m, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    h2 = rng.integers(0, 2**63, m, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    n = len(demand_xy)
    k1 = np.zeros(n, np.uint64)
    k2 = np.zeros(n, np.uint64)
    size = np.zeros(n, np.int64)
    for a in range(0, n, CHUNK):
        b = min(a + CHUNK, n)
        coo = cKDTree(demand_xy[a:b]).sparse_distance_matrix(
            site_tree, radius, output_type="ndarray"
        )
        i, j = coo["i"].astype(np.int64), coo["j"].astype(np.int64)
        # unsigned sums wrap modulo 2⁶⁴: an order-free key of the set
        np.add.at(k1, a + i, h1[j])
        np.add.at(k2, a + i, h2[j])
        size[a:b] += np.bincount(i, minlength=b - a)
    return k1, k2, size


def point_classes(
    demand_xy: FloatArray,
    site_xy: FloatArray,
    weights: FloatArray,
    fixed: BoolArray,
    radius: float,
) -> CoverageClasses:
    """Group demand points by identical coverage set, chunk by chunk (no full coverage)."""
    m = len(site_xy)
    tree = cKDTree(site_xy)
    k1, k2, size = coverage_keys(demand_xy, tree, radius, m)
    constant = 0.0
    by_fixed = np.zeros(len(demand_xy), bool)
    if fixed.any():
        d, _ = cKDTree(site_xy[fixed]).query(demand_xy, k=1, distance_upper_bound=radius)
        by_fixed = np.isfinite(d)
        constant = float(weights[by_fixed].sum())
    keep = np.flatnonzero((size > 0) & (weights > 0) & ~by_fixed)
    if len(keep) == 0:
        return CoverageClasses(sp.csr_array((0, m)), np.zeros(0), np.zeros((0, 2)), constant)
    keys = np.stack([k1[keep], k2[keep], size[keep].astype(np.uint64)], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = np.asarray(inverse).ravel()
    order = np.argsort(first, kind="stable")  # classes in order of their first point
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    weight = np.bincount(rank[inverse], weights=weights[keep], minlength=len(order))
    reps = keep[first[order]]
    xy = demand_xy[reps]
    lists = tree.query_ball_point(xy, radius)
    counts = np.fromiter((len(x) for x in lists), np.int64, len(lists))
    idx = np.fromiter((j for x in lists for j in x), np.int64, int(counts.sum()))
    ones = sp.csr_array((np.ones(len(idx)), idx, np.r_[0, np.cumsum(counts)]), shape=(len(reps), m))
    ones.sort_indices()
    return CoverageClasses(ones, weight.astype(np.float64), xy, constant)


def _groups(ones: sp.csr_array) -> IntArray:
    """One ``θ`` per group of classes: those whose first covering site is the same.

    All classes of a group lie within the radius of that site, so a group's cut holds
    only the sites near it (sparse rows), with or without coordinates.
    """
    first = ones.indices[ones.indptr[:-1]]
    _, group = np.unique(first, return_inverse=True)
    return np.asarray(group, dtype=np.int64).ravel()


def _separate(
    cc: CoverageClasses, agg: sp.csr_array, y: FloatArray
) -> tuple[FloatArray, FloatArray, sp.csr_array]:
    """Per tile: covered weight at ``y`` (concave), its cut's constant and coefficients."""
    cov = cc.ones @ y
    short = cov < 1.0 - 1e-9
    w_short = np.where(short, cc.weight, 0.0)
    value = agg @ (cc.weight * np.minimum(cov, 1.0))
    const = agg @ (cc.weight * ~short)
    coef = sp.csr_array(agg @ (sp.diags_array(w_short) @ cc.ones))
    return value, const, coef


class _Master:
    """max Σ θ_g s.t. cuts, Σ free y = p; HiGHS minimises −Σ θ."""

    def __init__(self, m: int, cap: FloatArray, free: BoolArray, fixed: BoolArray, p: int) -> None:
        h = new_highs()
        h.setOptionValue("random_seed", 0)
        h.setOptionValue("threads", 1)
        h.setOptionValue("presolve", "off")
        g = len(cap)
        ncol = m + g
        h.addCols(
            ncol,
            np.r_[np.zeros(m), -np.ones(g)],
            np.r_[fixed.astype(np.float64), np.zeros(g)],
            np.r_[np.where(free | fixed, 1.0, 0.0), cap],
            0,
            np.zeros(ncol, np.int32),
            np.zeros(0, np.int32),
            np.zeros(0),
        )
        idx = np.flatnonzero(free).astype(np.int32)
        h.addRow(float(p), float(p), len(idx), idx, np.ones(len(idx)))
        self.h, self.m = h, m

    def add_cuts(self, const: FloatArray, coef: sp.csr_array, tiles: IntArray) -> None:
        """Add ``θ_g − Σ coef_gj yⱼ ≤ const_g`` for the ``tiles``."""
        if len(tiles) == 0:
            return
        g = coef.shape[0]
        pick = sp.csr_array(
            (np.ones(len(tiles)), (np.arange(len(tiles)), tiles)), shape=(len(tiles), g)
        )
        # columns: the sites, then one θ per tile (hstack offsets them by m)
        rows = sp.csr_array(sp.hstack([-coef[tiles], pick], format="csr"))
        rows.sort_indices()
        self.h.addRows(
            len(tiles),
            np.full(len(tiles), -np.inf),
            const[tiles].astype(np.float64),
            rows.nnz,
            rows.indptr[:-1].astype(np.int32),
            rows.indices.astype(np.int32),
            rows.data.astype(np.float64),
        )

    def solve(self, deadline: float) -> tuple[str, FloatArray, float, float]:
        """Run HiGHS until ``deadline``: status, columns, objective and bound (as max)."""
        return run_until(self.h, deadline, sign=-1.0)  # the master minimises −coverage


def benders_mclp(
    cc: CoverageClasses,
    free: BoolArray,
    fixed: BoolArray,
    p: int,
    start: BoolArray,
    *,
    deadline: float,
    mip_rel_gap: float,
) -> MclpAnswer:
    """Maximise the covered weight of the classes by Benders decomposition until ``deadline``.

    ``start`` is an answer to begin from (e.g. greedy). Returns the best answer, its
    covered weight (the fixed sites' ``constant`` included), the proven upper bound and
    whether they meet within ``mip_rel_gap``.
    """
    m = cc.ones.shape[1]
    tiles = _groups(cc.ones)
    g = int(tiles.max()) + 1 if len(tiles) else 0
    agg = sp.csr_array((np.ones(len(tiles)), (tiles, np.arange(len(tiles)))), shape=(g, len(tiles)))
    cap = agg @ cc.weight
    master = _Master(m, cap, free, fixed, p)
    best = start.copy()
    value, const, coef = _separate(cc, agg, best.astype(np.float64))
    lb = float(value.sum())
    master.add_cuts(const, coef, np.arange(g))
    ub, lp_rounds = _lp_phase(master, cc, agg, best, free, fixed, p, deadline)
    ub = min(ub, float(cc.weight.sum()))  # a bound even when time ran out
    h = master.h
    cols = np.flatnonzero(free).astype(np.int32)
    h.changeColsIntegrality(
        len(cols), cols, np.full(len(cols), int(highspy.HighsVarType.kInteger), np.uint8)
    )
    h.setOptionValue("mip_rel_gap", float(mip_rel_gap))
    mip_rounds = 0
    while time.perf_counter() < deadline and ub - lb > mip_rel_gap * max(abs(lb), 1e-12):
        mip_rounds += 1
        v0, _, _ = _separate(cc, agg, best.astype(np.float64))
        sol = highspy.HighsSolution()
        sol.col_value = list(np.r_[best.astype(np.float64), v0])
        sol.value_valid = True
        h.setSolution(sol)
        status, x, _, bound = master.solve(deadline)
        if status == "none":
            break
        ub = min(ub, bound)
        y = x[:m] > 0.5
        value, const, coef = _separate(cc, agg, y.astype(np.float64))
        if value.sum() > lb:
            best, lb = y, float(value.sum())
        viol = np.flatnonzero(x[m:] > value + 1e-7 * np.maximum(1.0, value))
        if len(viol) == 0:
            break
        master.add_cuts(const, coef, viol)
    ub = max(ub, lb)
    optimal = ub - lb <= mip_rel_gap * max(abs(lb), 1e-12)
    note = (
        f"Benders decomposition ({len(cc.weight):,} coverage classes in {g:,} groups; "
        f"HiGHS master: {lp_rounds} LP rounds, {mip_rounds} MIP rounds)"
    )
    return MclpAnswer(best, lb + cc.constant, ub + cc.constant, optimal, note)


def _lp_phase(
    master: _Master,
    cc: CoverageClasses,
    agg: sp.csr_array,
    best: BoolArray,
    free: BoolArray,
    fixed: BoolArray,
    p: int,
    deadline: float,
) -> tuple[float, int]:
    """Kelley rounds with in-out stabilisation; return the LP bound and the rounds."""
    m = master.m
    uniform = np.where(free, p / max(int(free.sum()), 1), 0.0) + fixed
    core = 0.5 * best + 0.5 * uniform
    bound, rounds = math.inf, 0
    while rounds < LP_ROUNDS and time.perf_counter() < deadline:
        rounds += 1
        status, x, obj, _ = master.solve(deadline)
        if status != "optimal":
            break
        bound = min(bound, obj)
        y, theta = x[:m], x[m:]
        value_y, const_y, coef_y = _separate(cc, agg, y)
        if obj - float(value_y.sum()) <= LP_TOL * max(abs(obj), 1.0):
            break
        core = 0.5 * (core + y)
        _, const, coef = _separate(cc, agg, 0.5 * (core + y))
        at_y = const + coef @ y
        viol = np.flatnonzero(theta > at_y + 1e-7 * np.maximum(1.0, at_y))
        if len(viol) == 0:
            const, coef = const_y, coef_y
            viol = np.flatnonzero(theta > value_y + 1e-7 * np.maximum(1.0, value_y))
        if len(viol) == 0:
            break
        master.add_cuts(const, coef, viol)
    return bound, rounds
