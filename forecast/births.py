"""Births ahead of the data, and how unsure they are: the input both cohort forecasts share.

The cohort-progression forecast (:func:`~xuewei.forecast.forecast_cohort`) and the
school-age forecast (:func:`~xuewei.forecast.forecast_school_age`) turn births into
children. Births after the last known year are forecast with a trend
(:func:`~xuewei.forecast.forecast_trend`, :func:`trend_births`), and taken to be at least
as unsure as births were *changeable* (:func:`births_change_sd`, :func:`births_spread_sd`):
births move with fertility policy and migration, which no trend fitted to a smooth history
foresees. :func:`future_births` gives each forecast birth year its value and log-sd.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from xuewei.errors import ConfigError
from xuewei.forecast.trend import TrendMethod, forecast_trend, spread_growth

BirthsSpread = Literal["departures", "changes", "trend"]
#: A district's births forecast: the trend forecast, the last known year and its births.
BirthsForecast = tuple[pd.DataFrame, int, float]

__all__ = [
    "BirthsForecast",
    "BirthsSpread",
    "births_change_sd",
    "births_spread_sd",
    "future_births",
    "population_rows",
    "projected_changes",
    "trend_births",
]


def births_change_sd(
    births: pd.DataFrame,
    steps: int,
    *,
    projected: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Return the RMS change of log births over ``k`` years, k = 1..steps, from the history.

    The spread of a births forecast ``k`` years beyond the last known births: births move
    with fertility policy and migration, which no trend fitted to a smooth history
    foresees (China's births rose until 2016 and halved by 2023), so a forecast is taken
    to be as unsure as births were *changeable*: the root mean square of every observed
    ``log(births[t + k] / births[t])``, pooled over the areas of ``births`` (only counts,
    not imputed values). Spans with fewer than three changes take the longest span that
    has them, grown as ``k**a`` (:func:`~xuewei.forecast.trend.spread_growth`); zeros when no
    span has three.

    With ``projected`` (each area's forecast log change of births ``k`` years after its
    last known births, k = 1, 2, ...) the changes are measured from the change the
    forecast projects: ``log(births[t + k] / births[t]) - projected[k]``. If the next ``k``
    years move as some past ``k`` years did, that is how far from the forecast births land;
    the plain RMS is the spread around *no* change, which counts a trend the forecast
    already follows as uncertainty (births growing exactly 5 % a year: an RMS change of
    0.49 at 10 years, where a forecast that follows the growth misses nothing). Only the
    areas of ``projected`` count, each for the spans it projects.

    Parameters
    ----------
    births
        ``district_id``, ``year``, ``births`` and optionally ``births_imputed``.
    steps
        Largest span ``k``.
    projected
        Optional: per ``district_id``, the projected log changes ``k`` = 1, 2, ... years
        after that area's last known births.

    Returns
    -------
    numpy.ndarray
        ``steps`` log standard deviations.

    Examples
    --------
    Births growing exactly 10 % a year changed by ``log 1.1`` per year, so the spread
    ``k`` years ahead is ``k · log 1.1``:

    >>> b = pd.DataFrame({"district_id": "a", "year": range(2000, 2010),
    ...                   "births": [100.0 * 1.1**k for k in range(10)]})
    >>> (births_change_sd(b, 3) / np.log(1.1)).round(6).tolist()
    [1.0, 2.0, 3.0]

    A forecast projecting that growth has nothing to miss; one projecting 5 % a year
    misses ``k · log(1.1 / 1.05)``:

    >>> births_change_sd(b, 2, projected={"a": np.log(1.1) * np.arange(1, 3)}).round(6).tolist()
    [0.0, 0.0]
    >>> sd = births_change_sd(b, 2, projected={"a": np.log(1.05) * np.arange(1, 3)})
    >>> (sd / np.log(1.1 / 1.05)).round(6).tolist()
    [1.0, 2.0]
    """
    if steps < 1:
        return np.zeros(0)
    b = births
    if "births_imputed" in b:
        b = b[~b["births_imputed"].astype(bool)]
    changes: dict[int, list[np.ndarray]] = {}
    for district, rows in b.groupby("district_id", sort=True):
        if projected is not None and str(district) not in projected:
            continue
        proj = None if projected is None else np.asarray(projected[str(district)], dtype=float)
        s = pd.Series(
            rows["births"].to_numpy(dtype=np.float64), index=rows["year"].to_numpy(dtype=np.int64)
        )
        s = s[s > 0]
        if len(s) < 2:
            continue
        full = np.log(s.reindex(range(int(s.index.min()), int(s.index.max()) + 1)).to_numpy())
        last = min(steps, len(full) - 1) if proj is None else min(steps, len(full) - 1, len(proj))
        for k in range(1, last + 1):
            d = full[k:] - full[:-k]
            d = d[np.isfinite(d)]
            changes.setdefault(k, []).append(d if proj is None else d - proj[k - 1])
    pooled = {k: np.concatenate(v) for k, v in changes.items()}
    usable = {k: e for k, e in pooled.items() if len(e) >= 3}
    out = np.zeros(steps)
    if not usable:
        return out
    a = spread_growth(usable)
    longest = max(usable)
    base = float(np.sqrt(np.mean(usable[longest] ** 2)))
    for k in range(1, steps + 1):
        if k in usable:
            out[k - 1] = float(np.sqrt(np.mean(usable[k] ** 2)))
        else:
            out[k - 1] = base * (k / longest) ** a
    return out


def population_rows(population: pd.DataFrame, base_year: int | None) -> pd.DataFrame:
    """Return the population and births columns of the rows up to ``base_year``."""
    cols = ["district_id", "year", "population"] + (["births"] if "births" in population else [])
    pop = population[cols].copy()
    pop["district_id"] = pop["district_id"].astype(str)
    if base_year is not None:
        pop = pop[pop["year"] <= base_year]
    return pop


def trend_births(
    series: pd.Series, last_year: int, *, interval: float, method: TrendMethod
) -> BirthsForecast:
    """Forecast a district's births (``series``: births by year) to ``last_year``.

    Returns the trend forecast, the last known year and its births.
    """
    fut = forecast_trend(series, horizon=last_year, interval=interval, method=method)
    return fut, int(series.index[-1]), float(series.iloc[-1])


def projected_changes(future: Mapping[str, BirthsForecast | None]) -> dict[str, np.ndarray]:
    """Each area's forecast log change of births k = 1, 2, … years after its last known."""
    return {
        d: np.log(f[0]["value"].to_numpy()) - np.log(f[2])
        for d, f in future.items()
        if f is not None
    }


def births_spread_sd(
    births: pd.DataFrame,
    ids: Sequence[str],
    steps: int,
    future: Mapping[str, BirthsForecast | None],
    spread: BirthsSpread = "departures",
) -> np.ndarray:
    """Return the least log-sd of births ``k`` years after the last known, k = 1..steps.

    Pooled over the areas ``ids``: ``"departures"`` the RMS of the history's log changes
    measured from the change each area's forecast projects (:func:`births_change_sd` with
    ``projected``, so that the trend a forecast follows is not counted as uncertainty),
    ``"changes"`` the RMS of the raw changes, ``"trend"`` nothing (the trend's own
    interval only: an empty array).
    """
    mine = births[births["district_id"].isin(ids)]
    if spread == "changes":
        return births_change_sd(mine, steps)
    if spread == "departures":
        return births_change_sd(mine, steps, projected=projected_changes(future))
    if spread == "trend":
        return np.zeros(0)
    raise ConfigError(f"births_spread {spread!r} must be one of departures, changes, trend")


def future_births(
    future: BirthsForecast, change_sd: np.ndarray, z: float
) -> Iterator[tuple[int, float, float]]:
    """Year, value and log-sd of each forecast birth year.

    The sd is the trend's own, at least ``change_sd`` of as many years after the last known
    births (see ``births_spread`` of :func:`~xuewei.forecast.forecast_cohort`).
    """
    fut, last_known, _ = future
    for y, v, lo in zip(fut["year"], fut["value"], fut["lower"], strict=True):
        k = min(int(y) - last_known, len(change_sd))
        floor = float(change_sd[k - 1]) if k else 0.0
        yield int(y), float(v), max(float((np.log(v) - np.log(lo)) / z), floor)
