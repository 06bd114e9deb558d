"""Reader of the estates input: housing estates (小区) with residents or dwellings.

Estates are the demand points of catchments: points or polygons as given, each with its
``residents`` or ``dwellings`` (or both) and the year it was completed.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from xuewei.vocabulary import SETTLEMENT_WORDS, CoordinateSystem

from ._features import read_features
from ._files import PathLike
from .settlement import settlement_word
from .validate import Field, ProblemLog, check_unique

__all__ = ["ESTATE_FIELDS", "read_estates"]

ESTATE_FIELDS: tuple[Field, ...] = (
    Field("estate_id", "id", required=True),
    Field("name", "text", required=True),
    Field("residents", "people"),
    Field("dwellings", "count"),
    Field("completion_year", "year"),
    Field("households", "count"),
    Field("district_id", "id"),
    Field("name_en", "text"),
    Field("synthetic", "bool", default=False),
)


def _check_estates(
    raw: pd.DataFrame, table: pd.DataFrame, rows: npt.NDArray[np.int64], log: ProblemLog
) -> None:
    check_unique(table, ["estate_id"], rows, log, noun="estate")
    if "settlement" in table.columns:
        for k, value in enumerate(table["settlement"]):
            if settlement_word(value) != "":
                continue
            log.add(
                f"settlement {value!r} is neither urban nor rural; use one of "
                f"{', '.join(SETTLEMENT_WORDS)}, or leave it empty for the density rule.",
                row=int(rows[k]),
                column="settlement",
                kind="invalid value",
            )
    if "residents" not in raw.columns and "dwellings" not in raw.columns:
        log.add(
            "needs a `residents` or a `dwellings` column (found: "
            + ", ".join(f"`{c}`" for c in raw.columns)
            + "); add the number of residents or of dwellings of each estate.",
            column="residents",
            kind="missing column",
        )
        return
    neither = (table["residents"].isna() & table["dwellings"].isna()).to_numpy()
    for i in np.flatnonzero(neither):
        log.add(
            "residents and dwellings are both missing; give at least one of them.",
            row=int(rows[i]),
            column="residents",
            kind="missing value",
        )


def read_estates(
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
    r"""Read housing estates (小区) as points or polygons.

    Parameters are those of :func:`~xuewei.gis.read_schools`. Each estate needs ``residents`` or
    ``dwellings`` (or both). An optional ``settlement`` column says which estates are urban
    and which rural (urban/rural, 城镇/城市/城区/乡村/农村; empty: decided by density),
    for the service radius (:mod:`xuewei.gis.settlement`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``estate_id``, ``name``, ``residents`` (``float64``), ``dwellings``,
        ``households``, ``completion_year`` (``Int64``), ``district_id``, ``name_en``,
        ``synthetic`` (``boolean``), other attributes as read, and ``geometry``: points
        or polygons as given.

    Raises
    ------
    InputError
        Listing every problem (as :func:`~xuewei.gis.read_schools`; also an estate with neither
        residents nor dwellings).
    CRSError
        When a vector file has no CRS, or GCJ-02/BD-09 is declared for a projected file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "estates.csv"
    >>> _ = f.write_text("estate_id,name,dwellings,lng,lat\nE1,融城,1200,112.9,28.2\n")
    >>> int(read_estates(f).loc[0, "dwellings"])
    1200
    """
    return read_features(
        path,
        fields=ESTATE_FIELDS,
        geometry="point_or_polygon",
        noun="estate",
        layer=layer,
        sheet=sheet,
        coords=coords,
        crs=crs,
        lon=lon,
        lat=lat,
        repair=repair,
        encoding=encoding,
        check=_check_estates,
    )
