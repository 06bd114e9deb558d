"""What one branching step buys towards proving the p-median 20,000 × 2,000 (p = 50).

``python benchmarks/run.py pmedian_branch``. The instance of ``bench_siting.py``
(``instance(20_000, 2_000)``, seed 0). The Lagrangian bound of
:mod:`xuewei.planning.siting.lagrangian` (assignment rows relaxed; its dual is the LP bound)
is run to its plateau at the root: three rounds of 600 subgradient steps, each warm-started
from the last, on lists of each demand's 160 nearest sites, towards the best answer known
for the instance. Then one branch at a time, each from the root's multipliers with 400 more
steps: a site of the root's answer closed (the sites of least, median and largest Lagrangian
cost ρ), or a site outside it opened (the three of least ρ). Each row says how far the
branch raised the bound, as a share of the gap left at the root.

A proof by branching on sites needs every leaf's bound above the best answer. If each step
closes a share ``s`` of the gap, a path needs about ``1 / s`` closed sites; the table is the
measured ``s`` and the seconds a node's bound costs.
"""

from __future__ import annotations

import copy
import os
import time
from typing import Any

import numpy as np
import pandas as pd
from bench_siting import instance
from common import table

from xuewei.planning import SitingProblem
from xuewei.planning.siting.lagrangian import lagrangian_bound
from xuewei.planning.siting.lists import CandidateLists

#: The best answer known for the instance: the current p-median search's, recorded in
#: benchmarks/siting.md (2026-11-23, 1,066,522,384; no run since found a better one).
BEST_KNOWN = 1_066_522_384.0
P = 50
LIST_SIZE = 160


def _problem() -> SitingProblem:
    demand, sites, w = instance(20_000, 2_000)
    return SitingProblem.from_points(
        pd.DataFrame({"x": demand[:, 0], "y": demand[:, 1], "w": w}),
        pd.DataFrame({"site_id": np.arange(len(sites)), "x": sites[:, 0], "y": sites[:, 1]}),
        weight_col="w",
    )


def _opened(problem: SitingProblem, k: int) -> SitingProblem:
    """The same problem with site ``k`` always open (it no longer counts towards ``p``)."""
    out = copy.copy(problem)
    out.fixed = problem.fixed.copy()
    out.fixed[k] = True
    return out


def main() -> str:
    problem = _problem()
    n, _ = problem.shape
    lists = CandidateLists.build(problem.geometry, np.arange(n), LIST_SIZE)
    free = ~problem.fixed
    t0 = time.perf_counter()
    lam: Any = None
    for _ in range(3):
        lb, out, _, y, lam, rho = lagrangian_bound(
            problem, lists, P, free, BEST_KNOWN, iters=600, lam0=lam
        )
    root_s = time.perf_counter() - t0
    gap = BEST_KNOWN - lb
    rows: list[dict[str, Any]] = [
        {
            "node": "root (3 × 600 steps)",
            "bound": lb,
            "gap to best known": f"{gap / BEST_KNOWN:.3%}",
            "share of the root's gap closed": "—",
            "s": root_s,
            "sites ruled out": int(out.sum()),
        }
    ]
    chosen = np.flatnonzero(y & free)
    chosen = chosen[np.argsort(rho[chosen], kind="stable")]
    outside = np.flatnonzero(free & ~y)
    outside = outside[np.argsort(rho[outside], kind="stable")][:3]
    branches = [("closed", int(j)) for j in (chosen[0], chosen[len(chosen) // 2], chosen[-1])]
    branches += [("opened", int(k)) for k in outside]
    for how, j in branches:
        sub, f2, p2 = problem, free.copy(), P
        f2[j] = False
        if how == "opened":
            sub, p2 = _opened(problem, j), P - 1
        t = time.perf_counter()
        b = lagrangian_bound(sub, lists, p2, f2, BEST_KNOWN, iters=400, lam0=lam)[0]
        rows.append(
            {
                "node": f"site {j} {how} (ρ {rho[j]:,.0f})",
                "bound": b,
                "gap to best known": f"{(BEST_KNOWN - b) / BEST_KNOWN:.3%}",
                "share of the root's gap closed": f"{(b - lb) / gap:.1%}",
                "s": time.perf_counter() - t,
                "sites ruled out": "",
            }
        )
    load = os.getloadavg()[0]
    return (
        "## p-median 20,000 × 2,000 (p = 50): one branching step\n\n"
        f"Best known answer {BEST_KNOWN:,.0f}; lists of {LIST_SIZE} sites; load average "
        f"(1 min) at the end {load:.1f}.\n\n" + table(rows)
    )
