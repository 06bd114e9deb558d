"""The tables every writer shares: the forecast and the layers of districts and schools.

Estates and the plan's facts too, as the GeoPackage, the map and the report write them.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.outputs.atomic import atomic_path
from xuewei.pipeline import PlanResult
from xuewei.vocabulary import REACHES

__all__ = [
    "csv_safe",
    "districts_layer",
    "estates_layer",
    "forecast_table",
    "plan_table",
    "schools_layer",
    "write_csv",
    "write_forecast_csv",
    "written_as_given",
]


def forecast_table(result: PlanResult) -> pd.DataFrame:
    """Tabulate residents and required places per district, year, level and scenario (tidy).

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``quantity`` (``residents`` or ``required_places``),
        ``level`` (``all`` for residents), ``scenario`` (places per 1,000 as text, ``80``
        or ``82.5``; empty for residents), ``value``,
        ``lower``, ``upper``, ``kind`` (``observed``/``interpolated``/``forecast``).
    """
    res = result.residents[result.residents["year"].isin(list(result.years))]
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
    out = out.sort_values(
        ["district_id", "year", "quantity", "level", "scenario"], kind="stable", na_position="first"
    ).reset_index(drop=True)
    # places per 1,000 as written in the plan (80, 82.5), not as a float ("80.000")
    out["scenario"] = written_as_given(out["scenario"])
    return out


def written_as_given(values: pd.Series) -> pd.Series:
    """Return numbers as text the way a plan or a count states them: ``80``, ``82.5``.

    For a CSV whose other floats have three decimals: a scenario or a count then reads
    ``85`` and ``16175``, not ``85.000``. Missing values stay missing.

    Examples
    --------
    >>> written_as_given(pd.Series([85.0, 82.5, 123456789.0, None])).tolist()
    ['85', '82.5', '123456789', nan]
    """
    return values.map(lambda v: f"{float(v):.15g}", na_action="ignore")


def write_forecast_csv(result: PlanResult, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write :func:`forecast_table` as UTF-8 CSV with a BOM (so Excel reads it right)."""
    return write_csv(forecast_table(result), path, overwrite=overwrite, float_format="%.3f")


# OWASP's CSV-injection list: what makes a spreadsheet read a cell as a formula
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """Return ``frame`` with text that a spreadsheet would take for a formula made inert.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    leading ``'`` (OWASP's advice against CSV injection): Excel and WPS show the text and
    never run it. Numbers, and text that is a plain number (``-5``, ``+86``: no formula),
    are kept. The input is not changed.

    Examples
    --------
    >>> csv_safe(pd.DataFrame({"name": ["=1+1", "-5", "@home", "育英"]}))["name"].tolist()
    ["'=1+1", '-5', "'@home", '育英']
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or isinstance(out[col].dtype, pd.StringDtype):
            out[col] = out[col].map(_inert, na_action="ignore").astype(out[col].dtype)
    return out


def _inert(value: object) -> object:
    if not isinstance(value, str) or not value.startswith(_FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def write_csv(
    frame: pd.DataFrame, path: str | Path, *, overwrite: bool = False, float_format: str = "%.3f"
) -> Path:
    """Write a table as UTF-8 CSV with a BOM, atomically, formula-looking text made inert.

    See :func:`csv_safe`; the BOM makes Excel read the Chinese text right, and lines end
    with CRLF (RFC 4180), so that a text cell holding a line break stays one cell.
    """
    table = csv_safe(frame)
    with atomic_path(path, overwrite=overwrite) as tmp:
        # CRLF line ends (RFC 4180, as Excel saves): a text cell holding a line break of
        # either kind is then quoted, not split into two rows
        table.to_csv(
            tmp, index=False, encoding="utf-8-sig", float_format=float_format, lineterminator="\r\n"
        )
    return Path(path)


def districts_layer(result: PlanResult) -> gpd.GeoDataFrame:
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
    """Estates with, per level, their school, distance, unserved residents and reach.

    Base-year columns: ``residents_{year}`` (the residents the catchments counted: the
    input's scaled to the district's count), ``{level}_school_id``, ``{level}_distance_m``,
    ``{level}_unserved_residents`` (of those); every year assessed: ``{level}_unserved_{year}``
    (bool), ``{level}_reach_{year}`` (``served``, ``over_capacity`` or
    ``out_of_reach``), and ``reach_{year}``: the worst at any level; ``settlement``
    (urban or rural, in the base year); and for the map ``unserved`` (at any level in the
    base year) and ``reach`` (``reach_{base year}``).
    """
    if result.estates is None:
        return None
    layer = result.estates.copy()
    any_unserved = np.zeros(len(layer), dtype=bool)
    worst: dict[int, np.ndarray] = {}
    for c in result.catchments:
        flags = c.estates.set_index("estate_id")
        ids = layer["estate_id"]
        unserved = ids.map(flags["unserved"]).astype("boolean")
        layer[f"{c.level}_unserved_{c.year}"] = unserved.to_numpy()
        reach = ids.map(flags["reach"])
        layer[f"{c.level}_reach_{c.year}"] = reach.to_numpy(dtype=object)
        rank = reach.map({k: i for i, k in enumerate(REACHES)}).fillna(-1).to_numpy(int)
        worst[c.year] = np.maximum(worst.get(c.year, np.full(len(layer), -1)), rank)
        if c.year == result.base_year and "settlement" not in result.estates:
            layer["settlement"] = ids.map(flags["settlement"]).to_numpy(dtype=object)
        if c.year == result.base_year:
            # the residents counted in the base year (the input scaled to the district's
            # count), of which the unserved are a part
            layer[f"residents_{c.year}"] = ids.map(flags["residents"]).to_numpy()
            layer[f"{c.level}_school_id"] = ids.map(flags["school_id"]).to_numpy()
            layer[f"{c.level}_distance_m"] = ids.map(flags["distance_m"]).to_numpy()
            layer[f"{c.level}_unserved_residents"] = ids.map(flags["unserved_residents"]).to_numpy()
            any_unserved |= unserved.fillna(False).to_numpy(dtype=bool)
    names = np.array([*REACHES, None], dtype=object)  # rank -1 (no residents): None
    for year, rank in sorted(worst.items()):
        layer[f"reach_{year}"] = names[rank]
    if result.catchments:
        layer["unserved"] = any_unserved
        layer["reach"] = layer.get(f"reach_{result.base_year}")
    return layer


def plan_table(result: PlanResult) -> pd.DataFrame:
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
