"""The catchment layers of the meeting map: one outline layer per level, hidden at first.

Catchments (学区) come from :mod:`xuewei.gis`; here each is drawn as a dashed outline in
its level's colour, with the school's name in the tooltip.
"""

from __future__ import annotations

from collections.abc import Mapping

import folium
import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import mapping

from xuewei.maps._labels import Lang, esc, label
from xuewei.maps._select import in_level_order
from xuewei.maps._style import CATCHMENT_COLOURS, CATCHMENT_OTHER, round_coordinates

__all__ = ["add_catchments"]


def add_catchments(
    m: folium.Map, catchments: gpd.GeoDataFrame, names: Mapping[str, str], *, lang: Lang
) -> list[str]:
    """Add one outline layer per level; return the levels drawn.

    ``catchments`` are those of the year drawn, in the drawing datum; ``names`` are the
    display names of schools and proposals by id.
    """
    ordered = in_level_order(catchments["level"])
    for school_level in ordered:
        rows = catchments[np.asarray(catchments["level"].astype(str) == school_level)]
        colour = CATCHMENT_COLOURS.get(school_level, CATCHMENT_OTHER)
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
                    "geometry": mapping(shapely.transform(geometry, round_coordinates)),
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
