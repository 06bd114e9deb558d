"""Execute notebooks/01_quickstart.ipynb from notebooks/; any cell error fails the test."""

from __future__ import annotations

import shutil

from notebook_runner import NOTEBOOKS, run_notebook


def test_quickstart_notebook_runs() -> None:
    out = NOTEBOOKS / "out" / "quickstart"  # what the notebook writes (git-ignored)
    shutil.rmtree(out, ignore_errors=True)
    run = run_notebook("01_quickstart.ipynb")
    assert "schools are over capacity" in run.text
    assert "loads anything: False" in run.text  # the offline page fetches nothing
    assert "folium" in run.html or "leaflet" in run.html.lower()  # the map shows inline
    for name in (
        "changsha.html",
        "changsha_offline.html",
        "changsha_80_vs_90.html",
        "changsha.png",
    ):
        assert (out / name).stat().st_size > 10_000, name
