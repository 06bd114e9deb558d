"""Running a plan: read → forecast → demand → supply → gaps → catchments → proposals.

:func:`run_plan` takes a validated :class:`~xuewei.config.Plan` (with its
:class:`~xuewei.data.Standards`, handed to every stage) and returns a frozen
:class:`~xuewei.pipeline.PlanResult`; writing files is :mod:`xuewei.outputs`' job. Each
stage is a library call of its own package, so an analyst can re-run any one of them by
hand on the intermediate tables. The run's years are decided once (:func:`plan_years`).
"""

from __future__ import annotations

import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei import gis
from xuewei.config import Plan
from xuewei.data import Standards
from xuewei.errors import ConfigError, InputError, Problem
from xuewei.forecast import forecast_ensemble, forecast_school_age, implied_per_thousand
from xuewei.gis.catchment_result import OVER_TOL
from xuewei.pipeline.inputs import PlanInputs, plan_years, read_inputs
from xuewei.pipeline.result import PlanResult, Years
from xuewei.pipeline.shortfall import add_shortfall
from xuewei.planning import (
    build_programme,
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
    with_closures,
)
from xuewei.planning.readiness import Readiness, assess_readiness, read_targets

__all__ = ["forecast_residents", "plan_years", "run_plan"]

# each stage says what it starts (INFO): the CLI shows it as progress, `-v` prints it
_log = logging.getLogger("xuewei.pipeline")


def run_plan(plan: Plan, *, residents: pd.DataFrame | None = None) -> PlanResult:
    """Run the whole pipeline for one plan.

    Parameters
    ----------
    plan
        A plan from :func:`xuewei.config.load_plan`.
    residents
        The residents forecast of an earlier run of the same plan and years
        (``result.residents``), to re-run the planning stages — with other standards, say
        — without forecasting again; the forecast takes no standard, so the result is the
        same as a full run. Default: forecast now.

    Returns
    -------
    PlanResult

    Examples
    --------
    >>> from xuewei.config import load_plan
    >>> from xuewei.data import CHANGSHA_DIR
    >>> result = run_plan(load_plan(CHANGSHA_DIR / "plan.toml"))  # doctest: +SKIP
    >>> len(result.districts), result.crs.to_epsg()  # doctest: +SKIP
    (9, 4547)
    """
    standards = plan.standards
    _log.info("reading the inputs of %s", plan.name)
    inputs = read_inputs(plan)
    population = inputs.population
    ids = inputs.districts["district_id"].astype(str).tolist()
    years = plan_years(plan, population)
    if residents is None:
        _log.info("forecasting residents of %d districts to %d", len(ids), years.horizon)
        residents = forecast_residents(plan, inputs, years)
    else:
        _check_residents(residents, ids, years)
    window = residents[residents["year"].isin(list(years))]
    _log.info("places required, offered and the gaps, %d–%d", years.base, years.horizon)
    required = required_places(window, standards)
    schools = _school_places(inputs, plan, standards)
    gaps = place_gaps(required, offered_places(schools, ids, list(years)))
    # the estates' residents follow the forecast: placed once per year, used by every stage
    placed = _placed_estates(inputs, plan, residents, years)
    cohort = _cohort(population, ids, plan, standards, residents, years)
    gaps = add_shortfall(gaps, interval=plan.interval, cohort=cohort)
    warnings = (*inputs.warnings, *_warnings(residents, cohort))
    proposals = _proposals(inputs, plan, standards, schools, gaps, placed, years)
    _log.info("assigning residents to schools (%s), %s", plan.catchments.method, years.assessed)
    catchments = _catchments(inputs, plan, standards, schools, placed)
    programme = None if proposals is None else build_programme(proposals, gaps)
    readiness = _readiness(inputs, plan, schools, gaps, programme, residents, proposals, years)
    return PlanResult(
        plan=plan,
        standards=standards,
        crs=inputs.crs,
        years=years,
        districts=inputs.districts,
        population=population,
        residents=residents,
        gaps=gaps,
        schools=_with_assigned_use(schools, catchments, years.base),
        estates=inputs.estates,
        catchments=catchments,
        cohort=cohort,
        proposals=proposals,
        programme=programme,
        warnings=warnings,
        readiness=readiness,
    )


def forecast_residents(plan: Plan, inputs: PlanInputs, years: Years) -> pd.DataFrame:
    """Forecast the residents of every district of a plan, as :func:`run_plan` does.

    The backtest-weighted ensemble (:func:`~xuewei.forecast.forecast_ensemble`) from the
    base year to the horizon, districts reconciled to the city total where the population
    table has one, with the plan's interval. Other commands that need the run's residents
    (``xuewei zones``) call this, so they see the same forecast.
    """
    return forecast_ensemble(
        inputs.population,
        inputs.districts["district_id"].astype(str).tolist(),
        horizon=years.horizon,
        city_id=inputs.city_id,
        base_year=years.base,
        interval=plan.interval,
        source=plan.inputs["population"].path.name,
    )


def _readiness(
    inputs: PlanInputs,
    plan: Plan,
    schools: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    programme: pd.DataFrame | None,
    residents: pd.DataFrame,
    proposals: gpd.GeoDataFrame | None,
    years: Years,
) -> Readiness | None:
    """Each county's readiness by its target year (the plan's ``targets``, else the horizon)."""
    if schools.empty:
        return None
    _log.info("county readiness for high-quality balance (优质均衡)")
    spec = plan.inputs.get("targets")
    targets = read_targets(spec.path, inputs.districts) if spec is not None else None
    scenario = plan.standards.default_scenario
    new_schools = None
    if proposals is not None and len(proposals):
        new_schools = proposals[np.isclose(proposals["scenario"].astype(float), scenario)]
    return assess_readiness(
        districts=inputs.districts,
        schools=schools,
        gaps=gaps,
        residents=residents,
        standards=plan.standards,
        base_year=years.base,
        horizon=years.horizon,
        programme=programme,
        targets=targets,
        estates=inputs.estates,
        new_schools=new_schools,
        scenario=scenario,
    )


def _with_assigned_use(
    schools: gpd.GeoDataFrame, catchments: tuple[gis.CatchmentResult, ...], year: int
) -> gpd.GeoDataFrame:
    """Add the assignment-based view of capacity beside the enrolment-based one.

    ``assigned_utilisation``: the places demanded by the residents assigned to the school
    in the base year (every level it serves) ÷ its places at those levels;
    ``over_capacity_assigned``: that demand above the places. ``utilisation`` and
    ``over_capacity`` stay what :func:`xuewei.planning.school_places` made them: enrolment
    ÷ places.
    """
    use = [c.schools for c in catchments if c.year == year]
    if not use:
        return schools
    frame = pd.concat([pd.DataFrame(u.drop(columns="geometry")) for u in use])
    by_school = frame.groupby("school_id")[["demand", "places"]].sum()
    ids = schools["school_id"].astype(str)
    demand = ids.map(by_school["demand"]).to_numpy(dtype=float)
    places = ids.map(by_school["places"]).to_numpy(dtype=float)
    out = schools.copy()
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out["assigned_utilisation"] = np.where(places > 0, demand / places, np.nan)
    over = pd.array(demand > places + OVER_TOL * np.maximum(places, 1.0), dtype="boolean")
    over[np.isnan(demand)] = pd.NA
    out["over_capacity_assigned"] = over
    return out


def _check_residents(residents: pd.DataFrame, ids: list[str], years: Years) -> None:
    """Check that a residents forecast handed in covers every district and year of the run."""
    have = set(
        zip(residents["district_id"].astype(str), residents["year"].astype(int), strict=True)
    )
    missing = [(d, y) for d in ids for y in years if (d, y) not in have]
    if missing:
        d, y = missing[0]
        raise ConfigError(
            f"residents=: no forecast for district {d} in {y} ({len(missing)} district-years "
            f"missing); pass the residents of a run of the same plan, {years.base}–"
            f"{years.horizon}"
        )


def _warnings(*frames: pd.DataFrame | None) -> tuple[str, ...]:
    """Collect the warnings the stages recorded on their tables (``attrs["warnings"]``).

    Each stage has logged its own already; the result keeps them for the report.
    """
    found: list[str] = []
    for frame in frames:
        if frame is not None:
            found += [str(w) for w in frame.attrs.get("warnings", ())]
    return tuple(dict.fromkeys(found))


def _proposals(
    inputs: PlanInputs,
    plan: Plan,
    standards: Standards,
    schools: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    placed: dict[int, gpd.GeoDataFrame],
    years: Years,
) -> gpd.GeoDataFrame | None:
    """Propose new builds, expansions, mergers and kindergartens for every scenario.

    Builds and mergers carry their scenario; kindergartens follow their own indicator and
    carry none (they belong to every scenario).
    """
    if schools.empty:
        return None
    staged = staged_additions(gaps, standards, schools=schools, base_year=years.base)
    site = _Siter(inputs, standards, schools, placed, years)
    builds = site(staged)
    # mergers wait for the receivers' places (build before close), and the places they
    # close must be built again: plan the mergers with the builds, add the places they
    # close to the gaps, re-stage, and re-site the districts whose builds changed, until
    # nothing changes (it settles in one or two rounds; the last mergers always see the
    # last builds)
    for _ in range(_MERGER_ROUNDS):
        mergers = _mergers(schools, standards, builds, gaps, years)
        again = staged_additions(
            with_closures(gaps, mergers), standards, schools=schools, base_year=years.base
        )
        changed = _changed_districts(staged, again)
        if not changed:
            break
        _log.info("re-staging %d district(s) for the places mergers close", len(changed))
        staged = again
        builds = pd.concat(
            [builds[~builds["district_id"].isin(changed)], site(again, changed)],
            ignore_index=True,
        )
    else:
        mergers = _mergers(schools, standards, builds, gaps, years)
    kindergartens = None
    has_kindergartens = bool((schools["level"] == "kindergarten").any())
    if inputs.estates is not None and has_kindergartens:
        kindergartens = kindergarten_needs(
            inputs.estates, schools[schools["level"] == "kindergarten"], standards, year=years.base
        )
    names = inputs.districts.set_index("district_id")
    named = [
        _with_names(frame, names) if frame is not None else None
        for frame in (builds, mergers, kindergartens)
    ]
    return proposals_table(
        builds=named[0], mergers=named[1], kindergartens=named[2], crs=inputs.crs
    )


#: Rounds of mergers and re-staged builds (see :func:`_proposals`).
_MERGER_ROUNDS = 3
#: Columns that tell whether two stagings of additions differ.
_STAGING = ["district_id", "level", "scenario", "seq", "kind", "year", "places", "school_id"]


class _Siter:
    """Site staged additions (all districts, or some), with the candidate sites made once."""

    def __init__(
        self,
        inputs: PlanInputs,
        standards: Standards,
        schools: gpd.GeoDataFrame,
        placed: dict[int, gpd.GeoDataFrame],
        years: Years,
    ) -> None:
        self.inputs, self.standards, self.schools = inputs, standards, schools
        self.placed, self.years = placed, years
        self.sites: gpd.GeoDataFrame | None = inputs.candidate_sites

    def __call__(self, staged: pd.DataFrame, districts: set[str] | None = None) -> pd.DataFrame:
        builds = staged if districts is None else staged[staged["district_id"].isin(districts)]
        if not self.placed or not len(builds):
            return builds
        _log.info(
            "siting %d new schools for %d scenarios",
            int((builds["kind"] == "new_build").sum()),
            builds["scenario"].nunique(),
        )
        estates = self.placed[self.years.horizon]
        if self.sites is None:  # no reserved land given: a grid within reach of the residents
            self.sites = generate_candidate_sites(
                self.inputs.districts,
                schools=self.schools,
                estates=estates,
                standards=self.standards,
                crs=self.inputs.crs,
            )
        return locate_new_schools(builds, estates, self.sites, self.standards, schools=self.schools)


def _mergers(
    schools: gpd.GeoDataFrame,
    standards: Standards,
    builds: pd.DataFrame,
    gaps: pd.DataFrame,
    years: Years,
) -> pd.DataFrame:
    """Mergers per scenario, each scenario's new schools among the receivers."""
    return pd.concat(
        [
            plan_mergers(
                schools,
                standards,
                base_year=years.base + standards.lead_time_years("merger"),
                new_schools=builds[builds["scenario"] == s] if "site_id" in builds else None,
            ).assign(scenario=s)
            for s in sorted(gaps["scenario"].unique())
        ],
        ignore_index=True,
    )


def _changed_districts(before: pd.DataFrame, after: pd.DataFrame) -> set[str]:
    """Return the districts whose staged additions differ between two stagings."""
    ids = set(before["district_id"].astype(str)) | set(after["district_id"].astype(str))
    changed = set()
    for did in sorted(ids):
        a = before.loc[before["district_id"].astype(str) == did, _STAGING].reset_index(drop=True)
        b = after.loc[after["district_id"].astype(str) == did, _STAGING].reset_index(drop=True)
        if not a.equals(b):
            changed.add(did)
    return changed


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
    years: Years,
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
        horizon=years.horizon,
        base_year=years.base,
        interval=plan.interval,
        district_ids=districts,
        standards=standards,
    )
    window = cohort[cohort["year"] >= years.base]
    return implied_per_thousand(window, residents, standards=standards)


def _placed_estates(
    inputs: PlanInputs, plan: Plan, residents: pd.DataFrame, years: Years
) -> dict[int, gpd.GeoDataFrame]:
    """Scale the estates to their district's forecast residents in each assessed year."""
    if inputs.estates is None:
        return {}
    placed = {}
    for year in years.assessed:
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
    if inputs.neighbour_schools is not None and len(inputs.neighbour_schools):
        # schools over the border within reach: residents may go there; they stay out of
        # the plan's own places, flags and proposals
        others = school_places(inputs.neighbour_schools, standards)
        schools = gpd.GeoDataFrame(
            pd.concat([schools, others.assign(neighbour=True)], ignore_index=True),
            crs=schools.crs,
        )
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
                    settlement=plan.catchments.settlement,
                )
            )
    return tuple(results)


def _school_places(inputs: PlanInputs, plan: Plan, standards: Standards) -> gpd.GeoDataFrame:
    """Return the schools with their places (an empty table when the plan has none)."""
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
