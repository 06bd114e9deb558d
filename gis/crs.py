"""Coordinate reference systems of a plan.

All geometry work of a plan happens in one projected metric CRS: the CGCS2000 3-degree
Gauss–Krüger zone of the plan's centroid (EPSG:4534, central meridian 75°E, to EPSG:4554,
135°E). Changsha, near 113°E, falls in EPSG:4547 (CM 114°E). Maps are drawn in EPSG:4326.
This module picks that CRS and turns user-supplied CRS values into :class:`pyproj.CRS`,
raising :class:`~xuewei.errors.CRSError` with a fix when that is impossible.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from xuewei.errors import CRSError

__all__ = ["MAP_CRS", "ensure_crs", "gauss_kruger_zone", "parse_crs", "plan_crs"]

#: The CRS of map outputs: WGS84 longitude/latitude.
MAP_CRS = pyproj.CRS.from_epsg(4326)

_FIRST_EPSG = 4534  # CGCS2000 / 3-degree Gauss-Kruger CM 75E
_FIRST_CM = 75.0
_ZONES = 21  # CM 75E … 135E


def parse_crs(crs: Any, *, what: str = "crs") -> pyproj.CRS:
    """Return ``crs`` (EPSG code, ``"EPSG:4547"``, WKT, PROJ string or CRS) as a CRS.

    Raises
    ------
    CRSError
        When pyproj cannot understand the value.

    Examples
    --------
    >>> parse_crs(4547).name
    'CGCS2000 / 3-degree Gauss-Kruger CM 114E'
    """
    if isinstance(crs, pyproj.CRS):
        return crs
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise CRSError(
            f"{what}: cannot understand {crs!r} as a coordinate reference system ({exc}); "
            "give an EPSG code such as 4547 or 'EPSG:4547'."
        ) from exc


def ensure_crs(frame: gpd.GeoDataFrame | gpd.GeoSeries, *, source: str = "input") -> pyproj.CRS:
    """Return the CRS of ``frame``, raising :class:`~xuewei.errors.CRSError` when it has none.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> ensure_crs(gpd.GeoSeries([shapely.Point(113, 28)], crs=4326)).to_epsg()
    4326
    """
    if frame.crs is None:
        raise CRSError(
            f"{source} has no coordinate reference system; set it with "
            "`.set_crs(...)` (e.g. `.set_crs(4326)` for longitude/latitude) before using it."
        )
    return pyproj.CRS.from_user_input(frame.crs)


def gauss_kruger_zone(lon: float, lat: float = 30.0) -> pyproj.CRS:
    """Return the CGCS2000 3-degree Gauss–Krüger CRS whose zone contains ``lon``.

    Raises
    ------
    CRSError
        When the point lies outside China's range of zones (73.5°E–136.5°E, 0–56°N).

    Examples
    --------
    >>> gauss_kruger_zone(112.94).to_epsg()
    4547
    """
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise CRSError(f"cannot pick a Gauss–Krüger zone for ({lon}, {lat}).")
    zone = math.floor((lon - _FIRST_CM) / 3.0 + 0.5)
    if not (0 <= zone < _ZONES) or not (0.0 <= lat <= 56.0):
        raise CRSError(
            f"({lon:.4f}, {lat:.4f}) lies outside China: the CGCS2000 3-degree Gauss–Krüger "
            "zones (EPSG:4534–4554) cover 73.5°E–136.5°E. Check that the coordinates are "
            "longitude/latitude in China, or set the plan's `crs` explicitly."
        )
    return pyproj.CRS.from_epsg(_FIRST_EPSG + zone)


def plan_crs(districts: gpd.GeoDataFrame | gpd.GeoSeries) -> pyproj.CRS:
    """Return the projected CRS of a plan: the Gauss–Krüger zone of the districts' centroid.

    The centroid is the area-weighted mean of the district centroids in longitude/latitude,
    which is ample precision to pick a 3-degree zone.

    Parameters
    ----------
    districts
        The plan's district polygons, in any CRS.

    Returns
    -------
    pyproj.CRS
        EPSG:4534 + round((lon − 75) / 3), e.g. EPSG:4547 (CM 114°E) for Changsha.

    Raises
    ------
    CRSError
        When the districts have no CRS, no geometry, or lie outside China.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> d = gpd.GeoSeries([shapely.box(112.8, 28.0, 113.1, 28.4)], crs=4326)
    >>> plan_crs(d).to_epsg()
    4547
    """
    ensure_crs(districts, source="districts")
    geoms = districts.geometry if isinstance(districts, gpd.GeoDataFrame) else districts
    arr = np.asarray(geoms.to_crs(MAP_CRS).array, dtype=object)
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if len(arr) == 0:
        raise CRSError("districts have no geometry, so no plan CRS can be chosen.")
    centres = shapely.centroid(arr)
    weights = shapely.area(arr)
    if not np.isfinite(weights).all() or weights.sum() <= 0:
        weights = np.ones(len(arr))
    lon = float(np.average(shapely.get_x(centres), weights=weights))
    lat = float(np.average(shapely.get_y(centres), weights=weights))
    return gauss_kruger_zone(lon, lat)
