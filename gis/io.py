"""Readers of a plan's inputs: districts, population, schools, estates, sites, rasters.

The readers live one module per input — :mod:`~xuewei.gis.districts`,
:mod:`~xuewei.gis.population`, :mod:`~xuewei.gis.schools`, :mod:`~xuewei.gis.estates`,
:mod:`~xuewei.gis.sites`, :mod:`~xuewei.gis.roads`, :mod:`~xuewei.gis.population_raster`,
and :mod:`~xuewei.gis.tables` for any table — on shared steps: ``_files`` (paths and
formats), ``tables`` (encodings, rows), ``_vectors`` (layers, CRS), ``_lonlat``
(coordinates), ``_geometry`` (geometry checks) and ``_features`` (the steps in order).
This module names them all in one place and describes what they have in common.

Each reader reads one input of the data contract (DESIGN.md, "Inputs") and returns a new,
validated (Geo)DataFrame: contract columns converted to their types (see
:mod:`xuewei.gis.validate`), optional contract columns added when absent, other columns kept
as read, one output row per input row in input order. All problems of a file are reported
at once in one :class:`~xuewei.errors.InputError`; a missing or unusable CRS raises
:class:`~xuewei.errors.CRSError`.

Formats
    GeoPackage (``.gpkg``), GeoJSON (``.geojson``, ``.json``) and Shapefile (``.shp``) are
    read with pyogrio, GeoParquet (``.parquet``, one layer a file) with pyarrow; CSV
    (``.csv``) and Excel (``.xlsx``) tables carry points as longitude/latitude columns
    (``lon``/``lng``/``longitude``/``经度`` and
    ``lat``/``latitude``/``纬度``, or named with ``lon=``/``lat=``). CSV files may be
    UTF-8, UTF-8 with BOM or GBK/GB18030, as Chinese Excel saves them. Shapefile field
    names are cut to 10 characters, so ``district_i``, ``completion`` and ``max_classe``
    in a ``.shp`` are read as ``district_id``, ``completion_year`` and ``max_classes``.

Rows
    Problems name the *row*: for CSV/XLSX the 1-based data row, i.e. the spreadsheet row
    minus the header (the line below the header is row 1; blank lines count, so the number
    matches what Excel shows minus one); for vector files the 1-based feature number in the
    file's order (the order QGIS's attribute table shows when unsorted). Fully empty table
    rows (as Excel leaves at the end of an export) are skipped, not an error, and counted
    in a warning naming them; a file with no data row (or a layer with no feature) is an
    error.

Coordinates
    ``coords`` declares the datum of the input's longitude/latitude: ``wgs84`` (default),
    ``cgcs2000`` (within centimetres of WGS84, taken as is), ``gcj02`` (Amap, Tencent) or
    ``bd09`` (Baidu). GCJ-02 and BD-09 are converted to WGS84 on read; in vector files this
    needs a geographic CRS. The result is in EPSG:4326 when ``crs`` is ``None``, else
    reprojected to ``crs`` (the plan's projected CRS, see :func:`xuewei.gis.plan_crs`).

Geometry
    Schools are points: a polygon (a school's grounds) is replaced by
    ``representative_point()``, a point guaranteed to lie inside it, computed in the output
    CRS. Estates and candidate sites keep points or polygons as given. Invalid polygons are
    an error unless ``repair=True``, which fixes them with ``shapely.make_valid`` keeping
    the polygonal parts (and logs which features were repaired).
"""

from __future__ import annotations

from .districts import DISTRICT_FIELDS, read_districts
from .estates import ESTATE_FIELDS, read_estates
from .population import POPULATION_FIELDS, read_population
from .population_raster import PopulationRaster, read_population_raster
from .roads import ROAD_FIELDS, read_roads
from .schools import SCHOOL_FIELDS, read_schools
from .sites import CANDIDATE_SITE_FIELDS, read_candidate_sites
from .tables import read_table

__all__ = [
    "CANDIDATE_SITE_FIELDS",
    "DISTRICT_FIELDS",
    "ESTATE_FIELDS",
    "POPULATION_FIELDS",
    "ROAD_FIELDS",
    "SCHOOL_FIELDS",
    "PopulationRaster",
    "read_candidate_sites",
    "read_districts",
    "read_estates",
    "read_population",
    "read_population_raster",
    "read_roads",
    "read_schools",
    "read_table",
]
