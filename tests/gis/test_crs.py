"""The plan CRS: the Gauss–Krüger zone of the districts.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from io_fixtures import (
    district_frame,
)

from xuewei.errors import CRSError
from xuewei.gis import (
    plan_crs,
)


@pytest.mark.parametrize(
    ("lon", "epsg"),
    [(73.6, 4534), (76.4, 4534), (76.6, 4535), (112.94, 4547), (114.0, 4547), (135.0, 4554)],
)
def test_plan_crs_zones(lon, epsg):
    d = gpd.GeoSeries([shapely.box(lon - 0.05, 30, lon + 0.05, 30.1)], crs=4326)
    crs = plan_crs(d)
    assert crs.to_epsg() == epsg
    assert f"CM {75 + 3 * (epsg - 4534)}E" in crs.name


def test_plan_crs_from_projected_districts():
    assert plan_crs(district_frame(3857)).to_epsg() == 4547


def test_plan_crs_outside_china():
    d = gpd.GeoSeries([shapely.box(2.3, 48.8, 2.4, 48.9)], crs=4326)
    with pytest.raises(CRSError, match="lies outside China"):
        plan_crs(d)
    with pytest.raises(CRSError, match="districts has no coordinate reference system"):
        plan_crs(gpd.GeoSeries([shapely.box(112, 28, 113, 29)]))
