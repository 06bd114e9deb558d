"""Each demand's candidate list: its nearest sites, sorted by distance, in CSR layout.

The p-median never holds every demand × site distance: each demand starts with its
``k_nearest`` sites (:meth:`CandidateLists.build`), and lists are widened only where an
answer reaches beyond them (:meth:`CandidateLists.widen`). The exact model, the Lagrangian
bound and the swap searches all read the same lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from xuewei.errors import InfeasibleError
from xuewei.planning.siting.geometry import BoolArray, FloatArray, Geometry, IntArray

__all__ = ["CandidateLists"]


@dataclass(frozen=True)
class CandidateLists:
    """Each demand's candidate list, sorted by distance (CSR layout).

    A list holds every site up to its last distance (ties at the cut are kept together);
    ``next_dist`` is the distance to the first site beyond the list (inf when complete).
    """

    ptr: IntArray
    site: IntArray
    dist: FloatArray
    next_dist: FloatArray
    complete: BoolArray

    @property
    def sizes(self) -> IntArray:
        """Length of each list."""
        return np.diff(self.ptr)

    @property
    def reach(self) -> FloatArray:
        """Largest distance in each list."""
        return self.dist[self.ptr[1:] - 1]

    @classmethod
    def build(cls, geo: Geometry, rows: IntArray, k: int) -> CandidateLists:
        """Build the lists of the ``k`` nearest sites of ``rows`` (more where ties at the cut)."""
        d, idx, nxt, complete = _nearest_lists(geo, rows, k)
        finite = np.isfinite(d)
        sizes = finite.sum(axis=1)
        if (sizes == 0).any():
            i = int(rows[np.flatnonzero(sizes == 0)[0]])
            raise InfeasibleError(
                f"demand row {i + 1} may not be assigned to any site (all distances inf)"
            )
        ptr = np.r_[0, np.cumsum(sizes)].astype(np.int64)
        return cls(ptr, idx[finite], d[finite], nxt, complete)

    def widen(self, geo: Geometry, rows: IntArray, reach: FloatArray) -> CandidateLists:
        """Extend the lists of ``rows`` until each holds every site within ``reach``."""
        _, m = geo.shape
        sizes = self.sizes
        k = int(min(max(2 * int(sizes[rows].max()), 1), m))
        todo, need = rows, reach
        new: dict[int, tuple[FloatArray, IntArray, float, bool]] = {}
        while len(todo):
            d, idx, nxt, complete = _nearest_lists(geo, todo, k)
            done = complete | (nxt > need + 1e-9)
            for pos in np.flatnonzero(done):
                keep = np.isfinite(d[pos])
                new[int(todo[pos])] = (d[pos][keep], idx[pos][keep], nxt[pos], complete[pos])
            todo, need = todo[~done], need[~done]
            k = min(2 * k, m)
        n = len(sizes)
        sites: list[IntArray] = []
        dists: list[FloatArray] = []
        nxt_all = self.next_dist.copy()
        comp_all = self.complete.copy()
        new_sizes = sizes.copy()
        for i in range(n):
            if i in new:
                d_i, s_i, nx, c = new[i]
                sites.append(s_i)
                dists.append(d_i)
                nxt_all[i], comp_all[i], new_sizes[i] = nx, c, len(s_i)
            else:
                sites.append(self.site[self.ptr[i] : self.ptr[i + 1]])
                dists.append(self.dist[self.ptr[i] : self.ptr[i + 1]])
        ptr = np.r_[0, np.cumsum(new_sizes)].astype(np.int64)
        return CandidateLists(ptr, np.concatenate(sites), np.concatenate(dists), nxt_all, comp_all)


def _nearest_lists(
    geo: Geometry, rows: IntArray, k: int
) -> tuple[FloatArray, IntArray, FloatArray, BoolArray]:
    """Return padded nearest-site lists of at least ``k`` sites per row, ties kept whole."""
    _, m = geo.shape
    k = min(k, m)
    kk = min(k + 1, m)
    d, idx = geo.nearest(rows, kk)
    if kk > k:
        nxt = d[:, k].copy()
        d, idx = d[:, :k], idx[:, :k]
    else:
        nxt = np.full(len(rows), np.inf)
    complete = ~np.isfinite(nxt)
    tie = ~complete & (nxt <= d[:, -1])
    if tie.any():
        d2, i2, n2, c2 = _nearest_lists(geo, rows[tie], min(2 * k, m))
        width = d2.shape[1]
        dd = np.full((len(rows), width), np.inf)
        ii = np.zeros((len(rows), width), dtype=np.int64)
        dd[:, : d.shape[1]] = d
        ii[:, : d.shape[1]] = idx
        dd[tie], ii[tie] = d2, i2
        nxt, complete = nxt.copy(), complete.copy()
        nxt[tie], complete[tie] = n2, c2
        return dd, ii, nxt, complete
    return d, idx, nxt, complete
