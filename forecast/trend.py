"""Trend forecasts of annual series: damped exponential smoothing, ARIMA, drift and naive.

Total residents grow roughly multiplicatively and growth fades as a city matures, so the
default is additive-error, additive-damped-trend exponential smoothing (ETS(A,Ad,N), Gardner
& McKenzie) fitted to the logarithm of the series with statsmodels; forecasts and
prediction intervals are transformed back, which keeps them positive and lets the interval
widen with the level. Series too short for five ETS parameters (fewer than
``MIN_ETS_POINTS`` years) use a damped drift: the average growth rate of the series,
damped by the same factor per year, with an interval from the spread of annual growth.

``arima`` is ARIMA(1,1,0) with drift on the logarithm (a growth rate that reverts towards
its mean); ``naive`` is the random walk (the last value, with an interval from the spread
of annual changes) that every method must beat in the backtests. :func:`forecast_trends`
applies any of them to every area of a tidy population table.
"""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.arima.model import ARIMA
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from xuewei.forecast.history import annualise, rebase_intercensal

__all__ = [
    "FORECAST_COLUMNS",
    "MIN_ARIMA_POINTS",
    "MIN_ETS_POINTS",
    "TrendMethod",
    "forecast_trend",
    "forecast_trends",
]

#: Columns of every method's tidy output (see :func:`forecast_trends`).
FORECAST_COLUMNS = ["district_id", "year", "quantity", "value", "lower", "upper", "method"]

#: ETS(A,Ad,N) estimates five parameters; below this many years use the damped drift.
MIN_ETS_POINTS = 10
#: ARIMA(1,1,0) with drift estimates three parameters; below this many years use drift.
MIN_ARIMA_POINTS = 6
_DRIFT_DAMPING = 0.9

TrendMethod = Literal["ets", "arima", "drift", "naive"]


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
        ``"ets"``, ``"arima"``, ``"drift"`` or ``"naive"``; by default ETS when the series
        has at least :data:`MIN_ETS_POINTS` years, else drift. ``ets`` and ``arima`` fall
        back to drift below :data:`MIN_ETS_POINTS` / :data:`MIN_ARIMA_POINTS` years (the
        ``method`` column says which was used).

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
    chosen = method or "ets"
    if chosen == "ets" and len(values) < MIN_ETS_POINTS:
        chosen = "drift"
    if chosen == "arima" and len(values) < MIN_ARIMA_POINTS:
        chosen = "drift"
    if chosen == "ets":
        mean, lower, upper = _ets(np.log(values), steps, interval)
    elif chosen == "arima":
        mean, lower, upper = _arima(np.log(values), steps, interval)
    elif chosen == "drift":
        mean, lower, upper = _drift(np.log(values), steps, interval)
    elif chosen == "naive":
        mean, lower, upper = _naive(np.log(values), steps, interval)
    else:
        raise ValueError(f"unknown method {method!r}; expected 'ets', 'arima', 'drift' or 'naive'")
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


def _arima(log_values: np.ndarray, steps: int, interval: float) -> tuple[np.ndarray, ...]:
    model = ARIMA(log_values, order=(1, 1, 0), trend="t")
    with warnings.catch_warnings():
        # Short or exactly linear series make the likelihood flat; the fit is still usable.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        fit = model.fit()
    frame = fit.get_forecast(steps).summary_frame(alpha=1.0 - interval)
    mean = frame["mean"].to_numpy()
    # a perfectly fitting series has no residual spread; keep the interval non-degenerate
    floor = 1e-4 * np.sqrt(np.arange(1, steps + 1))
    half = np.maximum((frame["mean_ci_upper"] - frame["mean"]).to_numpy(), floor)
    return mean, mean - half, mean + half


def _naive(log_values: np.ndarray, steps: int, interval: float) -> tuple[np.ndarray, ...]:
    growth = np.diff(log_values)
    sd = float(np.sqrt(np.mean(growth**2))) if len(growth) else 0.0
    sd = max(sd, 1e-4)
    mean = np.full(steps, log_values[-1])
    z = stats.norm.ppf(0.5 + interval / 2.0)
    half = z * sd * np.sqrt(np.arange(1, steps + 1))
    return mean, mean - half, mean + half


def forecast_trends(
    population: pd.DataFrame,
    *,
    horizon: int,
    method: TrendMethod | None = None,
    interval: float = 0.8,
    base_year: int | None = None,
    district_ids: list[str] | None = None,
    value_col: str = "population",
    quantity: str = "population",
) -> pd.DataFrame:
    """Forecast every area of a tidy table with one trend method.

    Each area's rows up to ``base_year`` are re-based onto its censuses
    (:func:`~xuewei.forecast.rebase_intercensal`), filled to annual values
    (:func:`~xuewei.forecast.annualise`) and forecast with :func:`forecast_trend` from
    its last year of data to ``horizon``.

    Parameters
    ----------
    population
        Tidy table: ``district_id``, ``year``, ``value_col`` and optionally ``basis``.
    horizon
        The last year forecast.
    method
        ``"ets"`` (default), ``"arima"``, ``"drift"`` or ``"naive"``.
    interval
        Prediction-interval coverage.
    base_year
        The last year of data used (later rows are ignored, as in a backtest).
    district_ids
        The areas to forecast; default every area in the table.
    value_col
        The column forecast.
    quantity
        Label of the ``quantity`` column of the result.

    Returns
    -------
    pandas.DataFrame
        :data:`FORECAST_COLUMNS`: ``district_id``, ``year``, ``quantity``, ``value``,
        ``lower``, ``upper``, ``method`` — one row per area and forecast year.

    Examples
    --------
    A district growing by exactly 100 residents a year and forecast with ARIMA:

    >>> pop = pd.DataFrame({"district_id": "a", "year": range(2011, 2021),
    ...                     "population": [1000.0 * 1.05**k for k in range(10)]})
    >>> f = forecast_trends(pop, horizon=2022, method="arima")
    >>> f[["year", "quantity", "method"]].values.tolist()
    [[2021, 'population', 'arima'], [2022, 'population', 'arima']]
    >>> f["value"].round(1).tolist()
    [1628.9, 1710.3]
    """
    pop = population[["district_id", "year", value_col]].copy()
    pop["district_id"] = pop["district_id"].astype(str)
    if "basis" in population:
        pop["basis"] = population["basis"]
    if base_year is not None:
        pop = pop[pop["year"] <= base_year]
    pop = pop[pop[value_col].notna()]
    ids = (
        sorted(set(pop["district_id"])) if district_ids is None else [str(d) for d in district_ids]
    )
    frames = []
    for district in ids:
        rows = pop[pop["district_id"] == district]
        if rows.empty:
            raise ValueError(f"district {district} has no {value_col} rows to forecast")
        hist = annualise(rebase_intercensal(rows, value_col=value_col), value_col=value_col)
        series = pd.Series(hist[value_col].to_numpy(), index=hist["year"].to_numpy())
        if series.index[-1] >= horizon:
            continue
        fut = forecast_trend(series, horizon=horizon, interval=interval, method=method)
        fut.insert(0, "district_id", district)
        fut.insert(2, "quantity", quantity)
        frames.append(fut[FORECAST_COLUMNS])
    if not frames:
        return _empty_forecast()
    return pd.concat(frames, ignore_index=True)


def _empty_forecast() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district_id": pd.Series(dtype=str),
            "year": pd.Series(dtype=np.int64),
            "quantity": pd.Series(dtype=str),
            "value": pd.Series(dtype=np.float64),
            "lower": pd.Series(dtype=np.float64),
            "upper": pd.Series(dtype=np.float64),
            "method": pd.Series(dtype=str),
        }
    )
