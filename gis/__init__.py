"""Geography of a plan: reading and validating inputs, CRS, Chinese datums.

``from xuewei import gis`` gives the readers of every input of the data contract
(:mod:`xuewei.gis.io`), the plan's projected CRS (:mod:`xuewei.gis.crs`) and the
GCJ-02/BD-09 conversions (:mod:`xuewei.gis.coords`).
"""

from __future__ import annotations

from .coords import (
    COORDINATE_SYSTEMS,
    CoordinateSystem,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from .crs import MAP_CRS, ensure_crs, gauss_kruger_zone, parse_crs, plan_crs
from .io import (
    PopulationRaster,
    read_candidate_sites,
    read_districts,
    read_estates,
    read_population,
    read_population_raster,
    read_schools,
    read_table,
)
from .validate import LEVELS, normalise_level

__all__ = [
    "COORDINATE_SYSTEMS",
    "LEVELS",
    "MAP_CRS",
    "CoordinateSystem",
    "PopulationRaster",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "ensure_crs",
    "gauss_kruger_zone",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "normalise_level",
    "out_of_china",
    "parse_crs",
    "plan_crs",
    "read_candidate_sites",
    "read_districts",
    "read_estates",
    "read_population",
    "read_population_raster",
    "read_schools",
    "read_table",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]
