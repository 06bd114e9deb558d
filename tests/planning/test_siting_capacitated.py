"""Capacitated siting: the HiGHS options of its two phases change its speed, not its answer.

Phase 1 (most demand served) and phase 2 (keeping that, least weighted distance) run with
HiGHS's sub-MIP and rounding heuristics off (``CAPACITATED_HIGHS_OPTIONS``). Checked here:
the answer equals brute force (every set of sites, each assigned exactly by an LP) and the
answer of HiGHS with its default options; and new builds of equal size whose sites are
equally full go to them in site-id order (loads are compared at 10⁻⁶ of a pupil, so the
solver's rounding noise does not decide).
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog
from shapely.geometry import Point

import xuewei.planning.siting.capacitated as capacitated
from xuewei.data import load_standards
from xuewei.planning import locate_new_schools
from xuewei.planning.siting import SitingProblem


def _instance(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 1000, (n, 2))
    sites = rng.uniform(0, 1000, (m, 2))
    cost = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(10, 90, n).astype(np.float64)
    cap = rng.choice([150.0, 250.0, 400.0], m)
    return cost, w, cap


def _assign(
    cost: np.ndarray, w: np.ndarray, cap: np.ndarray, open_: list[int], radius: float
) -> tuple[float, float]:
    """Exact lexicographic assignment to the open sites: (unassigned, weighted distance)."""
    n = len(w)
    pairs = [(i, j) for i in range(n) for j in open_ if cost[i, j] <= radius]
    if not pairs:
        return float(w.sum()), 0.0
    k = len(pairs)
    # variables: flow f (pupils) per pair; served per demand ≤ w, per site ≤ cap
    a_ub = np.zeros((n + len(open_), k))
    for e, (i, j) in enumerate(pairs):
        a_ub[i, e] = 1.0
        a_ub[n + open_.index(j), e] = 1.0
    b_ub = np.r_[w, cap[open_]]
    served = linprog(-np.ones(k), A_ub=a_ub, b_ub=b_ub, method="highs")
    most = -served.fun
    dist = np.array([cost[i, j] for i, j in pairs])
    a2 = np.vstack([a_ub, -np.ones(k)])
    b2 = np.r_[b_ub, -most + 1e-7 * w.sum()]
    least = linprog(dist, A_ub=a2, b_ub=b2, method="highs")
    return float(w.sum() - most), float(least.fun)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_capacitated_equals_brute_force(seed: int) -> None:
    cost, w, cap = _instance(seed, 14, 7)
    radius, p = 450.0, 2
    best = min(_assign(cost, w, cap, list(s), radius) for s in itertools.combinations(range(7), p))
    r = SitingProblem.from_cost_matrix(cost, w, capacity=cap).capacitated(p, radius_m=radius)
    assert r.status == "optimal"
    assert r.unassigned == pytest.approx(best[0], abs=1e-5 * w.sum())
    assert r.objective == pytest.approx(best[1], rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_capacitated_options_keep_the_answer_of_highs_defaults(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    cost, w, cap = _instance(seed, 160, 40)
    problem = SitingProblem.from_cost_matrix(cost, w, capacity=cap)
    ours = problem.capacitated(5, radius_m=300.0)
    monkeypatch.setattr(capacitated, "CAPACITATED_HIGHS_OPTIONS", {})
    defaults = problem.capacitated(5, radius_m=300.0)
    assert ours.status == defaults.status == "optimal"
    assert ours.unassigned == pytest.approx(defaults.unassigned, rel=1e-9, abs=1e-6)
    assert ours.objective == pytest.approx(defaults.objective, rel=1e-6)
    assert sorted(ours.open_sites) == sorted(defaults.open_sites)


def test_full_sites_of_equal_size_go_in_site_id_order() -> None:
    standards = load_standards()
    rate = standards.places_per_resident("primary", 80.0)
    # two estates, each far more pupils than a school holds, each beside one site; site
    # ids in the opposite order of the estates' sizes
    residents = [10 * 2000 / rate, 10 * 1900 / rate]
    estates = gpd.GeoDataFrame(
        {"district_id": "d", "estate_id": ["e1", "e2"], "residents": residents},
        geometry=[Point(0, 0), Point(5000, 0)],
        crs=3857,
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["S2", "S1"], "district_id": "d"},
        geometry=[Point(10, 0), Point(5010, 0)],
        crs=3857,
    )
    adds = pd.DataFrame(
        {
            "district_id": "d",
            "level": "primary",
            "scenario": 80.0,
            "seq": [1, 2],
            "kind": "new_build",
            "places": 1350.0,
            "classes": 30,
        }
    )
    out = locate_new_schools(adds, estates, sites, standards, radius_m=1000.0)
    assert out["pupils_served"].tolist() == [1350.0, 1350.0]
    assert out["site_id"].tolist() == ["S1", "S2"]  # both full: by site id
