"""Checking the map's inputs before anything is drawn, every problem at once.

:func:`check_inputs` is the validation shared by :func:`xuewei.maps.plan_map` and
:func:`xuewei.maps.static.static_map`: a CRS on every layer, the columns of the contract
(:mod:`xuewei.maps._select`), a location for every feature, unique district ids, numeric
gap columns, the chosen scenario, year and level present in the gaps, and merger ends that
are known schools. It raises one :class:`~xuewei.errors.InputError` listing all problems.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.errors import CRSError, InputError, Problem
from xuewei.maps._labels import number_text
from xuewei.maps._select import (
    CATCHMENT_COLUMNS,
    DISTRICT_COLUMNS,
    ESTATE_COLUMNS,
    GAP_COLUMNS,
    MERGER_COLUMNS,
    PROPOSAL_COLUMNS,
    SCHOOL_COLUMNS,
    has_lines,
    locations,
    merger_pairs,
    merger_source,
)

__all__ = ["check_inputs"]


def check_inputs(
    districts: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    estates: gpd.GeoDataFrame | None,
    *,
    scenario: float,
    year: int,
    level: str,
    extra: Mapping[str, pd.DataFrame | None],
) -> None:
    """Raise if the inputs cannot be drawn for ``(scenario, year, level)``.

    ``extra`` holds the optional layers by name: ``catchments``, ``proposals``, ``mergers``.

    Raises
    ------
    xuewei.errors.CRSError
        When a layer has no CRS.
    xuewei.errors.InputError
        With every problem found in the inputs.
    """
    frames: dict[str, pd.DataFrame | None] = {
        "districts": districts,
        "schools": schools,
        "estates": estates,
        **extra,
    }
    no_crs = [
        name
        for name, frame in frames.items()
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is None
    ]
    if no_crs:
        raise CRSError(
            f"{', '.join(no_crs)}: no CRS set; set it with .set_crs(...) "
            "(e.g. EPSG:4326 for WGS84 longitude/latitude)."
        )
    problems = _table_problems(districts, schools, gaps, estates)
    gap_problems = [
        Problem("gaps", f"got {gaps[column].dtype} values; expected numbers.", column=column)
        for column in ("year", "scenario", "residents", "required", "offered", "gap")
        if column in gaps.columns and not pd.api.types.is_numeric_dtype(gaps[column])
    ]
    problems += gap_problems
    if not gap_problems and all(c in gaps.columns for c in GAP_COLUMNS):
        problems += _selection_problems(gaps, districts, scenario=scenario, year=year, level=level)
    problems += _layer_problems(extra, schools)
    if problems:
        raise InputError(problems)


def _table_problems(
    districts: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    estates: gpd.GeoDataFrame | None,
) -> list[Problem]:
    """Check the columns and geometries of the main tables and the district ids."""
    problems: list[Problem] = []
    for name, frame, columns in [
        ("districts", districts, DISTRICT_COLUMNS),
        ("schools", schools, SCHOOL_COLUMNS),
        ("estates", estates, ESTATE_COLUMNS),
        ("gaps", gaps, GAP_COLUMNS),
    ]:
        if frame is None:
            continue
        if name != "gaps" and not isinstance(frame, gpd.GeoDataFrame):
            problems.append(
                Problem(name, f"got a {type(frame).__name__}; expected a GeoDataFrame.")
            )
            continue
        for column in columns:
            if column not in frame.columns:
                problems.append(Problem(name, "column missing.", column=column))
        if name != "gaps":
            problems += _geometry_problems(name, frame)
    if len(districts) == 0:
        problems.append(Problem("districts", "no districts; the map needs at least one."))
    elif "district_id" in districts.columns:
        dup = districts["district_id"].astype(str)
        for value in sorted(set(dup[dup.duplicated()])):
            problems.append(
                Problem("districts", f"{value!r} appears more than once.", column="district_id")
            )
    return problems


def _layer_problems(
    extra: Mapping[str, pd.DataFrame | None], schools: gpd.GeoDataFrame
) -> list[Problem]:
    """Check the optional layers: catchments, proposals and mergers."""
    problems: list[Problem] = []
    for name, columns in [
        ("catchments", CATCHMENT_COLUMNS),
        ("proposals", PROPOSAL_COLUMNS),
    ]:
        frame = extra.get(name)
        if frame is None:
            continue
        if not isinstance(frame, gpd.GeoDataFrame):
            problems.append(
                Problem(name, f"got a {type(frame).__name__}; expected a GeoDataFrame.")
            )
            continue
        problems += [
            Problem(name, "column missing.", column=c) for c in columns if c not in frame.columns
        ]
        problems += _geometry_problems(name, frame)
    mergers, source = merger_source(extra.get("mergers"), extra.get("proposals"))
    if mergers is None:
        return problems
    problems += [
        Problem(source, "column missing.", column=c)
        for c in MERGER_COLUMNS
        if c not in mergers.columns
    ]
    if has_lines(mergers):
        return problems + _geometry_problems(source, mergers)
    pairs = merger_pairs(mergers)
    if isinstance(pairs, str):
        return [*problems, Problem(source, pairs)]
    known = set(locations(schools, extra.get("proposals")))
    ends = [
        (rec["row"], rec[f"{end}_column"], rec[f"{end}_school_id"])
        for rec in pairs.to_dict("records")
        for end in ("closing", "receiving")
    ]
    for row, column, value in dict.fromkeys(ends):
        if value not in known:
            problems.append(
                Problem(
                    source,
                    f"{value!r} is not a school_id of schools (nor a proposal's "
                    "proposal_id, school_id or site_id); the line needs both schools' "
                    "locations.",
                    row=row,
                    column=column,
                )
            )
    return problems


def _geometry_problems(name: str, frame: gpd.GeoDataFrame) -> list[Problem]:
    empty = np.asarray(frame.geometry.isna() | frame.geometry.is_empty)
    rows = [int(i) + 1 for i in np.flatnonzero(empty)]
    if not rows:
        return []
    shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
    return [
        Problem(
            name,
            f"{len(rows)} feature(s) without geometry (rows {shown}); every feature "
            "must have a location.",
            column="geometry",
        )
    ]


def _selection_problems(
    gaps: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    *,
    scenario: float,
    year: int,
    level: str,
) -> list[Problem]:
    problems: list[Problem] = []
    scenarios = pd.to_numeric(gaps["scenario"], errors="coerce").to_numpy(float)
    in_scenario = np.isclose(scenarios, float(scenario), rtol=0.0, atol=1e-9)
    in_year = np.asarray(gaps["year"] == year)
    for column, value, hit, available in [
        ("scenario", number_text(scenario), in_scenario, _available(scenarios, number_text)),
        ("year", str(year), in_year, _available(gaps["year"], lambda y: str(int(y)))),
        ("level", level, np.asarray(gaps["level"] == level), _available(gaps["level"], str)),
    ]:
        if not hit.any():
            problems.append(
                Problem(
                    "gaps",
                    f"{column}={value} is not in the table; available: {available}. "
                    "Pass one of those.",
                    column=column,
                )
            )
    if problems:
        return problems
    chosen = gaps[in_scenario & in_year]
    if not (chosen["level"] == level).any():
        return [
            Problem(
                "gaps",
                f"no rows for scenario {number_text(scenario)}, year {year}, level {level}; "
                "the levels of that scenario and year are "
                f"{_available(chosen['level'], str)}.",
            )
        ]
    key = chosen["district_id"].astype(str) + " / " + chosen["level"].astype(str)
    for value in sorted(set(key[key.duplicated()])):
        problems.append(
            Problem(
                "gaps",
                f"more than one row for district / level {value} in scenario "
                f"{number_text(scenario)}, year {year}; expected one.",
            )
        )
    if "district_id" in districts.columns:
        unknown = sorted(
            set(chosen["district_id"].astype(str)) - set(districts["district_id"].astype(str))
        )
        if unknown:
            problems.append(
                Problem(
                    "gaps",
                    f"district_id {', '.join(map(repr, unknown))} not in districts; "
                    "pass the districts the gaps were computed for.",
                    column="district_id",
                )
            )
    return problems


def _available(values: Any, fmt: Any) -> str:
    clean = pd.Series(values).dropna().unique()
    return ", ".join(fmt(v) for v in sorted(clean)) or "none"
