"""Lazy package namespaces (PEP 562): a package's names are imported on first use.

A package ``__init__`` lists its public names once, as imports inside an
``if TYPE_CHECKING:`` block (which type checkers and readers see), and calls
:func:`attach`; the names are then loaded from their modules when first touched, through
``lazy_loader`` (scientific-python). Importing ``xuewei.gis.coords`` thus no longer imports
geopandas, statsmodels and folium through the packages above it. Reading the block instead
of repeating the names in a table keeps one list per package.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lazy_loader

__all__ = ["attach"]


def attach(
    package: str, init_file: str, *, extra: tuple[str, ...] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Return ``__getattr__``, ``__dir__`` and ``__all__`` for a package's ``__init__``.

    Parameters
    ----------
    package
        The package's ``__name__``.
    init_file
        The package's ``__file__``; its ``if TYPE_CHECKING:`` imports name the public API.
    extra
        Public names defined in the ``__init__`` itself, added to ``__all__``.
    """
    tree = ast.parse(Path(init_file).read_text(encoding="utf-8"))
    submodules: list[str] = []
    attrs: dict[str, list[str]] = {}
    for node in tree.body:
        if not (isinstance(node, ast.If) and _is_type_checking(node.test)):
            continue
        for stmt in node.body:
            if not isinstance(stmt, ast.ImportFrom) or stmt.module is None:
                continue
            module = stmt.module
            if module == package:  # ``from xuewei import gis``: whole subpackages
                submodules += [alias.name for alias in stmt.names]
            elif module.startswith(package + "."):
                attrs.setdefault(module[len(package) + 1 :], []).extend(
                    alias.name for alias in stmt.names
                )
    getattr_, dir_, names = lazy_loader.attach(package, submodules, attrs)
    return getattr_, dir_, sorted({*names, *extra})


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )
