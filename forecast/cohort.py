"""Cohort (grade-progression) forecasts of pupils: births → entrants → grades → levels.

The method school planners use where enrolment by grade is known. Children enter the first
grade of a chain at its entry age: grade 1 of compulsory school at ``entry_age`` (6 in
China) and the first kindergarten year group (小班) three years earlier. Entrants in year
``t`` are births in ``t - age`` times an *entry ratio*; in a migrant city it is well above 1
(children born elsewhere move in), ≈ 1.8 in Hangzhou in 2023. Each later grade is the grade
below a year earlier times a *progression ratio* (migration in and out, repetition). Ratios
are averaged over the last ``window`` years (3–6 in practice; the standards' key
``forecast.progression.window_years``) and applied to the last observed grades.

Grades are numbered so that one rule covers both chains: compulsory grades 1–9 (primary
1–6, junior 7–9, from the standards' ``grades`` table) and kindergarten year groups
``-2, -1, 0`` (ages 3, 4, 5); a grade's age is ``entry_age + grade - 1``.

Every number of the method (entry age, window, grades per level) comes from the
:class:`~xuewei.data.Standards` passed as ``standards`` (default the packaged ones); the
births ahead of the data and their spread are :mod:`xuewei.forecast.births`.

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

from collections.abc import Mapping
from typing import get_args

import numpy as np
import pandas as pd
from scipy import stats

from xuewei.data import Standards, load_standards
from xuewei.errors import ConfigError, InputError, Problem
from xuewei.forecast._grades import (
    clean_enrolment,
    grade_chains,
    grade_layout,
    window_years,
)
from xuewei.forecast._grades import entry_age as standard_entry_age
from xuewei.forecast._level_totals import level_frames, level_log_sd
from xuewei.forecast.births import (
    BirthsForecast,
    BirthsSpread,
    births_spread_sd,
    future_births,
    population_rows,
    trend_births,
)
from xuewei.forecast.history import fill_births
from xuewei.forecast.trend import TrendMethod

__all__ = ["BirthsSpread", "cohort_ratios", "forecast_cohort", "level_log_sd"]

#: One grade's ratio statistics: mean, variance of the mean (common to every cohort) and
#: variance of one year's ratio (each cohort its own), on the log scale.
_RatioStats = tuple[float, float, float]


def cohort_ratios(
    population: pd.DataFrame,
    enrolment: pd.DataFrame,
    *,
    entry_age: int | None = None,
    grades: Mapping[str, int] | None = None,
    base_year: int | None = None,
    source: str = "enrolment",
    standards: Standards | None = None,
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
        Age at entry to grade 1; default the standard ``forecast.progression.entry_age``
        of ``standards``.
    grades
        Grades per level (``primary``, ``junior``, ``kindergarten``); default the
        ``grades`` table of ``standards`` (6, 3, 3 in the packaged standards).
    base_year
        The last year of data used.
    source
        Name of the enrolment input, for error messages.
    standards
        The standards in force (:func:`~xuewei.data.load_standards`); ``None`` means the
        packaged defaults.

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
    std = standards if standards is not None else load_standards()
    age1 = int(entry_age if entry_age is not None else standard_entry_age(std))
    layout = grade_layout(std, grades)
    e = clean_enrolment(enrolment, source)
    births = fill_births(population_rows(population, base_year))
    if base_year is not None:
        e = e[e["year"] <= base_year]
    b = births.set_index(["district_id", "year"])
    pupils = e.set_index(["district_id", "year", "grade"])["pupils"]
    rows = []
    for chain in grade_chains(layout):
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
    standards: Standards | None = None,
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
        Years of ratios averaged; default ``forecast.progression.window_years`` of
        ``standards`` (5 in the packaged standards).
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
    standards
        The standards in force (entry age, window, grades per level); ``None`` means the
        packaged defaults (:func:`~xuewei.data.load_standards`).

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
        raise ConfigError(f"interval {interval} must be in (0, 1)")
    if births_spread not in get_args(BirthsSpread):
        raise ConfigError(
            f"births_spread {births_spread!r} must be one of {', '.join(get_args(BirthsSpread))}"
        )
    std = standards if standards is not None else load_standards()
    age1 = int(entry_age if entry_age is not None else standard_entry_age(std))
    win = int(window if window is not None else window_years(std))
    if win < 1:
        raise ConfigError(f"window {win} must be at least 1 year")
    layout = grade_layout(std, grades)
    e = clean_enrolment(enrolment, source)
    base = int(base_year if base_year is not None else e["year"].max())
    if horizon <= base:
        raise ConfigError(f"horizon {horizon} must be after the base year {base}")
    e = e[e["year"] <= base]
    ratios = cohort_ratios(
        population, e, entry_age=age1, grades=grades, base_year=None, source=source, standards=std
    )
    births = fill_births(population_rows(population, base))
    ids = sorted(set(e["district_id"])) if district_ids is None else [str(d) for d in district_ids]
    z = float(stats.norm.ppf(0.5 + interval / 2.0))
    # births after the last known year are as unsure as births were changeable (pooled
    # over the areas forecast): the trend's own interval assumes the trend goes on
    future = {
        d: _births_forecast(d, e, births, layout, age1, horizon, interval, births_method)
        for d in ids
    }
    change_sd = births_spread_sd(births, ids, max(horizon - base, 1), future, births_spread)
    frames = []
    problems: list[Problem] = []
    for district in ids:
        b_val, b_var, b_imp = _district_births(births, district, future[district], change_sd, z)
        rows = _district_cohort(
            district,
            e,
            ratios,
            (b_val, b_var, b_imp),
            layout,
            age1,
            base,
            horizon,
            win,
            z,
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
    chains = [c for c in grade_chains(layout) if c[0] >= 1 or set(c) & set(de["grade"])]
    need_last = horizon - (age1 - 1 + min(c[0] for c in chains))
    if not len(db) or db["year"].max() >= need_last:
        return None
    series = pd.Series(db["births"].to_numpy(dtype=np.float64), index=db["year"].to_numpy())
    series = series[series > 0]
    if len(series) < 2 or not (np.diff(series.index) == 1).all():
        return None
    return trend_births(series, need_last, interval=interval, method=births_method)


#: A district's births by year: value, log variance and whether imputed.
_Births = tuple[dict[int, float], dict[int, float], dict[int, bool]]


def _district_births(
    births: pd.DataFrame,
    district: str,
    future: BirthsForecast | None,
    change_sd: np.ndarray,
    z: float,
) -> _Births:
    """Births by year with their log variance (0 when known) and imputed flag."""
    db = births[births["district_id"] == district]
    b_val = dict(zip(db["year"].to_numpy(), db["births"].to_numpy(dtype=np.float64), strict=True))
    b_var = dict.fromkeys(b_val, 0.0)
    b_imp = dict(zip(db["year"].to_numpy(), db["births_imputed"].to_numpy(dtype=bool), strict=True))
    if future is not None:
        for y, v, spread in future_births(future, change_sd, z):
            b_val[y], b_var[y] = v, spread**2
            b_imp[y] = bool(db["births_imputed"].any())
    return b_val, b_var, b_imp


def _district_cohort(
    district: str,
    e: pd.DataFrame,
    ratios: pd.DataFrame,
    births: _Births,
    layout: dict[str, list[int]],
    age1: int,
    base: int,
    horizon: int,
    win: int,
    z: float,
    source: str,
    problems: list[Problem],
) -> pd.DataFrame | None:
    """Project every chain of grades of one district; ``None`` if none could be."""
    steps = horizon - base
    years = np.arange(base + 1, horizon + 1)
    de = e[(e["district_id"] == district)]
    now = de[de["year"] == base].set_index("grade")["pupils"]
    dr = ratios[(ratios["district_id"] == district) & (ratios["year"] <= base)]
    chains = [c for c in grade_chains(layout) if c[0] >= 1 or set(c) & set(de["grade"])]
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
        stats_by_grade = _ratio_stats(district, chain, dr, win, age1, base, source, problems)
        if stats_by_grade is None:
            continue
        projected = _project_chain(
            district, chain, stats_by_grade, now, births, age1, years, problems
        )
        if projected is None:
            return None
        for g in chain:
            out_val[g] = np.empty(steps)
            out_var[g] = np.empty((3, steps))
            out_imp[g] = np.empty(steps, dtype=bool)
            for i, (val, var, imp) in enumerate(projected):
                out_val[g][i] = val[g]
                for part in range(3):
                    out_var[g][part, i] = var[part][g]
                out_imp[g][i] = imp[g]
    if not out_val:
        return None
    return level_frames(district, years, out_val, out_var, out_imp, layout, z)


def _ratio_stats(
    district: str,
    chain: list[int],
    dr: pd.DataFrame,
    win: int,
    age1: int,
    base: int,
    source: str,
    problems: list[Problem],
) -> dict[int, _RatioStats] | None:
    """Mean and log variances of each grade's last ``win`` ratios; ``None`` if one has none."""
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
            return None
        logs = np.log(r)
        # a future year's ratio: its own deviation sd² (each cohort draws its own) plus
        # the mean's error sd²/n (the same mean serves every cohort)
        own = float(logs.var(ddof=1)) if len(r) > 1 else 0.0
        stats_by_grade[g] = (float(r.mean()), own / len(r), own)
    return stats_by_grade


#: One forecast year of a chain: value, log variances (births, common, own) and imputed
#: flag of each grade.
_ChainYear = tuple[dict[int, float], tuple[dict[int, float], ...], dict[int, bool]]


def _project_chain(
    district: str,
    chain: list[int],
    stats_by_grade: Mapping[int, _RatioStats],
    now: pd.Series,
    births: _Births,
    age1: int,
    years: np.ndarray,
    problems: list[Problem],
) -> list[_ChainYear] | None:
    """Move a chain's pupils up a grade a year; ``None`` when a needed birth year is missing."""
    b_val, b_var, b_imp = births
    age = age1 + chain[0] - 1
    prev_val = {g: float(now[g]) for g in chain}
    zero = dict.fromkeys(chain, 0.0)
    prev_var = (zero, zero, zero)  # births, common (mean ratios), own (yearly ratios)
    prev_imp = dict.fromkeys(chain, False)
    out: list[_ChainYear] = []
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
            for part, before, add in zip(cur_var, prev_var, (0.0, c_var, o_var), strict=True):
                part[g] = before[g - 1] + add
            cur_imp[g] = prev_imp[g - 1]
        out.append((cur_val, cur_var, cur_imp))
        prev_val, prev_imp = cur_val, cur_imp
        prev_var = (cur_var[0], cur_var[1], cur_var[2])
    return out
