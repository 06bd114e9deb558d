"""Run a plan end to end: read → forecast → demand → supply → gaps.

:func:`run_plan` takes a validated :class:`~xuewei.config.Plan` and returns a frozen
:class:`PlanResult` holding every table a report, a map or a notebook needs; writing files
is :mod:`xuewei.outputs`' job. Each stage is a library call of its own package, so an
analyst can re-run any one of them by hand on the intermediate tables.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from xuewei import gis
from xuewei.config import Plan
from xuewei.data import Standards, load_standards
from xuewei.errors import CRSError, InputError, Problem
from xuewei.forecast import forecast_ensemble, forecast_school_age, implied_per_thousand
from xuewei.planning import (
    COMPULSORY,
    generate_candidate_sites,
    kindergarten_needs,
    locate_new_schools,
    offered_places,
    place_gaps,
    plan_mergers,
    proposals_table,
    required_places,
    school_places,
    staged_additions,
)

T = TypeVar("T")

__all__ = ["PlanInputs", "PlanResult", "read_inputs", "run_plan", "validate_plan"]


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


@dataclass(frozen=True)
class PlanResult:
    """Everything a plan run computed. Geometries are in the plan's projected CRS.

    Attributes
    ----------
    plan, standards
        The plan and the standards in force (defaults with the plan's overrides).
    crs
        The projected CRS of all geometry.
    base_year
        The last year of observed population.
    districts
        District polygons (``district_id``, ``name``, ...).
    population
        The population table as read.
    residents
        Residents per district and year: ``district_id``, ``year``, ``value``, ``lower``,
        ``upper``, ``kind``, ``method`` (see :func:`xuewei.forecast.forecast_ensemble`).
    gaps
        Per district, year (base year to horizon), level and scenario: ``residents``,
        ``required`` (with interval), ``offered``, ``gap`` (positive: places missing).
    schools
        Schools with places, utilisation and flags (see
        :func:`xuewei.planning.school_places`); empty when the plan has no schools.
    estates
        Housing estates, or ``None``.
    catchments
        One :class:`~xuewei.gis.CatchmentResult` per level and year assessed (the base
        year and the horizon), at the default scenario, with the estates' residents scaled
        to the district forecast of that year; empty without schools and estates.
    cohort
        Where the population table has births and age counts (``age_A_B``): cohort-based
        demand beside per-thousand demand per district, year, level and scenario, with the
        per-thousand ratio the cohort forecast implies (see
        :func:`xuewei.forecast.implied_per_thousand`); else ``None``.
    proposals
        At the default scenario: new builds and expansions for every district and level
        short of places (sited on the plan's candidate sites, or on a generated grid when it
        gives none — ``site_source`` says which — serving the estates of the horizon),
        mergers of small under-used schools (never before the receiver's places exist),
        and kindergartens for estates of 3,000+ residents when the
        plan's schools include kindergartens — one row per proposal with a rationale in
        Chinese and English (see :func:`xuewei.planning.proposals_table`); ``None``
        without schools.
    """

    plan: Plan
    standards: Standards
    crs: CRS
    base_year: int
    districts: gpd.GeoDataFrame
    population: pd.DataFrame
    residents: pd.DataFrame
    gaps: pd.DataFrame
    schools: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame | None
    catchments: tuple[gis.CatchmentResult, ...] = ()
    cohort: pd.DataFrame | None = None
    proposals: gpd.GeoDataFrame | None = None

    @property
    def years(self) -> list[int]:
        """The planning years, base year to horizon."""
        return list(range(self.base_year, self.plan.horizon + 1))

    @property
    def school_use(self) -> pd.DataFrame:
        """Assigned demand per school, level and year (from :attr:`catchments`)."""
        frames = [pd.DataFrame(c.schools.drop(columns="geometry")) for c in self.catchments]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def estate_flags(self) -> pd.DataFrame:
        """Per estate, level and year: assigned school, distance, unserved residents."""
        frames = [pd.DataFrame(c.estates.drop(columns="geometry")) for c in self.catchments]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    @property
    def catchment_polygons(self) -> gpd.GeoDataFrame:
        """Catchment polygons of every level and year assessed (plan CRS)."""
        frames = [c.catchments.assign(year=c.year) for c in self.catchments]
        if not frames:
            return gpd.GeoDataFrame(
                {"school_id": [], "level": [], "year": []}, geometry=[], crs=self.crs
            )
        return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=self.crs)

    def unserved(self) -> pd.DataFrame:
        """Residents assigned and unserved per level and year: the conservation check.

        Returns
        -------
        pandas.DataFrame
            ``level``, ``year``, ``method``, ``residents`` (all residents),
            ``assigned``, ``unserved``, ``unserved_share``; ``assigned + unserved ==
            residents`` exactly.
        """
        rows = []
        for c in self.catchments:
            counted = c.estates["counted"].fillna(False).to_numpy(dtype=bool)
            total = math.fsum(c.estates.loc[counted, "residents"].to_numpy(dtype=np.float64))
            flows = c.assignments
            assigned = math.fsum(
                flows.loc[~flows["unserved"], "residents"].to_numpy(dtype=np.float64)
            )
            unserved = c.unserved_residents
            rows.append(
                {
                    "level": c.level,
                    "year": c.year,
                    "method": c.method,
                    "residents": total,
                    "assigned": assigned,
                    "unserved": unserved,
                    "unserved_share": unserved / total if total else 0.0,
                }
            )
        return pd.DataFrame(rows)

    def summary(self, *, year: int | None = None, level: str = COMPULSORY) -> pd.DataFrame:
        """One row per district: residents now and at ``year``, places required and offered.

        Parameters
        ----------
        year
            The year to compare with the base year; default the horizon.
        level
            ``compulsory`` (primary + junior), ``primary`` or ``junior``.

        Returns
        -------
        pandas.DataFrame
            ``district_id``, ``name``, ``residents_<base>``, ``residents_<year>``,
            ``required_<s>`` and ``gap_<s>`` per scenario ``s``, and ``offered``; with a
            last row for the whole plan (``district_id`` = ``"total"``).
        """
        year = self.plan.horizon if year is None else year
        if year not in self.years:
            raise ValueError(f"year {year} is outside the plan's years {self.years[0]}–{year}")
        g = self.gaps[(self.gaps["level"] == level) & (self.gaps["year"] == year)]
        if g.empty:
            raise ValueError(f"no gaps for level {level!r}")
        res = self.residents.set_index(["district_id", "year"])["value"]
        names = self.districts.set_index("district_id")["name"]
        out = pd.DataFrame({"district_id": names.index, "name": names.to_numpy()})
        ids = out["district_id"]
        out[f"residents_{self.base_year}"] = [res[(d, self.base_year)] for d in ids]
        out[f"residents_{year}"] = [res[(d, year)] for d in ids]
        for scenario, rows in g.groupby("scenario", sort=True):
            by_id = rows.set_index("district_id")
            out[f"required_{scenario:g}"] = by_id.loc[ids, "required"].to_numpy()
        offered = g.drop_duplicates("district_id").set_index("district_id")["offered"]
        out["offered"] = offered.loc[ids].to_numpy()
        for scenario in sorted(g["scenario"].unique()):
            out[f"gap_{scenario:g}"] = out[f"required_{scenario:g}"] - out["offered"]
        total = out.drop(columns=["district_id", "name"]).sum(axis=0)
        total_row = pd.DataFrame(
            [{"district_id": "total", "name": self.plan.name, **total.to_dict()}]
        )
        return pd.concat([out, total_row], ignore_index=True)


def run_plan(plan: Plan) -> PlanResult:
    """Run the whole pipeline for one plan.

    Parameters
    ----------
    plan
        A plan from :func:`xuewei.config.load_plan`.

    Returns
    -------
    PlanResult

    Examples
    --------
    >>> from xuewei.config import load_plan
    >>> from xuewei.data import CHANGSHA_DIR
    >>> result = run_plan(load_plan(CHANGSHA_DIR / "plan.toml"))
    >>> len(result.districts), result.crs.to_epsg()
    (9, 4547)
    """
    standards = load_standards(plan.standards)
    inputs = read_inputs(plan)
    districts = inputs.districts
    population = inputs.population
    ids = districts["district_id"].astype(str).tolist()
    pop_source = plan.inputs["population"].path.name
    base_year = plan.base_year or int(population["year"].max())
    if base_year >= plan.horizon:
        raise InputError(
            [
                Problem(
                    pop_source,
                    f"the latest population year is {base_year}, not before the plan horizon "
                    f"{plan.horizon}; raise plan.horizon",
                    column="year",
                )
            ]
        )
    residents = forecast_ensemble(
        population,
        ids,
        horizon=plan.horizon,
        city_id=inputs.city_id,
        base_year=base_year,
        interval=plan.interval,
        source=pop_source,
    )
    years = list(range(base_year, plan.horizon + 1))
    window = residents[residents["year"].isin(years)]
    required = required_places(
        window, scenarios=standards.scenarios, level_share=standards.level_share
    )

    schools = _school_places(inputs, plan, standards)
    offered = offered_places(schools, ids, years)
    gaps = place_gaps(required, offered)
    # the estates' residents follow the forecast: placed once per year, used by every stage
    placed = _placed_estates(inputs, plan, residents, (base_year, plan.horizon))
    catchments = _catchments(inputs, plan, standards, schools, placed)
    cohort = _cohort(population, ids, plan, standards, residents, base_year)
    proposals = _proposals(inputs, plan, standards, schools, gaps, placed, base_year)

    return PlanResult(
        plan=plan,
        standards=standards,
        crs=inputs.crs,
        base_year=base_year,
        districts=districts,
        population=population,
        residents=residents,
        gaps=gaps,
        schools=schools,
        estates=inputs.estates,
        catchments=catchments,
        cohort=cohort,
        proposals=proposals,
    )


def _proposals(
    inputs: PlanInputs,
    plan: Plan,
    standards: Standards,
    schools: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    placed: dict[int, gpd.GeoDataFrame],
    base_year: int,
) -> gpd.GeoDataFrame | None:
    """Propose new builds, expansions, mergers and kindergartens at the default scenario."""
    if schools.empty:
        return None
    central = gaps[gaps["scenario"] == standards.default_scenario]
    builds = staged_additions(central, standards, schools=schools)
    if placed and len(builds):
        sites = inputs.candidate_sites
        if sites is None:  # no reserved land given: a grid within reach of the residents
            sites = generate_candidate_sites(
                inputs.districts,
                schools=schools,
                estates=placed[plan.horizon],
                standards=standards,
                crs=inputs.crs,
            )
        builds = locate_new_schools(builds, placed[plan.horizon], sites, standards, schools=schools)
    mergers = plan_mergers(
        schools,
        standards,
        base_year=base_year,
        new_schools=builds if "site_id" in builds else None,
    )
    kindergartens = None
    has_kindergartens = bool((schools["level"] == "kindergarten").any())
    if inputs.estates is not None and has_kindergartens:
        kindergartens = kindergarten_needs(
            inputs.estates, schools[schools["level"] == "kindergarten"], standards, year=base_year
        )
    names = inputs.districts.set_index("district_id")
    named = [
        _with_names(frame, names) if frame is not None else None
        for frame in (builds, mergers, kindergartens)
    ]
    return proposals_table(
        builds=named[0], mergers=named[1], kindergartens=named[2], crs=inputs.crs
    )


def _with_names(frame: pd.DataFrame, names: pd.DataFrame) -> pd.DataFrame:
    """Add the district names the proposals' rationales speak of."""
    ids = frame["district_id"].astype(str)
    out = frame.copy()
    out["district_name"] = ids.map(names["name"]).to_numpy()
    if "name_en" in names:
        out["district_name_en"] = ids.map(names["name_en"]).to_numpy()
    return out


def _cohort(
    population: pd.DataFrame,
    ids: list[str],
    plan: Plan,
    standards: Standards,
    residents: pd.DataFrame,
    base_year: int,
) -> pd.DataFrame | None:
    """Cohort-based demand beside per-thousand demand, for districts with births and ages."""
    rows = population[population["district_id"].astype(str).isin(ids)]
    age_cols = [c for c in rows.columns if c.startswith("age_") and rows[c].notna().any()]
    if not age_cols or "births" not in rows or not rows["births"].notna().any():
        return None
    counted = rows.loc[rows[age_cols].notna().any(axis=1), "district_id"].astype(str)
    with_births = set(rows.loc[rows["births"].notna(), "district_id"].astype(str))
    districts = sorted(set(counted) & with_births)
    if not districts:
        return None
    cohort = forecast_school_age(
        rows,
        horizon=plan.horizon,
        base_year=base_year,
        interval=plan.interval,
        district_ids=districts,
    )
    window = cohort[cohort["year"] >= base_year]
    return implied_per_thousand(
        window, residents, scenarios=standards.scenarios, level_share=standards.level_share
    )


def _placed_estates(
    inputs: PlanInputs, plan: Plan, residents: pd.DataFrame, years: tuple[int, ...]
) -> dict[int, gpd.GeoDataFrame]:
    """Scale the estates to their district's forecast residents, per year (none: empty)."""
    if inputs.estates is None:
        return {}
    placed = {}
    for year in years:
        estates = gis.allocate_to_estates(inputs.estates, residents, year=year)
        unallocated = estates.attrs.get("unallocated") or []
        if unallocated:
            raise InputError(
                [
                    Problem(
                        plan.inputs["estates"].path.name,
                        f"district {d} has residents but no estate completed by {year}; "
                        "every district needs estates (or villages) to place its residents",
                        column="district_id",
                    )
                    for d in unallocated
                ]
            )
        placed[year] = estates
    return placed


def _catchments(
    inputs: PlanInputs,
    plan: Plan,
    standards: Standards,
    schools: gpd.GeoDataFrame,
    placed: dict[int, gpd.GeoDataFrame],
) -> tuple[gis.CatchmentResult, ...]:
    """Assign the estates' residents to schools in the base year and at the horizon."""
    if not placed or schools.empty:
        return ()
    # walking distances along the roads when the plan gives them, else straight lines
    # (times the detour factor); the graph is built once for every level and year
    network = gis.build_road_network(inputs.roads) if inputs.roads is not None else None
    results = []
    for year, estates in placed.items():
        for level in plan.catchments.levels:
            results.append(
                gis.assign_catchments(
                    estates,
                    schools,
                    level=level,  # type: ignore[arg-type]
                    year=year,
                    standards=standards,
                    method=plan.catchments.method,
                    districts=inputs.districts,
                    detour_factor=plan.catchments.detour_factor,
                    network=network,
                )
            )
    return tuple(results)


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
                    functools.partial(_with_district, frame, districts, source, id_col)
                )
    if problems or districts is None or population is None or crs is None:
        raise InputError(problems)
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
    )


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


def _school_places(inputs: PlanInputs, plan: Plan, standards: Standards) -> gpd.GeoDataFrame:
    crs = inputs.crs
    if inputs.schools is None:
        empty = gpd.GeoDataFrame(
            {
                "school_id": pd.Series(dtype=str),
                "name": pd.Series(dtype=str),
                "level": pd.Series(dtype=str),
                "district_id": pd.Series(dtype=str),
                "capacity": pd.Series(dtype=float),
            },
            geometry=gpd.GeoSeries([], crs=crs),
        )
        return gpd.GeoDataFrame(school_places(empty, standards), crs=crs)
    source = plan.inputs["schools"].path.name
    return gpd.GeoDataFrame(school_places(inputs.schools, standards, source=source), crs=crs)


def _with_district(
    frame: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, source: str, id_col: str
) -> gpd.GeoDataFrame:
    """Fill missing ``district_id`` by location; reject ids that are not districts."""
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
        points = out.geometry.iloc[np.flatnonzero(missing)].representative_point()
        hits = gpd.sjoin(
            gpd.GeoDataFrame(geometry=points.reset_index(drop=True), crs=out.crs),
            districts[["district_id", "geometry"]],
            how="left",
            predicate="within",
        )
        hits = hits[~hits.index.duplicated(keep="first")]
        found = hits["district_id"].to_numpy()
        for k, i in enumerate(np.flatnonzero(missing)):
            if pd.isna(found[k]):
                problems.append(
                    Problem(
                        source,
                        f"{id_col} {out[id_col].iloc[i]} lies outside every district; give "
                        "its district_id or check its coordinates",
                        row=int(i) + 1,
                        column="district_id",
                    )
                )
            else:
                given.iloc[i] = str(found[k])
    if problems:
        raise InputError(problems)
    out["district_id"] = given.astype(str)
    return out
