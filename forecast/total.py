"""Areas that make up a total: find the total's rows, and forecast the areas as its shares.

A population table often holds a city's districts *and* the city itself (Changsha's
``430100`` beside its nine districts). Forecast one by one, the districts need not add up
to the city: their series are short (two censuses) and each trend runs on alone, so on the
Changsha table they summed to 15.7 million in 2035 against the city's own 11.5 million.
:func:`forecast_with_total` forecasts the total with the method asked for, and each area
as its share of it (the ``share`` method of
:func:`~xuewei.forecast.forecast_districts`, as the plan's run does), so the areas add up
to the total in every year by construction. :func:`find_total` tells which id is the
total, so that a table of one city needs no option.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from xuewei.errors import ConfigError, InputError, Problem
from xuewei.forecast._shares import scale_to_city
from xuewei.forecast.batch import (
    BatchMethod,
    BatchResult,
    Engine,
    EnsembleWeighting,
    forecast_batch,
)
from xuewei.forecast.districts import COVERAGE_TOLERANCE, forecast_districts
from xuewei.forecast.trend import FORECAST_COLUMNS

__all__ = ["counted_together", "find_total", "forecast_with_total"]

logger = logging.getLogger("xuewei.forecast")


def find_total(population: pd.DataFrame, tolerance: float = COVERAGE_TOLERANCE) -> str | None:
    """Return the id whose rows are the total of all the other areas, if one is.

    An id is the total when, in every year in which it and every other area were counted,
    the others sum to its count within ``tolerance`` (2 %, the tolerance
    :func:`~xuewei.forecast.forecast_districts` allows), there is at least one such year
    and at least two other areas. ``None`` when no id, or more than one, qualifies (a
    table of several cities, or of areas that are not parts of one whole).

    Examples
    --------
    >>> pop = pd.DataFrame({"district_id": ["c", "c", "a", "b", "a", "b"],
    ...                     "year": [2010, 2020, 2010, 2010, 2020, 2020],
    ...                     "population": [100.0, 130.0, 60.0, 40.0, 70.0, 61.0]})
    >>> find_total(pop)
    'c'
    >>> find_total(pop[pop["district_id"] != "c"]) is None
    True
    """
    wide = _counts(population)
    if wide.shape[1] < 3:
        return None
    found = []
    for area in wide.columns:
        others = wide.drop(columns=area)
        years = wide[area].notna() & others.notna().all(axis=1)
        if not years.any():
            continue
        ratio = others[years].sum(axis=1) / wide.loc[years, area]
        if bool((np.abs(ratio - 1.0) <= tolerance).all()):
            found.append(str(area))
    return found[0] if len(found) == 1 else None


def counted_together(population: pd.DataFrame) -> list[int]:
    """Return the years in which every area of the table was counted (where a total shows).

    >>> pop = pd.DataFrame({"district_id": ["c", "a", "c"], "year": [2010, 2010, 2020],
    ...                     "population": [3.0, 3.0, 4.0]})
    >>> counted_together(pop)
    [2010]
    """
    wide = _counts(population)
    return [int(y) for y in wide.index[wide.notna().all(axis=1)]]


def _counts(population: pd.DataFrame) -> pd.DataFrame:
    """Return the counts by year (rows) and area (columns), missing where none was made."""
    return population.pivot_table(
        index="year",
        columns=population["district_id"].astype(str),
        values="population",
        aggfunc="last",
    )


def forecast_with_total(
    population: pd.DataFrame,
    total_id: str,
    *,
    horizon: int,
    method: BatchMethod = "ensemble",
    interval: float = 0.8,
    engine: Engine = "local",
    scheduler: str | None = None,
    ensemble_weighting: EnsembleWeighting = "pooled",
    source: str = "population",
) -> BatchResult:
    """Forecast the total with ``method`` and every other area as its share of it.

    Parameters
    ----------
    population
        Tidy table: ``district_id``, ``year``, ``population``, optionally ``basis``; the
        rows of ``total_id`` are the total of all the other areas.
    total_id
        The id of the total's rows (see :func:`find_total`).
    horizon, method, interval, engine, scheduler, ensemble_weighting
        As :func:`~xuewei.forecast.forecast_batch`, for the total's forecast.
    source
        Name of the input, for error messages.

    Returns
    -------
    BatchResult
        ``forecasts``: the total's rows as ``forecast_batch`` gives them (the years after
        its last count), and each area's rows from the year after its own last count: up
        to the total's last count its share of that count (``method`` ``share``), after it
        its share of the total's forecast (``method`` as asked); ``kind`` says which
        (``estimate`` or ``forecast``). Each year's areas sum to
        the total. An area's interval is its share of the total's interval widened by the
        uncertainty of its share (only the latter before the total's forecast).
        ``attrs["weights"]`` are the total's (the areas take its forecast). A failure of
        the total's forecast is an error: without it no area can be forecast.

    Raises
    ------
    ConfigError
        ``horizon`` is not after the total's last count.
    InputError
        The total could not be forecast, or the areas do not make up the total in a year
        all were counted (naming the file, year and sums).

    Examples
    --------
    >>> pop = pd.DataFrame({
    ...     "district_id": ["c"] * 11 + ["a", "a", "b", "b"],
    ...     "year": list(range(2010, 2021)) + [2010, 2020, 2010, 2020],
    ...     "population": [1000.0 * 1.03 ** k for k in range(11)] + [600, 700, 400, 644],
    ... })
    >>> r = forecast_with_total(pop, "c", horizon=2025, method="drift")
    >>> f = r.forecasts.pivot(index="year", columns="district_id", values="value")
    >>> bool(np.allclose(f["a"] + f["b"], f["c"]))
    True
    """
    pop = population.copy()
    pop["district_id"] = pop["district_id"].astype(str)
    total_years = pop.loc[pop["district_id"] == total_id, "year"]
    counted_to = int(total_years.max()) if len(total_years) else None
    if counted_to is not None and horizon <= counted_to:
        raise ConfigError(
            f"horizon {horizon}: the total {total_id} is counted to {counted_to}; the "
            f"horizon must be a later year (e.g. {counted_to + 10})"
        )
    areas = sorted(set(pop["district_id"]) - {total_id})
    city = forecast_batch(
        pop,
        horizon=horizon,
        method=method,
        engine=engine,
        scheduler=scheduler,
        district_ids=[total_id],
        interval=interval,
        ensemble_weighting=ensemble_weighting if method == "ensemble" else "area",
    )
    if not city.ok:
        row = city.failures.iloc[0]
        raise InputError(
            [
                Problem(
                    source,
                    f"the total {total_id} could not be forecast ({row['error']}: "
                    f"{row['message']}), so neither can its areas",
                    column="district_id",
                )
            ]
        )
    total = city.forecasts
    shares = forecast_districts(
        pop,
        areas,
        horizon=horizon,
        city_id=total_id,
        interval=interval,
        method="share",
        source=source,
    )
    last = pop[pop["district_id"].isin(areas)].groupby("district_id")["year"].max()
    shares = shares[shares["year"] > shares["district_id"].map(last)]
    ahead = shares["kind"] == "forecast"
    scaled = scale_to_city(shares[ahead], total, pop, areas, total_id, horizon, interval)
    scaled["method"] = total["method"].iloc[0]
    # before the total's forecast: the share of the total's count (or its interpolation),
    # unsure only by the share's own uncertainty (the total's interval there is nil)
    counted = shares[~ahead].groupby("year")["value"].sum().reset_index()
    counted["lower"] = counted["upper"] = counted["value"]
    past = scale_to_city(shares[~ahead], counted, pop, areas, total_id, horizon, interval)
    past["method"] = "share"
    parts = pd.concat([past, scaled], ignore_index=True).assign(quantity="population")
    out = (
        pd.concat([total[FORECAST_COLUMNS], parts[FORECAST_COLUMNS]], ignore_index=True)
        .sort_values(["district_id", "year"], kind="stable")
        .reset_index(drop=True)
    )
    # a share of the total's own count is an estimate, not a forecast
    out["kind"] = np.where(out["method"] == "share", "estimate", "forecast")
    out.attrs["warnings"] = list(total.attrs.get("warnings", []))
    out.attrs["weights"] = list(total.attrs.get("weights", []))
    return BatchResult(out, city.failures)
