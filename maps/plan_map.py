"""The meeting map of one plan: the place gap per district, schools and housing estates.

This module only draws. Every number on the map (gaps, utilisation, flags) comes in with the
inputs, computed by :mod:`xuewei.planning` and :mod:`xuewei.gis`; here they are selected,
classed into colours and written into tooltips and popups. User text is escaped on the way
in (see :mod:`xuewei.maps._labels`), and element ids are made sequential so that the page
is byte-stable (see :func:`xuewei.maps.render_html`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

from xuewei.errors import CRSError, InputError, Problem
from xuewei.maps._labels import (
    LANGS,
    Lang,
    esc,
    flag,
    int_text,
    label,
    missing,
    number_text,
    percent_text,
    scenario_text,
    signed_text,
)
from xuewei.maps._legend import box_style, dot, legend_box, swatch, title_box
from xuewei.maps._points import MarkerData, PointLayer
from xuewei.maps.render import _stabilise_ids

__all__ = [
    "GAP_BALANCED",
    "GAP_NO_DATA",
    "GAP_SHORTAGE",
    "GAP_SURPLUS",
    "UTILISATION_BREAKS",
    "UTILISATION_COLOURS",
    "plan_map",
]

#: District fill by gap class, lightest first (ColorBrewer RdBu): shortage red, surplus blue.
GAP_SHORTAGE: tuple[str, str, str] = ("#fddbc7", "#f4a582", "#d6604d")
GAP_SURPLUS: tuple[str, str, str] = ("#d1e5f0", "#92c5de", "#4393c3")
GAP_BALANCED = "#f7f7f7"
GAP_NO_DATA = "#bdbdbd"

#: School marker colour by utilisation class (enrolment ÷ capacity, as given).
UTILISATION_BREAKS: tuple[float, float] = (0.85, 1.0)
UTILISATION_COLOURS: Mapping[str, str] = {
    "under": "#1a9850",  # < 85 %
    "near": "#fdae61",  # 85–100 %
    "over": "#d73027",  # > 100 %
    "unknown": "#969696",
}
# Decimal places of drawn longitudes/latitudes: 1e-6 degrees is about 0.1 m.
_DIGITS = 6
_ESTATE_COLOUR = "#6a3d9a"
_UNSERVED_COLOUR = "#e7298a"

_DISTRICT_COLUMNS = ("district_id", "name")
_SCHOOL_COLUMNS = ("school_id", "name", "level")
_ESTATE_COLUMNS = ("estate_id", "name", "residents")
_GAP_COLUMNS = (
    "district_id",
    "level",
    "year",
    "scenario",
    "residents",
    "required",
    "offered",
    "gap",
)
# Levels of the district tooltip table, and the order of the school layers.
_TOOLTIP_LEVELS = ("primary", "junior", "compulsory")
_SCHOOL_LEVELS = ("primary", "junior", "nine_year", "kindergarten")
# School layers switched on at first for the level the choropleth shows.
_SHOWN_SCHOOLS = {
    "compulsory": {"primary", "junior", "nine_year"},
    "primary": {"primary", "nine_year"},
    "junior": {"junior", "nine_year"},
}


def plan_map(
    districts: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    *,
    gaps: pd.DataFrame,
    estates: gpd.GeoDataFrame | None = None,
    scenario: float,
    year: int,
    level: str = "compulsory",
    title: str,
    lang: Lang = "both",
    data_note: str | None = None,
    tiles: str | folium.TileLayer | None = "OpenStreetMap",
    capacity_col: str = "capacity",
) -> folium.Map:
    """Draw the meeting map of a plan for one scenario, year and level.

    Layers, each switchable in the layer control:

    - **districts**: a choropleth of the place gap (``required − offered``) for
      ``(scenario, year, level)`` — red for a shortage, blue for a surplus, in three classes
      each side of zero; the tooltip shows the district's residents and, for primary, junior
      and compulsory, the places required, offered and the gap;
    - **schools**, one layer per level: circles coloured by utilisation (< 85 %, 85–100 %,
      > 100 %, unknown) and sized by capacity, with a popup of the school's figures and
      flags (over capacity, large classes, oversized school, synthetic data);
    - **estates** (when given), hidden at first; magenta when the optional ``unserved``
      column is true.

    A title box names the plan, scenario, year and level and shows ``data_note``; a legend
    explains the colours. The view fits the districts. Element ids are sequential, so
    :func:`xuewei.maps.render_html` (or ``m.save``) writes byte-identical pages for the
    same inputs. Nothing is computed here: every number is drawn as given.

    Parameters
    ----------
    districts
        Polygons with ``district_id`` and ``name`` (Chinese), optionally ``name_en``; any
        CRS (drawn in EPSG:4326).
    schools
        Points with ``school_id``, ``name`` and ``level`` (``primary``, ``junior``,
        ``nine_year``, ``kindergarten``), and as available ``name_en``, ``district_id``,
        ``capacity``, ``enrolment``, ``classes`` and ``utilisation`` (enrolment ÷ capacity,
        NaN if unknown), the flags ``over_capacity``, ``big_class``, ``big_school`` and
        ``synthetic``. Non-point geometries are drawn at a representative point.
    gaps
        Tidy table, one row per ``district_id``, ``level``, ``year``, ``scenario``
        (places per 1,000 residents), with ``residents``, ``required``, ``offered`` and
        ``gap`` (places; ``gap > 0`` is a shortage), e.g. from :mod:`xuewei.planning`.
    estates
        Points with ``estate_id``, ``name``, ``residents``, and optionally
        ``completion_year``, ``synthetic`` and ``unserved``.
    scenario
        Places per 1,000 residents to show, one of ``gaps["scenario"]``.
    year
        Year to show, one of ``gaps["year"]``.
    level
        Level of the choropleth: ``"compulsory"`` (primary + junior), ``"primary"`` or
        ``"junior"`` — any level in ``gaps``.
    title
        Plan title, e.g. ``"长沙市中小学学位规划"``.
    lang
        Labels in Chinese (``"zh"``), English (``"en"``) or both (``"both"``, e.g.
        "小学 Primary"). Names from the data are shown as given.
    data_note
        Shown prominently under the title, e.g. ``"Schools are SYNTHETIC / 学校为合成数据"``.
    tiles
        Base map: a folium tile name, a :class:`folium.TileLayer`, or ``None`` for none.
    capacity_col
        Column of ``schools`` with the places a school offers (shown as its capacity and
        sizing its marker), e.g. ``"places"`` for the capacity computed by
        :mod:`xuewei.planning` where the design capacity is missing.

    Returns
    -------
    folium.Map
        The map; save it with :func:`xuewei.maps.render_html` or ``m.save(path)``.

    Raises
    ------
    xuewei.errors.InputError
        (a ``ValueError``) when a column is missing, a geometry is empty, ids repeat, or
        ``scenario``, ``year`` or ``level`` is not in ``gaps`` — naming the value and the
        ones available; all problems at once.
    xuewei.errors.CRSError
        When an input has no CRS.
    ValueError
        When ``lang`` is not ``"zh"``, ``"en"`` or ``"both"``.

    Examples
    --------
    Two districts, one short of places, one with spare places, and a school:

    >>> import geopandas as gpd
    >>> import pandas as pd
    >>> from shapely.geometry import Point, box
    >>> from xuewei import maps
    >>> districts = gpd.GeoDataFrame(
    ...     {"district_id": ["yl", "tx"], "name": ["岳麓区", "天心区"],
    ...      "name_en": ["Yuelu", "Tianxin"]},
    ...     geometry=[box(112.8, 28.1, 112.95, 28.25), box(112.95, 28.05, 113.05, 28.2)],
    ...     crs="EPSG:4326",
    ... )
    >>> gaps = pd.DataFrame({
    ...     "district_id": ["yl"] * 3 + ["tx"] * 3,
    ...     "level": ["primary", "junior", "compulsory"] * 2,
    ...     "year": 2030, "scenario": 85.0,
    ...     "residents": [1_200_000] * 3 + [800_000] * 3,
    ...     "required": [68_000, 34_000, 102_000, 45_333, 22_667, 68_000],
    ...     "offered": [60_000, 33_000, 93_000, 50_000, 24_000, 74_000],
    ... })
    >>> gaps["gap"] = gaps["required"] - gaps["offered"]
    >>> schools = gpd.GeoDataFrame(
    ...     {"school_id": ["s1"], "name": ["麓山国际实验学校"], "level": ["primary"],
    ...      "capacity": [2_160], "enrolment": [2_400], "utilisation": [2_400 / 2_160],
    ...      "over_capacity": [True]},
    ...     geometry=[Point(112.9, 28.2)], crs="EPSG:4326",
    ... )
    >>> m = maps.plan_map(
    ...     districts, schools, gaps=gaps, scenario=85, year=2030, title="长沙市学位规划",
    ...     data_note="Schools are SYNTHETIC / 学校为合成数据",
    ... )
    >>> page = maps.render_html(m)
    >>> "85 places per 1,000 / 千人指标 85" in page and "超容量 over capacity" in page
    True

    A scenario that is not in ``gaps`` is refused, naming the ones that are:

    >>> try:
    ...     maps.plan_map(districts, schools, gaps=gaps, scenario=95, year=2030, title="x")
    ... except ValueError as err:
    ...     print(err)
    gaps, column `scenario`: scenario=95 is not in the table; available: 85. Pass one of those.
    """
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} is not supported; use one of {', '.join(LANGS)}.")
    _check_inputs(districts, schools, gaps, estates, scenario=scenario, year=year, level=level)
    if capacity_col != "capacity" and capacity_col not in schools.columns:
        raise InputError([Problem("schools", "column missing.", column=capacity_col)])

    districts_ll = districts.to_crs("EPSG:4326")
    selected = _select_gaps(gaps, scenario=scenario, year=year)
    west, south, east, north = (round(float(v), _DIGITS) for v in districts_ll.total_bounds)

    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        tiles=tiles,
        control_scale=True,
        prefer_canvas=True,
    )
    m.get_root().title = esc(title)  # type: ignore[attr-defined]

    step = _add_districts(m, districts_ll, selected, year=year, level=level, lang=lang)
    district_names = {
        str(d): _bilingual(n, e, lang)
        for d, n, e in zip(
            districts_ll["district_id"],
            districts_ll["name"],
            _column(districts_ll, "name_en"),
            strict=True,
        )
    }
    _add_schools(
        m,
        schools.to_crs("EPSG:4326"),
        district_names,
        level=level,
        lang=lang,
        capacity_col=capacity_col,
    )
    has_unserved = False
    if estates is not None:
        has_unserved = "unserved" in estates.columns
        _add_estates(m, estates.to_crs("EPSG:4326"), lang=lang)

    subtitle = " · ".join(
        [scenario_text(scenario, lang), f"{label('year', lang)} {int(year)}", label(level, lang)]
    )
    box_style().add_to(m)
    title_box(esc(title), subtitle, None if data_note is None else esc(data_note)).add_to(m)
    _legend(step, level, lang, estates=estates is not None, unserved=has_unserved).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    _stabilise_ids(m.get_root())
    return m


# --- validation -----------------------------------------------------------------------------


def _check_inputs(
    districts: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    estates: gpd.GeoDataFrame | None,
    *,
    scenario: float,
    year: int,
    level: str,
) -> None:
    frames: dict[str, pd.DataFrame | None] = {
        "districts": districts,
        "schools": schools,
        "estates": estates,
    }
    no_crs = [
        name
        for name, frame in frames.items()
        if isinstance(frame, gpd.GeoDataFrame) and frame.crs is None
    ]
    if no_crs:
        raise CRSError(
            f"{', '.join(no_crs)}: no CRS set; set it with .set_crs(...) "
            "(e.g. EPSG:4326 for WGS84 longitude/latitude)."
        )
    problems: list[Problem] = []
    for name, frame, columns in [
        ("districts", districts, _DISTRICT_COLUMNS),
        ("schools", schools, _SCHOOL_COLUMNS),
        ("estates", estates, _ESTATE_COLUMNS),
        ("gaps", gaps, _GAP_COLUMNS),
    ]:
        if frame is None:
            continue
        if name != "gaps" and not isinstance(frame, gpd.GeoDataFrame):
            problems.append(
                Problem(name, f"got a {type(frame).__name__}; expected a GeoDataFrame.")
            )
            continue
        for column in columns:
            if column not in frame.columns:
                problems.append(Problem(name, "column missing.", column=column))
        if name != "gaps":
            problems += _geometry_problems(name, frame)
    if len(districts) == 0:
        problems.append(Problem("districts", "no districts; the map needs at least one."))
    elif "district_id" in districts.columns:
        dup = districts["district_id"].astype(str)
        for value in sorted(set(dup[dup.duplicated()])):
            problems.append(
                Problem("districts", f"{value!r} appears more than once.", column="district_id")
            )
    gap_problems = [
        Problem("gaps", f"got {gaps[column].dtype} values; expected numbers.", column=column)
        for column in ("year", "scenario", "residents", "required", "offered", "gap")
        if column in gaps.columns and not pd.api.types.is_numeric_dtype(gaps[column])
    ]
    problems += gap_problems
    if not gap_problems and all(c in gaps.columns for c in _GAP_COLUMNS):
        problems += _selection_problems(gaps, districts, scenario=scenario, year=year, level=level)
    if problems:
        raise InputError(problems)


def _geometry_problems(name: str, frame: gpd.GeoDataFrame) -> list[Problem]:
    empty = np.asarray(frame.geometry.isna() | frame.geometry.is_empty)
    rows = [int(i) + 1 for i in np.flatnonzero(empty)]
    if not rows:
        return []
    shown = ", ".join(map(str, rows[:10])) + (" …" if len(rows) > 10 else "")
    return [
        Problem(
            name,
            f"{len(rows)} feature(s) without geometry (rows {shown}); every feature "
            "must have a location.",
            column="geometry",
        )
    ]


def _selection_problems(
    gaps: pd.DataFrame,
    districts: gpd.GeoDataFrame,
    *,
    scenario: float,
    year: int,
    level: str,
) -> list[Problem]:
    problems: list[Problem] = []
    scenarios = pd.to_numeric(gaps["scenario"], errors="coerce").to_numpy(float)
    in_scenario = np.isclose(scenarios, float(scenario), rtol=0.0, atol=1e-9)
    in_year = np.asarray(gaps["year"] == year)
    for column, value, hit, available in [
        ("scenario", number_text(scenario), in_scenario, _available(scenarios, number_text)),
        ("year", str(year), in_year, _available(gaps["year"], lambda y: str(int(y)))),
        ("level", level, np.asarray(gaps["level"] == level), _available(gaps["level"], str)),
    ]:
        if not hit.any():
            problems.append(
                Problem(
                    "gaps",
                    f"{column}={value} is not in the table; available: {available}. "
                    "Pass one of those.",
                    column=column,
                )
            )
    if problems:
        return problems
    chosen = gaps[in_scenario & in_year]
    if not (chosen["level"] == level).any():
        return [
            Problem(
                "gaps",
                f"no rows for scenario {number_text(scenario)}, year {year}, level {level}; "
                "the levels of that scenario and year are "
                f"{_available(chosen['level'], str)}.",
            )
        ]
    key = chosen["district_id"].astype(str) + " / " + chosen["level"].astype(str)
    for value in sorted(set(key[key.duplicated()])):
        problems.append(
            Problem(
                "gaps",
                f"more than one row for district / level {value} in scenario "
                f"{number_text(scenario)}, year {year}; expected one.",
            )
        )
    if "district_id" in districts.columns:
        unknown = sorted(
            set(chosen["district_id"].astype(str)) - set(districts["district_id"].astype(str))
        )
        if unknown:
            problems.append(
                Problem(
                    "gaps",
                    f"district_id {', '.join(map(repr, unknown))} not in districts; "
                    "pass the districts the gaps were computed for.",
                    column="district_id",
                )
            )
    return problems


def _available(values: Any, fmt: Any) -> str:
    clean = pd.Series(values).dropna().unique()
    return ", ".join(fmt(v) for v in sorted(clean)) or "none"


def _select_gaps(gaps: pd.DataFrame, *, scenario: float, year: int) -> dict[tuple[str, str], dict]:
    """Return the rows of ``(scenario, year)`` keyed by ``(district_id, level)``."""
    scenarios = pd.to_numeric(gaps["scenario"], errors="coerce").to_numpy(float)
    mask = np.isclose(scenarios, float(scenario), rtol=0.0, atol=1e-9) & np.asarray(
        gaps["year"] == year
    )
    rows = gaps.loc[mask, list(_GAP_COLUMNS)].to_dict("records")
    return {(str(r["district_id"]), str(r["level"])): r for r in rows}


# --- layers ---------------------------------------------------------------------------------


def _add_districts(
    m: folium.Map,
    districts: gpd.GeoDataFrame,
    selected: Mapping[tuple[str, str], dict],
    *,
    year: int,
    level: str,
    lang: Lang,
) -> int:
    """Add the gap choropleth and return the class width (places)."""
    values = [
        float(r["gap"])
        for (_, lvl), r in selected.items()
        if lvl == level and not missing(r["gap"]) and math.isfinite(float(r["gap"]))
    ]
    step = _nice_step(max((abs(v) for v in values), default=0.0) / 3)
    features = []
    for i, (district_id, name, name_en, geometry) in enumerate(
        zip(
            districts["district_id"],
            districts["name"],
            _column(districts, "name_en"),
            districts.geometry,
            strict=True,
        )
    ):
        row = selected.get((str(district_id), level))
        fill = _gap_colour(None if row is None else row["gap"], step)
        tip = _district_tooltip(str(district_id), name, name_en, selected, year, level, lang)
        features.append(
            {
                "type": "Feature",
                "id": f"d{i}",
                "geometry": mapping(shapely.transform(geometry, _round_coordinates)),
                "properties": {"fill": fill, "tooltip": tip},
            }
        )
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=label("layer_districts", lang),
        style_function=_district_style,
        highlight_function=_district_highlight,
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
    ).add_to(m)
    return step


def _district_style(feature: dict) -> dict:
    return {
        "fillColor": feature["properties"]["fill"],
        "fillOpacity": 0.6,
        "color": "#555555",
        "weight": 1,
    }


def _district_highlight(feature: dict) -> dict:
    return {"weight": 3, "color": "#222222", "fillOpacity": 0.75}


def _district_tooltip(
    district_id: str,
    name: Any,
    name_en: Any,
    selected: Mapping[tuple[str, str], dict],
    year: int,
    level: str,
    lang: Lang,
) -> str:
    levels = list(_TOOLTIP_LEVELS) + ([level] if level not in _TOOLTIP_LEVELS else [])
    rows = {lvl: selected.get((district_id, lvl)) for lvl in levels}
    main = rows[level] or next((r for r in rows.values() if r is not None), None)
    residents = None if main is None else main["residents"]
    head = "".join(f"<th>{label(k, lang)}</th>" for k in ("level", "required", "offered", "gap"))
    body = ""
    for lvl, row in rows.items():
        if row is None:
            cells = "<td>–</td>" * 3
        else:
            cells = "".join(
                f'<td class="xuewei-n">{text}</td>'
                for text in (
                    int_text(row["required"]),
                    int_text(row["offered"]),
                    signed_text(row["gap"]),
                )
            )
        current = ' class="xuewei-current"' if lvl == level else ""
        body += f"<tr{current}><td>{label(lvl, lang)}</td>{cells}</tr>"
    return (
        '<div class="xuewei-tip">'
        f"<b>{_bilingual(name, name_en, lang)}</b> "
        f'<span class="xuewei-id">{esc(district_id)}</span><br>'
        f"{label('residents', lang)} {int(year)}: {int_text(residents)}"
        f"<table>{head}{body}</table></div>"
    )


def _add_schools(
    m: folium.Map,
    schools: gpd.GeoDataFrame,
    district_names: Mapping[str, str],
    *,
    level: str,
    lang: Lang,
    capacity_col: str,
) -> None:
    levels = [str(v) for v in pd.unique(schools["level"].astype(str))]
    ordered = [v for v in _SCHOOL_LEVELS if v in levels] + sorted(
        v for v in levels if v not in _SCHOOL_LEVELS
    )
    shown = _SHOWN_SCHOOLS.get(level, {level})
    capacity = pd.to_numeric(_column(schools, capacity_col), errors="coerce")
    cap_max = float(np.nanmax(capacity.to_numpy(float))) if capacity.notna().any() else 0.0
    records = _records(schools)
    located = _points(schools)
    for school_level in ordered:
        points = [
            MarkerData(
                lat=round(point.y, _DIGITS),
                lon=round(point.x, _DIGITS),
                radius=_radius(cap, cap_max, smallest=4.0, largest=14.0),
                fill=UTILISATION_COLOURS[_utilisation_class(rec.get("utilisation"))],
                popup=_school_popup(rec, cap, district_names, lang),
                tooltip=esc(rec["name"]),
                dashed=flag(rec.get("synthetic")),
            )
            for rec, point, cap in zip(records, located, capacity, strict=True)
            if str(rec["level"]) == school_level
        ]
        PointLayer(
            points,
            name=f"{label('layer_schools', lang)}: {label(school_level, lang)}",
            show=school_level in shown,
        ).add_to(m)


def _school_popup(
    rec: Mapping[str, Any], capacity: Any, district_names: Mapping[str, str], lang: Lang
) -> str:
    district = rec.get("district_id")
    district_text = (
        "–"
        if missing(district)
        else f"{district_names.get(str(district), esc(district))} ({esc(district)})"
    )
    rows = [
        ("level", label(str(rec["level"]), lang)),
        ("district", district_text),
        ("capacity", int_text(capacity)),
        ("enrolment", int_text(rec.get("enrolment"))),
        ("classes", int_text(rec.get("classes"))),
        ("utilisation", percent_text(rec.get("utilisation"))),
    ]
    flags = [
        label(f, lang) for f in ("over_capacity", "big_class", "big_school") if flag(rec.get(f))
    ]
    flag_line = f'<div class="xuewei-flags">{" · ".join(flags)}</div>' if flags else ""
    return (
        '<div class="xuewei-popup">'
        + _popup_head(rec["name"], rec.get("name_en"), rec["school_id"], lang)
        + _table(rows, lang)
        + flag_line
        + _synthetic_line(rec, lang)
        + "</div>"
    )


def _add_estates(m: folium.Map, estates: gpd.GeoDataFrame, *, lang: Lang) -> None:
    residents = pd.to_numeric(estates["residents"], errors="coerce")
    res_max = float(np.nanmax(residents.to_numpy(float))) if residents.notna().any() else 0.0
    has_unserved = "unserved" in estates.columns
    points = []
    for rec, point, res in zip(_records(estates), _points(estates), residents, strict=True):
        unserved = has_unserved and flag(rec["unserved"])
        rows = [
            ("residents", int_text(rec["residents"])),
            ("completion_year", _year_text(rec.get("completion_year"))),
        ]
        popup = _popup_head(rec["name"], None, rec["estate_id"], lang) + _table(rows, lang)
        if unserved:
            popup += f'<div class="xuewei-flags">{label("unserved", lang)}</div>'
        popup += _synthetic_line(rec, lang)
        points.append(
            MarkerData(
                lat=round(point.y, _DIGITS),
                lon=round(point.x, _DIGITS),
                radius=_radius(res, res_max, smallest=3.0, largest=9.0),
                fill=_UNSERVED_COLOUR if unserved else _ESTATE_COLOUR,
                popup=f'<div class="xuewei-popup">{popup}</div>',
                tooltip=esc(rec["name"]),
            )
        )
    PointLayer(
        points,
        name=label("layer_estates", lang),
        show=False,
        stroke="#ffffff",
        fill_opacity=0.85,
        popup_width=300,
    ).add_to(m)


def _legend(
    step: int,
    level: str,
    lang: Lang,
    *,
    estates: bool,
    unserved: bool,
) -> Any:
    one, two = int_text(step), int_text(2 * step)
    short, surplus = label("shortage", lang), label("surplus", lang)
    gap_rows = [
        (swatch(GAP_SHORTAGE[2]), f"{short} &gt; {two}"),
        (swatch(GAP_SHORTAGE[1]), f"{short} {one}–{two}"),
        (swatch(GAP_SHORTAGE[0]), f"{short} 1–{one}"),
        (swatch(GAP_BALANCED), f"{label('balanced', lang)} 0"),
        (swatch(GAP_SURPLUS[0]), f"{surplus} 1–{one}"),
        (swatch(GAP_SURPLUS[1]), f"{surplus} {one}–{two}"),
        (swatch(GAP_SURPLUS[2]), f"{surplus} &gt; {two}"),
        (swatch(GAP_NO_DATA), label("no_data", lang)),
    ]
    low, high = (f"{b * 100:.0f}%" for b in UTILISATION_BREAKS)
    school_rows = [
        (dot(UTILISATION_COLOURS["under"]), f"&lt; {low}"),
        (dot(UTILISATION_COLOURS["near"]), f"{low}–{high}"),
        (dot(UTILISATION_COLOURS["over"]), f"&gt; {high}"),
        (dot(UTILISATION_COLOURS["unknown"]), label("unknown", lang)),
    ]
    sections: list[tuple[str, str | None, list[tuple[str, str]]]] = [
        (f"{label('legend_gap', lang)} · {label(level, lang)}", label("gap_note", lang), gap_rows),
        (label("legend_schools", lang), label("size_note", lang), school_rows),
    ]
    if estates:
        estate_rows = [(dot(_ESTATE_COLOUR), label("estate", lang))]
        if unserved:
            estate_rows.append((dot(_UNSERVED_COLOUR), label("unserved", lang)))
        sections.append((label("legend_estates", lang), None, estate_rows))
    return legend_box(sections)


# --- small helpers --------------------------------------------------------------------------


def _nice_step(x: float) -> int:
    """Return the smallest of 1, 2, 5 × 10^k places that is at least ``x`` (at least 1)."""
    if not math.isfinite(x) or x <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(x))
    return next(int(f * exponent) for f in (1, 2, 5, 10) if f * exponent >= x)


def _gap_colour(gap: Any, step: int) -> str:
    if missing(gap) or not math.isfinite(float(gap)):
        return GAP_NO_DATA
    places = round(float(gap))  # classed as displayed: whole places
    if places == 0:
        return GAP_BALANCED
    cls = 0 if abs(places) <= step else 1 if abs(places) <= 2 * step else 2
    return (GAP_SHORTAGE if places > 0 else GAP_SURPLUS)[cls]


def _utilisation_class(value: Any) -> str:
    if missing(value) or not math.isfinite(float(value)):
        return "unknown"
    low, high = UTILISATION_BREAKS
    value = float(value)
    return "under" if value < low else "near" if value <= high else "over"


def _radius(value: Any, largest_value: float, *, smallest: float, largest: float) -> float:
    """Return the marker radius in pixels, its area proportional to ``value``."""
    if missing(value) or not math.isfinite(float(value)) or largest_value <= 0 or value <= 0:
        return smallest
    return round(smallest + (largest - smallest) * math.sqrt(float(value) / largest_value), 1)


def _round_coordinates(coordinates: np.ndarray) -> np.ndarray:
    return np.round(coordinates, _DIGITS)


def _year_text(value: Any) -> str:
    return "–" if missing(value) else str(int(value))


def _bilingual(name: Any, name_en: Any, lang: Lang) -> str:
    """Return an escaped name: Chinese, English or both (falls back to the Chinese name)."""
    zh = esc(name)
    if missing(name_en) or str(name_en) in ("", str(name)):
        return zh
    en = esc(name_en)
    return {"zh": zh, "en": en}.get(lang, f"{zh} {en}")


def _popup_head(name: Any, name_en: Any, ident: Any, lang: Lang) -> str:
    head = f"<b>{esc(name)}</b>"
    if lang == "en" and not missing(name_en) and str(name_en):
        head = f"<b>{esc(name_en)}</b><br>{esc(name)}"
    elif lang == "both" and not missing(name_en) and str(name_en):
        head += f"<br>{esc(name_en)}"
    return f'{head}<br><span class="xuewei-id">{esc(ident)}</span>'


def _table(rows: list[tuple[str, str]], lang: Lang) -> str:
    cells = "".join(f"<tr><th>{label(k, lang)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def _synthetic_line(rec: Mapping[str, Any], lang: Lang) -> str:
    if not flag(rec.get("synthetic")):
        return ""
    return f'<div class="xuewei-synthetic">⚠ {label("synthetic", lang)}</div>'


def _column(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a column, or an all-missing one when the frame does not have it."""
    if column in frame.columns:
        return frame[column]
    return pd.Series([None] * len(frame), index=frame.index, dtype=object)


def _records(frame: gpd.GeoDataFrame) -> list[dict[str, Any]]:
    table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]


def _points(frame: gpd.GeoDataFrame) -> list[Any]:
    """Return one point per feature; polygons and lines at a representative point."""
    geometry = frame.geometry
    is_point = np.asarray(geometry.geom_type == "Point")
    if is_point.all():
        return list(geometry)
    return list(geometry.where(is_point, geometry.representative_point()))
