"""The population raster reader: nodata, dtypes, bad values, CRS, bands.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import numpy as np
import pytest
from io_fixtures import (
    esc,
    write_raster,
)

from xuewei.errors import CRSError, InputError
from xuewei.gis import (
    read_population_raster,
)


def test_read_population_raster(tmp_path):
    data = np.arange(100, dtype="float32").reshape(10, 10)
    data[0, 0] = -9999
    data[1, 1] = np.nan
    r = read_population_raster(write_raster(tmp_path / "pop.tif", data, nodata=-9999))
    assert r.values.dtype == np.float32
    assert r.nodata_cells == 2
    assert r.values[0, 0] == 0 and r.values[1, 1] == 0
    assert r.total == pytest.approx(np.nansum(np.where(data < 0, 0, data)))
    assert r.crs.to_epsg() == 4547
    assert r.shape == (10, 10)
    assert r.transform.a == 100


def test_integer_raster_becomes_float64(tmp_path):
    r = read_population_raster(write_raster(tmp_path / "pop.tif", np.ones((3, 3), "int16")))
    assert r.values.dtype == np.float64 and r.total == 9.0


def test_raster_negative_values_report_count_and_first_cell(tmp_path):
    data = np.ones((4, 5), dtype="float64")
    data[2, 3] = -2
    data[3, 1] = -1
    f = write_raster(tmp_path / "pop.tif", data)
    with pytest.raises(
        InputError, match=esc("pop.tif: 2 cells have negative residents, the first at row 2, col")
    ):
        read_population_raster(f)


def test_raster_without_crs(tmp_path):
    f = write_raster(tmp_path / "pop.tif", np.ones((3, 3), "float32"), crs=None)
    with pytest.raises(CRSError, match=esc("pop.tif has no coordinate reference system; assign")):
        read_population_raster(f)


def test_raster_with_several_bands(tmp_path):
    f = write_raster(tmp_path / "pop.tif", np.ones((2, 3, 3), "float32"))
    with pytest.raises(InputError, match=esc("pop.tif: has 2 bands; expected one band")):
        read_population_raster(f)
