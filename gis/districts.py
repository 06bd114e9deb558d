"""Reader of the districts input: district (区县/街道) polygons with their ids.

The districts are the plan's frame: the population table is per district, the plan CRS is
chosen from them (:func:`xuewei.gis.plan_crs`) and derived catchments are clipped to them.
Districts come only as vector files (polygons), never as a table of points.
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

__all__ = ["DISTRICT_FIELDS", "read_districts"]

DISTRICT_FIELDS: tuple[Field, ...] = (
    Field("district_id", "id", required=True),
    Field("name", "text", required=True),
    Field("parent_id", "id"),
    Field("name_en", "text"),
)


def read_districts(
    path: PathLike,
    *,
    layer: str | int | None = None,
    coords: CoordinateSystem = "wgs84",
    crs: Any = None,
    repair: bool = False,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read district (区县/街道) polygons.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON or Shapefile of polygons or multipolygons.
    layer
        The layer to read when the file has several.
    coords
        Datum of the coordinates: ``wgs84``, ``cgcs2000``, ``gcj02`` or ``bd09``.
    crs
        Output CRS (e.g. the plan's projected CRS); ``None`` gives EPSG:4326.
    repair
        Fix invalid polygons with ``shapely.make_valid`` instead of reporting them.
    encoding
        Text encoding of a Shapefile's attributes when its ``.cpg`` is missing (e.g.
        ``"gbk"``).

    Returns
    -------
    geopandas.GeoDataFrame
        ``district_id`` (str), ``name`` (str), ``parent_id`` (str), ``name_en`` (str),
        other attributes as read, and ``geometry``.

    Raises
    ------
    InputError
        Listing every problem: missing columns, missing or duplicate ids, missing, invalid
        or non-polygon geometries, coordinates out of range or swapped.
    CRSError
        When the file has no CRS (GeoJSON is WGS84 by definition), or GCJ-02/BD-09 is
        declared for a projected file.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd, shapely
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "districts.geojson"
    >>> gpd.GeoDataFrame({"district_id": ["430102"], "name": ["芙蓉区"]},
    ...                  geometry=[shapely.box(112.9, 28.1, 113.1, 28.3)], crs=4326).to_file(f)
    >>> read_districts(f)[["district_id", "name"]].values.tolist()
    [['430102', '芙蓉区']]
    """

    def check(
        raw: pd.DataFrame, table: pd.DataFrame, rows: npt.NDArray[np.int64], log: ProblemLog
    ) -> None:
        check_unique(table, ["district_id"], rows, log, noun="district")

    return read_features(
        path,
        fields=DISTRICT_FIELDS,
        geometry="polygon",
        noun="district",
        layer=layer,
        sheet=None,
        coords=coords,
        crs=crs,
        lon=None,
        lat=None,
        repair=repair,
        encoding=encoding,
        check=check,
    )
