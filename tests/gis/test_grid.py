"""Nearest school of raster cells on their grid: the same answers as point by point."""

from __future__ import annotations

import numpy as np
from affine import Affine
from hypothesis import given, settings
from hypothesis import strategies as st

from xuewei.gis import nearest_within
from xuewei.gis._grid import nearest_on_grid

# points on a 50 m lattice: exact ties, duplicates and pairs at exactly the radius
# (150-200-250 triangles) are common, which is where a search may lose or gain a pair
lattice = st.lists(
    st.tuples(st.integers(-5, 30), st.integers(-5, 30)).map(lambda p: (p[0] * 50.0, p[1] * 50.0)),
    min_size=1,
    max_size=60,
)


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
