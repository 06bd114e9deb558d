"""Sampling helpers of the synthetic-city generator: grids, weighted points, exact splits.

Shared by every generator in :mod:`xuewei.data.synth`: :func:`largest_remainder` splits an
integer total in proportion to weights (so totals are conserved exactly), :class:`Grid`
labels raster cells with their district, :func:`sample_weighted` and :func:`uniform_in`
draw points inside a district, and :func:`points_frame` turns plan-CRS coordinates into
the EPSG:4326 point tables the generators return. All randomness comes from the
``numpy.random.Generator`` the caller passes in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio.features
import shapely
from affine import Affine
from pyproj import CRS

__all__ = [
    "MARGIN_M",
    "FloatArray",
    "Grid",
    "IntArray",
    "closest_count",
    "inner_polygon",
    "label_grid",
    "largest_remainder",
    "make_grid",
    "points_frame",
    "sample_weighted",
    "to_lonlat",
    "uniform_in",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Points keep this far (metres) inside their district, which survives 6-decimal rounding.
MARGIN_M = 25.0


def largest_remainder(total: int, weights: npt.ArrayLike) -> IntArray:
    """Split the integer ``total`` in proportion to ``weights`` so the parts sum to it.

    Examples
    --------
    >>> largest_remainder(10, [1, 1, 1]).tolist()
    [4, 3, 3]
    """
    w = np.asarray(weights, dtype=np.float64)
    out = np.zeros(w.shape, dtype=np.int64)
    if total <= 0 or w.size == 0:
        return out
    s = w.sum()
    if not s > 0:
        w = np.ones_like(w)
        s = float(w.size)
    quota = total * (w / s)
    out = np.floor(quota).astype(np.int64)
    rest = int(total - out.sum())
    if rest > 0:
        order = np.argsort(-(quota - out), kind="stable")
        out[order[:rest]] += 1
    return out


def closest_count(cumsum: npt.NDArray[Any], target: float) -> int:
    """Return how many leading items bring ``cumsum`` closest to ``target`` (0 allowed).

    Examples
    --------
    >>> closest_count(np.cumsum([5, 5, 5]), 11.0)
    2
    """
    cs = np.concatenate([[0.0], np.asarray(cumsum, dtype=np.float64)])
    return int(np.argmin(np.abs(cs - target)))


def inner_polygon(poly: Any, margin: float) -> Any:
    """Return the polygon shrunk by ``margin`` metres (or the polygon if that empties it)."""
    inner = poly.buffer(-margin)
    if inner.is_empty or inner.area < 0.05 * poly.area:
        inner = poly
    shapely.prepare(inner)
    return inner


def uniform_in(poly: Any, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """Draw ``n`` uniform points inside ``poly`` by vectorised rejection sampling."""
    xs: list[FloatArray] = [np.zeros(0)]
    ys: list[FloatArray] = [np.zeros(0)]
    got = 0
    minx, miny, maxx, maxy = poly.bounds
    fill = max(poly.area / max((maxx - minx) * (maxy - miny), 1e-9), 0.01)
    while got < n:
        k = int((n - got) / fill * 1.2) + 16
        x = rng.uniform(minx, maxx, k)
        y = rng.uniform(miny, maxy, k)
        ok = shapely.contains_xy(poly, x, y)
        xs.append(x[ok])
        ys.append(y[ok])
        got += int(ok.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


@dataclass(frozen=True)
class Grid:
    """A raster grid with the district label (1-based, 0 outside) of every cell."""

    shape: tuple[int, int]
    transform: Affine
    labels: npt.NDArray[np.int32]

    @property
    def cell(self) -> float:
        """Cell size in CRS units (metres)."""
        return float(self.transform.a)

    def centres(self, flat: npt.NDArray[np.intp]) -> tuple[FloatArray, FloatArray]:
        """Return the x, y of the centres of the cells at flat (row-major) indices."""
        rows, cols = np.divmod(flat, self.shape[1])
        x = self.transform.c + (cols + 0.5) * self.transform.a
        y = self.transform.f + (rows + 0.5) * self.transform.e
        return x.astype(np.float64), y.astype(np.float64)


def label_grid(geoms: Sequence[Any], shape: tuple[int, int], transform: Affine) -> Grid:
    """Return the grid with each cell labelled by the (1-based) polygon holding its centre."""
    labels = rasterio.features.rasterize(
        ((g, i + 1) for i, g in enumerate(geoms)),
        out_shape=shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    return Grid(shape, transform, labels)


def make_grid(geoms: Sequence[Any], cell_m: float) -> Grid:
    """Return a labelled grid of ``cell_m`` cells, aligned to multiples of the cell size."""
    bounds = np.array([g.bounds for g in geoms])
    x0 = math.floor(bounds[:, 0].min() / cell_m) * cell_m
    y0 = math.floor(bounds[:, 1].min() / cell_m) * cell_m
    x1 = math.ceil(bounds[:, 2].max() / cell_m) * cell_m
    y1 = math.ceil(bounds[:, 3].max() / cell_m) * cell_m
    shape = (round((y1 - y0) / cell_m), round((x1 - x0) / cell_m))
    return label_grid(geoms, shape, Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1))


def sample_weighted(
    grid: Grid,
    weights: FloatArray,
    district: int,
    poly_inner: Any,
    n: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Draw ``n`` points in district ``district`` (1-based label), cells ∝ ``weights``.

    Returns x, y (plan CRS) and the weight of the cell each point came from. Points are
    jittered uniformly within their cell and kept inside ``poly_inner``.
    """
    flat = np.flatnonzero(grid.labels.ravel() == district)
    w = weights.ravel()[flat].astype(np.float64)
    if flat.size == 0 or not w.sum() > 0:
        x, y = uniform_in(poly_inner, n, rng)
        return x, y, np.zeros(n)
    pick = flat[rng.choice(flat.size, size=n, p=w / w.sum())]
    cx, cy = grid.centres(pick)
    half = grid.cell / 2.0
    x = np.empty(n)
    y = np.empty(n)
    todo = np.arange(n)
    for _ in range(8):
        jx = cx[todo] + rng.uniform(-half, half, todo.size)
        jy = cy[todo] + rng.uniform(-half, half, todo.size)
        ok = shapely.contains_xy(poly_inner, jx, jy)
        x[todo[ok]] = jx[ok]
        y[todo[ok]] = jy[ok]
        todo = todo[~ok]
        if todo.size == 0:
            break
    if todo.size:  # cells cut by the border: fall back to uniform points in the district
        ux, uy = uniform_in(poly_inner, todo.size, rng)
        x[todo] = ux
        y[todo] = uy
    return x, y, weights.ravel()[pick].astype(np.float64)


def to_lonlat(x: FloatArray, y: FloatArray, crs: CRS) -> gpd.GeoSeries:
    """Return the points ``(x, y)`` given in ``crs`` as a GeoSeries in EPSG:4326."""
    return gpd.GeoSeries.from_xy(x, y, crs=crs).to_crs(4326)


def points_frame(frames: list[pd.DataFrame], crs: CRS) -> gpd.GeoDataFrame:
    """Concatenate tables with ``_x``, ``_y`` columns (in ``crs``) into EPSG:4326 points."""
    df = pd.concat(frames, ignore_index=True)
    geom = to_lonlat(df["_x"].to_numpy(np.float64), df["_y"].to_numpy(np.float64), crs)
    return gpd.GeoDataFrame(
        df.drop(columns=["_x", "_y"]), geometry=geom.to_numpy(), crs="EPSG:4326"
    )
