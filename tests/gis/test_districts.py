"""The districts reader: polygons with unique ids, from vector files only.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import pytest
from io_fixtures import (
    district_frame,
    esc,
    write,
)

from xuewei.errors import InputError
from xuewei.gis import (
    plan_crs,
    read_districts,
)


def test_read_districts_geojson(tmp_path):
    f = tmp_path / "districts.geojson"
    district_frame().to_file(f)
    districts = read_districts(f)
    assert districts["district_id"].tolist() == ["430102", "430103", "430104"]
    assert districts["name"].tolist() == ["芙蓉区", "天心区", "岳麓区"]
    assert districts["parent_id"].tolist() == ["430100"] * 3
    assert districts.crs.to_epsg() == 4326
    assert plan_crs(districts).to_epsg() == 4547


def test_districts_must_be_a_vector_file(tmp_path):
    f = write(tmp_path / "districts.csv", "district_id,name\n1,A\n")
    with pytest.raises(InputError, match=esc("unsupported file type '.csv' for district data")):
        read_districts(f)


def test_duplicate_district_ids_name_both_features(tmp_path):
    frame = district_frame()
    frame.loc[2, "district_id"] = "430102"
    f = tmp_path / "districts.geojson"
    frame.to_file(f)
    with pytest.raises(
        InputError,
        match=esc(
            "districts.geojson row 3, column `district_id`: duplicate district_id "
            "'430102' (first in row 1)"
        ),
    ):
        read_districts(f)
