"""GCJ-02/BD-09 conversions: published reference values, round trips, inverses."""

from __future__ import annotations

import numpy as np
import pyproj
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xuewei.gis import coords
from xuewei.gis.coords import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

GEOD = pyproj.Geod(ellps="WGS84")

# mainland China, well inside the box where GCJ-02 shifts
LON = st.floats(min_value=75.0, max_value=134.0, allow_nan=False)
LAT = st.floats(min_value=18.5, max_value=53.0, allow_nan=False)


def metres(lon1, lat1, lon2, lat2):
    _, _, d = GEOD.inv(lon1, lat1, lon2, lat2)
    return np.asarray(d)


def test_reference_pairs_from_coordtransform():
    # wandergis/coordtransform's test values for Beijing
    lon, lat = wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-12)
    assert lat == pytest.approx(39.91640428150164, abs=1e-12)
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.41036949371029, abs=1e-12)
    assert lat == pytest.approx(39.92133699351021, abs=1e-12)


def test_scalars_in_scalars_out_and_arrays_keep_shape():
    lon, lat = wgs84_to_gcj02(112.94, 28.23)
    assert isinstance(lon, float) and isinstance(lat, float)
    x, y = wgs84_to_bd09(np.full((2, 3), 112.94), np.full((2, 3), 28.23))
    assert x.shape == y.shape == (2, 3)


@settings(max_examples=200, deadline=None)
@given(LON, LAT)
def test_gcj02_round_trip_under_a_millimetre(lon, lat):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert metres(lon, lat, *back) < 1e-3


@settings(max_examples=200, deadline=None)
@given(LON, LAT)
def test_bd09_round_trip_under_a_millimetre(lon, lat):
    back = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert metres(lon, lat, *back) < 1e-3
    gx, gy = wgs84_to_gcj02(lon, lat)
    back_gcj = bd09_to_gcj02(*gcj02_to_bd09(gx, gy))
    assert metres(gx, gy, *back_gcj) < 1e-3


def test_round_trips_vectorised_on_many_points():
    rng = np.random.default_rng(20240601)
    lon = rng.uniform(75, 134, 20_000)
    lat = rng.uniform(18.5, 53, 20_000)
    assert metres(lon, lat, *gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))).max() < 1e-3
    assert metres(lon, lat, *bd09_to_wgs84(*wgs84_to_bd09(lon, lat))).max() < 1e-3


def test_shift_is_hundreds_of_metres_in_china():
    lon, lat = 112.9388, 28.2282  # Changsha
    d_gcj = metres(lon, lat, *wgs84_to_gcj02(lon, lat))
    d_bd = metres(lon, lat, *wgs84_to_bd09(lon, lat))
    assert 100 < d_gcj < 1000
    assert 500 < d_bd < 2000


def test_iterative_inverse_beats_the_one_step_inverse():
    rng = np.random.default_rng(7)
    lon = rng.uniform(75, 134, 2_000)
    lat = rng.uniform(18.5, 53, 2_000)
    gx, gy = wgs84_to_gcj02(lon, lat)
    # the widespread one-step inverse: subtract the offset evaluated at the GCJ-02 point
    sx, sy = wgs84_to_gcj02(gx, gy)
    naive_x, naive_y = 2 * gx - sx, 2 * gy - sy
    naive_err = metres(lon, lat, naive_x, naive_y)
    exact_err = metres(lon, lat, *gcj02_to_wgs84(gx, gy))
    assert naive_err.max() > 0.5  # about a metre or two
    assert exact_err.max() < 1e-3
    assert (exact_err < naive_err).all()


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688), (139.6917, 35.6895 + 25)],
)
def test_points_outside_china_are_not_shifted(lon, lat):
    assert bool(out_of_china(lon, lat))
    assert wgs84_to_gcj02(lon, lat) == (lon, lat)
    assert gcj02_to_wgs84(lon, lat) == (lon, lat)
    assert to_wgs84(lon, lat, "gcj02") == (lon, lat)


def test_to_wgs84_dispatches_on_the_declared_datum():
    gx, gy = wgs84_to_gcj02(112.94, 28.23)
    assert metres(112.94, 28.23, *to_wgs84(gx, gy, "gcj02")) < 1e-3
    bx, by = wgs84_to_bd09(112.94, 28.23)
    assert metres(112.94, 28.23, *to_wgs84(bx, by, "bd09")) < 1e-3
    assert to_wgs84(112.94, 28.23, "wgs84") == (112.94, 28.23)
    assert to_wgs84(112.94, 28.23, "cgcs2000") == (112.94, 28.23)
    with pytest.raises(ValueError, match="unknown coordinate system"):
        to_wgs84(112.94, 28.23, "utm")  # type: ignore[arg-type]


def test_to_wgs84_does_not_modify_its_input():
    lon = np.array([112.94, 113.0])
    lat = np.array([28.23, 28.3])
    x, _ = to_wgs84(lon, lat, "wgs84")
    x[0] = 0.0
    assert lon[0] == 112.94
    to_wgs84(lon, lat, "gcj02")
    assert lon.tolist() == [112.94, 113.0]


def test_public_names_are_reexported_from_gis():
    from xuewei import gis

    for name in coords.__all__:
        assert getattr(gis, name) is getattr(coords, name)
        assert name in gis.__all__
