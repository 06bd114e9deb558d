"""Execute notebooks/03_catchments.ipynb from notebooks/; any cell error fails the test."""

from __future__ import annotations

import pytest
from notebook_runner import check_run, run_notebook


@pytest.mark.usefixtures("notebook_plan")
def test_catchments_notebook_runs() -> None:
    run = run_notebook("03_catchments.ipynb")
    check_run("03_catchments.ipynb", run)
    assert run.png >= 3  # shares by district, the two capacity views, the catchments
    assert "served + over capacity + out of reach = residents" in run.text
    assert "out_of_reach_share" in run.html and "assigned_utilisation" in run.html
