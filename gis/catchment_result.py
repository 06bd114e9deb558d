"""The result of a catchment assignment, and the flags derived from its flows.

This module owns :class:`CatchmentResult` and how its tables are built from the flows of
residents: the tidy assignments, each school's residents, demand, utilisation and
over-capacity flag, and each estate's main school, distance, and unserved residents
(estates under a raster assignment take the flags of the cell they lie in).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from xuewei.vocabulary import REACHES

from ._assign_capacitated import QUANTUM
from ._catchment_inputs import Demand, FloatArray, Flow, IntArray, RasterLike

__all__ = [
    "OVER_TOL",
    "CatchmentResult",
    "assignments_frame",
    "cell_index",
    "estate_flags",
    "estates_from_cells",
    "per_demand",
    "reach_class",
    "reach_frame",
    "reach_split",
    "schools_frame",
]

OVER_TOL = 1e-6  # places: LP tolerance when flagging over capacity


@dataclass(frozen=True)
class CatchmentResult:
    """Result of :func:`~xuewei.gis.assign_catchments` for one level and year.

    Attributes
    ----------
    assignments
        Tidy flows, one row per (demand point, school) and one per demand point with
        unserved residents: ``demand_id``, ``demand_type`` (``estate``/``cell``),
        ``level``, ``year``, ``school_id`` (missing when unserved), ``residents``,
        ``demand`` (places demanded), ``distance_m`` and ``walk_min`` (``NaN`` when
        unserved), ``unserved``.
    schools
        One row per open school serving the level (GeoDataFrame, plan CRS): ``school_id``,
        ``name``, ``school_level`` (its own level, e.g. ``nine_year``), ``level``,
        ``year``, ``district_id``, ``demand_points``, ``residents``, ``demand``,
        ``places``, ``utilisation`` (demand ÷ places; ``NaN`` with 0 places),
        ``over_capacity`` (demand > places), ``spare_places`` (places − demand, negative
        when over).
    estates
        Every input estate (GeoDataFrame, input index and geometry, plan CRS):
        ``estate_id``, ``level``, ``year``, ``counted`` (completed by ``year``),
        ``residents`` (counted residents), ``school_id`` (the school taking most of its
        residents), ``n_schools``, ``distance_m`` and ``walk_min`` to that school,
        ``within_radius``, ``unserved_residents``, ``unserved`` (any resident unserved),
        ``settlement``, ``radius_m``, ``served_residents``, ``over_capacity_residents``,
        ``out_of_reach_residents`` and ``reach`` (as in :attr:`reach`; under a raster, the
        shares of the cell the estate lies in). Flags are ``<NA>`` for estates not yet
        completed.
    reach
        One row per demand point (estate or raster cell): ``demand_id``, ``demand_type``,
        ``settlement`` (``urban``/``rural``), ``radius_m`` (its service radius),
        ``residents``, and how many of them are ``served`` (a place at a school in reach),
        ``over_capacity`` (a school in reach, but full) and ``out_of_reach`` (no school of
        the level within the radius) — the three add up to ``residents`` exactly — and
        ``reach``, the point's class: ``out_of_reach`` if any of its residents are, else
        ``over_capacity`` if any are, else ``served`` (missing with no residents).
    catchments
        Catchment polygons for the map (GeoDataFrame, plan CRS): ``school_id``,
        ``level``, ``geometry``. Nearest: the schools' Voronoi cells within the radius;
        polygons: the polygons given; capacitated: the demand points' Voronoi cells (or
        raster cells) dissolved by school. Clipped to the districts when given.
    level, year, method
        What was computed.
    radius_m
        Service radius used, metres (urban; rural points use their own, in
        :attr:`reach`).
    places_per_resident
        Places demanded per resident at this level.
    """

    assignments: pd.DataFrame
    schools: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame
    catchments: gpd.GeoDataFrame
    level: str
    year: int
    method: str
    radius_m: float
    places_per_resident: float
    reach: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def total_residents(self) -> float:
        """Residents assigned plus unserved (equals the input residents)."""
        return math.fsum(self.assignments["residents"].to_numpy(dtype=np.float64))

    @property
    def unserved_residents(self) -> float:
        """Residents with no school of the level in reach (or whose schools are full)."""
        a = self.assignments
        return math.fsum(a.loc[a["unserved"], "residents"].to_numpy(dtype=np.float64))


def _col(frame: pd.DataFrame, name: str) -> Any:
    if name in frame.columns:
        return pd.array(frame[name].astype("str").to_numpy(), dtype="str")
    return pd.array([None] * len(frame), dtype="str")


def per_demand(flow: Flow, n: int) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
    """Return each point's main school (most residents; ties: nearer, lower index) and counts."""
    assigned = flow.school >= 0
    if flow.single:  # one row per point: it is the main school (a 1 M-row sort saved)
        return (
            flow.school,
            np.where(assigned, flow.distance, np.nan),
            assigned.astype(np.int64),
            np.where(assigned, 0.0, flow.residents),
        )
    main: IntArray = np.full(n, -1, dtype=np.int64)
    dist: FloatArray = np.full(n, np.nan)
    dm, sm, rm, ddm = (
        flow.demand[assigned],
        flow.school[assigned],
        flow.residents[assigned],
        flow.distance[assigned],
    )
    if dm.size:
        order = np.lexsort((sm, ddm, -rm, dm))
        dm, sm, ddm = dm[order], sm[order], ddm[order]
        first = np.ones(dm.size, dtype=bool)
        first[1:] = dm[1:] != dm[:-1]
        main[dm[first]] = sm[first]
        dist[dm[first]] = ddm[first]
    n_sch: IntArray = np.bincount(dm, minlength=n).astype(np.int64)
    un = ~assigned
    unserved = np.bincount(flow.demand[un], weights=flow.residents[un], minlength=n).astype(
        np.float64
    )
    return main, dist, n_sch, unserved


def cell_index(est: Demand, cells: Demand, raster: RasterLike) -> IntArray:
    """Return the demand cell each estate lies in (-1: outside, or a cell of no residents)."""
    assert cells.cell is not None
    shape = np.asarray(raster.values).shape
    inv = ~raster.transform
    ex, ey = est.xy[:, 0], est.xy[:, 1]
    col = inv.a * ex + inv.b * ey + inv.c
    row = inv.d * ex + inv.e * ey + inv.f
    r = np.floor(np.asarray(row)).astype(np.int64)
    c = np.floor(np.asarray(col)).astype(np.int64)
    inside = (r >= 0) & (r < shape[0]) & (c >= 0) & (c < shape[1])
    flat = np.where(inside, r * shape[1] + c, -1)
    lookup = np.full(shape[0] * shape[1], -1, dtype=np.int64)
    lookup[cells.cell] = np.arange(cells.cell.size)
    return np.where(flat >= 0, lookup[np.maximum(flat, 0)], -1)


def estates_from_cells(
    est: Demand,
    cells: Demand,
    k: IntArray,
    main: IntArray,
    sxy: FloatArray,
    n_sch: IntArray,
    unserved_res: FloatArray,
    detour_factor: float,
) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
    """Derive estate flags from the cell ``k`` each lies in (capacitated raster assignment).

    ``k`` is from :func:`cell_index` (-1: in no cell of ``cells``).
    """
    has = k >= 0
    e_main = np.where(has, main[np.maximum(k, 0)], -1)
    ok = e_main >= 0
    e_dist = np.full(len(k), np.nan)
    e_dist[ok] = (
        np.hypot(est.xy[ok, 0] - sxy[e_main[ok], 0], est.xy[ok, 1] - sxy[e_main[ok], 1])
        * detour_factor
    )
    share = np.zeros(len(k))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        share[has] = unserved_res[k[has]] / cells.residents[k[has]]
    e_un = np.where(has, share * est.residents, np.where(ok, 0.0, est.residents))
    e_n = np.where(has, n_sch[np.maximum(k, 0)], 0)
    return e_main, e_dist, e_n.astype(np.int64), e_un


def estate_flags(
    estates: gpd.GeoDataFrame,
    counted: npt.NDArray[np.bool_],
    d: Demand,
    main: IntArray,
    dist: FloatArray,
    n_sch: IntArray,
    unserved_res: FloatArray,
    school_ids: npt.NDArray[Any],
    *,
    level: str,
    year: int,
    radius: FloatArray,
    walk: float,
    id_col: str,
    reach: tuple[FloatArray, FloatArray, FloatArray],
    rural: npt.NDArray[np.bool_],
) -> gpd.GeoDataFrame:
    """Return the per-estate table of :attr:`CatchmentResult.estates`, with its flags.

    ``radius``, ``reach`` (served, over capacity, out of reach) and ``rural`` are per
    counted estate, like ``d``.
    """
    n = len(estates)
    idx = np.flatnonzero(counted)
    res = np.zeros(n)
    res[idx] = d.residents
    sid = np.full(n, None, dtype=object)
    has = main >= 0
    sid[idx[has]] = school_ids[main[has]]
    distance = np.full(n, np.nan)
    distance[idx] = dist
    n_s = pd.array(np.zeros(n, dtype=np.int64), dtype="Int64")
    n_s[idx] = n_sch
    un_res = np.full(n, np.nan)
    un_res[idx] = unserved_res
    mask = ~counted
    radii = np.full(n, np.nan)
    radii[idx] = radius
    within = pd.arrays.BooleanArray(
        np.where(np.isfinite(distance), distance <= radii, False), mask=mask
    )
    parts = []
    for values in reach:
        full = np.full(n, np.nan)
        full[idx] = values
        parts.append(full)
    kind = np.full(n, None, dtype=object)
    kind[idx] = reach_class(d.residents, reach[1], reach[2])
    settlement = np.full(n, None, dtype=object)
    settlement[idx] = np.where(rural, "rural", "urban")
    unserved = pd.arrays.BooleanArray(np.nan_to_num(un_res) > 0, mask=mask)
    n_s[mask] = pd.NA
    return gpd.GeoDataFrame(
        {
            "estate_id": pd.array(estates[id_col].astype(str).to_numpy(), dtype="str"),
            "level": level,
            "year": np.int64(year),
            "counted": counted,
            "residents": res,
            "school_id": pd.array(sid, dtype="str"),
            "n_schools": n_s,
            "distance_m": distance,
            "walk_min": distance / walk,
            "within_radius": within,
            "unserved_residents": un_res,
            "unserved": unserved,
            "settlement": pd.array(settlement, dtype="str"),
            "radius_m": radii,
            "served_residents": parts[0],
            "over_capacity_residents": parts[1],
            "out_of_reach_residents": parts[2],
            "reach": pd.array(kind, dtype="str"),
        },
        index=estates.index,
        geometry=estates.geometry.copy(),
        crs=estates.crs,
    )


def assignments_frame(
    flow: Flow,
    demand: Demand,
    school_ids: npt.NDArray[Any],
    *,
    level: str,
    year: int,
    rate: float,
    walk: float,
) -> pd.DataFrame:
    """Return the tidy flows of :attr:`CatchmentResult.assignments`."""
    assigned = flow.school >= 0
    # one gather each (1 M rows on a raster): school -1 (unserved) picks the trailing None
    with_none = np.empty(len(school_ids) + 1, dtype=object)
    with_none[:-1] = school_ids
    sid = with_none[flow.school]
    ids = demand.ids if flow.single else demand.ids[flow.demand]
    return pd.DataFrame(
        {
            "demand_id": pd.array(ids, dtype="str"),
            "demand_type": demand.kind,
            "level": level,
            "year": np.int64(year),
            "school_id": pd.array(sid, dtype="str"),
            "residents": flow.residents,
            "demand": flow.residents * rate,
            "distance_m": flow.distance,
            "walk_min": flow.distance / walk,
            "unserved": ~assigned,
        }
    )


def schools_frame(
    flow: Flow,
    schools: gpd.GeoDataFrame,
    school_ids: npt.NDArray[Any],
    places: FloatArray,
    *,
    level: str,
    year: int,
    rate: float,
    crs: Any,
) -> gpd.GeoDataFrame:
    """Return the per-school table of :attr:`CatchmentResult.schools`, with its flags."""
    assigned = flow.school >= 0
    n_s = len(school_ids)
    res_s = np.bincount(flow.school[assigned], weights=flow.residents[assigned], minlength=n_s)
    pts_s = np.bincount(flow.school[assigned], minlength=n_s)
    dem_s = res_s * rate
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        util = np.where(places > 0, dem_s / places, np.nan)
    over = dem_s > places + OVER_TOL * np.maximum(places, 1.0)
    return gpd.GeoDataFrame(
        {
            "school_id": pd.array(school_ids, dtype="str"),
            "name": _col(schools, "name"),
            "school_level": pd.array(schools["level"].astype(str).to_numpy(), dtype="str"),
            "level": level,
            "year": np.int64(year),
            "district_id": _col(schools, "district_id"),
            "demand_points": pts_s.astype(np.int64),
            "residents": res_s,
            "demand": dem_s,
            "places": places,
            "utilisation": util,
            "over_capacity": over,
            "spare_places": places - dem_s,
        },
        geometry=gpd.GeoSeries(np.asarray(schools.geometry.array), crs=crs),
        crs=crs,
    )


def reach_split(
    flow: Flow,
    d: Demand,
    places: FloatArray,
    rate: float,
    *,
    capacitated: bool,
    in_reach: npt.NDArray[np.bool_],
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Split each demand point's residents into served, over capacity and out of reach.

    Capacitated flows are places (the LP respects capacity): a point's residents without
    a place are over capacity where a school is in reach (``in_reach``), else out of
    reach. Nearest and polygon flows ignore capacity: of the residents sent to a school
    whose demand exceeds its places, the share places ÷ demand is served (cut to multiples
    of :data:`QUANTUM`, so that served + over capacity = residents exactly) and the rest
    over capacity; residents sent nowhere are out of reach.
    """
    n = len(d.residents)
    assigned = flow.school >= 0
    rows, schools, res = flow.demand[assigned], flow.school[assigned], flow.residents[assigned]
    if capacitated:
        part = res
    else:
        demand_s = np.bincount(schools, weights=res, minlength=len(places)) * rate
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            share = np.where(demand_s > places, places / demand_s, 1.0)
        f = share[schools]
        part = np.where(f >= 1.0, res, np.floor(res * f / QUANTUM) * QUANTUM)
    served = np.bincount(rows, weights=part, minlength=n).astype(np.float64)
    rest = np.bincount(rows, weights=res - part, minlength=n).astype(np.float64)
    sent_nowhere = ~assigned
    rest += np.bincount(
        flow.demand[sent_nowhere], weights=flow.residents[sent_nowhere], minlength=n
    )
    reach_ok = in_reach | (np.bincount(rows, minlength=n) > 0)
    over = np.where(reach_ok, rest, 0.0)
    out = np.where(reach_ok, 0.0, rest)
    return served, over, out


def reach_class(
    residents: FloatArray, over: FloatArray, out: FloatArray
) -> npt.NDArray[np.object_]:
    """Each point's class: out of reach if any resident is, else over capacity, else served."""
    kind = np.where(out > 0, REACHES[2], np.where(over > 0, REACHES[1], REACHES[0])).astype(object)
    kind[~(residents > 0)] = None
    return kind


def reach_frame(
    d: Demand,
    served: FloatArray,
    over: FloatArray,
    out: FloatArray,
    *,
    radius: float,
) -> pd.DataFrame:
    """Return :attr:`CatchmentResult.reach`: one row per demand point."""
    n = len(d.residents)
    rural = d.rural if d.rural is not None else np.zeros(n, dtype=bool)
    return pd.DataFrame(
        {
            "demand_id": pd.array(d.ids, dtype="str"),
            "demand_type": d.kind,
            "settlement": np.where(rural, "rural", "urban"),
            "radius_m": d.radius if d.radius is not None else np.full(n, radius),
            "residents": d.residents,
            "served": served,
            "over_capacity": over,
            "out_of_reach": out,
            "reach": pd.array(reach_class(d.residents, over, out), dtype="str"),
        }
    )
