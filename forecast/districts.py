"""Residents per district to the horizon, reconciled to the city total.

Two methods, chosen by the data:

``share``
    When the population table holds the city (parent) total as well as the districts — the
    usual case in China, where annual year-end figures are published for the city but most
    districts are counted only at censuses — the city series is re-based, filled and
    forecast with :func:`~xuewei.forecast.forecast_trend`, and each district is its share
    of the city. Shares are interpolated between the years a district was counted and,
    beyond its last count, continue the trend of its last five or more years, damped by
    ``share_damping`` a year (a district that grew from 11.4% to 15.2% of Changsha in ten
    years does not keep gaining share for ever). Shares sum to one, so districts reconcile
    to the city total by construction; in past years the districts counted that year keep
    their counts and the others share the rest.
``direct``
    When there is no city total, each district's own (re-based, filled) series is forecast
    and the city is their sum.

The interval of a district under ``share`` adds two independent uncertainties on the log
scale: the city's (its share of the city interval) and its share's; the two half-widths
add in quadrature. Where districts are counted often (annual estimates), the share's
log-sd ``h`` years after the last count is the RMS of the share rule's own errors ``h``
years ahead from earlier counts, pooled over the districts. Where they are counted only at
censuses, a share is treated like a random walk from the district's last count, as the
``naive`` trend treats a series: its log changes between counts give a per-year variance
``σ² = mean((Δ log share)² / Δyears)`` (pooled over the districts when a district was
counted only once), and ``h`` years after the last count the log-sd is ``σ·sqrt(h)``.
(Without the shares' spread, 80 % intervals covered 0–37 % of held-out district points in
the backtests; with the random walk on annual counts, 30 % at 10 years.)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from xuewei.errors import ConfigError, InputError, Problem
from xuewei.forecast._shares import resolve_damping, share_log_sd, share_path
from xuewei.forecast.history import annualise, rebase_intercensal
from xuewei.forecast.trend import forecast_trend

__all__ = ["COVERAGE_TOLERANCE", "DistrictMethod", "forecast_districts"]


DistrictMethod = Literal["auto", "share", "direct"]
COVERAGE_TOLERANCE = 0.02


def forecast_districts(
    population: pd.DataFrame,
    district_ids: Sequence[str],
    *,
    horizon: int,
    city_id: str | None = None,
    base_year: int | None = None,
    interval: float = 0.8,
    method: DistrictMethod = "auto",
    share_damping: float | Literal["fit"] = 0.8,
    source: str = "population",
) -> pd.DataFrame:
    """Forecast residents of every district from the base year to the horizon.

    Parameters
    ----------
    population
        Tidy table (see :func:`xuewei.gis.read_population`): ``district_id``, ``year``,
        ``population`` and optionally ``basis`` (``census``/``estimate``). Rows of
        ``city_id`` are the city total.
    district_ids
        The districts to forecast; every one needs at least one observation.
    horizon
        The last year forecast.
    city_id
        The id of the city-total rows, if any.
    base_year
        The last year of data used; later rows are ignored (for backtests). Default: the
        latest year of the city series (``share``) or of any district (``direct``).
    interval
        Prediction-interval coverage.
    method
        ``share``, ``direct`` or ``auto`` (``share`` when city rows exist).
    share_damping
        Per-year damping of the share trend, in (0, 1], or ``"fit"``: the value of 0.5,
        0.6, …, 0.9, 0.95, 1 whose forecasts from the districts' earlier counts best
        matched their later counts (least squares of the log errors, pooled over the
        districts), where at least three such errors exist at some horizon, else 0.8
        (districts counted only at censuses). On the synthetic city (annual district
        counts) ``"fit"`` chose 0.95–1 and cut the 10-year error from 9.9 % to 5.8 %, but
        its interval covered less (54 % against 64 % at 10 years; see
        ``benchmarks/forecast.md``), so it is not the default.
    source
        Name of the input, for error messages.

    Returns
    -------
    pandas.DataFrame
        One row per district and year from the first year of data to the horizon:
        ``district_id``, ``year``, ``value`` (residents), ``lower``, ``upper``, ``kind``
        (``observed``, ``interpolated`` or ``forecast``) and ``method``.

    Examples
    --------
    Two districts counted in 2010 and 2020 in a city with annual totals:

    >>> pop = pd.DataFrame({
    ...     "district_id": ["c"] * 11 + ["a", "a", "b", "b"],
    ...     "year": list(range(2010, 2021)) + [2010, 2020, 2010, 2020],
    ...     "population": [1000.0 * 1.03**k for k in range(11)] + [600, 700, 400, 644],
    ...     "basis": ["estimate"] * 15,
    ... })
    >>> f = forecast_districts(pop, ["a", "b"], horizon=2025, city_id="c")
    >>> at = f[f["year"] == 2025].set_index("district_id")["value"]
    >>> round(float(at.sum()), 6) == round(float(f[(f.year == 2025)]["value"].sum()), 6)
    True
    >>> f[f["year"] == 2020].set_index("district_id")["value"].round(1).to_dict()
    {'a': 700.0, 'b': 644.0}
    """
    ids = [str(d) for d in district_ids]
    if not ids:
        raise ConfigError("district_ids is empty: no districts to forecast")
    pop = population.copy()
    pop["district_id"] = pop["district_id"].astype(str)
    if "basis" not in pop:
        pop["basis"] = "estimate"
    if base_year is not None:
        pop = pop[pop["year"] <= base_year]
    has_city = city_id is not None and bool((pop["district_id"] == city_id).any())
    chosen = method
    if chosen == "auto":
        chosen = "share" if has_city else "direct"
    missing = sorted(set(ids) - set(pop["district_id"]))
    if missing:
        raise InputError(
            [
                Problem(
                    source,
                    f"district {d} has no population rows up to the base year; every "
                    "district needs at least one count (a census or an estimate)",
                    column="district_id",
                )
                for d in missing
            ]
        )
    if chosen == "share":
        if not has_city:
            raise InputError(
                [
                    Problem(
                        source,
                        f"method 'share' needs city-total rows (district_id {city_id!r}); "
                        "found none up to the base year",
                        column="district_id",
                    )
                ]
            )
        assert city_id is not None
        return _share_method(pop, ids, city_id, horizon, interval, share_damping, source)
    if chosen == "direct":
        return _direct_method(pop, ids, horizon, interval)
    raise ConfigError(f"unknown method {method!r}; expected 'auto', 'share' or 'direct'")


def _direct_method(
    pop: pd.DataFrame, ids: list[str], horizon: int, interval: float
) -> pd.DataFrame:
    frames = []
    for district in ids:
        rows = pop[pop["district_id"] == district]
        hist = annualise(rebase_intercensal(rows))
        hist = hist[hist["year"] <= horizon]
        series = pd.Series(hist["population"].to_numpy(), index=hist["year"].to_numpy())
        past = pd.DataFrame(
            {
                "district_id": district,
                "year": hist["year"].to_numpy(),
                "value": hist["population"].to_numpy(),
                "lower": hist["population"].to_numpy(),
                "upper": hist["population"].to_numpy(),
                "kind": np.where(hist["observed"], "observed", "interpolated"),
                "method": "direct",
            }
        )
        frames.append(past)
        if series.index[-1] < horizon:
            fut = forecast_trend(series, horizon=horizon, interval=interval)
            fut.insert(0, "district_id", district)
            fut["kind"] = "forecast"
            fut["method"] = "direct-" + fut["method"]
            frames.append(fut[past.columns])
    return pd.concat(frames, ignore_index=True)


def _share_method(
    pop: pd.DataFrame,
    ids: list[str],
    city_id: str,
    horizon: int,
    interval: float,
    damping: float | Literal["fit"],
    source: str,
) -> pd.DataFrame:
    if damping != "fit" and not (isinstance(damping, float | int) and 0 < damping <= 1):
        raise ConfigError(f"share_damping {damping!r} must be in (0, 1] or 'fit'")
    years, (value, lower, upper), last, trend_method = _city_series(pop, city_id, horizon, interval)
    first = int(years[0])

    districts = rebase_intercensal(pop[pop["district_id"].isin(ids)])
    districts = districts[(districts["year"] >= first) & (districts["year"] <= min(last, horizon))]
    # shares[i, j]: share of district j in year i; observed[i, j]: counted that year
    shares = np.zeros((len(years), len(ids)))
    observed = np.zeros((len(years), len(ids)), dtype=bool)
    counts = np.full((len(years), len(ids)), np.nan)
    for j, district in enumerate(ids):
        rows = districts[districts["district_id"] == district]
        idx = rows["year"].to_numpy(dtype=np.int64) - first
        observed[idx, j] = True
        counts[idx, j] = rows["population"].to_numpy()
    damp = resolve_damping(damping, years, observed, counts, value)
    for j, district in enumerate(ids):
        rows = districts[districts["district_id"] == district].sort_values("year")
        if rows.empty:
            raise InputError(
                [
                    Problem(
                        source,
                        f"district {district} has no population rows within the years of "
                        f"the city series ({first}–{last})",
                        column="district_id",
                    )
                ]
            )
        obs_years = rows["year"].to_numpy(dtype=np.int64)
        obs_idx = obs_years - first
        obs_share = rows["population"].to_numpy() / value[obs_idx]
        shares[:, j] = share_path(years, obs_years, obs_share, damp)

    _check_coverage(observed, counts, value, years, ids, city_id, source)
    hist_rows = years <= last
    _reconcile_shares(shares, observed, counts, value, hist_rows)

    kind = np.where(observed, "observed", "interpolated")
    kind[~hist_rows] = "forecast"
    z = float(stats.norm.ppf(0.5 + interval / 2.0))
    share_half = z * share_log_sd(years, observed, counts, value, damp) * (~hist_rows)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        city_lo = np.where(value > 0, np.log(value / lower), 0.0)
        city_hi = np.where(value > 0, np.log(upper / value), 0.0)
    frames = []
    for j, district in enumerate(ids):
        v = shares[:, j] * value
        frames.append(
            pd.DataFrame(
                {
                    "district_id": district,
                    "year": years,
                    "value": v,
                    "lower": v * np.exp(-np.hypot(city_lo, share_half[:, j])),
                    "upper": v * np.exp(np.hypot(city_hi, share_half[:, j])),
                    "kind": kind[:, j],
                    "method": np.where(hist_rows, "share", f"share-{trend_method}"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _city_series(
    pop: pd.DataFrame, city_id: str, horizon: int, interval: float
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray], int, str]:
    """Return the city's years (first year of data to horizon), values, last year, method.

    Past years are the re-based, annualised city series (bounds = value); later years its
    trend forecast (``method`` the trend's, ``observed`` without any).
    """
    city = annualise(rebase_intercensal(pop[pop["district_id"] == city_id]))
    city_years = city["year"].to_numpy()
    first, last = int(city_years[0]), int(city_years[-1])
    years = np.arange(first, horizon + 1)
    value = np.empty(len(years))
    lower = np.empty(len(years))
    upper = np.empty(len(years))
    n_hist = min(last, horizon) - first + 1
    value[:n_hist] = lower[:n_hist] = upper[:n_hist] = city["population"].to_numpy()[:n_hist]
    trend_method = "observed"
    if last < horizon:
        series = pd.Series(city["population"].to_numpy(), index=city_years)
        fut = forecast_trend(series, horizon=horizon, interval=interval)
        value[n_hist:] = fut["value"].to_numpy()
        lower[n_hist:] = fut["lower"].to_numpy()
        upper[n_hist:] = fut["upper"].to_numpy()
        trend_method = str(fut["method"].iloc[0])
    return years, (value, lower, upper), last, trend_method


def _reconcile_shares(
    shares: np.ndarray,
    observed: np.ndarray,
    counts: np.ndarray,
    value: np.ndarray,
    hist_rows: np.ndarray,
) -> None:
    """Make each year's shares sum to one, in place, keeping past counts where possible."""
    for i in range(len(shares)):
        total = shares[i].sum()
        if hist_rows[i] and observed[i].all():
            # every district counted: reconcile the counts to the city proportionally
            shares[i] = counts[i] / counts[i].sum()
            continue
        if hist_rows[i] and observed[i].any():
            known = np.nansum(counts[i, observed[i]])
            rest = value[i] - known
            free = ~observed[i]
            free_share = shares[i, free].sum()
            if rest >= 0 and (free_share > 0 or not free.any()):
                shares[i, observed[i]] = counts[i, observed[i]] / value[i]
                if free.any():
                    shares[i, free] *= (rest / value[i]) / free_share
                continue
        shares[i] /= total


def _check_coverage(
    observed: np.ndarray,
    counts: np.ndarray,
    city: np.ndarray,
    years: np.ndarray,
    ids: list[str],
    city_id: str,
    source: str,
) -> None:
    """Check that the districts make up the city in the years when all were counted."""
    full = observed.all(axis=1)
    if not full.any():
        return
    sums = counts[full].sum(axis=1)
    ratio = sums / city[full]
    bad = np.abs(ratio - 1) > COVERAGE_TOLERANCE
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        year = int(years[full][i])
        raise InputError(
            [
                Problem(
                    source,
                    f"in {year} the districts {ids} sum to {sums[i]:,.0f} residents but the "
                    f"city total ({city_id}) is {city[full][i]:,.0f} "
                    f"({(ratio[i] - 1) * 100:+.1f}%); the districts must cover the whole "
                    "city (add the missing districts, or remove the city rows)",
                    column="population",
                )
            ]
        )
