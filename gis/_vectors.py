"""Vector layers: GeoPackage, GeoJSON and Shapefile read with pyogrio, with their CRS.

This module owns opening a vector file (choosing its layer, its attribute encoding),
restoring the contract column names a Shapefile cut to 10 characters, and finding the
layer's CRS (GeoJSON without one is WGS84 by RFC 7946; any other file without one is a
:class:`~xuewei.errors.CRSError` that says how to set it in QGIS).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import pyproj

from xuewei.errors import CRSError

from ._files import VECTOR_FORMATS, fail
from .crs import MAP_CRS
from .validate import Field

__all__ = ["read_vector", "untruncate", "vector_crs"]


def read_vector(p: Path, layer: str | int | None, encoding: str | None) -> gpd.GeoDataFrame:
    """Read one layer of a vector file (``layer`` may be omitted when it has one)."""
    source = p.name
    kind = VECTOR_FORMATS[p.suffix.lower()]
    if kind == "GeoParquet":  # one layer per file; read with pyarrow (no GDAL driver needed)
        try:
            return gpd.read_parquet(p)
        except Exception as exc:  # pyarrow's and geopandas' errors alike
            raise fail(source, f"cannot read as {kind} ({exc}).") from None
    try:
        layers = [str(name) for name in pyogrio.list_layers(p)[:, 0]]
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise fail(source, f"cannot open as {kind} ({exc}).") from None
    if layer is None and len(layers) > 1:
        raise fail(
            source,
            f"the file has {len(layers)} layers ({', '.join(layers)}); pass layer= to choose one.",
        )
    if isinstance(layer, str) and layer not in layers:
        raise fail(source, f"no layer {layer!r}; the file has layers {', '.join(layers)}.")
    kwargs: dict[str, Any] = {}
    if encoding is not None:
        kwargs["encoding"] = encoding
    try:
        frame = pyogrio.read_dataframe(p, layer=layer, **kwargs)
    except Exception as exc:
        raise fail(source, f"cannot read as {kind} ({exc}).") from None
    if not isinstance(frame, gpd.GeoDataFrame):
        raise fail(source, "the layer has no geometry; expected points or polygons.")
    return frame


def untruncate(attrs: pd.DataFrame, fields: tuple[Field, ...]) -> pd.DataFrame:
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


def vector_crs(frame: gpd.GeoDataFrame, p: Path) -> pyproj.CRS:
    """Return the CRS of a layer read from ``p``; raise :class:`CRSError` when it has none."""
    if frame.crs is not None:
        return pyproj.CRS.from_user_input(frame.crs)
    if VECTOR_FORMATS[p.suffix.lower()] == "GeoJSON":
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
