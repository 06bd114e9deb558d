"""How many schools to build or expand, where, and the proposals table a meeting approves.

The rule for the count (documented here once, used everywhere):

1. **Expansions first.** Within a district, existing schools of the level whose site allows
   more classes (``max_classes`` > ``classes``) add ``(max_classes − classes) × class size``
   places, capped so the school stays within the school-size cap (2,000 pupils). Schools
   with the most room come first (ties by ``school_id``).
2. **Then standard new schools.** The rest of the deficit is met with new schools of the
   largest standard size (建标102-2002: 12/18/24/30 classes) that fits under the cap — 30
   classes: 1,350 primary places at 45, 1,500 junior at 50 — ``ceil(rest ÷ size)`` of them;
   the last one takes the smallest standard size that still covers what is left.
3. **Staging.** Additions are ordered (expansions, then new schools) and each is due in the
   first year the gap exceeds the places added before it, so a district whose deficit grows
   gets its schools one by one.

Where a new school goes is :class:`~xuewei.planning.siting.SitingProblem`'s job
(capacitated: each site holds its school's standard size, existing schools their spare
places); :func:`locate_new_schools` runs it per district and level. :func:`proposals_table`
gathers new builds, expansions, mergers, kindergartens and special-education schools into
one table with a plain-language rationale in Chinese and English.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from xuewei.data import Standards
from xuewei.errors import InputError, Problem
from xuewei.planning._names import district_names
from xuewei.planning.siting import SitingProblem
from xuewei.vocabulary import Level

__all__ = [
    "PROPOSAL_COLUMNS",
    "locate_new_schools",
    "proposals_table",
    "school_counts",
    "staged_additions",
    "standard_school",
]

#: Levels new schools are planned for (the gap table's ``compulsory`` is their sum).
PLANNED_LEVELS: tuple[Level, ...] = ("primary", "junior")

#: ``site_source`` of a site from the plan's ``candidate_sites`` (reserved education land).
INPUT_SOURCE = "candidate_sites"
#: ``site_source`` of a site of :func:`xuewei.planning.candidates.generate_candidate_sites`
#: (the ``source`` it writes).
GENERATED_SOURCE = "generated grid"

#: What siting one group of new builds sets: (row label, column values, site point or None).
_Sited = list[tuple[Any, dict[str, Any], Any]]

#: Columns of :func:`proposals_table` (plus ``geometry``).
PROPOSAL_COLUMNS = [
    "proposal_id",
    "kind",
    "district_id",
    "level",
    "scenario",
    "year",
    "places",
    "classes",
    "school_id",
    "site_id",
    "site_source",
    "receiver_ids",
    "served_estates",
    "pupils_moved",
    "distance_m",
    "rationale_zh",
    "rationale_en",
]

_LEVEL_ZH = {
    "primary": "小学",
    "junior": "初中",
    "nine_year": "九年一贯制学校",
    "kindergarten": "幼儿园",
}


def standard_school(standards: Standards, level: Level) -> tuple[int, int]:
    """Return ``(classes, places)`` of the largest standard school under the size cap.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> s = load_standards()
    >>> standard_school(s, "primary"), standard_school(s, "junior")
    ((30, 1350), (30, 1500))
    """
    size = standards.class_size(level)
    cap = standards.school_size_cap(level)
    fits = [c for c in standards.standard_classes(level) if c * size <= cap]
    if not fits:
        raise InputError(
            f"no standard {level} school size fits under the cap of {cap} pupils at {size} per "
            "class; check standard_classes and school_size_cap"
        )
    return max(fits), max(fits) * size


def _smallest_covering(standards: Standards, level: Level, places: float) -> int:
    size = standards.class_size(level)
    cap = standards.school_size_cap(level)
    sizes = sorted(c for c in standards.standard_classes(level) if c * size <= cap)
    for c in sizes:
        if c * size >= places:
            return c
    return sizes[-1]


def _expansion_room(schools: pd.DataFrame | None, standards: Standards) -> pd.DataFrame:
    """Places each existing school can add on its site: district, level, school, room."""
    cols = ["district_id", "level", "school_id", "room", "add_classes"]
    if schools is None or schools.empty or "max_classes" not in schools:
        return pd.DataFrame({c: pd.Series(dtype=float if c == "room" else object) for c in cols})
    s = schools[schools["level"].isin(PLANNED_LEVELS)]
    classes = pd.to_numeric(s["classes"], errors="coerce").to_numpy(np.float64)
    max_classes = pd.to_numeric(s["max_classes"], errors="coerce").to_numpy(np.float64)
    size = np.array([standards.class_size(lv) for lv in s["level"]], dtype=np.float64)
    cap = np.array([standards.school_size_cap(lv) for lv in s["level"]], dtype=np.float64)
    places = s["places"].to_numpy(np.float64)
    add_classes = np.floor(np.minimum(max_classes - classes, (cap - places) / size))
    add_classes = np.where(np.isfinite(add_classes), np.maximum(add_classes, 0.0), 0.0)
    out = pd.DataFrame(
        {
            "district_id": s["district_id"].astype(str).to_numpy(),
            "level": s["level"].astype(str).to_numpy(),
            "school_id": s["school_id"].astype(str).to_numpy(),
            "room": add_classes * size,
            "add_classes": add_classes,
        }
    )
    out = out[out["room"] > 0]
    return out.sort_values(
        ["district_id", "level", "room", "school_id"], ascending=[True, True, False, True]
    ).reset_index(drop=True)


def school_counts(
    gaps: pd.DataFrame,
    standards: Standards,
    *,
    schools: pd.DataFrame | None = None,
    expansions: bool = True,
) -> pd.DataFrame:
    """Count the standard schools needed per district, year, level and scenario.

    Applies the module's rule to each row of the gap table: expansions of existing schools
    first (when ``schools`` has ``max_classes`` and ``expansions`` is true), then
    ``ceil(rest ÷ standard size)`` new schools.

    Parameters
    ----------
    gaps
        ``district_id, year, level, scenario, gap`` (e.g. ``PlanResult.gaps``); rows of
        levels other than primary and junior are left out.
    standards
        Class sizes, standard school sizes and caps.
    schools
        Output of :func:`~xuewei.planning.school_places` with ``district_id``, ``classes``
        and ``max_classes``, for expansions.
    expansions
        Use expansions before new schools.

    Returns
    -------
    pandas.DataFrame
        ``district_id, year, level, scenario, gap, expansion_places, new_schools,
        new_school_classes`` (classes of the standard new school), ``new_places``,
        ``surplus`` (places added beyond the gap, ≥ 0).

    Examples
    --------
    A primary deficit of 3,000 places: two 30-class schools (2 × 1,350 = 2,700) and, for the
    300 left, a 12-class one (540); with a school that can add 6 classes (270 places) first,
    the expansion and two schools leave 30 places, so a third is still needed:

    >>> from xuewei.data import load_standards
    >>> g = pd.DataFrame({"district_id": ["a"], "year": [2030], "level": ["primary"],
    ...                   "scenario": [85.0], "gap": [3000.0]})
    >>> s = load_standards()
    >>> school_counts(g, s)[["expansion_places", "new_schools", "new_places"]].to_dict("records")
    [{'expansion_places': 0.0, 'new_schools': 3, 'new_places': 3240.0}]
    >>> sch = pd.DataFrame({"district_id": ["a"], "level": ["primary"], "school_id": ["p1"],
    ...                     "classes": [24], "max_classes": [30], "places": [1080.0]})
    >>> school_counts(g, s, schools=sch)[["expansion_places", "new_schools"]].to_dict("records")
    [{'expansion_places': 270.0, 'new_schools': 3}]
    """
    rows = gaps[gaps["level"].isin(PLANNED_LEVELS)]
    room = _expansion_room(schools if expansions else None, standards)
    room_by = room.groupby(["district_id", "level"])["room"].sum()
    out = rows[["district_id", "year", "level", "scenario", "gap"]].copy()
    out["district_id"] = out["district_id"].astype(str)
    deficit = np.maximum(out["gap"].to_numpy(np.float64), 0.0)
    keys = list(zip(out["district_id"], out["level"], strict=True))
    avail = np.array([float(room_by.get(k, 0.0)) for k in keys])
    expansion = np.minimum(deficit, avail)
    rest = deficit - expansion
    std = {lv: standard_school(standards, lv) for lv in PLANNED_LEVELS}
    std_places = np.array([std[lv][1] for lv in out["level"]], dtype=np.float64)
    n_new = np.ceil(np.round(rest / std_places, 9)).astype(np.int64)
    new_places = np.zeros(len(out))
    for i, (lv, r, n) in enumerate(zip(out["level"], rest, n_new, strict=True)):
        if n > 0:
            last = r - (n - 1) * std[lv][1]
            new_places[i] = (n - 1) * std[lv][1] + _smallest_covering(
                standards, lv, last
            ) * standards.class_size(lv)
    out["expansion_places"] = _expansion_used(expansion, avail, room, keys)
    out["new_schools"] = n_new
    out["new_school_classes"] = np.array([std[lv][0] for lv in out["level"]], dtype=np.int64)
    out["new_places"] = new_places
    out["surplus"] = out["expansion_places"] + new_places - deficit
    return out.reset_index(drop=True)


def _expansion_used(
    wanted: np.ndarray, avail: np.ndarray, room: pd.DataFrame, keys: list[tuple[str, str]]
) -> np.ndarray:
    """Expansion places in whole classes: schools are taken whole, largest room first."""
    used = np.zeros(len(wanted))
    groups = {k: g["room"].to_numpy() for k, g in room.groupby(["district_id", "level"])}
    for i, k in enumerate(keys):
        if wanted[i] <= 0:
            continue
        total = 0.0
        for r in groups.get(k, np.zeros(0)):
            if total >= wanted[i]:
                break
            total += r
        used[i] = total
    return used


def staged_additions(
    gaps: pd.DataFrame,
    standards: Standards,
    *,
    schools: pd.DataFrame | None = None,
    expansions: bool = True,
) -> pd.DataFrame:
    """List the expansions and new schools per district, level and scenario, with years.

    Additions follow the module's rule (expansions by room, then standard new schools,
    the last sized to what is left); addition ``k`` is due in the first year the gap exceeds
    the places of additions ``1 … k−1``. Enough is added to meet the largest gap over the
    years.

    Parameters
    ----------
    gaps, standards, schools, expansions
        As in :func:`school_counts`.

    Returns
    -------
    pandas.DataFrame
        One row per addition: ``district_id, level, scenario, seq, kind`` (``expansion`` or
        ``new_build``), ``year``, ``places``, ``classes``, ``school_id`` (the school
        expanded; missing for new builds), ``gap`` (the gap in that year).

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> g = pd.DataFrame({"district_id": "a", "year": [2026, 2028, 2030], "level": "junior",
    ...                   "scenario": 85.0, "gap": [-100.0, 900.0, 2000.0]})
    >>> out = staged_additions(g, load_standards())
    >>> out[["kind", "year"]].to_dict("list")
    {'kind': ['new_build', 'new_build'], 'year': [2028, 2030]}
    >>> out[["places", "classes"]].to_dict("list")
    {'places': [1500.0, 600.0], 'classes': [30, 12]}
    """
    rows = gaps[gaps["level"].isin(PLANNED_LEVELS)].copy()
    rows["district_id"] = rows["district_id"].astype(str)
    room = _expansion_room(schools if expansions else None, standards)
    records: list[dict[str, object]] = []
    for key, g in rows.groupby(["district_id", "level", "scenario"], sort=True):
        did, level, scenario = cast(tuple[str, Level, float], key)
        g = g.sort_values("year")
        years = g["year"].to_numpy()
        gap = g["gap"].to_numpy(np.float64)
        peak = float(gap.max())
        if peak <= 0:
            continue
        added = 0.0
        seq = 0
        size = standards.class_size(level)
        std_classes, std_places = standard_school(standards, level)
        mine = room[(room["district_id"] == did) & (room["level"] == level)]
        queue = [
            ("expansion", float(r.room), int(r.add_classes), str(r.school_id)) for r in _rows(mine)
        ]
        while added < peak - 1e-9:
            if queue:
                kind, places, classes, school = queue.pop(0)
            else:
                left = peak - added
                classes = (
                    std_classes if left > std_places else _smallest_covering(standards, level, left)
                )
                kind, places, school = "new_build", float(classes * size), None
            due = int(years[np.argmax(gap > added + 1e-9)])
            seq += 1
            records.append(
                {
                    "district_id": did,
                    "level": level,
                    "scenario": float(scenario),
                    "seq": seq,
                    "kind": kind,
                    "year": due,
                    "places": places,
                    "classes": classes,
                    "school_id": school,
                    "gap": float(gap[years == due][0]),
                }
            )
            added += places
    cols = [
        "district_id",
        "level",
        "scenario",
        "seq",
        "kind",
        "year",
        "places",
        "classes",
        "school_id",
        "gap",
    ]
    out = pd.DataFrame.from_records(records, columns=cols)
    return out.astype({"year": "int64", "classes": "int64", "places": "float64", "seq": "int64"})


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

    For each (district, level, scenario) with new builds, demand is the district's pupils
    of that level: ``weight × scenario ÷ 1000 × level share``; sites are the district's
    candidate sites big enough for the smallest school (``max_classes``, when given), each
    holding the largest school's places or what its site allows; a site takes one school
    (a site used at one level is not offered to the next); existing schools of the level
    are fixed open with their spare places. :meth:`SitingProblem.capacitated` opens as
    many sites as there are new builds, within the service radius (default the
    standard's); the largest schools go to the largest opened sites, then to those serving
    most pupils.

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
        :func:`~xuewei.planning.candidates.generate_candidate_sites`).
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
    out = additions.copy()
    out["site_id"] = pd.Series([None] * len(out), dtype=object, index=out.index)
    out["served_estates"] = ""
    out["pupils_served"] = 0.0
    out["siting_status"] = ""
    geoms = [None] * len(out)
    crs = sites.crs
    dd = demand.assign(district_id=demand["district_id"].astype(str))
    ss = sites.assign(district_id=sites["district_id"].astype(str))
    sch = None
    if schools is not None:
        sch = schools.assign(district_id=schools["district_id"].astype(str))
        if "school_id" in out:
            pts = sch.set_index(sch["school_id"].astype(str)).geometry
            for k, (kind, sid) in enumerate(zip(out["kind"], out["school_id"], strict=True)):
                if kind == "expansion" and sid in pts.index:
                    geoms[k] = pts[sid]
    share = standards.level_share

    def site_group(
        did: Any, level: Level, scenario: float, g: pd.DataFrame, used: set[str]
    ) -> _Sited:
        """Site one (district, level, scenario)'s new builds; adds the sites it takes to used."""
        d = dd[dd["district_id"] == did]
        cand = ss[(ss["district_id"] == did) & ~ss["site_id"].astype(str).isin(used)]
        if d.empty or cand.empty:
            status = "no candidate sites" if cand.empty else "no demand"
            return [(idx, {"siting_status": status}, None) for idx in g.index]
        builds = g.sort_values("seq")
        classes = builds["classes"].to_numpy()
        # classes each site holds; a site without max_classes: its size is not limited
        site_classes = np.full(len(cand), np.inf)
        if "max_classes" in cand:
            site_classes = pd.to_numeric(cand["max_classes"]).astype("Float64").fillna(np.inf)
            site_classes = site_classes.to_numpy(np.float64)
            keep = site_classes >= classes.min()
            cand, site_classes = cand[keep], site_classes[keep]
        pupils = d[weight_col].to_numpy(np.float64) * float(scenario) / 1000.0 * share[level]
        demand_pts = pd.DataFrame(
            {
                "demand_id": d[demand_id_col].to_numpy(),
                "x": d.geometry.x.to_numpy(),
                "y": d.geometry.y.to_numpy(),
                "w": pupils,
            }
        )
        site_pts = pd.DataFrame(
            {
                "site_id": cand["site_id"].astype(str).to_numpy(),
                "x": cand.geometry.x.to_numpy(),
                "y": cand.geometry.y.to_numpy(),
                "fixed": False,
                "capacity": np.minimum(
                    site_classes * float(standards.class_size(level)), float(builds["places"].max())
                ),
            }
        )
        if sch is not None:
            mine = sch[(sch["district_id"] == did) & sch[f"places_{level}"].gt(0)]
            if len(mine):
                spare = (
                    (
                        mine[f"places_{level}"]
                        - pd.to_numeric(mine.get("enrolment"), errors="coerce")
                        * mine[f"places_{level}"]
                        / mine["places"]
                    )
                    .fillna(0.0)
                    .clip(lower=0.0)
                )
                site_pts = pd.concat(
                    [
                        site_pts,
                        pd.DataFrame(
                            {
                                "site_id": "school:" + mine["school_id"].astype(str).to_numpy(),
                                "x": mine.geometry.x.to_numpy(),
                                "y": mine.geometry.y.to_numpy(),
                                "fixed": True,
                                "capacity": spare.to_numpy(np.float64),
                            }
                        ),
                    ],
                    ignore_index=True,
                )
        n_free = int((~site_pts["fixed"]).sum())
        p = min(len(builds), n_free)
        if p == 0:
            return [(idx, {"siting_status": "no site large enough"}, None) for idx in g.index]
        problem = SitingProblem.from_points(demand_pts, site_pts, weight_col="w")
        r = problem.capacitated(
            p,
            radius_m=radius_m if radius_m is not None else standards.service_radius_m(level),
            time_limit_s=time_limit_s,
        )
        opened = r.open_sites
        if len(opened) < p:  # nobody left within reach of further sites: nearest to demand
            rp = problem.p_median(p)
            opened = rp.open_sites
            status = "p-median (capacitated left sites unused)"
        else:
            status = f"capacitated {r.status}"
        asg = r.assignment.dropna(subset=["site_id"])
        pos = cand.set_index(cand["site_id"].astype(str)).geometry
        # largest school to the site serving the most pupils
        load = asg.groupby("site_id")["weight"].sum()
        room = dict(zip(site_pts["site_id"], site_pts["capacity"], strict=True))
        ranked = sorted(opened, key=lambda s: (-float(room[s]), -float(load.get(s, 0.0)), str(s)))
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

    # One chain per (district, scenario): its levels in order, because a site taken at one
    # level is not offered to the next. Chains share nothing, so they run side by side in
    # threads: HiGHS releases the GIL while it solves (1.9x on the 2-core project machine,
    # benchmarks/README.md), and each solve is deterministic on its own (one thread, fixed
    # seed), so the result does not depend on the number of workers.
    chains: dict[tuple[str, float], list[tuple[Any, Level, float, pd.DataFrame]]] = {}
    for key, g in out[out["kind"] == "new_build"].groupby(
        ["district_id", "level", "scenario"], sort=True
    ):
        did, level, scenario = cast(tuple[str, Level, float], key)
        chains.setdefault((str(did), float(scenario)), []).append((did, level, scenario, g))

    def site_chain(groups: list[tuple[Any, Level, float, pd.DataFrame]]) -> _Sited:
        used: set[str] = set()
        return [row for did, level, sc, g in groups for row in site_group(did, level, sc, g, used)]

    n_workers = min(len(chains), workers or os.cpu_count() or 1)
    if n_workers <= 1:
        results = [site_chain(groups) for groups in chains.values()]
    else:
        # the largest models (site–demand pairs within reach) start first, so that one big
        # district does not start last and run alone; rows are applied in the chains' order
        cost = {
            k: _pairs_in_reach(groups, dd, ss, standards, radius_m) for k, groups in chains.items()
        }
        keys = sorted(chains, key=lambda k: -cost[k])
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            futures = {k: pool.submit(site_chain, chains[k]) for k in keys}
            results = [futures[k].result() for k in chains]
    for rows in results:
        for idx, values, geom in rows:
            for column, value in values.items():
                out.at[idx, column] = value
            if geom is not None:
                geoms[int(out.index.get_loc(idx))] = geom  # type: ignore[arg-type]
    # where each site comes from: reserved land of the input, or the generated grid
    given = ss["source"] if "source" in ss else pd.Series(INPUT_SOURCE, index=ss.index)
    source = dict(zip(ss["site_id"].astype(str), given, strict=True))
    out["site_source"] = [
        None if pd.isna(site) else source.get(str(site)) or INPUT_SOURCE for site in out["site_id"]
    ]
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, index=out.index, crs=crs))


def _pairs_in_reach(
    groups: list[tuple[Any, Level, float, pd.DataFrame]],
    demand: pd.DataFrame,
    sites: pd.DataFrame,
    standards: Standards,
    radius_m: float | None,
) -> int:
    """Site–demand pairs within reach over a chain's levels: the size of its siting models."""
    did = groups[0][0]
    d = demand[demand["district_id"] == did]
    s = sites[sites["district_id"] == did]
    if d.empty or s.empty:
        return 0
    dt = cKDTree(np.column_stack([d.geometry.x.to_numpy(), d.geometry.y.to_numpy()]))
    st = cKDTree(np.column_stack([s.geometry.x.to_numpy(), s.geometry.y.to_numpy()]))
    reach = [
        radius_m if radius_m is not None else standards.service_radius_m(lv) for _, lv, *_ in groups
    ]
    return sum(int(st.count_neighbors(dt, r)) for r in reach)


def _rows(frame: pd.DataFrame) -> list[Any]:
    """Rows as named tuples, typed loosely (their fields are checked by the caller)."""
    return list(frame.itertuples(index=False))


def _need(frame: pd.DataFrame, columns: Sequence[str], source: str) -> None:
    missing = [c for c in columns if c not in frame]
    if missing:
        raise InputError([Problem(source, f"missing column `{c}`", column=c) for c in missing])


def proposals_table(
    *,
    builds: pd.DataFrame | None = None,
    mergers: pd.DataFrame | None = None,
    kindergartens: pd.DataFrame | None = None,
    special_education: pd.DataFrame | None = None,
    crs: object | None = None,
) -> gpd.GeoDataFrame:
    r"""Gather every proposal into one table with a rationale in Chinese and English.

    Parameters
    ----------
    builds
        Output of :func:`locate_new_schools` (or :func:`staged_additions`): new builds and
        expansions.
    mergers
        Output of :func:`xuewei.planning.mergers.plan_mergers` (one row per flow).
    kindergartens
        Output of :func:`xuewei.planning.rules.kindergarten_needs`.
    special_education
        Output of :func:`xuewei.planning.rules.special_education_needs`.
    crs
        CRS of the geometry (default: that of the first geo input).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`PROPOSAL_COLUMNS` and ``geometry``: one row per proposal; ``kind`` ∈
        ``new_build``, ``expansion``, ``merger``, ``kindergarten``, ``special_education``;
        sorted by district, year, kind.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> g = pd.DataFrame({"district_id": "a", "year": [2030], "level": "primary",
    ...                   "scenario": 90.0, "gap": [1000.0]})
    >>> t = proposals_table(builds=staged_additions(g, load_standards()))
    >>> t[["kind", "places", "classes"]].to_dict("records")
    [{'kind': 'new_build', 'places': 1080.0, 'classes': 24}]
    >>> print(t["rationale_en"].iloc[0].replace("; ", ";\n"))
    District a, 2030: 1,000 primary places missing at 90 per 1,000 residents;
    build a 24-class primary school (1,080 places).
    """
    frames: list[pd.DataFrame] = []
    geoms: list[object] = []
    if builds is not None and len(builds):
        frames.append(_build_rows(builds))
        geoms.extend(_geoms(builds))
    if mergers is not None and len(mergers):
        m, g = _merger_rows(mergers)
        frames.append(m)
        geoms.extend(g)
    for extra in (kindergartens, special_education):
        if extra is not None and len(extra):
            frames.append(extra.reindex(columns=PROPOSAL_COLUMNS).drop(columns="proposal_id"))
            geoms.extend(_geoms(extra))
    if crs is None:
        for f in (builds, mergers, kindergartens, special_education):
            if isinstance(f, gpd.GeoDataFrame) and f.crs is not None:
                crs = f.crs
                break
    if not frames:
        empty = pd.DataFrame({c: pd.Series(dtype=object) for c in PROPOSAL_COLUMNS})
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=crs))
    out = pd.concat(frames, ignore_index=True)
    out["_geom"] = pd.Series(geoms, index=out.index, dtype=object)
    kind_order = {
        "new_build": 0,
        "expansion": 1,
        "merger": 2,
        "kindergarten": 3,
        "special_education": 4,
    }
    out["_k"] = out["kind"].map(kind_order)
    out = out.sort_values(
        ["district_id", "year", "_k", "level", "scenario"], kind="stable", na_position="last"
    ).reset_index(drop=True)
    out.insert(0, "proposal_id", [f"P{i:04d}" for i in range(1, len(out) + 1)])
    geometry = gpd.GeoSeries(out["_geom"].tolist(), crs=crs)
    out = out.drop(columns=["_geom", "_k"])[PROPOSAL_COLUMNS]
    return gpd.GeoDataFrame(out, geometry=geometry)


def _geoms(frame: pd.DataFrame) -> list[object]:
    if isinstance(frame, gpd.GeoDataFrame):
        return list(frame.geometry)
    return [None] * len(frame)


def _build_rows(b: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for r in _rows(b):
        level, places = str(r.level), float(r.places)
        gap = float(getattr(r, "gap", math.nan))
        scen = float(r.scenario)
        estates = str(getattr(r, "served_estates", "") or "")
        n_est = len([e for e in estates.split(",") if e])
        site = getattr(r, "site_id", None)
        generated = getattr(r, "site_source", None) == GENERATED_SOURCE
        grid_zh = "（网格生成的候选点，用地待落实）" if generated else ""
        where_zh = f"，选址{site}{grid_zh}，服务{n_est}个小区" if site else ""
        where_en = (
            f" at {'generated grid site' if generated else 'site'} {site}"
            f"{' (land still to be found)' if generated else ''}, serving {n_est} estate(s)"
            if site
            else ""
        )
        name_zh, name_en = district_names(r)
        head_zh = (
            f"{name_zh}{r.year}年按千人{scen:g}个学位测算{_LEVEL_ZH[level]}学位缺口{gap:,.0f}个"
        )
        head_en = (
            f"{name_en}, {r.year}: {gap:,.0f} {level} places missing at "
            f"{scen:g} per 1,000 residents"
        )
        if r.kind == "expansion":
            zh = f"{head_zh}；{r.school_id}原址扩建{r.classes}个班（{places:,.0f}个学位）。"
            en = (
                f"{head_en}; expand school {r.school_id} by {r.classes} classes "
                f"({places:,.0f} places)."
            )
        else:
            zh = (
                f"{head_zh}；新建{r.classes}班{_LEVEL_ZH[level]}（{places:,.0f}个学位）{where_zh}。"
            )
            en = (
                f"{head_en}; build a {r.classes}-class {level} school ({places:,.0f} places)"
                f"{where_en}."
            )
        rows.append(
            {
                "kind": r.kind,
                "district_id": r.district_id,
                "level": level,
                "scenario": scen,
                "year": int(r.year),
                "places": places,
                "classes": int(r.classes),
                "school_id": getattr(r, "school_id", None) if r.kind == "expansion" else None,
                "site_id": site,
                "site_source": getattr(r, "site_source", None) if site else None,
                "receiver_ids": None,
                "served_estates": estates or None,
                "pupils_moved": math.nan,
                "distance_m": math.nan,
                "rationale_zh": zh,
                "rationale_en": en,
            }
        )
    return pd.DataFrame(rows)


def _merger_rows(m: pd.DataFrame) -> tuple[pd.DataFrame, list[object]]:
    rows, geoms = [], []
    ok = m[m["receiver_id"].notna()]
    for sid, g in ok.groupby("school_id", sort=True):
        first = g.iloc[0]
        receivers = ",".join(str(x) for x in g["receiver_id"])
        moved = float(g["pupils_moved"].sum())
        far = bool(g["beyond_radius"].any())
        dist = float((g["pupils_moved"] * g["distance_m"]).sum() / max(moved, 1e-9))
        year = int(g["year"].max())
        note_zh = "，部分学生超出服务半径，需寄宿或校车接送" if far else ""
        note_en = (
            "; some pupils beyond the service radius: boarding or school bus needed" if far else ""
        )
        level = str(first["level"])
        rows.append(
            {
                "kind": "merger",
                "district_id": str(first["district_id"]),
                "level": level,
                "scenario": math.nan,
                "year": year,
                "places": -float(first.get("places", math.nan)),
                "classes": None,
                "school_id": str(sid),
                "site_id": None,
                "receiver_ids": receivers,
                "served_estates": None,
                "pupils_moved": moved,
                "distance_m": dist,
                "rationale_zh": (
                    f"{sid}在校生{moved:,.0f}人、利用率{first['utilisation']:.0%}，属小规模低利用"
                    f"{_LEVEL_ZH.get(level, level)}；{year}年起并入{receivers}（先建后撤），"
                    f"平均增加上学距离{dist:,.0f}米{note_zh}。"
                ),
                "rationale_en": (
                    f"School {sid} has {moved:,.0f} pupils at {first['utilisation']:.0%} "
                    f"utilisation (small and under-used); merge into {receivers} from {year} "
                    f"(build before close), adding {dist:,.0f} m of travel on average{note_en}."
                ),
            }
        )
        geoms.append(first["geometry"] if "geometry" in g else None)
    return pd.DataFrame(rows), geoms
