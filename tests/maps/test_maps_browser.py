"""The meeting maps in a real headless Chromium (Debian's, at /usr/bin/chromium).

No test here touches the network: online pages get Leaflet from the installed
``django-js-lib-leaflet`` wheel through request routing, and every other request (tiles,
CDNs) is aborted; offline pages must not even try one. Screenshots of the demo map and the
offline map are written to ``tests/artifacts/`` for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from xuewei import maps
from xuewei.maps._cluster import CLUSTER_CSS_URL, CLUSTER_JS_URL, cluster_css, cluster_js
from xuewei.maps.offline import leaflet_css, leaflet_js
from xuewei.pipeline import PlanResult

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).parents[1] / "artifacts"
XSS = "<img src=x onerror=alert(1)>"
XSS_FLAG = '<img src=x onerror="window.__xss=1">'
SCRIPT_END = "</script><script>window.__xss=2</script>"


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}; the map tests need it: run `make browser` "
            "(installs Debian's chromium and fonts-noto-cjk)."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


class Loaded:
    """A page opened in the browser, with what it logged and what it tried to fetch."""

    def __init__(self, page: Any, errors: list[str], requests: list[str], dialogs: list[str]):
        self.page = page
        self.errors = errors
        self.requests = requests
        self.dialogs = dialogs

    def js(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)


def _page_with_errors(context: Any, errors: list[str]) -> Any:
    """A new page whose script errors and console errors are appended to ``errors``."""
    page = context.new_page()
    page.on("pageerror", lambda err: errors.append(f"pageerror: {err}"))
    page.on(
        "console",
        lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None,
    )
    return page


def _open(browser: Any, path: Path, *, offline: bool) -> Iterator[Loaded]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    errors: list[str] = []
    requests: list[str] = []
    dialogs: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(("file:", "data:")):
            r.continue_()
            return
        requests.append(url)
        if not offline and re.search(r"/leaflet(@[^/]+)?/dist/leaflet\.js$", url):
            r.fulfill(body=leaflet_js(), content_type="application/javascript")
        elif not offline and re.search(r"/leaflet(@[^/]+)?/dist/leaflet\.css$", url):
            r.fulfill(body=leaflet_css(), content_type="text/css")
        elif not offline and url == CLUSTER_JS_URL:  # the school clusters' plugin
            r.fulfill(body=cluster_js(), content_type="application/javascript")
        elif not offline and url == CLUSTER_CSS_URL:
            r.fulfill(body=cluster_css(), content_type="text/css")
        else:
            r.abort()

    context.route("**/*", route)
    page = _page_with_errors(context, errors)

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(path.resolve().as_uri(), wait_until="load")
    page.wait_for_selector(".leaflet-control-layers")
    page.wait_for_timeout(300)
    try:
        yield Loaded(page, errors, requests, dialogs)
    finally:
        context.close()


def _js_errors(loaded: Loaded, *, offline: bool) -> list[str]:
    """Errors of the page's scripts; online, the aborted CDN/tile loads are expected."""
    if offline:
        return loaded.errors
    return [e for e in loaded.errors if "Failed to load resource" not in e]


def _names(page_html: str) -> tuple[str, str]:
    """The map's and the layer control's JavaScript variable names."""
    found_map = re.search(r'class="folium-map" id="(map_\d+)"', page_html)
    found_control = re.search(r"let (layer_control_\d+) = L\.control\.layers", page_html)
    assert found_map and found_control
    return found_map.group(1), found_control.group(1)


_LAYERS_JS = """([mapName, controlName]) => {
    // `let` at the top of a script makes no window property: look the names up by eval
    const map = window.eval(mapName), control = window.eval(controlName);
    return control._layers.map((entry) => {
        const layer = entry.layer;
        let count = null;
        if (layer && layer.getLayers) { count = layer.getLayers().length; }
        if (layer && layer.getLayers && count === 1 && layer.getLayers()[0].getLayers) {
            count = layer.getLayers()[0].getLayers().length;  // a GeoJson in a group
        }
        return {name: entry.name, overlay: entry.overlay, exists: !!layer,
                count: count, on: map.hasLayer(layer)};
    });
}"""


def _control_labels(loaded: Loaded) -> list[str]:
    return [
        t.strip()
        for t in loaded.page.locator(".leaflet-control-layers-list label span").all_inner_texts()
    ]


_SHOW_NEW_BUILD = """(name) => {
    // a new school's icon, from what the search box knows (at city zoom it is clustered)
    const map = window[name];
    const found = window.xueweiPlaces.map((p) => p.marker).find((m) => m.options.icon
        && String(m.options.icon.options.className).includes("xuewei-kind-new_build"));
    map.setView(found.getLatLng(), 15, {animate: false});
}"""

# the dashed lines from proposals to the estates they serve, on the map (on its canvas)
_LINKS_DRAWN = """(name) => {
    let n = 0;
    window[name].eachLayer((l) => {
        if (l instanceof L.Polyline && l.options.dashArray === "4 3") { n++; }
    });
    return n;
}"""

# the proposals drawn in the view's scenario, each: faded (opening after the year shown)?
_PROPOSALS_DRAWN = """() => window.xueweiPlaces
    .filter((p) => p.marker.options.icon && p.group.hasLayer(p.marker))
    .map((p) => (p.marker.options.opacity === undefined ? 1 : p.marker.options.opacity) < 1)"""


def _click_latlng(loaded: Loaded, map_name: str, lat: float, lon: float) -> None:
    """Click the map at a location (markers on a canvas have no element to click)."""
    x, y = loaded.js(
        """([name, lat, lon]) => {
            const map = window[name];
            const p = map.latLngToContainerPoint([lat, lon]);
            const r = map.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        [map_name, lat, lon],
    )
    loaded.page.mouse.click(x, y)


# --- the maps -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def changsha(changsha_result: PlanResult) -> PlanResult:
    return changsha_result


def _demo_layers(result: PlanResult) -> dict[str, Any]:
    """Catchments, unserved estates, proposals and a merger for the demo-like map.

    Stand-ins until the catchment and proposal steps feed the pipeline: Voronoi catchments of
    the primary schools, the estates farthest from any primary school flagged unserved,
    a new school at the largest of those, a kindergarten, an expansion and one merger.
    """
    crs = result.crs
    schools = result.schools.to_crs(crs)
    primary = schools[schools["level"] == "primary"]
    area = result.districts.to_crs(crs).union_all()
    cells = shapely.voronoi_polygons(shapely.MultiPoint(list(primary.geometry)), extend_to=area)
    cells_gdf = gpd.GeoDataFrame(geometry=list(cells.geoms), crs=crs)
    cells_gdf["geometry"] = cells_gdf.intersection(area)
    joined = gpd.sjoin(primary[["school_id", "geometry"]], cells_gdf, predicate="within")
    catchments = gpd.GeoDataFrame(
        {"school_id": joined["school_id"].to_numpy(), "level": "primary"},
        geometry=cells_gdf.geometry.loc[joined["index_right"]].to_numpy(),
        crs=crs,
    )
    estates = result.estates.to_crs(crs)  # type: ignore[union-attr]
    nearest = gpd.sjoin_nearest(
        estates[["estate_id", "geometry"]],
        primary[["school_id", "geometry"]],
        distance_col="distance_m",
    ).drop_duplicates("estate_id")
    distance = nearest.set_index("estate_id")["distance_m"]
    school_of = nearest.set_index("estate_id")["school_id"]
    # the farthest 3 % of estates, so that the screenshot stays readable
    far_m = max(1_000.0, float(distance.quantile(0.97)))
    far = distance.loc[estates["estate_id"]].to_numpy() > far_m
    estates = estates.assign(
        unserved=far,
        assigned_school_primary=np.where(far, None, school_of.loc[estates["estate_id"]]),
    )
    largest = estates[far].nlargest(3, "residents")
    over = schools[schools["over_capacity"].fillna(False).astype(bool)].iloc[:1]
    proposals = gpd.GeoDataFrame(
        {
            "proposal_id": ["P-001", "P-002", "P-003"],
            "kind": ["new_build", "kindergarten", "expansion"],
            "district_id": [largest["district_id"].iloc[0]] * 2 + [over["district_id"].iloc[0]],
            "level": ["primary", "kindergarten", "primary"],
            "year": [2028, 2027, 2029],
            "places": [2_160, 360, 450],
            "rationale_zh": ["片区内 1 公里无小学", "三千人以上小区无幼儿园", "学校超容量"],
            "rationale_en": ["No primary school within 1 km", "3,000+ residents", "Over capacity"],
            "estate_ids": [";".join(largest["estate_id"]), largest["estate_id"].iloc[0], None],
        },
        geometry=[
            Point(largest.geometry.iloc[0].x - 150, largest.geometry.iloc[0].y - 100),
            Point(largest.geometry.iloc[0].x + 120, largest.geometry.iloc[0].y + 80),
            over.geometry.iloc[0],
        ],
        crs=crs,
    )
    small = primary.nsmallest(1, "capacity")
    others = primary[primary["school_id"] != small["school_id"].iloc[0]]
    target = others.iloc[int(np.argmin(others.distance(small.geometry.iloc[0])))]
    mergers = pd.DataFrame(
        {
            "closing_school_id": [small["school_id"].iloc[0]],
            "receiving_school_id": [target["school_id"]],
            "year": [2030],
            "pupils": [int(small["enrolment"].fillna(0).iloc[0])],
        }
    )
    return {
        "catchments": catchments,
        "estates": estates,
        "proposals": proposals,
        "mergers": mergers,
    }


@pytest.fixture(scope="module")
def demo_map(changsha: PlanResult) -> Any:
    title = f"{changsha.plan.name} {changsha.plan.name_en}"
    return maps.plan_map(
        changsha.districts,
        changsha.schools,
        gaps=changsha.gaps,
        scenario=changsha.standards.default_scenario,
        year=changsha.plan.horizon,
        title=title,
        data_note=changsha.plan.data_note,
        capacity_col="places",
        **_demo_layers(changsha),
    )


@pytest.fixture(scope="module")
def pages(demo_map: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("maps")
    out = {}
    for name, offline in (("demo", False), ("offline", True)):
        path = folder / f"{name}.html"
        path.write_text(maps.render_html(demo_map, offline=offline), encoding="utf-8")
        out[name] = path
    return out


def _screenshot(loaded: Loaded, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    loaded.page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    return path


# --- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_map_loads_with_every_layer(browser, pages, offline) -> None:
    path = pages["offline" if offline else "demo"]
    page_html = path.read_text(encoding="utf-8")
    map_name, control_name = _names(page_html)
    for loaded in _open(browser, path, offline=offline):
        assert _js_errors(loaded, offline=offline) == []
        if offline:
            assert loaded.requests == []  # nothing even tried the network
        layers = loaded.js(_LAYERS_JS, [map_name, control_name])
        names = {entry["name"] for entry in layers}
        labels = _control_labels(loaded)
        assert labels, "the layer control lists no layers"
        assert all(entry["exists"] for entry in layers)
        for expected in [
            "学位缺口（区县） Place gap by district",
            "学校 Schools: 小学 Primary",
            "学校 Schools: 初中 Junior secondary",
            "学校 Schools: 九年一贯制 Nine-year school",
            "住宅小区 Housing estates",
            "未覆盖小区 Unserved estates",
            "服务范围 Catchments: 小学 Primary",
            "规划建议 Proposals",
            "学校撤并 School mergers",
        ]:
            assert expected in names and expected in labels, expected
        overlays = {e["name"]: e for e in layers if e["overlay"]}
        assert overlays["学校 Schools: 小学 Primary"]["count"] == 642
        assert overlays["服务范围 Catchments: 小学 Primary"]["count"] == 642
        # the three proposals' icons (in a cluster group; their lines show at street zoom)
        assert overlays["规划建议 Proposals"]["count"] == 3
        assert overlays["学校 Schools: 小学 Primary"]["on"]
        assert not overlays["住宅小区 Housing estates"]["on"]
        base = [e for e in layers if not e["overlay"]]
        assert [e["name"] for e in base] == ([] if offline else ["开放街道地图 OpenStreetMap"])
        # switching a hidden layer on through the control puts it on the map
        loaded.page.locator(".leaflet-control-layers").get_by_text(
            "住宅小区 Housing estates", exact=True
        ).click()
        assert loaded.js(_LAYERS_JS, [map_name, control_name])[
            [e["name"] for e in layers].index("住宅小区 Housing estates")
        ]["on"]
        loaded.page.locator(".leaflet-control-layers").get_by_text(
            "住宅小区 Housing estates", exact=True
        ).click()
        # title box, legend, scale bar and full-screen button are on the page
        assert "长沙" in loaded.page.locator(".xuewei-title").inner_text()
        assert loaded.page.locator(".xuewei-data-note").is_visible()
        assert loaded.page.locator(".xuewei-legend").is_visible()
        assert loaded.page.locator(".leaflet-control-scale").is_visible()
        assert loaded.page.locator(".xuewei-fullscreen").is_visible()
        _screenshot(loaded, "map_offline.png" if offline else "map_demo.png")
        assert _js_errors(loaded, offline=offline) == []


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_popups_open_on_click(browser, pages, changsha, offline) -> None:
    path = pages["offline" if offline else "demo"]
    map_name, _ = _names(path.read_text(encoding="utf-8"))
    school = changsha.schools.to_crs(4326)
    school = school[school["level"] == "primary"].iloc[0]
    for loaded in _open(browser, path, offline=offline):
        loaded.js(
            "([name, lat, lon]) => { window[name].setView([lat, lon], 16, {animate: false}); }",
            [map_name, school.geometry.y, school.geometry.x],
        )
        loaded.page.wait_for_timeout(200)
        _click_latlng(loaded, map_name, school.geometry.y, school.geometry.x)
        popup = loaded.page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=15_000)
        text = popup.inner_text()
        assert school["name"] in text
        assert "学位容量 Capacity" in text
        # a proposal icon is an element: click it
        loaded.js("(name) => { window[name].closePopup(); }", map_name)
        loaded.js(_SHOW_NEW_BUILD, map_name)
        loaded.page.wait_for_timeout(200)
        icon = loaded.page.locator(".xuewei-kind-new_build").first
        # at street zoom the icons are single and joined to the estates they serve
        assert loaded.js(_LINKS_DRAWN, map_name) > 0
        colour = icon.evaluate("(e) => getComputedStyle(e).backgroundColor")
        assert colour == "rgb(8, 81, 156)"  # PROPOSAL_STYLES["new_build"]: #08519c
        icon.click()
        popup.wait_for(state="visible", timeout=15_000)
        assert "新建学校 New school" in popup.inner_text()
        assert "P-001" in popup.inner_text()
        assert _js_errors(loaded, offline=offline) == []


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
def test_user_text_runs_no_script(browser, tmp_path, offline) -> None:
    districts = gpd.GeoDataFrame(
        {"district_id": [XSS], "name": [XSS_FLAG], "name_en": [XSS]},
        geometry=[box(112.8, 28.1, 113.0, 28.3)],
        crs="EPSG:4326",
    )
    gaps = pd.DataFrame(
        {
            "district_id": [XSS],
            "level": ["compulsory"],
            "year": [2030],
            "scenario": [85.0],
            "residents": [1_000.0],
            "required": [85.0],
            "offered": [50.0],
            "gap": [35.0],
        }
    )
    schools = gpd.GeoDataFrame(
        {
            "school_id": [XSS],
            "name": [XSS],
            "name_en": [SCRIPT_END],
            "level": ["primary"],
            "district_id": [XSS],
            "capacity": [100],
        },
        geometry=[Point(112.9, 28.2)],
        crs="EPSG:4326",
    )
    estates = gpd.GeoDataFrame(
        {"estate_id": [XSS], "name": [XSS_FLAG], "residents": [10], "unserved": [True]},
        geometry=[Point(112.95, 28.15)],
        crs="EPSG:4326",
    )
    proposals = gpd.GeoDataFrame(
        {
            "proposal_id": [XSS],
            "kind": ["new_build"],
            "rationale_zh": [XSS_FLAG],
            "rationale_en": ["`${alert(2)}`"],
            "estate_ids": [XSS],
        },
        geometry=[Point(112.85, 28.25)],
        crs="EPSG:4326",
    )
    m = maps.plan_map(
        districts,
        schools,
        gaps=gaps,
        estates=estates,
        proposals=proposals,
        scenario=85,
        year=2030,
        title=XSS,
        data_note=XSS_FLAG,
        tiles="none",
    )
    path = tmp_path / "xss.html"
    path.write_text(maps.render_html(m, offline=offline), encoding="utf-8")
    map_name, _ = _names(path.read_text(encoding="utf-8"))
    for loaded in _open(browser, path, offline=offline):
        # open every popup and tooltip there is
        _click_latlng(loaded, map_name, 28.2, 112.9)
        popup = loaded.page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=15_000)
        assert XSS in popup.inner_text()  # shown as text
        loaded.page.locator(".xuewei-kind-new_build").click(force=True)
        loaded.page.wait_for_timeout(100)
        assert "window.__xss=1" in popup.inner_text()
        loaded.page.mouse.move(100, 700)  # over the district: its tooltip
        loaded.page.mouse.move(640, 450)
        loaded.page.wait_for_timeout(200)
        assert loaded.dialogs == []
        assert loaded.js("() => window.__xss === undefined")
        assert loaded.js("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
        assert XSS in loaded.page.locator(".xuewei-title").inner_text()
        # the district's popup (its chart), its label, and the search box's list
        layer = loaded.js("() => Object.keys(window).find(k => k.startsWith('gap_layer'))")
        loaded.js(f"() => {{ {map_name}.closePopup(); }}")
        loaded.js(f"() => {{ {layer}.eachLayer(g => g.eachLayer(s => s.openPopup())); }}")
        chart = loaded.page.locator(".leaflet-popup-content", has=loaded.page.locator("svg"))
        chart.wait_for(state="visible", timeout=15_000)
        assert XSS in chart.inner_text()
        labels = loaded.page.locator(".xuewei-district-label").all_inner_texts()
        assert any("window.__xss=1" in text for text in labels)
        search = loaded.page.locator(".xuewei-search input")
        search.fill("img")
        options = loaded.js(
            "() => Array.from(document.querySelectorAll('.xuewei-search option')).map(o => o.value)"
        )
        assert XSS in options
        search.fill(XSS)
        search.dispatch_event("change")
        loaded.page.wait_for_timeout(300)
        assert loaded.dialogs == [] and loaded.js("() => window.__xss === undefined")
        assert loaded.js("() => document.querySelectorAll('img[src=\"x\"]').length") == 0
        assert _js_errors(loaded, offline=offline) == []


def test_plain_folium_elements_work_offline(browser, tmp_path) -> None:
    """A default marker with a folium popup (jQuery in folium's template) works offline."""
    import folium

    m = folium.Map(location=[28.2, 112.9], zoom_start=12, tiles=None)
    folium.Marker([28.2, 112.9], popup="一中 <b>No. 1</b>", tooltip="一中").add_to(m)
    folium.LayerControl().add_to(m)
    path = tmp_path / "plain.html"
    path.write_text(maps.render_html(m, offline=True), encoding="utf-8")
    for loaded in _open(browser, path, offline=True):
        assert loaded.requests == [] and loaded.errors == []
        marker = loaded.page.locator(".leaflet-marker-icon")
        assert marker.evaluate("(img) => img.complete && img.naturalWidth") == 25
        marker.click()
        popup = loaded.page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=15_000)
        assert popup.inner_text().strip() == "一中 No. 1"
        assert loaded.errors == []


@pytest.fixture(scope="module")
def plan_page(changsha: PlanResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page ``xuewei demo`` writes: every year and scenario of the Changsha plan."""
    from xuewei.outputs.maps import plan_map_for

    path = tmp_path_factory.mktemp("plan") / "plan.html"
    path.write_text(maps.render_html(plan_map_for(changsha), offline=True), encoding="utf-8")
    return path


_FIGURES = re.compile(r"Required ([\d,]+) · \S+ Offered ([\d,]+) · \S+ Gap ([+−]?[\d,]+)")


def _figures(text: str) -> tuple[int, int, int]:
    found = _FIGURES.search(text)
    assert found, text
    required, offered, gap = (int(v.replace(",", "").replace("−", "-")) for v in found.groups())
    return required, offered, gap


def test_year_and_scenario_switch_shows_that_views_figures(browser, changsha, plan_page) -> None:
    """Choosing a year and a scenario in the title box: the header's required, offered and
    gap are the gaps table's sums for that view, the subtitle names it, and the proposals
    drawn are that scenario's, those opening later faded."""
    compulsory = changsha.gaps[changsha.gaps["level"] == "compulsory"]
    proposals = changsha.proposals
    assert proposals is not None
    base, horizon = changsha.years.assessed
    map_name, _ = _names(plan_page.read_text(encoding="utf-8"))
    for loaded in _open(browser, plan_page, offline=True):
        page = loaded.page
        assert loaded.requests == [] and loaded.errors == []
        page.set_viewport_size({"width": 1280, "height": 720})  # a meeting room's projector
        page.wait_for_timeout(200)
        # opened on a short screen, the legend is folded to its heading (open, it hid a
        # quarter of the map); a click on the heading unfolds it
        folded = "() => document.querySelector('.xuewei-legend details').open"
        assert loaded.js(folded) is False
        assert (
            loaded.js(
                "() => document.querySelector('.xuewei-legend').getBoundingClientRect().height"
            )
            < 40
        )
        page.click(".xuewei-legend summary")
        assert loaded.js(folded) is True
        page.click(".xuewei-legend summary")
        for part in (".xuewei-legend", ".xuewei-title", ".leaflet-control-layers"):
            r = loaded.js(
                f"() => document.querySelector('{part}').getBoundingClientRect().toJSON()"
            )
            assert r["left"] >= 0 and r["top"] >= 0, part
            assert r["right"] <= 1280 and r["bottom"] <= 720, part
        years = page.locator("select.xuewei-year option").all_inner_texts()
        assert years == [str(y) for y in range(base, horizon + 1)]
        for year, scenario in ((horizon, 85.0), (base + 3, 90.0), (base, 80.0), (2030, 85.0)):
            page.select_option("select.xuewei-scenario", f"{scenario:g}")
            page.select_option("select.xuewei-year", str(year))
            rows = compulsory[(compulsory["year"] == year) & (compulsory["scenario"] == scenario)]
            required, offered = round(rows["required"].sum()), round(rows["offered"].sum())
            assert _figures(page.inner_text(".xuewei-notes")) == (
                required,
                offered,
                round(rows["required"].sum() - rows["offered"].sum()),
            )
            subtitle = page.inner_text(".xuewei-subtitle")
            assert f"千人指标 {scenario:g}" in subtitle and f"Year {year}" in subtitle
            ready, counties = changsha.readiness.headline()  # read in each target year
            notes = page.inner_text(".xuewei-notes")
            assert f"Ready by their target year: {ready} of {counties} counties" in notes
            mine = proposals[proposals["scenario"].isna() | (proposals["scenario"] == scenario)]
            mine = mine[mine.geometry.notna() & ~mine.geometry.is_empty]
            icons = loaded.js(_PROPOSALS_DRAWN)
            assert len(icons) == len(mine)
            assert sum(icons) == int((mine["year"] > year).sum())
            # at city zoom the proposals are clusters, fewer than the proposals drawn
            clusters = page.locator(".xuewei-cluster-icons").all_inner_texts()
            assert clusters and len(clusters) < len(mine)
            alone = page.locator(".leaflet-marker-icon.xuewei-icon:not(.xuewei-cluster-icons)")
            assert sum(int(n) for n in clusters) + alone.count() == len(mine)
            assert loaded.js(_LINKS_DRAWN, map_name) == 0  # the links show at street zoom
        # a district's popup: the chart of its places over the years and the view's figures
        layer = loaded.js("() => Object.keys(window).find(k => k.startsWith('gap_layer'))")
        loaded.js(
            f"() => {{ let first = null; {layer}.eachLayer(g => g.eachLayer(s => "
            "{ first = first || s; })); first.openPopup(); }"
        )
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for(state="visible", timeout=15_000)
        page.wait_for_timeout(800)  # the map pans the popup into view, animated
        assert popup.locator("svg.xuewei-chart polyline").count() == 2
        first = changsha.districts["name"].iloc[0]
        assert first in popup.inner_text() and "2030" in popup.inner_text()
        title_bottom = loaded.js(
            "() => document.querySelector('.xuewei-title').getBoundingClientRect().bottom"
        )
        assert popup.bounding_box()["y"] >= title_bottom  # panned clear of the title box
        # the ◀ button steps back a year, and the open popup follows
        page.locator("button.xuewei-step[data-step='-1']").click()
        assert "<b>2029</b>" in popup.inner_html()
        loaded.js(f"() => {{ {layer}._map.closePopup(); }}")
        assert "Year 2029" in page.inner_text(".xuewei-subtitle")
        page.wait_for_timeout(500)  # the popup's fade-out
        _screenshot(loaded, "map_switched_2029.png")
        assert loaded.errors == []


def test_district_labels_never_overlap(browser, pages) -> None:
    """Every district has a label; those shown never overlap, at the default zoom or after
    zooming out (when some hide); at the opening view all nine show (开福区 and 天心区 were
    hidden there: a name that would overlap moves up to 36 px first); zoomed in, all nine."""
    for loaded in _open(browser, pages["offline"], offline=True):
        boxes_js = """() => Array.from(document.querySelectorAll('.xuewei-district-label'))
            .filter(el => el.style.visibility !== 'hidden')
            .map(el => { const r = el.firstChild.getBoundingClientRect();
                         return [r.left, r.top, r.right, r.bottom, el.textContent]; })"""

        def overlapping(boxes: list[list[Any]]) -> list[tuple[str, str]]:
            return [
                (a[4], b[4])
                for i, a in enumerate(boxes)
                for b in boxes[i + 1 :]
                if not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])
            ]

        assert loaded.js("() => document.querySelectorAll('.xuewei-district-label').length") == 9
        shown = loaded.js(boxes_js)
        assert len(shown) == 9 and overlapping(shown) == []
        map_name = loaded.js("() => Object.keys(window).find(k => k.startsWith('map_'))")
        loaded.js(f"() => {{ {map_name}.setZoom({map_name}.getZoom() - 2, {{animate: false}}); }}")
        loaded.page.wait_for_timeout(300)
        zoomed_out = loaded.js(boxes_js)
        assert overlapping(zoomed_out) == [] and len(zoomed_out) < 9
        loaded.js(f"() => {{ {map_name}.setZoom({map_name}.getZoom() + 5, {{animate: false}}); }}")
        loaded.page.wait_for_timeout(300)
        assert len(loaded.js(boxes_js)) == 9
        assert "浏阳市" in " ".join(b[4] for b in shown) and "Liuyang" in " ".join(
            b[4] for b in shown
        )


def test_print_view_is_one_a3_landscape_sheet(browser, pages) -> None:
    """Printed (A3 landscape), the page hides its buttons and layer list, unfolds the
    legend within the sheet, and makes one PDF page; the print button is there."""
    for loaded in _open(browser, pages["offline"], offline=True):
        page = loaded.page
        assert loaded.js("() => document.querySelectorAll('a.xuewei-print').length") == 1
        page.set_viewport_size({"width": 1587, "height": 1123})  # A3 at 96 dpi
        page.emulate_media(media="print")
        page.wait_for_timeout(300)
        hidden = loaded.js(
            """() => ['.leaflet-control-layers', '.leaflet-control-zoom', '.xuewei-print']
                .map(s => getComputedStyle(document.querySelector(s)).display)"""
        )
        assert hidden == ["none", "none", "none"]
        # folded on the screen (800 px tall), unfolded on paper
        assert loaded.js("() => document.querySelector('.xuewei-legend details').open")
        legend = loaded.js(
            """() => { const el = document.querySelector('.xuewei-legend');
                const r = el.getBoundingClientRect();
                return [r.top, r.bottom, el.scrollHeight, el.clientHeight]; }"""
        )
        assert legend[0] >= 0 and legend[1] <= 1123 and legend[2] <= legend[3] + 1
        _screenshot(loaded, "print_view.png")
        pdf = page.pdf(format="A3", landscape=True, print_background=True)
        assert pdf[:4] == b"%PDF"
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1


def test_search_finds_a_school_and_opens_it(browser, pages, changsha) -> None:
    """Typing part of a school's name lists it; choosing it zooms there and opens its popup."""
    school = changsha.schools.iloc[0]
    for loaded in _open(browser, pages["offline"], offline=True):
        page = loaded.page
        box = page.locator(".xuewei-search input")
        box.fill(str(school["name"])[-8:])
        options = loaded.js(
            "() => Array.from(document.querySelectorAll('#xuewei-search-names option'))"
            ".map(o => o.value)"
        )
        assert str(school["name"]) in options and len(options) <= 30
        box.fill(str(school["name"]))
        box.dispatch_event("change")
        page.wait_for_timeout(300)
        popup = loaded.js(
            "() => (document.querySelector('.leaflet-popup-content') || {}).textContent || ''"
        )
        assert str(school["name"]) in popup
        map_name = loaded.js("() => Object.keys(window).find(k => k.startsWith('map_'))")
        assert loaded.js(f"() => {map_name}.getZoom()") >= 15
        # an estate: its layer is off when the map opens, and is turned on to show it
        estate = str(changsha.estates["name"].iloc[0])
        box.fill(estate)
        box.dispatch_event("change")
        page.wait_for_timeout(300)
        assert estate in loaded.js(
            "() => (document.querySelector('.leaflet-popup-content') || {}).textContent || ''"
        )
        assert loaded.errors == []


def test_written_page_keeps_its_base_map_and_says_when_it_cannot_load(
    browser, changsha, tmp_path
) -> None:
    """The page `xuewei demo` writes is self-contained (every script inlined) and keeps
    the base map asked for: it fetches nothing but the base map's tiles, and where they
    cannot be loaded (no internet) its credits say so in red."""
    from xuewei.outputs.maps import MapOptions, write_map

    path = write_map(changsha, tmp_path / "plan.html", options=MapOptions(tiles="osm"))
    for loaded in _open(browser, path, offline=True):
        loaded.page.wait_for_timeout(500)
        assert loaded.requests, "the base map was left out"
        assert all("tile.openstreetmap.org" in url for url in loaded.requests)
        assert [e for e in loaded.errors if "Failed to load resource" not in e] == []
        note = loaded.page.locator(".xuewei-tiles-failed")
        assert note.count() == 1
        words = "底图未能加载（需联网） base map not loaded: it needs the internet"
        assert note.inner_text() == words
        assert note.is_visible()
    # no base map asked for: nothing fetched, nothing said
    bare = write_map(changsha, tmp_path / "bare.html", options=MapOptions(tiles="none"))
    for loaded in _open(browser, bare, offline=True):
        assert loaded.requests == [] and loaded.errors == []
        assert loaded.page.locator(".xuewei-tiles-failed").count() == 0


_OPEN_POPUP_JS = """([mapName, needle]) => {
    const map = window.eval(mapName);
    let found = null;
    const visit = (layer) => {
        if (found) { return; }
        if (layer.getPopup && layer.getPopup()) {
            let content = layer.getPopup().getContent();
            if (typeof content === "function") { content = content(layer); }
            if (String(content).includes(needle)) { found = layer; }
        }
        if (layer.eachLayer) { layer.eachLayer(visit); }
    };
    map.eachLayer(visit);
    if (!found) { return null; }
    map.setView(found.getLatLng(), 13, {animate: false});
    found.openPopup();
    return true;
}"""


def test_a_long_popup_fits_under_the_title_box_at_1280_by_720(browser, plan_page) -> None:
    """A new school's popup (its estates and rationale) opens below the title box and ends
    above the bottom of a 1280 × 720 screen, scrolling what does not fit; it ran off the
    bottom."""
    map_name, _ = _names(plan_page.read_text(encoding="utf-8"))
    for loaded in _open(browser, plan_page, offline=True):
        page = loaded.page
        page.set_viewport_size({"width": 1280, "height": 720})
        page.reload(wait_until="load")  # the room popups may take is measured on load
        page.wait_for_selector(".leaflet-control-layers")
        assert loaded.js(_OPEN_POPUP_JS, [map_name, "服务小区 Serves estates"]) is True
        page.wait_for_timeout(800)  # the map pans the popup into view
        box = loaded.js(
            "() => document.querySelector('.leaflet-popup').getBoundingClientRect().toJSON()"
        )
        title = loaded.js(
            "() => document.querySelector('.xuewei-title').getBoundingClientRect().bottom"
        )
        assert box["top"] >= title and box["bottom"] <= 720, (box, title)
        content = loaded.js(
            """() => { const el = document.querySelector('.leaflet-popup-content');
                return [el.scrollHeight, el.clientHeight, getComputedStyle(el).overflowY]; }"""
        )
        assert content[0] > content[1] and content[2] == "auto"  # it scrolls


def test_readiness_and_gap_layers_are_shown_one_at_a_time(browser, plan_page) -> None:
    """Both fill the districts (their colours mixed into neither's legend): ticking one
    unticks the other, in the layer control and on the map."""
    map_name, _ = _names(plan_page.read_text(encoding="utf-8"))
    boxes = """() => Object.fromEntries([...document.querySelectorAll(
        '.leaflet-control-layers-overlays label')].map(l => [l.textContent.trim(),
        l.querySelector('input').checked]))"""
    gap, ready = "学位缺口（区县） Place gap by district", "按期达标（区县） Ready by target year"
    filled = f"""() => {{ const map = window.eval('{map_name}'); let n = 0;
        map.eachLayer(l => {{ if (l.feature && l.options && l.options.fillOpacity > 0.5
            && l.feature.geometry.type.includes('Polygon')) {{ n += 1; }} }}); return n; }}"""
    for loaded in _open(browser, plan_page, offline=True):
        control = loaded.page.locator(".leaflet-control-layers")
        assert loaded.js(boxes)[gap] and not loaded.js(boxes)[ready]
        control.get_by_text(ready, exact=True).click()
        loaded.page.wait_for_timeout(200)
        assert loaded.js(boxes)[ready] and not loaded.js(boxes)[gap]
        assert loaded.js(filled) == 9  # the nine districts, once
        control.get_by_text(gap, exact=True).click()
        loaded.page.wait_for_timeout(200)
        assert loaded.js(boxes)[gap] and not loaded.js(boxes)[ready]
        assert loaded.js(filled) == 9
