"""The gap between places required and places offered, per district, level, year, scenario."""

from __future__ import annotations

import pandas as pd

from xuewei.errors import InputError, Problem

__all__ = ["place_gaps"]


def place_gaps(required: pd.DataFrame, offered: pd.DataFrame) -> pd.DataFrame:
    """Join demand and supply; ``gap = required − offered`` (positive: places missing).

    Parameters
    ----------
    required
        Output of :func:`~xuewei.planning.required_places`.
    offered
        Output of :func:`~xuewei.planning.offered_places` for the same districts and years.

    Returns
    -------
    pandas.DataFrame
        The rows of ``required`` with ``offered``, ``gap``, ``gap_lower``, ``gap_upper``
        (the gap at the residents' interval bounds) and ``gap_per_1000`` (the gap per
        1,000 residents).

    Examples
    --------
    >>> req = pd.DataFrame({"district_id": ["a"], "year": [2030], "level": ["primary"],
    ...                     "scenario": [90.0], "residents": [1e5], "required": [6000.0],
    ...                     "required_lower": [5500.0], "required_upper": [6600.0]})
    >>> off = pd.DataFrame({"district_id": ["a"], "year": [2030], "level": ["primary"],
    ...                     "offered": [5000.0]})
    >>> place_gaps(req, off)[["gap", "gap_lower", "gap_upper", "gap_per_1000"]].iloc[0].tolist()
    [1000.0, 500.0, 1600.0, 10.0]
    """
    keys = ["district_id", "year", "level"]
    out = required.merge(offered[[*keys, "offered"]], on=keys, how="left", validate="m:1")
    missing = out["offered"].isna()
    if missing.any():
        first = out.loc[missing, keys].iloc[0].tolist()
        raise InputError(
            [
                Problem(
                    "offered",
                    f"no places offered for {dict(zip(keys, first, strict=True))} "
                    f"({int(missing.sum())} rows of the required places have none); expected "
                    "one row per district, year and level",
                )
            ]
        )
    out["gap"] = out["required"] - out["offered"]
    out["gap_lower"] = out["required_lower"] - out["offered"]
    out["gap_upper"] = out["required_upper"] - out["offered"]
    out["gap_per_1000"] = out["gap"] / out["residents"] * 1000.0
    return out
