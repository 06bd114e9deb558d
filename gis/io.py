"""Readers of a plan's inputs: districts, population, schools, estates, sites, rasters.

Each reader reads one input of the data contract (DESIGN.md, "Inputs") and returns a new,
validated (Geo)DataFrame: contract columns converted to their types (see
:mod:`xuewei.gis.validate`), optional contract columns added when absent, other columns kept
as read, one output row per input row in input order. All problems of a file are reported
at once in one :class:`~xuewei.errors.InputError`; a missing or unusable CRS raises
:class:`~xuewei.errors.CRSError`.

Formats
    GeoPackage (``.gpkg``), GeoJSON (``.geojson``, ``.json``) and Shapefile (``.shp``) are
    read with pyogrio; CSV (``.csv``) and Excel (``.xlsx``) tables carry points as
    longitude/latitude columns (``lon``/``lng``/``longitude``/``经度`` and
    ``lat``/``latitude``/``纬度``, or named with ``lon=``/``lat=``). CSV files may be
    UTF-8, UTF-8 with BOM or GBK/GB18030, as Chinese Excel saves them. Shapefile field
    names are cut to 10 characters, so ``district_i``, ``completion`` and ``max_classe``
    in a ``.shp`` are read as ``district_id``, ``completion_year`` and ``max_classes``.

Rows
    Problems name the *row*: for CSV/XLSX the 1-based data row, i.e. the spreadsheet row
    minus the header (the line below the header is row 1; blank lines count, so the number
    matches what Excel shows minus one); for vector files the 1-based feature number in the
    file's order (the order QGIS's attribute table shows when unsorted). Fully empty table
    rows (as Excel leaves at the end of an export) are skipped and are not an error.

Coordinates
    ``coords`` declares the datum of the input's longitude/latitude: ``wgs84`` (default),
    ``cgcs2000`` (within centimetres of WGS84, taken as is), ``gcj02`` (Amap, Tencent) or
    ``bd09`` (Baidu). GCJ-02 and BD-09 are converted to WGS84 on read; in vector files this
    needs a geographic CRS. The result is in EPSG:4326 when ``crs`` is ``None``, else
    reprojected to ``crs`` (the plan's projected CRS, see :func:`xuewei.gis.plan_crs`).

Geometry
    Schools are points: a polygon (a school's grounds) is replaced by
    ``representative_point()``, a point guaranteed to lie inside it, computed in the output
    CRS. Estates and candidate sites keep points or polygons as given. Invalid polygons are
    an error unless ``repair=True``, which fixes them with ``shapely.make_valid`` keeping
    the polygonal parts (and logs which features were repaired).
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyogrio
import pyproj
import shapely
from affine import Affine

from xuewei.errors import CRSError, InputError, Problem

from .coords import COORDINATE_SYSTEMS, CoordinateSystem, out_of_china, to_wgs84
from .crs import MAP_CRS, parse_crs
from .validate import (
    Field,
    ProblemLog,
    cell_text,
    check_unique,
    convert_fields,
    parse_number,
    strip_cells,
)

__all__ = [
    "CANDIDATE_SITE_FIELDS",
    "DISTRICT_FIELDS",
    "ESTATE_FIELDS",
    "POPULATION_FIELDS",
    "ROAD_FIELDS",
    "SCHOOL_FIELDS",
    "PopulationRaster",
    "read_candidate_sites",
    "read_districts",
    "read_estates",
    "read_population",
    "read_population_raster",
    "read_roads",
    "read_schools",
    "read_table",
]

logger = logging.getLogger(__name__)

PathLike = str | Path
_GeometryKind = Literal["point", "polygon", "point_or_polygon", "line"]

_VECTOR_FORMATS = {
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "Shapefile",
}
_TABLE_FORMATS = {".csv": "CSV", ".xlsx": "Excel"}
_RASTER_FORMATS = {".tif": "GeoTIFF", ".tiff": "GeoTIFF"}
_CSV_ENCODINGS = ("utf-8-sig", "gb18030")
_LON_NAMES = ("lon", "lng", "longitude", "经度")
_LAT_NAMES = ("lat", "latitude", "纬度")

DISTRICT_FIELDS: tuple[Field, ...] = (
    Field("district_id", "id", required=True),
    Field("name", "text", required=True),
    Field("parent_id", "id"),
    Field("name_en", "text"),
)

POPULATION_FIELDS: tuple[Field, ...] = (
    Field("district_id", "id", required=True),
    Field("year", "year", required=True),
    Field("population", "people", required=True),
    Field("births", "people"),
    Field("age_0_2", "people"),
    Field("age_3_5", "people"),
    Field("age_6_11", "people"),
    Field("age_12_14", "people"),
    Field("age_0_14", "people"),
    Field("households", "count"),
    Field("basis", "basis", default="estimate"),
    Field("name", "text"),
    Field("source", "text"),
)

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
)

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

CANDIDATE_SITE_FIELDS: tuple[Field, ...] = (
    Field("site_id", "id", required=True),
    Field("name", "text"),
    Field("area_m2", "number"),
    Field("max_classes", "count"),
    Field("district_id", "id"),
)

ROAD_FIELDS: tuple[Field, ...] = (
    Field("road_id", "id"),
    Field("name", "text"),
    Field("speed_kmh", "number"),
    Field("oneway", "bool"),
)

_Check = Callable[[pd.DataFrame, pd.DataFrame, npt.NDArray[np.int64], ProblemLog], None]


# ----------------------------------------------------------------------------- files


def _fail(source: str, message: str) -> InputError:
    return InputError([Problem(source, message)])


def _check_path(path: PathLike, formats: dict[str, str], *, what: str) -> Path:
    p = Path(path)
    if p.suffix.lower() not in formats:
        accepted = ", ".join(sorted(formats))
        raise _fail(
            p.name,
            f"unsupported file type {p.suffix or '(none)'!r} for {what}; use one of "
            f"{accepted}"
            + (" (save Excel 97-2003 .xls files as .xlsx)" if p.suffix.lower() == ".xls" else "")
            + ".",
        )
    if not p.exists():
        raise _fail(p.name, f"file not found at {p.resolve()}; check the path.")
    if p.is_dir():
        raise _fail(p.name, f"{p.resolve()} is a folder; give the path of a file.")
    return p


def _decode_csv(data: bytes, source: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(
            source,
            "the file is UTF-16 (Excel's 'Unicode Text'); save it as 'CSV UTF-8 "
            "(comma delimited)' instead.",
        )
    for encoding in _CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _fail(
        source,
        f"cannot decode the file: tried {', '.join(_CSV_ENCODINGS)} (UTF-8 with or without "
        "BOM, GBK/GB18030); save it from Excel as 'CSV UTF-8 (comma delimited)'.",
    )


def _read_cells(p: Path, sheet: str | int | None) -> pd.DataFrame:
    """Read every cell of a CSV or XLSX file as text, header row included."""
    source = p.name
    if p.suffix.lower() == ".csv":
        text = _decode_csv(p.read_bytes(), source)
        try:
            return pd.read_csv(
                io.StringIO(text),
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
            )
        except pd.errors.EmptyDataError:
            raise _fail(source, "the file is empty; expected a header row and data.") from None
        except pd.errors.ParserError as exc:
            raise _fail(
                source,
                f"cannot parse the CSV ({str(exc).strip()}); check that every row has as "
                "many fields as the header and that quotes are closed.",
            ) from None
    sheets = _sheet_names(p)
    if (
        sheet is not None
        and sheet not in sheets
        and not (isinstance(sheet, int) and 0 <= sheet < len(sheets))
    ):
        raise _fail(source, f"no sheet {sheet!r}; the workbook has sheets {', '.join(sheets)}.")
    return pd.read_excel(
        p,
        sheet_name=0 if sheet is None else sheet,
        header=None,
        dtype=str,
        na_filter=False,
        engine="openpyxl",
    )


def _sheet_names(p: Path) -> list[str]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(p, read_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise _fail(p.name, f"cannot open the workbook ({exc}); is it a valid .xlsx?") from None
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _table_with_rows(
    p: Path, sheet: str | int | None
) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Return the data cells under the header as text and each row's 1-based data row."""
    source = p.name
    cells = _read_cells(p, sheet)
    if len(cells) == 0:
        raise _fail(source, "the file is empty; expected a header row and data.")
    header = [cell_text(v) for v in cells.iloc[0].tolist()]
    body = cells.iloc[1:].reset_index(drop=True)
    rows = np.arange(1, len(body) + 1, dtype=np.int64)
    body = body.apply(lambda col: pd.Series(strip_cells(col), index=col.index, dtype="str"))
    empty_cells = body.isna()
    keep_cols = [
        j for j, name in enumerate(header) if name is not None or not empty_cells.iloc[:, j].all()
    ]
    names = [header[j] or f"column_{j + 1}" for j in keep_cols]
    seen: dict[str, int] = {}
    problems = []
    for j, name in zip(keep_cols, names, strict=True):
        if name in seen:
            problems.append(
                Problem(
                    source,
                    f"column name appears twice (columns {seen[name] + 1} and {j + 1}); "
                    "rename one of them.",
                    column=name,
                )
            )
        else:
            seen[name] = j
    if problems:
        raise InputError(problems)
    body = body.iloc[:, keep_cols]
    body.columns = pd.Index(names)
    if len(body):
        blank = empty_cells.iloc[:, keep_cols].all(axis=1).to_numpy()
        body = body.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    return body, rows


def read_table(path: PathLike, *, sheet: str | int | None = None) -> pd.DataFrame:
    r"""Read a CSV or XLSX table with every cell as text.

    Identifiers keep their leading zeros (``"430102"``, ``"0731"``), because nothing is
    converted: readers of the contract inputs convert column by column afterwards, with
    row-precise errors. Cells are stripped; empty cells are missing (``NaN``). Fully empty
    rows are skipped.

    Parameters
    ----------
    path
        A ``.csv`` (UTF-8, UTF-8 with BOM, or GBK/GB18030) or ``.xlsx`` file.
    sheet
        For XLSX: the sheet name or 0-based position; default the first sheet.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty data row, columns named by the header, ``str`` dtype.

    Raises
    ------
    InputError
        When the file is missing, of another type, undecodable, unparsable, or its header
        repeats a column name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "pop.csv"
    >>> _ = f.write_text("district_id,year\n430102,2020\n", encoding="gbk")
    >>> read_table(f)["district_id"].tolist()
    ['430102']
    """
    p = _check_path(path, _TABLE_FORMATS, what="a table")
    body, _ = _table_with_rows(p, sheet)
    return body


def _read_vector(p: Path, layer: str | int | None, encoding: str | None) -> gpd.GeoDataFrame:
    source = p.name
    kind = _VECTOR_FORMATS[p.suffix.lower()]
    try:
        layers = [str(name) for name in pyogrio.list_layers(p)[:, 0]]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise _fail(source, f"cannot open as {kind} ({exc}).") from None
    if layer is None and len(layers) > 1:
        raise _fail(
            source,
            f"the file has {len(layers)} layers ({', '.join(layers)}); pass layer= to choose one.",
        )
    if isinstance(layer, str) and layer not in layers:
        raise _fail(source, f"no layer {layer!r}; the file has layers {', '.join(layers)}.")
    kwargs: dict[str, Any] = {}
    if encoding is not None:
        kwargs["encoding"] = encoding
    try:
        frame = pyogrio.read_dataframe(p, layer=layer, **kwargs)
    except Exception as exc:
        raise _fail(source, f"cannot read as {kind} ({exc}).") from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise _fail(source, "the layer has no geometry; expected points or polygons.")
    return frame


def _untruncate(attrs: pd.DataFrame, fields: tuple[Field, ...]) -> pd.DataFrame:
    """Restore contract names that the Shapefile format cut to 10 characters.

    ``district_id`` is stored as ``district_i``; the cut name of a contract column is
    unambiguous, so it is renamed back (only when the full name is not present too).
    """
    renames = {
        f.name[:10]: f.name
        for f in fields
        if len(f.name) > 10 and f.name[:10] in attrs.columns and f.name not in attrs.columns
    }
    return attrs.rename(columns=renames) if renames else attrs


def _vector_crs(frame: gpd.GeoDataFrame, p: Path) -> pyproj.CRS:
    if frame.crs is not None:
        return pyproj.CRS.from_user_input(frame.crs)
    if _VECTOR_FORMATS[p.suffix.lower()] == "GeoJSON":
        return MAP_CRS  # RFC 7946: GeoJSON is WGS84 longitude/latitude
    fix = (
        f"add the missing {p.stem}.prj file"
        if p.suffix.lower() == ".shp"
        else "set the layer's CRS"
    )
    raise CRSError(
        f"{p.name} has no coordinate reference system; {fix} (QGIS: Layer ▸ Set Layer CRS, "
        "then Export ▸ Save Features As) so that its coordinates can be placed."
    )


# ----------------------------------------------------------------------------- geometry


def _find_coordinate_column(
    columns: Sequence[str],
    explicit: str | None,
    names: tuple[str, ...],
    what: str,
    keyword: str,
    log: ProblemLog,
) -> str | None:
    found = ", ".join(f"`{c}`" for c in columns)
    if explicit is not None:
        if explicit in columns:
            return explicit
        log.add(
            f"{keyword}={explicit!r} names no column (found: {found}).",
            column=explicit,
            kind="missing column",
        )
        return None
    hits = [c for c in columns if c.strip().lower() in names]
    if len(hits) == 1:
        return hits[0]
    if hits:
        log.add(
            f"several {what} columns ({', '.join(hits)}); pass {keyword}= to choose one.",
            column=hits[0],
            kind="missing column",
        )
    else:
        log.add(
            f"no {what} column: expected one named {', '.join(names)} (found: {found}); "
            f"rename it or pass {keyword}='column name'.",
            column=names[0],
            kind="missing column",
        )
    return None


def _coordinate_values(
    frame: pd.DataFrame, column: str, rows: npt.NDArray[np.int64], log: ProblemLog, noun: str
) -> npt.NDArray[np.float64]:
    out = np.full(len(frame), np.nan)
    for i, (value, row) in enumerate(zip(frame[column].tolist(), rows.tolist(), strict=True)):
        text = cell_text(value)
        if text is None:
            log.add(
                f"coordinate is missing; every {noun} needs a location.",
                row=row,
                column=column,
                kind="missing coordinate",
            )
            continue
        x = parse_number(text)
        if x is None:
            log.add(
                f"got {text!r}; expected decimal degrees such as 112.9388 "
                "(not degrees-minutes-seconds).",
                row=row,
                column=column,
                kind="not a number",
            )
            continue
        out[i] = x
    return out


def _check_lonlat(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    *,
    coords: str,
    xcol: str,
    ycol: str,
) -> None:
    """Record swapped, out-of-range and (for Chinese datums) outside-China coordinates."""
    known = np.isfinite(x) & np.isfinite(y)
    swapped = known & (x >= 18) & (x <= 54) & (y >= 73) & (y <= 135)
    out_of_range = known & ~swapped & ((np.abs(x) > 180) | (np.abs(y) > 90))
    outside = np.zeros(len(x), dtype=bool)
    if coords != "wgs84":
        outside = known & ~swapped & ~out_of_range & out_of_china(x, y)
    same = xcol == ycol
    for i in np.flatnonzero(swapped):
        fix = "the x coordinate must be the longitude" if same else f"swap `{xcol}` and `{ycol}`"
        log.add(
            f"longitude {x[i]:g} and latitude {y[i]:g} look swapped (China lies at longitude "
            f"73–135, latitude 18–54); {fix}.",
            row=int(rows[i]),
            column=xcol,
            kind="swapped",
        )
    for i in np.flatnonzero(out_of_range):
        log.add(
            f"got longitude {x[i]:g}, latitude {y[i]:g}; longitude must lie within −180…180 "
            "and latitude within −90…90. Projected metres? Give decimal degrees, or a "
            "GeoPackage with its CRS.",
            row=int(rows[i]),
            column=xcol,
            kind="out of range",
        )
    for i in np.flatnonzero(outside):
        log.add(
            f"({x[i]:g}, {y[i]:g}) lies outside China, but the coordinates are declared "
            f"{coords}, which exists only in China; check `coords` and the coordinates.",
            row=int(rows[i]),
            column=xcol,
            kind="outside China",
        )


_TYPE_NAMES = {
    0: "point",
    1: "line",
    2: "line (ring)",
    3: "polygon",
    4: "multipoint",
    5: "multiline",
    6: "multipolygon",
    7: "geometry collection",
}
_ALLOWED: dict[_GeometryKind, tuple[tuple[int, ...], str]] = {
    "point": ((0, 3, 6), "a point (or a polygon, replaced by a point inside it)"),
    "polygon": ((3, 6), "a polygon or multipolygon"),
    "point_or_polygon": ((0, 3, 6), "a point or a polygon"),
    "line": ((1, 2, 5), "a line or multiline"),
}


def _polygonal_part(geom: Any) -> Any:
    """Return the polygonal part of ``shapely.make_valid(geom)``, or None if it has none."""
    fixed = shapely.make_valid(geom)
    if shapely.get_type_id(fixed) in (3, 6):
        return fixed
    parts = [g for g in shapely.get_parts(fixed) if shapely.get_type_id(g) in (3, 6)]
    if not parts:
        return None
    return shapely.union_all(parts)


def _check_geometry(
    geoms: npt.NDArray[np.object_],
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    *,
    kind: _GeometryKind,
    repair: bool,
    noun: str,
    source: str,
) -> npt.NDArray[np.object_]:
    """Check presence, type and validity; return geometries (repaired when asked)."""
    geoms = geoms.copy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in np.flatnonzero(missing):
        log.add(
            f"geometry is missing; every {noun} needs a location.",
            row=int(rows[i]),
            column="geometry",
            kind="missing geometry",
        )
    types = shapely.get_type_id(geoms)
    one_point = (types == 4) & (shapely.get_num_geometries(geoms) == 1)
    if one_point.any():
        geoms[one_point] = shapely.get_geometry(geoms[one_point], 0)
        types[one_point] = 0
    allowed, expected = _ALLOWED[kind]
    wrong = ~missing & ~np.isin(types, allowed)
    for i in np.flatnonzero(wrong):
        log.add(
            f"got a {_TYPE_NAMES.get(int(types[i]), 'geometry')}; expected {expected} for "
            f"each {noun}.",
            row=int(rows[i]),
            column="geometry",
            kind="geometry type",
        )
    polygonal = ~missing & np.isin(types, (3, 6))
    invalid = polygonal & ~shapely.is_valid(geoms)
    repaired = []
    for i in np.flatnonzero(invalid):
        if repair:
            fixed = _polygonal_part(geoms[i])
            if fixed is not None:
                geoms[i] = fixed
                repaired.append(int(rows[i]))
                continue
        reason = shapely.is_valid_reason(geoms[i])
        fix = (
            "make_valid left no polygon; redraw it"
            if repair
            else "fix it in QGIS (Vector ▸ Geometry Tools ▸ Fix Geometries) or pass "
            "repair=True to fix it with shapely.make_valid"
        )
        log.add(
            f"invalid geometry ({reason}); {fix}.",
            row=int(rows[i]),
            column="geometry",
            kind="invalid geometry",
        )
    if repaired:
        logger.warning(
            "%s: repaired %d invalid geometries with shapely.make_valid (rows %s)",
            source,
            len(repaired),
            ", ".join(map(str, repaired[:20])) + (" …" if len(repaired) > 20 else ""),
        )
    return geoms


def _centres(geoms: npt.NDArray[np.object_]) -> tuple[npt.NDArray[np.float64], ...]:
    bounds = shapely.bounds(geoms)  # NaN for missing geometries
    return (bounds[:, 0] + bounds[:, 2]) / 2, (bounds[:, 1] + bounds[:, 3]) / 2, bounds


def _to_wgs84_geoms(
    geoms: npt.NDArray[np.object_], coords: CoordinateSystem
) -> npt.NDArray[np.object_]:
    def shift(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        lon, lat = to_wgs84(xy[:, 0], xy[:, 1], coords)
        return np.column_stack([lon, lat])

    return np.asarray(shapely.transform(geoms, shift), dtype=object)


# ----------------------------------------------------------------------------- core


def _read_features(
    path: PathLike,
    *,
    fields: tuple[Field, ...],
    geometry: _GeometryKind,
    noun: str,
    layer: str | int | None,
    sheet: str | int | None,
    coords: CoordinateSystem,
    crs: Any,
    lon: str | None,
    lat: str | None,
    repair: bool,
    encoding: str | None,
    check: _Check | None = None,
) -> gpd.GeoDataFrame:
    tables = geometry not in ("polygon", "line")  # lon/lat columns only make points
    formats = {**_VECTOR_FORMATS, **(_TABLE_FORMATS if tables else {})}
    p = _check_path(path, formats, what=f"{noun} data")
    source = p.name
    if coords not in COORDINATE_SYSTEMS:
        raise InputError(
            [
                Problem(
                    source,
                    f"coords={coords!r} is not a coordinate system; use one of "
                    f"{', '.join(COORDINATE_SYSTEMS)}.",
                )
            ]
        )
    out_crs = MAP_CRS if crs is None else parse_crs(crs, what=f"{source}: crs")
    log = ProblemLog(source)

    if p.suffix.lower() in _TABLE_FORMATS:
        raw, rows = _table_with_rows(p, sheet)
        columns = [str(c) for c in raw.columns]
        xcol = _find_coordinate_column(columns, lon, _LON_NAMES, "longitude", "lon", log)
        ycol = _find_coordinate_column(columns, lat, _LAT_NAMES, "latitude", "lat", log)
        attrs = raw.drop(columns=[c for c in (xcol, ycol) if c is not None])
        x = _coordinate_values(raw, xcol, rows, log, noun) if xcol else np.full(len(raw), np.nan)
        y = _coordinate_values(raw, ycol, rows, log, noun) if ycol else np.full(len(raw), np.nan)
        if xcol and ycol:
            _check_lonlat(x, y, rows, log, coords=coords, xcol=xcol, ycol=ycol)
        ok = np.isfinite(x) & np.isfinite(y)
        geoms = np.full(len(raw), None, dtype=object)
        geoms[ok] = shapely.points(x[ok], y[ok])
        src_crs = MAP_CRS
    else:
        frame = _read_vector(p, layer, encoding)
        src_crs = _vector_crs(frame, p)
        if coords in ("gcj02", "bd09") and not src_crs.is_geographic:
            raise CRSError(
                f"{source} is in a projected CRS ({src_crs.name}) but its coordinates are "
                f"declared {coords}; GCJ-02/BD-09 are longitude/latitude, so give the file in "
                "longitude/latitude (EPSG:4326) or declare coords='wgs84'/'cgcs2000'."
            )
        rows = np.arange(1, len(frame) + 1, dtype=np.int64)
        attrs = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if p.suffix.lower() == ".shp":
            attrs = _untruncate(attrs, fields)
        geoms = np.asarray(frame.geometry.array, dtype=object)

    table = convert_fields(attrs, fields, rows, log, noun=noun)
    if check is not None:
        check(attrs, table, rows, log)
    if p.suffix.lower() in _VECTOR_FORMATS:
        geoms = _check_geometry(
            geoms, rows, log, kind=geometry, repair=repair, noun=noun, source=source
        )
        cx, cy, bounds = _centres(geoms)
        if src_crs.is_geographic:
            _check_lonlat(cx, cy, rows, log, coords=coords, xcol="geometry", ycol="geometry")
            # a centre in range can hide a vertex out of range
            corner = (
                np.isfinite(cx)
                & (np.abs(cx) <= 180)
                & (np.abs(cy) <= 90)
                & (
                    (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1)
                    | (np.abs(bounds[:, [1, 3]]) > 90).any(axis=1)
                )
            )
            for i in np.flatnonzero(corner):
                log.add(
                    f"extends to ({bounds[i, 0]:g}, {bounds[i, 1]:g}, {bounds[i, 2]:g}, "
                    f"{bounds[i, 3]:g}), beyond longitude −180…180 or latitude −90…90; "
                    "fix the stray vertices.",
                    row=int(rows[i]),
                    column="geometry",
                    kind="out of range",
                )
        else:
            _check_projected(cx, cy, rows, log, src_crs)
    log.raise_if_any()

    if coords in ("gcj02", "bd09"):
        geoms = _to_wgs84_geoms(geoms, coords)
        src_crs = MAP_CRS
    result = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geoms, index=table.index), crs=src_crs)
    if not src_crs.equals(out_crs):
        result = result.to_crs(out_crs)
    if geometry == "point":
        result = result.set_geometry(result.geometry.representative_point())
    result.index = pd.RangeIndex(len(result))
    return result


def _check_projected(
    cx: npt.NDArray[np.float64],
    cy: npt.NDArray[np.float64],
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    src_crs: pyproj.CRS,
) -> None:
    """Catch a wrong CRS label: projected features that land outside China."""
    known = np.isfinite(cx) & np.isfinite(cy)
    if not known.any():
        return
    transformer = pyproj.Transformer.from_crs(src_crs, MAP_CRS, always_xy=True)
    lon, lat = transformer.transform(cx, cy, errcheck=False)
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    bad = known & (~np.isfinite(lon) | ~np.isfinite(lat) | out_of_china(lon, lat))
    for i in np.flatnonzero(bad):
        log.add(
            f"({cx[i]:.1f}, {cy[i]:.1f}) in the file's CRS {src_crs.name} lies at "
            f"({lon[i]:.4f}, {lat[i]:.4f}), outside China; the file's CRS is probably "
            "wrong (e.g. degrees labelled as metres, or a missing zone prefix) — set the "
            "right one in QGIS.",
            row=int(rows[i]),
            column="geometry",
            kind="outside China",
        )


# ----------------------------------------------------------------------------- readers


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

    return _read_features(
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


def read_population(path: PathLike, *, sheet: str | int | None = None) -> pd.DataFrame:
    r"""Read population per district and year (one row per district and year).

    Rows for a parent id (a city total) are accepted: which ids are districts is known only
    with the district layer.

    Parameters
    ----------
    path
        CSV or XLSX with ``district_id``, ``year``, ``population`` and optionally
        ``births``, ``age_0_2``, ``age_3_5``, ``age_6_11``, ``age_12_14``, ``households``,
        ``basis`` (``census``/``estimate``; also 普查, 统计, 年末; default ``estimate``),
        ``name``, ``source``.
    sheet
        For XLSX: the sheet name or 0-based position; default the first sheet.

    Returns
    -------
    pandas.DataFrame
        Residents and cohorts as ``float64`` (estimates may be fractional), ``year`` as
        ``int64``, ``households`` as ``Int64``, ``district_id`` as ``str``.

    Raises
    ------
    InputError
        Listing every problem: missing columns or values, non-numeric or negative numbers,
        non-integer years, a repeated (district_id, year).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "population.csv"
    >>> _ = f.write_text("district_id,year,population,basis\n430102,2020,"
    ...                  "560000,普查\n", encoding="utf-8-sig")
    >>> read_population(f)[["district_id", "year", "population", "basis"]].values.tolist()
    [['430102', 2020, 560000.0, 'census']]
    """
    p = _check_path(path, _TABLE_FORMATS, what="population")
    raw, rows = _table_with_rows(p, sheet)
    log = ProblemLog(p.name)
    table = convert_fields(raw, POPULATION_FIELDS, rows, log, noun="row")
    check_unique(table, ["district_id", "year"], rows, log, noun="district and year")
    log.raise_if_any()
    table.index = pd.RangeIndex(len(table))
    return table


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
    return _read_features(
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


def _check_estates(
    raw: pd.DataFrame, table: pd.DataFrame, rows: npt.NDArray[np.int64], log: ProblemLog
) -> None:
    check_unique(table, ["estate_id"], rows, log, noun="estate")
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

    Parameters are those of :func:`read_schools`. Each estate needs ``residents`` or
    ``dwellings`` (or both).

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
        Listing every problem (as :func:`read_schools`; also an estate with neither
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
    return _read_features(
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

    Parameters are those of :func:`read_schools`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``site_id``, ``name``, ``area_m2`` (``float64``), ``max_classes`` (``Int64``),
        ``district_id``, other attributes as read, and ``geometry``: points or polygons.

    Raises
    ------
    InputError
        Listing every problem (as :func:`read_schools`).
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

    return _read_features(
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

    return _read_features(
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


# ----------------------------------------------------------------------------- rasters


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

    p = _check_path(path, _RASTER_FORMATS, what="a population raster")
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
        raise _fail(source, f"cannot read as GeoTIFF ({exc}).") from None
    if count != 1:
        raise _fail(
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
    for mask, what, fix in (
        (negative, "negative residents", "set them to 0 or to the nodata value"),
        (infinite, "infinite values", "set them to 0 or to the nodata value"),
    ):
        if mask.any():
            r, c = (int(v) for v in np.argwhere(mask)[0])
            problems.append(
                Problem(
                    source,
                    f"{int(mask.sum())} cells have {what}, the first at row {r}, column {c} "
                    f"(0-based), value {data[r, c]:g}; residents per cell must be ≥ 0 — "
                    f"{fix}.",
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
