"""xuewei (学位): school-place demand forecasting and school site planning.

Population forecasts feed a per-thousand-residents school-place model; catchment analysis
flags over-capacity schools and unserved housing estates; Folium maps present the proposals.

Users write ``from xuewei import forecast, planning, gis, maps``.
"""

from __future__ import annotations

from xuewei import data, errors, forecast, gis, maps, planning

__version__ = "0.1.0"

__all__ = ["__version__", "data", "errors", "forecast", "gis", "maps", "planning"]
