"""No formula injection (issue #22 item 4, Excel and CSV): text that looks like a formula
is written as text.

OWASP's CSV-injection guidance: a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return is read by a spreadsheet as a formula. In the workbook such text is a
string cell with Excel's quote prefix; in a CSV it gets a leading ``'``.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from typer.testing import CliRunner

from xuewei.cli import app
from xuewei.outputs import csv_safe, write_csv
from xuewei.outputs._report_format import put

FORMULAS = ["=1+1", '=HYPERLINK("http://example.com","x")', "+86 1+1", "-2+3", "@SUM(A1)",
            "\t=1+1", "\r=1+1"]  # fmt: skip


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def test_csv_text_made_inert_numbers_kept(tmp_path) -> None:
    frame = pd.DataFrame(
        {
            "name": [*FORMULAS, "-5", "育英小学"],
            "value": [-1.5] * (len(FORMULAS) + 2),
        }
    )
    path = write_csv(frame, tmp_path / "t.csv")
    rows = _rows(path)[1:]
    names = [r[0] for r in rows]
    assert names == ["'" + f for f in FORMULAS] + ["-5", "育英小学"], "a plain number is no formula"
    assert {r[1] for r in rows} == {"-1.500"}, "numbers are numbers, not escaped"
    assert frame["name"].iloc[0] == "=1+1", "the input is not changed"
    assert csv_safe(frame.astype({"name": "string"}))["name"].iloc[0] == "'=1+1"


def test_forecast_csv_of_formula_ids(small_plan: Path, tmp_path: Path) -> None:
    """`xuewei forecast` on areas whose ids look like formulas writes them inert."""
    pop = pd.read_csv(small_plan.parent / "population.csv", dtype=str)
    ids = {"990101": "=1+1", "990102": "+1+990102", "990103": "-990103x", "990104": "@990104"}
    pop = pop[pop["district_id"].isin(list(ids))].replace({"district_id": ids})
    pop.to_csv(tmp_path / "population.csv", index=False)
    out = tmp_path / "forecast.csv"
    args = ["forecast", str(tmp_path / "population.csv"), "--out", str(out), "--method", "naive"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    rows = _rows(out)
    column = rows[0].index("district_id")
    assert {r[column] for r in rows[1:]} == {"'" + v for v in ids.values()}


def test_workbook_cells_stay_text() -> None:
    ws = Workbook().active
    for i, text in enumerate(FORMULAS, start=1):
        cell = put(ws, i, 1, text)
        assert cell.data_type == "s" and cell.quotePrefix, repr(text)
        assert cell.value == text
    number = put(ws, 99, 1, -5)
    assert number.data_type == "n" and not number.quotePrefix


def test_report_and_csv_of_a_plan_with_formula_names(tmp_path, small_plan) -> None:
    """A plan whose names look like formulas: the report keeps them as text (the names do
    not reach forecast.csv, which carries ids)."""
    from openpyxl import load_workbook

    folder = tmp_path / "plan"
    shutil.copytree(small_plan.parent, folder)
    schools = pd.read_csv(folder / "schools.csv", dtype=str)
    schools.loc[0, "name"] = "=1+1"
    schools.loc[1, "name"] = "@SUM(A1)"
    schools.to_csv(folder / "schools.csv", index=False)
    res = CliRunner().invoke(app, ["plan", str(folder / "plan.toml"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    book = load_workbook(tmp_path / "o" / "report.xlsx")
    cells = [c for row in book["学校 Schools"].iter_rows() for c in row if c.value in FORMULAS]
    assert {c.value for c in cells} == {"=1+1", "@SUM(A1)"}
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
