"""The GeoPackage of a run: every layer and table, with pinned timestamps (byte-stable)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from xuewei.outputs.atomic import atomic_path, write_failure
from xuewei.outputs.tables import districts_layer, estates_layer, plan_table, schools_layer
from xuewei.pipeline import PlanResult

__all__ = ["write_geopackage"]


def _for_gpkg(frame: pd.DataFrame) -> pd.DataFrame:
    """GeoPackage has no nullable booleans or pandas string arrays: make them plain."""
    out = frame.to_crs(4326) if isinstance(frame, gpd.GeoDataFrame) else frame.copy()
    geometry = out.geometry.name if isinstance(out, gpd.GeoDataFrame) else None
    for col in out.columns:
        if col == geometry:
            continue
        dtype = out[col].dtype
        if isinstance(dtype, pd.BooleanDtype):
            out[col] = out[col].astype("Int8")
        elif isinstance(dtype, pd.StringDtype):
            out[col] = out[col].astype(object)
    return out


def write_geopackage(result: PlanResult, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the layers ``districts``, ``schools``, ``estates``, ``catchments`` and ``gaps``.

    Geometry layers are in EPSG:4326. Schools carry the demand assigned to them per level
    in the base year and at the horizon; estates carry their school, distance and unserved
    residents per level (see :func:`schools_layer`, :func:`estates_layer`).

    ``gaps`` is a table without geometry (the tidy gap table of every district, year, level
    and scenario), so that a saved result can be re-drawn for any scenario and year
    (``xuewei map``) and joined to ``districts`` in QGIS; so is ``cohort`` (cohort-based
    beside per-thousand demand), when the population gives births and ages, and ``reach``
    (residents served, in reach of a full school, or out of reach, per level, year,
    district and settlement), when catchments were assessed; ``readiness`` (one row per
    county: ready by its target year or not, what is missing) and ``readiness_detail``
    (county × criterion), when readiness was assessed; ``programme`` (the build
    programme: places opening per scenario, district, level and year; ``xuewei
    programme`` prints it).
    """
    layers: dict[str, pd.DataFrame] = {
        "districts": districts_layer(result),
        "schools": schools_layer(result),
    }
    estates = estates_layer(result)
    if estates is not None:
        layers["estates"] = estates
    if result.catchments:
        layers["catchments"] = result.catchment_polygons
        layers["reach"] = result.reach()
    if result.proposals is not None:
        layers["proposals"] = result.proposals
    if result.programme is not None:
        layers["programme"] = result.programme
    layers["gaps"] = result.gaps
    if result.readiness is not None:  # per county, and per county and criterion
        layers["readiness"] = result.readiness.summary
        layers["readiness_detail"] = result.readiness.table
    if result.cohort is not None:
        layers["cohort"] = result.cohort
    layers["plan"] = plan_table(result)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    # pin the layer timestamps so identical runs give identical files
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00Z"})
    try:
        with atomic_path(path, overwrite=overwrite) as tmp:
            for name, frame in layers.items():
                try:
                    pyogrio.write_dataframe(
                        _for_gpkg(frame), tmp, layer=name, driver="GPKG", append=tmp.exists()
                    )
                except (DataSourceError, DataLayerError) as exc:  # GDAL's words for ENOSPC
                    raise write_failure(path, exc) from exc
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return Path(path)
