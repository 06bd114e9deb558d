"""The catchment layers of the meeting map: one outline layer per level, hidden at first.

Catchments (服务范围: the area each school serves, as assigned; not the attendance zones,
学区, of :mod:`xuewei.planning.zones`) come from :mod:`xuewei.gis`; here each is drawn as a
dashed outline in its level's colour, with the school's name in the tooltip.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
from jinja2 import Template

from xuewei.maps._arcs import SHAPES_SCRIPT, encode_zones
from xuewei.maps._labels import Lang, esc, label
from xuewei.maps._pieces import StoresPieces, script_json
from xuewei.maps._select import in_level_order
from xuewei.maps._style import CATCHMENT_COLOURS, CATCHMENT_OTHER

__all__ = ["CatchmentLayer", "add_catchments"]


class CatchmentLayer(StoresPieces, folium.FeatureGroup):
    """Outlines of one colour with a tooltip each, from two embedded strings.

    The outlines are a topology, as the attendance zones' (:func:`encode_zones`): points
    in whole 10⁻⁵ degrees (about a metre, finer than a pixel at street zoom; points keep
    6 decimals), each edge two neighbouring catchments share written once, as an arc of
    steps, and each ring as the indexes of its arcs, drawn from its own first vertex. The
    Changsha demo's catchments take 0.26 MB where their GeoJSON, to the same 10⁻⁵ degree,
    took 0.67 MB. The tooltips go into the page's table of pieces
    (:mod:`xuewei.maps._pieces`).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup({});
            (function (group) {
                {{ this.table_script }}
                var parts = window.xueweiParts;
                var tips = {{ this.tips_json }};
                var style = {{ this.style_json }};
                // the outlines: each edge two catchments share is stored once, in an arc
                // (xuewei.maps._arcs.encode_zones; SHAPES_SCRIPT reads it)
                {{ this.shapes_script }}
                var shapes = window.xueweiShapes({{ this.arcs_json }});
                {{ this.outlines_json }}.split("|").forEach(function (text, k) {
                    var shape = L.polygon(shapes.polygon(text), style);
                    shape.feature = {type: "Feature", properties: {k: k}};
                    var tip = tips[k];
                    shape.bindTooltip(function () {
                        return tip.map(function (i) { return parts[i]; }).join("");
                    }, {sticky: true});
                    shape.addTo(group);
                });
            })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        geometries: Sequence[Any],
        tips: Sequence[str],
        *,
        style: dict[str, Any],
        name: str,
        show: bool = False,
    ) -> None:
        super().__init__(name=name, show=show)
        self._name = "CatchmentLayer"
        self.piece_texts = list(tips)
        arcs, outlines = encode_zones(list(geometries))
        self.arcs_json, self.outlines_json = script_json(arcs), script_json(outlines)
        self.shapes_script = SHAPES_SCRIPT
        self.style_json = script_json(style)

    @property
    def tips_json(self) -> str:
        """Each outline's tooltip, as the indexes of its pieces in the page's table."""
        return script_json(self.piece_codes())


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
        tips = [
            f'<div class="xuewei-tip"><b>{label("catchment", lang)}</b> · '
            f"{label(school_level, lang)}<br>{names.get(str(school_id), esc(school_id))} "
            f'<span class="xuewei-id">{esc(school_id)}</span></div>'
            for school_id in rows["school_id"]
        ]
        style = {
            "color": colour,
            "weight": 2,
            "dashArray": "6 4",
            "fillColor": colour,
            "fillOpacity": 0.06,
        }
        CatchmentLayer(
            list(rows.geometry),
            tips,
            style=style,
            name=f"{label('layer_catchments', lang)}: {label(school_level, lang)}",
        ).add_to(m)
    return ordered
