"""The districts layer of the meeting map: the choropleth of the place gap.

One GeoJSON layer per scenario drawn, each district filled by its gap class
(:func:`xuewei.maps._style.gap_colour`) and with a tooltip table of the places required,
offered and the gap for primary, junior and compulsory — and, when a cohort table is
given, the cohort-based demand beside it (:mod:`xuewei.maps._cohort`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import folium
import geopandas as gpd
import shapely
from shapely.geometry import mapping

from xuewei.maps._cohort import cohort_tip
from xuewei.maps._labels import Lang, esc, int_text, label, signed_text
from xuewei.maps._popups import bilingual
from xuewei.maps._select import column
from xuewei.maps._style import gap_colour, round_coordinates
from xuewei.vocabulary import COMPULSORY, COMPULSORY_LEVELS

__all__ = ["add_districts"]

# Levels of the district tooltip table.
_TOOLTIP_LEVELS = (*COMPULSORY_LEVELS, COMPULSORY)


def add_districts(
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
    """Add one gap choropleth (classes ``step`` places wide) and return it.

    ``selected`` and ``cohort`` are the gap and cohort rows of the scenario and year
    drawn, keyed by ``(district_id, level)``; ``districts`` are in the drawing datum.
    """
    features = []
    for i, (district_id, name, name_en, geometry) in enumerate(
        zip(
            districts["district_id"],
            districts["name"],
            column(districts, "name_en"),
            districts.geometry,
            strict=True,
        )
    ):
        row = selected.get((str(district_id), level))
        fill = gap_colour(None if row is None else row["gap"], step)
        tip = _district_tooltip(str(district_id), name, name_en, selected, year, level, lang)
        tip += cohort_tip(str(district_id), cohort, lang)
        features.append(
            {
                "type": "Feature",
                "id": f"d{i}",
                "geometry": mapping(shapely.transform(geometry, round_coordinates)),
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
        f"<b>{bilingual(name, name_en, lang)}</b> "
        f'<span class="xuewei-id">{esc(district_id)}</span><br>'
        f"{label('residents', lang)} {int(year)}: {int_text(residents)}"
        f"<table>{head}{body}</table></div>"
    )
