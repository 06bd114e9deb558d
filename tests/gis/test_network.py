"""Road networks: shortest paths along the roads, hand-computed, and one-way streets."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from xuewei.gis import build_road_network, nearest_within


def _grid_roads(n: int = 5, step: float = 100.0) -> gpd.GeoDataFrame:
    lines = [shapely.LineString([(0, i * step), ((n - 1) * step, i * step)]) for i in range(n)]
    lines += [shapely.LineString([(i * step, 0), (i * step, (n - 1) * step)]) for i in range(n)]
    # split lines at every crossing so they share vertices
    lines = [shapely.segmentize(g, step) for g in lines]
    return gpd.GeoDataFrame({"speed_kmh": [6.0] * len(lines)}, geometry=lines, crs=4547)


def test_network_distances_hand_computed() -> None:
    net = build_road_network(_grid_roads())
    assert net.n_nodes == 25
    # from the corner (0, 0) to (200, 100): Manhattan 300 m along the grid
    o = np.array([[0.0, 0.0], [400.0, 400.0]])
    d = np.array([[200.0, 100.0]])
    p = net.pairs_within(o, d, radius=350)
    assert p.origin.tolist() == [0] and p.distance_m.tolist() == pytest.approx([300.0])
    idx, dist = net.nearest(o, d, radius=1000)
    assert idx.tolist() == [0, 0]
    assert dist.tolist() == pytest.approx([300.0, 500.0])
    # off-network points add their snapping legs
    idx, dist = nearest_within(np.array([[0.0, -30.0]]), d, network=net)
    assert dist.tolist() == pytest.approx([330.0])
    # time at 6 km/h = 100 m/min: 3 minutes
    p = net.pairs_within(o[:1], d, radius=10, cost="time")
    assert p.distance_m.tolist() == pytest.approx([3.0])


def test_network_pairs_match_nearest() -> None:
    net = build_road_network(_grid_roads(n=8))
    rng = np.random.default_rng(1)
    o = rng.uniform(0, 700, (60, 2))
    d = rng.uniform(0, 700, (5, 2))
    p = net.pairs_within(o, d, radius=400)
    idx, dist = net.nearest(o, d, radius=400)
    best = np.full(len(o), np.inf)
    np.minimum.at(best, p.origin, p.distance_m)
    np.testing.assert_allclose(np.where(idx >= 0, dist, np.inf), best)


def test_oneway_only_affects_time() -> None:
    roads = gpd.GeoDataFrame(
        {"oneway": [True]}, geometry=[shapely.LineString([(0, 0), (100, 0)])], crs=4547
    )
    net = build_road_network(roads)
    assert net.length.nnz == 2 and net.time.nnz == 1
