"""Synthetic population rasters: :class:`SynthRaster` and :func:`synth_population_raster`.

Owns the density model of a fake city (a rural floor plus exponential cores around
density centres, with lognormal texture), the whole-resident split of each district's
total over its cells, and writing a raster as a byte-reproducible GeoTIFF. The other
generators place estates, schools and sites by this density (:func:`raster_grid`).
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio
from affine import Affine
from pyproj import CRS

from xuewei.data._synth_districts import district_frame, totals_array
from xuewei.data._synth_sampling import Grid, label_grid, largest_remainder, make_grid, to_lonlat
from xuewei.vocabulary import plan_crs

__all__ = ["Centre", "SynthRaster", "raster_grid", "synth_population_raster"]

#: A density centre: ``(lon, lat, weight, scale_m)`` in WGS84 degrees; density adds
#: ``weight * exp(-distance / scale_m)``.
Centre = tuple[float, float, float, float]

_RURAL_BACKGROUND = 0.004  # density floor relative to a centre of weight 1


@dataclass(frozen=True)
class SynthRaster:
    """A population raster: residents per cell.

    Attributes
    ----------
    values
        2-D ``float32`` array (rows, cols) of residents per cell. Synthetic rasters hold whole
        residents (integers are exact in float32 up to 16.7 million), so per-district sums
        taken in float64 equal the totals exactly. Cells outside every district are 0.
    transform
        Affine transform from (col, row) to the CRS; north-up, square cells.
    crs
        The projected CRS of the grid (metres).
    """

    values: npt.NDArray[np.float32]
    transform: Affine
    crs: CRS

    @property
    def cell_m(self) -> float:
        """Cell size in metres."""
        return float(self.transform.a)

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write a deflate-compressed, tiled GeoTIFF atomically (temp file + ``os.replace``).

        Parameters
        ----------
        path
            Destination ``.tif``; overwritten if it exists.

        Returns
        -------
        pathlib.Path
            The path written. Same raster → byte-identical file.
        """
        dest = Path(path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=".tif", dir=dest.parent)
        os.close(fd)
        rows, cols = self.values.shape
        try:
            with rasterio.open(
                tmp,
                "w",
                driver="GTiff",
                width=cols,
                height=rows,
                count=1,
                dtype="float32",
                crs=rasterio.crs.CRS.from_wkt(self.crs.to_wkt()),
                transform=self.transform,
                compress="deflate",
                predictor=3,
                zlevel=9,
                tiled=True,
                blockxsize=256,
                blockysize=256,
            ) as dst:
                dst.write(self.values.astype(np.float32, copy=False), 1)
                dst.update_tags(units="residents per cell", synthetic="true")
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return dest


def raster_grid(raster: SynthRaster, districts_p: gpd.GeoDataFrame) -> Grid:
    """Return the grid of ``raster`` labelled by ``districts_p`` (in the raster's CRS)."""
    return label_grid(list(districts_p.geometry), raster.values.shape, raster.transform)


def _default_centres(districts_p: gpd.GeoDataFrame, crs: CRS) -> list[Centre]:
    """One town centre per district plus a main centre at the city's centroid."""
    union = districts_p.geometry.union_all()
    pts = [union.centroid, *districts_p.geometry.representative_point()]
    w = [1.0] + [0.35] * len(districts_p)
    scale = [math.sqrt(union.area) / 12.0] + [
        max(math.sqrt(a) / 10.0, 300.0) for a in districts_p.geometry.area
    ]
    ll = to_lonlat(
        np.array([p.x for p in pts], dtype=np.float64),
        np.array([p.y for p in pts], dtype=np.float64),
        crs,
    )
    return [(float(p.x), float(p.y), wk, sk) for p, wk, sk in zip(ll, w, scale, strict=True)]


def _density(
    grid: Grid, crs: CRS, centres: Sequence[Centre], rng: np.random.Generator
) -> npt.NDArray[np.float64]:
    """Relative density on every labelled cell (0 elsewhere): centres + noisy background."""
    flat = np.flatnonzero(grid.labels.ravel() > 0)
    x, y = grid.centres(flat)
    c = np.array(centres, dtype=np.float64).reshape(-1, 4)
    cp = gpd.GeoSeries.from_xy(c[:, 0], c[:, 1], crs=4326).to_crs(crs)
    dens = np.full(flat.size, _RURAL_BACKGROUND)
    for (px, py), (_, _, wk, sk) in zip(zip(cp.x, cp.y, strict=True), c, strict=True):
        dens += wk * np.exp(-np.hypot(x - px, y - py) / sk)
    # Smooth-ish texture: a coarse (~2 km) field times per-cell noise, both lognormal.
    rows, cols = np.divmod(flat, grid.shape[1])
    block = max(round(2000.0 / grid.cell), 1)
    nbr, nbc = grid.shape[0] // block + 1, grid.shape[1] // block + 1
    coarse = rng.lognormal(0.0, 0.6, size=(nbr, nbc))
    fine = rng.lognormal(0.0, 0.35, size=flat.size)
    dens *= coarse[rows // block, cols // block] * fine
    out = np.zeros(grid.shape[0] * grid.shape[1])
    out[flat] = dens
    return out.reshape(grid.shape)


def synth_population_raster(
    districts: gpd.GeoDataFrame,
    totals: Mapping[str, int] | pd.Series,
    *,
    cell_m: float = 100.0,
    seed: int,
    crs: CRS | str | int | None = None,
    centres: Sequence[Centre] | None = None,
) -> SynthRaster:
    """Spread each district's residents over a grid: dense cores, a sparse rural background.

    Density is a rural floor plus ``weight * exp(-d / scale_m)`` around each centre, times
    lognormal noise at ~2 km and at cell scale. Within each district the total is then
    split into whole residents by largest remainder, so every district's cells sum to its
    total **exactly** (sum the float32 values in float64). A cell belongs to the district
    containing its centre; cells outside every district are 0.

    Parameters
    ----------
    districts
        Polygons with ``district_id`` and ``name`` (any CRS).
    totals
        Residents per ``district_id`` (a mapping or a Series indexed by ``district_id``).
    cell_m
        Cell size in metres.
    seed
        Seed of ``numpy.random.default_rng``.
    crs
        Projected CRS of the grid; default :func:`xuewei.vocabulary.plan_crs` of the districts.
    centres
        ``(lon, lat, weight, scale_m)`` density centres in WGS84; default one main centre at
        the city's centroid and one town centre per district.

    Returns
    -------
    SynthRaster

    Examples
    --------
    >>> from xuewei.data import synth_districts
    >>> d = synth_districts(1, n=3, area_km2=40)
    >>> r = synth_population_raster(d, dict.fromkeys(d.district_id, 10_000), cell_m=200, seed=1)
    >>> int(r.values.sum(dtype="float64"))
    30000
    """
    d = district_frame(districts)
    pcrs = CRS.from_user_input(crs) if crs is not None else plan_crs(d)
    dp = d.to_crs(pcrs)
    tot = totals_array(totals, list(d["district_id"]))
    rng = np.random.default_rng(seed)
    grid = make_grid(list(dp.geometry), cell_m)
    dens = _density(grid, pcrs, centres if centres is not None else _default_centres(dp, pcrs), rng)
    values = np.zeros(grid.shape[0] * grid.shape[1], dtype=np.float32)
    lab = grid.labels.ravel()
    for k, total in enumerate(tot, start=1):
        flat = np.flatnonzero(lab == k)
        if flat.size == 0:
            if total == 0:
                continue
            # A district smaller than a cell: give it the cell under its representative point.
            p = dp.geometry.iloc[k - 1].representative_point()
            col, row = ~grid.transform * (p.x, p.y)
            values[int(row) * grid.shape[1] + int(col)] += total
            continue
        values[flat] += largest_remainder(int(total), dens.ravel()[flat]).astype(np.float32)
    return SynthRaster(values.reshape(grid.shape), grid.transform, pcrs)
