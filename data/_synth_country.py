"""A whole synthetic country of counties: :class:`SynthCountry` and :func:`synth_country`.

Owns how one seed becomes the national layers of a fake country for batch runs: a table of
counties of varied size laid edge to edge on a grid (so that catchments cross county
borders, as real ones do), and for each county a small synthetic city
(:func:`~xuewei.data.synth_city`) with ids of its own. County ids are six digits starting
``99`` (``"990001"`` …, not a real administrative code), district ids nine (the county's
id and three digits, like township codes); every name says it is synthetic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from xuewei.data._synth_city import CITY_ID, SynthCity, synth_city
from xuewei.errors import ConfigError
from xuewei.vocabulary import gauss_kruger_epsg

__all__ = ["SynthCountry", "synth_country"]

#: The most counties a synthetic country holds (ids ``990001`` … ``999999``).
MAX_COUNTIES = 9999
#: Widest east–west extent of the grid, so that every county lies in one Gauss–Krüger zone.
_MAX_WIDTH_M = 260_000.0


@dataclass(frozen=True)
class SynthCountry:
    """The national layers of a fake country (see :func:`synth_country`).

    Attributes
    ----------
    counties
        One row per county: ``county_id``, ``name``, ``name_en``, ``population`` (base
        year), ``n_districts``, ``area_km2``, ``seed``, ``synthetic``; county outlines,
        EPSG:4326.
    districts
        Polygons, EPSG:4326: ``district_id, name, name_en, parent_id, county_id``.
    population
        Tidy history of every district and county total (``district_id`` = the county's
        id), with ``county_id``.
    schools, estates
        Points, EPSG:4326, each with ``county_id`` (see :func:`~xuewei.data.synth_schools`,
        :func:`~xuewei.data.synth_estates`).
    crs
        The one projected CRS of the grid (a Gauss–Krüger zone).
    base_year
        The last year of the history.
    """

    counties: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    population: pd.DataFrame
    schools: gpd.GeoDataFrame
    estates: gpd.GeoDataFrame
    crs: CRS
    base_year: int


def synth_country(
    seed: int,
    *,
    n_counties: int = 2800,
    median_population: int = 15_000,
    area_km2: float = 60.0,
    centre: tuple[float, float] = (112.5, 28.0),
    years: range = range(2012, 2025),
) -> SynthCountry:
    """Make a fake country of ``n_counties`` small counties, for batch runs and benchmarks.

    County populations are lognormal around ``median_population`` (σ = 0.6, clipped to
    ¼–8× the median: about 30× from the smallest to the largest, as between China's
    counties, but scaled down about 1:20 so that each county plans in seconds); a county
    has one district per 10,000 residents (1–6). Counties are squares-ish (4 : 3) of
    ``area_km2`` laid edge to edge on a grid at most 260 km wide, all in one Gauss–Krüger
    zone, so neighbouring counties share borders exactly.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``; each county derives its own.
    n_counties
        Number of counties, 1–9,999.
    median_population
        Median residents of a county in the base year.
    area_km2
        Area of every county.
    centre
        ``(lon, lat)`` of the grid's north-west corner region (its first county).
    years
        Years of the population history; the last is the base year.

    Returns
    -------
    SynthCountry

    Examples
    --------
    >>> c = synth_country(0, n_counties=2, median_population=4_000, area_km2=20)
    >>> c.counties["county_id"].tolist(), sorted(c.districts["county_id"].unique())
    (['990001', '990002'], ['990001', '990002'])
    >>> int(c.population.query("district_id == '990001'")["population"].iloc[-1]) == int(
    ...     c.counties["population"].iloc[0])
    True
    """
    if not 1 <= n_counties <= MAX_COUNTIES:
        raise ConfigError(f"n_counties: got {n_counties}; expected 1–{MAX_COUNTIES:,}")
    rng = np.random.default_rng(seed)
    pops = np.clip(
        np.round(median_population * rng.lognormal(0.0, 0.6, n_counties)),
        median_population / 4,
        median_population * 8,
    ).astype(np.int64)
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(n_counties)]
    zone = CRS.from_epsg(gauss_kruger_epsg(*centre))
    centres, boxes = _grid(n_counties, area_km2, centre, zone)
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in ("d", "p", "s", "e")}
    rows = []
    for i in range(n_counties):
        cid = f"99{i + 1:04d}"
        n_d = int(min(6, max(1, round(pops[i] / 10_000))))
        city = synth_city(
            seeds[i],
            n_districts=n_d,
            population=int(pops[i]),
            area_km2=area_km2,
            n_sites=1,
            cell_m=250.0,
            years=years,
            centre=centres[i],
        )
        _county_layers(city, cid, parts)
        rows.append(
            {
                "county_id": cid,
                "name": f"合成县{i + 1:04d}（合成）",
                "name_en": f"Synthetic County {i + 1:04d} (synthetic)",
                "population": int(pops[i]),
                "n_districts": n_d,
                "area_km2": float(area_km2),
                "seed": seeds[i],
                "synthetic": True,
            }
        )
    counties = gpd.GeoDataFrame(rows, geometry=boxes, crs=zone).to_crs(4326)
    return SynthCountry(
        counties=counties,
        districts=_concat(parts["d"]),
        population=pd.concat(parts["p"], ignore_index=True),
        schools=_concat(parts["s"]),
        estates=_concat(parts["e"]),
        crs=zone,
        base_year=int(max(years)),
    )


def _grid(
    n: int, area_km2: float, corner: tuple[float, float], zone: CRS
) -> tuple[list[tuple[float, float]], list[shapely.Polygon]]:
    """Centres (lon, lat) and outlines (zone metres) of ``n`` counties edge to edge."""
    w = math.sqrt(area_km2 * 1e6 * 4 / 3)  # the rectangle synth_districts draws
    h = w * 3 / 4
    cols = max(1, min(math.ceil(math.sqrt(n)), int(_MAX_WIDTH_M // w)))
    to_zone = Transformer.from_crs(4326, zone, always_xy=True)
    to_lonlat = Transformer.from_crs(zone, 4326, always_xy=True)
    x0, y0 = to_zone.transform(*corner)
    row, col = np.divmod(np.arange(n), cols)
    xs = x0 + col * w
    ys = y0 - row * h
    lon, lat = to_lonlat.transform(xs, ys)
    centres = [(float(a), float(b)) for a, b in zip(lon, lat, strict=True)]
    boxes = [
        shapely.box(x - w / 2, y - h / 2, x + w / 2, y + h / 2) for x, y in zip(xs, ys, strict=True)
    ]
    return centres, boxes


def _county_layers(city: SynthCity, cid: str, parts: dict[str, list[pd.DataFrame]]) -> None:
    """Give a synthetic city's layers the county's ids and append them to ``parts``."""
    districts = city.districts
    ids = {d: f"{cid}{int(d[-2:]):03d}" for d in districts["district_id"]}
    ids[CITY_ID] = cid
    d = districts.copy()
    d["district_id"] = d["district_id"].map(ids)
    d["parent_id"] = cid
    d["county_id"] = cid
    parts["d"].append(d)
    p = city.population.copy()
    p.loc[p["district_id"] == CITY_ID, "name"] = f"合成县{cid[2:]}（合成）"
    p["district_id"] = p["district_id"].map(ids)
    p["county_id"] = cid
    parts["p"].append(p)
    for key, frame, col in (
        ("s", city.schools, "school_id"),
        ("e", city.estates, "estate_id"),
    ):
        f = frame.copy()
        old = f["district_id"].astype(str)
        f[col] = [ids[o] + str(v)[len(o) :] for o, v in zip(old, f[col], strict=True)]
        f["district_id"] = old.map(ids)
        f["county_id"] = cid
        parts[key].append(f)


def _concat(frames: list[pd.DataFrame]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=4326)
