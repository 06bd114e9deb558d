"""The readiness table in a plan run: targets as a plan input, one row per county."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from plan_helpers import write_city
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from xuewei._cli_readiness import print_readiness, readiness_lines
from xuewei.cli import app
from xuewei.config import load_plan
from xuewei.data import SynthCity, synth_school_attributes
from xuewei.errors import InputError
from xuewei.pipeline import PlanResult, run_plan, validate_plan


def _plan_with_targets(city: SynthCity, folder: Path, targets: str) -> Path:
    plan = write_city(city, folder)
    schools = pd.read_csv(folder / "schools.csv", dtype={"district_id": str})
    synth_school_attributes(schools, seed=3).to_csv(folder / "schools.csv", index=False)
    (folder / "targets.csv").write_text(targets, encoding="utf-8")
    text = plan.read_text(encoding="utf-8").replace(
        'population_raster = "population.tif"',
        'population_raster = "population.tif"\ntargets = "targets.csv"',
    )
    plan.write_text(text, encoding="utf-8")
    return plan


@pytest.fixture(scope="module")
def ready_run(small_city: SynthCity, tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    ids = small_city.districts["district_id"].astype(str).tolist()
    rows = "\n".join(f"{d},{2026 + 2 * i},True" for i, d in enumerate(ids))
    folder = tmp_path_factory.mktemp("ready_city")
    return run_plan(
        load_plan(
            _plan_with_targets(small_city, folder, f"district_id,target_year,synthetic\n{rows}\n")
        )
    )


def test_run_has_a_readiness_row_per_county_in_its_target_year(ready_run: PlanResult) -> None:
    r = ready_run.readiness
    assert r is not None
    ids = sorted(ready_run.districts["district_id"].astype(str))
    assert r.summary["district_id"].tolist() == ids
    assert r.summary["target_year"].tolist() == [2026, 2028, 2030, 2032]
    assert (r.summary["assessed_year"] == r.summary["target_year"]).all()
    assert r.missing_columns == ()  # the seven resources were given
    criteria = set(r.table["criterion"])
    assert {"deficit", "big_class", "big_school", "balance_cv", "resource_minimums"} <= criteria
    assert {"kindergarten", "special_education", "matching_school"} <= criteria
    # the deficit criterion is the build programme's remaining gap in the target year
    p = ready_run.programme_for()
    for row in r.table[r.table["criterion"] == "deficit"].itertuples():
        gap = p[
            (p["district_id"] == row.district_id)
            & (p["level"] == row.level)
            & (p["year"] == row.assessed_year)
        ]["remaining_gap"].iloc[0]
        assert row.value == pytest.approx(gap)


def test_unknown_district_in_targets_is_one_clear_error(
    small_city: SynthCity, tmp_path: Path
) -> None:
    plan = _plan_with_targets(small_city, tmp_path, "district_id,target_year\n999999,2030\n")
    with pytest.raises(InputError, match=r"targets.csv.*row 1.*999999"):
        run_plan(load_plan(plan))


def test_cli_lines_count_the_ready_counties_and_name_the_targets(ready_run: PlanResult) -> None:
    lines = readiness_lines(ready_run, lang="en")
    ready, total = ready_run.readiness.headline()  # type: ignore[union-attr]
    assert lines[0].startswith(f"{ready} / {total} counties ready")
    assert "targets.csv" in lines[0]
    assert len(lines) == 1 + total - ready
    # in both languages each says the count: the Chinese on a line of its own (it was
    # wrapped into the English after "0 / 9" at 80 columns)
    both = readiness_lines(ready_run, lang="both")
    assert both[0].startswith(f"{ready} / {total} counties ready")
    assert both[1] == f"{ready} / {total} 个区县按期达到优质均衡"
    assert len(both) == 2 + total - ready
    assert readiness_lines(ready_run, lang="zh")[0].startswith(f"{ready} / {total} 个区县")
    console = Console(width=80, record=True)
    print_readiness(console, ready_run, lang="both")
    shown = console.export_text().splitlines()
    for line in shown:
        assert cell_len(line) <= 80
    # the table of the counties not ready is boxed, as the other tables are
    if total > ready:
        assert any(line.startswith("┏") for line in shown) and shown[-1].startswith("└")


def test_plan_command_prints_the_readiness_line(small_plan: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["plan", str(small_plan), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "counties ready for high-quality balance" in res.stdout
    assert "none given: read at the horizon" in res.stdout


def test_validate_reports_a_bad_target_year(small_city: SynthCity, tmp_path: Path) -> None:
    ids = small_city.districts["district_id"].astype(str).tolist()
    plan = _plan_with_targets(small_city, tmp_path, f"district_id,target_year\n{ids[0]},20x0\n")
    problems = validate_plan(load_plan(plan))
    assert [(p.source, p.row, p.column) for p in problems] == [("targets.csv", 1, "target_year")]
