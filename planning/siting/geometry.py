"""Distances between demand points and candidate sites, and the array types of siting.

A siting problem measures its distances either from a dense (demand × site) matrix — road
metres, or any cost — or from two sets of projected points (straight metres, through a
k-d tree, so that no demand × site matrix is ever held). :class:`Geometry` answers the few
questions every model and heuristic asks: each demand's nearest sites, the distances of a
block of pairs, the pairs within a radius, and each demand's nearest open site.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.spatial import cKDTree

__all__ = ["BoolArray", "FloatArray", "Geometry", "IntArray"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Geometry:
    """Distances between demand and sites: a dense matrix or two sets of points."""

    dense: FloatArray | None = None
    demand_xy: FloatArray | None = None
    site_xy: FloatArray | None = None
    _tree: cKDTree | None = field(default=None, repr=False)

    @property
    def tree(self) -> cKDTree:
        """k-d tree of the sites (built on first use)."""
        if self._tree is None:
            self._tree = cKDTree(self.site_xy)
        return self._tree

    def nearest(self, rows: IntArray, k: int) -> tuple[FloatArray, IntArray]:
        """Return the ``k`` nearest sites of each row (ascending; ties by site order)."""
        if self.dense is not None:
            block = self.dense[rows]
            m = block.shape[1]
            if k < m:
                part = np.argpartition(block, k - 1, axis=1)[:, :k]
            else:
                part = np.broadcast_to(np.arange(m), (len(rows), m)).copy()
            d = np.take_along_axis(block, part, axis=1)
            order = np.lexsort((part, d), axis=1)
            idx = np.take_along_axis(part, order, axis=1)
            return np.take_along_axis(d, order, axis=1), idx.astype(np.int64)
        assert self.demand_xy is not None
        d, idx = self.tree.query(self.demand_xy[rows], k=k)
        d = np.asarray(d, dtype=np.float64).reshape(len(rows), k)
        idx = np.asarray(idx, dtype=np.int64).reshape(len(rows), k)
        order = np.lexsort((idx, d), axis=1)
        return np.take_along_axis(d, order, axis=1), np.take_along_axis(idx, order, axis=1)

    def block(self, rows: IntArray, cols: IntArray) -> FloatArray:
        """Dense distances between some demand rows and some sites."""
        if self.dense is not None:
            return self.dense[np.ix_(rows, cols)]
        assert self.demand_xy is not None and self.site_xy is not None
        a = self.demand_xy[rows]
        b = self.site_xy[cols]
        return np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1])

    def within(self, radius: float) -> sp.csr_array:
        """Sparse (demand × site) distances of the pairs within ``radius`` (zeros kept)."""
        if self.dense is not None:
            i, j = np.nonzero(self.dense <= radius)
            d = self.dense[i, j]
        else:
            assert self.demand_xy is not None and self.site_xy is not None
            dtree = cKDTree(self.demand_xy)
            coo = dtree.sparse_distance_matrix(self.tree, radius, output_type="ndarray")
            i, j, d = coo["i"].astype(np.int64), coo["j"].astype(np.int64), coo["v"]
        n, m = self.shape
        # store d + 1 so that zero distances survive as explicit entries; undo on read
        out = sp.csr_array((d + 1.0, (i, j)), shape=(n, m))
        out.sum_duplicates()
        out.sort_indices()
        return out

    def nearest_open(self, open_idx: IntArray) -> tuple[FloatArray, IntArray]:
        """Distance to, and index of, every demand's nearest open site."""
        if self.dense is not None:
            sub = self.dense[:, open_idx]
            k = np.argmin(sub, axis=1)
            return sub[np.arange(sub.shape[0]), k], open_idx[k]
        assert self.demand_xy is not None and self.site_xy is not None
        d, k = cKDTree(self.site_xy[open_idx]).query(self.demand_xy, k=1)
        return np.asarray(d, dtype=np.float64), open_idx[np.asarray(k, dtype=np.int64)]

    @property
    def shape(self) -> tuple[int, int]:
        """(number of demand points, number of candidate sites)."""
        if self.dense is not None:
            return int(self.dense.shape[0]), int(self.dense.shape[1])
        assert self.demand_xy is not None and self.site_xy is not None
        return len(self.demand_xy), len(self.site_xy)
