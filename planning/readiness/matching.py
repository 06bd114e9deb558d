"""Schools with new estates (配建): a school with room for every pipeline estate.

New and rebuilt estates must get a matching school, designed, built and opened with them
(同步设计、同步建设、同步投入使用: seed 000 §二(二)5, seed 001 §一(二)1; standards key
``allocation.estate_school_with_estate``). For each pipeline estate (completed after the base
year) and level, :func:`matching_schools` counts the pupils it brings — dwellings × the
housing forecast's yields (:func:`xuewei.forecast.housing.pupil_yields`, pupils per 100
dwellings) — and looks for schools serving the level within the service radius that, in the
estate's completion year, have that many free places between them (places − enrolment, plus
new schools and expansions open by then). Estates are taken in order of completion and use
up the room they find (nearest school first), so two estates cannot count the same places.
An estate that finds too little room gets a "matching school needed" proposal of the
smallest standard size that holds its pupils (:func:`matching_classes`), dated to open
with the estate; the room left in it serves later estates. Distances are straight lines
in the plan CRS, with the urban service radius (new estates are urban housing).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from xuewei.data import Standards
from xuewei.forecast.housing import pupil_yields
from xuewei.planning._names import a_or_an
from xuewei.planning.school_sizes import smallest_covering, standard_school
from xuewei.vocabulary import COMPULSORY_LEVELS, SERVING_LEVELS, Level

__all__ = ["MATCHING_COLUMNS", "matching_classes", "matching_schools"]

#: Columns of the estate-by-level check of :func:`matching_schools`.
MATCHING_COLUMNS = [
    "estate_id",
    "district_id",
    "completion_year",
    "level",
    "pupils",
    "room_in_reach",
    "nearest_school_id",
    "nearest_m",
    "matched",
]

_LEVEL_ZH = {"primary": "小学", "junior": "初中"}


def _numeric(frame: pd.DataFrame, column: str, default: float = np.nan) -> np.ndarray:
    """Return a column as floats, or ``default`` everywhere when the table has none."""
    if column not in frame:
        return np.full(len(frame), default, dtype=np.float64)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(np.float64)


def _pupils(estates: pd.DataFrame, standards: Standards) -> dict[str, np.ndarray]:
    """Pupils each estate brings per level: dwellings (or residents ÷ household size) × yield."""
    hh = float(standards.number("forecast.household_size.default"))
    n = len(estates)
    dwell = (
        pd.to_numeric(estates["dwellings"], errors="coerce").to_numpy(np.float64)
        if "dwellings" in estates
        else np.full(n, np.nan)
    )
    res = (
        pd.to_numeric(estates["residents"], errors="coerce").to_numpy(np.float64)
        if "residents" in estates
        else np.full(n, np.nan)
    )
    dwell = np.where(np.isfinite(dwell), dwell, res / hh)
    return {lv: dwell * y / 100.0 for lv, y in pupil_yields(standards=standards).items()}


def _pool(
    schools: pd.DataFrame, level: str, new_schools: pd.DataFrame | None, standards: Standards
) -> pd.DataFrame:
    """Schools serving ``level`` with their free places and the year they have them from."""
    s = schools[schools["level"].astype(str).isin(SERVING_LEVELS[level])]
    total = _numeric(s, "places")
    places = _numeric(s, f"places_{level}") if f"places_{level}" in s else total
    enrol = np.nan_to_num(_numeric(s, "enrolment"), nan=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, places / total, 1.0)
    opened = np.nan_to_num(_numeric(s, "opened"), nan=-np.inf)
    pool = pd.DataFrame(
        {
            "school_id": s["school_id"].astype(str).to_numpy(),
            "x": s.geometry.x.to_numpy(),
            "y": s.geometry.y.to_numpy(),
            "room": np.maximum(np.nan_to_num(places, nan=0.0) - enrol * share, 0.0),
            "from_year": opened,
        }
    )
    if new_schools is not None and len(new_schools):
        add = new_schools[
            (new_schools["kind"].astype(str) == "new_build")
            & (new_schools["level"].astype(str) == level)
            & new_schools.geometry.notna()
        ]
        ids = [f"proposal {p}" for p in add.get("proposal_id", pd.Series(range(len(add))))]
        extra = pd.DataFrame(
            {
                "school_id": ids,
                "x": add.geometry.x.to_numpy(),
                "y": add.geometry.y.to_numpy(),
                "room": pd.to_numeric(add["places"]).to_numpy(np.float64),
                "from_year": pd.to_numeric(add["year"]).to_numpy(np.float64),
            }
        )
        pool = pd.concat([pool, extra], ignore_index=True)
    return pool


def matching_classes(standards: Standards, level: Level, pupils: float) -> int:
    """Return the classes of a matching school for ``pupils``: a standard size, else streams.

    The smallest standard school that holds them (建标102-2002: 12/18/24/30 classes); an
    estate bringing more pupils than the largest holds gets whole streams (one class in
    every grade: 6 primary, 3 junior) above it. An estate's exact count of classes (5, 11)
    is no school a bureau builds: a primary school has six grades.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> s = load_standards()
    >>> [matching_classes(s, "primary", n) for n in (10, 200, 541, 1350, 1400)]
    [12, 12, 18, 30, 36]
    >>> matching_classes(s, "junior", 100)
    12
    """
    size = standards.class_size(level)
    _, places = standard_school(standards, level)
    if pupils <= places:
        return smallest_covering(standards, level, pupils)
    stream = size * standards.grades[level]
    return int(math.ceil(round(pupils / stream, 9)) * standards.grades[level])


def _proposal(row: Any, level: Level, pupils: float, standards: Standards) -> dict[str, Any]:
    size = standards.class_size(level)
    classes = matching_classes(standards, level, pupils)
    year = int(row.completion_year)
    return {
        "kind": "matching_school",
        "district_id": str(row.district_id),
        "level": level,
        "scenario": math.nan,
        "year": year,
        "needed_year": year,
        "places": float(classes * size),
        "classes": classes,
        "served_estates": str(row.estate_id),
        "rationale_zh": (
            f"小区{row.estate_id}于{year}年建成，预计带来{_LEVEL_ZH[level]}学生{pupils:,.0f}人，"
            f"服务半径内无足够学位；须按标准规模同步配建{classes}班{_LEVEL_ZH[level]}"
            f"（{classes * size:,}个学位，余位供此后建成的小区），与小区同步交付。"
        ),
        "rationale_en": (
            f"Estate {row.estate_id} completes in {year} and brings {pupils:,.0f} {level} "
            f"pupils; no school in reach has room for them. A matching school of a "
            f"standard size is needed, to open with the estate (配建): {a_or_an(classes)} "
            f"{classes}-class {level} school ({classes * size:,} places; the places left "
            "serve estates completed later)."
        ),
    }


def matching_schools(
    estates: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    standards: Standards,
    *,
    base_year: int,
    new_schools: gpd.GeoDataFrame | None = None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """Check every pipeline estate for a school with room in reach; propose what is missing.

    Parameters
    ----------
    estates
        Points in the plan CRS: ``estate_id``, ``district_id``, ``completion_year`` and
        ``dwellings`` or ``residents``. Estates completed after ``base_year`` are checked.
    schools
        Schools with places (:func:`xuewei.planning.school_places`): ``school_id``,
        ``level``, ``places`` (``places_primary``/``places_junior`` for nine-year
        schools), ``enrolment``, optional ``opened``; points in the plan CRS.
    standards
        Pupil yields, household size, service radii, class sizes.
    base_year
        The last year of observed data.
    new_schools
        Proposals with ``kind``, ``level``, ``year``, ``places`` and a point: new builds
        add their places from their opening year.

    Returns
    -------
    tuple of pandas.DataFrame and geopandas.GeoDataFrame
        The check, one row per pipeline estate and level (:data:`MATCHING_COLUMNS`;
        ``room_in_reach`` is the free places found before the estate takes any), and the
        proposals (``kind`` = ``matching_school``) for the estates not ``matched``.

    Examples
    --------
    One estate of 1,000 dwellings (200 primary pupils at 20 per 100 dwellings): a primary
    school 300 m away with 100 free places is not enough.

    >>> from shapely.geometry import Point
    >>> from xuewei.data import load_standards
    >>> e = gpd.GeoDataFrame({"estate_id": ["e1"], "district_id": "a", "dwellings": [1000],
    ...                       "completion_year": [2027]}, geometry=[Point(0, 0)], crs=4547)
    >>> s = gpd.GeoDataFrame({"school_id": ["p1"], "level": "primary", "places": [900.0],
    ...                       "enrolment": [800]}, geometry=[Point(300, 0)], crs=4547)
    >>> check, props = matching_schools(e, s, load_standards(), base_year=2024)
    >>> check.loc[check.level == "primary", ["pupils", "room_in_reach", "matched"]].to_dict(
    ...     "records")
    [{'pupils': 200.0, 'room_in_reach': 100.0, 'matched': False}]
    >>> props.loc[props.level == "primary", ["classes", "places", "year"]].to_dict("records")
    [{'classes': 12, 'places': 540.0, 'year': 2027}]
    """
    done = pd.to_numeric(estates["completion_year"], errors="coerce")
    pipeline = estates[done.to_numpy(np.float64) > base_year].copy()
    pipeline["completion_year"] = pd.to_numeric(pipeline["completion_year"]).astype(np.int64)
    pipeline["estate_id"] = pipeline["estate_id"].astype(str)
    pipeline = pipeline.sort_values(["completion_year", "estate_id"], kind="stable")
    pupils = _pupils(pipeline, standards)
    checks: list[dict[str, Any]] = []
    proposals: list[dict[str, Any]] = []
    geoms: list[Any] = []
    for level in COMPULSORY_LEVELS:
        pool = _pool(schools, level, new_schools, standards)
        radius = standards.service_radius_m(level)
        xs, ys = list(pool["x"]), list(pool["y"])
        room, start, names = list(pool["room"]), list(pool["from_year"]), list(pool["school_id"])
        rows: list[Any] = list(pipeline.itertuples(index=False))
        for row, need, geom in zip(rows, pupils[level], pipeline.geometry, strict=True):
            year = int(row.completion_year)
            near = cKDTree(np.column_stack([xs, ys])) if xs else None
            found = near.query_ball_point([geom.x, geom.y], radius) if near else []
            dist = {i: math.hypot(xs[i] - geom.x, ys[i] - geom.y) for i in found}
            order = sorted((i for i in found if start[i] <= year), key=lambda i: (dist[i], i))
            free = float(sum(room[i] for i in order))
            matched = free + 1e-9 >= need
            checks.append(
                {
                    "estate_id": row.estate_id,
                    "district_id": str(row.district_id),
                    "completion_year": year,
                    "level": level,
                    "pupils": float(need),
                    "room_in_reach": free,
                    "nearest_school_id": names[order[0]] if order else None,
                    "nearest_m": dist[order[0]] if order else math.nan,
                    "matched": bool(matched),
                }
            )
            if matched:
                left = float(need)
                for i in order:  # nearest first
                    take = min(room[i], left)
                    room[i] -= take
                    left -= take
                continue
            proposal = _proposal(row, level, float(need), standards)
            proposals.append(proposal)
            geoms.append(geom)
            # the matching school serves this estate; what it has left serves later ones
            xs.append(geom.x)
            ys.append(geom.y)
            room.append(proposal["places"] - float(need))
            start.append(float(year))
            names.append(f"matching {row.estate_id}")
    check = pd.DataFrame(checks, columns=MATCHING_COLUMNS)
    out = gpd.GeoDataFrame(
        pd.DataFrame(proposals, columns=[*_proposal_columns()]),
        geometry=gpd.GeoSeries(geoms, crs=estates.crs),
    )
    return check, out


def _proposal_columns() -> list[str]:
    return [
        "kind",
        "district_id",
        "level",
        "scenario",
        "year",
        "needed_year",
        "places",
        "classes",
        "served_estates",
        "rationale_zh",
        "rationale_en",
    ]
