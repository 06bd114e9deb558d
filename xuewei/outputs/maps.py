"""The maps of a run: the HTML meeting map, the static PNG, and re-drawing a saved GeoPackage."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataSourceError

from xuewei import maps
from xuewei.maps.plan_map import Lang
from xuewei.outputs.atomic import atomic_path
from xuewei.outputs.tables import estates_layer
from xuewei.pipeline import PlanResult
from xuewei.vocabulary import COMPULSORY

__all__ = [
    "MapOptions",
    "map_layers",
    "plan_map_for",
    "redraw_map",
    "write_map",
    "write_static_map",
]


@dataclass(frozen=True)
class MapOptions:
    """How the meeting map is drawn.

    Attributes
    ----------
    offline
        Write one self-contained page (Leaflet and its plugins inlined) that opens with no
        internet, as in a meeting room (default); ``False`` loads them from their CDNs (a
        smaller file that needs the internet). Either way the base map (``tiles``) is kept:
        its tiles show where there is internet, and the page says in its credits when
        they could not be loaded.
    tiles
        Base map: ``osm``, ``amap`` (GCJ-02: every layer is shifted to sit on Amap's
        streets), ``amap_satellite``, ``tianditu``, ``tianditu_satellite`` (need
        ``tianditu_key``) or ``none``.
    tianditu_key
        A Tianditu (天地图) API key.
    lang
        Labels in ``zh``, ``en`` or ``both``.
    png
        Also write a static map, ``plan.png``, for documents.
    """

    offline: bool = True
    tiles: str = "osm"
    tianditu_key: str | None = None
    lang: Lang = "both"
    png: bool = False


def write_map(
    result: PlanResult,
    path: str | Path,
    *,
    overwrite: bool = False,
    options: MapOptions | None = None,
) -> Path:
    """Draw the plan map and write it as one HTML file.

    The page carries every year and scenario of the plan (chosen in its title box) and
    opens at the default scenario and the horizon.
    """
    options = options or MapOptions()
    html = maps.render_html(
        plan_map_for(result, options=options), offline=options.offline, keep_tiles=True
    )
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)


def write_static_map(
    result: PlanResult,
    path: str | Path,
    *,
    overwrite: bool = False,
    options: MapOptions | None = None,
) -> Path:
    """Draw the plan map as a PNG (matplotlib) with north arrow, scale bar and legend."""
    from xuewei.maps.static import static_map

    options = options or MapOptions()
    layers = map_layers(result)
    del layers["cohort"]  # tooltip figures: a printed map has no place for them
    del layers["reach"]  # the title box's lines: the report has them
    del layers["readiness"]  # the report's readiness sheet
    return _save_png(static_map(**layers, lang=options.lang), path, overwrite=overwrite)


def _save_png(fig: Any, path: str | Path, *, overwrite: bool) -> Path:
    """Save a static map at 200 dpi, atomically, and close it."""
    import matplotlib.pyplot as plt

    try:
        with atomic_path(path, overwrite=overwrite) as tmp:
            fig.savefig(tmp, dpi=200, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return Path(path)


def map_layers(
    result: PlanResult, *, scenario: float | None = None, year: int | None = None
) -> dict[str, Any]:
    """Return the layers :func:`xuewei.maps.plan_map` draws for a result (plan CRS).

    The HTML map, the static map and a re-drawn GeoPackage all draw these.
    """
    title = result.plan.name + (f" {result.plan.name_en}" if result.plan.name_en else "")
    catchments = result.catchment_polygons if result.catchments else None
    return {
        "proposals": located(result.proposals),
        "districts": result.districts,
        "schools": result.schools,
        "gaps": result.gaps,
        "cohort": result.cohort,
        "estates": estates_layer(result),
        "catchments": catchments,
        "scenario": result.standards.default_scenario if scenario is None else scenario,
        "year": result.plan.horizon if year is None else year,
        "title": title,
        "data_note": result.plan.data_note,
        "capacity_col": "places",
        "reach": result.reach() if result.catchments else None,
        "readiness": None if result.readiness is None else result.readiness.summary,
    }


def located(proposals: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Keep the proposals that have a place to draw.

    Those without a site (the plan gives no candidate sites) are in the report and the
    GeoPackage; a map cannot show them.
    """
    if proposals is None:
        return None
    geom = proposals.geometry
    located = proposals[geom.notna() & ~geom.is_empty]
    return located if len(located) else None


def plan_map_for(
    result: PlanResult,
    *,
    scenario: float | None = None,
    year: int | None = None,
    options: MapOptions | None = None,
) -> folium.Map:
    """Draw :func:`xuewei.maps.plan_map` for a result (default scenario, horizon year)."""
    options = options or MapOptions()
    return maps.plan_map(
        **map_layers(result, scenario=scenario, year=year),
        lang=options.lang,
        tiles=options.tiles,
        tianditu_key=options.tianditu_key,
    )


def _redraw_png(
    read: dict[str, Any],
    common: dict[str, Any],
    scenario: float,
    path: str | Path,
    *,
    overwrite: bool,
) -> Path:
    """Draw a saved result as a static PNG (the layers a printed map can show)."""
    printed = {k: v for k, v in common.items() if k not in _INTERACTIVE_ONLY}
    fig = maps.static_map(read["districts"], read["schools"], scenario=scenario, **printed)
    return _save_png(fig, path, overwrite=overwrite)


def _saved_zones(path: str | Path) -> gpd.GeoDataFrame:
    """Read the ``zones`` layer of a ``zones.gpkg``, or say what was expected."""
    from xuewei.errors import InputError, Problem

    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(path)}
    except DataSourceError:
        layers = set()
    if "zones" not in layers:
        expected = "a GeoPackage with a layer `zones`; pass the zones.gpkg of xuewei zones"
        raise InputError([Problem(Path(path).name, f"is not {expected}.")])
    return pyogrio.read_dataframe(path, layer="zones")


# what only the interactive page draws: tooltip figures, title-box lines, base maps
_INTERACTIVE_ONLY = ("cohort", "reach", "readiness", "tiles", "tianditu_key")


def redraw_map(
    gpkg: str | Path,
    path: str | Path,
    *,
    scenario: float | None = None,
    year: int | None = None,
    level: str = COMPULSORY,
    overwrite: bool = False,
    options: MapOptions | None = None,
    zones: str | Path | None = None,
) -> Path:
    """Re-draw the map of a saved result (``plan.gpkg``) for any scenario, year or level.

    Parameters
    ----------
    gpkg
        A ``plan.gpkg`` written by :func:`write_outputs`.
    path
        The HTML file to write; a ``.png`` path writes a static map instead.
    scenario, year
        The view the page opens at (it carries every year and scenario) or the PNG
        shows; default the run's default scenario and horizon.
    level
        The level of the choropleth.
    overwrite
        Replace an existing file.
    options
        Offline, base map, language.
    zones
        A ``zones.gpkg`` written by ``xuewei zones``: its ``zones`` layer is drawn on the
        HTML page as one layer per level, hidden at first (a PNG leaves it out).
    """
    options = options or MapOptions()
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    facts = dict(pyogrio.read_dataframe(gpkg, layer="plan").set_index("key")["value"])
    read = {
        name: pyogrio.read_dataframe(gpkg, layer=name)
        for name in ("districts", "schools", "estates", "catchments", "proposals")
        if name in layers
    }
    gaps = pd.DataFrame(pyogrio.read_dataframe(gpkg, layer="gaps"))
    cohort = (
        pd.DataFrame(pyogrio.read_dataframe(gpkg, layer="cohort")) if "cohort" in layers else None
    )
    title = facts["name"] + (f" {facts['name_en']}" if facts.get("name_en") else "")
    common: dict[str, Any] = {
        "gaps": gaps,
        "cohort": cohort,
        "estates": read.get("estates"),
        "catchments": read.get("catchments"),
        "proposals": located(read.get("proposals")),
        "year": int(facts["horizon"]) if year is None else year,
        "level": level,
        "title": title,
        "data_note": facts.get("data_note") or None,
        "capacity_col": "places",
        "reach": pd.DataFrame(pyogrio.read_dataframe(gpkg, layer="reach"))
        if "reach" in layers
        else None,
        "readiness": pd.DataFrame(pyogrio.read_dataframe(gpkg, layer="readiness"))
        if "readiness" in layers
        else None,
        "lang": options.lang,
        "tiles": options.tiles,
        "tianditu_key": options.tianditu_key,
    }
    chosen = float(facts["default_scenario"]) if scenario is None else scenario
    if Path(path).suffix.lower() == ".png":
        return _redraw_png(read, common, chosen, path, overwrite=overwrite)
    drawn = None if zones is None else _saved_zones(zones)
    m = maps.plan_map(read["districts"], read["schools"], scenario=chosen, zones=drawn, **common)
    html = maps.render_html(m, offline=options.offline, keep_tiles=True)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)
