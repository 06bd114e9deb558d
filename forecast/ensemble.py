"""Ensemble forecasts of residents per district, weighted by rolling-origin backtest error.

No single method wins everywhere: damped ETS is best where growth fades, Holt's trend
(chosen by ``ets`` where its AICc says growth persists) where it does not, drift on short
series. The ensemble forecasts the *city* series (or, without city rows, each district)
with several trend methods (:data:`ENSEMBLE_METHODS`) and averages them with weights per
horizon from a rolling-origin backtest. It starts from the damped trend, the benchmark of
annual series (Gardner & McKenzie 1985; Makridakis & Hibon 2000), and departs from it only
where the backtest shows a combination beating it: the weights that would have minimised
the squared backtest error at that horizon (stacking), shrunk towards the damped trend by
the number of backtest points, are used if a one-sided Diebold–Mariano test (overlapping
multi-step errors allowed for) finds their past squared errors smaller at the 5 % level,
each past point judged by weights fitted without it (without its area, where several
share the backtest)
(:func:`~xuewei.forecast.weights.gated_weights`); otherwise the damped trend alone.
One year ahead the even mix of the damped trend and ETS is tested first, and where it won
it takes the damped trend's place (:data:`~xuewei.forecast.weights.MIX_HORIZONS`).
Members that extrapolate one series err alike, and weights learnt from a backtest lag
the series: shrunk towards *equal* weights they lost to the damped trend by up to 21 %
on growth panels (``benchmarks/forecast.md``). The weights used at every forecast
horizon, with the test's p-value, are in the result's ``attrs["weights"]``. Districts
are then the city ensemble times their shares (the ``share`` method of
:func:`~xuewei.forecast.forecast_districts`), so they reconcile to the city total by
construction; without city rows the city is the sum of the districts.
Intervals are empirical once the backtest has enough past ensemble errors
(:data:`~xuewei.forecast.calibration.MIN_CALIBRATION_ERRORS` at the horizon, or else all
horizons pooled and rescaled to it by the fitted growth of spread, see
:func:`~xuewei.forecast.calibration.calibration_errors`): the forecast times
``exp(∓q)``, ``q`` the quantile of the past ``|log(actual / forecast)|``
(:func:`~xuewei.forecast.calibration.empirical_bounds`, split-conformal), so the forecast
is always strictly inside; where several areas share one backtest (no city rows, or
:func:`~xuewei.forecast.forecast_batch` pooled) and the damped trend is a member, each
past error is first divided by the members' envelope at its origin, and the interval is
this forecast's envelope scale times the quantile of those scores
(:func:`~xuewei.forecast.calibration.scaled_bounds`, normalised conformal), so that areas
of any size and volatility share one calibration; elsewhere the members' envelope (or the
weighted averages of their bounds, without the damped trend). A
district's interval is its share of the city interval widened by the uncertainty of its
share, as in the ``share`` method of :func:`~xuewei.forecast.forecast_districts`.
No fallback is silent: each (no backtest, too few points to calibrate a horizon, a member
without backtest forecasts, a member that cannot forecast) is logged as a warning on the
``xuewei.forecast`` logger and listed in the result's ``attrs["warnings"]``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd

from xuewei.errors import InputError, Problem
from xuewei.forecast._member_backtest import (
    ENSEMBLE_METHODS,
    SharedBacktest,
    area_names,
    horizon_span,
    shared_backtest,
)
from xuewei.forecast._shares import scale_to_city
from xuewei.forecast.calibration import (
    MIN_CALIBRATION_ERRORS,
    benchmark_index,
    calibration_errors,
    empirical_bounds,
    envelope_scale,
    scaled_bounds,
)
from xuewei.forecast.districts import forecast_districts
from xuewei.forecast.trend import FORECAST_COLUMNS, TrendMethod, forecast_trends

__all__ = [
    "ENSEMBLE_METHODS",
    "SharedBacktest",
    "applied_weights",
    "combine_forecasts",
    "forecast_ensemble",
    "reconcile",
    "shared_backtest",
]

logger = logging.getLogger("xuewei.forecast")


def combine_forecasts(forecasts: pd.DataFrame, weights: pd.DataFrame) -> pd.DataFrame:
    """Average member forecasts with weights per horizon.

    Parameters
    ----------
    forecasts
        Tidy member forecasts (:data:`~xuewei.forecast.FORECAST_COLUMNS`) plus ``horizon``
        (years after the base year).
    weights
        ``method``, ``horizon``, ``weight`` (as from
        :func:`~xuewei.forecast.calibration.ensemble_weights`). A forecast horizon takes the
        weights of the nearest weighted horizon (ties go to the shorter one). Methods
        without weight are left out; weights are re-normalised over the members present.

    Returns
    -------
    pandas.DataFrame
        :data:`~xuewei.forecast.FORECAST_COLUMNS`, ``method`` ``ensemble``.

    Examples
    --------
    >>> f = pd.DataFrame({"district_id": "a", "year": 2021, "quantity": "population",
    ...                   "value": [100.0, 200.0], "lower": [90.0, 180.0],
    ...                   "upper": [110.0, 220.0], "method": ["x", "y"], "horizon": 1})
    >>> w = pd.DataFrame({"method": ["x", "y"], "horizon": 1, "weight": [0.75, 0.25]})
    >>> combine_forecasts(f, w)[["value", "lower", "upper"]].values.tolist()
    [[125.0, 112.5, 137.5]]
    """
    known = np.sort(weights["horizon"].unique())
    f = forecasts.copy()
    idx = np.abs(f["horizon"].to_numpy()[:, None] - known[None, :]).argmin(axis=1)
    f["_wh"] = known[idx]
    w = weights.rename(columns={"horizon": "_wh"})[["method", "_wh", "weight"]]
    f = f.merge(w, on=["method", "_wh"], how="inner")
    cols = ["value", "lower", "upper"]
    weighted = f[cols].mul(f["weight"], axis=0)
    weighted[["district_id", "year", "quantity"]] = f[["district_id", "year", "quantity"]]
    weighted["weight"] = f["weight"]
    agg = weighted.groupby(["district_id", "year", "quantity"], sort=True).sum()
    for c in cols:
        agg[c] = agg[c] / agg["weight"]
    out = agg.drop(columns="weight").reset_index()
    out["method"] = "ensemble"
    return out[FORECAST_COLUMNS]


def reconcile(districts: pd.DataFrame, city: pd.DataFrame) -> pd.DataFrame:
    """Scale district forecasts so that each year they sum to the city forecast.

    Each district's value and bounds are multiplied by ``city value ÷ sum of district
    values`` of their year (proportional reconciliation).

    Parameters
    ----------
    districts
        Tidy forecasts with ``district_id``, ``year``, ``value``, ``lower``, ``upper``.
    city
        ``year`` and ``value`` of the city total.

    Returns
    -------
    pandas.DataFrame
        A copy of ``districts`` with scaled values and bounds.

    Examples
    --------
    >>> d = pd.DataFrame({"district_id": ["a", "b"], "year": 2030, "value": [60.0, 20.0],
    ...                   "lower": [50.0, 10.0], "upper": [70.0, 30.0]})
    >>> reconcile(d, pd.DataFrame({"year": [2030], "value": [100.0]}))["value"].tolist()
    [75.0, 25.0]
    """
    out = districts.copy()
    sums = out.groupby("year")["value"].transform("sum")
    target = out["year"].map(city.set_index("year")["value"])
    factor = (target / sums).fillna(1.0)
    for c in ("value", "lower", "upper"):
        out[c] = out[c] * factor
    return out


def forecast_ensemble(
    population: pd.DataFrame,
    district_ids: Sequence[str],
    *,
    horizon: int,
    city_id: str | None = None,
    base_year: int | None = None,
    interval: float = 0.8,
    methods: Sequence[str] = ENSEMBLE_METHODS,
    weights: pd.DataFrame | None = None,
    source: str = "population",
    shared: SharedBacktest | None = None,
) -> pd.DataFrame:
    """Forecast residents of every district with the backtest-weighted ensemble.

    Same inputs and output shape as :func:`~xuewei.forecast.forecast_districts` (a drop-in
    for the pipeline), with a ``quantity`` column.

    Parameters
    ----------
    population
        Tidy table: ``district_id``, ``year``, ``population``, optionally ``basis``.
    district_ids
        The districts to forecast.
    horizon
        The last year forecast.
    city_id
        The id of the city-total rows, if any.
    base_year
        The last year of data used.
    interval
        Prediction-interval coverage.
    methods
        Trend methods averaged (see :func:`~xuewei.forecast.forecast_trends`).
    weights
        ``method``, ``horizon``, ``weight``; default from a rolling-origin backtest of
        ``methods`` on the city series (or on all districts pooled, without city rows):
        stacked or inverse-MSE and shrunk towards equal weights by the number of backtest
        points (:func:`~xuewei.forecast.weights.shrunk_weights`); a
        horizon without backtest points takes the nearest weighted horizon's weights, and
        weights are equal when the backtest has none. The same backtest calibrates the
        intervals; with given weights the intervals are the members' weighted bounds.
        Every fallback (no backtest, too short a backtest to calibrate a horizon, a
        member without any backtest forecast or that cannot forecast) is reported: see
        Returns.
    source
        Name of the input, for error messages.
    shared
        The weights and past ensemble errors of a backtest made beforehand on many areas
        pooled (:func:`shared_backtest`), used instead of this series' own backtest (and
        instead of ``weights``); its fallbacks are the caller's to report.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``quantity`` (``population``), ``value``, ``lower``,
        ``upper``, ``kind`` (``observed``, ``interpolated``, ``forecast``) and ``method``
        (``share``/``direct`` in past years, ``ensemble`` in forecast years).
        ``attrs["warnings"]`` lists every fallback taken, one plain sentence each naming
        the area, the member or horizons, what failed and what was used instead (empty
        when none was); each is also logged as a warning on the ``xuewei.forecast``
        logger. ``attrs["weights"]`` gives the weights used, one record (dict) per
        forecast horizon and member (``pandas.DataFrame(f.attrs["weights"])``): ``area`` (the series
        ensembled), ``horizon`` (every forecast horizon), ``method``, ``weight``,
        ``backtest_horizon`` (the backtest horizon they come from), ``n_points`` (its
        backtest points; ``NaN`` for given or equal weights) and ``p_value`` (the
        one-sided p-value of the test that the weights' combination beat the damped
        trend in the backtest, each past point judged by weights fitted without it;
        below 5 % the combination is used, else the damped trend alone; ``NaN`` without
        a test).

    Examples
    --------
    >>> city = [1000.0 * 1.03 ** (y - 2010) for y in range(2006, 2021)]
    >>> pop = pd.DataFrame({
    ...     "district_id": ["c"] * 15 + ["a", "a", "b", "b"],
    ...     "year": list(range(2006, 2021)) + [2010, 2020, 2010, 2020],
    ...     "population": city + [600.0, 700.0, 400.0, city[-1] - 700.0],
    ... })
    >>> f = forecast_ensemble(pop, ["a", "b"], horizon=2025, city_id="c")
    >>> sorted(set(f.loc[f.year > 2020, "method"]))
    ['ensemble']
    >>> f[f.year == 2020].set_index("district_id")["value"].round(1).to_dict()
    {'a': 700.0, 'b': 643.9}
    """
    ids = [str(d) for d in district_ids]
    pop = population.copy()
    pop["district_id"] = pop["district_id"].astype(str)
    if base_year is not None:
        pop = pop[pop["year"] <= base_year]
    has_city = city_id is not None and bool((pop["district_id"] == city_id).any())
    base = forecast_districts(
        pop,
        ids,
        horizon=horizon,
        city_id=city_id if has_city else None,
        interval=interval,
        source=source,
    )
    series_ids = [city_id] if has_city and city_id is not None else ids
    notes: list[str] = []
    backtested = scaled = False  # a backtest could be made; its errors are envelope-scaled
    attempted = shared is not None or weights is None  # a backtest was tried
    if shared is not None:  # its notes are the caller's, once for all the areas
        weights, log_errors, origins = shared.weights, shared.log_errors, shared.origins
        backtested, scaled = shared.backtested, shared.scaled
    elif weights is None:
        own = shared_backtest(pop, series_ids, horizon=horizon, interval=interval, methods=methods)
        weights, log_errors, origins = own.weights, own.log_errors, own.origins
        backtested, scaled = own.backtested, own.scaled
        notes.extend(own.notes)
    else:
        log_errors, origins = {}, {}
    fc = _members(pop, methods, horizon, interval, series_ids, notes)
    last = pop[pop["district_id"].isin(series_ids)].groupby("district_id")["year"].max()
    weights = weights[weights["method"].isin(set(fc["method"]))]
    ens = combine_forecasts(fc, weights)
    ens["horizon"] = ens["year"] - ens["district_id"].map(last)
    trend = benchmark_index(sorted(set(fc["method"]))) is not None
    envelope = _members_envelope(ens, fc)
    if trend:
        ens = envelope  # where no past errors calibrate the interval
    used = applied_weights(weights, sorted(set(fc["horizon"].astype(int))))
    scale = (
        envelope_scale(
            envelope["lower"].to_numpy(np.float64), envelope["upper"].to_numpy(np.float64)
        )
        if scaled
        else None
    )
    ens = _calibrate(ens, log_errors, origins, interval, noise_trend=trend or scaled, scale=scale)
    if backtested or attempted:  # say where past errors were too few to calibrate
        notes.extend(_uncalibrated(ens, log_errors, origins, series_ids, envelope=trend))
    hist = base[base["kind"] != "forecast"].assign(quantity="population")
    fut = base[base["kind"] == "forecast"].assign(quantity="population")
    if has_city:
        assert city_id is not None
        fut = scale_to_city(fut, ens, pop, ids, city_id, horizon, interval)
    else:
        e = ens.set_index(["district_id", "year"])
        key = pd.MultiIndex.from_frame(fut[["district_id", "year"]])
        for c in ("value", "lower", "upper"):
            fut[c] = e[c].reindex(key).to_numpy()
    fut["method"] = "ensemble"
    cols = ["district_id", "year", "quantity", "value", "lower", "upper", "kind", "method"]
    out = pd.concat([hist[cols], fut[cols]], ignore_index=True)
    out = out.sort_values(["district_id", "year"], kind="stable").reset_index(drop=True)
    for note in notes:
        logger.warning(note)
    out.attrs["warnings"] = notes
    # records, not a frame: pandas compares attrs when frames are concatenated
    out.attrs["weights"] = used.assign(area=", ".join(series_ids))[
        ["area", "horizon", "method", "weight", "backtest_horizon", "n_points", "p_value"]
    ].to_dict("records")
    return out


def applied_weights(weights: pd.DataFrame, horizons: Sequence[int]) -> pd.DataFrame:
    """Return the weight of each member at each forecast horizon, as :func:`combine_forecasts` uses.

    A forecast horizon takes the weights of the nearest weighted (backtest) horizon, ties
    to the shorter one; weights are re-normalised over the members given.

    Parameters
    ----------
    weights
        ``method``, ``horizon``, ``weight`` and optionally ``n_points`` (the backtest
        points behind them) and ``p_value`` (of the test that let the ensemble depart
        from the damped trend, :func:`~xuewei.forecast.weights.gated_weights`).
    horizons
        Forecast horizons (years after the base year).

    Returns
    -------
    pandas.DataFrame
        ``horizon``, ``method``, ``weight``, ``backtest_horizon`` (the horizon whose
        weights are used), ``n_points`` and ``p_value`` (``NaN`` when not given).

    Examples
    --------
    >>> w = pd.DataFrame({"method": ["x", "y", "x", "y"], "horizon": [1, 1, 10, 10],
    ...                   "weight": [0.6, 0.4, 0.3, 0.7]})
    >>> a = applied_weights(w, [11])
    >>> a[["horizon", "method", "weight", "backtest_horizon"]].values.tolist()
    [[11, 'x', 0.3, 10], [11, 'y', 0.7, 10]]
    """
    known = np.sort(weights["horizon"].astype(int).unique())
    frames = []
    for h in horizons:
        nearest = int(known[np.abs(known - int(h)).argmin()])
        at = weights[weights["horizon"].astype(int) == nearest]
        frames.append(
            pd.DataFrame(
                {
                    "horizon": int(h),
                    "method": at["method"].to_numpy(),
                    "weight": (at["weight"] / at["weight"].sum()).to_numpy(),
                    "backtest_horizon": nearest,
                    "n_points": at["n_points"].to_numpy() if "n_points" in at else np.nan,
                    "p_value": at["p_value"].to_numpy() if "p_value" in at else np.nan,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _members(
    pop: pd.DataFrame,
    methods: Sequence[str],
    horizon: int,
    interval: float,
    series_ids: list[str],
    notes: list[str],
) -> pd.DataFrame:
    """Forecast the series with every member; a member that cannot is reported and left out."""
    members = []
    for m in methods:
        try:
            f = forecast_trends(
                pop,
                horizon=horizon,
                method=cast(TrendMethod, m),
                interval=interval,
                district_ids=series_ids,
            )
        except ValueError as exc:
            notes.append(
                f"{area_names(series_ids)}: member {m} could not forecast ({exc}); it is left "
                "out and the other members' weights re-normalised"
            )
            continue
        members.append(f.assign(method=m))
    if not members:
        raise InputError(
            [Problem("population", f"{area_names(series_ids)}: no ensemble member could forecast")]
        )
    fc = pd.concat(members, ignore_index=True)
    last = pop[pop["district_id"].isin(series_ids)].groupby("district_id")["year"].max()
    fc["horizon"] = fc["year"] - fc["district_id"].map(last)
    return fc


def _members_envelope(ens: pd.DataFrame, fc: pd.DataFrame) -> pd.DataFrame:
    """Give the ensemble the members' envelope (lowest lower, highest upper) as its bounds.

    The interval of horizons that no past ensemble errors calibrate: starting from the
    damped trend, weighted bounds would be the damped trend's own model interval, which
    covered 33–72 % at 1–10 years where backtests had too few errors to calibrate.
    """
    out = ens.copy()
    key = ["district_id", "year"]
    lo = fc.groupby(key)["lower"].min()
    hi = fc.groupby(key)["upper"].max()
    at = pd.MultiIndex.from_frame(out[key])
    out["lower"] = lo.reindex(at).to_numpy()
    out["upper"] = hi.reindex(at).to_numpy()
    return out


def _uncalibrated(
    ens: pd.DataFrame,
    log_errors: dict[int, np.ndarray],
    origins: dict[int, np.ndarray],
    series_ids: list[str],
    *,
    envelope: bool,
) -> list[str]:
    """Return a note naming the forecast horizons whose interval no past errors calibrate.

    ``envelope``: the interval there is the members' envelope, else their weighted bounds.
    """
    raw = sorted(
        int(h)
        for h in set(ens["horizon"])
        if len(calibration_errors(log_errors, int(h), origins=origins)) < MIN_CALIBRATION_ERRORS
    )
    if not raw:
        return []
    return [
        f"{area_names(series_ids)}: {horizon_span(raw)}: fewer than {MIN_CALIBRATION_ERRORS} past "
        "ensemble errors in the backtest; the interval is the members' "
        + (
            "envelope (the lowest lower and the highest upper bound)"
            if envelope
            else "weighted bounds"
        )
        + " instead of the empirical one"
    ]


def _calibrate(
    ens: pd.DataFrame,
    log_errors: dict[int, np.ndarray],
    origins: dict[int, np.ndarray],
    interval: float,
    *,
    noise_trend: bool = False,
    scale: np.ndarray | None = None,
) -> pd.DataFrame:
    """Replace the bounds by empirical ones where enough past ensemble errors exist.

    A horizon takes its own past errors, or before enough are known the errors of all
    horizons rescaled to it (:func:`~xuewei.forecast.calibration.calibration_errors`), as the
    backtest does, from the latest :data:`~xuewei.forecast.calibration.CALIBRATION_WINDOW`
    origins of each horizon. ``scale`` (one per row of ``ens``): the errors are scores
    normalised by the members' envelope, and the bounds each row's scale times their
    quantile (:func:`~xuewei.forecast.calibration.scaled_bounds`); a row without a finite
    scale keeps its bounds.
    """
    out = ens.copy()
    for h in sorted(set(out["horizon"])):
        errs = calibration_errors(log_errors, int(h), origins=origins, noise_trend=noise_trend)
        if len(errs) < MIN_CALIBRATION_ERRORS:
            continue
        at = (out["horizon"] == h).to_numpy()
        value = out.loc[at, "value"].to_numpy()
        if scale is None:
            lower, upper = empirical_bounds(value, errs, interval)
        else:
            s = np.asarray(scale, dtype=np.float64)[at]
            lower, upper = scaled_bounds(value, s, errs, interval)
            has = np.isfinite(s)
            lower = np.where(has, lower, out.loc[at, "lower"].to_numpy())
            upper = np.where(has, upper, out.loc[at, "upper"].to_numpy())
        out.loc[at, "lower"], out.loc[at, "upper"] = lower, upper
    return out
