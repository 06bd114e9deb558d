"""The result of :func:`~xuewei.planning.zones.draw_zones`: zones, units, schools, status.

One frozen dataclass of tables, ready to be drawn on a map or written to a workbook:
``zones`` (one dissolved polygon per school and level, plan CRS), ``assignments`` (one row
per unit and level), ``units`` (the tessellation with pupils), ``schools`` (pupils,
capacity, utilisation, travel, pupils moved, feeder) and ``cases`` (one row per district
and level: the solver used, its status, objective, lower bound and gap).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from .crowding import EMPTY_CORE
from .problem import IntArray, ZoneCase
from .reach import beyond_radius

#: The ``cases`` row of a district and level with no school of the level.
NO_SCHOOL_CASE: dict[str, Any] = {
    "method": "none",
    "status": "no_school",
    "objective": np.nan,
    "bound": np.nan,
    "gap": np.nan,
    "units": 0,
    "schools": 0,
    "pupils": 0.0,
    "allowed": 0.0,
    "capacity_short": True,
    "over_pupils": 0.0,
    "over_bound": 0.0,
    "least_over_km": np.nan,
    "non_contiguous": 0,
    "feeder_conflicts": 0,
    "seconds": 0.0,
    "note": "no school of the level in the district",
    **EMPTY_CORE,
}

__all__ = [
    "NO_SCHOOL_CASE",
    "ZoneResult",
    "assignment_rows",
    "dissolve_zones",
    "feeds_of",
    "school_rows",
    "school_table",
]


@dataclass(frozen=True)
class ZoneResult:
    """Attendance zones of a plan for one year and scenario.

    Attributes
    ----------
    zones
        GeoDataFrame (plan CRS): ``level``, ``school_id``, ``district_id``, ``units``,
        ``pupils``, geometry (the school's units dissolved).
    assignments
        DataFrame, one row per unit and level: ``unit_id``, ``district_id``, ``level``,
        ``school_id`` (missing where the district has no school of the level), ``pupils``,
        ``distance_m``, ``current_school_id``, ``moved`` (pupils whose school changed),
        ``settlement`` (urban/rural), ``radius_m`` (the level's service radius there) and
        ``beyond_radius`` (``distance_m`` > ``radius_m``).
    units
        GeoDataFrame of the tessellation (:func:`~xuewei.planning.zones.build_units`).
    schools
        DataFrame, one row per school and level: ``pupils``, ``places``, ``allowed``,
        ``utilisation``, ``over_pupils``, ``mean_distance_m`` (pupil-weighted),
        ``max_distance_m``, ``beyond_radius_pupils`` (pupils whose travel is longer than
        their service radius, :mod:`~xuewei.planning.zones.reach`), ``pupils_moved``,
        ``feeds`` (primary: its junior school).
    cases
        DataFrame, one row per district and level: ``method`` (exact/heuristic), ``status``,
        ``objective``, ``bound``, ``gap``, ``units``, ``schools``, ``pupils``,
        ``allowed``, ``capacity_short``, ``over_pupils``, ``over_bound`` (pupils over that
        no zoning avoids: the shortfall of places, or schools' own units over their
        places), ``least_over_km`` (the longest trip that no zoning with so few pupils
        over avoids: :func:`~xuewei.planning.zones.bound.least_over_trip_m`),
        ``non_contiguous``,
        ``feeder_conflicts``, ``seconds``, ``note``; where pupils are over, the crowded
        core round the school most over (:func:`~xuewei.planning.zones.crowding.crowded_core`):
        ``crowded_school``, ``crowded_km``, ``crowded_pupils``, ``crowded_allowed``,
        ``catch_up_km`` (empty where no pupil is over); ``beyond_radius_pupils`` (pupils
        zoned beyond their service radius) and ``max_distance_m`` (the farthest travel).
    year, scenario
        The year whose pupils were zoned and the places per 1,000 residents.
    """

    zones: gpd.GeoDataFrame
    assignments: pd.DataFrame
    units: gpd.GeoDataFrame
    schools: pd.DataFrame
    cases: pd.DataFrame
    year: int
    scenario: float

    @property
    def non_contiguous(self) -> int:
        """Zones that are not one connected piece (0 by construction)."""
        return int(self.cases["non_contiguous"].sum())

    @property
    def max_gap(self) -> float:
        """The largest relative gap over districts and levels (0: all proven optimal)."""
        return float(self.cases["gap"].max()) if len(self.cases) else 0.0


def dissolve_zones(units: gpd.GeoDataFrame, assignments: pd.DataFrame) -> gpd.GeoDataFrame:
    """One polygon per (level, school): the union of its units."""
    zoned = assignments.dropna(subset=["school_id"])
    geom = units.set_index("unit_id").geometry
    rows = []
    for (level, school), part in zoned.groupby(["level", "school_id"], sort=True):
        rows.append(
            {
                "level": level,
                "school_id": school,
                "district_id": part["district_id"].iloc[0],
                "units": len(part),
                "pupils": float(part["pupils"].sum()),
                "geometry": geom.loc[part["unit_id"]].union_all(),
            }
        )
    if not rows:
        cols = {c: pd.Series(dtype=object) for c in ("level", "school_id", "district_id")}
        frame = pd.DataFrame(
            {**cols, "units": pd.Series(dtype=int), "pupils": pd.Series(dtype=float)}
        )
        return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=units.crs))
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=units.crs)


def school_table(
    assignments: pd.DataFrame, schools: pd.DataFrame, feeds: dict[str, str]
) -> pd.DataFrame:
    """Per school and level: pupils, places, utilisation, travel, pupils moved, feeder.

    ``schools`` has ``level`` (the zone level), ``school_id``, ``district_id``, ``places``,
    ``allowed`` and optionally ``name``; ``assignments`` has ``beyond_radius``
    (:func:`~xuewei.planning.zones.reach.with_reach`), summed by
    :func:`~xuewei.planning.zones.reach.beyond_radius` with the farthest trip.
    """
    a = assignments.dropna(subset=["school_id"]).copy()
    a["pd"] = a["pupils"] * a["distance_m"]
    keys = ["level", "school_id"]
    g = a.groupby(keys)
    agg = pd.DataFrame(
        {"pupils": g["pupils"].sum(), "pupil_m": g["pd"].sum(), "pupils_moved": g["moved"].sum()}
    ).reset_index()
    agg = agg.merge(beyond_radius(a, keys), on=keys)  # pupils beyond the radius, farthest trip
    out = schools.merge(agg, on=keys, how="left")
    out["pupils"] = out["pupils"].fillna(0.0)
    out["pupils_moved"] = out["pupils_moved"].fillna(0.0)
    out["beyond_radius_pupils"] = out["beyond_radius_pupils"].fillna(0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["mean_distance_m"] = np.where(out["pupils"] > 0, out["pupil_m"] / out["pupils"], np.nan)
        out["utilisation"] = out["pupils"] / out["places"]
    out["over_pupils"] = np.clip(out["pupils"] - out["allowed"], 0.0, None)
    out["feeds"] = out["school_id"].map(feeds).where(out["level"] == "primary")
    cols = [
        "level",
        "school_id",
        "name",
        "district_id",
        "pupils",
        "places",
        "allowed",
        "utilisation",
        "over_pupils",
        "mean_distance_m",
        "max_distance_m",
        "beyond_radius_pupils",
        "pupils_moved",
        "feeds",
    ]
    if "name" not in out:
        out["name"] = out["school_id"]
    return out[cols].sort_values(["level", "school_id"], ignore_index=True)


def assignment_rows(
    units: gpd.GeoDataFrame,
    idx: IntArray,
    level: str,
    case: ZoneCase | None,
    ids: np.ndarray,
    label: IntArray | None,
    cur: np.ndarray,
) -> pd.DataFrame:
    """Return one row per unit of a district and level: school (``label``), travel, pupils moved."""
    pupils = units[f"pupils_{level}"].to_numpy(dtype=float)[idx]
    school: Any = np.full(idx.size, None, dtype=object)
    dist = np.full(idx.size, np.nan)
    if case is not None and label is not None:
        school = ids[label]
        dist = case.distance_m[np.arange(case.n), label]
    current = cur[idx]
    given = current != None  # noqa: E711
    moved = np.where(given, np.where(school != current, pupils, 0.0), np.nan)
    return pd.DataFrame(
        {
            "unit_id": units["unit_id"].to_numpy()[idx],
            "district_id": units["district_id"].to_numpy()[idx],
            "level": level,
            "school_id": school,
            "pupils": pupils,
            "distance_m": dist,
            "current_school_id": current,
            "moved": moved,
        }
    )


def school_rows(lvl: gpd.GeoDataFrame, level: str, util: float) -> pd.DataFrame:
    """Return the schools of a level, their places and the pupils they may take (× ``util``)."""
    cols = ["school_id", "district_id", "places"] + (["name"] if "name" in lvl else [])
    out = pd.DataFrame(lvl[cols]).assign(level=level, allowed=lvl["places"] * util)
    out["school_id"] = out["school_id"].astype(str)
    out["district_id"] = out["district_id"].astype(str)
    return out


def feeds_of(assignments: pd.DataFrame) -> dict[str, str]:
    """Each primary school's junior school: the one its zone's units go to."""
    wide = assignments.pivot(index="unit_id", columns="level", values="school_id").dropna()
    pairs = wide.groupby("primary")["junior"].agg(lambda s: s.value_counts().index[0])
    return {str(k): str(v) for k, v in pairs.items()}
