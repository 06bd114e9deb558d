"""Coordinates on read: coordinate columns, swapped or misplaced points, GCJ-02/BD-09.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import pytest
import shapely
from io_fixtures import (
    SCHOOLS_CSV,
    district_frame,
    esc,
    write,
)

from xuewei.errors import CRSError, InputError
from xuewei.gis import (
    gcj02_to_wgs84,
    read_districts,
    read_schools,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)


def test_read_schools_gcj02_and_bd09_tables_are_converted(tmp_path):
    wx, wy = 112.9388, 28.2282
    for coords, (x, y) in [("gcj02", wgs84_to_gcj02(wx, wy)), ("bd09", wgs84_to_bd09(wx, wy))]:
        f = write(
            tmp_path / f"{coords}.csv", f"school_id,name,level,lng,lat\nS1,A,小学,{x!r},{y!r}\n"
        )
        point = read_schools(f, coords=coords).geometry[0]
        assert point.x == pytest.approx(wx, abs=1e-8)
        assert point.y == pytest.approx(wy, abs=1e-8)


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


def test_swapped_columns_are_one_problem_not_one_per_row(tmp_path):
    """Every row's longitude and latitude swapped is a swap of the columns: one line naming
    the file and column (961 rows gave 20 row lines and "… 941 more"). Some rows swapped
    are the rows' problems, listed by row."""
    rows = "".join(f"S{k},A,小学,28.{k:02d},112.98\n" for k in range(30))
    f = write(tmp_path / "schools.csv", "school_id,name,level,lon,lat\n" + rows)
    with pytest.raises(InputError) as info:
        read_schools(f)
    assert [str(p) for p in info.value.problems] == [
        "schools.csv row 1, column `lon`: longitude 28 and latitude 112.98 look swapped, as in "
        "all 30 rows (China lies at longitude 73–135, latitude 18–54); swap `lon` and `lat`."
    ]
    mixed = "S99,B,小学,112.98,28.19\n"
    g = write(tmp_path / "mixed.csv", "school_id,name,level,lon,lat\n" + rows + mixed)
    with pytest.raises(InputError) as info:
        read_schools(g)
    got = info.value.problems
    assert [p.row for p in got[:20]] == list(range(1, 21)) and got[20].hidden == 10
    assert got[0].message.startswith("longitude 28 and latitude 112.98 look swapped")


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
