"""Priced growth: a contiguous start drawn from the prices of a transport LP on the unit graph.

Where a district has places enough in total but its town is full, pupils must go to schools
tens of kilometres away, through a ring of full zones. The start of
:func:`~xuewei.planning.zones.heuristic.solve_heuristic` (the transport LP's main school per
unit, then repair) breaks up there: the LP jumps over zones, and repair leaves the town's
units to the nearest zones, full or not. This start keeps the LP's prices instead:

1. **Graph distances.** ``g[i, j]``: the shortest path from unit ``i`` to school ``j``'s
   unit along neighbouring units, never through another school's unit (such a path can
   lie inside zone ``j``; without one, unit ``i`` cannot join ``j``: the pockets of
   :mod:`~xuewei.planning.zones.bound`). An edge is as long as its units lie apart.
2. **Prices.** The transport LP with these distances (fractional, within the schools'
   allowed pupils, overflow at a high price) gives each school a price per pupil ``π_j``
   (metres): the dual of its capacity row, and each unit a share of each school.
3. **Growth.** A Dijkstra search from all schools' units at once, school ``j`` starting at
   ``π_j``: a unit is taken by the first zone to reach it (ties: the zone with the larger
   LP share, then the lower school) *that has room for it*; a full zone passes it by and
   another may take it later. Each unit joins beside a unit of its zone, so every zone is
   connected. Units no zone with room reaches stay unassigned (``-1``), for
   :func:`~xuewei.planning.zones.heuristic.repair`.

Without capacities, step 3 gives the zones of an additively weighted graph-Voronoi diagram,
which are connected and give each unit a school of least ``g + π``: the LP's own
preferences. With them, zones stop growing when full, and the town's units go to the next
zones by price, not to their nearest.
"""

from __future__ import annotations

import heapq

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog
from scipy.sparse.csgraph import dijkstra

from .problem import FloatArray, IntArray, ZoneCase

__all__ = ["edge_lengths", "graph_distances", "graph_prices", "priced_growth", "priced_start"]


def edge_lengths(case: ZoneCase) -> FloatArray:
    """Length of each edge (metres): how far apart its units lie.

    From the units' coordinates where the case has them; else ``max_j |d[u, j] − d[v, j]|``
    over the schools, a lower bound on it (exact where a school lies in line with the edge).

    Examples
    --------
    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [1000, 500]])
    >>> c = make_case(np.ones(3), xy, xy[[0, 2]], np.ones(2), np.array([0, 2]),
    ...     np.array([[0, 1], [1, 2]]))
    >>> edge_lengths(c).tolist()
    [1000.0, 500.0]
    """
    e = case.edges
    if case.unit_xy is not None and len(case.unit_xy) == case.n:
        xy = case.unit_xy
        return np.asarray(np.hypot(*(xy[e[:, 0]] - xy[e[:, 1]]).T), dtype=np.float64)
    if case.m == 0 or e.size == 0:
        return np.zeros(len(e))
    d = case.distance_m
    return np.asarray(np.abs(d[e[:, 0]] - d[e[:, 1]]).max(axis=1), dtype=np.float64)


def graph_distances(case: ZoneCase, lengths: FloatArray | None = None) -> FloatArray:
    """``(n, m)``: shortest paths from each unit to each school's unit, through no other.

    ``inf`` where no such path exists; a school's unit is at 0 from its school and at
    ``inf`` from the others.

    Examples
    --------
    A row of four units 1 km apart, schools in units 0 and 2: unit 3 lies behind school 1.

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0]])
    >>> c = make_case(np.ones(4), xy, xy[[0, 2]], np.ones(2), np.array([0, 2]),
    ...     np.array([[0, 1], [1, 2], [2, 3]]))
    >>> graph_distances(c).tolist()
    [[0.0, inf], [1000.0, 1000.0], [inf, 0.0], [inf, 1000.0]]
    """
    n, m = case.n, case.m
    w = edge_lengths(case) if lengths is None else lengths
    e = case.edges
    is_root = np.zeros(n, dtype=bool)
    is_root[case.root] = True
    out = np.full((n, m), np.inf)
    for j, r in enumerate(case.root.tolist()):
        ok = (~is_root[e[:, 0]] | (e[:, 0] == r)) & (~is_root[e[:, 1]] | (e[:, 1] == r))
        g = sp.coo_array((np.maximum(w[ok], 1e-3), (e[ok, 0], e[ok, 1])), shape=(n, n)).tocsr()
        out[:, j] = dijkstra(g, directed=False, indices=r)
    out[case.root, :] = np.inf
    out[case.root, np.arange(m)] = 0.0
    return out


def graph_prices(case: ZoneCase, g: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Solve the transport LP on graph distances: each school's price, each unit's shares.

    ``min Σ pupils_i · g[i, j] · x[i, j] + big · Σ o_j`` with ``Σ_j x[i, j] = 1`` and
    ``Σ_i pupils_i x[i, j] − o_j ≤ allowed_j``, over the pairs with a path (``g`` finite).
    Returns the prices ``π`` (metres per pupil: minus the duals of the capacity rows) and
    the shares ``x`` as an ``(n, m)`` array (units without pupils: all 0).

    Examples
    --------
    Schools at 0 and 6 km (room for 10 and 30 pupils), two units of 10 pupils at 1 and
    2 km. Only one fits the first school: the unit at 1 km (it saves 4 km, the other
    2 km). The first school's room is worth 2 km a pupil: at less, the unit at 2 km would
    take it too.

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [4000, 0], [6000, 0]])
    >>> c = make_case(np.array([0.0, 10, 10, 0, 0]), xy, xy[[0, 4]], np.array([10.0, 30]),
    ...     np.array([0, 4]), np.array([[0, 1], [1, 2], [2, 3], [3, 4]]))
    >>> pi, x = graph_prices(c, graph_distances(c))
    >>> pi.round(3).tolist(), x[[1, 2]].round(6).tolist()
    ([2000.0, 0.0], [[1.0, 0.0], [0.0, 1.0]])
    """
    n, m = case.n, case.m
    users = np.flatnonzero(case.pupils > 0)
    ok = np.isfinite(g[users])
    ui, sj = np.nonzero(ok)
    x = ui.size
    k = users.size
    shares = np.zeros((n, m))
    if k == 0 or m == 0:
        return np.zeros(m), shares
    p = case.pupils[users]
    big = 10.0 * (float(g[np.isfinite(g)].max(initial=0.0)) / 1000.0 + 1.0)
    cost = np.concatenate([p[ui] * g[users[ui], sj] / 1000.0, np.full(m, big)])
    a_ub = sp.csc_array(
        (
            np.concatenate([p[ui], -np.ones(m)]),
            (np.concatenate([sj, np.arange(m)]), np.concatenate([np.arange(x), x + np.arange(m)])),
        ),
        shape=(m, x + m),
    )
    a_eq = sp.csc_array((np.ones(x), (ui, np.arange(x))), shape=(k, x + m))
    # scipy's interface to HiGHS rather than planning.siting.highs.solve_highs: this step
    # needs the duals of the capacity rows, which solve_highs does not return
    res = linprog(
        cost,
        A_ub=a_ub,
        b_ub=case.allowed,
        A_eq=a_eq,
        b_eq=np.ones(k),
        bounds=(0.0, None),
        method="highs",
    )
    if res.status != 0:  # cannot happen: the overflow columns keep the LP feasible
        return np.zeros(m), shares
    pi = np.clip(-np.asarray(res.ineqlin.marginals, dtype=float) * 1000.0, 0.0, None)
    shares[users[ui], sj] = np.clip(res.x[:x], 0.0, 1.0) + 0.0  # no -0.0
    return pi, shares


def priced_growth(
    case: ZoneCase,
    nb: list[list[int]],
    pi: FloatArray,
    shares: FloatArray,
    lengths: FloatArray,
) -> IntArray:
    """Grow all zones at once from their schools by price plus path length, within room.

    A unit is taken by the first zone to reach it (key: ``π_j`` + path length, rounded to
    the metre; then the larger LP share; then the lower school) whose load leaves room
    for its pupils. Returns labels, ``-1`` for units no zone with room reached.

    Examples
    --------
    A row of five units of 10 pupils, schools in units 0 and 4 with room for 20 and 30.
    At equal prices unit 2 would go to either (2 km from both); the left school is full
    with units 0–1, so the right one takes it:

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0], [4000, 0]])
    >>> c = make_case(np.full(5, 10.0), xy, xy[[0, 4]], np.array([20.0, 30]),
    ...     np.array([0, 4]), np.array([[0, 1], [1, 2], [2, 3], [3, 4]]))
    >>> priced_growth(c, c.neighbours(), np.zeros(2), np.zeros((5, 2)),
    ...     edge_lengths(c)).tolist()
    [0, 0, 1, 1, 1]
    """
    n, m = case.n, case.m
    label = np.full(n, -1, dtype=np.int64)
    is_root = np.zeros(n, dtype=bool)
    is_root[case.root] = True
    length = {}
    for (a, b), w in zip(case.edges.tolist(), lengths.tolist(), strict=True):
        length[(a, b)] = length[(b, a)] = w
    load = np.zeros(m)
    for j, r in enumerate(case.root.tolist()):
        if label[r] < 0:
            label[r] = j
            load[j] += case.pupils[r]
    heap: list[tuple[float, float, int, int, float]] = []

    def reach(d: float, j: int, v: int) -> None:
        heapq.heappush(heap, (float(round(d)), -float(shares[v, j]), j, v, d))

    for j, r in enumerate(case.root.tolist()):
        if label[r] == j:
            for v in nb[r]:
                if not is_root[v]:
                    reach(float(pi[j]) + length[(r, v)], j, v)
    while heap:
        _, _, j, u, d = heapq.heappop(heap)
        if label[u] >= 0 or load[j] + case.pupils[u] > case.allowed[j] + 1e-9:
            continue
        label[u] = j
        load[j] += case.pupils[u]
        for v in nb[u]:
            if label[v] < 0 and not is_root[v]:
                reach(d + length[(u, v)], j, v)
    return label


def priced_start(case: ZoneCase, nb: list[list[int]]) -> IntArray:
    """:func:`priced_growth` at the prices of :func:`graph_prices` (labels, ``-1`` unset).

    Examples
    --------
    Units at 0, 1, 2, 3 and 5 km on a row, schools at both ends with room for 10 and 30,
    10 pupils at 1, 2 and 3 km: the first school's room goes to the unit nearest it.

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0], [5000, 0]])
    >>> c = make_case(np.array([0.0, 10, 10, 10, 0]), xy, xy[[0, 4]],
    ...     np.array([10.0, 30]), np.array([0, 4]), np.array([[0, 1], [1, 2], [2, 3], [3, 4]]))
    >>> priced_start(c, c.neighbours()).tolist()
    [0, 0, 1, 1, 1]
    """
    lengths = edge_lengths(case)
    g = graph_distances(case, lengths)
    pi, shares = graph_prices(case, g)
    return priced_growth(case, nb, pi, shares, lengths)
