"""The Folium meeting map: rendered HTML is asserted on, as geopandas' test_explore.py does."""

from __future__ import annotations

import html
import json
import re

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from xuewei import maps
from xuewei.errors import CRSError, InputError
from xuewei.maps.plan_map import GAP_NO_DATA, GAP_SHORTAGE, GAP_SURPLUS, UTILISATION_COLOURS

XSS = "<img src=x onerror=alert(1)>"
# user text that would also break out of folium's JavaScript template literals
JS_BREAK = "`${alert(2)}`\\"


@pytest.fixture
def districts() -> gpd.GeoDataFrame:
    # drawn in a metric CRS on purpose: the map must reproject to EPSG:4326
    frame = gpd.GeoDataFrame(
        {
            "district_id": ["yl", "tx", "kf"],
            "name": ["岳麓区", "天心区", "开福区"],
            "name_en": ["Yuelu", "Tianxin", "Kaifu"],
        },
        geometry=[
            box(112.80, 28.10, 112.95, 28.25),
            box(112.95, 28.05, 113.05, 28.20),
            box(112.95, 28.20, 113.05, 28.30),
        ],
        crs="EPSG:4326",
    )
    return frame.to_crs("EPSG:4547")


def _gap_rows(district_id: str, residents: float, gaps: dict[str, float]) -> list[dict]:
    rows = []
    for scenario in (80.0, 85.0, 90.0):
        for year in (2025, 2030):
            for level, gap in gaps.items():
                offered = 10_000.0
                rows.append(
                    {
                        "district_id": district_id,
                        "level": level,
                        "year": year,
                        "scenario": scenario,
                        "residents": residents,
                        "required": offered + gap,
                        "offered": offered,
                        "gap": gap,
                    }
                )
    return rows


@pytest.fixture
def gaps() -> pd.DataFrame:
    rows = (
        # Yuelu short of places, Tianxin with spare places; Kaifu has no gap rows
        _gap_rows("yl", 1_234_567, {"primary": 3_000, "junior": 1_500, "compulsory": 4_500})
        + _gap_rows("tx", 876_543, {"primary": -2_000, "junior": -1_000, "compulsory": -3_000})
    )
    return pd.DataFrame(rows)


@pytest.fixture
def schools() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "school_id": ["s1", "s2", "s3", "s4"],
            "name": ["麓山国际实验学校", "长郡中学", XSS, JS_BREAK],
            "name_en": ["Lushan International", None, "Evil", None],
            "level": ["primary", "junior", "nine_year", "kindergarten"],
            "district_id": ["yl", "tx", "yl", "tx"],
            "capacity": [2_160, 1_800, 900, 360],
            "enrolment": [2_430, 1_620, 700, 200],
            "classes": [48, 36, 20, 12],
            "utilisation": [2_430 / 2_160, 1_620 / 1_800, np.nan, 200 / 360],
            "over_capacity": [True, False, False, False],
            "big_class": [True, False, False, False],
            "big_school": [False, True, False, False],
            "synthetic": [False, False, True, True],
        },
        geometry=[
            Point(112.90, 28.20),
            Point(113.00, 28.10),
            Point(112.85, 28.15),
            Point(113.00, 28.15),
        ],
        crs="EPSG:4326",
    )


@pytest.fixture
def estates() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "estate_id": ["e1", "e2"],
            "name": ["梅溪湖一期", XSS],
            "residents": [12_345, 3_000],
            "completion_year": [2021, 2027],
            "synthetic": [True, True],
        },
        geometry=[Point(112.88, 28.19), Point(113.01, 28.12)],
        crs="EPSG:4326",
    )


NOTE = "Schools, estates and raster are SYNTHETIC / 学校、小区与人口栅格为合成数据"


def _page(districts, schools, gaps, **kwargs) -> str:
    options = {"scenario": 85, "year": 2030, "title": "长沙市学位规划 Changsha", "tiles": None}
    options.update(kwargs)
    return maps.render_html(maps.plan_map(districts, schools, gaps=gaps, **options))


def _districts_geojson(page: str) -> dict:
    """The choropleth's GeoJSON, as embedded in the page."""
    found = re.search(r"geo_json_\d+_add\((\{.*?\})\);\n", page)
    assert found is not None
    return json.loads(found.group(1))


def _tooltips(page: str) -> dict[str, str]:
    """Feature id -> tooltip HTML of the choropleth."""
    features = _districts_geojson(page)["features"]
    return {f["id"]: f["properties"]["tooltip"] for f in features}


def _markers(page: str) -> dict[str, dict]:
    """Tooltip (the escaped name) -> marker of the point layers, from their data arrays."""
    out = {}
    for layer in re.findall(r"var points = (\[.*?\]);\n", page):
        for lat, lon, radius, fill, popup, tooltip, dashed in json.loads(layer):
            out[tooltip] = {
                "lat": lat,
                "lon": lon,
                "radius": radius,
                "fill": fill,
                "popup": popup,
                "dashed": bool(dashed),
            }
    return out


def _styles(page: str) -> dict[str, str]:
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
    ids = [f["id"] for f in _districts_geojson(page)["features"]]
    return {i: fills.get(i, fills["default"]) for i in ids}


def test_layers_title_legend_and_note(districts, schools, gaps, estates) -> None:
    page = _page(districts, schools, gaps, estates=estates, data_note=NOTE)
    for layer in [
        "学位缺口（区县） Place gap by district",
        "学校 Schools: 小学 Primary",
        "学校 Schools: 初中 Junior secondary",
        "学校 Schools: 九年一贯制 Nine-year school",
        "学校 Schools: 幼儿园 Kindergarten",
        "住宅小区 Housing estates",
    ]:
        assert json.dumps(layer) in page, layer
    assert "L.control.layers" in page
    # title box: plan title, scenario, year, level; the data note, prominently
    assert "长沙市学位规划 Changsha" in page
    assert "<title>长沙市学位规划 Changsha</title>" in page
    assert "85 places per 1,000 / 千人指标 85" in page
    assert "年份 Year 2030" in page
    assert "xuewei-data-note" in page
    assert html.escape(NOTE) in page
    # legend: the gap classes and utilisation classes with their colours
    assert "xuewei-legend" in page
    assert (
        "缺口 = 需求 − 现有，&gt; 0 为学位不足 gap = required − offered; &gt; 0 is a shortage"
        in (page)
    )
    for colour in (*GAP_SHORTAGE, *GAP_SURPLUS, *UTILISATION_COLOURS.values()):
        assert f"background:{colour}" in page
    # max |gap| 4,500 -> classes of 2,000 places
    assert "不足 shortage &gt; 4,000" in page and "不足 shortage 2,000–4,000" in page
    assert "富余 surplus 1–2,000" in page
    assert "&lt; 85%" in page and "85%–100%" in page and "&gt; 100%" in page
    # the view fits the districts
    assert "fitBounds" in page
    assert "28.05" in page and "113.05" in page


def test_no_data_note_and_no_estates(districts, schools, gaps) -> None:
    page = _page(districts, schools, gaps)
    assert '<div class="xuewei-data-note">' not in page
    assert "Housing estates" not in page


def test_estates_layer_hidden_at_first(districts, schools, gaps, estates) -> None:
    m = maps.plan_map(
        districts, schools, gaps=gaps, estates=estates, scenario=85, year=2030, title="t"
    )
    groups = {
        child.layer_name: child
        for child in m._children.values()
        if isinstance(child, folium.FeatureGroup)
    }
    assert groups["住宅小区 Housing estates"].show is False
    assert groups["学校 Schools: 小学 Primary"].show is True
    assert groups["学校 Schools: 幼儿园 Kindergarten"].show is False
    page = maps.render_html(m)
    assert "梅溪湖一期" in page and "12,345" in page and "2027" in page


def test_unserved_estates(districts, schools, gaps, estates) -> None:
    page = _page(districts, schools, gaps, estates=estates.assign(unserved=[False, True]))
    markers = _markers(page)
    assert markers["梅溪湖一期"]["fill"] != markers[html.escape(XSS)]["fill"]
    assert "未覆盖 unserved" in markers[html.escape(XSS)]["popup"]
    assert "未覆盖 unserved</td>" in page  # in the legend


def test_choropleth_colours_shortage_vs_surplus(districts, schools, gaps) -> None:
    styles = _styles(_page(districts, schools, gaps))
    # features are numbered in district order: yl (shortage), tx (surplus), kf (no rows)
    assert styles["d0"] == GAP_SHORTAGE[2]  # +4,500 > 2 × 2,000
    assert styles["d1"] == GAP_SURPLUS[1]  # −3,000 within 2,000–4,000
    assert styles["d2"] == GAP_NO_DATA
    assert len({styles["d0"], styles["d1"], styles["d2"]}) == 3


def test_choropleth_follows_level(districts, schools, gaps) -> None:
    styles = _styles(_page(districts, schools, gaps, level="junior"))
    # junior: +1,500 / −1,000, max 1,500 -> classes of 500
    assert styles["d0"] == GAP_SHORTAGE[2]
    assert styles["d1"] == GAP_SURPLUS[1]


def test_district_tooltip_numbers(districts, schools, gaps) -> None:
    tips = _tooltips(_page(districts, schools, gaps))
    yuelu, tianxin, kaifu = tips["d0"], tips["d1"], tips["d2"]
    assert "<b>岳麓区 Yuelu</b>" in yuelu
    assert "常住人口 Residents 2030: 1,234,567" in yuelu
    for level, required, gap in [
        ("小学 Primary", "13,000", "+3,000"),
        ("初中 Junior secondary", "11,500", "+1,500"),
        ("义务教育 Compulsory (primary + junior)", "14,500", "+4,500"),
    ]:
        cells = ".*?".join(re.escape(text) for text in (level, required, "10,000", gap))
        assert re.search(cells, yuelu), level
    assert '<tr class="xuewei-current"><td>义务教育' in yuelu  # the level on the map
    assert "−3,000" in tianxin and "−2,000" in tianxin  # surplus, with a minus sign
    assert "<b>开福区 Kaifu</b>" in kaifu and "Residents 2030: –" in kaifu


def test_school_popup_numbers_and_flags(districts, schools, gaps) -> None:
    page = _page(districts, schools, gaps)
    assert "麓山国际实验学校" in page and "Lushan International" in page
    assert "小学 Primary" in page
    assert "2,160" in page and "2,430" in page and "48" in page
    assert "112.5%" in page  # utilisation as given
    assert "超容量 over capacity · 大班额 large classes" in page
    assert "大校额 oversized school" in page
    assert "合成数据 synthetic data" in page
    assert "岳麓区 Yuelu (yl)" in page  # the school's district
    # marker colours by utilisation class (unknown is grey), sizes by capacity
    markers = _markers(page)
    assert markers["麓山国际实验学校"]["fill"] == UTILISATION_COLOURS["over"]
    assert markers["长郡中学"]["fill"] == UTILISATION_COLOURS["near"]
    assert markers[html.escape(XSS)]["fill"] == UTILISATION_COLOURS["unknown"]
    assert markers["&#96;&#36;{alert(2)}&#96;&#92;"]["fill"] == UTILISATION_COLOURS["under"]
    assert markers["麓山国际实验学校"]["radius"] > markers["长郡中学"]["radius"]
    assert markers[html.escape(XSS)]["dashed"]  # synthetic schools have a dashed outline
    assert (markers["麓山国际实验学校"]["lat"], markers["麓山国际实验学校"]["lon"]) == (28.2, 112.9)
    popup = markers["麓山国际实验学校"]["popup"]
    assert "<th>学位容量 Capacity</th><td>2,160</td>" in popup
    assert "<th>学位使用率 Utilisation</th><td>112.5%</td>" in popup


def test_user_text_is_escaped(districts, schools, gaps, estates) -> None:
    districts = districts.assign(name=["岳麓区", XSS, "开福区"], district_id=["yl", "tx", XSS])
    gaps = gaps.assign(district_id=gaps["district_id"].replace({"tx": XSS}))
    page = _page(
        districts,
        schools,
        gaps,
        estates=estates,
        title=f"Plan {XSS}",
        data_note=f"note {XSS}",
    )
    assert "<img src=x onerror" not in page
    assert "\\u003cimg" not in page.lower()  # not even JSON-escaped, raw for innerHTML
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    tips = _tooltips(page)
    assert "<img" not in tips["d1"] and "&lt;img src=x onerror=alert(1)&gt;" in tips["d1"]
    # backticks, ${ and backslashes cannot end or evaluate inside template literals
    assert "${alert(2)}" not in page
    assert "&#96;&#36;{alert(2)}&#96;&#92;" in page


def test_lang_switches_labels(districts, schools, gaps, estates) -> None:
    zh = _page(districts, schools, gaps, estates=estates, lang="zh")
    en = _page(districts, schools, gaps, estates=estates, lang="en")
    assert "千人指标 85" in zh and "places per 1,000" not in zh
    assert json.dumps("学校: 小学") in zh and "Primary" not in zh
    assert "超容量" in zh and "over capacity" not in zh
    assert "85 places per 1,000" in en and "千人指标" not in en
    assert json.dumps("Schools: Primary") in en and "小学" not in en
    assert "over capacity" in en and "超容量" not in en
    assert "Yuelu" in en and "Lushan International" in en
    # English pages still carry the Chinese names from the data
    assert "岳麓区" not in en  # districts show name_en when there is one
    assert "长郡中学" in en  # no name_en: the name as given


def test_bad_lang(districts, schools, gaps) -> None:
    with pytest.raises(ValueError, match="lang='fr'"):
        maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t", lang="fr")  # type: ignore[arg-type]


def test_render_is_deterministic(districts, schools, gaps, estates) -> None:
    def build() -> str:
        return _page(districts, schools, gaps, estates=estates, data_note=NOTE)

    first, second = build(), build()
    assert first == second
    assert not re.search(r"[0-9a-f]{32}", first)  # no random folium ids left
    # rendering the same map again gives the same page, also after folium rendered it
    m = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
    page = maps.render_html(m)
    assert maps.render_html(m) == page
    m._repr_html_()  # as Jupyter shows it
    m.get_root().render()
    assert maps.render_html(m) == page


def test_render_html_stabilises_added_elements(districts, schools, gaps) -> None:
    def build() -> str:
        m = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
        folium.Marker([28.2, 112.9], popup="added later").add_to(m)
        return maps.render_html(m)

    assert build() == build()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scenario": 87.5}, r"scenario=87.5 is not in the table; available: 80, 85, 90"),
        ({"year": 2040}, r"year=2040 is not in the table; available: 2025, 2030"),
        ({"level": "senior"}, r"level=senior is not in the table; available: compulsory"),
    ],
)
def test_selection_not_in_gaps(districts, schools, gaps, kwargs, message) -> None:
    options = {"scenario": 85, "year": 2030, "title": "t", **kwargs}
    with pytest.raises(ValueError, match=message):
        maps.plan_map(districts, schools, gaps=gaps, **options)
    with pytest.raises(InputError):
        maps.plan_map(districts, schools, gaps=gaps, **options)


def test_level_missing_for_that_scenario_and_year(districts, schools, gaps) -> None:
    gaps = gaps[~((gaps["year"] == 2030) & (gaps["level"] == "junior"))]
    with pytest.raises(InputError, match="no rows for scenario 85, year 2030, level junior"):
        maps.plan_map(
            districts, schools, gaps=gaps, scenario=85, year=2030, level="junior", title="t"
        )


def test_non_numeric_gaps(districts, schools, gaps) -> None:
    with pytest.raises(InputError, match="column `gap`: got str values; expected numbers"):
        maps.plan_map(
            districts,
            schools,
            gaps=gaps.assign(gap=gaps["gap"].astype(str)),
            scenario=85,
            year=2030,
            title="t",
        )


def test_all_problems_reported_at_once(districts, schools, gaps) -> None:
    with pytest.raises(InputError, match="2 problems") as info:
        maps.plan_map(
            districts, schools.drop(columns="level"), gaps=gaps, scenario=1, year=2030, title="t"
        )
    text = str(info.value)
    assert "schools, column `level`: column missing" in text
    assert "scenario=1 is not in the table" in text


def test_gap_district_not_in_districts(districts, schools, gaps) -> None:
    with pytest.raises(InputError, match="district_id 'tx' not in districts"):
        maps.plan_map(
            districts[districts["district_id"] != "tx"],
            schools,
            gaps=gaps,
            scenario=85,
            year=2030,
            title="t",
        )


def test_duplicate_gap_rows(districts, schools, gaps) -> None:
    doubled = pd.concat([gaps, gaps.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="more than one row for district / level yl / primary"):
        maps.plan_map(districts, schools, gaps=doubled, scenario=80, year=2025, title="t")


def test_missing_crs(districts, schools, gaps) -> None:
    with pytest.raises(CRSError, match="schools: no CRS"):
        maps.plan_map(
            districts,
            schools.set_crs(None, allow_override=True),
            gaps=gaps,
            scenario=85,
            year=2030,
            title="t",
        )


def test_inputs_not_modified(districts, schools, gaps, estates) -> None:
    before = [frame.copy() for frame in (districts, schools, gaps, estates)]
    _page(districts, schools, gaps, estates=estates)
    for old, new in zip(before, (districts, schools, gaps, estates), strict=True):
        pd.testing.assert_frame_equal(old, new)
    assert districts.crs == "EPSG:4547"


def test_capacity_column(districts, schools, gaps) -> None:
    schools = schools.assign(capacity=pd.array([None] * 4, dtype="Int64"), places=[2_160] * 4)
    unknown = _markers(_page(districts, schools, gaps))["长郡中学"]
    assert "<th>学位容量 Capacity</th><td>–</td>" in unknown["popup"]
    given = _markers(_page(districts, schools, gaps, capacity_col="places"))["长郡中学"]
    assert "<th>学位容量 Capacity</th><td>2,160</td>" in given["popup"]
    assert given["radius"] > unknown["radius"]
    with pytest.raises(InputError, match="column `seats`: column missing"):
        _page(districts, schools, gaps, capacity_col="seats")


def test_schools_without_optional_columns(districts, gaps) -> None:
    bare = gpd.GeoDataFrame(
        {"school_id": ["s1"], "name": ["一中"], "level": ["junior"]},
        geometry=[box(112.9, 28.1, 112.91, 28.11)],  # a polygon: drawn at a point
        crs="EPSG:4326",
    )
    page = _page(districts, bare, gaps)
    assert _markers(page)["一中"]["fill"] == UTILISATION_COLOURS["unknown"]


# --- catchments, unserved estates, proposals, mergers ----------------------------------------


@pytest.fixture
def catchments() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"school_id": ["s1", "s2"], "level": ["primary", "junior"]},
        geometry=[box(112.86, 28.16, 112.94, 28.24), box(112.96, 28.06, 113.04, 28.14)],
        crs="EPSG:4326",
    )


@pytest.fixture
def proposals() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "proposal_id": ["p1", "p2", XSS],
            "kind": ["new_build", "kindergarten", "expansion"],
            "district_id": ["yl", "tx", "yl"],
            "level": ["primary", "kindergarten", "junior"],
            "year": [2028, 2027, 2029],
            "places": [2_160, 360, 450],
            "rationale_zh": ["梅溪湖片区缺少小学学位", "三千人以上小区无幼儿园", XSS],
            "rationale_en": ["No primary school within 500 m", "3,000+ residents", "x"],
            "estate_ids": ["e1;e2", None, None],
        },
        geometry=[Point(112.87, 28.18), Point(113.02, 28.13), Point(112.91, 28.21)],
        crs="EPSG:4326",
    )


def _icons(page: str) -> dict[str, list]:
    """Tooltip -> icon row of the proposals layer."""
    found = re.search(r"var icons = (\[.*?\]);\n", page)
    assert found is not None
    return {row[5]: row for row in json.loads(found.group(1))}


def _links(page: str) -> list:
    found = re.search(r"var links = (\[.*?\]);\n", page)
    assert found is not None
    return json.loads(found.group(1))


def _lines(page: str) -> list:
    found = re.search(r"var lines = (\[.*?\]);\n", page)
    assert found is not None
    return json.loads(found.group(1))


def test_catchments_layer(districts, schools, gaps, catchments) -> None:
    m = maps.plan_map(
        districts, schools, gaps=gaps, catchments=catchments, scenario=85, year=2030, title="t"
    )
    groups = {c.layer_name: c for c in m._children.values() if hasattr(c, "layer_name")}
    assert groups["学区 Catchments: 小学 Primary"].show is False
    assert "学区 Catchments: 初中 Junior secondary" in groups
    page = maps.render_html(m)
    collections = [json.loads(g) for g in re.findall(r"geo_json_\d+_add\((\{.*?\})\);\n", page)]
    tips = [f["properties"]["tooltip"] for c in collections[1:] for f in c["features"]]
    assert "学区 Catchment</b> · 小学 Primary<br>麓山国际实验学校 Lushan International" in tips[0]
    assert "长郡中学" in tips[1]
    assert '"dashArray": "6 4"' in page
    # with years, the map's year is drawn (or the latest before it)
    by_year = pd.concat([catchments.assign(year=2024), catchments.iloc[:1].assign(year=2030)])
    m = maps.plan_map(
        districts, schools, gaps=gaps, catchments=by_year, scenario=85, year=2030, title="t"
    )
    names = [c.layer_name for c in m._children.values() if hasattr(c, "layer_name")]
    assert "学区 Catchments: 初中 Junior secondary" not in names
    # legend: an outline per level drawn
    assert 'class="xuewei-outline" style="border-color:#1f78b4"' in page


def test_unserved_estates_in_their_own_layer(districts, schools, gaps, estates) -> None:
    estates = estates.assign(unserved=[False, True], assigned_school_primary=["s1", None])
    m = maps.plan_map(
        districts, schools, gaps=gaps, estates=estates, scenario=85, year=2030, title="t"
    )
    groups = {c.layer_name: c for c in m._children.values() if hasattr(c, "layer_name")}
    assert groups["未覆盖小区 Unserved estates"].show is True
    assert groups["住宅小区 Housing estates"].show is False
    page = maps.render_html(m)
    layers = re.findall(r"var points = (\[.*?\]);\n", page)
    unserved_layer = json.loads(layers[-1])
    assert [row[5] for row in unserved_layer] == [html.escape(XSS)]
    assert '"color":"#e7298a","weight":2.5' in page  # the thick magenta ring
    popup = _markers(page)["梅溪湖一期"]["popup"]
    assert "就读学校 Assigned school · 小学 Primary</th><td>麓山国际实验学校" in popup
    # the pipeline's spelling of the same column
    renamed = estates.rename(columns={"assigned_school_primary": "primary_school_id"})
    page = _page(districts, schools, gaps, estates=renamed)
    popup = _markers(page)["梅溪湖一期"]["popup"]
    assert "就读学校 Assigned school · 小学 Primary</th><td>麓山国际实验学校" in popup
    assert 'class="xuewei-ring"' in page  # legend


def test_proposals_layer(districts, schools, gaps, estates, proposals) -> None:
    estates = estates.assign(assigned_school_kindergarten=[None, "p2"])
    page = _page(districts, schools, gaps, estates=estates, proposals=proposals)
    assert json.dumps("规划建议 Proposals") in page
    icons = _icons(page)
    new = icons["新建学校 New school p1"]
    assert (new[0], new[1]) == (28.18, 112.87)
    assert new[2] == "★" and new[3] == "xuewei-kind-new_build"
    assert icons["配建幼儿园 New kindergarten p2"][2] == "幼"
    popup = new[4]
    assert "<th>新增学位 Added places</th><td>2,160</td>" in popup
    assert "<th>年份 Year</th><td>2028</td>" in popup
    assert "岳麓区 Yuelu" in popup
    assert "梅溪湖片区缺少小学学位<br>No primary school within 500 m" in popup
    assert "<th>服务小区 Serves estates</th><td>梅溪湖一期, &lt;img" in popup
    # p1 serves e1 and e2 (estate_ids), p2 serves e2 (the estate's assignment)
    assert _links(page) == [
        [[28.18, 112.87], [28.19, 112.88]],
        [[28.18, 112.87], [28.12, 113.01]],
        [[28.13, 113.02], [28.12, 113.01]],
    ]
    assert ".xuewei-kind-new_build { background: #08519c; }" in page
    assert "<img src=x" not in page
    en = _page(districts, schools, gaps, proposals=proposals, lang="en")
    assert _icons(en)["New kindergarten p2"][2] == "K"
    assert "梅溪湖片区" not in en and "No primary school within 500 m" in en


@pytest.mark.parametrize("as_lines", [True, False])
def test_mergers_layer(districts, schools, gaps, as_lines) -> None:
    table = pd.DataFrame(
        {
            "closing_school_id": ["s3"],
            "receiving_school_id": ["s1"],
            "year": [2029],
            "pupils": [640],
        }
    )
    if as_lines:
        mergers = gpd.GeoDataFrame(
            table,
            geometry=[shapely.LineString([(112.85, 28.15), (112.90, 28.20)])],
            crs="EPSG:4326",
        )
    else:
        mergers = table
    page = _page(districts, schools, gaps, mergers=mergers)
    [(coords, _colour, popup, tooltip)] = _lines(page)
    assert coords == [[28.15, 112.85], [28.2, 112.9]]  # closing -> receiving
    assert (
        tooltip
        == f"撤并 Merger 2029: {html.escape(XSS)} Evil → 麓山国际实验学校 Lushan International"
    )
    assert "<th>转移学生 Pupils moved</th><td>640</td>" in popup
    assert json.dumps("学校撤并 School mergers") in page
    assert "空心圆为撤并学校" in page  # legend note


def test_merger_with_unknown_school(districts, schools, gaps) -> None:
    mergers = pd.DataFrame(
        {"closing_school_id": ["s9"], "receiving_school_id": ["s1"], "year": [2029]}
    )
    with pytest.raises(InputError, match=r"mergers row 1, column `closing_school_id`: 's9'"):
        _page(districts, schools, gaps, mergers=mergers)
    with pytest.raises(
        InputError, match="mergers: no line geometries and no closing and receiving school ids"
    ):
        _page(districts, schools, gaps, mergers=mergers.drop(columns="receiving_school_id"))


def test_layer_columns_checked(districts, schools, gaps, catchments, proposals) -> None:
    with pytest.raises(InputError, match="2 problems") as info:
        _page(
            districts,
            schools,
            gaps,
            catchments=catchments.drop(columns="level"),
            proposals=proposals.drop(columns="kind"),
        )
    assert "catchments, column `level`" in str(info.value)
    assert "proposals, column `kind`" in str(info.value)


# --- base maps --------------------------------------------------------------------------------


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine, R = 6,371,008.8 m)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * 6_371_008.8 * np.arcsin(np.sqrt(a)))


def test_amap_draws_in_gcj02(districts, schools, gaps, estates) -> None:
    from xuewei.gis.coords import wgs84_to_gcj02

    page = _page(districts, schools, gaps, estates=estates, tiles="amap")
    assert "webrd0{s}.is.autonavi.com" in page
    marker = _markers(page)["麓山国际实验学校"]
    lon, lat = wgs84_to_gcj02(112.90, 28.20)
    assert _metres(marker["lat"], marker["lon"], float(lat), float(lon)) < 10.0
    # and the WGS84 point itself is hundreds of metres away: the shift was applied
    assert _metres(marker["lat"], marker["lon"], 28.20, 112.90) > 300.0
    # polygons are shifted too
    ring = _districts_geojson(page)["features"][0]["geometry"]["coordinates"][0]
    glon, glat = wgs84_to_gcj02(112.95, 28.10)
    assert min(_metres(y, x, float(glat), float(glon)) for x, y in ring) < 10.0
    # on OpenStreetMap the point is drawn as given
    osm = _markers(_page(districts, schools, gaps, tiles="osm"))["麓山国际实验学校"]
    assert (osm["lat"], osm["lon"]) == (28.2, 112.9)


def test_tianditu_needs_key(districts, schools, gaps) -> None:
    with pytest.raises(ValueError, match="needs tianditu_key"):
        _page(districts, schools, gaps, tiles="tianditu")
    page = _page(districts, schools, gaps, tiles=["tianditu", "osm"], tianditu_key="abc123")
    assert "T=vec_w\\u0026x={x}\\u0026y={y}\\u0026l={z}\\u0026tk=abc123" in page
    assert "T=cva_w" in page  # the annotation layer goes with the base
    assert (
        json.dumps("天地图 Tianditu") in page and json.dumps("开放街道地图 OpenStreetMap") in page
    )


def test_tiles_refused(districts, schools, gaps) -> None:
    with pytest.raises(ValueError, match="cannot share a map"):
        _page(districts, schools, gaps, tiles=["osm", "amap"])
    with pytest.raises(ValueError, match="tiles='google' is not a base map"):
        _page(districts, schools, gaps, tiles="google")


def test_no_tiles_and_default_osm(districts, schools, gaps) -> None:
    assert "tile.openstreetmap.org" not in _page(districts, schools, gaps, tiles="none")
    m = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
    assert "tile.openstreetmap.org" in maps.render_html(m)
    assert "L.control.scale()" in maps.render_html(m)
    assert "xuewei-fullscreen" in maps.render_html(m)
    # folium's spelling of the default, and a TileLayer of one's own, are taken as before
    assert "tile.openstreetmap.org" in _page(districts, schools, gaps, tiles="OpenStreetMap")
    own = folium.TileLayer("https://tiles.example.org/{z}/{x}/{y}.png", attr="Example")
    assert "tiles.example.org" in _page(districts, schools, gaps, tiles=own)


# --- offline pages ----------------------------------------------------------------------------


def test_offline_page_is_self_contained(districts, schools, gaps, estates, proposals) -> None:
    m = maps.plan_map(
        districts,
        schools,
        gaps=gaps,
        estates=estates.assign(unserved=[False, True]),
        proposals=proposals,
        scenario=85,
        year=2030,
        title="t",
    )
    page = maps.render_html(m, offline=True)
    assert "<script src=" not in page and 'rel="stylesheet"' not in page
    assert not re.search(r"https?://[^\"' ]*\.(js|css)\b", page)
    assert "tile.openstreetmap.org" not in page  # no tiles offline
    assert "Leaflet 1.9.4" in page  # inlined from django-js-lib-leaflet
    assert "url(images/" not in page and "data:image/png;base64," in page
    assert maps.render_html(m, offline=True) == page  # deterministic
    assert "tile.openstreetmap.org" in maps.render_html(m)  # the map itself keeps its tiles


def test_offline_refuses_what_it_cannot_inline(districts, schools, gaps) -> None:
    m = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
    folium.Marker([28.2, 112.9], icon=folium.Icon(icon="star")).add_to(m)
    with pytest.raises(ValueError, match="awesome-markers"):
        maps.render_html(m, offline=True)
    from folium.plugins import MiniMap

    m2 = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
    MiniMap().add_to(m2)
    with pytest.raises(ValueError, match="cannot inline https://"):
        maps.render_html(m2, offline=True)


def test_mergers_as_planning_writes_them(districts, schools, gaps, proposals) -> None:
    # plan_mergers: one row per flow, the closing school's point, a new school as receiver
    flows = gpd.GeoDataFrame(
        {
            "school_id": ["s3", "s3"],
            "receiver_id": ["s1", "site-9"],
            "pupils_moved": [400.0, 240.0],
            "year": [2029, 2029],
        },
        geometry=[Point(112.85, 28.15)] * 2,
        crs="EPSG:4326",
    )
    proposals = proposals.assign(site_id=["site-9", None, None])
    page = _page(districts, schools, gaps, proposals=proposals, mergers=flows)
    lines = _lines(page)
    assert [line[0] for line in lines] == [
        [[28.15, 112.85], [28.2, 112.9]],
        [[28.15, 112.85], [28.18, 112.87]],  # to the proposed school p1 (site-9)
    ]
    assert "新建学校 New school p1" in lines[1][3]
    assert "<th>转移学生 Pupils moved</th><td>240</td>" in lines[1][2]


def test_merger_proposals_drawn_without_mergers(districts, schools, gaps, proposals) -> None:
    merger = gpd.GeoDataFrame(
        {
            "proposal_id": ["m1"],
            "kind": ["merger"],
            "school_id": ["s3"],
            "receiver_ids": ["s1,s2"],
            "year": [2030],
            "served_estates": [None],
        },
        geometry=[Point(112.85, 28.15)],
        crs="EPSG:4326",
    )
    both = pd.concat([proposals.drop(columns="estate_ids"), merger], ignore_index=True)
    page = _page(districts, schools, gaps, proposals=both)
    lines = _lines(page)
    assert [line[0][-1] for line in lines] == [[28.2, 112.9], [28.1, 113.0]]
    assert _icons(page)["撤并 Merger m1"][2] == "⇆"
    unknown = both.assign(receiver_ids=[None, None, None, "s1,s9"])
    with pytest.raises(InputError, match=r"proposals row 1, column `receiver_ids`: 's9'"):
        _page(districts, schools, gaps, proposals=unknown)


def test_served_estates_column(districts, schools, gaps, estates, proposals) -> None:
    proposals = proposals.rename(columns={"estate_ids": "served_estates"}).assign(
        served_estates=["e1,e2", None, None]
    )
    page = _page(districts, schools, gaps, estates=estates, proposals=proposals)
    assert len(_links(page)) == 2


def test_switchable_scenarios(districts, schools, gaps) -> None:
    # scenario 90 has a larger shortage in Yuelu: the common scale follows it
    gaps = gaps.copy()
    far = (gaps["scenario"] == 90.0) & (gaps["district_id"] == "yl")
    gaps.loc[far, "gap"] = gaps.loc[far, "gap"] * 3  # compulsory 13,500
    m = maps.plan_map(
        districts, schools, gaps=gaps, scenario=85, scenarios=[80, 85, 90], year=2030, title="t"
    )
    layers = [c for c in m._children.values() if isinstance(c, folium.GeoJson)]
    assert [layer.layer_name for layer in layers] == [
        "学位缺口 Place gap · 千人指标 85",
        "学位缺口 Place gap · 千人指标 80",
        "学位缺口 Place gap · 千人指标 90",
    ]
    assert [layer.show for layer in layers] == [True, False, False]
    page = maps.render_html(m)
    # max |gap| 13,500 over all three -> classes of 5,000 places
    assert "不足 shortage &gt; 10,000" in page
    assert "overlayadd" in page and "xuewei-subtitle" in page
    with pytest.raises(InputError, match="scenario=95 is not in the table"):
        maps.plan_map(
            districts, schools, gaps=gaps, scenario=85, scenarios=[95], year=2030, title="t"
        )


def test_cohort_beside_per_thousand_in_tooltip(districts, schools, gaps) -> None:
    """Cohort-based demand of the shown scenario and year sits under the gap table."""
    rows = []
    for scenario in (80.0, 85.0):
        for level, cohort, rule in [("primary", 6_000.4, 7_000.0), ("junior", 3_499.6, 3_500.0)]:
            rows.append(
                {
                    "district_id": "yl",
                    "year": 2030,
                    "level": level,
                    "scenario": scenario,
                    "cohort_demand": cohort,
                    "cohort_lower": cohort * 0.9,
                    "cohort_upper": cohort * 1.1,
                    "per_thousand_demand": rule * scenario / 85.0,
                    "implied_per_1000": 72.86 if level == "primary" else 84.99,
                }
            )
    cohort = pd.DataFrame(rows)
    tips = _tooltips(_page(districts, schools, gaps, cohort=cohort))
    yuelu = tips["d0"]
    assert "学龄人口法对照（出生队列） Cohort forecast from births, beside the rule" in yuelu
    # level | cohort pupils (interval) | per-thousand places | implied per 1,000, at 85
    primary = ".*?".join(
        re.escape(t) for t in ("小学 Primary", "6,000", "5,400–6,600", "7,000", "72.9")
    )
    junior = ".*?".join(
        re.escape(t) for t in ("初中 Junior", "3,500", "3,150–3,850", "3,500", "85")
    )
    assert re.search(primary, yuelu) and re.search(junior, yuelu)
    assert "Cohort" not in tips["d1"] and "Cohort" not in tips["d2"]  # no rows: no table
    # another scenario shows its own per-thousand figure
    tips80 = _tooltips(_page(districts, schools, gaps, cohort=cohort, scenario=80))
    assert "6,588" in tips80["d0"] and "6,588" not in yuelu
    with pytest.raises(InputError, match="cohort, column `implied_per_1000`"):
        _page(districts, schools, gaps, cohort=cohort.drop(columns="implied_per_1000"))


def test_bad_options_raise_config_errors(districts, schools, gaps) -> None:
    from xuewei.errors import ConfigError

    with pytest.raises(ConfigError, match="lang='fr' is not supported; use one of zh, en, both"):
        _page(districts, schools, gaps, lang="fr")
    with pytest.raises(ConfigError, match="tiles='google' is not a base map") as info:
        _page(districts, schools, gaps, tiles="google")
    assert info.value.column == "tiles"
    with pytest.raises(ConfigError, match="needs tianditu_key"):
        _page(districts, schools, gaps, tiles="tianditu")
    with pytest.raises(ConfigError, match="the left side renders no folium map"):
        maps.compare_html(
            folium.Figure(), folium.Figure(), title="t", left_label="a", right_label="b"
        )  # type: ignore[arg-type]
