"""Fast interchange: the whole swap neighbourhood of a p-median answer, kept up to date.

The swap searches of the p-median (:mod:`xuewei.planning.siting.local_search`, and the
shakes of :mod:`xuewei.planning.siting.shake`) ask one question many times: which swap of
an open site for a closed one lowers the total distance most? :class:`Interchange` keeps
the answer for every swap at once and updates it swap by swap from the candidate lists.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

from xuewei.planning.siting.geometry import BoolArray, FloatArray, Geometry, IntArray
from xuewei.planning.siting.lists import CandidateLists

__all__ = ["Interchange"]


class Interchange:
    """The whole swap neighbourhood of an answer, kept up to date swap by swap.

    Fast interchange (Whitaker 1983) with the incremental updates of Resende & Werneck
    (2007). Per demand ``i``: ``d1``, ``d2`` the distances to its nearest and second-nearest
    open sites (``c1``, ``c2`` those sites). Swapping open ``r`` out and closed ``j`` in
    lowers the objective by ``gain[j] − loss[r] + extra[r, j]`` with

    - ``gain[j] = Σᵢ wᵢ (d1ᵢ − dᵢⱼ)⁺`` (demand that moves to ``j``),
    - ``loss[r] = Σ_{i: c1ᵢ = r} wᵢ (d2ᵢ − d1ᵢ)`` (demand of ``r`` falls back to ``c2``),
    - ``extra[r, j] = Σ_{i: c1ᵢ = r, dᵢⱼ < d2ᵢ} wᵢ (d2ᵢ − max(dᵢⱼ, d1ᵢ))`` (what the two
      terms count twice for demand of ``r`` that ``j`` serves).

    Only pairs with ``dᵢⱼ < d2ᵢ`` enter, so the candidate lists suffice wherever a list
    reaches ``d2ᵢ``; where it does not, the missing pairs only make the predicted profit
    smaller than the true one, never larger. After a swap only the demand whose two
    nearest open sites change (``c1`` or ``c2`` was ``r``, or ``j`` is nearer than ``d2``)
    is re-counted, so a swap costs milliseconds where re-evaluating the neighbourhood
    (``P × m`` swaps) costs a pass over every list.
    """

    _STATE = ("open_", "open_idx", "slot", "d1", "d2", "c1", "c2", "gain", "loss", "extra")

    def __init__(
        self,
        geo: Geometry,
        w: FloatArray,
        lists: CandidateLists,
        open_: BoolArray,
        movable: BoolArray,
        allowed: BoolArray,
    ) -> None:
        n, m = geo.shape
        self.geo, self.w, self.lists = geo, w, lists
        self.movable, self.allowed = movable, allowed
        self.open_ = open_.copy()
        self.open_idx = np.flatnonzero(self.open_)
        self.slot = np.full(m, -1, dtype=np.int64)
        self.slot[self.open_idx] = np.arange(len(self.open_idx))
        self.row_of = np.repeat(np.arange(n), lists.sizes)
        # list entries by site, to find the demand a newly opened site reaches
        self.by_site = np.argsort(lists.site, kind="stable")
        self.site_ptr = np.r_[0, np.cumsum(np.bincount(lists.site, minlength=m))]
        # a finite stand-in for "no second open site" keeps the profit arithmetic free of
        # inf − inf; it is large enough never to look like a gain
        finite = lists.dist[np.isfinite(lists.dist)]
        self.big = 1e6 * (float(finite.max()) + 1.0) if len(finite) else 1e6
        self.reach = lists.reach
        self.d1, self.d2 = np.zeros(n), np.zeros(n)
        self.c1, self.c2 = np.zeros(n, np.int64), np.zeros(n, np.int64)
        self._rebuild()

    @property
    def value(self) -> float:
        """Total weighted distance of the current answer (from the running sums)."""
        return float(self.w @ self.d1)

    def _rebuild(self) -> None:
        n, m = self.geo.shape
        rows = np.arange(n)
        self.d1, self.c1, self.d2, self.c2 = self._top2(rows)
        self.gain = np.zeros(m)
        self.loss = np.zeros(len(self.open_idx))
        self.extra = np.zeros((len(self.open_idx), m))
        self._count(rows, 1.0)
        self.swaps_since_rebuild = 0

    def _top2(self, rows: IntArray) -> tuple[FloatArray, IntArray, FloatArray, IntArray]:
        """Two nearest open sites of ``rows`` (from the lists; the geometry where short)."""
        lists = self.lists
        sizes = lists.sizes[rows]
        ent = np.repeat(lists.ptr[rows] - np.cumsum(np.r_[0, sizes[:-1]]), sizes) + np.arange(
            int(sizes.sum())
        )
        pos = np.repeat(np.arange(len(rows)), sizes)
        on = self.open_[lists.site[ent]]
        ent, pos = ent[on], pos[on]
        rank = np.arange(len(pos)) - np.searchsorted(pos, pos)
        d1 = np.full(len(rows), np.inf)
        d2 = np.full(len(rows), np.inf)
        c1 = np.full(len(rows), -1, dtype=np.int64)
        c2 = np.full(len(rows), -1, dtype=np.int64)
        first, second = rank == 0, rank == 1
        d1[pos[first]], c1[pos[first]] = lists.dist[ent[first]], lists.site[ent[first]]
        d2[pos[second]], c2[pos[second]] = lists.dist[ent[second]], lists.site[ent[second]]
        short = np.flatnonzero(c2 < 0)
        if len(short) and len(self.open_idx) >= 2:
            d, k = _two_nearest_open_rows(self.geo, self.open_idx, rows[short])
            d1[short], c1[short], d2[short], c2[short] = d[:, 0], k[:, 0], d[:, 1], k[:, 1]
        d1 = np.minimum(d1, self.big)
        d2 = np.minimum(d2, self.big)
        return d1, c1, d2, c2

    def _count(self, rows: IntArray, sign: float) -> None:
        """Add (``sign`` = 1) or remove (−1) the contributions of ``rows``."""
        lists = self.lists
        m = len(self.gain)
        sizes = lists.sizes[rows]
        ent = np.repeat(lists.ptr[rows] - np.cumsum(np.r_[0, sizes[:-1]]), sizes) + np.arange(
            int(sizes.sum())
        )
        pos = np.repeat(np.arange(len(rows)), sizes)
        dist = lists.dist[ent]
        d1, d2 = self.d1[rows], self.d2[rows]
        wr = self.w[rows]
        near = dist < d2[pos]
        ent, pos, dist = ent[near], pos[near], dist[near]
        site = lists.site[ent]
        self.gain += sign * np.bincount(
            site, weights=wr[pos] * np.maximum(d1[pos] - dist, 0.0), minlength=m
        )
        slot1 = self.slot[self.c1[rows]]
        P = len(self.loss)
        self.loss += sign * np.bincount(slot1, weights=wr * (d2 - d1), minlength=P)
        key = slot1[pos] * m + site
        self.extra += sign * np.bincount(
            key, weights=wr[pos] * (d2[pos] - np.maximum(dist, d1[pos])), minlength=P * m
        ).reshape(P, m)

    def best(self) -> tuple[int, int, float]:
        """Return the best swap (open site out, closed site in) and its predicted profit."""
        profit = self.gain[None, :] - self.loss[:, None] + self.extra
        profit[:, ~self.allowed | self.open_] = -np.inf
        profit[~self.movable[self.open_idx], :] = -np.inf
        e = int(np.argmax(profit))
        r, j = divmod(e, profit.shape[1])
        return int(self.open_idx[r]), int(j), float(profit[r, j])

    def apply(self, r: int, j: int) -> None:
        """Close ``r``, open ``j``; re-count the demand whose nearest two change."""
        lists = self.lists
        hit_j = self.by_site[self.site_ptr[j] : self.site_ptr[j + 1]]
        near_j = np.zeros(len(self.d1), bool)
        near_j[self.row_of[hit_j][lists.dist[hit_j] < self.d2[self.row_of[hit_j]]]] = True
        # a list that stops short of d2 cannot tell whether j is nearer: re-count that row
        short = (self.d2 > self.reach) & ~lists.complete
        rows = np.flatnonzero(near_j | short | (self.c1 == r) | (self.c2 == r))
        self._count(rows, -1.0)
        s = self.slot[r]
        self.loss[s] = 0.0  # clear rounding residue: this slot now belongs to j
        self.extra[s] = 0.0
        self.open_[r], self.open_[j] = False, True
        self.slot[r], self.slot[j] = -1, s
        self.open_idx[s] = j
        self.d1[rows], self.c1[rows], self.d2[rows], self.c2[rows] = self._top2(rows)
        self._count(rows, 1.0)
        self.swaps_since_rebuild += 1
        if self.swaps_since_rebuild >= 200:
            self._rebuild()  # bound the rounding drift of the running sums

    def descend(self, max_swaps: int = 10_000) -> None:
        """Best-improvement swaps until no swap lowers the objective."""
        if len(self.open_idx) < 2:
            return
        for _ in range(max_swaps):
            r, j, profit = self.best()
            if not profit > 1e-9 * max(self.value, 1.0):
                break
            self.apply(r, j)

    def snapshot(self) -> dict[str, object]:
        """Copy of the state, for :meth:`restore` (undoing a shake that did not pay)."""
        snap: dict[str, object] = {k: getattr(self, k).copy() for k in self._STATE}
        snap["swaps_since_rebuild"] = self.swaps_since_rebuild
        return snap

    def restore(self, snap: dict[str, object]) -> None:
        """Return to the state of a :meth:`snapshot`."""
        for k, v in snap.items():
            setattr(self, k, v.copy() if isinstance(v, np.ndarray) else v)


def _two_nearest_open_rows(
    geo: Geometry, open_idx: IntArray, rows: IntArray
) -> tuple[FloatArray, IntArray]:
    """Distances to, and indices of, the two nearest open sites of some demand rows."""
    if geo.dense is not None:
        sub = geo.dense[np.ix_(rows, open_idx)]
        two = np.argpartition(sub, 1, axis=1)[:, :2]
        d = np.take_along_axis(sub, two, axis=1)
        order = np.argsort(d, axis=1, kind="stable")
        return np.take_along_axis(d, order, axis=1), open_idx[np.take_along_axis(two, order, 1)]
    assert geo.demand_xy is not None and geo.site_xy is not None
    d, k = cKDTree(geo.site_xy[open_idx]).query(geo.demand_xy[rows], k=2)
    d = np.asarray(d, dtype=np.float64).reshape(len(rows), 2)
    return d, open_idx[np.asarray(k, dtype=np.int64).reshape(len(rows), 2)]
