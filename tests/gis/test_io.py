"""Readers of the data contract: good inputs in every format, and every bad input refused.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely

from xuewei import gis
from xuewei.errors import CRSError, InputError
from xuewei.gis import (
    gcj02_to_wgs84,
    normalise_level,
    plan_crs,
    read_candidate_sites,
    read_districts,
    read_estates,
    read_population,
    read_population_raster,
    read_schools,
    read_table,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

SCHOOLS_CSV = """school_id,name,level,capacity,public,district_id,lon,lat
S001,Yuying Primary,primary,1800,true,430102,112.98,28.19
S002,Changjun Junior,junior,2400,1,430103,112.97,28.18
S003,Bright Kindergarten,kindergarten,270,0,430104,112.94,28.23
"""

SCHOOLS_GBK = """学校编号,名称,学段,学位数,公办,经度,纬度
S001,育英小学,小学,1800,公办,112.98,28.19
S002,长郡中学初中部,初级中学,2400,公办,112.97,28.18
S003,博才九年制,九年一贯制,3000,民办,112.92,28.21
S004,金色幼儿园,幼儿园,270,否,112.94,28.23
S005,岳麓中心小学,中心小学,1350,是,112.93,28.20
"""


def esc(text: str) -> str:
    return re.escape(text)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def gbk_schools(tmp_path: Path) -> Path:
    # the contract's column names with Chinese values, saved the way Chinese Excel does
    lines = SCHOOLS_GBK.splitlines()
    lines[0] = "school_id,name,level,capacity,public,经度,纬度"
    return write(tmp_path / "学校.csv", "\r\n".join(lines) + "\r\n", "gbk")


def district_frame(crs=4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "district_id": ["430102", "430103", "430104"],
            "name": ["芙蓉区", "天心区", "岳麓区"],
            "parent_id": ["430100"] * 3,
        },
        geometry=[
            shapely.box(112.98, 28.15, 113.10, 28.25),
            shapely.box(112.95, 28.05, 113.05, 28.15),
            shapely.box(112.70, 28.05, 112.95, 28.35),
        ],
        crs=4326,
    ).to_crs(crs)


# ----------------------------------------------------------------------------- tables


def test_read_table_keeps_leading_zeros_and_skips_blank_rows(tmp_path):
    f = write(tmp_path / "t.csv", "code,n\n0731,1\n,\n\n007,2\n,\n")
    table = read_table(f)
    assert table["code"].tolist() == ["0731", "007"]
    assert table["n"].tolist() == ["1", "2"]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_read_table_detects_encodings(tmp_path, encoding):
    f = write(tmp_path / "t.csv", "district_id,name\n430102,芙蓉区\n", encoding)
    table = read_table(f)
    assert list(table.columns) == ["district_id", "name"]  # no BOM left in the header
    assert table.loc[0, "name"] == "芙蓉区"


def test_read_table_names_the_encodings_tried(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_bytes(b"id,name\n1,\xff\xfe\xfd\x80\n")
    with pytest.raises(InputError, match=r"bad\.csv: cannot decode.*utf-8-sig, gb18030"):
        read_table(f)


def test_read_table_refuses_repeated_column_names(tmp_path):
    f = write(tmp_path / "t.csv", "id,name,name\n1,a,b\n")
    with pytest.raises(InputError, match=esc("t.csv, column `name`: column name appears twice")):
        read_table(f)


def test_read_table_xlsx_sheets(tmp_path):
    f = tmp_path / "t.xlsx"
    with pd.ExcelWriter(f) as writer:
        pd.DataFrame({"a": ["x"]}).to_excel(writer, sheet_name="notes", index=False)
        pd.DataFrame({"district_id": ["0731"], "n": [5]}).to_excel(
            writer, sheet_name="data", index=False
        )
    assert read_table(f).columns.tolist() == ["a"]
    assert read_table(f, sheet="data")["district_id"].tolist() == ["0731"]
    with pytest.raises(InputError, match="no sheet 'pop'; the workbook has sheets notes, data"):
        read_table(f, sheet="pop")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.csv", "missing.csv: file not found"),
        ("schools.xls", "unsupported file type '.xls'.*save Excel 97-2003 .xls files as .xlsx"),
        ("schools.txt", "unsupported file type '.txt'"),
    ],
)
def test_missing_file_and_unsupported_types(tmp_path, name, message):
    if name != "missing.csv":
        write(tmp_path / name, "x")
    with pytest.raises(InputError, match=message):
        read_schools(tmp_path / name)


# ----------------------------------------------------------------------------- schools


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


def test_read_schools_gcj02_and_bd09_tables_are_converted(tmp_path):
    wx, wy = 112.9388, 28.2282
    for coords, (x, y) in [("gcj02", wgs84_to_gcj02(wx, wy)), ("bd09", wgs84_to_bd09(wx, wy))]:
        f = write(
            tmp_path / f"{coords}.csv", f"school_id,name,level,lng,lat\nS1,A,小学,{x!r},{y!r}\n"
        )
        point = read_schools(f, coords=coords).geometry[0]
        assert point.x == pytest.approx(wx, abs=1e-8)
        assert point.y == pytest.approx(wy, abs=1e-8)


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


# ----------------------------------------------------------------------------- bad values


def test_negative_capacity_names_file_row_and_column(tmp_path):
    text = SCHOOLS_CSV.replace("2400", "-40")
    f = write(tmp_path / "schools.csv", text)
    with pytest.raises(
        InputError,
        match=esc("schools.csv row 2, column `capacity`: got -40; capacity must be ≥ 0."),
    ):
        read_schools(f)


def test_rows_count_blank_lines_like_the_spreadsheet(tmp_path):
    lines = SCHOOLS_CSV.splitlines()
    text = "\n".join([lines[0], lines[1], ",,,,,,,", lines[2].replace("2400", "lots")]) + "\n"
    f = write(tmp_path / "schools.csv", text)
    with pytest.raises(InputError, match=esc("schools.csv row 3, column `capacity`: got 'lots'")):
        read_schools(f)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("S002", "", "row 2, column `school_id`: value is missing; every school needs"),
        ("1800", "1800人", "row 1, column `capacity`: got '1800人'; capacity must be a whole"),
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


def test_missing_coordinate_columns(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV.replace(",lon,", ",x,"))
    with pytest.raises(InputError, match=esc("column `lon`: no longitude column: expected one")):
        read_schools(f)
    g = write(tmp_path / "s2.csv", SCHOOLS_CSV)
    with pytest.raises(InputError, match=esc("lon='经度' names no column")):
        read_schools(g, lon="经度")


@pytest.mark.parametrize(
    ("coords", "lon", "lat", "expected"),
    [
        (
            "wgs84",
            "28.19",
            "112.98",
            "row 1, column `lon`: longitude 28.19 and latitude 112.98 look swapped",
        ),
        ("wgs84", "3123456", "28.19", "row 1, column `lon`: got longitude 3.12346e+06"),
        ("wgs84", "", "28.19", "row 1, column `lon`: coordinate is missing"),
        ("wgs84", "112°58′", "28.19", "row 1, column `lon`: got '112°58′'; expected decimal"),
        (
            "gcj02",
            "2.35",
            "48.86",
            "row 1, column `lon`: (2.35, 48.86) lies outside China, "
            "but the coordinates are declared gcj02",
        ),
    ],
)
def test_bad_coordinates(tmp_path, coords, lon, lat, expected):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV.replace("112.98,28.19", f"{lon},{lat}"))
    with pytest.raises(InputError, match="schools.csv " + esc(expected)):
        read_schools(f, coords=coords)


def test_points_outside_china_are_fine_in_wgs84(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV.replace("112.98,28.19", "2.35,48.86"))
    assert read_schools(f).geometry[0].x == 2.35


def test_bad_coords_keyword(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV)
    with pytest.raises(InputError, match="coords='baidu' is not a coordinate system"):
        read_schools(f, coords="baidu")  # type: ignore[arg-type]


def test_bad_output_crs(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV)
    with pytest.raises(CRSError, match="cannot understand 'EPSG:99999'"):
        read_schools(f, crs="EPSG:99999")


def test_closing_before_opening(tmp_path):
    text = "school_id,name,level,opened,closing,lon,lat\nS1,A,小学,2010,2005,112.9,28.2\n"
    f = write(tmp_path / "schools.csv", text)
    with pytest.raises(InputError, match=esc("row 1, column `closing`: got closing 2005 before")):
        read_schools(f)


# ----------------------------------------------------------------------------- vector files


def test_read_districts_geojson(tmp_path):
    f = tmp_path / "districts.geojson"
    district_frame().to_file(f)
    districts = read_districts(f)
    assert districts["district_id"].tolist() == ["430102", "430103", "430104"]
    assert districts["name"].tolist() == ["芙蓉区", "天心区", "岳麓区"]
    assert districts["parent_id"].tolist() == ["430100"] * 3
    assert districts.crs.to_epsg() == 4326
    assert plan_crs(districts).to_epsg() == 4547


def test_geojson_without_crs_member_is_wgs84(tmp_path):
    f = write(
        tmp_path / "d.geojson",
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": '
        '{"district_id": "430102", "name": "芙蓉区"}, "geometry": {"type": "Polygon", '
        '"coordinates": [[[112.9, 28.1], [113.1, 28.1], [113.1, 28.3], [112.9, 28.1]]]}}]}',
    )
    assert read_districts(f).crs.to_epsg() == 4326


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


def test_districts_must_be_a_vector_file(tmp_path):
    f = write(tmp_path / "districts.csv", "district_id,name\n1,A\n")
    with pytest.raises(InputError, match=esc("unsupported file type '.csv' for district data")):
        read_districts(f)


def test_gcj02_needs_a_geographic_file(tmp_path):
    f = tmp_path / "districts.gpkg"
    district_frame(4547).to_file(f)
    with pytest.raises(CRSError, match=esc("districts.gpkg is in a projected CRS")):
        read_districts(f, coords="gcj02")


def test_gcj02_vector_file_is_converted(tmp_path):
    f = tmp_path / "districts.gpkg"
    district_frame().to_file(f)
    plain = read_districts(f)
    shifted = read_districts(f, coords="gcj02")
    x0, y0 = shapely.get_coordinates(plain.geometry[0])[0]
    x1, y1 = shapely.get_coordinates(shifted.geometry[0])[0]
    assert (x1, y1) == pytest.approx(gcj02_to_wgs84(x0, y0), abs=1e-12)


def test_wrong_crs_label_is_caught(tmp_path):
    # degrees written into a file labelled as Gauss-Krüger metres
    frame = district_frame().set_crs(4547, allow_override=True)
    f = tmp_path / "districts.gpkg"
    frame.to_file(f)
    with pytest.raises(InputError, match=r"row 1, column `geometry`: .* outside China; the file's"):
        read_districts(f)


def test_several_layers_need_a_choice(tmp_path):
    f = tmp_path / "plan.gpkg"
    district_frame().to_file(f, layer="districts")
    district_frame().to_file(f, layer="streets")
    with pytest.raises(InputError, match=esc("plan.gpkg: the file has 2 layers")):
        read_districts(f)
    assert len(read_districts(f, layer="streets")) == 3
    with pytest.raises(InputError, match="no layer 'towns'"):
        read_districts(f, layer="towns")


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


# ----------------------------------------------------------------------------- population


POPULATION_CSV = """district_id,year,population,births,basis,name
430100,2020,10047914,95000,普查,长沙市
430102,2020,"624,000",5100,census,芙蓉区
430102,2021,628000,4900,,芙蓉区
430102,2022,631000,4600,年末,芙蓉区
"""


def test_read_population(tmp_path):
    f = write(tmp_path / "population.csv", POPULATION_CSV, "gbk")
    pop = read_population(f)
    assert pop["district_id"].tolist() == ["430100", "430102", "430102", "430102"]
    assert pop["year"].dtype == "int64"
    assert pop["year"].tolist() == [2020, 2020, 2021, 2022]
    assert pop["population"].tolist() == [10047914.0, 624000.0, 628000.0, 631000.0]
    assert pop["basis"].tolist() == ["census", "census", "estimate", "estimate"]
    assert pop["age_6_11"].isna().all()


def test_read_population_xlsx_keeps_zero_padded_ids(tmp_path):
    f = tmp_path / "population.xlsx"
    pd.DataFrame(
        {"district_id": ["0101", "0102"], "year": [2020, 2020], "population": [1000, 2000.5]}
    ).to_excel(f, index=False)
    pop = read_population(f)
    assert pop["district_id"].tolist() == ["0101", "0102"]
    assert pop["population"].tolist() == [1000.0, 2000.5]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("2021", "2021.5", "row 3, column `year`: got '2021.5'; year must be a whole four-digit"),
        ("2021", "21", "row 3, column `year`: got '21'; year must be a whole four-digit year"),
        ("628000", "-5", "row 3, column `population`: got -5; population must be ≥ 0."),
        ("628000", "n/a", "row 3, column `population`: value is missing"),
        (
            "2021",
            "2020",
            "row 3, column `district_id/year`: duplicate district_id/year "
            "('430102', 2020) (first in row 2)",
        ),
        (",年末", ",sample", "row 4, column `basis`: got 'sample'; basis must be census"),
    ],
)
def test_bad_population(tmp_path, old, new, expected):
    f = write(tmp_path / "population.csv", POPULATION_CSV.replace(old, new, 1))
    with pytest.raises(InputError, match="population.csv " + esc(expected)):
        read_population(f)


def test_population_missing_column_lists_found_columns(tmp_path):
    f = write(tmp_path / "population.csv", "区县代码,年份,常住人口\n430102,2020,1\n")
    with pytest.raises(InputError, match="3 problems found") as info:
        read_population(f)
    message = str(info.value)
    assert (
        "population.csv, column `district_id`: required column `district_id` is missing "
        "(found: `区县代码`, `年份`, `常住人口`); did you mean `区县代码`?" in message
    )
    assert "did you mean `年份`? Rename it to `year`." in message
    assert "did you mean `常住人口`? Rename it to `population`." in message


# ----------------------------------------------------------------------------- sites


def test_read_candidate_sites(tmp_path):
    f = write(
        tmp_path / "sites.csv",
        "site_id,area_m2,max_classes,lon,lat\nC1,24000,36,112.9,28.2\nC2,,,112.91,28.21\n",
    )
    sites = read_candidate_sites(f)
    assert sites["site_id"].tolist() == ["C1", "C2"]
    assert sites["area_m2"].tolist()[0] == 24000.0 and np.isnan(sites["area_m2"][1])
    assert sites["max_classes"].tolist() == [36, pd.NA]
    g = write(tmp_path / "bad.csv", "site_id,area_m2,lon,lat\nC1,-1,112.9,28.2\n")
    with pytest.raises(InputError, match=esc("bad.csv row 1, column `area_m2`: got -1")):
        read_candidate_sites(g)


# ----------------------------------------------------------------------------- rasters


def write_raster(path, data, *, crs="EPSG:4547", nodata=None):
    data = np.asarray(data)
    count = 1 if data.ndim == 2 else data.shape[0]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[-2],
        width=data.shape[-1],
        count=count,
        dtype=data.dtype,
        crs=crs,
        nodata=nodata,
        transform=rasterio.Affine(100, 0, 500_000, 0, -100, 3_130_000),
    ) as dst:
        dst.write(data if data.ndim == 3 else data[np.newaxis])
    return path


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


# ----------------------------------------------------------------------------- CRS and levels


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


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("小学", "primary"),
        (" 完全小学 ", "primary"),
        ("中心小学", "primary"),
        ("实验小学", "primary"),
        ("Primary School", "primary"),
        ("初中", "junior"),
        ("初级中学", "junior"),
        ("JUNIOR", "junior"),
        ("九年一贯制", "nine_year"),
        ("九年制", "nine_year"),
        ("nine_year", "nine_year"),
        ("9-year", "nine_year"),
        ("幼儿园", "kindergarten"),
        ("Kindergarten", "kindergarten"),
        ("中学", None),
        ("完全中学", None),
        ("高中", None),
        ("", None),
    ],
)
def test_normalise_level(value, level):
    assert normalise_level(value) == level


def test_gis_exports_are_complete():
    for name in gis.__all__:
        assert hasattr(gis, name)


def test_float_ids_from_vector_files_lose_the_trailing_zero(tmp_path):
    # Shapefiles also cut field names to 10 characters: district_id is stored as district_i
    frame = district_frame().rename(columns={"district_id": "district_i"})
    frame["district_i"] = [430102.0, 430103.0, 430104.0]
    f = tmp_path / "districts.shp"
    frame.to_file(f, encoding="utf-8")
    assert read_districts(f)["district_id"].tolist() == ["430102", "430103", "430104"]


def test_ragged_csv_is_an_input_error(tmp_path):
    f = write(tmp_path / "schools.csv", SCHOOLS_CSV + "S4,D,primary,1,1,1,112.9,28.2,extra\n")
    with pytest.raises(InputError, match=r"schools\.csv: cannot parse the CSV .*line 5"):
        read_schools(f)


def test_xlsx_numeric_cells_become_text_ids_and_numbers(tmp_path):
    f = tmp_path / "population.xlsx"
    pd.DataFrame(
        {"district_id": [430102, 430103], "year": [2020, 2021], "population": [1.5e5, 2e5]}
    ).to_excel(f, index=False)
    pop = read_population(f)
    assert pop["district_id"].tolist() == ["430102", "430103"]
    assert pop["year"].tolist() == [2020, 2021]


# --------------------------------------------------------------------------- roads


def test_read_roads_good_and_bad(tmp_path):
    import shapely

    from xuewei.gis import read_roads

    good = tmp_path / "roads.gpkg"
    gpd.GeoDataFrame(
        {"road_id": ["r1", "r2"], "speed_kmh": [5.0, None], "oneway": ["否", "是"]},
        geometry=[
            shapely.LineString([(112.90, 28.20), (112.91, 28.20)]),
            shapely.MultiLineString([[(112.91, 28.20), (112.91, 28.21)]]),
        ],
        crs=4326,
    ).to_file(good, driver="GPKG")
    roads = read_roads(good, crs=4547)
    assert roads.crs.to_epsg() == 4547 and len(roads) == 2
    assert roads["oneway"].tolist() == [False, True]
    bad = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame(
        {"speed_kmh": [0.0, 30.0]},
        geometry=[shapely.LineString([(112.9, 28.2), (112.91, 28.2)]), shapely.Point(112.9, 28.2)],
        crs=4326,
    ).to_file(bad, driver="GPKG")
    with pytest.raises(InputError) as info:
        read_roads(bad)
    text = str(info.value)
    assert "bad.gpkg row 1, column `speed_kmh`: got speed 0" in text
    assert "bad.gpkg row 2, column `geometry`: got a point; expected a line" in text
    csv = tmp_path / "roads.csv"
    csv.write_text("road_id,lon,lat\nr1,112.9,28.2\n")
    with pytest.raises(InputError, match=r"roads\.csv"):
        read_roads(csv)
