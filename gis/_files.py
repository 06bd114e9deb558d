"""Input files: the path of an input checked against the formats its reader accepts.

This module owns what every reader does first: refuse a missing path, a folder or an
unsupported file type with one :class:`~xuewei.errors.InputError` that names the file and
the formats accepted, and the table of formats (tables, vector layers, rasters) by suffix.
"""

from __future__ import annotations

from pathlib import Path

from xuewei.errors import InputError, Problem

__all__ = ["RASTER_FORMATS", "TABLE_FORMATS", "VECTOR_FORMATS", "PathLike", "check_path", "fail"]

PathLike = str | Path

#: Vector formats by suffix, read with pyogrio.
VECTOR_FORMATS = {
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".shp": "Shapefile",
    ".parquet": "GeoParquet",
}
#: Table formats by suffix (points as longitude/latitude columns).
TABLE_FORMATS = {".csv": "CSV", ".xlsx": "Excel"}
#: Raster formats by suffix.
RASTER_FORMATS = {".tif": "GeoTIFF", ".tiff": "GeoTIFF"}


def fail(source: str, message: str) -> InputError:
    """Return an :class:`~xuewei.errors.InputError` with one file-level problem."""
    return InputError([Problem(source, message)])


def check_path(path: PathLike, formats: dict[str, str], *, what: str) -> Path:
    """Return ``path`` as a :class:`~pathlib.Path` of an existing file of one of ``formats``."""
    p = Path(path)
    if p.suffix.lower() not in formats:
        accepted = ", ".join(sorted(formats))
        raise fail(
            p.name,
            f"unsupported file type {p.suffix or '(none)'!r} for {what}; use one of "
            f"{accepted}"
            + (" (save Excel 97-2003 .xls files as .xlsx)" if p.suffix.lower() == ".xls" else "")
            + ".",
        )
    if not p.exists():
        raise fail(p.name, f"file not found at {p.resolve()}; check the path.")
    if p.is_dir():
        raise fail(p.name, f"{p.resolve()} is a folder; give the path of a file.")
    return p
