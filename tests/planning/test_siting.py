"""Location-allocation: OR-Library optima, spopt parity, capacities, conservation."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import shortest_path

from xuewei.errors import InfeasibleError, InputError
from xuewei.planning.siting import SitingProblem

ORLIB = Path(__file__).parents[1] / "fixtures" / "orlib"


def read_orlib(path: Path) -> tuple[np.ndarray, int]:
    """All-pairs shortest paths of an OR-Library pmed file (last duplicate edge wins)."""
    lines = path.read_text().split("\n")
    n, m, p = (int(v) for v in lines[0].split())
    graph = np.full((n, n), np.inf)
    np.fill_diagonal(graph, 0.0)
    for line in lines[1 : m + 1]:
        i, j, c = (int(v) for v in line.split())
        graph[i - 1, j - 1] = graph[j - 1, i - 1] = c
    return shortest_path(graph, method="FW", directed=False), p


# Published optima (OR-Library pmedinfo). Every instance stored in tests/fixtures/orlib runs
# (pmed1–pmed5; provenance and checks in that folder's README).
ORLIB_OPTIMA = {"pmed1": 5819.0, "pmed2": 4093.0, "pmed3": 4250.0, "pmed4": 3034.0, "pmed5": 1355.0}
STORED = sorted(p.stem for p in ORLIB.glob("pmed*.txt"))


def test_stored_instances_have_known_optima() -> None:
    assert "pmed1" in STORED
    assert set(STORED) <= set(ORLIB_OPTIMA)


@pytest.mark.parametrize("name", STORED)
def test_orlib_p_median_optimum(name: str) -> None:
    optimum = ORLIB_OPTIMA[name]
    cost, p = read_orlib(ORLIB / f"{name}.txt")
    problem = SitingProblem.from_cost_matrix(cost, np.ones(len(cost)))
    result = problem.p_median(p)
    assert result.status == "optimal"
    assert result.objective == optimum
    assert result.gap < 1e-6
    assert len(result.open_sites) == p


def test_orlib_small_lists_widen_to_the_optimum() -> None:
    cost, p = read_orlib(ORLIB / "pmed1.txt")
    problem = SitingProblem.from_cost_matrix(cost, np.ones(len(cost)))
    result = problem.p_median(p, k_nearest=3)
    assert result.objective == 5819.0
    # straight to HiGHS: lists of 3 are widened round by round to the optimum
    direct = problem.p_median(p, k_nearest=3, bound_first=False)
    assert direct.objective == 5819.0 and direct.status == "optimal"
    assert "round" in direct.note and "1 round(s)" not in direct.note
    # the lists a demand is widened to hold every site within the asked reach, ties whole
    from xuewei.planning.siting import _Geometry, _Lists

    geo = _Geometry(dense=cost)
    lists = _Lists.build(geo, np.arange(len(cost)), 3)
    reach = np.full(2, 150.0)
    wide = lists.widen(geo, np.array([0, 7]), reach)
    for i in (0, 7):
        got = set(wide.site[wide.ptr[i] : wide.ptr[i + 1]].tolist())
        assert set(np.flatnonzero(cost[i] <= 150.0).tolist()) <= got
        assert wide.next_dist[i] > 150.0
    assert (wide.sizes[[1, 2]] == lists.sizes[[1, 2]]).all()


def _random(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 1000, (n, 2))
    s = rng.uniform(0, 1000, (m, 2))
    cost = np.linalg.norm(d[:, None] - s[None], axis=2)
    return cost, rng.integers(1, 50, n).astype(float)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_spopt_on_random_instances(seed: int) -> None:
    pulp = pytest.importorskip("pulp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from spopt.locate import MCLP, PMedian

        cost, w = _random(seed, 50, 15)
        p = 3 + seed
        ref = PMedian.from_cost_matrix(cost, w, p_facilities=p).solve(pulp.HiGHS(msg=False))
        ref_mclp = MCLP.from_cost_matrix(cost, w, service_radius=200.0, p_facilities=p).solve(
            pulp.HiGHS(msg=False)
        )
        ref_obj = pulp.value(ref.problem.objective)
        ref_cov = pulp.value(ref_mclp.problem.objective)
    problem = SitingProblem.from_cost_matrix(cost, w)
    assert problem.p_median(p).objective == pytest.approx(ref_obj, rel=1e-9)
    assert problem.p_median(p, bound_first=False).objective == pytest.approx(ref_obj, rel=1e-9)
    assert problem.mclp(p, radius_m=200.0).objective == pytest.approx(ref_cov)


def test_greedy_says_it_is_a_heuristic() -> None:
    cost, w = _random(3, 40, 12)
    result = SitingProblem.from_cost_matrix(cost, w).p_median(3, method="greedy")
    assert result.method == "greedy" and result.status == "heuristic"
    assert np.isnan(result.gap)
    assert "not exact" in result.note
    exact = SitingProblem.from_cost_matrix(cost, w).p_median(3)
    assert result.objective >= exact.objective - 1e-9


def test_hand_computed_line() -> None:
    # pupils 100 at 0 m, 50 at 1,000 m; sites at 0, 600, 1,000 m
    demand = pd.DataFrame({"demand_id": ["a", "b"], "x": [0.0, 1000.0], "y": 0.0, "w": [100, 50]})
    sites = pd.DataFrame({"site_id": ["s0", "s1", "s2"], "x": [0.0, 600.0, 1000.0], "y": 0.0})
    problem = SitingProblem.from_points(demand, sites, weight_col="w")
    r = problem.p_median(1)
    # s0: 50 × 1000 = 50,000; s1: 100 × 600 + 50 × 400 = 80,000; s2: 100,000
    assert r.open_sites == ["s0"] and r.objective == 50_000.0
    two = problem.p_median(2)
    assert sorted(two.open_sites) == ["s0", "s2"] and two.objective == 0.0
    cov = problem.mclp(1, radius_m=450.0)
    # s1 reaches b (400 m) only; s0 reaches a (100): s0 wins
    assert cov.open_sites == ["s0"] and cov.objective == 100.0 and cov.unassigned == 50.0


def test_fixed_sites_stay_open_and_count() -> None:
    demand = pd.DataFrame({"x": [0.0, 1000.0, 2000.0], "y": 0.0, "w": [10, 10, 20]})
    sites = pd.DataFrame(
        {
            "site_id": ["old", "n1", "n2"],
            "x": [0.0, 1000.0, 2000.0],
            "y": 0.0,
            "fixed": [True, False, False],
        }
    )
    problem = SitingProblem.from_points(demand, sites, weight_col="w")
    r = problem.p_median(1)
    assert r.sites.set_index("site_id").loc["old", "open"]
    assert r.open_sites == ["n2"]  # n2: 10 × 1,000 = 10,000; n1: 20 × 1,000 = 20,000
    assert r.objective == 10_000.0
    assert problem.mclp(0, radius_m=10).objective == 10.0


def test_infeasible_only_when_truly_so() -> None:
    cost, w = _random(4, 10, 3)
    problem = SitingProblem.from_cost_matrix(cost, w)
    with pytest.raises(InfeasibleError, match="only 3 candidate sites"):
        problem.p_median(4)
    with pytest.raises(InfeasibleError, match="nothing would be open"):
        problem.mclp(0, radius_m=100)


def test_capacitated_reports_unassigned_and_conserves() -> None:
    # three villages of 60 pupils; schools of 100 places; one new school
    p = SitingProblem.from_cost_matrix([[0, 5], [1, 5], [5, 0]], [60, 60, 60], capacity=[100, 100])
    r = p.capacitated(1)
    assert r.open_sites == [0]
    assert r.unassigned == 80.0
    assert r.objective == 40.0  # 60 × 0 + 40 × 1
    per_demand = r.assignment.groupby("demand_id")["weight"].sum()
    assert per_demand.to_dict() == {0: 60.0, 1: 60.0, 2: 60.0}
    assert r.assignment["weight"].sum() == 180.0
    two = p.capacitated(2)
    assert two.unassigned == 0.0 and two.objective == 40.0 + 20.0 * 5  # 20 of b overflow


def test_capacitated_spare_places_of_existing_schools_count() -> None:
    # existing school (spare 30) beside village a; a new site beside village b
    p = SitingProblem.from_cost_matrix(
        [[0, 900], [900, 0]],
        [50, 40],
        capacity=[30, 1000],
        fixed=[True, False],
        site_ids=["old", "new"],
    )
    none = p.capacitated(0, radius_m=500)
    assert none.unassigned == 60.0  # 20 of a and all 40 of b
    one = p.capacitated(1, radius_m=500)
    assert one.open_sites == ["new"] and one.unassigned == 20.0
    assert one.assignment["weight"].sum() == 90.0


def test_capacitated_needs_capacity() -> None:
    p = SitingProblem.from_cost_matrix([[0.0]], [1.0])
    with pytest.raises(InputError, match="capacity"):
        p.capacitated(1)


def test_capacitated_greedy_is_labelled() -> None:
    cost, w = _random(5, 30, 8)
    p = SitingProblem.from_cost_matrix(cost, w, capacity=np.full(8, 200.0))
    g = p.capacitated(2, radius_m=400, method="greedy")
    e = p.capacitated(2, radius_m=400)
    assert g.status == "heuristic" and e.status == "optimal"
    assert g.unassigned >= e.unassigned - 1e-9
    for r in (g, e):
        assert r.assignment["weight"].sum() == pytest.approx(w.sum(), abs=1e-9)


def test_results_are_deterministic_and_inputs_untouched() -> None:
    cost, w = _random(6, 60, 20)
    before = cost.copy()
    a = SitingProblem.from_cost_matrix(cost, w).p_median(4)
    b = SitingProblem.from_cost_matrix(cost, w).p_median(4)
    assert a.open_sites == b.open_sites
    pd.testing.assert_frame_equal(a.assignment, b.assignment)
    np.testing.assert_array_equal(cost, before)


def test_bad_weights_are_named() -> None:
    demand = pd.DataFrame({"x": [0.0], "y": [0.0], "w": [-5]})
    sites = pd.DataFrame({"site_id": ["s"], "x": [0.0], "y": [0.0]})
    with pytest.raises(InputError, match="row 1, column `w`: got -5"):
        SitingProblem.from_points(demand, sites, weight_col="w")


# ---------------------------------------------------------------- exactness vs brute force


def _brute_p_median(cost: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray) -> float:
    from itertools import combinations

    free = np.flatnonzero(~fixed)
    best = np.inf
    for pick in combinations(free.tolist(), p):
        open_ = np.r_[np.flatnonzero(fixed), list(pick)].astype(int)
        best = min(best, float(w @ cost[:, open_].min(axis=1)))
    return best


def _brute_mclp(cost: np.ndarray, w: np.ndarray, p: int, r: float, fixed: np.ndarray) -> float:
    from itertools import combinations

    free = np.flatnonzero(~fixed)
    best = -np.inf
    for pick in combinations(free.tolist(), p):
        open_ = np.r_[np.flatnonzero(fixed), list(pick)].astype(int)
        best = max(best, float(w[(cost[:, open_] <= r).any(axis=1)].sum()))
    return best


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 25),
    m=st.integers(2, 8),
    data=st.data(),
)
def test_p_median_and_mclp_equal_brute_force(seed: int, n: int, m: int, data) -> None:
    rng = np.random.default_rng(seed)
    # points on a coarse grid: ties in distance and identical coverage sets are common
    d = rng.integers(0, 6, (n, 2)) * 100.0
    s = rng.integers(0, 6, (m, 2)) * 100.0
    cost = np.linalg.norm(d[:, None] - s[None], axis=2)
    w = rng.integers(0, 20, n).astype(float)
    fixed = np.zeros(m, bool)
    if data.draw(st.booleans()):
        fixed[0] = True
    p = data.draw(st.integers(0 if fixed.any() else 1, int((~fixed).sum())))
    problem = SitingProblem.from_cost_matrix(cost, w, fixed=fixed)
    want = _brute_p_median(cost, w, p, fixed)
    for bound_first in (True, False):
        r = problem.p_median(p, k_nearest=2, bound_first=bound_first)
        assert r.status == "optimal"
        assert r.objective == pytest.approx(want, rel=1e-9, abs=1e-9)
        assert r.bound <= want + 1e-6 * max(want, 1.0)
        assert len(r.open_sites) == p
    radius = data.draw(st.sampled_from([0.0, 100.0, 150.0, 300.0]))
    cov = problem.mclp(p, radius_m=radius)
    assert cov.objective == pytest.approx(_brute_mclp(cost, w, p, radius, fixed))
    assert cov.objective + cov.unassigned == pytest.approx(w.sum())


def test_coverage_classes_by_hand() -> None:
    from xuewei.planning.siting import _coverage_classes

    # rows: {0,1}, {0,1}, {2}, {} (unreachable), {1,2} (zero weight), {0,3} (3 is fixed)
    dense = np.array(
        [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 0], [0, 1, 1, 0], [1, 0, 0, 1]],
        dtype=float,
    )
    cover = sp.csr_array(dense)
    w = np.array([3.0, 4.0, 5.0, 6.0, 0.0, 7.0])
    fixed = np.array([False, False, False, True])
    ones, wk, constant = _coverage_classes(cover, w, fixed)
    assert constant == 7.0  # row 5 is covered by the fixed site whatever is opened
    assert ones.toarray().tolist() == [[1, 1, 0, 0], [0, 0, 1, 0]]
    assert wk.tolist() == [7.0, 5.0]


def test_lagrangian_bound_is_valid_and_warm_starts() -> None:
    from xuewei.planning.siting import _Lists

    cost, w = _random(11, 60, 12)
    problem = SitingProblem.from_cost_matrix(cost, w)
    want = _brute_p_median(cost, w, 3, np.zeros(12, bool))
    lists = _Lists.build(problem._geo, np.arange(60), 4)  # short lists: tails are bounded
    free = np.ones(12, bool)
    lb, _, _, _, lam, _ = problem._lagrangian(lists, 3, free, ub=want * 1.5, iters=200)
    assert lb <= want + 1e-6
    lb2, *_ = problem._lagrangian(lists, 3, free, ub=want, iters=200, lam0=lam)
    assert lb2 >= lb - 1e-9 * want  # a warm start begins at the best multipliers found
    assert lb2 <= want + 1e-6
    # fixing against the optimum never removes a site of an optimal answer
    best = problem.p_median(3)
    lb3, out3, in3, *_ = problem._lagrangian(lists, 3, free, ub=best.objective, iters=300)
    chosen = best.sites["open"].to_numpy()
    assert not (out3 & chosen).any()
    assert not (in3 & ~chosen).any() or lb3 >= best.objective * (1 - 1e-9)


def test_swap_only_brings_in_allowed_sites() -> None:
    cost, w = _random(12, 40, 10)
    problem = SitingProblem.from_cost_matrix(cost, w)
    free = np.ones(10, bool)
    start = np.zeros(10, bool)
    start[[0, 1]] = True
    allowed = np.zeros(10, bool)
    allowed[[0, 1, 2, 3]] = True
    got = problem._swap(start, free, allowed=allowed)
    assert got.sum() == 2 and not got[4:].any()
    # among {0..3}, pairs: the swap ends at a local optimum no worse than the start
    assert problem._objective(got) <= problem._objective(start) + 1e-9


def test_list_swaps_reach_a_swap_local_optimum() -> None:
    from xuewei.planning.siting import _Lists

    cost, w = _random(13, 80, 14)
    fixed = np.zeros(14, bool)
    fixed[5] = True
    problem = SitingProblem.from_cost_matrix(cost, w, fixed=fixed)
    free = ~fixed
    start = fixed.copy()
    start[[0, 1, 2]] = True
    lists = _Lists.build(problem._geo, np.arange(80), 14)  # complete lists: exact deltas
    got = problem._swap_lists(start, free, lists)
    assert got[5] and got.sum() == 4  # the fixed site stays, the count is kept
    value = problem._objective(got)
    assert value <= problem._objective(start)
    # no single swap of a new site for a closed one improves it
    for r in np.flatnonzero(got & free):
        for j in np.flatnonzero(~got):
            trial = got.copy()
            trial[r], trial[j] = False, True
            assert problem._objective(trial) >= value - 1e-9 * value
    # with short lists the deltas are estimates, but every kept swap truly improves
    short = problem._swap_lists(start, free, _Lists.build(problem._geo, np.arange(80), 3))
    assert problem._objective(short) <= problem._objective(start)


def test_shake_keeps_fixed_count_and_alive_sites() -> None:
    from xuewei.planning.siting import _Interchange, _Lists

    cost, w = _random(14, 50, 12)
    fixed = np.zeros(12, bool)
    fixed[0] = True
    problem = SitingProblem.from_cost_matrix(cost, w, fixed=fixed)
    lists = _Lists.build(problem._geo, np.arange(50), 4)
    start = fixed.copy()
    start[[1, 2, 3]] = True
    keep = np.array([False, False, True] + [False] * 9)  # site 2 may not be closed
    movable = ~fixed & ~keep
    alive = ~fixed
    alive[[10, 11]] = False  # sites 10, 11 may not be opened
    rng = np.random.default_rng(0)
    for s in (1, 2, 3):
        state = _Interchange(problem._geo, w, lists, start, movable, alive)
        assert problem._shake_state(state, lists, s, rng)
        got = state.open_
        assert got.sum() == 4 and got[0] and got[2]  # count kept; fixed and kept stay
        assert int((start & ~got).sum()) <= s  # at most s sites exchanged
        assert not got[[10, 11]].any()
        assert state.value == pytest.approx(problem._objective(got))
    # nothing closed may be opened: no shake
    state = _Interchange(problem._geo, w, lists, start, movable, start.copy())
    assert not problem._shake_state(state, lists, 1, rng)


# ---------------------------------------------------------------- fast interchange


def test_interchange_gains_losses_by_hand() -> None:
    from xuewei.planning.siting import _Interchange, _Lists

    # demand at 0, 10, 20, 30 m (weights 1, 2, 1, 1); sites at the same places;
    # open sites 0 and 3. Nearest / second: d0 0/30, d1 10/20 (both site 0),
    # d2 10/20, d3 0/30 (both site 3).
    x = np.array([0.0, 10.0, 20.0, 30.0])
    cost = np.abs(x[:, None] - x[None, :])
    w = np.array([1.0, 2.0, 1.0, 1.0])
    problem = SitingProblem.from_cost_matrix(cost, w)
    lists = _Lists.build(problem._geo, np.arange(4), 4)
    start = np.array([True, False, False, True])
    every = np.ones(4, bool)
    state = _Interchange(problem._geo, w, lists, start, every, every)
    assert state.value == 30.0  # 0 + 2·10 + 10 + 0
    # gain[j] = Σ w (d1 − d_ij)⁺: site 1 saves demand 1 2·10; site 2 saves demand 2 10
    assert state.gain[[1, 2]].tolist() == [20.0, 10.0]
    # loss[r] = Σ_{c1 = r} w (d2 − d1): site 0: 1·30 + 2·10; site 3: 1·10 + 1·30
    assert state.loss.tolist() == [50.0, 40.0]
    # extra[r, j] = Σ_{c1 = r, d_ij < d2} w (d2 − max(d_ij, d1))
    # site 0, j = 1: 1·(30 − 10) + 2·(20 − 10) = 40; j = 2: 1·(30 − 20) + 2·(20 − 10) = 30
    # site 3, j = 1: 1·(20 − 10) + 1·(30 − 20) = 20; j = 2: 1·(20 − 10) + 1·(30 − 10) = 30
    assert state.extra[:, [1, 2]].tolist() == [[40.0, 30.0], [20.0, 30.0]]
    # profit = gain − loss + extra = the true fall of the objective, for every swap
    for r in (0, 3):
        for j in (1, 2):
            trial = start.copy()
            trial[r], trial[j] = False, True
            slot = 0 if r == 0 else 1
            profit = state.gain[j] - state.loss[slot] + state.extra[slot, j]
            assert profit == 30.0 - problem._objective(trial)
    r, j, profit = state.best()
    assert (r, j, profit) == (0, 1, 10.0)  # open {1, 3}: 10 + 0 + 10 + 0 = 20
    state.apply(r, j)
    assert state.value == 20.0
    # the running sums after a swap equal those counted afresh
    fresh = _Interchange(problem._geo, w, lists, state.open_, every, every)
    order = np.argsort(fresh.open_idx)
    assert np.allclose(state.gain, fresh.gain)
    assert np.allclose(state.loss[np.argsort(state.open_idx)], fresh.loss[order])
    assert np.allclose(state.extra[np.argsort(state.open_idx)], fresh.extra[order])
    # undo from a snapshot
    snap = state.snapshot()
    state.apply(3, 2)
    state.restore(snap)
    assert state.open_.tolist() == [False, True, False, True] and state.value == 20.0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), k=st.integers(1, 9), fixed0=st.booleans())
def test_interchange_predicts_swaps_and_descends_to_a_local_optimum(
    seed: int, k: int, fixed0: bool
) -> None:
    from xuewei.planning.siting import _Interchange, _Lists

    rng = np.random.default_rng(seed)
    d = rng.integers(0, 6, (30, 2)) * 100.0  # a coarse grid: many ties
    s = rng.integers(0, 6, (9, 2)) * 100.0
    cost = np.linalg.norm(d[:, None] - s[None], axis=2)
    w = rng.integers(0, 20, 30).astype(float)
    fixed = np.zeros(9, bool)
    fixed[0] = fixed0
    problem = SitingProblem.from_cost_matrix(cost, w, fixed=fixed)
    free = ~fixed
    start = fixed.copy()
    start[rng.choice(np.arange(1, 9), 3, replace=False)] = True
    lists = _Lists.build(problem._geo, np.arange(30), k)
    state = _Interchange(problem._geo, w, lists, start, free, free)
    value = problem._objective(start)
    assert state.value == pytest.approx(value)
    for r in np.flatnonzero(start & free):
        for j in np.flatnonzero(~start):
            trial = start.copy()
            trial[r], trial[j] = False, True
            slot = int(np.flatnonzero(state.open_idx == r)[0])
            predicted = state.gain[j] - state.loss[slot] + state.extra[slot, j]
            true = value - problem._objective(trial)
            if k >= 9:  # complete lists: exact
                assert predicted == pytest.approx(true, abs=1e-6)
            else:  # short lists: never more than the truth
                assert predicted <= true + 1e-6
    state.descend()
    got = state.open_
    assert got.sum() == start.sum() and (got[fixed]).all()
    assert state.value == pytest.approx(problem._objective(got))
    if k >= 9:  # a local optimum of the whole swap neighbourhood
        v = problem._objective(got)
        for r in np.flatnonzero(got & free):
            for j in np.flatnonzero(~got):
                trial = got.copy()
                trial[r], trial[j] = False, True
                assert problem._objective(trial) >= v - 1e-9 * max(v, 1.0)


# ---------------------------------------------------------------- reduced-cost fixing


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 8),
    slack=st.sampled_from([0.0, 0.001, 0.05]),
    iters=st.sampled_from([20, 300]),
)
def test_fixing_never_removes_an_optimum(seed: int, k: int, slack: float, iters: int) -> None:
    from itertools import combinations

    from xuewei.planning.siting import _Lists

    rng = np.random.default_rng(seed)
    d = rng.integers(0, 6, (25, 2)) * 100.0
    s = rng.integers(0, 6, (8, 2)) * 100.0
    cost = np.linalg.norm(d[:, None] - s[None], axis=2)
    w = rng.integers(0, 20, 25).astype(float)
    p = int(rng.integers(1, 5))
    problem = SitingProblem.from_cost_matrix(cost, w)
    values = {
        pick: float(w @ cost[:, list(pick)].min(axis=1)) for pick in combinations(range(8), p)
    }
    want = min(values.values())
    optima = [pick for pick, v in values.items() if v <= want + 1e-9]
    lists = _Lists.build(problem._geo, np.arange(25), k)
    ub = want * (1 + slack)  # fixing against an answer at or above the optimum
    lb, out, inn, *_ = problem._lagrangian(lists, p, np.ones(8, bool), ub, iters=iters)
    assert lb <= want + 1e-6 * max(want, 1.0)
    for pick in optima:
        assert not out[list(pick)].any()  # no optimal answer loses a site
        assert set(np.flatnonzero(inn)) <= set(pick)  # and none lacks a forced one


def test_shake_search_never_worsens_and_bound_stays_valid() -> None:
    from xuewei.planning.siting import _Lists

    cost, w = _random(15, 60, 12)
    problem = SitingProblem.from_cost_matrix(cost, w)
    want = _brute_p_median(cost, w, 4, np.zeros(12, bool))
    lists = _Lists.build(problem._geo, np.arange(60), 5)
    free = np.ones(12, bool)
    start = np.zeros(12, bool)
    start[[0, 1, 2, 3]] = True
    ub = problem._objective(start)
    no = np.zeros(12, bool)
    best, ub2, lb, out, _ = problem._shake_search(
        start, ub, -np.inf, None, lists, 4, free, no, no, 1e-9, deadline=np.inf
    )
    assert best.sum() == 4
    assert ub2 == problem._objective(best) and want - 1e-9 <= ub2 <= ub
    assert lb <= want + 1e-6 * want
    assert not (out & best).any()  # fixing never removes the answer's own sites
    # the same inputs give the same answer
    again = problem._shake_search(
        start, ub, -np.inf, None, lists, 4, free, no, no, 1e-9, deadline=np.inf
    )
    assert (again[0] == best).all() and again[1] == ub2
