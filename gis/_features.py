"""The shared reader of the inputs that are features: districts, schools, estates, sites, roads.

This module owns the steps every feature reader takes, in order: check the path and the
declared datum, read the attributes and geometries (a table's longitude/latitude columns or
a vector layer), convert the contract columns (:func:`xuewei.gis.validate.convert_fields`)
and run the input's own checks, check geometries and locations, raise every problem at
once, then convert GCJ-02/BD-09 to WGS84, reproject to the output CRS and number the rows
0…n−1. The public readers (:mod:`xuewei.gis.schools` and its siblings) only name their
contract, geometry kind and checks.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj

from xuewei.errors import CRSError, InputError, Problem
from xuewei.vocabulary import COORDINATE_SYSTEMS, CoordinateSystem

from ._files import TABLE_FORMATS, VECTOR_FORMATS, PathLike, check_path
from ._geometry import GeometryKind, check_geometry
from ._lonlat import check_feature_locations, table_points, to_wgs84_geoms
from ._vectors import read_vector, untruncate, vector_crs
from .crs import MAP_CRS, parse_crs
from .names import with_english_names
from .tables import table_with_rows
from .validate import Field, ProblemLog, convert_fields, no_rows_message

__all__ = ["Check", "read_features"]

#: An input's own checks: ``check(raw attributes, converted table, rows, log)``.
Check = Callable[[pd.DataFrame, pd.DataFrame, npt.NDArray[np.int64], ProblemLog], None]


def read_features(
    path: PathLike,
    *,
    fields: tuple[Field, ...],
    geometry: GeometryKind,
    noun: str,
    layer: str | int | None,
    sheet: str | int | None,
    coords: CoordinateSystem,
    crs: Any,
    lon: str | None,
    lat: str | None,
    repair: bool,
    encoding: str | None,
    check: Check | None = None,
) -> gpd.GeoDataFrame:
    """Read, check and place the features of one input (see the module documentation)."""
    tables = geometry not in ("polygon", "line")  # lon/lat columns only make points
    formats = {**VECTOR_FORMATS, **(TABLE_FORMATS if tables else {})}
    p = check_path(path, formats, what=f"{noun} data")
    source = p.name
    if coords not in COORDINATE_SYSTEMS:
        raise InputError(
            [
                Problem(
                    source,
                    f"coords={coords!r} is not a coordinate system; use one of "
                    f"{', '.join(COORDINATE_SYSTEMS)}.",
                )
            ]
        )
    out_crs = MAP_CRS if crs is None else parse_crs(crs, what=f"{source}: crs")
    log = ProblemLog(source)
    vector = p.suffix.lower() in VECTOR_FORMATS
    if vector:
        attrs, geoms, rows, src_crs = _vector_features(p, layer, encoding, coords, fields)
    else:
        raw, rows = table_with_rows(p, sheet)
        attrs, geoms = table_points(raw, rows, log, lon=lon, lat=lat, coords=coords, noun=noun)
        src_crs = MAP_CRS

    if len(rows) == 0:
        log.add(no_rows_message(noun, vector=vector), kind="no rows")
    table = convert_fields(attrs, fields, rows, log, noun=noun)
    if check is not None:
        check(attrs, table, rows, log)
    if vector:
        geoms = check_geometry(
            geoms, rows, log, kind=geometry, repair=repair, noun=noun, source=source
        )
        check_feature_locations(geoms, rows, log, src_crs=src_crs, coords=coords)
    log.raise_if_any()

    if coords in ("gcj02", "bd09"):
        geoms = to_wgs84_geoms(geoms, coords)
        src_crs = MAP_CRS
    result = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, index=table.index), crs=src_crs)
    if not src_crs.equals(out_crs):
        result = result.to_crs(out_crs)
    if geometry == "point":
        result = result.set_geometry(result.geometry.representative_point())
    result.index = pd.RangeIndex(len(result))
    if any(f.name == "name_en" for f in fields):  # every place gets an English name
        result = gpd.GeoDataFrame(with_english_names(result), crs=result.crs)
    return result


def _vector_features(
    p: Path,
    layer: str | int | None,
    encoding: str | None,
    coords: CoordinateSystem,
    fields: tuple[Field, ...],
) -> tuple[pd.DataFrame, npt.NDArray[np.object_], npt.NDArray[np.int64], pyproj.CRS]:
    """Attributes, geometries, feature numbers and CRS of a vector file's layer."""
    frame = read_vector(p, layer, encoding)
    src_crs = vector_crs(frame, p)
    if coords in ("gcj02", "bd09") and not src_crs.is_geographic:
        raise CRSError(
            f"{p.name} is in a projected CRS ({src_crs.name}) but its coordinates are "
            f"declared {coords}; GCJ-02/BD-09 are longitude/latitude, so give the file in "
            "longitude/latitude (EPSG:4326) or declare coords='wgs84'/'cgcs2000'."
        )
    rows = np.arange(1, len(frame) + 1, dtype=np.int64)
    attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    if p.suffix.lower() == ".shp":
        attrs = untruncate(attrs, fields)
    geoms = np.asarray(frame.geometry.array, dtype=object)
    return attrs, geoms, rows, src_crs
