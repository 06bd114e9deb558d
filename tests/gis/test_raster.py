"""Zonal sums and dasymetric allocation: hand-computed cases and conservation."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from affine import Affine

from xuewei.data import SynthRaster
from xuewei.errors import InputError
from xuewei.gis import allocate_to_cells, allocate_to_estates, label_raster, zonal_sums

CRS = "EPSG:4547"


def _raster() -> SynthRaster:
    from pyproj import CRS as P

    v = np.arange(1, 13, dtype=np.float32).reshape(3, 4)  # 3 rows × 4 cols, 100 m
    return SynthRaster(v, Affine(100, 0, 0, 0, -100, 300), P.from_user_input(CRS))


def _zones() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"district_id": ["w", "e"]},
        geometry=[shapely.box(0, 0, 200, 300), shapely.box(200, 100, 400, 300)],
        crs=CRS,
    )


def test_label_and_zonal_sums_hand_computed() -> None:
    r = _raster()
    lab = label_raster(r, _zones())
    assert lab.tolist() == [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, -1, -1]]
    out = zonal_sums(r, _zones(), id_col="district_id")
    # w: 1+2+5+6+9+10 = 33; e: 3+4+7+8 = 22; outside 11+12 = 23
    assert out["residents"].tolist() == [33.0, 22.0]
    assert out["cells"].tolist() == [6, 4]
    assert out.attrs["outside"] == 23.0
    assert out["residents"].sum() + out.attrs["outside"] == r.values.sum()


def test_zonal_sums_conserve_city_total(small_city) -> None:
    d = small_city.districts.to_crs(small_city.crs)
    out = zonal_sums(small_city.raster, d, id_col="district_id")
    total = math.fsum(small_city.raster.values.ravel().astype(float))
    assert math.fsum(out["residents"]) + out.attrs["outside"] == pytest.approx(total, rel=1e-12)
    # the synthetic raster holds each district's total (cell-centre rule)
    assert out.set_index("district_id")["residents"].to_dict() == pytest.approx(
        small_city.totals.astype(float).to_dict()
    )


def test_allocate_to_cells_follows_base_and_conserves() -> None:
    r = _raster()
    f = pd.DataFrame({"district_id": ["w", "e"], "year": [2030, 2030], "value": [66.0, 0.0]})
    a = allocate_to_cells(r, _zones(), f, year=2030)
    assert a.values[0, :2].tolist() == [2.0, 4.0]  # doubled
    assert a.values[:, 2:].sum() == 0.0
    sums = zonal_sums(a, _zones(), id_col="district_id")
    assert sums["residents"].tolist() == pytest.approx([66.0, 0.0], rel=1e-15)
    assert sums.attrs["outside"] == 0.0


def test_allocate_to_cells_empty_base_spreads_evenly_and_errors() -> None:
    r = _raster()
    zero = SynthRaster(np.zeros_like(r.values), r.transform, r.crs)
    f = pd.DataFrame({"district_id": ["w", "e"], "year": [2030] * 2, "value": [60.0, 8.0]})
    a = allocate_to_cells(zero, _zones(), f, year=2030)
    assert a.values[0, 0] == 10.0 and a.values[0, 3] == 2.0
    with pytest.raises(InputError, match="no rows for year 2031"):
        allocate_to_cells(r, _zones(), f, year=2031)
    with pytest.raises(InputError, match="district e has no forecast"):
        allocate_to_cells(r, _zones(), f.iloc[:1], year=2030)


def test_allocate_to_estates() -> None:
    e = gpd.GeoDataFrame(
        {
            "estate_id": ["a", "b", "c"],
            "district_id": ["w", "w", "w"],
            "residents": [100.0, 300.0, 500.0],
            "completion_year": pd.array([2020, 2020, 2035], dtype="Int64"),
        },
        geometry=[shapely.Point(0, 0)] * 3,
        crs=CRS,
    )
    f = pd.DataFrame({"district_id": ["w"], "year": [2030], "value": [1000.0]})
    out = allocate_to_estates(e, f, year=2030)
    assert out["residents"].tolist() == [250.0, 750.0, 0.0]
    assert out["residents_base"].tolist() == [100.0, 300.0, 500.0]
    assert e["residents"].tolist() == [100.0, 300.0, 500.0]  # input untouched
