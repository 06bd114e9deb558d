"""Trend forecasts of one annual series: damped exponential smoothing with intervals.

Total residents grow roughly multiplicatively and growth fades as a city matures, so the
default is additive-error, additive-damped-trend exponential smoothing (ETS(A,Ad,N), Gardner
& McKenzie) fitted to the logarithm of the series with statsmodels; forecasts and
prediction intervals are transformed back, which keeps them positive and lets the interval
widen with the level. Series too short for five ETS parameters (fewer than
``MIN_ETS_POINTS`` years) use a damped drift: the average growth rate of the series,
damped by the same factor per year, with an interval from the spread of annual growth.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

__all__ = ["MIN_ETS_POINTS", "TrendMethod", "forecast_trend"]

#: ETS(A,Ad,N) estimates five parameters; below this many years use the damped drift.
MIN_ETS_POINTS = 10
_DRIFT_DAMPING = 0.9

TrendMethod = Literal["ets", "drift"]


def forecast_trend(
    series: pd.Series,
    *,
    horizon: int,
    interval: float = 0.8,
    method: TrendMethod | None = None,
) -> pd.DataFrame:
    """Forecast an annual series to ``horizon`` with a prediction interval.

    Parameters
    ----------
    series
        Positive values indexed by consecutive integer years (no gaps; see
        :func:`xuewei.forecast.annualise`).
    horizon
        The last year to forecast; must be after the last year of ``series``.
    interval
        Coverage of the prediction interval, e.g. 0.8 for the 10th–90th percentiles.
    method
        ``"ets"`` or ``"drift"``; by default ETS when the series has at least
        :data:`MIN_ETS_POINTS` years, else drift.

    Returns
    -------
    pandas.DataFrame
        One row per forecast year: ``year``, ``value``, ``lower``, ``upper``, ``method``.

    Examples
    --------
    A series growing exactly 2% a year is forecast to keep growing, slightly damped:

    >>> s = pd.Series(1000 * 1.02 ** np.arange(6), index=range(2019, 2025))
    >>> f = forecast_trend(s, horizon=2026)
    >>> f["year"].tolist(), f["method"].iloc[0]
    ([2025, 2026], 'drift')
    >>> bool((f["value"] > s.iloc[-1]).all() and (f["lower"] <= f["value"]).all())
    True
    """
    years = np.asarray(series.index, dtype=np.int64)
    values = series.to_numpy(dtype=np.float64)
    _check_series(years, values, horizon, interval)
    steps = int(horizon - years[-1])
    chosen = method or ("ets" if len(values) >= MIN_ETS_POINTS else "drift")
    if chosen == "ets":
        mean, lower, upper = _ets(np.log(values), steps, interval)
    elif chosen == "drift":
        mean, lower, upper = _drift(np.log(values), steps, interval)
    else:
        raise ValueError(f"unknown method {method!r}; expected 'ets' or 'drift'")
    return pd.DataFrame(
        {
            "year": np.arange(years[-1] + 1, horizon + 1, dtype=np.int64),
            "value": np.exp(mean),
            "lower": np.exp(lower),
            "upper": np.exp(upper),
            "method": chosen,
        }
    )


def _check_series(years: np.ndarray, values: np.ndarray, horizon: int, interval: float) -> None:
    if len(values) < 2:
        raise ValueError(f"a trend needs at least 2 years of data; got {len(values)}")
    if np.any(np.diff(years) != 1):
        raise ValueError("years must be consecutive; fill gaps first with forecast.annualise")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("values must be positive and finite for a multiplicative trend")
    if horizon <= years[-1]:
        raise ValueError(f"horizon {horizon} must be after the last year {years[-1]}")
    if not 0 < interval < 1:
        raise ValueError(f"interval {interval} must be in (0, 1)")


def _ets(log_values: np.ndarray, steps: int, interval: float) -> tuple[np.ndarray, ...]:
    y = pd.Series(log_values, index=pd.RangeIndex(len(log_values)))
    model = ETSModel(y, error="add", trend="add", damped_trend=True)
    with warnings.catch_warnings():
        # The optimiser may stop at its iteration limit on short or flat series; the fit is
        # still the best found, and its quality shows in the backtests, not in a warning.
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = model.fit(disp=False)
    pred = fit.get_prediction(start=len(y), end=len(y) + steps - 1)
    frame = pred.summary_frame(alpha=1.0 - interval)
    return (
        frame["mean"].to_numpy(),
        frame["pi_lower"].to_numpy(),
        frame["pi_upper"].to_numpy(),
    )


def _drift(log_values: np.ndarray, steps: int, interval: float) -> tuple[np.ndarray, ...]:
    growth = np.diff(log_values)
    rate = float(growth.mean())
    damp = _DRIFT_DAMPING ** np.arange(1, steps + 1)
    mean = log_values[-1] + rate * np.cumsum(damp)
    # One-step spread from the annual growth rates; a random walk widens with sqrt(h).
    sd = float(growth.std(ddof=1)) if len(growth) > 1 else abs(rate)
    sd = max(sd, 1e-4)
    z = stats.norm.ppf(0.5 + interval / 2.0)
    half = z * sd * np.sqrt(np.arange(1, steps + 1))
    return mean, mean - half, mean + half
