"""Text on the meeting map: the bilingual label dictionary, number formats and escaping.

Every string that reaches the page goes through here. User-supplied text (names, ids, the
plan title) is passed through :func:`esc`, which makes it safe both as HTML and inside the
JavaScript template literals that folium wraps popups and tooltips in.
"""

from __future__ import annotations

import html
import math
from typing import Any, Literal

import pandas as pd

from xuewei.vocabulary import LEVEL_NAMES

Lang = Literal["zh", "en", "both"]

LANGS: tuple[str, ...] = ("zh", "en", "both")

#: key -> (Chinese, English). "both" shows them side by side: "小学 Primary". The levels'
#: names (primary, junior, nine_year, kindergarten, compulsory) are those of
#: :data:`xuewei.vocabulary.LEVEL_NAMES`.
LABELS: dict[str, tuple[str, str]] = {
    **LEVEL_NAMES,
    # district tooltip
    "district": ("区县", "District"),
    "level": ("学段", "Level"),
    "residents": ("常住人口", "Residents"),
    "required": ("需求学位", "Required"),
    "offered": ("现有学位", "Offered"),
    "gap": ("缺口", "Gap"),
    "year": ("年份", "Year"),
    "scenario_choice": ("千人指标", "Places per 1,000"),
    "band": ("预测区间", "forecast interval"),
    "chance_shortfall": ("学位不足概率", "Chance of shortfall"),
    "cohort_title": ("学龄人口法对照（出生队列）", "Cohort forecast from births, beside the rule"),
    "cohort": ("学龄人口需求", "Cohort pupils"),
    "per_thousand": ("千人指标需求", "Per-1,000 rule"),
    "implied": ("隐含千人指标", "Implied per 1,000"),
    # school popup
    "capacity": ("学位容量", "Capacity"),
    "enrolment": ("在校生", "Enrolment"),
    "classes": ("班级数", "Classes"),
    "utilisation": ("学位使用率", "Utilisation"),
    "over_capacity": ("在校生超容量", "over capacity by enrolment"),
    "over_capacity_assigned": ("分配超容量", "over capacity by assigned residents"),
    "utilisation_enrolment": ("在校生使用率", "Utilisation by enrolment"),
    "utilisation_assigned": ("分配使用率", "Utilisation by assigned residents"),
    "big_class": ("班额超标", "classes above 45/50"),
    "big_school": ("大校额", "oversized school"),
    "synthetic": ("合成数据", "synthetic data"),
    "unknown": ("未知", "unknown"),
    # estates
    "estate": ("小区", "Estate"),
    "completion_year": ("建成年份", "Completion year"),
    "unserved": ("未覆盖", "unserved"),
    "reach_over_capacity": ("范围内学校已满", "schools in reach are full"),
    "reach_out_of_reach": ("服务半径内无学校", "no school within the service radius"),
    "reach_served": ("有学位", "served"),
    "reach_short_served": ("有学位", "served"),
    # {year} is filled in: the base year (enrolment) and the year shown
    "headline_over": ("{year}年在校生超容量学校", "schools over capacity in {year} (enrolment)"),
    "tiles_failed": ("底图未能加载（需联网）", "base map not loaded: it needs the internet"),
    "headline_new": ("截至{year}年新建学校", "new schools open by {year}"),
    "reach_short_over_capacity": ("学校已满", "schools full"),
    "reach_short_out_of_reach": ("半径外", "out of reach"),
    "served": ("已覆盖", "served"),
    "assigned_school": ("就读学校", "Assigned school"),
    # catchments, proposals, mergers
    "catchment": ("服务范围", "Catchment"),
    "school": ("学校", "School"),
    "proposal": ("规划建议", "Proposal"),
    "new_build": ("新建学校", "New school"),
    "expansion": ("改扩建", "Expansion"),
    "merger": ("撤并", "Merger"),
    "special_education": ("特殊教育学校", "Special education school"),
    "kindergarten_proposal": ("配建幼儿园", "New kindergarten"),
    "places": ("新增学位", "Added places"),
    "serves": ("服务小区", "Serves estates"),
    "rationale": ("理由", "Rationale"),
    "closing": ("撤并学校", "Closing school"),
    "closed": ("已撤并（截至所选年份）", "merged away by the year shown"),
    "cluster": (
        "学校数（红：超容量），放大后逐校显示",
        "schools here (red: over capacity); zoom in",
    ),
    "proposal_cluster": ("规划建议数，放大后逐个显示", "proposals here; zoom in"),
    # county readiness (优质均衡 by the target year)
    "layer_readiness": ("按期达标（区县）", "Ready by target year"),
    "target_year": ("目标年", "Target year"),
    "readiness_ready": ("按期达标", "ready by the target year"),
    "readiness_not_ready": ("未按期达标", "not ready by the target year"),
    "readiness_unknown": ("未评估", "not assessed"),
    "criteria_met": ("达标指标", "criteria met"),
    "ready_from": ("全部达标起始年", "Ready from"),
    "after_horizon": ("规划期内未达标", "not within the plan's years"),
    "readiness_missing": ("缺项", "Missing"),
    "faded_note": ("浅色：所选年份尚未建成", "faded: not open by the year shown"),
    "receiving": ("接收学校", "Receiving school"),
    "pupils": ("转移学生", "Pupils moved"),
    "merger_year": ("撤并年份", "Merger year"),
    "fullscreen": ("全屏", "Full screen"),
    "print": ("打印（A3横向）", "Print (A3 landscape)"),
    "search": ("搜索学校、小区", "Search schools, estates"),
    # layers
    "layer_catchments": ("服务范围", "Catchments"),
    "layer_unserved": ("未覆盖小区", "Unserved estates"),
    "layer_over_capacity": ("学校已满的小区", "Estates: schools in reach full"),
    "layer_out_of_reach": ("服务半径外的小区", "Estates out of reach"),
    "layer_proposals": ("规划建议", "Proposals"),
    "layer_mergers": ("学校撤并", "School mergers"),
    "layer_districts": ("学位缺口（区县）", "Place gap by district"),
    "layer_schools": ("学校", "Schools"),
    "layer_estates": ("住宅小区", "Housing estates"),
    # legend
    "legend": ("图例", "Legend"),
    "legend_gap": ("学位缺口", "Place gap"),
    "gap_note": (
        "缺口 = 需求 − 现有，> 0 为学位不足",
        "gap = required − offered; > 0 is a shortage",
    ),
    "shortage": ("不足", "shortage"),
    "surplus": ("富余", "surplus"),
    "balanced": ("平衡", "balanced"),
    "no_data": ("无数据", "no data"),
    "legend_schools": ("学校学位使用率（在校生÷学位）", "School utilisation (enrolment ÷ places)"),
    "size_note": ("圆点大小表示学位容量", "marker size shows capacity"),
    "legend_estates": ("住宅小区", "Housing estates"),
    "legend_proposals": ("规划建议", "Proposals"),
    "serves_note": ("虚线连接所服务的小区", "dashed lines join the estates served"),
    "merger_note": ("空心圆为撤并学校，实心圆为接收学校", "hollow: closing, filled: receiving"),
    # title box
    "scenario": ("千人指标", "places per 1,000"),
    "data_note": ("数据说明", "Data note"),
}


def label(key: str, lang: Lang) -> str:
    """Return the label for ``key`` in ``lang``, as escaped HTML.

    A key not in the dictionary (e.g. a school level outside the contract) is shown as is.
    """
    zh, en = LABELS.get(key, (key, key))
    if lang == "zh":
        text = zh
    elif lang == "en":
        text = en
    else:
        text = zh if zh == en else f"{zh} {en}"
    return esc(text)


def scenario_text(scenario: float, lang: Lang) -> str:
    """Return the scenario as the title shows it: "85 places per 1,000 / 千人指标 85"."""
    value = number_text(scenario)
    en = f"{value} places per 1,000"
    zh = f"千人指标 {value}"
    return {"zh": zh, "en": en}.get(lang, f"{en} / {zh}")


def number_text(value: float) -> str:
    """Format a scenario: ``85.0`` -> ``"85"``, ``82.5`` -> ``"82.5"``."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def esc(value: Any) -> str:
    """HTML-escape user text, also for JavaScript template literals.

    :func:`html.escape` covers ``& < > " '``; folium embeds popup and tooltip HTML in
    backtick template literals, where a backtick, ``${`` or a backslash would still act,
    so those become character references too (the browser shows them unchanged).
    """
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def missing(value: Any) -> bool:
    """Tell whether a scalar cell is missing (None, NaN, pd.NA, NaT)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def flag(value: Any) -> bool:
    """Read a boolean flag cell; a missing value counts as not set."""
    return not missing(value) and bool(value)


def int_text(value: Any) -> str:
    """Format a count with thousands separators; "–" when missing."""
    if missing(value) or not math.isfinite(float(value)):
        return "–"
    return f"{round(float(value)):,}"


def signed_text(value: Any) -> str:
    """Format a gap with its sign: "+1,234", "−560", "0"; "–" when missing."""
    if missing(value) or not math.isfinite(float(value)):
        return "–"
    rounded = round(float(value))
    if rounded == 0:
        return "0"
    return f"{rounded:+,}".replace("-", "−")


def percent_text(value: Any) -> str:
    """Format a ratio as a percentage with one decimal: 0.875 -> "87.5%"; "–" when missing."""
    if missing(value) or not math.isfinite(float(value)):
        return "–"
    return f"{float(value) * 100:.1f}%"
