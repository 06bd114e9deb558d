"""Reading a plan's inputs: every file read and validated, then checked against each other.

:func:`read_inputs` reads each input of a :class:`~xuewei.config.Plan` with its reader of
:mod:`xuewei.gis`, reprojects everything into the plan's CRS, and checks the inputs
against each other (population ids are districts or their parent; schools, estates and
candidate sites lie in, or name, a district). Problems of all inputs are collected into one
:class:`~xuewei.errors.InputError`; nothing is dropped.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from xuewei import gis
from xuewei.config import Plan
from xuewei.errors import CRSError, InputError, Problem
from xuewei.pipeline.result import Years
from xuewei.planning import school_places
from xuewei.planning.readiness import read_targets
from xuewei.vocabulary import CoordinateSystem

T = TypeVar("T")

_log = logging.getLogger("xuewei.pipeline")

__all__ = ["PlanInputs", "plan_years", "read_inputs", "validate_plan"]


@dataclass(frozen=True)
class PlanInputs:
    """A plan's inputs, read and validated; geometries in the plan's projected CRS.

    Attributes
    ----------
    crs
        The plan's projected CRS.
    districts, population
        Always present.
    schools, estates, candidate_sites, population_raster, roads
        ``None`` when the plan does not name them. Schools and estates carry a
        ``district_id`` for every row (given, or the district they lie in).
    city_id
        The id of the population rows that hold the city (parent) total, if any.
    neighbour_schools
        Schools outside the plan's districts (of the neighbouring counties, within the
        service radius of its border), or ``None``: its residents may be assigned to
        them, but they are not the plan's schools (see :func:`read_inputs`).
    warnings
        What reading had to decide, e.g. points just outside a boundary placed in the
        nearest district (also logged on ``xuewei.pipeline``).
    """

    crs: CRS
    districts: gpd.GeoDataFrame
    population: pd.DataFrame
    city_id: str | None
    schools: gpd.GeoDataFrame | None
    estates: gpd.GeoDataFrame | None
    candidate_sites: gpd.GeoDataFrame | None
    population_raster: gis.PopulationRaster | None
    roads: gpd.GeoDataFrame | None = None
    warnings: tuple[str, ...] = ()
    neighbour_schools: gpd.GeoDataFrame | None = None


def read_inputs(plan: Plan) -> PlanInputs:
    """Read and validate every input of a plan, reporting all problems at once.

    Each input is read with its reader of :mod:`xuewei.gis`; then the inputs are checked
    against each other (population ids are districts or their parent; schools and estates
    lie in, or name, a district). Problems of all inputs are collected into one
    :class:`~xuewei.errors.InputError`. ``neighbour_schools`` (schools of the neighbouring
    counties within reach of the border, as a batch run's county partitions carry them) are
    read like schools but may lie outside every district; their ids must differ from the
    plan's schools'.

    Parameters
    ----------
    plan
        A plan from :func:`xuewei.config.load_plan`.

    Returns
    -------
    PlanInputs
    """
    problems: list[Problem] = []
    warnings: list[str] = []

    def attempt(fn: Callable[[], T]) -> T | None:
        try:
            return fn()
        except InputError as exc:
            problems.extend(exc.problems)
        except CRSError as exc:
            problems.append(Problem("input", str(exc)))
        return None

    spec = plan.inputs["districts"]
    districts = attempt(lambda: gis.read_districts(spec.path, layer=spec.layer, coords=spec.coords))
    crs: CRS | None = None
    if plan.crs:
        crs = CRS.from_user_input(plan.crs)
    elif districts is not None:
        crs = attempt(lambda: gis.plan_crs(districts))
    if districts is not None and crs is not None:
        districts = districts.to_crs(crs)

    pop_spec = plan.inputs["population"]
    population = attempt(lambda: gis.read_population(pop_spec.path, sheet=pop_spec.sheet))

    layers = _read_layers(plan, crs, attempt)
    roads = None
    if "roads" in plan.inputs and crs is not None:
        road_spec = plan.inputs["roads"]
        roads = attempt(
            functools.partial(
                gis.read_roads,
                road_spec.path,
                layer=road_spec.layer,
                coords=road_spec.coords,
                crs=crs,
            )
        )
    raster = None
    if "population_raster" in plan.inputs:
        raster_path = plan.inputs["population_raster"].path
        raster = attempt(lambda: gis.read_population_raster(raster_path))
        if raster is not None and crs is not None:
            attempt(lambda: _check_raster(raster, crs, warnings))
    _check_ids(layers, plan, attempt)

    city_id = None
    if districts is not None and population is not None:
        city_id = attempt(lambda: _check_population_ids(population, districts, pop_spec.path.name))
    if districts is not None:
        ids = {"schools": "school_id", "estates": "estate_id", "candidate_sites": "site_id"}
        for name, id_col in ids.items():
            frame = layers[name]
            if frame is not None:
                source = plan.inputs[name].path.name
                layers[name] = attempt(
                    functools.partial(
                        _with_district,
                        frame,
                        districts,
                        source,
                        id_col,
                        tolerance_m=plan.boundary_tolerance_m,
                        warnings=warnings,
                        coords=plan.inputs[name].coords,
                    )
                )
    if problems or districts is None or population is None or crs is None:
        raise InputError(problems)
    for text in warnings:
        _log.warning(text)
    return PlanInputs(
        crs=crs,
        districts=districts,
        population=population,
        city_id=city_id,
        schools=layers["schools"],
        estates=layers["estates"],
        candidate_sites=layers["candidate_sites"],
        population_raster=raster,
        roads=roads,
        warnings=tuple(warnings),
        neighbour_schools=layers["neighbour_schools"],
    )


def _read_layers(
    plan: Plan, crs: CRS | None, attempt: Callable[[Callable[[], T]], T | None]
) -> dict[str, gpd.GeoDataFrame | None]:
    """Read the point layers a plan names (schools, estates, candidate sites) in its CRS."""
    layers: dict[str, gpd.GeoDataFrame | None] = {}
    readers = {
        "schools": gis.read_schools,
        "estates": gis.read_estates,
        "candidate_sites": gis.read_candidate_sites,
        "neighbour_schools": gis.read_schools,
    }
    for name, reader in readers.items():
        layer_spec = plan.inputs.get(name)
        layers[name] = None
        if layer_spec is None:
            continue
        layers[name] = attempt(
            functools.partial(
                reader,
                layer_spec.path,
                layer=layer_spec.layer,
                sheet=layer_spec.sheet,
                coords=layer_spec.coords,
                crs=crs if crs is not None else "EPSG:4326",
                lon=layer_spec.lon,
                lat=layer_spec.lat,
            )
        )
    return layers


def validate_plan(plan: Plan) -> list[Problem]:
    """Return every problem of a plan's inputs (an empty list when they are all valid).

    What the run would refuse before it plans: the files as read, every school's places
    (a school with neither capacity nor classes), the years and the target years.

    Examples
    --------
    >>> from xuewei.config import load_plan
    >>> from xuewei.data import CHANGSHA_DIR
    >>> validate_plan(load_plan(CHANGSHA_DIR / "plan.toml"))
    []
    """
    try:
        inputs = read_inputs(plan)
        if inputs.schools is not None:  # places counted as the run counts them
            school_places(inputs.schools, plan.standards, source=plan.inputs["schools"].path.name)
        plan_years(plan, inputs.population)
        targets = plan.inputs.get("targets")
        if targets is not None:  # target years of high-quality balance, per district
            read_targets(targets.path, inputs.districts)
    except InputError as exc:
        return list(exc.problems)
    return []


def plan_years(plan: Plan, population: pd.DataFrame) -> Years:
    """Decide the run's years once: the base year and the horizon.

    The base year is ``plan.base_year``, else the latest year of the population table.

    Raises
    ------
    InputError
        When the base year is not before the horizon, naming the population file.

    Examples
    --------
    >>> from xuewei.config import load_plan
    >>> from xuewei.data import CHANGSHA_DIR
    >>> plan = load_plan(CHANGSHA_DIR / "plan.toml")
    >>> plan_years(plan, pd.DataFrame({"year": [2020, 2024]}))
    Years(base=2024, horizon=2035)
    """
    base = plan.base_year or int(population["year"].max())
    if base >= plan.horizon:
        raise InputError(
            [
                Problem(
                    plan.inputs["population"].path.name,
                    f"the latest population year is {base}, not before the plan horizon "
                    f"{plan.horizon}; raise plan.horizon",
                    column="year",
                )
            ]
        )
    return Years(base, plan.horizon)


def _check_raster(raster: gis.PopulationRaster, crs: CRS, warnings: list[str]) -> None:
    """Refuse a raster off the plan's CRS; count its nodata cells in a warning."""
    name = raster.path.name
    if not raster.crs.equals(crs):
        code = crs.to_string()
        raise InputError(
            [
                Problem(
                    name,
                    f"the raster is in {raster.crs.to_string()} but the plan's CRS is {code}; "
                    f"warp it, summing residents: gdalwarp -t_srs {code} -r sum {name} "
                    f"{raster.path.stem}_plan.tif (or set plan.crs to the raster's CRS)",
                )
            ]
        )
    if raster.nodata_cells:
        warnings.append(f"{name}: {raster.nodata_cells} nodata cells counted as 0 residents")


def _check_ids(
    layers: dict[str, gpd.GeoDataFrame | None],
    plan: Plan,
    attempt: Callable[[Callable[[], None]], None],
) -> None:
    """Check that candidate sites and neighbouring schools have ids of their own."""
    for other in ("candidate_sites", "neighbour_schools"):
        if layers["schools"] is not None and layers[other] is not None:
            attempt(functools.partial(_check_distinct_ids, layers, plan, other=other))


def _check_distinct_ids(
    layers: dict[str, gpd.GeoDataFrame | None], plan: Plan, *, other: str = "candidate_sites"
) -> None:
    """Refuse a candidate site (or neighbouring school) with a school's id.

    A proposal names a site or a school by its id, and a catchment its school.
    """
    schools, sites = layers["schools"], layers[other]
    assert schools is not None and sites is not None
    school_ids = set(schools["school_id"].astype(str))
    school_file = plan.inputs["schools"].path.name
    col = "site_id" if other == "candidate_sites" else "school_id"
    problems = [
        Problem(
            plan.inputs[other].path.name,
            f"{col} {sid!r} is also a school_id in {school_file}; a proposal names a site or "
            f"a school by its id, so give {other.replace('_', ' ')} ids of their own",
            row=i + 1,
            column=col,
        )
        for i, sid in enumerate(sites[col].astype(str))
        if sid in school_ids
    ]
    if problems:
        raise InputError(problems)


def _check_population_ids(
    population: pd.DataFrame, districts: gpd.GeoDataFrame, source: str
) -> str | None:
    """Every population row belongs to a district or to the districts' one parent."""
    ids = set(districts["district_id"].astype(str))
    parents: set[str] = set()
    if "parent_id" in districts:
        parents = {str(p) for p in districts["parent_id"].dropna().unique()}
    known = ids | parents
    pop_ids = population["district_id"].astype(str).to_numpy()
    problems = [
        Problem(
            source,
            f"district_id {pid!r} is neither a district nor the districts' parent "
            f"({sorted(parents) or 'none'}); expected one of {sorted(ids)[:12]}",
            row=int(i) + 1,
            column="district_id",
        )
        for i, pid in enumerate(pop_ids)
        if pid not in known
    ]
    if problems:
        raise InputError(problems)
    city = [p for p in parents if p in set(pop_ids)]
    if len(city) > 1:
        raise InputError(
            [
                Problem(
                    source,
                    f"population rows for several parents {sorted(city)}: a plan covers one "
                    "city or county; split it into one plan per parent",
                    column="district_id",
                )
            ]
        )
    return city[0] if city else None


def _with_district(
    frame: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    source: str,
    id_col: str,
    *,
    tolerance_m: float = 1.0,
    warnings: list[str] | None = None,
    coords: CoordinateSystem = "wgs84",
) -> gpd.GeoDataFrame:
    """Fill missing ``district_id`` by location; reject ids that are not districts.

    A point on a district's boundary belongs to it (to the first of two districts that share
    the boundary, in the districts' order). A point outside every district by at most
    ``tolerance_m`` metres (surveying error, a boundary drawn a little inside the real one)
    goes to the nearest district, and the rows are counted in ``warnings``; a point farther
    out is an error naming its row and its distance to the nearest district.
    """
    out = frame.copy()
    ids = set(districts["district_id"].astype(str))
    if "district_id" not in out:
        out["district_id"] = pd.Series(pd.NA, index=out.index, dtype="string")
    given = out["district_id"].astype("string")
    missing = given.isna().to_numpy()
    problems = []
    for i in np.flatnonzero(~missing):
        if str(given.iloc[i]) not in ids:
            problems.append(
                Problem(
                    source,
                    f"{id_col} {out[id_col].iloc[i]}: district_id {given.iloc[i]!r} is not a "
                    "district of the plan",
                    row=int(i) + 1,
                    column="district_id",
                )
            )
    if missing.any():
        rows = np.flatnonzero(missing)
        points = out.geometry.iloc[rows].representative_point().reset_index(drop=True)
        found, distance, nearest = _locate(points, districts)
        hints = _datum_hints(points, districts, coords, outside=pd.isna(found))
        snapped = []
        for k, i in enumerate(rows):
            if not pd.isna(found[k]):
                given.iloc[i] = str(found[k])
            elif distance[k] <= tolerance_m:
                given.iloc[i] = str(nearest[k])
                snapped.append(int(i) + 1)
            else:
                problems.append(
                    Problem(
                        source,
                        f"{id_col} {out[id_col].iloc[i]} lies outside every district, "
                        f"{distance[k]:,.1f} m from the nearest ({nearest[k]}); give its "
                        "district_id or check its coordinates (points within "
                        f"boundary_tolerance_m = {tolerance_m:g} m are placed in the nearest "
                        f"district){hints[k]}",
                        row=int(i) + 1,
                        column="district_id",
                    )
                )
        if snapped and warnings is not None:
            shown = ", ".join(str(r) for r in snapped[:10]) + (" …" if len(snapped) > 10 else "")
            warnings.append(
                f"{source}: {len(snapped)} point(s) within {tolerance_m:g} m outside the "
                f"district boundaries placed in the nearest district (rows {shown})"
            )
    if problems:
        raise InputError(problems)
    out["district_id"] = given.astype(str)
    return out


def _locate(
    points: gpd.GeoSeries, districts: gpd.GeoDataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return per point the district it lies in or on, the nearest district, its distance.

    The first is ``None`` for points outside every district; distances are in metres (0 for
    points inside).
    """
    polys = districts.geometry.reset_index(drop=True)
    ids = districts["district_id"].astype(str).to_numpy()
    # boundary points count: "intersects", not "within"; the first district in order wins
    hit_pt, hit_poly = polys.sindex.query(points, predicate="intersects")
    found = np.full(len(points), None, dtype=object)
    for k, j in sorted(zip(hit_pt.tolist(), hit_poly.tolist(), strict=True), reverse=True):
        found[k] = ids[j]
    near_pt, near_poly = polys.sindex.nearest(points, return_all=False)
    nearest = np.empty(len(points), dtype=object)
    nearest[near_pt] = ids[near_poly]
    distance = np.asarray(points.distance(polys.iloc[near_poly[np.argsort(near_pt)]], align=False))
    return found, distance, nearest


_DATUMS = {"gcj02": "GCJ-02 (Amap, Tencent)", "bd09": "BD-09 (Baidu)"}


def _datum_hints(
    points: gpd.GeoSeries, districts: gpd.GeoDataFrame, coords: str, *, outside: np.ndarray
) -> list[str]:
    """For each point outside every district, say which undeclared datum would put it inside.

    Coordinates copied from Amap or Baidu but declared WGS84 are shifted by a few hundred
    metres: inside the city nothing tells them apart, but a point the shift carries out of
    every district comes back inside when converted from its real datum. Empty strings for
    the other points, and when the input already declares a Chinese datum.
    """
    hints = [""] * len(points)
    if coords not in ("wgs84", "cgcs2000") or not outside.any():
        return hints
    lonlat = points.to_crs(4326)
    area = districts.geometry.union_all()
    inside: dict[str, np.ndarray] = {}
    converters = {"gcj02": gis.gcj02_to_wgs84, "bd09": gis.bd09_to_wgs84}
    for datum, convert in converters.items():
        lon, lat = convert(lonlat.x.to_numpy(), lonlat.y.to_numpy())
        moved = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=4326).to_crs(districts.crs)
        inside[datum] = moved.intersects(area).to_numpy() & outside
    for k in range(len(points)):
        datums = [d for d in converters if inside[d][k]]
        if datums:
            words = " or ".join(f'{_DATUMS[d]}: coords = "{d}"' for d in datums)
            hints[k] = (
                f"; it lies inside a district when read as {words} — are the coordinates "
                "from that map? Declare it in the plan's [inputs]"
            )
    return hints
