"""Execute notebooks/03_catchments.ipynb from notebooks/; any cell error fails the test."""

from __future__ import annotations

from pathlib import Path

from notebook_runner import NOTEBOOKS, run_notebook


def test_catchments_notebook_runs() -> None:
    run = run_notebook("03_catchments.ipynb")
    assert "unserved" in run.text.lower()


def test_every_notebook_has_a_test() -> None:
    here = Path(__file__).parent
    tested = "".join(p.read_text(encoding="utf-8") for p in here.glob("test_notebook_*.py"))
    for notebook in NOTEBOOKS.glob("*.ipynb"):
        assert notebook.name in tested, f"{notebook.name} is not executed by any test"
