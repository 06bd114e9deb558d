"""The report's readiness sheets: each county ready for high-quality balance by its year, or not.

达标 Readiness holds one row per county: its target year, the year it is read in, ready or
not, then one cell per criterion (and level) — green when met, red when missed (with the
shortfall), grey when it could not be assessed — the first year every criterion holds, and
what is missing in words. 达标明细 Readiness detail is the county × criterion table in full
(value, limit, shortfall, first year met, note); 配建核查 Matching schools lists the
"matching school needed" proposals of pipeline estates (配建). Numbers come from
:attr:`xuewei.pipeline.PlanResult.readiness`; nothing is computed here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from xuewei.outputs._report_format import (
    column_kind,
    display_frame,
    format_table,
    write_table,
)
from xuewei.outputs._report_words import LEVEL_WORDS, OTHER_LANGUAGE, YES_NO, in_language
from xuewei.pipeline import PlanResult
from xuewei.planning.readiness import CRITERIA
from xuewei.planning.readiness.assess import NO_TARGET, shortfall_words
from xuewei.planning.readiness.targets import SYNTHETIC_MARK

if TYPE_CHECKING:
    from xuewei.maps.plan_map import Lang

__all__ = [
    "DETAIL_SHEET",
    "MATCHING_SHEET",
    "READINESS_SHEET",
    "district_names",
    "readiness_sheets",
    "write_readiness_sheet",
]

READINESS_SHEET = "达标 Readiness"
DETAIL_SHEET = "达标明细 Readiness detail"
MATCHING_SHEET = "配建核查 Matching schools"

GREEN = PatternFill("solid", fgColor="C6EFCE")
RED = PatternFill("solid", fgColor="FFC7CE")
GREY = PatternFill("solid", fgColor="EDEDED")

_MET = "达标 met"
_NOT_ASSESSED = "未评估 not assessed"
_DETAIL_HEADERS = {
    "district_id": "区县代码 District ID",
    "name": "区县 District",
    "target_year": "目标年 Target year",
    "assessed_year": "评估年 Year read",
    "criterion": "指标 Criterion",
    "level": "学段 Level",
    "met": "达标 Met",
    "criterion_value": "数值 Value",
    "criterion_limit": "限值或可用容量 Limit or room",
    "criterion_shortfall": "差额 Shortfall",
    "unit": "单位 Unit",
    "first_year_met": "始终达标起始年 Met from",
    "note": "说明 Note",
}
_MATCHING_HEADERS = {
    "district_id": "区县代码 District ID",
    "name": "区县 District",
    "served_estates": "小区 Estate",
    "level": "学段 Level",
    "year": "开办年份(与小区同步) Opens (with the estate)",
    "places": "学位数 Places",
    "classes": "班数 Classes",
    "rationale_zh": "理由 Rationale (Chinese)",
    "rationale_en": "理由(英文) Rationale (English)",
    "lon": "经度 Longitude",
    "lat": "纬度 Latitude",
}
_UNIT_WORDS = {
    "places": "学位 places",
    "pupils": "学生 pupils",
    "coefficient of variation": "差异系数 CV",
    "schools": "所 schools",
    "estates": "个小区 estates",
}


def _criterion_words(criterion: str, level: str) -> str:
    zh, en, _ = CRITERIA[criterion]
    if level in ("primary", "junior"):
        lz, _, le = LEVEL_WORDS[level].partition(" ")
        return f"{zh}（{lz}） {en}, {le.lower()}"
    return f"{zh} {en}"


def _cell_text(row: Any, lang: Lang) -> str:
    if pd.isna(row.met):
        return in_language(_NOT_ASSESSED, lang)
    if bool(row.met):
        return in_language(_MET, lang)
    unit = str(row.unit)
    if unit == "coefficient of variation":  # a ceiling: the CV is above it
        amount = f"{row.shortfall:.3f}"
        return in_language(f"超出{amount} {amount} above the limit", lang)
    zh, _, en = _UNIT_WORDS.get(unit, f"{unit} {unit}").partition(" ")
    words = shortfall_words(float(row.shortfall), en)  # "1 school", "3,809 places"
    amount = f"{row.shortfall:,.0f}"
    if unit == "pupils":  # big classes and big schools: pupils above the limit
        return in_language(f"超出{amount}{zh} {words} over the limit", lang)
    return in_language(f"差{amount}{zh} {words} short", lang)


def _ready_from(s: Any, lang: Lang) -> object:
    """Return the first year every criterion is met, or say none is by the horizon."""
    if not pd.isna(s.first_year_ready):
        return int(s.first_year_ready)
    if pd.isna(s.ready):  # not assessed: nothing can be said
        return None
    return in_language("规划期内未达标 not by the horizon", lang)


def district_names(result: PlanResult, lang: Lang) -> pd.Series:
    """Return the districts' names by id: by their English name (``name_en``) for ``lang="en"``."""
    d = result.districts.set_index(result.districts["district_id"].astype(str))
    names = d["name"]
    if lang == "en" and "name_en" in d:
        names = d["name_en"].where(d["name_en"].fillna("") != "", names)
    return names


def _missing(table: pd.DataFrame, district: Any, lang: Lang) -> str | None:
    """Return what a county misses, criterion by criterion, in ``lang`` (both: zh, en)."""
    from xuewei.planning.readiness import missed_words

    met = table["met"].astype("boolean").fillna(True).to_numpy(dtype=bool)
    rows: list[Any] = list(table[(table["district_id"] == district) & ~met].itertuples())
    said = []
    for r in rows:
        words = [missed_words(r.criterion, r.level, float(r.shortfall), k) for k in ("zh", "en")]
        said.append({"zh": words[0], "en": words[1]}.get(lang, " ".join(words)))
    return "; ".join(said) or None


def source_words(source: object, lang: Lang) -> object:
    """Say a target's source with its synthetic mark in the sheet's language.

    Examples
    --------
    >>> source_words("synthetic (合成): targets.csv", "en")
    'synthetic: targets.csv'
    >>> source_words("synthetic (合成): targets.csv", "zh")
    '合成：targets.csv'
    >>> source_words("无目标年 no target: the horizon", "en")
    'no target: the horizon'
    >>> source_words("长沙市教育局 2023", "en")
    '长沙市教育局 2023'
    """
    if not isinstance(source, str) or lang == "both":
        return source
    if source == NO_TARGET:
        return "无目标年，按规划期末" if lang == "zh" else "no target: the horizon"
    if not source.startswith(SYNTHETIC_MARK):
        return source
    rest = source[len(SYNTHETIC_MARK) :]
    return f"合成：{rest}" if lang == "zh" else f"synthetic: {rest}"


def write_readiness_sheet(ws: Worksheet, result: PlanResult, lang: Lang = "both") -> None:
    """Write 达标 Readiness: one row per county, a red or green cell per criterion."""
    assert result.readiness is not None
    table, summary = result.readiness.table, result.readiness.summary
    keys = list(dict.fromkeys(zip(table["criterion"], table["level"], strict=True)))
    headers = [
        "区县代码 District ID",
        "区县 District",
        "目标年 Target year",
        "评估年 Year read",
        "按期达标 Ready by the target year",
        *[in_language(_criterion_words(c, lv), lang) for c, lv in keys],
        "全部达标起始年 Ready from",
        "缺项 What is missing",
        "目标年来源 Target year from",
    ]
    records: list[Any] = list(table.itertuples(index=False))
    cells = {(r.district_id, r.criterion, r.level): r for r in records}
    rows: list[list[Any]] = []
    fills: list[list[PatternFill | None]] = []
    tuples: list[Any] = list(summary.itertuples(index=False))
    names = district_names(result, lang)
    for s in tuples:
        ready = None if pd.isna(s.ready) else in_language(YES_NO[0 if s.ready else 1], lang)
        name = names.get(str(s.district_id), s.name)
        row: list[Any] = [s.district_id, name, s.target_year, s.assessed_year, ready]
        fill: list[PatternFill | None] = [None] * 4
        fill.append(GREY if ready is None else (GREEN if s.ready else RED))
        for c, lv in keys:
            key = (s.district_id, c, lv)
            if key not in cells:
                row.append(None)
                fill.append(None)
                continue
            r = cells[key]
            row.append(_cell_text(r, lang))
            fill.append(GREY if pd.isna(r.met) else (GREEN if bool(r.met) else RED))
        source = source_words(s.target_source, lang)
        row += [_ready_from(s, lang), _missing(table, s.district_id, lang), source]
        fill += [None, None, None]
        rows.append(row)
        fills.append(fill)
    frame = pd.DataFrame(rows, columns=headers)
    span = write_table(ws, frame, lang=lang)
    kinds = ["text", "text", "year", "year", "text", *["text"] * len(keys), "year", "text", "text"]
    format_table(ws, span, kinds)
    for i, fill in enumerate(fills, start=span.header_row + 1):
        for j, f in enumerate(fill, start=span.first_col):
            if f is not None:
                ws.cell(i, j).fill = f
    ws.page_setup.orientation = "landscape"


def _detail(result: PlanResult, lang: Lang) -> pd.DataFrame:
    assert result.readiness is not None
    t = result.readiness.table.copy()
    # a CV to three decimals, counts of places, pupils, schools and estates whole
    digits = (t["unit"] == "coefficient of variation").map({True: 3, False: 0})
    for col in ("value", "limit", "shortfall"):
        t[f"criterion_{col}"] = [
            None if pd.isna(v) else round(float(v), d) + 0.0
            for v, d in zip(t[col], digits, strict=True)
        ]
    t["name"] = t["district_id"].astype(str).map(district_names(result, lang)).fillna(t["name"])
    t["criterion"] = [in_language(_criterion_words(c, ""), lang) for c in t["criterion"]]
    t["unit"] = [in_language(_UNIT_WORDS.get(str(u), str(u)), lang) for u in t["unit"]]
    return t[list(_DETAIL_HEADERS)]


def _matching(result: PlanResult, lang: Lang) -> pd.DataFrame:
    assert result.readiness is not None
    m = result.readiness.matching_proposals
    if m.empty:
        return pd.DataFrame({c: [] for c in _MATCHING_HEADERS})
    names = district_names(result, lang)
    out = display_frame(m, lang)
    out.insert(1, "name", out["district_id"].astype(str).map(names).to_numpy())
    return out[[c for c in _MATCHING_HEADERS if c in out]]


def _sheet(ws: Worksheet, frame: pd.DataFrame, headers: dict[str, str], lang: Lang) -> None:
    frame = frame.drop(columns=list(OTHER_LANGUAGE[lang]), errors="ignore")
    shown = display_frame(frame, lang)
    kinds = [column_kind(str(c)) for c in shown]
    span = write_table(ws, shown.rename(columns=headers), lang=lang)
    format_table(ws, span, kinds)
    ws.page_setup.orientation = "landscape"


def readiness_sheets(wb: Any, result: PlanResult, *, index: int, lang: Lang = "both") -> None:
    """Add the readiness sheets to a workbook at ``index`` (nothing without readiness).

    ``lang``: both languages, or Chinese or English alone (sheet names, headers, words).
    """
    if result.readiness is None:
        return
    sheet = wb.create_sheet(in_language(READINESS_SHEET, lang), index)
    write_readiness_sheet(sheet, result, lang)
    detail = wb.create_sheet(in_language(DETAIL_SHEET, lang), index + 1)
    _sheet(detail, _detail(result, lang), _DETAIL_HEADERS, lang)
    matching = wb.create_sheet(in_language(MATCHING_SHEET, lang), index + 2)
    _sheet(matching, _matching(result, lang), _MATCHING_HEADERS, lang)
