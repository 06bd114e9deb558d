"""District shares of the city: their damped trend and its uncertainty.

The ``share`` method of :func:`~xuewei.forecast.forecast_districts` makes each district
its share of the city: interpolated between counts and, beyond the last count, its trend
of the last :data:`SHARE_TREND_MIN_YEARS` or more years damped a year
(:func:`share_path`, :func:`resolve_damping`). How unsure a share is, ``h`` years after a
district's last count (:func:`share_log_sd`, :func:`share_spread`), is added to the city's
interval by that method and by :func:`~xuewei.forecast.forecast_ensemble`, which scales
districts to its own city forecast. The reasoning is in :mod:`xuewei.forecast.districts`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from xuewei.forecast.history import annualise, rebase_intercensal
from xuewei.forecast.trend import spread_growth

__all__ = [
    "DAMPING_GRID",
    "SHARE_DAMPING",
    "SHARE_TREND_MIN_YEARS",
    "resolve_damping",
    "scale_to_city",
    "share_log_sd",
    "share_path",
    "share_path_errors",
    "share_path_rms",
    "share_spread",
]

#: Years of counts behind a share trend (fewer: the share is held).
SHARE_TREND_MIN_YEARS = 5
#: Damping of the share trend a year where ``share_damping="fit"`` has no history to fit.
SHARE_DAMPING = 0.8
#: Dampings ``share_damping="fit"`` chooses from.
DAMPING_GRID = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0)


def share_spread(
    population: pd.DataFrame,
    district_ids: Sequence[str],
    *,
    city_id: str,
    horizon: int,
    damping: float | Literal["fit"] = 0.8,
) -> pd.DataFrame:
    """Return the log-sd of each district's share of the city, per year to ``horizon``.

    The share uncertainty that the ``share`` method adds to the city's interval (see the
    module notes), for callers that scale districts to another city forecast
    (:func:`~xuewei.forecast.forecast_ensemble`).

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``share_sd`` (0 up to the district's last count).
    """
    ids = [str(d) for d in district_ids]
    pop = population.copy()
    pop["district_id"] = pop["district_id"].astype(str)
    if "basis" not in pop:
        pop["basis"] = "estimate"
    city = annualise(rebase_intercensal(pop[pop["district_id"] == city_id]))
    first, last = int(city["year"].iloc[0]), int(city["year"].iloc[-1])
    years = np.arange(first, horizon + 1)
    value = np.interp(years, city["year"], city["population"])
    districts = rebase_intercensal(pop[pop["district_id"].isin(ids)])
    districts = districts[(districts["year"] >= first) & (districts["year"] <= last)]
    observed = np.zeros((len(years), len(ids)), dtype=bool)
    counts = np.full((len(years), len(ids)), np.nan)
    for j, district in enumerate(ids):
        rows = districts[districts["district_id"] == district]
        idx = rows["year"].to_numpy(dtype=np.int64) - first
        observed[idx, j] = True
        counts[idx, j] = rows["population"].to_numpy()
    sd = share_log_sd(
        years, observed, counts, value, resolve_damping(damping, years, observed, counts, value)
    )
    return pd.DataFrame(
        {
            "district_id": np.repeat(ids, len(years)),
            "year": np.tile(years, len(ids)),
            "share_sd": sd.T.ravel(),
        }
    )


def share_log_sd(
    years: np.ndarray,
    observed: np.ndarray,
    counts: np.ndarray,
    city: np.ndarray,
    damping: float = 0.8,
) -> np.ndarray:
    """Return the log-sd of each district's share in each year after its last count.

    Where the districts were counted often enough, the share rule's own errors: from
    every count, the damped share trend (:func:`share_path`, counts up to then) is
    compared with every later count, and the RMS of ``log(share / forecast)``, pooled over
    the districts, is the sd ``h`` years after a count (:func:`share_path_rms`). A
    trending share is otherwise a random walk only in name: its log changes grow like
    ``h``, not ``sqrt(h)``, and the damped trend falls behind (80 % intervals covered 42 %
    of the synthetic districts 10 years ahead). Else ``σ·sqrt(years since count)``: ``σ²``
    is the mean of ``(Δ log share)² / Δyears`` over the district's consecutive counts (a
    random walk's per-year variance); a district counted once takes the pooled mean of the
    others (0 if no district was counted twice).
    """
    sd = np.zeros(counts.shape)
    rms = share_path_rms(years, observed, counts, city, damping)
    if rms is not None:
        for j in range(counts.shape[1]):
            idx = np.flatnonzero(observed[:, j])
            if len(idx):
                since = np.maximum(years - years[idx[-1]], 0)
                sd[:, j] = np.where(since > 0, rms[np.maximum(since, 1) - 1], 0.0)
        return sd
    per_district: list[float | None] = []
    pooled: list[float] = []
    for j in range(counts.shape[1]):
        # a count of 0 (a district not yet settled) has no log share: no spread from it
        idx = np.flatnonzero(observed[:, j] & (np.nan_to_num(counts[:, j]) > 0) & (city > 0))
        if len(idx) < 2:
            per_district.append(None)
            continue
        log_share = np.log(counts[idx, j] / city[idx])
        steps = np.diff(log_share) ** 2 / np.diff(years[idx])
        pooled.extend(steps.tolist())
        per_district.append(float(steps.mean()))
    fallback = float(np.mean(pooled)) if pooled else 0.0
    for j, var in enumerate(per_district):
        idx = np.flatnonzero(observed[:, j])
        if not len(idx):
            continue
        last = years[idx[-1]]
        since = np.maximum(years - last, 0)
        sd[:, j] = np.sqrt((fallback if var is None else var) * since)
    return sd


def share_path_rms(
    years: np.ndarray,
    observed: np.ndarray,
    counts: np.ndarray,
    city: np.ndarray,
    damping: float,
) -> np.ndarray | None:
    """Return the RMS log error of the share rule ``h`` years after a count, h = 1..len(years).

    Only forecasts from counts with a share trend behind them (``SHARE_TREND_MIN_YEARS``
    of earlier counts) are scored: from a single count the rule holds the share, a
    different forecast with different errors. ``None`` when no horizon has three errors;
    horizons without three take the longest one that has them, grown as ``h**a``
    (:func:`~xuewei.forecast.trend.spread_growth`).
    """
    usable = share_path_errors(years, observed, counts, city, damping)
    if not usable:
        return None
    a = spread_growth(usable)
    longest = max(usable)
    base = float(np.sqrt(np.mean(usable[longest] ** 2)))
    hs = np.arange(1, len(years) + 1)
    return np.array(
        [
            float(np.sqrt(np.mean(usable[int(h)] ** 2)))
            if int(h) in usable
            else base * (h / longest) ** a
            for h in hs
        ]
    )


def share_path_errors(
    years: np.ndarray,
    observed: np.ndarray,
    counts: np.ndarray,
    city: np.ndarray,
    damping: float,
) -> dict[int, np.ndarray]:
    """Return the share rule's log errors ``h`` years ahead, for every ``h`` with three.

    From every count with ``SHARE_TREND_MIN_YEARS`` of earlier counts (from a single
    count the rule holds the share: a different forecast) to every later count of the
    same district, pooled over the districts.
    """
    errors: dict[int, list[float]] = {}
    for j in range(counts.shape[1]):
        idx = np.flatnonzero(observed[:, j] & (np.nan_to_num(counts[:, j]) > 0) & (city > 0))
        if len(idx) < 2:
            continue
        obs_years = years[idx]
        obs_share = counts[idx, j] / city[idx]
        for p in range(len(idx) - 1):
            if obs_years[p] - obs_years[0] < SHARE_TREND_MIN_YEARS:
                continue
            later = obs_years[p + 1 :]
            path = share_path(later, obs_years[: p + 1], obs_share[: p + 1], damping)
            ok = path > 0
            err = np.log(obs_share[p + 1 :][ok] / path[ok])
            for h, e in zip(later[ok] - obs_years[p], err, strict=True):
                errors.setdefault(int(h), []).append(float(e))
    return {h: np.asarray(e) for h, e in errors.items() if len(e) >= 3}


def resolve_damping(
    damping: float | Literal["fit"],
    years: np.ndarray,
    observed: np.ndarray,
    counts: np.ndarray,
    city: np.ndarray,
) -> float:
    """Return the share damping: as given, or fitted on the share rule's own past errors.

    ``"fit"`` takes the damping of :data:`DAMPING_GRID` with the least mean squared log
    error over every usable past forecast (:func:`share_path_errors`); without any, the
    default :data:`SHARE_DAMPING`. One parameter, estimated on many multi-step errors, and
    only from counts known at the base year.
    """
    if damping != "fit":
        return float(damping)
    best, best_mse = SHARE_DAMPING, np.inf
    for d in DAMPING_GRID:
        errors = share_path_errors(years, observed, counts, city, d)
        if not errors:
            return SHARE_DAMPING  # no usable history: the same at every damping
        mse = float(np.mean(np.concatenate(list(errors.values())) ** 2))
        if mse < best_mse:
            best, best_mse = d, mse
    return best


def share_path(
    years: np.ndarray, obs_years: np.ndarray, obs_share: np.ndarray, damping: float
) -> np.ndarray:
    """Interpolate a district's share between counts and extend its damped trend."""
    path = np.interp(years, obs_years, obs_share)  # constant beyond both ends
    last_year = obs_years[-1]
    earlier = obs_years <= last_year - SHARE_TREND_MIN_YEARS
    if earlier.any():
        k = np.flatnonzero(earlier)[-1]
        slope = (obs_share[-1] - obs_share[k]) / (last_year - obs_years[k])
        after = years > last_year
        h = years[after] - last_year
        if damping == 1.0:
            cumulative = h.astype(float)
        else:
            cumulative = damping * (1 - damping**h) / (1 - damping)
        path[after] = np.maximum(obs_share[-1] + slope * cumulative, 0.0)
    return path


def scale_to_city(
    fut: pd.DataFrame,
    ens: pd.DataFrame,
    pop: pd.DataFrame,
    ids: list[str],
    city_id: str,
    horizon: int,
    interval: float,
) -> pd.DataFrame:
    """Apply the share method's district shares to another forecast of the city and its bounds.

    ``fut``: the ``share`` method's forecast rows (``district_id``, ``year``, ``value``);
    ``ens``: the city's forecast (``year``, ``value``, ``lower``, ``upper``). Each year's
    districts sum to the city's value; a district's interval is its share of the city's,
    widened by the uncertainty of its share (:func:`share_spread`).
    """
    fut = fut.copy()
    city = ens.set_index("year")
    total = fut.groupby("year")["value"].transform("sum")
    share = (fut["value"] / total).to_numpy()
    c_val = fut["year"].map(city["value"]).to_numpy()
    c_lo = np.log(c_val / fut["year"].map(city["lower"]).to_numpy())
    c_hi = np.log(fut["year"].map(city["upper"]).to_numpy() / c_val)
    # the shares' own uncertainty adds to the city's (as in the share method)
    z = float(stats.norm.ppf(0.5 + interval / 2.0))
    sd = share_spread(pop, ids, city_id=city_id, horizon=horizon).set_index(
        ["district_id", "year"]
    )["share_sd"]
    half = z * sd.reindex(pd.MultiIndex.from_frame(fut[["district_id", "year"]])).to_numpy()
    fut["value"] = share * c_val
    fut["lower"] = fut["value"] * np.exp(-np.hypot(c_lo, half))
    fut["upper"] = fut["value"] * np.exp(np.hypot(c_hi, half))
    return fut
