"""The plan map's layers that fill areas besides the gap choropleth, shown one at a time.

The readiness layer fills the districts as the gaps do, and the attendance zones fill the
schools' zones: on top of each other their colours mix into none's legend, so switching
one on switches the others off (:func:`xuewei.maps._controls.one_at_a_time`).
"""

from __future__ import annotations

from typing import Any

import folium
import geopandas as gpd
from branca.element import MacroElement

from xuewei.maps._controls import one_at_a_time
from xuewei.maps._labels import Lang
from xuewei.maps._readiness import add_readiness
from xuewei.maps._zones import add_zones

__all__ = ["add_fills"]


def add_fills(
    m: folium.Map,
    gap_layer: MacroElement,
    districts_ll: gpd.GeoDataFrame,
    readiness: Any,
    zones_ll: gpd.GeoDataFrame | None,
    lang: Lang,
) -> tuple[list[str], list[str]]:
    """Add the layers that fill areas besides the gaps: readiness, zones; one at a time.

    Returns the readiness states drawn and the levels of the zones drawn (for the legend).
    """
    ready_states: list[str] = []
    fills = [gap_layer]
    if readiness is not None:
        ready_states, ready_layer = add_readiness(m, districts_ll, readiness, lang=lang)
        fills.append(ready_layer)
    zone_layers = {} if zones_ll is None else add_zones(m, zones_ll, lang=lang)
    if len(fills) + len(zone_layers) > 1:
        one_at_a_time(*fills, *zone_layers.values()).add_to(m)
    return ready_states, list(zone_layers)
