"""Execute notebooks/01_quickstart.ipynb from notebooks/; any cell error fails the test."""

from __future__ import annotations

import shutil

import pytest
from notebook_runner import NOTEBOOKS, check_run, run_notebook


@pytest.mark.usefixtures("notebook_plan")
def test_quickstart_notebook_runs() -> None:
    out = NOTEBOOKS / "out" / "quickstart"  # what the notebook writes (git-ignored)
    shutil.rmtree(out, ignore_errors=True)
    run = run_notebook("01_quickstart.ipynb")
    check_run("01_quickstart.ipynb", run)
    assert run.png >= 2  # the gap chart and the static map
    assert "schools are over capacity" in run.text
    assert "loads anything: False" in run.text  # the offline page fetches nothing
    assert "leaflet" in run.html.lower()  # the interactive map shows inline
    for name in (
        "plan.gpkg",
        "report.xlsx",
        "plan.html",
        "plan.png",
        "map_offline.html",
        "map_2030.html",
    ):
        assert (out / name).stat().st_size > 10_000, name
