"""The ``nearest`` rule: every demand point to its nearest open school within the radius.

Straight-line (times the detour factor) or along the road network; raster cells are
settled block by block on their grid (:func:`xuewei.gis._grid.nearest_on_grid`), with the
same result as point by point.
"""

from __future__ import annotations

import numpy as np

from ._catchment_inputs import Demand, FloatArray, Flow
from ._grid import nearest_on_grid
from .distance import nearest_within
from .network import RoadNetwork

__all__ = ["assign_nearest"]


def assign_nearest(
    d: Demand,
    sxy: FloatArray,
    *,
    radius_m: float,
    detour_factor: float,
    network: RoadNetwork | None,
) -> Flow:
    """One flow per demand point: its nearest school, or unserved (school -1)."""
    if network is None and d.grid is not None and d.cell is not None:
        # raster cells: whole blocks of cells settled at once (same result, ~3× faster)
        transform, shape = d.grid
        rows, cols = np.divmod(d.cell, shape[1])
        idx, dist = nearest_on_grid(
            d.xy, rows, cols, transform, shape, sxy, radius_m=radius_m, detour_factor=detour_factor
        )
    else:
        idx, dist = nearest_within(
            d.xy, sxy, radius_m=radius_m, detour_factor=detour_factor, network=network
        )
    if d.radius is not None:  # urban and rural radii: the nearest school, if in its own
        idx = np.where(dist <= d.radius, idx, -1)
    return Flow(
        np.arange(len(d.residents), dtype=np.int64),
        idx,
        d.residents,
        np.where(idx >= 0, dist, np.nan),
        single=True,
    )
