"""Base maps: OpenStreetMap, Amap in GCJ-02, Tianditu with its key, or none."""

from __future__ import annotations

import json

import folium
import numpy as np
import pytest
from map_helpers import geojson_of, markers_of, render_page

from xuewei import maps

# --- base maps --------------------------------------------------------------------------------


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, R = 6,371,008.8 m)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * 6_371_008.8 * np.arcsin(np.sqrt(a)))


def test_amap_draws_in_gcj02(districts, schools, gaps, estates) -> None:
    from xuewei.gis.coords import wgs84_to_gcj02

    page = render_page(districts, schools, gaps, estates=estates, tiles="amap")
    assert "webrd0{s}.is.autonavi.com" in page
    marker = markers_of(page)["麓山国际实验学校"]
    lon, lat = wgs84_to_gcj02(112.90, 28.20)
    assert _metres(marker["lat"], marker["lon"], float(lat), float(lon)) < 10.0
    # and the WGS84 point itself is hundreds of metres away: the shift was applied
    assert _metres(marker["lat"], marker["lon"], 28.20, 112.90) > 300.0
    # polygons are shifted too
    ring = geojson_of(page)["features"][0]["geometry"]["coordinates"][0]
    glon, glat = wgs84_to_gcj02(112.95, 28.10)
    assert min(_metres(y, x, float(glat), float(glon)) for x, y in ring) < 10.0
    # on OpenStreetMap the point is drawn as given
    osm = markers_of(render_page(districts, schools, gaps, tiles="osm"))["麓山国际实验学校"]
    assert (osm["lat"], osm["lon"]) == (28.2, 112.9)


def test_tianditu_needs_key(districts, schools, gaps) -> None:
    with pytest.raises(ValueError, match="needs tianditu_key"):
        render_page(districts, schools, gaps, tiles="tianditu")
    page = render_page(districts, schools, gaps, tiles=["tianditu", "osm"], tianditu_key="abc123")
    assert "T=vec_w\\u0026x={x}\\u0026y={y}\\u0026l={z}\\u0026tk=abc123" in page
    assert "T=cva_w" in page  # the annotation layer goes with the base
    assert (
        json.dumps("天地图 Tianditu") in page and json.dumps("开放街道地图 OpenStreetMap") in page
    )


def test_tiles_refused(districts, schools, gaps) -> None:
    with pytest.raises(ValueError, match="cannot share a map"):
        render_page(districts, schools, gaps, tiles=["osm", "amap"])
    with pytest.raises(ValueError, match="tiles='google' is not a base map"):
        render_page(districts, schools, gaps, tiles="google")


def test_no_tiles_and_default_osm(districts, schools, gaps) -> None:
    assert "tile.openstreetmap.org" not in render_page(districts, schools, gaps, tiles="none")
    m = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
    assert "tile.openstreetmap.org" in maps.render_html(m)
    assert "L.control.scale({imperial: false" in maps.render_html(m)  # metres only
    assert "xuewei-fullscreen" in maps.render_html(m)
    # folium's spelling of the default, and a TileLayer of one's own, are taken as before
    assert "tile.openstreetmap.org" in render_page(districts, schools, gaps, tiles="OpenStreetMap")
    own = folium.TileLayer("https://tiles.example.org/{z}/{x}/{y}.png", attr="Example")
    assert "tiles.example.org" in render_page(districts, schools, gaps, tiles=own)
