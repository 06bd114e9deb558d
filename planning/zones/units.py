"""Zone units: the small polygons attendance zones are built from, their pupils and neighbours.

The tessellation is the *Voronoi diagram of the estates and schools, clipped to their
district*: every estate (小区) and every school is the generator of one unit, the part of its
district nearer to it than to any other estate or school of the district. Units tile each
district without gaps or overlaps, an estate's pupils live at its own point (so travel is
measured from the estate, not from a cell centre), and every school has a unit of its own
to root its zone. An estate and a school at the same point share one unit. Units never
cross a district boundary: a zone is drawn by its district's bureau.

Two units are neighbours when their polygons share a stretch of boundary (``"rook"``) or
just touch (``"queen"``). Where a district falls into pieces (islands, exclaves), the pieces
are joined by a *bridge* between their two nearest generators, so that every unit can reach
a school of its district; bridges are listed with ``bridge=True``.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components
from scipy.spatial import Delaunay

from xuewei.data import Standards
from xuewei.errors import InputError, Problem

__all__ = ["ZONE_LEVELS", "Contiguity", "build_units", "serving_schools", "unit_adjacency"]

Contiguity = Literal["rook", "queen"]
#: The levels zones are drawn for.
ZONE_LEVELS = ("primary", "junior")
_SERVES = {"primary": ("primary", "nine_year"), "junior": ("junior", "nine_year")}
_TOUCH_M = 0.01  # boundaries closer than this (metres) touch: Voronoi edges are shared exactly


def serving_schools(schools: gpd.GeoDataFrame, level: str, year: int) -> gpd.GeoDataFrame:
    """Return the schools that take pupils of ``level`` in ``year``, with ``places``.

    Primary pupils go to ``primary`` and ``nine_year`` schools (``places_primary``), junior
    pupils to ``junior`` and ``nine_year`` schools (``places_junior``); a school counts when
    it is open in ``year`` (``opened`` ≤ year < ``closing`` where given) and has places.

    Examples
    --------
    >>> s = gpd.GeoDataFrame({"school_id": ["p", "n", "j"],
    ...     "level": ["primary", "nine_year", "junior"], "places_primary": [90.0, 45, 0],
    ...     "places_junior": [0.0, 50, 100]}, geometry=gpd.points_from_xy([0, 1, 2], [0, 0, 0]))
    >>> serving_schools(s, "junior", 2025)[["school_id", "places"]].to_dict("list")
    {'school_id': ['n', 'j'], 'places': [50.0, 100.0]}
    """
    col = f"places_{level}"
    if col not in schools:
        raise InputError(
            [Problem("schools", f"needs `{col}` (from xuewei.planning.school_places)", column=col)]
        )
    keep = schools["level"].astype(str).isin(_SERVES[level]).to_numpy().copy()
    keep &= schools[col].fillna(0).to_numpy(dtype=float) > 0
    if "opened" in schools:
        opened = pd.to_numeric(schools["opened"], errors="coerce").to_numpy(dtype=float)
        keep &= ~(opened > year)
    if "closing" in schools:
        closing = pd.to_numeric(schools["closing"], errors="coerce").to_numpy(dtype=float)
        keep &= ~(closing <= year)
    out = schools.loc[keep].copy()
    out["places"] = out[col].astype(float)
    return out


def build_units(
    districts: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    *,
    year: int,
    standards: Standards,
    scenario: float | None = None,
    residents_col: str = "residents",
) -> gpd.GeoDataFrame:
    """Tile each district into units (Voronoi of estates and schools) with their pupils.

    Parameters
    ----------
    districts
        Polygons with ``district_id`` (plan CRS, projected).
    estates
        Points (or polygons: their representative point) with ``estate_id``,
        ``district_id``, ``residents_col`` and optionally ``completion_year`` (estates
        completed after ``year`` give 0 pupils but still tile the district).
    schools
        Points with ``school_id`` and ``district_id``.
    year
        The year whose residents are counted.
    standards
        The pupil rate of each level is ``standards.places_per_resident(level, scenario)``.
    scenario
        Places per 1,000 residents; default the standards' central scenario.
    residents_col
        The estates' column of residents.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per unit: ``unit_id`` (``district_id:number``), ``district_id``,
        ``estate_ids`` and ``school_ids`` (``;``-joined), ``residents``,
        ``pupils_primary``, ``pupils_junior``, ``x``, ``y`` (the generator point) and the
        polygon. Residents of all estates add up exactly to ``residents``.

    Examples
    --------
    Two estates and a school on a 2 km × 1 km district: three units that tile it.

    >>> import shapely
    >>> from xuewei.data import load_standards
    >>> d = gpd.GeoDataFrame({"district_id": ["d"]}, geometry=[shapely.box(0, 0, 2000, 1000)],
    ...     crs=4547)
    >>> e = gpd.GeoDataFrame({"estate_id": ["a", "b"], "district_id": ["d", "d"],
    ...     "residents": [1000.0, 500.0]}, geometry=gpd.points_from_xy([250, 1750], [500, 500]),
    ...     crs=4547)
    >>> s = gpd.GeoDataFrame({"school_id": ["p"], "district_id": ["d"]},
    ...     geometry=gpd.points_from_xy([1000], [500]), crs=4547)
    >>> u = build_units(d, e, s, year=2025, standards=load_standards())
    >>> u[["unit_id", "school_ids", "residents"]].values.tolist()
    [['d:0', '', 1000.0], ['d:1', 'p', 0.0], ['d:2', '', 500.0]]
    >>> float(u.area.sum()), round(float(u.pupils_primary.sum()), 3)
    (2000000.0, 85.0)
    """
    _check_inputs(estates, schools, residents_col)
    counted = _counted_residents(estates, year, residents_col)
    epts = _points(estates)
    spts = _points(schools)
    e_d = estates["district_id"].astype(str).to_numpy()
    s_d = schools["district_id"].astype(str).to_numpy()
    pieces = []
    for did, geom in zip(districts["district_id"].astype(str), districts.geometry, strict=True):
        ei, si = np.flatnonzero(e_d == did), np.flatnonzero(s_d == did)
        if ei.size + si.size == 0:
            continue
        pts = np.vstack([epts[ei], spts[si]])
        uniq, inv = np.unique(pts, axis=0, return_inverse=True)
        inv = inv.ravel()
        polys = _voronoi(uniq, geom)
        e_of = inv[: ei.size]
        s_of = inv[ei.size :]
        residents = np.bincount(e_of, weights=counted[ei], minlength=len(uniq))
        ids = estates["estate_id"].astype(str).to_numpy()[ei]
        sids = schools["school_id"].astype(str).to_numpy()[si]
        pieces.append(
            pd.DataFrame(
                {
                    "unit_id": [f"{did}:{k}" for k in range(len(uniq))],
                    "district_id": did,
                    "estate_ids": [";".join(sorted(ids[e_of == k])) for k in range(len(uniq))],
                    "school_ids": [";".join(sorted(sids[s_of == k])) for k in range(len(uniq))],
                    "residents": residents,
                    "x": uniq[:, 0],
                    "y": uniq[:, 1],
                    "geometry": polys,
                }
            )
        )
    frame = pd.concat(pieces, ignore_index=True) if pieces else _empty_units()
    for level in ZONE_LEVELS:
        frame[f"pupils_{level}"] = frame["residents"] * standards.places_per_resident(
            level, scenario
        )
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=districts.crs)


def _empty_units() -> pd.DataFrame:
    cols = ["unit_id", "district_id", "estate_ids", "school_ids"]
    frame = pd.DataFrame({c: pd.Series(dtype=str) for c in cols})
    for c in ("residents", "x", "y"):
        frame[c] = pd.Series(dtype=float)
    frame["geometry"] = gpd.GeoSeries([])
    return frame


def _check_inputs(estates: gpd.GeoDataFrame, schools: gpd.GeoDataFrame, col: str) -> None:
    problems = [
        Problem(name, f"needs column `{c}`", column=c)
        for name, frame, cols in (
            ("estates", estates, ("estate_id", "district_id", col)),
            ("schools", schools, ("school_id", "district_id")),
        )
        for c in cols
        if c not in frame
    ]
    if not problems:
        res = pd.to_numeric(estates[col], errors="coerce").to_numpy(dtype=float)
        problems = [
            Problem(
                "estates",
                f"got {estates[col].iloc[i]!r}; residents must be a number ≥ 0",
                row=int(i),
                column=col,
            )
            for i in np.flatnonzero(~(res >= 0))
        ]
    if problems:
        raise InputError(problems)


def _counted_residents(estates: gpd.GeoDataFrame, year: int, col: str) -> npt.NDArray[np.float64]:
    res = estates[col].to_numpy(dtype=float)
    if "completion_year" in estates:
        done = pd.to_numeric(estates["completion_year"], errors="coerce").to_numpy(dtype=float)
        res = np.where(done > year, 0.0, res)
    return res


def _points(frame: gpd.GeoDataFrame) -> npt.NDArray[np.float64]:
    geom = frame.geometry.to_numpy()
    pts = np.where(shapely.get_type_id(geom) == 0, geom, shapely.point_on_surface(geom))
    return np.asarray(shapely.get_coordinates(pts), dtype=float).reshape(-1, 2)


def _voronoi(pts: npt.NDArray[np.float64], area: shapely.Geometry) -> list[shapely.Geometry]:
    """Voronoi cells of ``pts`` clipped to ``area``, in the order of ``pts``."""
    if len(pts) == 1:
        return [area]
    if len(pts) == 2:  # GEOS needs three points for a diagram: split by the bisector
        mid, d = pts.mean(axis=0), pts[1] - pts[0]
        far = 4 * (shapely.length(shapely.envelope(area).boundary) + float(np.hypot(*d)))
        n = np.array([-d[1], d[0]]) / np.hypot(*d)
        u = d / np.hypot(*d)
        a, b = mid + n * far, mid - n * far
        half = shapely.Polygon([a, b, b - u * far, a - u * far])
        return [shapely.intersection(area, half), shapely.difference(area, half)]
    cells = shapely.voronoi_polygons(
        shapely.MultiPoint(pts), extend_to=shapely.envelope(area), ordered=True
    )
    return list(shapely.intersection(np.asarray(shapely.get_parts(cells)), area))


def unit_adjacency(units: gpd.GeoDataFrame, *, contiguity: Contiguity = "rook") -> pd.DataFrame:
    """Return the neighbouring pairs of units (``i < j`` positions), bridges marked.

    Neighbours are taken from the Delaunay triangulation of the generators (the Voronoi
    neighbours) and kept where the clipped polygons share boundary (rook: a stretch of
    boundary; queen: a point). Units of different districts are never neighbours.

    Returns
    -------
    pandas.DataFrame
        ``i``, ``j`` (row positions in ``units``), ``bridge`` (joins two pieces of a
        district that do not touch).

    Examples
    --------
    >>> import shapely
    >>> u = gpd.GeoDataFrame({"district_id": ["d"] * 3, "x": [0.5, 1.5, 2.5],
    ...     "y": [0.5, 0.5, 0.5]}, geometry=[shapely.box(k, 0, k + 1, 1) for k in range(3)])
    >>> unit_adjacency(u).values.tolist()
    [[0, 1, False], [1, 2, False]]
    """
    xy = units[["x", "y"]].to_numpy(dtype=float)
    dist = units["district_id"].astype(str).to_numpy()
    geom = units.geometry.to_numpy()
    out = []
    for did in pd.unique(dist):
        idx = np.flatnonzero(dist == did)
        pairs = _candidate_pairs(xy[idx])
        if pairs.size:
            a, b = geom[idx[pairs[:, 0]]], geom[idx[pairs[:, 1]]]
            touch = shapely.dwithin(a, b, _TOUCH_M)
            if contiguity == "rook":
                shared = shapely.intersection(shapely.buffer(a, _TOUCH_M), shapely.boundary(b))
                touch &= shapely.length(shared) > 4 * _TOUCH_M
            pairs = pairs[touch]
        bridges = _bridges(xy[idx], pairs)
        for p, is_bridge in ((pairs, False), (bridges, True)):
            if p.size:
                out.append(
                    pd.DataFrame({"i": idx[p[:, 0]], "j": idx[p[:, 1]], "bridge": is_bridge})
                )
    if not out:
        return pd.DataFrame(
            {"i": pd.Series(dtype=int), "j": pd.Series(dtype=int), "bridge": pd.Series(dtype=bool)}
        )
    frame = pd.concat(out, ignore_index=True)
    return frame.sort_values(["i", "j"], ignore_index=True)


def _candidate_pairs(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    n = len(xy)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    if n == 2:
        return np.array([[0, 1]], dtype=np.int64)
    try:
        tri = Delaunay(xy)
    except Exception:  # all points on a line (QhullError): neighbours along the line
        order = np.lexsort((xy[:, 1], xy[:, 0]))
        return np.sort(np.column_stack([order[:-1], order[1:]]), axis=1).astype(np.int64)
    simp = tri.simplices
    edges = np.vstack([simp[:, [0, 1]], simp[:, [1, 2]], simp[:, [0, 2]]])
    return np.unique(np.sort(edges, axis=1), axis=0).astype(np.int64)


def _bridges(xy: npt.NDArray[np.float64], pairs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Join the pieces of the graph by their nearest generators until it is connected."""
    n = len(xy)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    g = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    k, label = connected_components(g, directed=False)
    added: list[tuple[int, int]] = []
    while k > 1:
        inside, outside = np.flatnonzero(label == label[0]), np.flatnonzero(label != label[0])
        d = np.hypot(*(xy[inside][:, None, :] - xy[outside][None, :, :]).transpose(2, 0, 1))
        a, b = np.unravel_index(int(np.argmin(d)), d.shape)
        i, j = int(inside[a]), int(outside[b])
        added.append((min(i, j), max(i, j)))
        label[label == label[j]] = label[0]
        k -= 1
    return np.array(added, dtype=np.int64).reshape(-1, 2)
