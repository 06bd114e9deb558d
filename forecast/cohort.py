"""Cohort (grade-progression) forecasts of pupils: births → entrants → grades → levels.

The method school planners use where enrolment by grade is known. Children enter the first
grade of a chain at its entry age: grade 1 of compulsory school at ``entry_age`` (6 in
China) and the first kindergarten year group (小班) three years earlier. Entrants in year
``t`` are births in ``t - age`` times an *entry ratio*; in a migrant city it is well above 1
(children born elsewhere move in), ≈ 1.8 in Hangzhou in 2023. Each later grade is the grade
below a year earlier times a *progression ratio* (migration in and out, repetition). Ratios
are averaged over the last ``window`` years (3–6 in practice; ``data/standards.toml`` key
``forecast.progression.window_years``) and applied to the last observed grades.

Grades are numbered so that one rule covers both chains: compulsory grades 1–9 (primary
1–6, junior 7–9, from the standards' ``grades`` table) and kindergarten year groups
``-2, -1, 0`` (ages 3, 4, 5); a grade's age is ``entry_age + grade - 1``.

Intervals come from the spread of the historical ratios: on the log scale each ratio adds
its variance (``sd² × (1 + 1/n)``, the spread of one future ratio drawn like the past
ones), births forecast beyond the last known year add the variance of their trend
forecast; a grade's interval is ``exp(log value ± z·sd)``. A level total is not every
grade at its bound at once: its log variance (:func:`level_log_sd`) treats as common to its
grades what they share — the births forecast (a births turn moves every unborn cohort the
same way) and the error of the mean ratios, ``sd²/n`` (the same mean is applied to every
cohort) — and as independent the ratio of each future year, ``sd²`` (each cohort draws its
own). The births part alone is returned as ``births_sd``: the spread due to children not
yet born at the base year, which no past error of a calm era can show.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from xuewei.errors import InputError, Problem
from xuewei.forecast._standards import standard
from xuewei.forecast.history import fill_births
from xuewei.forecast.trend import FORECAST_COLUMNS, TrendMethod, forecast_trend, spread_growth

BirthsSpread = Literal["departures", "changes", "trend"]
#: A district's births forecast: the trend forecast, the last known year and its births.
BirthsForecast = tuple[pd.DataFrame, int, float]
__all__ = [
    "births_change_sd",
    "cohort_ratios",
    "forecast_cohort",
    "forecast_school_age",
    "implied_per_thousand",
    "level_log_sd",
]

_AGE_COL = re.compile(r"^age_(\d+)_(\d+)$")


def births_change_sd(
    births: pd.DataFrame,
    steps: int,
    *,
    projected: Mapping[str, np.ndarray] | None = None,
) -> np.ndarray:
    """Return the RMS change of log births over ``k`` years, k = 1..steps, from the history.

    The spread of a births forecast ``k`` years beyond the last known births: births move
    with fertility policy and migration, which no trend fitted to a smooth history
    foresees (China's births rose until 2016 and halved by 2023), so a forecast is taken
    to be as unsure as births were *changeable*: the root mean square of every observed
    ``log(births[t + k] / births[t])``, pooled over the areas of ``births`` (only counts,
    not imputed values). Spans with fewer than three changes take the longest span that
    has them, grown as ``k**a`` (:func:`~xuewei.forecast.trend.spread_growth`); zeros when no
    span has three.

    With ``projected`` (each area's forecast log change of births ``k`` years after its
    last known births, k = 1, 2, ...) the changes are measured from the change the
    forecast projects: ``log(births[t + k] / births[t]) - projected[k]``. If the next ``k``
    years move as some past ``k`` years did, that is how far from the forecast births land;
    the plain RMS is the spread around *no* change, which counts a trend the forecast
    already follows as uncertainty (births growing exactly 5 % a year: an RMS change of
    0.49 at 10 years, where a forecast that follows the growth misses nothing). Only the
    areas of ``projected`` count, each for the spans it projects.

    Parameters
    ----------
    births
        ``district_id``, ``year``, ``births`` and optionally ``births_imputed``.
    steps
        Largest span ``k``.
    projected
        Optional: per ``district_id``, the projected log changes ``k`` = 1, 2, ... years
        after that area's last known births.

    Returns
    -------
    numpy.ndarray
        ``steps`` log standard deviations.

    Examples
    --------
    Births growing exactly 10 % a year changed by ``log 1.1`` per year, so the spread
    ``k`` years ahead is ``k · log 1.1``:

    >>> b = pd.DataFrame({"district_id": "a", "year": range(2000, 2010),
    ...                   "births": [100.0 * 1.1**k for k in range(10)]})
    >>> (births_change_sd(b, 3) / np.log(1.1)).round(6).tolist()
    [1.0, 2.0, 3.0]

    A forecast projecting that growth has nothing to miss; one projecting 5 % a year
    misses ``k · log(1.1 / 1.05)``:

    >>> births_change_sd(b, 2, projected={"a": np.log(1.1) * np.arange(1, 3)}).round(6).tolist()
    [0.0, 0.0]
    >>> sd = births_change_sd(b, 2, projected={"a": np.log(1.05) * np.arange(1, 3)})
    >>> (sd / np.log(1.1 / 1.05)).round(6).tolist()
    [1.0, 2.0]
    """
    if steps < 1:
        return np.zeros(0)
    b = births
    if "births_imputed" in b:
        b = b[~b["births_imputed"].astype(bool)]
    changes: dict[int, list[np.ndarray]] = {}
    for district, rows in b.groupby("district_id", sort=True):
        if projected is not None and str(district) not in projected:
            continue
        proj = None if projected is None else np.asarray(projected[str(district)], dtype=float)
        s = pd.Series(
            rows["births"].to_numpy(dtype=np.float64), index=rows["year"].to_numpy(dtype=np.int64)
        )
        s = s[s > 0]
        if len(s) < 2:
            continue
        full = np.log(s.reindex(range(int(s.index.min()), int(s.index.max()) + 1)).to_numpy())
        last = min(steps, len(full) - 1) if proj is None else min(steps, len(full) - 1, len(proj))
        for k in range(1, last + 1):
            d = full[k:] - full[:-k]
            d = d[np.isfinite(d)]
            changes.setdefault(k, []).append(d if proj is None else d - proj[k - 1])
    pooled = {k: np.concatenate(v) for k, v in changes.items()}
    usable = {k: e for k, e in pooled.items() if len(e) >= 3}
    out = np.zeros(steps)
    if not usable:
        return out
    a = spread_growth(usable)
    longest = max(usable)
    base = float(np.sqrt(np.mean(usable[longest] ** 2)))
    for k in range(1, steps + 1):
        if k in usable:
            out[k - 1] = float(np.sqrt(np.mean(usable[k] ** 2)))
        else:
            out[k - 1] = base * (k / longest) ** a
    return out


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


def _grade_layout(grades: Mapping[str, int] | None) -> dict[str, list[int]]:
    g = {
        "primary": int(standard("grades.primary", 6)),
        "junior": int(standard("grades.junior", 3)),
        "kindergarten": int(standard("grades.kindergarten", 3)),
    }
    if grades:
        g.update({k: int(v) for k, v in grades.items()})
    return {
        "kindergarten": list(range(1 - g["kindergarten"], 1)),
        "primary": list(range(1, g["primary"] + 1)),
        "junior": list(range(g["primary"] + 1, g["primary"] + g["junior"] + 1)),
    }


def _clean_enrolment(enrolment: pd.DataFrame, source: str) -> pd.DataFrame:
    problems = [
        Problem(source, f"missing column `{c}`", column=c)
        for c in ("district_id", "year", "grade", "pupils")
        if c not in enrolment
    ]
    if problems:
        raise InputError(problems)
    e = enrolment[["district_id", "year", "grade", "pupils"]].copy()
    e["district_id"] = e["district_id"].astype(str)
    e["pupils"] = pd.to_numeric(e["pupils"], errors="coerce").astype("float64")
    bad = ~(e["pupils"] >= 0)
    for i in np.flatnonzero(bad.to_numpy()):
        problems.append(
            Problem(
                source,
                f"got pupils {enrolment['pupils'].iloc[i]!r}; pupils must be a number ≥ 0",
                row=int(i) + 1,
                column="pupils",
            )
        )
    dup = e.duplicated(["district_id", "year", "grade"], keep="first")
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(
            Problem(
                source,
                f"district {e['district_id'].iloc[i]}, year {e['year'].iloc[i]}, grade "
                f"{e['grade'].iloc[i]} appears twice; give one row per district, year, grade",
                row=int(i) + 1,
            )
        )
    if problems:
        raise InputError(problems)
    e["grade"] = e["grade"].astype(np.int64)
    e["year"] = e["year"].astype(np.int64)
    return e


def cohort_ratios(
    population: pd.DataFrame,
    enrolment: pd.DataFrame,
    *,
    entry_age: int | None = None,
    grades: Mapping[str, int] | None = None,
    base_year: int | None = None,
    source: str = "enrolment",
) -> pd.DataFrame:
    """Compute the historical entry and progression ratios of every district.

    Parameters
    ----------
    population
        Tidy table with ``district_id``, ``year``, ``population`` and ``births`` (missing
        births are imputed by :func:`~xuewei.forecast.fill_births` and flagged).
    enrolment
        Tidy table ``district_id``, ``year``, ``grade``, ``pupils``: grades 1–9 for
        compulsory school and -2, -1, 0 for the kindergarten year groups (ages 3–5).
    entry_age
        Age at entry to grade 1; default the standard ``forecast.progression.entry_age``.
    grades
        Grades per level (``primary``, ``junior``, ``kindergarten``); default the
        standards' ``grades`` table (6, 3, 3).
    base_year
        The last year of data used.
    source
        Name of the enrolment input, for error messages.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``grade``, ``ratio`` (``entry`` or ``progression``),
        ``value`` and ``births_imputed`` (an entry ratio computed from imputed births).

    Examples
    --------
    120 entrants from 100 births six years earlier, and 118 of them in grade 2 a year later:

    >>> pop = pd.DataFrame({"district_id": "a", "year": [2014, 2015],
    ...                     "population": [1e4, 1e4], "births": [100.0, 100.0]})
    >>> enr = pd.DataFrame({"district_id": "a", "year": [2020, 2021, 2021],
    ...                     "grade": [1, 1, 2], "pupils": [120.0, 120.0, 118.0]})
    >>> cohort_ratios(pop, enr)[["year", "grade", "ratio", "value"]].values.tolist()
    [[2020, 1, 'entry', 1.2], [2021, 1, 'entry', 1.2], [2021, 2, 'progression', 0.9833333333333333]]
    """
    age1 = int(
        entry_age if entry_age is not None else standard("forecast.progression.entry_age", 6)
    )
    layout = _grade_layout(grades)
    e = _clean_enrolment(enrolment, source)
    births = fill_births(_population_rows(population, base_year))
    if base_year is not None:
        e = e[e["year"] <= base_year]
    b = births.set_index(["district_id", "year"])
    pupils = e.set_index(["district_id", "year", "grade"])["pupils"]
    rows = []
    for chain in _chains(layout):
        first = chain[0]
        age = age1 + first - 1
        ent = e[e["grade"] == first]
        key = pd.MultiIndex.from_arrays([ent["district_id"], ent["year"] - age])
        bb = b.reindex(key)
        rows.append(
            pd.DataFrame(
                {
                    "district_id": ent["district_id"].to_numpy(),
                    "year": ent["year"].to_numpy(),
                    "grade": first,
                    "ratio": "entry",
                    "value": ent["pupils"].to_numpy() / bb["births"].to_numpy(),
                    "births_imputed": bb["births_imputed"].fillna(False).to_numpy(dtype=bool),
                }
            )
        )
        for g in chain[1:]:
            cur = e[e["grade"] == g]
            key = pd.MultiIndex.from_arrays([cur["district_id"], cur["year"] - 1, cur["grade"] - 1])
            below = pupils.reindex(key).to_numpy()
            rows.append(
                pd.DataFrame(
                    {
                        "district_id": cur["district_id"].to_numpy(),
                        "year": cur["year"].to_numpy(),
                        "grade": g,
                        "ratio": "progression",
                        "value": cur["pupils"].to_numpy() / below,
                        "births_imputed": False,
                    }
                )
            )
    out = pd.concat(rows, ignore_index=True)
    out = out[np.isfinite(out["value"].to_numpy(dtype=np.float64))]
    return out.sort_values(["district_id", "grade", "year"], kind="stable").reset_index(drop=True)


def _chains(layout: dict[str, list[int]]) -> list[list[int]]:
    chains = []
    if layout["kindergarten"]:
        chains.append(layout["kindergarten"])
    chains.append(layout["primary"] + layout["junior"])
    return chains


def _population_rows(population: pd.DataFrame, base_year: int | None) -> pd.DataFrame:
    cols = ["district_id", "year", "population"] + (["births"] if "births" in population else [])
    pop = population[cols].copy()
    pop["district_id"] = pop["district_id"].astype(str)
    if base_year is not None:
        pop = pop[pop["year"] <= base_year]
    return pop


def forecast_cohort(
    population: pd.DataFrame,
    enrolment: pd.DataFrame,
    *,
    horizon: int,
    base_year: int | None = None,
    window: int | None = None,
    interval: float = 0.8,
    entry_age: int | None = None,
    grades: Mapping[str, int] | None = None,
    by_grade: bool = False,
    births_method: TrendMethod = "ets",
    births_spread: BirthsSpread = "departures",
    district_ids: list[str] | None = None,
    source: str = "enrolment",
) -> pd.DataFrame:
    """Forecast pupils per district, level and year by grade progression.

    Parameters
    ----------
    population
        Tidy table with ``district_id``, ``year``, ``population`` and ``births``. Missing
        births are imputed from the nearest birth rates (:func:`~xuewei.forecast.fill_births`)
        and every value that depends on one is flagged in ``births_imputed``. Births after
        the last year with a population row are forecast with
        :func:`~xuewei.forecast.forecast_trend` (``births_method``), whose interval is
        carried into the pupils' interval.
    enrolment
        Tidy table ``district_id``, ``year``, ``grade``, ``pupils`` (see
        :func:`cohort_ratios`); every grade of a chain must be present in the base year.
        Without kindergarten rows (grades ≤ 0) no kindergarten forecast is made.
    horizon
        The last year forecast.
    base_year
        The last year of enrolment used; default the latest enrolment year.
    window
        Years of ratios averaged; default ``forecast.progression.window_years`` (5).
    interval
        Prediction-interval coverage.
    entry_age, grades
        See :func:`cohort_ratios`.
    by_grade
        Also return one quantity per grade (``grade_1`` … ``grade_9``, ``grade_-2`` …).
    births_method
        Trend method for future births.
    births_spread
        Spread of future births, at least the trend method's own interval:
        ``"departures"`` (default) at least the RMS of the history's log changes of births
        over as many years measured from the change the births forecast projects
        (:func:`births_change_sd` with ``projected``: if births move as they did in some
        past span, this is how far from the forecast they land; a trend fitted to a
        smooth history does not foresee a turn), ``"changes"`` at least the RMS of the
        raw changes (the spread around no change: wider, as wide as the trend itself),
        ``"trend"`` the trend method's own interval only.
    district_ids
        Districts to forecast; default every district of ``enrolment``.
    source
        Name of the enrolment input, for error messages.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``quantity`` (``entrants``, ``primary``, ``junior``,
        ``kindergarten``; grades with ``by_grade``), ``value``, ``lower``, ``upper``,
        ``method`` (``cohort``), ``births_imputed`` and ``births_sd`` (the log-sd due to
        births not yet known at the base year, see :func:`level_log_sd`; 0 while every
        child counted is born); years after the base year. A level's interval is
        ``value × exp(±z·sd)`` with the sd of :func:`level_log_sd`.

    Examples
    --------
    1,000 births a year, an entry ratio of 1.5 and every pupil moving up: 1,500 entrants,
    and primary becomes 6 × 1,500 once the cohorts of 1,500 have filled the school:

    >>> years = list(range(2005, 2021))
    >>> pop = pd.DataFrame({"district_id": "a", "year": years,
    ...                     "population": 1e5, "births": 1000.0})
    >>> enr = pd.DataFrame([{"district_id": "a", "year": y, "grade": g,
    ...                      "pupils": 1500.0 if g <= y - 2014 else 1400.0}
    ...                     for y in range(2016, 2021) for g in range(1, 10)])
    >>> f = forecast_cohort(pop, enr, horizon=2026)
    >>> f[f.quantity == "entrants"]["value"].round(6).unique().tolist()
    [1500.0]
    >>> f[(f.quantity == "primary")].set_index("year")["value"].round(6).loc[[2021, 2026]].tolist()
    [9000.0, 9000.0]
    """
    if not 0 < interval < 1:
        raise ValueError(f"interval {interval} must be in (0, 1)")
    if births_spread not in get_args(BirthsSpread):
        raise ValueError(
            f"births_spread {births_spread!r} must be one of {', '.join(get_args(BirthsSpread))}"
        )
    age1 = int(
        entry_age if entry_age is not None else standard("forecast.progression.entry_age", 6)
    )
    win = int(window if window is not None else standard("forecast.progression.window_years", 5))
    if win < 1:
        raise ValueError(f"window {win} must be at least 1 year")
    layout = _grade_layout(grades)
    e = _clean_enrolment(enrolment, source)
    base = int(base_year if base_year is not None else e["year"].max())
    e = e[e["year"] <= base]
    ratios = cohort_ratios(
        population, e, entry_age=age1, grades=grades, base_year=None, source=source
    )
    births = fill_births(_population_rows(population, base))
    ids = sorted(set(e["district_id"])) if district_ids is None else [str(d) for d in district_ids]
    z = float(stats.norm.ppf(0.5 + interval / 2.0))
    # births after the last known year are as unsure as births were changeable (pooled
    # over the areas forecast): the trend's own interval assumes the trend goes on
    future = {
        d: _births_forecast(d, e, births, layout, age1, horizon, interval, births_method)
        for d in ids
    }
    steps = max(horizon - base, 1)
    mine = births[births["district_id"].isin(ids)]
    if births_spread == "changes":
        change_sd = births_change_sd(mine, steps)
    elif births_spread == "departures":
        # measured from the change each area's forecast projects, so the trend it follows
        # is not counted as uncertainty
        change_sd = births_change_sd(mine, steps, projected=_projected_changes(future))
    else:
        change_sd = np.zeros(0)
    frames = []
    problems: list[Problem] = []
    for district in ids:
        rows = _district_cohort(
            district,
            e,
            ratios,
            births,
            layout,
            age1,
            base,
            horizon,
            win,
            z,
            future[district],
            change_sd,
            source,
            problems,
        )
        if rows is not None:
            frames.append(rows)
    if problems:
        raise InputError(problems)
    out = pd.concat(frames, ignore_index=True)
    if not by_grade:
        out = out[~out["quantity"].str.startswith("grade_")]
    return out.reset_index(drop=True)


def _births_forecast(
    district: str,
    e: pd.DataFrame,
    births: pd.DataFrame,
    layout: dict[str, list[int]],
    age1: int,
    horizon: int,
    interval: float,
    births_method: TrendMethod,
) -> BirthsForecast | None:
    """Forecast a district's births to the last birth year its pupils need.

    Returns the trend forecast, the last known year and its births; ``None`` when every
    needed birth is known or the series has gaps.
    """
    de = e[e["district_id"] == district]
    db = births[births["district_id"] == district]
    chains = [c for c in _chains(layout) if c[0] >= 1 or set(c) & set(de["grade"])]
    need_last = horizon - (age1 - 1 + min(c[0] for c in chains))
    if not len(db) or db["year"].max() >= need_last:
        return None
    series = pd.Series(db["births"].to_numpy(dtype=np.float64), index=db["year"].to_numpy())
    series = series[series > 0]
    if len(series) < 2 or not (np.diff(series.index) == 1).all():
        return None
    fut = forecast_trend(series, horizon=need_last, interval=interval, method=births_method)
    return fut, int(series.index[-1]), float(series.iloc[-1])


def _projected_changes(future: Mapping[str, BirthsForecast | None]) -> dict[str, np.ndarray]:
    """Each area's forecast log change of births k = 1, 2, … years after its last known."""
    return {
        d: np.log(f[0]["value"].to_numpy()) - np.log(f[2])
        for d, f in future.items()
        if f is not None
    }


def _future_births(
    future: BirthsForecast, change_sd: np.ndarray, z: float
) -> Iterator[tuple[int, float, float]]:
    """Year, value and log-sd of each forecast birth year.

    The sd is the trend's own, at least ``change_sd`` of as many years after the last known
    births (see ``births_spread`` of :func:`forecast_cohort`).
    """
    fut, last_known, _ = future
    for y, v, lo in zip(fut["year"], fut["value"], fut["lower"], strict=True):
        k = min(int(y) - last_known, len(change_sd))
        floor = float(change_sd[k - 1]) if k else 0.0
        yield int(y), float(v), max(float((np.log(v) - np.log(lo)) / z), floor)


def _district_cohort(
    district: str,
    e: pd.DataFrame,
    ratios: pd.DataFrame,
    births: pd.DataFrame,
    layout: dict[str, list[int]],
    age1: int,
    base: int,
    horizon: int,
    win: int,
    z: float,
    future: BirthsForecast | None,
    change_sd: np.ndarray,
    source: str,
    problems: list[Problem],
) -> pd.DataFrame | None:
    steps = horizon - base
    if steps <= 0:
        raise ValueError(f"horizon {horizon} must be after the base year {base}")
    years = np.arange(base + 1, horizon + 1)
    de = e[(e["district_id"] == district)]
    now = de[de["year"] == base].set_index("grade")["pupils"]
    dr = ratios[(ratios["district_id"] == district) & (ratios["year"] <= base)]
    db = births[births["district_id"] == district]
    # births by year with log-variance; future births from a trend forecast
    b_val = dict(zip(db["year"].to_numpy(), db["births"].to_numpy(dtype=np.float64), strict=True))
    b_var = dict.fromkeys(b_val, 0.0)
    b_imp = dict(zip(db["year"].to_numpy(), db["births_imputed"].to_numpy(dtype=bool), strict=True))
    chains = [c for c in _chains(layout) if c[0] >= 1 or set(c) & set(de["grade"])]
    if future is not None:
        for y, v, spread in _future_births(future, change_sd, z):
            b_val[y], b_var[y] = v, spread**2
            b_imp[y] = bool(db["births_imputed"].any())
    out_val: dict[int, np.ndarray] = {}
    out_var: dict[int, np.ndarray] = {}
    out_imp: dict[int, np.ndarray] = {}
    for chain in chains:
        missing = [g for g in chain if g not in now.index]
        if missing:
            problems.append(
                Problem(
                    source,
                    f"district {district} has no pupils for grade(s) {missing} in the base "
                    f"year {base}; the cohort method needs every grade of the base year",
                    column="grade",
                )
            )
            continue
        stats_by_grade = {}
        for g in chain:
            kind = "entry" if g == chain[0] else "progression"
            r = dr[(dr["grade"] == g) & (dr["ratio"] == kind)].tail(win)["value"].to_numpy()
            r = r[r > 0]
            if len(r) == 0:
                problems.append(
                    Problem(
                        source,
                        f"district {district}: no {kind} ratio for grade {g} up to {base} "
                        f"(needs pupils in grade {g} and "
                        + (
                            "births " + str(age1 + g - 1) + " years earlier"
                            if kind == "entry"
                            else f"grade {g - 1} a year earlier"
                        )
                        + ")",
                        column="pupils",
                    )
                )
                break
            logs = np.log(r)
            # a future year's ratio: its own deviation sd² (each cohort draws its own) plus
            # the mean's error sd²/n (the same mean serves every cohort)
            own = float(logs.var(ddof=1)) if len(r) > 1 else 0.0
            stats_by_grade[g] = (float(r.mean()), own / len(r), own)
        else:
            age = age1 + chain[0] - 1
            prev_val = {g: float(now[g]) for g in chain}
            zero = dict.fromkeys(chain, 0.0)
            prev_var = (zero, zero, zero)  # births, common (mean ratios), own (yearly ratios)
            prev_imp = dict.fromkeys(chain, False)
            for t in years:
                cur_val, cur_imp = {}, {}
                cur_var: tuple[dict[int, float], ...] = ({}, {}, {})
                mean, c_var, o_var = stats_by_grade[chain[0]]
                by = int(t - age)
                if by not in b_val:
                    problems.append(
                        Problem(
                            "population",
                            f"district {district} has no births for {by} (needed for "
                            f"grade {chain[0]} in {t}); add births or a population row",
                            column="births",
                        )
                    )
                    return None
                cur_val[chain[0]] = b_val[by] * mean
                for part, add in zip(cur_var, (b_var[by], c_var, o_var), strict=True):
                    part[chain[0]] = add
                cur_imp[chain[0]] = b_imp[by]
                for g in chain[1:]:
                    mean, c_var, o_var = stats_by_grade[g]
                    cur_val[g] = prev_val[g - 1] * mean
                    for part, before, add in zip(
                        cur_var, prev_var, (0.0, c_var, o_var), strict=True
                    ):
                        part[g] = before[g - 1] + add
                    cur_imp[g] = prev_imp[g - 1]
                for g in chain:
                    out_val.setdefault(g, np.empty(steps))[t - base - 1] = cur_val[g]
                    for i, part in enumerate(cur_var):
                        out_var.setdefault(g, np.empty((3, steps)))[i, t - base - 1] = part[g]
                    out_imp.setdefault(g, np.empty(steps, dtype=bool))[t - base - 1] = cur_imp[g]
                prev_val, prev_imp = cur_val, cur_imp
                prev_var = (cur_var[0], cur_var[1], cur_var[2])
    if not out_val:
        return None
    frames = []
    quantities: dict[str, list[int]] = {f"grade_{g}": [g] for g in sorted(out_val)}
    quantities["entrants"] = [1] if 1 in out_val else []
    for level in ("kindergarten", "primary", "junior"):
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


def forecast_school_age(
    population: pd.DataFrame,
    *,
    horizon: int,
    base_year: int | None = None,
    interval: float = 0.8,
    entry_age: int | None = None,
    grades: Mapping[str, int] | None = None,
    births_method: TrendMethod = "ets",
    district_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Forecast children of kindergarten, primary and junior age from births and a census.

    The cohort method for areas without enrolment by grade: children of age ``a`` in year
    ``t`` are the births of ``t - a`` times a *survival-migration ratio* ``m``, estimated
    from every age count of the table (columns ``age_A_B``, e.g. ``age_0_14`` or
    ``age_6_11`` of the data contract, usually census years) as the count divided by the
    births of its cohorts. In a migrant city ``m`` is well above 1. Kindergarten ages are
    the three years before ``entry_age``, primary the ``grades.primary`` years from it,
    junior the ``grades.junior`` after. Children of compulsory-school age approximate
    pupils (enrolment is universal); kindergarten children are the potential demand.

    Parameters
    ----------
    population
        Tidy table: ``district_id``, ``year``, ``population``, ``births`` (missing births
        are imputed and flagged, see :func:`~xuewei.forecast.fill_births`; births of the
        cohorts of an age count older than the area's first population figure are imputed
        on its population carried back at its first growth rate) and at least one
        ``age_A_B`` count per district.
    horizon
        The last year forecast.
    base_year
        The last year of data used; default the latest year.
    interval
        Prediction-interval coverage: the spread of ``m`` over the age counts (none with a
        single count) and of the forecast births (see :func:`forecast_cohort`).
    entry_age, grades
        See :func:`cohort_ratios`.
    births_method
        Trend method for births after the last year of the table.
    district_ids
        Areas to forecast; default every area with an age count.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``quantity`` (``kindergarten``, ``primary``,
        ``junior``), ``value``, ``lower``, ``upper``, ``method`` (``cohort-age``),
        ``births_imputed`` and ``ratio`` (the survival-migration ratio ``m`` used).

    Examples
    --------
    1,000 births a year and a census counting 18,000 children aged 0–14 (15 cohorts): the
    ratio is 1.2, so 7,200 children of primary age (6 cohorts) and 3,600 of junior age:

    >>> pop = pd.DataFrame({"district_id": "a", "year": range(2000, 2021),
    ...                     "population": 1e5, "births": 1000.0})
    >>> pop["age_0_14"] = [None] * 20 + [18000.0]
    >>> f = forecast_school_age(pop, horizon=2026)
    >>> f[f.year == 2026].set_index("quantity")["value"].round(6).to_dict()
    {'kindergarten': 3600.0, 'primary': 7200.0, 'junior': 3600.0}
    """
    if not 0 < interval < 1:
        raise ValueError(f"interval {interval} must be in (0, 1)")
    age1 = int(
        entry_age if entry_age is not None else standard("forecast.progression.entry_age", 6)
    )
    layout = _grade_layout(grades)
    ages = {
        level: [age1 + g - 1 for g in layout[level]]
        for level in ("kindergarten", "primary", "junior")
    }
    age_cols = {
        c: (int(found.group(1)), int(found.group(2)))
        for c in population.columns
        if (found := _AGE_COL.match(str(c)))
    }
    if not age_cols:
        raise InputError(
            [
                Problem(
                    "population",
                    "no age count column (age_A_B, e.g. age_0_14 or age_6_11); "
                    "the cohort-by-age method needs at least one census age count",
                )
            ]
        )
    pop = population.copy()
    pop["district_id"] = pop["district_id"].astype(str)
    base = int(base_year if base_year is not None else pop["year"].max())
    pop = pop[pop["year"] <= base]
    if district_ids is not None:  # areas not asked for need no births
        pop = pop[pop["district_id"].isin([str(d) for d in district_ids])]
    with_counts = pop[pop[list(age_cols)].notna().any(axis=1)]
    # the oldest cohort of any age count: its births may predate the first population
    # figure, and are then imputed on a back-cast population (flagged)
    oldest = [
        int(y) - a1
        for col, (_, a1) in age_cols.items()
        for y in with_counts.loc[with_counts[col].notna(), "year"]
    ]
    births = fill_births(_population_rows(pop, None), first_year=min(oldest, default=None))
    ids = (
        sorted(set(with_counts["district_id"]))
        if district_ids is None
        else [str(d) for d in district_ids]
    )
    z = float(stats.norm.ppf(0.5 + interval / 2.0))
    years = np.arange(base + 1, horizon + 1)
    need = int(horizon - min(ages["kindergarten"] or ages["primary"]))
    future: dict[str, BirthsForecast] = {}
    for district in ids:
        db = births[births["district_id"] == district]
        if len(db) and db["year"].max() < need:
            series = pd.Series(db["births"].to_numpy(dtype=np.float64), index=db["year"].to_numpy())
            fut = forecast_trend(series, horizon=need, interval=interval, method=births_method)
            future[district] = (fut, int(series.index[-1]), float(series.iloc[-1]))
    # future births as unsure as births were changeable, measured from the change each
    # area's forecast projects (births_spread="departures" of forecast_cohort)
    change_sd = births_change_sd(
        births[births["district_id"].isin(ids)],
        max(horizon - base, 1),
        projected=_projected_changes(future),
    )
    frames = []
    problems = []
    for district in ids:
        db = births[births["district_id"] == district]
        b_val = dict(zip(db["year"].tolist(), db["births"].tolist(), strict=True))
        b_sd = dict.fromkeys(b_val, 0.0)
        b_imp = dict(zip(db["year"].tolist(), db["births_imputed"].tolist(), strict=True))
        if district in future:
            for y, v, sd in _future_births(future[district], change_sd, z):
                b_val[y], b_sd[y] = v, sd
                b_imp[y] = bool(db["births_imputed"].any())
        ratios = []
        rows = with_counts[with_counts["district_id"] == district]
        for _, row in rows.iterrows():
            for col, (a0, a1) in age_cols.items():
                if pd.isna(row[col]):
                    continue
                cohort_years = [int(row["year"]) - a for a in range(a0, a1 + 1)]
                if all(y in b_val for y in cohort_years):
                    ratios.append(float(row[col]) / sum(b_val[y] for y in cohort_years))
        if not ratios:
            problems.append(
                Problem(
                    "population",
                    f"district {district}: no age count whose cohorts all have births (or a "
                    "population row to impute them from); add births for the census cohorts",
                    column="births",
                )
            )
            continue
        m = float(np.mean(ratios))
        m_var = (
            float(np.log(ratios).var(ddof=1)) * (1 + 1 / len(ratios)) if len(ratios) > 1 else 0.0
        )
        for level, level_ages in ages.items():
            if not level_ages:
                continue
            val, lower, upper, imp = [], [], [], []
            for t in years:
                cohort = [int(t) - a for a in level_ages]
                missing = [y for y in cohort if y not in b_val]
                if missing:
                    raise InputError(
                        [
                            Problem(
                                "population",
                                f"district {district} has no births for "
                                f"{missing} (needed for {level} in {t})",
                                column="births",
                            )
                        ]
                    )
                total = sum(b_val[y] for y in cohort)
                sd_b = sum(b_val[y] * b_sd[y] for y in cohort) / total  # cohorts move together
                sd = float(np.sqrt(sd_b**2 + m_var))
                val.append(m * total)
                lower.append(m * total * np.exp(-z * sd))
                upper.append(m * total * np.exp(z * sd))
                imp.append(any(b_imp[y] for y in cohort))
            frames.append(
                pd.DataFrame(
                    {
                        "district_id": district,
                        "year": years,
                        "quantity": level,
                        "value": val,
                        "lower": lower,
                        "upper": upper,
                        "method": "cohort-age",
                        "births_imputed": imp,
                        "ratio": m,
                    }
                )
            )
    if problems:
        raise InputError(problems)
    return pd.concat(frames, ignore_index=True)


def implied_per_thousand(
    cohort: pd.DataFrame,
    residents: pd.DataFrame,
    *,
    scenarios: tuple[float, ...] | None = None,
    level_share: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Set cohort-based and per-thousand demand side by side, with the implied ratio.

    Per-thousand demand is ``residents × scenario ÷ 1000 × level_share``; cohort demand is
    the cohort forecast of pupils. The per-thousand ratio the cohort forecast implies is
    ``pupils ÷ residents × 1000 ÷ level_share`` (comparable with the scenarios, which count
    compulsory places), and ``difference`` is cohort minus per-thousand demand.

    Parameters
    ----------
    cohort
        Output of :func:`forecast_cohort` (quantities ``primary`` and ``junior``).
    residents
        Residents per district and year: output of
        :func:`~xuewei.forecast.forecast_districts` or any tidy forecast (rows with a
        ``quantity`` other than ``population`` are ignored), columns ``district_id``,
        ``year``, ``value``.
    scenarios
        Places per 1,000 residents; default the standards' ``places_per_1000.scenarios``.
    level_share
        Share of compulsory places per level; default ``places_per_1000.level_share``.

    Returns
    -------
    pandas.DataFrame
        One row per district, year, level and scenario: ``district_id``, ``year``,
        ``level``, ``scenario`` (places per 1,000), ``residents``,
        ``per_thousand_demand``, ``cohort_demand``, ``cohort_lower``, ``cohort_upper``,
        ``implied_per_1000`` and ``difference``.

    Examples
    --------
    50,000 residents and 3,000 primary pupils: at 90 per 1,000 (two thirds primary) the
    per-thousand rule asks for 3,000 places; the cohort implies 90 per 1,000:

    >>> coh = pd.DataFrame({"district_id": ["a"], "year": [2030], "quantity": ["primary"],
    ...                     "value": [3000.0], "lower": [2800.0], "upper": [3200.0]})
    >>> res = pd.DataFrame({"district_id": ["a"], "year": [2030], "value": [50000.0]})
    >>> t = implied_per_thousand(coh, res, scenarios=(90.0,),
    ...                          level_share={"primary": 2 / 3, "junior": 1 / 3})
    >>> t[["per_thousand_demand", "cohort_demand", "implied_per_1000"]].round(6).values.tolist()
    [[3000.0, 3000.0, 90.0]]
    """
    scen = tuple(
        float(s) for s in (scenarios or standard("places_per_1000.scenarios", (80.0, 85.0, 90.0)))
    )
    share = (
        dict(level_share)
        if level_share
        else {
            lv: float(standard(f"places_per_1000.level_share.{lv}", d))
            for lv, d in (("primary", 2 / 3), ("junior", 1 / 3))
        }
    )
    res = residents
    if "quantity" in res:
        res = res[res["quantity"] == "population"]
    res = res[["district_id", "year", "value"]].rename(columns={"value": "residents"})
    res = res.assign(district_id=res["district_id"].astype(str))
    coh = cohort[cohort["quantity"].isin(list(share))].rename(
        columns={
            "quantity": "level",
            "value": "cohort_demand",
            "lower": "cohort_lower",
            "upper": "cohort_upper",
        }
    )[["district_id", "year", "level", "cohort_demand", "cohort_lower", "cohort_upper"]]
    coh = coh.assign(district_id=coh["district_id"].astype(str))
    both = coh.merge(res, on=["district_id", "year"], how="inner")
    frames = []
    for s in scen:
        f = both.copy()
        f["scenario"] = s
        lvl_share = f["level"].map(share).astype("float64")
        f["per_thousand_demand"] = f["residents"] * s / 1000.0 * lvl_share
        f["implied_per_1000"] = f["cohort_demand"] / f["residents"] * 1000.0 / lvl_share
        f["difference"] = f["cohort_demand"] - f["per_thousand_demand"]
        frames.append(f)
    cols = [
        "district_id",
        "year",
        "level",
        "scenario",
        "residents",
        "per_thousand_demand",
        "cohort_demand",
        "cohort_lower",
        "cohort_upper",
        "implied_per_1000",
        "difference",
    ]
    out = pd.concat(frames, ignore_index=True)[cols]
    return out.sort_values(["district_id", "year", "level", "scenario"], kind="stable").reset_index(
        drop=True
    )
