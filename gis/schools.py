"""Reader of the schools input: existing schools as points, with level and size.

A school's level is recognised in English or Chinese (:func:`xuewei.gis.normalise_level`);
school-ground polygons are replaced by a point inside them; ``closing`` may not come
before ``opened``. Places per school are computed later, with the standards
(:func:`xuewei.planning.school_places`).
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

__all__ = ["SCHOOL_FIELDS", "read_schools"]

SCHOOL_FIELDS: tuple[Field, ...] = (
    Field("school_id", "id", required=True),
    Field("name", "text", required=True),
    Field("level", "level", required=True),
    Field("capacity", "count"),
    Field("classes", "count"),
    Field("enrolment", "count"),
    Field("public", "bool"),
    Field("district_id", "id"),
    Field("opened", "year"),
    Field("closing", "year"),
    Field("name_en", "text"),
    Field("synthetic", "bool", default=False),
    # the resources the balance criteria of county readiness read (优质均衡: teachers,
    # rooms, grounds, equipment; xuewei.planning.readiness.balance.ATTRIBUTES): numbers,
    # checked like the others where given, and left absent where not
    *(
        Field(name, "number", when_given=True)
        for name in (
            "teachers_above_qualification",
            "backbone_teachers",
            "pe_arts_teachers",
            "teaching_rooms_m2",
            "sports_ground_m2",
            "equipment_value_yuan",
            "multimedia_classrooms",
        )
    ),
)


def _check_schools(
    raw: pd.DataFrame, table: pd.DataFrame, rows: npt.NDArray[np.int64], log: ProblemLog
) -> None:
    check_unique(table, ["school_id"], rows, log, noun="school")
    opened = table["opened"].to_numpy(dtype="float64", na_value=np.nan)
    closing = table["closing"].to_numpy(dtype="float64", na_value=np.nan)
    for i in np.flatnonzero(closing < opened):
        log.add(
            f"got closing {int(closing[i])} before opened {int(opened[i])}; a school closes "
            "after it opens.",
            row=int(rows[i]),
            column="closing",
            kind="closing",
        )


def read_schools(
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
    r"""Read schools as points.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile, or CSV/XLSX with longitude/latitude columns.
    layer
        The layer to read when a vector file has several.
    sheet
        For XLSX: the sheet name or 0-based position; default the first sheet.
    coords
        Datum of the coordinates: ``wgs84``, ``cgcs2000``, ``gcj02`` or ``bd09``.
    crs
        Output CRS (e.g. the plan's projected CRS); ``None`` gives EPSG:4326.
    lon, lat
        Names of the coordinate columns of a table; by default ``lon``/``lng``/
        ``longitude``/``经度`` and ``lat``/``latitude``/``纬度``. The columns are not kept:
        the geometry carries the location (converted to WGS84 / ``crs``).
    repair
        Fix invalid school-ground polygons with ``shapely.make_valid``.
    encoding
        Text encoding of a Shapefile's attributes when its ``.cpg`` is missing.

    Returns
    -------
    geopandas.GeoDataFrame
        ``school_id``, ``name``, ``level`` (``primary``/``junior``/``nine_year``/
        ``kindergarten``), ``capacity``, ``classes``, ``enrolment`` (``Int64``), ``public``,
        ``synthetic`` (``boolean``), ``district_id``, ``opened``, ``closing`` (``Int64``),
        ``name_en``, other attributes as read, and point ``geometry``. School-ground
        polygons are replaced by their ``representative_point()``.

    Raises
    ------
    InputError
        Listing every problem: missing columns or values, unknown levels, non-numeric or
        negative numbers, duplicate ids, missing or wrong geometries, coordinates out of
        range, swapped, or outside China for a Chinese datum.
    CRSError
        When a vector file has no CRS, or GCJ-02/BD-09 is declared for a projected file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "schools.csv"
    >>> _ = f.write_text("school_id,name,level,capacity,经度,纬度\n"
    ...                  "S1,育英小学,完全小学,1800,112.98,28.19\n", encoding="gbk")
    >>> s = read_schools(f, coords="gcj02")
    >>> s.loc[0, "level"], int(s.loc[0, "capacity"]), round(s.geometry[0].x, 3)
    ('primary', 1800, 112.974)
    """
    return read_features(
        path,
        fields=SCHOOL_FIELDS,
        geometry="point",
        noun="school",
        layer=layer,
        sheet=sheet,
        coords=coords,
        crs=crs,
        lon=lon,
        lat=lat,
        repair=repair,
        encoding=encoding,
        check=_check_schools,
    )
