"""Ensemble weights and intervals from past forecast errors.

How the backtest-weighted ensemble (:func:`~xuewei.forecast.forecast_ensemble`, and the
``ensemble`` method of :func:`~xuewei.forecast.backtest`) turns past errors into weights
and intervals. Weights: stacked, shrunk and gated by a test against the damped trend,
in :mod:`~xuewei.forecast.weights` (:func:`stacked_weights`, :func:`shrunk_weights`,
:func:`gated_weights`, :func:`mix_index`, re-exported here). Intervals:
split-conformal, symmetric on the log scale — the forecast times ``exp(∓q)``, ``q`` a
quantile of the past absolute log errors (:func:`empirical_bounds`; for trend ensembles
of several areas the errors divided by the members' envelope and ``q`` times its scale,
:func:`scaled_bounds`) — once :data:`MIN_CALIBRATION_ERRORS` are known (the horizon's
own, else every horizon's rescaled to it, :func:`calibration_errors`,
:func:`pooled_log_errors`), from the latest
:data:`CALIBRATION_WINDOW` origins, and never narrower than the spread of births not yet
born (:func:`births_floor`). :func:`ensemble_weights` turns an accuracy table into plain
inverse-MSE weights, for a reader comparing methods.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from xuewei.forecast.trend import spread_growth
from xuewei.forecast.weights import (
    BENCHMARK_MEMBER,
    BENCHMARK_TEST_LEVEL,
    MIN_STACKING_POINTS,
    PRIOR_POINTS,
    GatedWeights,
    benchmark_index,
    gated_weights,
    mix_index,
    shrunk_weights,
    stacked_weights,
)

__all__ = [
    "BENCHMARK_MEMBER",
    "BENCHMARK_TEST_LEVEL",
    "CALIBRATION_WINDOW",
    "MIN_CALIBRATION_ERRORS",
    "MIN_LOG_HALF_WIDTH",
    "MIN_STACKING_POINTS",
    "PRIOR_POINTS",
    "GatedWeights",
    "benchmark_index",
    "births_floor",
    "calibration_errors",
    "conformal_quantile",
    "empirical_bounds",
    "ensemble_weights",
    "envelope_scale",
    "gated_weights",
    "mix_index",
    "noise_trend_spread",
    "pooled_log_errors",
    "scaled_bounds",
    "shrunk_weights",
    "stacked_weights",
]


#: Past errors needed before an ensemble interval is taken from them (else members' bounds).
MIN_CALIBRATION_ERRORS = 8

#: Origins per horizon whose errors calibrate an ensemble interval (the latest ones).
CALIBRATION_WINDOW = 10


#: Narrowest half-width of an empirical interval on the log scale (0.1 %): past errors that
#: are all zero must still leave the forecast strictly inside its interval.
MIN_LOG_HALF_WIDTH = 1e-3


def empirical_bounds(
    value: np.ndarray, log_errors: np.ndarray, interval: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return interval bounds from past errors: ``value × exp(∓ q)``, ``q`` a quantile of |error|.

    Empirical prediction intervals (Williams & Goodman 1971) in their split-conformal form
    (Vovk et al. 2005; Lei et al. 2018): ``q`` is the ``⌈(n + 1)·interval⌉``-th smallest of
    the ``n`` past absolute log errors ``|log(actual / forecast)|`` at the same horizon
    (the largest if that rank exceeds ``n``), so the interval would have held at least that
    share of past outcomes and is symmetric on the log scale around the forecast. The
    forecast is always strictly inside (``q`` ≥ :data:`MIN_LOG_HALF_WIDTH`).
    Central quantiles of the signed errors (the rule before) put the forecast *on* a bound
    whenever the past errors all had one sign: over a third of the rows of a 12-district
    panel sat on their upper bound.

    Examples
    --------
    Past errors of -2 %, -1 %, +1 %, +3 %, +4 %, +5 %: an 80 % interval takes the
    ⌈7 × 0.8⌉ = 6th smallest size, 5 % (4.9 % on the ``log`` scale), on either side:

    >>> errs = np.log(1 + np.array([-0.02, -0.01, 0.01, 0.03, 0.04, 0.05]))
    >>> lo, hi = empirical_bounds(np.array([100.0]), errs, 0.8)
    >>> round(float(lo[0]), 2), round(float(hi[0]), 2)
    (95.24, 105.0)
    """
    q = max(conformal_quantile(log_errors, interval), MIN_LOG_HALF_WIDTH)
    return value * np.exp(-q), value * np.exp(q)


def conformal_quantile(scores: np.ndarray, interval: float) -> float:
    """Return the ``⌈(n + 1)·interval⌉``-th smallest of the ``n`` absolute ``scores``.

    The finite-sample rank of split-conformal prediction (Lei et al. 2018, eq. 5): with ten
    past errors an 80 % interval takes the 9th smallest, not the 8.2th; the largest when
    the rank exceeds ``n``.

    Examples
    --------
    >>> conformal_quantile(np.array([-0.5, 0.1, 0.2, -0.3, 0.4]), 0.8)  # ⌈6 × 0.8⌉ = 5th
    0.5
    """
    spread = np.sort(np.abs(np.asarray(scores, dtype=np.float64)))
    rank = min(int(np.ceil((len(spread) + 1) * interval)), len(spread))
    return float(spread[rank - 1])


def envelope_scale(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Return half the width of the members' envelope on the log scale, ``½ log(upper / lower)``.

    The scale of a trend ensemble's normalised errors (:func:`scaled_bounds`); ``NaN``
    where the bounds are not both positive and finite, or not ordered.

    Examples
    --------
    >>> envelope_scale(np.array([90.0, 50.0]), np.array([110.0, 0.0])).round(4).tolist()
    [0.1003, nan]
    """
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    ok = np.isfinite(lo) & np.isfinite(hi) & (lo > 0) & (hi > lo)
    ratio = np.divide(hi, lo, out=np.ones_like(hi), where=ok)
    return np.where(ok, 0.5 * np.log(ratio), np.nan)


def scaled_bounds(
    value: np.ndarray, scale: np.ndarray, scores: np.ndarray, interval: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``value × exp(∓ q · scale)``, ``q`` the conformal quantile of past ``scores``.

    Normalised split-conformal intervals (Papadopoulos et al. 2008; Lei et al. 2018,
    §5.2): each past error is divided by a scale known when its forecast was made,
    ``score = log(actual / forecast) / scale``, and a new interval is its own scale times
    the quantile of the past scores (:func:`conformal_quantile`). The scale of a trend
    ensemble is its members' envelope (:func:`envelope_scale`): it is wide where a series
    is volatile or its history short, and a ratio, the same in every area's units, so the
    scores of many areas can calibrate one area of any size or volatility: on growth
    panels of 12 districts calibrated together, 80 % intervals from plain log errors
    covered 60–84 % at 1–10 years, from scaled ones 74–87 % (``benchmarks/forecast.md``).
    Used only where several areas share a backtest: one series' errors need no common
    unit, and where they are breaks rather than model error (Changsha's city series, 17–22 %
    one-year errors at the 2020 census against an envelope of 1–4 %) scores of 5–30 times
    the envelope, times a ten-year envelope, made intervals spanning factors of 10 and
    more. The half-width is at least :data:`MIN_LOG_HALF_WIDTH`; a point without a finite
    positive scale gets ``NaN``.

    Examples
    --------
    Past scores 0.5, 1, 1.5, 2 and 3: an 80 % interval takes the ⌈6 × 0.8⌉ = 5th, 3; with
    an envelope of ±2 % on the log scale, the half-width is 6 %:

    >>> lo, hi = scaled_bounds(np.array([100.0]), np.array([0.02]),
    ...                        np.array([0.5, -1.0, 1.5, -2.0, 3.0]), 0.8)
    >>> round(float(lo[0]), 3), round(float(hi[0]), 3)
    (94.176, 106.184)
    """
    q = conformal_quantile(scores, interval)
    half = np.maximum(q * np.asarray(scale, dtype=np.float64), MIN_LOG_HALF_WIDTH)
    v = np.asarray(value, dtype=np.float64)
    return v * np.exp(-half), v * np.exp(half)


def pooled_log_errors(
    log_errors: Mapping[int, np.ndarray], horizon: int, *, noise_trend: bool = False
) -> np.ndarray:
    """Pool past log errors of every horizon, each rescaled to ``horizon``.

    An error made ``k`` years ahead counts as ``error × (horizon / k) ** a`` with ``a`` from
    :func:`spread_growth`: so long horizons, whose own errors are known only late (a
    10-year error needs 10 years), are calibrated on the many short-horizon errors.

    ``noise_trend`` (trend ensembles): the squared error is instead taken to be a noise
    part, the same at every horizon (the observed value's own error, a re-count), plus a
    trend part growing with the square of the horizon (a growth rate's error carried
    forward every year), ``σ₀² + σ₁² k²``, fitted by non-negative least squares on each
    horizon's mean squared error (:func:`noise_trend_spread`); an error made ``k`` years
    ahead counts ``sqrt((σ₀² + σ₁² h²) / (σ₀² + σ₁² k²))`` times. A single power of the
    horizon cannot do both: fitted over all horizons, the noise pulled it down and the
    damped-trend ensemble's 80 % intervals covered 52–68 % at 5–10 years on a growth panel
    (seed 2026, per district); a power of at least 1 fixed that but multiplied Changsha's
    one-year errors (17–22 %, the undercount before the 2020 census, as large as its
    ten-year ones) elevenfold, an 11-year interval spanning a factor of 3 each way.

    Examples
    --------
    >>> pooled_log_errors({1: np.array([0.01]), 4: np.array([-0.02])}, 4).round(6).tolist()
    [0.02, -0.02]

    Errors of 1 % at every horizon are noise: rescaled, they stay 1 %.

    >>> e = {1: np.full(3, 0.01), 2: np.full(3, -0.01), 3: np.full(3, 0.01)}
    >>> np.unique(np.abs(pooled_log_errors(e, 10, noise_trend=True)).round(6)).tolist()
    [0.01]
    """
    usable = {int(h): np.asarray(e, dtype=np.float64) for h, e in log_errors.items() if len(e)}
    if not usable:
        return np.empty(0)
    spread = noise_trend_spread(usable) if noise_trend else None
    if spread is None:
        a = spread_growth(usable)
        return np.concatenate([e * (horizon / h) ** a for h, e in sorted(usable.items())])
    noise, trend = spread
    return np.concatenate(
        [
            e * np.sqrt((noise + trend * horizon**2) / (noise + trend * h**2))
            for h, e in sorted(usable.items())
        ]
    )


def noise_trend_spread(log_errors: Mapping[int, np.ndarray]) -> tuple[float, float] | None:
    """Fit ``σ₀²`` and ``σ₁²`` of a squared error ``σ₀² + σ₁² k²`` at ``k`` years ahead.

    Non-negative least squares on the mean squared log error of each horizon with at least
    three errors, weighted by the square root of their number; ``None`` when fewer than two
    horizons qualify or the fit is zero.

    Examples
    --------
    Mean squared errors 2, 5 and 10 at 1, 2 and 3 years: 1 + 1·k².

    >>> e = {1: np.full(3, np.sqrt(2)), 2: np.full(3, np.sqrt(5)), 3: np.full(3, np.sqrt(10))}
    >>> [round(x, 6) for x in noise_trend_spread(e)]
    [1.0, 1.0]
    """
    rows = [(h, float(np.mean(e**2)), len(e)) for h, e in sorted(log_errors.items()) if len(e) >= 3]
    if len(rows) < 2:
        return None
    k = np.array([r[0] for r in rows], dtype=np.float64)
    w = np.sqrt([r[2] for r in rows])
    design = np.c_[np.ones_like(k), k**2] * w[:, None]
    fit = optimize.nnls(design, np.array([r[1] for r in rows]) * w)[0]
    if fit.sum() <= 0:
        return None
    return float(fit[0]), float(fit[1])


def calibration_errors(
    log_errors: Mapping[int, np.ndarray],
    horizon: int,
    *,
    origins: Mapping[int, np.ndarray] | None = None,
    window: int = CALIBRATION_WINDOW,
    noise_trend: bool = False,
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
    drift). :data:`CALIBRATION_WINDOW` was fixed before any run was scored. ``noise_trend``
    says how errors of other horizons are rescaled (:func:`pooled_log_errors`).

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
    return pooled_log_errors(recent, horizon, noise_trend=noise_trend)


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
