"""Catchments: which school each resident goes to, which schools overflow, who is unserved.

This module owns the assignment of residents to schools of one level and the flags derived
from it. Residents live in *demand points*: housing estates (their ``residents``, counted
from their ``completion_year``) or population-raster cells (residents per cell, the cell
centre as location). Three rules assign them, per level:

``nearest``
    Every demand point goes to its nearest open school of the level, if that school lies
    within the level's service radius (``load_standards().service_radius_m(level)``:
    500 m primary, 1,000 m junior, 300 m kindergarten); otherwise it is *unserved*.
``polygons``
    Existing catchment polygons (学区) supplied by the user decide: a demand point inside the
    polygon of a school goes to that school (the nearest one where polygons overlap); a
    point inside no polygon is unserved. Distances are still measured and reported.
``capacitated``
    A transport problem solved with HiGHS on a sparse candidate set (each demand point's
    schools within the service radius): place as many residents as the schools' places
    allow, then minimise the total resident-distance. Residents who cannot be placed within
    the radius are reported unserved — never forced into a full or far school. A demand
    point may be split between schools.

Primary demand can go to ``primary`` and ``nine_year`` schools, junior demand to ``junior``
and ``nine_year`` schools, each with its share of the nine-year school's places (the
``places_primary``/``places_junior`` columns of
:func:`xuewei.planning.supply.school_places`). Residents are turned into places demanded
with the per-thousand indicator: ``demand = residents × places_per_1000 ÷ 1000 × share``.

Conservation holds exactly: for every demand point, the residents of its rows in
:attr:`CatchmentResult.assignments` (assigned and unserved) add up to its input residents
in floating point, bit for bit (split flows are cut to multiples of 2⁻²⁰ residents so
that their sums are exact).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, get_args

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy import sparse
from scipy.optimize import linprog
from scipy.spatial import cKDTree

from xuewei.errors import ConfigError, CRSError, InfeasibleError, InputError, Problem

from .distance import RoadNetwork, _nearest_on_grid, nearest_within, pairs_within, point_xy

if TYPE_CHECKING:
    from affine import Affine

__all__ = [
    "CATCHMENT_LEVELS",
    "SERVING_LEVELS",
    "CatchmentMethod",
    "CatchmentResult",
    "assign_catchments",
    "catchment_levels",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

CatchmentMethod = Literal["nearest", "capacitated", "polygons"]
CatchmentLevel = Literal["primary", "junior", "kindergarten"]

#: Levels residents are assigned for (nine-year schools serve primary and junior).
CATCHMENT_LEVELS: tuple[str, ...] = get_args(CatchmentLevel)

#: School levels that offer places to the demand of each catchment level.
SERVING_LEVELS: dict[str, tuple[str, ...]] = {
    "primary": ("primary", "nine_year"),
    "junior": ("junior", "nine_year"),
    "kindergarten": ("kindergarten",),
}

_QUANTUM = 2.0**-20  # split flows are multiples of this many residents (sums stay exact)
_CRUMB_RESIDENTS = 1e-3  # LP round-off below this (residents) is not "unserved"
_OVER_TOL = 1e-6  # places: LP tolerance when flagging over capacity


class _Raster(Protocol):
    values: npt.NDArray[Any]
    transform: Affine
    crs: Any


class _Standards(Protocol):
    def service_radius_m(self, level: Any) -> float: ...

    @property
    def walk_speed_m_per_min(self) -> float: ...

    @property
    def default_scenario(self) -> float: ...

    @property
    def level_share(self) -> Any: ...

    def value(self, key_path: str) -> Any: ...


@dataclass(frozen=True)
class CatchmentResult:
    """Result of :func:`assign_catchments` for one level and year.

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
        ``within_radius``, ``unserved_residents``, ``unserved`` (any resident unserved).
        Flags are ``<NA>`` for estates not yet completed.
    catchments
        Catchment polygons for the map (GeoDataFrame, plan CRS): ``school_id``,
        ``level``, ``geometry``. Nearest: the schools' Voronoi cells within the radius;
        polygons: the polygons given; capacitated: the demand points' Voronoi cells (or
        raster cells) dissolved by school. Clipped to the districts when given.
    level, year, method
        What was computed.
    radius_m
        Service radius used, metres.
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

    @property
    def total_residents(self) -> float:
        """Residents assigned plus unserved (equals the input residents)."""
        return math.fsum(self.assignments["residents"].to_numpy(dtype=np.float64))

    @property
    def unserved_residents(self) -> float:
        """Residents with no school of the level in reach (or whose schools are full)."""
        a = self.assignments
        return math.fsum(a.loc[a["unserved"], "residents"].to_numpy(dtype=np.float64))


@dataclass(frozen=True)
class _Flow:
    """Internal flows: demand index, school index (-1 unserved), residents, distance.

    ``single`` marks flows with exactly one row per demand point, in demand order (nearest
    and polygons): their per-point summary needs no sort.
    """

    demand: IntArray
    school: IntArray
    residents: FloatArray
    distance: FloatArray
    single: bool = False


@dataclass(frozen=True)
class _Demand:
    ids: npt.NDArray[Any]
    kind: str
    xy: FloatArray
    residents: FloatArray
    cell: IntArray | None = None  # flat raster index of each demand cell
    grid: tuple[Any, tuple[int, int]] | None = None  # the raster's transform and shape


def catchment_levels() -> tuple[str, ...]:
    """Return the levels :func:`assign_catchments` accepts.

    Examples
    --------
    >>> catchment_levels()
    ('primary', 'junior', 'kindergarten')
    """
    return CATCHMENT_LEVELS


# ----------------------------------------------------------------------------- inputs


def _check_projected(frame: gpd.GeoDataFrame | None, name: str, crs: Any) -> None:
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


def _places_per_resident(standards: _Standards, level: str, places_per_1000: float | None) -> float:
    if level == "kindergarten":
        if places_per_1000 is not None:
            return places_per_1000 / 1000.0
        try:
            return float(standards.value("places_per_1000.kindergarten")) / 1000.0
        except (KeyError, LookupError, ValueError) as exc:
            # no national or seed figure is collected for kindergarten places per 1,000
            raise ConfigError(
                "kindergarten demand needs places per 1,000 residents: pass "
                "places_per_1000=… or set places_per_1000.kindergarten in the plan's "
                "[standards] with its local source"
            ) from exc
    per_1000 = standards.default_scenario if places_per_1000 is None else places_per_1000
    return float(per_1000) / 1000.0 * float(standards.level_share[level])


def _level_schools(
    schools: gpd.GeoDataFrame, level: str, year: int, standards: _Standards
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


def _estate_demand(
    estates: gpd.GeoDataFrame, year: int, residents_col: str, id_col: str
) -> tuple[_Demand, npt.NDArray[np.bool_]]:
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
    return _Demand(ids[idx], "estate", xy[idx], res[idx]), counted


def _raster_demand(raster: _Raster) -> _Demand:
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
    return _Demand(
        ids,
        "cell",
        np.column_stack([x, y]),
        values.ravel()[flat],
        cell=flat.astype(np.int64),
        grid=(t, (int(values.shape[0]), ncols)),
    )


# ----------------------------------------------------------------------------- rules


def _assign_nearest(
    d: _Demand,
    sxy: FloatArray,
    *,
    radius_m: float,
    detour_factor: float,
    network: RoadNetwork | None,
) -> _Flow:
    if network is None and d.grid is not None and d.cell is not None:
        # raster cells: whole blocks of cells settled at once (same result, ~3× faster)
        transform, shape = d.grid
        rows, cols = np.divmod(d.cell, shape[1])
        idx, dist = _nearest_on_grid(
            d.xy, rows, cols, transform, shape, sxy, radius_m=radius_m, detour_factor=detour_factor
        )
    else:
        idx, dist = nearest_within(
            d.xy, sxy, radius_m=radius_m, detour_factor=detour_factor, network=network
        )
    return _Flow(
        np.arange(len(d.residents), dtype=np.int64),
        idx,
        d.residents,
        np.where(idx >= 0, dist, np.nan),
        single=True,
    )


def _assign_polygons(
    d: _Demand,
    sxy: FloatArray,
    school_ids: npt.NDArray[Any],
    polygons: gpd.GeoDataFrame,
    *,
    level: str,
    detour_factor: float,
) -> _Flow:
    if "school_id" not in polygons.columns:
        raise InputError(
            [Problem("catchment_polygons", "missing column `school_id`; one polygon per school.")]
        )
    poly = polygons
    if "level" in poly.columns:
        plv = poly["level"].astype(str).to_numpy()
        poly = poly.loc[np.isin(plv, SERVING_LEVELS[level])]
    pos = {s: i for i, s in enumerate(school_ids)}
    pid = poly["school_id"].astype(str).to_numpy()
    school_of = np.array([pos.get(s, -1) for s in pid], dtype=np.int64)
    # polygons of schools that do not serve this level (or are closed) are left out
    geoms = np.asarray(poly.geometry.array)[school_of >= 0]
    school_of = school_of[school_of >= 0]
    n = len(d.residents)
    best = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    if geoms.size and n:
        tree = shapely.STRtree(geoms)
        pts = shapely.points(d.xy)
        pi, gi = tree.query(pts, predicate="intersects")
        sj = school_of[gi]
        dd = np.hypot(d.xy[pi, 0] - sxy[sj, 0], d.xy[pi, 1] - sxy[sj, 1]) * detour_factor
        order = np.lexsort((sj, dd, pi))  # per point: nearest school first, then lower index
        pi, sj, dd = pi[order], sj[order], dd[order]
        first = np.ones(pi.size, dtype=bool)
        first[1:] = pi[1:] != pi[:-1]
        best[pi[first]] = sj[first]
        dist[pi[first]] = dd[first]
    return _Flow(np.arange(n, dtype=np.int64), best, d.residents, dist, single=True)


def _assign_capacitated(
    d: _Demand,
    sxy: FloatArray,
    capacity_residents: FloatArray,
    *,
    radius_m: float,
    detour_factor: float,
    network: RoadNetwork | None,
) -> _Flow:
    """Transport LP: served first, then least resident-distance, on pairs within radius.

    Variables x_k ≥ 0 (residents of pair k); rows: Σ_k∈i x_k ≤ R_i per demand point,
    Σ_k∈j x_k ≤ C_j per school; objective Σ (d_k / r − P) x_k with P = schools + 1, so
    placing one more resident always beats any rerouting (an augmenting path uses at most
    one pair per school, each costing at most r).
    """
    n = len(d.residents)
    usable = capacity_residents > 0
    pairs = pairs_within(d.xy, sxy, radius_m=radius_m, detour_factor=detour_factor, network=network)
    keep = usable[pairs.dest] & (d.residents[pairs.origin] > 0)
    oi, sj, dist = pairs.origin[keep], pairs.dest[keep], pairs.distance_m[keep]
    x = np.zeros(oi.size)
    if oi.size:
        rows_d, inv_d = np.unique(oi, return_inverse=True)
        rows_s, inv_s = np.unique(sj, return_inverse=True)
        k = np.arange(oi.size)
        a_ub = sparse.vstack(
            [
                sparse.csr_matrix((np.ones(oi.size), (inv_d, k)), shape=(rows_d.size, oi.size)),
                sparse.csr_matrix((np.ones(oi.size), (inv_s, k)), shape=(rows_s.size, oi.size)),
            ],
            format="csr",
        )
        b_ub = np.concatenate([d.residents[rows_d], capacity_residents[rows_s]])
        scale = radius_m if np.isfinite(radius_m) and radius_m > 0 else max(dist.max(), 1.0)
        penalty = float(rows_s.size + 1)
        c = dist / scale - penalty
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if res.status != 0 or res.x is None:
            raise InfeasibleError(f"the capacitated assignment failed in HiGHS: {res.message}")
        x = np.clip(np.asarray(res.x, dtype=np.float64), 0.0, None)
    x = np.floor(x / _QUANTUM) * _QUANTUM
    # the LP's tolerance may leave a point over its residents by ~1e-7: trim the largest flow
    served = np.bincount(oi, weights=x, minlength=n) if oi.size else np.zeros(n)
    for i in np.flatnonzero(served > d.residents):
        ks = np.flatnonzero(oi == i)
        top = ks[np.argmax(x[ks])]
        excess = served[i] - d.residents[i]
        x[top] = max(x[top] - math.ceil(excess / _QUANTUM) * _QUANTUM, 0.0)
    pos = x > 0
    oi, sj, dist, x = oi[pos], sj[pos], dist[pos], x[pos]
    served = np.bincount(oi, weights=x, minlength=n) if oi.size else np.zeros(n)
    # Flooring to the grid (and the LP's own tolerance) leaves crumbs of ~1e-7 residents:
    # they belong to the point's largest flow, not to "unserved" (which would flag the
    # estate). Schools then exceed their places by at most the crumbs, within _OVER_TOL.
    crumbs = d.residents - served
    snap = (crumbs > 0) & (crumbs < _CRUMB_RESIDENTS) & (served > 0)
    if snap.any():
        order = np.lexsort((-x, oi))
        first = np.ones(order.size, dtype=bool)
        first[1:] = oi[order][1:] != oi[order][:-1]
        top = np.full(n, -1, dtype=np.int64)
        top[oi[order][first]] = order[first]
        idx = np.flatnonzero(snap)
        np.add.at(x, top[idx], crumbs[idx])
        served = np.bincount(oi, weights=x, minlength=n)
    unserved = d.residents - served  # exact: both are on the 2⁻²⁰ grid below 2³³
    un = np.flatnonzero((unserved > 0) | (served == 0))
    demand = np.concatenate([oi, un])
    school = np.concatenate([sj, np.full(un.size, -1, dtype=np.int64)])
    flow = np.concatenate([x, unserved[un]])
    distance = np.concatenate([dist, np.full(un.size, np.nan)])
    order = np.lexsort((school < 0, demand))
    return _Flow(demand[order], school[order], flow[order], distance[order])


# ----------------------------------------------------------------------------- polygons


def _voronoi_cells(xy: FloatArray, extent: Any) -> npt.NDArray[Any]:
    """Voronoi cell of every point (duplicates share one cell), bounded by ``extent``."""
    if len(xy) == 0:
        return np.zeros(0, dtype=object)
    uniq, inv = np.unique(xy, axis=0, return_inverse=True)
    inv = inv.ravel()
    if len(uniq) == 1:
        cells = np.array([extent], dtype=object)
    elif cKDTree(uniq).query(uniq, k=2)[0][:, 1].min() < 1e-3:
        # distinct points under a millimetre apart: GEOS may fail or return invalid cells
        return _voronoi_snapped(xy, extent)
    else:
        try:
            regions = shapely.voronoi_polygons(
                shapely.multipoints(uniq), extend_to=extent, ordered=True
            )
            cells = np.asarray(shapely.get_parts(regions), dtype=object)
        except shapely.errors.GEOSException:
            cells = np.zeros(0, dtype=object)
        if len(cells) != len(uniq):
            return _voronoi_snapped(xy, extent)
    return cells[inv]


def _voronoi_snapped(xy: FloatArray, extent: Any) -> npt.NDArray[Any]:
    """:func:`_voronoi_cells` where some distinct points nearly coincide.

    GEOS merges such points (or fails on them, also with its ``tolerance``) at ~1e-17 m
    apart: the points are rounded to the millimetre; the cell of a rounded location goes
    to the first point there (the lowest index, as nearest assignment breaks ties) and to
    its exact duplicates; the other points of that location get an empty cell.
    """
    snapped, first, inv = np.unique(np.round(xy, 3), axis=0, return_index=True, return_inverse=True)
    inv = inv.ravel()
    if len(snapped) == 1:
        cells = np.array([extent], dtype=object)
    else:
        regions = shapely.voronoi_polygons(
            shapely.multipoints(snapped), extend_to=extent, ordered=True
        )
        cells = np.asarray(shapely.get_parts(regions), dtype=object)
    owner = np.all(xy == xy[first[inv]], axis=1)
    out: npt.NDArray[Any] = cells[inv]
    out[~owner] = shapely.Polygon()
    return out


def _bounds(xy: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Lower-left and upper-right of ``(n, 2)`` points (n ≥ 1).

    Column by column: ``xy.min(axis=0)`` on a million rows of two columns is ~50× slower.
    """
    x, y = xy[:, 0], xy[:, 1]
    return np.array([x.min(), y.min()]), np.array([x.max(), y.max()])


def _clip_area(districts: gpd.GeoDataFrame | None) -> Any:
    if districts is None or len(districts) == 0:
        return None
    return shapely.union_all(np.asarray(districts.geometry.array))


def _catchment_frame(
    school_ids: npt.NDArray[Any], geoms: npt.NDArray[Any], level: str, crs: Any
) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"school_id": pd.array(school_ids, dtype="str"), "level": level},
        geometry=gpd.GeoSeries(geoms, crs=crs),
        crs=crs,
    )
    frame = frame.loc[~frame.geometry.is_empty].reset_index(drop=True)
    return frame


def _nearest_catchments(
    sxy: FloatArray,
    school_ids: npt.NDArray[Any],
    *,
    radius_m: float,
    detour_factor: float,
    clip: Any,
    demand_xy: FloatArray,
) -> npt.NDArray[Any]:
    if len(sxy) == 0:
        return np.zeros(0, dtype=object)
    reach = radius_m / detour_factor
    pts = shapely.points(sxy)
    if clip is not None:
        extent = clip.envelope
    else:
        pad = reach if np.isfinite(reach) else 1000.0
        lo, hi = _bounds(sxy)
        if len(demand_xy):
            dlo, dhi = _bounds(demand_xy)
            lo, hi = np.minimum(lo, dlo), np.maximum(hi, dhi)
        extent = shapely.box(*(lo - pad), *(hi + pad))
    cells = _voronoi_cells(sxy, extent)
    # duplicate locations: the first school of each location gets the cell (as in nearest)
    _, first = np.unique(sxy, axis=0, return_index=True)
    owner = np.zeros(len(sxy), dtype=bool)
    owner[first] = True
    cells = cells.copy()
    cells[~owner] = shapely.Polygon()
    if np.isfinite(reach):
        cells = shapely.intersection(cells, shapely.buffer(pts, reach, quad_segs=16))
    if clip is not None:
        cells = shapely.intersection(cells, clip)
    return np.asarray(cells, dtype=object)


def _dissolved_catchments(
    d: _Demand,
    main: IntArray,
    *,
    radius_m: float,
    detour_factor: float,
    clip: Any,
    raster: _Raster | None,
) -> tuple[IntArray, npt.NDArray[Any]]:
    """Polygons of the demand each school takes (its main school), dissolved by school."""
    has = main >= 0
    if not has.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    if raster is not None and d.cell is not None:
        import rasterio.features

        shape = np.asarray(raster.values).shape
        lab = np.full(shape[0] * shape[1], -1, dtype=np.int32)
        lab[d.cell[has]] = main[has].astype(np.int32)
        lab2 = lab.reshape(shape)
        schools_: list[int] = []
        polys: list[Any] = []
        for geom, value in rasterio.features.shapes(
            lab2, mask=lab2 >= 0, transform=raster.transform, connectivity=4
        ):
            schools_.append(int(value))
            polys.append(shapely.geometry.shape(geom))
        s = np.asarray(schools_, dtype=np.int64)
        g = np.asarray(polys, dtype=object)
    else:
        xy = d.xy
        reach = radius_m / detour_factor
        pad = reach if np.isfinite(reach) else 1000.0
        lo, hi = _bounds(xy)
        extent = shapely.box(*(lo - pad), *(hi + pad))
        cells = _voronoi_cells(xy, extent)
        if np.isfinite(reach):
            cells = shapely.intersection(cells, shapely.buffer(shapely.points(xy), reach))
        s = main[has]
        g = cells[has]
    out_s = np.unique(s)
    out_g = np.array(
        [shapely.union_all(g[s == k]) for k in out_s] if out_s.size <= 2000 else [], dtype=object
    )
    if out_s.size > 2000:  # many schools: one grouped union via geopandas
        frame = gpd.GeoDataFrame({"s": s}, geometry=list(g)).dissolve("s")
        out_s = frame.index.to_numpy(dtype=np.int64)
        out_g = np.asarray(frame.geometry.array, dtype=object)
    if clip is not None:
        out_g = shapely.intersection(out_g, clip)
    return out_s, out_g


# ----------------------------------------------------------------------------- main


def assign_catchments(
    estates: gpd.GeoDataFrame | None,
    schools: gpd.GeoDataFrame,
    *,
    level: CatchmentLevel,
    year: int,
    standards: _Standards,
    method: CatchmentMethod = "nearest",
    districts: gpd.GeoDataFrame | None = None,
    catchment_polygons: gpd.GeoDataFrame | None = None,
    raster: _Raster | None = None,
    places_per_1000: float | None = None,
    radius_m: float | None = None,
    detour_factor: float = 1.0,
    network: RoadNetwork | None = None,
    residents_col: str = "residents",
    estate_id_col: str = "estate_id",
) -> CatchmentResult:
    """Assign residents to schools of one level and flag over-capacity schools and unserved estates.

    Demand points are the estates completed by ``year`` (their ``residents``), or — when
    ``raster`` is given — the raster's cells (residents per cell; estates then only get
    flags). Schools of the level (``nine_year`` schools for primary and junior) open in
    ``year`` (``opened`` ≤ year < ``closing`` where given) offer their places at the level.
    Every resident ends up assigned to exactly one school or unserved, never both.

    Parameters
    ----------
    estates
        Estates (points or polygons, plan CRS) with ``estate_id``, ``residents`` and
        optionally ``completion_year`` (missing = already built), as from
        :func:`xuewei.gis.read_estates`. ``None`` with a ``raster``.
    schools
        Schools (points, plan CRS) with ``school_id``, ``level`` and their places:
        ``places_primary``/``places_junior`` (kindergartens: ``places``) as from
        :func:`xuewei.planning.school_places` (required: ``gis`` does not apply the
        standards itself). Optional ``opened``, ``closing``, ``name``, ``district_id``.
    level
        ``"primary"``, ``"junior"`` or ``"kindergarten"``.
    year
        The year assessed: estates completed after it and schools not open in it are left
        out.
    standards
        From :func:`xuewei.data.load_standards`: the service radius of the level, the
        walking speed, the places per 1,000 residents and the level shares.
    method
        ``"nearest"``, ``"polygons"`` (needs ``catchment_polygons``) or ``"capacitated"``;
        see the module documentation.
    districts
        District polygons; derived catchments are clipped to them.
    catchment_polygons
        Existing catchments (学区): polygons with ``school_id`` (and optionally ``level``).
    raster
        A population raster (:func:`xuewei.gis.read_population_raster`, or one allocated
        to a forecast year with :func:`xuewei.gis.allocate_to_cells`) in the plan CRS.
    places_per_1000
        Places per 1,000 residents (the scenario) for primary + junior, split by the level
        shares; default the standards' central scenario. For kindergartens: kindergarten
        places per 1,000 residents (``places_per_1000.kindergarten`` of the standards, which
        a plan must set with its local source; there is no national default).
    radius_m
        Service radius in metres; default ``standards.service_radius_m(level)``.
    detour_factor
        Walking distance ÷ straight-line distance (≥ 1) when no ``network`` is given.
    network
        A :class:`~xuewei.gis.RoadNetwork`: distances along roads (nearest and
        capacitated).
    residents_col, estate_id_col
        Column names in ``estates``.

    Returns
    -------
    CatchmentResult
        ``assignments``, ``schools``, ``estates``, ``catchments`` — see
        :class:`CatchmentResult` for the columns.

    Raises
    ------
    InputError
        Missing columns, negative residents or places, polygons method without polygons.
    CRSError
        Inputs not in one projected CRS.
    InfeasibleError
        HiGHS failed to solve the capacitated assignment.

    Examples
    --------
    Two estates 300 m and 800 m from the only primary school of 45 places; 85 places per
    1,000 residents, two thirds primary: 1,000 residents demand 56.67 places.

    >>> import shapely
    >>> from xuewei.data import load_standards
    >>> schools = gpd.GeoDataFrame({"school_id": ["p1"], "level": ["primary"],
    ...     "places_primary": [45.0], "places_junior": [0.0]},
    ...     geometry=[shapely.Point(0, 0)], crs=4547)
    >>> estates = gpd.GeoDataFrame({"estate_id": ["a", "b"], "residents": [600.0, 400.0]},
    ...     geometry=[shapely.Point(300, 0), shapely.Point(800, 0)], crs=4547)
    >>> r = assign_catchments(estates, schools, level="primary", year=2025,
    ...                       standards=load_standards())
    >>> r.estates[["school_id", "distance_m", "unserved"]].to_dict("list")
    {'school_id': ['p1', nan], 'distance_m': [300.0, nan], 'unserved': [False, True]}
    >>> s = r.schools.iloc[0]
    >>> float(round(s.demand, 2)), bool(s.over_capacity), r.unserved_residents
    (34.0, False, 400.0)
    """
    if level not in CATCHMENT_LEVELS:
        raise ValueError(
            f"level={level!r}; expected one of {', '.join(CATCHMENT_LEVELS)} (nine-year "
            "schools serve both primary and junior demand)."
        )
    if method not in get_args(CatchmentMethod):
        raise ValueError(
            f"method={method!r}; expected one of {', '.join(get_args(CatchmentMethod))}."
        )
    if method == "polygons" and catchment_polygons is None:
        raise InputError(
            [
                Problem(
                    "catchment_polygons",
                    "method='polygons' needs catchment_polygons (学区: one polygon per "
                    "school with `school_id`).",
                )
            ]
        )
    if estates is None and raster is None:
        raise InputError([Problem("estates", "give estates, a population raster, or both.")])
    if not detour_factor >= 1.0:
        raise ValueError(f"detour_factor={detour_factor!r}; expected a number ≥ 1.")
    _check_projected(schools, "schools", None)
    crs = schools.crs
    _check_projected(estates, "estates", crs)
    _check_projected(catchment_polygons, "catchment_polygons", crs)
    if districts is not None and districts.crs is not None and not districts.crs.equals(crs):
        districts = districts.to_crs(crs)
    if raster is not None:
        rcrs = raster.crs
        if rcrs is None or not crs.equals(rcrs):
            raise CRSError(
                f"the population raster is in {getattr(rcrs, 'to_string', lambda: rcrs)()} "
                f"but the schools are in {crs.to_string()}; warp the raster to the plan CRS."
            )
    radius = float(standards.service_radius_m(level) if radius_m is None else radius_m)
    walk = float(standards.walk_speed_m_per_min)
    rate = _places_per_resident(standards, level, places_per_1000)
    lvl_schools, places = _level_schools(schools, level, year, standards)
    sxy = point_xy(lvl_schools) if len(lvl_schools) else np.zeros((0, 2))
    school_ids = lvl_schools["school_id"].astype(str).to_numpy()

    counted: npt.NDArray[np.bool_] | None = None
    estate_demand: _Demand | None = None
    if estates is not None:
        estate_demand, counted = _estate_demand(estates, year, residents_col, estate_id_col)
    demand = _raster_demand(raster) if raster is not None else estate_demand
    assert demand is not None

    def run(dm: _Demand) -> _Flow:
        if method == "nearest":
            return _assign_nearest(
                dm, sxy, radius_m=radius, detour_factor=detour_factor, network=network
            )
        if method == "polygons":
            assert catchment_polygons is not None
            return _assign_polygons(
                dm, sxy, school_ids, catchment_polygons, level=level, detour_factor=detour_factor
            )
        return _assign_capacitated(
            dm,
            sxy,
            places / rate,
            radius_m=radius,
            detour_factor=detour_factor,
            network=network,
        )

    flow = run(demand)
    main, main_dist, n_sch, unserved_res = _per_demand(flow, len(demand.residents))

    # -- assignments (tidy)
    assigned = flow.school >= 0
    # one gather each (1 M rows on a raster): school -1 (unserved) picks the trailing None
    with_none = np.empty(len(school_ids) + 1, dtype=object)
    with_none[:-1] = school_ids
    sid = with_none[flow.school]
    ids = demand.ids if flow.single else demand.ids[flow.demand]
    assignments = pd.DataFrame(
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

    # -- schools
    n_s = len(school_ids)
    res_s = np.bincount(flow.school[assigned], weights=flow.residents[assigned], minlength=n_s)
    pts_s = np.bincount(flow.school[assigned], minlength=n_s)
    dem_s = res_s * rate
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(places > 0, dem_s / places, np.nan)
    over = dem_s > places + _OVER_TOL * np.maximum(places, 1.0)
    school_out = gpd.GeoDataFrame(
        {
            "school_id": pd.array(school_ids, dtype="str"),
            "name": _col(lvl_schools, "name"),
            "school_level": pd.array(lvl_schools["level"].astype(str).to_numpy(), dtype="str"),
            "level": level,
            "year": np.int64(year),
            "district_id": _col(lvl_schools, "district_id"),
            "demand_points": pts_s.astype(np.int64),
            "residents": res_s,
            "demand": dem_s,
            "places": places,
            "utilisation": util,
            "over_capacity": over,
            "spare_places": places - dem_s,
        },
        geometry=gpd.GeoSeries(np.asarray(lvl_schools.geometry.array), crs=crs),
        crs=crs,
    )

    # -- estates
    if estates is not None:
        assert counted is not None and estate_demand is not None
        if raster is None:
            e_main, e_dist, e_n, e_un = main, main_dist, n_sch, unserved_res
        elif method == "capacitated":
            e_main, e_dist, e_n, e_un = _estates_from_cells(
                estate_demand, demand, raster, main, sxy, n_sch, unserved_res, detour_factor
            )
        else:
            e_flow = run(estate_demand)
            e_main, e_dist, e_n, e_un = _per_demand(e_flow, len(estate_demand.residents))
        estates_out = _estate_flags(
            estates,
            counted,
            estate_demand,
            e_main,
            e_dist,
            e_n,
            e_un,
            school_ids,
            level=level,
            year=year,
            radius=radius,
            walk=walk,
            id_col=estate_id_col,
        )
    else:
        estates_out = gpd.GeoDataFrame(
            {"estate_id": pd.array([], dtype="str")}, geometry=gpd.GeoSeries([], crs=crs)
        )

    # -- catchment polygons
    clip = _clip_area(districts)
    if method == "nearest" and network is None:
        geoms = _nearest_catchments(
            sxy,
            school_ids,
            radius_m=radius,
            detour_factor=detour_factor,
            clip=clip,
            demand_xy=demand.xy,
        )
        catchments = _catchment_frame(school_ids, geoms, level, crs)
    elif method == "polygons":
        assert catchment_polygons is not None
        cp = catchment_polygons
        keep = cp["school_id"].astype(str).isin(set(school_ids)).to_numpy()
        if "level" in cp.columns:
            keep &= cp["level"].astype(str).isin(SERVING_LEVELS[level]).to_numpy()
        cp = cp.loc[keep]
        geoms = np.asarray(cp.geometry.array, dtype=object)
        if clip is not None:
            geoms = shapely.intersection(geoms, clip)
        catchments = _catchment_frame(cp["school_id"].astype(str).to_numpy(), geoms, level, crs)
    else:
        ks, geoms = _dissolved_catchments(
            demand,
            main,
            radius_m=radius,
            detour_factor=detour_factor,
            clip=clip,
            raster=raster,
        )
        catchments = _catchment_frame(school_ids[ks], geoms, level, crs)

    return CatchmentResult(
        assignments=assignments,
        schools=school_out,
        estates=estates_out,
        catchments=catchments,
        level=level,
        year=int(year),
        method=method,
        radius_m=radius,
        places_per_resident=rate,
    )


def _col(frame: pd.DataFrame, name: str) -> Any:
    if name in frame.columns:
        return pd.array(frame[name].astype("str").to_numpy(), dtype="str")
    return pd.array([None] * len(frame), dtype="str")


def _per_demand(flow: _Flow, n: int) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
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


def _estates_from_cells(
    est: _Demand,
    cells: _Demand,
    raster: _Raster,
    main: IntArray,
    sxy: FloatArray,
    n_sch: IntArray,
    unserved_res: FloatArray,
    detour_factor: float,
) -> tuple[IntArray, FloatArray, IntArray, FloatArray]:
    """Derive estate flags from the cell each lies in (capacitated raster assignment)."""
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
    k = np.where(flat >= 0, lookup[np.maximum(flat, 0)], -1)
    has = k >= 0
    e_main = np.where(has, main[np.maximum(k, 0)], -1)
    ok = e_main >= 0
    e_dist = np.full(len(k), np.nan)
    e_dist[ok] = (
        np.hypot(est.xy[ok, 0] - sxy[e_main[ok], 0], est.xy[ok, 1] - sxy[e_main[ok], 1])
        * detour_factor
    )
    share = np.zeros(len(k))
    with np.errstate(divide="ignore", invalid="ignore"):
        share[has] = unserved_res[k[has]] / cells.residents[k[has]]
    e_un = np.where(has, share * est.residents, np.where(ok, 0.0, est.residents))
    e_n = np.where(has, n_sch[np.maximum(k, 0)], 0)
    return e_main, e_dist, e_n.astype(np.int64), e_un


def _estate_flags(
    estates: gpd.GeoDataFrame,
    counted: npt.NDArray[np.bool_],
    d: _Demand,
    main: IntArray,
    dist: FloatArray,
    n_sch: IntArray,
    unserved_res: FloatArray,
    school_ids: npt.NDArray[Any],
    *,
    level: str,
    year: int,
    radius: float,
    walk: float,
    id_col: str,
) -> gpd.GeoDataFrame:
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
    within = pd.arrays.BooleanArray(
        np.where(np.isfinite(distance), distance <= radius, False), mask=mask
    )
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
        },
        index=estates.index,
        geometry=estates.geometry.copy(),
        crs=estates.crs,
    )
