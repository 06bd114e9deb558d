"""Synthetic population history: :func:`synth_population_history`.

Owns the annual population and births of a fake city: per-district growth rates ending
exactly at the base-year totals, noisier year-end estimates than census counts, and birth
rates following China's path since 2000, in the tidy form of the shipped
``population.csv``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.data._synth_districts import totals_array
from xuewei.data._synth_sampling import IntArray

__all__ = ["synth_population_history"]


def synth_population_history(
    districts: gpd.GeoDataFrame,
    totals: Mapping[str, int] | pd.Series,
    *,
    seed: int,
    years: Iterable[int] = range(2000, 2025),
    census_years: Iterable[int] = (2000, 2010, 2020),
    parent_id: str | None = None,
    parent_name: str = "合成市",
) -> pd.DataFrame:
    """Make an annual population and births history ending at ``totals`` in the last year.

    Each district grows at its own rate (−1 % to +6 % a year, faster in the first
    districts); year-end estimates carry ±1 % noise, census years ±0.3 %. Birth rates follow
    China's path: ~11 ‰ in 2000, a peak of ~15 ‰ in 2016, ~6 ‰ by 2023. Same tidy form as
    the shipped ``population.csv``.

    Parameters
    ----------
    districts
        Polygons or a table with ``district_id`` and ``name``.
    totals
        Residents per ``district_id`` in the last year (kept exactly).
    seed
        Seed of ``numpy.random.default_rng``.
    years
        Years to cover, ascending.
    census_years
        Years whose rows have ``basis="census"`` (others ``"estimate"``).
    parent_id
        If given, also add city-total rows (the district sums) under this id.
    parent_name
        Name of the city-total rows.

    Returns
    -------
    pandas.DataFrame
        ``district_id, name, year, population, basis, births, source`` (source
        ``"synthetic"``), one row per (district_id, year).

    Examples
    --------
    >>> from xuewei.data import synth_districts
    >>> d = synth_districts(5, n=2, area_km2=30)
    >>> h = synth_population_history(d, {"990101": 1000, "990102": 2000}, seed=5)
    >>> int(h.loc[h.year == 2024, "population"].sum())
    3000
    """
    ids = [str(x) for x in districts["district_id"]]
    names = list(districts["name"])
    tot = totals_array(totals, ids)
    yrs = np.array(sorted(years), dtype=np.int64)
    is_census = np.isin(yrs, list(set(census_years)))
    rng = np.random.default_rng(seed)
    pop, births = _population_and_births(tot, yrs, is_census, rng)
    nd = len(ids)
    basis = np.where(is_census, "census", "estimate")
    df = pd.DataFrame(
        {
            "district_id": np.repeat(ids, yrs.size),
            "name": np.repeat(names, yrs.size),
            "year": np.tile(yrs, nd),
            "population": pop.ravel(),
            "basis": np.tile(basis, nd),
            "births": births.ravel(),
            "source": "synthetic",
        }
    )
    if parent_id is not None:
        city = pd.DataFrame(
            {
                "district_id": parent_id,
                "name": parent_name,
                "year": yrs,
                "population": pop.sum(axis=0),
                "basis": basis,
                "births": births.sum(axis=0),
                "source": "synthetic",
            }
        )
        df = pd.concat([df, city], ignore_index=True)
    df["births"] = df["births"].astype("Int64")
    return df


def _population_and_births(
    tot: IntArray, yrs: IntArray, is_census: np.ndarray, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Return population and births by (district, year); the last year holds ``tot``."""
    nd = tot.size
    rate = rng.uniform(-0.01, 0.06, nd) - np.linspace(0.0, 0.02, nd)
    age = (yrs[-1] - yrs)[None, :]
    base = tot[:, None] * np.exp(-rate[:, None] * age)
    noise = rng.normal(0.0, np.where(is_census, 0.003, 0.01)[None, :], (nd, yrs.size))
    noise[:, -1] = 0.0
    pop = np.rint(base * (1.0 + noise)).astype(np.int64)
    pop[:, -1] = tot
    t = yrs.astype(np.float64)
    birth_rate = np.where(t <= 2016, 11.0 + 4.0 * (t - 2000) / 16.0, 15.0 - 9.0 * (t - 2016) / 7.0)
    birth_rate = np.clip(birth_rate, 5.5, 15.5) / 1000.0
    births = np.rint(pop * birth_rate[None, :] * rng.lognormal(0.0, 0.05, pop.shape))
    return pop, births.astype(np.int64)
