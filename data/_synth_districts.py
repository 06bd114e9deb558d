"""Districts of a synthetic city, and the checks on the districts and totals a generator takes.

:func:`synth_districts` makes the polygons of a fake city (a Voronoi partition of a
rectangle). :func:`district_frame` and :func:`totals_array` check and normalise the
``districts`` and ``totals`` arguments every other generator in :mod:`xuewei.data.synth`
takes, raising :class:`~xuewei.errors.ConfigError` (or :class:`~xuewei.errors.CRSError`)
with the argument, the value found and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from xuewei.data._synth_sampling import IntArray
from xuewei.errors import ConfigError, CRSError
from xuewei.vocabulary import gauss_kruger_epsg

__all__ = ["MAX_DISTRICTS", "district_frame", "short_en", "synth_districts", "totals_array"]

#: Highest number of districts :func:`synth_districts` makes (ids are ``9901NN``).
MAX_DISTRICTS = 99


def district_frame(districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of ``districts`` with string ids and a ``name_en`` column.

    Raises
    ------
    ConfigError
        When ``district_id`` or ``name`` is missing.
    CRSError
        When the districts have no CRS.
    """
    missing = {"district_id", "name"} - set(districts.columns)
    if missing:
        raise ConfigError(
            f"districts: missing column(s) {sorted(missing)} (columns found: "
            f"{[str(c) for c in districts.columns]}); expected `district_id` and `name`."
        )
    if districts.crs is None:
        raise CRSError("districts: no CRS; set one (e.g. EPSG:4326) before synthesising.")
    out = districts.reset_index(drop=True).copy()
    out["district_id"] = out["district_id"].astype(str)
    if "name_en" not in out.columns:
        out["name_en"] = out["district_id"]
    return out


def totals_array(totals: Mapping[str, int] | pd.Series, ids: Sequence[str]) -> IntArray:
    """Return the residents of each district in ``ids`` (in that order) as integers.

    Raises
    ------
    ConfigError
        When a district has no total, or a total is negative.
    """
    t = {str(k): v for k, v in dict(totals).items()}
    missing = [d for d in ids if d not in t]
    if missing:
        raise ConfigError(
            f"totals: no value for district(s) {missing}; expected residents for every "
            "`district_id` of the districts."
        )
    arr = np.array([int(t[d]) for d in ids], dtype=np.int64)
    if (arr < 0).any():
        bad = {d: int(v) for d, v in zip(ids, arr, strict=True) if v < 0}
        raise ConfigError(f"totals: got {bad}; residents must be >= 0.")
    return arr


def short_en(name_en: str) -> str:
    """Return an English district name without its "District"/"County"/"City" suffix.

    Examples
    --------
    >>> short_en("Changsha County")
    'Changsha'
    """
    for suffix in (" District", " County", " City"):
        if name_en.endswith(suffix):
            return name_en[: -len(suffix)]
    return name_en


def synth_districts(
    seed: int,
    *,
    n: int = 9,
    area_km2: float = 1180.0,
    centre: tuple[float, float] = (113.0, 28.0),
) -> gpd.GeoDataFrame:
    """District polygons of a fake city: a Voronoi partition of a rectangle.

    The rectangle (aspect 4 : 3, ``area_km2``) is centred on ``centre`` (WGS84) in its
    Gauss–Krüger zone; seeds are jittered grid points, so districts have similar sizes.

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``.
    n
        Number of districts, 1–99.
    area_km2
        Area of the city.
    centre
        ``(lon, lat)`` of the city's centre, in China.

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons in EPSG:4326 with ``district_id`` (``"990101"``, …), ``name``,
        ``name_en``, ``parent_id`` (``"990100"``).

    Raises
    ------
    ConfigError
        When ``n`` is not in 1–99.
    CRSError
        When ``centre`` lies outside China's Gauss–Krüger zones.

    Examples
    --------
    >>> d = synth_districts(0, n=4, area_km2=100)
    >>> list(d.district_id)
    ['990101', '990102', '990103', '990104']
    """
    if n < 1 or n > MAX_DISTRICTS:
        raise ConfigError(f"n: got {n}; expected 1–{MAX_DISTRICTS} districts in a synthetic city.")
    rng = np.random.default_rng(seed)
    lon, lat = centre
    zone = CRS.from_epsg(gauss_kruger_epsg(lon, lat))
    c = gpd.GeoSeries.from_xy([lon], [lat], crs=4326).to_crs(zone).iloc[0]
    w = math.sqrt(area_km2 * 1e6 * 4 / 3)
    h = w * 3 / 4
    rect = shapely.box(c.x - w / 2, c.y - h / 2, c.x + w / 2, c.y + h / 2)
    cols = math.ceil(math.sqrt(n * 4 / 3))
    rows = math.ceil(n / cols)
    cells = rng.permutation(rows * cols)[:n]
    r, q = np.divmod(cells, cols)
    px = c.x - w / 2 + (q + rng.uniform(0.2, 0.8, n)) * w / cols
    py = c.y - h / 2 + (r + rng.uniform(0.2, 0.8, n)) * h / rows
    if n == 1:
        polys = [rect]
    else:
        vor = shapely.voronoi_polygons(
            shapely.multipoints(np.column_stack([px, py])), extend_to=rect, ordered=True
        )
        polys = [shapely.intersection(g, rect) for g in shapely.get_parts(vor)]
    # Number districts from the centre outwards so district 1 is the urban core.
    dist = np.array([shapely.distance(p.centroid, c) for p in polys])
    polys = [polys[i] for i in np.argsort(dist, kind="stable")]
    num = range(1, n + 1)
    return gpd.GeoDataFrame(
        {
            "district_id": [f"9901{i:02d}" for i in num],
            "name": [f"合成{i}区" for i in num],
            "name_en": [f"Synthetic District {i}" for i in num],
            "parent_id": "990100",
        },
        geometry=polys,
        crs=zone,
    ).to_crs(4326)
