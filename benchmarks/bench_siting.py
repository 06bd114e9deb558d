"""Location-allocation: xuewei (sparse models straight into HiGHS) against PySAL spopt.

Same seeded instances (uniform demand and candidate points on a 20 km square, integer
weights 1–99, straight-line metres), same objective, in one run. Each side runs in its own
child process (so that peak memory is that side's alone, read from ``wait4``'s rusage) under a
12 GB address-space cap. spopt builds a PuLP model from the full cost matrix and solves it
with HiGHS through PuLP under a time limit (``SPOPT_LIMIT_S``; the child is killed
``SPOPT_GRACE_S`` later). xuewei runs with ``XUEWEI_LIMIT_S`` per HiGHS solve.

Run: ``PYTHONSAFEPATH=1 .venv/bin/python benchmarks/run.py siting`` (a subset:
``SITING_CASES=4,5 SITING_SIDES=current,benders``).
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import table

SPOPT_LIMIT_S = 600.0
SPOPT_GRACE_S = 180.0
XUEWEI_LIMIT_S = 120.0
MEMORY_CAP = 12 * 2**30

# (model, n demand, m candidates, p, radius_m)
CASES: list[tuple[str, int, int, int, float]] = [
    ("p_median", 1_000, 100, 15, math.nan),
    ("mclp", 5_000, 500, 15, 1_500.0),
    ("p_median", 5_000, 500, 15, math.nan),
    ("mclp", 20_000, 2_000, 50, 1_000.0),
    ("p_median", 20_000, 2_000, 50, math.nan),
    ("mclp", 1_000_000, 5_000, 100, 750.0),
]
#: spopt is not run above this many demand × site pairs: it needs the dense cost matrix
#: (1,000,000 × 5,000 float64 = 40 GB) before PuLP builds its model.
SPOPT_MAX_PAIRS = 100_000_000
#: Sides: ``current`` (the solver ``method="auto"`` chose before Benders: the compact MCLP
#: model, the p-median's Lagrangian bound and search), ``benders`` (``method="benders"``),
#: ``spopt``. ``SITING_CASES`` (comma-separated indices into CASES) and ``SITING_SIDES``
#: select a subset.
SIDES = ("current", "benders", "spopt")


def instance(n: int, m: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand points, candidate points (metres) and integer weights."""
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 20_000, (n, 2))
    sites = rng.uniform(0, 20_000, (m, 2))
    weights = rng.integers(1, 100, n).astype(np.float64)
    return demand, sites, weights


def _xuewei_child(
    model: str, n: int, m: int, p: int, radius: float, side: str = "current"
) -> dict[str, Any]:
    from xuewei.planning import SitingProblem

    demand, sites, w = instance(n, m)
    t0 = time.perf_counter()
    problem = SitingProblem.from_points(
        pd.DataFrame({"x": demand[:, 0], "y": demand[:, 1], "w": w}),
        pd.DataFrame({"site_id": np.arange(m), "x": sites[:, 0], "y": sites[:, 1]}),
        weight_col="w",
    )
    if model == "p_median":
        method = "benders" if side == "benders" else "auto"
        r = problem.p_median(p, time_limit_s=XUEWEI_LIMIT_S, method=method)
    else:
        method = "benders" if side == "benders" else "exact"
        r = problem.mclp(p, radius_m=radius, time_limit_s=XUEWEI_LIMIT_S, method=method)
    return {
        "seconds": time.perf_counter() - t0,
        "objective": r.objective,
        "status": r.status,
        "gap": r.gap,
        "note": r.note,
        "load": os.getloadavg()[0],
    }


def _spopt_child(model: str, n: int, m: int, p: int, radius: float) -> dict[str, Any]:
    import pulp
    from spopt.locate import MCLP, PMedian

    demand, sites, w = instance(n, m)
    t0 = time.perf_counter()
    cost = np.hypot(demand[:, None, 0] - sites[None, :, 0], demand[:, None, 1] - sites[None, :, 1])
    solver = pulp.HiGHS(msg=False, timeLimit=SPOPT_LIMIT_S)
    if model == "p_median":
        res = PMedian.from_cost_matrix(cost, w, p_facilities=p).solve(solver)
    else:
        res = MCLP.from_cost_matrix(cost, w, service_radius=radius, p_facilities=p).solve(solver)
    objective = float(pulp.value(res.problem.objective))
    status = pulp.LpStatus[res.problem.status]
    return {"seconds": time.perf_counter() - t0, "objective": objective, "status": status}


def _child(side: str, model: str, n: int, m: int, p: int, radius: float) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    warnings.simplefilter("ignore")
    try:
        if side == "spopt":
            out = _spopt_child(model, n, m, p, radius)
        else:
            out = _xuewei_child(model, n, m, p, radius, side)
    except MemoryError:
        out = {"status": f"out of memory ({MEMORY_CAP / 2**30:.0f} GB cap)"}
    print(json.dumps(out))


def run_side(side: str, model: str, n: int, m: int, p: int, radius: float) -> dict[str, Any]:
    """Run one side in a child process; wall limit, peak RSS (MB) from wait4's rusage."""
    limit = SPOPT_LIMIT_S + SPOPT_GRACE_S
    args = [sys.executable, __file__, "--child", side, model, str(n), str(m), str(p), str(radius)]
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(args, stdout=out, stderr=err, start_new_session=True)
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > limit and not killed:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
            time.sleep(0.2)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        lines = [line for line in out.read().splitlines() if line.startswith("{")]
        tail = (err.read().strip().splitlines() or ["?"])[-1][:80]
    peak_mb = usage.ru_maxrss / 1024
    result: dict[str, Any] = {"seconds": wall, "objective": math.nan, "peak_mb": peak_mb}
    if killed:
        result["status"] = f"no answer: killed after {limit:.0f} s"
    elif lines:
        result.update(json.loads(lines[-1]))
        result["peak_mb"] = peak_mb
        if "objective" not in result:
            result["objective"] = math.nan
            result["seconds"] = wall
    else:
        result["status"] = f"failed: {tail}"
    return result


def _pick() -> tuple[list[tuple[str, int, int, int, float]], tuple[str, ...]]:
    only = os.environ.get("SITING_CASES", "")
    cases = [CASES[int(i)] for i in only.split(",")] if only else CASES
    sides = tuple(os.environ.get("SITING_SIDES", ",".join(SIDES)).split(","))
    return cases, sides


def _cell(r: dict[str, Any] | None) -> tuple[Any, Any, str, Any]:
    if r is None:
        return "—", "—", "not run", "—"
    gap = r.get("gap", math.nan)
    status = r["status"] if math.isnan(gap) else f"{r['status']} ({gap:.2%})"
    return r["seconds"], r["objective"], status, r["peak_mb"]


def main() -> str:
    rows = []
    load = os.getloadavg()
    cases, sides = _pick()
    for model, n, m, p, radius in cases:
        got: dict[str, dict[str, Any] | None] = {}
        for side in SIDES:
            if side not in sides or (side == "spopt" and n * m > SPOPT_MAX_PAIRS):
                got[side] = None
                continue
            got[side] = run_side(side, model, n, m, p, radius)
            print(json.dumps({side: got[side]}), file=sys.stderr, flush=True)
        row: dict[str, Any] = {
            "model": model,
            "demand × sites": f"{n:,} × {m:,}",
            "p": p,
            "radius m": "—" if math.isnan(radius) else f"{radius:,.0f}",
        }
        for side in SIDES:
            sec, obj, status, peak = _cell(got[side])
            row[f"{side} s"] = sec
            row[f"{side} objective"] = obj
            row[f"{side} status (gap)"] = status
            row[f"{side} peak MB"] = peak
        done = [g for g in got.values() if g is not None]
        row["load (1 min)"] = ", ".join(f"{g.get('load', math.nan):.1f}" for g in done)
        rows.append(row)
    load_end = os.getloadavg()
    note = (
        f"Limits: spopt HiGHS {SPOPT_LIMIT_S:.0f} s (PuLP → HiGHS), killed after "
        f"{SPOPT_LIMIT_S + SPOPT_GRACE_S:.0f} s wall, not run above {SPOPT_MAX_PAIRS:,} "
        f"pairs (dense cost matrix); xuewei time_limit_s={XUEWEI_LIMIT_S:.0f} (the whole "
        "call for the p-median and Benders; each HiGHS solve for the compact MCLP); all in "
        f"child processes under a {MEMORY_CAP / 2**30:.0f} GB address-space cap. current = "
        "MCLP method='exact' (compact model), p-median method='auto'; benders = "
        "method='benders'. Objective: p-median weighted metres, MCLP covered weight. Peak "
        "MB = child's max RSS. Load average (1 min) per side at its end; at start "
        f"{load[0]:.1f}, at end {load_end[0]:.1f} (2 cores, shared)."
    )
    return (
        "## Location-allocation (siting): current, Benders, spopt\n\n" + table(rows) + "\n\n" + note
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _child(
            sys.argv[2],
            sys.argv[3],
            int(sys.argv[4]),
            int(sys.argv[5]),
            int(sys.argv[6]),
            float(sys.argv[7]),
        )
    else:
        print(main())
