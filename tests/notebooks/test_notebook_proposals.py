"""Execute notebooks/04_proposals.ipynb from notebooks/; any cell error fails the test."""

from __future__ import annotations

import pytest
from notebook_runner import NOTEBOOKS, check_run, run_notebook


@pytest.mark.usefixtures("notebook_plan")
def test_proposals_notebook_runs() -> None:
    out = NOTEBOOKS / "out" / "proposals"
    (out / "plan.html").unlink(missing_ok=True)
    run = run_notebook("04_proposals.ipynb")
    check_run("04_proposals.ipynb", run)
    assert run.png >= 3  # the programme, the static map, one district
    assert "SYNTHETIC" in run.text
    assert "sites used at 80" in run.text and "new_build" in run.html
    assert (out / "plan.html").stat().st_size > 10_000
