"""Geography of a plan: reading and validating inputs, CRS, Chinese datums.

``from xuewei import gis`` gives the readers of every input of the data contract
(:mod:`xuewei.gis.io`), the plan's projected CRS (:mod:`xuewei.gis.crs`) and the
GCJ-02/BD-09 conversions (:mod:`xuewei.gis.coords`), distances straight and along roads
(:mod:`xuewei.gis.distance`), catchment assignment and flags
(:mod:`xuewei.gis.catchments`), raster zonal sums and dasymetric allocation
(:mod:`xuewei.gis.raster`) and 2SFCA accessibility (:mod:`xuewei.gis.access`).
"""

from __future__ import annotations

from .access import step_weights, two_step_fca
from .catchments import (
    CATCHMENT_LEVELS,
    SERVING_LEVELS,
    CatchmentResult,
    assign_catchments,
    catchment_levels,
)
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
from .distance import (
    Pairs,
    RoadNetwork,
    build_road_network,
    nearest_within,
    pairs_frame,
    pairs_within,
    point_xy,
)
from .io import (
    PopulationRaster,
    read_candidate_sites,
    read_districts,
    read_estates,
    read_population,
    read_population_raster,
    read_roads,
    read_schools,
    read_table,
)
from .raster import (
    AllocatedRaster,
    allocate_to_cells,
    allocate_to_estates,
    label_raster,
    zonal_sums,
)
from .validate import LEVELS, normalise_level

__all__ = [
    "CATCHMENT_LEVELS",
    "COORDINATE_SYSTEMS",
    "LEVELS",
    "MAP_CRS",
    "SERVING_LEVELS",
    "AllocatedRaster",
    "CatchmentResult",
    "CoordinateSystem",
    "Pairs",
    "PopulationRaster",
    "RoadNetwork",
    "allocate_to_cells",
    "allocate_to_estates",
    "assign_catchments",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "build_road_network",
    "catchment_levels",
    "ensure_crs",
    "gauss_kruger_zone",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "label_raster",
    "nearest_within",
    "normalise_level",
    "out_of_china",
    "pairs_frame",
    "pairs_within",
    "parse_crs",
    "plan_crs",
    "point_xy",
    "read_candidate_sites",
    "read_districts",
    "read_estates",
    "read_population",
    "read_population_raster",
    "read_roads",
    "read_schools",
    "read_table",
    "step_weights",
    "to_wgs84",
    "two_step_fca",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    "zonal_sums",
]
