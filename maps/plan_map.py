"""The meeting map of one plan: the place gap per district, schools and housing estates.

This module only draws. Every number on the map (gaps, utilisation, flags) comes in with the
inputs, computed by :mod:`xuewei.planning` and :mod:`xuewei.gis`; here they are selected,
classed into colours and written into tooltips and popups. User text is escaped on the way
in (see :mod:`xuewei.maps._labels`), and element ids are made sequential so that the page
is byte-stable (see :func:`xuewei.maps.render_html`).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template
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
from xuewei.maps._legend import (
    box_style,
    dot,
    exclusive_layers,
    fullscreen_button,
    icon,
    legend_box,
    line,
    outline,
    ring,
    swatch,
    title_box,
)
from xuewei.maps._points import IconData, IconLayer, LineData, LineLayer, MarkerData, PointLayer
from xuewei.maps.render import _stabilise_ids
from xuewei.maps.tiles import Datum, base_layers, basemap_datum, to_datum

__all__ = [
    "CATCHMENT_COLOURS",
    "GAP_BALANCED",
    "GAP_NO_DATA",
    "GAP_SHORTAGE",
    "GAP_SURPLUS",
    "MERGER_COLOUR",
    "PROPOSAL_STYLES",
    "UNSERVED_COLOUR",
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
#: Unserved estates: a thick magenta ring around a pale fill, in a layer of their own.
UNSERVED_COLOUR = "#e7298a"
_UNSERVED_FILL = "#fde0ef"
#: Catchment outline colour by school level.
CATCHMENT_COLOURS: Mapping[str, str] = {
    "primary": "#1f78b4",
    "junior": "#33a02c",
    "nine_year": "#6a3d9a",
    "kindergarten": "#ff7f00",
}
_CATCHMENT_OTHER = "#525252"
#: Proposal icon by kind: (symbol, colour); the symbol of kindergartens and special
#: education schools is a Chinese character, with a Latin letter on English maps.
PROPOSAL_STYLES: Mapping[str, tuple[str, str]] = {
    "new_build": ("★", "#08519c"),
    "expansion": ("+", "#238b45"),
    "merger": ("⇆", "#6a51a3"),
    "kindergarten": ("幼", "#d94801"),
    "special_education": ("特", "#8c2d04"),
}
_PROPOSAL_EN = {"kindergarten": "K", "special_education": "S"}
_PROPOSAL_OTHER = ("?", "#525252")
#: Merger lines: from the closing school (hollow end) to the receiving school (filled end).
MERGER_COLOUR = "#54278f"

_DISTRICT_COLUMNS = ("district_id", "name")
_SCHOOL_COLUMNS = ("school_id", "name", "level")
_ESTATE_COLUMNS = ("estate_id", "name", "residents")
_CATCHMENT_COLUMNS = ("school_id", "level")
_PROPOSAL_COLUMNS = ("proposal_id", "kind")
_MERGER_COLUMNS = ("year",)
# The closing and receiving school of a merger, and the pupils moved, by the names they
# have here and in :mod:`xuewei.planning` (``plan_mergers`` and the proposals table).
_CLOSING = ("closing_school_id", "school_id")
_RECEIVING = ("receiving_school_id", "receiver_id", "receiver_ids")
_PUPILS = ("pupils", "pupils_moved")
# The estates a proposal serves.
_SERVED = ("served_estates", "estate_ids")
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


#: Up to this many unserved estates the layer is on when the map opens.
UNSERVED_SHOWN_MAX = 500


def plan_map(
    districts: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    *,
    gaps: pd.DataFrame,
    estates: gpd.GeoDataFrame | None = None,
    catchments: gpd.GeoDataFrame | None = None,
    proposals: gpd.GeoDataFrame | None = None,
    mergers: pd.DataFrame | None = None,
    cohort: pd.DataFrame | None = None,
    scenario: float,
    year: int,
    level: str = "compulsory",
    scenarios: Sequence[float] | None = None,
    title: str,
    lang: Lang = "both",
    data_note: str | None = None,
    tiles: str | Sequence[str] | folium.TileLayer | None = "osm",
    tianditu_key: str | None = None,
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
    - **estates** (when given), hidden at first, with the school each is assigned to
      (``assigned_school_<level>`` columns) in the popup;
    - **unserved estates**: estates whose optional ``unserved`` column is true, in a layer
      of their own, drawn as thick magenta rings, shown at first when there are at most
      ``UNSERVED_SHOWN_MAX`` (500) of them, else switched off until the user turns it on;
    - **catchments** (when given), one layer per level, hidden at first: dashed outlines
      coloured by level, the school's name in the tooltip;
    - **proposals** (when given): an icon per kind (★ new school, + expansion, ⇆ merger,
      幼 kindergarten, 特 special education) with a popup of the kind, district, level,
      year, added places, rationale and the estates served, which are joined to it by
      thin dashed lines;
    - **mergers** (when given): a dashed line from the closing school (hollow end) to the
      receiving school (filled end), with the year;
    - **cohort-based demand** (when ``cohort`` is given): in the tooltip of each district
      that has one, the pupils forecast from births (with the interval) beside the
      per-thousand places and the per-1,000 ratio the cohort forecast implies.

    A title box names the plan, scenario, year and level and shows ``data_note``; a legend
    explains the colours and symbols; a scale bar, a full-screen button and the layer
    control complete the page. With Amap as the base map every layer is drawn shifted to
    GCJ-02, so that the points sit on Amap's streets (see :mod:`xuewei.maps.tiles`). The
    view fits the districts. Element ids are sequential, so :func:`xuewei.maps.render_html`
    (or ``m.save``) writes byte-identical pages for the same inputs. Nothing is computed
    here: every number is drawn as given.

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
        Points (or polygons) with ``estate_id``, ``name``, ``residents``, and optionally
        ``completion_year``, ``synthetic``, ``unserved`` (bool) and the school each is
        assigned to per level, ``assigned_school_<level>`` or ``<level>_school_id`` (a
        ``school_id`` or ``proposal_id``).
    catchments
        Polygons with ``school_id`` and ``level`` (from :mod:`xuewei.gis`), e.g. one per
        school and level; with a ``year`` column, those of ``year`` are drawn (or of the
        latest year before it).
    proposals
        Points (or polygons) with ``proposal_id`` and ``kind`` (``new_build``,
        ``expansion``, ``merger``, ``kindergarten``, ``special_education``), and as
        available ``district_id``, ``level``, ``year``, ``places``, ``rationale_zh``,
        ``rationale_en`` and ``served_estates`` (or ``estate_ids``: the estates it serves,
        a list, or ids joined by ``,`` or ``;``) — the columns of
        :func:`xuewei.planning.proposals.proposals_table`. Estates whose
        ``assigned_school_<level>`` is a proposal's id count as served by it too.
        Proposals of kind ``merger`` with ``school_id`` and ``receiver_ids`` are drawn as
        merger lines when ``mergers`` is not given.
    mergers
        One row per merger with ``year`` and either line geometries from the closing to the
        receiving school, or the closing school's id (``closing_school_id`` or
        ``school_id``) and the receiving school's (``receiving_school_id``,
        ``receiver_id`` or ``receiver_ids``, several joined by commas) — e.g. the output of
        :func:`xuewei.planning.mergers.plan_mergers`; the line is then drawn between the
        schools (a receiver may be a proposed school: its ``proposal_id``, ``school_id`` or
        ``site_id`` in ``proposals``). Optionally ``pupils`` or ``pupils_moved``.
    cohort
        Cohort-based demand beside per-thousand demand, one row per ``district_id``,
        ``year``, ``level``, ``scenario``, with ``cohort_demand``, ``cohort_lower``,
        ``cohort_upper``, ``per_thousand_demand`` and ``implied_per_1000`` — the output of
        :func:`xuewei.forecast.implied_per_thousand` (``PlanResult.cohort``). Rows of the
        shown ``year`` and scenario go into the district tooltips.
    scenario
        Places per 1,000 residents to show, one of ``gaps["scenario"]``.
    year
        Year to show, one of ``gaps["year"]``.
    level
        Level of the choropleth: ``"compulsory"`` (primary + junior), ``"primary"`` or
        ``"junior"`` — any level in ``gaps``.
    scenarios
        Scenarios to offer as switchable choropleths (e.g. ``[80, 85, 90]``): one layer
        each at ``year``, one shown at a time (``scenario`` first), classed on a common
        scale so that one legend fits all; the title box follows the layer shown. Default:
        ``scenario`` only.
    title
        Plan title, e.g. ``"长沙市中小学学位规划"``.
    lang
        Labels in Chinese (``"zh"``), English (``"en"``) or both (``"both"``, e.g.
        "小学 Primary"). Names from the data are shown as given.
    data_note
        Shown prominently under the title, e.g. ``"Schools are SYNTHETIC / 学校为合成数据"``.
    tiles
        Base map: ``"osm"`` (OpenStreetMap), ``"amap"`` or ``"amap_satellite"`` (高德,
        GCJ-02: the layers are shifted to match), ``"tianditu"`` or
        ``"tianditu_satellite"`` (天地图, needs ``tianditu_key``), a list of these of one
        datum (switchable in the layer control, the first shown), a
        :class:`folium.TileLayer` (taken to be WGS84), or ``None``/``"none"`` for a blank
        background. An offline page (:func:`xuewei.maps.render_html` with
        ``offline=True``) leaves the tiles out whatever is chosen here.
    tianditu_key
        The bureau's Tianditu key (tk), for the Tianditu base maps.
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
        ``scenario``, ``year`` or ``level`` is not in ``gaps``, or a merger names a school
        that is not in ``schools`` — naming the value and the ones available; all problems
        at once.
    xuewei.errors.CRSError
        When an input has no CRS.
    ValueError
        When ``lang`` is not ``"zh"``, ``"en"`` or ``"both"``, or ``tiles`` is unknown,
        mixes datums or asks for Tianditu without a key.

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
    if isinstance(tiles, folium.TileLayer):
        datum: Datum = "wgs84"
        bases: list[folium.map.Layer] = [tiles]
    else:
        datum = basemap_datum(tiles)
        bases = base_layers(tiles, tianditu_key=tianditu_key, lang=lang)
    offered = list(dict.fromkeys([float(scenario), *(float(v) for v in scenarios or [])]))
    for shown_scenario in offered:
        _check_inputs(
            districts,
            schools,
            gaps,
            estates,
            scenario=shown_scenario,
            year=year,
            level=level,
            extra={"catchments": catchments, "proposals": proposals, "mergers": mergers},
        )
    if capacity_col != "capacity" and capacity_col not in schools.columns:
        raise InputError([Problem("schools", "column missing.", column=capacity_col)])

    districts_ll = to_datum(districts, datum)
    schools_ll = to_datum(schools, datum)
    merger_rows, _source = _merger_source(mergers, proposals)
    merger_lines = (
        None if merger_rows is None else _merger_lines(merger_rows, schools, proposals, datum)
    )
    selections = {v: _select_gaps(gaps, scenario=v, year=year) for v in offered}
    cohorts = {v: _select_cohort(cohort, scenario=v, year=year) for v in offered}
    west, south, east, north = (round(float(v), _DIGITS) for v in districts_ll.total_bounds)

    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
    )
    for base in bases:
        base.add_to(m)
    m.get_root().title = esc(title)  # type: ignore[attr-defined]

    step = _gap_step([selections[v] for v in offered], level)
    subtitles = {
        v: " · ".join(
            [scenario_text(v, lang), f"{label('year', lang)} {int(year)}", label(level, lang)]
        )
        for v in offered
    }
    gap_layers = []
    for v in offered:
        name = label("layer_districts", lang)
        if len(offered) > 1:  # short: the title box has the scenario in full
            value = number_text(v)
            short = f"{value} per 1,000" if lang == "en" else f"千人指标 {value}"
            name = f"{label('legend_gap', lang)} · {short}"
        gap_layers.append(
            _add_districts(
                m,
                districts_ll,
                selections[v],
                cohorts[v],
                step=step,
                layer_name=name,
                show=v == offered[0],
                year=year,
                level=level,
                lang=lang,
            )
        )
    district_names = {
        str(d): _bilingual(n, e, lang)
        for d, n, e in zip(
            districts_ll["district_id"],
            districts_ll["name"],
            _column(districts_ll, "name_en"),
            strict=True,
        )
    }
    names = _place_names(schools, proposals, lang)
    catchment_levels: list[str] = []
    if catchments is not None:
        catchment_levels = _add_catchments(
            m, to_datum(_catchments_of_year(catchments, year), datum), names, lang=lang
        )
    _add_schools(
        m,
        schools_ll,
        district_names,
        level=level,
        lang=lang,
        capacity_col=capacity_col,
    )
    estates_ll = None if estates is None else to_datum(estates, datum)
    has_unserved = False
    if estates_ll is not None:
        has_unserved = _add_estates(m, estates_ll, names, lang=lang)
    kinds: list[str] = []
    if proposals is not None:
        kinds = _add_proposals(m, to_datum(proposals, datum), estates_ll, district_names, lang=lang)
    if merger_lines is not None:
        _add_mergers(m, merger_lines, names, lang=lang)

    box_style().add_to(m)
    title_box(
        esc(title), subtitles[offered[0]], None if data_note is None else esc(data_note)
    ).add_to(m)
    if len(gap_layers) > 1:
        exclusive_layers(gap_layers, [subtitles[v] for v in offered]).add_to(m)
    _legend(
        step,
        level,
        lang,
        estates=estates is not None,
        unserved=has_unserved,
        catchment_levels=catchment_levels,
        kinds=kinds,
        mergers=merger_lines is not None and len(merger_lines) > 0,
    ).add_to(m)
    fullscreen_button(_plain(label("fullscreen", lang))).add_to(m)
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
    extra: Mapping[str, pd.DataFrame | None],
) -> None:
    frames: dict[str, pd.DataFrame | None] = {
        "districts": districts,
        "schools": schools,
        "estates": estates,
        **extra,
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
    problems += _layer_problems(extra, schools)
    if problems:
        raise InputError(problems)


def _layer_problems(
    extra: Mapping[str, pd.DataFrame | None], schools: gpd.GeoDataFrame
) -> list[Problem]:
    """Check the optional layers: catchments, proposals and mergers."""
    problems: list[Problem] = []
    for name, columns in [
        ("catchments", _CATCHMENT_COLUMNS),
        ("proposals", _PROPOSAL_COLUMNS),
    ]:
        frame = extra.get(name)
        if frame is None:
            continue
        if not isinstance(frame, gpd.GeoDataFrame):
            problems.append(
                Problem(name, f"got a {type(frame).__name__}; expected a GeoDataFrame.")
            )
            continue
        problems += [
            Problem(name, "column missing.", column=c) for c in columns if c not in frame.columns
        ]
        problems += _geometry_problems(name, frame)
    mergers, source = _merger_source(extra.get("mergers"), extra.get("proposals"))
    if mergers is None:
        return problems
    problems += [
        Problem(source, "column missing.", column=c)
        for c in _MERGER_COLUMNS
        if c not in mergers.columns
    ]
    if _has_lines(mergers):
        return problems + _geometry_problems(source, mergers)
    pairs = _merger_pairs(mergers)
    if isinstance(pairs, str):
        return [*problems, Problem(source, pairs)]
    known = set(_locations(schools, extra.get("proposals")))
    ends = [
        (rec["row"], rec[f"{end}_column"], rec[f"{end}_school_id"])
        for rec in pairs.to_dict("records")
        for end in ("closing", "receiving")
    ]
    for row, column, value in dict.fromkeys(ends):
        if value not in known:
            problems.append(
                Problem(
                    source,
                    f"{value!r} is not a school_id of schools (nor a proposal's "
                    "proposal_id, school_id or site_id); the line needs both schools' "
                    "locations.",
                    row=row,
                    column=column,
                )
            )
    return problems


def _merger_source(
    mergers: pd.DataFrame | None, proposals: pd.DataFrame | None
) -> tuple[pd.DataFrame | None, str]:
    """Return the mergers to draw: as given, or the proposals of kind ``merger``."""
    if mergers is not None:
        return mergers, "mergers"
    if proposals is None or "kind" not in proposals.columns:
        return None, "proposals"
    rows = proposals[np.asarray(proposals["kind"].astype(str) == "merger")]
    has_ends = any(c in rows.columns for c in _CLOSING[1:]) and any(
        c in rows.columns for c in _RECEIVING
    )
    if rows.empty or not has_ends:
        return None, "proposals"
    # the proposals' geometry is the closing school's point: the ids make the line
    return pd.DataFrame(rows.drop(columns=rows.geometry.name)), "proposals"


def _first_column(frame: pd.DataFrame, options: Sequence[str]) -> str | None:
    return next((c for c in options if c in frame.columns), None)


def _merger_pairs(mergers: pd.DataFrame) -> pd.DataFrame | str:
    """Return one row per (closing, receiving) pair, or a message saying what is missing.

    Columns: ``closing_school_id``, ``receiving_school_id``, ``year``, ``pupils``, and for
    error messages the 1-based ``row`` and the ``closing_column``/``receiving_column`` the
    ids came from. Receivers joined by commas (``"s1,s2"``) give one pair each.
    """
    closing = _first_column(mergers, _CLOSING)
    receiving = _first_column(mergers, _RECEIVING)
    if closing is None or receiving is None:
        wanted = " or ".join(f"`{c}`" for c in (*_CLOSING, *_RECEIVING))
        return (
            "no line geometries and no closing and receiving school ids (columns "
            f"{wanted}); give lines from the closing to the receiving school, or both ids."
        )
    pupils = _first_column(mergers, _PUPILS)
    rows = []
    for row, rec in enumerate(_records_of(mergers), start=1):
        for target in _id_list(rec[receiving]) or [""]:
            rows.append(
                {
                    "closing_school_id": str(rec[closing]),
                    "receiving_school_id": target,
                    "year": rec.get("year"),
                    "pupils": None if pupils is None else rec[pupils],
                    "row": row,
                    "closing_column": closing,
                    "receiving_column": receiving,
                }
            )
    return pd.DataFrame(rows)


def _records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    table = pd.DataFrame(frame)
    if isinstance(frame, gpd.GeoDataFrame):
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return [{str(k): v for k, v in row.items()} for row in table.to_dict("records")]


def _locations(schools: gpd.GeoDataFrame, proposals: gpd.GeoDataFrame | None) -> dict[str, Any]:
    """Return the point of every school and proposed school by id, in the schools' CRS."""
    located: dict[str, Any] = {}
    if proposals is not None and len(proposals):
        p = proposals.to_crs(schools.crs)
        points = _points(p)
        for column in ("site_id", "school_id", "proposal_id"):
            if column in p.columns:
                for value, point in zip(p[column], points, strict=True):
                    if not missing(value):
                        located[str(value)] = point
    if "school_id" in schools.columns:
        located.update(zip(schools["school_id"].astype(str), _points(schools), strict=True))
    return located


def _has_lines(frame: pd.DataFrame) -> bool:
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry.name not in frame.columns:
        return False
    kinds = set(frame.geometry.geom_type.dropna())
    return bool(kinds) and kinds <= {"LineString", "MultiLineString"}


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


def _select_gaps(
    gaps: pd.DataFrame, *, scenario: float, year: int, columns: Sequence[str] = _GAP_COLUMNS
) -> dict[tuple[str, str], dict]:
    """Return the rows of ``(scenario, year)`` keyed by ``(district_id, level)``.

    Also for the cohort table, whose rows are keyed the same way (``columns``).
    """
    scenarios = pd.to_numeric(gaps["scenario"], errors="coerce").to_numpy(float)
    mask = np.isclose(scenarios, float(scenario), rtol=0.0, atol=1e-9) & np.asarray(
        gaps["year"] == year
    )
    rows = gaps.loc[mask, list(columns)].to_dict("records")
    return {(str(r["district_id"]), str(r["level"])): r for r in rows}


_COHORT_COLUMNS = (
    "district_id",
    "level",
    "cohort_demand",
    "cohort_lower",
    "cohort_upper",
    "per_thousand_demand",
    "implied_per_1000",
)


def _select_cohort(
    cohort: pd.DataFrame | None, *, scenario: float, year: int
) -> dict[tuple[str, str], dict]:
    """Return the cohort rows of ``(scenario, year)`` (none without a cohort table)."""
    if cohort is None or not len(cohort):
        return {}
    missing_cols = [c for c in (*_COHORT_COLUMNS, "year", "scenario") if c not in cohort]
    if missing_cols:
        raise InputError([Problem("cohort", "column missing.", column=c) for c in missing_cols])
    return _select_gaps(cohort, scenario=scenario, year=year, columns=_COHORT_COLUMNS)


# --- layers ---------------------------------------------------------------------------------


def _gap_step(selections: Sequence[Mapping[tuple[str, str], dict]], level: str) -> int:
    """Return the class width (places): a round third of the largest gap shown."""
    values = [
        abs(float(r["gap"]))
        for selected in selections
        for (_, lvl), r in selected.items()
        if lvl == level and not missing(r["gap"]) and math.isfinite(float(r["gap"]))
    ]
    return _nice_step(max(values, default=0.0) / 3)


def _add_districts(
    m: folium.Map,
    districts: gpd.GeoDataFrame,
    selected: Mapping[tuple[str, str], dict],
    cohort: Mapping[tuple[str, str], dict],
    *,
    step: int,
    layer_name: str,
    show: bool,
    year: int,
    level: str,
    lang: Lang,
) -> folium.GeoJson:
    """Add one gap choropleth (classes ``step`` places wide) and return it."""
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
        tip += _cohort_tip(str(district_id), cohort, lang)
        features.append(
            {
                "type": "Feature",
                "id": f"d{i}",
                "geometry": mapping(shapely.transform(geometry, _round_coordinates)),
                "properties": {"fill": fill, "tooltip": tip},
            }
        )
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=layer_name,
        style_function=_district_style,
        highlight_function=_district_highlight,
        tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
        show=show,
    )
    layer.add_to(m)
    return layer


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


def _cohort_tip(district_id: str, cohort: Mapping[tuple[str, str], dict], lang: Lang) -> str:
    """Cohort-based beside per-thousand demand of a district ('' when it has none)."""
    rows = [(lvl, cohort.get((district_id, lvl))) for lvl in ("primary", "junior")]
    if all(row is None for _, row in rows):
        return ""
    head = "".join(
        f"<th>{label(k, lang)}</th>" for k in ("level", "cohort", "per_thousand", "implied")
    )
    body = ""
    for lvl, row in rows:
        if row is None:
            continue
        span = f"{int_text(row['cohort_lower'])}–{int_text(row['cohort_upper'])}"
        implied = number_text(round(float(row["implied_per_1000"]), 1))
        body += (
            f"<tr><td>{label(lvl, lang)}</td>"
            f'<td class="xuewei-n">{int_text(row["cohort_demand"])}'
            f'<br><span class="xuewei-id">{span}</span></td>'
            f'<td class="xuewei-n">{int_text(row["per_thousand_demand"])}</td>'
            f'<td class="xuewei-n">{implied}</td></tr>'
        )
    return (
        f'<div class="xuewei-tip xuewei-cohort"><b>{label("cohort_title", lang)}</b>'
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


def _place_names(
    schools: gpd.GeoDataFrame, proposals: gpd.GeoDataFrame | None, lang: Lang
) -> dict[str, str]:
    """Return escaped display names of schools and proposals by id."""
    names = {
        str(i): _bilingual(n, e, lang)
        for i, n, e in zip(
            schools["school_id"], schools["name"], _column(schools, "name_en"), strict=True
        )
    }
    if proposals is not None:
        for rec in _records_of(proposals):
            name = f"{_kind_label(rec['kind'], lang)} {esc(rec['proposal_id'])}"
            # a proposed school is named by its proposal wherever its ids turn up
            for column in ("proposal_id", "site_id", "school_id"):
                value = rec.get(column)
                if not missing(value) and str(rec["kind"]) != "merger":
                    names.setdefault(str(value), name)
            names.setdefault(str(rec["proposal_id"]), name)
    return names


def _kind_label(kind: Any, lang: Lang) -> str:
    key = "kindergarten_proposal" if str(kind) == "kindergarten" else str(kind)
    return label(key, lang)


def _catchments_of_year(catchments: gpd.GeoDataFrame, year: int) -> gpd.GeoDataFrame:
    """Keep the catchments of ``year`` (or of the latest year before it) if years are given."""
    if "year" not in catchments.columns or catchments.empty:
        return catchments
    years = pd.to_numeric(catchments["year"], errors="coerce")
    earlier = years[years <= year]
    chosen = year if (years == year).any() else (earlier.max() if len(earlier) else years.min())
    return catchments[np.asarray(years == chosen)]


def _add_catchments(
    m: folium.Map, catchments: gpd.GeoDataFrame, names: Mapping[str, str], *, lang: Lang
) -> list[str]:
    """Add one outline layer per level; return the levels drawn."""
    levels = [str(v) for v in pd.unique(catchments["level"].astype(str))]
    ordered = [v for v in _SCHOOL_LEVELS if v in levels] + sorted(
        v for v in levels if v not in _SCHOOL_LEVELS
    )
    for school_level in ordered:
        rows = catchments[np.asarray(catchments["level"].astype(str) == school_level)]
        colour = CATCHMENT_COLOURS.get(school_level, _CATCHMENT_OTHER)
        features = []
        for i, (school_id, geometry) in enumerate(
            zip(rows["school_id"], rows.geometry, strict=True)
        ):
            name = names.get(str(school_id), esc(school_id))
            tip = (
                f'<div class="xuewei-tip"><b>{label("catchment", lang)}</b> · '
                f"{label(school_level, lang)}<br>{name} "
                f'<span class="xuewei-id">{esc(school_id)}</span></div>'
            )
            features.append(
                {
                    "type": "Feature",
                    "id": f"c{i}",
                    "geometry": mapping(shapely.transform(geometry, _round_coordinates)),
                    "properties": {"tooltip": tip},
                }
            )
        style = {
            "color": colour,
            "weight": 2,
            "dashArray": "6 4",
            "fillColor": colour,
            "fillOpacity": 0.06,
        }
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=f"{label('layer_catchments', lang)}: {label(school_level, lang)}",
            style_function=lambda _feature, style=style: style,
            tooltip=folium.GeoJsonTooltip(fields=["tooltip"], labels=False, sticky=True),
            show=False,
        ).add_to(m)
    return ordered


def _add_estates(
    m: folium.Map, estates: gpd.GeoDataFrame, names: Mapping[str, str], *, lang: Lang
) -> bool:
    """Add the estates layer and, when any is unserved, the unserved layer; tell which."""
    residents = pd.to_numeric(estates["residents"], errors="coerce")
    res_max = float(np.nanmax(residents.to_numpy(float))) if residents.notna().any() else 0.0
    has_unserved = "unserved" in estates.columns
    assigned = _assigned_columns(estates)
    served: list[MarkerData] = []
    unserved_points: list[MarkerData] = []
    for rec, point, res in zip(_records(estates), _points(estates), residents, strict=True):
        unserved = has_unserved and flag(rec["unserved"])
        rows = [
            ("residents", int_text(rec["residents"])),
            ("completion_year", _year_text(rec.get("completion_year"))),
        ]
        popup = _popup_head(rec["name"], None, rec["estate_id"], lang) + _table(rows, lang)
        popup += _assigned_lines(rec, assigned, names, lang)
        if unserved:
            popup += f'<div class="xuewei-flags">{label("unserved", lang)}</div>'
        popup += _synthetic_line(rec, lang)
        marker = MarkerData(
            lat=round(point.y, _DIGITS),
            lon=round(point.x, _DIGITS),
            radius=_radius(res, res_max, smallest=3.0, largest=9.0),
            fill=_UNSERVED_FILL if unserved else _ESTATE_COLOUR,
            popup=f'<div class="xuewei-popup">{popup}</div>',
            tooltip=esc(rec["name"]),
        )
        (unserved_points if unserved else served).append(marker)
    PointLayer(
        served,
        name=label("layer_estates", lang),
        show=False,
        stroke="#ffffff",
        fill_opacity=0.85,
        popup_width=300,
    ).add_to(m)
    if unserved_points:
        PointLayer(
            unserved_points,
            name=label("layer_unserved", lang),
            # a few hundred rings point at places; thousands hide the map beneath them
            show=len(unserved_points) <= UNSERVED_SHOWN_MAX,
            stroke=UNSERVED_COLOUR,
            weight=2.5,
            fill_opacity=0.9,
            popup_width=300,
        ).add_to(m)
    return bool(unserved_points)


# The school an estate is assigned to, per level: ``assigned_school_primary`` or, as the
# pipeline's estates layer has it, ``primary_school_id``.
_ASSIGNED = re.compile(
    r"assigned_school_(?P<level>\w+)|(?P<level2>primary|junior|nine_year|kindergarten)_school_id"
)


def _assigned_columns(estates: pd.DataFrame) -> list[str]:
    return [str(c) for c in estates.columns if _ASSIGNED.fullmatch(str(c))]


def _assigned_level(column: str) -> str:
    match = _ASSIGNED.fullmatch(column)
    assert match is not None
    return match.group("level") or match.group("level2")


def _assigned_lines(
    rec: Mapping[str, Any], columns: Sequence[str], names: Mapping[str, str], lang: Lang
) -> str:
    rows = []
    for column in columns:
        value = rec.get(column)
        if missing(value) or str(value) == "":
            continue
        school_level = _assigned_level(column)
        name = names.get(str(value), esc(value))
        rows.append(
            f"<tr><th>{label('assigned_school', lang)} · {label(school_level, lang)}</th>"
            f'<td>{name} <span class="xuewei-id">{esc(value)}</span></td></tr>'
        )
    return f"<table>{''.join(rows)}</table>" if rows else ""


def _served_estates(
    proposals: gpd.GeoDataFrame, estates: gpd.GeoDataFrame | None
) -> list[list[int]]:
    """Return, per proposal, the positions in ``estates`` of the estates it serves."""
    if estates is None:
        return [[] for _ in range(len(proposals))]
    position = {str(e): i for i, e in enumerate(estates["estate_id"])}
    by_assignment: dict[str, list[int]] = {}
    for column in _assigned_columns(estates):
        for i, value in enumerate(estates[column]):
            if not missing(value):
                by_assignment.setdefault(str(value), []).append(i)
    out = []
    served_col = _first_column(proposals, _SERVED) or "served_estates"
    for pid, listed in zip(proposals["proposal_id"], _column(proposals, served_col), strict=True):
        found = [position[e] for e in _id_list(listed) if e in position]
        found += by_assignment.get(str(pid), [])
        out.append(sorted(set(found)))
    return out


def _id_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [v.strip() for v in re.split(r"[;,]", value) if v.strip()]
    if isinstance(value, list | tuple | np.ndarray | pd.Series):
        return [str(v) for v in value if not missing(v)]
    return [] if missing(value) else [str(value)]


def _add_proposals(
    m: folium.Map,
    proposals: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame | None,
    district_names: Mapping[str, str],
    *,
    lang: Lang,
) -> list[str]:
    """Add the proposals layer (icons and lines to the estates served); return the kinds."""
    served = _served_estates(proposals, estates)
    estate_points = [] if estates is None else _points(estates)
    estate_names = [] if estates is None else [esc(n) for n in estates["name"]]
    icons = []
    links = []
    for rec, point, serves in zip(_records(proposals), _points(proposals), served, strict=True):
        kind = str(rec["kind"])
        symbol, colour = _proposal_symbol(kind, lang)
        district = rec.get("district_id")
        rows = [
            ("level", "–" if missing(rec.get("level")) else label(str(rec["level"]), lang)),
            (
                "district",
                "–" if missing(district) else district_names.get(str(district), esc(district)),
            ),
            ("year", _year_text(rec.get("year"))),
            ("places", int_text(rec.get("places"))),
        ]
        if serves:
            shown = ", ".join(estate_names[i] for i in serves[:12])
            more = f" … (+{len(serves) - 12})" if len(serves) > 12 else ""
            rows.append(("serves", shown + more))
        head = (
            f'<b><span class="xuewei-icon" style="background:{colour};display:inline-block;'
            f'width:18px">{symbol}</span> {_kind_label(kind, lang)}</b><br>'
            f'<span class="xuewei-id">{esc(rec["proposal_id"])}</span>'
        )
        popup = head + _table(rows, lang) + _rationale(rec, lang) + _synthetic_line(rec, lang)
        lat, lon = round(point.y, _DIGITS), round(point.x, _DIGITS)
        icons.append(
            IconData(
                lat=lat,
                lon=lon,
                symbol=symbol,
                css_class=f"xuewei-kind-{_css_name(kind)}",
                popup=f'<div class="xuewei-popup">{popup}</div>',
                tooltip=f"{_kind_label(kind, lang)} {esc(rec['proposal_id'])}",
            )
        )
        for i in serves:
            target = estate_points[i]
            links.append([[lat, lon], [round(target.y, _DIGITS), round(target.x, _DIGITS)]])
    layer = IconLayer(icons, name=label("layer_proposals", lang), links=links)
    # each icon's colour, by kind, as CSS: the icon data carry the class only
    layer.add_child(_KindStyle(lang))
    layer.add_to(m)
    kinds = [str(k) for k in pd.unique(proposals["kind"].astype(str))]
    return [k for k in PROPOSAL_STYLES if k in kinds] + sorted(
        k for k in kinds if k not in PROPOSAL_STYLES
    )


class _KindStyle(MacroElement):
    """The background colour of each proposal kind's icon."""

    _template = Template(
        "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}"
    )

    def __init__(self, lang: Lang) -> None:
        super().__init__()
        self._name = "XueweiKindStyle"
        # the fallback first: the kinds' rules, equally specific, come later and win
        kinds = " ".join(
            f".xuewei-kind-{_css_name(k)} {{ background: {c}; }}"
            for k, (_s, c) in PROPOSAL_STYLES.items()
        )
        self.css = f".xuewei-icon {{ background: {_PROPOSAL_OTHER[1]}; }} " + kinds


def _css_name(kind: str) -> str:
    return re.sub(r"[^a-z0-9_-]", "-", kind.lower())


def _proposal_symbol(kind: str, lang: Lang) -> tuple[str, str]:
    symbol, colour = PROPOSAL_STYLES.get(kind, _PROPOSAL_OTHER)
    if lang == "en":
        symbol = _PROPOSAL_EN.get(kind, symbol)
    return esc(symbol), colour


def _rationale(rec: Mapping[str, Any], lang: Lang) -> str:
    parts = []
    for key, wanted in (("rationale_zh", ("zh", "both")), ("rationale_en", ("en", "both"))):
        value = rec.get(key)
        if lang in wanted and not missing(value) and str(value):
            parts.append(esc(value))
    if not parts:
        return ""
    return (
        f'<div class="xuewei-rationale"><b>{label("rationale", lang)}</b>: '
        + "<br>".join(parts)
        + "</div>"
    )


def _merger_lines(
    mergers: pd.DataFrame,
    schools: gpd.GeoDataFrame,
    proposals: gpd.GeoDataFrame | None,
    datum: Datum,
) -> gpd.GeoDataFrame:
    """Return the mergers as lines in the drawing datum, built from the schools if need be.

    Columns ``closing_school_id``, ``receiving_school_id``, ``year`` and ``pupils`` (as
    given, or ``None``); one line per receiving school.
    """
    if _has_lines(mergers):
        lines = to_datum(mergers, datum)
        closing, receiving = _first_column(lines, _CLOSING), _first_column(lines, _RECEIVING)
        pupils = _first_column(lines, _PUPILS)
        return gpd.GeoDataFrame(
            {
                "closing_school_id": _column(lines, closing or "closing_school_id"),
                "receiving_school_id": _column(lines, receiving or "receiving_school_id"),
                "year": _column(lines, "year"),
                "pupils": _column(lines, pupils or "pupils"),
            },
            geometry=lines.geometry,
            crs=lines.crs,
        )
    pairs = _merger_pairs(mergers)
    assert not isinstance(pairs, str)  # checked by _layer_problems
    located = _locations(schools, proposals)
    geometry = [
        shapely.LineString([located[a], located[b]])
        for a, b in zip(pairs["closing_school_id"], pairs["receiving_school_id"], strict=True)
    ]
    table = pairs[["closing_school_id", "receiving_school_id", "year", "pupils"]]
    return to_datum(gpd.GeoDataFrame(table, geometry=geometry, crs=schools.crs), datum)


def _add_mergers(
    m: folium.Map, mergers: gpd.GeoDataFrame, names: Mapping[str, str], *, lang: Lang
) -> None:
    lines = []
    for rec, geometry in zip(_records(mergers), mergers.geometry, strict=True):
        parts = list(getattr(geometry, "geoms", [geometry]))
        coords = [[round(y, _DIGITS), round(x, _DIGITS)] for part in parts for x, y in part.coords]
        closing, receiving = rec.get("closing_school_id"), rec.get("receiving_school_id")

        def name(value: Any) -> str:
            return "–" if missing(value) else names.get(str(value), esc(value))

        year = _year_text(rec.get("year"))
        tip = f"{label('merger', lang)} {year}: {name(closing)} → {name(receiving)}"
        rows = [
            ("closing", name(closing)),
            ("receiving", name(receiving)),
            ("merger_year", year),
        ]
        if not missing(rec.get("pupils")):
            rows.append(("pupils", int_text(rec.get("pupils"))))
        popup = f"<b>{label('merger', lang)} {year}</b>" + _table(rows, lang)
        lines.append(
            LineData(
                coords=coords,
                colour=MERGER_COLOUR,
                popup=f'<div class="xuewei-popup">{popup}</div>',
                tooltip=tip,
            )
        )
    LineLayer(lines, name=label("layer_mergers", lang)).add_to(m)


def _legend(
    step: int,
    level: str,
    lang: Lang,
    *,
    estates: bool,
    unserved: bool,
    catchment_levels: Sequence[str] = (),
    kinds: Sequence[str] = (),
    mergers: bool = False,
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
            estate_rows.append((ring(), label("unserved", lang)))
        sections.append((label("legend_estates", lang), None, estate_rows))
    if catchment_levels:
        rows = [
            (outline(CATCHMENT_COLOURS.get(v, _CATCHMENT_OTHER)), label(v, lang))
            for v in catchment_levels
        ]
        sections.append((label("layer_catchments", lang), None, rows))
    if kinds or mergers:
        rows = []
        for kind in kinds:
            symbol, colour = _proposal_symbol(kind, lang)
            rows.append((icon(symbol, colour), _kind_label(kind, lang)))
        notes = [label("serves_note", lang)] if kinds else []
        if mergers:
            rows.append((line(MERGER_COLOUR), label("layer_mergers", lang)))
            notes.append(label("merger_note", lang))
        sections.append((label("legend_proposals", lang), "; ".join(notes), rows))
    return legend_box(sections, heading=label("legend", lang))


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


def _plain(escaped: str) -> str:
    """Undo :func:`esc` for text that is set as plain text (a title attribute)."""
    return html.unescape(escaped)


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
