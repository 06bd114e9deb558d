"""Drawing attendance zones for a plan: units, one case per district and level, a solver each.

:func:`draw_zones` tiles the districts into units (:func:`~xuewei.planning.zones.build_units`),
then, district by district (a zone never crosses a district boundary), builds one
:class:`~xuewei.planning.zones.problem.ZoneCase` per level and solves it: the exact MIP for
small cases, the heuristic for large ones (``method="auto"``), and gathers the answers into
a :class:`~xuewei.planning.zones.ZoneResult`.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.data import Standards
from xuewei.errors import ConfigError, InputError, Problem
from xuewei.vocabulary import SettlementRule

from .bound import least_over_trip_m, reachable, unavoidable_overflow
from .crowding import crowded_core
from .exact import solve_exact
from .feeders import feed_junior
from .heuristic import CUT_NOTES, grown_zones, relative_gap, solve_heuristic, transport_bound
from .pool import map_in_order, resolve_workers
from .problem import (
    IntArray,
    ZoneCase,
    components_of,
    make_case,
    objective_of,
    overflow_of,
)
from .reach import cases_reach, unit_rural, with_reach
from .result import (
    NO_SCHOOL_CASE,
    ZoneResult,
    assignment_rows,
    dissolve_zones,
    feeds_of,
    school_rows,
    school_table,
)
from .units import ZONE_LEVELS, Contiguity, build_units, serving_schools, unit_adjacency

__all__ = ["ZoneMethod", "district_cases", "draw_zones"]

ZoneMethod = Literal["auto", "exact", "heuristic"]


@dataclass(frozen=True)
class _Settings:
    method: str
    feeders: bool
    time_limit_s: float
    exact_max_units: int
    moved_weight_km: float
    detour_factor: float
    max_utilisation: float
    deadline: float = float("inf")

    def left(self) -> float:
        """Seconds left of the whole call's time limit."""
        return self.deadline - time.perf_counter()


@dataclass(frozen=True)
class _Solved:
    label: IntArray
    method: str
    status: str
    objective: float
    bound: float
    seconds: float
    conflicts: int = 0
    note: str = ""


def draw_zones(
    districts: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    *,
    year: int,
    standards: Standards,
    scenario: float | None = None,
    levels: Sequence[str] = ZONE_LEVELS,
    method: ZoneMethod = "auto",
    feeders: bool = False,
    current: gpd.GeoDataFrame | None = None,
    max_utilisation: float = 1.0,
    moved_weight_km: float = 1.0,
    detour_factor: float = 1.0,
    contiguity: Contiguity = "rook",
    exact_max_units: int = 120,
    time_limit_s: float = 600.0,
    residents_col: str = "residents",
    workers: int | None = 1,
    settlement: SettlementRule = "density",
) -> ZoneResult:
    """Draw contiguous attendance zones (学区) within capacity for each school and level.

    Every unit goes to one school of each level of its district; each school's zone is
    connected and holds the school's own unit; a school takes at most its places ×
    ``max_utilisation`` pupils wherever the district's places allow (otherwise the pupils
    over are as few as possible, and reported); among such zonings the one with the least
    pupil-kilometres of travel, plus ``moved_weight_km`` for each pupil moved away from
    the current zone, is sought.

    Parameters
    ----------
    districts, estates, schools
        Plan-CRS layers as from :func:`xuewei.pipeline.read_inputs`; schools need
        ``places_primary``/``places_junior`` (:func:`xuewei.planning.school_places`) and,
        like estates, ``district_id``.
    year
        The year whose residents (estates completed by then) are zoned.
    standards
        Pupils per resident of each level: ``standards.places_per_resident(level, scenario)``.
    scenario
        Places per 1,000 residents; default the standards' central scenario.
    levels
        ``"primary"`` and/or ``"junior"``.
    method
        ``"exact"`` (HiGHS MIP with flow contiguity, proven optimal or with its gap),
        ``"heuristic"`` (transport LP, repair, local search, with the LP bound), or
        ``"auto"``: exact for a district of at most ``exact_max_units`` units.
    feeders
        Each primary school feeds one junior school and its zone lies inside that
        school's zone (needs both levels).
    current
        Today's zones: polygons with ``school_id``; a unit's current school is the zone
        its estate lies in.
    max_utilisation
        Pupils allowed per place (1.0 = 100 %).
    moved_weight_km
        Cost of one pupil moved, in pupil-kilometres of travel.
    detour_factor
        Travel distance ÷ straight-line distance (≥ 1).
    contiguity
        ``"rook"`` (units sharing a boundary) or ``"queen"`` (touching).
    exact_max_units, time_limit_s
        The size limit of ``"auto"`` for the exact model; the time limit of the whole call.
        Exact models get what is left of it; the heuristic stops its search at it (zones
        cut short may differ from run to run); a case begun after it only grows zones
        from the schools (``grown_zones``, milliseconds), so the call ends within one
        transport LP of the limit. Each is noted in ``cases``. The default, 600 s,
        leaves the Changsha demo city (40–110 s) uncut, its zones the same on every run.
    residents_col
        The estates' residents column.
    workers
        Processes solving districts (and, without feeders, each district's levels) side
        by side (:mod:`~xuewei.planning.zones.pool`):
        ``1`` (the default) solves them in this process, ``None`` uses every CPU. The
        zones are the same with any number (except zones cut short by ``time_limit_s``).
        Workers are spawned, so a script that asks for more than one must call this
        under ``if __name__ == "__main__":``, as for any multiprocessing code (a notebook
        needs nothing); ``xuewei zones`` uses every CPU by default.
    settlement
        Who is rural, for the service radius the tables measure travel against
        (:mod:`~xuewei.planning.zones.reach`): ``"density"`` (the estates' ``settlement``
        column, else the density rule; the plans' default), ``"column"`` or ``"urban"``.
        It changes no zone, only what is reported: each unit's ``settlement``,
        ``radius_m`` and ``beyond_radius``, and ``beyond_radius_pupils`` per school and
        per case.

    Returns
    -------
    ZoneResult

    Examples
    --------
    >>> import shapely
    >>> from xuewei.data import load_standards
    >>> d = gpd.GeoDataFrame({"district_id": ["d"]}, geometry=[shapely.box(0, 0, 4000, 1000)],
    ...     crs=4547)
    >>> e = gpd.GeoDataFrame({"estate_id": list("abcd"), "district_id": "d",
    ...     "residents": 1000.0}, geometry=gpd.points_from_xy([500, 1500, 2500, 3500],
    ...     [500] * 4), crs=4547)
    >>> s = gpd.GeoDataFrame({"school_id": ["w", "e"], "district_id": "d",
    ...     "level": "primary", "places_primary": [150.0, 150.0], "places_junior": 0.0},
    ...     geometry=gpd.points_from_xy([0, 4000], [500, 500]), crs=4547)
    >>> z = draw_zones(d, e, s, year=2025, standards=load_standards(), levels=["primary"])
    >>> z.assignments[["unit_id", "school_id"]].values.tolist()[:4]
    [['d:0', 'w'], ['d:1', 'w'], ['d:2', 'w'], ['d:3', 'e']]
    >>> z.cases[["method", "status", "gap", "non_contiguous"]].values.tolist()
    [['exact', 'optimal', 0.0, 0]]
    """
    _check(levels, method, feeders, max_utilisation, moved_weight_km, detour_factor)
    settings = _Settings(
        method,
        feeders,
        time_limit_s,
        exact_max_units,
        moved_weight_km,
        detour_factor,
        max_utilisation,
        time.perf_counter() + time_limit_s,
    )
    units, adj, served, cur = _units_and_schools(
        districts, estates, schools, year, standards, scenario, residents_col, contiguity,
        levels, current,
    )  # fmt: skip
    rural = unit_rural(units, estates, standards, settlement)  # checks the rule before solving
    rows, cases = [], []
    districts_made = list(_district_cases(units, adj, served, cur, settings))
    # a job per district, or per district and level where feeders do not tie the levels
    jobs = [
        (k, part)
        for k, (_, _, made) in enumerate(districts_made)
        for part in ([made] if feeders else [{lv: made[lv]} for lv in made])
    ]
    wall = time.time() + settings.left()
    solved = map_in_order(
        _solve_district_by,
        [(part, settings, wall) for _, part in jobs],
        workers=resolve_workers(workers, len(jobs)),
        sizes=[sum(c.n * c.m for c, _ in part.values() if c is not None) for _, part in jobs],
    )
    outs: list[dict[str, Any]] = [{} for _ in districts_made]
    for (k, _), out in zip(jobs, solved, strict=True):
        outs[k].update(out)
    for (did, idx, made), out in zip(districts_made, outs, strict=True):
        for lv in made:
            case, ids, sol = out[lv]
            label = None if sol is None else sol.label
            rows.append(assignment_rows(units, idx, lv, case, ids, label, cur[lv]))
            cases.append(_case_row(did, lv, case, sol, ids))
    assignments = with_reach(pd.concat(rows, ignore_index=True), units, rural, standards)
    feeds = feeds_of(assignments) if feeders else {}
    table = pd.concat([school_rows(served[lv], lv, max_utilisation) for lv in levels])
    scen = standards.default_scenario if scenario is None else scenario
    return ZoneResult(
        zones=dissolve_zones(units, assignments),
        assignments=assignments,
        units=units,
        schools=school_table(assignments, table, feeds),
        cases=cases_reach(pd.DataFrame(cases), assignments),
        year=int(year),
        scenario=float(scen),
    )


def district_cases(
    districts: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    *,
    year: int,
    standards: Standards,
    district_ids: Sequence[str] | None = None,
    scenario: float | None = None,
    levels: Sequence[str] = ZONE_LEVELS,
    current: gpd.GeoDataFrame | None = None,
    max_utilisation: float = 1.0,
    moved_weight_km: float = 1.0,
    detour_factor: float = 1.0,
    contiguity: Contiguity = "rook",
    residents_col: str = "residents",
) -> dict[tuple[str, str], tuple[ZoneCase, np.ndarray]]:
    """Return the cases :func:`draw_zones` solves, unsolved: to study one district alone.

    Arguments as for :func:`draw_zones`; ``district_ids``: only these districts (default
    all). Returns, keyed by ``(district_id, level)``, each
    :class:`~xuewei.planning.zones.problem.ZoneCase` and its schools' ids in case order
    (levels without a school in the district are left out). The units are those of the
    whole call (the tessellation is drawn for all districts), so a case equals the one
    :func:`draw_zones` solves for that district.

    Examples
    --------
    >>> import shapely
    >>> from xuewei.data import load_standards
    >>> d = gpd.GeoDataFrame({"district_id": ["d"]}, geometry=[shapely.box(0, 0, 4000, 1000)],
    ...     crs=4547)
    >>> e = gpd.GeoDataFrame({"estate_id": list("abcd"), "district_id": "d",
    ...     "residents": 1000.0}, geometry=gpd.points_from_xy([500, 1500, 2500, 3500],
    ...     [500] * 4), crs=4547)
    >>> s = gpd.GeoDataFrame({"school_id": ["w", "e"], "district_id": "d",
    ...     "level": "primary", "places_primary": [150.0, 150.0], "places_junior": 0.0},
    ...     geometry=gpd.points_from_xy([0, 4000], [500, 500]), crs=4547)
    >>> cases = district_cases(d, e, s, year=2025, standards=load_standards(),
    ...     levels=["primary"])
    >>> case, ids = cases[("d", "primary")]
    >>> list(cases), ids.tolist(), case.allowed.tolist()
    ([('d', 'primary')], ['e', 'w'], [150.0, 150.0])
    """
    _check(levels, "auto", False, max_utilisation, moved_weight_km, detour_factor)
    settings = _Settings("auto", False, 0.0, 0, moved_weight_km, detour_factor, max_utilisation)
    units, adj, served, cur = _units_and_schools(
        districts, estates, schools, year, standards, scenario, residents_col, contiguity,
        levels, current,
    )  # fmt: skip
    wanted = None if district_ids is None else {str(d) for d in district_ids}
    out: dict[tuple[str, str], tuple[ZoneCase, np.ndarray]] = {}
    for did, _, made in _district_cases(units, adj, served, cur, settings, wanted):
        for lv, (case, ids) in made.items():
            if case is not None:
                out[(did, lv)] = (case, ids)
    return out


def _units_and_schools(
    districts: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    year: int,
    standards: Standards,
    scenario: float | None,
    residents_col: str,
    contiguity: Contiguity,
    levels: Sequence[str],
    current: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict[str, gpd.GeoDataFrame], dict[str, np.ndarray]]:
    """Return the units, their adjacency, and per level the schools serving and today's zones."""
    units = build_units(
        districts,
        estates,
        schools,
        year=year,
        standards=standards,
        scenario=scenario,
        residents_col=residents_col,
    )
    adj = unit_adjacency(units, contiguity=contiguity)
    served = {lv: serving_schools(schools, lv, year) for lv in levels}
    cur = {lv: _current(units, current, served[lv], lv) for lv in levels}
    return units, adj, served, cur


def _district_cases(
    units: gpd.GeoDataFrame,
    adj: pd.DataFrame,
    served: dict[str, gpd.GeoDataFrame],
    cur: dict[str, np.ndarray],
    st: _Settings,
    wanted: set[str] | None = None,
) -> Iterator[tuple[str, IntArray, dict[str, tuple[ZoneCase | None, np.ndarray]]]]:
    """Each district (in order), its units' positions, and its case per level."""
    unit_d = units["district_id"].astype(str).to_numpy()
    for did in sorted(pd.unique(unit_d)):
        if wanted is not None and did not in wanted:
            continue
        idx = np.flatnonzero(unit_d == did)
        local = np.full(len(units), -1)
        local[idx] = np.arange(idx.size)
        both = adj[(local[adj["i"]] >= 0) & (local[adj["j"]] >= 0)]
        edges = np.column_stack([local[both["i"]], local[both["j"]]]).astype(np.int64)
        yield (
            str(did),
            idx,
            {lv: _case(units, idx, edges, served[lv], cur[lv], lv, did, st) for lv in served},
        )


def _check(
    levels: Sequence[str], method: str, feeders: bool, util: float, moved: float, detour: float
) -> None:
    bad = [lv for lv in levels if lv not in ZONE_LEVELS]
    if bad or not levels:
        raise ConfigError(f"levels={list(levels)!r}; expected some of {ZONE_LEVELS}")
    if method not in ("auto", "exact", "heuristic"):
        raise ConfigError(f"method={method!r}; expected 'auto', 'exact' or 'heuristic'")
    if feeders and set(levels) != set(ZONE_LEVELS):
        raise ConfigError("feeders=True needs both levels, primary and junior")
    if not util > 0:
        raise ConfigError(f"max_utilisation={util!r}; expected a number > 0 (1.0 = 100 %)")
    if not moved >= 0:
        raise ConfigError(f"moved_weight_km={moved!r}; expected a number ≥ 0")
    if not detour >= 1:
        raise ConfigError(f"detour_factor={detour!r}; expected a number ≥ 1")


def _current(
    units: gpd.GeoDataFrame, current: gpd.GeoDataFrame | None, lvl: gpd.GeoDataFrame, level: str
) -> np.ndarray:
    """Each unit's current school id at ``level`` (``None``: in no current zone)."""
    out = np.full(len(units), None, dtype=object)
    if current is None:
        return out
    if "school_id" not in current:
        raise InputError([Problem("current zones", "needs column `school_id`", column="school_id")])
    zones = current[current["school_id"].astype(str).isin(lvl["school_id"].astype(str))]
    if "level" in zones:  # a nine-year school's junior zone is no unit's primary zone
        zones = zones[zones["level"].astype(str).isin([level, "nine_year"])]
    pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(units["x"], units["y"]), crs=units.crs)
    hit = gpd.sjoin(pts, zones[["school_id", "geometry"]], predicate="within", how="inner")
    hit = hit.assign(school_id=hit["school_id"].astype(str)).sort_values("school_id")
    first = hit[~hit.index.duplicated(keep="first")]
    out[first.index.to_numpy()] = first["school_id"].to_numpy()
    return out


def _case(
    units: gpd.GeoDataFrame,
    idx: IntArray,
    edges: IntArray,
    lvl: gpd.GeoDataFrame,
    cur: np.ndarray,
    level: str,
    did: str,
    st: _Settings,
) -> tuple[ZoneCase | None, np.ndarray]:
    here = lvl[lvl["district_id"].astype(str) == did].sort_values("school_id")
    ids = here["school_id"].astype(str).to_numpy()
    if not ids.size:
        return None, ids
    unit_of = {}
    for k, text in enumerate(units["school_ids"].to_numpy()[idx]):
        for sid in filter(None, str(text).split(";")):
            unit_of[sid] = k
    root = np.array([unit_of[s] for s in ids], dtype=np.int64)
    twins = [s for s, r in zip(ids, root, strict=True) if (root == r).sum() > 1]
    if twins:
        raise InputError(
            [
                Problem(
                    "schools",
                    f"schools {', '.join(twins)} of level {level} "
                    "stand at one point; give each its own location or merge "
                    "them into one school",
                    column="geometry",
                )
            ]
        )
    pos = {s: j for j, s in enumerate(ids)}
    current = np.array([pos.get(c, -1) if c is not None else -1 for c in cur[idx]])
    xy = units[["x", "y"]].to_numpy(dtype=float)[idx]
    sxy = np.array([xy[r] for r in root]).reshape(-1, 2)
    case = make_case(
        units[f"pupils_{level}"].to_numpy(dtype=float)[idx],
        xy,
        sxy,
        here["places"].to_numpy(dtype=float) * st.max_utilisation,
        root,
        edges,
        current=current if (cur[idx] != None).any() else None,  # noqa: E711
        moved_weight_km=st.moved_weight_km,
        detour_factor=st.detour_factor,
    )
    return case, ids


def _solve_district_by(
    made: dict[str, tuple[ZoneCase | None, np.ndarray]], st: _Settings, wall_deadline: float
) -> dict[str, tuple[ZoneCase | None, np.ndarray, _Solved | None]]:
    """:func:`_solve_district` in a worker: the call's deadline (wall clock) on this clock."""
    left = wall_deadline - time.time()
    return _solve_district(made, dataclasses.replace(st, deadline=time.perf_counter() + left))


def _solve_district(
    made: dict[str, tuple[ZoneCase | None, np.ndarray]], st: _Settings
) -> dict[str, tuple[ZoneCase | None, np.ndarray, _Solved | None]]:
    cases = {lv: c for lv, (c, _) in made.items() if c is not None}
    n = max((c.n for c in cases.values()), default=0)
    exact = st.method == "exact" or (st.method == "auto" and n <= st.exact_max_units)
    fed = st.feeders and len(cases) == 2
    note = ""
    if fed and cases["primary"].m < cases["junior"].m:
        fed, note = False, "feeders impossible: fewer primary than junior schools"
    out: dict[str, _Solved] = {}
    if fed:
        out = _solve_fed(cases["primary"], cases["junior"], exact=exact, st=st)
    else:
        out = {lv: _solve_one(c, exact=exact, st=st) for lv, c in cases.items()}
    return {
        lv: (c, ids, None if lv not in out else _noted(out[lv], note))
        for lv, (c, ids) in made.items()
    }


def _noted(sol: _Solved, note: str) -> _Solved:
    if not note:
        return sol
    return _Solved(
        sol.label,
        sol.method,
        sol.status,
        sol.objective,
        sol.bound,
        sol.seconds,
        sol.conflicts,
        "; ".join(t for t in (note, sol.note) if t),
    )


def _solve_one(case: ZoneCase, *, exact: bool, st: _Settings) -> _Solved:
    t0 = time.perf_counter()
    heur = solve_heuristic(case, deadline=st.deadline)
    note = CUT_NOTES[heur.cut]
    if exact:
        ans = None
        if st.left() > 0:
            ans = solve_exact((case,), time_limit_s=st.left(), start=(heur.label,))
        if ans is not None and ans.objective <= heur.objective + 1e-9:
            return _Solved(
                ans.labels[0],
                "exact",
                ans.status,
                ans.objective,
                min(ans.bound, ans.objective),
                time.perf_counter() - t0,
            )
        if ans is None and not note:  # else the heuristic's own note says it
            note = "exact model stopped at the time limit without an answer: heuristic zones"
    return _Solved(
        heur.label,
        "heuristic",
        "feasible",
        heur.objective,
        heur.bound,
        time.perf_counter() - t0,
        note=note,
    )


def _solve_fed(
    primary: ZoneCase, junior: ZoneCase, *, exact: bool, st: _Settings
) -> dict[str, _Solved]:
    t0 = time.perf_counter()
    hp = solve_heuristic(primary, deadline=st.deadline)
    fed = feed_junior(primary, hp.label, junior)
    hj_bound = transport_bound(junior)[0] if st.left() > 0 else grown_zones(junior).bound
    if exact and st.left() > 0:
        ans = solve_exact((primary, junior), feeders=True, time_limit_s=st.left())
        if ans is not None:
            s = time.perf_counter() - t0
            share = objective_of(primary, ans.labels[0])
            rest = ans.objective - share
            bound = min(ans.bound, ans.objective)
            return {
                "primary": _Solved(
                    ans.labels[0],
                    "exact",
                    ans.status,
                    share,
                    share - (ans.objective - bound) / 2,
                    s,
                ),
                "junior": _Solved(
                    ans.labels[1], "exact", ans.status, rest, rest - (ans.objective - bound) / 2, s
                ),
            }
    s = time.perf_counter() - t0
    note = f"{CUT_NOTES[hp.cut]} (feeders)" if hp.cut else ""
    return {
        "primary": _Solved(hp.label, "heuristic", "feasible", hp.objective, hp.bound, s, 0, note),
        "junior": _Solved(
            fed.label,
            "heuristic",
            "feasible",
            objective_of(junior, fed.label),
            hj_bound,
            s,
            fed.conflicts,
            note,
        ),
    }


def _case_row(
    did: str, level: str, case: ZoneCase | None, sol: _Solved | None, ids: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {"district_id": did, "level": level}
    if case is None or sol is None:
        return {**row, **NO_SCHOOL_CASE}
    total, allowed = float(case.pupils.sum()), float(case.allowed.sum())
    reach = reachable(case)
    forced = unavoidable_overflow(case, reach)
    return {
        **row,
        "method": sol.method,
        "status": sol.status,
        "objective": sol.objective,
        "bound": sol.bound,
        "gap": relative_gap(sol.objective, sol.bound),
        "units": case.n,
        "schools": case.m,
        "pupils": total,
        "allowed": allowed,
        "capacity_short": total > allowed + 1e-9,
        "over_pupils": float(overflow_of(case, sol.label).sum()),
        "over_bound": forced,
        "least_over_km": least_over_trip_m(case, forced, reach=reach) / 1000.0,
        "non_contiguous": components_of(case, sol.label, case.neighbours()),
        "feeder_conflicts": sol.conflicts,
        "seconds": sol.seconds,
        "note": sol.note,
        **crowded_core(case, sol.label, ids),
    }
