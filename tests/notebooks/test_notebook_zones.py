"""Execute notebooks/05_zones.ipynb from notebooks/; any cell error fails the test."""

from __future__ import annotations

import pytest
from notebook_runner import NOTEBOOKS, check_run, run_notebook


@pytest.mark.usefixtures("notebook_plan")
def test_zones_notebook_runs() -> None:
    out = NOTEBOOKS / "out" / "zones"
    for name in ("zones.gpkg", "zones.xlsx", "zones.html"):
        (out / name).unlink(missing_ok=True)
    run = run_notebook("05_zones.ipynb")
    check_run("05_zones.ipynb", run)
    assert "SYNTHETIC" in run.text
    assert "every unit in one zone, pupils in zones = pupils of the units" in run.text
    assert "zones not in one piece: 0" in run.text
    assert "over_bound" in run.html and "utilisation" in run.html
    assert "written: out/zones/zones.xlsx" in run.text
    for name in ("zones.gpkg", "zones.xlsx", "zones.html"):
        assert (out / name).stat().st_size > 1_000
