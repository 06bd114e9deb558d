"""Pushes of excess pupils down the zone graph, towards the zones with room.

A single move or a short ejection chain rarely empties a full school in the middle of a
full town: its pupils must pass through many full zones to reach the schools with room,
which may lie tens of kilometres away. Here, as in the push–relabel method of maximum
flows, each zone has a *height*: the number of zone borders between it and the nearest
zone with room (a breadth-first search over the zone graph). In each sweep every zone over
its allowed pupils hands one *branch* (a unit on its border with a lower zone, plus the
units of its zone cut off from the school without it, so both zones stay connected) to a
neighbouring zone one step lower. A branch of no more pupils than the zone's excess is
preferred (the total over does not grow), the cheapest in travel per pupil first; else the
branch that adds least overflow, so that excess keeps moving. Heights are computed anew
each sweep. The best assignment seen (travel plus the overflow penalty) is returned.
"""

from __future__ import annotations

import time
from collections import deque

import numpy as np

from .problem import IntArray, ZoneCase, objective_of

__all__ = ["branch_of", "push_excess", "removable_units", "zone_branches", "zone_heights"]


def branch_of(case: ZoneCase, label: IntArray, nb: list[list[int]], u: int) -> list[int]:
    """Return unit ``u`` and the units of its zone cut off from the school without ``u``.

    Examples
    --------
    A row of four units, one zone rooted in unit 0: leaving, unit 2 takes unit 3 along.

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1, 0], [2, 0], [3, 0]])
    >>> c = make_case(np.ones(4), xy, xy[:1], np.array([9.0]), np.array([0]),
    ...     np.array([[0, 1], [1, 2], [2, 3]]))
    >>> branch_of(c, np.zeros(4, dtype=np.int64), c.neighbours(), 2)
    [2, 3]
    """
    x = int(label[u])
    r = int(case.root[x])
    seen, todo = {r, u}, deque([r])
    while todo:
        v = todo.popleft()
        for w in nb[v]:
            if label[w] == x and w not in seen:
                seen.add(w)
                todo.append(w)
    return [u] + [int(v) for v in np.flatnonzero(label == x).tolist() if v not in seen]


def zone_branches(
    case: ZoneCase, label: IntArray, nb: list[list[int]], x: int
) -> dict[int, list[int]]:
    """:func:`branch_of` for every unit of zone ``x`` but its school's, in one search.

    A depth-first search of the zone from the school's unit (Tarjan's low points): the
    units cut off by removing ``u`` are the subtrees of ``u``'s children that reach no
    unit above ``u``, plus any units the search never reached.

    Examples
    --------
    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1, 0], [2, 0], [3, 0]])
    >>> c = make_case(np.ones(4), xy, xy[:1], np.array([9.0]), np.array([0]),
    ...     np.array([[0, 1], [1, 2], [2, 3]]))
    >>> zone_branches(c, np.zeros(4, dtype=np.int64), c.neighbours(), 0)
    {1: [1, 2, 3], 2: [2, 3], 3: [3]}
    """
    return _branches(case, label, nb, x)[0]


def removable_units(
    case: ZoneCase, label: IntArray, nb: list[list[int]], x: int
) -> set[int] | None:
    """Units of zone ``x`` (not its school's) whose zone stays connected without them.

    ``None`` when the zone is not connected (then ask
    :func:`~xuewei.planning.zones.problem.stays_connected` unit by unit).

    Examples
    --------
    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1, 0], [2, 0], [3, 0]])
    >>> c = make_case(np.ones(4), xy, xy[:1], np.array([9.0]), np.array([0]),
    ...     np.array([[0, 1], [1, 2], [2, 3]]))
    >>> removable_units(c, np.zeros(4, dtype=np.int64), c.neighbours(), 0)
    {3}
    """
    out, lost = _branches(case, label, nb, x)
    if lost or label[case.root[x]] != x:
        return None
    return {u for u, part in out.items() if len(part) == 1}


def _branches(
    case: ZoneCase, label: IntArray, nb: list[list[int]], x: int
) -> tuple[dict[int, list[int]], list[int]]:
    r = int(case.root[x])
    members = np.flatnonzero(label == x).tolist()
    if label[r] != x:
        return {u: branch_of(case, label, nb, u) for u in members}, members
    disc, order, parent = {r: 0}, [r], {r: -1}
    stack = [(r, iter(nb[r]))]
    while stack:
        v, it = stack[-1]
        for w in it:
            if label[w] == x and w not in disc:
                disc[w] = len(order)
                order.append(w)
                parent[w] = v
                stack.append((w, iter(nb[w])))
                break
        else:
            stack.pop()
    low, size = dict(disc), dict.fromkeys(order, 1)
    children: dict[int, list[int]] = {v: [] for v in order}
    for v in reversed(order):
        for w in nb[v]:
            if w in disc and w != parent[v]:
                low[v] = min(low[v], disc[w])
        if parent[v] >= 0:
            p = parent[v]
            low[p] = min(low[p], low[v])
            size[p] += size[v]
            children[p].append(v)
    lost = [v for v in members if v not in disc]
    out: dict[int, list[int]] = {}
    for u in members:
        if u == r:
            continue
        if u not in disc:
            out[u] = [u, *(v for v in lost if v != u)]
            continue
        cut = [
            w for c in children[u] if low[c] >= disc[u] for w in order[disc[c] : disc[c] + size[c]]
        ]
        out[u] = [u, *sorted(cut + lost)]
    return out, lost


def zone_heights(
    case: ZoneCase, label: IntArray, load: np.ndarray
) -> tuple[IntArray, list[list[int]]]:
    """Return zone borders to the nearest zone with room (``-1``: none) and zone neighbours.

    Examples
    --------
    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1, 0], [2, 0]])
    >>> c = make_case(np.ones(3), xy, xy, np.array([0.0, 1, 5]), np.array([0, 1, 2]),
    ...     np.array([[0, 1], [1, 2]]))
    >>> zone_heights(c, np.arange(3), np.ones(3))[0].tolist()
    [2, 1, 0]
    """
    e = case.edges
    a, b = label[e[:, 0]], label[e[:, 1]]
    sets: list[set[int]] = [set() for _ in range(case.m)]
    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        if x != y:
            sets[x].add(y)
            sets[y].add(x)
    adj = [sorted(s) for s in sets]
    h = np.full(case.m, -1, dtype=np.int64)
    room = np.flatnonzero(load < case.allowed - 1e-9)
    h[room] = 0
    todo = deque(room.tolist())
    while todo:
        x = todo.popleft()
        for y in adj[x]:
            if h[y] < 0:
                h[y] = h[x] + 1
                todo.append(y)
    return h, adj


def _added_over(case: ZoneCase, load: np.ndarray, x: int, y: int, p: float) -> float:
    """Change of the total overflow when ``p`` pupils go from zone ``x`` to zone ``y``."""
    gain = max(load[y] + p - case.allowed[y], 0.0) - max(load[y] - case.allowed[y], 0.0)
    loss = max(load[x] - case.allowed[x], 0.0) - max(load[x] - p - case.allowed[x], 0.0)
    return float(gain - loss)


def _best_push(
    case: ZoneCase,
    label: IntArray,
    nb: list[list[int]],
    load: np.ndarray,
    x: int,
    lower: list[int],
    is_root: np.ndarray,
) -> tuple[int, list[int]] | None:
    best: tuple[tuple[bool, float], int, list[int]] | None = None
    members = np.flatnonzero(label == x).tolist()
    branches: dict[int, list[int]] | None = None
    for y in lower:
        for u in members:
            if is_root[u] or not any(label[v] == y for v in nb[u]):
                continue
            if branches is None:  # only for zones with a unit to hand on
                branches = zone_branches(case, label, nb, x)
            part = branches[u]
            p = float(case.pupils[part].sum())
            if p <= 0:
                continue
            d = _added_over(case, load, x, y, p)
            if d > 1e-9:
                key = (True, d)
            else:
                key = (False, float((case.cost[part, y] - case.cost[part, x]).sum()) / p)
            if best is None or key < best[0]:
                best = (key, y, part)
    return None if best is None else (best[1], best[2])


def push_excess(
    case: ZoneCase,
    label: IntArray,
    nb: list[list[int]],
    *,
    max_sweeps: int = 500,
    patience: int = 40,
    deadline: float = float("inf"),
) -> tuple[IntArray, int]:
    """Sweeps of pushes while some zone is over and a zone with room is reachable.

    Stops after ``max_sweeps`` sweeps, ``patience`` sweeps in a row without a better
    assignment, a sweep without a push, or at ``deadline`` (``time.perf_counter``).
    Returns the best assignment seen and the pushes made.

    Examples
    --------
    A row of five units of 10 pupils; schools in units 0, 2 and 4 with room for 10, 20 and
    30; zone 0 holds units 0–1 (10 over). No single move lowers the overflow (the middle
    zone is full): zone 0 pushes unit 1 to the middle zone, which pushes unit 3 on to the
    last zone.

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0], [4000, 0]])
    >>> c = make_case(np.full(5, 10.0), xy, xy[[0, 2, 4]], np.array([10.0, 20, 30]),
    ...     np.array([0, 2, 4]), np.array([[0, 1], [1, 2], [2, 3], [3, 4]]))
    >>> lab, n = push_excess(c, np.array([0, 0, 1, 1, 2]), c.neighbours())
    >>> lab.tolist(), n
    ([0, 1, 1, 2, 2], 2)
    """
    label = label.copy()
    is_root = np.zeros(case.n, dtype=bool)
    is_root[case.root] = True
    best_obj, best = objective_of(case, label), label.copy()
    pushes = 0
    stale = 0
    for _ in range(max_sweeps):
        if time.perf_counter() > deadline or stale >= patience:
            break
        load = np.bincount(label, weights=case.pupils, minlength=case.m)
        h, adj = zone_heights(case, label, load)
        moved = False
        for x in np.argsort(-(load - case.allowed), kind="stable").tolist():
            if load[x] - case.allowed[x] <= 1e-9:
                break
            if h[x] <= 0:
                continue
            lower = [y for y in adj[x] if h[y] == h[x] - 1]
            push = _best_push(case, label, nb, load, x, lower, is_root)
            if push is None:
                continue
            y, part = push
            p = float(case.pupils[part].sum())
            label[part] = y
            load[x] -= p
            load[y] += p
            pushes += 1
            moved = True
        now = objective_of(case, label)
        stale += 1
        if now < best_obj - 1e-9 * abs(best_obj):
            best_obj, best, stale = now, label.copy(), 0
        if not moved:
            break
    return best, pushes
