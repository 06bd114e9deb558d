"""County readiness on the meeting map: a layer of counties ready by their year, and a line.

The readiness of each county for high-quality balance by its target year (优质均衡) comes
from :mod:`xuewei.planning.readiness`; here it is drawn: each county green (ready by its
target year), red (not ready) or grey (not assessed), hidden at first, with a tooltip of
its target year, the criteria met and what is missing; and the title box's line "ready by
their target year: 7 of 9 counties".
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd
import shapely

from xuewei.maps._labels import Lang, esc, label, missing
from xuewei.maps._popups import bilingual
from xuewei.maps._select import column

__all__ = ["READINESS_COLOURS", "add_readiness", "readiness_notes"]

#: Fill of a county ready by its target year, not ready, and not assessed.
READINESS_COLOURS = {"ready": "#31a354", "not_ready": "#de2d26", "unknown": "#bdbdbd"}


def readiness_notes(readiness: pd.DataFrame | None, lang: Lang) -> list[str]:
    """Return the title box's readiness line (escaped HTML), or none without readiness.

    Examples
    --------
    >>> r = pd.DataFrame({"ready": pd.array([True, False, None], dtype="boolean")})
    >>> readiness_notes(r, "en")
    ['Ready by their target year: 1 of 3 counties']
    """
    if readiness is None or not len(readiness):
        return []
    ready = int(readiness["ready"].fillna(False).astype(bool).sum())
    zh = f"按期达标(优质均衡)：{ready} / {len(readiness)} 个区县"
    en = f"Ready by their target year: {ready} of {len(readiness)} counties"
    return [esc({"zh": zh, "en": en}.get(lang, f"{zh} · {en}"))]


def _state(ready: object) -> str:
    if missing(ready):
        return "unknown"
    return "ready" if bool(ready) else "not_ready"


def _tooltip(row: pd.Series, name: str, lang: Lang) -> str:
    """Return a county's readiness in words (escaped HTML; ``name`` is escaped already)."""
    state = _state(row.get("ready"))
    lines = [
        f"<b>{name}</b>",
        f"{label('target_year', lang)}: {esc(row.get('target_year'))}",
        f"{label(f'readiness_{state}', lang)} "
        f"({label('criteria_met', lang)} {int(row.get('criteria_met', 0))} / "
        f"{int(row.get('criteria_assessed', 0))})",
    ]
    first = row.get("first_year_ready")
    lines.append(
        f"{label('ready_from', lang)}: "
        + (label("after_horizon", lang) if missing(first) else esc(int(str(first))))
    )
    said = _missed(row, lang)
    if said:
        lines.append(f"{label('readiness_missing', lang)}: {said}")
    # a tooltip does not wrap unless told: the list of what is missing can be long
    style = "white-space:normal;width:320px"
    return f'<div class="xuewei-tip" style="{style}">' + "<br>".join(lines) + "</div>"


def _missed(row: pd.Series, lang: Lang) -> str:
    """Return what a county misses, in the map's language (escaped HTML; "" if nothing).

    ``missing`` is English, ``missing_zh`` Chinese; a plan.gpkg written before
    ``missing_zh`` existed has one mixed text in ``missing``, shown as it is.
    """

    def text(col: str) -> str:
        value = row.get(col)
        return "" if missing(value) else str(value)

    en, zh = text("missing"), text("missing_zh")
    if not zh:
        return esc(en)
    if lang == "zh":
        return esc(zh)
    return esc(en) if lang == "en" else f"{esc(en)}<br>{esc(zh)}"


def add_readiness(
    m: folium.Map, districts: gpd.GeoDataFrame, readiness: pd.DataFrame, *, lang: Lang
) -> tuple[list[str], folium.GeoJson]:
    """Add the readiness layer (hidden at first); return the states drawn and the layer.

    The states are for the legend; the layer, to show it instead of the gap choropleth
    (:func:`xuewei.maps._controls.one_at_a_time`): both fill the districts.

    ``districts`` are in the drawing datum (EPSG:4326 or GCJ-02); ``readiness`` is
    :attr:`xuewei.planning.readiness.Readiness.summary` (or the ``readiness`` layer of a
    saved ``plan.gpkg``). Districts without a readiness row are not drawn.
    """
    rows = {str(r["district_id"]): r for _, r in readiness.iterrows()}
    shapes = districts[districts["district_id"].astype(str).isin(list(rows))]
    features = []
    states = []
    names = [
        bilingual(n, e, lang)
        for n, e in zip(shapes["name"], column(shapes, "name_en"), strict=True)
    ]
    for district_id, name, geometry in zip(
        shapes["district_id"], names, shapes.geometry, strict=True
    ):
        row = rows[str(district_id)]
        state = _state(row.get("ready"))
        states.append(state)
        # outlines to 5 decimals of a degree (about a metre), as the other area layers
        outline = shapely.set_precision(geometry, 1e-5)
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "colour": READINESS_COLOURS[state],
                    "tip": _tooltip(row, name, lang),
                },
                "geometry": shapely.geometry.mapping(outline),
            }
        )
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=label("layer_readiness", lang),
        show=False,
        style_function=lambda f: {
            "fillColor": f["properties"]["colour"],
            "color": "#333333",
            "weight": 1,
            "fillOpacity": 0.55,
        },
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
    )
    layer.add_to(m)
    return [s for s in READINESS_COLOURS if s in states], layer
