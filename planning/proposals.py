"""The proposals table a meeting approves: every proposal with its rationale.

:func:`proposals_table` gathers new builds and expansions (:mod:`xuewei.planning.additions`,
sited by :mod:`xuewei.planning.locate`), mergers (:mod:`xuewei.planning.mergers`),
kindergartens and special-education schools (:mod:`xuewei.planning.rules`) into one table,
one row per proposal, with a plain-language rationale in Chinese and English.
"""

from __future__ import annotations

import math
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.planning._names import a_or_an, district_names
from xuewei.planning.school_sizes import GENERATED_SOURCE
from xuewei.vocabulary import LEVEL_NAMES

__all__ = ["PROPOSAL_COLUMNS", "proposals_of_scenario", "proposals_table"]

#: Columns of :func:`proposals_table` (plus ``geometry``).
PROPOSAL_COLUMNS = [
    "proposal_id",
    "kind",
    "district_id",
    "level",
    "scenario",
    "year",
    "needed_year",
    "places",
    "classes",
    "school_id",
    "site_id",
    "site_source",
    "receiver_ids",
    "served_estates",
    "pupils_moved",
    "distance_m",
    "sized_year",
    "sized_gap",
    "sized_closed",
    "rationale_zh",
    "rationale_en",
]

# a level as a rationale names it: 小学, 初中, 九年一贯制学校, 幼儿园
_LEVEL_ZH = {
    level: zh + ("学校" if level == "nine_year" else "") for level, (zh, _) in LEVEL_NAMES.items()
}


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
        sorted by district, year, kind. A build's ``sized_gap`` is the gap of the year the
        builds of its district, level and scenario are sized for, and ``sized_closed`` the
        places of schools merged away by then, which they replace as well.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> from xuewei.planning.additions import staged_additions
    >>> g = pd.DataFrame({"district_id": "a", "year": [2030], "level": "primary",
    ...                   "scenario": 90.0, "gap": [1000.0]})
    >>> t = proposals_table(builds=staged_additions(g, load_standards(), base_year=2026))
    >>> t[["kind", "places", "classes", "year"]].to_dict("records")
    [{'kind': 'new_build', 'places': 1080.0, 'classes': 24, 'year': 2030}]
    >>> print(t["rationale_en"].iloc[0].replace(". ", ".\n"))
    District a, 2030: 1,000 primary places missing at 90 per 1,000 residents.
    Needed from 2030 (gap 1,000 that year): build a 24-class primary school (1,080 places).
    Opens in 2030.
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
    out = out.drop(columns=["_geom", "_k"]).reindex(columns=PROPOSAL_COLUMNS)
    for col in ("sized_year", "needed_year"):  # builds only
        out[col] = pd.to_numeric(out[col]).astype("Int64")
    return gpd.GeoDataFrame(out, geometry=geometry)


def proposals_of_scenario(proposals: gpd.GeoDataFrame, scenario: float) -> gpd.GeoDataFrame:
    """Keep the proposals of one scenario, and those of none (kindergartens: every scenario's).

    A table without a ``scenario`` column is kept whole.
    """
    if "scenario" not in proposals:
        return proposals
    scen = pd.to_numeric(proposals["scenario"], errors="coerce").to_numpy(float)
    keep = np.isnan(scen) | np.isclose(scen, float(scenario), rtol=0.0, atol=1e-9)
    return proposals[keep]


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
        sized_year = int(getattr(r, "sized_year", r.year))
        sized_gap = float(getattr(r, "sized_gap", gap))
        needed = int(getattr(r, "needed_year", r.year))
        # places of schools merged away by then, which the additions replace
        sized_closed = _number(getattr(r, "sized_closed", 0.0))
        closed = _number(getattr(r, "closed", 0.0))
        # one year per sentence: the year the additions are sized for, the year this one is
        # needed from (each with its own gap), then the year it opens
        level_zh = _LEVEL_ZH[level]
        head_zh = (
            f"{name_zh}{sized_year}年按千人{scen:g}个学位测算{level_zh}学位缺口{sized_gap:,.0f}个"
            + (f"，另需补回撤并学校的{sized_closed:,.0f}个学位" if sized_closed else "")
            + f"。{needed}年起需要（当年缺口{gap:,.0f}个"
            + (f"，另撤并{closed:,.0f}个" if closed else "")
            + "）："
        )
        head_en = (
            f"{name_en}, {sized_year}: {sized_gap:,.0f} {level} places missing at "
            f"{scen:g} per 1,000 residents"
            + (f", and {sized_closed:,.0f} closed by mergers to replace" if sized_closed else "")
            + f". Needed from {needed} (gap {gap:,.0f} that year"
            + (f", plus {closed:,.0f} closed by mergers" if closed else "")
            + "): "
        )
        opens_zh, opens_en = _opening(r, needed)
        if r.kind == "expansion":
            zh = f"{head_zh}{r.school_id}原址扩建{r.classes}个班（{places:,.0f}个学位）。{opens_zh}"
            en = (
                f"{head_en}expand school {r.school_id} by {r.classes} classes "
                f"({places:,.0f} places). {opens_en}"
            )
        else:
            zh = (
                f"{head_zh}新建{r.classes}班{level_zh}（{places:,.0f}个学位）{where_zh}。{opens_zh}"
            )
            en = (
                f"{head_en}build {a_or_an(r.classes)} {r.classes}-class {level} school "
                f"({places:,.0f} places)"
                f"{where_en}. {opens_en}"
            )
        rows.append(
            {
                "kind": r.kind,
                "district_id": r.district_id,
                "level": level,
                "scenario": scen,
                "year": int(r.year),
                "needed_year": needed,
                "places": places,
                "classes": int(r.classes),
                "school_id": getattr(r, "school_id", None) if r.kind == "expansion" else None,
                "site_id": site,
                "site_source": getattr(r, "site_source", None) if site else None,
                "receiver_ids": None,
                "served_estates": estates or None,
                "pupils_moved": math.nan,
                "distance_m": math.nan,
                "sized_year": sized_year,
                "sized_gap": sized_gap,
                "sized_closed": sized_closed,
                "rationale_zh": zh,
                "rationale_en": en,
            }
        )
    return pd.DataFrame(rows)


def _number(value: object) -> float:
    """Return a count that may be missing (an addition without closures) as 0 then."""
    x = float(cast(float, value))
    return 0.0 if math.isnan(x) else x


def _opening(r: Any, needed: int) -> tuple[str, str]:
    """Write the sentence on the opening year: when, and why later than needed (lead time)."""
    year = int(r.year)
    if year <= needed:
        return f"{year}年投入使用。", f"Opens in {year}."
    lead = int(getattr(r, "lead_time", year - needed))
    expansion = r.kind == "expansion"
    what_zh, what_en = ("扩建", "an expansion") if expansion else ("新建", "a new school")
    return (
        f"{year}年投入使用（{what_zh}需{lead}年建设期，之前缺口仍在）。",
        f"Opens in {year} ({what_en} takes {lead} years to deliver; "
        "the gap stays open until then).",
    )


def _merger_rows(m: pd.DataFrame) -> tuple[pd.DataFrame, list[object]]:
    rows, geoms = [], []
    ok = m[m["receiver_id"].notna()]
    # one merger per closing school and scenario (each scenario has its own receivers)
    keys = ["school_id", "scenario"] if "scenario" in ok else ["school_id"]
    for key, g in ok.groupby(keys, sort=True, dropna=False):
        sid = key[0] if isinstance(key, tuple) else key
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
                # a merger waits for the new schools of its scenario (build before close)
                "scenario": float(first["scenario"]) if "scenario" in g else math.nan,
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


def _rows(frame: pd.DataFrame) -> list[Any]:
    """Rows as named tuples, typed loosely (their fields are checked by the caller)."""
    return list(frame.itertuples(index=False))
