"""Grades, ages and the enrolment table shared by the cohort methods and their backtest.

Grades are numbered so that one rule covers both chains of school years: compulsory grades
1–9 (primary then junior, as many as the standards' ``grades`` table gives) and the
kindergarten year groups ``-2, -1, 0`` (ages 3, 4, 5); a grade's age is
``entry_age + grade - 1``. This module turns a :class:`~xuewei.data.Standards` value into
that layout (and reads the other numbers of the cohort methods from it: entry age and the
window of ratios averaged), and checks an enrolment-by-grade table. Every number comes from
the standards the caller passes; nothing is read behind its back.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from xuewei.data import Standards
from xuewei.errors import InputError, Problem
from xuewei.vocabulary import COMPULSORY_LEVELS, Level

__all__ = [
    "COHORT_LEVELS",
    "clean_enrolment",
    "entry_age",
    "grade_chains",
    "grade_layout",
    "window_years",
]

#: The levels of the cohort methods, youngest first.
COHORT_LEVELS: tuple[Level, ...] = ("kindergarten", *COMPULSORY_LEVELS)


def entry_age(standards: Standards) -> int:
    """Age at entry to grade 1: ``forecast.progression.entry_age``."""
    return int(standards.number("forecast.progression.entry_age"))


def window_years(standards: Standards) -> int:
    """Years of ratios averaged: ``forecast.progression.window_years``."""
    return int(standards.number("forecast.progression.window_years"))


def grade_layout(
    standards: Standards, grades: Mapping[str, int] | None = None
) -> dict[str, list[int]]:
    """Return the grade numbers of each level, from the standards' ``grades`` (or ``grades``).

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> grade_layout(load_standards({"grades": {"primary": 5, "nine_year": 8}}))
    {'kindergarten': [-2, -1, 0], 'primary': [1, 2, 3, 4, 5], 'junior': [6, 7, 8]}
    """
    g: dict[str, int] = {level: int(standards.grades[level]) for level in COHORT_LEVELS}
    if grades:
        g.update({k: int(v) for k, v in grades.items()})
    return {
        "kindergarten": list(range(1 - g["kindergarten"], 1)),
        "primary": list(range(1, g["primary"] + 1)),
        "junior": list(range(g["primary"] + 1, g["primary"] + g["junior"] + 1)),
    }


def grade_chains(layout: Mapping[str, list[int]]) -> list[list[int]]:
    """Return the chains of grades pupils move up: kindergarten (if any), then compulsory."""
    chains = []
    if layout["kindergarten"]:
        chains.append(list(layout["kindergarten"]))
    chains.append(list(layout["primary"]) + list(layout["junior"]))
    return chains


def clean_enrolment(enrolment: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check and normalise an enrolment table: ``district_id``, ``year``, ``grade``, ``pupils``.

    Raises
    ------
    InputError
        Naming every missing column, pupil count that is not a number ≥ 0 and duplicate
        district, year and grade.
    """
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
