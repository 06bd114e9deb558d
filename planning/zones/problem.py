"""One zoning problem: the units of one district and the schools of one level, as arrays.

Every solver of :mod:`xuewei.planning.zones` works on a :class:`ZoneCase`: pupils per unit,
the cost of sending a unit to each school (pupil-kilometres of travel plus the weight of
each pupil moved away from the current school), the schools' allowed pupils, the unit each
school stands in (its zone's root), and the neighbouring pairs of units.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "ZoneCase",
    "components_of",
    "make_case",
    "objective_of",
    "overflow_of",
    "stays_connected",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ZoneCase:
    """Arrays of one district and level (units ``n``, schools ``m``).

    Attributes
    ----------
    pupils
        Pupils per unit, ``(n,)``.
    distance_m
        Travel distance unit → school in metres, ``(n, m)``.
    cost
        Objective cost of each assignment, ``(n, m)``: ``pupils × distance_km`` plus
        ``moved_weight_km × pupils`` where the school is not the unit's current one.
    allowed
        Pupils each school may take: places × the allowed utilisation, ``(m,)``.
    root
        The unit each school stands in, ``(m,)``.
    edges
        Neighbouring unit pairs ``(e, 2)``.
    current
        The current school of each unit (``-1``: none given), ``(n,)``.
    penalty
        Objective cost of one pupil over an allowed number: more than any whole travel
        bill, so that overflow is minimised first.
    unit_xy
        The units' coordinates (metres), ``(n, 2)``, where known.
    """

    pupils: FloatArray
    distance_m: FloatArray
    cost: FloatArray
    allowed: FloatArray
    root: IntArray
    edges: IntArray
    current: IntArray
    penalty: float
    unit_xy: FloatArray | None = None

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.pupils.size)

    @property
    def m(self) -> int:
        """Number of schools."""
        return int(self.allowed.size)

    def neighbours(self) -> list[list[int]]:
        """Adjacency lists of the units (sorted, so searches are deterministic)."""
        nb: list[list[int]] = [[] for _ in range(self.n)]
        for i, j in self.edges.tolist():
            nb[i].append(j)
            nb[j].append(i)
        return [sorted(v) for v in nb]


def make_case(
    pupils: FloatArray,
    unit_xy: FloatArray,
    school_xy: FloatArray,
    allowed: FloatArray,
    root: IntArray,
    edges: IntArray,
    *,
    current: IntArray | None = None,
    moved_weight_km: float = 1.0,
    detour_factor: float = 1.0,
) -> ZoneCase:
    """Build a :class:`ZoneCase` with straight-line distances × ``detour_factor``.

    Examples
    --------
    >>> c = make_case(np.array([10.0, 5.0]), np.array([[0.0, 0], [1000, 0]]),
    ...     np.array([[0.0, 0]]), np.array([20.0]), np.array([0]), np.array([[0, 1]]))
    >>> c.cost.tolist(), c.penalty
    ([[0.0], [5.0]], 6.0)
    """
    d = np.hypot(
        unit_xy[:, None, 0] - school_xy[None, :, 0], unit_xy[:, None, 1] - school_xy[None, :, 1]
    ) * float(detour_factor)
    cost = pupils[:, None] * d / 1000.0
    cur = np.full(pupils.size, -1, dtype=np.int64) if current is None else current.astype(np.int64)
    if current is not None:
        moved = (cur[:, None] >= 0) & (cur[:, None] != np.arange(allowed.size)[None, :])
        cost = cost + moved * pupils[:, None] * float(moved_weight_km)
    worst = float(cost.max(axis=1).sum()) if cost.size else 0.0
    return ZoneCase(
        pupils=pupils.astype(float),
        distance_m=d,
        cost=cost,
        allowed=allowed.astype(float),
        root=root.astype(np.int64),
        edges=edges.astype(np.int64).reshape(-1, 2),
        current=cur,
        penalty=max(worst, 1.0) + 1.0,
        unit_xy=np.asarray(unit_xy, dtype=float).reshape(-1, 2),
    )


def overflow_of(case: ZoneCase, label: IntArray) -> FloatArray:
    """Pupils over the allowed number at each school for an assignment ``label``."""
    load = np.bincount(label, weights=case.pupils, minlength=case.m)
    return np.asarray(np.clip(load - case.allowed, 0.0, None), dtype=np.float64)


def objective_of(case: ZoneCase, label: IntArray) -> float:
    """Return the objective of an assignment: cost plus the overflow penalty."""
    cost = float(case.cost[np.arange(case.n), label].sum())
    return cost + case.penalty * float(overflow_of(case, label).sum())


def components_of(case: ZoneCase, label: IntArray, nb: list[list[int]]) -> int:
    """Count the zones (schools) whose units do not form one connected piece.

    Examples
    --------
    >>> c = make_case(np.ones(3), np.array([[0.0, 0], [1, 0], [2, 0]]),
    ...     np.array([[0.0, 0], [1, 0]]), np.array([9.0, 9]), np.array([0, 1]),
    ...     np.array([[0, 1], [1, 2]]))
    >>> components_of(c, np.array([0, 1, 0]), c.neighbours())
    1
    """
    broken = 0
    for j in range(case.m):
        members = set(np.flatnonzero(label == j).tolist())
        if not members:
            continue
        start = int(case.root[j]) if int(case.root[j]) in members else min(members)
        seen, todo = {start}, deque([start])
        while todo:
            u = todo.popleft()
            for v in nb[u]:
                if v in members and v not in seen:
                    seen.add(v)
                    todo.append(v)
        broken += len(seen) != len(members)
    return broken


def stays_connected(case: ZoneCase, label: IntArray, nb: list[list[int]], i: int) -> bool:
    """Whether zone ``label[i]`` stays connected without unit ``i``."""
    j = int(label[i])
    ours = [v for v in nb[i] if label[v] == j]
    if len(ours) <= 1:
        return True
    target = set(ours)
    start = ours[0]
    seen, todo = {start, i}, deque([start])
    target.discard(start)
    while todo and target:
        u = todo.popleft()
        for v in nb[u]:
            if label[v] == j and v not in seen:
                seen.add(v)
                target.discard(v)
                todo.append(v)
    return not target
