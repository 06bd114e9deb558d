"""The Excel report as a reader gets it: read back with openpyxl and checked cell by cell."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from xuewei.config import load_plan
from xuewei.data import load_standards
from xuewei.outputs import write_report
from xuewei.outputs._report_names import GROUP_NAMES, LEAF_NAMES, UNIT_NAMES
from xuewei.outputs._report_sources import plain_source
from xuewei.outputs.report import reach_sheet
from xuewei.pipeline import run_plan

SUMMARY = "汇总 Summary"
TABLE_SHEETS = [
    "达标 Readiness",
    "达标明细 Readiness detail",
    "配建核查 Matching schools",
    "缺口 Gaps",
    "预测 Forecast",
    "学校 Schools",
    "学位压力 School pressure",
    "未覆盖小区 Unserved estates",
    "覆盖核算 Coverage",
    "可达性 Reach",
    "建议(千人85) Proposals (85)",
    "建设时序 Programme",
    "各情景建议 All scenarios",
    "标准与来源 Sources",
    "引用文件 Documents",
    "数据说明 Data",
]
# names a reader must never see in place of words
FORMULA_NAMES = {"school": "=1+1", "estate": "=SUM(A1)", "minus": "-1号学校", "at": "@home"}
CODES = {
    "new_build", "expansion", "merger", "capacitated", "nearest", "urban", "rural",
    "primary", "junior", "nine_year", "compulsory", "observed", "interpolated", "forecast",
    "capacity", "classes", "normal", "large", "small", "big", "super", "generated grid",
    "candidate_sites", "residents", "required_places", "total", "all",
}  # fmt: skip
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def report(small_plan, tmp_path_factory):
    """The small city's report, with names that look like formulas; (result, workbook, path)."""
    result = run_plan(load_plan(small_plan))
    schools = result.schools.copy()
    schools.loc[schools.index[0], "name"] = FORMULA_NAMES["school"]
    schools.loc[schools.index[1], "name"] = FORMULA_NAMES["minus"]
    schools.loc[schools.index[2], "name"] = FORMULA_NAMES["at"]
    estates = result.estates.copy()
    estates["name"] = FORMULA_NAMES["estate"]
    result = dataclasses.replace(result, schools=schools, estates=estates)
    path = tmp_path_factory.mktemp("report") / "report.xlsx"
    write_report(result, path)
    return result, load_workbook(path), path


def _header(ws, row=1):
    return [c.value for c in ws[row] if c.value is not None]


def _column(ws, header, row=1):
    """The cells of the column under ``header`` (below the header row)."""
    names = [c.value for c in ws[row]]
    col = names.index(header) + 1
    return [ws.cell(r, col) for r in range(row + 1, ws.max_row + 1)]


def _figures(ws):
    """Headline figures of the summary sheet: label (column A) → value cell (column D)."""
    out = {}
    for r in range(4, ws.max_row + 1):
        label = ws.cell(r, 1).value
        if label is None:
            break
        out[label] = ws.cell(r, 4)
    return out


def _figure(figures, start):
    (cell,) = [c for label, c in figures.items() if label.startswith(start)]
    return cell


def test_sheets_summary_first(report):
    _, wb, _ = report
    assert wb.sheetnames == [SUMMARY, *TABLE_SHEETS]


def test_headers_bilingual_never_column_names(report):
    result, wb, _ = report
    raw = set()
    for frame in (result.gaps, result.schools, result.programme, result.proposals):
        raw |= set(frame.columns)
    raw |= set(result.summary().columns) | set(result.reach().columns)
    for name in TABLE_SHEETS:
        for header in _header(wb[name]):
            assert header not in raw, (name, header)
            assert "_" not in header, (name, header)
            assert CJK.search(header) and re.search("[A-Za-z]", header), (name, header)
    ws = wb[SUMMARY]
    (table_row,) = [
        r for r in range(1, ws.max_row) if ws.cell(r, 1).value == "区县代码 District ID"
    ]
    for header in _header(ws, table_row):
        assert header not in raw and "_" not in header and CJK.search(header), header


def test_codes_are_words(report):
    _, wb, _ = report
    for name in [SUMMARY, *TABLE_SHEETS[:-3]]:
        for row in wb[name].iter_rows(values_only=True):
            for value in row:
                assert not isinstance(value, bool), name
                assert value not in CODES, (name, value)


def test_frozen_header_and_autofilter_on_every_table(report):
    _, wb, _ = report
    for name in TABLE_SHEETS:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws.auto_filter.ref == f"A1:{get_column_letter(ws.max_column)}{ws.max_row}", name
        assert ws.print_title_rows == "$1:$1", name


def test_number_formats(report):
    _, wb, _ = report
    expected = {
        "缺口 Gaps": {
            "需求学位 Places required": "#,##0",
            "常住人口 Residents": "#,##0",
            "千人缺口 Gap per 1,000 residents": "0.0",
            "年份 Year": "0",
        },
        "学校 Schools": {
            "在校生使用率 Utilisation by enrolment": "0.0%",
            "平均班额 Average class size": "0.0",
            "剩余学位 Spare places": "#,##0",
        },
        "可达性 Reach": {
            "服务半径外 Out of reach (residents)": "#,##0",
            "有学位比例 Served share": "0.0%",
        },
        "建设时序 Programme": {
            "新增学位 Places added": "#,##0",
            "剩余缺口 Gap remaining": "#,##0",
            "年份 Year": "0",
        },
        "建议(千人85) Proposals (85)": {
            "需要年份 Year needed": "0",
            "测算缺口 Gap sized for": "#,##0",
        },
    }
    for sheet, columns in expected.items():
        for header, fmt in columns.items():
            cells = [c for c in _column(wb[sheet], header) if c.value is not None]
            assert cells, (sheet, header)
            assert {c.number_format for c in cells} == {fmt}, (sheet, header)
            if fmt in ("#,##0", "0"):  # whole places, residents and years: no 300.0000000173
                assert all(isinstance(c.value, int) for c in cells), (sheet, header)
    # no cell of any sheet holds a float with float noise
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, float):
                    assert v == round(v, 6), (ws.title, v)


def test_long_text_wraps_at_sixty(report):
    _, wb, _ = report
    ws = wb["建议(千人85) Proposals (85)"]
    names = [c.value for c in ws[1]]
    col = get_column_letter(names.index("理由 Rationale (English)") + 1)
    assert ws.column_dimensions[col].width == 60
    assert ws[f"{col}2"].alignment.wrap_text


def test_summary_figures_equal_the_tables(report):
    result, wb, _ = report
    figures = _figures(wb[SUMMARY])
    s, b, h = 85.0, result.base_year, result.horizon
    summary = result.summary().set_index("district_id")
    total = summary.loc["total"]
    assert _figure(figures, "规划 Plan").value == "合成市 Synthetic City"
    assert _figure(figures, "基准年").value == b == 2024
    assert _figure(figures, "规划期末").value == h == 2035
    assert _figure(figures, "默认情景").value == s
    assert _figure(figures, f"{b}年常住人口").value == round(total[f"residents_{b}"])
    assert _figure(figures, f"{h}年常住人口").value == round(total[f"residents_{h}"])
    assert _figure(figures, f"{h}年义务教育需求学位").value == round(total["required_85"])
    assert _figure(figures, f"{h}年义务教育现有学位").value == round(total["offered"])
    assert _figure(figures, f"{h}年净学位缺口").value == round(total["gap_85"])
    gaps = summary.drop(index="total")["gap_85"]
    short = gaps[gaps.round() > 0]
    assert _figure(figures, f"{h}年缺学位区县").value == len(short) == 3
    assert _figure(figures, f"{h}年各区县缺口之和").value == round(short.sum())
    over = result.schools["over_capacity"].fillna(False).astype(bool).sum()
    assert _figure(figures, "超容量学校").value == over > 0
    proposals = result.proposals_for()
    builds = proposals[proposals["kind"] == "new_build"]
    assert _figure(figures, "建议新建学校").value == len(builds) > 0
    assert _figure(figures, "新建学校学位").value == round(builds["places"].sum())
    assert _figure(figures, "建议扩建").value == (proposals["kind"] == "expansion").sum()
    # residents out of reach: the Reach sheet's whole residents, within 1 of the result's
    reach = result.reach()
    sheet = reach_sheet(result)
    for level, zh in (("primary", "小学"), ("junior", "初中")):
        pick = (
            (reach["level"] == level)
            & (reach["year"] == b)
            & (reach["district_id"] == "total")
            & (reach["settlement"] == "all")
        )
        cell = _figure(figures, f"{b}年服务半径外人口·{zh}")
        assert cell.value == sheet.loc[pick, "out_of_reach"].item()
        assert abs(cell.value - reach.loc[pick, "out_of_reach"].item()) <= 1
        share = reach.loc[pick, "out_of_reach_share"].item()
        assert f"占常住人口{share:.1%}" in cell.offset(column=1).value  # the note beside it
    note = _figure(figures, "超容量学校").offset(column=1).value
    assert f"共{result.schools['over_capacity'].notna().sum()}所学校" in note


def test_summary_figures_are_in_the_sheets_too(report):
    """What the summary says can be found by a reader in the table sheets."""
    result, wb, _ = report
    figures = _figures(wb[SUMMARY])
    flags = [
        c.value for c in _column(wb["学校 Schools"], "在校生超容量 Over capacity by enrolment")
    ]
    assert _figure(figures, "超容量学校").value == flags.count("是 yes")
    kinds = [c.value for c in _column(wb["建议(千人85) Proposals (85)"], "类型 Kind")]
    assert _figure(figures, "建议新建学校").value == kinds.count("新建学校 New school")
    reach = wb["可达性 Reach"]
    rows = [
        dict(zip(_header(reach), r, strict=False)) for r in reach.iter_rows(2, values_only=True)
    ]
    (total,) = [
        r
        for r in rows
        if r["区县代码 District ID"] == "合计 Total"
        and r["城乡 Urban/rural"] == "全部 All"
        and r["年份 Year"] == result.base_year
        and r["学段 Level"] == "小学 Primary"
    ]
    label = f"{result.base_year}年服务半径外人口·小学"
    assert _figure(figures, label).value == total["服务半径外 Out of reach (residents)"]


def test_summary_says_what_is_synthetic_under_its_title(report):
    """The plan's data note (the small city's: all synthetic) heads the summary's figures."""
    result, wb, _ = report
    assert result.plan.data_note and "SYNTHETIC" in result.plan.data_note
    assert wb.worksheets[0].cell(2, 1).value == result.plan.data_note


def test_school_resources_are_numbers_a_sum_can_add(changsha_result, tmp_path):
    """The resource columns (read from the CSV as text) are numbers, whole with separators."""
    path = write_report(changsha_result, tmp_path / "report.xlsx")
    ws = load_workbook(path, read_only=False)["学校 Schools"]
    cells = _column(ws, "县级以上骨干教师数 County-level backbone teachers")
    given = [c.value for c in cells if c.value is not None]
    assert len(given) > 100 and all(isinstance(v, int | float) for v in given)
    assert {c.number_format for c in cells if c.value is not None} == {"#,##0"}


def test_a_resource_that_is_not_a_number_is_an_error_naming_file_row_and_column(tmp_path):
    """The schools reader parses the balance resources as numbers (a SUM of text is 0 in
    the sheet, and the criteria turned text into NaN without a word): '12人' is an error
    naming the file, the row and the column; blank cells stay blank."""
    from xuewei.data import CHANGSHA_DIR
    from xuewei.errors import InputError
    from xuewei.gis import read_schools

    raw = pd.read_csv(CHANGSHA_DIR / "schools.csv", dtype=str, keep_default_na=False)
    raw.loc[3, "backbone_teachers"] = "12人"
    bad = tmp_path / "schools.csv"
    raw.to_csv(bad, index=False)
    with pytest.raises(InputError, match=r"schools\.csv row 4, column `backbone_teachers`"):
        read_schools(bad)
    raw.loc[3, "backbone_teachers"] = ""
    raw.to_csv(bad, index=False)
    s = read_schools(bad)
    assert s["backbone_teachers"].dtype == "float64" and pd.isna(s.loc[3, "backbone_teachers"])
    # a file without the resources gets none: their absence is what the criteria report
    without = raw.drop(columns=["backbone_teachers", "equipment_value_yuan"])
    without.to_csv(bad, index=False)
    assert "backbone_teachers" not in read_schools(bad)


def test_summary_district_table_and_charts(report):
    result, wb, path = report
    ws = wb[SUMMARY]
    (row,) = [r for r in range(1, ws.max_row) if ws.cell(r, 1).value == "区县代码 District ID"]
    summary = result.summary()
    for i, record in enumerate(summary.itertuples(index=False), start=1):
        cells = [ws.cell(row + i, j + 1).value for j in range(len(summary.columns))]
        assert cells[1] == record.name
        assert cells[2:] == [round(v) for v in record[2:]]
    assert ws.cell(row + len(summary), 1).value == "合计 Total"
    assert ws.auto_filter.ref == f"A{row}:K{row + len(summary) - 1}"  # the total row stays last
    # one chart per district, drawing the chart data: required, offered, and offered with
    # the places the proposals open by each year (compulsory, default scenario)
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)]
        assert b"<c:f>" in z.read(charts[0]) or b"<f>" in z.read(charts[0])
    assert len(charts) == len(ws._charts) == len(result.districts) == 4
    (data,) = [r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "年份 Year"]
    g = result.gaps[(result.gaps["level"] == "compulsory") & (result.gaps["scenario"] == 85.0)]
    opened = result.programme_for().groupby(["district_id", "year"])["cumulative_places"].sum()
    for k, district in enumerate(result.districts["district_id"]):
        name = result.districts["name"].iloc[k]
        labels = [ws.cell(data, 2 + 3 * k + j).value for j in range(3)]
        assert labels == [
            f"{name} 需求学位 Required",
            f"{name} 现有学位 Offered",
            f"{name} 现有+建议学位 Offered with the proposals",
        ]
        rows = g[g["district_id"] == district].sort_values("year")
        for i, (year, required, offered) in enumerate(
            rows[["year", "required", "offered"]].itertuples(index=False), start=1
        ):
            assert ws.cell(data + i, 1).value == year
            assert ws.cell(data + i, 2 + 3 * k).value == round(required)
            assert ws.cell(data + i, 3 + 3 * k).value == round(offered)
            planned = offered + opened.get((district, year), 0.0)
            assert ws.cell(data + i, 4 + 3 * k).value == round(planned)
    # the build programme closes district 1's gap at the horizon
    last = data + len(rows)
    assert ws.cell(last, 4).value >= ws.cell(last, 2).value


def test_formula_looking_text_stays_text(report):
    _, wb, path = report
    found = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in FORMULA_NAMES.values():
                    found.setdefault(cell.value, []).append(cell)
    assert set(found) == set(FORMULA_NAMES.values())
    for cells in found.values():
        assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)


def test_sources_in_plain_words(report):
    result, wb, _ = report
    ws = wb["标准与来源 Sources"]
    text = " ".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v)
    for jargon in ("shared/", ".toml", "standards-sources", ".md", "seed 0"):
        assert jargon not in text, jargon
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(list(result.standards.keys()))
    header = _header(ws)
    by_key = {r[header.index("配置项 Setting")]: dict(zip(header, r, strict=True)) for r in rows}
    row = by_key["class_size.primary"]
    assert row["标准 Standard"] == "标准班额 Class size · 小学 Primary"
    # a number, not text (Excel flagged "45" as a number stored as text)
    assert row["取值 Value"] == 45 and row["单位 Unit"] == "人/班 pupils per class"
    assert row["来源 Source"].startswith("GB 50099-2011 §3.0.1")
    assert by_key["access.radius_m.kindergarten"]["核实 Check"].startswith("待与原文核对")
    assert not by_key["class_size.primary"]["核实 Check"]
    assert by_key["places_per_1000.level_share.primary"]["取值 Value"] == "66.7%"
    for r in rows:
        assert "." not in r[0].split(" · ")[-1] or r[0][0].isdigit(), r[0]
        assert r[header.index("来源 Source")], r
    documents = [r[0] for r in wb["引用文件 Documents"].iter_rows(min_row=2, values_only=True)]
    assert "《长沙市新时代基础教育扩优提质行动计划》(2024)" in documents
    assert "GB 50099-2011《中小学校设计规范》" in documents


def test_every_standard_has_a_readable_name_and_unit():
    standards = load_standards()
    for key in standards.keys():
        group, _, leaf = key.rpartition(".")
        assert group in GROUP_NAMES and leaf in LEAF_NAMES, key
        assert standards.entry(key).unit in UNIT_NAMES, key


def test_plain_source_of_an_override_names_no_file():
    standards = load_standards(
        {"class_size": {"primary": 40}}, override_source="plan /data/city/plan.toml [standards]"
    )
    source, verify = plain_source(standards.source("class_size.primary"))
    assert source.startswith("本规划设定，原值 45 Set by this plan; was 45: GB 50099-2011")
    assert "plan.toml" not in source and "seed" not in source and not verify


def test_same_result_same_bytes(report, tmp_path):
    result, _, path = report
    again = write_report(result, tmp_path / "again.xlsx")
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (path, again)]
    assert digest[0] == digest[1]


ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_in_one_language(report, tmp_path, lang):
    """--lang zh|en: sheet names, headers, codes and summary words in that language alone."""
    result, both, _ = report
    path = write_report(result, tmp_path / f"{lang}.xlsx", lang=lang)
    wb = load_workbook(path)

    def foreign(text):
        return CJK.search(text) if lang == "en" else ENGLISH_WORD.search(text)

    assert len(wb.sheetnames) == len(both.sheetnames)
    assert not [n for n in wb.sheetnames if foreign(n)]
    for name in wb.sheetnames[1:]:
        headers = _header(wb[name])
        assert headers and not [h for h in headers if foreign(h)], name
    # the headline labels and notes (column A and E of the summary)
    figures = _figures(wb.worksheets[0])
    assert len(figures) == len(_figures(both.worksheets[0]))
    for label, value in figures.items():
        note = value.offset(column=1).value or ""
        assert not foreign(label) and not foreign(note), (label, note)
    # the data note under the title and the Data sheet's words (they were both languages)
    if result.plan.data_note:
        note = wb.worksheets[0]["A2"].value
        assert note and not foreign(note), note
    data = wb[wb.sheetnames[-1]]
    made = [
        r[1] for r in data.iter_rows(min_row=2, values_only=True) if r[0] in ("工具", "Made with")
    ]
    assert made and not foreign(made[0].replace("xuewei", "")), made
    years = [
        r[1]
        for r in data.iter_rows(min_row=2, values_only=True)
        if "Horizon" in r[0] or "期末" in r[0]
    ]
    assert years == [result.horizon]  # a number, not text
    # the same numbers, the codes as words of the language, rationale of that language only
    at = 1 + TABLE_SHEETS.index("缺口 Gaps")
    gaps, gaps_both = wb.worksheets[at], both.worksheets[at]
    numbers = [
        [c for c in r if isinstance(c, int | float)] for r in gaps.iter_rows(values_only=True)
    ]
    numbers_both = [
        [c for c in r if isinstance(c, int | float)] for r in gaps_both.iter_rows(values_only=True)
    ]
    assert numbers == numbers_both
    level = _column(gaps, "学段" if lang == "zh" else "Level")
    assert {c.value for c in level} == (
        {"小学", "初中", "义务教育"} if lang == "zh" else {"Primary", "Junior", "Compulsory"}
    )
    proposals = _header(wb.worksheets[1 + TABLE_SHEETS.index("建议(千人85) Proposals (85)")])
    assert ("理由" in proposals) == (lang == "zh")
    assert ("Rationale (English)" in proposals) == (lang == "en")
    if lang == "en":
        names = {c.value for c in _column(gaps, "District")}
        assert names == set(result.districts["name_en"])
        reach = wb.worksheets[1 + TABLE_SHEETS.index("可达性 Reach")]
        assert not [c.value for c in _column(reach, "Name") if CJK.search(c.value)]
        # the readiness sheets too: districts in English, what is missing in English
        ready = wb["Readiness"]
        for sheet in (ready, wb["Readiness detail"]):
            assert {c.value for c in _column(sheet, "District")} <= set(result.districts["name_en"])
        missing = [c.value for c in _column(ready, "What is missing") if c.value]
        assert missing and not [m for m in missing if CJK.search(m)], missing[:2]
        sources = [c.value for c in _column(ready, "Target year from") if c.value]
        assert sources and not [t for t in sources if CJK.search(t)], sources[:2]


@pytest.mark.parametrize(
    ("unit", "shortfall", "text"),
    [
        ("schools", 1.0, "差1所 1 school short"),
        ("places", 3809.0, "差3,809学位 3,809 places short"),
        ("pupils", 1763.0, "超出1,763学生 1,763 pupils over the limit"),
        ("coefficient of variation", 0.0241, "超出0.024 0.024 above the limit"),
    ],
)
def test_readiness_cells_say_short_or_over_as_the_limit_is_a_floor_or_a_ceiling(
    unit, shortfall, text
):
    """A floor missed is 'short' (one school, singular); a ceiling passed is 'over'/'above'."""
    from types import SimpleNamespace

    from xuewei.outputs._report_readiness import _cell_text

    row = SimpleNamespace(met=False, unit=unit, shortfall=shortfall)
    assert _cell_text(row, "both") == text


def test_unserved_estates_show_the_residents_of_the_year_they_are_counted_in(
    changsha_result, tmp_path
):
    """The unserved are a part of the base year's residents (the input scaled to the
    district's count), shown beside the input's: never more than the residents beside."""
    path = tmp_path / "report.xlsx"
    write_report(changsha_result, path)
    wb = load_workbook(path, read_only=True)
    rows = list(wb["未覆盖小区 Unserved estates"].iter_rows(values_only=True))
    wb.close()  # a read-only workbook keeps its file open until closed
    head = list(rows[0])
    year = changsha_result.base_year
    counted = head.index(f"{year}年常住人口 Residents {year}")
    assert "常住人口(输入数据) Residents as input" in head
    unserved = [i for i, h in enumerate(head) if "unserved residents, base year" in str(h)]
    assert len(unserved) == 2 and len(rows) > 100
    for row in rows[1:]:
        for i in unserved:
            assert row[i] is None or row[i] <= row[counted] + 0.5, row


def test_readiness_sheet_says_not_by_the_horizon_and_counts_special_schools(
    changsha_result, tmp_path
):
    """'Ready from' is never blank for a county assessed and not ready (it says so, as the
    CLI does); the special-education criterion counts schools, its unit."""
    path = tmp_path / "report.xlsx"
    write_report(changsha_result, path)
    wb = load_workbook(path, read_only=True)
    rows = list(wb["达标 Readiness"].iter_rows(values_only=True))
    wb.close()
    start = next(i for i, r in enumerate(rows) if r and r[0] == "区县代码 District ID")
    head, body = rows[start], [r for r in rows[start + 1 :] if r and r[0]]
    ready_from = head.index("全部达标起始年 Ready from")
    ready = head.index("按期达标 Ready by the target year")
    assert body and all(r[ready_from] is not None for r in body if r[ready] is not None)
    summary = changsha_result.readiness.summary
    for r in body:
        first = summary.set_index("district_id").loc[r[0], "first_year_ready"]
        if pd.isna(first):
            assert r[ready_from] == "规划期内未达标 not by the horizon"
        else:
            assert r[ready_from] == int(first)
    table = changsha_result.readiness.table
    special = table[table["criterion"] == "special_education"]
    assert len(special) and set(special["limit"]) <= {0.0, 1.0}
    assert (special["value"].dropna() == special["value"].dropna().round()).all()
    assert (special["value"].dropna() < 100).all()  # schools, not residents


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_changsha_data_note_in_one_language(changsha_result, tmp_path, lang):
    """The demo's note runs the Chinese into "·" without a space; in one language it was
    shown whole (both languages) under the title of the report and of the map."""
    note = changsha_result.plan.data_note
    assert note and CJK.search(note) and ENGLISH_WORD.search(note)
    path = write_report(changsha_result, tmp_path / f"{lang}.xlsx", lang=lang)
    wb = load_workbook(path, read_only=True)
    shown = wb.worksheets[0]["A2"].value
    wb.close()
    assert "SYNTHETIC" in shown if lang == "en" else "合成" in shown
    assert not (CJK.search(shown) if lang == "en" else re.search("SYNTHETIC", shown)), shown
