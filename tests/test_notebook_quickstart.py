"""Execute notebooks/01_quickstart.ipynb from notebooks/; any cell error fails the test."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "01_quickstart.ipynb"


def test_quickstart_notebook_runs() -> None:
    out = NOTEBOOK.parent / "out" / "quickstart"  # what the notebook writes (git-ignored)
    shutil.rmtree(out, ignore_errors=True)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb,
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    assert "schools are over capacity" in text
    assert "loads anything: False" in text  # the offline page fetches nothing
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "folium" in html or "leaflet" in html.lower()  # the map shows inline
    for name in (
        "changsha.html",
        "changsha_offline.html",
        "changsha_80_vs_90.html",
        "changsha.png",
    ):
        assert (out / name).stat().st_size > 10_000, name
