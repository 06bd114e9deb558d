"""Geometry checks on read: missing, wrong-type and invalid geometries, repair.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from io_fixtures import (
    esc,
)

from xuewei.errors import InputError
from xuewei.gis import (
    read_districts,
    read_schools,
)


def test_vector_problems_name_the_feature(tmp_path):
    bowtie = shapely.Polygon([(112.9, 28.1), (113.1, 28.3), (113.1, 28.1), (112.9, 28.3)])
    frame = gpd.GeoDataFrame(
        {
            "district_id": ["430102", "430103", "430104", "430105"],
            "name": ["A", "B", "C", "D"],
        },
        geometry=[shapely.box(112.9, 28.1, 113, 28.2), bowtie, None, shapely.box(28, 112, 29, 113)],
        crs=4326,
    )
    f = tmp_path / "districts.gpkg"
    frame.to_file(f)
    with pytest.raises(InputError) as info:
        read_districts(f)
    message = str(info.value)
    assert "districts.gpkg row 2, column `geometry`: invalid geometry (Self-intersection" in message
    assert "pass repair=True" in message
    assert "districts.gpkg row 3, column `geometry`: geometry is missing" in message
    assert "districts.gpkg row 4, column `geometry`: longitude 28.5 and latitude 112.5" in message


def test_repair_fixes_invalid_polygons_when_asked(tmp_path, caplog):
    bowtie = shapely.Polygon([(112.9, 28.1), (113.1, 28.3), (113.1, 28.1), (112.9, 28.3)])
    frame = gpd.GeoDataFrame(
        {"district_id": ["430102"], "name": ["A"]}, geometry=[bowtie], crs=4326
    )
    f = tmp_path / "districts.gpkg"
    frame.to_file(f)
    districts = read_districts(f, repair=True)
    assert districts.is_valid.all()
    assert districts.geom_type.tolist() == ["MultiPolygon"]
    assert "repaired 1 invalid geometries" in caplog.text


def test_wrong_geometry_type(tmp_path):
    frame = gpd.GeoDataFrame(
        {"school_id": ["S1", "S2"], "name": ["A", "B"], "level": ["小学", "小学"]},
        geometry=[shapely.Point(112.9, 28.2), shapely.LineString([(112.9, 28.2), (113, 28.3)])],
        crs=4326,
    )
    f = tmp_path / "schools.geojson"
    frame.to_file(f)
    with pytest.raises(
        InputError, match=esc("schools.geojson row 2, column `geometry`: got a line")
    ):
        read_schools(f)
    g = tmp_path / "districts.geojson"
    frame.rename(columns={"school_id": "district_id"}).to_file(g)
    with pytest.raises(InputError, match=esc("row 1, column `geometry`: got a point; expected a")):
        read_districts(g)
