"""The zones page: a meeting map of the attendance zones (学区划片) of a plan.

:func:`zones_map` draws what :func:`xuewei.planning.zones.draw_zones` returns — one filled
zone per school and level, coloured so that neighbours differ, over-capacity zones outlined
in red (:mod:`xuewei.maps._zones`) — over the district outlines and the schools, with the
title box, legend, scale bar, full-screen and print buttons and the layer control of the
plan's map. The plan's own map (:func:`xuewei.maps.plan_map`) takes the same zones as a
layer that is hidden at first. Nothing is computed here: every figure is drawn as given.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
import geopandas as gpd
from folium.map import FitBounds

from xuewei.errors import ConfigError, CRSError, InputError, Problem
from xuewei.maps._controls import add_controls, notes_html
from xuewei.maps._crowded import CROWDED_FIELDS, add_crowded, crowded_legend
from xuewei.maps._district_labels import district_labels
from xuewei.maps._ids import stabilise_ids
from xuewei.maps._labels import LANGS, Lang, esc, label
from xuewei.maps._legend import dot, legend_box
from xuewei.maps._popups import bilingual, plain
from xuewei.maps._schools import add_schools
from xuewei.maps._select import column, in_level_order
from xuewei.maps._style import DIGITS, UTILISATION_BREAKS, UTILISATION_COLOURS
from xuewei.maps._zones import add_zones, zone_legend, zone_notes
from xuewei.maps.tiles import base_layers, basemap_datum, to_datum

__all__ = ["ZONE_COLUMNS", "zones_map"]

#: The columns :func:`zones_map` needs in its ``zones``.
ZONE_COLUMNS = ("level", "school_id")


def zones_map(
    districts: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    schools: gpd.GeoDataFrame | None = None,
    crowded: gpd.GeoDataFrame | None = None,
    title: str,
    subtitle: str = "",
    lang: Lang = "both",
    data_note: str | None = None,
    tiles: str | Sequence[str] | None = "osm",
    tianditu_key: str | None = None,
    show: bool = True,
) -> folium.Map:
    """Draw the attendance zones of a plan for a meeting: one switchable layer per level.

    Parameters
    ----------
    districts
        Polygons with ``district_id`` and ``name``, optionally ``name_en``; any CRS.
    zones
        One polygon per school and level with ``level`` and ``school_id`` and, as
        available, ``name``, ``name_en``, ``pupils``, ``places``, ``utilisation``,
        ``over_pupils`` (> 0: over capacity, hatched in red), ``mean_distance_m``,
        ``max_distance_m``, ``beyond_radius_pupils`` (pupils farther than their service
        radius), ``pupils_moved`` (missing when no current zones were given) and
        ``feeds`` (the junior school a primary school feeds) — the ``zones`` layer
        ``xuewei zones`` writes.
    schools
        Points with ``school_id``, ``name`` and ``level``, optionally ``places`` and
        ``utilisation`` — that of the school's zone (pupils ÷ places), as the legend
        says — coloured in the classes of the plan's map; drawn above the zones.
    crowded
        Where the places are short (:func:`xuewei.outputs.zones.crowded_points`): points
        at the school most over, with ``level``, ``school_id``, ``crowded_km``,
        ``crowded_pupils``, ``crowded_allowed`` and, as available, ``name``,
        ``catch_up_km``, ``least_over_km`` and ``over_bound``; each drawn as a dashed
        circle of radius ``crowded_km`` in a layer of its own, its tooltip the figures.
    title, subtitle
        The title box's lines (plain text), e.g. the plan and "学区 Attendance zones 2024".
    lang
        Labels in ``"zh"``, ``"en"`` or ``"both"``.
    data_note
        Shown under the title, e.g. that the schools are synthetic.
    tiles, tianditu_key
        The base map, as for :func:`xuewei.maps.plan_map`.
    show
        Show the zones of the first level (primary) when the page opens;
        the other level's wait in the layer control, as do all with ``show=False``.

    Returns
    -------
    folium.Map

    Raises
    ------
    xuewei.errors.InputError
        When ``zones`` lacks a column or is empty; ``xuewei.errors.CRSError`` when a
        layer has no CRS; ``xuewei.errors.ConfigError`` for an unknown ``lang``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> from xuewei import maps
    >>> d = gpd.GeoDataFrame({"district_id": ["d"], "name": ["岳麓区"]},
    ...     geometry=[box(112.8, 28.1, 112.9, 28.2)], crs=4326)
    >>> z = gpd.GeoDataFrame({"level": ["primary"] * 2, "school_id": ["a", "b"],
    ...     "name": ["甲小学", "乙小学"], "pupils": [300.0, 520.0], "places": [400.0, 450.0],
    ...     "utilisation": [0.75, 520 / 450], "over_pupils": [0.0, 70.0]},
    ...     geometry=[box(112.8, 28.1, 112.85, 28.2), box(112.85, 28.1, 112.9, 28.2)], crs=4326)
    >>> page = maps.render_html(maps.zones_map(d, z, title="岳麓区学区", tiles=None))
    >>> "Attendance zones, primary" in page and "乙小学" in page
    True
    """
    if lang not in LANGS:
        raise ConfigError(f"lang={lang!r} is not supported; use one of {', '.join(LANGS)}.")
    _check(districts, zones, schools, crowded)
    datum = basemap_datum(tiles)
    districts_ll = to_datum(districts, datum)
    west, south, east, north = (round(float(v), DIGITS) for v in districts_ll.total_bounds)
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=10,
        maxZoom=19,
        tiles=None,
        control_scale=False,  # a metric one is added with the other controls
        prefer_canvas=True,
    )
    for base in base_layers(tiles, tianditu_key=tianditu_key, lang=lang):
        base.add_to(m)
    m.get_root().title = esc(title)  # type: ignore[attr-defined]
    _outlines(districts_ll, lang).add_to(m)
    district_labels(districts_ll, lang=lang).add_to(m)
    levels = in_level_order(zones["level"])
    add_zones(m, to_datum(zones, datum), lang=lang, show=levels[:1] if show else False)
    sections = [zone_legend(lang)]
    if crowded is not None and len(crowded):
        add_crowded(m, to_datum(crowded, datum), lang)
        sections.append(crowded_legend(lang))
    if schools is not None and len(schools):
        names = {
            str(d): bilingual(n, e, lang)
            for d, n, e in zip(
                districts["district_id"],
                districts["name"],
                column(districts, "name_en"),
                strict=True,
            )
        }
        capacity = "places" if "places" in schools.columns else "capacity"
        # hidden at first (level "" serves no school level): at city zoom the markers
        # would cover the zones, whose tooltips name their schools
        add_schools(m, to_datum(schools, datum), names, level="", lang=lang, capacity_col=capacity)
        sections.append(_school_legend(lang))
    add_controls(
        m,
        title=esc(title),
        data_note=None if data_note is None else esc(data_note),
        legend=legend_box(sections, heading=label("legend", lang)),
        fullscreen_tip=plain(label("fullscreen", lang)),
        print_tip=plain(label("print", lang)),
        tiles_note=label("tiles_failed", lang),
        switch="",
        heads=[(esc(subtitle), notes_html(zone_notes(zones, lang)))],
        initial=0,
    )
    fit = FitBounds([[south, west], [north, east]])
    fit.options["animate"] = False
    fit.add_to(m)
    stabilise_ids(m.get_root())
    return m


def _check(
    districts: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame | None,
    crowded: gpd.GeoDataFrame | None,
) -> None:
    layers = {"districts": districts, "zones": zones, "schools": schools, "crowded": crowded}
    no_crs = [k for k, v in layers.items() if v is not None and v.crs is None]
    if no_crs:
        raise CRSError(f"{', '.join(no_crs)}: no coordinate reference system; set one.")
    problems = [
        Problem("zones", "column missing.", column=c) for c in ZONE_COLUMNS if c not in zones
    ]
    if crowded is not None:
        problems += [
            Problem("crowded", "column missing.", column=c)
            for c in CROWDED_FIELDS
            if c not in crowded
        ]
    problems += [
        Problem("districts", "column missing.", column=c)
        for c in ("district_id", "name")
        if c not in districts
    ]
    if not len(zones):
        problems.append(Problem("zones", "no zones to draw; expected one row per school."))
    if problems:
        raise InputError(problems)


def _outlines(districts: gpd.GeoDataFrame, lang: Lang) -> folium.GeoJson:
    """Return the district boundaries: grey lines, no fill, no tooltip."""
    shapes = gpd.GeoDataFrame(
        {"district_id": districts["district_id"].astype(str).to_numpy()},
        geometry=districts.geometry.simplify(1e-5).to_numpy(),
        crs=districts.crs,
    )
    return folium.GeoJson(
        shapes.__geo_interface__,
        name=label("district", lang),
        style_function=lambda _: {"color": "#333333", "weight": 2, "fill": False},
        interactive=False,
        control=False,
    )


def _school_legend(lang: Lang) -> tuple[str, str | None, list[tuple[str, str]]]:
    low, high = (f"{b * 100:.0f}%" for b in UTILISATION_BREAKS)
    rows = [
        (dot(UTILISATION_COLOURS["under"]), f"&lt; {low}"),
        (dot(UTILISATION_COLOURS["near"]), f"{low}–{high}"),
        (dot(UTILISATION_COLOURS["over"]), f"&gt; {high}"),
        (dot(UTILISATION_COLOURS["unknown"]), label("unknown", lang)),
    ]
    zh, en = "学校：学区利用率", "Schools: zone utilisation"
    return esc({"zh": zh, "en": en}.get(lang, f"{zh} {en}")), None, rows
