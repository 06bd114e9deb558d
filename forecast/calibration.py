"""Ensemble weights and intervals from past forecast errors.

How the backtest-weighted ensemble (:func:`~xuewei.forecast.forecast_ensemble`, and the
``ensemble`` method of :func:`~xuewei.forecast.backtest`) turns past errors into weights
and intervals: stacked weights (:func:`stacked_weights`) where every member has
:data:`MIN_STACKING_POINTS` complete past points, else inversely proportional to squared
error (:func:`ensemble_weights`); empirical intervals from the central quantiles of past
log errors (:func:`empirical_bounds`) once :data:`MIN_CALIBRATION_ERRORS` are known — the
horizon's own, else every horizon's rescaled to it (:func:`calibration_errors`,
:func:`pooled_log_errors`), from the latest :data:`CALIBRATION_WINDOW` origins — and never
narrower than the spread of births not yet born (:func:`births_floor`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import optimize

from xuewei.forecast.trend import spread_growth

__all__ = [
    "CALIBRATION_WINDOW",
    "MIN_CALIBRATION_ERRORS",
    "MIN_STACKING_POINTS",
    "births_floor",
    "calibration_errors",
    "empirical_bounds",
    "ensemble_weights",
    "pooled_log_errors",
    "stacked_weights",
]


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
