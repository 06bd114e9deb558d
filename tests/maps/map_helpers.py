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


def parts_of(page: str) -> list[str]:
    """The page's table of popup and tooltip pieces (``window.xueweiParts``)."""
    found = re.search(r"window\.xueweiParts = (\[.*?\]);\n", page)
    assert found is not None
    return json.loads(found.group(1))


def _joined(parts: list[str], codes: list[int]) -> str:
    return "".join(parts[k] for k in codes)  # as the page puts it together


def _gap_layer(page: str) -> str:
    found = re.search(r"var gap_layer_\d+ = L\.featureGroup.*?\}\)\(gap_layer_\d+\);", page, re.S)
    assert found is not None
    return found.group(0)


def _gap_var(page: str, name: str) -> object:
    found = re.search(rf"var {name} = (.*?);\n", _gap_layer(page))
    assert found is not None, name
    return json.loads(found.group(1))


def geojson_of(page: str) -> dict:
    """The choropleth's GeoJSON, as embedded in the page (``properties.k``: position)."""
    found = re.search(r"L\.geoJSON\((\{.*?\}), \{\n", _gap_layer(page))
    assert found is not None
    return json.loads(found.group(1))


def views_of(page: str) -> list[list]:
    """The views the page carries: ``[year, scenario, scenario index]`` each."""
    found = re.search(r"var views = (\[.*?\]);\n", page)
    assert found is not None
    return json.loads(found.group(1))


def tooltips_of(page: str, view: int | None = None) -> dict[str, str]:
    """Feature id (``d<k>``) -> tooltip HTML of the choropleth, in the view the page opens
    at (or ``view``)."""
    tips = _gap_var(page, "tips")
    shown = _gap_var(page, "view") if view is None else view
    parts = parts_of(page)
    return {f"d{k}": _joined(parts, codes) for k, codes in enumerate(tips[shown])}  # type: ignore[index]


def styles_of(page: str, view: int | None = None) -> dict[str, str]:
    """Feature id (``d<k>``) -> fill colour of the choropleth, in the view the page opens
    at (or ``view``)."""
    palette, fills = _gap_var(page, "palette"), _gap_var(page, "fills")
    shown = _gap_var(page, "view") if view is None else view
    return {f"d{k}": palette[i] for k, i in enumerate(fills[shown])}  # type: ignore[index]


def markers_of(page: str) -> dict[str, dict]:
    """Tooltip (the escaped name) -> marker of the point layers, from their data arrays."""
    out = {}
    parts = parts_of(page)
    layers = re.findall(r"var fill = (\S+);.*?\n\s*var points = (\[.*?\]);\n", page)
    for fill_json, layer in layers:
        usual = json.loads(fill_json)
        for row in json.loads(layer):
            lat, lon, radius, fill, pieces, tip, dashed = row[:7]
            out[_joined(parts, tip)] = {
                "lat": lat,
                "lon": lon,
                "radius": radius,
                "fill": fill or usual,
                "popup": _joined(parts, pieces),
                "dashed": bool(dashed),
                "closes": row[7] if len(row) > 7 else {},
            }
    return out


def icons_of(page: str) -> dict[str, list]:
    """Tooltip -> icon row of the proposals layer (the popup put together at ``[4]``)."""
    found = re.search(r"var icons = (\[.*?\]);\n", page)
    assert found is not None
    parts = parts_of(page)
    rows = json.loads(found.group(1))
    return {row[5]: [*row[:4], _joined(parts, row[4]), *row[5:]] for row in rows}


def links_of(page: str) -> list:
    """The dashed lines from each proposal to the estates it serves: ``[[from], [to]]``."""
    found = re.search(r"var icons = (\[.*?\]);\n", page)
    assert found is not None
    return [[[row[0], row[1]], to] for row in json.loads(found.group(1)) for to in row[8]]


def lines_of(page: str) -> list:
    """The merger lines: ``[coords, colour, popup, tooltip]`` each."""
    found = re.search(r"var lines = (\[.*?\]);\n", page)
    assert found is not None
    return [row[:4] for row in json.loads(found.group(1))]
