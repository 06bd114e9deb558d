"""Where new schools go: siting each district's new builds on its candidate sites.

For each (district, level, scenario) with new builds, :func:`locate_new_schools` solves one
capacitated location–allocation (:meth:`~xuewei.planning.siting.SitingProblem.capacitated`):
the district's pupils of the level are the demand; its candidate sites, each holding one
standard school (or what its site allows), are the facilities; existing schools of the level
are fixed open with their spare places. Levels of a district run one after the other,
because a site taken at one level is not offered to the next: the level with more new places
to build chooses first (by need, not by name). Districts run side by side in threads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from xuewei.data import Standards
from xuewei.errors import InputError, Problem
from xuewei.planning.school_sizes import INPUT_SOURCE
from xuewei.planning.siting.problem import SitingProblem
from xuewei.vocabulary import LEVELS, Level

__all__ = ["locate_new_schools"]

#: What siting one group of new builds sets: (row label, column values, site point or None).
_Sited = list[tuple[Any, dict[str, Any], Any]]
#: One (district, scenario) chain: its levels in order, each with its new builds.
_Chain = list[tuple[Any, Level, float, pd.DataFrame]]


@dataclass(frozen=True)
class _Siting:
    """What every siting of one call shares: the inputs (district ids as text) and options."""

    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    schools: gpd.GeoDataFrame | None
    standards: Standards
    weight_col: str
    demand_id_col: str
    radius_m: float | None
    time_limit_s: float

    def radius(self, level: Level) -> float:
        return (
            self.radius_m if self.radius_m is not None else self.standards.service_radius_m(level)
        )


def locate_new_schools(
    additions: pd.DataFrame,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    standards: Standards,
    *,
    schools: gpd.GeoDataFrame | None = None,
    weight_col: str = "residents",
    demand_id_col: str = "estate_id",
    radius_m: float | None = None,
    time_limit_s: float = 30.0,
    workers: int | None = None,
) -> gpd.GeoDataFrame:
    """Choose a candidate site for each new build, per district and level (capacitated).

    For each (district, level, scenario) with new builds, demand is the district's pupils of
    that level: ``weight × standards.places_per_resident(level, scenario)``; sites are the
    district's candidate sites big enough for the smallest school (``max_classes``, when
    given), each holding the largest school's places or what its site allows; a site takes
    one school (a site used at one level is not offered to the next; the level with more new
    places to build chooses first); existing schools of the level are fixed open with their
    spare places. :meth:`SitingProblem.capacitated` opens as many sites as there are new
    builds, within the service radius (default the standard's); the largest schools go to
    the largest opened sites, then to those serving most pupils.

    Parameters
    ----------
    additions
        Output of :func:`staged_additions`.
    demand
        Points in the plan CRS with ``district_id``, ``demand_id_col`` and ``weight_col``
        (residents), e.g. estates.
    sites
        Candidate sites in the plan CRS with ``site_id``, ``district_id``, optional
        ``max_classes`` and ``source`` (e.g. ``"generated grid"`` from
        :func:`~xuewei.planning.siting.generate_candidate_sites`).
    standards
        Standards (level shares, radius).
    schools
        Existing schools (output of :func:`~xuewei.planning.school_places`, plan CRS).
    weight_col, demand_id_col
        Demand columns.
    radius_m
        Longest home–school distance; default ``standards.service_radius_m(level)``.
    time_limit_s
        Per solve.
    workers
        Districts (with their scenarios) sited at the same time, in threads; default the
        number of CPUs. The result is the same for any number.

    Returns
    -------
    geopandas.GeoDataFrame
        ``additions`` with ``site_id``, ``served_estates`` (ids, comma-separated, nearest
        first), ``pupils_served``, ``siting_status``, ``site_source`` (the site's ``source``,
        else :data:`INPUT_SOURCE`) and the site point as geometry (empty when no site could
        be found: ``site_id`` missing). Expansions get the school's point.
    """
    _need(demand, ["district_id", demand_id_col, weight_col], "demand")
    _need(sites, ["site_id", "district_id"], "sites")
    ctx = _Siting(
        demand=demand.assign(district_id=demand["district_id"].astype(str)),
        sites=sites.assign(district_id=sites["district_id"].astype(str)),
        schools=None
        if schools is None
        else schools.assign(district_id=schools["district_id"].astype(str)),
        standards=standards,
        weight_col=weight_col,
        demand_id_col=demand_id_col,
        radius_m=radius_m,
        time_limit_s=time_limit_s,
    )
    out = additions.copy()
    out["site_id"] = pd.Series([None] * len(out), dtype=object, index=out.index)
    out["served_estates"] = ""
    out["pupils_served"] = 0.0
    out["siting_status"] = ""
    geoms = _expansion_points(out, ctx.schools)
    for rows in _site_chains(ctx, _chains(out), workers):
        for idx, values, geom in rows:
            for column, value in values.items():
                out.at[idx, column] = value
            if geom is not None:
                geoms[int(out.index.get_loc(idx))] = geom  # type: ignore[arg-type]
    # where each site comes from: reserved land of the input, or the generated grid
    ss = ctx.sites
    given = ss["source"] if "source" in ss else pd.Series(INPUT_SOURCE, index=ss.index)
    source = dict(zip(ss["site_id"].astype(str), given, strict=True))
    out["site_source"] = [
        None if pd.isna(site) else source.get(str(site)) or INPUT_SOURCE for site in out["site_id"]
    ]
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, index=out.index, crs=sites.crs))


def _expansion_points(out: pd.DataFrame, schools: gpd.GeoDataFrame | None) -> list[Any]:
    """Return the school's point for each expansion row (``None`` for the other rows)."""
    geoms: list[Any] = [None] * len(out)
    if schools is not None and "school_id" in out:
        pts = schools.set_index(schools["school_id"].astype(str)).geometry
        for k, (kind, sid) in enumerate(zip(out["kind"], out["school_id"], strict=True)):
            if kind == "expansion" and sid in pts.index:
                geoms[k] = pts[sid]
    return geoms


def _chains(out: pd.DataFrame) -> dict[tuple[str, float], _Chain]:
    """Group the new builds into one chain per (district, scenario), levels by need.

    Levels compete for a district's sites (a site taken at one level is not offered to the
    next), so the level with more new places to build chooses first; equal needs go in
    the order of :data:`~xuewei.vocabulary.LEVELS` (primary before junior).
    """
    chains: dict[tuple[str, float], _Chain] = {}
    for key, g in out[out["kind"] == "new_build"].groupby(
        ["district_id", "level", "scenario"], sort=True
    ):
        did, level, scenario = cast(tuple[str, Level, float], key)
        chains.setdefault((str(did), float(scenario)), []).append((did, level, scenario, g))
    rank = {level: i for i, level in enumerate(LEVELS)}
    for groups in chains.values():
        groups.sort(key=lambda grp: (-float(grp[3]["places"].sum()), rank.get(grp[1], len(rank))))
    return chains


def _site_chains(
    ctx: _Siting, chains: dict[tuple[str, float], _Chain], workers: int | None
) -> list[_Sited]:
    """Site every chain; return their rows in the chains' order.

    Chains share nothing, so they run side by side in threads: HiGHS releases the GIL while
    it solves (1.9x on the 2-core project machine, benchmarks/README.md), and each solve is
    deterministic on its own (one thread, fixed seed), so the result does not depend on the
    number of workers.
    """

    def site_chain(groups: _Chain) -> _Sited:
        used: set[str] = set()  # a site taken at one level is not offered to the next
        return [
            row for did, level, sc, g in groups for row in _site_group(ctx, did, level, sc, g, used)
        ]

    n_workers = min(len(chains), workers or os.cpu_count() or 1)
    if n_workers <= 1:
        return [site_chain(groups) for groups in chains.values()]
    # the largest models (site–demand pairs within reach) start first, so that one big
    # district does not start last and run alone; rows are applied in the chains' order
    cost = {k: _pairs_in_reach(ctx, groups) for k, groups in chains.items()}
    keys = sorted(chains, key=lambda k: -cost[k])
    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        futures = {k: pool.submit(site_chain, chains[k]) for k in keys}
        return [futures[k].result() for k in chains]


def _site_group(
    ctx: _Siting, did: Any, level: Level, scenario: float, g: pd.DataFrame, used: set[str]
) -> _Sited:
    """Site one (district, level, scenario)'s new builds; add the sites it takes to used."""
    d = ctx.demand[ctx.demand["district_id"] == did]
    ss = ctx.sites
    cand = ss[(ss["district_id"] == did) & ~ss["site_id"].astype(str).isin(used)]
    if d.empty or cand.empty:
        status = "no candidate sites" if cand.empty else "no demand"
        return [(idx, {"siting_status": status}, None) for idx in g.index]
    builds = g.sort_values("seq")
    cand, site_pts = _site_points(ctx, cand, builds, level, did)
    n_free = int((~site_pts["fixed"]).sum())
    p = min(len(builds), n_free)
    if p == 0:
        return [(idx, {"siting_status": "no site large enough"}, None) for idx in g.index]
    rate = ctx.standards.places_per_resident(level, float(scenario))
    demand_pts = pd.DataFrame(
        {
            "demand_id": d[ctx.demand_id_col].to_numpy(),
            "x": d.geometry.x.to_numpy(),
            "y": d.geometry.y.to_numpy(),
            "w": d[ctx.weight_col].to_numpy(np.float64) * rate,
        }
    )
    problem = SitingProblem.from_points(demand_pts, site_pts, weight_col="w")
    r = problem.capacitated(p, radius_m=ctx.radius(level), time_limit_s=ctx.time_limit_s)
    opened = r.open_sites
    if len(opened) < p:  # nobody left within reach of further sites: nearest to demand
        opened = problem.p_median(p).open_sites
        status = "p-median (capacitated left sites unused)"
    else:
        status = f"capacitated {r.status}"
    asg = r.assignment.dropna(subset=["site_id"])
    pos = cand.set_index(cand["site_id"].astype(str)).geometry
    # largest school to the site serving the most pupils; loads are compared at 10⁻⁶ of a
    # pupil, so that two full sites (1,350 and 1,349.999…) tie and go by site id, whatever
    # the solver's rounding noise
    load = asg.groupby("site_id")["weight"].sum()
    room = dict(zip(site_pts["site_id"], site_pts["capacity"], strict=True))
    ranked = sorted(
        opened, key=lambda s: (-float(room[s]), -round(float(load.get(s, 0.0)), 6), str(s))
    )
    used.update(str(s) for s in ranked)
    sited: _Sited = []
    for idx, site in zip(builds.index, ranked, strict=False):
        mine_asg = asg[asg["site_id"] == site].sort_values("distance_m", kind="stable")
        values = {
            "site_id": str(site),
            "served_estates": ",".join(
                str(e) for e in dict.fromkeys(mine_asg["demand_id"].tolist())
            ),
            "pupils_served": float(mine_asg["weight"].sum()),
            "siting_status": status,
        }
        sited.append((idx, values, pos[site]))
    return sited


def _site_points(
    ctx: _Siting, cand: gpd.GeoDataFrame, builds: pd.DataFrame, level: Level, did: Any
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Return the candidate sites big enough for the smallest build, and the facilities.

    Facilities are those sites (each holding the largest build's places, or what its
    ``max_classes`` allows) and the district's existing schools of the level, fixed open
    with their spare places.
    """
    classes = builds["classes"].to_numpy()
    # classes each site holds; a site without max_classes: its size is not limited
    site_classes = np.full(len(cand), np.inf)
    if "max_classes" in cand:
        site_classes = pd.to_numeric(cand["max_classes"]).astype("Float64").fillna(np.inf)
        site_classes = site_classes.to_numpy(np.float64)
        keep = site_classes >= classes.min()
        cand, site_classes = cand[keep], site_classes[keep]
    site_pts = pd.DataFrame(
        {
            "site_id": cand["site_id"].astype(str).to_numpy(),
            "x": cand.geometry.x.to_numpy(),
            "y": cand.geometry.y.to_numpy(),
            "fixed": False,
            "capacity": np.minimum(
                site_classes * float(ctx.standards.class_size(level)), float(builds["places"].max())
            ),
        }
    )
    if ctx.schools is None:
        return cand, site_pts
    sch = ctx.schools
    mine = sch[(sch["district_id"] == did) & sch[f"places_{level}"].gt(0)]
    if not len(mine):
        return cand, site_pts
    enrolled = pd.to_numeric(mine.get("enrolment"), errors="coerce")
    spare = (
        (mine[f"places_{level}"] - enrolled * mine[f"places_{level}"] / mine["places"])
        .fillna(0.0)
        .clip(lower=0.0)
    )
    existing = pd.DataFrame(
        {
            "site_id": "school:" + mine["school_id"].astype(str).to_numpy(),
            "x": mine.geometry.x.to_numpy(),
            "y": mine.geometry.y.to_numpy(),
            "fixed": True,
            "capacity": spare.to_numpy(np.float64),
        }
    )
    return cand, pd.concat([site_pts, existing], ignore_index=True)


def _pairs_in_reach(ctx: _Siting, groups: _Chain) -> int:
    """Site–demand pairs within reach over a chain's levels: the size of its siting models."""
    did = groups[0][0]
    d = ctx.demand[ctx.demand["district_id"] == did]
    s = ctx.sites[ctx.sites["district_id"] == did]
    if d.empty or s.empty:
        return 0
    dt = cKDTree(np.column_stack([d.geometry.x.to_numpy(), d.geometry.y.to_numpy()]))
    st = cKDTree(np.column_stack([s.geometry.x.to_numpy(), s.geometry.y.to_numpy()]))
    return sum(int(st.count_neighbors(dt, ctx.radius(lv))) for _, lv, *_ in groups)


def _need(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise InputError([Problem(source, f"missing column `{c}`", column=c) for c in missing])
