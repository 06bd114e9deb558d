"""Panel forecasts: one scikit-learn model across districts, so small districts borrow strength.

A single district's history is short and noisy; a city's districts together hold many more
examples of how growth continues. For every forecast step ``h`` one regression is fitted on
all (district, year) pairs of the history: the target is the log growth over the next ``h``
years, the features the district's recent growth (mean annual log growth over the last 1, 3
and 5 years), its size (log residents), its birth rate (when the table has births) and its
housing completions per 1,000 residents (when given). Intervals are the empirical quantiles
of the in-sample residuals of each step, so they widen with ``h`` as the data say.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.linear_model import LinearRegression

from xuewei.errors import ConfigError, InputError, Problem
from xuewei.forecast.history import annualise, fill_births, rebase_intercensal
from xuewei.forecast.trend import FORECAST_COLUMNS

__all__ = ["PANEL_LAGS", "forecast_panel", "panel_features"]

#: Growth features: mean annual log growth over the last 1, 3 and 5 years.
PANEL_LAGS = (1, 3, 5)


def _annual(population: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    pop = population[population["district_id"].isin(ids)]
    frames = []
    for _district, rows in pop.groupby("district_id", sort=True):
        frames.append(annualise(rebase_intercensal(rows))[["district_id", "year", "population"]])
    return pd.concat(frames, ignore_index=True)


def panel_features(
    population: pd.DataFrame,
    *,
    district_ids: list[str] | None = None,
    base_year: int | None = None,
    completions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Build the panel's features for every district and year with enough history.

    Parameters
    ----------
    population
        Tidy table: ``district_id``, ``year``, ``population`` and optionally ``basis`` and
        ``births``.
    district_ids
        Districts to use (default all).
    base_year
        The last year of data used.
    completions
        Optional ``district_id``, ``year``, ``dwellings``: new dwellings completed.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``population`` and the features ``growth_1``,
        ``growth_3``, ``growth_5``, ``log_size`` and, when available, ``birth_rate`` and
        ``completions_per_1000`` (0 in years with no completions row).

    Examples
    --------
    >>> pop = pd.DataFrame({"district_id": "a", "year": range(2010, 2017),
    ...                     "population": [100.0 * 1.1**k for k in range(7)]})
    >>> f = panel_features(pop)
    >>> f["year"].tolist(), f["growth_5"].round(4).tolist()
    ([2015, 2016], [0.0953, 0.0953])
    """
    pop = population.copy()
    pop["district_id"] = pop["district_id"].astype(str)
    if base_year is not None:
        pop = pop[pop["year"] <= base_year]
    ids = (
        sorted(set(pop["district_id"])) if district_ids is None else [str(d) for d in district_ids]
    )
    annual = _annual(pop, ids)
    frames = []
    for _district, g in annual.groupby("district_id", sort=True):
        g = g.sort_values("year").reset_index(drop=True)
        logp = np.log(g["population"].to_numpy(dtype=np.float64))
        for lag in PANEL_LAGS:
            shifted = np.full(len(g), np.nan)
            shifted[lag:] = (logp[lag:] - logp[:-lag]) / lag
            g[f"growth_{lag}"] = shifted
        g["log_size"] = logp
        frames.append(g)
    out = pd.concat(frames, ignore_index=True)
    if "births" in pop and pop["births"].notna().any():
        has = pop.groupby("district_id")["births"].apply(lambda s: s.notna().any())
        with_births = [d for d in ids if bool(has.get(d, False))]
        if len(with_births) == len(ids):
            b = fill_births(pop[pop["district_id"].isin(ids)])
            out = out.merge(b[["district_id", "year", "birth_rate"]], how="left")
            out["birth_rate"] = out.groupby("district_id")["birth_rate"].transform(
                lambda r: r.ffill().bfill()
            )
    if completions is not None:
        comp = completions.assign(district_id=completions["district_id"].astype(str))
        comp = comp.groupby(["district_id", "year"])["dwellings"].sum().reset_index()
        out = out.merge(comp, how="left", on=["district_id", "year"])
        out["completions_per_1000"] = out["dwellings"].fillna(0.0) / out["population"] * 1000
        out = out.drop(columns="dwellings")
    need = [f"growth_{lag}" for lag in PANEL_LAGS]
    return out.dropna(subset=need).reset_index(drop=True)


def forecast_panel(
    population: pd.DataFrame,
    *,
    horizon: int,
    base_year: int | None = None,
    interval: float = 0.8,
    district_ids: list[str] | None = None,
    completions: pd.DataFrame | None = None,
    estimator: Any = None,
) -> pd.DataFrame:
    """Forecast residents of every district with one regression per step across districts.

    Parameters
    ----------
    population
        Tidy table (see :func:`panel_features`); the city-total rows must not be among
        ``district_ids``.
    horizon
        The last year forecast.
    base_year
        The last year of data used; default the latest year.
    interval
        Prediction-interval coverage (from the in-sample residual quantiles).
    district_ids
        Districts to forecast and learn from (default all).
    completions
        Optional housing completions (see :func:`panel_features`).
    estimator
        A scikit-learn regressor (cloned per step); default
        :class:`~sklearn.linear_model.LinearRegression`.

    Returns
    -------
    pandas.DataFrame
        :data:`~xuewei.forecast.FORECAST_COLUMNS`, ``method`` ``panel``.

    Raises
    ------
    InputError
        If no district has the 6 annual values the features need, or a district asked for
        has too short a history.
    ConfigError
        For an ``interval`` outside (0, 1).

    Examples
    --------
    Three districts each growing at its own constant rate: the panel learns that growth
    continues and forecasts each exactly:

    >>> pop = pd.DataFrame([{"district_id": d, "year": y, "population": 1e4 * (1 + r) ** (y - 2010)}
    ...                     for d, r in (("a", 0.01), ("b", 0.02), ("c", 0.04))
    ...                     for y in range(2010, 2021)])
    >>> f = forecast_panel(pop, horizon=2022)
    >>> (f["value"] / (1e4 * f["district_id"].map({"a": 1.01, "b": 1.02, "c": 1.04})
    ...  ** (f["year"] - 2010))).round(6).unique().tolist()
    [1.0]
    """
    if not 0 < interval < 1:
        raise ConfigError(f"interval {interval} must be in (0, 1)")
    feats = panel_features(
        population, district_ids=district_ids, base_year=base_year, completions=completions
    )
    if feats.empty:
        raise InputError(
            [Problem("population", "the panel needs at least 6 annual values of some district")]
        )
    base = int(base_year if base_year is not None else feats["year"].max())
    cols = [c for c in feats.columns if c not in ("district_id", "year", "population")]
    model0 = estimator if estimator is not None else LinearRegression()
    logp = np.log(feats.set_index(["district_id", "year"])["population"])
    now = feats[feats["year"] == base]
    _check_present(population, district_ids, now, base)
    x_now = now[cols].to_numpy(dtype=np.float64)
    lo_q, hi_q = (1 - interval) / 2, (1 + interval) / 2
    frames = []
    last_fit: tuple[int, np.ndarray, float, float] | None = None
    for h in range(1, horizon - base + 1):
        key = pd.MultiIndex.from_arrays([feats["district_id"], feats["year"] + h])
        target = logp.reindex(key).to_numpy() - np.log(feats["population"].to_numpy())
        ok = np.isfinite(target) & (feats["year"].to_numpy() + h <= base)
        if ok.sum() >= max(3, len(cols) + 1):
            model = clone(model0)
            x = feats.loc[ok, cols].to_numpy(dtype=np.float64)
            model.fit(x, target[ok])
            resid = target[ok] - model.predict(x)
            pred = model.predict(x_now)
            lo, hi = float(np.quantile(resid, lo_q)), float(np.quantile(resid, hi_q))
            last_fit = (h, pred, lo, hi)
        elif last_fit is not None:
            # too few years to learn this step: continue the last learnt step's growth
            h0, pred0, lo0, hi0 = last_fit
            pred, lo, hi = pred0 * h / h0, lo0 * np.sqrt(h / h0), hi0 * np.sqrt(h / h0)
        else:
            msg = "the panel needs at least one year of growth to learn from"
            raise InputError([Problem("population", msg)])
        level = now["population"].to_numpy(dtype=np.float64)
        frames.append(
            pd.DataFrame(
                {
                    "district_id": now["district_id"].to_numpy(),
                    "year": base + h,
                    "quantity": "population",
                    "value": level * np.exp(pred),
                    "lower": level * np.exp(pred + min(lo, 0.0)),
                    "upper": level * np.exp(pred + max(hi, 0.0)),
                    "method": "panel",
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)[FORECAST_COLUMNS]
    return out.sort_values(["district_id", "year"], kind="stable").reset_index(drop=True)


def _check_present(
    population: pd.DataFrame, district_ids: list[str] | None, now: pd.DataFrame, base: int
) -> None:
    """Check that every district asked for has panel features in the base year."""
    wanted = (
        sorted(set(population["district_id"].astype(str)))
        if district_ids is None
        else list(district_ids)
    )
    lacking = sorted(set(map(str, wanted)) - set(now["district_id"]))
    if lacking:
        raise InputError(
            [
                Problem(
                    "population",
                    f"districts {lacking} have no panel features in the base year {base} "
                    f"(they need {max(PANEL_LAGS)} years of history up to {base}); forecast "
                    "them with a trend",
                    column="district_id",
                )
            ]
        )
