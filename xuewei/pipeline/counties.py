"""County partitions of national layers, and the manifest a batch run reads.

A national run plans every county on its own (:mod:`xuewei.pipeline.batch`). Its input is
a *manifest*: a table ``county_id`` → ``plan`` (the county's plan file), or a folder of
county folders each holding a ``plan.toml``. :func:`partition_counties` makes such a folder
from national layers: one folder per county (``county_id=990001/``, the Hive partition
layout) with the county's districts, schools and estates as GeoParquet, its population
history as CSV, a ``plan.toml``, and — the *margin* — the schools of the neighbouring
counties that lie within the longest service radius of its border
(``neighbour_schools.parquet``), so that residents near a border may be assigned to a
school over it, exactly as if the whole country were planned at once.
:func:`read_manifest` reads either form.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei import gis
from xuewei.data import Standards, load_standards
from xuewei.errors import ConfigError, InputError, Problem
from xuewei.outputs.atomic import atomic_path

__all__ = ["MANIFEST_COLUMNS", "county_margin_m", "partition_counties", "read_manifest"]

#: Columns of a manifest: the county, its names and its plan file.
MANIFEST_COLUMNS = ("county_id", "name", "name_en", "plan")


def county_margin_m(standards: Standards, levels: tuple[str, ...] = ("primary", "junior")) -> float:
    """Return the margin around a county: its levels' longest service radius, in metres.

    A resident is assigned only to schools within the service radius (walking distance,
    never shorter than the straight line), so the schools within this distance of a
    county's border are every school over the border its residents can reach.

    Examples
    --------
    >>> county_margin_m(load_standards())
    4000.0
    """
    return max(
        standards.service_radius_m(level, settlement)  # type: ignore[arg-type]
        for level in levels
        for settlement in ("urban", "rural")
    )


def partition_counties(
    districts: gpd.GeoDataFrame,
    population: pd.DataFrame,
    out_dir: str | Path,
    *,
    schools: gpd.GeoDataFrame | None = None,
    estates: gpd.GeoDataFrame | None = None,
    counties: pd.DataFrame | None = None,
    horizon: int = 2035,
    data_note: str | None = None,
    plan_extra: str = "",
    margin_m: float | None = None,
    county_col: str = "county_id",
    overwrite: bool = False,
) -> pd.DataFrame:
    """Write national layers as one plan folder per county, with neighbours' schools.

    Parameters
    ----------
    districts
        Every district of the country with ``district_id``, ``name`` and ``county_col``.
    population
        Tidy population history with ``district_id`` and ``county_col`` (a county's total
        rows have ``district_id`` = its county id).
    out_dir
        The folder: ``county_id=<id>/`` per county and ``manifest.csv``.
    schools, estates
        Points with ``county_col``; each county gets its own, and the schools of other
        counties within ``margin_m`` of its districts as ``neighbour_schools``.
    counties
        ``county_id``, ``name``, ``name_en`` (default: the ids).
    horizon, data_note
        The ``[plan]`` values of every county's plan file.
    plan_extra
        TOML text appended to every plan file (``[standards]``, ``[catchments]``).
    margin_m
        Default :func:`county_margin_m` of the standards in force.
    county_col
        The column naming the county in every layer.
    overwrite
        Replace existing files.

    Returns
    -------
    pandas.DataFrame
        The manifest written (``county_id``, ``name``, ``name_en``, ``plan`` relative to
        ``out_dir``), one row per county sorted by id.
    """
    out = Path(out_dir)
    margin = county_margin_m(load_standards()) if margin_m is None else float(margin_m)
    for name, frame in (("districts", districts), ("population", population)):
        if county_col not in frame:
            raise ConfigError(f"{name}: no column {county_col!r}; expected the county of every row")
    ids = sorted(districts[county_col].astype(str).unique())
    names = _county_names(ids, counties)
    world = _layers_4326(districts, schools, estates)
    school_index = world["schools"].sindex if world["schools"] is not None else None
    rows = []
    for cid in ids:
        folder = out / f"{county_col}={cid}"
        own = {k: _of(v, county_col, cid) for k, v in world.items()}
        pop = population[population[county_col].astype(str) == cid]
        files = _write_county(folder, own, pop, overwrite=overwrite)
        if school_index is not None and world["schools"] is not None:
            near = _neighbours(own["districts"], world["schools"], school_index, margin)
            near = near[near[county_col].astype(str) != cid]
            if len(near):
                files["neighbour_schools"] = _parquet(near, folder, "neighbour_schools", overwrite)
        plan = _plan_text(names[cid], horizon, data_note, files, plan_extra, margin)
        with atomic_path(folder / "plan.toml", overwrite=overwrite) as tmp:
            tmp.write_text(plan, encoding="utf-8")
        rows.append({**names[cid], "plan": f"{folder.name}/plan.toml"})
    manifest = pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))
    with atomic_path(out / "manifest.csv", overwrite=overwrite) as tmp:
        manifest.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    return manifest


def _county_names(ids: list[str], counties: pd.DataFrame | None) -> dict[str, dict[str, str]]:
    known: dict[str, dict[Any, Any]] = {}
    if counties is not None:
        known = {str(r["county_id"]): dict(r) for r in counties.to_dict("records")}
    return {
        cid: {
            "county_id": cid,
            "name": str(known.get(cid, {}).get("name", cid)),
            "name_en": str(known.get(cid, {}).get("name_en", cid)),
        }
        for cid in ids
    }


def _layers_4326(
    districts: gpd.GeoDataFrame, schools: gpd.GeoDataFrame | None, estates: gpd.GeoDataFrame | None
) -> dict[str, gpd.GeoDataFrame | None]:
    """Return the layers in longitude/latitude (EPSG:4326), as the plan files declare them."""
    return {
        "districts": districts.to_crs(4326),
        "schools": None if schools is None else schools.to_crs(4326).reset_index(drop=True),
        "estates": None if estates is None else estates.to_crs(4326),
    }


def _of(frame: gpd.GeoDataFrame | None, col: str, cid: str) -> gpd.GeoDataFrame | None:
    if frame is None:
        return None
    if col not in frame:
        raise ConfigError(f"a layer has no column {col!r}; expected the county of every row")
    return frame[frame[col].astype(str) == cid]


def _neighbours(
    districts: gpd.GeoDataFrame, schools: gpd.GeoDataFrame, index: object, margin: float
) -> gpd.GeoDataFrame:
    """Return the schools within ``margin`` metres of the districts (in their projected CRS)."""
    crs = gis.plan_crs(districts)
    outline = districts.to_crs(crs).geometry.union_all()
    reach = gpd.GeoSeries([outline.buffer(margin)], crs=crs)
    hits = index.query(reach.to_crs(4326).iloc[0], predicate="intersects")  # type: ignore[attr-defined]
    near = schools.iloc[np.sort(hits)]
    within = near.to_crs(crs).distance(outline) <= margin
    return near[within.to_numpy()]


def _write_county(
    folder: Path,
    layers: dict[str, gpd.GeoDataFrame | None],
    population: pd.DataFrame,
    *,
    overwrite: bool,
) -> dict[str, str]:
    files = {}
    for name, frame in layers.items():
        if frame is not None:
            files[name] = _parquet(frame, folder, name, overwrite)
    with atomic_path(folder / "population.csv", overwrite=overwrite) as tmp:
        population.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    files["population"] = "population.csv"
    return files


def _parquet(frame: gpd.GeoDataFrame, folder: Path, name: str, overwrite: bool) -> str:
    with atomic_path(folder / f"{name}.parquet", overwrite=overwrite) as tmp:
        frame.reset_index(drop=True).to_parquet(tmp, index=False)
    return f"{name}.parquet"


def _plan_text(
    names: dict[str, str],
    horizon: int,
    data_note: str | None,
    files: dict[str, str],
    extra: str,
    margin: float,
) -> str:
    lines = [
        f"# one county of a national run; neighbour_schools: schools within {margin:g} m",
        "[plan]",
        f"name = {json.dumps(names['name'], ensure_ascii=False)}",
        f"name_en = {json.dumps(names['name_en'], ensure_ascii=False)}",
        f"horizon = {int(horizon)}",
    ]
    if data_note:
        lines.append(f"data_note = {json.dumps(data_note, ensure_ascii=False)}")
    lines += ["", "[inputs]"]
    order = ["districts", "population", "schools", "estates", "neighbour_schools"]
    lines += [f'{k} = "{files[k]}"' for k in order if k in files]
    return "\n".join(lines) + "\n" + (f"\n{extra.strip()}\n" if extra.strip() else "")


def read_manifest(source: str | Path) -> pd.DataFrame:
    """Read the counties of a national run: a manifest table, or a folder of plan folders.

    Parameters
    ----------
    source
        A manifest (``.csv``, ``.xlsx`` or ``.parquet``) with ``county_id`` and ``plan``
        (a plan file, relative to the manifest) and optionally ``name``, ``name_en``; or a
        folder holding ``manifest.csv``, or else one folder per county with a
        ``plan.toml`` (the county id is the folder's name, without a ``county_id=``
        prefix).

    Returns
    -------
    pandas.DataFrame
        ``county_id``, ``name``, ``name_en``, ``plan`` (absolute path), sorted by id.

    Raises
    ------
    InputError
        A manifest without its columns, a county listed twice, or no county at all.
    """
    src = Path(source)
    if src.is_dir() and (src / "manifest.csv").is_file():
        src = src / "manifest.csv"
    if src.is_dir():
        plans = sorted(src.glob("*/plan.toml"))
        table = pd.DataFrame(
            {
                "county_id": [p.parent.name.split("=")[-1] for p in plans],
                "plan": [str(p.resolve()) for p in plans],
            }
        )
        where = src.name
    else:
        table = gis.read_table(src) if src.suffix.lower() != ".parquet" else pd.read_parquet(src)
        where = src.name
        missing = [c for c in ("county_id", "plan") if c not in table]
        if missing:
            raise InputError(
                [
                    Problem(where, f"no column {c!r}; a manifest lists county_id and plan")
                    for c in missing
                ]
            )
        table = table.assign(plan=[str((src.parent / str(p)).resolve()) for p in table["plan"]])
    if table.empty:
        raise InputError([Problem(where, "no county: expected county_id=…/plan.toml folders")])
    table["county_id"] = table["county_id"].astype(str)
    for col in ("name", "name_en"):
        if col not in table:
            table[col] = table["county_id"]
        table[col] = table[col].fillna(table["county_id"]).astype(str)
    twice = table["county_id"][table["county_id"].duplicated()].tolist()
    if twice:
        raise InputError(
            [
                Problem(
                    where, f"county_id {c!r} listed twice; one plan per county", column="county_id"
                )
                for c in sorted(set(twice))
            ]
        )
    cols = list(MANIFEST_COLUMNS)
    return table[cols].sort_values("county_id", kind="stable").reset_index(drop=True)
