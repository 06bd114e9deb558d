"""Pairs re-split exactly: a zone over its places and a neighbouring zone with room.

Pushes, chains and local search move one unit or one branch at a time. Beside a zone with
room, a zone over its places often has only branches larger than that room (a border unit
carries every unit behind it), and a single unit that fits would cut the zone apart. Here
the two zones' units are split anew between the two schools by the exact model of
:mod:`~xuewei.planning.zones.exact` (flow contiguity, HiGHS) on just those units: both new
zones are connected within the pair's units, hence in the district, and every other zone
is left as it was, so the change of the pair's objective (travel plus the overflow
penalty of the two schools) is the change of the whole objective. A new split is kept
only when it lowers it.
"""

from __future__ import annotations

import time

import numpy as np

from .exact import solve_exact
from .problem import IntArray, ZoneCase, components_of, objective_of

__all__ = ["PAIR_MAX_NODES", "pair_case", "resplit_pairs"]

#: Branch-and-bound nodes each pair's model may use. On the Changsha demo city every pair
#: model of the city's zoning closes within 874 nodes (1.2 s; most within 100). Until
#: 2026-12-06 the budget was 2 s of wall clock, which a busy machine reached first: the
#: same plan then drew different zones (Liuyang's primary pupils over 7,897 or 7,892).
PAIR_MAX_NODES = 5_000


def pair_case(case: ZoneCase, label: IntArray, x: int, y: int) -> tuple[ZoneCase, IntArray]:
    """Return the case of zones ``x`` and ``y`` alone (schools 0, 1) and its units.

    Examples
    --------
    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0]])
    >>> c = make_case(np.full(4, 10.0), xy, xy[[0, 2, 3]], np.array([10.0, 30, 9]),
    ...     np.array([0, 2, 3]), np.array([[0, 1], [1, 2], [2, 3]]))
    >>> sub, units = pair_case(c, np.array([0, 0, 1, 2]), 0, 1)
    >>> units.tolist(), sub.root.tolist(), sub.edges.tolist(), sub.allowed.tolist()
    ([0, 1, 2], [0, 2], [[0, 1], [1, 2]], [10.0, 30.0])
    """
    units = np.flatnonzero((label == x) | (label == y))
    local = np.full(case.n, -1, dtype=np.int64)
    local[units] = np.arange(units.size)
    e = case.edges
    inner = e[(local[e[:, 0]] >= 0) & (local[e[:, 1]] >= 0)]
    pair = np.array([x, y])
    xy = None if case.unit_xy is None else case.unit_xy[units]
    return (
        ZoneCase(
            pupils=case.pupils[units],
            distance_m=case.distance_m[np.ix_(units, pair)],
            cost=case.cost[np.ix_(units, pair)],
            allowed=case.allowed[pair],
            root=local[case.root[pair]],
            edges=local[inner],
            current=np.full(units.size, -1, dtype=np.int64),
            penalty=case.penalty,
            unit_xy=xy,
        ),
        units,
    )


def _pairs(case: ZoneCase, label: IntArray, load: np.ndarray) -> list[tuple[int, int]]:
    """Neighbouring zones ``(x, y)``: ``x`` over its places, ``y`` with room; in order."""
    a, b = label[case.edges[:, 0]], label[case.edges[:, 1]]
    over = load > case.allowed + 1e-9
    room = load < case.allowed - 1e-9
    out = set()
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        if x != y:
            if over[x] and room[y]:
                out.add((x, y))
            if over[y] and room[x]:
                out.add((y, x))
    return sorted(out)


def resplit_pairs(
    case: ZoneCase,
    label: IntArray,
    *,
    rounds: int = 2,
    max_nodes: int = PAIR_MAX_NODES,
    deadline: float = float("inf"),
    tried: set[bytes] | None = None,
) -> tuple[IntArray, int]:
    """Split each over zone and its neighbour with room anew, exactly; keep what helps.

    Up to ``rounds`` passes over the pairs (each pass finds them anew; stops after a pass
    that changes nothing). Each pair's model gets ``max_nodes`` branch-and-bound nodes
    (and stops at ``deadline`` in any case), started from the present split: a budget of
    work, not of seconds, so that a busy machine draws the same zones as a quiet one.
    Returns the labels and the number of pairs re-split. ``tried``: pairs already solved
    without gain (a set this function fills in), skipped while both zones hold the same
    units — the model would give the same answer.

    Examples
    --------
    A 2 × 2 grid; school 0 in unit 0 (room for 10), school 1 in unit 3 (room for 15);
    units 1 and 2 hold 15 and 10 pupils. Zones {0, 1} and {2, 3}: school 0 is 5 over, and
    handing either unit over leaves more pupils over (10 or 15). Swapped, both fit:

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [0, 1000], [1000, 1000]])
    >>> c = make_case(np.array([0.0, 15, 10, 0]), xy, xy[[0, 3]], np.array([10.0, 15]),
    ...     np.array([0, 3]), np.array([[0, 1], [2, 3], [0, 2], [1, 3]]))
    >>> lab, n = resplit_pairs(c, np.array([0, 0, 1, 1]))
    >>> lab.tolist(), n
    ([0, 1, 0, 1], 1)
    """
    label = label.copy()
    done = 0
    for _ in range(rounds):
        changed = 0
        load = np.bincount(label, weights=case.pupils, minlength=case.m)
        for x, y in _pairs(case, label, load):
            left = deadline - time.perf_counter()
            if left <= 0:
                return label, done + changed
            if not (load[x] > case.allowed[x] + 1e-9 and load[y] < case.allowed[y] - 1e-9):
                continue  # an earlier pair changed one of them
            sub, units = pair_case(case, label, x, y)
            start = (label[units] == y).astype(np.int64)
            key = np.concatenate([[x, y], units, start]).astype(np.int64).tobytes()
            if tried is not None and key in tried:
                continue
            ans = solve_exact((sub,), time_limit_s=left, start=(start,), max_nodes=max_nodes)
            new = start if ans is None else ans.labels[0]
            old = objective_of(sub, start)
            if objective_of(sub, new) < old - 1e-9 * max(1.0, abs(old)) and not components_of(
                sub, new, sub.neighbours()
            ):
                label[units] = np.where(new == 1, y, x)
                load[[x, y]] = np.bincount(new, weights=sub.pupils, minlength=2)
                changed += 1
            elif tried is not None:
                tried.add(key)
        done += changed
        if not changed:
            break
    return label, done
