"""How many schools to build or expand, and when: the count and staging of additions.

The rule for the count (documented here once, used everywhere):

1. **Expansions first.** Within a district, existing schools of the level whose site allows
   more classes (``max_classes`` > ``classes``) add ``(max_classes − classes) × class size``
   places, capped so the school stays within the school-size cap (2,000 pupils). Schools
   with the most room come first (ties by ``school_id``).
2. **Then standard new schools.** The rest of the deficit is met with new schools of the
   largest standard size (建标102-2002: 12/18/24/30 classes) that fits under the cap — 30
   classes: 1,350 primary places at 45, 1,500 junior at 50 — ``ceil(rest ÷ size)`` of them;
   the last one takes the smallest standard size that still covers what is left.
3. **Staging.** Additions are ordered (expansions, then new schools) and each is *needed*
   in the first year the gap exceeds the places added before it, so a district whose
   deficit grows gets its schools one by one.
4. **Opening.** Each addition *opens* in the year it is needed, but no earlier than the base
   year plus its lead time (``programme.lead_time_years``: new school 3 years, expansion 2,
   xuewei defaults): nothing decided now opens in the base year. Until it opens, the gap
   it meets stays open; :func:`build_programme` shows that year by year.

Where the new schools go is :mod:`xuewei.planning.locate`'s job.
"""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd

from xuewei.data import Standards
from xuewei.planning.school_sizes import PLANNED_LEVELS, smallest_covering, standard_school
from xuewei.vocabulary import Level

__all__ = [
    "PROGRAMME_COLUMNS",
    "build_programme",
    "school_counts",
    "staged_additions",
    "with_closures",
]


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
            new_places[i] = (n - 1) * std[lv][1] + smallest_covering(
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


_ADDITION_COLUMNS = [
    "district_id",
    "level",
    "scenario",
    "seq",
    "kind",
    "needed_year",
    "year",
    "lead_time",
    "places",
    "classes",
    "school_id",
    "gap",
    "closed",
    "sized_year",
    "sized_gap",
    "sized_closed",
]


def staged_additions(
    gaps: pd.DataFrame,
    standards: Standards,
    *,
    schools: pd.DataFrame | None = None,
    expansions: bool = True,
    base_year: int | None = None,
) -> pd.DataFrame:
    """List the expansions and new schools per district, level and scenario, with years.

    Additions follow the module's rule (expansions by room, then standard new schools,
    the last sized to what is left); addition ``k`` is needed in the first year the gap
    exceeds the places of additions ``1 … k−1``, and opens then or, when that is sooner
    than its lead time allows, in ``base_year`` + lead time. Enough is added to meet the
    largest gap over the years.

    Parameters
    ----------
    gaps, standards, schools, expansions
        As in :func:`school_counts`; ``gaps`` may also have ``closed``: the places of
        schools merged away by then (:func:`with_closures`), which the additions replace
        on top of the gap.
    base_year
        The year the plan is decided in (lead times count from it); default the first
        year of ``gaps``.

    Returns
    -------
    pandas.DataFrame
        One row per addition: ``district_id, level, scenario, seq, kind`` (``expansion`` or
        ``new_build``), ``needed_year`` (the first year the gap needs it), ``year`` (the
        year it opens), ``lead_time`` (its kind's lead time, years), ``places``,
        ``classes``, ``school_id`` (the school expanded; missing for new builds), ``gap``
        (the gap in the year needed) and ``closed`` (the places merged away by then),
        ``sized_year``, ``sized_gap`` and ``sized_closed`` (the year when gap + closed is
        largest, which the additions together cover, and its gap and closed places).

    Examples
    --------
    A junior gap of 900 places in 2028 and 2,000 in 2030, decided in 2026: a 30-class school
    needed from 2028 can open no earlier than 2029 (3 years' lead time); a 12-class one
    opens when needed, in 2030.

    >>> from xuewei.data import load_standards
    >>> g = pd.DataFrame({"district_id": "a", "year": [2026, 2028, 2030], "level": "junior",
    ...                   "scenario": 85.0, "gap": [-100.0, 900.0, 2000.0]})
    >>> out = staged_additions(g, load_standards())
    >>> out[["kind", "needed_year", "year"]].to_dict("list")
    {'kind': ['new_build', 'new_build'], 'needed_year': [2028, 2030], 'year': [2029, 2030]}
    >>> out[["places", "classes"]].to_dict("list")
    {'places': [1500.0, 600.0], 'classes': [30, 12]}
    """
    rows = gaps[gaps["level"].isin(PLANNED_LEVELS)].copy()
    rows["district_id"] = rows["district_id"].astype(str)
    base = int(rows["year"].min()) if base_year is None and len(rows) else (base_year or 0)
    lead = {kind: standards.lead_time_years(kind) for kind in ("expansion", "new_build")}
    room = _expansion_room(schools if expansions else None, standards)
    records: list[dict[str, object]] = []
    for key, g in rows.groupby(["district_id", "level", "scenario"], sort=True):
        did, level, scenario = cast(tuple[str, Level, float], key)
        g = g.sort_values("year")
        years = g["year"].to_numpy()
        shortfall = g["gap"].to_numpy(np.float64)
        closed = g["closed"].fillna(0.0).to_numpy(np.float64) if "closed" in g else np.zeros(len(g))
        gap = shortfall + closed  # what the additions must cover: the gap and the closures
        peak = float(gap.max())
        if peak <= 0:
            continue
        at_peak = int(np.argmax(gap))
        peak_year = int(years[at_peak])
        added = 0.0
        seq = 0
        size = standards.class_size(level)
        std_classes, std_places = standard_school(standards, level)
        mine = room[(room["district_id"] == did) & (room["level"] == level)]
        room_rows: list[Any] = list(mine.itertuples(index=False))
        queue = [
            ("expansion", float(r.room), int(r.add_classes), str(r.school_id)) for r in room_rows
        ]
        while added < peak - 1e-9:
            if queue:
                kind, places, classes, school = queue.pop(0)
            else:
                left = peak - added
                classes = (
                    std_classes if left > std_places else smallest_covering(standards, level, left)
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
                    "needed_year": due,
                    "year": max(due, base + lead[kind]),
                    "lead_time": lead[kind],
                    "places": places,
                    "classes": classes,
                    "school_id": school,
                    "gap": float(shortfall[years == due][0]),
                    "closed": float(closed[years == due][0]),
                    "sized_year": peak_year,
                    "sized_gap": float(shortfall[at_peak]),
                    "sized_closed": float(closed[at_peak]),
                }
            )
            added += places
    out = pd.DataFrame.from_records(records, columns=_ADDITION_COLUMNS)
    return out.astype(
        {
            "needed_year": "int64",
            "year": "int64",
            "lead_time": "int64",
            "classes": "int64",
            "places": "float64",
            "seq": "int64",
            "sized_year": "int64",
            "sized_gap": "float64",
            "sized_closed": "float64",
            "closed": "float64",
        }
    )


#: Columns of :func:`build_programme`.
PROGRAMME_COLUMNS = [
    "scenario",
    "district_id",
    "level",
    "year",
    "new_schools",
    "expansions",
    "places_added",
    "closures",
    "places_closed",
    "cumulative_places",
    "gap",
    "remaining_gap",
]


def build_programme(additions: pd.DataFrame, gaps: pd.DataFrame) -> pd.DataFrame:
    """Lay out the build programme: places opening each year, per scenario, district, level.

    Parameters
    ----------
    additions
        Output of :func:`staged_additions` or the proposals table
        (:func:`~xuewei.planning.proposals_table`): its ``new_build`` and ``expansion``
        rows add ``places`` in their opening ``year``; its ``merger`` rows (``places`` the
        closing school's, negative) take them away from their ``year`` on — a merger
        closes a school, so the places it frees must be found again; a merger without a
        ``scenario`` counts in every scenario. Other kinds are left out.
    gaps
        ``district_id, year, level, scenario, gap`` (e.g. ``PlanResult.gaps``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PROGRAMME_COLUMNS`: one row per scenario, district, level (primary,
        junior) and year of ``gaps`` — and any later year something opens or closes in —
        with the ``new_schools`` and ``expansions`` opening that year and their
        ``places_added``, the schools merged away that year (``closures``) and their
        ``places_closed``, the ``cumulative_places`` the programme has added by then *net*
        of closures, the ``gap`` without the programme (places required − offered today;
        missing after the last year of ``gaps``) and the ``remaining_gap`` = gap −
        cumulative places (positive: still missing that year).

    Examples
    --------
    The junior district of :func:`staged_additions`: 1,500 places open in 2029 and 600 in
    2030; the 900 missing in 2028 stay missing until then.

    >>> from xuewei.data import load_standards
    >>> g = pd.DataFrame({"district_id": "a", "year": [2026, 2028, 2029, 2030],
    ...                   "level": "junior", "scenario": 85.0,
    ...                   "gap": [-100.0, 900.0, 1500.0, 2000.0]})
    >>> p = build_programme(staged_additions(g, load_standards()), g)
    >>> p["places_added"].tolist(), p["remaining_gap"].tolist()
    ([0.0, 0.0, 1500.0, 600.0], [-100.0, 900.0, 0.0, -100.0])

    A 270-place school merged away from 2030 takes its places with it: 170 missing then.

    >>> m = pd.DataFrame({"kind": ["merger"], "district_id": "a", "level": "junior",
    ...                   "scenario": 85.0, "year": 2030, "places": -270.0})
    >>> p = build_programme(pd.concat([staged_additions(g, load_standards()), m]), g)
    >>> p["places_closed"].tolist(), p["remaining_gap"].tolist()
    ([0.0, 0.0, 0.0, 270.0], [-100.0, 900.0, 0.0, 170.0])
    """
    keys = ["scenario", "district_id", "level"]
    g = gaps.loc[gaps["level"].isin(PLANNED_LEVELS), [*keys, "year", "gap"]].copy()
    kind = additions["kind"].astype(str) if "kind" in additions else pd.Series(dtype=str)
    a = additions.loc[
        kind.isin(["new_build", "expansion", "merger"]), [*keys, "year", "kind", "places"]
    ]
    a = _every_scenario(a, gaps["scenario"].dropna().unique())
    places = a["places"].astype(np.float64).fillna(0.0)
    closing = (a["kind"] == "merger").to_numpy()
    a = a.assign(
        new_schools=(a["kind"] == "new_build").astype(np.int64),
        expansions=(a["kind"] == "expansion").astype(np.int64),
        closures=closing.astype(np.int64),
        places=np.where(closing, 0.0, places),
        places_closed=np.where(closing, places.abs(), 0.0),
    )
    for frame in (g, a):
        frame["scenario"] = frame["scenario"].astype(np.float64)
        frame["district_id"] = frame["district_id"].astype(str)
        frame["level"] = frame["level"].astype(str)
        frame["year"] = frame["year"].astype(np.int64)
    opened = (
        a.groupby([*keys, "year"], sort=False)
        .agg(
            new_schools=("new_schools", "sum"),
            expansions=("expansions", "sum"),
            places_added=("places", "sum"),
            closures=("closures", "sum"),
            places_closed=("places_closed", "sum"),
        )
        .reset_index()
    )
    out = g.merge(opened, how="outer", on=[*keys, "year"])
    counts = ["new_schools", "expansions", "closures"]
    out[counts] = out[counts].fillna(0).astype("int64")
    for col in ("places_added", "places_closed"):
        out[col] = out[col].fillna(0.0).astype(np.float64)
    out = out.sort_values([*keys, "year"], kind="stable").reset_index(drop=True)
    net = (out["places_added"] - out["places_closed"]).groupby([out[k] for k in keys])
    out["cumulative_places"] = net.cumsum()
    out["remaining_gap"] = out["gap"] - out["cumulative_places"]
    return out[PROGRAMME_COLUMNS]


def _every_scenario(rows: pd.DataFrame, scenarios: np.ndarray) -> pd.DataFrame:
    """``rows`` with each row lacking a ``scenario`` repeated once per scenario given."""
    none = rows["scenario"].isna()
    if not none.any():
        return rows
    repeated = (
        rows[none]
        .drop(columns="scenario")
        .merge(pd.DataFrame({"scenario": np.sort(scenarios).astype(np.float64)}), how="cross")
    )
    return pd.concat([rows[~none], repeated[rows.columns]], ignore_index=True)


def with_closures(gaps: pd.DataFrame, mergers: pd.DataFrame) -> pd.DataFrame:
    """Add ``closed`` to ``gaps``: the places of the schools merged away by each year.

    A merger closes a school; from its ``year`` on the district has its places no more,
    so the gap the additions must cover grows by them (:func:`staged_additions`).

    Parameters
    ----------
    gaps
        ``district_id, year, level, scenario, gap``.
    mergers
        The flows of :func:`~xuewei.planning.plan_mergers`, with ``scenario``: one row per
        closing school and receiver (``school_id``, ``district_id``, ``level``,
        ``places``, ``year``, ``receiver_id``); a school whose pupils found no receiver
        (``receiver_id`` missing) is not closed. A school counts once however many
        receivers take its pupils.

    Returns
    -------
    pandas.DataFrame
        A copy of ``gaps`` with ``closed`` (0 where nothing is closed).

    Examples
    --------
    >>> g = pd.DataFrame({"district_id": "a", "year": [2026, 2030], "level": "primary",
    ...                   "scenario": 85.0, "gap": [100.0, 300.0]})
    >>> m = pd.DataFrame({"school_id": ["s", "s"], "district_id": "a", "level": "primary",
    ...                   "scenario": 85.0, "places": 270.0, "year": 2028,
    ...                   "receiver_id": ["r1", "r2"]})
    >>> with_closures(g, m)["closed"].tolist()
    [0.0, 270.0]
    """
    keys = ["scenario", "district_id", "level"]
    out = gaps.copy()
    out["closed"] = 0.0
    if mergers is None or mergers.empty:
        return out
    shut = mergers[mergers["receiver_id"].notna()].drop_duplicates(["scenario", "school_id"])
    if shut.empty:
        return out
    shut = shut.assign(
        scenario=shut["scenario"].astype(np.float64),
        district_id=shut["district_id"].astype(str),
        level=shut["level"].astype(str),
    )
    at = pd.DataFrame(  # by position: the index of ``gaps`` need not be unique
        {
            "row": np.arange(len(out)),
            "scenario": out["scenario"].to_numpy(np.float64),
            "district_id": out["district_id"].astype(str).to_numpy(),
            "level": out["level"].astype(str).to_numpy(),
            "year": out["year"].to_numpy(np.int64),
        }
    )
    pairs = at.merge(shut[[*keys, "year", "places"]], on=keys, suffixes=("", "_m"))
    pairs = pairs[pairs["year_m"] <= pairs["year"]]
    closed = pairs.groupby("row")["places"].sum()
    out["closed"] = closed.reindex(np.arange(len(out)), fill_value=0.0).to_numpy(np.float64)
    return out
