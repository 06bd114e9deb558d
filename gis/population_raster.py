"""Reader of the population raster input: residents per cell of a single-band GeoTIFF.

A raster (WorldPop, LandScan, or the bureau's own grid) replaces or refines the estates as
demand: :mod:`xuewei.gis.raster` sums it over zones and allocates forecasts to its cells,
and catchments take its cells as demand points. Nodata and NaN cells count as 0 residents;
negative, infinite or absurdly large values are refused.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyproj
from affine import Affine

from xuewei.errors import CRSError, InputError, Problem

from ._files import RASTER_FORMATS, PathLike, check_path, fail
from .validate import MAX_VALUE

__all__ = ["PopulationRaster", "read_population_raster"]


@dataclass(frozen=True, eq=False)
class PopulationRaster:
    """A population raster: residents per cell.

    Attributes
    ----------
    values
        2-D array of residents per cell (``float32`` if the file is ``float32``, else
        ``float64``); nodata and NaN cells are 0.
    transform
        Affine transform from (col, row) to the CRS's x/y of the cell's upper-left corner.
    crs
        The raster's CRS.
    path
        The file read.
    nodata_cells
        How many cells were nodata (or NaN) and set to 0.
    """

    values: npt.NDArray[np.floating[Any]]
    transform: Affine
    crs: pyproj.CRS
    path: Path
    nodata_cells: int = 0

    @property
    def shape(self) -> tuple[int, int]:
        """Rows and columns."""
        rows, cols = self.values.shape
        return int(rows), int(cols)

    @property
    def total(self) -> float:
        """Sum of residents over all cells."""
        return float(self.values.sum(dtype=np.float64))


def read_population_raster(path: PathLike) -> PopulationRaster:
    """Read a single-band GeoTIFF of residents per cell.

    Nodata cells (the band's nodata value, and NaN) become 0 and are counted in
    ``nodata_cells``.

    Parameters
    ----------
    path
        A ``.tif``/``.tiff`` file with one band and a CRS.

    Returns
    -------
    PopulationRaster

    Raises
    ------
    CRSError
        When the raster has no CRS.
    InputError
        When the file is missing, has more than one band, or has negative or infinite
        values (the count and the first cell's row/column, 0-based as in rasterio).

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "pop.tif"
    >>> with rasterio.open(f, "w", driver="GTiff", height=2, width=2, count=1,
    ...                    dtype="float32", crs="EPSG:4547", nodata=-1,
    ...                    transform=rasterio.Affine(100, 0, 5e5, 0, -100, 3.1e6)) as dst:
    ...     dst.write(np.array([[1, 2], [-1, 4]], dtype="float32"), 1)
    >>> r = read_population_raster(f)
    >>> r.total, r.nodata_cells, r.crs.to_epsg()
    (7.0, 1, 4547)
    """
    import rasterio
    from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

    p = check_path(path, RASTER_FORMATS, what="a population raster")
    source = p.name
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(p) as src:
                count = src.count
                raster_crs = src.crs
                transform = src.transform
                nodata = src.nodata
                values = src.read(1) if count == 1 else None
    except RasterioIOError as exc:
        raise fail(source, f"cannot read as GeoTIFF ({exc}).") from None
    if count != 1:
        raise fail(
            source,
            f"has {count} bands; expected one band of residents per cell. Keep the "
            f"population band alone, e.g. `gdal_translate -b 1 {source} population.tif`.",
        )
    if raster_crs is None:
        raise CRSError(
            f"{source} has no coordinate reference system; assign the right one, e.g. "
            f"`gdal_edit.py -a_srs EPSG:4326 {source}` (or QGIS: Raster ▸ Projections ▸ "
            "Assign Projection)."
        )
    assert values is not None
    dtype = np.float32 if values.dtype == np.float32 else np.float64
    data = values.astype(dtype, copy=True)
    empty = np.isnan(data)
    if nodata is not None:
        empty |= data == nodata if not np.isnan(nodata) else np.isnan(data)
    problems = []
    infinite = np.isinf(data) & ~empty
    negative = (data < 0) & ~empty
    huge = (data > MAX_VALUE) & ~infinite & ~empty
    for mask, what, fix in (
        (negative, "negative residents", "set them to 0 or to the nodata value"),
        (infinite, "infinite values", "set them to 0 or to the nodata value"),
        (huge, f"more than {MAX_VALUE:g} residents", "a unit or a typo? fix the cells"),
    ):
        if mask.any():
            r, c = (int(v) for v in np.argwhere(mask)[0])
            problems.append(
                Problem(
                    source,
                    f"{int(mask.sum())} cells have {what}, the first at row {r}, column {c} "
                    f"(0-based), value {data[r, c]:g}; residents per cell must be ≥ 0 and "
                    f"at most {MAX_VALUE:g} — {fix}.",
                )
            )
    if problems:
        raise InputError(problems)
    data[empty] = 0
    return PopulationRaster(
        values=data,
        transform=transform,
        crs=pyproj.CRS.from_user_input(raster_crs.to_wkt()),
        path=p,
        nodata_cells=int(empty.sum()),
    )
