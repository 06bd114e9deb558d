"""The districts layer of the meeting map: the choropleth of the place gap.

One GeoJSON layer for every year and scenario the page carries (:mod:`xuewei.maps._view`):
the districts' outlines once, and per view each district's gap class
(:func:`xuewei.maps._style.gap_colour`) and tooltip — a table of the places required,
offered and the gap for primary, junior and compulsory, and, when a cohort table is
given, the cohort-based demand beside it (:mod:`xuewei.maps._cohort`). Choosing another
year or scenario re-colours the districts from these lists; nothing is computed in the
page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import shapely
from jinja2 import Template
from shapely.geometry import mapping

from xuewei.maps._cohort import cohort_tip
from xuewei.maps._labels import Lang, esc, int_text, label, signed_text
from xuewei.maps._pieces import StoresPieces, script_json
from xuewei.maps._popups import bilingual
from xuewei.maps._select import column
from xuewei.maps._style import (
    GAP_BALANCED,
    GAP_NO_DATA,
    GAP_SHORTAGE,
    GAP_SURPLUS,
    gap_colour,
    round_coordinates,
)
from xuewei.vocabulary import COMPULSORY, COMPULSORY_LEVELS

__all__ = ["GapLayer", "add_districts"]

# Levels of the district tooltip table.
_TOOLTIP_LEVELS = (*COMPULSORY_LEVELS, COMPULSORY)
# The fills a district can have, by index: no data, balanced, shortages, surpluses.
_PALETTE = (GAP_NO_DATA, GAP_BALANCED, *GAP_SHORTAGE, *GAP_SURPLUS)


class GapLayer(StoresPieces, folium.FeatureGroup):
    """The gap choropleth: the outlines once, each view's fills and tooltips as lists.

    Parameters
    ----------
    features
        GeoJSON features of the districts, each with ``properties.k`` its position.
    fills
        Per view, per district: the index of its fill in the palette.
    tips, popups
        Per view, per district: its tooltip and its popup (escaped HTML; the popup with
        the chart of :mod:`xuewei.maps._district_chart`).
    initial
        The view shown when the page opens.
    name
        The layer's name in the layer control (escaped HTML).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup({});
            (function (group) {
                var palette = {{ this.palette_json }};
                var fills = {{ this.fills_json }};
                {{ this.table_script }}
                var parts = window.xueweiParts;
                var tips = {{ this.tips_json }};
                var popups = {{ this.popups_json }};
                var view = {{ this.initial }};
                // popups open below the title box, no taller than the screen under it
                // (xuewei.maps._controls: xueweiPopupRoom)
                var room = window.xueweiRoom = window.xueweiRoom ||
                    (window.xueweiPopupRoom ? window.xueweiPopupRoom() : {pad: [20, 140]});
                var pad = room.pad;
                function style(feature) {
                    return {fillColor: palette[fills[view][feature.properties.k]],
                            fillOpacity: 0.6, color: "#555555", weight: 1};
                }
                var layer = L.geoJSON({{ this.geojson_json }}, {
                    style: style,
                    onEachFeature: function (feature, shape) {
                        var k = feature.properties.k;
                        shape.bindTooltip(function () {
                            return tips[view][k].map(function (i) { return parts[i]; }).join("");
                        }, {sticky: true});
                        shape.bindPopup(function () {
                            return popups[view][k].map(function (i) { return parts[i]; })
                                .join("");
                        }, {maxWidth: 320, maxHeight: room.height,
                            autoPanPaddingTopLeft: pad});
                        shape.on("mouseover", function () {
                            shape.setStyle({weight: 3, color: "#222222", fillOpacity: 0.75});
                        });
                        shape.on("mouseout", function () { layer.resetStyle(shape); });
                    }
                }).addTo(group);
                document.addEventListener("xuewei:view", function (event) {
                    view = event.detail.index;
                    layer.setStyle(style);
                    layer.eachLayer(function (shape) {  // an open popup follows the view
                        if (shape.isPopupOpen()) { shape.getPopup().update(); }
                    });
                });
            })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        features: Sequence[dict[str, Any]],
        *,
        fills: Sequence[Sequence[int]],
        tips: Sequence[Sequence[str]],
        popups: Sequence[Sequence[str]],
        initial: int,
        name: str,
    ) -> None:
        super().__init__(name=name, show=True)
        self._name = "GapLayer"
        # the tooltips go into the page's table of pieces: one list per view
        self.piece_texts = [t for view in tips for t in view] + [p for v in popups for p in v]
        self._per_view = len(features)
        self._views = len(tips)
        self.fills_json = script_json([list(view) for view in fills])
        self.palette_json = script_json(list(_PALETTE))
        self.geojson_json = script_json({"type": "FeatureCollection", "features": list(features)})
        self.initial = int(initial)

    @property
    def tips_json(self) -> str:
        """Per view, per district: the indexes of its tooltip's pieces in the page's table."""
        codes = self.piece_codes()
        n = self._per_view
        return script_json([codes[i * n : (i + 1) * n] for i in range(self._views)])

    @property
    def popups_json(self) -> str:
        """Per view, per district: the indexes of its popup's pieces in the page's table."""
        codes = self.piece_codes()[self._per_view * self._views :]
        n = self._per_view
        return script_json([codes[i * n : (i + 1) * n] for i in range(self._views)])


def add_districts(
    m: folium.Map,
    districts: gpd.GeoDataFrame,
    views: Sequence[tuple[int, Mapping[tuple[str, str], dict], Mapping[tuple[str, str], dict]]],
    *,
    popups: Sequence[Sequence[str]],
    step: int,
    initial: int,
    layer_name: str,
    level: str,
    lang: Lang,
) -> GapLayer:
    """Add the gap choropleth (classes ``step`` places wide) and return it.

    ``views`` holds, per view carried, its year and the gap and cohort rows of its
    scenario and year, keyed by ``(district_id, level)``, and ``popups`` per view each
    district's popup; ``districts`` are in the drawing datum.
    """
    ids = [str(v) for v in districts["district_id"]]
    features = [
        {
            "type": "Feature",
            "properties": {"k": k},
            "geometry": mapping(shapely.transform(geometry, round_coordinates)),
        }
        for k, geometry in enumerate(districts.geometry)
    ]
    fills, tips = [], []
    for year, selected, cohort in views:
        fills.append(
            [
                _PALETTE.index(
                    gap_colour(
                        None if (row := selected.get((d, level))) is None else row["gap"], step
                    )
                )
                for d in ids
            ]
        )
        tips.append(
            [
                _district_tooltip(d, name, name_en, selected, year, level, lang)
                + cohort_tip(d, cohort, lang)
                for d, name, name_en in zip(
                    ids, districts["name"], column(districts, "name_en"), strict=True
                )
            ]
        )
    layer = GapLayer(
        features, fills=fills, tips=tips, popups=popups, initial=initial, name=layer_name
    )
    layer.add_to(m)
    return layer


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
