"""What a catchment assignment works on: demand points, the level's schools, the flows.

This module owns the inputs of :func:`xuewei.gis.assign_catchments` once checked: the
*demand points* (estates completed by the year, with their residents, or the cells of a
population raster with their centres), the open schools serving a level with their places
at that level, and the :class:`Flow` of residents every assignment rule returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
from affine import Affine

from xuewei.errors import CRSError, InputError, Problem
from xuewei.vocabulary import SERVING_LEVELS

from .distance import point_xy

__all__ = [
    "Demand",
    "FloatArray",
    "Flow",
    "IntArray",
    "RasterLike",
    "check_plan_crs",
    "estate_demand",
    "level_schools",
    "raster_demand",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class RasterLike(Protocol):
    """Residents per cell: a :class:`~xuewei.gis.PopulationRaster` or an allocated raster."""

    values: npt.NDArray[Any]
    transform: Affine
    crs: Any


@dataclass(frozen=True)
class Flow:
    """Flows of residents: demand index, school index (-1 unserved), residents, distance.

    ``single`` marks flows with exactly one row per demand point, in demand order (nearest
    and polygons): their per-point summary needs no sort.
    """

    demand: IntArray
    school: IntArray
    residents: FloatArray
    distance: FloatArray
    single: bool = False


@dataclass(frozen=True)
class Demand:
    """Demand points: ids, ``estate`` or ``cell``, x/y and residents (cells: grid index)."""

    ids: npt.NDArray[Any]
    kind: str
    xy: FloatArray
    residents: FloatArray
    cell: IntArray | None = None  # flat raster index of each demand cell
    grid: tuple[Any, tuple[int, int]] | None = None  # the raster's transform and shape
    radius: FloatArray | None = None  # each point's own service radius (None: the rule's)
    rural: npt.NDArray[np.bool_] | None = None  # each point rural (True) or urban


def check_plan_crs(frame: gpd.GeoDataFrame | None, name: str, crs: Any) -> None:
    """Raise :class:`CRSError` unless ``frame`` (if given) is projected, in ``crs`` if given."""
    if frame is None:
        return
    if frame.crs is None:
        raise CRSError(f"{name} has no CRS; read it with the plan CRS (crs=plan_crs(...)).")
    if not frame.crs.is_projected:
        raise CRSError(
            f"{name} is in {frame.crs.to_string()}, a geographic CRS; catchments need the "
            "plan's projected CRS in metres: `frame.to_crs(plan_crs(districts))`."
        )
    if crs is not None and not frame.crs.equals(crs):
        raise CRSError(
            f"{name} is in {frame.crs.to_string()} but the schools are in {crs.to_string()}; "
            "reproject every input to the plan CRS."
        )


def level_schools(
    schools: gpd.GeoDataFrame, level: str, year: int
) -> tuple[gpd.GeoDataFrame, FloatArray]:
    """Schools serving ``level`` and open in ``year``, with their places at that level."""
    missing = [c for c in ("school_id", "level") if c not in schools.columns]
    if missing:
        raise InputError(
            [Problem("schools", f"missing column(s) {missing}; read schools with read_schools.")]
        )
    place_col = "places" if level == "kindergarten" else f"places_{level}"
    frame = schools
    if place_col not in frame.columns:
        # gis sits below planning (DESIGN.md): the caller computes places with the standards
        raise InputError(
            [
                Problem(
                    "schools",
                    f"missing column `{place_col}`; pass the schools through "
                    "xuewei.planning.school_places(schools, standards) first.",
                    column=place_col,
                )
            ]
        )
    lv = frame["level"].astype(str).to_numpy()
    keep = np.isin(lv, SERVING_LEVELS[level])
    for col, later in (("opened", True), ("closing", False)):
        if col in frame.columns:
            y = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64)
            known = np.isfinite(y)
            keep &= ~known | ((y <= year) if later else (y > year))
    out = frame.loc[keep]
    places = pd.to_numeric(out[place_col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(places) | (places < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            [
                Problem(
                    "schools",
                    f"school {out['school_id'].iloc[i]}: places {places[i]!r}; expected a "
                    "number ≥ 0 (give `capacity` or `classes`).",
                    column=place_col,
                )
            ]
        )
    return out, places


def estate_demand(
    estates: gpd.GeoDataFrame, year: int, residents_col: str, id_col: str
) -> tuple[Demand, npt.NDArray[np.bool_]]:
    """Demand points of the estates completed by ``year``, and which estates those are."""
    for col in (id_col, residents_col):
        if col not in estates.columns:
            raise InputError(
                [Problem("estates", f"missing column `{col}`; read estates with read_estates.")]
            )
    res = pd.to_numeric(estates[residents_col], errors="coerce").to_numpy(dtype=np.float64)
    if "completion_year" in estates.columns:
        cy = pd.to_numeric(estates["completion_year"], errors="coerce").to_numpy(np.float64)
        counted = ~np.isfinite(cy) | (cy <= year)
    else:
        counted = np.ones(len(estates), dtype=bool)
    bad = counted & (~np.isfinite(res) | (res < 0))
    if bad.any():
        problems = [
            Problem(
                "estates",
                f"estate {estates[id_col].iloc[i]}: residents {res[i]!r}; expected a number "
                "≥ 0 (fill `residents`, e.g. dwellings × household size).",
                row=int(i) + 1,
                column=residents_col,
            )
            for i in np.flatnonzero(bad)[:20]
        ]
        raise InputError(problems)
    xy = point_xy(estates)
    idx = np.flatnonzero(counted)
    ids = estates[id_col].astype(str).to_numpy()
    return Demand(ids[idx], "estate", xy[idx], res[idx]), counted


def raster_demand(raster: RasterLike) -> Demand:
    """Demand points of the raster's cells with residents, at the cell centres."""
    values = np.asarray(raster.values, dtype=np.float64)
    flat = np.flatnonzero(values.ravel() > 0)
    ncols = values.shape[1]
    rows, cols = np.divmod(flat, ncols)
    t = raster.transform
    x = t.c + (cols + 0.5) * t.a + (rows + 0.5) * t.b
    y = t.f + (cols + 0.5) * t.d + (rows + 0.5) * t.e
    # One Python string per row and per column number, then one object-array concatenation:
    # at 1 M cells this is 5× faster than formatting every id (and pandas takes the object
    # array as it is, where a fixed-width unicode array would be converted again).
    row_s = np.array([f"r{i}" for i in range(values.shape[0])], dtype=object)
    col_s = np.array([f"c{i}" for i in range(ncols)], dtype=object)
    ids = row_s[rows] + col_s[cols]
    return Demand(
        ids,
        "cell",
        np.column_stack([x, y]),
        values.ravel()[flat],
        cell=flat.astype(np.int64),
        grid=(t, (int(values.shape[0]), ncols)),
    )
