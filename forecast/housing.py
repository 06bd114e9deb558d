"""Housing-pipeline forecasts: residents and pupils that new estates bring.

Where a district grows by new estates (小区) more than by its past trend, planners count the
pipeline: each estate's dwellings, completed in a known year, bring
``dwellings × occupancy × household size`` residents and
``dwellings × occupancy × pupil yield`` pupils of each level. Pupil yield changes with the
years since completion (young families move in first, their children reach school age a
few years later), so yields take an optional profile by years since completion. Every
number is a keyword: household size and the per-100-dwellings yields default to the
:class:`~xuewei.data.Standards` passed as ``standards`` (``forecast.household_size.default``,
``forecast.pupil_yield_per_100_dwellings``; default the packaged standards), occupancy and
the profile default to no adjustment (1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from xuewei.data import Standards, load_standards
from xuewei.errors import InputError, Problem
from xuewei.forecast.trend import FORECAST_COLUMNS

__all__ = ["forecast_housing", "pupil_yields"]

# The standards give UK "secondary" (5 grades); China's junior school has 3.
_UK_SECONDARY_GRADES = 5


def pupil_yields(*, standards: Standards | None = None) -> dict[str, float]:
    """Return the default pupils per 100 new dwellings per level, from the standards.

    ``primary`` is ``forecast.pupil_yield_per_100_dwellings.primary``; ``junior`` is
    ``forecast.pupil_yield_per_100_dwellings.junior`` if the standards have it, else the
    ``secondary`` value scaled from the 5 grades it counts to the ``grades.junior`` of
    junior school (3).

    Parameters
    ----------
    standards
        The standards in force; ``None`` means the packaged defaults
        (:func:`~xuewei.data.load_standards`).

    Examples
    --------
    >>> pupil_yields()
    {'primary': 20.0, 'junior': 9.0}
    >>> from xuewei.data import load_standards
    >>> pupil_yields(standards=load_standards(
    ...     {"forecast": {"pupil_yield_per_100_dwellings": {"secondary": 25.0}}}))
    {'primary': 20.0, 'junior': 15.0}
    """
    std = standards if standards is not None else load_standards()
    key = "forecast.pupil_yield_per_100_dwellings"
    primary = float(std.number(f"{key}.primary"))
    if f"{key}.junior" in std.entries:
        junior = float(std.number(f"{key}.junior"))
    else:
        secondary = float(std.number(f"{key}.secondary"))
        junior = secondary * int(std.grades["junior"]) / _UK_SECONDARY_GRADES
    return {"primary": primary, "junior": junior}


def _profile(values: Mapping[int, float] | float, ages: np.ndarray) -> np.ndarray:
    if isinstance(values, int | float):
        return np.where(ages >= 0, float(values), 0.0)
    keys = np.array(sorted(values), dtype=np.int64)
    vals = np.array([values[int(k)] for k in keys], dtype=np.float64)
    idx = np.clip(np.searchsorted(keys, ages, side="right") - 1, 0, len(keys) - 1)
    return np.where(ages >= 0, vals[idx], 0.0)


def forecast_housing(
    estates: pd.DataFrame,
    *,
    horizon: int,
    base_year: int,
    household_size: float | None = None,
    occupancy: Mapping[int, float] | float = 1.0,
    pupil_yield: Mapping[str, float] | None = None,
    yield_profile: Mapping[int, float] | float = 1.0,
    interval_factors: tuple[float, float] = (1.0, 1.0),
    include_existing: bool = False,
    dwellings_col: str = "dwellings",
    source: str = "estates",
    standards: Standards | None = None,
) -> pd.DataFrame:
    """Forecast residents and pupils that estates completed after the base year bring.

    Parameters
    ----------
    estates
        Table with ``district_id``, ``completion_year`` and ``dwellings`` (or the column
        named by ``dwellings_col``).
    horizon
        The last year forecast.
    base_year
        Estates completed in or before it are in the base population already (unless
        ``include_existing``); forecast years are ``base_year + 1 … horizon``.
    household_size
        Persons per occupied dwelling; default ``forecast.household_size.default`` of
        ``standards``.
    occupancy
        Share of dwellings occupied, a number or a profile ``{years since completion:
        share}`` (the value of the largest key ≤ the age applies; later ages keep the last).
    pupil_yield
        Pupils per 100 occupied dwellings per level; default :func:`pupil_yields` of
        ``standards``.
    yield_profile
        Multiplier of the yields by years since completion (same form as ``occupancy``).
    interval_factors
        ``(low, high)`` multipliers giving ``lower`` and ``upper`` (e.g. from the spread
        of a local yield survey); default no interval.
    include_existing
        Also count estates completed up to the base year.
    dwellings_col
        Column of dwellings.
    source
        Name of the estates input, for error messages.
    standards
        The standards in force (household size, pupil yields); ``None`` means the
        packaged defaults (:func:`~xuewei.data.load_standards`).

    Returns
    -------
    pandas.DataFrame
        :data:`~xuewei.forecast.FORECAST_COLUMNS`, quantities ``residents`` and each level
        of ``pupil_yield``, ``method`` ``housing``; one row per district with estates,
        quantity and year.

    Examples
    --------
    1,000 dwellings completed in 2026, 2.5 persons each, 80 % occupied in the first year
    and fully from the second; 20 primary pupils per 100 dwellings:

    >>> est = pd.DataFrame({"district_id": ["a"], "completion_year": [2026],
    ...                     "dwellings": [1000]})
    >>> f = forecast_housing(est, horizon=2027, base_year=2025, household_size=2.5,
    ...                      occupancy={0: 0.8, 1: 1.0}, pupil_yield={"primary": 20.0})
    >>> f.pivot(index="year", columns="quantity", values="value").values.tolist()
    [[160.0, 2000.0], [200.0, 2500.0]]
    """
    problems = [
        Problem(source, f"missing column `{c}`", column=c)
        for c in ("district_id", "completion_year", dwellings_col)
        if c not in estates
    ]
    if problems:
        raise InputError(problems)
    dwell = pd.to_numeric(estates[dwellings_col], errors="coerce").to_numpy(dtype=np.float64)
    done = pd.to_numeric(estates["completion_year"], errors="coerce").to_numpy(dtype=np.float64)
    for i in np.flatnonzero(~(dwell >= 0) | ~np.isfinite(done)):
        col = dwellings_col if not dwell[i] >= 0 else "completion_year"
        problems.append(
            Problem(
                source,
                f"got {estates[col].iloc[i]!r}; every estate needs dwellings ≥ 0 and a "
                "completion year (estates without one are existing stock: drop them or "
                "give the year)",
                row=int(i) + 1,
                column=col,
            )
        )
    if problems:
        raise InputError(problems)
    std = standards if standards is not None else load_standards()
    hh = float(
        household_size
        if household_size is not None
        else std.number("forecast.household_size.default")
    )
    yields = dict(pupil_yield) if pupil_yield is not None else pupil_yields(standards=std)
    keep = np.ones(len(dwell), dtype=bool) if include_existing else done > base_year
    ids = estates["district_id"].astype(str).to_numpy()[keep]
    dwell, done = dwell[keep], done[keep].astype(np.int64)
    years = np.arange(base_year + 1, horizon + 1)
    age = years[None, :] - done[:, None]  # estates × years
    occupied = dwell[:, None] * _profile(occupancy, age)
    per_quantity = {"residents": occupied * hh}
    prof = _profile(yield_profile, age)
    for level, y in yields.items():
        per_quantity[level] = occupied * prof * float(y) / 100.0
    lo_f, hi_f = interval_factors
    frames = []
    for quantity, values in per_quantity.items():
        frame = pd.DataFrame(values, columns=years)
        frame["district_id"] = ids
        summed = frame.groupby("district_id", sort=True).sum().reset_index()
        long = summed.melt(id_vars="district_id", var_name="year", value_name="value")
        long["year"] = long["year"].astype(np.int64)
        long["quantity"] = quantity
        long["lower"] = long["value"] * lo_f
        long["upper"] = long["value"] * hi_f
        long["method"] = "housing"
        frames.append(long)
    out = pd.concat(frames, ignore_index=True)[FORECAST_COLUMNS]
    return out.sort_values(["district_id", "quantity", "year"], kind="stable").reset_index(
        drop=True
    )
