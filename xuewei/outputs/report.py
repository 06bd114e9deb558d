"""The Excel report for the meeting: bilingual sheets, formatted, byte-stable.

Sheets: 汇总 Summary (districts at the horizon), 缺口 Gaps, forecasts, schools, estates,
proposals, the standards used with their sources, and notes on the data. The workbook's
zip entries and properties carry a fixed date, so the same inputs give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from xuewei.outputs.atomic import atomic_path
from xuewei.outputs.tables import estates_layer, forecast_table
from xuewei.pipeline import PlanResult
from xuewei.vocabulary import COMPULSORY

__all__ = ["HEADERS", "write_report"]

_FIXED_DATE = dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
_W3CDTF = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")

# Bilingual column headers of the Excel report (Chinese first: the meeting reads Chinese).
HEADERS: dict[str, str] = {
    "district_id": "区县代码 District ID",
    "name": "名称 Name",
    "name_en": "英文名 English name",
    "year": "年份 Year",
    "level": "学段 Level",
    "scenario": "千人指标 Places per 1,000",
    "quantity": "指标 Quantity",
    "value": "预测值 Value",
    "lower": "下限 Lower",
    "upper": "上限 Upper",
    "kind": "类型 Kind",
    "method": "方法 Method",
    "residents": "常住人口 Residents",
    "required": "需求学位 Places required",
    "required_lower": "需求下限 Required (lower)",
    "required_upper": "需求上限 Required (upper)",
    "offered": "现有学位 Places offered",
    "gap": "学位缺口 Gap",
    "gap_lower": "缺口下限 Gap (lower)",
    "gap_upper": "缺口上限 Gap (upper)",
    "gap_per_1000": "千人缺口 Gap per 1,000",
    "school_id": "学校代码 School ID",
    "classes": "班数 Classes",
    "capacity": "设计学位 Design capacity",
    "enrolment": "在校生 Enrolment",
    "places": "学位数 Places",
    "places_basis": "学位依据 Places basis",
    "places_primary": "小学学位 Primary places",
    "places_junior": "初中学位 Junior places",
    "utilisation": "在校生使用率 Utilisation by enrolment",
    "assigned_utilisation": "分配使用率 Utilisation by assigned residents",
    "over_capacity_assigned": "分配超容量 Over capacity by assigned residents",
    "spare_places": "剩余学位 Spare places",
    "avg_class_size": "平均班额 Average class size",
    "over_capacity": "在校生超容量 Over capacity by enrolment",
    "big_class": "大班额 Big classes",
    "class_size_band": "班额等级 Class-size band",
    "big_school": "大校额 Big school",
    "public": "公办 Public",
    "opened": "建成年份 Opened",
    "closing": "撤并年份 Closing",
    "synthetic": "合成数据 Synthetic",
    "estate_id": "小区代码 Estate ID",
    "dwellings": "住宅套数 Dwellings",
    "households": "户数 Households",
    "completion_year": "建成年份 Completion year",
    "unserved": "未覆盖 Unserved",
    "unserved_residents": "未覆盖人口 Unserved residents",
    "unserved_share": "未覆盖比例 Unserved share",
    "assigned": "已分配人口 Assigned residents",
    "within_radius": "服务半径内 Within radius",
    "distance_m": "距离(米) Distance m",
    "demand": "分配需求学位 Assigned demand",
    "school_level": "学校类型 School type",
    "per_thousand_demand": "千人指标需求 Per-1,000 demand",
    "cohort_demand": "学龄人口需求 Cohort demand",
    "cohort_lower": "学龄下限 Cohort (lower)",
    "cohort_upper": "学龄上限 Cohort (upper)",
    "implied_per_1000": "隐含千人指标 Implied per 1,000",
    "difference": "差额 Cohort − per-1,000",
    "proposal_id": "建议编号 Proposal ID",
    "site_id": "选址 Site",
    "site_source": "用地来源 Site source",
    "receiver_ids": "接收学校 Receiving school(s)",
    "served_estates": "服务小区 Estates served",
    "pupils_moved": "转移学生 Pupils moved",
    "settlement": "城乡 Urban/rural",
    "served": "有学位 Served (residents)",
    "schools_full": "范围内学校已满 In reach, schools full (residents)",
    "out_of_reach": "服务半径外 Out of reach (residents)",
    "served_share": "有学位比例 Served share",
    "schools_full_share": "学校已满比例 Schools full share",
    "out_of_reach_share": "半径外比例 Out of reach share",
    "needed_year": "需要年份 Year needed",
    "lead_time": "建设周期(年) Lead time, years",
    "new_schools": "新建学校 New schools",
    "expansions": "扩建 Expansions",
    "places_added": "新增学位 Places added",
    "cumulative_places": "累计新增学位 Places added to date",
    "remaining_gap": "剩余缺口 Gap remaining",
    "sized_year": "测算年份 Year sized for",
    "sized_gap": "测算缺口 Gap sized for",
    "rationale_zh": "理由 Rationale (中文)",
    "rationale_en": "理由 Rationale (English)",
    "lon": "经度 Longitude",
    "lat": "纬度 Latitude",
}
# short bilingual labels for the cells of the level column (the map uses LEVEL_NAMES)
_LEVEL_NAMES = {
    "primary": "小学 Primary",
    "junior": "初中 Junior",
    "nine_year": "九年一贯制 Nine-year",
    "kindergarten": "幼儿园 Kindergarten",
    COMPULSORY: "义务教育 Compulsory",
}


_SETTLEMENT_NAMES = {"all": "全部 All", "urban": "城镇 Urban", "rural": "乡村 Rural"}


def _sheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(frame).copy()
    if "geometry" in out:
        geom = gpd.GeoSeries(out["geometry"], crs=getattr(frame, "crs", None))
        if geom.crs is not None and len(geom):
            pts = geom.to_crs(4326).representative_point()
            out["lon"] = pts.x.round(6)
            out["lat"] = pts.y.round(6)
        out = out.drop(columns="geometry")
    if "level" in out:
        out["level"] = out["level"].map(lambda v: _LEVEL_NAMES.get(v, v))
    if "settlement" in out:
        out["settlement"] = out["settlement"].map(lambda v: _SETTLEMENT_NAMES.get(v, v))
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype) or out[col].dtype == bool:
            out[col] = out[col].map(lambda v: "" if pd.isna(v) else ("是 yes" if v else "否 no"))
    return out.rename(columns=lambda c: HEADERS.get(c, c))


def write_report(result: PlanResult, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the Excel report for the meeting (bilingual headers, frozen header rows).

    Sheets: 汇总 Summary (districts at the horizon), 缺口 Gaps (every district, year, level
    and scenario), 预测 Forecast, 学校 Schools (with flags), 学位压力 School pressure
    (schools over capacity by enrolment or full under the assignment), 未覆盖小区 Unserved
    estates (every estate with unserved residents; all estates are in ``plan.gpkg``),
    覆盖核算 Coverage (residents assigned and unserved per level and year), 可达性 Reach
    (residents served, in reach of a full school, or out of reach, per level, year,
    district and urban/rural, in whole residents that add up), 建议 Proposals
    (those of the default scenario, named in the sheet's title), 建设时序 Programme (places
    opening per scenario, district, level and year, and the gap left), 各情景建议 All
    scenarios (every scenario's proposals), 标准 Standards
    (the values in force, with sources), 数据说明 Data (what is real, what synthetic).
    """
    summary = result.summary()
    sheets: dict[str, pd.DataFrame] = {
        "汇总 Summary": summary,
        "缺口 Gaps": result.gaps,
        "预测 Forecast": forecast_table(result),
        "学校 Schools": result.schools,
    }
    if result.catchments:
        sheets["学位压力 School pressure"] = _school_pressure(result)
        sheets["未覆盖小区 Unserved estates"] = _unserved_estates(result)
        sheets["覆盖核算 Coverage"] = result.unserved()
        sheets["可达性 Reach"] = reach_sheet(result)
    elif result.estates is not None:
        sheets["小区 Estates"] = result.estates
    if result.proposals is not None:
        # the scenario the summary and the map show first; every scenario's beside it
        scenario = result.standards.default_scenario
        shown = result.proposals_for(scenario)
        assert shown is not None and result.programme is not None
        sheets[f"建议 Proposals ({scenario:g})"] = shown
        sheets["建设时序 Programme"] = result.programme
        sheets["各情景建议 All scenarios"] = result.proposals
    if result.cohort is not None:
        sheets["学龄人口对照 Cohort vs per-1000"] = result.cohort
    sheets["标准 Standards"] = _standards_rows(result)
    sheets["数据说明 Data"] = _data_notes(result)
    with atomic_path(path, overwrite=overwrite) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                _sheet_frame(frame).to_excel(writer, sheet_name=name, index=False)
            _format_workbook(writer.book)
        _pin_zip_dates(tmp)
    return Path(path)


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
    keep = ["estate_id", "name", "district_id", "residents", "completion_year"]
    for level in result.plan.catchments.levels:
        keep += [
            f"{level}_unserved_residents",
            f"{level}_school_id",
            f"{level}_distance_m",
            *[c for c in flag_cols if c.startswith(f"{level}_")],
        ]
    out = pd.DataFrame(layer.loc[unserved, [c for c in keep if c in layer]])
    order = [c for c in out.columns if c.endswith("_unserved_residents")]
    return out.sort_values(order, ascending=False) if order else out


def _standards_rows(result: PlanResult) -> pd.DataFrame:
    rows = []
    for key, value, source in result.standards.rows():
        rows.append({"标准项 Standard": key, "取值 Value": str(value), "来源 Source": source})
    return pd.DataFrame(rows)


def _data_notes(result: PlanResult) -> pd.DataFrame:
    rows = [
        {"项目 Item": "计划 Plan", "说明 Note": f"{result.plan.name} {result.plan.name_en}"},
        {"项目 Item": "基准年 Base year", "说明 Note": str(result.base_year)},
        {"项目 Item": "规划期末 Horizon", "说明 Note": str(result.horizon)},
        {
            "项目 Item": "预测区间 Interval",
            "说明 Note": f"{result.plan.interval:.0%} prediction interval",
        },
    ]
    if result.plan.data_note:
        rows.append({"项目 Item": "数据说明 Data note", "说明 Note": result.plan.data_note})
    for name, spec in sorted(result.plan.inputs.items()):
        rows.append({"项目 Item": f"输入 Input: {name}", "说明 Note": spec.path.name})
    if "source" in result.population:
        sources = result.population["source"].dropna().astype(str).unique()
        for src in sorted(sources):
            rows.append({"项目 Item": "人口来源 Population source", "说明 Note": src})
    for warning in result.warnings:  # what the run could not do as asked, and what it did
        rows.append({"项目 Item": "警告 Warning", "说明 Note": warning})
    return pd.DataFrame(rows)


def _format_workbook(wb: Workbook) -> None:
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for ws in wb.worksheets:
        ws.freeze_panes = "A2"
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for idx, column in enumerate(ws.iter_cols(min_row=1, max_row=ws.max_row), start=1):
            header = str(column[0].value or "")
            width = min(max(len(header) * 0.9, 10), 45)
            ws.column_dimensions[get_column_letter(idx)].width = width
            number_format = _number_format(header)
            if number_format:
                for cell in column[1:]:
                    if isinstance(cell.value, int | float):
                        cell.number_format = number_format
    wb.properties.created = _FIXED_DATE
    wb.properties.modified = _FIXED_DATE
    wb.properties.creator = "xuewei"


def _number_format(header: str) -> str | None:
    if "Utilisation" in header or "share" in header:
        return "0.0%"
    if any(k in header for k in ("Year", "Opened", "Closing", "ID")):
        return "0"
    if any(k in header for k in ("per 1,000", "class size")):
        return "0.0"
    if any(
        k in header
        for k in (
            "Residents",
            "residents",
            "Places",
            "places",
            "Gap",
            "Value",
            "Lower",
            "Upper",
            "required",
            "offered",
            "demand",
        )
    ):
        return "#,##0"
    return None


def _pin_zip_dates(path: Path) -> None:
    """Rewrite the xlsx zip with fixed dates so that identical runs give identical files.

    openpyxl stamps the save time into the zip entries and into ``docProps/core.xml``
    (``dcterms:modified``, whatever the workbook's properties say).
    """
    tmp = path.with_suffix(".pin.xlsx")
    stamp = _FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = _W3CDTF.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            dst.writestr(info, content)
    os.replace(tmp, path)
