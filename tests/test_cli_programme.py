"""``xuewei programme``: the build programme of a saved result, by year and by district."""

from __future__ import annotations

import io
import re

import pandas as pd
import pyogrio
import pytest
from rich.console import Console
from typer.testing import CliRunner

from xuewei._cli_programme import district_programme_table
from xuewei.cli import app
from xuewei.config import load_plan
from xuewei.outputs import write_outputs
from xuewei.pipeline import run_plan

runner = CliRunner()


@pytest.fixture(scope="module")
def saved(small_plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("programme")
    result = run_plan(load_plan(small_plan))
    write_outputs(result, out)
    return result, out / "plan.gpkg"


def _rows(text: str) -> dict[str, list[str]]:
    """Table rows of rich output keyed by their first cell (box characters dropped)."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in re.split(r"[│┃]", line) if c.strip()]
        if len(cells) > 1:
            rows[cells[0]] = cells[1:]
    return rows


def _render(table) -> str:
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


def test_district_rows_hand_computed() -> None:
    # district A: primary opens a school in 2027 (900 places) against gaps 500 → 800 by 2028;
    # junior has a surplus (−200) that must not fill primary's gap. District B: nothing opens.
    programme = pd.DataFrame(
        {
            "scenario": 85.0,
            "district_id": ["A"] * 4 + ["B"] * 2,
            "level": ["primary", "primary", "junior", "junior", "primary", "primary"],
            "year": [2027, 2028, 2027, 2028, 2027, 2028],
            "new_schools": [1, 0, 0, 0, 0, 0],
            "expansions": [0, 0, 0, 0, 0, 0],
            "places_added": [900.0, 0, 0, 0, 0, 0],
            "cumulative_places": [900.0, 900, 0, 0, 0, 0],
            "gap": [500.0, 800, -100, -200, 50, 120],
            "remaining_gap": [-400.0, -100, -100, -200, 50, 120],
        }
    )
    names = {
        "A": {"zh": "甲区", "en": "A district", "both": "甲区 A district"},
        "B": {"zh": "乙区", "en": "B district", "both": "乙区 B district"},
    }
    rows = _rows(_render(district_programme_table(programme, names, 85.0, lang="en")))
    # first opens, new schools, expansions, places added, short before and after (2028)
    assert rows["A district"] == ["2027", "1", "0", "900", "800", "0"]
    assert rows["B district"] == ["—", "0", "0", "0", "120", "120"]


def test_programme_prints_the_saved_tables_figures(saved) -> None:
    result, gpkg = saved
    stored = pyogrio.read_dataframe(gpkg, layer="programme")
    assert len(stored) == len(result.programme)
    res = runner.invoke(app, ["programme", str(gpkg), "--lang", "en"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    ours = result.programme_for()
    rows = _rows(res.output)
    by_year = ours.groupby("year")["places_added"].sum()
    for year, places in by_year.items():
        assert rows[str(year)][2] == f"{places:,.0f}"
    names = result.districts.set_index("district_id")["name_en"]
    assert "…" not in res.output  # nothing cut to fit
    for key, part in ours.groupby("district_id"):
        cells = rows[str(names[key])]
        assert cells[3] == f"{part['places_added'].sum():,.0f}"
        assert cells[1] == f"{int(part['new_schools'].sum()):,}"


def test_one_district_by_code_or_name(saved) -> None:
    result, gpkg = saved
    key = str(result.districts["district_id"].iloc[0])
    name = str(result.districts["name"].iloc[0])
    by_code = runner.invoke(app, ["programme", str(gpkg), "--district", key, "--lang", "zh"])
    by_name = runner.invoke(app, ["programme", str(gpkg), "--district", name, "--lang", "zh"])
    assert by_code.exit_code == 0, by_code.output
    assert by_code.output == by_name.output
    assert by_code.output.startswith(name)
    ours = result.programme_for()
    ours = ours[ours["district_id"] == key].groupby("year")["cumulative_places"].sum()
    rows = _rows(by_code.output)
    for year, places in ours.items():
        assert rows[str(year)][3] == f"{places:,.0f}"


def test_bad_district_scenario_and_file(saved, tmp_path) -> None:
    _, gpkg = saved
    res = runner.invoke(app, ["programme", str(gpkg), "--district", "Atlantis"])
    assert res.exit_code == 2 and "--district 'Atlantis': not a district" in res.output
    res = runner.invoke(app, ["programme", str(gpkg), "--scenario", "70"])
    assert res.exit_code == 2 and "--scenario 70" in res.output
    other = tmp_path / "other.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"key": ["a"], "value": ["b"]}), other, layer="plan")
    res = runner.invoke(app, ["programme", str(other)])
    assert res.exit_code == 2 and "is not a saved plan" in res.output
    pyogrio.write_dataframe(
        pd.DataFrame({"district_id": ["a"]}), other, layer="districts", append=True
    )
    res = runner.invoke(app, ["programme", str(other)])
    assert res.exit_code == 2 and "no build programme" in res.output
    assert "Traceback" not in res.output


def test_net_to_date_says_which_mergers_it_takes_off() -> None:
    """'net to date' drops when a merger closes a school: the table's caption says so, with
    the schools and places of each year; without closures there is no caption."""
    from xuewei._cli_tables import programme_years_table

    rows = pd.DataFrame(
        {
            "district_id": "a",
            "level": "primary",
            "year": [2025, 2026, 2027],
            "new_schools": [0, 0, 1],
            "expansions": 0,
            "places_added": [0.0, 0.0, 1350.0],
            "closures": [1, 0, 0],
            "places_closed": [270.0, 0.0, 0.0],
            "cumulative_places": [-270.0, -270.0, 1080.0],
            "remaining_gap": [500.0, 600.0, -300.0],
        }
    )
    text = _render(programme_years_table(rows, 85.0, lang="en"))
    assert _rows(text)["2025"] == ["0", "0", "0", "-270", "500"]
    assert "net to date is net of the schools merged away: 1 in 2025 (270 places)" in text
    plain = rows.assign(closures=0, places_closed=0.0)
    assert "merged away" not in _render(programme_years_table(plain, 85.0, lang="en"))
