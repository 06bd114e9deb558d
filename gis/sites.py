"""Reader of the candidate sites input: land reserved for schools (教育用地).

Candidate sites are where new schools may go: points or polygons, with their area and the
largest number of classes they take when known.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from xuewei.vocabulary import CoordinateSystem

from ._features import read_features
from ._files import PathLike
from .validate import Field, ProblemLog, check_unique

__all__ = ["CANDIDATE_SITE_FIELDS", "read_candidate_sites"]

CANDIDATE_SITE_FIELDS: tuple[Field, ...] = (
    Field("site_id", "id", required=True),
    Field("name", "text"),
    Field("area_m2", "number"),
    Field("max_classes", "count"),
    Field("district_id", "id"),
)


def read_candidate_sites(
    path: PathLike,
    *,
    layer: str | int | None = None,
    sheet: str | int | None = None,
    coords: CoordinateSystem = "wgs84",
    crs: Any = None,
    lon: str | None = None,
    lat: str | None = None,
    repair: bool = False,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    r"""Read candidate school sites (教育用地) as points or polygons.

    Parameters are those of :func:`~xuewei.gis.read_schools`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``name``, ``area_m2`` (``float64``), ``max_classes`` (``Int64``),
        ``district_id``, other attributes as read, and ``geometry``: points or polygons.

    Raises
    ------
    InputError
        Listing every problem (as :func:`~xuewei.gis.read_schools`).
    CRSError
        When a vector file has no CRS, or GCJ-02/BD-09 is declared for a projected file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "sites.csv"
    >>> _ = f.write_text("site_id,area_m2,lon,lat\nC1,24000,112.9,28.2\n")
    >>> float(read_candidate_sites(f).loc[0, "area_m2"])
    24000.0
    """

    def check(
        raw: pd.DataFrame, table: pd.DataFrame, rows: npt.NDArray[np.int64], log: ProblemLog
    ) -> None:
        check_unique(table, ["site_id"], rows, log, noun="site")

    return read_features(
        path,
        fields=CANDIDATE_SITE_FIELDS,
        geometry="point_or_polygon",
        noun="site",
        layer=layer,
        sheet=sheet,
        coords=coords,
        crs=crs,
        lon=lon,
        lat=lat,
        repair=repair,
        encoding=encoding,
        check=check,
    )
