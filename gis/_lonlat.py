"""Coordinates on read: longitude/latitude columns, datum conversion, misplaced points.

This module owns where an input's features lie: finding the longitude and latitude columns
of a table (``lon``/``lng``/``longitude``/``经度`` and ``lat``/``latitude``/``纬度``, or the
names given), parsing their decimal degrees, catching swapped longitude/latitude, values
out of range and — for the Chinese datums, which exist only in China — points outside
China; in vector files the same checks on each feature's centre, stray vertices beyond
±180/±90, and a projected CRS label that puts the features outside China. GCJ-02 and BD-09
coordinates are converted to WGS84 here (:func:`xuewei.gis.coords.to_wgs84`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyproj
import shapely

from xuewei.vocabulary import CoordinateSystem

from .coords import out_of_china, to_wgs84
from .crs import MAP_CRS
from .validate import ProblemLog, cell_text, parse_number

__all__ = [
    "LAT_NAMES",
    "LON_NAMES",
    "check_feature_locations",
    "check_lonlat",
    "check_projected",
    "table_points",
    "to_wgs84_geoms",
]

#: Column names taken for the longitude and the latitude (compared stripped, lower case).
LON_NAMES = ("lon", "lng", "longitude", "经度")
LAT_NAMES = ("lat", "latitude", "纬度")


def table_points(
    raw: pd.DataFrame,
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    *,
    lon: str | None,
    lat: str | None,
    coords: str,
    noun: str,
) -> tuple[pd.DataFrame, npt.NDArray[np.object_]]:
    """Return a table's other columns and the points of its longitude/latitude columns.

    Problems (no or several coordinate columns, missing or non-numeric values, swapped or
    out-of-range coordinates) go to ``log``; a row without a usable location gets ``None``.
    """
    columns = [str(c) for c in raw.columns]
    xcol = _find_coordinate_column(columns, lon, LON_NAMES, "longitude", "lon", log)
    ycol = _find_coordinate_column(columns, lat, LAT_NAMES, "latitude", "lat", log)
    attrs = raw.drop(columns=[c for c in (xcol, ycol) if c is not None])
    x = _coordinate_values(raw, xcol, rows, log, noun) if xcol else np.full(len(raw), np.nan)
    y = _coordinate_values(raw, ycol, rows, log, noun) if ycol else np.full(len(raw), np.nan)
    if xcol and ycol:
        check_lonlat(x, y, rows, log, coords=coords, xcol=xcol, ycol=ycol)
    ok = np.isfinite(x) & np.isfinite(y)
    geoms = np.full(len(raw), None, dtype=object)
    geoms[ok] = shapely.points(x[ok], y[ok])
    return attrs, geoms


def _find_coordinate_column(
    columns: Sequence[str],
    explicit: str | None,
    names: tuple[str, ...],
    what: str,
    keyword: str,
    log: ProblemLog,
) -> str | None:
    found = ", ".join(f"`{c}`" for c in columns)
    if explicit is not None:
        if explicit in columns:
            return explicit
        log.add(
            f"{keyword}={explicit!r} names no column (found: {found}).",
            column=explicit,
            kind="missing column",
        )
        return None
    hits = [c for c in columns if c.strip().lower() in names]
    if len(hits) == 1:
        return hits[0]
    if hits:
        log.add(
            f"several {what} columns ({', '.join(hits)}); pass {keyword}= to choose one.",
            column=hits[0],
            kind="missing column",
        )
    else:
        log.add(
            f"no {what} column: expected one named {', '.join(names)} (found: {found}); "
            f"rename it or pass {keyword}='column name'.",
            column=names[0],
            kind="missing column",
        )
    return None


def _coordinate_values(
    frame: pd.DataFrame, column: str, rows: npt.NDArray[np.int64], log: ProblemLog, noun: str
) -> npt.NDArray[np.float64]:
    out = np.full(len(frame), np.nan)
    for i, (value, row) in enumerate(zip(frame[column].tolist(), rows.tolist(), strict=True)):
        text = cell_text(value)
        if text is None:
            log.add(
                f"coordinate is missing; every {noun} needs a location.",
                row=row,
                column=column,
                kind="missing coordinate",
            )
            continue
        x = parse_number(text)
        if x is None:
            log.add(
                f"got {text!r}; expected decimal degrees such as 112.9388 "
                "(not degrees-minutes-seconds).",
                row=row,
                column=column,
                kind="not a number",
            )
            continue
        out[i] = x
    return out


def check_lonlat(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    *,
    coords: str,
    xcol: str,
    ycol: str,
) -> None:
    """Record swapped, out-of-range and (for Chinese datums) outside-China coordinates."""
    known = np.isfinite(x) & np.isfinite(y)
    swapped = known & (x >= 18) & (x <= 54) & (y >= 73) & (y <= 135)
    out_of_range = known & ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
    outside = np.zeros(len(x), dtype=bool)
    if coords != "wgs84":
        outside = known & ~swapped & ~out_of_range & out_of_china(x, y)
    same = xcol == ycol
    fix = "the x coordinate must be the longitude" if same else f"swap `{xcol}` and `{ycol}`"
    if swapped.sum() > 1 and swapped.sum() == known.sum():  # the columns, not the rows
        k = np.flatnonzero(swapped)[0]
        log.add(
            f"longitude {x[k]:g} and latitude {y[k]:g} look swapped, as in all "
            f"{int(swapped.sum()):,} rows (China lies at longitude 73–135, latitude 18–54); "
            f"{fix}.",
            row=int(rows[k]),
            column=xcol,
            kind="swapped",
        )
        swapped[:] = False
    for i in np.flatnonzero(swapped):
        log.add(
            f"longitude {x[i]:g} and latitude {y[i]:g} look swapped (China lies at longitude "
            f"73–135, latitude 18–54); {fix}.",
            row=int(rows[i]),
            column=xcol,
            kind="swapped",
        )
    for i in np.flatnonzero(out_of_range):
        log.add(
            f"got longitude {x[i]:g}, latitude {y[i]:g}; longitude must lie within −180…180 "
            "and latitude within −90…90. Projected metres? Give decimal degrees, or a "
            "GeoPackage with its CRS.",
            row=int(rows[i]),
            column=xcol,
            kind="out of range",
        )
    for i in np.flatnonzero(outside):
        log.add(
            f"({x[i]:g}, {y[i]:g}) lies outside China, but the coordinates are declared "
            f"{coords}, which exists only in China; check `coords` and the coordinates.",
            row=int(rows[i]),
            column=xcol,
            kind="outside China",
        )


def check_feature_locations(
    geoms: npt.NDArray[np.object_],
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    *,
    src_crs: pyproj.CRS,
    coords: str,
) -> None:
    """Record features of a vector file that lie out of range, swapped or outside China.

    In longitude/latitude each feature's bounding-box centre is checked as a table's point
    is, and its corners for stray vertices; in a projected CRS the centre must land in
    China (a wrong CRS label otherwise goes unnoticed).
    """
    bounds = shapely.bounds(geoms)  # NaN for missing geometries
    cx = (bounds[:, 0] + bounds[:, 2]) / 2
    cy = (bounds[:, 1] + bounds[:, 3]) / 2
    if not src_crs.is_geographic:
        check_projected(cx, cy, rows, log, src_crs)
        return
    check_lonlat(cx, cy, rows, log, coords=coords, xcol="geometry", ycol="geometry")
    # a centre in range can hide a vertex out of range
    corner = (
        np.isfinite(cx)
        & (np.abs(cx) <= 180)
        & (np.abs(cy) <= 90)
        & (
            (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1)
            | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
        )
    )
    for i in np.flatnonzero(corner):
        log.add(
            f"extends to ({bounds[i, 0]:g}, {bounds[i, 1]:g}, {bounds[i, 2]:g}, "
            f"{bounds[i, 3]:g}), beyond longitude −180…180 or latitude −90…90; "
            "fix the stray vertices.",
            row=int(rows[i]),
            column="geometry",
            kind="out of range",
        )


def check_projected(
    cx: npt.NDArray[np.float64],
    cy: npt.NDArray[np.float64],
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    src_crs: pyproj.CRS,
) -> None:
    """Catch a wrong CRS label: projected features that land outside China."""
    known = np.isfinite(cx) & np.isfinite(cy)
    if not known.any():
        return
    transformer = pyproj.Transformer.from_crs(src_crs, MAP_CRS, always_xy=True)
    lon, lat = transformer.transform(cx, cy, errcheck=False)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    bad = known & (~np.isfinite(lon) | ~np.isfinite(lat) | out_of_china(lon, lat))
    for i in np.flatnonzero(bad):
        log.add(
            f"({cx[i]:.1f}, {cy[i]:.1f}) in the file's CRS {src_crs.name} lies at "
            f"({lon[i]:.4f}, {lat[i]:.4f}), outside China; the file's CRS is probably "
            "wrong (e.g. degrees labelled as metres, or a missing zone prefix) — set the "
            "right one in QGIS.",
            row=int(rows[i]),
            column="geometry",
            kind="outside China",
        )


def to_wgs84_geoms(
    geoms: npt.NDArray[np.object_], coords: CoordinateSystem
) -> npt.NDArray[np.object_]:
    """Return geometries in ``coords`` longitude/latitude converted to WGS84."""

    def shift(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], coords)
        return np.column_stack([lon, lat])

    return np.asarray(shapely.transform(geoms, shift), dtype=object)
