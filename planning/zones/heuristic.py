"""The city-scale heuristic: transport LP, contiguity repair, local search, with a bound.

1. **Transport LP** (HiGHS): the model of :mod:`~xuewei.planning.zones.exact` without
   contiguity and with fractional assignments — the capacitated assignment, with the
   same costs (travel, pupils moved, overflow penalty), each unit allowed only the schools
   it can reach in a contiguous zoning (:mod:`~xuewei.planning.zones.bound`: pockets). Its
   optimum is a *lower bound* on every zoning, and each unit starts at the school that
   takes most of it.
2. **Repair**: each zone keeps the connected piece around its school; the units cut off
   (and the units without pupils) are then attached one at a time, cheapest first, to a
   neighbouring zone (a unit is only ever added beside its zone, so zones stay connected).
3. **Local search**: a unit on a zone's edge moves to the neighbouring zone when that
   lowers the objective and leaves its own zone connected; passes repeat until no move
   helps.
4. **Pushes** (:mod:`~xuewei.planning.zones.push`): zones over their places hand branches
   down the zone graph towards the zones with room, however far; then local search again.
5. **Ejection chains** (:mod:`~xuewei.planning.zones.chains`), then local search again.
6. Steps 4–5 again, up to five times, with more patience when a round gains nothing.
7. Where the district's places suffice but pupils stay over: steps 2–6 once more from the
   **priced growth** of :mod:`~xuewei.planning.zones.grow` (zones grown by the prices of a
   transport LP on the unit graph, each within its room); the better zones are kept. Then
   rounds of **pairs re-split exactly** (:mod:`~xuewei.planning.zones.pairs`: a zone over
   its places and a neighbouring zone with room, split anew by the flow MIP on their
   units alone), pushes and chains, while the objective falls.

Everything is ordered (ties by unit, then school), so the same case gives the same zones.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from xuewei.planning.siting.highs import solve_highs

from .bound import reachable, unavoidable_overflow
from .chains import relieve_overflow
from .grow import priced_start
from .pairs import resplit_pairs
from .problem import IntArray, ZoneCase, objective_of, overflow_of, stays_connected
from .push import push_excess

__all__ = [
    "CUT_NOTES",
    "HeuristicAnswer",
    "grown_zones",
    "local_search",
    "relative_gap",
    "repair",
    "solve_heuristic",
    "transport_bound",
]


#: What ``cases`` says of zones the deadline cut short (:attr:`HeuristicAnswer.cut`).
CUT_NOTES = {
    "": "",
    "search": "time limit reached in the heuristic: zones may differ from a run with more time",
    "start": "time limit reached before this case: zones only grown from the schools "
    "(no transport LP, no search), hence the wide gap",
}


@dataclass(frozen=True)
class HeuristicAnswer:
    """Labels (school position of each unit), objective, lower bound, gap, moves made.

    ``cut`` says what the deadline left out: ``""`` (nothing), ``"search"`` (the LP and
    repair ran, not all of the search after them) or ``"start"`` (no time at all: the
    zones were only grown from the schools, see :func:`grown_zones`).
    """

    label: IntArray
    objective: float
    bound: float
    gap: float
    moves: int
    cut: str = ""


def transport_bound(case: ZoneCase, *, pockets: bool = True) -> tuple[float, IntArray]:
    """Solve the transport LP: its optimum (a lower bound) and each unit's main school.

    With ``pockets``, each unit may go only to the schools it can reach in a contiguous
    zoning (:func:`~xuewei.planning.zones.bound.reachable`: the schools whose own units
    border its pocket), which keeps the optimum a lower bound on every zoning and can only
    raise it; without, to any school. Units without pupils cost nothing and are left out
    (label ``-1``); schools' own units are fixed to their school, as in the exact model.
    """
    label = _fix_roots(case, np.full(case.n, -1, dtype=np.int64))
    users = np.flatnonzero(case.pupils > 0)
    if users.size == 0 or case.m == 0:
        return 0.0, label
    k, m = users.size, case.m
    reach = reachable(case)[users] if pockets else np.ones((k, m), dtype=bool)
    pos = {int(u): r for r, u in enumerate(users.tolist())}
    for j, r in enumerate(case.root.tolist()):  # a unit rooting two schools: the first
        if r in pos and reach[pos[r]].sum() > 1:
            reach[pos[r]] = np.arange(m) == j
    ui, sj = np.nonzero(reach)  # unit by unit, schools in order: deterministic columns
    x = ui.size
    a = sp.csc_array(
        (
            np.concatenate([np.ones(x), case.pupils[users][ui], -np.ones(m)]),
            (
                np.concatenate([ui, k + sj, k + np.arange(m)]),
                np.concatenate([np.arange(x), np.arange(x), x + np.arange(m)]),
            ),
        ),
        shape=(k + m, x + m),
    )
    solved = solve_highs(
        np.concatenate([case.cost[users[ui], sj], np.full(m, case.penalty)]),
        a,
        np.concatenate([np.ones(k), np.full(m, -np.inf)]),
        np.concatenate([np.ones(k), case.allowed]),
        np.zeros(x + m),
        np.concatenate([np.ones(x), np.full(m, np.inf)]),
        np.zeros(x + m, dtype=bool),
        time_limit_s=600.0,
        mip_rel_gap=0.0,
    )
    if solved is None:  # cannot happen for a feasible LP; keep the nearest school
        label[users] = np.argmin(case.cost[users], axis=1)
        return 0.0, _fix_roots(case, label)
    share = np.zeros((k, m))
    share[ui, sj] = solved.x[:x]
    label[users] = np.argmax(share, axis=1)
    return float(solved.objective), _fix_roots(case, label)


def _fix_roots(case: ZoneCase, label: IntArray) -> IntArray:
    label = label.copy()
    label[case.root[::-1]] = np.arange(case.m)[::-1]  # a unit rooting two schools: the first
    return label


def repair(case: ZoneCase, label: IntArray, nb: list[list[int]]) -> IntArray:
    """Make every zone one connected piece around its school; assign every unit.

    Units with label ``-1`` (and units cut off from their school) are attached cheapest
    first to a neighbouring zone; the cost counts the overflow penalty.
    """
    label = _fix_roots(case, label)
    keep = np.zeros(case.n, dtype=bool)
    for j, r in enumerate(case.root.tolist()):
        if label[r] != j:  # a unit rooting two schools: the second has no zone to keep
            continue
        seen, todo = {r}, deque([r])
        while todo:
            u = todo.popleft()
            for v in nb[u]:
                if label[v] == j and v not in seen:
                    seen.add(v)
                    todo.append(v)
        keep[list(seen)] = True
    label[~keep] = -1
    load = np.bincount(label[keep], weights=case.pupils[keep], minlength=case.m)
    heap: list[tuple[float, int, int]] = []

    def key(i: int, j: int) -> float:
        over = max(load[j] + case.pupils[i] - case.allowed[j], 0.0) - max(
            load[j] - case.allowed[j], 0.0
        )
        return float(case.cost[i, j] + case.penalty * over)

    for i in np.flatnonzero(~keep).tolist():
        for v in nb[i]:
            if label[v] >= 0:
                heapq.heappush(heap, (key(i, int(label[v])), i, int(label[v])))
    while heap:
        k, i, j = heapq.heappop(heap)
        if label[i] >= 0:
            continue
        now = key(i, j)
        if now > k + 1e-12:  # the zone filled up since: queue again at its new price
            heapq.heappush(heap, (now, i, j))
            continue
        label[i] = j
        load[j] += case.pupils[i]
        for v in nb[i]:
            if label[v] < 0:
                heapq.heappush(heap, (key(v, j), v, j))
    return label


def local_search(
    case: ZoneCase, label: IntArray, nb: list[list[int]], *, max_passes: int = 50
) -> tuple[IntArray, int]:
    """Move edge units to neighbouring zones while that lowers the objective."""
    label = label.copy()
    load = np.bincount(label, weights=case.pupils, minlength=case.m)
    is_root = np.zeros(case.n, dtype=bool)
    is_root[case.root] = True
    moves = 0
    for _ in range(max_passes):
        moved = 0
        for i in range(case.n):
            if is_root[i]:
                continue
            a = int(label[i])
            p = case.pupils[i]
            over_a = max(load[a] - case.allowed[a], 0.0) - max(load[a] - p - case.allowed[a], 0.0)
            best, best_b = -1e-9 * (1.0 + abs(case.cost[i, a])), -1
            for b in sorted({int(label[v]) for v in nb[i]} - {a}):
                over_b = max(load[b] + p - case.allowed[b], 0.0) - max(
                    load[b] - case.allowed[b], 0.0
                )
                delta = case.cost[i, b] - case.cost[i, a] + case.penalty * (over_b - over_a)
                if delta < best:
                    best, best_b = delta, b
            if best_b >= 0 and stays_connected(case, label, nb, i):
                label[i] = best_b
                load[a] -= p
                load[best_b] += p
                moved += 1
        moves += moved
        if not moved:
            break
    return label, moves


def solve_heuristic(
    case: ZoneCase,
    *,
    max_passes: int = 50,
    max_cycles: int = 5,
    deadline: float = float("inf"),
    priced: bool = True,
) -> HeuristicAnswer:
    """Zones for one case by LP → repair → local search, with the LP's bound and the gap.

    Where pockets (:mod:`~xuewei.planning.zones.bound`) cut arcs of the transport LP, the
    zones are also drawn from the plain LP's start and the better answer is kept (which
    start leads further is not known beforehand); the bound is the LP's with pockets.
    ``max_cycles``: further rounds of pushes and chains after the first (while the pupils
    over fall and stay above what no zoning avoids), each kept when it lowers the
    objective. ``priced``: where the district's places suffice (all pupils ≤ all allowed)
    but the zones drawn leave more pupils over than no zoning avoids, draw them once more
    from the priced growth of :mod:`~xuewei.planning.zones.grow`, keep the better, and
    re-split pairs of zones exactly (:mod:`~xuewei.planning.zones.pairs`) in rounds with
    pushes and chains.

    Examples
    --------
    A row of four units of 10 pupils, schools in the end units with room for 20 each:

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0]])
    >>> c = make_case(np.full(4, 10.0), xy, xy[[0, 3]], np.array([20.0, 20]),
    ...     np.array([0, 3]), np.array([[0, 1], [1, 2], [2, 3]]))
    >>> a = solve_heuristic(c)
    >>> a.label.tolist(), a.objective, a.bound, a.gap
    ([0, 0, 1, 1], 20.0, 20.0, 0.0)

    With the ``deadline`` passed before the call, only :func:`grown_zones`:

    >>> a = solve_heuristic(c, deadline=0.0)
    >>> a.label.tolist(), a.objective, a.cut
    ([0, 0, 1, 1], 20.0, 'start')
    """
    nb = case.neighbours()
    if time.perf_counter() > deadline:
        return grown_zones(case, nb)
    bound, start = transport_bound(case)
    starts = [start]
    if not reachable(case)[case.pupils > 0].all():  # pockets cut arcs: try the plain LP too
        plain = transport_bound(case, pockets=False)[1]
        if not np.array_equal(plain, start):
            starts.append(plain)
    floor = unavoidable_overflow(case)

    def run(first: IntArray) -> tuple[IntArray, int]:
        return _improve(
            case,
            first,
            nb,
            max_passes=max_passes,
            deadline=deadline,
            max_cycles=max_cycles,
            floor=floor,
        )

    best: tuple[float, IntArray, int] | None = None
    for k, first in enumerate(starts):
        if k and time.perf_counter() > deadline:
            break
        best = _better(case, best, run(first))
    assert best is not None
    over = float(overflow_of(case, best[1]).sum())
    roomy = case.pupils.sum() <= case.allowed.sum()
    if priced and roomy and over > floor + 0.5 and time.perf_counter() < deadline:
        # places enough in total, yet pupils over: start again from the LP's prices
        best = _better(case, best, run(priced_start(case, nb)))
        found = _pair_rounds(case, best[1], nb, max_passes=max_passes, deadline=deadline)
        best = _better(case, best, (found[0], best[2] + found[1]))
    objective, label, moves = best
    cut = "search" if time.perf_counter() > deadline else ""
    return HeuristicAnswer(label, objective, bound, relative_gap(objective, bound), moves, cut)


def grown_zones(case: ZoneCase, nb: list[list[int]] | None = None) -> HeuristicAnswer:
    """Zones grown from the schools' units, cheapest first: what is left with no time.

    :func:`repair` from the schools' own units alone: each unit joins a neighbouring zone
    in order of its cost (travel, pupils moved, and the overflow penalty where the zone
    is full), so every zone is connected and every unit assigned, in milliseconds for a
    city district. The bound is the one no transport LP is needed for: each unit's
    cheapest school, plus the penalty on the district's shortfall (all pupils − all
    allowed). ``cut`` is ``"start"``.

    Examples
    --------
    Three units of 10 pupils in a row; school 0 in unit 0 has room for 10, school 1 in
    unit 2 for 20. Unit 1 joins school 1, whose room is not yet full:

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0]])
    >>> c = make_case(np.full(3, 10.0), xy, xy[[0, 2]], np.array([10.0, 20]),
    ...     np.array([0, 2]), np.array([[0, 1], [1, 2]]))
    >>> a = grown_zones(c)
    >>> a.label.tolist(), a.objective, a.bound
    ([0, 1, 1], 10.0, 10.0)
    """
    nb = case.neighbours() if nb is None else nb
    label = repair(case, np.full(case.n, -1, dtype=np.int64), nb)
    objective = objective_of(case, label)
    used = case.pupils > 0
    cheapest = float(case.cost[used].min(axis=1).sum()) if case.m and used.any() else 0.0
    short = max(float(case.pupils.sum() - case.allowed.sum()), 0.0)
    bound = min(cheapest + case.penalty * short, objective)
    return HeuristicAnswer(label, objective, bound, relative_gap(objective, bound), 0, "start")


def _pair_rounds(
    case: ZoneCase, label: IntArray, nb: list[list[int]], *, max_passes: int, deadline: float
) -> tuple[IntArray, int]:
    """Pairs re-split exactly, then pushes and chains, in turns while the objective falls.

    Each round: :func:`~xuewei.planning.zones.pairs.resplit_pairs`, local search, pushes
    (patience 160 sweeps), local search, chains, local search, pairs again, local search;
    kept when it lowers the objective, else the rounds end; they end too after a round
    that leaves less than 1 % fewer pupils over (the later rounds gain little for their
    time: on Liuyang's primary case 0.4 % and then up to 5 % more, for 12 s), and after 8.
    """
    best, moves = objective_of(case, label), 0
    tried: set[bytes] = set()
    for _ in range(8):
        if float(overflow_of(case, label).sum()) <= 0.5 or time.perf_counter() > deadline:
            break
        now, n = resplit_pairs(case, label, deadline=deadline, tried=tried)
        now, a = local_search(case, now, nb, max_passes=max_passes)
        now, b = push_excess(case, now, nb, patience=160, deadline=deadline)
        now, c = local_search(case, now, nb, max_passes=max_passes)
        now, d = relieve_overflow(case, now, nb)
        now, e = local_search(case, now, nb, max_passes=max_passes)
        now, f = resplit_pairs(case, now, deadline=deadline, tried=tried)
        now, g = local_search(case, now, nb, max_passes=max_passes)
        objective = objective_of(case, now)
        if not objective < best - 1e-9 * max(abs(best), 1.0):
            break
        over = float(overflow_of(case, label).sum())
        label, best, moves = now, objective, moves + n + a + b + c + d + e + f + g
        if float(overflow_of(case, now).sum()) > 0.99 * over:  # < 1 % fewer over: enough
            break
    return label, moves


def _better(
    case: ZoneCase, best: tuple[float, IntArray, int] | None, found: tuple[IntArray, int]
) -> tuple[float, IntArray, int]:
    """Return the better of the best so far and the zones ``found`` (ties: the best so far)."""
    objective = objective_of(case, found[0])
    if best is None or objective < best[0] - 1e-9 * max(abs(objective), 1.0):
        return (objective, found[0], found[1])
    return best


def _improve(
    case: ZoneCase,
    start: IntArray,
    nb: list[list[int]],
    *,
    max_passes: int,
    deadline: float,
    max_cycles: int,
    floor: float,
) -> tuple[IntArray, int]:
    """Repair, local search, pushes and chains from a start; the zones and moves made.

    Pushes and chains only move pupils over: they are skipped when no more are over than
    ``floor``, the overflow no zoning avoids (half a pupil of slack for rounding). Pushes
    keep the best assignment they see and stop after a while without a better one; pushing
    again from the zones that local search and the chains made of it often gets further
    (the heights start afresh). Up to ``max_cycles`` such rounds while the pupils over are
    more than 2 % above ``floor``; a round is kept when it lowers the objective. A round
    that leaves less than one pupil fewer over raises the pushes' patience from 40 sweeps
    without a better assignment to 160; one at 160 ends them.
    """
    label = repair(case, start, nb)
    if time.perf_counter() > deadline:
        return label, 0
    label, moves = local_search(case, label, nb, max_passes=max_passes)
    if float(overflow_of(case, label).sum()) <= floor + 0.5 or time.perf_counter() > deadline:
        return label, moves  # nothing left to relieve, or no time to
    label, shifts = push_excess(case, label, nb, deadline=deadline)
    if shifts:
        label, more = local_search(case, label, nb, max_passes=max_passes)
        moves += shifts + more
    label, chains = relieve_overflow(case, label, nb)
    if chains:
        label, more = local_search(case, label, nb, max_passes=max_passes)
        moves += chains + more
    best, over = objective_of(case, label), float(overflow_of(case, label).sum())
    patience = 40
    for _ in range(max_cycles):  # pushes again from where chains and local search left off
        if over <= floor * 1.02 + 0.5 or time.perf_counter() > deadline:
            break
        again, shifts = push_excess(case, label, nb, patience=patience, deadline=deadline)
        again, more = local_search(case, again, nb, max_passes=max_passes)
        again, chains = relieve_overflow(case, again, nb)
        again, most = local_search(case, again, nb, max_passes=max_passes)
        now, fewer = objective_of(case, again), float(overflow_of(case, again).sum())
        if now < best - 1e-9 * max(abs(best), 1.0):
            label, best, moves = again, now, moves + shifts + more + chains + most
        if fewer > over - 0.5:  # less than one pupil fewer over: more patience, or stop
            if patience >= 160:
                break
            patience = 160
        over = min(over, fewer)
    return label, moves


def relative_gap(objective: float, bound: float) -> float:
    """``(objective − bound) / objective`` (0 when both are 0), never below 0."""
    if objective <= 0:
        return 0.0
    return max((objective - bound) / objective, 0.0)
