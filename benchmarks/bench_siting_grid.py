"""Capacitated siting of the Changsha plan: the current two phases against the previous code.

``python benchmarks/run.py siting_grid``. The models are those ``run_plan`` solves (one per
district, level and scenario with new builds): the plan without its candidate sites (new
schools sited on the generated grid, 48 models) and the demo plan (48 models). Each model is
solved by the previous code (both phases straight in HiGHS, phase 2 started from phase 1's
answer) and by the current one (each phase's LP bound and starts first, the MIP only when
they do not meet), alternately, one at a time, in this process; the open sites of both are
compared. Then ``run_plan`` of the grid plan, previous and current code alternately.

``SITING_GRID_PARTS`` (default ``grid,demo,plan``) chooses the parts; ``SITING_GRID_ROUNDS``
(default 1) the ``run_plan`` rounds per side.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.sparse as sp
from common import table

from xuewei.config import load_plan
from xuewei.data import CHANGSHA_DIR
from xuewei.pipeline import run_plan
from xuewei.planning.siting import SitingProblem, capacitated
from xuewei.planning.siting.highs import solve_highs
from xuewei.planning.siting.result import Solved


def previous_two_phases(
    problem: SitingProblem,
    pairs: sp.csr_array,
    p: int,
    free: np.ndarray,
    time_limit_s: float,
    mip_rel_gap: float,
    open_given: np.ndarray | None,
) -> Solved | None:
    """The previous code's two phases (until 2026-12-04): both straight in HiGHS."""
    n, m = problem.shape
    w = problem.weights
    a, row_lo, row_hi, col_lo, col_hi, integer = capacitated._model(
        problem, pairs, p, free, open_given
    )
    n_col = a.shape[1]
    row_of = np.repeat(np.arange(n), np.diff(pairs.indptr))
    cost1 = np.zeros(n_col)
    cost1[m + pairs.nnz + np.arange(n)] = w
    options = capacitated.CAPACITATED_HIGHS_OPTIONS
    s1 = solve_highs(
        cost1,
        a,
        row_lo,
        row_hi,
        col_lo,
        col_hi,
        integer,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        options=options,
    )
    if s1 is None:
        return None
    slack = max(1e-7 * float(w.sum()), 1e-9)
    a2 = sp.vstack([a, sp.csr_array(cost1[None, :])], format="csc")
    cost2 = np.zeros(n_col)
    cost2[m + np.arange(pairs.nnz)] = w[row_of] * (pairs.data - 1.0)
    s2 = solve_highs(
        cost2,
        a2,
        np.r_[row_lo, -np.inf],
        np.r_[row_hi, s1.objective + slack],
        col_lo,
        col_hi,
        integer,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        start=s1.x,
        options=options,
    )
    if s2 is None:
        return s1
    status = "optimal" if s1.status == s2.status == "optimal" else "time_limit"
    gap = max(s1.gap if math.isfinite(s1.gap) else 0.0, s2.gap)
    return Solved(s2.x, s2.objective, s2.bound, gap, status)


@contextmanager
def previous_code() -> Iterator[None]:
    """Run the capacitated siting with the previous code inside the block."""
    current = capacitated._solve_two_phases
    capacitated._solve_two_phases = previous_two_phases  # type: ignore[assignment]
    try:
        yield
    finally:
        capacitated._solve_two_phases = current  # type: ignore[assignment]


def _plan(grid: bool) -> Any:
    plan = load_plan(CHANGSHA_DIR / "plan.toml")
    if grid:
        inputs = {k: v for k, v in plan.inputs.items() if k != "candidate_sites"}
        plan = dataclasses.replace(plan, inputs=inputs)
    return plan


def capture_models(grid: bool) -> list[tuple[SitingProblem, int, dict[str, Any]]]:
    """The capacitated models ``run_plan`` solves, in its order (current code)."""
    models: list[tuple[SitingProblem, int, dict[str, Any]]] = []
    solve = SitingProblem.capacitated

    def record(self: SitingProblem, p: int, **kw: Any) -> Any:
        models.append((self, p, kw))
        return solve(self, p, **kw)

    SitingProblem.capacitated = record  # type: ignore[method-assign]
    try:
        run_plan(_plan(grid))
    finally:
        SitingProblem.capacitated = solve  # type: ignore[method-assign]
    return models


def _label(problem: SitingProblem, p: int) -> str:
    district = str(problem.demand_ids[0]).split("-")[0]
    fixed = [str(s) for s in problem.site_ids[problem.fixed]]
    level = "junior" if any("-J" in s for s in fixed) else "primary"
    n, m = problem.shape
    return f"{district} {level}, p = {p} ({n:,} × {m:,})"


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def compare_models(grid: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Each model by the previous and the current code, alternately; the slowest rows."""
    rows = []
    for problem, p, kw in capture_models(grid):

        def solve(problem: SitingProblem = problem, p: int = p, kw: Any = kw) -> Any:
            return problem.capacitated(p, **kw)

        with previous_code():
            t_old, old = _timed(solve)
        t_new, new = _timed(solve)
        rows.append(
            {
                "model": _label(problem, p),
                "previous s": t_old,
                "current s": t_new,
                "ratio": t_old / t_new,
                "same sites": sorted(old.open_sites) == sorted(new.open_sites),
                "objective rel. diff": abs(new.objective - old.objective)
                / max(abs(old.objective), 1.0),
                "unassigned diff": new.unassigned - old.unassigned,
                "status": f"{old.status} / {new.status}",
                "load": os.getloadavg()[0],
            }
        )
    total = {
        "model": f"all {len(rows)} models (sum)",
        "previous s": sum(r["previous s"] for r in rows),
        "current s": sum(r["current s"] for r in rows),
        "same sites": f"{sum(r['same sites'] for r in rows)} of {len(rows)}",
    }
    return rows, total


def plan_side_by_side(rounds: int) -> list[dict[str, Any]]:
    """``run_plan`` of the grid plan, previous and current code alternately."""
    rows = []
    for _ in range(rounds):
        for side in ("previous", "current"):
            load0 = os.getloadavg()[0]
            if side == "previous":
                with previous_code():
                    t, _ = _timed(lambda: run_plan(_plan(True)))
            else:
                t, _ = _timed(lambda: run_plan(_plan(True)))
            rows.append(
                {
                    "run_plan, no candidate sites": side,
                    "s": t,
                    "load (1 min) before, after": f"{load0:.1f}, {os.getloadavg()[0]:.1f}",
                }
            )
    return rows


def main() -> str:
    parts = os.environ.get("SITING_GRID_PARTS", "grid,demo,plan").split(",")
    rounds = int(os.environ.get("SITING_GRID_ROUNDS", "1"))
    out = ["## Capacitated siting of the Changsha plan: previous code vs current\n"]
    for part, grid in (("grid", True), ("demo", False)):
        if part not in parts:
            continue
        rows, total = compare_models(grid)
        slow = sorted(rows, key=lambda r: -r["previous s"])[:8]
        name = "no candidate sites (generated grid)" if grid else "demo (candidate sites)"
        out.append(f"### {name}: the models one by one\n")
        out.append(table([*slow, {**{k: "" for k in slow[0]}, **total}]))
        diff = [r for r in rows if not r["same sites"]]
        out.append(
            f"\nSame open sites in {total['same sites']} models; largest objective "
            f"difference {max(r['objective rel. diff'] for r in rows):.1e} (relative); "
            f"previous {total['previous s']:.1f} s, current {total['current s']:.1f} s "
            f"({total['previous s'] / total['current s']:.1f}×)."
            + "".join(f"\nDifferent sites: {r['model']}" for r in diff)
            + "\n"
        )
    if "plan" in parts:
        out.append("### run_plan, no candidate sites\n")
        out.append(table(plan_side_by_side(rounds)))
    out.append("\nCommand: `PYTHONSAFEPATH=1 .venv/bin/python benchmarks/run.py siting_grid`.")
    return "\n".join(out)
