"""The words xuewei plans with: school levels, catchment methods, coordinate systems, CRS.

Every stage speaks of the same few things — a school's level, how residents are assigned
to schools, which coordinate system an input is in, which projected CRS a plan works in —
and each is defined once, here. Like :mod:`xuewei.errors`, this module is the ground floor
of the package: it imports nothing of xuewei, and its heavy dependencies (pyproj, shapely)
only inside the functions that need them, so that importing it costs nothing.

Examples
--------
>>> LEVEL_NAMES["nine_year"]
('九年一贯制', 'Nine-year school')
>>> SERVING_LEVELS["junior"]
('junior', 'nine_year')
>>> gauss_kruger_epsg(112.94, 28.2)
4547
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    import pyproj

__all__ = [
    "CATCHMENT_LEVELS",
    "CATCHMENT_METHODS",
    "CJK",
    "COMPULSORY",
    "COMPULSORY_LEVELS",
    "COORDINATE_SYSTEMS",
    "LEVELS",
    "LEVEL_NAMES",
    "MAP_EPSG",
    "PLAN_CATCHMENT_METHODS",
    "SERVING_LEVELS",
    "CatchmentLevel",
    "CatchmentMethod",
    "CoordinateSystem",
    "Level",
    "gauss_kruger_epsg",
    "note_in_language",
    "plan_crs",
]

# ---------------------------------------------------------------------------------------
# School levels

Level = Literal["primary", "junior", "nine_year", "kindergarten"]
"""A school level: 小学, 初中, 九年一贯制, 幼儿园."""

#: Every school level, in the order tables and legends list them.
LEVELS: tuple[Level, ...] = get_args(Level)

#: Each level's name in Chinese and English, for tables, maps and reports.
LEVEL_NAMES: dict[str, tuple[str, str]] = {
    "primary": ("小学", "Primary"),
    "junior": ("初中", "Junior secondary"),
    "nine_year": ("九年一贯制", "Nine-year school"),
    "kindergarten": ("幼儿园", "Kindergarten"),
    "compulsory": ("义务教育", "Compulsory (primary + junior)"),
}

#: The level of the compulsory total (primary + junior) in tidy demand and gap tables.
COMPULSORY = "compulsory"

#: The levels whose places make up the compulsory total.
COMPULSORY_LEVELS: tuple[Level, ...] = ("primary", "junior")

# ---------------------------------------------------------------------------------------
# Catchments

CatchmentLevel = Literal["primary", "junior", "kindergarten"]
"""A level residents are assigned for (a nine-year school serves primary and junior)."""

#: Levels residents are assigned for.
CATCHMENT_LEVELS: tuple[str, ...] = get_args(CatchmentLevel)

#: School levels that offer places to the demand of each catchment level.
SERVING_LEVELS: dict[str, tuple[str, ...]] = {
    "primary": ("primary", "nine_year"),
    "junior": ("junior", "nine_year"),
    "kindergarten": ("kindergarten",),
}

CatchmentMethod = Literal["nearest", "capacitated", "polygons"]
"""How residents are assigned: nearest school in reach, capacity-constrained transport
problem, or existing catchment polygons (学区)."""

#: Every catchment method of :func:`xuewei.gis.assign_catchments`.
CATCHMENT_METHODS: tuple[str, ...] = get_args(CatchmentMethod)

#: The methods a plan file may choose (polygons need the polygons as an argument).
PLAN_CATCHMENT_METHODS: tuple[str, ...] = ("nearest", "capacitated")

Settlement = Literal["urban", "rural"]
"""Where residents live, for the service radius: urban (城镇) or rural (乡村)."""

#: Settlement types, and the words an input may use for each (Chinese and English).
SETTLEMENTS: tuple[str, ...] = get_args(Settlement)
SETTLEMENT_WORDS: dict[str, Settlement] = {
    "urban": "urban",
    "城镇": "urban",
    "城市": "urban",
    "城区": "urban",
    "rural": "rural",
    "乡村": "rural",
    "农村": "rural",
}

SettlementRule = Literal["density", "column", "urban"]
"""How catchments decide who is rural: the estates' ``settlement`` column, else the density
rule (``density``); the column, else urban (``column``); or everyone urban (``urban``)."""

#: Every settlement rule.
SETTLEMENT_RULES: tuple[str, ...] = get_args(SettlementRule)

Reach = Literal["served", "over_capacity", "out_of_reach"]
"""What a resident's access to a school of one level is: a place (served), a school in
reach but no place there (over capacity), or no school within the service radius."""

#: The reach classes, best first; their names for maps and reports.
REACHES: tuple[str, ...] = get_args(Reach)
REACH_NAMES: dict[str, tuple[str, str]] = {
    "served": ("有学位", "Served"),
    "over_capacity": ("学校已满", "In reach, schools full"),
    "out_of_reach": ("服务半径外", "Out of reach"),
}

# ---------------------------------------------------------------------------------------
# Coordinates and the plan CRS

CoordinateSystem = Literal["wgs84", "cgcs2000", "gcj02", "bd09"]
"""How an input's longitude/latitude are given: WGS84 (GPS), CGCS2000 (national), GCJ-02
(Amap 高德, Tencent) or BD-09 (Baidu)."""

#: Every coordinate system an input may declare.
COORDINATE_SYSTEMS: tuple[str, ...] = get_args(CoordinateSystem)

#: The CRS of map outputs: WGS84 longitude/latitude.
MAP_EPSG = 4326

_FIRST_EPSG = 4534  # CGCS2000 / 3-degree Gauss-Kruger CM 75E
_FIRST_CM = 75.0
_ZONES = 21  # CM 75E … 135E


def gauss_kruger_epsg(lon: float, lat: float = 30.0) -> int:
    """Return the EPSG code of the CGCS2000 3-degree Gauss–Krüger zone containing ``lon``.

    Zones run from EPSG:4534 (central meridian 75°E) to EPSG:4554 (135°E).

    Raises
    ------
    CRSError
        When the point lies outside China's range of zones (73.5°E–136.5°E, 0–56°N).

    Examples
    --------
    >>> gauss_kruger_epsg(112.94), gauss_kruger_epsg(87.6, 43.8)
    (4547, 4538)
    """
    from xuewei.errors import CRSError

    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise CRSError(f"cannot pick a Gauss–Krüger zone for ({lon}, {lat}).")
    zone = math.floor((lon - _FIRST_CM) / 3.0 + 0.5)
    if not (0 <= zone < _ZONES) or not (0.0 <= lat <= 56.0):
        raise CRSError(
            f"({lon:.4f}, {lat:.4f}) lies outside China: the CGCS2000 3-degree Gauss–Krüger "
            "zones (EPSG:4534–4554) cover 73.5°E–136.5°E. Check that the coordinates are "
            "longitude/latitude in China, or set the plan's `crs` explicitly."
        )
    return _FIRST_EPSG + zone


def plan_crs(districts: Any) -> pyproj.CRS:
    """Return the projected CRS of a plan: the Gauss–Krüger zone of the districts' centroid.

    All geometry work of a plan happens in this one metric CRS. The centroid is the
    area-weighted mean of the district centroids in longitude/latitude, which is ample
    precision to pick a 3-degree zone.

    Parameters
    ----------
    districts
        The plan's district polygons (GeoDataFrame or GeoSeries), in any CRS.

    Returns
    -------
    pyproj.CRS
        EPSG:4534 + round((lon − 75) / 3), e.g. EPSG:4547 (CM 114°E) for Changsha.

    Raises
    ------
    CRSError
        When the districts have no CRS, no geometry, or lie outside China.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> d = gpd.GeoSeries([shapely.box(112.8, 28.0, 113.1, 28.4)], crs=4326)
    >>> plan_crs(d).to_epsg()
    4547
    """
    import numpy as np
    import pyproj
    import shapely

    from xuewei.errors import CRSError

    if districts.crs is None:
        raise CRSError(
            "districts has no coordinate reference system; set it with `.set_crs(...)` "
            "(e.g. `.set_crs(4326)` for longitude/latitude) before using it."
        )
    geoms = getattr(districts, "geometry", districts)
    arr = np.asarray(geoms.to_crs(MAP_EPSG).array, dtype=object)
    arr = arr[~(shapely.is_missing(arr) | shapely.is_empty(arr))]
    if len(arr) == 0:
        raise CRSError("districts have no geometry, so no plan CRS can be chosen.")
    centres = shapely.centroid(arr)
    weights = shapely.area(arr)
    if not np.isfinite(weights).all() or weights.sum() <= 0:
        weights = np.ones(len(arr))
    lon = float(np.average(shapely.get_x(centres), weights=weights))
    lat = float(np.average(shapely.get_y(centres), weights=weights))
    return pyproj.CRS.from_epsg(gauss_kruger_epsg(lon, lat))


#: A Chinese character or a full-width / CJK punctuation mark: what marks Chinese text.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def note_in_language(note: str, lang: str) -> str:
    """Return one language of a note written ``Chinese · English`` (all of it for ``both``).

    A plan's ``data_note`` says what is synthetic in both languages, the parts joined by
    `` · `` or `` / ``; the parts with a Chinese character are the Chinese, the others the English.
    A note not in that form is returned as it is.

    Examples
    --------
    >>> n = "学校为合成数据 · Schools are SYNTHETIC"
    >>> note_in_language(n, "en"), note_in_language(n, "zh")
    ('Schools are SYNTHETIC', '学校为合成数据')
    >>> note_in_language("学校为合成数据（非真实）· Schools are SYNTHETIC, not real", "en")
    'Schools are SYNTHETIC, not real'
    >>> note_in_language("All data SYNTHETIC / 全部为合成数据", "zh")
    '全部为合成数据'
    >>> note_in_language("Schools are SYNTHETIC", "zh")
    'Schools are SYNTHETIC'
    """
    if lang not in ("zh", "en"):
        return note
    # "·" with or without spaces (Chinese text runs into it), "/" only between spaces
    parts = [p.strip() for p in re.split(r"\s*·\s*|\s+/\s+", note)]
    chinese = [p for p in parts if CJK.search(p)]
    english = [p for p in parts if not CJK.search(p)]
    if not chinese or not english:
        return note
    return " · ".join(chinese if lang == "zh" else english)
