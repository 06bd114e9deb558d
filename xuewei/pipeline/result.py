"""The result of a plan run: every table a report, a map or a notebook needs.

:class:`PlanResult` is a frozen record of what :func:`xuewei.pipeline.run_plan` computed,
with the few views analysts ask for (the per-district summary, the conservation check of
catchments). :class:`Years` is the run's calendar, decided once: the base year, the
horizon, and the years assessed by catchments and proposals.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from xuewei import gis
from xuewei.config import Plan
from xuewei.data import Standards
from xuewei.errors import ConfigError
from xuewei.planning import proposals_of_scenario
from xuewei.planning.readiness import Readiness
from xuewei.vocabulary import COMPULSORY

__all__ = ["PlanResult", "Years"]


@dataclass(frozen=True)
class Years:
    """The years of a run, decided once from the plan and its population table.

    Iterating gives every planning year, base year to horizon.

    Attributes
    ----------
    base
        The last year of observed population (``plan.base_year``, else the latest year
        of the population table).
    horizon
        The last year forecast (``plan.horizon``).

    Examples
    --------
    >>> y = Years(2024, 2035)
    >>> len(y), y.assessed, 2030 in y, list(y)[:2]
    (12, (2024, 2035), True, [2024, 2025])
    """

    base: int
    horizon: int

    def __post_init__(self) -> None:
        if self.base >= self.horizon:
            raise ConfigError(
                f"the base year {self.base} is not before the horizon {self.horizon}; "
                "raise plan.horizon"
            )

    @property
    def assessed(self) -> tuple[int, int]:
        """The years catchments are assessed in: the base year and the horizon."""
        return (self.base, self.horizon)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.base, self.horizon + 1))

    def __len__(self) -> int:
        return self.horizon - self.base + 1

    def __contains__(self, year: object) -> bool:
        return isinstance(year, int | np.integer) and self.base <= int(year) <= self.horizon


@dataclass(frozen=True)
class PlanResult:
    """Everything a plan run computed. Geometries are in the plan's projected CRS.

    Attributes
    ----------
    plan, standards
        The plan and the standards in force (defaults with the plan's overrides).
    crs
        The projected CRS of all geometry.
    years
        The run's years (:class:`Years`): ``years.base`` (the last year of observed
        population), ``years.horizon``, ``years.assessed`` (catchment years); iterating
        gives every year from base to horizon.
    districts
        District polygons (``district_id``, ``name``, ...).
    population
        The population table as read.
    residents
        Residents per district and year: ``district_id``, ``year``, ``value``, ``lower``,
        ``upper``, ``kind``, ``method`` (see :func:`xuewei.forecast.forecast_ensemble`).
    gaps
        Per district, year (base year to horizon), level and scenario: ``residents``,
        ``required`` (with interval), ``offered``, ``gap`` (positive: places missing),
        ``chance_of_shortfall`` (``P(required > offered)`` from the forecast's
        distribution, per-1,000 rule), ``chance_of_shortfall_cohort`` (the same by the
        cohort route, where there is one), and ``gap_low``/``gap_central``/``gap_high``
        with ``required_low``/``required_central``/``required_high`` (10th, 50th and 90th
        percentiles of places required; see :mod:`xuewei.pipeline.shortfall`).
    schools
        Schools with places, utilisation and flags (see
        :func:`xuewei.planning.school_places`); empty when the plan has no schools. Two
        views of capacity, each with its column and flag: ``utilisation`` and
        ``over_capacity`` by enrolment (pupils on the roll ÷ places), and, with catchments,
        ``assigned_utilisation`` and ``over_capacity_assigned`` by the residents the
        catchments assign in the base year (places they demand ÷ places). A school can be
        full by one and not the other: the roll may include pupils from elsewhere, and
        the capacitated assignment never fills a school beyond its places.
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
        For every scenario (its ``scenario`` column): new builds and expansions for every
        district and level short of places (sited on the plan's candidate sites, or on a
        generated grid when it gives none — ``site_source`` says which — serving the
        estates of the horizon), each opening (``year``) when its district's deficit needs
        it (``needed_year``) but no earlier than its lead time allows; mergers of small
        under-used schools (never before the receiver's places exist); and, with no
        scenario, kindergartens for estates of 3,000+ residents when the plan's schools
        include kindergartens — one row per proposal with a rationale in Chinese and
        English (see :func:`xuewei.planning.proposals_table`); ``None`` without schools.
        :meth:`proposals_for` picks one scenario's.
    programme
        The build programme: per scenario, district, level and year, the schools and
        places opening, cumulative places and the gap left (see
        :func:`xuewei.planning.build_programme`); ``None`` without schools.
    warnings
        What the run could not do as asked and what it did instead (e.g. a forecast
        ensemble whose backtest failed), one sentence each; also logged on the
        ``xuewei`` loggers and written to the report.
    readiness
        County readiness for high-quality balance (优质均衡) by each county's target year
        (the plan's ``targets`` input; without one, at the horizon), with the build
        programme of the default scenario in place: the county × criterion table, one row
        per county, the balance indicators and the matching-school check of pipeline
        estates (see :func:`xuewei.planning.readiness.assess_readiness`); ``None``
        without schools.
    """

    plan: Plan
    standards: Standards
    crs: CRS
    years: Years
    districts: gpd.GeoDataFrame
    population: pd.DataFrame
    residents: pd.DataFrame
    gaps: pd.DataFrame
    schools: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame | None
    catchments: tuple[gis.CatchmentResult, ...] = ()
    cohort: pd.DataFrame | None = None
    proposals: gpd.GeoDataFrame | None = None
    programme: pd.DataFrame | None = None
    warnings: tuple[str, ...] = ()
    readiness: Readiness | None = None

    @property
    def base_year(self) -> int:
        """The last year of observed population (``years.base``)."""
        return self.years.base

    @property
    def horizon(self) -> int:
        """The last year forecast (``years.horizon``)."""
        return self.years.horizon

    def _scenario(self, scenario: float | None) -> float:
        """Return the scenario asked for (default: the default one), checked against the run's."""
        chosen = self.standards.default_scenario if scenario is None else float(scenario)
        scenarios = sorted(self.gaps["scenario"].unique())
        if not np.isclose(scenarios, chosen).any():
            raise ConfigError(
                f"scenario={chosen:g}: not a scenario of this run; expected one of "
                f"{', '.join(f'{s:g}' for s in scenarios)}"
            )
        return chosen

    def proposals_for(self, scenario: float | None = None) -> gpd.GeoDataFrame | None:
        """Return the proposals of one scenario (default: the standards' default scenario).

        Scenario-free proposals (kindergartens) belong to every scenario and are kept.
        """
        if self.proposals is None:
            return None
        return proposals_of_scenario(self.proposals, self._scenario(scenario))

    def programme_for(self, scenario: float | None = None) -> pd.DataFrame | None:
        """Return the build programme of one scenario (default: the default scenario)."""
        if self.programme is None:
            return None
        chosen = self._scenario(scenario)
        return self.programme[np.isclose(self.programme["scenario"], chosen)]

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

    def reach(self) -> pd.DataFrame:
        """Residents served, in reach of a full school, or out of reach, by district.

        Per level and year assessed, per district and for the whole plan
        (``district_id`` = ``"total"``), and within each by settlement (``urban``,
        ``rural``) and for both (``all``); from the estates' classes of
        :attr:`catchments` (:attr:`~xuewei.gis.CatchmentResult.reach`).

        Returns
        -------
        pandas.DataFrame
            ``level``, ``year``, ``district_id``, ``name``, ``settlement``, ``residents``,
            ``served``, ``over_capacity``, ``out_of_reach`` (served + over capacity +
            out of reach = residents) and the three as shares of the residents
            (``served_share``, ``over_capacity_share``, ``out_of_reach_share``).
        """
        parts = ["served", "over_capacity", "out_of_reach"]
        names = self.districts.set_index("district_id")["name"]
        district = None if self.estates is None else self.estates["district_id"].astype(str)
        rows = []
        for c in self.catchments:
            e = c.estates[c.estates["counted"].fillna(False).to_numpy(dtype=bool)]
            table = pd.DataFrame(
                {
                    "district_id": district.loc[e.index].to_numpy() if district is not None else "",
                    "settlement": e["settlement"].astype(str).to_numpy(),
                    "residents": e["residents"].to_numpy(dtype=np.float64),
                    "served": e["served_residents"].to_numpy(dtype=np.float64),
                    "over_capacity": e["over_capacity_residents"].to_numpy(dtype=np.float64),
                    "out_of_reach": e["out_of_reach_residents"].to_numpy(dtype=np.float64),
                }
            )
            groups = [
                (d, s)
                for d in [*names.index.astype(str), "total"]
                for s in ("all", "urban", "rural")
            ]
            for d, s in groups:
                pick = table if d == "total" else table[table["district_id"] == d]
                pick = pick if s == "all" else pick[pick["settlement"] == s]
                sums = {k: math.fsum(pick[k]) for k in ("residents", *parts)}
                rows.append(
                    {
                        "level": c.level,
                        "year": c.year,
                        "district_id": d,
                        "name": self.plan.name if d == "total" else names.get(d, d),
                        "settlement": s,
                        **sums,
                        **{
                            f"{k}_share": sums[k] / sums["residents"] if sums["residents"] else 0.0
                            for k in parts
                        },
                    }
                )
        return pd.DataFrame(rows)

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
        year = self.years.horizon if year is None else year
        if year not in self.years:
            raise ConfigError(
                f"year={year} is outside the plan's years {self.years.base}–{self.years.horizon}"
            )
        g = self.gaps[(self.gaps["level"] == level) & (self.gaps["year"] == year)]
        if g.empty:
            raise ConfigError(
                f"level={level!r}: no gaps for it; expected one of "
                f"{sorted(self.gaps['level'].unique())}"
            )
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
