"""Seeded synthetic cities: population rasters, housing estates, schools and candidate sites.

This module owns every *made-up* number in xuewei. It fills the layers of the embedded
Changsha dataset for which no public data exist (schools, estates, a population raster,
candidate sites — always around the real district totals), builds the small fixtures of the
test suite, and builds city-scale benchmark inputs of any size (10 million residents,
1,500 schools, 10,000 estates and a 1.2-million-cell raster in a few seconds).

Every generator takes a ``seed`` and draws from ``numpy.random.default_rng(seed)`` only, so
the same arguments give identical frames (and byte-identical files). Every record carries
``synthetic=True`` and a name that says so (``…（合成）`` / ``… (synthetic)``). Totals are
conserved by construction: integer residents are allocated by largest remainder, so the
raster cells and the estates completed by the base year sum *exactly* to the totals given.

Geometry work happens in the plan CRS — the CGCS2000 3-degree Gauss–Krüger zone of the
districts' centroid (EPSG:4534–4554) unless ``crs`` says otherwise; points are returned in
EPSG:4326.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio
import rasterio.features
import shapely
from affine import Affine
from pyproj import CRS

from xuewei.vocabulary import plan_crs

__all__ = [
    "Centre",
    "SynthCity",
    "SynthRaster",
    "synth_candidate_sites",
    "synth_city",
    "synth_districts",
    "synth_estates",
    "synth_population_history",
    "synth_population_raster",
    "synth_schools",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: A density centre: ``(lon, lat, weight, scale_m)`` in WGS84 degrees; density adds
#: ``weight * exp(-distance / scale_m)``.
Centre = tuple[float, float, float, float]

_MARGIN_M = 25.0  # points keep this far inside their district (survives 6-decimal rounding)
_RURAL_BACKGROUND = 0.004  # density floor relative to a centre of weight 1
_URBAN_PER_KM2 = 6000.0  # a cell denser than this counts as urban for school sizes

# Standard class sizes (pupils per class) and the class counts drawn for each school type.
# Nine-year schools: two thirds of their classes are grades 1–6 (45), one third 7–9 (50).
_CLASS_SIZE = {"kindergarten": 30, "primary": 45, "junior": 50}
_CLASSES: dict[str, dict[bool, tuple[tuple[int, ...], tuple[float, ...]]]] = {
    # level: {urban: (class counts, probabilities)}
    "primary": {
        True: ((12, 18, 24, 30, 36), (0.2, 0.3, 0.25, 0.15, 0.1)),
        False: ((6, 12, 18, 24), (0.55, 0.3, 0.1, 0.05)),
    },
    "junior": {
        True: ((12, 18, 24, 30), (0.15, 0.3, 0.3, 0.25)),
        False: ((12, 18, 24), (0.55, 0.33, 0.12)),
    },
    "nine_year": {
        True: ((18, 27, 36, 45), (0.2, 0.3, 0.3, 0.2)),
        False: ((18, 27), (0.7, 0.3)),
    },
    "kindergarten": {
        True: ((9, 12, 15), (0.3, 0.45, 0.25)),
        False: ((3, 6, 9), (0.35, 0.45, 0.2)),
    },
}
_LEVEL_ZH = {
    "primary": "小学",
    "junior": "中学",
    "nine_year": "九年一贯制学校",
    "kindergarten": "幼儿园",
}
_LEVEL_EN = {
    "primary": "Primary School",
    "junior": "Junior Middle School",
    "nine_year": "Nine-Year School",
    "kindergarten": "Kindergarten",
}
_LEVEL_CODE = {"primary": "P", "junior": "J", "nine_year": "N", "kindergarten": "K"}


# --------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------


def _largest_remainder(total: int, weights: npt.ArrayLike) -> IntArray:
    """Split the integer ``total`` in proportion to ``weights`` so the parts sum to it."""
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


def _district_frame(districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    missing = {"district_id", "name"} - set(districts.columns)
    if missing:
        raise ValueError(
            f"districts: missing column(s) {sorted(missing)}; expected `district_id` and `name`."
        )
    if districts.crs is None:
        raise ValueError("districts: no CRS; set one (e.g. EPSG:4326) before synthesising.")
    out = districts.reset_index(drop=True).copy()
    out["district_id"] = out["district_id"].astype(str)
    if "name_en" not in out.columns:
        out["name_en"] = out["district_id"]
    return out


def _totals_array(totals: Mapping[str, int] | pd.Series, ids: Sequence[str]) -> IntArray:
    t = {str(k): v for k, v in dict(totals).items()}
    missing = [d for d in ids if d not in t]
    if missing:
        raise ValueError(f"totals: no value for district(s) {missing}.")
    arr = np.array([int(t[d]) for d in ids], dtype=np.int64)
    if (arr < 0).any():
        raise ValueError("totals: residents must be >= 0.")
    return arr


def _short_en(name_en: str) -> str:
    for suffix in (" District", " County", " City"):
        if name_en.endswith(suffix):
            return name_en[: -len(suffix)]
    return name_en


def _inner(poly: Any, margin: float) -> Any:
    """Return the polygon shrunk by ``margin`` metres (or the polygon if that empties it)."""
    inner = poly.buffer(-margin)
    if inner.is_empty or inner.area < 0.05 * poly.area:
        inner = poly
    shapely.prepare(inner)
    return inner


def _uniform_in(poly: Any, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
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
class _Grid:
    """A raster grid with the district label (1-based, 0 outside) of every cell."""

    shape: tuple[int, int]
    transform: Affine
    labels: npt.NDArray[np.int32]

    @property
    def cell(self) -> float:
        return float(self.transform.a)

    def centres(self, flat: npt.NDArray[np.intp]) -> tuple[FloatArray, FloatArray]:
        rows, cols = np.divmod(flat, self.shape[1])
        x = self.transform.c + (cols + 0.5) * self.transform.a
        y = self.transform.f + (rows + 0.5) * self.transform.e
        return x.astype(np.float64), y.astype(np.float64)


def _label(geoms: Sequence[Any], shape: tuple[int, int], transform: Affine) -> _Grid:
    labels = rasterio.features.rasterize(
        ((g, i + 1) for i, g in enumerate(geoms)),
        out_shape=shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    return _Grid(shape, transform, labels)


def _make_grid(geoms: Sequence[Any], cell_m: float) -> _Grid:
    bounds = np.array([g.bounds for g in geoms])
    x0 = math.floor(bounds[:, 0].min() / cell_m) * cell_m
    y0 = math.floor(bounds[:, 1].min() / cell_m) * cell_m
    x1 = math.ceil(bounds[:, 2].max() / cell_m) * cell_m
    y1 = math.ceil(bounds[:, 3].max() / cell_m) * cell_m
    shape = (round((y1 - y0) / cell_m), round((x1 - x0) / cell_m))
    return _label(geoms, shape, Affine(cell_m, 0.0, x0, 0.0, -cell_m, y1))


def _sample_weighted(
    grid: _Grid,
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
        x, y = _uniform_in(poly_inner, n, rng)
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
        ux, uy = _uniform_in(poly_inner, todo.size, rng)
        x[todo] = ux
        y[todo] = uy
    return x, y, weights.ravel()[pick].astype(np.float64)


def _to_lonlat(x: FloatArray, y: FloatArray, crs: CRS) -> gpd.GeoSeries:
    return gpd.GeoSeries.from_xy(x, y, crs=crs).to_crs(4326)


# --------------------------------------------------------------------------------------
# Population raster
# --------------------------------------------------------------------------------------


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


def _default_centres(districts_p: gpd.GeoDataFrame, crs: CRS) -> list[Centre]:
    """One town centre per district plus a main centre at the city's centroid."""
    union = districts_p.geometry.union_all()
    pts = [union.centroid, *districts_p.geometry.representative_point()]
    w = [1.0] + [0.35] * len(districts_p)
    scale = [math.sqrt(union.area) / 12.0] + [
        max(math.sqrt(a) / 10.0, 300.0) for a in districts_p.geometry.area
    ]
    ll = _to_lonlat(
        np.array([p.x for p in pts], dtype=np.float64),
        np.array([p.y for p in pts], dtype=np.float64),
        crs,
    )
    return [(float(p.x), float(p.y), wk, sk) for p, wk, sk in zip(ll, w, scale, strict=True)]


def _density(
    grid: _Grid, crs: CRS, centres: Sequence[Centre], rng: np.random.Generator
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
    d = _district_frame(districts)
    pcrs = CRS.from_user_input(crs) if crs is not None else plan_crs(d)
    dp = d.to_crs(pcrs)
    tot = _totals_array(totals, list(d["district_id"]))
    rng = np.random.default_rng(seed)
    grid = _make_grid(list(dp.geometry), cell_m)
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
        values[flat] += _largest_remainder(int(total), dens.ravel()[flat]).astype(np.float32)
    return SynthRaster(values.reshape(grid.shape), grid.transform, pcrs)


def _grid_of(raster: SynthRaster, dp: gpd.GeoDataFrame) -> _Grid:
    return _label(list(dp.geometry), raster.values.shape, raster.transform)


# --------------------------------------------------------------------------------------
# Estates
# --------------------------------------------------------------------------------------


def _sizes(
    total: int, rng: np.random.Generator, median: float, sigma: float, lo: int, hi: int
) -> IntArray:
    """Whole-resident estate sizes summing exactly to ``total``."""
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
    n = max(_closest_count(np.cumsum(s), total), 1)
    return _largest_remainder(total, s[:n])


def _closest_count(cumsum: npt.NDArray[Any], target: float) -> int:
    """Return how many leading items bring ``cumsum`` closest to ``target`` (0 allowed)."""
    cs = np.concatenate([[0.0], np.asarray(cumsum, dtype=np.float64)])
    return int(np.argmin(np.abs(cs - target)))


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
    d = _district_frame(districts)
    ids = list(d["district_id"])
    tot = _totals_array(totals, ids)
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
    grid = _grid_of(raster, dp)
    weights = raster.values.astype(np.float64)
    frames = []
    for k, (did, total) in enumerate(zip(ids, tot, strict=True), start=1):
        row = d.iloc[k - 1]
        inner = _inner(dp.geometry.iloc[k - 1], _MARGIN_M)
        g = float(growth[did]) if growth is not None else float(rng.uniform(0.01, 0.08))
        sizes = _sizes(int(total), rng, median_residents, 0.95, 200, 15_000)
        new = _sizes(round(total * g), rng, 3000.0, 0.6, 800, 15_000) if years.size else sizes[:0]
        n_old, n_new = sizes.size, new.size
        x, y, w = _sample_weighted(grid, weights, k, inner, n_old, rng)
        # Big estates go to dense cells (rank matching with noise).
        order_pts = np.argsort(-(w * rng.lognormal(0.0, 1.0, n_old)), kind="stable")
        order_sz = np.argsort(-sizes, kind="stable")
        xo, yo = np.empty(n_old), np.empty(n_old)
        xo[order_sz], yo[order_sz] = x[order_pts], y[order_pts]
        # New developments go to the edges of the built-up area: a flatter weighting.
        xn, yn, _ = _sample_weighted(grid, np.sqrt(weights), k, inner, n_new, rng)
        completion = np.concatenate(
            [
                base_year - np.minimum(rng.geometric(0.05, n_old) - 1, 50),
                rng.choice(years, n_new) if n_new else np.zeros(0, dtype=np.int64),
            ]
        )
        residents = np.concatenate([sizes, new])
        n = residents.size
        hh_size = np.clip(rng.normal(2.5, 0.12, n), 2.1, 3.0)
        households = np.maximum(np.rint(residents / hh_size), 1).astype(np.int64)
        occupancy = rng.uniform(0.82, 0.97, n)
        dwellings = np.ceil(households / occupancy).astype(np.int64)
        num = np.arange(1, n + 1)
        short = _short_en(str(row["name_en"]))
        frames.append(
            pd.DataFrame(
                {
                    "estate_id": [f"{did}-E{i:05d}" for i in num],
                    "name": [f"{row['name']}第{i:04d}小区（合成）" for i in num],
                    "name_en": [f"{short} Estate {i:04d} (synthetic)" for i in num],
                    "residents": residents.astype(np.int64),
                    "dwellings": dwellings,
                    "households": households,
                    "completion_year": completion.astype(np.int64),
                    "district_id": did,
                    "synthetic": True,
                    "_x": np.concatenate([xo, xn]),
                    "_y": np.concatenate([yo, yn]),
                }
            )
        )
    return _points_frame(frames, raster.crs)


def _points_frame(frames: list[pd.DataFrame], crs: CRS) -> gpd.GeoDataFrame:
    df = pd.concat(frames, ignore_index=True)
    geom = _to_lonlat(df["_x"].to_numpy(np.float64), df["_y"].to_numpy(np.float64), crs)
    return gpd.GeoDataFrame(
        df.drop(columns=["_x", "_y"]), geometry=geom.to_numpy(), crs="EPSG:4326"
    )


# --------------------------------------------------------------------------------------
# Schools
# --------------------------------------------------------------------------------------


def _capacity(level: str, classes: IntArray) -> IntArray:
    if level == "nine_year":
        lower = classes * 2 // 3
        return lower * _CLASS_SIZE["primary"] + (classes - lower) * _CLASS_SIZE["junior"]
    return classes * _CLASS_SIZE[level]


def _primary_places(level: str, classes: IntArray) -> tuple[IntArray, IntArray]:
    """Places of a school split into (primary, junior)."""
    if level == "nine_year":
        lower = classes * 2 // 3
        return lower * _CLASS_SIZE["primary"], (classes - lower) * _CLASS_SIZE["junior"]
    if level == "primary":
        return classes * _CLASS_SIZE["primary"], np.zeros_like(classes)
    return np.zeros_like(classes), classes * _CLASS_SIZE.get(level, 0)


def synth_schools(
    districts: gpd.GeoDataFrame,
    totals: Mapping[str, int] | pd.Series,
    *,
    seed: int,
    places_per_1000: float = 80.0,
    primary_share: float = 2.0 / 3.0,
    variation: float = 0.2,
    nine_year_share: float = 0.12,
    kindergartens: bool = False,
    kindergarten_places_per_1000: float = 30.0,
    base_year: int = 2024,
    raster: SynthRaster | None = None,
) -> gpd.GeoDataFrame:
    """Public and private schools with classes, capacity and enrolment, where residents live.

    Per district the places supplied are ``totals × places_per_1000 / 1000 × f`` split
    ``primary_share`` : ``1 − primary_share`` between primary and junior, where
    ``f ~ U(1 − variation, 1 + variation)`` per district — so some districts have a deficit
    against the standard and others a surplus. About ``nine_year_share`` of primary places
    are in nine-year schools. Class counts are standard sizes (primary 12/18/24/30/36 × 45,
    6-class village schools in rural cells; junior 12/18/24/30 × 50; nine-year 18/27/36/45
    with grades 1–6 at 45 and 7–9 at 50; kindergarten 3–15 × 30), bigger in dense cells.
    Enrolment is capacity × a utilisation around the district's demand/supply ratio, so a
    minority of (mostly big urban) schools run over capacity, some above 2,000 pupils or
    above 45/50 per class, and small rural schools are under-used.

    Calibration: Changsha's one published city-level figure (Sept. 2018, ~8.15 M residents):
    918 primary and 230 junior schools with 574,200 and 246,800 pupils, i.e. ~113 primary
    and ~28 junior schools per million residents and a 70 : 30 primary : junior pupil split
    (hence ``primary_share=2/3``). With the 80 places per 1,000 standard the generator
    yields about the same number of schools per resident but fewer pupils (~76 per 1,000
    against the real ~100), so it understates real crowding on purpose: deficits come from
    the per-district variation.

    Parameters
    ----------
    districts
        Polygons with ``district_id`` and ``name`` (and optionally ``name_en``).
    totals
        Residents per ``district_id``.
    seed
        Seed of ``numpy.random.default_rng``.
    places_per_1000
        Compulsory-school places per 1,000 residents before the per-district variation.
    primary_share
        Share of those places in grades 1–6.
    variation
        Half-width of the uniform per-district supply factor.
    nine_year_share
        Fraction of primary places in nine-year schools.
    kindergartens
        Also generate kindergartens (``kindergarten_places_per_1000``).
    kindergarten_places_per_1000
        Kindergarten places per 1,000 residents.
    base_year
        Latest opening year.
    raster
        Density to place schools by; default a 200 m :func:`synth_population_raster`.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326 with ``school_id, name, name_en, level, classes, capacity,
        enrolment, public, district_id, opened, synthetic``.

    Examples
    --------
    >>> from xuewei.data import synth_districts
    >>> d = synth_districts(3, n=2, area_km2=30)
    >>> s = synth_schools(d, {"990101": 60_000, "990102": 20_000}, seed=3)
    >>> sorted(s.level.unique())
    ['junior', 'nine_year', 'primary']
    """
    d = _district_frame(districts)
    ids = list(d["district_id"])
    tot = _totals_array(totals, ids)
    rng = np.random.default_rng(seed)
    if raster is None:
        raster = synth_population_raster(
            d, dict(zip(ids, tot.tolist(), strict=True)), cell_m=200.0, seed=seed
        )
    dp = d.to_crs(raster.crs)
    grid = _grid_of(raster, dp)
    weights = raster.values.astype(np.float64)
    per_km2 = 1e6 / (raster.cell_m**2)
    frames = []
    for k, (did, total) in enumerate(zip(ids, tot, strict=True), start=1):
        row = d.iloc[k - 1]
        inner = _inner(dp.geometry.iloc[k - 1], _MARGIN_M)
        f = float(rng.uniform(1.0 - variation, 1.0 + variation))
        need = float(total) * places_per_1000 / 1000.0 * f
        need_p, need_j = need * primary_share, need * (1.0 - primary_share)
        plan: list[tuple[str, float]] = [("nine_year", need_p * nine_year_share)]
        plan_p = need_p * (1.0 - nine_year_share)
        parts = []
        done_j = 0.0
        for level, target in [*plan, ("primary", plan_p), ("junior", -1.0)]:
            if level == "junior":
                target = need_j - done_j
            if target <= 0:
                continue
            m = int(target / 250.0) + 1  # every school adds >= 270 places of its kind
            x, y, w = _sample_weighted(grid, weights, k, inner, m, rng)
            urban = w * per_km2 > _URBAN_PER_KM2
            classes = np.empty(m, dtype=np.int64)
            for flag in (True, False):
                opts, p = _CLASSES[level][flag]
                sel = urban == flag
                classes[sel] = rng.choice(np.array(opts), int(sel.sum()), p=np.array(p))
            pp, jj = _primary_places(level, classes)
            counted = pp if level != "junior" else jj
            n = _closest_count(np.cumsum(counted), target)
            if level != "nine_year":
                n = max(n, 1)
            if level == "nine_year":
                done_j += float(jj[:n].sum())
            parts.append((level, x[:n], y[:n], urban[:n], classes[:n]))
        if kindergartens and total > 0:
            target = float(total) * kindergarten_places_per_1000 / 1000.0 * f
            m = int(target / 90.0) + 1
            x, y, w = _sample_weighted(grid, weights, k, inner, m, rng)
            urban = w * per_km2 > _URBAN_PER_KM2
            classes = np.empty(m, dtype=np.int64)
            for flag in (True, False):
                opts, p = _CLASSES["kindergarten"][flag]
                sel = urban == flag
                classes[sel] = rng.choice(np.array(opts), int(sel.sum()), p=np.array(p))
            n = max(_closest_count(np.cumsum(classes * 30), target), 1)
            parts.append(("kindergarten", x[:n], y[:n], urban[:n], classes[:n]))
        short = _short_en(str(row["name_en"]))
        for level, x, y, urban, classes in parts:
            n = classes.size
            cap = _capacity(level, classes)
            util = (1.0 / f) * rng.lognormal(0.0, 0.16, n) * np.where(urban, 0.92, 0.8)
            small = (~urban) & (classes <= 12)
            util = np.where(small & (rng.random(n) < 0.3), rng.uniform(0.35, 0.75, n), util)
            util = np.clip(util, 0.2, 1.6)
            public = rng.random(n) < np.where(level == "kindergarten", 0.5, 0.88)
            opened = base_year - np.minimum(rng.geometric(0.03, n) - 1, 70)
            num = np.arange(1, n + 1)
            code = _LEVEL_CODE[level]
            zh, en = _LEVEL_ZH[level], _LEVEL_EN[level]
            frames.append(
                pd.DataFrame(
                    {
                        "school_id": [f"{did}-{code}{i:03d}" for i in num],
                        "name": [f"{row['name']}第{i:03d}{zh}（合成）" for i in num],
                        "name_en": [f"{short} {en} No. {i} (synthetic)" for i in num],
                        "level": level,
                        "classes": classes,
                        "capacity": cap,
                        "enrolment": np.rint(cap * util).astype(np.int64),
                        "public": public,
                        "district_id": did,
                        "opened": opened.astype(np.int64),
                        "synthetic": True,
                        "_x": x,
                        "_y": y,
                    }
                )
            )
    if not frames:
        raise ValueError("totals: every district has 0 residents; nothing to synthesise.")
    return _points_frame(frames, raster.crs)


# --------------------------------------------------------------------------------------
# Candidate sites
# --------------------------------------------------------------------------------------


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
    d = _district_frame(districts)
    rng = np.random.default_rng(seed)
    pcrs = (
        raster.crs
        if raster is not None
        else (CRS.from_user_input(crs) if crs is not None else plan_crs(d))
    )
    dp = d.to_crs(pcrs)
    inners = [_inner(g, _MARGIN_M) for g in dp.geometry]
    area = dp.geometry.area.to_numpy()
    n_dens = n // 2 if raster is not None else 0
    # Uniform part: sites per district ∝ area (largest remainder), then density part ∝ residents.
    counts = _largest_remainder(n - n_dens, area)
    if raster is not None:
        sums = np.array(
            [
                raster.values[_grid_of(raster, dp).labels == k].sum(dtype=np.float64)
                for k in range(1, len(dp) + 1)
            ]
        )
        dens_counts = _largest_remainder(n_dens, sums)
        grid = _grid_of(raster, dp)
        weights = raster.values.astype(np.float64)
    xs, ys, dids = [], [], []
    for k, did in enumerate(d["district_id"], start=1):
        x, y = _uniform_in(inners[k - 1], int(counts[k - 1]), rng)
        if raster is not None and dens_counts[k - 1] > 0:
            x2, y2, _ = _sample_weighted(
                grid, weights, k, inners[k - 1], int(dens_counts[k - 1]), rng
            )
            x, y = np.concatenate([x, x2]), np.concatenate([y, y2])
        xs.append(x)
        ys.append(y)
        dids.extend([did] * x.size)
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
            "_x": np.concatenate(xs) if xs else np.zeros(0),
            "_y": np.concatenate(ys) if ys else np.zeros(0),
        }
    )
    return _points_frame([df], pcrs)


# --------------------------------------------------------------------------------------
# A whole synthetic city
# --------------------------------------------------------------------------------------


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
        Number of districts.
    area_km2
        Area of the city.
    centre
        ``(lon, lat)`` of the city's centre.

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons in EPSG:4326 with ``district_id`` (``"990101"``, …), ``name``,
        ``name_en``, ``parent_id`` (``"990100"``).

    Examples
    --------
    >>> d = synth_districts(0, n=4, area_km2=100)
    >>> list(d.district_id)
    ['990101', '990102', '990103', '990104']
    """
    if n < 1 or n > 99:
        raise ValueError(f"n: got {n}; a synthetic city has 1–99 districts.")
    rng = np.random.default_rng(seed)
    lon, lat = centre
    zone = CRS.from_epsg(min(max(4534 + round((lon - 75.0) / 3.0), 4534), 4554))
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
    tot = _totals_array(totals, ids)
    yrs = np.array(sorted(years), dtype=np.int64)
    census = set(census_years)
    rng = np.random.default_rng(seed)
    nd = len(ids)
    rate = rng.uniform(-0.01, 0.06, nd) - np.linspace(0.0, 0.02, nd)
    age = (yrs[-1] - yrs)[None, :]
    base = tot[:, None] * np.exp(-rate[:, None] * age)
    is_census = np.isin(yrs, list(census))
    noise = rng.normal(0.0, np.where(is_census, 0.003, 0.01)[None, :], (nd, yrs.size))
    noise[:, -1] = 0.0
    pop = np.rint(base * (1.0 + noise)).astype(np.int64)
    pop[:, -1] = tot
    t = yrs.astype(np.float64)
    birth_rate = np.where(t <= 2016, 11.0 + 4.0 * (t - 2000) / 16.0, 15.0 - 9.0 * (t - 2016) / 7.0)
    birth_rate = np.clip(birth_rate, 5.5, 15.5) / 1000.0
    births = np.rint(pop * birth_rate[None, :] * rng.lognormal(0.0, 0.05, pop.shape))
    df = pd.DataFrame(
        {
            "district_id": np.repeat(ids, yrs.size),
            "name": np.repeat(names, yrs.size),
            "year": np.tile(yrs, nd),
            "population": pop.ravel(),
            "basis": np.tile(np.where(is_census, "census", "estimate"), nd),
            "births": births.astype(np.int64).ravel(),
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
                "basis": np.where(is_census, "census", "estimate"),
                "births": births.astype(np.int64).sum(axis=0),
                "source": "synthetic",
            }
        )
        df = pd.concat([df, city], ignore_index=True)
    df["births"] = df["births"].astype("Int64")
    return df


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
    ss = np.random.SeedSequence(seed).generate_state(6)
    rng = np.random.default_rng(int(ss[0]))
    districts = synth_districts(int(ss[1]), n=n_districts, area_km2=area_km2, centre=centre)
    share = rng.lognormal(0.0, 0.35, n_districts) * np.linspace(1.6, 0.8, n_districts)
    totals = pd.Series(
        _largest_remainder(population, share),
        index=pd.Index(districts["district_id"]),
        name="population",
    )
    crs = plan_crs(districts)
    raster = synth_population_raster(districts, totals, cell_m=cell_m, seed=int(ss[2]), crs=crs)
    median = 600.0 if n_estates is None else population / max(n_estates, 1) / 1.57
    estates = synth_estates(
        districts,
        totals,
        seed=int(ss[3]),
        base_year=base_year,
        raster=raster,
        median_residents=max(median, 200.0),
    )
    schools = synth_schools(
        districts,
        totals,
        seed=int(ss[4]),
        base_year=base_year,
        raster=raster,
        kindergartens=kindergartens,
    )
    sites = synth_candidate_sites(districts, seed=int(ss[5]), n=n_sites, raster=raster)
    history = synth_population_history(
        districts, totals, seed=int(ss[0]) + 1, years=yrs, parent_id="990100"
    )
    return SynthCity(
        districts=districts,
        population=history,
        schools=schools,
        estates=estates,
        raster=raster,
        candidate_sites=sites,
        totals=totals,
        base_year=base_year,
        crs=crs,
    )
