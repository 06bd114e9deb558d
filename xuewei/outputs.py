"""Writers for a plan's results: GeoPackage, Excel report, forecast CSV, HTML map.

Every file is written atomically — to a temporary file beside it, then renamed into place
— so a crash never leaves a half-written output, and an existing output is replaced only
when asked (``overwrite=True``). Outputs are deterministic: GeoPackage timestamps are pinned
(GDAL's ``OGR_CURRENT_DATE``) and the workbook's zip entries and properties carry a fixed
date, so the same inputs give byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from xuewei import maps
from xuewei.errors import OutputExistsError
from xuewei.maps.plan_map import Lang
from xuewei.pipeline import PlanResult
from xuewei.planning import COMPULSORY

__all__ = [
    "OUTPUT_FILES",
    "MapOptions",
    "atomic_path",
    "forecast_table",
    "redraw_map",
    "write_forecast_csv",
    "write_geopackage",
    "write_map",
    "write_outputs",
    "write_report",
    "write_static_map",
]

#: The files :func:`write_outputs` writes into the output folder.
OUTPUT_FILES = ("plan.gpkg", "report.xlsx", "forecast.csv", "plan.html")
_FIXED_DATE = dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
_W3CDTF = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")

# Bilingual column headers of the Excel report (Chinese first: the meeting reads Chinese).
HEADERS: dict[str, str] = {
    "district_id": "区县代码 District ID",
    "name": "名称 Name",
    "name_en": "英文名 English name",
    "year": "年份 Year",
    "level": "学段 Level",
    "scenario": "千人指标 Places per 1,000",
    "quantity": "指标 Quantity",
    "value": "预测值 Value",
    "lower": "下限 Lower",
    "upper": "上限 Upper",
    "kind": "类型 Kind",
    "method": "方法 Method",
    "residents": "常住人口 Residents",
    "required": "需求学位 Places required",
    "required_lower": "需求下限 Required (lower)",
    "required_upper": "需求上限 Required (upper)",
    "offered": "现有学位 Places offered",
    "gap": "学位缺口 Gap",
    "gap_lower": "缺口下限 Gap (lower)",
    "gap_upper": "缺口上限 Gap (upper)",
    "gap_per_1000": "千人缺口 Gap per 1,000",
    "school_id": "学校代码 School ID",
    "classes": "班数 Classes",
    "capacity": "设计学位 Design capacity",
    "enrolment": "在校生 Enrolment",
    "places": "学位数 Places",
    "places_basis": "学位依据 Places basis",
    "places_primary": "小学学位 Primary places",
    "places_junior": "初中学位 Junior places",
    "utilisation": "使用率 Utilisation",
    "spare_places": "剩余学位 Spare places",
    "avg_class_size": "平均班额 Average class size",
    "over_capacity": "超容量 Over capacity",
    "big_class": "大班额 Big classes",
    "class_size_band": "班额等级 Class-size band",
    "big_school": "大校额 Big school",
    "public": "公办 Public",
    "opened": "建成年份 Opened",
    "closing": "撤并年份 Closing",
    "synthetic": "合成数据 Synthetic",
    "estate_id": "小区代码 Estate ID",
    "dwellings": "住宅套数 Dwellings",
    "households": "户数 Households",
    "completion_year": "建成年份 Completion year",
    "unserved": "未覆盖 Unserved",
    "unserved_residents": "未覆盖人口 Unserved residents",
    "unserved_share": "未覆盖比例 Unserved share",
    "assigned": "已分配人口 Assigned residents",
    "within_radius": "服务半径内 Within radius",
    "distance_m": "距离(米) Distance m",
    "demand": "分配需求学位 Assigned demand",
    "school_level": "学校类型 School type",
    "over_capacity_enrolment": "在校生超容量 Over capacity (enrolment)",
    "per_thousand_demand": "千人指标需求 Per-1,000 demand",
    "cohort_demand": "学龄人口需求 Cohort demand",
    "cohort_lower": "学龄下限 Cohort (lower)",
    "cohort_upper": "学龄上限 Cohort (upper)",
    "implied_per_1000": "隐含千人指标 Implied per 1,000",
    "difference": "差额 Cohort − per-1,000",
    "proposal_id": "建议编号 Proposal ID",
    "site_id": "选址 Site",
    "receiver_ids": "接收学校 Receiving school(s)",
    "served_estates": "服务小区 Estates served",
    "pupils_moved": "转移学生 Pupils moved",
    "rationale_zh": "理由 Rationale (中文)",
    "rationale_en": "理由 Rationale (English)",
    "lon": "经度 Longitude",
    "lat": "纬度 Latitude",
}
_LEVEL_NAMES = {
    "primary": "小学 Primary",
    "junior": "初中 Junior",
    "nine_year": "九年一贯制 Nine-year",
    "kindergarten": "幼儿园 Kindergarten",
    COMPULSORY: "义务教育 Compulsory",
}


@contextlib.contextmanager
def atomic_path(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    Parameters
    ----------
    path
        The final file.
    overwrite
        Replace an existing file; otherwise :class:`~xuewei.errors.OutputExistsError`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise OutputExistsError(f"{path} exists; pass overwrite=True (CLI: --overwrite)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_outputs(
    result: PlanResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    map_options: MapOptions | None = None,
) -> dict[str, Path]:
    """Write every output of a plan run into ``out_dir``.

    Parameters
    ----------
    result
        A :class:`~xuewei.pipeline.PlanResult`.
    out_dir
        The folder; created if needed.
    overwrite
        Replace existing outputs. Without it, nothing is written if any output exists.
    map_options
        How the map is drawn (offline, base map, language, a PNG too).

    Returns
    -------
    dict
        Output name → path: ``gpkg``, ``report``, ``forecast``, ``map`` (and ``png``).
    """
    options = map_options or MapOptions()
    out = Path(out_dir)
    paths = {
        "gpkg": out / "plan.gpkg",
        "report": out / "report.xlsx",
        "forecast": out / "forecast.csv",
        "map": out / "plan.html",
    }
    if options.png:
        paths["png"] = out / "plan.png"
    if not overwrite:
        existing = [str(p) for p in paths.values() if p.exists()]
        if existing:
            raise OutputExistsError(
                f"outputs exist: {', '.join(existing)}; pass overwrite=True (CLI: --overwrite)"
            )
    write_geopackage(result, paths["gpkg"], overwrite=overwrite)
    write_report(result, paths["report"], overwrite=overwrite)
    write_forecast_csv(result, paths["forecast"], overwrite=overwrite)
    write_map(result, paths["map"], overwrite=overwrite, options=options)
    if options.png:
        write_static_map(result, paths["png"], overwrite=overwrite, options=options)
    return paths


def forecast_table(result: PlanResult) -> pd.DataFrame:
    """Tabulate residents and required places per district, year, level and scenario (tidy).

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``quantity`` (``residents`` or ``required_places``),
        ``level`` (``all`` for residents), ``scenario`` (empty for residents), ``value``,
        ``lower``, ``upper``, ``kind`` (``observed``/``interpolated``/``forecast``).
    """
    res = result.residents[result.residents["year"].isin(result.years)]
    residents = pd.DataFrame(
        {
            "district_id": res["district_id"].to_numpy(),
            "year": res["year"].to_numpy(),
            "quantity": "residents",
            "level": "all",
            "scenario": np.nan,
            "value": res["value"].to_numpy(),
            "lower": res["lower"].to_numpy(),
            "upper": res["upper"].to_numpy(),
            "kind": res["kind"].to_numpy(),
        }
    )
    kinds = res.set_index(["district_id", "year"])["kind"]
    g = result.gaps
    places = pd.DataFrame(
        {
            "district_id": g["district_id"].to_numpy(),
            "year": g["year"].to_numpy(),
            "quantity": "required_places",
            "level": g["level"].to_numpy(),
            "scenario": g["scenario"].to_numpy(),
            "value": g["required"].to_numpy(),
            "lower": g["required_lower"].to_numpy(),
            "upper": g["required_upper"].to_numpy(),
            "kind": kinds.loc[list(zip(g["district_id"], g["year"], strict=True))].to_numpy(),
        }
    )
    out = pd.concat([residents, places], ignore_index=True)
    return out.sort_values(
        ["district_id", "year", "quantity", "level", "scenario"], kind="stable", na_position="first"
    ).reset_index(drop=True)


def write_forecast_csv(result: PlanResult, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write :func:`forecast_table` as UTF-8 CSV with a BOM (so Excel reads it right)."""
    table = forecast_table(result)
    with atomic_path(path, overwrite=overwrite) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8-sig", float_format="%.3f")
    return Path(path)


def _districts_layer(result: PlanResult) -> gpd.GeoDataFrame:
    """Districts with residents and the compulsory gap per scenario at the horizon."""
    summary = result.summary().set_index("district_id")
    layer = result.districts.copy()
    cols = [c for c in summary.columns if c != "name"]
    joined = summary.loc[layer["district_id"].astype(str), cols]
    for col in cols:
        layer[col] = joined[col].to_numpy()
    layer["horizon"] = result.plan.horizon
    return layer


def schools_layer(result: PlanResult) -> gpd.GeoDataFrame:
    """Schools with their assigned demand: ``{level}_assigned_{year}``, ``…_util_{year}``.

    ``assigned`` is the places demanded by the residents assigned to the school (default
    scenario); ``util`` is that ÷ the school's places at the level.
    """
    layer = result.schools.copy()
    for c in result.catchments:
        by_id = c.schools.set_index("school_id")
        ids = layer["school_id"]
        layer[f"{c.level}_assigned_{c.year}"] = ids.map(by_id["demand"]).to_numpy()
        layer[f"{c.level}_util_{c.year}"] = ids.map(by_id["utilisation"]).to_numpy()
    return layer


def estates_layer(result: PlanResult) -> gpd.GeoDataFrame | None:
    """Estates with, per level, their school, distance and unserved residents.

    Base-year columns: ``{level}_school_id``, ``{level}_distance_m``,
    ``{level}_unserved_residents``; every year assessed: ``{level}_unserved_{year}``
    (bool); and ``unserved``: unserved at any level in the base year (for the map).
    """
    if result.estates is None:
        return None
    layer = result.estates.copy()
    any_unserved = np.zeros(len(layer), dtype=bool)
    for c in result.catchments:
        flags = c.estates.set_index("estate_id")
        ids = layer["estate_id"]
        unserved = ids.map(flags["unserved"]).astype("boolean")
        layer[f"{c.level}_unserved_{c.year}"] = unserved.to_numpy()
        if c.year == result.base_year:
            layer[f"{c.level}_school_id"] = ids.map(flags["school_id"]).to_numpy()
            layer[f"{c.level}_distance_m"] = ids.map(flags["distance_m"]).to_numpy()
            layer[f"{c.level}_unserved_residents"] = ids.map(flags["unserved_residents"]).to_numpy()
            any_unserved |= unserved.fillna(False).to_numpy(dtype=bool)
    if result.catchments:
        layer["unserved"] = any_unserved
    return layer


def _plan_table(result: PlanResult) -> pd.DataFrame:
    """Key–value facts of the run, so that a saved result can be re-drawn (``xuewei map``)."""
    facts = {
        "name": result.plan.name,
        "name_en": result.plan.name_en,
        "base_year": str(result.base_year),
        "horizon": str(result.plan.horizon),
        "default_scenario": f"{result.standards.default_scenario:g}",
        "data_note": result.plan.data_note or "",
        "crs": result.crs.to_string(),
    }
    return pd.DataFrame({"key": list(facts), "value": list(facts.values())})


def redraw_map(
    gpkg: str | Path,
    path: str | Path,
    *,
    scenario: float | None = None,
    year: int | None = None,
    level: str = COMPULSORY,
    compare: tuple[float, float] | None = None,
    overwrite: bool = False,
    options: MapOptions | None = None,
) -> Path:
    """Re-draw the map of a saved result (``plan.gpkg``) for any scenario, year or level.

    Parameters
    ----------
    gpkg
        A ``plan.gpkg`` written by :func:`write_outputs`.
    path
        The HTML file to write.
    scenario, year, level
        What the choropleth shows; default the run's default scenario and horizon.
    compare
        Two scenarios (places per 1,000) to show side by side instead of one map.
    overwrite
        Replace an existing file.
    options
        Offline, base map, language.
    """
    options = options or MapOptions()
    layers = dict(pyogrio.list_layers(gpkg).tolist())
    facts = dict(pyogrio.read_dataframe(gpkg, layer="plan").set_index("key")["value"])
    read = {
        name: pyogrio.read_dataframe(gpkg, layer=name)
        for name in ("districts", "schools", "estates", "catchments", "proposals")
        if name in layers
    }
    gaps = pd.DataFrame(pyogrio.read_dataframe(gpkg, layer="gaps"))
    cohort = (
        pd.DataFrame(pyogrio.read_dataframe(gpkg, layer="cohort")) if "cohort" in layers else None
    )
    title = facts["name"] + (f" {facts['name_en']}" if facts.get("name_en") else "")
    common: dict[str, Any] = {
        "gaps": gaps,
        "cohort": cohort,
        "estates": read.get("estates"),
        "catchments": read.get("catchments"),
        "proposals": _located(read.get("proposals")),
        "year": int(facts["horizon"]) if year is None else year,
        "level": level,
        "title": title,
        "data_note": facts.get("data_note") or None,
        "capacity_col": "places",
        "lang": options.lang,
        "tiles": options.tiles,
        "tianditu_key": options.tianditu_key,
    }
    if compare is None:
        chosen = float(facts["default_scenario"]) if scenario is None else scenario
        m = maps.plan_map(read["districts"], read["schools"], scenario=chosen, **common)
        html = maps.render_html(m, offline=options.offline)
    else:
        left, right = (
            maps.plan_map(read["districts"], read["schools"], scenario=s, **common) for s in compare
        )
        html = maps.compare_html(
            left,
            right,
            title=title,
            left_label=f"千人指标 {compare[0]:g} places per 1,000",
            right_label=f"千人指标 {compare[1]:g} places per 1,000",
            offline=options.offline,
        )
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)


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
    beside per-thousand demand), when the population gives births and ages.
    """
    layers: dict[str, pd.DataFrame] = {
        "districts": _districts_layer(result),
        "schools": schools_layer(result),
    }
    estates = estates_layer(result)
    if estates is not None:
        layers["estates"] = estates
    if result.catchments:
        layers["catchments"] = result.catchment_polygons
    if result.proposals is not None:
        layers["proposals"] = result.proposals
    layers["gaps"] = result.gaps
    if result.cohort is not None:
        layers["cohort"] = result.cohort
    layers["plan"] = _plan_table(result)
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    # pin the layer timestamps so identical runs give identical files
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2000-01-01T00:00:00Z"})
    try:
        with atomic_path(path, overwrite=overwrite) as tmp:
            for name, frame in layers.items():
                pyogrio.write_dataframe(
                    _for_gpkg(frame), tmp, layer=name, driver="GPKG", append=tmp.exists()
                )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    return Path(path)


@dataclass(frozen=True)
class MapOptions:
    """How the meeting map is drawn.

    Attributes
    ----------
    offline
        Write one self-contained page (Leaflet inlined, no tiles) that opens with no
        internet, as in a meeting room.
    tiles
        Base map: ``osm``, ``amap`` (GCJ-02: every layer is shifted to sit on Amap's
        streets), ``amap_satellite``, ``tianditu``, ``tianditu_satellite`` (need
        ``tianditu_key``) or ``none``.
    tianditu_key
        A Tianditu (天地图) API key.
    lang
        Labels in ``zh``, ``en`` or ``both``.
    png
        Also write a static map, ``plan.png``, for documents.
    """

    offline: bool = False
    tiles: str = "osm"
    tianditu_key: str | None = None
    lang: Lang = "both"
    png: bool = False


def write_map(
    result: PlanResult,
    path: str | Path,
    *,
    overwrite: bool = False,
    options: MapOptions | None = None,
) -> Path:
    """Draw the plan map (default scenario, horizon year) and write it as one HTML file.

    Every scenario of the plan is a switchable gap layer on the map.
    """
    options = options or MapOptions()
    html = maps.render_html(plan_map_for(result, options=options), offline=options.offline)
    with atomic_path(path, overwrite=overwrite) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(path)


def write_static_map(
    result: PlanResult,
    path: str | Path,
    *,
    overwrite: bool = False,
    options: MapOptions | None = None,
) -> Path:
    """Draw the plan map as a PNG (matplotlib) with north arrow, scale bar and legend."""
    import matplotlib.pyplot as plt

    from xuewei.maps.static import static_map

    options = options or MapOptions()
    layers = _map_layers(result)
    del layers["cohort"]  # tooltip figures: a printed map has no place for them
    fig = static_map(**layers, lang=options.lang)
    try:
        with atomic_path(path, overwrite=overwrite) as tmp:
            fig.savefig(tmp, dpi=200, format="png", metadata={"Software": None})
    finally:
        plt.close(fig)
    return Path(path)


def _map_layers(
    result: PlanResult, *, scenario: float | None = None, year: int | None = None
) -> dict[str, Any]:
    title = result.plan.name + (f" {result.plan.name_en}" if result.plan.name_en else "")
    catchments = result.catchment_polygons if result.catchments else None
    return {
        "proposals": _located(result.proposals),
        "districts": result.districts,
        "schools": result.schools,
        "gaps": result.gaps,
        "cohort": result.cohort,
        "estates": estates_layer(result),
        "catchments": catchments,
        "scenario": result.standards.default_scenario if scenario is None else scenario,
        "year": result.plan.horizon if year is None else year,
        "title": title,
        "data_note": result.plan.data_note,
        "capacity_col": "places",
    }


def _located(proposals: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame | None:
    """Keep the proposals that have a place to draw.

    Those without a site (the plan gives no candidate sites) are in the report and the
    GeoPackage; a map cannot show them.
    """
    if proposals is None:
        return None
    geom = proposals.geometry
    located = proposals[geom.notna() & ~geom.is_empty]
    return located if len(located) else None


def plan_map_for(
    result: PlanResult,
    *,
    scenario: float | None = None,
    year: int | None = None,
    options: MapOptions | None = None,
) -> folium.Map:
    """Draw :func:`xuewei.maps.plan_map` for a result (default scenario, horizon year)."""
    options = options or MapOptions()
    return maps.plan_map(
        **_map_layers(result, scenario=scenario, year=year),
        scenarios=sorted(result.gaps["scenario"].unique().tolist()),
        lang=options.lang,
        tiles=options.tiles,
        tianditu_key=options.tianditu_key,
    )


def _sheet_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(frame).copy()
    if "geometry" in out:
        geom = gpd.GeoSeries(out["geometry"], crs=getattr(frame, "crs", None))
        if geom.crs is not None and len(geom):
            pts = geom.to_crs(4326).representative_point()
            out["lon"] = pts.x.round(6)
            out["lat"] = pts.y.round(6)
        out = out.drop(columns="geometry")
    if "level" in out:
        out["level"] = out["level"].map(lambda v: _LEVEL_NAMES.get(v, v))
    for col in out.columns:
        if isinstance(out[col].dtype, pd.BooleanDtype):
            out[col] = out[col].map(lambda v: "" if pd.isna(v) else ("是 yes" if v else "否 no"))
    return out.rename(columns=lambda c: HEADERS.get(c, c))


def write_report(result: PlanResult, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write the Excel report for the meeting (bilingual headers, frozen header rows).

    Sheets: 汇总 Summary (districts at the horizon), 缺口 Gaps (every district, year, level
    and scenario), 预测 Forecast, 学校 Schools (with flags), 学位压力 School pressure
    (schools over capacity by enrolment or full under the assignment), 未覆盖小区 Unserved
    estates (every estate with unserved residents; all estates are in ``plan.gpkg``),
    覆盖核算 Coverage (residents assigned and unserved per level and year), 标准 Standards
    (the values in force, with sources), 数据说明 Data (what is real, what synthetic).
    """
    summary = result.summary()
    sheets: dict[str, pd.DataFrame] = {
        "汇总 Summary": summary,
        "缺口 Gaps": result.gaps,
        "预测 Forecast": forecast_table(result),
        "学校 Schools": result.schools,
    }
    if result.catchments:
        sheets["学位压力 School pressure"] = _school_pressure(result)
        sheets["未覆盖小区 Unserved estates"] = _unserved_estates(result)
        sheets["覆盖核算 Coverage"] = result.unserved()
    elif result.estates is not None:
        sheets["小区 Estates"] = result.estates
    if result.proposals is not None:
        sheets["建议 Proposals"] = result.proposals
    if result.cohort is not None:
        sheets["学龄人口对照 Cohort vs per-1000"] = result.cohort
    sheets["标准 Standards"] = _standards_rows(result)
    sheets["数据说明 Data"] = _data_notes(result)
    with atomic_path(path, overwrite=overwrite) as tmp:
        with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
            for name, frame in sheets.items():
                _sheet_frame(frame).to_excel(writer, sheet_name=name, index=False)
            _format_workbook(writer.book)
        _pin_zip_dates(tmp)
    return Path(path)


def _school_pressure(result: PlanResult) -> pd.DataFrame:
    """Schools over capacity by enrolment, or full under the assignment, per level and year."""
    use = result.school_use
    schools = result.schools.set_index("school_id")
    use = use.assign(
        enrolment=use["school_id"].map(schools["enrolment"]).to_numpy(),
        over_capacity_enrolment=use["school_id"].map(schools["over_capacity"]).to_numpy(),
    )
    full = use["utilisation"].to_numpy(dtype=np.float64, na_value=np.nan) >= 1.0 - 1e-9
    flagged = full | use["over_capacity_enrolment"].fillna(False).to_numpy(dtype=bool)
    columns = [
        "school_id", "name", "district_id", "school_level", "level", "year", "places",
        "demand", "utilisation", "spare_places", "enrolment", "over_capacity_enrolment",
    ]  # fmt: skip
    out = use.loc[flagged, [c for c in columns if c in use]]
    return out.sort_values(["year", "level", "utilisation"], ascending=[True, True, False])


def _unserved_estates(result: PlanResult) -> pd.DataFrame:
    """One row per estate with residents unserved at some level, in the base year or later."""
    layer = estates_layer(result)
    assert layer is not None
    flag_cols = [c for c in layer.columns if "_unserved_" in c and c[-4:].isdigit()]
    unserved = np.zeros(len(layer), dtype=bool)
    for col in flag_cols:
        unserved |= layer[col].fillna(False).to_numpy(dtype=bool)
    keep = ["estate_id", "name", "district_id", "residents", "completion_year"]
    for level in result.plan.catchments.levels:
        keep += [
            f"{level}_unserved_residents",
            f"{level}_school_id",
            f"{level}_distance_m",
            *[c for c in flag_cols if c.startswith(f"{level}_")],
        ]
    out = pd.DataFrame(layer.loc[unserved, [c for c in keep if c in layer]])
    order = [c for c in out.columns if c.endswith("_unserved_residents")]
    return out.sort_values(order, ascending=False) if order else out


def _standards_rows(result: PlanResult) -> pd.DataFrame:
    rows = []
    for key, value, source in result.standards.rows():
        rows.append({"标准项 Standard": key, "取值 Value": str(value), "来源 Source": source})
    return pd.DataFrame(rows)


def _data_notes(result: PlanResult) -> pd.DataFrame:
    rows = [
        {"项目 Item": "计划 Plan", "说明 Note": f"{result.plan.name} {result.plan.name_en}"},
        {"项目 Item": "基准年 Base year", "说明 Note": str(result.base_year)},
        {"项目 Item": "规划期末 Horizon", "说明 Note": str(result.plan.horizon)},
        {
            "项目 Item": "预测区间 Interval",
            "说明 Note": f"{result.plan.interval:.0%} prediction interval",
        },
    ]
    if result.plan.data_note:
        rows.append({"项目 Item": "数据说明 Data note", "说明 Note": result.plan.data_note})
    for name, spec in sorted(result.plan.inputs.items()):
        rows.append({"项目 Item": f"输入 Input: {name}", "说明 Note": spec.path.name})
    if "source" in result.population:
        sources = result.population["source"].dropna().astype(str).unique()
        for src in sorted(sources):
            rows.append({"项目 Item": "人口来源 Population source", "说明 Note": src})
    return pd.DataFrame(rows)


def _format_workbook(wb: Workbook) -> None:
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for ws in wb.worksheets:
        ws.freeze_panes = "A2"
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for idx, column in enumerate(ws.iter_cols(min_row=1, max_row=ws.max_row), start=1):
            header = str(column[0].value or "")
            width = min(max(len(header) * 0.9, 10), 45)
            ws.column_dimensions[get_column_letter(idx)].width = width
            number_format = _number_format(header)
            if number_format:
                for cell in column[1:]:
                    if isinstance(cell.value, int | float):
                        cell.number_format = number_format
    wb.properties.created = _FIXED_DATE
    wb.properties.modified = _FIXED_DATE
    wb.properties.creator = "xuewei"


def _number_format(header: str) -> str | None:
    if "Utilisation" in header:
        return "0.0%"
    if any(k in header for k in ("Year", "Opened", "Closing", "ID")):
        return "0"
    if any(k in header for k in ("per 1,000", "class size")):
        return "0.0"
    if any(
        k in header
        for k in ("Residents", "Places", "Gap", "Value", "Lower", "Upper", "required", "offered")
    ):
        return "#,##0"
    return None


def _pin_zip_dates(path: Path) -> None:
    """Rewrite the xlsx zip with fixed dates so that identical runs give identical files.

    openpyxl stamps the save time into the zip entries and into ``docProps/core.xml``
    (``dcterms:modified``, whatever the workbook's properties say).
    """
    tmp = path.with_suffix(".pin.xlsx")
    stamp = _FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = _W3CDTF.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            dst.writestr(info, content)
    os.replace(tmp, path)
