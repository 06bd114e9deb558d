"""The bad-input matrix (issue #22 item 1): each kind of bad input gets its one answer.

Every case of :data:`bad_inputs.CASES` edits a copy of the small synthetic plan and runs
the command line on it: a bad input ends in one clear error (no traceback) naming the
file, row, column and value, with exit code 1; a usage problem exits 2; an input that is
fine, or is fixed with a warning that counts the rows fixed, exits 0.
"""

from __future__ import annotations

import shutil
import traceback
from pathlib import Path

import pytest
from bad_inputs import CASES, EXIT, Case, documented_table, matrix_table
from typer.testing import CliRunner

from xuewei.cli import app
from xuewei.data import SynthCity

runner = CliRunner()


@pytest.fixture(scope="module")
def base_plan(small_plan: Path, small_city: SynthCity, tmp_path_factory) -> Path:
    """The small plan with candidate sites too: the folder every case starts from."""
    folder = tmp_path_factory.mktemp("base") / "plan"
    shutil.copytree(small_plan.parent, folder)
    sites = small_city.candidate_sites
    table = sites.drop(columns="geometry").copy()
    table["lon"] = sites.geometry.x.round(6)
    table["lat"] = sites.geometry.y.round(6)
    table.to_csv(folder / "sites.csv", index=False)
    plan = folder / "plan.toml"
    plan.write_text(
        plan.read_text(encoding="utf-8") + 'candidate_sites = "sites.csv"\n', encoding="utf-8"
    )
    return plan


def run_case(case: Case, base_plan: Path, tmp_path: Path):
    folder = tmp_path / "plan"
    shutil.copytree(base_plan.parent, folder)
    undo = case.edit(folder)
    fill = {"plan": str(folder / "plan.toml"), "out": str(folder / "out"), "dir": str(folder)}
    args = [a.format(**fill) for a in case.command]
    try:
        res = runner.invoke(app, args)
        leftovers = sorted(p.name for p in (folder / "out").glob("*")) if undo else []
        return res, leftovers
    finally:
        if undo is not None:
            undo()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.input}: {c.kind}" for c in CASES])
def test_bad_input(case: Case, base_plan: Path, tmp_path: Path) -> None:
    res, leftovers = run_case(case, base_plan, tmp_path)
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        tb = "".join(traceback.format_exception(res.exception))
        pytest.fail(f"uncaught {type(res.exception).__name__}:\n{tb}\n{res.output}")
    assert "Traceback" not in res.output
    assert res.exit_code == EXIT[case.outcome], res.output
    for words in case.expect:
        assert words in res.output, f"{words!r} not in:\n{res.output}"
    if case.outcome == "error":
        assert "problem" in res.output or "error:" in res.output
    if case.outcome == "ok":
        assert "warning:" not in res.output, res.output
    if case.outcome == "warning":
        assert "warning:" in res.output, res.output
    assert leftovers == [], "an output that could not be written leaves nothing behind"


def test_matrix_is_wide_enough() -> None:
    """At least 40 kinds of bad input, across every input and the command line."""
    kinds = {(c.input, c.kind) for c in CASES}
    assert len(kinds) == len(CASES), "each case is its own kind"
    assert len(CASES) >= 40
    inputs = {c.input.split(" ")[0].rstrip(",") for c in CASES}
    expected = {"districts", "population", "schools", "estates", "population_raster"}
    expected |= {"candidate_sites", "targets", "neighbour_schools", "plan", "CLI"}
    assert expected <= inputs


def test_documented_matrix_is_the_tested_one() -> None:
    """docs/bad-inputs.md shows exactly these cases (`python tests/hardening/bad_inputs.py`)."""
    assert documented_table() == matrix_table()
