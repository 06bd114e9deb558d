"""Reach: each demand point's settlement and radius, and whether a school is within it.

The parts of :func:`~xuewei.gis.assign_catchments` that decide who is urban or rural (the
estates' ``settlement`` column, else the density rule of :mod:`xuewei.gis.settlement`),
give every demand point its own service radius, and tell residents without a place apart:
a school in reach but full, or none in reach.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._catchment_inputs import Demand, FloatArray, Flow
from .catchment_result import reach_split
from .distance import nearest_within
from .network import RoadNetwork
from .settlement import parse_settlement, urban_by_density

if TYPE_CHECKING:
    import geopandas as gpd

    from xuewei.data import Standards

__all__ = [
    "estate_reach",
    "given_settlement",
    "in_reach",
    "rule_radius",
    "settle",
    "split_of",
]

Split = tuple[FloatArray, FloatArray, FloatArray]


def settle(
    d: Demand,
    given: npt.NDArray[np.object_] | None,
    *,
    density: bool,
    standards: Standards,
    radii: tuple[float, float],
) -> Demand:
    """Return the demand points with their settlement and service radius.

    ``given`` is the parsed ``settlement`` of each point (``None`` where not given);
    ``density`` classes the others by the density rule (else they are urban); ``radii``
    is (urban, rural).
    """
    n = len(d.residents)
    known = np.zeros(n, dtype=bool)
    rural = np.zeros(n, dtype=bool)
    if given is not None:
        known = np.array([g is not None for g in given], dtype=bool)
        rural = np.array([g == "rural" for g in given], dtype=bool)
    if density and not known.all():
        cell_m, dense, cluster = standards.settlement_rule
        urban = urban_by_density(
            d.xy, d.residents, cell_m=cell_m, dense_per_km2=dense, cluster_min=cluster
        )
        rural = np.where(known, rural, ~urban)
    return replace(d, rural=rural, radius=np.where(rural, radii[1], radii[0]))


def given_settlement(
    estates: gpd.GeoDataFrame, counted: npt.NDArray[np.bool_]
) -> npt.NDArray[np.object_] | None:
    """Return the counted estates' ``settlement`` column, parsed (``None`` without one)."""
    if "settlement" not in estates.columns:
        return None
    return parse_settlement(estates["settlement"].to_numpy())[counted]


def rule_radius(urban: float, *demands: Demand | None) -> float:
    """Return the largest radius any demand point has: what distance queries must cover."""
    radii = [float(d.radius.max()) for d in demands if d is not None and d.radius is not None]
    return max([urban, *[r for r in radii if np.isfinite(r)]])


def in_reach(
    d: Demand,
    flow: Flow,
    sxy: FloatArray,
    *,
    radius_m: float,
    detour_factor: float,
    network: RoadNetwork | None,
    capacitated: bool,
) -> npt.NDArray[np.bool_]:
    """Return which points have a school of the level within their own radius.

    Only needed for points the capacitated rule left (partly) without a place and sent
    nowhere: the nearest and polygon rules send every point with a school in reach
    (points they send nowhere are out of reach, or outside every polygon).
    """
    n = len(d.residents)
    found = np.zeros(n, dtype=bool)
    if not capacitated or not len(sxy):
        return found
    sent = np.bincount(flow.demand[flow.school >= 0], minlength=n) > 0
    nowhere = np.bincount(flow.demand[flow.school < 0], minlength=n) > 0
    ask = np.flatnonzero(nowhere & ~sent)
    if ask.size:
        idx, dist = nearest_within(
            d.xy[ask], sxy, radius_m=radius_m, detour_factor=detour_factor, network=network
        )
        own = d.radius[ask] if d.radius is not None else np.full(ask.size, radius_m)
        found[ask] = (idx >= 0) & (dist <= own)
    return found


def estate_reach(
    est: Demand,
    cells: Demand,
    k: npt.NDArray[np.int64],
    split: Split,
    flags: tuple[Any, ...],
) -> Split:
    """Return the estates' served / over capacity / out of reach from their cells' shares.

    An estate outside every cell with residents takes its own flags: out of reach when
    it has no school (``flags[0]``, the main school, is -1), else served. ``k`` is the
    cell each estate lies in (:func:`~xuewei.gis.catchment_result.cell_index`).
    """
    has = k >= 0
    kk = np.maximum(k, 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        shares = [np.where(has, part[kk] / cells.residents[kk], 0.0) for part in split]
    own = np.asarray(flags[0]) >= 0
    served = np.where(has, shares[0] * est.residents, np.where(own, est.residents, 0.0))
    over = shares[1] * est.residents
    out = np.where(has, shares[2] * est.residents, np.where(own, 0.0, est.residents))
    return served, over, out


def split_of(
    flow: Flow,
    d: Demand,
    sxy: FloatArray,
    places: FloatArray,
    rate: float,
    *,
    radius_m: float,
    detour_factor: float,
    network: RoadNetwork | None,
    capacitated: bool,
) -> Split:
    """Split the points' residents by reach (:func:`reach_split` with :func:`in_reach`)."""
    found = in_reach(
        d,
        flow,
        sxy,
        radius_m=radius_m,
        detour_factor=detour_factor,
        network=network,
        capacitated=capacitated,
    )
    return reach_split(flow, d, places, rate, capacitated=capacitated, in_reach=found)
