"""The command line respects the terminal: widths, stdout/stderr, refusals before work, errors.

Most commands run in-process (typer's ``CliRunner``) on the small synthetic plan, with
``run_plan`` replaced by a finished run where the pipeline itself is not under test. The
terminal width and the solver's C-level output need a real process: those run as one.
"""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from xuewei._cli_log import command_logging
from xuewei._cli_tables import print_summary
from xuewei.cli import app
from xuewei.config import load_plan
from xuewei.outputs import OUTPUT_FILES
from xuewei.pipeline import PlanResult, run_plan

runner = CliRunner()

# Run the command, then say on stderr whether HiGHS was started in this process, so the
# test knows the solver ran (its banner goes to the C-level stdout, out of rich's reach).
_RUN_CLI = """
import sys
from xuewei import cli
from xuewei.planning.siting import highs
try:
    cli.main()
finally:
    print("highs used:", highs._banner_done, file=sys.stderr)
"""


@pytest.fixture(scope="module")
def small_result(small_plan) -> PlanResult:
    return run_plan(load_plan(small_plan))


@pytest.fixture
def planned(monkeypatch, small_result) -> list[str]:
    """Replace the pipeline by the small city's finished run; lists the plans run."""
    names: list[str] = []

    def run_plan(plan):
        names.append(plan.name_en)
        return small_result

    monkeypatch.setattr("xuewei.pipeline.run_plan", run_plan)
    return names


@pytest.fixture
def no_work(monkeypatch) -> None:
    """Fail the test if a command reads a plan or runs or writes anything."""

    def forbidden(*args, **kwargs):
        raise AssertionError("the command started work before refusing")

    for name in ("xuewei.config.load_plan", "xuewei.pipeline.run_plan"):
        monkeypatch.setattr(name, forbidden)
    monkeypatch.setattr("xuewei.outputs.write_outputs", forbidden)
    monkeypatch.setattr("xuewei.outputs.redraw_map", forbidden)


@pytest.fixture(scope="module")
def in_80_columns(small_plan, tmp_path_factory):
    """``xuewei plan`` in a real process whose terminal is 80 columns wide."""
    out = tmp_path_factory.mktemp("cols80")
    env = {**os.environ, "COLUMNS": "80", "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, "plan", str(small_plan), "--out", str(out)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=300,
        check=False,
    )
    return proc, out


def _lines_of(text: str, *, district: str) -> list[str]:
    """The summary table's rows of a district (not the readiness table's, after it)."""
    text = text.split("counties ready", 1)[0]
    return [line for line in text.splitlines() if line.startswith("│") and district in line]


def test_tables_fit_80_columns(in_80_columns, small_result):
    proc, _ = in_80_columns
    assert proc.returncode == 0, proc.stderr
    widths = [cell_len(line) for line in proc.stdout.splitlines()]
    assert max(widths) <= 80
    # the narrow layout: the default scenario only, each district on one unwrapped line
    assert "required @85" in proc.stdout and "gap @85" in proc.stdout
    assert "@80" not in proc.stdout and "@90" not in proc.stdout
    summary = small_result.summary()
    for row in summary.itertuples():
        (line,) = _lines_of(proc.stdout, district=row.name)
        base = f"{row.residents_2024 / 1000:,.0f}"
        horizon = f"{row.residents_2035 / 1000:,.0f}"
        assert f"{base} → {horizon}" in line
        assert f"{row.offered:,.0f}" in line and f"{row.required_85:,.0f}" in line
    assert "build programme" in proc.stdout and "still short" in proc.stdout


def test_chatter_on_stderr_results_on_stdout(in_80_columns):
    """Progress and the solver stay off stdout; the tables and the paths written are on it."""
    proc, out = in_80_columns
    assert "highs used: True" in proc.stderr  # the solver did run
    for chatter in ("HiGHS", "Running", "Solving", "Presolv", "Coefficient", "✓"):
        assert chatter not in proc.stdout
    assert "✓ reading inputs, forecasting, catchments, siting" in proc.stderr
    assert "✓ writing outputs" in proc.stderr
    assert proc.stdout.startswith("合成市 Synthetic City")
    wrote = proc.stdout.split("wrote\n", 1)[1].split()
    assert wrote == [str(out / name) for name in OUTPUT_FILES]


def test_wide_shows_every_scenario_unsqueezed(planned, small_result, small_plan, tmp_path):
    res = runner.invoke(
        app,
        ["plan", str(small_plan), "--out", str(tmp_path / "o"), "--wide"],
        env={"COLUMNS": "80"},
    )
    assert res.exit_code == 0, res.output
    for s in ("80", "85", "90"):
        assert f"required @{s}" in res.stdout and f"gap @{s}" in res.stdout
    # the full table keeps its width past the terminal's edge instead of wrapping cells
    row = small_result.summary().iloc[0]
    (line,) = _lines_of(res.stdout, district=row["name"])
    assert f"{row['residents_2024']:,.0f}" in line and f"+{row['gap_90']:,.0f}" in line
    assert cell_len(line) > 80


def test_full_table_when_it_fits(planned, small_plan, tmp_path):
    res = runner.invoke(
        app, ["plan", str(small_plan), "--out", str(tmp_path / "o")], env={"COLUMNS": "200"}
    )
    assert res.exit_code == 0, res.output
    assert "gap @80" in res.stdout and "gap @90" in res.stdout


def test_narrow_table_fits_city_sized_numbers(small_result):
    """Millions of residents and hundreds of thousands of places still fit 80 columns."""
    summary = small_result.summary()
    numbers = [c for c in summary.columns if c not in ("district_id", "name")]
    big = summary.assign(**{c: summary[c] * 100 for c in numbers})

    class CitySized:
        def __getattr__(self, name):
            return getattr(small_result, name)

        def summary(self):
            return big

    console = Console(width=80, record=True)
    print_summary(console, CitySized(), wide=False)
    text = console.export_text()
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    total = big.iloc[-1]
    (line,) = _lines_of(text, district=total["name"])
    assert f"{total['residents_2024'] / 1000:,.0f} → {total['residents_2035'] / 1000:,.0f}" in line
    assert f"{total['required_85']:,.0f}" in line and f"+{total['gap_85']:,.0f}" in line


def test_verbose_logs_steps_on_stderr(planned, small_plan, tmp_path):
    out = tmp_path / "o"
    logger = logging.getLogger("xuewei")
    before = (list(logger.handlers), logger.level, logger.propagate)
    quiet = runner.invoke(app, ["plan", str(small_plan), "--out", str(out)])
    assert quiet.exit_code == 0, quiet.output
    assert "xuewei.outputs.write" not in quiet.stderr
    loud = runner.invoke(app, ["plan", str(small_plan), "--out", str(out), "-v", "--overwrite"])
    assert loud.exit_code == 0, loud.output
    for name in OUTPUT_FILES:
        assert f"xuewei.outputs.write: writing {out / name}" in loud.stderr
        assert f"writing {out / name}" not in loud.stdout
    # the command leaves the library's loggers as it found them
    logger = logging.getLogger("xuewei")
    assert (logger.handlers, logger.level, logger.propagate) == before


def test_log_records_drive_the_status_line():
    """A library step logged at INFO becomes the spinner's text; warnings print once."""

    class Status:
        def __init__(self) -> None:
            self.texts: list[str] = []

        def update(self, text: str) -> None:
            self.texts.append(text)

    console = Console(file=io.StringIO(), width=80)
    status = Status()
    logger = logging.getLogger("xuewei.test_cli")
    with command_logging(console, verbose=False) as handler:
        handler.status = status
        logger.info("siting new schools at %s per 1,000", 85)
        logger.warning("district 1 has no estates")
        logger.warning("district 1 has no estates")
    assert status.texts == ["siting new schools at 85 per 1,000…"]
    printed = console.file.getvalue()
    assert printed.count("warning: district 1 has no estates") == 1
    assert "siting" not in printed  # INFO lines only with --verbose


@pytest.mark.parametrize("command", ["demo", "plan"])
def test_existing_outputs_refused_before_any_work(command, no_work, small_plan, tmp_path):
    (tmp_path / "report.xlsx").write_text("an earlier run")
    args = [command] + ([str(small_plan)] if command == "plan" else [])
    res = runner.invoke(app, [*args, "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [
        f"error: {tmp_path} already holds report.xlsx; pass --overwrite to replace them"
    ]
    assert res.stdout == ""


def test_existing_outputs_follow_write_outputs_rule(no_work, tmp_path):
    """Only the files the run would write count: plan.png only with --png."""
    (tmp_path / "plan.png").write_bytes(b"png")
    (tmp_path / "notes.txt").write_text("mine")
    res = runner.invoke(app, ["demo", "--out", str(tmp_path), "--png"])
    assert res.exit_code == 2 and "already holds plan.png" in res.stderr
    not_a_folder = runner.invoke(app, ["demo", "--out", str(tmp_path / "notes.txt")])
    assert not_a_folder.exit_code == 2 and "is a file" in not_a_folder.stderr


def test_existing_outputs_not_refused_without_png(planned, tmp_path):
    (tmp_path / "plan.png").write_bytes(b"png")
    res = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert planned == ["Changsha"]
    assert (tmp_path / "plan.png").read_bytes() == b"png"


def test_map_refuses_existing_html_before_reading(no_work, tmp_path):
    gpkg = tmp_path / "plan.gpkg"
    gpkg.write_bytes(b"never read")
    html = tmp_path / "map.html"
    html.write_text("an earlier map")
    res = runner.invoke(app, ["map", str(gpkg), "--out", str(html)])
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [f"error: {html} exists; pass --overwrite to replace it"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["map", "missing.gpkg"], "saved result missing.gpkg does not exist"),
        (["plan", "missing.toml"], "plan file missing.toml does not exist"),
        (["validate", "missing.toml"], "plan file missing.toml does not exist"),
        (["plan", "."], "plan file . is a folder, not a file"),
        (["forecast", "missing.csv"], "population table missing.csv does not exist"),
        (["backtest", "missing.csv"], "population table missing.csv does not exist"),
    ],
)
def test_missing_files_one_line_exit_2(args, message, no_work, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, args)
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [f"error: {message}"]
    assert res.exception is None or isinstance(res.exception, SystemExit)


def test_map_of_files_that_are_not_a_saved_plan(small_plan, tmp_path):
    text = tmp_path / "plan.gpkg"
    text.write_text("not a database")
    res = runner.invoke(app, ["map", str(text), "--out", str(tmp_path / "m.html")])
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [
        f"error: {text} is not a GeoPackage; pass the plan.gpkg of xuewei plan or demo"
    ]
    other = small_plan.parent / "districts.gpkg"  # a GeoPackage, but not a result
    res = runner.invoke(app, ["map", str(other), "--out", str(tmp_path / "m.html")])
    assert res.exit_code == 2
    (line,) = res.stderr.splitlines()
    assert line.startswith(f"error: {other} is not a saved plan: no layer gaps, plan")
    assert not (tmp_path / "m.html").exists()


def test_unreadable_plan_file_exit_2(monkeypatch, tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_text("[plan]\n")
    opened = Path.open

    def refuse(self, *args, **kwargs):
        if self == plan:
            raise PermissionError(13, "Permission denied", str(self))
        return opened(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    res = runner.invoke(app, ["validate", str(plan)])
    assert res.exit_code == 2
    assert res.stderr.splitlines() == [f"error: cannot read plan file {plan}: Permission denied"]


def test_plan_file_not_text_is_an_input_problem(tmp_path):
    plan = tmp_path / "plan.toml"
    plan.write_bytes(b"\xff\xfe[plan]")
    res = runner.invoke(app, ["validate", str(plan)])
    assert res.exit_code == 1
    assert res.stderr.splitlines() == [
        f"error: {plan}: not UTF-8 text (invalid start byte at byte 0)"
    ]


def test_maps_offline_by_default_online_on_request(planned, small_plan, tmp_path):
    stub = str(small_plan)
    offline = runner.invoke(app, ["plan", stub, "--out", str(tmp_path / "off")])
    assert offline.exit_code == 0, offline.output
    page = (tmp_path / "off" / "plan.html").read_text(encoding="utf-8")
    assert "<script src=" not in page and "cdn.jsdelivr" not in page
    online = runner.invoke(app, ["plan", stub, "--out", str(tmp_path / "on"), "--online"])
    assert online.exit_code == 0, online.output
    page = (tmp_path / "on" / "plan.html").read_text(encoding="utf-8")
    assert "<script src=" in page
    old = runner.invoke(app, ["plan", stub, "--out", str(tmp_path / "old"), "--offline"])
    assert old.exit_code == 0, old.output
    assert "warning: --offline is the default now" in old.stderr
    assert "<script src=" not in (tmp_path / "old" / "plan.html").read_text(encoding="utf-8")
    both = runner.invoke(app, ["plan", stub, "--out", str(tmp_path / "x"), "--online", "--offline"])
    assert both.exit_code == 2 and not (tmp_path / "x").exists()


@pytest.mark.parametrize("command", ["demo", "plan"])
def test_tiles_none_and_png(command, planned, small_plan, tmp_path):
    args = [command] + ([str(small_plan)] if command == "plan" else [])
    out = tmp_path / "o"
    res = runner.invoke(app, [*args, "--out", str(out), "--tiles", "none", "--png", "--online"])
    assert res.exit_code == 0, res.output
    assert (out / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (out / "plan.html").read_text(encoding="utf-8")
    assert "tile.openstreetmap.org" not in page
    osm = runner.invoke(app, [*args, "--out", str(tmp_path / "osm"), "--online"])
    assert osm.exit_code == 0, osm.output
    assert "tile.openstreetmap.org" in (tmp_path / "osm" / "plan.html").read_text(encoding="utf-8")


def test_map_online_and_tiles_none(small_result, tmp_path):
    from xuewei.outputs import write_outputs

    write_outputs(small_result, tmp_path / "run")
    gpkg = str(tmp_path / "run" / "plan.gpkg")
    res = runner.invoke(app, ["map", gpkg, "--out", str(tmp_path / "a.html")])
    assert res.exit_code == 0, res.output
    assert "<script src=" not in (tmp_path / "a.html").read_text(encoding="utf-8")
    assert res.stdout.strip() == f"wrote {tmp_path / 'a.html'}"
    res = runner.invoke(app, ["map", gpkg, "--out", str(tmp_path / "b.html"), "--online"])
    assert res.exit_code == 0, res.output
    page = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "<script src=" in page and "tile.openstreetmap.org" in page
    res = runner.invoke(
        app, ["map", gpkg, "--out", str(tmp_path / "c.html"), "--online", "--tiles", "none"]
    )
    assert res.exit_code == 0, res.output
    assert "tile.openstreetmap.org" not in (tmp_path / "c.html").read_text(encoding="utf-8")


def test_tianditu_without_key_refused_up_front(no_work, small_plan, tmp_path):
    res = runner.invoke(
        app, ["plan", str(small_plan), "--out", str(tmp_path), "--tiles", "tianditu"]
    )
    assert res.exit_code == 2 and "--tianditu-key" in res.output


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_lang_applies_to_the_tables(lang, planned, small_result, small_plan, tmp_path):
    """--lang zh|en prints the tables' headers and the districts' names in that language
    only, within 80 columns."""
    res = runner.invoke(
        app,
        ["plan", str(small_plan), "--out", str(tmp_path / "o"), "--lang", lang],
        env={"COLUMNS": "80"},
    )
    assert res.exit_code == 0, res.output
    out = res.stdout
    tables = re.split(r"^(?:wrote|已写出)$", out, flags=re.M)[0]  # then paths, printed whole
    assert max(cell_len(line) for line in tables.splitlines()) <= 80
    districts = small_result.districts
    if lang == "zh":
        assert "区县" in out and "现有学位" in out and "新建学校" in out
        assert "district" not in out and "offered" not in out and "new schools" not in out
        assert all(name in out for name in districts["name"])
    else:
        assert "district" in out and "offered" in out and "still short" in out
        assert "区县" not in out and "现有学位" not in out and "建设时序" not in out
        assert all(name in out for name in districts["name_en"])
        assert not any(name in out for name in districts["name"])
    # the report too: sheet names in that language only
    sheets = load_workbook(tmp_path / "o" / "report.xlsx", read_only=True).sheetnames
    assert ("缺口" in sheets) == (lang == "zh") and ("Gaps" in sheets) == (lang == "en")


def test_quiet_prints_only_the_paths(planned, small_plan, tmp_path):
    """--quiet: stdout is the paths written, one a line; no spinner or table on stderr."""
    out = tmp_path / "q"
    res = runner.invoke(app, ["plan", str(small_plan), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [str(out / name) for name in OUTPUT_FILES]
    assert "✓" not in res.stderr and "reading inputs" not in res.stderr
    page = tmp_path / "m.html"
    res = runner.invoke(app, ["map", str(out / "plan.gpkg"), "--out", str(page), "-q"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [str(page)] and "✓" not in res.stderr


def _command_name(command) -> str:
    return command.name or command.callback.__name__.replace("_", "-")


@pytest.mark.parametrize("name", sorted(_command_name(c) for c in app.registered_commands))
def test_help_paragraphs_flow_at_80_columns(name):
    # typer keeps a docstring's line breaks, so 90-column source lines wrapped in two at 80
    # columns; each paragraph must reach the terminal as one line for it to wrap
    command = next(c for c in app.registered_commands if _command_name(c) == name)
    assert command.help
    assert all("\n" not in p for p in command.help.split("\n\n")), command.help
    result = CliRunner().invoke(app, [name, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert max(cell_len(line) for line in result.output.splitlines()) <= 80


def test_forecast_ensemble_pools_the_areas_by_default(tmp_path):
    """Without --weighting the ensemble is weighted and calibrated on all areas pooled (the
    same weights in every area); a trend method needs no weighting."""
    import numpy as np
    import pandas as pd

    years = np.arange(2005, 2025)
    rows = [
        {"district_id": d, "year": int(y), "population": 1e5 * (1 + g) ** (y - 2005) + 50 * (y % 3)}
        for d, g in (("a", 0.01), ("b", 0.03), ("c", -0.005))
        for y in years
    ]
    src = tmp_path / "pop.csv"
    pd.DataFrame(rows).to_csv(src, index=False)
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["forecast", str(src), "--out", str(out), "--horizon", "2027"])
    assert res.exit_code == 0, res.output
    # stdout says what was written; the progress bar is chatter, on stderr
    assert res.stdout.split().count("wrote") == 2 and "forecasting" not in res.stdout
    assert "forecasting" in res.stderr
    w = pd.read_csv(tmp_path / "f.weights.csv", dtype={"area": str}, encoding="utf-8-sig")
    assert set(w["area"]) == {"a", "b", "c"}
    assert (w.groupby(["horizon", "method"])["weight"].agg(np.ptp) < 1e-9).all()
    # the backtest points of all three areas: origins 2010-2023, 14 one year ahead each
    assert w.loc[w["horizon"] == 1, "n_points"].unique().tolist() == [3 * 14]
    trend = [*("forecast", str(src), "--out", str(tmp_path / "t.csv")), "--method", "ets"]
    assert runner.invoke(app, trend).exit_code == 0


def test_plan_in_english_prints_the_data_note_in_english(small_plan, tmp_path):
    """`--lang en` printed the plan's data note in both languages at the end."""
    assert "合成" in small_plan.read_text(encoding="utf-8")  # the note has both
    res = runner.invoke(
        app, ["plan", str(small_plan), "--out", str(tmp_path / "out"), "--lang", "en"]
    )
    assert res.exit_code == 0, res.output
    assert "SYNTHETIC" in res.stdout
    assert "合成" not in res.stdout
