"""Catchments: which school each resident goes to, which schools overflow, who is unserved.

This module owns the assignment of residents to schools of one level: the arguments
checked, the rule applied, the result assembled. The parts live beside it: the demand
points and schools (``_catchment_inputs``), one module per rule (``_assign_nearest``,
``_assign_capacitated``, ``_assign_polygons``), the result and its flags
(:mod:`~xuewei.gis.catchment_result`) and the polygons for the map
(``_catchment_shapes``).

Residents live in *demand points*: housing estates (their ``residents``, counted from
their ``completion_year``) or population-raster cells (residents per cell, the cell centre
as location). Three rules assign them, per level:

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

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from xuewei.errors import ConfigError, CRSError, InputError, Problem, StandardsError
from xuewei.vocabulary import (
    CATCHMENT_LEVELS,
    CATCHMENT_METHODS,
    SERVING_LEVELS,
    SETTLEMENT_RULES,
    CatchmentLevel,
    CatchmentMethod,
    SettlementRule,
)

from ._assign_capacitated import assign_capacitated
from ._assign_nearest import assign_nearest
from ._assign_polygons import assign_polygons
from ._catchment_inputs import (
    Demand,
    FloatArray,
    Flow,
    IntArray,
    RasterLike,
    check_plan_crs,
    estate_demand,
    level_schools,
    raster_demand,
)
from ._catchment_shapes import (
    catchment_frame,
    clip_area,
    dissolved_catchments,
    given_catchments,
    nearest_catchments,
)
from ._reach import estate_reach, given_settlement, rule_radius, settle, split_of
from .catchment_result import (
    CatchmentResult,
    assignments_frame,
    cell_index,
    estate_flags,
    estates_from_cells,
    per_demand,
    reach_frame,
    schools_frame,
)
from .distance import point_xy
from .network import RoadNetwork

if TYPE_CHECKING:
    from xuewei.data import Standards

__all__ = [
    "CATCHMENT_LEVELS",
    "SERVING_LEVELS",
    "CatchmentLevel",
    "CatchmentMethod",
    "CatchmentResult",
    "assign_catchments",
    "catchment_levels",
]


def catchment_levels() -> tuple[str, ...]:
    """Return the levels :func:`assign_catchments` accepts.

    Examples
    --------
    >>> catchment_levels()
    ('primary', 'junior', 'kindergarten')
    """
    return CATCHMENT_LEVELS


def assign_catchments(
    estates: gpd.GeoDataFrame | None,
    schools: gpd.GeoDataFrame,
    *,
    level: CatchmentLevel,
    year: int,
    standards: Standards,
    method: CatchmentMethod = "nearest",
    districts: gpd.GeoDataFrame | None = None,
    catchment_polygons: gpd.GeoDataFrame | None = None,
    raster: RasterLike | None = None,
    places_per_1000: float | None = None,
    radius_m: float | None = None,
    detour_factor: float = 1.0,
    network: RoadNetwork | None = None,
    residents_col: str = "residents",
    estate_id_col: str = "estate_id",
    settlement: SettlementRule = "column",
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
        Service radius in metres, for urban and rural points alike; default each point's
        own: ``standards.service_radius_m(level, settlement)`` (500 m urban, 2.5 km rural
        primary).
    detour_factor
        Walking distance ÷ straight-line distance (≥ 1) when no ``network`` is given.
    network
        A :class:`~xuewei.gis.RoadNetwork`: distances along roads (nearest and
        capacitated).
    residents_col, estate_id_col
        Column names in ``estates``.
    settlement
        Which points are rural (and get the rural radius): ``"column"`` — the estates'
        ``settlement`` column (urban/rural, 城镇/乡村…) where given, else urban;
        ``"density"`` — the column where given, else the density rule of
        :mod:`xuewei.gis.settlement` on the demand points' residents in ``year`` (raster
        cells: the rule alone); ``"urban"`` — every point urban.

    Returns
    -------
    CatchmentResult
        ``assignments``, ``schools``, ``estates``, ``reach`` (each demand point's residents
        served, in reach of a full school, or out of reach), ``catchments`` — see
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
    _check_arguments(level, method, estates, catchment_polygons, raster, detour_factor)
    if settlement not in SETTLEMENT_RULES:
        raise ConfigError(f"settlement={settlement!r}; expected one of {SETTLEMENT_RULES}")
    crs, districts = _plan_crs(schools, estates, catchment_polygons, districts, raster)
    radii = _radii(standards, level, radius_m, settlement)
    urban_radius, density = radii[0], settlement == "density"
    walk = float(standards.walk_speed_m_per_min)
    rate = _places_per_resident(standards, level, places_per_1000)
    lvl_schools, places = level_schools(schools, level, year)
    sxy = point_xy(lvl_schools) if len(lvl_schools) else np.zeros((0, 2))
    school_ids = lvl_schools["school_id"].astype(str).to_numpy()

    counted: npt.NDArray[np.bool_] | None = None
    e_demand: Demand | None = None
    if estates is not None:
        e_demand, counted = estate_demand(estates, year, residents_col, estate_id_col)
        given = None if settlement == "urban" else given_settlement(estates, counted)
        e_demand = settle(e_demand, given, density=density, standards=standards, radii=radii)
    demand = e_demand
    if raster is not None:
        demand = settle(
            raster_demand(raster), None, density=density, standards=standards, radii=radii
        )
    assert demand is not None
    radius = rule_radius(urban_radius, demand, e_demand)
    rule = _Rule(
        method, level, sxy, school_ids, places, rate, catchment_polygons, radius, detour_factor
    )
    flow = rule(demand, network)
    summary = per_demand(flow, len(demand.residents))
    split = rule.split(flow, demand, network)
    assignments = assignments_frame(
        flow, demand, school_ids, level=level, year=year, rate=rate, walk=walk
    )
    school_out = schools_frame(
        flow, lvl_schools, school_ids, places, level=level, year=year, rate=rate, crs=crs
    )
    estates_out = _estates_table(
        estates,
        counted,
        e_demand,
        demand,
        raster,
        rule,
        summary,
        split,
        network=network,
        year=year,
        walk=walk,
        id_col=estate_id_col,
        crs=crs,
    )
    catchments = _map_catchments(
        method,
        demand,
        summary[0],
        sxy,
        school_ids,
        catchment_polygons,
        clip=clip_area(districts),
        level=level,
        radius=radius,
        detour_factor=detour_factor,
        network=network,
        raster=raster,
        crs=crs,
    )
    return CatchmentResult(
        assignments=assignments,
        schools=school_out,
        estates=estates_out,
        catchments=catchments,
        level=level,
        year=int(year),
        method=method,
        radius_m=urban_radius,
        places_per_resident=rate,
        reach=reach_frame(demand, *split, radius=urban_radius),
    )


@dataclass(frozen=True)
class _Rule:
    """The assignment rule with its schools and parameters: ``rule(demand, network)``."""

    method: str
    level: str
    sxy: FloatArray
    school_ids: npt.NDArray[Any]
    places: FloatArray
    rate: float
    polygons: gpd.GeoDataFrame | None
    radius_m: float
    detour_factor: float

    def split(
        self, flow: Flow, dm: Demand, network: RoadNetwork | None
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Split each point's residents: served, over capacity, out of reach."""
        return split_of(
            flow,
            dm,
            self.sxy,
            self.places,
            self.rate,
            radius_m=self.radius_m,
            detour_factor=self.detour_factor,
            network=network,
            capacitated=self.method == "capacitated",
        )

    def __call__(self, dm: Demand, network: RoadNetwork | None) -> Flow:
        if self.method == "nearest":
            return assign_nearest(
                dm,
                self.sxy,
                radius_m=self.radius_m,
                detour_factor=self.detour_factor,
                network=network,
            )
        if self.method == "polygons":
            assert self.polygons is not None
            return assign_polygons(
                dm,
                self.sxy,
                self.school_ids,
                self.polygons,
                level=self.level,
                detour_factor=self.detour_factor,
            )
        return assign_capacitated(
            dm,
            self.sxy,
            self.places / self.rate,
            radius_m=self.radius_m,
            detour_factor=self.detour_factor,
            network=network,
        )


def _radii(
    standards: Standards, level: str, radius_m: float | None, settlement: str
) -> tuple[float, float]:
    """Return the (urban, rural) service radii: the standards', or ``radius_m`` for both."""
    if radius_m is not None:
        return float(radius_m), float(radius_m)
    urban = standards.service_radius_m(level)  # type: ignore[arg-type]
    if settlement == "urban":
        return urban, urban
    return urban, standards.service_radius_m(level, "rural")  # type: ignore[arg-type]


def _plan_crs(
    schools: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame | None,
    catchment_polygons: gpd.GeoDataFrame | None,
    districts: gpd.GeoDataFrame | None,
    raster: RasterLike | None,
) -> tuple[Any, gpd.GeoDataFrame | None]:
    """Return the schools' CRS, checked against the other inputs, and the districts in it."""
    check_plan_crs(schools, "schools", None)
    crs = schools.crs
    check_plan_crs(estates, "estates", crs)
    check_plan_crs(catchment_polygons, "catchment_polygons", crs)
    if districts is not None and districts.crs is not None and not districts.crs.equals(crs):
        districts = districts.to_crs(crs)
    if raster is not None:
        rcrs = raster.crs
        if rcrs is None or not crs.equals(rcrs):
            raise CRSError(
                f"the population raster is in {getattr(rcrs, 'to_string', lambda: rcrs)()} "
                f"but the schools are in {crs.to_string()}; warp the raster to the plan CRS."
            )
    return crs, districts


def _estates_table(
    estates: gpd.GeoDataFrame | None,
    counted: npt.NDArray[np.bool_] | None,
    e_demand: Demand | None,
    demand: Demand,
    raster: RasterLike | None,
    rule: _Rule,
    summary: tuple[IntArray, FloatArray, IntArray, FloatArray],
    split: tuple[FloatArray, FloatArray, FloatArray],
    *,
    network: RoadNetwork | None,
    year: int,
    walk: float,
    id_col: str,
    crs: Any,
) -> gpd.GeoDataFrame:
    """Return the estates' flags: their own flows, or those of their cells under a raster."""
    if estates is None:
        return gpd.GeoDataFrame(
            {"estate_id": pd.array([], dtype="str")}, geometry=gpd.GeoSeries([], crs=crs)
        )
    assert counted is not None and e_demand is not None
    if raster is None:
        flags = summary
    elif rule.method == "capacitated":
        main, _, n_sch, unserved_res = summary
        cell = cell_index(e_demand, demand, raster)  # each estate's cell, found once
        flags = estates_from_cells(
            e_demand, demand, cell, main, rule.sxy, n_sch, unserved_res, rule.detour_factor
        )
        split = estate_reach(e_demand, demand, cell, split, flags)
    else:
        own = rule(e_demand, network)
        flags = per_demand(own, len(e_demand.residents))
        split = rule.split(own, e_demand, network)
    assert e_demand.radius is not None and e_demand.rural is not None  # settled
    return estate_flags(
        estates,
        counted,
        e_demand,
        *flags,
        rule.school_ids,
        level=rule.level,
        year=year,
        radius=e_demand.radius,
        walk=walk,
        id_col=id_col,
        reach=split,
        rural=e_demand.rural,
    )


def _map_catchments(
    method: str,
    demand: Demand,
    main: IntArray,
    sxy: FloatArray,
    school_ids: npt.NDArray[Any],
    catchment_polygons: gpd.GeoDataFrame | None,
    *,
    clip: Any,
    level: str,
    radius: float,
    detour_factor: float,
    network: RoadNetwork | None,
    raster: RasterLike | None,
    crs: Any,
) -> gpd.GeoDataFrame:
    """Catchment polygons for the map, by the method's own construction."""
    if method == "nearest" and network is None:
        geoms = nearest_catchments(
            sxy,
            school_ids,
            radius_m=radius,
            detour_factor=detour_factor,
            clip=clip,
            demand_xy=demand.xy,
        )
        return catchment_frame(school_ids, geoms, level, crs)
    if method == "polygons":
        assert catchment_polygons is not None
        return given_catchments(catchment_polygons, school_ids, level=level, clip=clip, crs=crs)
    ks, geoms = dissolved_catchments(
        demand, main, radius_m=radius, detour_factor=detour_factor, clip=clip, raster=raster
    )
    return catchment_frame(school_ids[ks], geoms, level, crs)


def _check_arguments(
    level: str,
    method: str,
    estates: gpd.GeoDataFrame | None,
    catchment_polygons: gpd.GeoDataFrame | None,
    raster: RasterLike | None,
    detour_factor: float,
) -> None:
    if level not in CATCHMENT_LEVELS:
        raise ConfigError(
            f"level={level!r}; expected one of {', '.join(CATCHMENT_LEVELS)} (nine-year "
            "schools serve both primary and junior demand)."
        )
    if method not in CATCHMENT_METHODS:
        raise ConfigError(f"method={method!r}; expected one of {', '.join(CATCHMENT_METHODS)}.")
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
        raise ConfigError(f"detour_factor={detour_factor!r}; expected a number ≥ 1.")


def _places_per_resident(standards: Standards, level: str, places_per_1000: float | None) -> float:
    """Places per resident: the standards' rate, at the scenario ``places_per_1000`` if given.

    For kindergarten ``places_per_1000`` is the kindergarten places per 1,000 residents
    themselves, which the standards may lack (no national or seed figure is collected).
    """
    if level == "kindergarten" and places_per_1000 is not None:
        return places_per_1000 / 1000.0
    try:
        return standards.places_per_resident(level, places_per_1000)
    except StandardsError as exc:
        if level != "kindergarten":
            raise
        raise ConfigError(
            "kindergarten demand needs places per 1,000 residents: pass "
            "places_per_1000=… or set places_per_1000.kindergarten in the plan's "
            "[standards] with its local source"
        ) from exc
