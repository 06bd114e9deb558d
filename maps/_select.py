"""Reading the map's inputs: the columns they must have, and the rows and points drawn.

The input contract of :func:`xuewei.maps.plan_map` (the columns each table needs, and the
names a merger's schools and a proposal's estates go by) and the helpers that pick what is
drawn — the gaps of one scenario and year, the catchments of a year, the estates a
proposal serves, the lines of the mergers — shared by the HTML and the static map. Nothing
is computed: rows are selected and joined as given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from xuewei.errors import InputError, Problem
from xuewei.maps._labels import missing
from xuewei.maps.tiles import Datum, to_datum
from xuewei.planning.proposals import proposals_of_scenario
from xuewei.vocabulary import LEVELS

__all__ = [
    "CATCHMENT_COLUMNS",
    "CLOSING",
    "COHORT_COLUMNS",
    "DISTRICT_COLUMNS",
    "ESTATE_COLUMNS",
    "GAP_COLUMNS",
    "MERGER_COLUMNS",
    "PROPOSAL_COLUMNS",
    "RECEIVING",
    "SCHOOL_COLUMNS",
    "assigned_columns",
    "assigned_level",
    "catchments_of_year",
    "column",
    "first_column",
    "has_lines",
    "id_list",
    "in_level_order",
    "locations",
    "merger_lines",
    "merger_pairs",
    "merger_source",
    "points",
    "records",
    "select_cohort",
    "select_gaps",
    "served_estates",
]

DISTRICT_COLUMNS = ("district_id", "name")
SCHOOL_COLUMNS = ("school_id", "name", "level")
ESTATE_COLUMNS = ("estate_id", "name", "residents")
CATCHMENT_COLUMNS = ("school_id", "level")
PROPOSAL_COLUMNS = ("proposal_id", "kind")
MERGER_COLUMNS = ("year",)
GAP_COLUMNS = (
    "district_id",
    "level",
    "year",
    "scenario",
    "residents",
    "required",
    "offered",
    "gap",
)
COHORT_COLUMNS = (
    "district_id",
    "level",
    "cohort_demand",
    "cohort_lower",
    "cohort_upper",
    "per_thousand_demand",
    "implied_per_1000",
)
# The closing and receiving school of a merger, and the pupils moved, by the names they
# have here and in :mod:`xuewei.planning` (``plan_mergers`` and the proposals table).
CLOSING = ("closing_school_id", "school_id")
RECEIVING = ("receiving_school_id", "receiver_id", "receiver_ids")
_PUPILS = ("pupils", "pupils_moved")
# The estates a proposal serves.
_SERVED = ("served_estates", "estate_ids")
# The school an estate is assigned to, per level: ``assigned_school_primary`` or, as the
# pipeline's estates layer has it, ``primary_school_id``.
_ASSIGNED = re.compile(
    r"assigned_school_(?P<level>\w+)|(?P<level2>primary|junior|nine_year|kindergarten)_school_id"
)


# --- tables ---------------------------------------------------------------------------------


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """Return a column, or an all-missing one when the frame does not have it."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def first_column(frame: pd.DataFrame, options: Sequence[str]) -> str | None:
    """Return the first of ``options`` that is a column of ``frame``."""
    return next((c for c in options if c in frame.columns), None)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the rows as dicts with string keys, without the geometry."""
    table = pd.DataFrame(frame)
    if isinstance(frame, gpd.GeoDataFrame):
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]


def points(frame: gpd.GeoDataFrame) -> list[Any]:
    """Return one point per feature; polygons and lines at a representative point."""
    geometry = frame.geometry
    is_point = np.asarray(geometry.geom_type == "Point")
    if is_point.all():
        return list(geometry)
    return list(geometry.where(is_point, geometry.representative_point()))


def has_lines(frame: pd.DataFrame) -> bool:
    """Tell whether ``frame`` is a GeoDataFrame of (multi)line strings."""
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        return False
    kinds = set(frame.geometry.geom_type.dropna())
    return bool(kinds) and kinds <= {"LineString", "MultiLineString"}


def id_list(value: Any) -> list[str]:
    """Read a cell of ids: a list, or ids joined by ``,`` or ``;``.

    Examples
    --------
    >>> id_list("e1; e2,e3"), id_list(["e1", None]), id_list(None)
    (['e1', 'e2', 'e3'], ['e1'], [])
    """
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[;,]", value) if v.strip()]
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return [str(v) for v in value if not missing(v)]
    return [] if missing(value) else [str(value)]


def in_level_order(values: Any) -> list[str]:
    """Return the distinct levels of ``values``: known levels in order, then the others.

    Examples
    --------
    >>> in_level_order(["kindergarten", "special", "primary", "primary"])
    ['primary', 'kindergarten', 'special']
    """
    levels = [str(v) for v in pd.unique(pd.Series(values).astype(str))]
    return [v for v in LEVELS if v in levels] + sorted(v for v in levels if v not in LEVELS)


# --- gaps, cohort and catchments --------------------------------------------------------------


def select_gaps(
    gaps: pd.DataFrame, *, scenario: float, year: int, columns: Sequence[str] = GAP_COLUMNS
) -> dict[tuple[str, str], dict]:
    """Return the rows of ``(scenario, year)`` keyed by ``(district_id, level)``.

    Also for the cohort table, whose rows are keyed the same way (``columns``).
    """
    scenarios = pd.to_numeric(gaps["scenario"], errors="coerce").to_numpy(float)
    mask = np.isclose(scenarios, float(scenario), rtol=0.0, atol=1e-9) & np.asarray(
        gaps["year"] == year
    )
    rows = gaps.loc[mask, list(columns)].to_dict("records")
    return {(str(r["district_id"]), str(r["level"])): r for r in rows}


def select_cohort(
    cohort: pd.DataFrame | None, *, scenario: float, year: int
) -> dict[tuple[str, str], dict]:
    """Return the cohort rows of ``(scenario, year)`` (none without a cohort table)."""
    if cohort is None or not len(cohort):
        return {}
    missing_cols = [c for c in (*COHORT_COLUMNS, "year", "scenario") if c not in cohort]
    if missing_cols:
        raise InputError([Problem("cohort", "column missing.", column=c) for c in missing_cols])
    return select_gaps(cohort, scenario=scenario, year=year, columns=COHORT_COLUMNS)


def shown_proposals(proposals: gpd.GeoDataFrame | None, scenario: float) -> gpd.GeoDataFrame | None:
    """Return the proposals the map draws for the scenario shown (``None``: none to draw).

    Those of that scenario and those of none (:func:`~xuewei.planning.proposals_of_scenario`).
    """
    if proposals is None:
        return None
    shown = proposals_of_scenario(proposals, scenario)
    return shown if len(shown) else None


def catchments_of_year(catchments: gpd.GeoDataFrame, year: int) -> gpd.GeoDataFrame:
    """Keep the catchments of ``year`` (or of the latest year before it) if years are given."""
    if "year" not in catchments.columns or catchments.empty:
        return catchments
    years = pd.to_numeric(catchments["year"], errors="coerce")
    earlier = years[years <= year]
    chosen = year if (years == year).any() else (earlier.max() if len(earlier) else years.min())
    return catchments[np.asarray(years == chosen)]


# --- estates and proposals --------------------------------------------------------------------


def assigned_columns(estates: pd.DataFrame) -> list[str]:
    """Return the columns naming the school each estate is assigned to, per level."""
    return [str(c) for c in estates.columns if _ASSIGNED.fullmatch(str(c))]


def assigned_level(name: str) -> str:
    """Return the level of an :func:`assigned_columns` column."""
    match = _ASSIGNED.fullmatch(name)
    assert match is not None
    return match.group("level") or match.group("level2")


def served_estates(
    proposals: gpd.GeoDataFrame, estates: gpd.GeoDataFrame | None
) -> list[list[int]]:
    """Return, per proposal, the positions in ``estates`` of the estates it serves."""
    if estates is None:
        return [[] for _ in range(len(proposals))]
    position = {str(e): i for i, e in enumerate(estates["estate_id"])}
    by_assignment: dict[str, list[int]] = {}
    for name in assigned_columns(estates):
        for i, value in enumerate(estates[name]):
            if not missing(value):
                by_assignment.setdefault(str(value), []).append(i)
    out = []
    served_col = first_column(proposals, _SERVED) or "served_estates"
    for pid, listed in zip(proposals["proposal_id"], column(proposals, served_col), strict=True):
        found = [position[e] for e in id_list(listed) if e in position]
        found += by_assignment.get(str(pid), [])
        out.append(sorted(set(found)))
    return out


# --- mergers ----------------------------------------------------------------------------------


def merger_source(
    mergers: pd.DataFrame | None, proposals: pd.DataFrame | None
) -> tuple[pd.DataFrame | None, str]:
    """Return the mergers to draw: as given, or the proposals of kind ``merger``."""
    if mergers is not None:
        return mergers, "mergers"
    if proposals is None or "kind" not in proposals.columns:
        return None, "proposals"
    rows = proposals[np.asarray(proposals["kind"].astype(str) == "merger")]
    has_ends = any(c in rows.columns for c in CLOSING[1:]) and any(
        c in rows.columns for c in RECEIVING
    )
    if rows.empty or not has_ends:
        return None, "proposals"
    # the proposals' geometry is the closing school's point: the ids make the line
    return pd.DataFrame(rows.drop(columns=rows.geometry.name)), "proposals"


def merger_pairs(mergers: pd.DataFrame) -> pd.DataFrame | str:
    """Return one row per (closing, receiving) pair, or a message saying what is missing.

    Columns: ``closing_school_id``, ``receiving_school_id``, ``year``, ``pupils``, and for
    error messages the 1-based ``row`` and the ``closing_column``/``receiving_column`` the
    ids came from. Receivers joined by commas (``"s1,s2"``) give one pair each.
    """
    closing = first_column(mergers, CLOSING)
    receiving = first_column(mergers, RECEIVING)
    if closing is None or receiving is None:
        wanted = " or ".join(f"`{c}`" for c in (*CLOSING, *RECEIVING))
        return (
            "no line geometries and no closing and receiving school ids (columns "
            f"{wanted}); give lines from the closing to the receiving school, or both ids."
        )
    pupils = first_column(mergers, _PUPILS)
    rows = []
    for row, rec in enumerate(records(mergers), start=1):
        for target in id_list(rec[receiving]) or [""]:
            rows.append(
                {
                    "closing_school_id": str(rec[closing]),
                    "receiving_school_id": target,
                    "year": rec.get("year"),
                    "pupils": None if pupils is None else rec[pupils],
                    "row": row,
                    "closing_column": closing,
                    "receiving_column": receiving,
                }
            )
    return pd.DataFrame(rows)


def locations(schools: gpd.GeoDataFrame, proposals: gpd.GeoDataFrame | None) -> dict[str, Any]:
    """Return the point of every school and proposed school by id, in the schools' CRS."""
    located: dict[str, Any] = {}
    if proposals is not None and len(proposals):
        p = proposals.to_crs(schools.crs)
        at = points(p)
        for name in ("site_id", "school_id", "proposal_id"):
            if name in p.columns:
                for value, point in zip(p[name], at, strict=True):
                    if not missing(value):
                        located[str(value)] = point
    if "school_id" in schools.columns:
        located.update(zip(schools["school_id"].astype(str), points(schools), strict=True))
    return located


def merger_lines(
    mergers: pd.DataFrame,
    schools: gpd.GeoDataFrame,
    proposals: gpd.GeoDataFrame | None,
    datum: Datum,
) -> gpd.GeoDataFrame:
    """Return the mergers as lines in the drawing datum, built from the schools if need be.

    Columns ``closing_school_id``, ``receiving_school_id``, ``year`` and ``pupils`` (as
    given, or ``None``); one line per receiving school. The mergers must have passed
    :func:`xuewei.maps._checks.check_inputs`.
    """
    if has_lines(mergers):
        lines = to_datum(mergers, datum)
        closing, receiving = first_column(lines, CLOSING), first_column(lines, RECEIVING)
        pupils = first_column(lines, _PUPILS)
        return gpd.GeoDataFrame(
            {
                "closing_school_id": column(lines, closing or "closing_school_id"),
                "receiving_school_id": column(lines, receiving or "receiving_school_id"),
                "year": column(lines, "year"),
                "pupils": column(lines, pupils or "pupils"),
            },
            geometry=lines.geometry,
            crs=lines.crs,
        )
    pairs = merger_pairs(mergers)
    assert not isinstance(pairs, str)  # checked by check_inputs
    located = locations(schools, proposals)
    geometry = [
        shapely.LineString([located[a], located[b]])
        for a, b in zip(pairs["closing_school_id"], pairs["receiving_school_id"], strict=True)
    ]
    table = pairs[["closing_school_id", "receiving_school_id", "year", "pupils"]]
    return to_datum(gpd.GeoDataFrame(table, geometry=geometry, crs=schools.crs), datum)
