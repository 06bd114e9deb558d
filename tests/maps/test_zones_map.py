"""Attendance zones on the map and in the workbook: a hand-made 3×3 grid with two schools.

Nine 1 km units of 10 pupils each; school a (30 places) in the south-west corner, school b
(40 places) in the north-east: 90 pupils for 70 places, so a zone is over capacity. Today
every unit is in b's zone, so a's pupils are moved. The zones are drawn by
:func:`xuewei.planning.zones.draw_zones`; here they are drawn on the zones page and on the
plan's map (hidden at first), opened in headless Chromium with the network off, and written
to the sheet 学区 Zones, which is read back and checked against the result.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import MultiPoint, Polygon, box

from xuewei import maps
from xuewei.data import load_standards
from xuewei.errors import InputError
from xuewei.maps._arcs import decode_zones, encode_zones, unvlq, vlq, zone_arcs
from xuewei.maps._pieces import page_table
from xuewei.maps._zones import ZONE_OVER_COLOUR, ZoneLayer, encode_tips, zone_colours
from xuewei.outputs import MapOptions
from xuewei.outputs.zones import (
    SCHOOL_HEADERS,
    SUMMARY_HEADERS,
    write_zones_map,
    write_zones_workbook,
    zones_layer,
)
from xuewei.planning.zones import ZoneResult, draw_zones

STANDARDS = load_standards()
CHROMIUM = Path("/usr/bin/chromium")
X0, Y0 = 520_000.0, 3_110_000.0  # near Changsha in EPSG:4547 (CGCS2000 / 3° GK, 114° E)


def _layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    rate = STANDARDS.places_per_resident("primary")
    d = gpd.GeoDataFrame(
        {"district_id": ["d"], "name": ["格子区"], "name_en": ["Grid"]},
        geometry=[box(X0, Y0, X0 + 3000, Y0 + 3000)],
        crs=4547,
    )
    xy = np.array([[X0 + 500 + 1000 * c, Y0 + 500 + 1000 * r] for r in range(3) for c in range(3)])
    e = gpd.GeoDataFrame(
        {"estate_id": [f"e{k}" for k in range(9)], "district_id": "d", "residents": 10.0 / rate},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=4547,
    )
    s = gpd.GeoDataFrame(
        {
            "school_id": ["a", "b"],
            "name": ["甲小学", "乙小学"],
            "district_id": "d",
            "level": "primary",
            "places_primary": [30.0, 40.0],
            "places_junior": 0.0,
        },
        geometry=gpd.points_from_xy(xy[[0, 8], 0], xy[[0, 8], 1]),
        crs=4547,
    )
    return d, e, s


@pytest.fixture(scope="module")
def grid() -> tuple[ZoneResult, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    d, e, s = _layers()
    current = gpd.GeoDataFrame({"school_id": ["b"]}, geometry=[d.geometry.iloc[0]], crs=4547)
    result = draw_zones(  # everyone urban: the 500 m radius, so some pupils are beyond it
        d, e, s, year=2025, standards=STANDARDS, levels=["primary"], current=current,
        settlement="urban",
    )  # fmt: skip
    return result, d, s


# --- colours, layer and tooltips (no browser) ----------------------------------------------


def test_zone_colours_differ_between_neighbours_and_repeat() -> None:
    # a 4×4 chessboard of zones: touching (corners too) zones never share a colour
    cells = [box(c, r, c + 1, r + 1) for r in range(4) for c in range(4)]
    colours = zone_colours(cells)
    tree = shapely.STRtree(cells)
    for i, j in zip(*tree.query(cells, predicate="intersects"), strict=True):
        if i != j:
            assert colours[i] != colours[j]
    assert zone_colours(cells) == colours  # the same zones, the same colours
    assert max(colours) < 4  # queen neighbours on a grid: four colours suffice


def test_zones_layer_joins_each_zone_to_its_school(grid) -> None:
    result, _, _ = grid
    layer = zones_layer(result)
    assert len(layer) == 2 and layer.crs == result.zones.crs
    table = result.schools.set_index("school_id")
    for row in layer.itertuples():
        assert row.pupils == pytest.approx(table.loc[row.school_id, "pupils"])
        assert row.utilisation == pytest.approx(table.loc[row.school_id, "utilisation"])
    # everyone was in b's zone: a's pupils are all moved
    moved = layer.set_index("school_id")["pupils_moved"]
    assert moved["a"] == pytest.approx(table.loc["a", "pupils"])
    assert layer["pupils"].sum() == pytest.approx(90.0)
    assert layer["over_pupils"].sum() == pytest.approx(20.0)  # 90 pupils, 70 places


def test_pupils_moved_is_no_figure_without_current_zones() -> None:
    d, e, s = _layers()
    result = draw_zones(d, e, s, year=2025, standards=STANDARDS, levels=["primary"])
    assert zones_layer(result)["pupils_moved"].isna().all()
    page = maps.render_html(maps.zones_map(d, zones_layer(result), title="t", tiles=None))
    assert "调整学生" not in page


def test_plan_map_draws_zones_hidden_with_a_legend(districts, schools, gaps, grid) -> None:
    result, _, _ = grid
    m = maps.plan_map(
        districts, schools, gaps=gaps, scenario=85, year=2030, title="t", tiles=None,
        zones=zones_layer(result),
    )  # fmt: skip
    page = maps.render_html(m)
    assert "Attendance zones, primary" in page
    assert re.search(r"L\.featureGroup\(\{\}\);\s*\(function \(group\) \{[^}]*palette", page)
    assert "red hatching: pupils over the allowed places" in page
    # hidden at first: the zone layer is never added to the map by itself
    name = re.search(r"var (zone_layer_\d+) = L\.featureGroup", page)
    assert name is not None and f"{name.group(1)}.addTo(" not in page


def _crowded_cases(**over: Any) -> pd.DataFrame:
    """Two cases: d primary with room yet 120 pupils over (crowded round a), e short."""
    return pd.DataFrame(
        {
            "district_id": ["d", "e"],
            "level": "primary",
            "capacity_short": [False, True],
            "over_pupils": [120.0, 80.0],
            "over_bound": [0.0, 80.0],
            "crowded_school": ["a", "b"],
            "crowded_km": [1.5, 2.0],
            "crowded_pupils": [60.0, 90.0],
            "crowded_allowed": [30.0, 40.0],
            "catch_up_km": [2.9, np.nan],
        }
    ).assign(**over)


def test_crowded_points_are_the_warned_cases_at_their_school() -> None:
    """Only a district with places for all whose zones leave pupils over gets a circle,
    at its school most over; a district short of places does not."""
    from types import SimpleNamespace

    from xuewei.outputs.zones import crowded_points

    _, _, s = _layers()
    got = crowded_points(SimpleNamespace(cases=_crowded_cases()), s)  # type: ignore[arg-type]
    assert got is not None and got["school_id"].tolist() == ["a"]
    assert got["name"].tolist() == ["甲小学"] and got.crs == s.crs
    assert got.geometry.iloc[0].equals(s.geometry.iloc[0])
    assert got["crowded_km"].tolist() == [1.5] and got["catch_up_km"].tolist() == [2.9]
    trip = _crowded_cases(least_over_km=[17.6, np.nan])
    got = crowded_points(SimpleNamespace(cases=trip), s)  # type: ignore[arg-type]
    assert got is not None and got[["least_over_km", "over_bound"]].values.tolist() == [[17.6, 0.0]]
    # nothing over more than no zoning avoids, or no measure: no circle
    none = _crowded_cases(over_bound=[120.0, 80.0])
    assert crowded_points(SimpleNamespace(cases=none), s) is None  # type: ignore[arg-type]
    bare = _crowded_cases().drop(columns=["crowded_km"])
    assert crowded_points(SimpleNamespace(cases=bare), s) is None  # type: ignore[arg-type]


def test_zones_page_circles_where_places_are_short(grid) -> None:
    result, d, s = grid
    crowded = gpd.GeoDataFrame(
        _crowded_cases().iloc[[0]].assign(school_id="a", name="甲小学"),
        geometry=[s.geometry.iloc[0]],
        crs=s.crs,
    )
    page = maps.render_html(
        maps.zones_map(d, zones_layer(result), crowded=crowded, title="t", tiles=None)
    )
    assert "学位短缺圈 Where places are short" in page  # the layer and the legend
    assert (
        "Primary: within 1.5 km of 甲小学, 60 pupils for 30 places; places catch up with "
        "pupils only 2.9 km out"
    ) in page
    assert re.search(r"L\.circle\(\s*\[[^]]+\],\s*\{[^}]*\"radius\": 1500\.0", page)
    assert "Places short" in page  # the label under the circle
    # with the longest trip the least overflow needs, the tooltip says it too
    far = maps.render_html(
        maps.zones_map(
            d, zones_layer(result), crowded=crowded.assign(least_over_km=4.26), title="t",
            tiles=None,
        )
    )  # fmt: skip
    assert "out; with no pupil over, some would travel 4.3 km or more" in far
    assert "若无学生超额，须有学生上学距离达 4.3 公里以上" in far
    with pytest.raises(InputError, match="crowded"):
        maps.zones_map(d, zones_layer(result), crowded=crowded.drop(columns=["crowded_pupils"]),
                       title="t", tiles=None)  # fmt: skip


# --- outlines stored once per shared edge ---------------------------------------------------


def _users(element: Any) -> list[Any]:
    """The elements under ``element`` that store texts in the page's table, in page order."""
    found = [element] if hasattr(element, "piece_texts") else []
    for child in element._children.values():
        found += _users(child)
    return found


def _tessellation(seed: int, cells: int, zones: int) -> list[Any]:
    """Zones near Changsha, in degrees: Voronoi cells of random points, merged by nearest seed."""
    rng = np.random.default_rng(seed)
    frame = box(112.90, 28.10, 112.93, 28.12)
    xy = rng.uniform([112.90, 28.10], [112.93, 28.12], size=(cells, 2))
    pieces = shapely.get_parts(shapely.voronoi_polygons(MultiPoint(xy), extend_to=frame))
    pieces = [p.intersection(frame) for p in pieces]
    centres = np.array([[p.centroid.x, p.centroid.y] for p in pieces])
    owner = np.argmin(((centres[:, None, :] - xy[None, :zones, :]) ** 2).sum(axis=2), axis=1)
    drawn = [
        shapely.union_all([p for p, o in zip(pieces, owner, strict=True) if o == z])
        for z in range(zones)
    ]
    return [z for z in drawn if not z.is_empty]


def _grid(geometry: Any) -> list[list[tuple[int, int]]]:
    """A zone's rings as the page must draw them: vertices rounded to 10⁻⁵ degree."""
    rings = []
    for polygon in shapely.get_parts(geometry):
        for ring in [polygon.exterior, *polygon.interiors]:
            ints = [
                tuple(p) for p in np.round(np.asarray(ring.coords)[:-1] * 1e5).astype(int).tolist()
            ]
            kept = [p for i, p in enumerate(ints) if i == 0 or p != ints[i - 1]]
            rings.append(kept[:-1] if kept[-1] == kept[0] else kept)
    return rings


def _segments(ring: Sequence[Any]) -> list[frozenset[tuple[int, int]]]:
    points = [tuple(p) for p in ring]
    return [frozenset((points[i - 1], points[i])) for i in range(len(points))]


def test_vlq_round_trip_by_hand() -> None:
    # 16 → 32 (sign in the lowest bit) → digits 0 (flagged: "g") and 1 ("B")
    assert vlq([0, 1, -1, 16]) == "ACDgB"
    assert unvlq("ACDgB") == [0, 1, -1, 16]
    assert unvlq(vlq([11_298_957, -2_803_603, 511, -512])) == [11_298_957, -2_803_603, 511, -512]


def test_two_boxes_share_one_arc() -> None:
    # two boxes of 2 × 1 steps side by side: their common side is one arc, walked both ways
    arcs, zones = zone_arcs([box(0, 0, 2e-5, 1e-5), box(2e-5, 0, 4e-5, 1e-5)])
    assert len(arcs) == 3 and [(2, 0), (2, 1)] in arcs
    shared = arcs.index([(2, 0), (2, 1)])
    assert shared in zones[0][0][0].arcs and ~shared in zones[1][0][0].arcs


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), cells=st.integers(6, 60), zones=st.integers(2, 6))
def test_outlines_round_trip_and_shared_edges_stored_once(
    seed: int, cells: int, zones: int
) -> None:
    drawn = _tessellation(seed, cells, zones)
    decoded = decode_zones(*encode_zones(drawn))
    assert len(decoded) == len(drawn)
    for zone, rings in zip(drawn, decoded, strict=True):
        # the same rings, vertex for vertex on the 10⁻⁵ grid, each from its first vertex
        assert [[tuple(p) for p in r] for polygon in rings for r in polygon] == _grid(zone)
        shape = shapely.MultiPolygon(
            [Polygon(np.asarray(p[0]) / 1e5, [np.asarray(h) / 1e5 for h in p[1:]]) for p in rings]
        )
        assert shapely.hausdorff_distance(shape, zone) <= 1e-5
    # every edge of every zone is in exactly one arc, however many zones have it
    arcs, _ = zone_arcs(drawn)
    stored = [frozenset(pair) for arc in arcs for pair in pairwise(arc)]
    assert len(stored) == len(set(stored))
    edges = [e for zone in drawn for ring in _grid(zone) for e in _segments(ring)]
    assert set(stored) == set(edges)
    assert len(edges) > len(stored)  # neighbours share edges: written once, not twice


@given(st.lists(st.lists(st.integers(0, 60_000), min_size=1, max_size=20), min_size=1))
def test_tooltip_codes_read_back_as_the_page_reads_them(codes: list[list[int]]) -> None:
    last: list[int] = []
    read = []
    for text in encode_tips(codes).split("|"):  # as the layer's script does
        tip: list[int] = []
        for i, step in enumerate(unvlq(text)):
            tip.append((last[i] if i < len(last) else tip[i - 1] if i else 0) + step)
        read.append(last := tip)
    assert read == codes


def test_outlines_are_the_same_bytes_for_the_same_zones() -> None:
    drawn = _tessellation(7, 40, 4)
    assert encode_zones(drawn) == encode_zones([shapely.from_wkb(shapely.to_wkb(z)) for z in drawn])


def test_zones_leave_the_other_layers_piece_codes_alone(districts, schools, gaps, grid) -> None:
    # the zones are drawn below the other layers, but their tooltips' pieces are numbered
    # after the others': the others' codes (most of the page) are those of the plain map
    result, _, _ = grid

    def others(zones: gpd.GeoDataFrame | None) -> list[list[list[int]]]:
        m = maps.plan_map(
            districts, schools, gaps=gaps, scenario=85, year=2030, title="t", tiles=None,
            zones=zones,
        )  # fmt: skip
        users = [u for u in _users(m) if not isinstance(u, ZoneLayer)]
        return [page_table(m).of(u) for u in users]

    assert others(zones_layer(result)) == others(None)


# --- the workbook --------------------------------------------------------------------------


def test_sheet_holds_every_number_of_the_result(grid, tmp_path: Path) -> None:
    result, d, _ = grid
    path = write_zones_workbook(result, tmp_path / "zones.xlsx", districts=d)
    ws = openpyxl.load_workbook(path)["学区 Zones"]
    assert ws.freeze_panes == "A7"  # the schools' header stays on screen
    summary = [c.value for c in ws[3] if c.value is not None]
    assert summary == list(SUMMARY_HEADERS.values())
    level, zones, split, over, pupils_over, far, far_share, gap = (c.value for c in ws[4][:8])
    assert (level, zones, split, over) == ("小学 Primary", 2, 0, 1)
    assert pupils_over == round(float(result.schools["over_pupils"].sum()))
    a = result.assignments
    beyond = float((a["pupils"] * (a["distance_m"] > a["radius_m"])).sum())
    assert far == round(beyond) and far > 0
    assert far_share == pytest.approx(beyond / a["pupils"].sum(), abs=1e-4)
    assert ws.cell(4, 7).number_format == "0.0%"
    assert gap == pytest.approx(result.max_gap, abs=1e-4)
    assert [c.value for c in ws[6]] == list(SCHOOL_HEADERS.values())
    rows = {
        r[1]: dict(zip(SCHOOL_HEADERS, r, strict=True)) for r in ws.iter_rows(7, values_only=True)
    }
    assert sorted(rows) == ["a", "b"]
    for s in result.schools.itertuples():
        row = rows[s.school_id]
        assert (row["name"], row["district"], row["district_id"]) == (s.name, "格子区", "d")
        for col in ("pupils", "places", "allowed", "over_pupils", "mean_distance_m"):
            assert row[col] == round(float(getattr(s, col))), col
        assert row["max_distance_m"] == round(float(s.max_distance_m))
        assert row["beyond_radius_pupils"] == round(float(s.beyond_radius_pupils))
        assert row["pupils_moved"] == round(float(s.pupils_moved))
        assert row["utilisation"] == pytest.approx(s.utilisation, abs=1e-4)
        assert row["over"] == ("是 yes" if s.over_pupils > 0.5 else "否 no")
        assert ws.cell(7, 9).number_format == "0.0%"
    english = openpyxl.load_workbook(write_zones_workbook(result, tmp_path / "en.xlsx", lang="en"))[
        "Zones"
    ]
    assert english.cell(6, 5).value == "District" and english.cell(7, 1).value == "Primary"


# --- in the browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; run `make browser`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


_ZONES_JS = """(name) => {
    const map = window.eval(name);
    const out = [];
    map.eachLayer((layer) => {
        if (layer.feature && layer.getTooltip && layer.feature.properties.c !== undefined) {
            const p = map.latLngToContainerPoint(layer.getCenter());
            out.push({x: p.x, y: p.y, over: layer.feature.properties.o,
                      colour: layer.options.color, fill: layer.options.fillColor});
        }
    });
    return out;
}"""


_OUTLINES_JS = """(name) => {
    const map = window.eval(name);
    const out = [];
    map.eachLayer((layer) => {
        if (layer.feature && layer.getTooltip && layer.feature.properties.c !== undefined) {
            out.push(layer.getLatLngs().map((polygon) => polygon.map(
                (ring) => ring.map((p) => [p.lng, p.lat]))));
        }
    });
    return out;
}"""


def _open(browser: Any, path: Path) -> tuple[Any, Any, list[str], list[str]]:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    requests: list[str] = []
    errors: list[str] = []
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url) if not r.url.startswith("file:") else 0)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return context, page, requests, errors


def _figures(text: str) -> list[str]:
    return re.findall(r"\d[\d,]*(?:\.\d+)?%?", text)


def test_zones_page_in_a_browser(browser, grid, tmp_path: Path) -> None:
    result, d, s = grid
    path = write_zones_map(
        result, d, tmp_path / "zones.html", schools=s, title="格子区学区",
        options=MapOptions(tiles="none"),
    )  # fmt: skip
    context, page, requests, errors = _open(browser, path)
    map_name = re.search(r'class="folium-map" id="(map_\d+)"', path.read_text()).group(1)
    labels = page.locator(".leaflet-control-layers-list label span").all_inner_texts()
    # the layer says the year zoned; the title box the year and places per 1,000
    assert "2025年学区（小学） Attendance zones, primary" in [t.strip() for t in labels]
    assert "学区 2025年 · 每千人85个学位" in page.inner_text(".xuewei-title")
    zones = page.evaluate(_ZONES_JS, map_name)
    assert len(zones) == len(result.zones) == 2  # shown on the zones page: one per zone
    assert len({z["fill"] for z in zones}) == 2  # neighbours differ
    assert [z["colour"] for z in zones if z["over"]] == [ZONE_OVER_COLOUR]
    table = result.schools.set_index("school_id")
    for zone in zones:
        page.mouse.move(zone["x"], zone["y"])
        tip = page.locator(".leaflet-tooltip").last.inner_text()
        school = "a" if "甲小学" in tip else "b"
        row = table.loc[school]
        assert _figures(tip)[:3] == [
            f"{round(row.pupils):,}",
            f"{round(row.places):,}",
            f"{row.utilisation * 100:.1f}%",
        ]
        assert f"{round(row.mean_distance_m):,} m" in tip
        assert f"调整学生 Pupils moved: {round(row.pupils_moved):,}" in tip
        far = f"{round(row.beyond_radius_pupils):,}"
        assert f"超出服务半径学生 Pupils beyond the service radius: {far}" in tip
        assert ("超容量 over capacity" in tip) == (row.over_pupils > 0.5)
        page.mouse.move(5, 700)
    # the outlines the page decoded are the zones' own, to the 10⁻⁵ degree of the grid
    drawn = list(result.zones.to_crs(4326).geometry)
    for outline in page.evaluate(_OUTLINES_JS, map_name):
        shape = shapely.MultiPolygon([Polygon(p[0], p[1:]) for p in outline])
        (zone,) = [z for z in drawn if shapely.hausdorff_distance(shape, z) <= 1e-5]
        grid_points = [[(round(x * 1e5), round(y * 1e5)) for x, y in r] for p in outline for r in p]
        assert grid_points == _grid(zone)  # vertex for vertex, each ring from its first
    assert requests == [] and errors == []
    context.close()


_CATCHMENTS_JS = """(name) => {
    const map = window.eval(name);
    const out = [];
    map.eachLayer((layer) => {
        if (layer.feature && layer.getTooltip && layer.feature.properties.c === undefined
            && layer.getLatLngs) {
            const shape = layer.getLatLngs();
            out.push((L.LineUtil.isFlat(shape[0]) ? [shape] : shape).map((polygon) => polygon.map(
                (ring) => ring.map((p) => [Math.round(p.lng * 1e5), Math.round(p.lat * 1e5)]))));
        }
    });
    return out;
}"""


def test_plan_map_zones_hidden_then_switched_on(
    browser, districts, schools, gaps, catchments, grid, tmp_path: Path
) -> None:
    result, _, _ = grid
    m = maps.plan_map(
        districts, schools, gaps=gaps, scenario=85, year=2030, title="t", tiles=None,
        catchments=catchments, zones=zones_layer(result),
    )  # fmt: skip
    path = tmp_path / "plan.html"
    path.write_text(maps.render_html(m, offline=True), encoding="utf-8")
    context, page, requests, errors = _open(browser, path)
    map_name = re.search(r'class="folium-map" id="(map_\d+)"', path.read_text()).group(1)
    assert page.evaluate(_ZONES_JS, map_name) == []  # hidden at first
    control = page.locator(".leaflet-control-layers")

    def ticked(label: str) -> bool:
        return bool(control.locator("label", has_text=label).locator("input").is_checked())

    zones_name = "2025年学区（小学） Attendance zones, primary"  # 2025 zones, 2030 map
    gap_name = "学位缺口（区县） Place gap by district"
    assert ticked(gap_name)
    control.get_by_text(zones_name, exact=True).click()
    page.wait_for_timeout(200)
    assert len(page.evaluate(_ZONES_JS, map_name)) == len(result.zones)
    # zones and the gap choropleth both fill areas: one at a time, both ways
    assert ticked(zones_name) and not ticked(gap_name)
    control.get_by_text(gap_name, exact=True).click()
    page.wait_for_timeout(200)
    assert ticked(gap_name) and not ticked(zones_name)
    assert page.evaluate(_ZONES_JS, map_name) == []
    control.get_by_text(zones_name, exact=True).click()
    page.wait_for_timeout(200)
    # the catchments, on the same page, are read by the same decoder from their own arcs
    for label in (
        "服务范围 Catchments: 小学 Primary",
        "服务范围 Catchments: 初中 Junior secondary",
    ):
        page.locator(".leaflet-control-layers").get_by_text(label, exact=True).click()
    drawn = page.evaluate(_CATCHMENTS_JS, map_name)  # the districts' outlines too
    for box_ in catchments.geometry:
        assert drawn.count([[[[x, y] for x, y in _grid(box_)[0]]]]) == 1
    assert requests == [] and errors == []
    context.close()


def test_grid_figures_by_hand(grid) -> None:
    # the schools' figures the map and sheet show, computed by hand from the zones drawn
    result, _, _ = grid
    a = result.assignments.groupby("school_id")
    for school, part in a:
        row = result.schools.set_index("school_id").loc[school]
        assert row.pupils == pytest.approx(10.0 * len(part))
        mean = float((part["pupils"] * part["distance_m"]).sum() / part["pupils"].sum())
        assert row.mean_distance_m == pytest.approx(mean)
        assert math.isclose(row.utilisation, row.pupils / row.places)
    assert pd.notna(result.assignments["current_school_id"]).all()
