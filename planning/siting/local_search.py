"""Local search for the p-median: move sites within their clusters, swap open for closed.

An answer (a boolean "open" per site) is improved in place of nothing else: :func:`relocate`
moves each new site to the best free site for the demand it serves; :func:`swap_dense`
and :func:`swap_lists` make best-improvement swaps (close one open site, open a closed one)
until none pays — on a dense distance block when it fits in memory, otherwise through fast
interchange on the candidate lists. :func:`local_search` chains them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from xuewei.planning.siting.geometry import BoolArray
from xuewei.planning.siting.interchange import Interchange
from xuewei.planning.siting.limits import MAX_SWAP_PAIRS
from xuewei.planning.siting.lists import CandidateLists

if TYPE_CHECKING:
    from xuewei.planning.siting.problem import SitingProblem

__all__ = ["local_search", "relocate", "swap_dense", "swap_lists"]


def local_search(
    problem: SitingProblem,
    open_: BoolArray,
    free: BoolArray,
    alive: BoolArray,
    lists: CandidateLists,
) -> BoolArray:
    """Relocation within clusters, then best-improvement swaps bringing in ``alive`` sites."""
    n = problem.shape[0]
    cand = relocate(problem, open_, alive)
    if n * int((alive | cand).sum()) <= MAX_SWAP_PAIRS:
        return swap_dense(problem, cand, free, allowed=alive)
    # too many sites for the dense block: swaps evaluated on the lists
    return swap_lists(problem, cand, free, lists, allowed=alive)


def swap_dense(
    problem: SitingProblem,
    open_: BoolArray,
    free: BoolArray,
    max_swaps: int = 2000,
    allowed: BoolArray | None = None,
) -> BoolArray:
    """Improve an answer by best-improvement swaps (fast interchange, dense distances).

    Only sites in ``allowed`` (default: every free site) may be swapped in; the dense
    block is built over the open and allowed sites only.
    """
    n = problem.shape[0]
    allowed = free if allowed is None else allowed & free
    cols = np.flatnonzero(open_ | allowed)
    dist = problem.geometry.block(np.arange(n), cols)
    w = problem.weights
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


def swap_lists(
    problem: SitingProblem,
    open_: BoolArray,
    free: BoolArray,
    lists: CandidateLists,
    allowed: BoolArray | None = None,
) -> BoolArray:
    """Best-improvement swaps over the whole swap neighbourhood, from the lists.

    For large instances, where the dense block of :func:`swap_dense` does not fit: the
    neighbourhood is kept by an :class:`.Interchange` (exact where a list reaches the
    demand's second-nearest open site; elsewhere its profits are underestimates, so a
    swap it makes always truly improves).
    """
    allowed = free if allowed is None else allowed & free
    if int(open_.sum()) < 2:
        return open_.copy()
    state = Interchange(problem.geometry, problem.weights, lists, open_, free, allowed)
    state.descend()
    return state.open_.copy()


def relocate(
    problem: SitingProblem, open_: BoolArray, free: BoolArray, rounds: int = 20
) -> BoolArray:
    """Improve an answer: move each new site to the best free site for its cluster."""
    open_ = open_.copy()
    w = problem.weights
    xy = problem.geometry.site_xy
    for _ in range(rounds):
        moved = False
        _, j_of = problem.geometry.nearest_open(np.flatnonzero(open_))
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
            cost = problem.geometry.block(members, options).T @ w[members]
            k = options[int(np.argmin(cost))]
            if k != j and cost[options == k][0] < cost[options == j][0] - 1e-9:
                open_[j], open_[k] = False, True
                j_of[members] = k
                moved = True
        if not moved:
            break
    return open_
