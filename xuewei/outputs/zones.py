"""The outputs of attendance zones (学区划片): the zones layer, the zones page, the workbook.

:func:`zones_layer` joins each zone polygon of a
:class:`~xuewei.planning.zones.ZoneResult` to its school's figures (name, pupils, places,
utilisation, pupils over, travel, pupils moved, the junior school fed): the ``zones``
layer of ``zones.gpkg``, which :func:`write_zones_map` draws (:func:`xuewei.maps.zones_map`)
and ``xuewei map --zones`` lays over the plan's map. :func:`write_zones_workbook` writes
the sheet 学区 Zones: per school and level, with a summary block per level on top, in the
report's formats (:mod:`xuewei.outputs._report_format`). Every file is written atomically.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from xuewei import maps
from xuewei.outputs._report_format import (
    format_table,
    put,
    save_byte_stable,
    write_table,
)
from xuewei.outputs._report_words import LEVEL_WORDS, YES_NO, in_language
from xuewei.outputs.atomic import atomic_path
from xuewei.planning.zones import ZONE_LEVELS, ZoneResult
from xuewei.planning.zones.crowding import CROWDED_COLUMNS, stalled_cases

if TYPE_CHECKING:
    from xuewei.maps.plan_map import Lang
    from xuewei.outputs.maps import MapOptions

__all__ = [
    "SCHOOL_HEADERS",
    "SUMMARY_HEADERS",
    "ZONES_SHEET",
    "write_zones_map",
    "write_zones_sheet",
    "write_zones_workbook",
    "zone_schools_sheet",
    "zone_summary_sheet",
    "zones_layer",
]

ZONES_SHEET = "学区 Zones"

#: Headers of the per-school table of 学区 Zones, by column.
SCHOOL_HEADERS: dict[str, str] = {
    "level": "学段 Level",
    "school_id": "学校代码 School ID",
    "name": "学校 School",
    "district_id": "区县代码 District ID",
    "district": "区县 District",
    "pupils": "学生 Pupils",
    "places": "学位 Capacity",
    "allowed": "允许学生 Pupils allowed",
    "utilisation": "利用率 Utilisation",
    "over": "超容量 Over capacity",
    "over_pupils": "超额学生 Pupils over",
    "mean_distance_m": "平均距离(米) Mean travel, m",
    "max_distance_m": "最远距离(米) Max travel, m",
    "beyond_radius_pupils": "超出服务半径学生 Pupils beyond the service radius",
    "pupils_moved": "调整学生 Pupils moved",
    "feeds": "对口初中代码 Feeds (ID)",
    "feeds_name": "对口初中 Feeds junior school",
}
_SCHOOL_KINDS = {
    "pupils": "count",
    "places": "count",
    "allowed": "count",
    "utilisation": "share",
    "over_pupils": "count",
    "mean_distance_m": "count",
    "max_distance_m": "count",
    "beyond_radius_pupils": "count",
    "pupils_moved": "count",
}

#: Headers of the summary block of 学区 Zones (one row per level).
SUMMARY_HEADERS: dict[str, str] = {
    "level": "学段 Level",
    "zones": "学区 Zones",
    "non_contiguous": "不连片学区 Non-contiguous zones",
    "schools_over": "超容量学校 Schools over capacity",
    "over_pupils": "超额学生 Pupils over",
    "beyond_radius_pupils": "超出服务半径学生 Pupils beyond the service radius",
    "beyond_radius_share": "超出服务半径占比 Share beyond the service radius",
    "max_gap": "与下界差距(最大) Gap to bound, largest",
}
_SUMMARY_KINDS = ["text", "count", "count", "count", "count", "count", "share", "share"]
_SUMMARY_ROUND = {
    "over_pupils": "count",
    "beyond_radius_pupils": "count",
    "beyond_radius_share": "share",
    "max_gap": "share",
}


def _moved_known(result: ZoneResult) -> bool:
    """Whether current zones were given: only then are pupils moved a figure."""
    return bool(result.assignments["moved"].notna().any())


def zones_layer(result: ZoneResult) -> gpd.GeoDataFrame:
    """Return the zone polygons with their school's figures, one row per school and level.

    Columns: ``level``, ``school_id``, ``name``, ``district_id``, ``units``, ``pupils``,
    ``places``, ``allowed``, ``utilisation``, ``over_pupils``, ``mean_distance_m``,
    ``max_distance_m``, ``beyond_radius_pupils``, ``pupils_moved`` (missing without current
    zones), ``feeds`` and
    ``feeds_name`` (the junior school a primary school feeds), ``year`` (the year zoned),
    ``scenario`` (its places per 1,000), geometry (plan CRS).
    """
    schools = result.schools.drop(columns=["pupils", "district_id"])
    out = result.zones.merge(schools, on=["level", "school_id"], how="left", validate="1:1")
    if not _moved_known(result):
        out["pupils_moved"] = np.nan
    names = dict(zip(result.schools["school_id"], result.schools["name"], strict=True))
    out["feeds_name"] = out["feeds"].map(names)
    out["year"] = result.year  # the year zoned, and at what places per 1,000
    out["scenario"] = result.scenario
    geometry = out.pop("geometry")
    return gpd.GeoDataFrame(out, geometry=geometry, crs=result.zones.crs)


def zone_schools_sheet(
    result: ZoneResult, districts: pd.DataFrame | None = None, lang: Lang = "both"
) -> pd.DataFrame:
    """Return the per-school table of 学区 Zones under its column names.

    Primary schools first, then junior, each by school id. Numbers as computed, except the
    utilisation: whole pupils ÷ places, as the sheet shows them, so that a school shown
    with 270 pupils for 270 places reads 100.0 % and is not over (a school is over from
    half a pupil above its allowed number, the rounding of the pupils column). Districts
    by their English name (``name_en``) for ``lang="en"``, where the table has one.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> s = pd.DataFrame({"level": "primary", "school_id": ["a", "b"], "name": ["A", "B"],
    ...     "district_id": "d", "pupils": [270.2, 270.6], "places": 270.0, "allowed": 270.0,
    ...     "utilisation": [270.2 / 270, 270.6 / 270], "over_pupils": [0.2, 0.6],
    ...     "mean_distance_m": 1.0, "max_distance_m": 1.0, "beyond_radius_pupils": 0.0,
    ...     "pupils_moved": np.nan, "feeds": None})
    >>> r = SimpleNamespace(schools=s, assignments=pd.DataFrame({"moved": [np.nan]}))
    >>> t = zone_schools_sheet(r, pd.DataFrame({"district_id": ["d"], "name": ["岳麓区"],
    ...     "name_en": ["Yuelu"]}), lang="en")
    >>> t[["district", "utilisation", "over"]].round(4).values.tolist()
    [['Yuelu', 1.0, False], ['Yuelu', 1.0037, True]]
    """
    t = result.schools.copy()
    if not _moved_known(result):
        t["pupils_moved"] = np.nan
    names = dict(zip(t["school_id"], t["name"], strict=True))
    t["feeds_name"] = t["feeds"].map(names)
    t["utilisation"] = np.round(t["pupils"].to_numpy(dtype=float)) / t["places"]
    t["over"] = t["over_pupils"] > 0.5
    t["district"] = t["district_id"]
    if districts is not None and "name" in districts:
        named = districts["name"]
        if lang == "en" and "name_en" in districts:
            named = districts["name_en"].where(districts["name_en"].notna(), named)
        d = dict(zip(districts["district_id"].astype(str), named, strict=True))
        t["district"] = t["district_id"].astype(str).map(d)
    order = {level: k for k, level in enumerate(ZONE_LEVELS)}
    t = t.assign(_order=t["level"].map(order)).sort_values(["_order", "school_id"], kind="stable")
    return t[list(SCHOOL_HEADERS)].reset_index(drop=True)


def zone_summary_sheet(result: ZoneResult) -> pd.DataFrame:
    """Return the summary block of 学区 Zones: per level, zones, splits, over, reach, gap."""
    rows = []
    for level, cases in result.cases.groupby("level", sort=False):
        s = result.schools[result.schools["level"] == level]
        gaps = cases["gap"].dropna()
        pupils = float(cases["pupils"].sum())
        far = float(cases["beyond_radius_pupils"].sum())
        rows.append(
            {
                "level": level,
                "zones": int((result.zones["level"] == level).sum()),
                "non_contiguous": int(cases["non_contiguous"].sum()),
                "schools_over": int((s["over_pupils"] > 0.5).sum()),
                "over_pupils": float(s["over_pupils"].sum()),
                "beyond_radius_pupils": far,
                "beyond_radius_share": far / pupils if pupils > 0 else np.nan,
                "max_gap": float(gaps.max()) if len(gaps) else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=list(SUMMARY_HEADERS))


def _cells(frame: pd.DataFrame, kinds: dict[str, str], lang: Lang) -> pd.DataFrame:
    """Codes as words, flags yes/no, counts whole and shares to four decimals."""
    out = frame.copy()
    out["level"] = [in_language(LEVEL_WORDS.get(str(v), str(v)), lang) for v in out["level"]]
    if "over" in out:
        words = [in_language(w, lang) for w in YES_NO]
        out["over"] = [words[0 if v else 1] for v in out["over"]]
    for col, kind in kinds.items():
        values = pd.to_numeric(out[col]).to_numpy(dtype=float)
        out[col] = np.round(values, 0 if kind == "count" else 4) + 0.0
    out = out.astype(object).where(out.notna(), None)
    return out


def write_zones_sheet(
    ws: Worksheet, result: ZoneResult, districts: pd.DataFrame | None, lang: Lang
) -> None:
    """Write 学区 Zones: a title, the summary per level, then the table per school."""
    zh = f"学区划片 {result.year}年 · 千人指标 {result.scenario:g}"
    en = f"Attendance zones {result.year} · {result.scenario:g} places per 1,000"
    put(ws, 1, 1, {"zh": zh, "en": en}.get(lang, f"{zh} · {en}"))
    ws.cell(1, 1).font = Font(bold=True, size=13)
    summary = _cells(zone_summary_sheet(result), _SUMMARY_ROUND, lang)
    span = write_table(ws, summary.rename(columns=SUMMARY_HEADERS), row=3, lang=lang)
    format_table(ws, span, _SUMMARY_KINDS, freeze=False, autofilter=False)
    top = span.last_row + 2
    table = _cells(zone_schools_sheet(result, districts, lang), _SCHOOL_KINDS, lang)
    body = write_table(ws, table.rename(columns=SCHOOL_HEADERS), row=top, lang=lang)
    format_table(ws, body, [_SCHOOL_KINDS.get(c, "text") for c in SCHOOL_HEADERS])
    ws.page_setup.orientation = "landscape"


def write_zones_workbook(
    result: ZoneResult,
    path: str | Path,
    *,
    districts: pd.DataFrame | None = None,
    overwrite: bool = False,
    lang: Lang = "both",
) -> Path:
    """Write ``zones.xlsx``: the sheet 学区 Zones (summary per level, then per school).

    Headers bilingual (or in ``lang`` alone); pupils, places and metres whole, utilisation
    and the gap as percentages; the school table's header row frozen, with an autofilter.
    The same result gives the same bytes; the file is written atomically.
    """
    with atomic_path(path, overwrite=overwrite) as tmp:
        wb = Workbook()
        ws = wb.active
        assert isinstance(ws, Worksheet)
        ws.title = in_language(ZONES_SHEET, lang)
        write_zones_sheet(ws, result, districts, lang)
        save_byte_stable(wb, tmp)
    return Path(path)


def write_zones_map(
    result: ZoneResult,
    districts: gpd.GeoDataFrame,
    path: str | Path,
    *,
    schools: gpd.GeoDataFrame | None = None,
    title: str,
    data_note: str | None = None,
    overwrite: bool = False,
    options: MapOptions | None = None,
) -> Path:
    """Write ``zones.html``: the zones page (:func:`xuewei.maps.zones_map`), zones shown.

    ``schools`` (points) are drawn coloured by their zone's utilisation (the highest of
    their levels). Offline (one self-contained page) unless ``options.offline`` is false.
    """
    from xuewei.outputs.maps import MapOptions

    options = options or MapOptions()
    layer = zones_layer(result)
    points = None if schools is None else _school_points(schools, layer)
    crowded = None if schools is None else crowded_points(result, schools)
    per = f"{result.scenario:g}"
    words = {
        "zh": f"学区 {result.year}年 · 每千人{per}个学位",
        "en": f"Attendance zones {result.year} · {per} places per 1,000 residents",
    }
    subtitle = words.get(options.lang, f"{words['zh']} · {words['en']}")
    m = maps.zones_map(
        districts,
        layer,
        schools=points,
        crowded=crowded,
        title=title,
        subtitle=subtitle,
        lang=options.lang,
        data_note=data_note,
        tiles=options.tiles,
        tianditu_key=options.tianditu_key,
    )
    html = maps.render_html(m, offline=options.offline, keep_tiles=True)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)


def crowded_points(result: ZoneResult, schools: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """Where the places are short, as points at the school most over; ``None`` if nowhere.

    The cases the CLI warns of: a district and level with places for all its pupils
    (not ``capacity_short``) whose zones leave more pupils over than no zoning avoids.
    """
    c = result.cases
    if "crowded_km" not in c or c.empty:
        return None
    rows = c[(stalled_cases(c) & c["crowded_km"].notna()).to_numpy()]
    once = schools.drop_duplicates("school_id")
    at = once.set_index(once["school_id"].astype(str))
    rows = rows[rows["crowded_school"].astype(str).isin(at.index)]
    if rows.empty:
        return None
    ids = rows["crowded_school"].astype(str)
    figures = [c for c in CROWDED_COLUMNS if c != "crowded_school"]
    figures += [c for c in ("least_over_km", "over_bound") if c in rows]
    out = rows[["level", *figures]].assign(school_id=ids.to_numpy())
    if "name" in at:
        out["name"] = at.loc[ids, "name"].to_numpy()
    return gpd.GeoDataFrame(out, geometry=at.loc[ids].geometry.to_numpy(), crs=schools.crs)


def _school_points(schools: gpd.GeoDataFrame, layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return the zoned schools, with the places and utilisation of their zone (the highest)."""
    per: Any = layer.groupby("school_id").agg(places=("places", "sum"), u=("utilisation", "max"))
    keep = schools[schools["school_id"].astype(str).isin(per.index)]
    cols = [c for c in ("school_id", "name", "name_en", "level", "district_id") if c in keep]
    out = gpd.GeoDataFrame(keep[cols], geometry=keep.geometry, crs=schools.crs)
    ids = out["school_id"].astype(str)
    out["places"] = ids.map(per["places"]).to_numpy()
    out["utilisation"] = ids.map(per["u"]).to_numpy()
    return out
