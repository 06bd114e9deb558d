"""plan_map: the layers, tooltips, popups, legend and title of the meeting map."""

from __future__ import annotations

import html
import json
import re

import folium
import geopandas as gpd
import pandas as pd
import pytest
import shapely
from map_helpers import (
    NOTE,
    XSS,
    icons_of,
    lines_of,
    links_of,
    markers_of,
    parts_of,
    render_page,
    styles_of,
    tooltips_of,
    views_of,
)
from shapely.geometry import Point, box

from xuewei import maps
from xuewei.errors import InputError
from xuewei.maps._arcs import decode_zones
from xuewei.maps.plan_map import (
    GAP_BALANCED,
    GAP_NO_DATA,
    GAP_SHORTAGE,
    GAP_SURPLUS,
    UTILISATION_COLOURS,
)


def _class_fill(gap: float | None, step: int) -> str:
    """The fill a gap gets: three classes ``step`` wide each side of zero (by hand)."""
    if gap is None or gap != gap:
        return GAP_NO_DATA
    if round(gap) == 0:
        return GAP_BALANCED
    side = GAP_SHORTAGE if gap > 0 else GAP_SURPLUS
    return side[0 if abs(gap) <= step else 1 if abs(gap) <= 2 * step else 2]


def test_layers_title_legend_and_note(districts, schools, gaps, estates) -> None:
    page = render_page(districts, schools, gaps, estates=estates, data_note=NOTE)
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
    page = render_page(districts, schools, gaps)
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
    page = render_page(districts, schools, gaps, estates=estates.assign(unserved=[False, True]))
    markers = markers_of(page)
    assert markers["梅溪湖一期"]["fill"] != markers[html.escape(XSS)]["fill"]
    assert "未覆盖 unserved" in markers[html.escape(XSS)]["popup"]
    assert "未覆盖 unserved</td>" in page  # in the legend


def test_choropleth_colours_shortage_vs_surplus(districts, schools, gaps) -> None:
    styles = styles_of(render_page(districts, schools, gaps))
    # features are numbered in district order: yl (shortage), tx (surplus), kf (no rows)
    assert styles["d0"] == GAP_SHORTAGE[2]  # +4,500 > 2 × 2,000
    assert styles["d1"] == GAP_SURPLUS[1]  # −3,000 within 2,000–4,000
    assert styles["d2"] == GAP_NO_DATA
    assert len({styles["d0"], styles["d1"], styles["d2"]}) == 3


def test_choropleth_follows_level(districts, schools, gaps) -> None:
    styles = styles_of(render_page(districts, schools, gaps, level="junior"))
    # junior: +1,500 / −1,000, max 1,500 -> classes of 500
    assert styles["d0"] == GAP_SHORTAGE[2]
    assert styles["d1"] == GAP_SURPLUS[1]


def test_district_tooltip_numbers(districts, schools, gaps) -> None:
    tips = tooltips_of(render_page(districts, schools, gaps))
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
    page = render_page(districts, schools, gaps)
    assert "麓山国际实验学校" in page and "Lushan International" in page
    assert "小学 Primary" in page
    assert "2,160" in page and "2,430" in page and "48" in page
    assert "112.5%" in page  # utilisation as given
    assert "在校生超容量 over capacity by enrolment · 班额超标 classes above 45/50" in page
    assert "大校额 oversized school" in page
    assert "合成数据 synthetic data" in page
    assert "岳麓区 Yuelu (yl)" in page  # the school's district
    # marker colours by utilisation class (unknown is grey), sizes by capacity
    markers = markers_of(page)
    assert markers["麓山国际实验学校"]["fill"] == UTILISATION_COLOURS["over"]
    assert markers["长郡中学"]["fill"] == UTILISATION_COLOURS["near"]
    assert markers[html.escape(XSS)]["fill"] == UTILISATION_COLOURS["unknown"]
    assert markers["&#96;&#36;{alert(2)}&#96;&#92;"]["fill"] == UTILISATION_COLOURS["under"]
    assert markers["麓山国际实验学校"]["radius"] > markers["长郡中学"]["radius"]
    assert markers[html.escape(XSS)]["dashed"]  # synthetic schools have a dashed outline
    assert (markers["麓山国际实验学校"]["lat"], markers["麓山国际实验学校"]["lon"]) == (28.2, 112.9)
    popup = markers["麓山国际实验学校"]["popup"]
    assert "<th>学位容量 Capacity</th><td>2,160</td>" in popup
    assert "<th>在校生使用率 Utilisation by enrolment</th><td>112.5%</td>" in popup


def test_user_text_is_escaped(districts, schools, gaps, estates) -> None:
    districts = districts.assign(name=["岳麓区", XSS, "开福区"], district_id=["yl", "tx", XSS])
    gaps = gaps.assign(district_id=gaps["district_id"].replace({"tx": XSS}))
    page = render_page(
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
    tips = tooltips_of(page)
    assert "<img" not in tips["d1"] and "&lt;img src=x onerror=alert(1)&gt;" in tips["d1"]
    # backticks, ${ and backslashes cannot end or evaluate inside template literals
    assert "${alert(2)}" not in page
    assert "&#96;&#36;{alert(2)}&#96;&#92;" in page


def test_lang_switches_labels(districts, schools, gaps, estates) -> None:
    zh = render_page(districts, schools, gaps, estates=estates, lang="zh")
    en = render_page(districts, schools, gaps, estates=estates, lang="en")
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


def test_inputs_not_modified(districts, schools, gaps, estates) -> None:
    before = [frame.copy() for frame in (districts, schools, gaps, estates)]
    render_page(districts, schools, gaps, estates=estates)
    for old, new in zip(before, (districts, schools, gaps, estates), strict=True):
        pd.testing.assert_frame_equal(old, new)
    assert districts.crs == "EPSG:4547"


def test_capacity_column(districts, schools, gaps) -> None:
    schools = schools.assign(capacity=pd.array([None] * 4, dtype="Int64"), places=[2_160] * 4)
    unknown = markers_of(render_page(districts, schools, gaps))["长郡中学"]
    assert "<th>学位容量 Capacity</th><td>–</td>" in unknown["popup"]
    given = markers_of(render_page(districts, schools, gaps, capacity_col="places"))["长郡中学"]
    assert "<th>学位容量 Capacity</th><td>2,160</td>" in given["popup"]
    assert given["radius"] > unknown["radius"]
    with pytest.raises(InputError, match="column `seats`: column missing"):
        render_page(districts, schools, gaps, capacity_col="seats")


def test_schools_without_optional_columns(districts, gaps) -> None:
    bare = gpd.GeoDataFrame(
        {"school_id": ["s1"], "name": ["一中"], "level": ["junior"]},
        geometry=[box(112.9, 28.1, 112.91, 28.11)],  # a polygon: drawn at a point
        crs="EPSG:4326",
    )
    page = render_page(districts, bare, gaps)
    assert markers_of(page)["一中"]["fill"] == UTILISATION_COLOURS["unknown"]


def test_catchments_layer(districts, schools, gaps, catchments) -> None:
    m = maps.plan_map(
        districts, schools, gaps=gaps, catchments=catchments, scenario=85, year=2030, title="t"
    )
    groups = {c.layer_name: c for c in m._children.values() if hasattr(c, "layer_name")}
    assert groups["服务范围 Catchments: 小学 Primary"].show is False
    assert "服务范围 Catchments: 初中 Junior secondary" in groups
    page = maps.render_html(m)
    parts = parts_of(page)
    layers = re.findall(r"var tips = (\[.*?\]);\n\s*var style = ", page)
    tips = ["".join(parts[k] for k in tip) for layer in layers for tip in json.loads(layer)]
    assert (
        "服务范围 Catchment</b> · 小学 Primary<br>麓山国际实验学校 Lushan International" in tips[0]
    )
    assert "长郡中学" in tips[1]
    assert '"dashArray":"6 4"' in page
    # the outlines are the boxes' corners in whole 10⁻⁵ degrees, each from its first vertex
    strings = re.findall(r'xueweiShapes\(("[^"]*")\);\n\s*("[^"]*")\.split\("\|"\)', page, re.S)
    outlines = [decode_zones(json.loads(a), json.loads(z)) for a, z in strings]
    assert outlines == [
        [[[[[11294000, 2816000], [11294000, 2824000], [11286000, 2824000], [11286000, 2816000]]]]],
        [[[[[11304000, 2806000], [11304000, 2814000], [11296000, 2814000], [11296000, 2806000]]]]],
    ]
    # with years, the map's year is drawn (or the latest before it)
    by_year = pd.concat([catchments.assign(year=2024), catchments.iloc[:1].assign(year=2030)])
    m = maps.plan_map(
        districts, schools, gaps=gaps, catchments=by_year, scenario=85, year=2030, title="t"
    )
    names = [c.layer_name for c in m._children.values() if hasattr(c, "layer_name")]
    assert "服务范围 Catchments: 初中 Junior secondary" not in names
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
    parts = parts_of(page)
    assert ["".join(parts[k] for k in row[5]) for row in unserved_layer] == [html.escape(XSS)]
    assert '"color":"#e7298a","weight":2.5' in page  # the thick magenta ring
    popup = markers_of(page)["梅溪湖一期"]["popup"]
    assert "就读学校 Assigned school · 小学 Primary</th><td>麓山国际实验学校" in popup
    # the pipeline's spelling of the same column
    renamed = estates.rename(columns={"assigned_school_primary": "primary_school_id"})
    page = render_page(districts, schools, gaps, estates=renamed)
    popup = markers_of(page)["梅溪湖一期"]["popup"]
    assert "就读学校 Assigned school · 小学 Primary</th><td>麓山国际实验学校" in popup
    assert 'class="xuewei-ring"' in page  # legend


def test_proposals_layer(districts, schools, gaps, estates, proposals) -> None:
    estates = estates.assign(assigned_school_kindergarten=[None, "p2"])
    page = render_page(districts, schools, gaps, estates=estates, proposals=proposals)
    assert json.dumps("规划建议 Proposals") in page
    icons = icons_of(page)
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
    assert links_of(page) == [
        [[28.18, 112.87], [28.19, 112.88]],
        [[28.18, 112.87], [28.12, 113.01]],
        [[28.13, 113.02], [28.12, 113.01]],
    ]
    assert ".xuewei-kind-new_build { background: #08519c; }" in page
    assert "<img src=x" not in page
    en = render_page(districts, schools, gaps, proposals=proposals, lang="en")
    assert icons_of(en)["New kindergarten p2"][2] == "K"
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
    page = render_page(districts, schools, gaps, mergers=mergers)
    [(coords, _colour, popup, tooltip)] = lines_of(page)
    assert coords == [[28.15, 112.85], [28.2, 112.9]]  # closing -> receiving
    assert (
        tooltip
        == f"撤并 Merger 2029: {html.escape(XSS)} Evil → 麓山国际实验学校 Lushan International"
    )
    assert "<th>转移学生 Pupils moved</th><td>640</td>" in popup
    assert json.dumps("学校撤并 School mergers") in page
    assert "空心圆为撤并学校" in page  # legend note


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
    page = render_page(districts, schools, gaps, proposals=proposals, mergers=flows)
    lines = lines_of(page)
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
    page = render_page(districts, schools, gaps, proposals=both)
    lines = lines_of(page)
    assert [line[0][-1] for line in lines] == [[28.2, 112.9], [28.1, 113.0]]
    assert icons_of(page)["撤并 Merger m1"][2] == "⇆"
    unknown = both.assign(receiver_ids=[None, None, None, "s1,s9"])
    with pytest.raises(InputError, match=r"proposals row 1, column `receiver_ids`: 's9'"):
        render_page(districts, schools, gaps, proposals=unknown)


def test_served_estates_column(districts, schools, gaps, estates, proposals) -> None:
    proposals = proposals.rename(columns={"estate_ids": "served_estates"}).assign(
        served_estates=["e1,e2", None, None]
    )
    page = render_page(districts, schools, gaps, estates=estates, proposals=proposals)
    assert len(links_of(page)) == 2


def test_every_year_and_scenario_in_one_page(districts, schools, gaps) -> None:
    """The page carries every year and scenario of the gaps, on one class scale; each view
    has the fills of its own gaps, and the page opens at the view asked for."""
    # scenario 90 has a larger shortage in Yuelu: the common scale follows it
    gaps = gaps.copy()
    far = (gaps["scenario"] == 90.0) & (gaps["district_id"] == "yl")
    gaps.loc[far, "gap"] = gaps.loc[far, "gap"] * 3  # compulsory 13,500
    m = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
    page = maps.render_html(m)
    views = views_of(page)
    years = sorted(gaps["year"].unique())
    assert [v[:2] for v in views] == [[y, s] for y in years for s in (80, 85, 90)]
    assert [v[2] for v in views[:3]] == [0, 1, 2]
    # max |gap| 13,500 over every view -> classes of 5,000 places, one legend for all
    assert "不足 shortage &gt; 10,000" in page
    opened = views.index([2030, 85, 1])
    assert re.search(rf"var view = {opened};", page)
    ids = list(districts["district_id"])
    for i, (year, scenario, _) in enumerate(views):
        rows = gaps[(gaps["year"] == year) & (gaps["scenario"] == scenario)]
        gap = rows[rows["level"] == "compulsory"].set_index("district_id")["gap"]
        fills = styles_of(page, i)
        assert fills == {f"d{k}": _class_fill(gap.get(d), 5_000) for k, d in enumerate(ids)}, (
            year,
            scenario,
        )
    assert 'class="xuewei-year"' in page and 'class="xuewei-scenario"' in page
    # only some scenarios, on request
    some = maps.render_html(
        maps.plan_map(
            districts,
            schools,
            gaps=gaps,
            scenario=85,
            scenarios=[85, 90],
            year=2030,
            years=[2030],
            title="t",
        )
    )
    assert [v[:2] for v in views_of(some)] == [[2030, 85], [2030, 90]]
    with pytest.raises(InputError, match="scenario=95 is not in the table"):
        maps.plan_map(
            districts, schools, gaps=gaps, scenario=85, scenarios=[95], year=2030, title="t"
        )
    with pytest.raises(InputError, match=r"column `year`: years=\[2099\] are not in the table"):
        maps.plan_map(
            districts, schools, gaps=gaps, scenario=85, years=[2099], year=2030, title="t"
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
    tips = tooltips_of(render_page(districts, schools, gaps, cohort=cohort))
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
    tips80 = tooltips_of(render_page(districts, schools, gaps, cohort=cohort, scenario=80))
    assert "6,588" in tips80["d0"] and "6,588" not in yuelu
    with pytest.raises(InputError, match="cohort, column `implied_per_1000`"):
        render_page(districts, schools, gaps, cohort=cohort.drop(columns="implied_per_1000"))


def test_english_map_names_places_in_english(districts, schools, gaps, estates) -> None:
    """With lang="en", markers' tooltips and popup heads give the English names."""
    estates = estates.assign(name_en=["Meixihu Phase 1", "Estate B"])
    page = render_page(districts, schools, gaps, estates=estates, lang="en")
    markers = markers_of(page)
    assert "Meixihu Phase 1" in markers
    assert markers["Meixihu Phase 1"]["popup"].startswith('<div class="xuewei-popup"><b>Meixihu')


def test_readiness_layer_line_and_legend(districts, schools, gaps) -> None:
    """Counties ready by their target year green, not ready red, not assessed grey (hidden
    at first); the title box counts them; names are escaped; a county without a row is
    not drawn."""
    readiness = pd.DataFrame(
        {
            "district_id": ["yl", "tx"],
            "name": [XSS, "天心区"],
            "target_year": [2027, 2030],
            "ready": pd.array([True, False], dtype="boolean"),
            "criteria_met": [5, 3],
            "criteria_assessed": [5, 5],
            "first_year_ready": pd.array([2026, None], dtype="Int64"),
            "missing": [None, "Classes above 45/50 (primary): 120 pupils"],
            "missing_zh": [None, "班额超标（小学）差120"],
        }
    )
    districts = districts.assign(name_en=[XSS, "Tianxin", "Kaifu"])  # names as drawn
    page = render_page(districts, schools, gaps, readiness=readiness, lang="en")
    assert json.dumps("Ready by target year") in page
    assert "Ready by their target year: 1 of 2 counties" in page
    features = re.findall(r'"colour": "(#[0-9a-f]{6})", "tip": "(.*?)"\}', page)
    assert [c for c, _ in features] == ["#31a354", "#de2d26"]  # yl ready, tx not; kf absent
    ready_tip, not_ready_tip = (json.loads(f'"{t}"') for _, t in features)
    assert "Target year: 2027" in ready_tip and "criteria met 5 / 5" in ready_tip
    assert "Ready from: 2026" in ready_tip
    assert "<img" not in ready_tip and html.escape(XSS) in ready_tip
    assert "not ready by the target year" in not_ready_tip
    assert "Ready from: not within the plan" in not_ready_tip
    assert "Missing: Classes above 45/50 (primary): 120 pupils" in not_ready_tip
    assert "班额超标" not in not_ready_tip  # in English only, with --lang en

    def tips(page: str) -> str:
        found = re.findall(r'"colour": "#[0-9a-f]{6}", "tip": "(.*?)"\}', page)
        return " ".join(json.loads(f'"{t}"') for t in found)

    zh_tips = tips(render_page(districts, schools, gaps, readiness=readiness, lang="zh"))
    assert "班额超标（小学）差120" in zh_tips and "Classes above" not in zh_tips
    # a plan.gpkg from before missing_zh: its one text shown as it is
    old = readiness.drop(columns="missing_zh")
    old_tips = tips(render_page(districts, schools, gaps, readiness=old, lang="zh"))
    assert "Classes above 45/50 (primary): 120 pupils" in old_tips
    assert "background:#31a354" in page and "background:#de2d26" in page  # legend
    assert 'background:#bdbdbd"></span></td><td>not assessed' not in page  # none grey
