"""Shared by the meeting-map tests: hostile user text, and readers of a rendered page."""

from __future__ import annotations

import json
import re

from xuewei import maps

XSS = "<img src=x onerror=alert(1)>"
# user text that would also break out of folium's JavaScript template literals
JS_BREAK = "`${alert(2)}`\\"


NOTE = "Schools, estates and raster are SYNTHETIC / 学校、小区与人口栅格为合成数据"


def render_page(districts, schools, gaps, **kwargs) -> str:
    options = {"scenario": 85, "year": 2030, "title": "长沙市学位规划 Changsha", "tiles": None}
    options.update(kwargs)
    return maps.render_html(maps.plan_map(districts, schools, gaps=gaps, **options))


def geojson_of(page: str) -> dict:
    """The choropleth's GeoJSON, as embedded in the page."""
    found = re.search(r"geo_json_\d+_add\((\{.*?\})\);\n", page)
    assert found is not None
    return json.loads(found.group(1))


def tooltips_of(page: str) -> dict[str, str]:
    """Feature id -> tooltip HTML of the choropleth."""
    features = geojson_of(page)["features"]
    return {f["id"]: f["properties"]["tooltip"] for f in features}


def markers_of(page: str) -> dict[str, dict]:
    """Tooltip (the escaped name) -> marker of the point layers, from their data arrays."""
    out = {}
    layers = re.findall(r"var parts = (\[.*?\]);\n\s*var points = (\[.*?\]);\n", page)
    for parts_json, layer in layers:
        parts = json.loads(parts_json)
        for lat, lon, radius, fill, pieces, tooltip, dashed in json.loads(layer):
            out[tooltip] = {
                "lat": lat,
                "lon": lon,
                "radius": radius,
                "fill": fill,
                "popup": "".join(parts[k] for k in pieces),  # as the page puts it together
                "dashed": bool(dashed),
            }
    return out


def styles_of(page: str) -> dict[str, str]:
    """Feature id -> fill colour, from folium's style switch of the choropleth."""
    switch = re.search(r"_styler\(feature\) \{(.*?)\n        \}", page, re.DOTALL)
    assert switch is not None
    fills: dict[str, str] = {}
    pending: list[str] = []
    for line in switch.group(1).splitlines():
        pending += re.findall(r'case "(d\d+)":', line)
        pending += ["default"] if "default:" in line else []
        fill = re.search(r'"fillColor": "(#[0-9a-f]{6})"', line)
        if fill:
            fills.update(dict.fromkeys(pending, fill.group(1)))
            pending = []
    ids = [f["id"] for f in geojson_of(page)["features"]]
    return {i: fills.get(i, fills["default"]) for i in ids}


def icons_of(page: str) -> dict[str, list]:
    """Tooltip -> icon row of the proposals layer."""
    found = re.search(r"var icons = (\[.*?\]);\n", page)
    assert found is not None
    return {row[5]: row for row in json.loads(found.group(1))}


def links_of(page: str) -> list:
    found = re.search(r"var links = (\[.*?\]);\n", page)
    assert found is not None
    return json.loads(found.group(1))


def lines_of(page: str) -> list:
    found = re.search(r"var lines = (\[.*?\]);\n", page)
    assert found is not None
    return json.loads(found.group(1))
