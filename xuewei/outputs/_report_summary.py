"""The report's first sheet: the headline figures, the districts, a chart per district.

The sheet reads top to bottom: the plan, its years and default scenario; the headline
figures (residents, compulsory places required and offered at the horizon, the gap,
schools over capacity, residents out of reach, new schools proposed), each with a
bilingual label and a note; the per-district table of :meth:`PlanResult.summary`; a line
chart per district of places required and offered each year; and the data the charts
draw. Every number is taken from a table of the result (and shown there too), rounded the
way the other sheets round it; the charts draw places required, offered, and offered with
the places the proposals open by each year (the build programme).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xuewei.outputs._report_format import (
    HEADER_FILL,
    NUMBER_FORMATS,
    column_kind,
    display_frame,
    display_width,
    format_table,
    put,
    write_table,
)
from xuewei.outputs._report_words import in_language
from xuewei.pipeline import PlanResult
from xuewei.vocabulary import COMPULSORY, note_in_language

if TYPE_CHECKING:
    from xuewei.maps.plan_map import Lang

__all__ = ["Figure", "headline_figures", "write_summary"]

_COL_WIDTH = 15.0  # every column of the sheet: the blocks share them
_LABEL_COLS = 3  # a label spans A:C, its value is in D, its note spans E:J
_NOTE_COLS = 6
_CHART_ROWS = 16  # rows a chart takes, with a spare row below it
_CHART_COLS = 6  # columns from one chart's left edge to the next's


@dataclass(frozen=True)
class Figure:
    """One headline figure: bilingual label, value, its kind (number format), a note."""

    label: str
    value: Any
    kind: str = "count"
    note: str = ""


def _whole(value: float) -> int:
    """Round as the sheets do (numpy's half to even), to a whole number."""
    return round(float(value))


def headline_figures(result: PlanResult, reach: pd.DataFrame | None) -> list[Figure]:
    """Return the headline figures of a run, each from a table of the result.

    Parameters
    ----------
    result
        The run.
    reach
        The report's reach table (whole residents, as its Reach sheet shows), or ``None``
        without catchments.
    """
    s = result.standards.default_scenario
    b, h = result.base_year, result.horizon
    summary = result.summary()
    total = summary[summary["district_id"] == "total"].iloc[0]
    # districts short of places: a gap that shows as positive once rounded
    gaps = [
        g for g in summary.loc[summary["district_id"] != "total", f"gap_{s:g}"] if _whole(g) > 0
    ]
    n_districts = int((summary["district_id"] != "total").sum())
    now = total[f"residents_{b}"]
    change = f"{total[f'residents_{h}'] / now - 1.0:+.1%}" if now > 0 else ""
    grow = f"较{b}年{change} {change} vs {b}" if now > 0 else ""
    others = ", ".join(f"{x:g}" for x in result.standards.scenarios if x != s)
    figures = [
        Figure("规划 Plan", f"{result.plan.name} {result.plan.name_en}".strip(), "text"),
        Figure("基准年 Base year", b, "year", "最近一年的人口统计 last year of observed residents"),
        Figure("规划期末 Horizon", h, "year"),
        Figure(
            "默认情景(千人学位) Default scenario, places per 1,000",
            s,
            "scenario",
            "每千名常住人口的义务教育学位；其他情景见「缺口」表 compulsory places per 1,000 "
            f"residents; other scenarios ({others}) in the Gaps sheet",
        ),
        Figure(f"{b}年常住人口 Residents {b}", _whole(total[f"residents_{b}"])),
        Figure(
            f"{h}年常住人口 Residents {h}",
            _whole(total[f"residents_{h}"]),
            note=grow,
        ),
        Figure(
            f"{h}年义务教育需求学位 Compulsory places required {h}",
            _whole(total[f"required_{s:g}"]),
            note=f"千人{s:g}个学位 at {s:g} places per 1,000 residents",
        ),
        Figure(
            f"{h}年义务教育现有学位 Compulsory places offered {h}",
            _whole(total["offered"]),
            note="当年在用学校，未计本规划建议 schools open that year, before the proposals",
        ),
        Figure(
            f"{h}年净学位缺口 Net gap {h} (required − offered)",
            _whole(total[f"gap_{s:g}"]),
            note="正数为缺、负数为余 positive: places missing; negative: places spare",
        ),
        Figure(
            f"{h}年缺学位区县 Districts short of places {h}",
            len(gaps),
            note=f"共{n_districts}个区县 of {n_districts} districts",
        ),
        Figure(
            f"{h}年各区县缺口之和 Shortfall summed over districts short of places {h}",
            _whole(math.fsum(gaps)),
            note="一区之余不抵他区之缺 spare places in one district do not fill another's gap",
        ),
    ]
    return figures + _school_figures(result) + _reach_figures(result, reach)


def _school_figures(result: PlanResult) -> list[Figure]:
    s = result.standards.default_scenario
    schools = result.schools
    figures = []
    known = int(schools["over_capacity"].notna().sum()) if "over_capacity" in schools else 0
    if known:
        figures.append(
            Figure(
                "超容量学校(按在校生) Schools over capacity by enrolment",
                int(schools["over_capacity"].fillna(False).astype(bool).sum()),
                note=f"{result.base_year}年在校生多于学位；共{known}所学校 enrolment above "
                f"places in {result.base_year}, of {known} schools",
            )
        )
    proposals = result.proposals_for()
    if proposals is not None:
        builds = proposals[proposals["kind"] == "new_build"]
        years = builds["year"].dropna().astype(int)
        opening = f"{years.min()}–{years.max()}" if len(years) else "—"
        figures += [
            Figure(
                f"建议新建学校(千人{s:g}) New schools proposed, {s:g} per 1,000",
                len(builds),
                note=f"{opening}年开办；见「建议」表 opening {opening}; see the Proposals sheet",
            ),
            Figure(
                f"新建学校学位(千人{s:g}) Places in proposed new schools",
                _whole(builds["places"].sum()),
            ),
            Figure(
                f"建议扩建(千人{s:g}) Expansions proposed",
                int((proposals["kind"] == "expansion").sum()),
            ),
        ]
    return figures


def _reach_figures(result: PlanResult, reach: pd.DataFrame | None) -> list[Figure]:
    if reach is None or reach.empty:
        return []
    b = result.base_year
    pick = reach[
        (reach["year"] == b) & (reach["district_id"] == "total") & (reach["settlement"] == "all")
    ]
    names = {"primary": ("小学", "a primary school"), "junior": ("初中", "a junior school")}
    figures = []
    for level, (zh, en) in names.items():
        row = pick[pick["level"] == level]
        if row.empty:
            continue
        share = float(row["out_of_reach_share"].iloc[0])
        figures.append(
            Figure(
                f"{b}年服务半径外人口·{zh} Residents out of reach of {en}, {b}",
                _whole(row["out_of_reach"].iloc[0]),
                note=f"占常住人口{share:.1%}；见「可达性」表 {share:.1%} of residents; "
                "see the Reach sheet",
            )
        )
    return figures


def write_summary(
    ws: Worksheet, result: PlanResult, *, reach: pd.DataFrame | None, lang: Lang = "both"
) -> None:
    """Fill the summary sheet: title, headline figures, districts, charts, chart data.

    ``lang`` picks the words: both languages, or Chinese or English alone.
    """
    for col in range(1, 40):
        ws.column_dimensions[get_column_letter(col)].width = _COL_WIDTH
    title = put(
        ws,
        1,
        1,
        f"{_name_in(result.plan.name, result.plan.name_en, lang)} — "
        + in_language("学位规划汇总 School-place plan summary", lang),
    )
    title.font = Font(bold=True, size=14)
    if result.plan.data_note:  # what is synthetic, under the title, before any figure
        note = note_in_language(result.plan.data_note, lang)
        put(ws, 2, 1, note).font = Font(bold=True, color="C00000")
    row = _write_figures(ws, headline_figures(result, reach), 3, lang)
    row = _write_districts(ws, result, row + 1, lang)
    _write_charts(ws, result, row + 1, lang)
    ws.sheet_view.zoomScale = 90
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _write_figures(ws: Worksheet, figures: list[Figure], row: int, lang: Lang) -> int:
    """Write the figures from ``row`` (a header row first); return the next free row."""
    value_col, note_col = _LABEL_COLS + 1, _LABEL_COLS + 2
    for col, text in ((1, "指标 Figure"), (value_col, "数值 Value"), (note_col, "说明 Note")):
        cell = put(ws, row, col, in_language(text, lang))
        cell.font = Font(bold=True)
    for col in range(1, note_col + _NOTE_COLS):
        ws.cell(row, col).fill = HEADER_FILL
    _merge(ws, row)
    for i, fig in enumerate(figures, start=1):
        r = row + i
        label, note_text = in_language(fig.label, lang), in_language(fig.note, lang)
        value_text = in_language(fig.value, lang) if isinstance(fig.value, str) else fig.value
        put(ws, r, 1, label).alignment = Alignment(wrap_text=True, vertical="top")
        value = put(ws, r, value_col, value_text)
        value.font = Font(bold=True)
        value.alignment = Alignment(horizontal="right", vertical="top")
        if fig.kind in NUMBER_FORMATS:
            value.number_format = NUMBER_FORMATS[fig.kind]
        note = put(ws, r, note_col, note_text or None)
        note.alignment = Alignment(wrap_text=True, vertical="top")
        _merge(ws, r)
        lines = max(
            math.ceil(display_width(label) / (_COL_WIDTH * _LABEL_COLS - 2)),
            math.ceil(display_width(note_text) / (_COL_WIDTH * _NOTE_COLS - 2)),
            1,
        )
        ws.row_dimensions[r].height = 15.0 * lines
    return row + len(figures) + 2


def _merge(ws: Worksheet, row: int) -> None:
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=_LABEL_COLS)
    first = _LABEL_COLS + 2
    ws.merge_cells(
        start_row=row, start_column=first, end_row=row, end_column=first + _NOTE_COLS - 1
    )


def _write_districts(ws: Worksheet, result: PlanResult, row: int, lang: Lang) -> int:
    """Write the per-district table of the horizon (total row last); return the next row."""
    h = result.horizon
    title = in_language(f"各区县{h}年义务教育学位 Compulsory places by district, {h}", lang)
    put(ws, row, 1, title).font = Font(bold=True, size=12)
    summary = result.summary()
    if lang == "en" and "name_en" in result.districts:
        english = summary["district_id"].map(result.districts.set_index("district_id")["name_en"])
        english[summary["district_id"] == "total"] = result.plan.name_en or result.plan.name
        summary["name"] = english.where(english.fillna("") != "", summary["name"])
    table = write_table(ws, display_frame(summary, lang), row=row + 1, lang=lang)
    kinds = [column_kind(str(c)) for c in summary.columns]
    format_table(ws, table, kinds, freeze=False, filter_last_row=table.last_row - 1, widths=False)
    for col in range(table.first_col, table.last_col + 1):
        ws.cell(table.last_row, col).font = Font(bold=True)
    put(
        ws,
        table.last_row + 1,
        1,
        in_language(
            "注：各数四舍五入到个位，合计与分项之和可能略有出入。 Figures are rounded to whole "
            "numbers; a total may differ slightly from the sum of its rows.",
            lang,
        ),
    ).font = Font(italic=True, size=9)
    return table.last_row + 3


_SERIES = {
    "required": "需求学位 Required",
    "offered": "现有学位 Offered",
    "planned": "现有+建议学位 Offered with the proposals",
}


def _chart_data(result: PlanResult) -> tuple[list[tuple[str, str]], list[str], pd.DataFrame]:
    """Return the districts' (name, English name), the series and their values by year.

    Per district and year (compulsory, default scenario): places required and offered
    (:attr:`PlanResult.gaps`), and, with a build programme, offered plus the places the
    proposals have opened by then (its ``cumulative_places``, primary and junior).
    """
    s = result.standards.default_scenario
    g = result.gaps
    g = g[(g["level"] == COMPULSORY) & np.isclose(g["scenario"].to_numpy(np.float64), s)]
    years = sorted(g["year"].unique())
    series = ["required", "offered"]
    opened = pd.Series(dtype=np.float64)
    programme = result.programme_for()
    if programme is not None:
        series.append("planned")
        opened = programme.groupby(["district_id", "year"])["cumulative_places"].sum()
    districts = result.districts
    names, columns = [], {"year": years}
    for _, d in districts.iterrows():
        rows = g[g["district_id"] == d["district_id"]].set_index("year")
        en = str(d["name_en"]) if "name_en" in districts and pd.notna(d["name_en"]) else ""
        names.append((str(d["name"]), en))
        values = {k: rows[k].reindex(years) for k in ("required", "offered")}
        if programme is not None:
            done = [opened.get((d["district_id"], y), 0.0) for y in years]
            values["planned"] = values["offered"] + np.asarray(done, dtype=np.float64)
        for key in series:
            columns[f"{key}_{len(names)}"] = [
                None if pd.isna(v) else _whole(v) for v in values[key].to_numpy()
            ]
    return names, series, pd.DataFrame(columns)


def _write_charts(ws: Worksheet, result: PlanResult, row: int, lang: Lang) -> None:
    """Write a chart per district, two abreast, and below them the data they draw."""
    s = result.standards.default_scenario
    names, series, wide = _chart_data(result)
    title = (
        f"各区县义务教育学位：需求与现有(千人{s:g}) Compulsory places by district: "
        f"required and offered, {s:g} per 1,000"
    )
    put(ws, row, 1, in_language(title, lang)).font = Font(bold=True, size=12)
    data_row = row + 1 + math.ceil(len(names) / 2) * _CHART_ROWS + 1
    put(ws, data_row, 1, in_language("图表数据 Chart data", lang)).font = Font(bold=True)
    header = data_row + 1
    put(ws, header, 1, in_language("年份 Year", lang))
    shown = [_name_in(zh, en, lang) for zh, en in names]
    # a data column is named by the district's name in one language (Chinese with both)
    short = [zh if lang == "both" else name for (zh, _), name in zip(names, shown, strict=True)]
    for i, name in enumerate(short):
        for k, key in enumerate(series):
            put(ws, header, 2 + len(series) * i + k, f"{name} {in_language(_SERIES[key], lang)}")
    for i, record in enumerate(wide.itertuples(index=False, name=None), start=1):
        for j, value in enumerate(record):
            cell = put(ws, header + i, 1 + j, value)
            cell.number_format = NUMBER_FORMATS["year" if j == 0 else "count"]
    for col in range(1, 2 + len(series) * len(names)):
        cell = ws.cell(header, col)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[header].height = 60.0
    last = header + len(wide)
    for i, name in enumerate(shown):
        first = 2 + len(series) * i
        chart = _district_chart(ws, name, series, (first, header, last), lang)
        anchor_row = row + 1 + (i // 2) * _CHART_ROWS
        ws.add_chart(chart, f"{get_column_letter(1 + (i % 2) * _CHART_COLS)}{anchor_row}")


def _name_in(zh: str, en: str, lang: Lang) -> str:
    """Return a place's name in ``lang`` (the Chinese name where there is no English one)."""
    return {"zh": zh, "en": en or zh}.get(lang, f"{zh} {en}".strip())


def _district_chart(
    ws: Worksheet, title: str, series: list[str], where: tuple[int, int, int], lang: Lang
) -> LineChart:
    """Draw one district's series: columns from ``where[0]``, rows below ``where[1]``."""
    col, header, last = where
    chart = LineChart()
    chart.title = title
    chart.height, chart.width = 7.5, 15.5  # cm
    chart.y_axis.title = in_language("学位 Places", lang)
    chart.x_axis.title = in_language("年份 Year", lang)
    chart.y_axis.number_format = NUMBER_FORMATS["count"]
    chart.y_axis.scaling.min = 0
    chart.x_axis.delete = False  # openpyxl hides the axes unless told
    chart.y_axis.delete = False
    chart.legend.position = "b"
    chart.add_data(
        Reference(ws, min_col=col, max_col=col + len(series) - 1, min_row=header + 1, max_row=last)
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=header + 1, max_row=last))
    for line, key in zip(chart.series, series, strict=True):
        line.tx = SeriesLabel(v=in_language(_SERIES[key], lang))
        line.smooth = False
        line.graphicalProperties.line.width = 28575  # 2.25 pt
    chart.series[1].graphicalProperties.line.dashStyle = "dash"
    if len(chart.series) > 2:
        chart.series[2].graphicalProperties.line.dashStyle = "sysDot"
    return chart
