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

T = TypeVar("T")

_log = logging.getLogger("xuewei.pipeline")

__all__ = ["PlanInputs", "read_inputs", "validate_plan"]


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


def read_inputs(plan: Plan) -> PlanInputs:
    """Read and validate every input of a plan, reporting all problems at once.

    Each input is read with its reader of :mod:`xuewei.gis`; then the inputs are checked
    against each other (population ids are districts or their parent; schools and estates
    lie in, or name, a district). Problems of all inputs are collected into one
    :class:`~xuewei.errors.InputError`.

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

    Examples
    --------
    >>> from xuewei.config import load_plan
    >>> from xuewei.data import CHANGSHA_DIR
    >>> validate_plan(load_plan(CHANGSHA_DIR / "plan.toml"))
    []
    """
    try:
        read_inputs(plan)
    except InputError as exc:
        return list(exc.problems)
    return []


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
                        "district)",
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
