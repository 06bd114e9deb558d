"""The notebooks as stored: what they say first, what they import, and the outputs they carry.

They are read on GitHub, where only stored outputs show: each is stored executed, with its
figures as PNG, without machine paths, and small. Whether they still run is the business of
the ``test_notebook_*`` modules, which execute a copy without outputs.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from notebook_runner import NOTEBOOKS, outputs, read_stored

NAMES = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
TESTS = Path(__file__).resolve().parents[1]
# modules only the tests can import: the tests package and its helper files
TEST_MODULES = {"tests"} | {p.stem for p in TESTS.rglob("*.py")}
MAX_BYTES = 3_000_000
MACHINE_PATH = re.compile(r"/work/|/home/|/root/|/tmp/|/Users/|site-packages|[A-Za-z]:\\")


def _code(name: str) -> str:
    """The code cells as one Python source, IPython magics and shell lines left out."""
    cells = [c.source for c in read_stored(name).cells if c.cell_type == "code"]
    lines = "\n".join(cells).splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith(("%", "!")))


def test_every_notebook_has_a_test() -> None:
    here = Path(__file__).parent
    tested = "".join(p.read_text(encoding="utf-8") for p in here.glob("test_notebook_*.py"))
    assert NAMES
    for name in NAMES:
        assert name in tested, f"{name} is not executed by any test"


@pytest.mark.parametrize("name", NAMES)
def test_starts_with_title_purpose_and_synthetic_note(name: str) -> None:
    first = read_stored(name).cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith("# "), "the first cell starts with the title"
    assert "**Purpose:**" in first.source
    assert "SYNTHETIC" in first.source, "say that Changsha's schools, estates... are synthetic"


@pytest.mark.parametrize("name", NAMES)
def test_imports_only_installed_packages(name: str) -> None:
    source = _code(name)
    assert "sys.path" not in source and "PYTHONPATH" not in source
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert "xuewei" in imported
    assert not imported & TEST_MODULES, f"{name} imports from tests/: {imported & TEST_MODULES}"


@pytest.mark.parametrize("name", NAMES)
def test_stored_executed_with_figures(name: str) -> None:
    nb = read_stored(name)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{name}: store it executed top to bottom in one kernel (execution counts {counts})"
    )
    shown = outputs(nb)
    assert not [o for o in shown if o.get("output_type") == "error"]
    assert any("image/png" in o.get("data", {}) for o in shown), f"{name}: no PNG figure stored"
    assert (NOTEBOOKS / name).stat().st_size <= MAX_BYTES


@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs_are_portable(name: str) -> None:
    nb = read_stored(name)
    for cell in nb.cells:
        assert "execution" not in cell.get("metadata", {}), "store no execution timings"
    text = "".join(
        o.get("text", "")
        + "".join(str(v) for k, v in o.get("data", {}).items() if not k.startswith("image/"))
        for o in outputs(nb)
    )
    found = MACHINE_PATH.findall(text)
    assert not found, f"{name}: outputs name paths of the machine they ran on: {found[:3]}"
