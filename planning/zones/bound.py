"""Which schools a unit can reach in a contiguous zoning, and the overflow no zoning avoids.

**Pockets.** Remove the schools' own units (the *roots*) from the unit graph; what is left
falls into connected pieces, the *pockets*. A unit ``u`` of pocket ``P`` can belong to
school ``s`` only if ``s``'s root borders ``P``:

    In a feasible zoning, zone ``s`` is connected and holds ``u`` and the root ``r_s``, so
    a path ``u = v_0, v_1, …, v_k = r_s`` runs inside zone ``s``. Every other root ``r_t``
    (``t ≠ s``) lies in zone ``t``, not in zone ``s``, so ``v_0 … v_{k-1}`` are no roots:
    they form a connected set without roots that holds ``u``, hence lie in ``P``, and
    ``v_{k-1} ∈ P`` is a neighbour of ``r_s``. ∎

A root belongs to its own school (the exact model fixes it so). A pocket bordering no root
(possible only where a district's units fall apart) is left free: no zoning is contiguous
there, and the bounds below must stay below whatever answer is given.

So a relaxation that lets a unit go only to the schools its pocket borders (and a root only
to its school) is still a relaxation of every contiguous zoning: its optimum is a lower
bound, and at least as high as with every unit free to go anywhere. The transport LP of
:func:`~xuewei.planning.zones.heuristic.transport_bound` is solved on these arcs, and
:func:`unavoidable_overflow` is the least overflow of a fractional assignment on them.

A pocket behind a full school's root (a corner of the district reached only through it)
can only go to that school: its pupils are over however the zones are drawn, which the
district's shortfall alone does not show.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, maximum_flow

from xuewei.planning.siting.highs import solve_highs

from .problem import IntArray, ZoneCase

__all__ = ["least_over_trip_m", "pockets", "reachable", "unavoidable_overflow"]

BoolArray = npt.NDArray[np.bool_]


def pockets(case: ZoneCase) -> tuple[IntArray, BoolArray]:
    """Return each unit's pocket (``-1`` for roots) and the schools bordering each pocket.

    Returns
    -------
    pocket
        ``(n,)``: the pocket of each unit, ``-1`` for the schools' own units.
    borders
        ``(pockets, m)``: ``True`` where the school's root is a neighbour of the pocket.

    Examples
    --------
    A row of five units, schools in units 0 and 2: units 3 and 4 lie behind school 1.

    >>> from xuewei.planning.zones.problem import make_case
    >>> c = make_case(np.ones(5), np.zeros((5, 2)), np.zeros((2, 2)), np.ones(2),
    ...     np.array([0, 2]), np.array([[0, 1], [1, 2], [2, 3], [3, 4]]))
    >>> p, b = pockets(c)
    >>> p.tolist(), b.tolist()
    ([-1, 0, -1, 1, 1], [[True, True], [False, True]])
    """
    n, m = case.n, case.m
    is_root = np.zeros(n, dtype=bool)
    is_root[case.root] = True
    e = case.edges
    inner = e[~is_root[e[:, 0]] & ~is_root[e[:, 1]]]
    g = sp.coo_array((np.ones(len(inner)), (inner[:, 0], inner[:, 1])), shape=(n, n))
    _, comp = connected_components(g, directed=False)
    # number the pockets 0, 1, … in order of their first unit (roots are not pockets)
    first = {int(c): None for c, r in zip(comp.tolist(), is_root.tolist(), strict=True) if not r}
    order = {c: k for k, c in enumerate(first)}
    pocket = np.array(
        [-1 if r else order[int(c)] for c, r in zip(comp.tolist(), is_root.tolist(), strict=True)],
        dtype=np.int64,
    )
    borders = np.zeros((len(order), m), dtype=bool)
    for a, b in e.tolist():
        for u, r in ((a, b), (b, a)):
            if pocket[u] >= 0 and is_root[r]:
                borders[pocket[u], case.root == r] = True
    return pocket, borders


def reachable(case: ZoneCase) -> BoolArray:
    """``(n, m)``: whether unit ``i`` may belong to school ``j`` in a contiguous zoning.

    A root may belong only to its school(s); any other unit only to the schools whose roots
    border its pocket (all schools, for a pocket bordering none). See the module docstring
    for the proof.

    Examples
    --------
    >>> from xuewei.planning.zones.problem import make_case
    >>> c = make_case(np.ones(5), np.zeros((5, 2)), np.zeros((2, 2)), np.ones(2),
    ...     np.array([0, 2]), np.array([[0, 1], [1, 2], [2, 3], [3, 4]]))
    >>> reachable(c).astype(int).tolist()
    [[1, 0], [1, 1], [0, 1], [0, 1], [0, 1]]
    """
    pocket, borders = pockets(case)
    borders[~borders.any(axis=1)] = True  # a pocket no school borders: left free
    out = np.zeros((case.n, case.m), dtype=bool)
    free = pocket >= 0
    out[free] = borders[pocket[free]]
    out[case.root, np.arange(case.m)] = True
    return out


def unavoidable_overflow(case: ZoneCase, reach: BoolArray | None = None) -> float:
    """Pupils over that no contiguous zoning avoids: a lower bound on the total overflow.

    The least overflow of a fractional assignment in which each unit goes only to the
    schools it can reach (:func:`reachable`): the pupils minus a maximum flow from the
    pockets (and roots) to the schools, each school taking at most its allowed pupils. It
    is at least the district's shortfall (all pupils − all allowed places) and at least the
    pupils of schools' own units beyond their school's allowed number.

    Examples
    --------
    A row of three units; school 0 stands in unit 0 (room for 15), school 1 in unit 1 (room
    for 10, 12 pupils in its own unit). 30 pupils, room for 25: the shortfall is 5. But
    unit 2 lies behind school 1 and reaches only it, so 12 + 8 − 10 = 10 are over:

    >>> from xuewei.planning.zones.problem import make_case
    >>> c = make_case(np.array([10.0, 12, 8]), np.zeros((3, 2)), np.zeros((2, 2)),
    ...     np.array([15.0, 10]), np.array([0, 1]), np.array([[0, 1], [1, 2]]))
    >>> unavoidable_overflow(c)
    10.0
    """
    if case.m == 0 or case.n == 0:
        return float(case.pupils.sum())
    reach = reachable(case) if reach is None else reach
    pocket, _ = pockets(case)
    # groups of units with the same reachable schools: each pocket, and each root
    group = np.where(pocket >= 0, pocket, pocket.max(initial=-1) + 1 + np.arange(case.n))
    _, first, group = np.unique(group, return_index=True, return_inverse=True)
    pupils = np.bincount(group, weights=case.pupils, minlength=first.size)
    gi, sj = np.nonzero(reach[first] & (pupils[:, None] > 0))
    k, m, x = first.size, case.m, gi.size
    if x == 0:
        return float(case.pupils.sum())
    a = sp.csc_array(
        (np.ones(2 * x), (np.concatenate([gi, k + sj]), np.tile(np.arange(x), 2))),
        shape=(k + m, x),
    )
    solved = solve_highs(
        -np.ones(x),
        a,
        np.full(k + m, -np.inf),
        np.concatenate([pupils, np.clip(case.allowed, 0.0, None)]),
        np.zeros(x),
        np.full(x, np.inf),
        np.zeros(x, dtype=bool),
        time_limit_s=600.0,
        mip_rel_gap=0.0,
    )
    placed = 0.0 if solved is None else -float(solved.objective)
    return max(float(case.pupils.sum()) - placed, 0.0)


def least_over_trip_m(
    case: ZoneCase, over_bound: float, *, tol: float = 0.5, reach: BoolArray | None = None
) -> float:
    """Return the longest trip no zoning with as few pupils over as possible avoids (m).

    Every contiguous zoning that leaves at most ``over_bound`` + ``tol`` pupils over
    (``over_bound`` from :func:`unavoidable_overflow`: where the district has places
    for all, 0) sends some pupil at least this far. Two reasons, the larger is returned:

    - each unit with pupils must go to a school it can reach (:func:`reachable`), so
      some pupil travels as far as the farthest unit's nearest such school;
    - if every trip were shorter than ``L``, the zoning would be a flow from the units to
      the schools on arcs shorter than ``L``, each school taking at most its allowed
      pupils; so the pupils minus the largest such flow are over. The smallest ``L``
      (among the arcs' lengths) for which that is within ``over_bound`` + ``tol`` is
      found by bisection, each step a maximum flow (pupils in thousandths).

    ``reach``: :func:`reachable` of the case, where already computed. NaN without
    schools or pupils. It says what the least overflow costs in travel: on
    the demo's Liuyang primary case (places for all), no zoning without pupils over keeps
    every pupil within 17.6 km (straight line) of their school.

    Examples
    --------
    A row of units 0, 1, 2, 3 km; 10 pupils in each of units 1–3; school 0 in unit 0 may
    take 20, school 1 in unit 3 may take 10. No pupil is over only if school 0 takes
    units 1 and 2 (1 and 2 km) and school 1 its own: the longest trip is 2 km. With 10
    pupils over allowed, unit 2 may stay with school 1, 1 km away:

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0]])
    >>> c = make_case(np.array([0.0, 10, 10, 10]), xy, xy[[0, 3]], np.array([20.0, 10]),
    ...     np.array([0, 3]), np.array([[0, 1], [1, 2], [2, 3]]))
    >>> least_over_trip_m(c, 0.0), least_over_trip_m(c, 10.0)
    (2000.0, 1000.0)
    """
    has = case.pupils > 0
    if case.m == 0 or not has.any():
        return float("nan")
    reach = reachable(case) if reach is None else reach
    far = np.where(reach, case.distance_m, np.inf)
    floor = float(far[has].min(axis=1).max())  # every unit goes somewhere
    ui, sj = np.nonzero(reach & has[:, None])
    length = case.distance_m[ui, sj]
    steps = np.unique(length[length >= floor])
    # the flow network: source → units (pupils), units → schools, schools → sink (allowed),
    # in thousandths of a pupil (maximum_flow takes whole numbers)
    n, m = case.n, case.m
    pupils = np.round(case.pupils * 1000.0).astype(np.int64)
    allowed = np.round(np.clip(case.allowed, 0.0, None) * 1000.0).astype(np.int64)
    ends = (np.full(n, n + m), np.arange(n), n + np.arange(m), np.full(m, n + m + 1))
    lo, hi = 0, steps.size - 1
    while lo < hi:
        mid = (lo + hi) // 2
        short = length <= steps[mid]
        rows = np.concatenate([ends[0], ui[short], ends[2]])
        cols = np.concatenate([ends[1], n + sj[short], ends[3]])
        caps = np.concatenate([pupils, np.full(int(short.sum()), pupils.sum() + 1), allowed])
        graph = sp.csr_array((caps, (rows, cols)), shape=(n + m + 2, n + m + 2))
        unplaced = (pupils.sum() - maximum_flow(graph, n + m, n + m + 1).flow_value) / 1000.0
        if unplaced <= over_bound + tol:
            hi = mid
        else:
            lo = mid + 1
    return float(steps[lo]) if steps.size else floor
