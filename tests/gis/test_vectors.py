"""Vector layers: GeoJSON/GeoPackage/Shapefile, their CRS, layers and cut field names.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from io_fixtures import (
    district_frame,
    esc,
    write,
)

from xuewei.errors import CRSError, InputError
from xuewei.gis import (
    read_districts,
    read_estates,
)


def test_geojson_without_crs_member_is_wgs84(tmp_path):
    f = write(
        tmp_path / "d.geojson",
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"district_id": "430102", "name": "芙蓉区"}, "geometry": {"type": "Polygon", '
        '"coordinates": [[[112.9, 28.1], [113.1, 28.1], [113.1, 28.3], [112.9, 28.1]]]}}]}',
    )
    assert read_districts(f).crs.to_epsg() == 4326


def test_shapefile_without_prj_is_a_crs_error(tmp_path):
    f = tmp_path / "estates.shp"
    gpd.GeoDataFrame(
        {"estate_id": ["E1"], "name": ["A"], "residents": [10.0]},
        geometry=[shapely.Point(112.9, 28.2)],
        crs=4326,
    ).to_file(f)
    f.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match=esc("estates.shp has no coordinate reference system")):
        read_estates(f)


def test_several_layers_need_a_choice(tmp_path):
    f = tmp_path / "plan.gpkg"
    district_frame().to_file(f, layer="districts")
    district_frame().to_file(f, layer="streets")
    with pytest.raises(InputError, match=esc("plan.gpkg: the file has 2 layers")):
        read_districts(f)
    assert len(read_districts(f, layer="streets")) == 3
    with pytest.raises(InputError, match="no layer 'towns'"):
        read_districts(f, layer="towns")


def test_float_ids_from_vector_files_lose_the_trailing_zero(tmp_path):
    # Shapefiles also cut field names to 10 characters: district_id is stored as district_i
    frame = district_frame().rename(columns={"district_id": "district_i"})
    frame["district_i"] = [430102.0, 430103.0, 430104.0]
    f = tmp_path / "districts.shp"
    frame.to_file(f, encoding="utf-8")
    assert read_districts(f)["district_id"].tolist() == ["430102", "430103", "430104"]
