"""Straight-line distances: detour factor, radius limits, ties, points of polygons."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from xuewei.gis import nearest_within, pairs_within, point_xy


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


def test_point_xy_points_and_others() -> None:
    pts = gpd.GeoSeries([shapely.Point(1.5, 2.5), shapely.Point(-3, 4)])
    assert point_xy(pts).tolist() == [[1.5, 2.5], [-3.0, 4.0]]
    mixed = gpd.GeoSeries([shapely.Point(1.5, 2.5), shapely.box(0, 0, 2, 2)])
    assert point_xy(mixed).tolist() == [[1.5, 2.5], [1.0, 1.0]]
