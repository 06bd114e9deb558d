"""Folium meeting maps and static maps of a plan (``xuewei.maps``).

:func:`plan_map` draws the place gap per district, the schools coloured by utilisation, the
housing estates and — when given — catchments, unserved estates, proposals and mergers for
every year and scenario of a plan (chosen in the page) and one level, on the base map of
choice (:data:`BASEMAPS`: OpenStreetMap, Amap in GCJ-02, Tianditu, or none);
:func:`zones_map` draws the attendance zones of :mod:`xuewei.planning.zones` (the plan's
map takes them as a layer too); :func:`render_html` renders a map to a byte-stable HTML
page, self-contained with ``offline=True``; :func:`static_map` draws the same layers as a
PNG for documents. Maps only draw what they are given: the numbers come from
:mod:`xuewei.planning` and :mod:`xuewei.gis`, and no standard is read here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xuewei._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__)

if TYPE_CHECKING:
    from xuewei.maps.plan_map import plan_map
    from xuewei.maps.render import render_html
    from xuewei.maps.static import cjk_font, static_map
    from xuewei.maps.tiles import BASEMAPS, basemap_datum
    from xuewei.maps.zones_map import zones_map
