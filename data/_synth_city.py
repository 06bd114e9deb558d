"""A whole synthetic city: :class:`SynthCity` and :func:`synth_city`.

Owns how one seed becomes every input layer of a fake city of any size: districts,
the split of the population between them, and the raster, estates, schools, candidate
sites and population history, each drawn from its own seed derived from the city's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from xuewei.data._synth_districts import synth_districts
from xuewei.data._synth_estates import synth_estates
from xuewei.data._synth_history import synth_population_history
from xuewei.data._synth_raster import SynthRaster, synth_population_raster
from xuewei.data._synth_sampling import largest_remainder
from xuewei.data._synth_schools import synth_schools
from xuewei.data._synth_sites import synth_candidate_sites
from xuewei.vocabulary import plan_crs

__all__ = ["SynthCity", "synth_city"]

#: District id of the city-total rows of a synthetic city's population history.
CITY_ID = "990100"


@dataclass(frozen=True)
class SynthCity:
    """Every input layer of a fake city (see :func:`synth_city`).

    Attributes
    ----------
    districts
        Polygons, EPSG:4326: ``district_id, name, name_en, parent_id``.
    population
        Tidy history ``district_id, name, year, population, basis, births, source``,
        districts plus the city-total rows (``district_id == "990100"``).
    schools, estates, candidate_sites
        Points, EPSG:4326 (see :func:`synth_schools`, :func:`synth_estates`,
        :func:`synth_candidate_sites`).
    raster
        Residents per cell in the base year.
    totals
        Residents per district in the base year.
    base_year
        Last year of the history.
    crs
        The plan CRS (Gauss–Krüger zone).
    """

    districts: gpd.GeoDataFrame
    population: pd.DataFrame
    schools: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame
    raster: SynthRaster
    candidate_sites: gpd.GeoDataFrame
    totals: pd.Series
    base_year: int
    crs: CRS


def synth_city(
    seed: int,
    *,
    n_districts: int = 9,
    population: int = 1_000_000,
    area_km2: float | None = None,
    n_estates: int | None = None,
    n_sites: int = 500,
    cell_m: float = 100.0,
    years: Iterable[int] = range(2000, 2025),
    centre: tuple[float, float] = (113.0, 28.0),
    kindergartens: bool = False,
) -> SynthCity:
    """Make a whole fake city — not Changsha — for tests and benchmarks, at any size.

    Districts are a Voronoi partition of a rectangle (:func:`synth_districts`); the
    population is split unevenly between them (the central district densest). The number
    of schools follows from the population (≈ 140 per million residents, calibrated to
    Changsha, see :func:`synth_schools`), e.g. ~1,400 for 10 million.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng`` (each layer derives its own seed from it).
    n_districts
        Number of districts.
    population
        Residents in the base year (the last of ``years``).
    area_km2
        City area; default 1,180 km² per million residents (Changsha's density).
    n_estates
        Approximate number of existing estates; default ~1 per 1,000 residents.
    n_sites
        Number of candidate sites.
    cell_m
        Raster cell size in metres (Changsha-size at 100 m: ~1.2 million cells inside).
    years
        Years of the population history; the last is the base year.
    centre
        ``(lon, lat)`` of the city centre.
    kindergartens
        Also generate kindergartens.

    Returns
    -------
    SynthCity

    Examples
    --------
    >>> c = synth_city(0, n_districts=3, population=30_000, area_km2=40, n_sites=5)
    >>> int(c.raster.values.sum(dtype="float64")), int(c.totals.sum())
    (30000, 30000)
    """
    yrs = sorted(years)
    base_year = int(yrs[-1])
    if area_km2 is None:
        area_km2 = 1180.0 * population / 1e6
    ss = [int(s) for s in np.random.SeedSequence(seed).generate_state(6)]
    rng = np.random.default_rng(ss[0])
    districts = synth_districts(ss[1], n=n_districts, area_km2=area_km2, centre=centre)
    share = rng.lognormal(0.0, 0.35, n_districts) * np.linspace(1.6, 0.8, n_districts)
    totals = pd.Series(
        largest_remainder(population, share),
        index=pd.Index(districts["district_id"]),
        name="population",
    )
    crs = plan_crs(districts)
    raster = synth_population_raster(districts, totals, cell_m=cell_m, seed=ss[2], crs=crs)
    median = 600.0 if n_estates is None else population / max(n_estates, 1) / 1.57
    return SynthCity(
        districts=districts,
        population=synth_population_history(
            districts, totals, seed=ss[0] + 1, years=yrs, parent_id=CITY_ID
        ),
        schools=synth_schools(
            districts,
            totals,
            seed=ss[4],
            base_year=base_year,
            raster=raster,
            kindergartens=kindergartens,
        ),
        estates=synth_estates(
            districts,
            totals,
            seed=ss[3],
            base_year=base_year,
            raster=raster,
            median_residents=max(median, 200.0),
        ),
        raster=raster,
        candidate_sites=synth_candidate_sites(districts, seed=ss[5], n=n_sites, raster=raster),
        totals=totals,
        base_year=base_year,
        crs=crs,
    )
