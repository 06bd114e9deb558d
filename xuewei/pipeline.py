"""Run a plan end to end: read → forecast → demand → supply → gaps.

:func:`run_plan` takes a validated :class:`~xuewei.config.Plan` and returns a frozen
:class:`PlanResult` holding every table a report, a map or a notebook needs; writing files
is :mod:`xuewei.outputs`' job. Each stage is a library call of its own package, so an
analyst can re-run any one of them by hand on the intermediate tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from xuewei import gis
from xuewei.config import Plan
from xuewei.errors import InputError, Problem
from xuewei.forecast import forecast_districts
from xuewei.planning import (
    COMPULSORY,
    Standards,
    load_standards,
    offered_places,
    place_gaps,
    required_places,
    school_places,
)

__all__ = ["PlanResult", "run_plan"]


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
        ``upper``, ``kind``, ``method`` (see :func:`xuewei.forecast.forecast_districts`).
    gaps
        Per district, year (base year to horizon), level and scenario: ``residents``,
        ``required`` (with interval), ``offered``, ``gap`` (positive: places missing).
    schools
        Schools with places, utilisation and flags (see
        :func:`xuewei.planning.school_places`); empty when the plan has no schools.
    estates
        Housing estates, or ``None``.
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

    @property
    def years(self) -> list[int]:
        """The planning years, base year to horizon."""
        return list(range(self.base_year, self.plan.horizon + 1))

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
    spec = plan.inputs["districts"]
    districts = gis.read_districts(spec.path, layer=spec.layer, coords=spec.coords)
    crs = CRS.from_user_input(plan.crs) if plan.crs else gis.plan_crs(districts)
    districts = districts.to_crs(crs)
    ids = districts["district_id"].astype(str).tolist()

    spec = plan.inputs["population"]
    population = gis.read_population(spec.path, sheet=spec.sheet)
    city_id = _check_population_ids(population, districts, spec.path.name)
    base_year = plan.base_year or int(population["year"].max())
    if base_year >= plan.horizon:
        raise InputError(
            [
                Problem(
                    spec.path.name,
                    f"the latest population year is {base_year}, not before the plan horizon "
                    f"{plan.horizon}; raise plan.horizon",
                    column="year",
                )
            ]
        )
    residents = forecast_districts(
        population,
        ids,
        horizon=plan.horizon,
        city_id=city_id,
        base_year=base_year,
        interval=plan.interval,
        source=spec.path.name,
    )
    years = list(range(base_year, plan.horizon + 1))
    window = residents[residents["year"].isin(years)]
    required = required_places(
        window, scenarios=standards.scenarios, level_share=standards.level_share
    )

    schools = _read_schools(plan, districts, crs, standards)
    offered = offered_places(schools, ids, years)
    gaps = place_gaps(required, offered)

    estates = None
    if "estates" in plan.inputs:
        spec = plan.inputs["estates"]
        estates = gis.read_estates(
            spec.path, layer=spec.layer, coords=spec.coords, crs=crs, lon=spec.lon, lat=spec.lat
        )
        estates = _with_district(estates, districts, spec.path.name, "estate_id")

    return PlanResult(
        plan=plan,
        standards=standards,
        crs=crs,
        base_year=base_year,
        districts=districts,
        population=population,
        residents=residents,
        gaps=gaps,
        schools=schools,
        estates=estates,
    )


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


def _read_schools(
    plan: Plan, districts: gpd.GeoDataFrame, crs: CRS, standards: Standards
) -> gpd.GeoDataFrame:
    if "schools" not in plan.inputs:
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
    spec = plan.inputs["schools"]
    schools = gis.read_schools(
        spec.path, layer=spec.layer, coords=spec.coords, crs=crs, lon=spec.lon, lat=spec.lat
    )
    schools = _with_district(schools, districts, spec.path.name, "school_id")
    return gpd.GeoDataFrame(school_places(schools, standards, source=spec.path.name), crs=crs)


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
