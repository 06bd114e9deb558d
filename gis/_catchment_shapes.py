"""Catchment polygons for the map: what area each school serves.

``nearest``: the schools' Voronoi cells cut to the reach of the radius; ``polygons``: the
polygons given, for the schools that serve the level; ``capacitated`` (and nearest along
roads): the demand points' Voronoi cells — or the raster's cells — dissolved by the school
taking most of their residents. All are clipped to the districts when given.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from xuewei.vocabulary import SERVING_LEVELS

from ._catchment_inputs import Demand, FloatArray, IntArray, RasterLike

__all__ = [
    "catchment_frame",
    "clip_area",
    "dissolved_catchments",
    "given_catchments",
    "nearest_catchments",
    "voronoi_cells",
]


def voronoi_cells(xy: FloatArray, extent: Any) -> npt.NDArray[Any]:
    """Voronoi cell of every point (duplicates share one cell), bounded by ``extent``."""
    if len(xy) == 0:
        return np.zeros(0, dtype=object)
    uniq, inv = np.unique(xy, axis=0, return_inverse=True)
    inv = inv.ravel()
    if len(uniq) == 1:
        cells = np.array([extent], dtype=object)
    elif cKDTree(uniq).query(uniq, k=2)[0][:, 1].min() < 1e-3:
        # distinct points under a millimetre apart: GEOS may fail or return invalid cells
        return _voronoi_snapped(xy, extent)
    else:
        try:
            regions = shapely.voronoi_polygons(
                shapely.multipoints(uniq), extend_to=extent, ordered=True
            )
            cells = np.asarray(shapely.get_parts(regions), dtype=object)
        except shapely.errors.GEOSException:
            cells = np.zeros(0, dtype=object)
        if len(cells) != len(uniq):
            return _voronoi_snapped(xy, extent)
    return cells[inv]


def _voronoi_snapped(xy: FloatArray, extent: Any) -> npt.NDArray[Any]:
    """:func:`voronoi_cells` where some distinct points nearly coincide.

    GEOS merges such points (or fails on them, also with its ``tolerance``) at ~1e-17 m
    apart: the points are rounded to the millimetre; the cell of a rounded location goes
    to the first point there (the lowest index, as nearest assignment breaks ties) and to
    its exact duplicates; the other points of that location get an empty cell.
    """
    snapped, first, inv = np.unique(np.round(xy, 3), axis=0, return_index=True, return_inverse=True)
    inv = inv.ravel()
    if len(snapped) == 1:
        cells = np.array([extent], dtype=object)
    else:
        regions = shapely.voronoi_polygons(
            shapely.multipoints(snapped), extend_to=extent, ordered=True
        )
        cells = np.asarray(shapely.get_parts(regions), dtype=object)
    owner = np.all(xy == xy[first[inv]], axis=1)
    out: npt.NDArray[Any] = cells[inv]
    out[~owner] = shapely.Polygon()
    return out


def _bounds(xy: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Lower-left and upper-right of ``(n, 2)`` points (n ≥ 1).

    Column by column: ``xy.min(axis=0)`` on a million rows of two columns is ~50× slower.
    """
    x, y = xy[:, 0], xy[:, 1]
    return np.array([x.min(), y.min()]), np.array([x.max(), y.max()])


def clip_area(districts: gpd.GeoDataFrame | None) -> Any:
    """Return the union of the districts (``None`` without districts): the clip area."""
    if districts is None or len(districts) == 0:
        return None
    return shapely.union_all(np.asarray(districts.geometry.array))


def catchment_frame(
    school_ids: npt.NDArray[Any], geoms: npt.NDArray[Any], level: str, crs: Any
) -> gpd.GeoDataFrame:
    """Catchment polygons as a frame ``school_id, level, geometry``, empty ones dropped."""
    frame = gpd.GeoDataFrame(
        {"school_id": pd.array(school_ids, dtype="str"), "level": level},
        geometry=gpd.GeoSeries(geoms, crs=crs),
        crs=crs,
    )
    frame = frame.loc[~frame.geometry.is_empty].reset_index(drop=True)
    return frame


def nearest_catchments(
    sxy: FloatArray,
    school_ids: npt.NDArray[Any],
    *,
    radius_m: float,
    detour_factor: float,
    clip: Any,
    demand_xy: FloatArray,
) -> npt.NDArray[Any]:
    """Each school's Voronoi cell within its reach (the radius ÷ the detour factor)."""
    if len(sxy) == 0:
        return np.zeros(0, dtype=object)
    reach = radius_m / detour_factor
    pts = shapely.points(sxy)
    if clip is not None:
        extent = clip.envelope
    else:
        pad = reach if np.isfinite(reach) else 1000.0
        lo, hi = _bounds(sxy)
        if len(demand_xy):
            dlo, dhi = _bounds(demand_xy)
            lo, hi = np.minimum(lo, dlo), np.maximum(hi, dhi)
        extent = shapely.box(*(lo - pad), *(hi + pad))
    cells = voronoi_cells(sxy, extent)
    # duplicate locations: the first school of each location gets the cell (as in nearest)
    _, first = np.unique(sxy, axis=0, return_index=True)
    owner = np.zeros(len(sxy), dtype=bool)
    owner[first] = True
    cells = cells.copy()
    cells[~owner] = shapely.Polygon()
    if np.isfinite(reach):
        cells = shapely.intersection(cells, shapely.buffer(pts, reach, quad_segs=16))
    if clip is not None:
        cells = shapely.intersection(cells, clip)
    return np.asarray(cells, dtype=object)


def dissolved_catchments(
    d: Demand,
    main: IntArray,
    *,
    radius_m: float,
    detour_factor: float,
    clip: Any,
    raster: RasterLike | None,
) -> tuple[IntArray, npt.NDArray[Any]]:
    """Polygons of the demand each school takes (its main school), dissolved by school."""
    has = main >= 0
    if not has.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    if raster is not None and d.cell is not None:
        import rasterio.features

        shape = np.asarray(raster.values).shape
        lab = np.full(shape[0] * shape[1], -1, dtype=np.int32)
        lab[d.cell[has]] = main[has].astype(np.int32)
        lab2 = lab.reshape(shape)
        schools_: list[int] = []
        polys: list[Any] = []
        for geom, value in rasterio.features.shapes(
            lab2, mask=lab2 >= 0, transform=raster.transform, connectivity=4
        ):
            schools_.append(int(value))
            polys.append(shapely.geometry.shape(geom))
        s = np.asarray(schools_, dtype=np.int64)
        g = np.asarray(polys, dtype=object)
    else:
        xy = d.xy
        reach = radius_m / detour_factor
        pad = reach if np.isfinite(reach) else 1000.0
        lo, hi = _bounds(xy)
        extent = shapely.box(*(lo - pad), *(hi + pad))
        cells = voronoi_cells(xy, extent)
        if np.isfinite(reach):
            cells = shapely.intersection(cells, shapely.buffer(shapely.points(xy), reach))
        s = main[has]
        g = cells[has]
    out_s = np.unique(s)
    out_g = np.array(
        [shapely.union_all(g[s == k]) for k in out_s] if out_s.size <= 2000 else [], dtype=object
    )
    if out_s.size > 2000:  # many schools: one grouped union via geopandas
        frame = gpd.GeoDataFrame({"s": s}, geometry=list(g)).dissolve("s")
        out_s = frame.index.to_numpy(dtype=np.int64)
        out_g = np.asarray(frame.geometry.array, dtype=object)
    if clip is not None:
        out_g = shapely.intersection(out_g, clip)
    return out_s, out_g


def given_catchments(
    polygons: gpd.GeoDataFrame,
    school_ids: npt.NDArray[Any],
    *,
    level: str,
    clip: Any,
    crs: Any,
) -> gpd.GeoDataFrame:
    """Return the given catchment polygons of the schools serving ``level``, clipped."""
    keep = polygons["school_id"].astype(str).isin(set(school_ids)).to_numpy()
    if "level" in polygons.columns:
        # not ``&=``: pandas may hand out a read-only array
        keep = keep & polygons["level"].astype(str).isin(SERVING_LEVELS[level]).to_numpy()
    cp = polygons.loc[keep]
    geoms = np.asarray(cp.geometry.array, dtype=object)
    if clip is not None:
        geoms = shapely.intersection(geoms, clip)
    return catchment_frame(cp["school_id"].astype(str).to_numpy(), geoms, level, crs)
