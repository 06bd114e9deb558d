"""The chance of a shortfall of places, and low / central / high gaps, from the forecast's interval.

A forecast gives each year's residents (and, by the cohort route, pupils) a central value
and an interval of given coverage; the places required follow linearly (the per-1,000 rule
multiplies residents by a rate), so their distribution is the forecast's, scaled. It is
taken as the two-piece log-normal that matches the three numbers exactly: median at the
central value, the interval's bounds at its lower and upper quantiles (the 10th and 90th
percentiles for an 80 % interval), each half with its own log-sd. From it:
``P(required > offered)`` and the places required and gaps at the 10th, 50th and 90th
percentiles, whatever the plan's interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["LOW_CENTRAL_HIGH", "add_shortfall", "chance_above", "quantile_of"]

#: Percentiles of the places required behind the low, central and high gaps.
LOW_CENTRAL_HIGH = (0.1, 0.5, 0.9)


def _log_sds(
    value: np.ndarray, lower: np.ndarray, upper: np.ndarray, interval: float
) -> tuple[np.ndarray, np.ndarray]:
    """Log-sds below and above the median that put ``lower``/``upper`` at the interval's ends."""
    z = float(stats.norm.ppf(0.5 + interval / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where((value > 0) & (lower > 0), np.log(value / lower) / z, 0.0)
        hi = np.where((value > 0) & (upper > 0), np.log(upper / value) / z, 0.0)
    return np.maximum(np.nan_to_num(lo), 0.0), np.maximum(np.nan_to_num(hi), 0.0)


def chance_above(
    value: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    threshold: np.ndarray,
    *,
    interval: float,
) -> np.ndarray:
    """Return ``P(X > threshold)`` for the two-piece log-normal of ``value`` and its bounds.

    ``lower``/``upper`` are the ``(1 ∓ interval) / 2`` quantiles. A degenerate side (no
    spread: an observed year) gives 0 or 1. ``NaN`` where an input is missing.

    Examples
    --------
    Required 1,000 places (80 % interval 900–1,200): offering 1,000 leaves an even chance
    of a shortfall, offering the upper bound a 10 % chance, the lower bound 90 %:

    >>> v, lo, hi = np.full(3, 1000.0), np.full(3, 900.0), np.full(3, 1200.0)
    >>> chance_above(v, lo, hi, np.array([1000.0, 1200.0, 900.0]), interval=0.8).round(3).tolist()
    [0.5, 0.1, 0.9]
    """
    v, lo, hi, t = (np.asarray(a, dtype=np.float64) for a in (value, lower, upper, threshold))
    sd_lo, sd_hi = _log_sds(v, lo, hi, interval)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.where((t > 0) & (v > 0), np.log(t / v), np.where(t > v, np.inf, -np.inf))
        sd = np.where(x < 0, sd_lo, sd_hi)
        z = np.where(sd > 0, x / np.where(sd > 0, sd, 1.0), np.sign(x) * np.inf)
    p = np.where(x == 0, 0.5, stats.norm.sf(z))
    missing = ~(np.isfinite(v) & np.isfinite(lo) & np.isfinite(hi) & np.isfinite(t))
    return np.where(missing, np.nan, p)


def quantile_of(
    value: np.ndarray, lower: np.ndarray, upper: np.ndarray, q: float, *, interval: float
) -> np.ndarray:
    """Return the ``q`` quantile of the two-piece log-normal of ``value`` and its bounds.

    Examples
    --------
    >>> quantile_of(np.array([1000.0]), np.array([900.0]), np.array([1200.0]), 0.9,
    ...             interval=0.8).round(6).tolist()
    [1200.0]
    """
    v, lo, hi = (np.asarray(a, dtype=np.float64) for a in (value, lower, upper))
    sd_lo, sd_hi = _log_sds(v, lo, hi, interval)
    z = float(stats.norm.ppf(q))
    return v * np.exp(z * (sd_lo if z < 0 else sd_hi))


def add_shortfall(
    gaps: pd.DataFrame, *, interval: float, cohort: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Add the chance of a shortfall and low / central / high gaps to a gaps table.

    Parameters
    ----------
    gaps
        Output of :func:`~xuewei.planning.place_gaps`: ``required``, ``required_lower``,
        ``required_upper`` (at ``interval``) and ``offered`` per district, year, level and
        scenario.
    interval
        Coverage of the forecast interval behind ``required_lower``/``required_upper``.
    cohort
        Optional cohort-based demand (``district_id``, ``year``, ``level``, ``scenario``,
        ``cohort_demand``, ``cohort_lower``, ``cohort_upper``, as in
        :func:`~xuewei.forecast.implied_per_thousand`).

    Returns
    -------
    pandas.DataFrame
        A copy of ``gaps`` with ``chance_of_shortfall`` (``P(required > offered)``, 0–1,
        per-1,000 rule), ``required_low``, ``required_central``, ``required_high`` (the
        10th, 50th and 90th percentiles of places required) and ``gap_low``,
        ``gap_central``, ``gap_high`` (each minus ``offered``; positive: places missing),
        and ``chance_of_shortfall_cohort`` (the same chance for cohort-based demand;
        ``NaN`` where there is none).

    Examples
    --------
    >>> g = pd.DataFrame({"district_id": ["a"], "year": [2030], "level": ["primary"],
    ...                   "scenario": [85.0], "required": [1000.0], "required_lower": [900.0],
    ...                   "required_upper": [1200.0], "offered": [1100.0]})
    >>> out = add_shortfall(g, interval=0.8)
    >>> out[["chance_of_shortfall", "gap_low", "gap_central", "gap_high"]].round(3).values.tolist()
    [[0.251, -200.0, -100.0, 100.0]]

    By hand: above the median the log-sd is ln(1200/1000) / z₀.₉ = 0.18232 / 1.28155 =
    0.14226, so P(required > 1100) = 1 − Φ(ln 1.1 / 0.14226) = 1 − Φ(0.670) = 0.251.
    """
    out = gaps.copy()
    v = out["required"].to_numpy(dtype=np.float64)
    lo = out["required_lower"].to_numpy(dtype=np.float64)
    hi = out["required_upper"].to_numpy(dtype=np.float64)
    offered = out["offered"].to_numpy(dtype=np.float64)
    out["chance_of_shortfall"] = chance_above(v, lo, hi, offered, interval=interval)
    for name, q in zip(("low", "central", "high"), LOW_CENTRAL_HIGH, strict=True):
        out[f"required_{name}"] = quantile_of(v, lo, hi, q, interval=interval)
        out[f"gap_{name}"] = out[f"required_{name}"] - out["offered"]
    out["chance_of_shortfall_cohort"] = np.nan
    if cohort is not None and len(cohort):
        keys = ["district_id", "year", "level", "scenario"]
        c = cohort[[*keys, "cohort_demand", "cohort_lower", "cohort_upper"]].copy()
        c["district_id"] = c["district_id"].astype(str)
        m = (
            out[keys]
            .assign(district_id=out["district_id"].astype(str))
            .merge(c, on=keys, how="left")
        )
        out["chance_of_shortfall_cohort"] = chance_above(
            m["cohort_demand"].to_numpy(dtype=np.float64),
            m["cohort_lower"].to_numpy(dtype=np.float64),
            m["cohort_upper"].to_numpy(dtype=np.float64),
            offered,
            interval=interval,
        )
    return out
