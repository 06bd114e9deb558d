"""School-age children from births and census age counts: the cohort method by age.

For areas without enrolment by grade (most Chinese districts publish none): children of age
``a`` in year ``t`` are the births of ``t - a`` times a *survival-migration ratio* estimated
from the census age counts (:func:`forecast_school_age`). Kindergarten, primary and junior
ages follow from the entry age and the grades per level of the
:class:`~xuewei.data.Standards` passed; births ahead of the data and their spread are
:mod:`xuewei.forecast.births`, shared with the cohort-progression forecast.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from xuewei.data import Standards, load_standards
from xuewei.errors import ConfigError, InputError, Problem
from xuewei.forecast._grades import COHORT_LEVELS, grade_layout
from xuewei.forecast._grades import entry_age as standard_entry_age
from xuewei.forecast.births import (
    BirthsForecast,
    births_spread_sd,
    future_births,
    population_rows,
    trend_births,
)
from xuewei.forecast.history import fill_births
from xuewei.forecast.trend import TrendMethod

__all__ = ["forecast_school_age"]

_AGE_COL = re.compile(r"^age_(\d+)_(\d+)$")


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
    standards: Standards | None = None,
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
        single count) and of the forecast births (see :func:`~xuewei.forecast.forecast_cohort`).
    entry_age, grades
        See :func:`~xuewei.forecast.cohort_ratios`.
    births_method
        Trend method for births after the last year of the table.
    district_ids
        Areas to forecast; default every area with an age count.
    standards
        The standards in force (entry age, grades per level); ``None`` means the packaged
        defaults (:func:`~xuewei.data.load_standards`).

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
        raise ConfigError(f"interval {interval} must be in (0, 1)")
    std = standards if standards is not None else load_standards()
    age1 = int(entry_age if entry_age is not None else standard_entry_age(std))
    layout = grade_layout(std, grades)
    ages = {level: [age1 + g - 1 for g in layout[level]] for level in COHORT_LEVELS}
    age_cols = _age_columns(population)
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
    births = fill_births(population_rows(pop, None), first_year=min(oldest, default=None))
    ids = (
        sorted(set(with_counts["district_id"]))
        if district_ids is None
        else [str(d) for d in district_ids]
    )
    z = float(stats.norm.ppf(0.5 + interval / 2.0))
    years = np.arange(base + 1, horizon + 1)
    need = int(horizon - min(ages["kindergarten"] or ages["primary"]))
    future = _births_ahead(births, ids, need, interval, births_method)
    # future births as unsure as births were changeable, measured from the change each
    # area's forecast projects (births_spread="departures" of forecast_cohort)
    change_sd = births_spread_sd(births, ids, max(horizon - base, 1), future)
    frames = []
    problems = []
    for district in ids:
        db = births[births["district_id"] == district]
        b_val = dict(zip(db["year"].tolist(), db["births"].tolist(), strict=True))
        b_sd = dict.fromkeys(b_val, 0.0)
        b_imp = dict(zip(db["year"].tolist(), db["births_imputed"].tolist(), strict=True))
        if district in future:
            for y, v, sd in future_births(future[district], change_sd, z):
                b_val[y], b_sd[y] = v, sd
                b_imp[y] = bool(db["births_imputed"].any())
        rows = with_counts[with_counts["district_id"] == district]
        ratios = _census_ratios(rows, age_cols, b_val)
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
            if level_ages:
                frames.append(
                    _level_rows(district, level, level_ages, years, m, m_var, b_val, b_sd, b_imp, z)
                )
    if problems:
        raise InputError(problems)
    return pd.concat(frames, ignore_index=True)


def _births_ahead(
    births: pd.DataFrame, ids: list[str], need: int, interval: float, method: TrendMethod
) -> dict[str, BirthsForecast]:
    """Forecast the births of each area whose known births end before ``need``."""
    future: dict[str, BirthsForecast] = {}
    for district in ids:
        db = births[births["district_id"] == district]
        if len(db) and db["year"].max() < need:
            series = pd.Series(db["births"].to_numpy(dtype=np.float64), index=db["year"].to_numpy())
            future[district] = trend_births(series, need, interval=interval, method=method)
    return future


def _age_columns(population: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """Return the age count columns ``age_A_B`` of the table with their ages (one at least)."""
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
    return age_cols


def _census_ratios(
    rows: pd.DataFrame, age_cols: Mapping[str, tuple[int, int]], b_val: Mapping[int, float]
) -> list[float]:
    """Each age count divided by the births of its cohorts (counts whose births all exist)."""
    ratios = []
    for _, row in rows.iterrows():
        for col, (a0, a1) in age_cols.items():
            if pd.isna(row[col]):
                continue
            cohort_years = [int(row["year"]) - a for a in range(a0, a1 + 1)]
            if all(y in b_val for y in cohort_years):
                ratios.append(float(row[col]) / sum(b_val[y] for y in cohort_years))
    return ratios


def _level_rows(
    district: str,
    level: str,
    level_ages: list[int],
    years: np.ndarray,
    m: float,
    m_var: float,
    b_val: Mapping[int, float],
    b_sd: Mapping[int, float],
    b_imp: Mapping[int, bool],
    z: float,
) -> pd.DataFrame:
    """Children of one level's ages per year: ``m`` × the births of their cohorts."""
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
    return pd.DataFrame(
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
