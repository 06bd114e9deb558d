"""The meeting map of one plan: the place gap per district, schools and housing estates.

This module assembles the map; each layer group is drawn by a module of its own —
districts and the gap choropleth (:mod:`xuewei.maps._districts`, with the cohort tooltip
of :mod:`xuewei.maps._cohort`), schools (:mod:`xuewei.maps._schools`), estates and
unserved estates (:mod:`xuewei.maps._estates`), catchments (:mod:`xuewei.maps._catchments`),
proposals and mergers (:mod:`xuewei.maps._proposals`) — with the legend
(:mod:`xuewei.maps._legend`) and the title box, switches and layer control
(:mod:`xuewei.maps._controls`) on top. The inputs are checked by :mod:`xuewei.maps._checks`
and read by :mod:`xuewei.maps._select`; colours and classes are in
:mod:`xuewei.maps._style`. This module only draws: every number on the map (gaps,
utilisation, flags) comes in with the inputs, computed by :mod:`xuewei.planning` and
:mod:`xuewei.gis`. User text is escaped on the way in (see :mod:`xuewei.maps._labels`), and
element ids are made sequential so that the page is byte-stable (see
:func:`xuewei.maps.render_html`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from folium.map import FitBounds

from xuewei.errors import ConfigError, InputError, Problem
from xuewei.maps._catchments import add_catchments
from xuewei.maps._checks import check_inputs
from xuewei.maps._controls import add_controls, notes_html
from xuewei.maps._district_chart import district_popups
from xuewei.maps._district_labels import district_labels
from xuewei.maps._districts import add_districts
from xuewei.maps._estates import UNSERVED_SHOWN_MAX, add_estates
from xuewei.maps._fills import add_fills
from xuewei.maps._headline import headline_notes, reach_notes
from xuewei.maps._ids import stabilise_ids
from xuewei.maps._labels import LANGS, Lang, esc, label, missing, scenario_text
from xuewei.maps._legend import plan_legend
from xuewei.maps._popups import bilingual, place_names, plain
from xuewei.maps._proposals import add_mergers, add_proposals
from xuewei.maps._proposals import merger_sets as merger_sets_of
from xuewei.maps._readiness import readiness_notes
from xuewei.maps._schools import add_schools
from xuewei.maps._search import search_box
from xuewei.maps._select import (
    catchments_of_year,
    column,
    select_cohort,
    select_gaps,
    shown_proposals,
)
from xuewei.maps._style import (
    CATCHMENT_COLOURS,
    DIGITS,
    GAP_BALANCED,
    GAP_NO_DATA,
    GAP_SHORTAGE,
    GAP_SURPLUS,
    MERGER_COLOUR,
    PROPOSAL_STYLES,
    UNSERVED_COLOUR,
    UTILISATION_BREAKS,
    UTILISATION_COLOURS,
    gap_step,
)
from xuewei.maps._view import Views, ViewSwitch, switch_html
from xuewei.maps.tiles import Datum, base_layers, basemap_datum, to_datum
from xuewei.vocabulary import note_in_language

# The colours and classes are defined in xuewei.maps._style and re-exported here, where
# they have always been importable from; Lang likewise from xuewei.maps._labels.
__all__ = [
    "CATCHMENT_COLOURS",
    "GAP_BALANCED",
    "GAP_NO_DATA",
    "GAP_SHORTAGE",
    "GAP_SURPLUS",
    "MERGER_COLOUR",
    "PROPOSAL_STYLES",
    "UNSERVED_COLOUR",
    "UNSERVED_SHOWN_MAX",
    "UTILISATION_BREAKS",
    "UTILISATION_COLOURS",
    "Lang",
    "plan_map",
]


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
    years: Sequence[int] | None = None,
    title: str,
    lang: Lang = "both",
    data_note: str | None = None,
    tiles: str | Sequence[str] | folium.TileLayer | None = "osm",
    tianditu_key: str | None = None,
    capacity_col: str = "capacity",
    reach: pd.DataFrame | None = None,
    readiness: pd.DataFrame | None = None,
    zones: gpd.GeoDataFrame | None = None,
) -> folium.Map:
    """Draw the meeting map of a plan: every year and scenario, for one level.

    Layers, each switchable in the layer control:

    - **districts**: a choropleth of the place gap (``required − offered``) for
      ``(scenario, year, level)`` chosen in the title box — red for a shortage, blue for a
      surplus, in three classes
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
      per-thousand places and the per-1,000 ratio the cohort forecast implies;
    - **readiness** (when given): each county green (ready for high-quality balance by its
      target year), red (not) or grey (not assessed), hidden at first, with its target
      year, criteria met and what is missing; the title box adds "ready by their target
      year: N of M counties";
    - **attendance zones** (when given), one layer per level, hidden at first: each
      school's zone filled so that neighbours differ, over-capacity zones hatched in red,
      with the school's pupils, capacity, utilisation, travel and feeder in the tooltip.

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
        :func:`xuewei.planning.proposals.proposals_table`; with a ``scenario`` column,
        those of the scenario shown (and those of none) are drawn. Estates whose
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
    scenarios, years
        The scenarios and years the page carries (default: every one of ``gaps``): the
        title box has a year and a scenario selector, and choosing one re-colours the
        choropleth, shows that scenario's proposals (faded until the year each opens) and
        mergers, greys the schools they close by that year, and puts that view's headline
        figures in the title box. One class scale serves every view, so one legend fits
        all. The page opens at ``scenario`` and ``year``.
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
    reach
        Residents served, in reach of a full school, and out of reach, as shares, per
        level and year (:meth:`xuewei.pipeline.PlanResult.reach`): the plan's totals of
        the year shown go into the title box, one line per level.
    readiness
        One row per county (:attr:`xuewei.planning.readiness.Readiness.summary`):
        ``district_id``, ``name``, ``target_year``, ``ready``, ``criteria_met``,
        ``criteria_assessed``, ``first_year_ready``, ``missing``.
    zones
        Attendance zones, one polygon per school and level: the ``zones`` layer of
        ``zones.gpkg`` (``xuewei zones``), columns as :func:`xuewei.maps.zones_map` reads.
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
    xuewei.errors.ConfigError
        (a ``ValueError``) when ``lang`` is not ``"zh"``, ``"en"`` or ``"both"``, or
        ``tiles`` is unknown, mixes datums or asks for Tianditu without a key.

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
    # Long only by its docstring, the map's manual; the assembly below is some 75 lines.
    if lang not in LANGS:
        raise ConfigError(
            f"lang={lang!r} is not supported; use one of {', '.join(LANGS)}.", column="lang"
        )
    datum, bases = _base_maps(tiles, tianditu_key=tianditu_key, lang=lang)
    views = _views(gaps, scenario, year, scenarios, years)
    extra = {"catchments": catchments, "proposals": proposals, "mergers": mergers, "zones": zones}
    for shown_scenario in dict.fromkeys([views.scenario_of(scenario), *views.scenarios]):
        check_inputs(
            districts,
            schools,
            gaps,
            estates,
            scenario=shown_scenario,
            year=year,
            level=level,
            extra=extra,
        )
    if capacity_col != "capacity" and capacity_col not in schools.columns:
        raise InputError([Problem("schools", "column missing.", column=capacity_col)])

    districts_ll = to_datum(districts, datum)
    merger_sets = merger_sets_of(mergers, proposals, schools, views, datum)
    selections = [
        (y, select_gaps(gaps, scenario=v, year=y), select_cohort(cohort, scenario=v, year=y))
        for y, v in views.keys
    ]
    m = _new_map(districts_ll, bases, title=title)

    step = gap_step([selected for _, selected, _ in selections], level)
    gap_layer = add_districts(
        m,
        districts_ll,
        selections,
        popups=district_popups(districts_ll, gaps, views.keys, level=level, lang=lang),
        step=step,
        initial=views.initial,
        layer_name=label("layer_districts", lang),
        level=level,
        lang=lang,
    )
    district_labels(districts_ll, lang=lang).add_to(m)
    ready_states, zone_levels = add_fills(
        m, gap_layer, districts_ll, readiness, None if zones is None else to_datum(zones, datum),
        lang,
    )  # fmt: skip
    drawn = _add_overlays(
        m,
        districts_ll,
        schools,
        estates=estates,
        catchments=catchments,
        proposals=proposals,
        mergers=merger_sets,
        datum=datum,
        views=views,
        level=level,
        lang=lang,
        capacity_col=capacity_col,
    )
    heads = _heads(views, gaps, schools, proposals, reach, readiness, level=level, lang=lang)
    add_controls(
        m,
        title=esc(title),
        data_note=None if data_note is None else esc(note_in_language(data_note, lang)),
        legend=plan_legend(step, level, lang, readiness=ready_states, zones=zone_levels, **drawn),
        fullscreen_tip=plain(label("fullscreen", lang)),
        print_tip=plain(label("print", lang)),
        tiles_note=label("tiles_failed", lang),
        switch=switch_html(views, lang),
        heads=heads,
        initial=views.initial,
    )
    search_box(plain(label("search", lang))).add_to(m)
    ViewSwitch(views, heads).add_to(m)  # last: its first view reaches every layer
    west, south, east, north = _bounds(districts_ll)
    # no opening animation: the labels are decluttered once, at the zoom the page opens at
    fit = FitBounds([[south, west], [north, east]])
    fit.options["animate"] = False
    fit.add_to(m)
    stabilise_ids(m.get_root())
    return m


def _views(
    gaps: pd.DataFrame,
    scenario: float,
    year: int,
    scenarios: Sequence[float] | None,
    years: Sequence[int] | None,
) -> Views:
    """Return the years and scenarios the page carries (default: all of ``gaps``)."""
    values = pd.to_numeric(gaps["scenario"], errors="coerce").dropna()
    chosen = sorted(set(values.tolist())) if scenarios is None else list(scenarios)
    offered = list(dict.fromkeys(float(v) for v in [scenario, *chosen]))
    known = sorted({int(y) for y in gaps["year"]})
    wanted = known if years is None else [int(y) for y in years]
    unknown = [y for y in wanted if y not in known]
    if unknown:  # a view with no rows would draw every district as "no data"
        raise InputError(
            [
                Problem(
                    "gaps",
                    f"years={unknown} are not in the table; available: {known[0]}–{known[-1]}.",
                    column="year",
                )
            ]
        )
    return Views(
        years=tuple(sorted({int(year), *(int(y) for y in wanted)})),
        scenarios=tuple(sorted(offered)),
        year=int(year),
        scenario=float(scenario),
    )


def _heads(
    views: Views,
    gaps: pd.DataFrame,
    schools: gpd.GeoDataFrame,
    proposals: gpd.GeoDataFrame | None,
    reach: pd.DataFrame | None,
    readiness: pd.DataFrame | None,
    *,
    level: str,
    lang: Lang,
) -> list[tuple[str, str]]:
    """Return, per view, the title box's subtitle and lines of figures (escaped HTML)."""
    ready = readiness_notes(readiness, lang)  # read in each county's target year: every view
    return [
        (
            _subtitle(v, y, level, lang),
            notes_html(
                [
                    *headline_notes(
                        gaps,
                        schools,
                        shown_proposals(proposals, v),
                        scenario=v,
                        year=y,
                        lang=lang,
                        level=level,
                    ),
                    *reach_notes(reach, y, lang),
                    *ready,
                ]
            ),
        )
        for y, v in views.keys
    ]


def _bounds(districts: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Return west, south, east and north of the drawn districts, rounded as drawn."""
    west, south, east, north = (round(float(v), DIGITS) for v in districts.total_bounds)
    return west, south, east, north


def _new_map(
    districts: gpd.GeoDataFrame, bases: Sequence[folium.map.Layer], *, title: str
) -> folium.Map:
    """Return the map centred on the districts, with its base maps and the page title."""
    west, south, east, north = _bounds(districts)
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        maxZoom=19,  # the school clusters need one, and no tile layer may set it
        tiles=None,
        control_scale=False,  # a metric one is added with the other controls
        prefer_canvas=True,
    )
    for base in bases:
        base.add_to(m)
    m.get_root().title = esc(title)  # type: ignore[attr-defined]
    return m


def _add_overlays(
    m: folium.Map,
    districts: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    *,
    estates: gpd.GeoDataFrame | None,
    catchments: gpd.GeoDataFrame | None,
    proposals: gpd.GeoDataFrame | None,
    mergers: list[tuple[int, gpd.GeoDataFrame]],
    datum: Datum,
    views: Views,
    level: str,
    lang: Lang,
    capacity_col: str,
) -> dict[str, Any]:
    """Add the layers above the choropleth, in drawing order; say what the legend shows.

    ``districts`` and ``mergers`` (per scenario carried) are in the drawing datum
    already; the others are moved to it here. Catchments and estates are those of the
    year the page opens at. Returns the keyword arguments of
    :func:`xuewei.maps._legend.plan_legend`.
    """
    year = views.year
    district_names = {
        str(d): bilingual(n, e, lang)
        for d, n, e in zip(
            districts["district_id"], districts["name"], column(districts, "name_en"), strict=True
        )
    }
    names = place_names(schools, proposals, lang)
    catchment_levels: list[str] = []
    if catchments is not None:
        catchment_levels = add_catchments(
            m, to_datum(catchments_of_year(catchments, year), datum), names, lang=lang
        )
    closes: dict[str, list[tuple[int, int]]] = {}
    for si, frame in mergers:
        for school, when in zip(frame["closing_school_id"], frame["year"], strict=True):
            if not missing(school) and not missing(when):
                for i in range(len(views.scenarios)) if si < 0 else (si,):
                    closes.setdefault(str(school), []).append((i, int(when)))
    add_schools(
        m,
        to_datum(schools, datum),
        district_names,
        level=level,
        lang=lang,
        capacity_col=capacity_col,
        closes=closes,
    )
    estates_ll = None if estates is None else to_datum(estates, datum)
    flagged = () if estates_ll is None else add_estates(m, estates_ll, names, lang=lang, year=year)
    kinds: list[str] = []
    if proposals is not None:
        kinds = add_proposals(
            m, to_datum(proposals, datum), estates_ll, district_names, lang=lang, views=views
        )
    if any(len(frame) for _, frame in mergers):
        add_mergers(m, mergers, names, lang=lang)
    return {
        "estates": estates is not None,
        "flagged": flagged,
        "catchment_levels": catchment_levels,
        "kinds": kinds,
        "mergers": any(len(frame) for _, frame in mergers),
        "closed": bool(closes),
    }


def _base_maps(
    tiles: str | Sequence[str] | folium.TileLayer | None,
    *,
    tianditu_key: str | None,
    lang: Lang,
) -> tuple[Datum, list[folium.map.Layer]]:
    """Return the datum the layers are drawn in and the base-map layers for ``tiles``."""
    if isinstance(tiles, folium.TileLayer):
        return "wgs84", [tiles]
    return basemap_datum(tiles), base_layers(tiles, tianditu_key=tianditu_key, lang=lang)


def _subtitle(scenario: float, year: int, level: str, lang: Lang) -> str:
    """Return the title box's second line: scenario, year and level."""
    return " · ".join(
        [scenario_text(scenario, lang), f"{label('year', lang)} {int(year)}", label(level, lang)]
    )
