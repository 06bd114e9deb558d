"""The Excel report for the meeting: bilingual, formatted, a summary first, byte-stable.

The first sheet, 汇总 Summary, holds the headline figures, the districts at the horizon and
a chart per district of places required and offered over the years, with the places the
proposals open (:mod:`~xuewei.outputs._report_summary`). The table sheets follow — gaps,
forecast, schools, school pressure, reach, proposals, the build programme — each with
bilingual headers, codes shown as words, number formats, a frozen header row and an
autofilter (:mod:`~xuewei.outputs._report_format`); then the standards in force with their
sources in plain words and the documents they cite (:mod:`~xuewei.outputs._report_sources`),
and notes on the data. The workbook's zip entries and properties carry a fixed date, so
the same inputs give the same bytes, and it is written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from xuewei.outputs._report_format import (
    column_kind,
    display_frame,
    format_table,
    save_byte_stable,
    write_table,
)
from xuewei.outputs._report_readiness import district_names, readiness_sheets
from xuewei.outputs._report_sources import documents_table, sources_table
from xuewei.outputs._report_summary import write_summary
from xuewei.outputs._report_words import HEADERS, OTHER_LANGUAGE, in_language, list_in_language
from xuewei.outputs.atomic import atomic_path
from xuewei.outputs.tables import estates_layer, forecast_table
from xuewei.pipeline import PlanResult

if TYPE_CHECKING:
    from xuewei.maps.plan_map import Lang

__all__ = ["HEADERS", "write_report"]

SUMMARY_SHEET = "汇总 Summary"
SOURCES_SHEET = "标准与来源 Sources"
DOCUMENTS_SHEET = "引用文件 Documents"

_INPUT_WORDS = {
    "districts": "区县边界 Districts",
    "population": "人口 Population",
    "schools": "学校 Schools",
    "estates": "小区 Estates",
    "population_raster": "人口栅格 Population grid",
    "candidate_sites": "候选用地 Candidate sites",
    "roads": "道路 Roads",
    "neighbour_schools": "邻县学校 Neighbouring schools",
    "targets": "达标目标年 Target years",
}


def write_report(
    result: PlanResult, path: str | Path, *, overwrite: bool = False, lang: Lang = "both"
) -> Path:
    """Write the Excel report for the meeting, to hand out as it is.

    Sheets: 汇总 Summary (the plan's data note under the title, then the headline
    figures — residents now and at the horizon, compulsory places required and offered
    and the gap at the default scenario, schools over capacity, residents out of reach,
    new schools proposed — the districts at the horizon, and a chart per district of
    places required, offered, and offered with the places the proposals open, each
    year); 达标 Readiness (one row per county: ready by its
    target year or not, a green or red cell per criterion, what is missing), 达标明细
    Readiness detail (county × criterion: value, limit, shortfall, first year met) and
    配建核查 Matching schools (pipeline estates that need a matching school), when the run
    has a readiness table; 缺口 Gaps
    (every district, year, level and scenario); 预测 Forecast; 学校 Schools (with flags);
    学位压力 School pressure (schools over capacity by enrolment or full under the
    assignment); 未覆盖小区 Unserved estates (every estate with unserved residents; all
    estates are in ``plan.gpkg``); 覆盖核算 Coverage (residents assigned and unserved per
    level and year); 可达性 Reach (residents served, in reach of a full school, or out of
    reach, per level, year, district and urban/rural, in whole residents that add up);
    建议 Proposals (those of the default scenario, named in the sheet's title); 建设时序
    Programme (places opening per scenario, district, level and year, and the gap left);
    各情景建议 All scenarios (every scenario's proposals); 学龄人口对照 Cohort vs per-1000
    (where births and ages are known); 标准与来源 Sources (each standard
    in force: value, unit, and its document and section in plain words); 引用文件
    Documents (the policy documents and standards cited); 数据说明 Data (what is real,
    what synthetic).

    Every header is in Chinese and English (or in one of them, ``lang``), coded values are
    shown as words, counts of places and residents are whole numbers with thousands
    separators, shares are percentages; each table sheet has a frozen header row and an
    autofilter. Text that looks like a formula (a name such as ``=1+1``) is stored as text.

    Parameters
    ----------
    result
        The run.
    path
        The ``.xlsx`` file to write.
    overwrite
        Replace an existing file; otherwise :class:`~xuewei.errors.OutputExistsError`.
    lang
        ``"both"`` (Chinese and English, the default), ``"zh"`` or ``"en"``: the language
        of sheet names, headers, coded values, flags, the summary's labels and notes, and
        the Sources sheet's words. Names and the documents cited are shown as given (a
        district in English by its ``name_en`` where it has one); a rationale column of
        the other language is left out.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    with atomic_path(path, overwrite=overwrite) as tmp:  # refuses first, then builds
        reach = reach_sheet(result) if result.catchments else None
        wb = Workbook()
        summary = wb.active
        assert isinstance(summary, Worksheet)
        summary.title = in_language(SUMMARY_SHEET, lang)
        write_summary(summary, result, reach=reach, lang=lang)
        for name, frame in _tables(result, reach, lang).items():
            _table_sheet(wb.create_sheet(in_language(name, lang)), frame, lang)
        # county readiness right after the summary: the question the bureau is asked
        readiness_sheets(wb, result, index=1, lang=lang)
        save_byte_stable(wb, tmp)
    return Path(path)


def _tables(result: PlanResult, reach: pd.DataFrame | None, lang: Lang) -> dict[str, pd.DataFrame]:
    """Return the table sheets of the report, by (bilingual) sheet name, in order."""
    names = district_names(result, lang)

    def named(frame: pd.DataFrame) -> pd.DataFrame:
        return _with_district_names(frame, names)

    sheets: dict[str, pd.DataFrame] = {
        "缺口 Gaps": named(result.gaps),
        "预测 Forecast": named(forecast_table(result)),
        "学校 Schools": named(result.schools),
    }
    if result.catchments:
        assert reach is not None
        sheets["学位压力 School pressure"] = named(_school_pressure(result))
        sheets["未覆盖小区 Unserved estates"] = named(_unserved_estates(result))
        sheets["覆盖核算 Coverage"] = result.unserved()
        if lang == "en":  # the districts' names in the reach table, in English too
            total = result.plan.name_en or result.plan.name
            reach = reach.assign(name=reach["district_id"].map(names).fillna(total))
        sheets["可达性 Reach"] = reach
    elif result.estates is not None:
        sheets["小区 Estates"] = named(result.estates)
    if result.proposals is not None:
        # the scenario the summary and the map show first; every scenario's beside it
        scenario = result.standards.default_scenario
        shown = result.proposals_for(scenario)
        assert shown is not None and result.programme is not None
        sheets[f"建议(千人{scenario:g}) Proposals ({scenario:g})"] = named(shown)
        sheets["建设时序 Programme"] = named(result.programme)
        sheets["各情景建议 All scenarios"] = named(result.proposals)
    if result.cohort is not None:
        sheets["学龄人口对照 Cohort vs per-1000"] = named(result.cohort)
    sheets[SOURCES_SHEET] = _words_in(sources_table(result.standards), _SOURCE_WORDS, lang)
    sheets[DOCUMENTS_SHEET] = _words_in(documents_table(result.standards), _SOURCE_WORDS, lang)
    sheets["数据说明 Data"] = _words_in(_data_notes(result), ("项目 Item", "说明 Note"), lang)
    return sheets


# the columns of the sources, documents and data sheets that hold bilingual words (the
# sources and document titles cited stay as written)
_SOURCE_WORDS = (
    "标准 Standard",
    "取值 Value",
    "单位 Unit",
    "性质 Basis",
    "核实 Check",
    "类别 Kind",
    "引用于 Cited for",
)


def _words_in(frame: pd.DataFrame, columns: tuple[str, ...], lang: Lang) -> pd.DataFrame:
    """Keep one language of the words in ``columns`` (every column with ``both``)."""
    if lang == "both":
        return frame
    out = frame.copy()
    for col in columns:
        if col in out:
            out[col] = [list_in_language(v, lang) if isinstance(v, str) else v for v in out[col]]
    return out


def _table_sheet(ws: Worksheet, frame: pd.DataFrame, lang: Lang) -> None:
    """Write one table as a sheet: header row frozen, autofilter, formats and widths."""
    frame = frame.drop(columns=list(OTHER_LANGUAGE[lang]), errors="ignore")
    shown = display_frame(frame, lang)
    table = write_table(ws, shown, lang=lang)
    format_table(ws, table, [column_kind(str(c)) for c in shown.columns])
    ws.page_setup.orientation = "landscape"


def _with_district_names(frame: pd.DataFrame, names: pd.Series) -> pd.DataFrame:
    """Add the district's name after ``district_id`` (readers know names, not codes)."""
    if "district_id" not in frame or "district_name" in frame:
        return frame
    out = frame.copy()
    at = list(out.columns).index("district_id") + 1
    ids = out["district_id"].astype(str)
    out.insert(at, "district_name", ids.map(names).to_numpy(dtype=object))
    return out


def reach_sheet(result: PlanResult) -> pd.DataFrame:
    """Tabulate reach in whole residents that add up on every row (largest remainder).

    Each row's served, over capacity and out of reach are rounded so that they sum to the
    row's residents rounded: what a reader adds up in the sheet matches its total.
    """
    reach = result.reach()
    parts = ["served", "over_capacity", "out_of_reach"]
    values = reach[parts].to_numpy(np.float64)
    total = np.round(reach["residents"].to_numpy(np.float64))
    floor = np.floor(values)
    short = (total - floor.sum(axis=1)).astype(np.int64)
    order = np.argsort(-(values - floor), axis=1, kind="stable")
    for i, k in enumerate(short):
        floor[i, order[i, : max(int(k), 0)]] += 1
    out = reach.copy()
    out["residents"] = total
    out[parts] = floor
    # "over capacity" of a school is another column of the report: name the residents' class
    return out.rename(
        columns={"over_capacity": "schools_full", "over_capacity_share": "schools_full_share"}
    )


def _school_pressure(result: PlanResult) -> pd.DataFrame:
    """Schools over capacity by enrolment, or full under the assignment, per level and year."""
    use = result.school_use.rename(
        columns={"utilisation": "assigned_utilisation", "over_capacity": "over_capacity_assigned"}
    )
    schools = result.schools.set_index("school_id")
    use = use.assign(
        enrolment=use["school_id"].map(schools["enrolment"]).to_numpy(),
        utilisation=use["school_id"].map(schools["utilisation"]).to_numpy(),
        over_capacity=use["school_id"].map(schools["over_capacity"]).astype("boolean"),
    )
    assigned = use["assigned_utilisation"].to_numpy(dtype=np.float64, na_value=np.nan)
    flagged = (assigned >= 1.0 - 1e-9) | use["over_capacity"].fillna(False).to_numpy(dtype=bool)
    columns = [
        "school_id", "name", "district_id", "school_level", "level", "year", "places",
        "demand", "assigned_utilisation", "over_capacity_assigned", "spare_places",
        "enrolment", "utilisation", "over_capacity",
    ]  # fmt: skip
    out = use.loc[flagged, [c for c in columns if c in use]]
    return out.sort_values(["year", "level", "assigned_utilisation"], ascending=[True, True, False])


def _unserved_estates(result: PlanResult) -> pd.DataFrame:
    """One row per estate with residents unserved at some level, in the base year or later."""
    layer = estates_layer(result)
    assert layer is not None
    flag_cols = [c for c in layer.columns if "_unserved_" in c and c[-4:].isdigit()]
    unserved = np.zeros(len(layer), dtype=bool)
    for col in flag_cols:
        unserved |= layer[col].fillna(False).to_numpy(dtype=bool)
    # the input's residents beside those of the base year, of which the unserved are a part
    keep = ["estate_id", "name", "district_id", "input_residents", f"residents_{result.base_year}"]
    keep += ["completion_year"]
    for level in result.plan.catchments.levels:
        keep += [
            f"{level}_unserved_residents",
            f"{level}_school_id",
            f"{level}_distance_m",
            *[c for c in flag_cols if c.startswith(f"{level}_")],
        ]
    layer = layer.rename(columns={"residents": "input_residents"})
    out = pd.DataFrame(layer.loc[unserved, [c for c in keep if c in layer]])
    order = [c for c in out.columns if c.endswith("_unserved_residents")]
    return out.sort_values(order, ascending=False) if order else out


def _data_notes(result: PlanResult) -> pd.DataFrame:
    rows = [
        {"项目 Item": "计划 Plan", "说明 Note": f"{result.plan.name} {result.plan.name_en}"},
        # years as numbers, not text (Excel flags numbers stored as text)
        {"项目 Item": "基准年 Base year", "说明 Note": int(result.base_year)},
        {"项目 Item": "规划期末 Horizon", "说明 Note": int(result.horizon)},
        {
            "项目 Item": "预测区间 Interval",
            "说明 Note": f"预测区间{result.plan.interval:.0%} "
            f"{result.plan.interval:.0%} prediction interval",
        },
    ]
    if result.plan.data_note:
        rows.append({"项目 Item": "数据说明 Data note", "说明 Note": result.plan.data_note})
    for name, spec in sorted(result.plan.inputs.items()):
        label = _INPUT_WORDS.get(name, name)
        zh, _, en = label.partition(" ")
        rows.append({"项目 Item": f"输入{zh} Input: {en or zh}", "说明 Note": spec.path.name})
    if "source" in result.population:
        sources = result.population["source"].dropna().astype(str).unique()
        for src in sorted(sources):
            rows.append({"项目 Item": "人口来源 Population source", "说明 Note": src})
    for warning in result.warnings:  # what the run could not do as asked, and what it did
        rows.append({"项目 Item": "警告 Warning", "说明 Note": warning})
    rows.append(
        {
            "项目 Item": "工具 Made with",
            # no "；" in the Chinese: it separates the items of a list (list_in_language)
            "说明 Note": "xuewei，开源学位规划工具。“xuewei默认值”指工具自带、非标准规定的取值 "
            "xuewei, an open-source school-place planning toolkit; a “xuewei default” is a "
            "value of the toolkit, in no standard",
        }
    )
    return pd.DataFrame(rows)
