"""Geometry checks on read: presence, type and validity of each feature.

This module owns what a reader accepts as the shape of a feature — schools points (or
polygons, replaced later by a point inside), districts polygons, estates and sites either,
roads lines — and invalid polygons: an error naming GEOS's reason, or with ``repair=True``
the polygonal part of ``shapely.make_valid`` (logged, row by row).
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import shapely

from .validate import ProblemLog

__all__ = ["GeometryKind", "check_geometry"]

# the readers' logger, named as before the readers were split into modules
logger = logging.getLogger("xuewei.gis.io")

#: The shape an input's features must have.
GeometryKind = Literal["point", "polygon", "point_or_polygon", "line"]

_TYPE_NAMES = {
    0: "point",
    1: "line",
    2: "line (ring)",
    3: "polygon",
    4: "multipoint",
    5: "multiline",
    6: "multipolygon",
    7: "geometry collection",
}
_ALLOWED: dict[GeometryKind, tuple[tuple[int, ...], str]] = {
    "point": ((0, 3, 6), "a point (or a polygon, replaced by a point inside it)"),
    "polygon": ((3, 6), "a polygon or multipolygon"),
    "point_or_polygon": ((0, 3, 6), "a point or a polygon"),
    "line": ((1, 2, 5), "a line or multiline"),
}


def _polygonal_part(geom: Any) -> Any:
    """Return the polygonal part of ``shapely.make_valid(geom)``, or None if it has none."""
    fixed = shapely.make_valid(geom)
    if shapely.get_type_id(fixed) in (3, 6):
        return fixed
    parts = [g for g in shapely.get_parts(fixed) if shapely.get_type_id(g) in (3, 6)]
    if not parts:
        return None
    return shapely.union_all(parts)


def check_geometry(
    geoms: npt.NDArray[np.object_],
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    *,
    kind: GeometryKind,
    repair: bool,
    noun: str,
    source: str,
) -> npt.NDArray[np.object_]:
    """Check presence, type and validity; return geometries (repaired when asked)."""
    geoms = geoms.copy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(missing):
        log.add(
            f"geometry is missing; every {noun} needs a location.",
            row=int(rows[i]),
            column="geometry",
            kind="missing geometry",
        )
    types = shapely.get_type_id(geoms)
    one_point = (types == 4) & (shapely.get_num_geometries(geoms) == 1)
    if one_point.any():
        geoms[one_point] = shapely.get_geometry(geoms[one_point], 0)
        types[one_point] = 0
    allowed, expected = _ALLOWED[kind]
    wrong = ~missing & ~np.isin(types, allowed)
    for i in np.flatnonzero(wrong):
        log.add(
            f"got a {_TYPE_NAMES.get(int(types[i]), 'geometry')}; expected {expected} for "
            f"each {noun}.",
            row=int(rows[i]),
            column="geometry",
            kind="geometry type",
        )
    polygonal = ~missing & np.isin(types, (3, 6))
    invalid = polygonal & ~shapely.is_valid(geoms)
    repaired = []
    for i in np.flatnonzero(invalid):
        if repair:
            fixed = _polygonal_part(geoms[i])
            if fixed is not None:
                geoms[i] = fixed
                repaired.append(int(rows[i]))
                continue
        reason = shapely.is_valid_reason(geoms[i])
        fix = (
            "make_valid left no polygon; redraw it"
            if repair
            else "fix it in QGIS (Vector ▸ Geometry Tools ▸ Fix Geometries) or pass "
            "repair=True to fix it with shapely.make_valid"
        )
        log.add(
            f"invalid geometry ({reason}); {fix}.",
            row=int(rows[i]),
            column="geometry",
            kind="invalid geometry",
        )
    if repaired:
        logger.warning(
            "%s: repaired %d invalid geometries with shapely.make_valid (rows %s)",
            source,
            len(repaired),
            ", ".join(map(str, repaired[:20])) + (" …" if len(repaired) > 20 else ""),
        )
    return geoms
