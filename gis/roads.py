"""Reader of the roads input: road centre lines for distances along the network.

An OSM extract or the bureau's own road lines, as a vector file, with an optional speed
and one-way flag per road; :func:`xuewei.gis.build_road_network` builds the graph from it.
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
from .validate import Field, ProblemLog

__all__ = ["ROAD_FIELDS", "read_roads"]

ROAD_FIELDS: tuple[Field, ...] = (
    Field("road_id", "id"),
    Field("name", "text"),
    Field("speed_kmh", "number"),
    Field("oneway", "bool"),
)


def read_roads(
    path: PathLike,
    *,
    layer: str | int | None = None,
    coords: CoordinateSystem = "wgs84",
    crs: Any = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    r"""Read a roads layer (lines) for road-network distances.

    An OSM extract or the bureau's own road centre lines, as GeoPackage, GeoJSON or
    Shapefile. Build the graph from it with :func:`xuewei.gis.build_road_network`.

    Parameters
    ----------
    path
        The file.
    layer
        Layer of a multi-layer file.
    coords
        Datum of longitude/latitude files (GCJ-02 and BD-09 are converted to WGS84).
    crs
        Output CRS (the plan's projected CRS); default EPSG:4326.
    encoding
        Attribute encoding of a Shapefile without ``.cpg``.

    Returns
    -------
    geopandas.GeoDataFrame
        ``road_id``, ``name``, ``speed_kmh`` (``float64``; missing: the network's default
        speed), ``oneway`` (``boolean``), other attributes as read, and line geometry.

    Raises
    ------
    InputError
        Listing every problem: a point or polygon among the lines, a missing geometry,
        a negative or zero speed, a non-boolean ``oneway``.
    CRSError
        When the file has no CRS.

    Examples
    --------
    >>> import tempfile, pathlib, shapely
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "roads.geojson"
    >>> gpd.GeoDataFrame({"speed_kmh": [5.0]},
    ...                  geometry=[shapely.LineString([(112.9, 28.2), (112.91, 28.2)])],
    ...                  crs=4326).to_file(f)
    >>> read_roads(f, crs=4547).geometry.length.round(0).tolist()
    [982.0]
    """

    def check(
        raw: pd.DataFrame, table: pd.DataFrame, rows: npt.NDArray[np.int64], log: ProblemLog
    ) -> None:
        speed = table["speed_kmh"].to_numpy(dtype=np.float64, na_value=np.nan)
        for i in np.flatnonzero(speed == 0):
            log.add(
                "got speed 0; a road's speed must be > 0 km/h (leave it empty for the "
                "default speed).",
                row=int(rows[i]),
                column="speed_kmh",
                kind="zero speed",
            )

    return read_features(
        path,
        fields=ROAD_FIELDS,
        geometry="line",
        noun="road",
        layer=layer,
        sheet=None,
        coords=coords,
        crs=crs,
        lon=None,
        lat=None,
        repair=False,
        encoding=encoding,
        check=check,
    )
