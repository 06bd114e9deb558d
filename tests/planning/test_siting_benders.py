"""Benders decomposition for the p-median and the MCLP: cuts by hand, optima, gaps, limits."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import shortest_path
from scipy.spatial import cKDTree

from xuewei.planning.siting import SitingProblem
from xuewei.planning.siting.benders_mclp import coverage_keys, point_classes
from xuewei.planning.siting.benders_pmedian import cut_levels
from xuewei.planning.siting.lists import CandidateLists
from xuewei.planning.siting.mclp import coverage_classes

ORLIB = Path(__file__).parents[1] / "fixtures" / "orlib"
ORLIB_OPTIMA = {"pmed1": 5819.0, "pmed2": 4093.0, "pmed3": 4250.0, "pmed4": 3034.0, "pmed5": 1355.0}


def _read_orlib(path: Path) -> tuple[np.ndarray, int]:
    lines = path.read_text().split("\n")
    n, m, p = (int(v) for v in lines[0].split())
    graph = np.full((n, n), np.inf)
    np.fill_diagonal(graph, 0.0)
    for line in lines[1 : m + 1]:
        i, j, c = (int(v) for v in line.split())
        graph[i - 1, j - 1] = graph[j - 1, i - 1] = c
    return shortest_path(graph, method="FW", directed=False), p


def _brute(cost: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray, radius: float | None):
    free = np.flatnonzero(~fixed)
    best = np.inf if radius is None else -np.inf
    for pick in combinations(free.tolist(), p):
        open_ = np.r_[np.flatnonzero(fixed), list(pick)].astype(int)
        if radius is None:
            best = min(best, float(w @ cost[:, open_].min(axis=1)))
        else:
            best = max(best, float(w[(cost[:, open_] <= radius).any(axis=1)].sum()))
    return best


def _points(seed: int, n: int, m: int) -> SitingProblem:
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 5000, (n, 2))
    s = rng.uniform(0, 5000, (m, 2))
    w = rng.integers(1, 50, n).astype(float)
    return SitingProblem.from_points(
        pd.DataFrame({"x": d[:, 0], "y": d[:, 1], "w": w}),
        pd.DataFrame({"site_id": np.arange(m), "x": s[:, 0], "y": s[:, 1]}),
        weight_col="w",
    )


def _lists(dist: list[list[float]], sites: list[list[int]], nxt: list[float]) -> CandidateLists:
    sizes = [len(d) for d in dist]
    return CandidateLists(
        np.r_[0, np.cumsum(sizes)].astype(np.int64),
        np.concatenate([np.asarray(s, np.int64) for s in sites]),
        np.concatenate([np.asarray(d, float) for d in dist]),
        np.asarray(nxt, float),
        ~np.isfinite(np.asarray(nxt, float)),
    )


def test_cut_levels_by_hand_with_ties_and_a_truncated_list() -> None:
    # demand 0: sites 0, 1 at 2 m (a tie), site 2 at 5 m; demand 1: site 2 at 1 m, then
    # nothing listed until 7 m
    lists = _lists([[2.0, 2.0, 5.0], [1.0]], [[0, 1, 2], [2]], [np.inf, 7.0])
    row_of = np.repeat(np.arange(2), lists.sizes)
    y = np.array([0.25, 0.25, 1.0])
    level, coef, value = cut_levels(lists, row_of, y)
    # demand 0: share 0.5 within 2 m, reaches 1 at 5 m: θ ≥ 5 − 3·y0 − 3·y1 = 3.5
    # demand 1: site 2 fully open at 1 m: level 1, no coefficient, θ ≥ 1
    assert level.tolist() == [5.0, 1.0]
    assert coef.tolist() == [3.0, 3.0, 0.0, 0.0]
    assert value.tolist() == [3.5, 1.0]
    # nothing open in demand 1's list: its cut stops at the first distance beyond it (7 m)
    level, coef, value = cut_levels(lists, row_of, np.array([1.0, 0.0, 0.0]))
    assert level.tolist() == [2.0, 7.0]
    assert coef.tolist() == [0.0, 0.0, 0.0, 6.0]
    assert value.tolist() == [2.0, 7.0]


def test_cut_value_at_an_answer_is_the_nearest_open_distance() -> None:
    problem = _points(3, 80, 15)
    lists = CandidateLists.build(problem.geometry, np.arange(80), 15)  # complete lists
    row_of = np.repeat(np.arange(80), lists.sizes)
    open_ = np.zeros(15, bool)
    open_[[1, 4, 9]] = True
    _, _, value = cut_levels(lists, row_of, open_.astype(float))
    d, _ = problem.geometry.nearest_open(np.flatnonzero(open_))
    np.testing.assert_allclose(value, d)


def test_hand_computed_line() -> None:
    # villages of 100 and 50 pupils at 0 m and 1,000 m; sites at 0, 600 and 1,000 m
    problem = SitingProblem.from_cost_matrix(
        [[0.0, 600.0, 1000.0], [1000.0, 400.0, 0.0]], [100.0, 50.0]
    )
    r = problem.p_median(1, method="benders")
    assert (r.open_sites, r.objective, r.status, r.method) == ([0], 50_000.0, "optimal", "benders")
    assert r.gap == 0.0 or r.gap < 1e-9
    # two sites: both villages served at 0 m
    assert problem.p_median(2, method="benders").objective == 0.0
    # MCLP, radius 500 m: the bigger village (100) alone; 600 m: site 1 reaches both
    assert problem.mclp(1, radius_m=500, method="benders").objective == 100.0
    both = problem.mclp(1, radius_m=600, method="benders")
    assert (both.objective, both.open_sites, both.method) == (150.0, [1], "benders")


@pytest.mark.parametrize("name", sorted(ORLIB_OPTIMA))
def test_orlib_optimum_by_benders(name: str) -> None:
    cost, p = _read_orlib(ORLIB / f"{name}.txt")
    r = SitingProblem.from_cost_matrix(cost, np.ones(len(cost))).p_median(
        p, method="benders", k_nearest=8
    )
    assert (r.status, r.method, r.objective) == ("optimal", "benders", ORLIB_OPTIMA[name])
    assert r.bound <= r.objective and r.gap < 1e-6


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 25),
    m=st.integers(2, 8),
    data=st.data(),
)
def test_benders_equals_brute_force(seed: int, n: int, m: int, data: st.DataObject) -> None:
    rng = np.random.default_rng(seed)
    # a coarse grid: ties in distance and identical coverage sets are common
    d = rng.integers(0, 6, (n, 2)) * 100.0
    s = rng.integers(0, 6, (m, 2)) * 100.0
    cost = np.linalg.norm(d[:, None] - s[None], axis=2)
    w = rng.integers(0, 20, n).astype(float)
    fixed = np.zeros(m, bool)
    if data.draw(st.booleans()):
        fixed[0] = True
    p = data.draw(st.integers(0 if fixed.any() else 1, int((~fixed).sum())))
    problem = SitingProblem.from_cost_matrix(cost, w, fixed=fixed)
    want = _brute(cost, w, p, fixed, None)
    r = problem.p_median(p, k_nearest=2, method="benders")
    assert (r.status, r.method) == ("optimal", "benders")
    assert r.objective == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert r.bound <= want + 1e-6 * max(want, 1.0)
    assert len(r.open_sites) == p
    radius = data.draw(st.sampled_from([0.0, 100.0, 150.0, 300.0]))
    cov = problem.mclp(p, radius_m=radius, method="benders")
    assert (cov.status, cov.method) == ("optimal", "benders")
    assert cov.objective == pytest.approx(_brute(cost, w, p, fixed, radius))
    assert cov.bound >= cov.objective - 1e-9
    assert cov.objective + cov.unassigned == pytest.approx(w.sum())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_benders_agrees_with_the_existing_exact_solvers(seed: int) -> None:
    problem = _points(seed, 400, 40)
    old = problem.p_median(6, method="exact")
    new = problem.p_median(6, method="benders")
    assert old.status == new.status == "optimal"
    assert new.objective == pytest.approx(old.objective, rel=1e-6)
    assert new.assignment["weight"].sum() == pytest.approx(problem.weights.sum())
    old_c = problem.mclp(6, radius_m=700, method="exact")
    new_c = problem.mclp(6, radius_m=700, method="benders")
    assert old_c.status == new_c.status == "optimal"
    assert new_c.objective == old_c.objective
    assert new_c.objective + new_c.unassigned == pytest.approx(problem.weights.sum())


def test_time_limit_returns_an_answer_with_its_proven_gap() -> None:
    problem = _points(5, 3000, 300)
    # no time at all: the answer found before the master is solved, with a bound that holds
    r = problem.p_median(12, method="benders", time_limit_s=0.0)
    full = problem.p_median(12, method="benders")
    assert r.status == "time_limit" and r.method == "benders"
    assert r.note.startswith("time limit reached")
    assert r.objective == pytest.approx(problem.total_distance(r.sites["open"].to_numpy()))
    assert r.bound <= full.objective + 1e-6 * full.objective
    assert r.gap == pytest.approx((r.objective - r.bound) / r.objective)
    assert 0.0 < r.gap < 1.0
    c = problem.mclp(12, radius_m=400, method="benders", time_limit_s=0.0)
    c_full = problem.mclp(12, radius_m=400, method="benders")
    assert c.status == "time_limit" and c.method == "benders"
    assert c.bound >= c_full.objective - 1e-9 and c.objective <= c_full.objective
    assert c.gap == pytest.approx((c.bound - c.objective) / c.objective)


def test_coverage_keys_group_points_like_the_exact_classes() -> None:
    problem = _points(7, 2000, 60)
    fixed = np.zeros(60, bool)
    fixed[[3, 17]] = True
    geo = problem.geometry
    assert geo.demand_xy is not None and geo.site_xy is not None
    cc = point_classes(geo.demand_xy, geo.site_xy, problem.weights, fixed, 500.0)
    ones, wk, constant = coverage_classes(geo.within(500.0), problem.weights, fixed)
    assert cc.constant == pytest.approx(constant)
    # the same classes (as sets of sites) with the same weights, in the same order
    assert (cc.ones != ones).nnz == 0
    np.testing.assert_allclose(cc.weight, wk)
    *_, size = coverage_keys(geo.demand_xy, cKDTree(geo.site_xy), 500.0, 60)
    assert size.tolist() == np.diff(geo.within(500.0).indptr).tolist()


def test_auto_uses_benders_for_many_demand_points(monkeypatch: pytest.MonkeyPatch) -> None:
    problem = _points(9, 500, 30)
    exact = problem.mclp(4, radius_m=600)
    assert exact.method == "highs"
    monkeypatch.setattr("xuewei.planning.siting.mclp.MIN_BENDERS_DEMAND", 100)
    auto = problem.mclp(4, radius_m=600)
    assert auto.method == "benders" and auto.objective == exact.objective


def test_coverage_keys_by_hand() -> None:
    tree = cKDTree(np.array([[0.0, 0.0], [10.0, 0.0]]))
    k1, k2, size = coverage_keys(np.array([[1.0, 0.0], [9.0, 0.0], [5.0, 0.0]]), tree, 5.0, 2)
    assert size.tolist() == [1, 1, 2]
    assert len({(int(a), int(b)) for a, b in zip(k1, k2, strict=True)}) == 3
    ones = sp.csr_array(np.eye(2))
    assert ones.nnz == 2
