"""The criteria of county readiness, each evaluated per county (district), level and year.

Every function returns one tidy table with ``district_id``, ``level``, ``year``, ``value``,
``limit``, ``shortfall`` (how much is missing, in the criterion's unit; 0 when met) and
``met`` — the assembly (:mod:`xuewei.planning.readiness.assess`) picks the target year and
the first year from which a criterion holds. The rules:

- **deficit** — places still missing after the build programme's openings:
  ``remaining_gap`` of :func:`~xuewei.planning.build_programme` ≤ 0.
- **classes above the standard size** (班额超标, above 45/50; 56+ is the Ministry's
  大班额) and **big schools** (大校额, above the school-size cap 2,000/2,500) — each
  school's pupils in year *Y* are its roll scaled by its county's growth of required
  places (``required_Y ÷ required_base``); the pupils above the limit must fit in the
  room the county has below it (other schools' classes at standard size, or under the
  cap) plus the places the programme has opened by *Y* — moving them is redrawing
  catchments (seed 002 §三(三)1). Met when they fit.
- **kindergartens** — no estate of 3,000+ residents completed by *Y* without a
  kindergarten in reach (:func:`~xuewei.planning.kindergarten_needs`).
- **special education** — a county of 200,000+ residents in *Y* has a special-education
  school (schools flagged in a ``special_education`` column).
- **matching schools** (配建) — no pipeline estate completed by *Y* without a school with
  room in reach (:func:`~xuewei.planning.readiness.matching_schools`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.data import Standards
from xuewei.planning.rules import kindergarten_needs
from xuewei.vocabulary import COMPULSORY_LEVELS

__all__ = [
    "CRITERION_COLUMNS",
    "class_and_school_size",
    "deficit",
    "kindergartens",
    "matching",
    "special_education",
]

#: Columns every criterion function returns.
CRITERION_COLUMNS = ["district_id", "level", "year", "value", "limit", "shortfall", "met"]

_TOL = 0.5  # half a place or pupil: below it, a rounding remainder, not a miss


def _numeric(frame: pd.DataFrame, column: str, default: float = np.nan) -> np.ndarray:
    """Return a column as floats, or ``default`` everywhere when the table has none."""
    if column not in frame:
        return np.full(len(frame), default, dtype=np.float64)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(np.float64)


def _frame(rows: list[dict[str, object]]) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=CRITERION_COLUMNS)
    out["met"] = out["met"].astype("boolean")
    return out


def deficit(programme: pd.DataFrame, years: Sequence[int]) -> pd.DataFrame:
    """Places missing per county, level and year after the programme's openings.

    Parameters
    ----------
    programme
        One scenario's :func:`~xuewei.planning.build_programme` (``district_id``,
        ``level``, ``year``, ``remaining_gap``).
    years
        The years to evaluate.

    Examples
    --------
    >>> p = pd.DataFrame({"district_id": "a", "level": "primary", "year": [2026, 2027],
    ...                   "remaining_gap": [300.0, -20.0]})
    >>> out = deficit(p, [2026, 2027])
    >>> out["shortfall"].tolist(), out["met"].tolist()
    ([300.0, 0.0], [False, True])
    """
    p = programme[programme["year"].isin(list(years)) & programme["remaining_gap"].notna()]
    rows: list[dict[str, object]] = []
    tuples: list[Any] = list(p.itertuples(index=False))
    for r in tuples:
        gap = float(r.remaining_gap)
        rows.append(
            {
                "district_id": str(r.district_id),
                "level": str(r.level),
                "year": int(r.year),
                "value": gap,
                "limit": 0.0,
                "shortfall": max(gap, 0.0),
                "met": gap <= _TOL,
            }
        )
    return _frame(rows)


def _growth(gaps: pd.DataFrame, base_year: int) -> pd.Series:
    """Return required places in each year ÷ those of the base year, by county and level."""
    g = gaps[gaps["level"].isin(COMPULSORY_LEVELS)].copy()
    g["district_id"] = g["district_id"].astype(str)
    req = g.set_index(["district_id", "level", "year"])["required"].astype(np.float64)
    base = g[g["year"] == base_year].set_index(["district_id", "level"])["required"]
    denom = np.array([float(base.get((d, lv), np.nan)) for d, lv, _ in req.index], dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(denom > 0, req.to_numpy() / denom, 1.0), index=req.index)


def _parts(schools: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Each compulsory school's primary and junior parts: roll, room at standard, cap."""
    grades, sizes = standards.grades, standards.nine_year_class_size
    nine_per_class = (grades["primary"] * sizes["primary"] + grades["junior"] * sizes["junior"]) / (
        grades["primary"] + grades["junior"]
    )
    frames = []
    for part in COMPULSORY_LEVELS:
        s = schools[schools["level"].astype(str).isin([part, "nine_year"])]
        nine = (s["level"].astype(str) == "nine_year").to_numpy()
        places = _numeric(s, "places")
        mine = _numeric(s, f"places_{part}") if f"places_{part}" in s else places
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(nine, mine / places, 1.0)
        share = np.where(np.isfinite(share), share, 0.0)
        classes = _numeric(s, "classes")
        per_class = np.where(nine, nine_per_class, standards.class_size(part))
        cap = np.array([standards.school_size_cap(lv) for lv in s["level"]], dtype=np.float64)
        frames.append(
            pd.DataFrame(
                {
                    "district_id": s["district_id"].astype(str).to_numpy(),
                    "level": part,
                    "roll": _numeric(s, "enrolment") * share,
                    "class_room": classes * per_class * share,
                    "cap_room": cap * share,
                    "places": places * share,
                    "opened": _numeric(s, "opened"),
                }
            )[share > 0]
        )
    return pd.concat(frames, ignore_index=True)


def class_and_school_size(
    schools: pd.DataFrame,
    gaps: pd.DataFrame,
    programme: pd.DataFrame,
    standards: Standards,
    *,
    base_year: int,
    years: Sequence[int],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Classes above the standard size (班额超标) and big schools (大校额) by county, year.

    Parameters
    ----------
    schools
        :func:`~xuewei.planning.school_places` output with ``district_id``, ``enrolment``
        and ``classes`` (schools without enrolment count for nothing; without classes,
        for no big-class room).
    gaps
        ``district_id, level, year, required`` of one scenario.
    programme
        The same scenario's build programme (``cumulative_places``).
    standards
        Class sizes, school-size caps, grades.
    base_year, years
        The roll's year, and the years to evaluate.

    Returns
    -------
    tuple of pandas.DataFrame
        Big classes, then big schools: ``value`` the pupils above the limit, ``limit`` the
        room to take them (free places below the limit in the county's other schools, plus
        the programme's new places), ``shortfall`` the pupils that do not fit.
    """
    parts = _parts(schools, standards)
    parts = parts[parts["roll"].notna()]
    growth = _growth(gaps, base_year)
    prog = programme.copy()
    prog["district_id"] = prog["district_id"].astype(str)
    added = prog.set_index(["district_id", "level", "year"])["cumulative_places"]
    out: dict[str, list[dict[str, object]]] = {"class_room": [], "cap_room": []}
    for (district, level), g in parts.groupby(["district_id", "level"], sort=True):
        for year in years:
            now = g[~(g["opened"] > year)]
            pupils = now["roll"].to_numpy() * float(growth.get((district, level, year), 1.0))
            new = float(added.get((district, level, year), 0.0))
            places = now["places"].to_numpy(np.float64)
            for room_col, rows in out.items():
                limit = now[room_col].to_numpy(np.float64)
                ok = np.isfinite(limit)
                over = float(np.maximum(pupils[ok] - limit[ok], 0.0).sum())
                # room below the limit that is also a place (design capacity may be smaller)
                room = np.fmin(limit, places)[ok]
                spare = float(np.maximum(room - pupils[ok], 0.0).sum()) + new
                short = max(over - spare, 0.0)
                rows.append(
                    {
                        "district_id": district,
                        "level": level,
                        "year": int(year),
                        "value": over,
                        "limit": spare,
                        "shortfall": short,
                        "met": short <= _TOL,
                    }
                )
    return _frame(out["class_room"]), _frame(out["cap_room"])


def kindergartens(
    estates: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    standards: Standards,
    *,
    districts: Sequence[str],
    years: Sequence[int],
) -> pd.DataFrame:
    """Estates of 3,000+ residents without a kindergarten in reach, per county and year.

    Estates count from their ``completion_year`` (none: existing), kindergartens from their
    ``opened`` year; residents are the estates' ``residents`` (or dwellings × household
    size).
    """
    hh = float(standards.number("forecast.household_size.default"))
    res = _numeric(estates, "residents")
    res = np.where(np.isfinite(res), res, _numeric(estates, "dwellings") * hh)
    e = estates.assign(residents=np.nan_to_num(res, nan=0.0))
    done = _numeric(e, "completion_year")
    k = schools[schools["level"].astype(str) == "kindergarten"]
    opened = _numeric(k, "opened")
    threshold = float(standards.kindergarten_min_residents)
    rows: list[dict[str, object]] = []
    for year in years:
        built = e[~(done > year)]
        needs = kindergarten_needs(built, k[~(opened > year)], standards, year=int(year))
        counts = needs["district_id"].astype(str).value_counts() if len(needs) else {}
        for d in districts:
            n = int(counts.get(d, 0))
            rows.append(
                {
                    "district_id": d,
                    "level": "kindergarten",
                    "year": int(year),
                    "value": float(n),
                    "limit": threshold,
                    "shortfall": float(n),
                    "met": n == 0,
                }
            )
    return _frame(rows)


def special_education(
    residents: pd.DataFrame,
    schools: pd.DataFrame,
    standards: Standards,
    *,
    years: Sequence[int],
) -> pd.DataFrame:
    """Counties of 200,000+ residents and whether they have a special-education school.

    Counted in schools, as the unit says: ``value`` is the county's special-education
    schools (missing when the schools table has no ``special_education`` column: nothing
    says whether it has one, and ``met`` is then missing for a county over the
    threshold), ``limit`` the schools it needs (1 with 200,000 residents or more in the
    year, else 0) and ``shortfall`` the schools missing (0 or 1).

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> r = pd.DataFrame({"district_id": ["a", "b"], "year": 2030, "value": [250e3, 90e3]})
    >>> s = pd.DataFrame({"district_id": ["a"], "special_education": [False]})
    >>> out = special_education(r, s, load_standards(), years=[2030])
    >>> out[["value", "limit", "shortfall", "met"]].to_dict("list")
    {'value': [0.0, 0.0], 'limit': [1.0, 0.0], 'shortfall': [1.0, 0.0], 'met': [False, True]}
    """
    threshold = float(standards.special_education_min_residents)
    known = "special_education" in schools
    flag = (
        schools["special_education"].astype(str).str.lower().isin(["true", "1", "yes"])
        if known
        else pd.Series(False, index=schools.index)
    )
    have = schools.loc[flag.to_numpy(), "district_id"].astype(str).value_counts()
    r = residents[residents["year"].isin(list(years))]
    rows: list[dict[str, object]] = []
    tuples: list[Any] = list(r.itertuples(index=False))
    for row in tuples:
        d, big = str(row.district_id), float(row.value) >= threshold
        count = float(have.get(d, 0)) if known else math.nan
        met: bool | None = True if not big else (count >= 1 if known else None)
        rows.append(
            {
                "district_id": d,
                "level": "special_education",
                "year": int(row.year),
                "value": count,
                "limit": 1.0 if big else 0.0,
                "shortfall": 0.0 if met is not False else 1.0,
                "met": met,
            }
        )
    return _frame(rows)


def matching(
    check: pd.DataFrame, *, districts: Sequence[str], years: Sequence[int]
) -> pd.DataFrame:
    """Pipeline estates completed by each year that found no school with room (配建).

    ``value`` and ``shortfall`` count the estate-levels without one.

    Examples
    --------
    >>> c = pd.DataFrame({"district_id": "a", "completion_year": [2026, 2028],
    ...                   "matched": [True, False]})
    >>> matching(c, districts=["a"], years=[2027, 2028])["shortfall"].tolist()
    [0.0, 1.0]
    """
    rows: list[dict[str, object]] = []
    missed = check[~check["matched"].astype(bool)]
    for year in years:
        counts = missed[missed["completion_year"] <= year]["district_id"].astype(str)
        per = counts.value_counts()
        for d in districts:
            n = float(per.get(d, 0))
            rows.append(
                {
                    "district_id": d,
                    "level": "compulsory",
                    "year": int(year),
                    "value": n,
                    "limit": 0.0,
                    "shortfall": n,
                    "met": n == 0,
                }
            )
    return _frame(rows)
