"""The ``polygons`` rule: existing catchment polygons (学区) decide who goes where.

A demand point inside the polygon of a school goes to that school — the nearest one where
polygons overlap, then the lower index; a point inside no polygon is unserved. Polygons of
schools that do not serve the level, or are closed in the year, are left out.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import shapely

from xuewei.errors import InputError, Problem
from xuewei.vocabulary import SERVING_LEVELS

from ._catchment_inputs import Demand, FloatArray, Flow

__all__ = ["assign_polygons"]


def assign_polygons(
    d: Demand,
    sxy: FloatArray,
    school_ids: npt.NDArray[Any],
    polygons: gpd.GeoDataFrame,
    *,
    level: str,
    detour_factor: float,
) -> Flow:
    """One flow per demand point: the school whose polygon holds it, or unserved."""
    if "school_id" not in polygons.columns:
        raise InputError(
            [Problem("catchment_polygons", "missing column `school_id`; one polygon per school.")]
        )
    poly = polygons
    if "level" in poly.columns:
        plv = poly["level"].astype(str).to_numpy()
        poly = poly.loc[np.isin(plv, SERVING_LEVELS[level])]
    pos = {s: i for i, s in enumerate(school_ids)}
    pid = poly["school_id"].astype(str).to_numpy()
    school_of = np.array([pos.get(s, -1) for s in pid], dtype=np.int64)
    # polygons of schools that do not serve this level (or are closed) are left out
    geoms = np.asarray(poly.geometry.array)[school_of >= 0]
    school_of = school_of[school_of >= 0]
    n = len(d.residents)
    best = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    if geoms.size and n:
        tree = shapely.STRtree(geoms)
        pts = shapely.points(d.xy)
        pi, gi = tree.query(pts, predicate="intersects")
        sj = school_of[gi]
        dd = np.hypot(d.xy[pi, 0] - sxy[sj, 0], d.xy[pi, 1] - sxy[sj, 1]) * detour_factor
        order = np.lexsort((sj, dd, pi))  # per point: nearest school first, then lower index
        pi, sj, dd = pi[order], sj[order], dd[order]
        first = np.ones(pi.size, dtype=bool)
        first[1:] = pi[1:] != pi[:-1]
        best[pi[first]] = sj[first]
        dist[pi[first]] = dd[first]
    return Flow(np.arange(n, dtype=np.int64), best, d.residents, dist, single=True)
