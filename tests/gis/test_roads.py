"""The roads reader: lines with speeds and one-way flags.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from xuewei.errors import InputError


def test_read_roads_good_and_bad(tmp_path):

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
