"""Atomic outputs (issue #22 item 2): a run killed at any moment leaves no half-written file.

``xuewei plan --overwrite`` runs in a child process over the complete outputs of an
earlier run (of the same plan with another horizon, so that earlier and new files differ)
and is killed with SIGKILL at several moments: while it reads and computes, while it
writes the GeoPackage, the workbook and the CSV, while it draws the map, and while it
writes the map page (on a disk made slow, so that the page is half-written when the kill
comes). Afterwards the folder holds the earlier outputs, every one intact, and nothing
else but hidden temporary files, which the next run removes. Killed in an empty folder, a
run leaves no output file at all.
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import cli_process, digests, run_cli
from openpyxl import load_workbook

from xuewei.outputs import OUTPUT_FILES
from xuewei.outputs.atomic import TEMP_MARK

# A slow disk, for the child process: a map page and a CSV are written in two halves a
# second apart (written in one go, a small temporary file exists for a millisecond: too
# short to kill in, and the poll that looks for it may miss it altogether).
SLOW_PAGES = """
import pathlib, time
import pandas as pd
from xuewei.cli import main
to_csv = pd.DataFrame.to_csv
def csv_slowly(self, path_or_buf=None, *args, encoding=None, **kwargs):
    if not str(path_or_buf).endswith(".csv"):
        return to_csv(self, path_or_buf, *args, encoding=encoding, **kwargs)
    text = to_csv(self, None, *args, **kwargs)
    with open(path_or_buf, "w", encoding=encoding or "utf-8", newline="") as fh:
        fh.write(text[: len(text) // 2])
        fh.flush()
        time.sleep(1.0)
        fh.write(text[len(text) // 2 :])
pd.DataFrame.to_csv = csv_slowly
write_text = pathlib.Path.write_text
def slowly(self, data, encoding=None, errors=None, newline=None):
    if self.suffix != ".html":
        return write_text(self, data, encoding=encoding, errors=errors, newline=newline)
    with self.open("w", encoding=encoding, errors=errors, newline=newline) as fh:
        fh.write(data[: len(data) // 2])
        fh.flush()
        time.sleep(1.0)
        fh.write(data[len(data) // 2 :])
    return len(data)
pathlib.Path.write_text = slowly
main()
"""


def _writing(suffix: str) -> Callable[[list[str]], bool]:
    # the file a writer is filling: the temporary of a temporary (`..plan.xuewei-tmp-….gpkg`)
    return lambda names: any(n.startswith("..") and n.endswith(suffix) for n in names)


def _drawing(names: list[str]) -> bool:
    # the forecast CSV is done (its temporary renamed to its staged name), the map not begun
    csv = any(n.startswith(".forecast") and n.endswith(".csv") for n in names)
    return csv and not any(n.endswith(".html") for n in names)


# when to kill: seconds after the start, or what is being written
MOMENTS: dict[str, float | Callable[[list[str]], bool]] = {
    "reading inputs (1 s)": 1.0,
    "forecasting (3 s)": 3.0,
    "writing plan.gpkg": _writing(".gpkg"),
    "writing report.xlsx": _writing(".xlsx"),
    "writing forecast.csv": _writing(".csv"),
    "drawing the map": _drawing,
    "writing plan.html": _writing(".html"),
}


def _complete(folder: Path) -> None:
    """Every output file in ``folder`` opens and is whole."""
    for name in OUTPUT_FILES:
        path = folder / name
        if not path.exists():
            continue
        if name.endswith(".gpkg"):
            with sqlite3.connect(path) as db:
                assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                layers = {r[0] for r in db.execute("SELECT table_name FROM gpkg_contents")}
            assert {"districts", "schools", "gaps", "plan"} <= layers
        elif name.endswith(".xlsx"):
            book = load_workbook(path, read_only=True)
            assert "数据说明 Data" in book.sheetnames
            book.close()
        elif name.endswith(".html"):
            assert path.read_text(encoding="utf-8").rstrip().endswith("</html>")
        elif name.endswith(".csv"):
            assert len(pd.read_csv(path)) > 0


def _kill_at(moment: str, args: list[str], out: Path) -> tuple[float, list[str]]:
    """Start the run, SIGKILL it at ``moment``; return when, and the temporaries then seen."""
    when = MOMENTS[moment]
    proc = cli_process(args, code=SLOW_PAGES)
    start = time.monotonic()
    seen: list[str] = []
    try:
        while proc.poll() is None:
            if isinstance(when, float):
                if time.monotonic() - start >= when:
                    break
            else:
                seen = sorted(p.name for p in out.glob(f".*{TEMP_MARK}*"))
                if when(seen):
                    break
            time.sleep(0.002)
        else:
            pytest.fail(f"the run ended before the moment to kill it ({moment})")
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)  # reaps it and closes its pipes
    assert proc.returncode == -signal.SIGKILL
    return time.monotonic() - start, seen


@pytest.fixture(scope="module")
def earlier(small_plan: Path, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """Complete outputs of the plan with the horizon 2030 (they differ from 2035's)."""
    plan = small_plan.parent / "plan_2030.toml"
    plan.write_text(
        small_plan.read_text(encoding="utf-8").replace("horizon = 2035", "horizon = 2030"),
        encoding="utf-8",
    )
    out = tmp_path_factory.mktemp("earlier")
    run_cli(["plan", str(plan), "--out", str(out)])
    return out, digests(out)


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_killed_run_leaves_earlier_outputs_intact(
    moment, earlier, two_runs, small_plan, tmp_path
) -> None:
    before, old = earlier
    new = digests(two_runs[0])
    out = tmp_path / "out"
    out.mkdir()
    for name in OUTPUT_FILES:
        (out / name).write_bytes((before / name).read_bytes())
    args = ["plan", str(small_plan), "--out", str(out), "--overwrite"]
    when, seen = _kill_at(moment, args, out)
    print(f"killed at {moment}: {when:.2f} s; temporaries then: {seen}")
    _complete(out)
    after = digests(out)
    assert after in (old, new), "each output is the earlier one or the new one, all alike"
    assert after == old, "killed before the renames: the earlier outputs stay"
    stray = [p.name for p in out.iterdir() if p.name not in OUTPUT_FILES]
    assert all(name.startswith(".") and TEMP_MARK in name for name in stray), stray
    if moment.startswith("writing") and not moment.endswith(".csv"):
        # the next run removes what the killed one left, and writes the new outputs
        run_cli(args)
        assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
        assert digests(out) == new


@pytest.mark.parametrize("moment", ["writing plan.gpkg", "writing plan.html"])
def test_killed_first_run_leaves_no_output(moment, small_plan, tmp_path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _kill_at(moment, ["plan", str(small_plan), "--out", str(out)], out)
    assert [p for p in OUTPUT_FILES if (out / p).exists()] == []
    assert all(p.name.startswith(".") and TEMP_MARK in p.name for p in out.iterdir())


def test_all_or_nothing_and_leftovers_removed(tmp_path) -> None:
    """A failure while writing the set renames nothing; a killed write's leftovers go."""
    from xuewei.outputs.atomic import atomic_paths

    paths = {"a": tmp_path / "a.csv", "b": tmp_path / "b.html"}
    paths["a"].write_text("earlier a")
    stale = tmp_path / f".a{TEMP_MARK}x1.csv"
    stale.write_text("half")
    journal = tmp_path / f"..b{TEMP_MARK}x2{TEMP_MARK}x3.html-journal"
    journal.write_text("half")
    with pytest.raises(RuntimeError), atomic_paths(paths, overwrite=True) as staged:
        assert not stale.exists() and not journal.exists()
        staged["a"].write_text("new a")
        raise RuntimeError("killed before b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    assert paths["a"].read_text() == "earlier a"
    with atomic_paths(paths, overwrite=True) as staged:
        for key, tmp in staged.items():
            tmp.write_text(f"new {key}")
    assert [paths[k].read_text() for k in "ab"] == ["new a", "new b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.html"]
