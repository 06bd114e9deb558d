"""Which small, under-used schools (小散弱) to merge into which receiver, and from when.

A school is a merger candidate when it has fewer pupils than
``consolidation.small_school_max_pupils`` (100) **and** uses less than
``consolidation.small_school_max_utilisation`` (50%) of its places (both in
``data/standards.toml``, xuewei defaults to adjust locally). Its pupils move to receiving
schools of the same level (or nine-year schools, for primary and junior pupils) —
existing schools with room up to
``consolidation.receiver_max_utilisation`` of their places, or proposed new schools — nearest
first, within the service radius or a longer rural travel limit (beyond the radius the
merger notes boarding or a school bus). A merger is proposed only when **all** its pupils
fit; otherwise the school is reported with no receiver. Build before close (先建后撤,
``consolidation.build_before_close``): a merger's year is never before its receivers'
new places exist.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from xuewei.data import Standards
from xuewei.errors import InputError, Problem

__all__ = ["merger_candidates", "plan_mergers", "unserved_residents"]

MERGER_COLUMNS = [
    "school_id",
    "district_id",
    "level",
    "places",
    "enrolment",
    "utilisation",
    "receiver_id",
    "receiver_kind",
    "pupils_moved",
    "distance_m",
    "beyond_radius",
    "year",
    "reason",
]


def merger_candidates(
    schools: pd.DataFrame,
    standards: Standards,
    *,
    max_pupils: float | None = None,
    max_utilisation: float | None = None,
) -> pd.DataFrame:
    """Flag the small, under-used schools (小散弱).

    Parameters
    ----------
    schools
        Output of :func:`~xuewei.planning.school_places` (``school_id``, ``level``,
        ``places``, ``enrolment``, ``utilisation``).
    standards
        ``consolidation.small_school_max_pupils`` and ``small_school_max_utilisation``.
    max_pupils, max_utilisation
        Override the standards' thresholds.

    Returns
    -------
    pandas.DataFrame
        A copy with ``small`` (enrolment < max_pupils), ``under_used`` (utilisation <
        max_utilisation) and ``merger_candidate`` (both). Unknown enrolment: not a candidate.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> s = pd.DataFrame({"school_id": ["a", "b", "c"], "level": "primary",
    ...                   "places": [270.0, 270.0, 90.0], "enrolment": [60, 180, 80]})
    >>> s["utilisation"] = s["enrolment"] / s["places"]
    >>> merger_candidates(s, load_standards())["merger_candidate"].tolist()
    [True, False, False]
    """
    pupils = (
        max_pupils
        if max_pupils is not None
        else standards.number("consolidation.small_school_max_pupils")
    )
    util = (
        max_utilisation
        if max_utilisation is not None
        else standards.number("consolidation.small_school_max_utilisation")
    )
    out = schools.copy()
    enrol = pd.to_numeric(out["enrolment"], errors="coerce")
    utilisation = pd.to_numeric(out["utilisation"], errors="coerce")
    out["small"] = (enrol < pupils).fillna(False).astype(bool)
    out["under_used"] = (utilisation < util).fillna(False).astype(bool)
    out["merger_candidate"] = out["small"] & out["under_used"]
    return out


def plan_mergers(
    schools: gpd.GeoDataFrame,
    standards: Standards,
    *,
    base_year: int,
    new_schools: gpd.GeoDataFrame | None = None,
    rural_limit_m: float | None = None,
    max_pupils: float | None = None,
    max_utilisation: float | None = None,
) -> gpd.GeoDataFrame:
    """Propose mergers of small, under-used schools into receivers with room.

    Candidates (see :func:`merger_candidates`) are taken smallest first (ties by
    ``school_id``). Each one's pupils go to the nearest receivers of its level — existing
    schools that are not candidates, with room ``places × receiver_max_utilisation −
    enrolment``, and proposed new schools with their places — within ``rural_limit_m``
    (default the standards' ``consolidation.rural_travel_limit_m``, else 3,000 m, and at
    least the service radius). A merger takes places from receivers only if all its pupils
    fit; then that room is used up for later candidates.

    Parameters
    ----------
    schools
        Output of :func:`~xuewei.planning.school_places` as points in the plan CRS, with
        ``district_id``.
    standards
        Consolidation thresholds, service radius, build-before-close.
    base_year
        The first year a merger can happen (existing receivers have room now).
    new_schools
        Proposed schools as points: ``school_id`` (or ``site_id``), ``level``, ``places``,
        ``year`` (when their places exist) — e.g. the new builds of
        :func:`~xuewei.planning.proposals.locate_new_schools`.
    rural_limit_m
        Longest travel to a receiver (metres, straight line).
    max_pupils, max_utilisation
        Override the candidate thresholds.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (closing school, receiver) flow, the closing school's point as
        geometry: ``school_id, district_id, level, places, enrolment, utilisation,
        receiver_id, receiver_kind`` (``existing``/``new``), ``pupils_moved``,
        ``distance_m`` (added travel, closing school to receiver), ``beyond_radius``
        (boarding or bus needed), ``year`` (not before any receiver's places exist when
        build-before-close holds), ``reason``. A candidate whose pupils do not fit has one
        row with ``receiver_id`` missing and the reason.

    Examples
    --------
    A 60-pupil school (270 places) 800 m from a school with 200 spare places:

    >>> from shapely.geometry import Point
    >>> from xuewei.data import load_standards
    >>> s = gpd.GeoDataFrame({"school_id": ["small", "big"], "level": "primary",
    ...     "district_id": "a", "places": [270.0, 1080.0], "enrolment": [60, 880]},
    ...     geometry=[Point(0, 0), Point(800, 0)], crs=4547)
    >>> s["utilisation"] = s["enrolment"] / s["places"]
    >>> m = plan_mergers(s, load_standards(), base_year=2025)
    >>> m[["school_id", "receiver_id", "year"]].to_dict("records")
    [{'school_id': 'small', 'receiver_id': 'big', 'year': 2025}]
    >>> m[["pupils_moved", "distance_m", "beyond_radius"]].to_dict("records")
    [{'pupils_moved': 60.0, 'distance_m': 800.0, 'beyond_radius': True}]
    """
    flagged = merger_candidates(
        schools, standards, max_pupils=max_pupils, max_utilisation=max_utilisation
    )
    limit_base = (
        rural_limit_m
        if rural_limit_m is not None
        else standards.number("consolidation.rural_travel_limit_m")
    )
    rec = _receivers(flagged, new_schools, standards, base_year)
    room = rec["room"].to_numpy(np.float64).copy()

    cand = flagged[flagged["merger_candidate"]].copy()
    cand["enrol_"] = pd.to_numeric(cand["enrolment"], errors="coerce")
    cand = cand.sort_values(["enrol_", "school_id"], kind="stable")
    records: list[dict[str, object]] = []
    geoms: list[object] = []
    rows: list[Any] = list(cand.itertuples(index=False))
    for r in rows:  # smallest schools first: they take the nearest room
        merged = _merge_one(r, rec, room, standards, limit_base, base_year)
        records += merged
        geoms += [r.geometry] * len(merged)
    out = pd.DataFrame.from_records(records, columns=MERGER_COLUMNS)
    out["year"] = out["year"].astype("Int64")
    out["beyond_radius"] = out["beyond_radius"].astype(bool)
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=schools.crs))


def _receivers(
    flagged: pd.DataFrame,
    new_schools: gpd.GeoDataFrame | None,
    standards: Standards,
    base_year: int,
) -> pd.DataFrame:
    """Return the schools that can receive pupils, with their room and opening year.

    Existing schools that are not merger candidates (room up to
    ``consolidation.receiver_max_utilisation`` of their places), then proposed new schools
    (all their places, from their opening year).
    """
    recv_util = standards.number("consolidation.receiver_max_utilisation")
    exist = flagged[~flagged["merger_candidate"]]
    enrol = pd.to_numeric(exist["enrolment"], errors="coerce").fillna(0.0).to_numpy(np.float64)
    rec = pd.DataFrame(
        {
            "receiver_id": exist["school_id"].astype(str).to_numpy(),
            "level": exist["level"].astype(str).to_numpy(),
            "kind": "existing",
            "room": np.maximum(exist["places"].to_numpy(np.float64) * recv_util - enrol, 0.0),
            "year": base_year,
            "x": exist.geometry.x.to_numpy(),
            "y": exist.geometry.y.to_numpy(),
        }
    )
    if new_schools is None or not len(new_schools):
        return rec
    ns = new_schools
    idcol = "school_id" if "school_id" in ns and ns["school_id"].notna().all() else "site_id"
    if idcol not in ns:
        raise InputError([Problem("new_schools", "needs `school_id` or `site_id`")])
    ns = ns[ns.geometry.notna() & ~ns.geometry.is_empty]
    new = pd.DataFrame(
        {
            "receiver_id": ns[idcol].astype(str).to_numpy(),
            "level": ns["level"].astype(str).to_numpy(),
            "kind": "new",
            "room": ns["places"].to_numpy(np.float64),
            "year": ns["year"].astype(int).to_numpy(),
            "x": ns.geometry.x.to_numpy(),
            "y": ns.geometry.y.to_numpy(),
        }
    )
    return pd.concat([rec, new], ignore_index=True)


def _merge_one(
    r: Any,
    rec: pd.DataFrame,
    room: np.ndarray,
    standards: Standards,
    limit_base: float,
    base_year: int,
) -> list[dict[str, object]]:
    """Merge one candidate school into the nearest receivers with room (updates ``room``).

    Returns its flows, or one row saying why it is not merged (too little room in reach).
    """
    level = str(r.level)
    radius = standards.service_radius_m(level)  # type: ignore[arg-type]
    limit = max(limit_base, radius)
    pupils = float(r.enrol_)
    base = {
        "school_id": str(r.school_id),
        "district_id": str(getattr(r, "district_id", "")),
        "level": level,
        "places": float(r.places),
        "enrolment": pupils,
        "utilisation": float(r.utilisation),
    }
    rl = rec["level"].to_numpy()
    # a nine-year school receives primary and junior pupils (its room is shared)
    fits = (rl == level) | ((rl == "nine_year") & (level in ("primary", "junior")))
    same = np.flatnonzero(fits & (room > 0))
    px, py = r.geometry.x, r.geometry.y
    dist = np.hypot(rec["x"].to_numpy()[same] - px, rec["y"].to_numpy()[same] - py)
    near = same[dist <= limit]
    dnear = dist[dist <= limit]
    order = np.lexsort((rec["receiver_id"].to_numpy()[near], dnear))
    near, dnear = near[order], dnear[order]
    if room[near].sum() + 1e-9 < pupils:
        reason = (
            f"{pupils:,.0f} pupils but only {room[near].sum():,.0f} spare places "
            f"within {limit:,.0f} m; not merged"
        )
        return [
            {
                **base,
                "receiver_id": None,
                "receiver_kind": None,
                "pupils_moved": 0.0,
                "distance_m": math.nan,
                "beyond_radius": False,
                "year": pd.NA,
                "reason": reason,
            }
        ]
    left = pupils
    flows = []
    for j, d in zip(near, dnear, strict=True):
        if left <= 1e-9:
            break
        take = min(room[j], left)
        room[j] -= take
        left -= take
        flows.append((j, d, take))
    rec_year = rec["year"].to_numpy(np.int64)
    years = [int(rec_year[j]) for j, _, _ in flows]
    # build before close (先建后撤): not before every receiver's places exist
    year = max([base_year, *years]) if standards.build_before_close else base_year
    return [
        {
            **base,
            "receiver_id": str(rec["receiver_id"].iat[j]),
            "receiver_kind": str(rec["kind"].iat[j]),
            "pupils_moved": float(take),
            "distance_m": float(d),
            "beyond_radius": bool(d > radius),
            "year": year,
            "reason": (
                "small and under-used; receiver within the service radius"
                if d <= radius
                else "small and under-used; receiver beyond the service radius "
                "(boarding or school bus)"
            ),
        }
        for j, d, take in flows
    ]


def unserved_residents(
    demand: gpd.GeoDataFrame,
    open_schools: gpd.GeoDataFrame,
    *,
    radius_m: float,
    weight_col: str = "residents",
    rehomed: Iterable[object] = (),
    rehomed_schools: gpd.GeoDataFrame | None = None,
) -> float:
    """Residents with no open school within ``radius_m`` (coverage), after proposals.

    A demand point counts as served when an open school lies within the radius, or when a
    school within the radius was merged and all its pupils re-homed (``rehomed`` ids among
    ``rehomed_schools``): their receivers take them, by bus where far.

    Parameters
    ----------
    demand
        Points with ``weight_col``.
    open_schools
        Schools open after the proposals (existing minus merged, plus new builds).
    radius_m
        Service radius.
    weight_col
        Residents (or pupils) per point.
    rehomed, rehomed_schools
        Ids of merged schools and a frame with their points (``school_id``).

    Returns
    -------
    float

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> d = gpd.GeoDataFrame({"residents": [100, 50]}, geometry=[Point(0, 0), Point(2000, 0)])
    >>> s = gpd.GeoDataFrame(geometry=[Point(100, 0)])
    >>> unserved_residents(d, s, radius_m=500)
    50.0
    """
    w = demand[weight_col].to_numpy(np.float64)
    xy = np.column_stack([demand.geometry.x, demand.geometry.y])
    served = np.zeros(len(demand), bool)
    pts = [open_schools]
    ids = {str(i) for i in rehomed}
    if rehomed_schools is not None and ids:
        pts.append(rehomed_schools[rehomed_schools["school_id"].astype(str).isin(ids)])
    for frame in pts:
        if len(frame) == 0:
            continue
        sxy = np.column_stack([frame.geometry.x, frame.geometry.y])
        d, _ = cKDTree(sxy).query(xy, k=1)
        served |= d <= radius_m
    return float(w[~served].sum())
