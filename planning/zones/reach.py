"""How far the zones send pupils: each unit's service radius, and the pupils zoned beyond it.

A zoning within every school's places may still send pupils far: where a town's schools
are full, its pupils go to the schools with room, many kilometres out. The standards give
each level a service radius (primary 500 m in towns, 2.5 km in the countryside; junior
1 km and 4 km: ``access.radius_m`` of ``data/standards.toml``), and here every unit gets
the radius of its settlement, so the tables say how many pupils the zones send beyond it.

A unit's settlement follows the rule of the catchments (``catchments.settlement`` of a
plan, :mod:`xuewei.gis.settlement`):

- ``"density"``: the estates' ``settlement`` column where given, else the Degree of
  Urbanisation density rule on the units' residents (each unit holds its estates'
  residents at their point);
- ``"column"``: the column where given, else urban;
- ``"urban"``: every unit urban.

A unit whose estates (at one point) are given different settlements is taken as urban: the
smaller radius, so no pupil beyond the town radius goes unreported.

The density rule looks at the units drawn together, as the catchments' rule looks at the
plan's demand points: drawn alone, a district may class a few units at its edge otherwise
(a town's cells across the boundary no longer count towards its size).
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd

from xuewei.data import Standards
from xuewei.errors import ConfigError
from xuewei.gis.settlement import parse_settlement, urban_by_density
from xuewei.vocabulary import SETTLEMENT_RULES

__all__ = [
    "beyond_radius",
    "cases_reach",
    "reach_sentence",
    "unit_rural",
    "with_reach",
]


def unit_rural(
    units: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame,
    standards: Standards,
    rule: str = "density",
) -> npt.NDArray[np.bool_]:
    """Return whether each unit is rural (``True``) under the settlement ``rule``.

    ``units`` as from :func:`~xuewei.planning.zones.build_units` (``estate_ids``,
    ``residents``, ``x``, ``y``); ``estates`` with ``estate_id`` and optionally
    ``settlement`` (urban/rural, 城镇/乡村…).

    Examples
    --------
    Three units: a dense town of two 1 km cells (3,000 residents each), a lone village
    estate said to be rural, and a school's unit without residents far off (the density
    rule: rural).

    >>> from xuewei.data import load_standards
    >>> u = gpd.GeoDataFrame({"estate_ids": ["a", "b", "c", ""],
    ...     "residents": [3000.0, 3000.0, 800.0, 0.0],
    ...     "x": [500.0, 1500.0, 9500.0, 20500.0], "y": [500.0] * 4})
    >>> e = pd.DataFrame({"estate_id": ["a", "b", "c"], "settlement": [None, None, "乡村"]})
    >>> unit_rural(u, e, load_standards()).tolist()
    [False, False, True, True]
    >>> unit_rural(u, e, load_standards(), "column").tolist()
    [False, False, True, False]
    """
    if rule not in SETTLEMENT_RULES:
        raise ConfigError(f"settlement={rule!r}; expected one of {list(SETTLEMENT_RULES)}")
    n = len(units)
    if rule == "urban" or n == 0:
        return np.zeros(n, dtype=bool)
    given = _given(units, estates)
    rural = np.array([g == "rural" for g in given], dtype=bool)
    if rule == "column":
        return rural
    cell_m, dense, cluster = standards.settlement_rule
    xy = units[["x", "y"]].to_numpy(dtype=np.float64)
    urban = urban_by_density(
        xy,
        units["residents"].to_numpy(dtype=np.float64),
        cell_m=cell_m,
        dense_per_km2=dense,
        cluster_min=cluster,
    )
    known = np.array([g is not None for g in given], dtype=bool)
    return np.where(known, rural, ~urban)


def _given(units: gpd.GeoDataFrame, estates: gpd.GeoDataFrame) -> list[str | None]:
    """Each unit's settlement from its estates' column (``None``: not given)."""
    if "settlement" not in estates.columns:
        return [None] * len(units)
    parsed = parse_settlement(estates["settlement"].to_numpy())
    of = dict(zip(estates["estate_id"].astype(str), parsed, strict=True))
    out: list[str | None] = []
    for ids in units["estate_ids"].astype(str):
        said = {of.get(e) for e in ids.split(";") if e} - {None}
        out.append(None if not said else said.pop() if len(said) == 1 else "urban")
    return out


def with_reach(
    assignments: pd.DataFrame,
    units: gpd.GeoDataFrame,
    rural: npt.NDArray[np.bool_],
    standards: Standards,
) -> pd.DataFrame:
    """Return the unit → school table with each unit's settlement, radius and reach.

    Adds ``settlement`` (``"urban"``/``"rural"``), ``radius_m`` (the level's service radius
    of that settlement) and ``beyond_radius`` (the unit's travel to its school is longer;
    ``False`` where no school was given).

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> u = pd.DataFrame({"unit_id": ["d:0", "d:1"]})
    >>> a = pd.DataFrame({"unit_id": ["d:0", "d:1", "d:0"],
    ...     "level": ["primary", "primary", "junior"], "distance_m": [600.0, 600.0, 600.0]})
    >>> out = with_reach(a, u, np.array([False, True]), load_standards())
    >>> out[["settlement", "radius_m", "beyond_radius"]].values.tolist()
    [['urban', 500.0, True], ['rural', 2500.0, False], ['urban', 1000.0, False]]
    """
    pos = pd.Series(np.arange(len(units)), index=units["unit_id"].to_numpy())
    is_rural = rural[pos.loc[assignments["unit_id"]].to_numpy()]
    radius = np.empty(len(assignments))
    for level in pd.unique(assignments["level"]):
        here = (assignments["level"] == level).to_numpy()
        urban_m = standards.service_radius_m(level)
        rural_m = standards.service_radius_m(level, "rural")
        radius[here] = np.where(is_rural[here], rural_m, urban_m)
    dist = assignments["distance_m"].to_numpy(dtype=np.float64)
    out = assignments.copy()
    out["settlement"] = np.where(is_rural, "rural", "urban")
    out["radius_m"] = radius
    out["beyond_radius"] = np.nan_to_num(dist, nan=0.0) > radius
    return out


def beyond_radius(assignments: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Pupils zoned beyond their service radius, and the farthest travel, per ``keys``.

    Returns ``keys`` + ``beyond_radius_pupils`` and ``max_distance_m`` (the longest
    travel of a unit with pupils; missing where none).

    Examples
    --------
    >>> a = pd.DataFrame({"level": ["primary"] * 3, "pupils": [10.0, 4.0, 0.0],
    ...     "distance_m": [300.0, 900.0, 5000.0], "beyond_radius": [False, True, True]})
    >>> beyond_radius(a, ["level"]).values.tolist()
    [['primary', 4.0, 900.0]]
    """
    a = assignments.assign(
        _beyond=assignments["pupils"] * assignments["beyond_radius"],
        _far=assignments["distance_m"].where(assignments["pupils"] > 0),
    )
    g = a.groupby(keys, sort=True)
    return pd.DataFrame(
        {"beyond_radius_pupils": g["_beyond"].sum(), "max_distance_m": g["_far"].max()}
    ).reset_index()


def cases_reach(cases: pd.DataFrame, assignments: pd.DataFrame) -> pd.DataFrame:
    """Return the cases with :func:`beyond_radius` per district and level (0 where none)."""
    far = beyond_radius(assignments, ["district_id", "level"])
    out = cases.merge(far, on=["district_id", "level"], how="left")
    out["beyond_radius_pupils"] = out["beyond_radius_pupils"].fillna(0.0)
    return out


def reach_sentence(assignments: pd.DataFrame, lang: str = "en") -> str:
    """Say, per level, how many pupils the zones send beyond their service radius.

    ``lang``: ``"en"`` or ``"zh"``. The radii are those the rows were measured against
    (``radius_m`` by ``settlement``).

    Examples
    --------
    >>> a = pd.DataFrame({"level": ["primary"] * 3, "pupils": [60.0, 30.0, 10.0],
    ...     "distance_m": [300.0, 900.0, 3200.0], "beyond_radius": [False, True, True],
    ...     "settlement": ["urban", "urban", "rural"], "radius_m": [500.0, 500.0, 2500.0]})
    >>> for part in reach_sentence(a).split(": "):
    ...     print(part)
    beyond the service radius (primary 500 m in towns, 2.5 km rural)
    primary 40 pupils (40.0%), farthest 3.2 km
    >>> reach_sentence(a, "zh")
    '超出服务半径（小学城镇 500米、乡村 2.5公里）：小学 40人（40.0%），最远 3.2公里'
    """
    zh_level = {"primary": "小学", "junior": "初中"}
    per = beyond_radius(assignments, ["level"])
    levels = per["level"].tolist()
    beyond_by = dict(zip(levels, per["beyond_radius_pupils"].to_numpy(dtype=float), strict=True))
    top_by = dict(zip(levels, per["max_distance_m"].to_numpy(dtype=float), strict=True))
    radii_en, radii_zh, parts_en, parts_zh = [], [], [], []
    for level, a in assignments.groupby("level", sort=False):
        r = a.groupby("settlement")["radius_m"].first()
        name, zh_name = str(level), zh_level.get(str(level), str(level))
        en_r = [
            f"{_span(r[s])} {w}" for s, w in (("urban", "in towns"), ("rural", "rural")) if s in r
        ]
        zh_r = [
            f"{w} {_span(r[s], 'zh')}" for s, w in (("urban", "城镇"), ("rural", "乡村")) if s in r
        ]
        radii_en.append(f"{name} {', '.join(en_r)}")
        radii_zh.append(f"{zh_name}{'、'.join(zh_r)}")
        pupils = float(a["pupils"].sum())
        beyond, top = beyond_by[level], top_by[level]
        share = beyond / pupils if pupils > 0 else 0.0
        top_en = "" if math.isnan(top) else f", farthest {top / 1000:,.1f} km"
        top_zh = "" if math.isnan(top) else f"，最远 {top / 1000:,.1f}公里"
        parts_en.append(f"{name} {beyond:,.0f} pupils ({share:.1%}){top_en}")
        parts_zh.append(f"{zh_name} {beyond:,.0f}人（{share:.1%}）{top_zh}")
    if lang == "zh":
        return f"超出服务半径（{'；'.join(radii_zh)}）：{'；'.join(parts_zh)}"
    return f"beyond the service radius ({'; '.join(radii_en)}): {'; '.join(parts_en)}"


def _span(metres: float, lang: str = "en") -> str:
    """``500 m``, ``2.5 km`` (``500米``, ``2.5公里``).

    The Chinese sentence puts a space before each figure, so that a line breaks there and
    never inside a number.
    """
    if metres < 1000:
        return f"{metres:,.0f} m" if lang == "en" else f"{metres:,.0f}米"
    return f"{metres / 1000:g} km" if lang == "en" else f"{metres / 1000:g}公里"
