"""Distances between residents and schools: straight-line and along the road network.

This module owns every distance xuewei measures. Straight-line distances are taken in the
plan's projected CRS (metres) and may be multiplied by a *detour factor* (≈ 1.2–1.4 in
grid cities) to approximate walking distance. Road-network distances come from a
:class:`RoadNetwork` built once from a roads layer (:func:`build_road_network`): a sparse
graph of the road segments whose shortest paths are computed with
:func:`scipy.sparse.csgraph.dijkstra`, limited to the service radius, so a city-scale query
never builds a dense all-pairs matrix.

Many-to-many queries (:func:`pairs_within`) return only the pairs within a radius, as
three aligned arrays or a tidy frame, so that 1.2 million raster cells × 1,500 schools stay
sparse. Points off the network are snapped to their nearest graph node; the straight-line
snapping distance is added at both ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from xuewei.errors import ConfigError, InputError, Problem

__all__ = [
    "Pairs",
    "RoadNetwork",
    "build_road_network",
    "nearest_within",
    "pairs_frame",
    "pairs_within",
    "point_xy",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Cost = Literal["distance", "time"]

_CHUNK = 64  # sources per Dijkstra call: 64 × 200k nodes × 8 B ≈ 100 MB at most


def point_xy(frame: gpd.GeoDataFrame | gpd.GeoSeries) -> FloatArray:
    """Return an ``(n, 2)`` array of x/y: points as they are, polygons by a point inside.

    Parameters
    ----------
    frame
        Points or polygons in a projected CRS.

    Returns
    -------
    numpy.ndarray
        Coordinates in the frame's CRS, one row per feature.

    Examples
    --------
    >>> import shapely
    >>> s = gpd.GeoSeries([shapely.Point(1, 2), shapely.box(0, 0, 2, 2)])
    >>> point_xy(s).tolist()
    [[1.0, 2.0], [1.0, 1.0]]
    """
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    arr = np.asarray(geoms.array)
    # get_x/get_y give NaN for anything but a non-empty point: when none is NaN, every
    # feature is a point and this is the answer, at 60 % of the cost of the general path
    x, y = shapely.get_x(arr), shapely.get_y(arr)
    if not (np.isnan(x).any() or np.isnan(y).any()):
        return np.column_stack([x, y]).astype(np.float64, copy=False)
    is_point = shapely.get_type_id(arr) == 0
    if not is_point.all():  # point_on_surface only where needed: it costs ~0.5 µs a point
        arr = arr.copy()
        arr[~is_point] = shapely.point_on_surface(arr[~is_point])
    return np.asarray(shapely.get_coordinates(arr), dtype=np.float64).reshape(-1, 2)


# ----------------------------------------------------------------------------- straight


@dataclass(frozen=True)
class Pairs:
    """Sparse origin–destination pairs within a radius.

    Attributes
    ----------
    origin, dest
        Positions (0-based) into the origin and destination arrays.
    distance_m
        Distance in metres (straight-line × detour factor, or along the network).
    """

    origin: IntArray
    dest: IntArray
    distance_m: FloatArray

    def __len__(self) -> int:
        return int(self.origin.size)


def pairs_within(
    origins: FloatArray,
    dests: FloatArray,
    *,
    radius_m: float,
    detour_factor: float = 1.0,
    network: RoadNetwork | None = None,
    cost: Cost = "distance",
) -> Pairs:
    """Find every origin–destination pair no farther apart than ``radius_m``.

    Parameters
    ----------
    origins, dests
        ``(n, 2)`` and ``(m, 2)`` x/y arrays in the plan CRS (metres).
    radius_m
        Largest distance kept, in metres (or minutes when ``cost="time"``).
    detour_factor
        Multiplies straight-line distances (≥ 1); ignored with a ``network``.
    network
        Measure along this road network instead of in a straight line.
    cost
        ``"distance"`` (metres) or ``"time"`` (minutes at each road's ``speed_kmh``);
        network only.

    Returns
    -------
    Pairs
        Sorted by origin, then destination.

    Examples
    --------
    >>> o = np.array([[0.0, 0.0], [1000.0, 0.0]])
    >>> d = np.array([[300.0, 400.0], [0.0, 900.0]])
    >>> p = pairs_within(o, d, radius_m=600)
    >>> p.origin.tolist(), p.dest.tolist(), p.distance_m.tolist()
    ([0], [0], [500.0])
    >>> pairs_within(o, d, radius_m=600, detour_factor=1.3).distance_m.size
    0
    """
    _check_factor(detour_factor)
    if network is not None:
        return network.pairs_within(origins, dests, radius=radius_m, cost=cost)
    if len(origins) == 0 or len(dests) == 0:
        return _empty_pairs()
    straight = radius_m / detour_factor
    found = _pairs_bucketed(origins, dests, radius_m=radius_m, detour_factor=detour_factor)
    if found is not None:
        return found
    t_o = cKDTree(origins)
    t_d = cKDTree(dests)
    sparse = t_o.sparse_distance_matrix(t_d, straight, output_type="ndarray")
    i = sparse["i"].astype(np.int64)
    j = sparse["j"].astype(np.int64)
    # recompute exactly so that the same pair always gets the same bits
    dist = np.hypot(origins[i, 0] - dests[j, 0], origins[i, 1] - dests[j, 1]) * detour_factor
    keep = dist <= radius_m
    i, j, dist = i[keep], j[keep], dist[keep]
    order = np.lexsort((j, i))
    return Pairs(i[order], j[order], dist[order])


def _pairs_bucketed(
    origins: FloatArray, dests: FloatArray, *, radius_m: float, detour_factor: float
) -> Pairs | None:
    """Radius pairs by square buckets of side ``radius`` (``None`` when buckets do not fit).

    Why not a KD-tree: at raster scale (1.1 M cells × 1,352 schools, 1 km) building the
    tree of the cells alone costs more than this whole search. The larger side is sorted by
    bucket (rasters arrive in row order, so the stable sort mostly merges runs); every
    point of the smaller side then reads 3 contiguous key ranges (its bucket row above,
    its own, below; 3 buckets each), about 2.9 × as many candidates as pairs, all in numpy.
    """
    straight = radius_m / detour_factor
    if not (np.isfinite(straight) and straight > 0):
        return None
    flip = len(dests) > len(origins)  # bucket the larger side, query with the smaller
    big, small = (dests, origins) if flip else (origins, dests)
    # a hair wider than the radius so that rounding never loses a pair at the boundary
    w = straight * (1.0 + 1e-9)
    # column by column: big.min(axis=0) is ~50× slower on a million rows of two columns
    lo = np.array([big[:, 0].min(), big[:, 1].min()])
    span = (np.array([big[:, 0].max(), big[:, 1].max()]) - lo) / w
    if not np.all(np.isfinite(span)) or (span[0] + 3.0) * (span[1] + 3.0) > 2.0**60:
        return None
    nx = int(span[0]) + 3  # bucket columns with one spare on each side
    bx = np.floor((big[:, 0] - lo[0]) / w).astype(np.int64) + 1
    by = np.floor((big[:, 1] - lo[1]) / w).astype(np.int64) + 1
    keys = by * nx + bx
    order = np.argsort(keys, kind="stable")
    skeys = keys[order]
    qx = np.floor((small[:, 0] - lo[0]) / w).astype(np.int64) + 1
    qy = np.floor((small[:, 1] - lo[1]) / w).astype(np.int64) + 1
    # clipping to the spare ring keeps keys in range; points beyond it find nothing anyway
    qx = np.clip(qx, 0, nx - 1)
    qy = np.clip(qy, -1, int(span[1]) + 3)
    q = np.repeat(np.arange(len(small), dtype=np.int64), 3)
    row = (qy[:, None] + np.array([-1, 0, 1])).ravel()
    col = np.repeat(qx, 3)
    first = np.searchsorted(skeys, row * nx + np.maximum(col - 1, 0), side="left")
    last = np.searchsorted(skeys, row * nx + np.minimum(col + 1, nx - 1), side="right")
    n_cand = np.maximum(last - first, 0)
    total = int(n_cand.sum())
    if total == 0:
        return _empty_pairs()
    # flat candidate list: for range k, positions first[k] … last[k] - 1 of the sorted side
    ends = np.cumsum(n_cand)
    pos = np.arange(total, dtype=np.int64) + np.repeat(first - (ends - n_cand), n_cand)
    s_idx = np.repeat(q, n_cand)
    # coordinates in bucket order, so that reading the candidates is sequential
    gx, gy = big[order, 0][pos], big[order, 1][pos]
    sx, sy = small[s_idx, 0], small[s_idx, 1]
    dx, dy = (sx - gx, sy - gy) if flip else (gx - sx, gy - sy)  # origin − destination
    dist = np.hypot(dx, dy) * detour_factor
    keep = dist <= radius_m
    b, s_idx, dist = order[pos[keep]], s_idx[keep], dist[keep]
    i, j = (s_idx, b) if flip else (b, s_idx)
    srt = np.lexsort((j, i))
    return Pairs(i[srt], j[srt], dist[srt])


def nearest_within(
    origins: FloatArray,
    dests: FloatArray,
    *,
    radius_m: float = np.inf,
    detour_factor: float = 1.0,
    network: RoadNetwork | None = None,
    cost: Cost = "distance",
) -> tuple[IntArray, FloatArray]:
    """Nearest destination of every origin, within a radius.

    Parameters
    ----------
    origins, dests
        ``(n, 2)`` and ``(m, 2)`` x/y arrays in the plan CRS (metres).
    radius_m
        Largest distance; origins with nothing closer get index ``-1`` and distance
        ``inf``. Default: no limit.
    detour_factor
        Multiplies straight-line distances (≥ 1); ignored with a ``network``.
    network
        Measure along this road network (one multi-source Dijkstra pass).
    cost
        ``"distance"`` or ``"time"``; network only.

    Returns
    -------
    tuple of numpy.ndarray
        Index of the nearest destination (``-1`` when none), distance (``inf`` when none).
        Exact ties go to the destination with the lower index.

    Examples
    --------
    >>> o = np.array([[0.0, 0.0], [5000.0, 0.0]])
    >>> d = np.array([[300.0, 400.0], [0.0, 900.0]])
    >>> idx, dist = nearest_within(o, d, radius_m=1000)
    >>> idx.tolist(), dist.tolist()
    ([0, -1], [500.0, inf])
    """
    _check_factor(detour_factor)
    n = len(origins)
    if network is not None:
        return network.nearest(origins, dests, radius=radius_m, cost=cost)
    if n == 0 or len(dests) == 0:
        return np.full(n, -1, dtype=np.int64), np.full(n, np.inf)
    tree = cKDTree(dests)
    bound = radius_m / detour_factor
    upper = bound * (1 + 1e-9) + 1e-9 if np.isfinite(bound) else np.inf
    # k=2 finds exact ties so that the lower index wins deterministically
    k = 2 if len(dests) > 1 else 1
    dist, idx = tree.query(origins, k=k, distance_upper_bound=upper)
    dist = np.asarray(dist, dtype=np.float64).reshape(n, k)
    idx = np.asarray(idx, dtype=np.int64).reshape(n, k)
    best = idx[:, 0].copy()
    if k == 2:
        tie = (dist[:, 1] == dist[:, 0]) & (idx[:, 1] < best)
        best[tie] = idx[tie, 1]
    found = best < len(dests)
    out_idx = np.where(found, best, -1)
    d = np.full(n, np.inf)
    b = out_idx[found]
    d[found] = (
        np.hypot(origins[found, 0] - dests[b, 0], origins[found, 1] - dests[b, 1]) * detour_factor
    )
    over = d > radius_m
    out_idx[over] = -1
    d[over] = np.inf
    return out_idx, d


def pairs_frame(
    pairs: Pairs, origin_ids: npt.ArrayLike, dest_ids: npt.ArrayLike, *, names: tuple[str, str]
) -> pd.DataFrame:
    """Return pairs as a tidy frame ``names[0], names[1], distance_m``.

    Examples
    --------
    >>> p = Pairs(np.array([0]), np.array([1]), np.array([250.0]))
    >>> pairs_frame(p, ["e1"], ["s1", "s2"], names=("estate_id", "school_id"))
      estate_id school_id  distance_m
    0        e1        s2       250.0
    """
    o = np.asarray(origin_ids)
    d = np.asarray(dest_ids)
    return pd.DataFrame(
        {names[0]: o[pairs.origin], names[1]: d[pairs.dest], "distance_m": pairs.distance_m}
    )


def _check_factor(detour_factor: float) -> None:
    if not detour_factor >= 1.0 or not np.isfinite(detour_factor):
        raise ConfigError(
            f"detour_factor={detour_factor!r}; expected a finite number ≥ 1 (1.0 for "
            "straight lines, 1.2–1.4 to approximate walking routes)."
        )


def _empty_pairs() -> Pairs:
    return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))


# ----------------------------------------------------------------------------- network


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
            return _empty_pairs()
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
            return _empty_pairs()
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
