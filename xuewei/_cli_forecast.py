"""Which rows of a population table ``xuewei forecast`` treats as the total of the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from xuewei.errors import InputError, Problem

__all__ = [
    "check_horizon",
    "plural",
    "rebasing_note",
    "say_failures",
    "say_rebasing",
    "total_id",
    "with_kind",
]

#: A census that moved the estimates by less than this is not worth a sentence.
REBASING_SAID = 0.01
#: Areas named in the sentence; the others are counted.
_NAMED = 3


def total_id(table: pd.DataFrame, option: str | None, path: Path, err: Any) -> str | None:
    """Return the id of the total's rows: ``--city-id`` as given, else found, else ``None``.

    ``none`` (any case) asks for none. A found total is said on ``err`` (a rich console),
    with the years that show it, so the analyst knows why the areas add up.
    """
    from xuewei.forecast import counted_together, find_total

    ids = sorted(set(table["district_id"].astype(str)))
    if option is not None and option.strip().lower() == "none":
        return None
    if option is not None:
        if option not in ids:
            raise InputError(
                [
                    Problem(
                        path.name,
                        f"--city-id {option!r} has no rows; the ids are {ids[:12]}",
                        column="district_id",
                    )
                ]
            )
        return option
    found = find_total(table)
    if found is None:
        return None
    years = counted_together(table)
    err.print(
        f"{found} is the total of the other {len(ids) - 1} areas (they sum to it in "
        f"{', '.join(str(y) for y in years)}): each is forecast as its share of {found}'s "
        "forecast, so they add up to it; --city-id none forecasts each on its own.",
        markup=False,
        highlight=False,
    )
    return found


def rebasing_note(table: pd.DataFrame) -> str | None:
    """Say how far past censuses re-based the estimates, and what the intervals leave out.

    ``None`` when no census moved an area's estimates by :data:`REBASING_SAID` or more.

    Examples
    --------
    >>> t = pd.DataFrame({"district_id": ["c"] * 3, "year": [2010, 2019, 2020],
    ...                   "population": [100.0, 100.0, 120.0],
    ...                   "basis": ["census", "estimate", "census"]})
    >>> print(rebasing_note(t))  # doctest: +NORMALIZE_WHITESPACE
    The 2020 census re-based the estimates before it: c +20.0 %. The past years are the
    re-based series; the intervals measure the trend's errors on it and leave out a future
    census re-basing the estimates again.
    """
    from xuewei.forecast import census_closures

    closures = census_closures(table)
    moved = closures[(closures["ratio"] - 1.0).abs() >= REBASING_SAID]
    if moved.empty:
        return None
    parts = []
    for year, rows in moved.groupby("census_year", sort=True):
        change = rows["ratio"].to_numpy(dtype=float) - 1.0
        order = np.argsort(-np.abs(change), kind="stable")
        ids = rows["district_id"].astype(str).to_numpy()
        named = [f"{ids[i]} {100 * change[i]:+.1f} %" for i in order[:_NAMED]]
        more = len(rows) - len(named)
        tail = f" and {plural(more, 'more area')}" if more else ""
        said = ", ".join(named)
        parts.append(f"The {year} census re-based the estimates before it: {said}{tail}.")
    return (
        " ".join(parts) + " The past years are the re-based series; the intervals measure the "
        "trend's errors on it and leave out a future census re-basing the estimates again."
    )


def say_rebasing(table: pd.DataFrame, err: Any) -> None:
    """Print :func:`rebasing_note` on ``err`` (a rich console), if there is one."""
    note = rebasing_note(table)
    if note:
        err.print(note, markup=False, highlight=False)


def check_horizon(table: pd.DataFrame, horizon: int, path: Path) -> None:
    """Refuse a ``--horizon`` that is not after the table's last year (a usage error)."""
    import typer

    counted_to = int(table["year"].max())
    if horizon <= counted_to:
        raise typer.BadParameter(
            f"{horizon}: {path.name} runs to {counted_to}; forecast to a later year "
            f"(e.g. --horizon {counted_to + 10})",
            param_hint="--horizon",
        )


def plural(n: int, word: str) -> str:
    """``1 area``, ``3 areas``.

    >>> plural(1, "area"), plural(3, "area")
    ('1 area', '3 areas')
    """
    return f"{n} {word}{'' if n == 1 else 's'}"


def say_failures(failures: pd.DataFrame, err: Any) -> None:
    """List the areas that could not be forecast, with their errors, on ``err``."""
    err.print(f"[bold red]{plural(len(failures), 'area')} failed:[/]")
    for row in failures.itertuples(index=False):
        line = f"  - {row.district_id}: {row.error}: {row.message}"
        err.print(line, markup=False, soft_wrap=True)


def with_kind(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Give every row a ``kind``: ``forecast_batch``'s rows are all after their area's data."""
    return forecasts if "kind" in forecasts else forecasts.assign(kind="forecast")
