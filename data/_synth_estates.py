"""Synthetic housing estates (小区): :func:`synth_estates`.

Owns the estate model of a fake city: lognormal estate sizes split so that the estates
completed by the base year hold each district's total exactly, a pipeline of bigger future
developments, placement by the population raster (big estates in dense cells, new ones at
the edges of the built-up area), and households and dwellings per estate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.data._synth_districts import district_frame, short_en, totals_array
from xuewei.data._synth_raster import SynthRaster, raster_grid, synth_population_raster
from xuewei.data._synth_sampling import (
    MARGIN_M,
    FloatArray,
    Grid,
    IntArray,
    closest_count,
    inner_polygon,
    largest_remainder,
    points_frame,
    sample_weighted,
)

__all__ = ["estate_sizes", "synth_estates"]


def estate_sizes(
    total: int, rng: np.random.Generator, median: float, sigma: float, lo: int, hi: int
) -> IntArray:
    """Whole-resident estate sizes (lognormal, clipped to ``lo``–``hi``) summing to ``total``."""
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    mean = median * math.exp(sigma**2 / 2)
    draws: list[FloatArray] = []
    acc = 0.0
    while acc < total:
        s = np.clip(rng.lognormal(math.log(median), sigma, int(total / mean * 1.3) + 4), lo, hi)
        draws.append(s)
        acc += float(s.sum())
    s = np.concatenate(draws)
    n = max(closest_count(np.cumsum(s), total), 1)
    return largest_remainder(total, s[:n])


def synth_estates(
    districts: gpd.GeoDataFrame,
    totals: Mapping[str, int] | pd.Series,
    *,
    seed: int,
    base_year: int,
    pipeline_years: Iterable[int] | None = None,
    growth: Mapping[str, float] | None = None,
    raster: SynthRaster | None = None,
    median_residents: float = 600.0,
) -> gpd.GeoDataFrame:
    """Housing estates (小区) holding every resident, plus a pipeline of future completions.

    Estates completed by ``base_year`` hold each district's total **exactly** (sizes drawn
    lognormal, 200–15,000 residents, then split by largest remainder). Pipeline estates
    (completion in ``pipeline_years``) add ``growth[district_id]`` × total residents in
    bigger new developments (800–15,000). Estates sit where the raster's density is, bigger
    ones in denser cells, each at least 25 m inside its district.

    Households are residents ÷ a household size drawn around 2.5 (the 2020 census family
    household size in Changsha's districts was 2.44–2.52); dwellings are households ÷ an
    occupancy of 82–97 %.

    Parameters
    ----------
    districts
        Polygons with ``district_id`` and ``name`` (and optionally ``name_en``).
    totals
        Residents per ``district_id`` in ``base_year``.
    seed
        Seed of ``numpy.random.default_rng``.
    base_year
        Year the totals refer to; existing estates are completed in or before it.
    pipeline_years
        Completion years of the pipeline; default the six years after ``base_year``.
    growth
        Pipeline residents as a fraction of each district's total; default drawn from
        1–8 % per district.
    raster
        Density to place estates by; default a 200 m :func:`synth_population_raster`.
    median_residents
        Median size of an existing estate (the mean is about 1.5 times that).

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326 with ``estate_id, name, name_en, residents, dwellings,
        households, completion_year, district_id, synthetic``.

    Examples
    --------
    >>> from xuewei.data import synth_districts
    >>> d = synth_districts(2, n=2, area_km2=30)
    >>> e = synth_estates(d, {"990101": 20_000, "990102": 5_000}, seed=2, base_year=2024)
    >>> int(e.loc[e.completion_year <= 2024, "residents"].sum())
    25000
    """
    d = district_frame(districts)
    ids = list(d["district_id"])
    tot = totals_array(totals, ids)
    rng = np.random.default_rng(seed)
    if raster is None:
        raster = synth_population_raster(
            d, dict(zip(ids, tot.tolist(), strict=True)), cell_m=200.0, seed=seed
        )
    years = np.array(
        list(pipeline_years) if pipeline_years is not None else range(base_year + 1, base_year + 7),
        dtype=np.int64,
    )
    dp = d.to_crs(raster.crs)
    grid = raster_grid(raster, dp)
    weights = raster.values.astype(np.float64)
    frames = []
    for k, (did, total) in enumerate(zip(ids, tot, strict=True), start=1):
        row = d.iloc[k - 1]
        inner = inner_polygon(dp.geometry.iloc[k - 1], MARGIN_M)
        g = float(growth[did]) if growth is not None else float(rng.uniform(0.01, 0.08))
        residents, x, y, completion = _district_estates(
            int(total), g, grid, weights, k, inner, base_year, years, median_residents, rng
        )
        frames.append(_estate_table(row, did, residents, x, y, completion, rng))
    return points_frame(frames, raster.crs)


def _district_estates(
    total: int,
    growth: float,
    grid: Grid,
    weights: FloatArray,
    k: int,
    inner: Any,
    base_year: int,
    years: IntArray,
    median_residents: float,
    rng: np.random.Generator,
) -> tuple[IntArray, FloatArray, FloatArray, IntArray]:
    """Residents, x, y (plan CRS) and completion year of district ``k``'s estates.

    Existing estates first (holding ``total`` exactly), then the pipeline.
    """
    sizes = estate_sizes(total, rng, median_residents, 0.95, 200, 15_000)
    new = (
        estate_sizes(round(total * growth), rng, 3000.0, 0.6, 800, 15_000)
        if years.size
        else sizes[:0]
    )
    n_old, n_new = sizes.size, new.size
    x, y, w = sample_weighted(grid, weights, k, inner, n_old, rng)
    # Big estates go to dense cells (rank matching with noise).
    order_pts = np.argsort(-(w * rng.lognormal(0.0, 1.0, n_old)), kind="stable")
    order_sz = np.argsort(-sizes, kind="stable")
    xo, yo = np.empty(n_old), np.empty(n_old)
    xo[order_sz], yo[order_sz] = x[order_pts], y[order_pts]
    # New developments go to the edges of the built-up area: a flatter weighting.
    xn, yn, _ = sample_weighted(grid, np.sqrt(weights), k, inner, n_new, rng)
    completion = np.concatenate(
        [
            base_year - np.minimum(rng.geometric(0.05, n_old) - 1, 50),
            rng.choice(years, n_new) if n_new else np.zeros(0, dtype=np.int64),
        ]
    )
    return (
        np.concatenate([sizes, new]),
        np.concatenate([xo, xn]),
        np.concatenate([yo, yn]),
        completion.astype(np.int64),
    )


def _estate_table(
    row: pd.Series,
    did: str,
    residents: IntArray,
    x: FloatArray,
    y: FloatArray,
    completion: IntArray,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One district's estate rows: names, households and dwellings drawn per estate."""
    n = residents.size
    hh_size = np.clip(rng.normal(2.5, 0.12, n), 2.1, 3.0)
    households = np.maximum(np.rint(residents / hh_size), 1).astype(np.int64)
    occupancy = rng.uniform(0.82, 0.97, n)
    dwellings = np.ceil(households / occupancy).astype(np.int64)
    num = np.arange(1, n + 1)
    short = short_en(str(row["name_en"]))
    return pd.DataFrame(
        {
            "estate_id": [f"{did}-E{i:05d}" for i in num],
            "name": [f"{row['name']}第{i:04d}小区（合成）" for i in num],
            "name_en": [f"{short} Estate {i:04d} (synthetic)" for i in num],
            "residents": residents.astype(np.int64),
            "dwellings": dwellings,
            "households": households,
            "completion_year": completion,
            "district_id": did,
            "synthetic": True,
            "_x": x,
            "_y": y,
        }
    )
