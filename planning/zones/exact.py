"""The exact model: a HiGHS MIP with flow-based contiguity (Shirabe 2005).

Variables, per level: ``x[i, j]`` = 1 when unit ``i`` goes to school ``j``; ``o[j]`` ≥ 0 the
pupils over school ``j``'s allowed number; and one flow commodity per school on the
directed unit arcs, ``f[j, u→v]`` ≥ 0. Each unit of zone ``j`` other than the school's own
unit (the root, fixed to ``j``) sends one unit of flow that can only travel through units
of zone ``j`` and is absorbed at the root::

    Σ_v f[j, i→v] − Σ_v f[j, v→i] = x[i, j]     (every unit i ≠ root j)
    f[j, u→v] ≤ (n − 1) · x[v, j]                (flow enters only units of the zone)

so every unit of a zone has a path inside the zone to the school: zones are contiguous.
Each unit goes to exactly one school, ``Σ_i pupils_i x[i, j] − o[j] ≤ allowed_j``, and the
objective is ``Σ cost·x + penalty · Σ o`` (:class:`~xuewei.planning.zones.problem.ZoneCase`).

Feeders (小学对口初中), when asked: ``y[p, q]`` = 1 when primary school ``p`` feeds junior
school ``q``, ``Σ_q y[p, q] = 1``, and ``x_P[i, p] + y[p, q] − x_J[i, q] ≤ 1`` for every unit:
a primary zone lies inside the junior zone of its feeder.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from xuewei.planning.siting.highs import solve_highs
from xuewei.planning.siting.result import Solved

from .problem import FloatArray, IntArray, ZoneCase

__all__ = ["CHILD_FROM_COLUMNS", "ExactAnswer", "solve_exact"]


@dataclass(frozen=True)
class ExactAnswer:
    """Labels per level (school position of each unit), feeders, objective, bound, status."""

    labels: tuple[IntArray, ...]
    feeder: IntArray | None
    objective: float
    bound: float
    gap: float
    status: str


class _Model:
    """Columns and rows of a sparse MIP, accumulated as COO triplets."""

    def __init__(self) -> None:
        self.cost: list[FloatArray] = []
        self.lo: list[FloatArray] = []
        self.hi: list[FloatArray] = []
        self.integer: list[np.ndarray] = []
        self.ncol = 0
        self.rows: list[IntArray] = []
        self.cols: list[IntArray] = []
        self.vals: list[FloatArray] = []
        self.row_lo: list[FloatArray] = []
        self.row_hi: list[FloatArray] = []
        self.nrow = 0
        self.flows: list[tuple[IntArray, IntArray, list[IntArray]]] = []
        self.overflow: list[IntArray] = []

    def columns(self, cost: FloatArray, lo: float, hi: float, *, integer: bool) -> IntArray:
        k = cost.size
        self.cost.append(np.asarray(cost, dtype=float).ravel())
        self.lo.append(np.full(k, lo))
        self.hi.append(np.full(k, hi))
        self.integer.append(np.full(k, integer))
        first, self.ncol = self.ncol, self.ncol + k
        return np.arange(first, first + k, dtype=np.int64)

    def add_rows(
        self, row: IntArray, col: IntArray, val: FloatArray, lo: FloatArray, hi: FloatArray
    ) -> None:
        """Add rows numbered ``0..len(lo)-1`` locally; entries (row, col, val)."""
        self.rows.append(np.asarray(row, dtype=np.int64) + self.nrow)
        self.cols.append(np.asarray(col, dtype=np.int64))
        self.vals.append(np.asarray(val, dtype=float))
        self.row_lo.append(np.asarray(lo, dtype=float))
        self.row_hi.append(np.asarray(hi, dtype=float))
        self.nrow += len(lo)

    def matrix(self) -> sp.csc_array:
        return sp.csc_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.nrow, self.ncol),
        )


def _level(model: _Model, case: ZoneCase) -> IntArray:
    """Add one level's x, o, flows and rows; return the x columns as an (n, m) array."""
    n, m = case.n, case.m
    x = model.columns(case.cost.ravel(), 0.0, 1.0, integer=True).reshape(n, m)
    lo, hi = model.lo[-1].reshape(n, m), model.hi[-1].reshape(n, m)
    hi[case.root, :] = 0.0
    hi[case.root, np.arange(m)] = 1.0
    lo[case.root, np.arange(m)] = 1.0
    o = model.columns(np.full(m, case.penalty), 0.0, np.inf, integer=False)
    model.overflow.append(o)
    ones = np.ones(n * m)
    model.add_rows(np.repeat(np.arange(n), m), x.ravel(), ones, np.ones(n), np.ones(n))
    cap_rows = np.concatenate([np.tile(np.arange(m), n), np.arange(m)])
    cap_cols = np.concatenate([x.ravel(), o])
    cap_vals = np.concatenate([np.repeat(case.pupils, m), -np.ones(m)])
    model.add_rows(cap_rows, cap_cols, cap_vals, np.full(m, -np.inf), case.allowed)
    tail = np.concatenate([case.edges[:, 0], case.edges[:, 1]])
    head = np.concatenate([case.edges[:, 1], case.edges[:, 0]])
    arcs = tail.size
    model.flows.append((tail, head, []))
    if arcs == 0 or n < 2:
        return x
    big = float(n - 1)
    for j in range(m):
        f = model.columns(np.zeros(arcs), 0.0, big, integer=False)
        model.flows[-1][2].append(f)
        # balance: out − in − x = 0 at every unit but the root
        r = np.concatenate([tail, head, np.arange(n)])
        c = np.concatenate([f, f, x[:, j]])
        v = np.concatenate([np.ones(arcs), -np.ones(arcs), -np.ones(n)])
        keep = r != case.root[j]
        local = np.cumsum(np.arange(n) != case.root[j]) - 1
        model.add_rows(local[r[keep]], c[keep], v[keep], np.zeros(n - 1), np.zeros(n - 1))
        # capacity of an arc: only into units of the zone
        rr = np.concatenate([np.arange(arcs), np.arange(arcs)])
        cc = np.concatenate([f, x[head, j]])
        vv = np.concatenate([np.ones(arcs), -big * np.ones(arcs)])
        model.add_rows(rr, cc, vv, np.full(arcs, -np.inf), np.zeros(arcs))
    return x


def _feeders(model: _Model, xp: IntArray, xj: IntArray) -> IntArray:
    n, mp = xp.shape
    mj = xj.shape[1]
    y = model.columns(np.zeros(mp * mj), 0.0, 1.0, integer=True).reshape(mp, mj)
    model.add_rows(
        np.repeat(np.arange(mp), mj), y.ravel(), np.ones(mp * mj), np.ones(mp), np.ones(mp)
    )
    i, p, q = (
        a.ravel() for a in np.meshgrid(np.arange(n), np.arange(mp), np.arange(mj), indexing="ij")
    )
    k = np.arange(i.size)
    rows = np.concatenate([k, k, k])
    cols = np.concatenate([xp[i, p], y[p, q], xj[i, q]])
    vals = np.concatenate([np.ones(i.size), np.ones(i.size), -np.ones(i.size)])
    model.add_rows(rows, cols, vals, np.full(i.size, -np.inf), np.ones(i.size))
    return y


#: Models with at least this many columns are solved in a child process that is ended at
#: the deadline: HiGHS's MIP root node waits for an interior-point solve of the whole LP
#: (its analytic centre) that looks at the clock only between iterations, and one iteration
#: of a flow model with ~60,000 columns took minutes (689 s for a 120 s limit).
CHILD_FROM_COLUMNS = 20_000


def solve_exact(
    cases: tuple[ZoneCase, ...],
    *,
    feeders: bool = False,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-6,
    start: tuple[IntArray, ...] | None = None,
    max_nodes: int | None = None,
) -> ExactAnswer | None:
    """Solve the levels' cases together (feeders: ``cases`` = (primary, junior)).

    ``time_limit_s`` bounds the whole call: building the model, HiGHS (in a child process,
    ended at the limit, for models of :data:`CHILD_FROM_COLUMNS` columns or more) and
    reading the answer. ``start``: known labels per level, passed as a complete start
    (assignments, overflow and the flows of a spanning tree of each zone), so HiGHS need
    not complete it. ``max_nodes``: HiGHS stops after that many branch-and-bound nodes, a
    budget that, unlike a time limit, gives the same answer on a busy machine as on a quiet
    one. Returns ``None`` when no feasible answer is found within the limits.
    """
    deadline = time.perf_counter() + float(time_limit_s)
    model = _Model()
    xs = [_level(model, c) for c in cases]
    y = _feeders(model, xs[0], xs[1]) if feeders else None
    lo, hi = np.concatenate(model.lo), np.concatenate(model.hi)
    start_x = None
    if start is not None and y is None:
        start_x = _start_vector(model, cases, xs, start)
    args = (
        np.concatenate(model.cost),
        model.matrix(),
        np.concatenate(model.row_lo),
        np.concatenate(model.row_hi),
        lo,
        hi,
        np.concatenate(model.integer),
    )
    left = deadline - time.perf_counter()
    if left <= 0.0:
        return None
    options: dict[str, bool | int | float | str] | None = None
    if max_nodes is not None:
        options = {"mip_max_nodes": int(max_nodes)}
    if model.ncol >= CHILD_FROM_COLUMNS:
        solved = _solve_in_child(args, left, mip_rel_gap, start_x, options)
    else:
        solved = solve_highs(
            *args, time_limit_s=left, mip_rel_gap=mip_rel_gap, start=start_x, options=options
        )
    if solved is None:
        return None
    labels = tuple(np.argmax(solved.x[x], axis=1).astype(np.int64) for x in xs)
    feeder = None if y is None else np.argmax(solved.x[y], axis=1).astype(np.int64)
    return ExactAnswer(labels, feeder, solved.objective, solved.bound, solved.gap, solved.status)


def _solve_in_child(
    args: tuple[Any, ...],
    left: float,
    gap: float,
    start: FloatArray | None,
    options: dict[str, bool | int | float | str] | None = None,
) -> Solved | None:
    """Run :func:`solve_highs` in a child process; end it when ``left`` seconds are over."""
    payload = pickle.dumps(
        (args, {"mip_rel_gap": gap, "start": start, "options": options}, time.time() + left),
        protocol=pickle.HIGHEST_PROTOCOL,
    )
    t0 = time.perf_counter()
    with subprocess.Popen(
        [sys.executable, "-m", "xuewei.planning.zones.child"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    ) as proc:
        try:
            # the child's own start-up (imports) counts against the limit too
            out, _ = proc.communicate(payload, timeout=left + 0.5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return None
    if proc.returncode != 0 or not out or time.perf_counter() - t0 > left + 0.5:
        return None
    answer = pickle.loads(out)
    if isinstance(answer, Exception):
        raise answer
    return answer if isinstance(answer, Solved) else None


def _start_vector(
    model: _Model, cases: tuple[ZoneCase, ...], xs: list[IntArray], start: tuple[IntArray, ...]
) -> FloatArray:
    """Return a complete start: assignments, overflow, and flows along a tree of each zone.

    Each unit of a zone sends one unit of flow to the school along a breadth-first tree
    of the zone, so an arc carries the number of units behind it.
    """
    vec = np.zeros(model.ncol)
    for k, (case, x, label) in enumerate(zip(cases, xs, start, strict=True)):
        vals = np.zeros((case.n, case.m))
        vals[np.arange(case.n), label] = 1.0
        vec[x.ravel()] = vals.ravel()
        load = np.bincount(label, weights=case.pupils, minlength=case.m)
        vec[model.overflow[k]] = np.clip(load - case.allowed, 0.0, None)
        tail, head, flows = model.flows[k]
        if not flows:
            continue
        arc = {(int(t), int(h)): a for a, (t, h) in enumerate(zip(tail, head, strict=True))}
        nb = case.neighbours()
        for j, f in enumerate(flows):
            r = int(case.root[j])
            order, parent = [r], {r: -1}
            for u in order:
                for v in nb[u]:
                    if label[v] == j and v not in parent:
                        parent[v] = u
                        order.append(v)
            behind = dict.fromkeys(order, 1.0)
            for v in reversed(order[1:]):
                vec[f[arc[(v, parent[v])]]] = behind[v]
                behind[parent[v]] += behind[v]
    return vec
