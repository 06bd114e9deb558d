"""Places offered by schools, and the schools that break the standards.

A school offers its design capacity where one is given, otherwise classes × the standard
class size of its level (45 primary, 50 junior: GB 50099-2011 §3.0.1). A nine-year school
(九年一贯制) offers places at both levels: six of its nine grades are primary, taught at 45,
three junior, at 50 — so its capacity splits 6×45 : 3×50 (64.3% primary) unless the
standards say otherwise. Flags follow the policy documents: over capacity (enrolment above
places), big classes (average class above the standard class size; the Ministry's bands
56–65 大班额 and 66+ 超大班额 are reported too) and big schools (大校额: more pupils than the
school-size cap, 2,000, or 2,500 for nine-year schools). Flags are missing (``<NA>``), not
false, where enrolment or classes are unknown.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xuewei.data import Standards
from xuewei.errors import InputError, Problem
from xuewei.planning.demand import COMPULSORY

__all__ = ["offered_places", "school_places"]

_SPLIT_LEVELS = ("primary", "junior")


def _nine_year_split(standards: Standards) -> tuple[float, float, float]:
    """Return (primary share, junior share, places per class) of a nine-year school."""
    sizes = standards.nine_year_class_size
    grades_p = standards.grades["primary"]
    grades_j = standards.grades["junior"]
    primary = grades_p * sizes["primary"]
    junior = grades_j * sizes["junior"]
    per_class = (primary + junior) / (grades_p + grades_j)
    return primary / (primary + junior), junior / (primary + junior), per_class


def school_places(
    schools: pd.DataFrame, standards: Standards, *, source: str = "schools"
) -> pd.DataFrame:
    """Places, utilisation and standard-breaking flags per school.

    Parameters
    ----------
    schools
        (Geo)DataFrame with ``school_id``, ``level`` and at least one of ``capacity`` and
        ``classes``; optional ``enrolment``.
    standards
        The planning standards (class sizes, grades, school-size caps, class-size bands).
    source
        Name of the input, for error messages.

    Returns
    -------
    pandas.DataFrame or geopandas.GeoDataFrame
        A copy with ``places``, ``places_basis`` (``capacity`` or ``classes``),
        ``places_primary``, ``places_junior``, ``utilisation``, ``spare_places``,
        ``avg_class_size``, ``over_capacity``, ``big_class``, ``class_size_band``,
        ``big_school``.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> s = pd.DataFrame({"school_id": ["p1", "n1"], "level": ["primary", "nine_year"],
    ...                   "classes": [24, 36], "enrolment": [1_300, 1_500]})
    >>> out = school_places(s, load_standards())
    >>> out[["places", "places_primary", "places_junior"]].to_dict("list")
    {'places': [1080.0, 1680.0], 'places_primary': [1080.0, 1080.0], 'places_junior': [0.0, 600.0]}
    >>> out["over_capacity"].tolist(), out["big_class"].tolist()
    ([True, False], [True, False])
    >>> out["avg_class_size"].round(2).tolist()
    [54.17, 41.67]
    """
    out = schools.copy()
    n = len(out)
    level = out["level"].astype(str).to_numpy()
    capacity = _numeric(out, "capacity", n)
    classes = _numeric(out, "classes", n)
    enrolment = _numeric(out, "enrolment", n)

    problems = []
    neither = np.isnan(capacity) & np.isnan(classes)
    for i in np.flatnonzero(neither):
        problems.append(
            Problem(
                source,
                f"school {out['school_id'].iloc[i]} has neither `capacity` nor `classes`; "
                "give one so that its places can be counted",
                row=int(i) + 1,
                column="capacity",
            )
        )
    if problems:
        raise InputError(problems)

    nine_primary_share, nine_junior_share, nine_per_class = _nine_year_split(standards)
    standard_size = np.array(
        [nine_per_class if lv == "nine_year" else float(standards.class_size(lv)) for lv in level]
    )
    per_class = np.where(level == "nine_year", nine_per_class, standard_size)
    from_classes = classes * per_class
    places = np.where(np.isnan(capacity), from_classes, capacity)
    basis = np.where(np.isnan(capacity), "classes", "capacity")

    primary_share = np.select(
        [level == "primary", level == "nine_year"], [1.0, nine_primary_share], default=0.0
    )
    junior_share = np.select(
        [level == "junior", level == "nine_year"], [1.0, nine_junior_share], default=0.0
    )
    out["places"] = places
    out["places_basis"] = basis
    out["places_primary"] = places * primary_share
    out["places_junior"] = places * junior_share

    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(places > 0, enrolment / places, np.nan)
        avg_class = np.where(classes > 0, enrolment / classes, np.nan)
    out["utilisation"] = utilisation
    out["spare_places"] = places - enrolment
    out["avg_class_size"] = avg_class

    caps = np.array([float(standards.school_size_cap(lv)) for lv in level])
    known_enrol = ~np.isnan(enrolment)
    known_class = ~np.isnan(avg_class)
    out["over_capacity"] = _flag(enrolment > places, known_enrol)
    out["big_class"] = _flag(avg_class > standard_size, known_class)
    out["big_school"] = _flag(enrolment > caps, known_enrol)
    # one rule for the bands, the standards' own (below ``normal`` is "small")
    band = np.array(
        [
            standards.class_size_band(a) if ok else None
            for a, ok in zip(avg_class, known_class, strict=True)
        ],
        dtype=object,
    )
    out["class_size_band"] = pd.array(band, dtype="string")
    return out


def _numeric(frame: pd.DataFrame, column: str, n: int) -> np.ndarray:
    if column not in frame:
        return np.full(n, np.nan)
    return pd.to_numeric(frame[column], errors="raise").to_numpy(dtype=np.float64, na_value=np.nan)


def _flag(values: np.ndarray, known: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.asarray(values, dtype=bool), mask=~known)


def offered_places(
    schools: pd.DataFrame,
    district_ids: Sequence[str],
    years: Sequence[int],
) -> pd.DataFrame:
    """Places offered per district, year and level by the schools open that year.

    A school counts in year ``y`` if it has opened (``opened`` ≤ y, or no ``opened``) and
    has not closed (``closing`` > y, or no ``closing``). Nine-year schools count at both
    levels. Districts or years without schools get zero places, never a missing row.

    Parameters
    ----------
    schools
        Output of :func:`school_places`, with ``district_id``.
    district_ids, years
        The districts and years to report.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``level`` (``primary``, ``junior``, ``compulsory``),
        ``offered``; one row per combination.

    Examples
    --------
    >>> s = pd.DataFrame({"district_id": ["a", "a"], "places_primary": [900.0, 0.0],
    ...                   "places_junior": [0.0, 1200.0], "opened": [2000, 2027]})
    >>> out = offered_places(s, ["a"], [2026, 2027])
    >>> out.pivot(index="year", columns="level", values="offered").to_dict("index")[2027]
    {'compulsory': 2100.0, 'junior': 1200.0, 'primary': 900.0}
    """
    years_arr = np.asarray(list(years), dtype=np.int64)
    ids = [str(d) for d in district_ids]
    district_of = schools["district_id"].astype(str).to_numpy()
    opened = _numeric(schools, "opened", len(schools))
    closing = _numeric(schools, "closing", len(schools))
    # open_[school, year]
    open_ = (np.isnan(opened)[:, None] | (opened[:, None] <= years_arr[None, :])) & (
        np.isnan(closing)[:, None] | (closing[:, None] > years_arr[None, :])
    )
    index = {d: k for k, d in enumerate(ids)}
    rows = np.array([index.get(d, -1) for d in district_of], dtype=np.int64)
    inside = rows >= 0
    frames = []
    totals = np.zeros((len(ids), len(years_arr)))
    for level in _SPLIT_LEVELS:
        places = schools[f"places_{level}"].to_numpy(dtype=np.float64)
        grid = np.zeros((len(ids), len(years_arr)))
        np.add.at(grid, rows[inside], places[inside, None] * open_[inside])
        totals += grid
        frames.append(_grid_frame(grid, ids, years_arr, level))
    frames.append(_grid_frame(totals, ids, years_arr, COMPULSORY))
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["district_id", "year", "level"], kind="stable").reset_index(drop=True)


def _grid_frame(grid: np.ndarray, ids: list[str], years: np.ndarray, level: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district_id": np.repeat(ids, len(years)),
            "year": np.tile(years, len(ids)),
            "level": level,
            "offered": grid.ravel(),
        }
    )
