"""Location-allocation: xuewei (sparse models straight into HiGHS) against PySAL spopt.

Same seeded instances (uniform demand and candidate points on a 20 km square, integer
weights 1–99, straight-line metres), same objective, in one run. spopt builds a PuLP model
from the full cost matrix and solves it with HiGHS through PuLP; it runs in a child process
under a time limit (``SPOPT_LIMIT_S``) and a 12 GB address-space cap so that the benchmark
always finishes. xuewei runs with the same HiGHS time limit per solve.

Run: ``PYTHONSAFEPATH=1 .venv/bin/python benchmarks/run.py siting``.
"""

from __future__ import annotations

import json
import math
import resource
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

SPOPT_LIMIT_S = 300.0
XUEWEI_LIMIT_S = 60.0
MEMORY_CAP = 12 * 2**30

# (model, n demand, m candidates, p, radius_m, run spopt)
CASES: list[tuple[str, int, int, int, float, bool]] = [
    ("p_median", 1_000, 100, 15, math.nan, True),
    ("mclp", 5_000, 500, 15, 1_500.0, True),
    ("p_median", 5_000, 500, 15, math.nan, True),
    ("mclp", 20_000, 2_000, 50, 1_000.0, False),
]


def instance(n: int, m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand points, candidate points (metres) and integer weights."""
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 20_000, (n, 2))
    sites = rng.uniform(0, 20_000, (m, 2))
    weights = rng.integers(1, 100, n).astype(np.float64)
    return demand, sites, weights


def run_xuewei(model: str, n: int, m: int, p: int, radius: float) -> dict[str, Any]:
    from xuewei.planning import SitingProblem

    demand, sites, w = instance(n, m)
    t0 = time.perf_counter()
    problem = SitingProblem.from_points(
        pd.DataFrame({"x": demand[:, 0], "y": demand[:, 1], "w": w}),
        pd.DataFrame({"site_id": np.arange(m), "x": sites[:, 0], "y": sites[:, 1]}),
        weight_col="w",
    )
    if model == "p_median":
        r = problem.p_median(p, time_limit_s=XUEWEI_LIMIT_S)
    else:
        r = problem.mclp(p, radius_m=radius, time_limit_s=XUEWEI_LIMIT_S)
    return {
        "seconds": time.perf_counter() - t0,
        "objective": r.objective,
        "status": r.status,
        "gap": r.gap,
    }


def _spopt_child(model: str, n: int, m: int, p: int, radius: float) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    warnings.simplefilter("ignore")
    import pulp
    from spopt.locate import MCLP, PMedian

    demand, sites, w = instance(n, m)
    t0 = time.perf_counter()
    cost = np.hypot(demand[:, None, 0] - sites[None, :, 0], demand[:, None, 1] - sites[None, :, 1])
    solver = pulp.HiGHS(msg=False, timeLimit=SPOPT_LIMIT_S)
    if model == "p_median":
        res = PMedian.from_cost_matrix(cost, w, p_facilities=p).solve(solver)
        objective = float(pulp.value(res.problem.objective))
    else:
        res = MCLP.from_cost_matrix(cost, w, service_radius=radius, p_facilities=p).solve(solver)
        objective = float(pulp.value(res.problem.objective))
    status = pulp.LpStatus[res.problem.status]
    print(
        json.dumps({"seconds": time.perf_counter() - t0, "objective": objective, "status": status})
    )


def run_spopt(model: str, n: int, m: int, p: int, radius: float) -> dict[str, Any]:
    args = [sys.executable, __file__, "--spopt", model, str(n), str(m), str(p), str(radius)]
    t0 = time.perf_counter()
    try:
        out = subprocess.run(
            args, capture_output=True, text=True, timeout=SPOPT_LIMIT_S + 120, check=False
        )
    except subprocess.TimeoutExpired:
        return {
            "seconds": time.perf_counter() - t0,
            "objective": math.nan,
            "status": f"killed after {SPOPT_LIMIT_S + 120:.0f} s",
        }
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode != 0 or not lines:
        tail = (out.stderr.strip().splitlines() or ["?"])[-1][:80]
        return {
            "seconds": time.perf_counter() - t0,
            "objective": math.nan,
            "status": f"failed: {tail}",
        }
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def main() -> str:
    rows = []
    for model, n, m, p, radius, with_spopt in CASES:
        ours = run_xuewei(model, n, m, p, radius)
        ref = (
            run_spopt(model, n, m, p, radius)
            if with_spopt
            else {"seconds": math.nan, "objective": math.nan, "status": "not run (too large)"}
        )
        same = (
            "yes"
            if math.isfinite(ref["objective"])
            and abs(ref["objective"] - ours["objective"]) <= 1e-6 * max(1.0, abs(ours["objective"]))
            else ("—" if not math.isfinite(ref["objective"]) else "no")
        )
        ratio = ref["seconds"] / ours["seconds"] if math.isfinite(ref["objective"]) else math.nan
        rows.append(
            {
                "model": model,
                "demand × sites": f"{n:,} × {m:,}",
                "p": p,
                "radius m": "—" if math.isnan(radius) else f"{radius:,.0f}",
                "xuewei s": ours["seconds"],
                "xuewei objective": ours["objective"],
                "xuewei status (gap)": f"{ours['status']} ({ours['gap']:.2%})",
                "spopt s": ref["seconds"],
                "spopt objective": ref["objective"],
                "spopt status": ref["status"],
                "same objective": same,
                "speed-up": ratio,
            }
        )
    note = (
        f"Time limits: spopt {SPOPT_LIMIT_S:.0f} s (PuLP → HiGHS; child process, 12 GB cap); "
        f"xuewei {XUEWEI_LIMIT_S:.0f} s per HiGHS solve. Objective: p-median weighted "
        "metres, MCLP covered weight. Speed-up = spopt s ÷ xuewei s (wall, including model "
        "building)."
    )
    return "## Location-allocation (siting) vs spopt\n\n" + table(rows) + "\n\n" + note


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--spopt":
        _spopt_child(
            sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
        )
    else:
        print(main())
