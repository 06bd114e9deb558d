"""Road networks: distances along the roads, from a roads layer built once into a graph.

This module owns :class:`RoadNetwork` and :func:`build_road_network`: the roads split into
segments whose ends (within a tolerance) become nodes, a sparse graph of lengths (walked
both ways) and of travel times (one-way roads in their direction), and shortest paths with
:func:`scipy.sparse.csgraph.dijkstra` limited to the service radius, so a city-scale query
never builds a dense all-pairs matrix. Points off the network are snapped to their nearest
node; the straight-line snapping distance is added at both ends.
:func:`xuewei.gis.pairs_within` and :func:`xuewei.gis.nearest_within` measure along a
network when given one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from xuewei.errors import InputError, Problem

from .distance import Cost, FloatArray, IntArray, Pairs

__all__ = ["RoadNetwork", "build_road_network"]

_CHUNK = 64  # sources per Dijkstra call: 64 × 200k nodes × 8 B ≈ 100 MB at most


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A road graph for shortest paths, built once by :func:`build_road_network`.

    Attributes
    ----------
    nodes
        ``(n, 2)`` x/y of the graph nodes (segment ends), plan CRS.
    length
        Sparse ``n × n`` matrix of segment lengths in metres (both directions: walkers
        ignore one-way rules).
    time
        Sparse ``n × n`` matrix of travel times in minutes at each road's ``speed_kmh``,
        one-way roads in their direction only.
    crs
        The CRS of ``nodes``.
    """

    nodes: FloatArray
    length: csr_matrix
    time: csr_matrix
    crs: Any

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.nodes.shape[0])

    def _graph(self, cost: Cost) -> csr_matrix:
        return self.length if cost == "distance" else self.time

    def snap(self, xy: FloatArray) -> tuple[IntArray, FloatArray]:
        """Return the nearest node of each point and the straight distance to it (m)."""
        if self.n_nodes == 0:
            raise InputError([Problem("roads", "the road network has no segments.")])
        d, i = cKDTree(self.nodes).query(xy, k=1)
        return np.asarray(i, dtype=np.int64), np.asarray(d, dtype=np.float64)

    def _access(self, d_m: FloatArray, cost: Cost, walk_m_per_min: float) -> FloatArray:
        return d_m if cost == "distance" else d_m / walk_m_per_min

    def pairs_within(
        self,
        origins: FloatArray,
        dests: FloatArray,
        *,
        radius: float,
        cost: Cost = "distance",
        walk_m_per_min: float = 60.0,
    ) -> Pairs:
        """All origin–destination pairs within ``radius`` along the network.

        The distance is snap(origin) + path + snap(destination); snapping legs are walked
        at ``walk_m_per_min`` when ``cost="time"``. One Dijkstra per destination node
        (chunks of 64), limited to ``radius``; the graph is treated as undirected for
        distance.
        """
        if len(origins) == 0 or len(dests) == 0:
            return Pairs.empty()
        o_node, o_snap = self.snap(origins)
        d_node, d_snap = self.snap(dests)
        o_snap = self._access(o_snap, cost, walk_m_per_min)
        d_snap = self._access(d_snap, cost, walk_m_per_min)
        uniq, inv = np.unique(d_node, return_inverse=True)
        # origins grouped by node, so each Dijkstra row is read once
        order = np.argsort(o_node, kind="stable")
        starts = np.searchsorted(o_node[order], np.arange(self.n_nodes + 1))
        graph = self._graph(cost)
        directed = cost == "time"
        oi: list[IntArray] = []
        dj: list[IntArray] = []
        dd: list[FloatArray] = []
        # from destinations outward: transpose for directed time (the way to school)
        g = graph.T.tocsr() if directed else graph
        for lo in range(0, uniq.size, _CHUNK):
            chunk = uniq[lo : lo + _CHUNK]
            dist = dijkstra(g, directed=directed, indices=chunk, limit=radius)
            rows, nodes = np.nonzero(np.isfinite(dist))
            path = dist[rows, nodes]
            for r in range(chunk.size):
                sel = rows == r
                nd, pd_ = nodes[sel], path[sel]
                counts = starts[nd + 1] - starts[nd]
                has = counts > 0
                nd, pd_, counts = nd[has], pd_[has], counts[has]
                if nd.size == 0:
                    continue
                o_idx = np.concatenate([order[starts[a] : starts[a + 1]] for a in nd])
                base = np.repeat(pd_, counts)
                for j in np.flatnonzero(inv == lo + r):
                    total = base + o_snap[o_idx] + d_snap[j]
                    ok = total <= radius
                    oi.append(o_idx[ok])
                    dj.append(np.full(int(ok.sum()), j, dtype=np.int64))
                    dd.append(total[ok])
        if not oi:
            return Pairs.empty()
        oi_all = np.concatenate(oi)
        dj_all = np.concatenate(dj)
        dd_all = np.concatenate(dd)
        s = np.lexsort((dj_all, oi_all))
        return Pairs(oi_all[s], dj_all[s], dd_all[s])

    def nearest(
        self,
        origins: FloatArray,
        dests: FloatArray,
        *,
        radius: float = np.inf,
        cost: Cost = "distance",
        walk_m_per_min: float = 60.0,
    ) -> tuple[IntArray, FloatArray]:
        """Nearest destination of each origin along the network, within ``radius``.

        One multi-source Dijkstra (``min_only=True``) labels every node with its nearest
        destination node. The destination's snapping leg is added to the path (a virtual
        edge), so a school far from the road counts as farther.
        """
        n = len(origins)
        if n == 0 or len(dests) == 0:
            return np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
        o_node, o_snap = self.snap(origins)
        d_node, d_snap = self.snap(dests)
        o_snap = self._access(o_snap, cost, walk_m_per_min)
        d_snap = self._access(d_snap, cost, walk_m_per_min)
        # a virtual source node per destination, joined to its node by the snapping leg
        m = len(dests)
        nn = self.n_nodes
        graph = self._graph(cost)
        directed = cost == "time"
        g = graph.T.tocsr() if directed else graph
        g = g.tocoo()
        rows = np.concatenate([g.row, nn + np.arange(m)])
        cols = np.concatenate([g.col, d_node])
        vals = np.concatenate([g.data, np.maximum(d_snap, 1e-9)])
        big = csr_matrix((vals, (rows, cols)), shape=(nn + m, nn + m))
        dist, _pred, src = dijkstra(
            big,
            directed=True,
            indices=nn + np.arange(m),
            min_only=True,
            return_predecessors=True,
            limit=radius,
        )
        total = dist[o_node] + o_snap
        idx = np.where(np.isfinite(total) & (total <= radius), src[o_node] - nn, -1)
        total = np.where(idx >= 0, total, np.inf)
        return idx.astype(np.int64), total


def build_road_network(
    roads: gpd.GeoDataFrame,
    *,
    speed_col: str = "speed_kmh",
    oneway_col: str = "oneway",
    default_speed_kmh: float = 30.0,
    tolerance_m: float = 0.5,
) -> RoadNetwork:
    """Build the road graph once from a roads layer.

    Every line is split at its vertices into segments; segment ends closer than
    ``tolerance_m`` become one node, so lines that share an end point (or a vertex) are
    connected. Lines that merely cross without a shared vertex are not (as in OSM, where
    bridges cross without a junction).

    Parameters
    ----------
    roads
        Lines (or multi-lines) in a projected CRS (metres), e.g. from
        :func:`xuewei.gis.read_roads`.
    speed_col
        Optional column of speeds in km/h, for ``cost="time"``; missing → the default.
    oneway_col
        Optional boolean column; one-way roads run in their digitised direction for
        ``cost="time"`` only (pupils walk both ways).
    default_speed_kmh
        Speed of roads without a speed.
    tolerance_m
        Snapping tolerance for joining segment ends.

    Returns
    -------
    RoadNetwork

    Examples
    --------
    Two roads meeting at (100, 0):

    >>> import shapely
    >>> roads = gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (100, 0)]),
    ...                                   shapely.LineString([(100, 0), (100, 50)])],
    ...                          crs=4547)
    >>> net = build_road_network(roads)
    >>> net.n_nodes, int(net.length.nnz)
    (3, 4)
    """
    if roads.crs is not None and not roads.crs.is_projected:
        raise InputError(
            [
                Problem(
                    "roads",
                    f"CRS {roads.crs.to_string()} is geographic; reproject the roads to the "
                    "plan CRS (metres) first.",
                )
            ]
        )
    geoms = np.asarray(roads.geometry.array)
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    coords, line_of = shapely.get_coordinates(parts, return_index=True)
    if coords.shape[0] == 0:
        return RoadNetwork(np.zeros((0, 2)), csr_matrix((0, 0)), csr_matrix((0, 0)), roads.crs)
    same_line = line_of[1:] == line_of[:-1]
    a = np.flatnonzero(same_line)
    b = a + 1
    key = np.round(coords / tolerance_m).astype(np.int64)
    uniq, node_of = np.unique(key, axis=0, return_inverse=True)
    node_of = node_of.ravel()
    # node coordinates: the first coordinate seen for each key
    first = np.zeros(uniq.shape[0], dtype=np.int64)
    first[node_of[::-1]] = np.arange(coords.shape[0])[::-1]
    nodes = coords[first].astype(np.float64)
    u, v = node_of[a], node_of[b]
    seg_len = np.hypot(*(coords[b] - coords[a]).T)
    keep = u != v
    u, v, seg_len = u[keep], v[keep], seg_len[keep]
    feature = part_of[line_of[a[keep]]]
    n = nodes.shape[0]
    if speed_col in roads.columns:
        speed = pd.to_numeric(roads[speed_col], errors="coerce").to_numpy(np.float64)
        speed = np.where(np.isfinite(speed) & (speed > 0), speed, default_speed_kmh)
    else:
        speed = np.full(len(roads), default_speed_kmh)
    if oneway_col in roads.columns:
        oneway = roads[oneway_col].fillna(False).to_numpy(dtype=bool)
    else:
        oneway = np.zeros(len(roads), dtype=bool)
    minutes = seg_len / (speed[feature] * 1000.0 / 60.0)
    length = _min_csr(np.concatenate([u, v]), np.concatenate([v, u]), np.tile(seg_len, 2), n)
    two = ~oneway[feature]
    time = _min_csr(
        np.concatenate([u, v[two]]),
        np.concatenate([v, u[two]]),
        np.concatenate([minutes, minutes[two]]),
        n,
    )
    return RoadNetwork(nodes, length, time, roads.crs)


def _min_csr(r: IntArray, c: IntArray, w: FloatArray, n: int) -> csr_matrix:
    """Sparse matrix keeping the shortest of parallel edges (csr would sum them)."""
    order = np.lexsort((w, c, r))
    r, c, w = r[order], c[order], w[order]
    first = np.ones(r.size, dtype=bool)
    first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    return csr_matrix((w[first], (r[first], c[first])), shape=(n, n))
