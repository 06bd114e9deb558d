"""Population rasters: zonal sums and dasymetric allocation of district forecasts.

This module owns the arithmetic between residents per cell and polygons. A *label raster*
(each cell's zone, by the cell-centre rule of :func:`rasterio.features.rasterize`) turns
zonal sums into one :func:`numpy.bincount`, so summing a 1.2-million-cell raster over
1,500 polygons takes a fraction of a second, and each cell counts in exactly one zone or
in none: the zone sums plus the residents outside every zone equal the raster's total.

Dasymetric allocation spreads a district's forecast for any year over the cells (or the
estates) of the district in proportion to the base raster (or the estates' residents),
so that catchment demand follows the forecast and each district's cells sum to its
forecast (to floating-point rounding).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import rasterio.features

from xuewei.errors import CRSError, InputError, Problem

__all__ = [
    "AllocatedRaster",
    "allocate_to_cells",
    "allocate_to_estates",
    "label_raster",
    "zonal_sums",
]


@dataclass(frozen=True, eq=False)
class AllocatedRaster:
    """Residents per cell for one forecast year (same grid as the base raster).

    Attributes
    ----------
    values
        2-D ``float64`` residents per cell.
    transform, crs
        The grid of the base raster.
    year
        The forecast year.
    """

    values: npt.NDArray[np.float64]
    transform: Any
    crs: Any
    year: int

    @property
    def total(self) -> float:
        """Sum of residents over all cells."""
        return float(self.values.sum())


def _grid(raster: Any) -> tuple[npt.NDArray[Any], Any, Any]:
    values = np.asarray(raster.values)
    if values.ndim != 2:
        raise InputError([Problem("population_raster", "expected a 2-D array of residents.")])
    return values, raster.transform, raster.crs


def label_raster(raster: Any, zones: gpd.GeoDataFrame) -> npt.NDArray[np.int32]:
    """Return the 0-based zone of every cell (cell-centre rule), ``-1`` outside every zone.

    Zones should not overlap; where they do, the later zone takes the cell.

    Parameters
    ----------
    raster
        Any object with ``values``, ``transform`` and ``crs`` (e.g.
        :class:`xuewei.gis.PopulationRaster`).
    zones
        Polygons in the raster's CRS.

    Returns
    -------
    numpy.ndarray
        ``int32`` array of the raster's shape.

    Examples
    --------
    >>> import shapely, affine
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(values=np.ones((2, 2)), crs=None,
    ...                     transform=affine.Affine(1, 0, 0, 0, -1, 2))
    >>> z = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 2)])
    >>> label_raster(r, z).tolist()
    [[0, -1], [0, -1]]
    """
    values, transform, _ = _grid(raster)
    if len(zones) == 0:
        return np.full(values.shape, -1, dtype=np.int32)
    geoms = np.asarray(zones.geometry.array)
    ok = ~(gpd.GeoSeries(geoms).is_empty.to_numpy() | pd.isna(geoms))
    lab = rasterio.features.rasterize(
        ((g, i + 1) for i, g in enumerate(geoms) if ok[i]),
        out_shape=values.shape,
        transform=transform,
        fill=0,
        dtype="int32",
    )
    return lab - 1


def _check_crs(raster: Any, frame: gpd.GeoDataFrame, name: str) -> None:
    rc = raster.crs
    if frame.crs is not None and rc is not None and not frame.crs.equals(rc):
        raise CRSError(
            f"{name} are in {frame.crs.to_string()} but the raster is in {rc}; reproject "
            f"the {name} to the raster's CRS."
        )


def zonal_sums(raster: Any, zones: gpd.GeoDataFrame, *, id_col: str | None = None) -> pd.DataFrame:
    """Sum residents per zone (cell-centre rule), exactly once per cell.

    Parameters
    ----------
    raster
        Residents per cell (``values``, ``transform``, ``crs``).
    zones
        Non-overlapping polygons in the raster's CRS: districts, catchments, ...
    id_col
        Column identifying each zone; default the zones' index.

    Returns
    -------
    pandas.DataFrame
        One row per zone in input order: the id column (or ``zone``), ``residents``,
        ``cells``. ``attrs["outside"]`` holds the residents in no zone, so that
        ``residents.sum() + attrs["outside"]`` equals the raster's total.

    Examples
    --------
    >>> import shapely, affine
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(values=np.array([[1.0, 2.0], [3.0, 4.0]]), crs=None,
    ...                     transform=affine.Affine(1, 0, 0, 0, -1, 2))
    >>> z = gpd.GeoDataFrame({"district_id": ["w"]}, geometry=[shapely.box(0, 0, 1, 2)])
    >>> out = zonal_sums(r, z, id_col="district_id")
    >>> out.to_dict("list"), out.attrs["outside"]
    ({'district_id': ['w'], 'residents': [4.0], 'cells': [2]}, 6.0)
    """
    values, _, _ = _grid(raster)
    _check_crs(raster, zones, "zones")
    lab = label_raster(raster, zones).ravel()
    v = values.ravel().astype(np.float64, copy=False)
    n = len(zones)
    sums = np.bincount(lab + 1, weights=v, minlength=n + 1)
    cells = np.bincount(lab + 1, minlength=n + 1)
    ids = zones[id_col].to_numpy() if id_col is not None else zones.index.to_numpy()
    out = pd.DataFrame(
        {id_col or "zone": ids, "residents": sums[1:], "cells": cells[1:].astype(np.int64)}
    )
    out.attrs["outside"] = float(sums[0])
    return out


def _district_totals(forecast: pd.DataFrame, year: int, value_col: str) -> dict[str, float]:
    missing = [c for c in ("district_id", "year", value_col) if c not in forecast.columns]
    if missing:
        raise InputError([Problem("forecast", f"missing column(s) {missing}.")])
    f = forecast.loc[forecast["year"] == year]
    if f.empty:
        years = sorted(set(int(y) for y in forecast["year"]))
        raise InputError(
            [Problem("forecast", f"no rows for year {year}; the forecast has years {years}.")]
        )
    if f["district_id"].duplicated().any():
        raise InputError(
            [
                Problem(
                    "forecast",
                    f"several rows per district for year {year}; pass one scenario "
                    "(filter the forecast first).",
                )
            ]
        )
    return dict(zip(f["district_id"].astype(str), f[value_col].astype(np.float64), strict=True))


def allocate_to_cells(
    raster: Any,
    districts: gpd.GeoDataFrame,
    forecast: pd.DataFrame,
    *,
    year: int,
    value_col: str = "value",
) -> AllocatedRaster:
    """Spread each district's forecast residents over its cells, like the base raster.

    ``cell_year = district_forecast × cell_base ÷ district_base`` for every cell whose
    centre lies in the district; a district whose base cells hold nobody gets its forecast
    spread evenly over its cells. Cells outside every district are 0.

    Parameters
    ----------
    raster
        The base population raster (``values``, ``transform``, ``crs``).
    districts
        Polygons with ``district_id`` in the raster's CRS.
    forecast
        ``district_id``, ``year`` and ``value_col`` (e.g. the output of
        :func:`xuewei.forecast.forecast_districts`, one scenario).
    year
        The forecast year to allocate.
    value_col
        Column of residents in ``forecast``.

    Returns
    -------
    AllocatedRaster
        Each district's cells sum to its forecast.

    Raises
    ------
    InputError
        When a district is missing from the forecast, or has no cell while its forecast
        is positive.

    Examples
    --------
    >>> import shapely, affine
    >>> from types import SimpleNamespace
    >>> r = SimpleNamespace(values=np.array([[1.0, 3.0]]), crs=None,
    ...                     transform=affine.Affine(1, 0, 0, 0, -1, 1))
    >>> d = gpd.GeoDataFrame({"district_id": ["a"]}, geometry=[shapely.box(0, 0, 2, 1)])
    >>> f = pd.DataFrame({"district_id": ["a"], "year": [2030], "value": [8.0]})
    >>> allocate_to_cells(r, d, f, year=2030).values.tolist()
    [[2.0, 6.0]]
    """
    values, transform, crs = _grid(raster)
    _check_crs(raster, districts, "districts")
    totals = _district_totals(forecast, year, value_col)
    ids = districts["district_id"].astype(str).to_numpy()
    lab = label_raster(raster, districts).ravel()
    base = values.ravel().astype(np.float64)
    n = len(ids)
    problems = [
        Problem("forecast", f"district {d} has no forecast for {year}.", column="district_id")
        for d in ids
        if d not in totals
    ]
    if problems:
        raise InputError(problems)
    target = np.array([totals[d] for d in ids], dtype=np.float64)
    inside = lab >= 0
    base_sum = np.bincount(lab[inside], weights=base[inside], minlength=n)
    cells = np.bincount(lab[inside], minlength=n)
    empty = (cells == 0) & (target > 0)
    if empty.any():
        raise InputError(
            [
                Problem(
                    "districts",
                    f"district {ids[i]} covers no cell centre of the raster but has "
                    f"{target[i]:g} residents in {year}; use a finer raster.",
                )
                for i in np.flatnonzero(empty)
            ]
        )
    out = np.zeros_like(base)
    li = lab[inside]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(base_sum > 0, target / base_sum, 0.0)
        even = np.where((base_sum <= 0) & (cells > 0), target / np.maximum(cells, 1), 0.0)
    out[inside] = base[inside] * factor[li] + even[li]
    return AllocatedRaster(out.reshape(values.shape), transform, crs, int(year))


def allocate_to_estates(
    estates: gpd.GeoDataFrame,
    forecast: pd.DataFrame,
    *,
    year: int,
    value_col: str = "value",
    residents_col: str = "residents",
) -> gpd.GeoDataFrame:
    """Scale the residents of each district's estates to its forecast for ``year``.

    Estates completed by ``year`` (``completion_year`` missing or ≤ ``year``) share their
    district's forecast in proportion to their ``residents``; the others get 0. Estates
    need a ``district_id``.

    Parameters
    ----------
    estates
        Estates with ``estate_id``, ``district_id``, ``residents_col`` and optionally
        ``completion_year``.
    forecast
        ``district_id``, ``year``, ``value_col``; one row per district for ``year``.
    year
        The forecast year.
    value_col, residents_col
        Column names.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``residents_col`` replaced by the allocated residents and
        ``residents_base`` holding the input's. Districts without counted estates keep
        their forecast unallocated (listed in ``attrs["unallocated"]``).

    Examples
    --------
    >>> import shapely
    >>> e = gpd.GeoDataFrame({"estate_id": ["x", "y"], "district_id": ["a", "a"],
    ...                       "residents": [100.0, 300.0]},
    ...                      geometry=[shapely.Point(0, 0)] * 2)
    >>> f = pd.DataFrame({"district_id": ["a"], "year": [2030], "value": [800.0]})
    >>> allocate_to_estates(e, f, year=2030)["residents"].tolist()
    [200.0, 600.0]
    """
    if "district_id" not in estates.columns:
        raise InputError([Problem("estates", "missing column `district_id`.")])
    totals = _district_totals(forecast, year, value_col)
    out = estates.copy()
    res = pd.to_numeric(out[residents_col], errors="coerce").to_numpy(np.float64)
    if "completion_year" in out.columns:
        cy = pd.to_numeric(out["completion_year"], errors="coerce").to_numpy(np.float64)
        counted = ~np.isfinite(cy) | (cy <= year)
    else:
        counted = np.ones(len(out), dtype=bool)
    w = np.where(counted, np.nan_to_num(res), 0.0)
    dist = out["district_id"].astype(str).to_numpy()
    uniq, inv = np.unique(dist, return_inverse=True)
    wsum = np.bincount(inv, weights=w, minlength=uniq.size)
    target = np.array([totals.get(d, np.nan) for d in uniq])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(wsum > 0, target / wsum, 0.0)
    out["residents_base"] = res
    out[residents_col] = np.nan_to_num(w * factor[inv])
    out.attrs["unallocated"] = {
        str(uniq[i]): float(target[i])
        for i in range(uniq.size)
        if wsum[i] <= 0 and np.isfinite(target[i]) and target[i] > 0
    }
    return out
