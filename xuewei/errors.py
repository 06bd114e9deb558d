"""Exceptions raised by xuewei.

Every error a user can cause is an :class:`XueweiError`. Its four families say what went
wrong — an input (:class:`InputError`), the standards or a plan file
(:class:`StandardsError`, :class:`ConfigError`), a solver (:class:`SolverError`) or an
output (:class:`OutputError`) — and each also inherits the matching built-in exception (as
rasterio does), so ``except ValueError`` keeps working for code that does not know about
xuewei. Where an error belongs to a place in a file, it carries ``source``, ``row`` and
``column``.

This module is the ground floor of the package: it imports nothing of xuewei.

Examples
--------
>>> err = InputError([Problem("schools.csv", "got -40; capacity must be ≥ 0",
...                           row=17, column="capacity")])
>>> str(err)
'schools.csv row 17, column `capacity`: got -40; capacity must be ≥ 0'
>>> isinstance(err, ValueError), err.source, err.row, err.column
(True, 'schools.csv', 17, 'capacity')
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "CRSError",
    "ConfigError",
    "InfeasibleError",
    "InputError",
    "OutputError",
    "OutputExistsError",
    "Problem",
    "SolverError",
    "StandardsError",
    "XueweiError",
    "count_problems",
]


class XueweiError(Exception):
    """Base class of every error xuewei raises on purpose.

    Parameters
    ----------
    message
        What was found, what was expected and how to fix it.
    source
        The file, layer or table the error belongs to, when there is one.
    row
        The 1-based data row (or feature number), when the error belongs to one row.
    column
        The column (field or key), when the error belongs to one column.
    """

    def __init__(
        self,
        message: str = "",
        *,
        source: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        super().__init__(message)
        self.source = source
        self.row = row
        self.column = column


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
    hidden
        For a line that stands for problems not listed one by one ("… and 941 more
        rows"): how many it stands for; 0 for a problem of its own.
    """

    __slots__ = ("column", "hidden", "message", "row", "source")

    def __init__(
        self,
        source: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        hidden: int = 0,
    ) -> None:
        self.source = source
        self.message = message
        self.row = row
        self.column = column
        self.hidden = hidden

    def __str__(self) -> str:
        where = self.source
        if self.row is not None:
            where += f" row {self.row}"
        if self.column is not None:
            where += f", column `{self.column}`"
        return f"{where}: {self.message}"

    def __repr__(self) -> str:
        return f"Problem({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))


def count_problems(problems: Iterable[Problem]) -> str:
    """Say how many problems there are, listed or not: ``"961 problems found (21 lines)"``.

    Examples
    --------
    >>> count_problems([Problem("a.csv", "bad", row=1), Problem("a.csv", "… more", hidden=9)])
    '10 problems found (2 lines)'
    >>> count_problems([Problem("a.csv", "bad", row=1)])
    '1 problem found'
    """
    listed = list(problems)
    total = sum(p.hidden or 1 for p in listed)
    said = f"{total:,} problem{'s' if total != 1 else ''} found"
    return said if total == len(listed) else f"{said} ({len(listed)} lines)"


def _listing(lines: list[str], what: str) -> str:
    if len(lines) == 1:
        return lines[0]
    return f"{len(lines)} {what}:\n" + "\n".join(f"  - {line}" for line in lines)


class InputError(XueweiError, ValueError):
    """An input file or table breaks the data contract.

    Carries every :class:`Problem` found, so that a user fixes them all in one pass;
    ``source``, ``row`` and ``column`` are those of the first problem.
    """

    def __init__(self, problems: Iterable[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("input", problems)]
        self.problems: list[Problem] = list(problems)
        first = self.problems[0] if self.problems else None
        super().__init__(
            _listing([str(p) for p in self.problems], "problems found"),
            source=first.source if first else None,
            row=first.row if first else None,
            column=first.column if first else None,
        )


class ConfigError(XueweiError, ValueError):
    """A plan file, a command-line choice or an argument is invalid."""


class StandardsError(ConfigError):
    """The planning standards (packaged, a standards file or a plan's overrides) are invalid.

    ``problems`` lists every problem found, one line each; ``column`` is the first key.
    """

    def __init__(self, problems: Iterable[str] | str, *, source: str | None = None) -> None:
        self.problems: list[str] = [problems] if isinstance(problems, str) else list(problems)
        super().__init__(_listing(self.problems, "problems in the standards"), source=source)


class CRSError(XueweiError, ValueError):
    """A coordinate reference system is missing, unknown or inconsistent."""


class SolverError(XueweiError, RuntimeError):
    """An optimisation or estimation step failed (a solver error, not an input error)."""


class InfeasibleError(SolverError):
    """An optimisation problem has no feasible solution."""


class OutputError(XueweiError, OSError):
    """An output cannot be written (an existing file, a read-only folder, a full disk)."""


class OutputExistsError(OutputError, FileExistsError):
    """An output already exists and overwriting was not asked for."""
