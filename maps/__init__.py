"""Folium meeting maps of a plan (``xuewei.maps``).

:func:`plan_map` draws the place gap per district, the schools coloured by utilisation and
the housing estates for one scenario, year and level; :func:`render_html` renders a map to
a byte-stable HTML page. Maps only draw what they are given: the numbers come from
:mod:`xuewei.planning` and :mod:`xuewei.gis`.
"""

from __future__ import annotations

from xuewei.maps.plan_map import plan_map
from xuewei.maps.render import render_html

__all__ = ["plan_map", "render_html"]
