"""Distances: straight-line with detour, road network shortest paths, radius limits."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from xuewei.gis import build_road_network, nearest_within, pairs_within, point_xy
from xuewei.gis._grid import nearest_on_grid


def _grid_roads(n: int = 5, step: float = 100.0) -> gpd.GeoDataFrame:
    lines = [shapely.LineString([(0, i * step), ((n - 1) * step, i * step)]) for i in range(n)]
    lines += [shapely.LineString([(i * step, 0), (i * step, (n - 1) * step)]) for i in range(n)]
    # split lines at every crossing so they share vertices
    lines = [shapely.segmentize(g, step) for g in lines]
    return gpd.GeoDataFrame({"speed_kmh": [6.0] * len(lines)}, geometry=lines, crs=4547)


def test_straight_pairs_and_detour() -> None:
    o = np.array([[0.0, 0.0], [1000.0, 0.0]])
    d = np.array([[300.0, 400.0], [1000.0, 100.0]])
    p = pairs_within(o, d, radius_m=600)
    assert list(zip(p.origin, p.dest, p.distance_m, strict=True)) == [
        (0, 0, 500.0),
        (1, 1, 100.0),
    ]
    p2 = pairs_within(o, d, radius_m=600, detour_factor=1.25)
    assert p2.distance_m.tolist() == [625.0 * 0 + 125.0] or p2.distance_m.tolist() == [125.0]
    with pytest.raises(ValueError, match="detour_factor"):
        pairs_within(o, d, radius_m=600, detour_factor=0.5)


def test_nearest_ties_go_to_lower_index() -> None:
    o = np.array([[0.0, 0.0]])
    d = np.array([[10.0, 0.0], [-10.0, 0.0]])
    idx, dist = nearest_within(o, d)
    assert idx.tolist() == [0] and dist.tolist() == [10.0]
    d2 = d[::-1].copy()
    assert nearest_within(o, d2)[0].tolist() == [0]
    idx, dist = nearest_within(o, d, radius_m=10.0)
    assert idx.tolist() == [0]  # exactly on the radius counts
    assert nearest_within(o, d, radius_m=9.99)[0].tolist() == [-1]


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


# ----------------------------------------------------------------------------- fast paths

# points on a 50 m lattice: exact ties, duplicates and pairs at exactly the radius
# (150-200-250 triangles) are common, which is where a search may lose or gain a pair
lattice = st.lists(
    st.tuples(st.integers(-5, 30), st.integers(-5, 30)).map(lambda p: (p[0] * 50.0, p[1] * 50.0)),
    min_size=1,
    max_size=60,
)

anywhere = st.lists(
    st.tuples(st.floats(-300, 1500, width=32), st.floats(-300, 1500, width=32)),
    min_size=1,
    max_size=80,
)


def _brute_pairs(o, d, radius, detour):
    dist = np.hypot(o[:, None, 0] - d[None, :, 0], o[:, None, 1] - d[None, :, 1]) * detour
    i, j = np.nonzero(dist <= radius)  # row-major: sorted by origin, then destination
    return i.tolist(), j.tolist(), dist[i, j].tolist()


@settings(max_examples=80, deadline=None)
@given(
    o=st.one_of(lattice, anywhere),
    d=st.one_of(lattice, anywhere),
    radius=st.sampled_from([0.0, 50.0, 250.0, 499.0, 500.0, 1e7, np.inf]),
    detour=st.sampled_from([1.0, 1.25]),
)
def test_pairs_within_equals_all_pairs(o, d, radius, detour) -> None:
    o, d = np.array(o), np.array(d)
    p = pairs_within(o, d, radius_m=radius, detour_factor=detour)
    assert (p.origin.tolist(), p.dest.tolist(), p.distance_m.tolist()) == _brute_pairs(
        o, d, radius, detour
    )


def test_pairs_within_dense_random_points() -> None:
    rng = np.random.default_rng(3)
    shift = np.array([500_000.0, 3_000_000.0])
    o = rng.uniform(-1000, 1000, (3000, 2)) + shift
    d = rng.uniform(-1000, 1000, (200, 2)) + shift
    for radius in (30.0, 100.0, 400.0):
        p = pairs_within(o, d, radius_m=radius)
        assert len(p) > 100
        assert (p.origin.tolist(), p.dest.tolist(), p.distance_m.tolist()) == _brute_pairs(
            o, d, radius, 1.0
        )
        q = pairs_within(d, o, radius_m=radius)  # the other side bucketed
        swapped = sorted(zip(q.dest, q.origin, q.distance_m, strict=True))
        assert swapped == list(zip(p.origin, p.dest, p.distance_m, strict=True))


def test_pairs_within_tiny_radius_over_a_huge_extent() -> None:
    # 10¹² buckets would not fit: the KD-tree path answers instead
    o = np.array([[0.0, 0.0], [1e9, 1e9]])
    d = np.array([[0.0, 0.0005]])
    p = pairs_within(o, d, radius_m=1e-3)
    assert (p.origin.tolist(), p.dest.tolist(), p.distance_m.tolist()) == ([0], [0], [0.0005])


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 70), st.integers(1, 70)),
    schools=lattice,
    radius=st.sampled_from([np.inf, 150.0, 400.0]),
    detour=st.sampled_from([1.0, 1.3]),
    rotated=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_nearest_on_grid_equals_nearest_within(shape, schools, radius, detour, rotated, seed):
    # 100 m cells (rotated: a = 80, b = 60), cell centres on the 50 m lattice of the schools
    t = (
        Affine(80.0, 60.0, -300.0, 60.0, -80.0, 1500.0)
        if rotated
        else Affine(100.0, 0.0, -300.0, 0.0, -100.0, 1500.0)
    )
    keep = np.random.default_rng(seed).random(shape) < 0.8
    rows, cols = np.nonzero(keep)
    xy = np.column_stack(
        [
            t.c + (cols + 0.5) * t.a + (rows + 0.5) * t.b,
            t.f + (cols + 0.5) * t.d + (rows + 0.5) * t.e,
        ]
    )
    sxy = np.array(schools)
    got = nearest_on_grid(xy, rows, cols, t, shape, sxy, radius_m=radius, detour_factor=detour)
    want = nearest_within(xy, sxy, radius_m=radius, detour_factor=detour)
    assert got[0].tolist() == want[0].tolist()
    assert got[1].tolist() == want[1].tolist()


def test_nearest_on_grid_settles_blocks_on_a_large_grid() -> None:
    # 300 × 400 cells and 25 schools: most cells are settled by their block's corners
    rng = np.random.default_rng(5)
    t = Affine(100.0, 0.0, 500_000.0, 0.0, -100.0, 3_100_000.0)
    rows, cols = np.nonzero(rng.random((300, 400)) < 0.9)
    xy = np.column_stack([t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e])
    sxy = np.column_stack(
        [rng.uniform(500_000, 540_000, 25), rng.uniform(3_070_000, 3_100_000, 25)]
    )
    sxy[1] = sxy[0]  # a duplicate school: the lower index keeps its cells
    for radius in (np.inf, 3000.0):
        got = nearest_on_grid(
            xy, rows, cols, t, (300, 400), sxy, radius_m=radius, detour_factor=1.0
        )
        want = nearest_within(xy, sxy, radius_m=radius)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert 1 not in set(got[0].tolist())


def test_point_xy_points_and_others() -> None:
    pts = gpd.GeoSeries([shapely.Point(1.5, 2.5), shapely.Point(-3, 4)])
    assert point_xy(pts).tolist() == [[1.5, 2.5], [-3.0, 4.0]]
    mixed = gpd.GeoSeries([shapely.Point(1.5, 2.5), shapely.box(0, 0, 2, 2)])
    assert point_xy(mixed).tolist() == [[1.5, 2.5], [1.0, 1.0]]
