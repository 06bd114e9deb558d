"""Synthetic candidate school sites (教育用地): :func:`synth_candidate_sites`.

Owns where the plots a new school could be built on are drawn (half by the population
raster, half uniformly over the districts) and their land area and class limit.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from xuewei.data._synth_districts import district_frame
from xuewei.data._synth_raster import SynthRaster, raster_grid
from xuewei.data._synth_sampling import (
    MARGIN_M,
    FloatArray,
    inner_polygon,
    largest_remainder,
    points_frame,
    sample_weighted,
    uniform_in,
)
from xuewei.vocabulary import plan_crs

__all__ = ["synth_candidate_sites"]


def synth_candidate_sites(
    districts: gpd.GeoDataFrame,
    *,
    seed: int,
    n: int,
    raster: SynthRaster | None = None,
    crs: CRS | str | int | None = None,
) -> gpd.GeoDataFrame:
    """Candidate school sites (教育用地): plots where a new school could be built.

    Half of the sites are drawn where residents are (cells ∝ ``raster``, when given), the
    rest uniformly over the districts. Plot areas are lognormal (median 25,000 m²,
    8,000–80,000 m²); ``max_classes`` allows about 1,000 m² of land per class, in steps of
    6 classes, 6–48.

    Parameters
    ----------
    districts
        Polygons with ``district_id`` and ``name``.
    seed
        Seed of ``numpy.random.default_rng``.
    n
        Number of sites.
    raster
        Density to place half of the sites by; default all sites uniform.
    crs
        Projected CRS for sampling when no raster is given; default
        :func:`xuewei.vocabulary.plan_crs`.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326 with ``site_id, area_m2, max_classes, district_id, synthetic``.

    Examples
    --------
    >>> from xuewei.data import synth_districts
    >>> s = synth_candidate_sites(synth_districts(4, n=3, area_km2=30), seed=4, n=20)
    >>> len(s), bool(s.synthetic.all())
    (20, True)
    """
    d = district_frame(districts)
    rng = np.random.default_rng(seed)
    pcrs = (
        raster.crs
        if raster is not None
        else (CRS.from_user_input(crs) if crs is not None else plan_crs(d))
    )
    dp = d.to_crs(pcrs)
    x, y, dids = _site_points(d, dp, n, raster, rng)
    area_m2 = (
        np.rint(np.clip(rng.lognormal(math.log(25_000.0), 0.5, n), 8_000, 80_000) / 100) * 100
    ).astype(np.int64)
    max_classes = np.clip((area_m2 // 1000 // 6) * 6, 6, 48).astype(np.int64)
    df = pd.DataFrame(
        {
            "site_id": [f"S{i:05d}" for i in range(1, n + 1)],
            "area_m2": area_m2,
            "max_classes": max_classes,
            "district_id": dids,
            "synthetic": True,
            "_x": x,
            "_y": y,
        }
    )
    return points_frame([df], pcrs)


def _site_points(
    d: gpd.GeoDataFrame,
    dp: gpd.GeoDataFrame,
    n: int,
    raster: SynthRaster | None,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray, list[str]]:
    """Draw the ``n`` sites' x, y (plan CRS) and district, district by district."""
    inners = [inner_polygon(g, MARGIN_M) for g in dp.geometry]
    area = dp.geometry.area.to_numpy()
    n_dens = n // 2 if raster is not None else 0
    # Uniform part: sites per district ∝ area (largest remainder), then density part ∝ residents.
    counts = largest_remainder(n - n_dens, area)
    if raster is not None:
        grid = raster_grid(raster, dp)
        sums = np.array(
            [raster.values[grid.labels == k].sum(dtype=np.float64) for k in range(1, len(dp) + 1)]
        )
        dens_counts = largest_remainder(n_dens, sums)
        weights = raster.values.astype(np.float64)
    xs, ys, dids = [], [], []
    for k, did in enumerate(d["district_id"], start=1):
        x, y = uniform_in(inners[k - 1], int(counts[k - 1]), rng)
        if raster is not None and dens_counts[k - 1] > 0:
            x2, y2, _ = sample_weighted(
                grid, weights, k, inners[k - 1], int(dens_counts[k - 1]), rng
            )
            x, y = np.concatenate([x, x2]), np.concatenate([y, y2])
        xs.append(x)
        ys.append(y)
        dids.extend([did] * x.size)
    return (
        np.concatenate(xs) if xs else np.zeros(0),
        np.concatenate(ys) if ys else np.zeros(0),
        dids,
    )
