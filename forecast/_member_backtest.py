"""The backtest of the ensemble's members: weights per horizon and the ensemble's past errors.

One rolling-origin backtest of the members (:func:`~xuewei.forecast.backtest`) gives the
ensemble of :func:`~xuewei.forecast.forecast_ensemble` its weights per horizon (stacked or
inverse-MSE, shrunk towards equal weights by the number of backtest points) and the past
errors of the backtest's own ensemble that calibrate its intervals. The backtest covers one
series (the city), or many areas pooled: :func:`shared_backtest` makes it once for all the
areas of a batch, so that they share one set of weights per horizon. Each fallback is
written as a plain sentence naming the areas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xuewei.forecast.backtest import backtest, warnings_reported_by_caller
from xuewei.forecast.calibration import (
    BENCHMARK_MEMBER,
    benchmark_index,
    envelope_scale,
    gated_weights,
    mix_index,
    shrunk_weights,
)
from xuewei.forecast.history import final_vintage

__all__ = [
    "ENSEMBLE_METHODS",
    "SharedBacktest",
    "area_names",
    "horizon_span",
    "last_year",
    "shared_backtest",
]

_BACKTEST_HORIZONS = tuple(range(1, 11))
#: Default members of the ensemble: damped ETS, ETS with the trend chosen by AICc, and
#: damped drift. ARIMA(1,1,0) with drift is left out by default (it remains a method and
#: can be passed): it extrapolates growth undamped, and on a development panel of
#: logistic, linear and rise-and-fall districts its 10-year error was 3.6x damped ETS's.
ENSEMBLE_METHODS = ("damped", "ets", "drift")


@dataclass(frozen=True)
class SharedBacktest:
    """One backtest's weights and ensemble errors, shared by the ensembles of many areas.

    From :func:`shared_backtest`: ``weights`` per horizon (``method``, ``horizon``,
    ``weight``, ``n_points``), the backtest ensemble's past log errors and their origins per
    horizon (they calibrate the intervals), whether the backtest could be made, and the
    fallbacks it took (``notes``). ``scaled``: the errors are log errors divided by the
    members' envelope scale at their origin
    (:func:`~xuewei.forecast.calibration.envelope_scale`; trend ensembles, whose
    benchmark is the damped trend, backtested on more than one area), to be turned into
    bounds by :func:`~xuewei.forecast.calibration.scaled_bounds`.
    """

    weights: pd.DataFrame
    log_errors: dict[int, np.ndarray]
    origins: dict[int, np.ndarray]
    backtested: bool
    notes: tuple[str, ...]
    scaled: bool = False


def shared_backtest(
    population: pd.DataFrame,
    district_ids: Sequence[str],
    *,
    horizon: int,
    base_year: int | None = None,
    interval: float = 0.8,
    methods: Sequence[str] = ENSEMBLE_METHODS,
    scaled: bool | None = None,
) -> SharedBacktest:
    """Backtest the members on all the areas pooled, for one set of weights per horizon.

    Every area's backtest points count together, as in the ensemble of a series without
    city rows: the weights per horizon are the damped trend's alone unless the pooled
    points show a combination beating it
    (:func:`~xuewei.forecast.weights.gated_weights`; without the damped trend among
    ``methods``, stacked or inverse-MSE and shrunk towards equal weights,
    :func:`~xuewei.forecast.weights.shrunk_weights`), and the pooled ensemble's past
    errors calibrate every area's interval. The backtest runs on the history as revised
    today (:func:`~xuewei.forecast.history.final_vintage`): its errors are the trend's, not
    past censuses' re-counts of the estimates. Used by
    :func:`~xuewei.forecast.forecast_batch` with ``ensemble_weighting="pooled"``, and by
    :func:`~xuewei.forecast.forecast_ensemble` for its own series.

    Parameters
    ----------
    population
        Tidy table: ``district_id``, ``year``, ``population``.
    district_ids
        The areas pooled.
    horizon
        The last year forecast.
    base_year
        The last year of data used.
    interval
        Prediction-interval coverage.
    methods
        The ensemble's members.
    scaled
        Whether a trend ensemble's errors are divided by the members' envelope; default
        when more than one area is pooled (``True`` for one area whose errors are pooled
        with other areas' afterwards, as :func:`~xuewei.forecast.forecast_batch` does).

    Returns
    -------
    SharedBacktest
        Weights, past ensemble errors and the fallbacks taken.

    Examples
    --------
    >>> rows = [{"district_id": d, "year": y, "population": 1000.0 * r ** (y - 2010)}
    ...         for d, r in (("a", 1.02), ("b", 1.04)) for y in range(2010, 2021)]
    >>> s = shared_backtest(pd.DataFrame(rows), ["a", "b"], horizon=2023)
    >>> sorted(set(s.weights["method"])), s.backtested
    (['damped', 'drift', 'ets'], True)
    """
    ids = [str(d) for d in district_ids]
    pop = population.copy()
    pop["district_id"] = pop["district_id"].astype(str)
    if base_year is not None:
        pop = pop[pop["year"] <= base_year]
    # scored on the series as revised today: a forecast from estimates that a later census
    # re-based is not charged with the re-count (Changsha's 2020 census: +16 %, which made
    # the city's 1-year interval ±20 % when the backtest saw it as forecast error)
    pop = final_vintage(pop[pop["district_id"].isin(ids)])
    notes: list[str] = []
    steps = horizon - last_year(pop, ids)
    scaled = benchmark_index(methods) is not None and (len(ids) > 1 if scaled is None else scaled)
    weights, log_errors, origins, backtested = _backtest_weights(
        pop, ids, methods, interval, steps, notes, scaled=scaled
    )
    return SharedBacktest(weights, log_errors, origins, backtested, tuple(notes), scaled)


def last_year(pop: pd.DataFrame, series_ids: list[str]) -> int:
    """Return the last year of data of the series ensembled (the latest over them)."""
    return int(pop.loc[pop["district_id"].isin(series_ids), "year"].max())


def area_names(series_ids: Sequence[str]) -> str:
    """Name the series ensembled for a warning: ``area 430100``, ``areas a, b and c``."""
    ids = [str(d) for d in series_ids]
    if len(ids) == 1:
        return f"area {ids[0]}"
    shown = ", ".join(ids[:5])
    return f"areas {shown}" + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def horizon_span(horizons: Sequence[int]) -> str:
    """Write horizons compactly: ``1–3, 5``."""
    hs = sorted({int(h) for h in horizons})
    parts: list[str] = []
    start = prev = hs[0]
    for h in [*hs[1:], None]:
        if h is not None and h == prev + 1:
            prev = h
            continue
        parts.append(str(start) if start == prev else f"{start}–{prev}")
        if h is not None:
            start = prev = h
    word = "horizon" if len(hs) == 1 else "horizons"
    return f"{word} {', '.join(parts)} (years ahead)"


def _backtest_weights(
    pop: pd.DataFrame,
    series_ids: list[str],
    methods: Sequence[str],
    interval: float,
    steps: int,
    notes: list[str],
    *,
    scaled: bool,
) -> tuple[pd.DataFrame, dict[int, np.ndarray], dict[int, np.ndarray], bool]:
    """Return ensemble weights per horizon and the ensemble's past log errors per horizon.

    The third item gives each error's origin (calibration keeps the latest origins), the
    fourth whether the backtest could be made. Every fallback taken (``steps``: the
    horizons the forecast needs) is appended to ``notes``. ``scaled``: the errors are
    divided by the members' envelope scale.
    """
    area = area_names(series_ids)
    benchmark = benchmark_index(methods)
    prior = [1.0 / len(methods)] * len(methods)
    prior_words = "equal weights"
    if benchmark is not None:
        prior = [float(i == benchmark) for i in range(len(methods))]
        prior_words = f"the {BENCHMARK_MEMBER} trend alone"
    equal = pd.DataFrame(
        [
            {"quantity": "population", "horizon": h, "method": m, "weight": w}
            for h in _BACKTEST_HORIZONS
            for m, w in zip(methods, prior, strict=True)
        ]
    )
    try:
        with warnings_reported_by_caller():  # below, each with the areas it concerns
            errors = backtest(
                pop,
                methods=[*methods, "ensemble"],
                district_ids=series_ids,
                interval=interval,
                horizons=_BACKTEST_HORIZONS,
            )
    except ValueError as exc:
        notes.append(
            f"{area}: the backtest of the ensemble members ({', '.join(methods)}) could not "
            f"be made ({exc}); {prior_words} used at every horizon"
        )
        return equal, {}, {}, False
    notes.extend(f"{area}: {w}" for w in errors.attrs.get("warnings", []))
    members = errors[~errors["method"].isin(["ensemble", "naive"])]
    pop_members = members[members["quantity"] == "population"]
    for m in methods:
        if not (pop_members["method"] == m).any():
            notes.append(
                f"{area}: member {m} made no backtest forecast, so it has no error to be "
                "weighted by; it gets no weight"
            )
    w = _shrunk(pop_members, methods)
    needed = [h for h in _BACKTEST_HORIZONS if h <= steps]
    if not len(w):
        notes.append(f"{area}: the backtest has no scored point at any horizon; {prior_words} used")
        weights = equal
    else:
        weights = w
        missing = [h for h in needed if h not in set(w["horizon"].astype(int))]
        if missing:
            notes.append(
                f"{area}: {horizon_span(missing)}: no backtest point (the history is too short); "
                "the weights of the nearest horizon with points used instead"
            )
    log_errors, origins = _ensemble_errors(errors, pop_members, scaled=scaled)
    return weights, log_errors, origins, True


def _shrunk(pop_members: pd.DataFrame, methods: Sequence[str]) -> pd.DataFrame:
    """Return the members' weights per horizon from their backtest errors.

    As the backtest's own ensemble is weighted: with the damped trend among the members,
    the damped trend alone unless the backtest shows a combination beating it
    (:func:`~xuewei.forecast.weights.gated_weights`, whose ``p_value`` is kept); else
    stacked (or inverse-MSE with too few points) and shrunk towards equal weights by the
    number of backtest points (:func:`~xuewei.forecast.weights.shrunk_weights`).
    ``n_points`` says how many points each horizon had.
    """
    benchmark = benchmark_index(methods)
    frames = []
    for h in sorted(set(pop_members["horizon"].astype(int))):
        at_h = pop_members[pop_members["horizon"] == h]
        matrix = at_h.pivot_table(
            index=["origin", "district_id"], columns="method", values="pct_error"
        ).reindex(columns=list(methods))
        e = matrix.to_numpy(dtype=np.float64)
        p_value = np.nan
        if benchmark is None:
            weights = shrunk_weights(e)
        else:
            gated = gated_weights(
                e,
                benchmark,
                series=matrix.index.get_level_values("district_id").to_numpy(),
                origins=matrix.index.get_level_values("origin").to_numpy(dtype=np.int64),
                horizon=h,
                mix=mix_index(methods),
            )
            weights, p_value = gated.weights, gated.p_value
        frames.append(
            pd.DataFrame(
                {
                    "quantity": "population",
                    "horizon": h,
                    "method": list(methods),
                    "weight": weights,
                    "n_points": int(np.isfinite(e).all(axis=1).sum()),
                    "p_value": p_value,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=["quantity", "horizon", "method", "weight", "n_points", "p_value"]
        )
    return pd.concat(frames, ignore_index=True)


def _ensemble_errors(
    errors: pd.DataFrame, pop_members: pd.DataFrame, *, scaled: bool = False
) -> tuple[dict[int, np.ndarray], dict[int, np.ndarray]]:
    """Return the backtest ensemble's log errors per horizon and their origins.

    As in the backtest, an ensemble weighted on no past error (nothing known at its origin
    up to its horizon) is the plain average, another forecaster: it calibrates nothing.
    ``scaled``: each log error divided by the members' envelope scale at its point
    (:func:`~xuewei.forecast.calibration.envelope_scale`); points without one are left out.
    """
    ens = errors[(errors["method"] == "ensemble") & (errors["quantity"] == "population")]
    known = pop_members["origin"] + pop_members["horizon"]
    first_known = {
        int(h): known[pop_members["horizon"] <= h].min() for h in set(ens["horizon"].astype(int))
    }
    ens = ens[ens["origin"] >= ens["horizon"].astype(int).map(first_known)]
    ens = ens.sort_values(["horizon", "origin"], kind="stable")
    ratio = np.log(ens["actual"].to_numpy() / ens["value"].to_numpy())
    if scaled:
        key = ["district_id", "origin", "horizon"]
        env = pop_members.groupby(key).agg(lower=("lower", "min"), upper=("upper", "max"))
        at = env.reindex(pd.MultiIndex.from_frame(ens[key]))
        ratio = ratio / envelope_scale(at["lower"].to_numpy(), at["upper"].to_numpy())
        ens, ratio = ens[np.isfinite(ratio)], ratio[np.isfinite(ratio)]
    hs = ens["horizon"].to_numpy()
    made = ens["origin"].to_numpy()
    log_errors = {int(h): ratio[hs == h] for h in np.unique(hs)}
    origins = {int(h): made[hs == h] for h in np.unique(hs)}
    return log_errors, origins
