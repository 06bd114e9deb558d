"""Attendance zones (学区划片): contiguous, within capacity, feeder-consistent, few pupils moved.

:func:`draw_zones` tiles each district into units (:func:`build_units`: Voronoi cells of
the estates and schools, clipped to the district; neighbours from :func:`unit_adjacency`)
and assigns every unit to one school of each level so that each school's zone is connected
and holds the school, no school takes more pupils than its places × the allowed
utilisation where the district's places allow, and travel (plus pupils moved from today's
zones) is least. Small districts are solved exactly (HiGHS MIP with flow contiguity,
Shirabe 2005), large ones by a heuristic with a lower bound; both report their gap. The
answer is a :class:`ZoneResult` of tables.
"""

from __future__ import annotations

from .draw import ZoneMethod, district_cases, draw_zones
from .result import ZoneResult
from .units import ZONE_LEVELS, Contiguity, build_units, serving_schools, unit_adjacency

__all__ = [
    "ZONE_LEVELS",
    "Contiguity",
    "ZoneMethod",
    "ZoneResult",
    "build_units",
    "district_cases",
    "draw_zones",
    "serving_schools",
    "unit_adjacency",
]
