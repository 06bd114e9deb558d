"""The ensemble scored honestly in a rolling-origin backtest.

At each origin the ensemble of :func:`~xuewei.forecast.backtest` is weighted and its
interval calibrated only on the errors of forecasts whose outcome was known by then: the
weights from this horizon's known errors (or, before any is known, the longest shorter
horizon's): the cohort method (pupils) or else the damped trend (residents) alone unless
those errors show a combination beating it on points it was not fitted to
(:func:`~xuewei.forecast.weights.anchor_index`,
:func:`~xuewei.forecast.weights.gated_weights`); without either, stacked or else
inversely proportional to squared error, shrunk towards equal weights by the number of
points (:func:`~xuewei.forecast.weights.shrunk_weights`); the
interval split-conformal from the past ensemble errors
(:func:`~xuewei.forecast.calibration.calibration_errors`,
:func:`~xuewei.forecast.calibration.empirical_bounds`) once enough exist — for trend
ensembles of more than one area errors divided by the members' envelope at their origin,
and the interval that envelope's scale times their quantile
(:func:`~xuewei.forecast.calibration.scaled_bounds`) — and never
narrower than the spread of births not yet born. An ensemble weighted on no past error
(the plain average of the first origins) is scored but calibrates nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import numpy as np
import pandas as pd
from scipy import stats

from xuewei.forecast.calibration import (
    MIN_CALIBRATION_ERRORS,
    births_floor,
    calibration_errors,
    empirical_bounds,
    envelope_scale,
    scaled_bounds,
)
from xuewei.forecast.weights import (
    anchor_index,
    benchmark_index,
    gated_weights,
    mix_index,
    shrunk_weights,
)

__all__ = ["ensemble_scores"]


def ensemble_scores(
    scored: pd.DataFrame, interval: float, *, by_area: bool = False
) -> pd.DataFrame:
    """Return the ensemble's forecast points at every origin, made as they could have been.

    ``scored`` holds every member's points joined to their actual values (``method``,
    ``quantity``, ``district_id``, ``origin``, ``horizon``, ``year``, ``value``,
    ``lower``, ``upper``, ``actual`` and optionally ``births_sd``); ``naive`` is left out.
    ``by_area``: each area weighted on its own past errors only, the intervals still
    calibrated on every area's (as :func:`~xuewei.forecast.forecast_batch` with
    ``ensemble_weighting="area"``); else one set of weights from all the areas' errors.
    """
    # numpy over positions, not pandas per group: ~200 groups per area in forecast_ensemble
    s = scored[scored["method"] != "naive"]
    if s.empty:
        return scored.iloc[0:0]
    members = sorted(set(s["method"]))
    benchmark = benchmark_index(members)  # a trend ensemble (residents): its intervals
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
    # one id per past forecast point (origin, area) a member's error belongs to
    point = pd.MultiIndex.from_arrays([origin, s["district_id"].to_numpy()]).factorize()[0]
    district = s["district_id"].to_numpy()
    areas = len(np.unique(district))
    quantity = s["quantity"].to_numpy()
    by_quantity = {q: np.flatnonzero(quantity == q) for q in np.unique(quantity)}
    # the member each quantity's weights start from, among the members it has, and the one
    # mixed with it at 1 year
    anchor = {q: _anchors(members, s["method"].to_numpy()[i]) for q, i in by_quantity.items()}
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
        gi: np.ndarray = np.asarray(keyed[key], dtype=np.int64)
        iq = by_quantity[q]
        known = iq[known_at[iq] <= o]
        # weights from this horizon's known errors; before any is known (a 5-year error
        # needs 5 years), from the longest shorter horizon whose errors are known
        w, learnt = _group_weights(
            gi, known, h, by_area, (point, code, pct, origin, district, horizon), n_m, anchor[q]
        )
        # the births spread is the quantity's, whichever member carries it and its weight
        unborn = (
            pd.Series(births_sd[gi]).groupby(district[gi]).max()
            if np.isfinite(births_sd[gi]).any()
            else None
        )
        every = gi
        gi, w, learnt = gi[w > 0], w[w > 0], learnt[w > 0]
        if not len(gi):
            continue
        ids, v, lo, hi, act = _weighted(
            district[gi], w, value[gi], lower[gi], upper[gi], actual[gi]
        )
        scale = None  # trend ensembles of several areas: errors scaled by the envelope
        if benchmark is not None:  # uncalibrated: the members' envelope, not the benchmark's
            lo, hi = _envelope(ids, district[every], lower[every], upper[every])
            scale = envelope_scale(lo, hi) if areas > 1 else None
        earlier = [e for e in done.get(q, []) if e[0][0] <= o]
        if earlier:
            lo, hi = _calibrated(
                v, lo, hi, earlier, h, interval, noise_trend=benchmark is not None, scale=scale
            )
        if unborn is not None:
            lo, hi = births_floor(v, lo, hi, unborn.reindex(ids).to_numpy(dtype=np.float64), z)
        # an ensemble weighted on no past error is the plain average of its members, another
        # forecaster: its errors (the first origin's were 2-5x the later ones on the
        # synthetic city) would calibrate the weighted ensemble for a decade of origins
        n = len(ids)
        weighted = pd.Series(learnt).groupby(district[gi]).all().reindex(ids).to_numpy(bool)
        if weighted.any():
            score = np.log(act / v) if scale is None else np.log(act / v) / scale
            ok = np.isfinite(score) & weighted
            done.setdefault(q, []).append(
                (np.full(n, o + h)[ok], np.full(n, h)[ok], score[ok], np.full(n, o)[ok])
            )
        year = np.full(n, o + h, dtype=np.int64)
        for col, values in zip(out, (ids, year, v, lo, hi, act), strict=True):
            out[col].append(values)
        out_key.append((o, q, h, n))
    if not out_key:
        return scored.iloc[0:0]
    return _ensemble_frame(out, out_key)


def _group_weights(
    gi: np.ndarray,
    known: np.ndarray,
    h: int,
    by_area: bool,
    columns: tuple[np.ndarray, ...],
    n_m: int,
    anchors: tuple[int | None, int | None],
) -> tuple[np.ndarray, np.ndarray]:
    """Weights of the member rows ``gi`` (``h`` years ahead) from the ``known`` past rows.

    ``columns``: every row's point, member code, % error, origin, area and horizon. The
    weights come from this horizon's known errors; before any is known (a 5-year error
    needs 5 years), from the longest shorter horizon whose errors are known — of all the
    areas, or with ``by_area`` of each row's own area. ``anchors``: the codes of the
    member the weights start from and of the one mixed with it at 1 year
    (:func:`~xuewei.forecast.weights.mix_index`), each ``None`` where there is none.
    Second item: whether each row's weights were learnt from some past error (else they
    are the prior).
    """
    point, code, pct, origin, district, horizon = columns
    benchmark, mix = anchors
    groups = [(gi, known)]
    if by_area:
        groups = [
            (gi[district[gi] == d], known[district[known] == d]) for d in np.unique(district[gi])
        ]
    w = np.empty(len(gi))
    learnt = np.empty(len(gi), dtype=bool)
    for rows, past_rows in groups:
        shorter = horizon[past_rows][horizon[past_rows] <= h]
        ahead = int(shorter.max()) if len(shorter) else 0
        past = past_rows[horizon[past_rows] == ahead]
        weight = _past_weights(
            point[past],
            code[past],
            pct[past],
            n_m,
            benchmark,
            origin[past],
            district[past],
            ahead,
            mix,
        )
        at = np.isin(gi, rows)
        w[at] = weight[code[rows]]
        learnt[at] = len(shorter) > 0
    return w, learnt


def _weighted(
    district: np.ndarray,
    w: np.ndarray,
    value: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    actual: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Per district: its ids, weighted value and bounds, and its actual value."""
    ids, dc = np.unique(district, return_inverse=True)
    wsum = np.bincount(dc, weights=w, minlength=len(ids))
    v = np.bincount(dc, weights=w * value, minlength=len(ids)) / wsum
    lo = np.bincount(dc, weights=w * lower, minlength=len(ids)) / wsum
    hi = np.bincount(dc, weights=w * upper, minlength=len(ids)) / wsum
    act = np.empty(len(ids))
    act[dc] = actual
    return ids, v, lo, hi, act


def _envelope(
    ids: np.ndarray, district: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per district of ``ids``: the lowest lower and the highest upper bound of the members.

    The interval of an ensemble whose past errors are too few to calibrate it. Weighted
    bounds of an ensemble that is the damped trend alone are the damped trend's own, and
    its model interval covered 33–72 % at 1–10 years on the growth panels' first origins;
    the members' envelope holds every member's interval.
    """
    frame = pd.DataFrame({"d": district, "lo": lower, "hi": upper}).groupby("d")
    return frame["lo"].min().reindex(ids).to_numpy(), frame["hi"].max().reindex(ids).to_numpy()


def _ensemble_frame(
    out: Mapping[str, list[np.ndarray]], out_key: list[tuple[int, str, int, int]]
) -> pd.DataFrame:
    """Assemble the ensemble's points from its columns and block keys.

    ``out_key`` holds ``(origin, quantity, horizon, count)`` of each block of ``out``.
    """
    frame = pd.DataFrame({k: np.concatenate(v) for k, v in out.items()})
    frame["quantity"] = np.concatenate([np.full(n, q, dtype=object) for _, q, _, n in out_key])
    frame["horizon"] = np.concatenate([np.full(n, h, dtype=np.int64) for _, _, h, n in out_key])
    frame["origin"] = np.concatenate([np.full(n, o, dtype=np.int64) for o, _, _, n in out_key])
    frame["method"] = "ensemble"
    return frame


def _anchors(members: list[str], methods: np.ndarray) -> tuple[int | None, int | None]:
    """Return the positions in ``members`` of one quantity's anchor and 1-year mix member.

    Chosen among the ``methods`` the quantity has (:func:`~xuewei.forecast.weights.anchor_index`,
    :func:`~xuewei.forecast.weights.mix_index`); ``None`` where there is none.
    """
    present = sorted(set(methods.tolist()))
    at, mix = anchor_index(present), mix_index(present)
    return (
        None if at is None else members.index(present[at]),
        None if mix is None else members.index(present[mix]),
    )


def _past_weights(
    point: np.ndarray,
    code: np.ndarray,
    pct: np.ndarray,
    n_m: int,
    benchmark: int | None,
    origin: np.ndarray,
    district: np.ndarray,
    ahead: int,
    mix: int | None = None,
) -> np.ndarray:
    """Weights of ``n_m`` members from their past % errors (one per point and member code).

    ``origin`` and ``district`` give each error's origin and area, ``ahead`` their horizon,
    ``mix`` the code of the member whose even mix with the benchmark is tested first at
    1 year.

    With a benchmark member (``benchmark``, its code), the benchmark alone unless its
    backtest shows a combination doing better
    (:func:`~xuewei.forecast.weights.gated_weights`); else stacked, or inverse-MSE
    with too few points, and shrunk towards equal weights by the number of points
    (:func:`~xuewei.forecast.weights.shrunk_weights`).
    """
    if not len(point):  # nothing known yet: the prior, the benchmark or equal weights
        return np.eye(n_m)[benchmark] if benchmark is not None else np.full(n_m, 1.0 / n_m)
    rows = int(point.max()) + 1
    matrix = np.full((rows, n_m), np.nan)
    matrix[point, code] = pct
    used = np.isfinite(matrix).any(axis=1)
    if benchmark is None:
        return shrunk_weights(matrix[used])
    made = np.zeros(rows, dtype=np.int64)
    made[point] = origin
    area = np.empty(rows, dtype=object)
    area[point] = district
    return gated_weights(
        matrix[used], benchmark, series=area[used], origins=made[used], horizon=ahead, mix=mix
    ).weights


def _calibrated(
    v: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    earlier: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    h: int,
    interval: float,
    *,
    noise_trend: bool,
    scale: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Empirical bounds from the earlier ensembles' errors, if enough; else ``lo, hi``.

    ``noise_trend``: how other horizons' errors are rescaled to ``h``
    (:func:`~xuewei.forecast.calibration.pooled_log_errors`). ``scale``: the errors are
    scores normalised by the members' envelope and the bounds that envelope's scale times
    their quantile (:func:`~xuewei.forecast.calibration.scaled_bounds`; a point without a
    scale keeps ``lo, hi``); ``None``: plain log errors.
    """
    hs = np.concatenate([e[1] for e in earlier])
    log_err = np.concatenate([e[2] for e in earlier])
    made = np.concatenate([e[3] for e in earlier])
    hk = np.unique(hs)
    pooled = calibration_errors(
        {int(k): log_err[hs == k] for k in hk},
        h,
        origins={int(k): made[hs == k] for k in hk},
        noise_trend=noise_trend,
    )
    if len(pooled) < MIN_CALIBRATION_ERRORS:
        return lo, hi
    if scale is None:
        return empirical_bounds(v, pooled, interval)
    slo, shi = scaled_bounds(v, scale, pooled, interval)
    has = np.isfinite(scale)
    return np.where(has, slo, lo), np.where(has, shi, hi)
