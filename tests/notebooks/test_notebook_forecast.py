"""Execute notebooks/02_forecast.ipynb from notebooks/; any cell error fails the test."""

from __future__ import annotations

from notebook_runner import check_run, run_notebook


def test_forecast_notebook_runs() -> None:
    run = run_notebook("02_forecast.ipynb")
    check_run("02_forecast.ipynb", run)
    assert run.png >= 3  # members, the district's interval, the districts stacked
    assert "failures" in run.text and "implied_per_1000" in run.html
