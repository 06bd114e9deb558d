"""Execute a notebook of notebooks/ as an analyst would (kernel started in notebooks/)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@dataclass(frozen=True)
class Executed:
    """What the notebook printed (``text``) and displayed as HTML (``html``)."""

    text: str
    html: str


def run_notebook(name: str, *, timeout: int = 120) -> Executed:
    """Run every cell; the first failing cell raises ``CellExecutionError``."""
    path = NOTEBOOKS / name
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    assert not errors, errors
    text = "".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    return Executed(text=text, html=html)
