"""The estates reader: residents or dwellings, points or polygons.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from io_fixtures import (
    esc,
    write,
)

from xuewei.errors import InputError
from xuewei.gis import (
    read_estates,
)


def test_read_estates_shapefile_projected(tmp_path):
    estates = gpd.GeoDataFrame(
        {
            "estate_id": ["E1", "E2"],
            "name": ["融城", "万科城"],
            "residents": [3200.0, None],
            "dwellings": [1100, 2400],
        },
        geometry=[shapely.box(0, 0, 200, 200), shapely.Point(500, 500)],
        crs=4547,
    )
    estates["geometry"] = estates.geometry.translate(500_000, 3_120_000)
    f = tmp_path / "estates.shp"
    estates.iloc[:1].to_file(f, encoding="utf-8")
    e = read_estates(f)
    assert e["name"].tolist() == ["融城"]
    assert e.crs.to_epsg() == 4326
    assert e.geom_type.tolist() == ["Polygon"]  # estates keep their polygons
    e2 = read_estates(f, crs=4547)
    assert e2.geometry[0].area == pytest.approx(40_000, rel=1e-6)


def test_read_estates_needs_residents_or_dwellings(tmp_path):
    f = write(tmp_path / "estates.csv", "estate_id,name,lon,lat\nE1,A,112.9,28.2\n")
    with pytest.raises(InputError, match=esc("needs a `residents` or a `dwellings` column")):
        read_estates(f)
    g = write(
        tmp_path / "e2.csv",
        "estate_id,name,residents,dwellings,lon,lat\nE1,A,,10,112.9,28.2\nE2,B,,,112.9,28.2\n",
    )
    with pytest.raises(InputError, match=esc("e2.csv row 2, column `residents`: residents and")):
        read_estates(g)
