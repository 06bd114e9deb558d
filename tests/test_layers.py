"""The package's shape: arrows one way, small modules, no private names across modules.

Layers, each importing only itself and those before it (anywhere in a module: at the top,
inside a function, or under ``TYPE_CHECKING``):

    ground (xuewei.errors, xuewei.vocabulary, xuewei._lazy) → data → gis → forecast
    → planning → maps → top (xuewei.config, pipeline, outputs, cli)

The checks read the source (``ast``), so they hold for code paths no test runs.
"""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {
    "xuewei.data": ROOT / "data",
    "xuewei.gis": ROOT / "gis",
    "xuewei.forecast": ROOT / "forecast",
    "xuewei.planning": ROOT / "planning",
    "xuewei.maps": ROOT / "maps",
    "xuewei": ROOT / "xuewei",
}
GROUND = ("xuewei.errors", "xuewei.vocabulary", "xuewei._lazy")
ORDER = (
    "ground",
    "xuewei.data",
    "xuewei.gis",
    "xuewei.forecast",
    "xuewei.planning",
    "xuewei.maps",
    "top",
)
MAX_MODULE_LINES = 600


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join((package, *parts))
            found[name] = path
    return found


MODULES = _modules()


def layer(module: str) -> str:
    """Return the layer of a module name of the package."""
    if module == "xuewei":  # the root namespace re-exports every layer
        return "top"
    if module.startswith(GROUND):
        return "ground"
    for package in ORDER[1:-1]:
        if module == package or module.startswith(package + "."):
            return package
    return "top"


def _imports(path: Path, module: str) -> list[tuple[int, str, list[str]]]:
    """Every ``xuewei`` import of a module: line, module imported, names imported."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name, []) for a in node.names if a.name.startswith("xuewei")]
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = module if is_package else module.rsplit(".", 1)[0]
                for _ in range(node.level - 1):
                    base = base.rsplit(".", 1)[0]
                target = f"{base}.{target}" if target else base
            if target.startswith("xuewei"):
                out.append((node.lineno, target, [a.name for a in node.names]))
    return out


def test_the_package_is_found() -> None:
    assert {"xuewei.errors", "xuewei.gis.coords", "xuewei.pipeline", "xuewei.maps"} <= set(MODULES)
    for name in MODULES:
        assert importlib.util.find_spec(name) is not None, name


@pytest.mark.parametrize("module", sorted(MODULES))
def test_arrows_point_one_way(module: str) -> None:
    here = ORDER.index(layer(module))
    upward = []
    for line, target, names in _imports(MODULES[module], module):
        targets = [target] if names == [] or target != "xuewei" else [f"xuewei.{n}" for n in names]
        for t in targets:
            if ORDER.index(layer(t)) > here:
                upward.append(f"line {line}: {t}")
    assert not upward, f"{module} ({layer(module)}) imports upward: {upward}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_name_crosses_modules(module: str) -> None:
    crossing = [
        f"line {line}: {target}.{name}"
        for line, target, names in _imports(MODULES[module], module)
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert not crossing, f"{module} imports private names: {crossing}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_modules_stay_small(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_MODULE_LINES, f"{module}: {lines} lines; split it by concern"


def test_vocabulary_is_defined_once() -> None:
    """Levels, catchment methods and coordinate systems have one definition."""
    words = ("LEVELS", "CatchmentMethod", "CoordinateSystem", "CATCHMENT_LEVELS", "plan_crs")
    definitions: dict[str, list[str]] = {w: [] for w in words}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            targets: list[str] = []
            if isinstance(node, ast.Assign):
                targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                targets = [node.target.id]
            elif isinstance(node, ast.FunctionDef | ast.ClassDef):
                targets = [node.name]
            for t in targets:
                if t in definitions:
                    definitions[t].append(name)
    assert definitions == {w: ["xuewei.vocabulary"] for w in words}


MAX_FUNCTION_LINES = 80


def _long_functions(path: Path) -> list[str]:
    """Functions whose body (no docstring, blank or comment lines) is over the limit and
    that do not say why at their top (a ``# Kept whole`` comment)."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        if not body:
            continue
        text = lines[body[0].lineno - 1 : node.end_lineno]
        code = [t for t in text if t.strip() and not t.strip().startswith("#")]
        head = lines[node.lineno - 1 : body[0].lineno + 2]
        if len(code) > MAX_FUNCTION_LINES and not any("# Kept whole" in t for t in head):
            found.append(f"{node.name} ({len(code)} lines)")
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_functions_stay_short_or_say_why(module: str) -> None:
    long = _long_functions(MODULES[module])
    assert not long, f"{module}: {long}; split them, or say why at their top (# Kept whole: …)"
