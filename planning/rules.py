"""Rules from the standards beyond the place count: kindergartens, special education, staff, money.

- Every urban estate of ``kindergarten.min_estate_residents`` (3,000) residents or more
  should have a kindergarten within the kindergarten service radius (300 m).
- Every county (district) of ``special_education.min_county_residents`` (200,000) or more
  should have a special-education school.
- A plan implies staff posts (pupils ÷ ``staffing.pupils_per_staff``, 19 primary, 13.5
  junior) and annual public funding (pupils × ``funding.per_pupil_yuan``, 720 / 940 yuan).

Each ``*_needs`` function returns proposal rows in the columns of
:data:`xuewei.planning.proposals.PROPOSAL_COLUMNS`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from xuewei.data import Standards
from xuewei.planning._names import a_or_an, district_names

__all__ = ["kindergarten_needs", "special_education_needs", "staffing_and_funding"]


def kindergarten_needs(
    estates: gpd.GeoDataFrame,
    kindergartens: gpd.GeoDataFrame | None,
    standards: Standards,
    *,
    year: int,
    residents_col: str = "residents",
) -> gpd.GeoDataFrame:
    """Estates of 3,000+ residents without a kindergarten in reach: one proposal each.

    Parameters
    ----------
    estates
        Points in the plan CRS with ``estate_id``, ``district_id`` and ``residents_col``.
    kindergartens
        Existing kindergartens as points (plan CRS), or ``None``.
    standards
        ``kindergarten.min_estate_residents``, ``access.radius_m.kindergarten``, the
        kindergarten class size and standard sizes.
    year
        The year to report the proposals in.
    residents_col
        Residents column.

    Returns
    -------
    geopandas.GeoDataFrame
        Proposal rows (``kind`` = ``kindergarten``) at each estate's point: places = the
        smallest standard kindergarten (classes × class size) covering the estate's
        children (residents × kindergarten places per 1,000 are not a standard: the
        smallest standard size is proposed).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> from xuewei.data import load_standards
    >>> e = gpd.GeoDataFrame({"estate_id": ["e1", "e2"], "district_id": "a",
    ...                       "residents": [4000, 3500]},
    ...                      geometry=[Point(0, 0), Point(5000, 0)], crs=4547)
    >>> k = gpd.GeoDataFrame(geometry=[Point(100, 0)], crs=4547)
    >>> kindergarten_needs(e, k, load_standards(), year=2026)["served_estates"].tolist()
    ['e2']
    """
    threshold = standards.kindergarten_min_residents
    radius = standards.service_radius_m("kindergarten")
    big = estates[estates[residents_col].to_numpy(np.float64) >= threshold]
    if len(big) and kindergartens is not None and len(kindergartens):
        kxy = np.column_stack([kindergartens.geometry.x, kindergartens.geometry.y])
        d, _ = cKDTree(kxy).query(np.column_stack([big.geometry.x, big.geometry.y]), k=1)
    else:
        d = np.full(len(big), np.inf)
    need = big[d > radius]
    classes = min(standards.standard_classes("kindergarten"))
    places = float(classes * standards.class_size("kindergarten"))
    rows = []
    tuples: list[Any] = list(need.itertuples(index=False))
    for r, dist in zip(tuples, d[d > radius], strict=True):
        res = float(getattr(r, residents_col))
        far = "无" if not np.isfinite(dist) else f"最近{dist:,.0f}米"
        far_en = "none" if not np.isfinite(dist) else f"the nearest is {dist:,.0f} m away"
        rows.append(
            {
                "kind": "kindergarten",
                "district_id": str(r.district_id),
                "level": "kindergarten",
                "scenario": math.nan,
                "year": int(year),
                "places": places,
                "classes": classes,
                "served_estates": str(r.estate_id),
                "rationale_zh": (
                    f"小区{r.estate_id}常住{res:,.0f}人（≥{threshold:,}人），{radius:,.0f}米内无幼儿园"
                    f"（{far}）；按标准配建{classes}班幼儿园。"
                ),
                "rationale_en": (
                    f"Estate {r.estate_id} has {res:,.0f} residents (≥ {threshold:,}) and no "
                    f"kindergarten within {radius:,.0f} m ({far_en}); build {a_or_an(classes)} "
                    f"{classes}-class "
                    "kindergarten with the estate."
                ),
            }
        )
    out = pd.DataFrame(rows)
    return gpd.GeoDataFrame(out, geometry=list(need.geometry), crs=estates.crs)


def special_education_needs(
    residents: pd.DataFrame,
    standards: Standards,
    *,
    with_school: Iterable[str],
    year: int,
    district_points: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Counties (districts) of 200,000+ residents without a special-education school.

    Parameters
    ----------
    residents
        ``district_id`` and ``residents`` (e.g. the forecast for ``year``).
    standards
        ``special_education.min_county_residents``.
    with_school
        District ids that already have a special-education school.
    year
        The year the residents refer to.
    district_points
        Optional district polygons or points (``district_id``) to place the row on the map.

    Returns
    -------
    geopandas.GeoDataFrame
        Proposal rows, ``kind`` = ``special_education``.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> r = pd.DataFrame({"district_id": ["a", "b", "c"], "residents": [250e3, 150e3, 300e3]})
    >>> out = special_education_needs(r, load_standards(), with_school=["c"], year=2030)
    >>> out["district_id"].tolist()
    ['a']
    """
    threshold = standards.special_education_min_residents
    have = {str(d) for d in with_school}
    ids = residents["district_id"].astype(str)
    need = residents[(residents["residents"].to_numpy(np.float64) >= threshold) & ~ids.isin(have)]
    rows = []
    tuples: list[Any] = list(need.itertuples(index=False))
    for r in tuples:
        res = float(r.residents)
        rows.append(
            {
                "kind": "special_education",
                "district_id": str(r.district_id),
                "level": "special_education",
                "scenario": math.nan,
                "year": int(year),
                "rationale_zh": (
                    f"{district_names(r)[0]}{year}年常住人口{res:,.0f}人（≥{threshold:,}人），"
                    "尚无特殊教育学校；应建设一所特殊教育学校。"
                ),
                "rationale_en": (
                    f"{district_names(r)[1]} has {res:,.0f} residents in {year} (≥ "
                    f"{threshold:,}) and no special-education school; build one."
                ),
            }
        )
    out = pd.DataFrame(rows)
    geoms: list[object] = [None] * len(out)
    crs = None
    if district_points is not None and len(out):
        pts = district_points.set_index(district_points["district_id"].astype(str)).geometry
        geoms = [
            pts[d].representative_point() if d in pts.index else None for d in out["district_id"]
        ]
        crs = district_points.crs
    return gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(geoms, crs=crs))


def staffing_and_funding(
    pupils: pd.DataFrame,
    standards: Standards,
    *,
    pupils_col: str = "required",
) -> pd.DataFrame:
    """Staff posts and annual public funding implied by a number of pupils.

    ``staff = ceil(pupils ÷ pupils_per_staff(level))`` (中央编办发〔2014〕72号: 19 primary,
    13.5 junior) and ``funding_yuan = pupils × funding_per_pupil_yuan(level)`` (720 / 940
    yuan a year). ``compulsory`` rows are left out: sum the levels instead.

    Parameters
    ----------
    pupils
        Rows with ``level`` (``primary`` / ``junior``) and ``pupils_col``, e.g. the gap
        table (required places) or the proposals (places).
    standards
        Staffing ratios and per-pupil funding.
    pupils_col
        The pupils (or places) column.

    Returns
    -------
    pandas.DataFrame
        The primary and junior rows with ``pupils_per_staff``, ``staff``,
        ``funding_per_pupil_yuan``, ``funding_yuan``.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> t = pd.DataFrame({"level": ["primary", "junior"], "required": [1900.0, 1350.0]})
    >>> out = staffing_and_funding(t, load_standards())
    >>> out[["staff", "funding_yuan"]].to_dict("list")
    {'staff': [100, 100], 'funding_yuan': [1368000.0, 1269000.0]}
    """
    out = pupils[pupils["level"].isin(["primary", "junior"])].copy()
    n = out[pupils_col].to_numpy(np.float64)
    ratio = np.array([standards.pupils_per_staff(lv) for lv in out["level"]], dtype=np.float64)
    money = np.array(
        [standards.funding_per_pupil_yuan(lv) for lv in out["level"]], dtype=np.float64
    )
    out["pupils_per_staff"] = ratio
    out["staff"] = np.ceil(np.round(np.maximum(n, 0.0) / ratio, 9)).astype(np.int64)
    out["funding_per_pupil_yuan"] = money
    out["funding_yuan"] = np.maximum(n, 0.0) * money
    return out
