"""Rolling-origin backtests: how far to trust each forecast method, against a naive baseline.

For every origin year the methods see only the data up to that year (censuses after it are
unknown, so re-basing uses nothing from the future) and forecast ahead; the forecasts are
compared with what was later observed at 1, 3, 5 and 10 years. The truth is the final,
re-based series at its observed years (censuses and year-end estimates; interpolated
years are never scored): a forecast made in 2015 from estimates that the 2020 census later
corrected is scored against the corrected values, as an analyst would judge it today.

:func:`backtest` returns one row per forecast point; :func:`backtest_report` the accuracy
table: MAPE, bias (mean percentage error: positive means over-forecast), interval coverage
and the naive baseline's MAPE on the same points, per method, quantity, horizon and
(optionally) district. ``ensemble`` is scored honestly: its weights at an origin (stacked,
:func:`stacked_weights`, or inverse squared error with too few points) use only
the errors of forecasts whose outcome was known by then (at its horizon, or before any is
known — a 10-year error takes 10 years — at the longest shorter horizon with known errors),
and so does its interval: its central quantiles of the past ensemble errors known at the
origin (:func:`empirical_bounds`) — this horizon's own once :data:`MIN_CALIBRATION_ERRORS`
exist, before that every horizon's rescaled to this one (:func:`calibration_errors`,
:func:`pooled_log_errors`) — else the weighted members' bounds. Only the errors of the
latest :data:`CALIBRATION_WINDOW` origins count, and never those of an ensemble weighted
on no past error (the plain average of the first origins). Where a member reports the
spread of children not yet born (the cohort method's ``births_sd``), the interval is at
least that wide (:func:`births_floor`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import cast

import numpy as np
import pandas as pd
from scipy import optimize, stats
from threadpoolctl import threadpool_limits

from xuewei.data import load_standards
from xuewei.forecast._grades import clean_enrolment, grade_layout
from xuewei.forecast.cohort import forecast_cohort
from xuewei.forecast.districts import forecast_districts
from xuewei.forecast.history import rebase_intercensal
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

_TREND = ("naive", "drift", "ets", "arima")
_LEVELS = ("kindergarten", "primary", "junior")


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
) -> pd.DataFrame:
    """Score forecast methods by rolling origin.

    Parameters
    ----------
    population
        Tidy table: ``district_id``, ``year``, ``population``, optionally ``basis`` and
        ``births``.
    methods
        Names among ``naive``, ``drift``, ``ets``, ``arima``, ``panel``, ``share`` (needs
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

    Returns
    -------
    pandas.DataFrame
        One row per method, quantity, district, origin and horizon: ``method``,
        ``quantity``, ``district_id``, ``origin``, ``horizon``, ``year``, ``actual``,
        ``value``, ``lower``, ``upper``, ``pct_error`` (100 × (value − actual) / actual)
        and ``covered``.

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
    want_ensemble = "ensemble" in names
    names = [m for m in names if m != "ensemble"]
    truth = [_truth(pop, ids)]
    tables = {"population": pop}
    grades: dict[str, list[int]] = {}
    if enrolment is not None:
        enr = clean_enrolment(enrolment, "enrolment")
        grades = grade_layout(load_standards())
        for level in _LEVELS:
            t = _level_table(enr[enr["district_id"].isin(ids)], level, grades)
            if t.empty:
                continue
            tables[level] = t
            truth.append(
                t.rename(columns={"population": "actual"}).assign(quantity=level)[
                    ["district_id", "year", "quantity", "actual"]
                ]
            )
    actual = pd.concat(truth, ignore_index=True)
    hmax = max(horizons)
    if origins is None:
        years = np.sort(actual.loc[actual["quantity"] == "population", "year"].unique())
        first = years[0]
        origins = [int(y) for y in years if y - first >= min_train_years and y < years[-1]]
    # tiny models: BLAS threads only contend (2.2x slower with 2 threads on 2 cores)
    with threadpool_limits(limits=1):
        frames = []
        for origin in origins:
            last = int(origin) + hmax
            cache: dict[str, pd.DataFrame | None] = {}
            for name in names:
                for quantity, table in tables.items():
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
                    )
                    if fc is not None and not fc.empty:
                        frames.append(fc.assign(origin=int(origin)))
    if not frames:
        raise ValueError("no forecast could be made at any origin; give more history")
    fcs = pd.concat(frames, ignore_index=True)
    fcs["horizon"] = fcs["year"] - fcs["origin"]
    # every horizon up to the longest is kept for the ensemble: its weights and interval at
    # an origin learn from all the past errors known by then, not only the scored horizons
    scored = fcs[(fcs["horizon"] >= 1) & (fcs["horizon"] <= hmax)].merge(
        actual, on=["district_id", "year", "quantity"], how="inner"
    )
    if want_ensemble:
        scored = pd.concat([scored, _ensemble_scores(scored, interval)], ignore_index=True)
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
) -> pd.DataFrame | None:
    hist = table[table["year"] <= origin]
    present = [d for d in ids if d in set(hist["district_id"])]
    if not present:
        return None
    try:
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
        elif name == "cohort":
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
                )
            cohort = cache["cohort"]
            if cohort is None:
                return None
            out = cohort[cohort["quantity"] == quantity]
        else:
            raise ValueError(
                f"unknown method {name!r}; expected one of naive, drift, ets, arima, panel, "
                "share, cohort, ensemble"
            )
    except ValueError as exc:
        if str(exc).startswith("unknown method"):
            raise
        return None  # not enough history at this origin: the report's n shows it
    out = out.assign(quantity=quantity, method=name)
    # the cohort's births-not-yet-born spread travels to the ensemble (a floor on its width)
    return out[[*FORECAST_COLUMNS, *(["births_sd"] if "births_sd" in out else [])]]


def stacked_weights(pct_errors: np.ndarray) -> np.ndarray | None:
    """Return combination weights that minimise the past squared error of the combination.

    Stacking (Breiman 1996; Granger & Ramanathan 1984 with weights ≥ 0 summing to 1):
    ``min ‖E w‖²`` over ``w ≥ 0``, ``Σ w = 1``, where ``E`` holds the members' past
    percentage errors, one row per past forecast point and one column per member.
    Inverse-MSE weights treat members as independent; trend methods that extrapolate
    the same series make the same error, and together they out-weighed a better member
    (kindergarten: four trend methods took 40 % of the weight from the cohort method).
    Rows with a missing member are left out; ``None`` (use inverse-MSE weights) when
    fewer than :data:`MIN_STACKING_POINTS` complete rows per member remain. A member
    without any error gets weight 0.

    Examples
    --------
    One member 1 % too high, the other 3 % too low, every time: ¾ and ¼ cancel out
    (inverse-MSE weights would be 0.9 and 0.1):

    >>> e = np.array([[1.0, -3.0]] * 6)
    >>> stacked_weights(e).round(6).tolist()
    [0.75, 0.25]
    """
    e = np.asarray(pct_errors, dtype=np.float64)
    n_m = e.shape[1]
    present = np.flatnonzero(np.isfinite(e).any(axis=0))
    e = e[:, present]
    e = e[np.isfinite(e).all(axis=1)]
    if not len(present) or len(e) < MIN_STACKING_POINTS * len(present):
        return None
    # the constraint Σw = 1 as a heavily weighted extra row of a non-negative least squares
    lam = 1e4 * max(float(np.abs(e).max()), 1.0)
    a = np.vstack([e, np.full((1, len(present)), lam)])
    b = np.r_[np.zeros(len(e)), lam]
    w = optimize.nnls(a, b)[0]
    if w.sum() <= 0:
        return None
    out = np.zeros(n_m)
    out[present] = w / w.sum()
    return out


#: Complete past forecast points per member needed before :func:`stacked_weights` is used.
MIN_STACKING_POINTS = 3

#: Past errors needed before an ensemble interval is taken from them (else members' bounds).
MIN_CALIBRATION_ERRORS = 8

#: Origins per horizon whose errors calibrate an ensemble interval (the latest ones).
CALIBRATION_WINDOW = 10


def empirical_bounds(
    value: np.ndarray, log_errors: np.ndarray, interval: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return interval bounds from past errors: ``value × exp(quantiles of log(actual/forecast))``.

    Empirical prediction intervals (Williams & Goodman 1971): the central ``interval`` of
    the past log errors at the same horizon, widened if needed to contain the forecast.
    """
    lo = float(np.quantile(log_errors, (1 - interval) / 2))
    hi = float(np.quantile(log_errors, (1 + interval) / 2))
    return value * np.exp(min(lo, 0.0)), value * np.exp(max(hi, 0.0))


def pooled_log_errors(log_errors: Mapping[int, np.ndarray], horizon: int) -> np.ndarray:
    """Pool past log errors of every horizon, each rescaled to ``horizon``.

    An error made ``k`` years ahead counts as ``error × (horizon / k) ** a`` with ``a`` from
    :func:`spread_growth`: so long horizons, whose own errors are known only late (a
    10-year error needs 10 years), are calibrated on the many short-horizon errors.

    Examples
    --------
    >>> pooled_log_errors({1: np.array([0.01]), 4: np.array([-0.02])}, 4).round(6).tolist()
    [0.02, -0.02]
    """
    usable = {int(h): np.asarray(e, dtype=np.float64) for h, e in log_errors.items() if len(e)}
    if not usable:
        return np.empty(0)
    a = spread_growth(usable)
    return np.concatenate([e * (horizon / h) ** a for h, e in sorted(usable.items())])


def calibration_errors(
    log_errors: Mapping[int, np.ndarray],
    horizon: int,
    *,
    origins: Mapping[int, np.ndarray] | None = None,
    window: int = CALIBRATION_WINDOW,
) -> np.ndarray:
    """Return the past log errors that calibrate an interval ``horizon`` years ahead.

    The horizon's own past errors once :data:`MIN_CALIBRATION_ERRORS` of them are known
    (the empirical interval of Williams & Goodman 1971); before that, the errors of every
    horizon rescaled to this one (:func:`pooled_log_errors`). Own errors come first because
    forecast error is not a pure power of the horizon (the noise of an observed value is
    the same at every horizon): on the synthetic city the pooled power law made 1-year
    intervals too narrow and 5–10-year ones too wide.

    Only the errors of the latest ``window`` origins of each horizon count (``origins``
    gives each error's origin year; without it, the last ``window`` errors of each
    horizon, taken to be in time order): a forecaster's skill changes — the first
    ensembles were weighted on few errors or none — and old errors would keep its early
    mistakes in every later interval (a rolling window, as in conformal prediction under
    drift). :data:`CALIBRATION_WINDOW` was fixed before any run was scored.

    Examples
    --------
    >>> errs = {1: np.full(8, 0.01), 4: np.array([-0.02])}
    >>> calibration_errors(errs, 1).tolist() == [0.01] * 8
    True
    >>> len(calibration_errors(errs, 4))  # one own error: all nine, rescaled
    9

    Errors of origins 2000–2011 at one horizon, window 10: those of 2000 and 2001 drop out

    >>> calibration_errors({1: np.arange(12.0)}, 1, origins={1: np.arange(2000, 2012)}).tolist()
    [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]
    """
    recent = {}
    for h, e in log_errors.items():
        e = np.asarray(e, dtype=np.float64)
        if origins is None:
            recent[int(h)] = e[-window:]
        else:
            made = np.asarray(origins[h])
            latest = np.unique(made)[-window:]
            recent[int(h)] = e[np.isin(made, latest)]
    own = recent.get(horizon, np.empty(0))
    if len(own) >= MIN_CALIBRATION_ERRORS:
        return own
    return pooled_log_errors(recent, horizon)


def births_floor(
    value: np.ndarray, lower: np.ndarray, upper: np.ndarray, births_sd: np.ndarray, z: float
) -> tuple[np.ndarray, np.ndarray]:
    """Widen bounds to at least ``value × exp(±z · births_sd)``.

    Past errors calibrate an interval only for what the past contained: where a quantity
    counts children not yet born at the origin (kindergarten from 4 years ahead, primary
    from 7), errors from an era of steady births cannot show a births turn, but the
    changeability of births known at the origin can (``births_sd`` of
    :func:`~xuewei.forecast.forecast_cohort`, :func:`~xuewei.forecast.births_change_sd`).
    The interval must be at least that wide; ``NaN`` or 0 leaves the bounds as they are.
    The larger of the two, not their sum in quadrature: the past errors already hold the
    births errors of their own era.

    Examples
    --------
    >>> lo, hi = births_floor(np.array([100.0, 100.0]), np.array([95.0, 80.0]),
    ...                       np.array([105.0, 130.0]), np.array([0.1, np.nan]), 2.0)
    >>> lo.round(3).tolist(), hi.round(3).tolist()
    ([81.873, 80.0], [122.14, 130.0])
    """
    half = z * np.nan_to_num(np.asarray(births_sd, dtype=np.float64), nan=0.0)
    return np.minimum(lower, value * np.exp(-half)), np.maximum(upper, value * np.exp(half))


def _ensemble_scores(scored: pd.DataFrame, interval: float) -> pd.DataFrame:
    # numpy over positions, not pandas per group: ~200 groups per area in forecast_ensemble
    s = scored[scored["method"] != "naive"]
    if s.empty:
        return scored.iloc[0:0]
    members = sorted(set(s["method"]))
    code = pd.Categorical(s["method"], categories=members).codes.astype(np.int64)
    origin = s["origin"].to_numpy(dtype=np.int64)
    horizon = s["horizon"].to_numpy(dtype=np.int64)
    known_at = origin + horizon
    value = s["value"].to_numpy(dtype=np.float64)
    lower = s["lower"].to_numpy(dtype=np.float64)
    upper = s["upper"].to_numpy(dtype=np.float64)
    actual = s["actual"].to_numpy(dtype=np.float64)
    births_sd = (
        s["births_sd"].to_numpy(dtype=np.float64) if "births_sd" in s else np.full(len(s), np.nan)
    )
    z = float(stats.norm.ppf(0.5 + interval / 2.0))
    pct = 100.0 * (value - actual) / actual
    sq = pct**2
    # one id per past forecast point (origin, area) a member's error belongs to
    point = pd.MultiIndex.from_arrays([origin, s["district_id"].to_numpy()]).factorize()[0]
    district = s["district_id"].to_numpy()
    quantity = s["quantity"].to_numpy()
    by_quantity = {q: np.flatnonzero(quantity == q) for q in np.unique(quantity)}
    groups = s.groupby(["origin", "quantity", "horizon"], sort=True).indices
    out: dict[str, list[np.ndarray]] = {
        k: [] for k in ("district_id", "year", "value", "lower", "upper", "actual")
    }
    out_key: list[tuple[int, str, int, int]] = []
    done: dict[str, list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]] = {}
    n_m = len(members)
    # by origin first: every ensemble an origin learns from is already made
    keyed = {cast(tuple[int, str, int], k): v for k, v in groups.items()}
    for key in sorted(keyed):
        o, q, h = int(key[0]), str(key[1]), int(key[2])
        gi = keyed[key]
        iq = by_quantity[q]
        known = iq[known_at[iq] <= o]
        # weights from this horizon's known errors; before any is known (a 5-year error
        # needs 5 years), from the longest shorter horizon whose errors are known
        shorter = horizon[known][horizon[known] <= h]
        if len(shorter):
            past = known[horizon[known] == shorter.max()]
            matrix = np.full((int(point[past].max()) + 1, n_m), np.nan)
            matrix[point[past], code[past]] = pct[past]
            stacked = stacked_weights(matrix[np.isfinite(matrix).any(axis=1)])
            if stacked is None:
                n = np.bincount(code[past], minlength=n_m)
                mse = np.bincount(code[past], weights=sq[past], minlength=n_m) / np.maximum(n, 1)
                inv = np.where(n > 0, 1.0 / np.maximum(mse, 1e-6), 0.0)
                weight = inv / inv.sum()
            else:
                weight = stacked
        else:
            weight = np.full(n_m, 1.0 / n_m)
        w = weight[code[gi]]
        # the births spread is the quantity's, whichever member carries it and its weight
        unborn = (
            pd.Series(births_sd[gi]).groupby(district[gi]).max()
            if np.isfinite(births_sd[gi]).any()
            else None
        )
        gi, w = gi[w > 0], w[w > 0]
        if not len(gi):
            continue
        ids, dc = np.unique(district[gi], return_inverse=True)
        wsum = np.bincount(dc, weights=w, minlength=len(ids))
        v = np.bincount(dc, weights=w * value[gi], minlength=len(ids)) / wsum
        lo = np.bincount(dc, weights=w * lower[gi], minlength=len(ids)) / wsum
        hi = np.bincount(dc, weights=w * upper[gi], minlength=len(ids)) / wsum
        act = np.empty(len(ids))
        act[dc] = actual[gi]
        earlier = [e for e in done.get(q, []) if e[0][0] <= o]
        if earlier:
            hs = np.concatenate([e[1] for e in earlier])
            log_err = np.concatenate([e[2] for e in earlier])
            made = np.concatenate([e[3] for e in earlier])
            hk = np.unique(hs)
            pooled = calibration_errors(
                {int(k): log_err[hs == k] for k in hk},
                h,
                origins={int(k): made[hs == k] for k in hk},
            )
            if len(pooled) >= MIN_CALIBRATION_ERRORS:
                lo, hi = empirical_bounds(v, pooled, interval)
        if unborn is not None:
            lo, hi = births_floor(v, lo, hi, unborn.reindex(ids).to_numpy(dtype=np.float64), z)
        # an ensemble weighted on no past error is the plain average of its members, another
        # forecaster: its errors (the first origin's were 2-5x the later ones on the
        # synthetic city) would calibrate the weighted ensemble for a decade of origins
        if len(shorter):
            done.setdefault(q, []).append(
                (
                    np.full(len(ids), o + h),
                    np.full(len(ids), h),
                    np.log(act / v),
                    np.full(len(ids), o),
                )
            )
        out["district_id"].append(ids)
        out["year"].append(np.full(len(ids), o + h, dtype=np.int64))
        out["value"].append(v)
        out["lower"].append(lo)
        out["upper"].append(hi)
        out["actual"].append(act)
        out_key.append((o, q, h, len(ids)))
    if not out_key:
        return scored.iloc[0:0]
    frame = pd.DataFrame({k: np.concatenate(v) for k, v in out.items()})
    frame["quantity"] = np.concatenate([np.full(n, q, dtype=object) for _, q, _, n in out_key])
    frame["horizon"] = np.concatenate([np.full(n, h, dtype=np.int64) for _, _, h, n in out_key])
    frame["origin"] = np.concatenate([np.full(n, o, dtype=np.int64) for o, _, _, n in out_key])
    frame["method"] = "ensemble"
    return frame


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


def ensemble_weights(report: pd.DataFrame, *, exclude: Sequence[str] = ("naive",)) -> pd.DataFrame:
    """Turn an accuracy table into ensemble weights, inversely proportional to squared error.

    Parameters
    ----------
    report
        Output of :func:`backtest_report` (pooled: no ``district_id``).
    exclude
        Methods left out (the baseline).

    Returns
    -------
    pandas.DataFrame
        ``quantity``, ``horizon``, ``method``, ``weight`` (summing to 1 per quantity and
        horizon).

    Examples
    --------
    >>> rep = pd.DataFrame({"method": ["a", "b"], "quantity": "population", "horizon": 1,
    ...                     "rmspe": [1.0, 2.0]})
    >>> ensemble_weights(rep)["weight"].tolist()
    [0.8, 0.2]
    """
    r = report[~report["method"].isin(list(exclude))].copy()
    r = r[np.isfinite(r["rmspe"].to_numpy(dtype=np.float64))]
    r["inv"] = 1.0 / np.maximum(r["rmspe"].to_numpy(dtype=np.float64), 1e-3) ** 2
    r["weight"] = r["inv"] / r.groupby(["quantity", "horizon"])["inv"].transform("sum")
    return r[["quantity", "horizon", "method", "weight"]].reset_index(drop=True)
