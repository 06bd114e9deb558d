"""Ejection chains: relieve a school over its allowed pupils through a row of zones.

A single move rarely helps a full school whose neighbours are full too. A *chain* moves one
edge unit from the full zone into a neighbour, one from that neighbour into the next, and
so on until a zone with room takes the last unit: each zone stays connected and every
school but the full one and the last keeps its load roughly the same. Chains are found by
a breadth-first search over the zones, from the full zone towards the nearest zone with
room, each step moving the unit whose travel grows least; a chain is kept only when it
lowers the objective (travel plus the overflow penalty), checked move by move.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .problem import IntArray, ZoneCase, stays_connected
from .push import removable_units

__all__ = ["relieve_overflow"]


def _edge_moves(
    case: ZoneCase, label: IntArray, nb: list[list[int]], x: int, is_root: np.ndarray, need: float
) -> dict[int, tuple[int, float]]:
    """For zone ``x``: the unit to hand to each neighbouring zone, and its pupils.

    Preferred: units of at least ``need`` pupils (so ``x`` does not fill up), least travel
    added; else the largest unit. Only units whose zone stays connected without them.
    """
    best: dict[int, tuple[tuple[bool, float], int]] = {}
    free = removable_units(case, label, nb, x)  # None: zone not connected, ask unit by unit
    for u in np.flatnonzero(label == x).tolist():
        if is_root[u] or case.pupils[u] <= 0:
            continue
        targets = {int(label[v]) for v in nb[u]} - {x}
        if not targets:
            continue
        if (u not in free) if free is not None else not stays_connected(case, label, nb, u):
            continue
        p = float(case.pupils[u])
        for y in targets:
            score = (
                p < need - 1e-9,
                -p if p < need - 1e-9 else float(case.cost[u, y] - case.cost[u, x]),
            )
            if y not in best or score < best[y][0]:
                best[y] = (score, u)
    return {y: (u, float(case.pupils[u])) for y, (_, u) in sorted(best.items())}


def _find_chain(
    case: ZoneCase,
    label: IntArray,
    nb: list[list[int]],
    load: np.ndarray,
    a: int,
    is_root: np.ndarray,
    max_zones: int,
) -> list[tuple[int, int]]:
    """Return the moves ``(unit, to_zone)`` from zone ``a`` to the nearest zone with room."""
    prev: dict[int, tuple[int, int]] = {a: (-1, -1)}
    incoming = {a: float(load[a] - case.allowed[a])}
    todo = deque([a])
    while todo and len(prev) < max_zones:
        x = todo.popleft()
        slack = 0.0 if x == a else float(case.allowed[x] - load[x])
        for y, (u, p) in _edge_moves(case, label, nb, x, is_root, incoming[x] - slack).items():
            if y in prev:
                continue
            prev[y] = (x, u)
            incoming[y] = p
            if load[y] + p <= case.allowed[y] + 1e-9:
                chain = []
                z = y
                while z != a:
                    x_, u_ = prev[z]
                    chain.append((u_, z))
                    z = x_
                return chain[::-1]
            todo.append(y)
    return []


def _over(load: np.ndarray, allowed: np.ndarray) -> float:
    return float(np.clip(load - allowed, 0.0, None).sum())


def _apply(
    case: ZoneCase,
    label: IntArray,
    nb: list[list[int]],
    load: np.ndarray,
    chain: list[tuple[int, int]],
) -> float | None:
    """Apply a chain in place, move by move; return its objective change, or None (undone)."""
    done: list[tuple[int, int]] = []
    before = _over(load, case.allowed)
    delta = 0.0
    ok = True
    for u, y in chain:
        x = int(label[u])
        if (
            x == y
            or not any(label[v] == y for v in nb[u])
            or not stays_connected(case, label, nb, u)
        ):
            ok = False
            break
        delta += float(case.cost[u, y] - case.cost[u, x])
        label[u] = y
        load[x] -= case.pupils[u]
        load[y] += case.pupils[u]
        done.append((u, x))
    if ok:
        delta += case.penalty * (_over(load, case.allowed) - before)
        if delta < -1e-9:
            return delta
    for u, x in reversed(done):
        y = int(label[u])
        label[u] = x
        load[y] -= case.pupils[u]
        load[x] += case.pupils[u]
    return None


def relieve_overflow(
    case: ZoneCase,
    label: IntArray,
    nb: list[list[int]],
    *,
    max_rounds: int = 1000,
    max_zones: int | None = None,
) -> tuple[IntArray, int]:
    """Run ejection chains from the fullest zones while they lower the objective.

    Examples
    --------
    Three units in a row, schools in the end units; the middle unit has 10 pupils and
    the left school room for 5: the chain hands it to the right school.

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [3000, 0]])
    >>> c = make_case(np.array([0.0, 10, 0]), xy, xy[[0, 2]], np.array([5.0, 50]),
    ...     np.array([0, 2]), np.array([[0, 1], [1, 2]]))
    >>> relieve_overflow(c, np.array([0, 0, 1]), c.neighbours())[0].tolist()
    [0, 1, 1]
    """
    label = label.copy()
    load = np.bincount(label, weights=case.pupils, minlength=case.m)
    is_root = np.zeros(case.n, dtype=bool)
    is_root[case.root] = True
    chains = 0
    limit = case.m + 1 if max_zones is None else max_zones
    for _ in range(max_rounds):
        over = load - case.allowed
        full = [int(a) for a in np.argsort(-over, kind="stable") if over[a] > 1e-9]
        progress = False
        for a in full:
            chain = _find_chain(case, label, nb, load, a, is_root, limit)
            if chain and _apply(case, label, nb, load, chain) is not None:
                chains += 1
                progress = True
        if not progress:
            break
    return label, chains
