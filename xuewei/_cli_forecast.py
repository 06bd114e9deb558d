"""Which rows of a population table ``xuewei forecast`` treats as the total of the others."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from xuewei.errors import InputError, Problem

__all__ = ["total_id"]


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
