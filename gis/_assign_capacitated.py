"""The ``capacitated`` rule: a transport problem solved with HiGHS on pairs within the radius.

Place as many residents as the schools' places allow, then minimise the total
resident-distance; residents who cannot be placed within the radius are unserved, never
forced into a full or far school. Flows are cut to multiples of :data:`QUANTUM` residents
so that each demand point's flows add up to its residents exactly.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from xuewei.errors import InfeasibleError

from ._catchment_inputs import Demand, FloatArray, Flow
from .distance import pairs_within
from .network import RoadNetwork

__all__ = ["CRUMB_RESIDENTS", "QUANTUM", "assign_capacitated"]

QUANTUM = 2.0**-20  # split flows are multiples of this many residents (sums stay exact)
CRUMB_RESIDENTS = 1e-3  # LP round-off below this (residents) is not "unserved"


def assign_capacitated(
    d: Demand,
    sxy: FloatArray,
    capacity_residents: FloatArray,
    *,
    radius_m: float,
    detour_factor: float,
    network: RoadNetwork | None,
) -> Flow:
    """Transport LP: served first, then least resident-distance, on pairs within radius.

    Variables x_k ≥ 0 (residents of pair k); rows: Σ_k∈i x_k ≤ R_i per demand point,
    Σ_k∈j x_k ≤ C_j per school; objective Σ (d_k / r − P) x_k with P = schools + 1, so
    placing one more resident always beats any rerouting (an augmenting path uses at most
    one pair per school, each costing at most r).
    """
    n = len(d.residents)
    usable = capacity_residents > 0
    pairs = pairs_within(d.xy, sxy, radius_m=radius_m, detour_factor=detour_factor, network=network)
    keep = usable[pairs.dest] & (d.residents[pairs.origin] > 0)
    if d.radius is not None:  # urban and rural radii: each point's own
        keep &= pairs.distance_m <= d.radius[pairs.origin]
    oi, sj, dist = pairs.origin[keep], pairs.dest[keep], pairs.distance_m[keep]
    x = np.zeros(oi.size)
    if oi.size:
        rows_d, inv_d = np.unique(oi, return_inverse=True)
        rows_s, inv_s = np.unique(sj, return_inverse=True)
        k = np.arange(oi.size)
        a_ub = sparse.vstack(
            [
                sparse.csr_matrix((np.ones(oi.size), (inv_d, k)), shape=(rows_d.size, oi.size)),
                sparse.csr_matrix((np.ones(oi.size), (inv_s, k)), shape=(rows_s.size, oi.size)),
            ],
            format="csr",
        )
        b_ub = np.concatenate([d.residents[rows_d], capacity_residents[rows_s]])
        scale = radius_m if np.isfinite(radius_m) and radius_m > 0 else max(dist.max(), 1.0)
        penalty = float(rows_s.size + 1)
        c = dist / scale - penalty
        res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
        if res.status != 0 or res.x is None:
            raise InfeasibleError(f"the capacitated assignment failed in HiGHS: {res.message}")
        x = np.clip(np.asarray(res.x, dtype=np.float64), 0.0, None)
    x = np.floor(x / QUANTUM) * QUANTUM
    # the LP's tolerance may leave a point over its residents by ~1e-7: trim the largest flow
    served = np.bincount(oi, weights=x, minlength=n) if oi.size else np.zeros(n)
    for i in np.flatnonzero(served > d.residents):
        ks = np.flatnonzero(oi == i)
        top = ks[np.argmax(x[ks])]
        excess = served[i] - d.residents[i]
        x[top] = max(x[top] - math.ceil(excess / QUANTUM) * QUANTUM, 0.0)
    pos = x > 0
    oi, sj, dist, x = oi[pos], sj[pos], dist[pos], x[pos]
    served = np.bincount(oi, weights=x, minlength=n) if oi.size else np.zeros(n)
    # Flooring to the grid (and the LP's own tolerance) leaves crumbs of ~1e-7 residents:
    # they belong to the point's largest flow, not to "unserved" (which would flag the
    # estate). Schools then exceed their places by at most the crumbs, within OVER_TOL.
    crumbs = d.residents - served
    snap = (crumbs > 0) & (crumbs < CRUMB_RESIDENTS) & (served > 0)
    if snap.any():
        order = np.lexsort((-x, oi))
        first = np.ones(order.size, dtype=bool)
        first[1:] = oi[order][1:] != oi[order][:-1]
        top = np.full(n, -1, dtype=np.int64)
        top[oi[order][first]] = order[first]
        idx = np.flatnonzero(snap)
        np.add.at(x, top[idx], crumbs[idx])
        served = np.bincount(oi, weights=x, minlength=n)
    unserved = d.residents - served  # exact: both are on the 2⁻²⁰ grid below 2³³
    un = np.flatnonzero((unserved > 0) | (served == 0))
    demand = np.concatenate([oi, un])
    school = np.concatenate([sj, np.full(un.size, -1, dtype=np.int64)])
    flow = np.concatenate([x, unserved[un]])
    distance = np.concatenate([dist, np.full(un.size, np.nan)])
    order = np.lexsort((school < 0, demand))
    return Flow(demand[order], school[order], flow[order], distance[order])
