"""The p-median's search internals: Lagrangian bound and fixing, swaps, interchange, shakes."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xuewei.planning.siting import SitingProblem
from xuewei.planning.siting.interchange import Interchange
from xuewei.planning.siting.lagrangian import lagrangian_bound
from xuewei.planning.siting.lists import CandidateLists
from xuewei.planning.siting.local_search import swap_dense, swap_lists
from xuewei.planning.siting.shake import shake, shake_search


# the random instances and brute force of test_siting_models.py
def _random(seed: int, n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 1000, (n, 2))
    s = rng.uniform(0, 1000, (m, 2))
    cost = np.linalg.norm(d[:, None] - s[None], axis=2)
    return cost, rng.integers(1, 50, n).astype(float)


def _brute_p_median(cost: np.ndarray, w: np.ndarray, p: int, fixed: np.ndarray) -> float:
    from itertools import combinations

    free = np.flatnonzero(~fixed)
    best = np.inf
    for pick in combinations(free.tolist(), p):
        open_ = np.r_[np.flatnonzero(fixed), list(pick)].astype(int)
        best = min(best, float(w @ cost[:, open_].min(axis=1)))
    return best


def test_lagrangian_bound_is_valid_and_warm_starts() -> None:
    cost, w = _random(11, 60, 12)
    problem = SitingProblem.from_cost_matrix(cost, w)
    want = _brute_p_median(cost, w, 3, np.zeros(12, bool))
    lists = CandidateLists.build(
        problem.geometry, np.arange(60), 4
    )  # short lists: tails are bounded
    free = np.ones(12, bool)
    lb, _, _, _, lam, _ = lagrangian_bound(problem, lists, 3, free, ub=want * 1.5, iters=200)
    assert lb <= want + 1e-6
    lb2, *_ = lagrangian_bound(problem, lists, 3, free, ub=want, iters=200, lam0=lam)
    assert lb2 >= lb - 1e-9 * want  # a warm start begins at the best multipliers found
    assert lb2 <= want + 1e-6
    # fixing against the optimum never removes a site of an optimal answer
    best = problem.p_median(3)
    lb3, out3, in3, *_ = lagrangian_bound(problem, lists, 3, free, ub=best.objective, iters=300)
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
    got = swap_dense(problem, start, free, allowed=allowed)
    assert got.sum() == 2 and not got[4:].any()
    # among {0..3}, pairs: the swap ends at a local optimum no worse than the start
    assert problem.total_distance(got) <= problem.total_distance(start) + 1e-9


def test_list_swaps_reach_a_swap_local_optimum() -> None:
    cost, w = _random(13, 80, 14)
    fixed = np.zeros(14, bool)
    fixed[5] = True
    problem = SitingProblem.from_cost_matrix(cost, w, fixed=fixed)
    free = ~fixed
    start = fixed.copy()
    start[[0, 1, 2]] = True
    lists = CandidateLists.build(
        problem.geometry, np.arange(80), 14
    )  # complete lists: exact deltas
    got = swap_lists(problem, start, free, lists)
    assert got[5] and got.sum() == 4  # the fixed site stays, the count is kept
    value = problem.total_distance(got)
    assert value <= problem.total_distance(start)
    # no single swap of a new site for a closed one improves it
    for r in np.flatnonzero(got & free):
        for j in np.flatnonzero(~got):
            trial = got.copy()
            trial[r], trial[j] = False, True
            assert problem.total_distance(trial) >= value - 1e-9 * value
    # with short lists the deltas are estimates, but every kept swap truly improves
    short = swap_lists(
        problem, start, free, CandidateLists.build(problem.geometry, np.arange(80), 3)
    )
    assert problem.total_distance(short) <= problem.total_distance(start)


def test_shake_keeps_fixed_count_and_alive_sites() -> None:
    cost, w = _random(14, 50, 12)
    fixed = np.zeros(12, bool)
    fixed[0] = True
    problem = SitingProblem.from_cost_matrix(cost, w, fixed=fixed)
    lists = CandidateLists.build(problem.geometry, np.arange(50), 4)
    start = fixed.copy()
    start[[1, 2, 3]] = True
    keep = np.array([False, False, True] + [False] * 9)  # site 2 may not be closed
    movable = ~fixed & ~keep
    alive = ~fixed
    alive[[10, 11]] = False  # sites 10, 11 may not be opened
    rng = np.random.default_rng(0)
    for s in (1, 2, 3):
        state = Interchange(problem.geometry, w, lists, start, movable, alive)
        assert shake(state, lists, s, rng)
        got = state.open_
        assert got.sum() == 4 and got[0] and got[2]  # count kept; fixed and kept stay
        assert int((start & ~got).sum()) <= s  # at most s sites exchanged
        assert not got[[10, 11]].any()
        assert state.value == pytest.approx(problem.total_distance(got))
    # nothing closed may be opened: no shake
    state = Interchange(problem.geometry, w, lists, start, movable, start.copy())
    assert not shake(state, lists, 1, rng)


# ---------------------------------------------------------------- fast interchange


def test_interchange_gains_losses_by_hand() -> None:
    # demand at 0, 10, 20, 30 m (weights 1, 2, 1, 1); sites at the same places;
    # open sites 0 and 3. Nearest / second: d0 0/30, d1 10/20 (both site 0),
    # d2 10/20, d3 0/30 (both site 3).
    x = np.array([0.0, 10.0, 20.0, 30.0])
    cost = np.abs(x[:, None] - x[None, :])
    w = np.array([1.0, 2.0, 1.0, 1.0])
    problem = SitingProblem.from_cost_matrix(cost, w)
    lists = CandidateLists.build(problem.geometry, np.arange(4), 4)
    start = np.array([True, False, False, True])
    every = np.ones(4, bool)
    state = Interchange(problem.geometry, w, lists, start, every, every)
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
            assert profit == 30.0 - problem.total_distance(trial)
    r, j, profit = state.best()
    assert (r, j, profit) == (0, 1, 10.0)  # open {1, 3}: 10 + 0 + 10 + 0 = 20
    state.apply(r, j)
    assert state.value == 20.0
    # the running sums after a swap equal those counted afresh
    fresh = Interchange(problem.geometry, w, lists, state.open_, every, every)
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
    lists = CandidateLists.build(problem.geometry, np.arange(30), k)
    state = Interchange(problem.geometry, w, lists, start, free, free)
    value = problem.total_distance(start)
    assert state.value == pytest.approx(value)
    for r in np.flatnonzero(start & free):
        for j in np.flatnonzero(~start):
            trial = start.copy()
            trial[r], trial[j] = False, True
            slot = int(np.flatnonzero(state.open_idx == r)[0])
            predicted = state.gain[j] - state.loss[slot] + state.extra[slot, j]
            true = value - problem.total_distance(trial)
            if k >= 9:  # complete lists: exact
                assert predicted == pytest.approx(true, abs=1e-6)
            else:  # short lists: never more than the truth
                assert predicted <= true + 1e-6
    state.descend()
    got = state.open_
    assert got.sum() == start.sum() and (got[fixed]).all()
    assert state.value == pytest.approx(problem.total_distance(got))
    if k >= 9:  # a local optimum of the whole swap neighbourhood
        v = problem.total_distance(got)
        for r in np.flatnonzero(got & free):
            for j in np.flatnonzero(~got):
                trial = got.copy()
                trial[r], trial[j] = False, True
                assert problem.total_distance(trial) >= v - 1e-9 * max(v, 1.0)


# ---------------------------------------------------------------- reduced-cost fixing


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    k=st.integers(1, 8),
    slack=st.sampled_from([0.0, 0.001, 0.05]),
    iters=st.sampled_from([20, 300]),
)
def test_fixing_never_removes_an_optimum(seed: int, k: int, slack: float, iters: int) -> None:
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
    lists = CandidateLists.build(problem.geometry, np.arange(25), k)
    ub = want * (1 + slack)  # fixing against an answer at or above the optimum
    lb, out, inn, *_ = lagrangian_bound(problem, lists, p, np.ones(8, bool), ub, iters=iters)
    assert lb <= want + 1e-6 * max(want, 1.0)
    for pick in optima:
        assert not out[list(pick)].any()  # no optimal answer loses a site
        assert set(np.flatnonzero(inn)) <= set(pick)  # and none lacks a forced one


def test_shake_search_never_worsens_and_bound_stays_valid() -> None:
    cost, w = _random(15, 60, 12)
    problem = SitingProblem.from_cost_matrix(cost, w)
    want = _brute_p_median(cost, w, 4, np.zeros(12, bool))
    lists = CandidateLists.build(problem.geometry, np.arange(60), 5)
    free = np.ones(12, bool)
    start = np.zeros(12, bool)
    start[[0, 1, 2, 3]] = True
    ub = problem.total_distance(start)
    no = np.zeros(12, bool)
    best, ub2, lb, out, _ = shake_search(
        problem, start, ub, -np.inf, None, lists, 4, free, no, no, 1e-9, deadline=np.inf
    )
    assert best.sum() == 4
    assert ub2 == problem.total_distance(best) and want - 1e-9 <= ub2 <= ub
    assert lb <= want + 1e-6 * want
    assert not (out & best).any()  # fixing never removes the answer's own sites
    # the same inputs give the same answer
    again = shake_search(
        problem, start, ub, -np.inf, None, lists, 4, free, no, no, 1e-9, deadline=np.inf
    )
    assert (again[0] == best).all() and again[1] == ub2
