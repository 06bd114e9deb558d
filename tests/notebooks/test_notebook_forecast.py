"""Execute notebooks/02_forecast.ipynb from notebooks/; any cell error fails the test."""

from __future__ import annotations

from notebook_runner import run_notebook


def test_forecast_notebook_runs() -> None:
    run = run_notebook("02_forecast.ipynb")
    assert "failures" in run.text and "implied_per_1000" in run.text
