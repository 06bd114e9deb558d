"""Rolling-origin backtests: how far to trust each forecast method, against a naive baseline.

For every origin year the methods see only the data up to that year (censuses after it are
unknown, so re-basing uses nothing from the future; with ``vintage="final"`` they see the
history as revised today instead) and forecast ahead; the forecasts are
compared with what was later observed at 1, 3, 5 and 10 years. The truth is the final,
re-based series at its observed years (censuses and year-end estimates; interpolated
years are never scored): a forecast made in 2015 from estimates that the 2020 census later
corrected is scored against the corrected values, as an analyst would judge it today.

:func:`backtest` returns one row per forecast point; :func:`backtest_report` the accuracy
table: MAPE, bias (mean percentage error: positive means over-forecast), interval coverage
and the naive baseline's MAPE on the same points, per method, quantity, horizon and
(optionally) district. ``ensemble`` is scored honestly: its weights at an origin (stacked,
:func:`stacked_weights`, or inverse squared error with too few points, shrunk towards equal
weights, :func:`~xuewei.forecast.weights.shrunk_weights`) use only
the errors of forecasts whose outcome was known by then (at its horizon, or before any is
known — a 10-year error takes 10 years — at the longest shorter horizon with known errors),
and so does its interval: split-conformal from the past ensemble errors known at the
origin (:func:`empirical_bounds`) — this horizon's own once :data:`MIN_CALIBRATION_ERRORS`
exist, before that every horizon's rescaled to this one (:func:`calibration_errors`,
:func:`pooled_log_errors`) — else the weighted members' bounds. Only the errors of the
latest :data:`CALIBRATION_WINDOW` origins count, and never those of an ensemble weighted
on no past error (the plain average of the first origins). Where a member reports the
spread of children not yet born (the cohort method's ``births_sd``), the interval is at
least that wide (:func:`births_floor`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal, cast

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from xuewei.data import Standards, load_standards
from xuewei.errors import ConfigError, InputError, Problem
from xuewei.forecast._backtest_ensemble import ensemble_scores
from xuewei.forecast._grades import COHORT_LEVELS, clean_enrolment, grade_layout
from xuewei.forecast.calibration import (
    CALIBRATION_WINDOW,
    MIN_CALIBRATION_ERRORS,
    MIN_STACKING_POINTS,
    births_floor,
    calibration_errors,
    empirical_bounds,
    ensemble_weights,
    pooled_log_errors,
    stacked_weights,
)
from xuewei.forecast.cohort import forecast_cohort
from xuewei.forecast.districts import forecast_districts
from xuewei.forecast.history import final_vintage, rebase_intercensal
from xuewei.forecast.panel import forecast_panel
from xuewei.forecast.trend import (
    FORECAST_COLUMNS,
    SPREAD_GROWTH_BOUNDS,
    TrendMethod,
    forecast_trends,
    spread_growth,
)

__all__ = [
    "BACKTEST_HORIZONS",
    "CALIBRATION_WINDOW",
    "MIN_CALIBRATION_ERRORS",
    "MIN_STACKING_POINTS",
    "SPREAD_GROWTH_BOUNDS",
    "backtest",
    "backtest_report",
    "births_floor",
    "calibration_errors",
    "empirical_bounds",
    "ensemble_weights",
    "pooled_log_errors",
    "spread_growth",
    "stacked_weights",
]

#: Horizons (years ahead) scored by default.
BACKTEST_HORIZONS = (1, 3, 5, 10)

Forecaster = Callable[[pd.DataFrame, int, int, float], pd.DataFrame]
"""``(history, origin, last_year, interval) -> tidy forecast`` for a custom method."""

_TREND = ("naive", "drift", "ets", "damped", "arima")
_BUILT_IN = (*_TREND, "panel", "share", "cohort", "ensemble")
logger = logging.getLogger("xuewei.forecast")
# Set by callers that report the backtest's warnings themselves, with the areas they concern
# (the ensemble's own backtests): the warnings are then not logged here a first time.
# A context variable, so that it holds for the calling thread only.
_QUIET: ContextVar[bool] = ContextVar("xuewei_backtest_quiet", default=False)


@contextmanager
def warnings_reported_by_caller() -> Iterator[None]:
    """Within this block, :func:`backtest` returns its warnings without logging them."""
    token = _QUIET.set(True)
    try:
        yield
    finally:
        _QUIET.reset(token)


def _truth(population: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    rows = population[population["district_id"].isin(ids)]
    rebased = rebase_intercensal(rows)
    return pd.DataFrame(
        {
            "district_id": rebased["district_id"],
            "year": rebased["year"].astype(np.int64),
            "quantity": "population",
            "actual": rebased["population"].astype("float64"),
        }
    )


def _level_table(enrolment: pd.DataFrame, level: str, grades: dict[str, list[int]]) -> pd.DataFrame:
    e = enrolment[enrolment["grade"].isin(grades[level])]
    n = e.groupby(["district_id", "year"])["grade"].nunique()
    t = e.groupby(["district_id", "year"], as_index=False)["pupils"].sum()
    complete = n.reindex(pd.MultiIndex.from_arrays([t["district_id"], t["year"]]))
    t = t[complete.to_numpy() == len(grades[level])]
    return t.rename(columns={"pupils": "population"})


def backtest(
    population: pd.DataFrame,
    *,
    methods: Sequence[str] | Mapping[str, Forecaster] = ("naive", "drift", "ets", "arima"),
    horizons: Sequence[int] = BACKTEST_HORIZONS,
    origins: Sequence[int] | None = None,
    interval: float = 0.8,
    district_ids: Sequence[str] | None = None,
    city_id: str | None = None,
    enrolment: pd.DataFrame | None = None,
    min_train_years: int = 5,
    standards: Standards | None = None,
    ensemble_weighting: Literal["pooled", "area"] = "pooled",
    vintage: Literal["real-time", "final"] = "real-time",
) -> pd.DataFrame:
    """Score forecast methods by rolling origin.

    Parameters
    ----------
    population
        Tidy table: ``district_id``, ``year``, ``population``, optionally ``basis`` and
        ``births``.
    methods
        Names among ``naive``, ``drift``, ``ets``, ``damped``, ``arima``, ``panel``,
        ``share`` (needs
        ``city_id``), ``cohort`` (needs ``enrolment``) and ``ensemble`` (of the others but
        ``naive``), or a mapping of names to custom forecasters (see :data:`Forecaster`;
        a key ``ensemble``, whatever its value, ensembles them). ``naive`` is always
        added: it is the baseline.
    horizons
        Years ahead to score.
    origins
        Origin years; default every year with an observation that has at least
        ``min_train_years`` years of history before it and a later observation.
    interval
        Prediction-interval coverage scored.
    district_ids
        Areas to score (default every area of the table; include ``city_id`` to score the
        city series).
    city_id
        Id of the city-total rows (used by ``share``).
    enrolment
        Tidy ``district_id``, ``year``, ``grade``, ``pupils``: adds the quantities
        ``primary``, ``junior`` (and ``kindergarten``) scored for every method.
    min_train_years
        See ``origins``.
    standards
        The standards in force (grades per level, and the cohort method's entry age and
        window); ``None`` means the packaged defaults (:func:`~xuewei.data.load_standards`).
    ensemble_weighting
        ``pooled``: the ensemble at each origin is weighted on all the areas' past errors
        together; ``area``: each area on its own, the intervals calibrated on every area's
        past errors all the same (with more than one area, each error divided by its
        members' envelope) — the ensemble of :func:`~xuewei.forecast.forecast_batch` with
        ``ensemble_weighting="area"``.
    vintage
        ``real-time``: each origin sees the estimates as they were then (re-based only by
        the censuses before it), so a forecast is also charged with a later census's
        re-count; ``final``: every origin sees the history as revised today
        (:func:`~xuewei.forecast.history.final_vintage`), so the errors are the trend's
        alone — the errors that calibrate the ensemble's intervals.

    Returns
    -------
    pandas.DataFrame
        One row per method, quantity, district, origin and horizon: ``method``,
        ``quantity``, ``district_id``, ``origin``, ``horizon``, ``year``, ``actual``,
        ``value``, ``lower``, ``upper``, ``pct_error`` (100 × (value − actual) / actual)
        and ``covered``. ``attrs["warnings"]`` lists, one sentence each, every method and
        quantity that could not forecast at some origins (also logged as warnings on the
        ``xuewei.forecast`` logger): those points are missing, not scored as failures.

    Raises
    ------
    ConfigError
        For an unknown method or ``ensemble_weighting``.
    InputError
        When no method could forecast at any origin.

    Examples
    --------
    A series growing 3 % a year: drift is exact one year ahead, naive 2.9 % short:

    >>> pop = pd.DataFrame({"district_id": "a", "year": range(2000, 2012),
    ...                     "population": [1000.0 * 1.03**k for k in range(12)]})
    >>> e = backtest(pop, methods=["drift"], horizons=[1], origins=[2010])
    >>> e.set_index("method")["pct_error"].round(2).to_dict()
    {'drift': -0.3, 'naive': -2.91}
    """
    pop = population.copy()
    pop["district_id"] = pop["district_id"].astype(str)
    if "basis" not in pop:
        pop["basis"] = "estimate"
    ids = (
        sorted(set(pop["district_id"])) if district_ids is None else [str(d) for d in district_ids]
    )
    if isinstance(methods, Mapping):
        custom = dict(methods)
        names = ["naive", *[m for m in custom if m != "naive"]]
    else:
        custom = {}
        names = ["naive", *[m for m in methods if m != "naive"]]
    unknown = [m for m in names if m not in custom and m not in _BUILT_IN]
    if unknown:
        raise ConfigError(
            f"unknown method {unknown[0]!r}; expected one of {', '.join(_BUILT_IN)} "
            "or a custom forecaster"
        )
    if vintage not in ("real-time", "final"):
        raise ConfigError(f"unknown vintage {vintage!r}; expected 'real-time' or 'final'")
    if vintage == "final":
        pop = final_vintage(pop)
    if ensemble_weighting not in ("pooled", "area"):
        raise ConfigError(
            f"unknown ensemble_weighting {ensemble_weighting!r}; expected 'pooled' or 'area'"
        )
    want_ensemble = "ensemble" in names
    names = [m for m in names if m != "ensemble"]
    std = standards if standards is not None else load_standards()
    tables, actual = _tables(pop, ids, enrolment, std)
    hmax = max(horizons)
    if origins is None:
        years = np.sort(actual.loc[actual["quantity"] == "population", "year"].unique())
        first = years[0]
        origins = [int(y) for y in years if y - first >= min_train_years and y < years[-1]]
    frames, failed = _forecast_origins(
        names, custom, tables, origins, hmax, interval, ids, city_id, pop, enrolment, std
    )
    warnings = _failure_warnings(failed)
    if not frames:
        raise InputError(
            [
                Problem(
                    "population",
                    "no forecast could be made at any origin; give more history"
                    + "".join(f" ({w})" for w in warnings[:1]),
                )
            ]
        )
    out = _score(
        pd.concat(frames, ignore_index=True),
        actual,
        horizons,
        interval,
        want_ensemble,
        by_area=ensemble_weighting == "area",
    )
    out.attrs["warnings"] = warnings
    return out


def _forecast_origins(
    names: list[str],
    custom: dict[str, Forecaster],
    tables: Mapping[str, pd.DataFrame],
    origins: Sequence[int],
    hmax: int,
    interval: float,
    ids: list[str],
    city_id: str | None,
    pop: pd.DataFrame,
    enrolment: pd.DataFrame | None,
    std: Standards,
) -> tuple[list[pd.DataFrame], dict[tuple[str, str], list[tuple[int, str]]]]:
    """Forecast every quantity with every method from every origin.

    Returns the forecasts and, per method and quantity, the origins it could not forecast
    from with the reason.
    """
    failed: dict[tuple[str, str], list[tuple[int, str]]] = {}
    # tiny models: BLAS threads only contend (2.2x slower with 2 threads on 2 cores)
    with threadpool_limits(limits=1):
        frames = []
        for origin in origins:
            last = int(origin) + hmax
            cache: dict[str, pd.DataFrame | None] = {}
            for name in names:
                for quantity, table in tables.items():
                    try:
                        fc = _run(
                            name,
                            custom,
                            table,
                            quantity,
                            origin,
                            last,
                            interval,
                            ids,
                            city_id,
                            pop,
                            enrolment,
                            cache,
                            std,
                        )
                    except ValueError as exc:  # not enough history at this origin
                        failed.setdefault((name, quantity), []).append((int(origin), str(exc)))
                        continue
                    if fc is not None and not fc.empty:
                        frames.append(fc.assign(origin=int(origin)))
    return frames, failed


def _tables(
    pop: pd.DataFrame, ids: list[str], enrolment: pd.DataFrame | None, standards: Standards
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Return the table forecast per quantity and the observed truth of every quantity."""
    truth = [_truth(pop, ids)]
    tables = {"population": pop}
    if enrolment is not None:
        enr = clean_enrolment(enrolment, "enrolment")
        grades = grade_layout(standards)
        for level in COHORT_LEVELS:
            t = _level_table(enr[enr["district_id"].isin(ids)], level, grades)
            if t.empty:
                continue
            tables[level] = t
            truth.append(
                t.rename(columns={"population": "actual"}).assign(quantity=level)[
                    ["district_id", "year", "quantity", "actual"]
                ]
            )
    return tables, pd.concat(truth, ignore_index=True)


def _failure_warnings(failed: Mapping[tuple[str, str], list[tuple[int, str]]]) -> list[str]:
    """One sentence per method and quantity that could not forecast at some origins.

    Each is logged as a warning on the ``xuewei.forecast`` logger, unless the caller
    reports them (:func:`warnings_reported_by_caller`).
    """
    warnings = []
    for (name, quantity), fails in failed.items():
        made = ", ".join(str(o) for o, _ in fails)
        text = (
            f"backtest: method {name} made no {quantity} forecast at origin(s) {made} "
            f"({fails[-1][1]}); those points are not scored"
        )
        if not _QUIET.get():
            logger.warning(text)
        warnings.append(text)
    return warnings


def _score(
    fcs: pd.DataFrame,
    actual: pd.DataFrame,
    horizons: Sequence[int],
    interval: float,
    want_ensemble: bool,
    *,
    by_area: bool = False,
) -> pd.DataFrame:
    """Join the forecasts to the truth, add the ensemble, and score each point."""
    hmax = max(horizons)
    fcs["horizon"] = fcs["year"] - fcs["origin"]
    # every horizon up to the longest is kept for the ensemble: its weights and interval at
    # an origin learn from all the past errors known by then, not only the scored horizons
    scored = fcs[(fcs["horizon"] >= 1) & (fcs["horizon"] <= hmax)].merge(
        actual, on=["district_id", "year", "quantity"], how="inner"
    )
    if want_ensemble:
        scored = pd.concat(
            [scored, ensemble_scores(scored, interval, by_area=by_area)], ignore_index=True
        )
    scored = scored[scored["horizon"].isin(list(horizons))]
    scored["pct_error"] = 100.0 * (scored["value"] - scored["actual"]) / scored["actual"]
    scored["covered"] = (scored["lower"] <= scored["actual"]) & (
        scored["actual"] <= scored["upper"]
    )
    cols = [
        "method",
        "quantity",
        "district_id",
        "origin",
        "horizon",
        "year",
        "actual",
        "value",
        "lower",
        "upper",
        "pct_error",
        "covered",
    ]
    order = ["quantity", "district_id", "method", "origin", "horizon"]
    return scored[cols].sort_values(order, kind="stable").reset_index(drop=True)


def _run(
    name: str,
    custom: dict[str, Forecaster],
    table: pd.DataFrame,
    quantity: str,
    origin: int,
    last: int,
    interval: float,
    ids: list[str],
    city_id: str | None,
    pop: pd.DataFrame,
    enrolment: pd.DataFrame | None,
    cache: dict[str, pd.DataFrame | None],
    standards: Standards,
) -> pd.DataFrame | None:
    """Forecast one quantity with one method from one origin; ``None`` if it does not apply.

    Raises ``ValueError`` (an :class:`~xuewei.errors.InputError` as a rule) when the method
    cannot forecast from the history up to the origin.
    """
    hist = table[table["year"] <= origin]
    present = [d for d in ids if d in set(hist["district_id"])]
    if not present:
        return None
    if name in custom:
        out = custom[name](hist, origin, last, interval)
    elif name in _TREND:
        out = forecast_trends(
            hist,
            horizon=last,
            method=cast(TrendMethod, name),
            interval=interval,
            district_ids=present,
        )
    elif name == "panel":
        out = forecast_panel(
            hist,
            horizon=last,
            base_year=origin,
            interval=interval,
            district_ids=[d for d in present if d != city_id],
        )
    elif name == "share":
        if quantity != "population" or city_id is None:
            return None
        dist = [d for d in present if d != city_id]
        f = forecast_districts(
            hist, dist, horizon=last, city_id=city_id, base_year=origin, interval=interval
        )
        out = f[f["kind"] == "forecast"].assign(quantity="population", method="share")
    else:  # cohort
        if quantity == "population" or enrolment is None:
            return None
        if "cohort" not in cache:  # one cohort run gives every level
            cache["cohort"] = None
            cache["cohort"] = forecast_cohort(
                pop[pop["year"] <= origin],
                enrolment,
                horizon=last,
                base_year=origin,
                interval=interval,
                district_ids=present,
                standards=standards,
            )
        cohort = cache["cohort"]
        if cohort is None:
            return None
        out = cohort[cohort["quantity"] == quantity]
    out = out.assign(quantity=quantity, method=name)
    # the cohort's births-not-yet-born spread travels to the ensemble (a floor on its width)
    return out[[*FORECAST_COLUMNS, *(["births_sd"] if "births_sd" in out else [])]]


def backtest_report(
    errors: pd.DataFrame, *, by_district: bool = False, baseline: str = "naive"
) -> pd.DataFrame:
    """Summarise backtest errors into the accuracy table.

    Parameters
    ----------
    errors
        Output of :func:`backtest`.
    by_district
        One row per district too (default: all districts pooled).
    baseline
        The method every other is compared with, on the same forecast points.

    Returns
    -------
    pandas.DataFrame
        ``method``, ``quantity``, (``district_id``), ``horizon``, ``n`` (points scored),
        ``mape`` (%), ``bias`` (mean % error; > 0 over-forecasts), ``rmspe`` (%),
        ``coverage`` (share of actuals inside the interval), ``naive_mape`` (the baseline
        on the same points) and ``beats_naive``.

    Examples
    --------
    >>> pop = pd.DataFrame({"district_id": "a", "year": range(2000, 2014),
    ...                     "population": [1000.0 * 1.03**k for k in range(14)]})
    >>> r = backtest_report(backtest(pop, methods=["drift"], horizons=[1, 3]))
    >>> r[r.method == "drift"][["horizon", "beats_naive"]].values.tolist()
    [[1, True], [3, True]]
    """
    keys = ["quantity", *(["district_id"] if by_district else []), "horizon"]
    e = errors.copy()
    e["ape"] = e["pct_error"].abs()
    e["sq"] = e["pct_error"] ** 2
    base = e[e["method"] == baseline][["quantity", "district_id", "origin", "horizon", "ape"]]
    e = e.merge(
        base.rename(columns={"ape": "naive_ape"}),
        on=["quantity", "district_id", "origin", "horizon"],
        how="left",
    )
    rep = (
        e.groupby(["method", *keys], sort=False)
        .agg(
            n=("ape", "size"),
            mape=("ape", "mean"),
            bias=("pct_error", "mean"),
            rmspe=("sq", lambda s: float(np.sqrt(s.mean()))),
            coverage=("covered", "mean"),
            naive_mape=("naive_ape", "mean"),
        )
        .reset_index()
    )
    rep["beats_naive"] = rep["mape"] < rep["naive_mape"]
    rep.loc[rep["method"] == baseline, "beats_naive"] = False
    order = {m: i for i, m in enumerate(dict.fromkeys(errors["method"]))}
    rep["_o"] = rep["method"].map(order)
    rep = rep.sort_values([*keys[:-1], "horizon", "_o"], kind="stable").drop(columns="_o")
    return rep.reset_index(drop=True)
