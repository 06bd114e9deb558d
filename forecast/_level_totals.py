"""Level totals of a cohort forecast: grades summed into entrants and levels, with intervals.

A level's grades are not all at their bounds at once: :func:`level_log_sd` treats the
births and mean-ratio parts of each grade's log variance as common to the level and its
yearly ratio parts as independent. Used by :func:`xuewei.forecast.forecast_cohort`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from xuewei.forecast._grades import COHORT_LEVELS
from xuewei.forecast.trend import FORECAST_COLUMNS

__all__ = ["level_frames", "level_log_sd"]


def level_log_sd(
    values: np.ndarray,
    births_var: np.ndarray,
    common_var: np.ndarray,
    own_var: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the log-sd of a sum of grades and the part of it due to unborn births.

    Each grade ``g`` (rows of the arrays; columns are years) has a value ``v_g`` and three
    log variances: ``births_var`` (births forecast beyond the last known year), common to
    every grade and so perfectly correlated across them; ``common_var`` (the error of the
    mean ratios, also shared, independent of births); ``own_var`` (the ratios of each
    future year, independent between cohorts). With weights ``w_g = v_g / Σ v``
    (first order, log scale)::

        births_sd = Σ w_g √births_var_g
        sd² = births_sd² + (Σ w_g √common_var_g)² + Σ w_g² own_var_g

    Adding the grades' bounds instead (every grade at its bound at once) made primary
    intervals cover 95–100 % of backtest outcomes for a nominal 80 %.

    Examples
    --------
    Two equal grades, each with own variance 0.01 and nothing shared: the total's sd is
    0.1 / √2, not 0.1:

    >>> sd, b = level_log_sd(np.array([[1.0], [1.0]]), np.zeros((2, 1)), np.zeros((2, 1)),
    ...                      np.full((2, 1), 0.01))
    >>> round(float(sd[0]), 6), float(b[0])
    (0.070711, 0.0)
    """
    v = np.asarray(values, dtype=np.float64)
    w = v / v.sum(axis=0)
    births_sd = (w * np.sqrt(births_var)).sum(axis=0)
    common_sd = (w * np.sqrt(common_var)).sum(axis=0)
    own = (w**2 * own_var).sum(axis=0)
    return np.sqrt(births_sd**2 + common_sd**2 + own), births_sd


def level_frames(
    district: str,
    years: np.ndarray,
    out_val: dict[int, np.ndarray],
    out_var: dict[int, np.ndarray],
    out_imp: dict[int, np.ndarray],
    layout: Mapping[str, list[int]],
    z: float,
) -> pd.DataFrame:
    """Sum grades into grades, entrants and levels, each with its interval."""
    frames = []
    quantities: dict[str, list[int]] = {f"grade_{g}": [g] for g in sorted(out_val)}
    quantities["entrants"] = [1] if 1 in out_val else []
    for level in COHORT_LEVELS:
        quantities[level] = [g for g in layout[level] if g in out_val]
    for quantity, gs in quantities.items():
        if not gs:
            continue
        vals = np.vstack([out_val[g] for g in gs])
        val = vals.sum(axis=0)
        sd, births_sd = level_log_sd(
            vals, *(np.vstack([out_var[g][i] for g in gs]) for i in range(3))
        )
        lower = val * np.exp(-z * sd)
        upper = val * np.exp(z * sd)
        imputed = np.logical_or.reduce([out_imp[g] for g in gs])
        frames.append(
            pd.DataFrame(
                {
                    "district_id": district,
                    "year": years,
                    "quantity": quantity,
                    "value": val,
                    "lower": lower,
                    "upper": upper,
                    "method": "cohort",
                    "births_imputed": imputed,
                    "births_sd": births_sd,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)[[*FORECAST_COLUMNS, "births_imputed", "births_sd"]]
