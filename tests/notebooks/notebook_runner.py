"""Execute a notebook of notebooks/ as an analyst would, from a copy without its outputs.

The stored notebooks carry their outputs so that their tables and figures show on GitHub;
a test never relies on them. :func:`run_notebook` strips them, runs every cell in a kernel
started in notebooks/ (relative paths as for an analyst), and :func:`check_run` then asks
that the run drew at least one figure and that the stored copy shows every cell that shows
something when run (an edit stored without outputs fails here).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: The environment variable naming the plan the notebooks run (default: Changsha).
PLAN_VARIABLE = "XUEWEI_PLAN"


@dataclass(frozen=True)
class Executed:
    """A run: what it printed (``text``), showed as HTML (``html``), its PNG figures."""

    notebook: NotebookNode
    text: str
    html: str
    png: int


def read_stored(name: str) -> NotebookNode:
    """Return the notebook as stored in notebooks/, outputs included."""
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def stripped(nb: NotebookNode) -> NotebookNode:
    """Return a copy of a notebook without outputs or execution counts."""
    clean = copy.deepcopy(nb)
    for cell in clean.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return clean


def outputs(nb: NotebookNode) -> list[NotebookNode]:
    """Every output of every code cell, in order."""
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def shows(cell: NotebookNode) -> bool:
    """Whether a code cell shows something other than warnings (stderr)."""
    return any(o.get("name") != "stderr" for o in cell.get("outputs", []))


def run_notebook(name: str, *, timeout: int = 600) -> Executed:
    """Run every cell of a stripped copy; the first failing cell raises ``CellExecutionError``."""
    nb = stripped(read_stored(name))
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    shown = outputs(nb)
    errors = [o for o in shown if o.get("output_type") == "error"]
    assert not errors, errors
    text = "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in shown)
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in shown)
    png = sum("image/png" in o.get("data", {}) for o in shown)
    return Executed(notebook=nb, text=text, html=html, png=png)


def check_run(name: str, run: Executed) -> None:
    """A run drew a figure, and the stored copy shows every cell the run shows."""
    assert run.png >= 1, f"{name}: no figure was shown as image/png"
    stored = [c for c in read_stored(name).cells if c.cell_type == "code"]
    ran = [c for c in run.notebook.cells if c.cell_type == "code"]
    missing = [
        c.get("id", i)
        for i, (c, s) in enumerate(zip(ran, stored, strict=True))
        if shows(c) and not shows(s)
    ]
    assert not missing, (
        f"{name}: cells {missing} show output when run but are stored without it; "
        "execute the notebook and store it with its outputs"
    )
