"""Exceptions raised by xuewei.

Every error a user can cause is an :class:`XueweiError`. Subclasses also inherit the
matching built-in exception (as rasterio does), so ``except ValueError`` keeps working for
code that does not know about xuewei.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CRSError",
    "ConfigError",
    "InfeasibleError",
    "InputError",
    "OutputExistsError",
    "Problem",
    "XueweiError",
]


class XueweiError(Exception):
    """Base class of every error xuewei raises on purpose."""


class Problem:
    """One violation found while validating an input.

    Parameters
    ----------
    source
        The file (or layer) the problem is in, e.g. ``"schools.csv"``.
    message
        What was found, what was expected and how to fix it.
    row
        The 1-based data row (CSV/XLSX: the line below the header is row 1) or feature
        number, when the problem belongs to one row.
    column
        The column (field) name, when the problem belongs to one column.
    """

    __slots__ = ("column", "message", "row", "source")

    def __init__(
        self, source: str, message: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        self.source = source
        self.message = message
        self.row = row
        self.column = column

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column `{self.column}`"
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"


class InputError(XueweiError, ValueError):
    """An input file or table breaks the data contract.

    Carries every :class:`Problem` found, so that a user fixes them all in one pass.
    """

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("input", problems)]
        self.problems: list[Problem] = list(problems)
        lines = [str(p) for p in self.problems]
        if len(lines) == 1:
            text = lines[0]
        else:
            text = f"{len(lines)} problems found:\n" + "\n".join(f"  - {line}" for line in lines)
        super().__init__(text)


class ConfigError(XueweiError, ValueError):
    """A plan file or a standards override is invalid."""


class CRSError(XueweiError, ValueError):
    """A coordinate reference system is missing, unknown or inconsistent."""


class InfeasibleError(XueweiError, RuntimeError):
    """An optimisation problem has no feasible solution."""


class OutputExistsError(XueweiError, FileExistsError):
    """An output already exists and overwriting was not asked for."""
