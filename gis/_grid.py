"""Nearest school of every raster cell, settled block by block on the raster's grid.

This module owns the fast path of :func:`xuewei.gis.nearest_within` for demand on a
raster: cells are centres of a regular grid, so whole blocks of cells whose corners share
their nearest destination are settled at once, and only cells near a Voronoi edge are
queried one by one. The result is the same as :func:`~xuewei.gis.nearest_within`'s, bit
for bit.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from .distance import FloatArray, IntArray, nearest_within

__all__ = ["nearest_on_grid"]


def nearest_on_grid(
    xy: FloatArray,
    rows: IntArray,
    cols: IntArray,
    transform: Any,
    shape: tuple[int, int],
    dests: FloatArray,
    *,
    radius_m: float,
    detour_factor: float,
) -> tuple[IntArray, FloatArray]:
    """:func:`nearest_within` for raster cell centres ``xy`` (at ``rows``, ``cols``), faster.

    Same result, bit for bit. A Voronoi cell is convex, and so is the set of points whose
    nearest destination is ``s`` by a margin (``|p − s'|² − |p − s|²`` is affine in ``p``),
    so when the four corners of a block of cells all have the same nearest destination with
    that margin, every cell centre in the block has it too. Blocks of 16 × 16 cells are
    tested at their corners (one KD query per corner, shared by four blocks); failed blocks
    are halved down to 2 × 2; only the cells of failed 2 × 2 blocks are queried one by one.
    At 1.1 M cells and 1,352 schools this queries about a fifth of the points a plain KD
    query would, which is where all of :func:`nearest_within`'s time goes.
    """
    # Kept whole (~80 lines): the halving loop passes block labels and corner answers from
    # one block size to the next; split, its invariants would span several functions.
    n = len(xy)
    m = len(dests)
    if n == 0 or m == 0:
        return nearest_within(xy, dests, radius_m=radius_m, detour_factor=detour_factor)
    tree = cKDTree(dests)
    nr, nc = int(shape[0]), int(shape[1])
    k = 2 if m > 1 else 1
    label: IntArray | None = None  # per block at the current size: its destination, or -1
    corner: IntArray | None = None  # per block corner: its sure destination, -1, or -2 unknown
    size = 16
    while size >= 2:
        tr, tc = -(-nr // size), -(-nc // size)
        known = np.full((tr + 1, tc + 1), -2, dtype=np.int64)
        if label is None or corner is None:
            active = np.ones((tr, tc), dtype=bool)
        else:  # a block's four children inherit a settled parent; the others are tested
            label = np.repeat(np.repeat(label, 2, axis=0), 2, axis=1)[:tr, :tc]
            active = label < 0
            # corner i of the parent is corner 2i of the children (same clamped edge, as
            # min(i·2s, n) = min(2i·s, n)): its answer is reused, not asked again
            sub = known[::2, ::2]
            sub[...] = corner[: sub.shape[0], : sub.shape[1]]
        # block corners on the cell-edge lattice (cell centres lie strictly inside)
        need = np.zeros((tr + 1, tc + 1), dtype=bool)
        need[:-1, :-1] |= active
        need[:-1, 1:] |= active
        need[1:, :-1] |= active
        need[1:, 1:] |= active
        need &= known == -2
        er, ec = np.nonzero(need)
        er_m = np.minimum(er * size, nr).astype(np.float64)
        ec_m = np.minimum(ec * size, nc).astype(np.float64)
        px = transform.c + ec_m * transform.a + er_m * transform.b
        py = transform.f + ec_m * transform.d + er_m * transform.e
        dd, ii = tree.query(np.column_stack([px, py]), k=k)
        dd = np.asarray(dd, dtype=np.float64).reshape(-1, k)
        ii = np.asarray(ii, dtype=np.int64).reshape(-1, k)
        d1 = dd[:, 0]
        d2 = dd[:, 1] if k == 2 else np.full(len(d1), np.inf)
        # the margin dwarfs rounding in coordinates up to 1e8 m and in the KD distances
        sure = d2 * d2 - d1 * d1 > 1e-6 * (d1 * d1 + d2 * d2) + 1e-6
        corner = known
        corner[er, ec] = np.where(sure, ii[:, 0], -1)
        a, b, c, d = corner[:-1, :-1], corner[:-1, 1:], corner[1:, :-1], corner[1:, 1:]
        settled = active & (a >= 0) & (a == b) & (a == c) & (a == d)
        if label is None:
            label = np.where(settled, a, -1)
        else:
            label = np.where(settled, a, label)
        size //= 2
    assert label is not None
    best = label[rows // 2, cols // 2]
    rest = np.flatnonzero(best < 0)
    idx = best.copy()
    dist = np.full(n, np.inf)
    if rest.size:
        idx[rest], dist[rest] = nearest_within(
            xy[rest], dests, radius_m=radius_m, detour_factor=detour_factor
        )
    got = np.flatnonzero(best >= 0)
    s = best[got]
    dd_ = np.hypot(xy[got, 0] - dests[s, 0], xy[got, 1] - dests[s, 1]) * detour_factor
    over = dd_ > radius_m
    idx[got[over]] = -1
    dist[got] = np.where(over, np.inf, dd_)
    return idx, dist
