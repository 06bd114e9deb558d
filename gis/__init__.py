"""Geography of a plan: reading and validating inputs, CRS, Chinese datums.

``from xuewei import gis`` gives the readers of every input of the data contract, one
module each (:mod:`~xuewei.gis.districts`, :mod:`~xuewei.gis.population`,
:mod:`~xuewei.gis.schools`, :mod:`~xuewei.gis.estates`, :mod:`~xuewei.gis.sites`,
:mod:`~xuewei.gis.roads`, :mod:`~xuewei.gis.population_raster`, and
:mod:`~xuewei.gis.tables` for any CSV/XLSX; :mod:`xuewei.gis.io` describes what they share),
the column checks they apply (:mod:`xuewei.gis.validate`), the plan's projected CRS
(:mod:`xuewei.gis.crs`) and the GCJ-02/BD-09 conversions (:mod:`xuewei.gis.coords`),
distances straight (:mod:`xuewei.gis.distance`) and along roads
(:mod:`xuewei.gis.network`), catchment assignment (:mod:`xuewei.gis.catchments`) and its
result and flags (:mod:`xuewei.gis.catchment_result`), raster zonal sums and dasymetric
allocation (:mod:`xuewei.gis.raster`) and 2SFCA accessibility (:mod:`xuewei.gis.access`).
Modules whose names start with ``_`` are the parts of these, not API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xuewei._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__)

if TYPE_CHECKING:
    from xuewei.gis.access import step_weights, two_step_fca
    from xuewei.gis.catchment_result import CatchmentResult
    from xuewei.gis.catchments import (
        CATCHMENT_LEVELS,
        SERVING_LEVELS,
        assign_catchments,
        catchment_levels,
    )
    from xuewei.gis.coords import (
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
    from xuewei.gis.crs import MAP_CRS, ensure_crs, gauss_kruger_zone, parse_crs, plan_crs
    from xuewei.gis.distance import Pairs, nearest_within, pairs_frame, pairs_within, point_xy
    from xuewei.gis.districts import read_districts
    from xuewei.gis.estates import read_estates
    from xuewei.gis.names import english_name, with_english_names
    from xuewei.gis.network import RoadNetwork, build_road_network
    from xuewei.gis.population import read_population
    from xuewei.gis.population_raster import PopulationRaster, read_population_raster
    from xuewei.gis.raster import (
        AllocatedRaster,
        allocate_to_cells,
        allocate_to_estates,
        label_raster,
        zonal_sums,
    )
    from xuewei.gis.roads import read_roads
    from xuewei.gis.schools import read_schools
    from xuewei.gis.settlement import parse_settlement, urban_by_density
    from xuewei.gis.sites import read_candidate_sites
    from xuewei.gis.tables import read_table
    from xuewei.gis.validate import normalise_level
