"""The schools reader: every format and encoding, and every bad value refused.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyproj
import pytest
import shapely
from io_fixtures import (
    SCHOOLS_CSV,
    esc,
    gbk_schools,
    write,
)

from xuewei.errors import InputError
from xuewei.gis import (
    gcj02_to_wgs84,
    read_schools,
)


def test_read_schools_csv_utf8(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV)
    schools = read_schools(f)
    assert schools.crs.to_epsg() == 4326
    assert schools["school_id"].tolist() == ["S001", "S002", "S003"]
    assert schools["district_id"].tolist() == ["430102", "430103", "430104"]
    assert schools["level"].tolist() == ["primary", "junior", "kindergarten"]
    assert schools["capacity"].dtype == "Int64"
    assert schools["capacity"].tolist() == [1800, 2400, 270]
    assert schools["public"].tolist() == [True, True, False]
    assert schools["synthetic"].tolist() == [False] * 3
    assert schools["enrolment"].isna().all()  # optional, absent: added as missing
    assert "lon" not in schools.columns and "lat" not in schools.columns
    assert schools.geometry[0].equals(shapely.Point(112.98, 28.19))


def test_read_schools_csv_utf8_bom_with_crlf(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV.replace("\n", "\r\n"), "utf-8-sig")
    schools = read_schools(f)
    assert schools.columns[0] == "school_id"
    assert len(schools) == 3


def test_read_schools_gbk_with_chinese_levels(tmp_path):
    schools = read_schools(gbk_schools(tmp_path))
    assert schools["name"].tolist()[:2] == ["育英小学", "长郡中学初中部"]
    assert schools["level"].tolist() == [
        "primary",
        "junior",
        "nine_year",
        "kindergarten",
        "primary",
    ]
    assert schools["public"].tolist() == [True, True, False, False, True]


def test_read_schools_xlsx_with_explicit_coordinate_columns(tmp_path):
    f = tmp_path / "schools.xlsx"
    pd.DataFrame(
        {
            "school_id": ["001", "002"],
            "name": ["A", "B"],
            "level": ["Primary ", "NINE-YEAR"],
            "classes": [24, 36],
            "x_gd": [112.98, 112.97],
            "y_gd": [28.19, 28.18],
        }
    ).to_excel(f, index=False)
    schools = read_schools(f, lon="x_gd", lat="y_gd", coords="gcj02")
    assert schools["school_id"].tolist() == ["001", "002"]
    assert schools["level"].tolist() == ["primary", "nine_year"]
    assert schools["classes"].tolist() == [24, 36]
    x, y = gcj02_to_wgs84(112.98, 28.19)
    assert schools.geometry[0].x == pytest.approx(x, abs=1e-12)
    assert schools.geometry[0].y == pytest.approx(y, abs=1e-12)


def test_read_schools_geopackage_polygons_become_inner_points(tmp_path):
    grounds = [
        shapely.Polygon([(0, 0), (300, 0), (300, 40), (40, 40), (40, 300), (0, 300)]),
        shapely.box(1000, 1000, 1200, 1150),
    ]
    origin = shapely.affinity.translate
    frame = gpd.GeoDataFrame(
        {"school_id": [1, 2], "name": ["L-shaped", "Box"], "level": ["小学", "初中"]},
        geometry=[origin(g, 500_000, 3_120_000) for g in grounds],
        crs=4547,
    )
    f = tmp_path / "schools.gpkg"
    frame.to_file(f, layer="schools")
    schools = read_schools(f, crs=4547)
    assert schools["school_id"].tolist() == ["1", "2"]  # integer ids become text
    assert (schools.geom_type == "Point").all()
    assert schools.geometry.within(frame.geometry).all()  # inside, not the centroid
    assert schools.crs.to_epsg() == 4547


def test_read_schools_reprojects_to_the_plan_crs(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV)
    schools = read_schools(f, crs="EPSG:4547")
    assert schools.crs.equals(pyproj.CRS.from_epsg(4547))
    x, y = pyproj.Transformer.from_crs(4326, 4547, always_xy=True).transform(112.98, 28.19)
    assert schools.geometry[0].x == pytest.approx(x)
    assert schools.geometry[0].y == pytest.approx(y)


def test_read_schools_does_not_modify_or_drop(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV + ",,,,,,,\n")
    before = f.read_bytes()
    schools = read_schools(f)
    assert f.read_bytes() == before
    assert len(schools) == 3 and schools.index.tolist() == [0, 1, 2]


def test_negative_capacity_names_file_row_and_column(tmp_path):
    text = SCHOOLS_CSV.replace("2400", "-40")
    f = write(tmp_path / "schools.csv", text)
    with pytest.raises(
        InputError,
        match=esc("schools.csv row 2, column `capacity`: got -40; capacity must be ≥ 0."),
    ):
        read_schools(f)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("S002", "", "row 2, column `school_id`: value is missing; every school needs"),
        (
            "1800",
            "1800人",
            "row 1, column `capacity`: got '1800人'; capacity must be a whole number. Remove "
            "units and notes: write 1800, not '1800人'.",
        ),
        # 万 is ten thousand: the hint works it out (it said "write 1200")
        (
            "2400",
            "0.24万",
            "row 2, column `capacity`: got '0.24万'; capacity must be a whole number. Remove "
            "units and notes: 0.24万 is 2400, write 2400.",
        ),
        ("1800", "18.5", "row 1, column `capacity`: got 18.5; capacity must be a whole number"),
        ("true", "maybe", "row 1, column `public`: got 'maybe'; public must be yes or no"),
        ("S002", "S001", "row 2, column `school_id`: duplicate school_id 'S001' (first in row 1)"),
        (
            "junior",
            "高中",
            "row 2, column `level`: got '高中'; level must be one of primary (小学)",
        ),
        ("junior", "中学", "row 2, column `level`: got '中学'; level must be one of"),
    ],
)
def test_bad_school_values(tmp_path, old, new, expected):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV.replace(old, new, 1))
    with pytest.raises(InputError, match="schools.csv " + esc(expected)):
        read_schools(f)


def test_unknown_level_lists_accepted_values(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV.replace("kindergarten,270", "creche,270"))
    with pytest.raises(InputError) as info:
        read_schools(f)
    message = str(info.value)
    for accepted in ("primary (小学)", "junior (初中)", "nine_year (九年一贯制)", "幼儿园"):
        assert accepted in message
    assert info.value.problems[0].row == 3 and info.value.problems[0].column == "level"


def test_every_problem_is_reported_at_once(tmp_path):
    text = SCHOOLS_CSV.replace("1800", "-1").replace("S003", "S001").replace("junior,", "大学,")
    f = write(tmp_path / "schools.csv", text)
    with pytest.raises(InputError, match="3 problems found") as info:
        read_schools(f)
    assert sorted((p.row, p.column) for p in info.value.problems) == [
        (1, "capacity"),
        (2, "level"),
        (3, "school_id"),
    ]


def test_many_bad_rows_are_summarised(tmp_path):
    rows = "".join(f"S{i},n,primary,-{i},{112 + i / 100},28.2\n" for i in range(1, 31))
    f = write(tmp_path / "schools.csv", "school_id,name,level,capacity,lon,lat\n" + rows)
    with pytest.raises(InputError, match="and 10 more rows with the same kind of problem") as info:
        read_schools(f)
    assert len(info.value.problems) == 21


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("School_ID", "did you mean `School_ID`? Rename it to `school_id`."),
        ("学校编号", "did you mean `学校编号`? Rename it to `school_id`."),
        ("sid", "add a `school_id` column"),
    ],
)
def test_missing_required_column_suggests_a_near_match(tmp_path, header, expected):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV.replace("school_id", header, 1))
    with pytest.raises(InputError) as info:
        read_schools(f)
    message = str(info.value)
    assert message.startswith("schools.csv, column `school_id`: required column `school_id`")
    assert f"found: `{header}`, `name`, `level`" in message
    assert expected in message


def test_closing_before_opening(tmp_path):
    text = "school_id,name,level,opened,closing,lon,lat\nS1,A,小学,2010,2005,112.9,28.2\n"
    f = write(tmp_path / "schools.csv", text)
    with pytest.raises(InputError, match=esc("row 1, column `closing`: got closing 2005 before")):
        read_schools(f)


def test_names_without_english_get_pinyin(tmp_path):
    """An English name given is kept; a missing one is made from the Chinese name."""
    from xuewei.gis import read_schools

    f = tmp_path / "schools.csv"
    f.write_text(
        "school_id,name,name_en,level,capacity,lon,lat\n"
        "S1,梅溪湖小学,,primary,1000,112.9,28.2\n"
        "S2,长沙市第十二中学,,junior,1500,112.91,28.2\n"
        "S3,麓山国际实验学校,Lushan International,junior,1500,112.92,28.2\n",
        encoding="utf-8",
    )
    names = read_schools(f)["name_en"].tolist()
    assert names == [
        "Meixihu Primary School",
        "Changsha No. 12 Middle School",
        "Lushan International",
    ]
