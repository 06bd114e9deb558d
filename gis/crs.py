"""Coordinate reference systems of a plan.

All geometry work of a plan happens in one projected metric CRS: the CGCS2000 3-degree
Gauss–Krüger zone of the plan's centroid (EPSG:4534, central meridian 75°E, to EPSG:4554,
135°E). Changsha, near 113°E, falls in EPSG:4547 (CM 114°E). Maps are drawn in EPSG:4326.
This module picks that CRS and turns user-supplied CRS values into :class:`pyproj.CRS`,
raising :class:`~xuewei.errors.CRSError` with a fix when that is impossible.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pyproj

from xuewei.errors import CRSError
from xuewei.vocabulary import MAP_EPSG, gauss_kruger_epsg, plan_crs

__all__ = ["MAP_CRS", "ensure_crs", "gauss_kruger_zone", "parse_crs", "plan_crs"]

#: The CRS of map outputs: WGS84 longitude/latitude.
MAP_CRS = pyproj.CRS.from_epsg(MAP_EPSG)


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

    The zone arithmetic is :func:`xuewei.vocabulary.gauss_kruger_epsg`; the plan's CRS
    (the zone of its districts' centroid) is :func:`xuewei.vocabulary.plan_crs`, re-exported
    here as ``xuewei.gis.plan_crs``.

    Raises
    ------
    CRSError
        When the point lies outside China's range of zones (73.5°E–136.5°E, 0–56°N).

    Examples
    --------
    >>> gauss_kruger_zone(112.94).to_epsg()
    4547
    """
    return pyproj.CRS.from_epsg(gauss_kruger_epsg(lon, lat))
