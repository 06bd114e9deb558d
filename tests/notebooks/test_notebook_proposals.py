"""Execute notebooks/04_proposals.ipynb from notebooks/; any cell error fails the test."""

from __future__ import annotations

from notebook_runner import run_notebook


def test_proposals_notebook_runs() -> None:
    run = run_notebook("04_proposals.ipynb")
    assert "SYNTHETIC" in run.text
    assert "sites used at 80" in run.text and "new_build" in run.text
