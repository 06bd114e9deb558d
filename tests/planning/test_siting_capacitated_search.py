"""Capacitated siting's LP bound, starts and reduced-cost fixing: speed only, same optimum.

Checked: the reduced-cost rule against a hand-computed case; a phase whose start meets its
LP bound needs no MIP (and keeps brute force's answer); the site a hand-computed reduced
cost rules out is closed and the optimum does not change; a start HiGHS values wrongly is
detected; and on random small instances the answer equals brute force (hypothesis).
"""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from test_siting_capacitated import _assign

import xuewei.planning.siting.capacitated as capacitated
from xuewei.planning.siting import SitingProblem
from xuewei.planning.siting.capacitated_search import (
    Start,
    bound_and_start,
    closed_by_reduced_cost,
)
from xuewei.planning.siting.result import Solved


def _brute(cost: np.ndarray, w: np.ndarray, cap: np.ndarray, p: int, radius: float):
    m = cost.shape[1]
    return min(_assign(cost, w, cap, list(s), radius) for s in itertools.combinations(range(m), p))


def test_reduced_cost_rule_by_hand() -> None:
    # LP bound 10, best answer 12: opening a site costs at least 10 + r; r = 3 and 5 prove
    # the site out of every better answer (13 > 12, 15 > 12); r = 0 and 1 do not
    start = Start(10.0, 12.0, np.zeros(8), np.array([0.0, 1.0, 3.0, 5.0]), np.zeros(4, bool))
    lo, hi = np.zeros(8), np.ones(8)
    keep = np.zeros(4, bool)
    assert closed_by_reduced_cost(start, (lo, hi), keep).tolist() == [False, False, True, True]
    # the start's own sites and sites that must be open are never closed
    keep[3] = True
    lo[2] = 1.0
    assert closed_by_reduced_cost(start, (lo, hi), keep).tolist() == [False] * 4
    # exactly at the answer (10 + 2 = 12) is not proof: a tie may open it
    tie = Start(10.0, 12.0, np.zeros(8), np.array([2.0, 0.0, 0.0, 0.0]), np.zeros(4, bool))
    assert not closed_by_reduced_cost(tie, (np.zeros(8), np.ones(8)), np.zeros(4, bool))[0]


def test_far_site_is_closed_by_reduced_cost_and_optimum_unchanged() -> None:
    # two villages of 60 pupils at 0 and 10 m, a site at each (100 places) and a third site
    # 400 m away; open one: serving 100 pupils costs 40 × 10 = 400 pupil-metres from a
    # village site, and at least 100 × 390 from the far one
    cost = np.array([[0.0, 10.0, 400.0], [10.0, 0.0, 390.0]])
    w = np.array([60.0, 60.0])
    cap = np.array([100.0, 100.0, 100.0])
    problem = SitingProblem.from_cost_matrix(cost, w, capacity=cap)
    pairs = capacitated.allowed_pairs(problem, 1000.0, None)
    free = ~problem.fixed
    a, lo, hi, clo, chi, _ = capacitated._model(problem, pairs, 1, free, None)
    n, m = problem.shape
    # phase 2: serve 100 (at most 20 unassigned), least pupil-metres
    unassigned = np.zeros(a.shape[1])
    unassigned[m + pairs.nnz :] = w
    a2 = sp.vstack([a, sp.csr_array(unassigned[None, :])], format="csc")
    rows = (np.r_[lo, -np.inf], np.r_[hi, 20.0])
    cost2 = np.zeros(a.shape[1])
    row_of = np.repeat(np.arange(n), np.diff(pairs.indptr))
    cost2[m : m + pairs.nnz] = w[row_of] * (pairs.data - 1.0)
    start = bound_and_start(cost2, a2, rows, (clo, chi), m, [], deadline=1e18)
    assert start.bound == pytest.approx(400.0)
    assert start.objective == pytest.approx(400.0)
    closed = closed_by_reduced_cost(start, (clo, chi), start.x[:m] > 0.5)
    assert closed[2]
    r = problem.capacitated(1, radius_m=1000.0)
    assert r.objective == pytest.approx(400.0)
    assert r.unassigned == pytest.approx(20.0)
    assert r.open_sites in ([0], [1])


def test_start_meeting_the_bound_needs_no_mip(monkeypatch: pytest.MonkeyPatch) -> None:
    # each village beside its own site, sites hold all: the LP is whole, bound = answer
    cost = np.array([[0.0, 900.0], [900.0, 0.0], [5.0, 900.0]])
    w = np.array([30.0, 40.0, 20.0])
    cap = np.array([100.0, 100.0])

    def no_mip(*args: object, **kwargs: object) -> None:
        raise AssertionError("the MIP ran although the start met the bound")

    monkeypatch.setattr(capacitated, "solve_highs", no_mip)
    r = SitingProblem.from_cost_matrix(cost, w, capacity=cap).capacitated(2, radius_m=500.0)
    assert r.status == "optimal"
    assert r.open_sites == [0, 1]
    assert r.unassigned == pytest.approx(0.0)
    assert r.objective == pytest.approx(20.0 * 5.0)


def _check_against_brute_force(seed: int) -> None:
    """16 demand points, 8 sites, p = 3, 400 m: the answer is brute force's, proven."""
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 1000, (16, 2)), rng.uniform(0, 1000, (8, 2))
    cost = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(10, 200, 16).astype(np.float64)
    cap = rng.choice([150.0, 250.0, 400.0], 8)
    best = _brute(cost, w, cap, 3, 400.0)
    r = SitingProblem.from_cost_matrix(cost, w, capacity=cap).capacitated(3, radius_m=400.0)
    assert r.status == "optimal"
    assert r.unassigned == pytest.approx(best[0], abs=1e-5 * w.sum())
    assert r.objective == pytest.approx(best[1], rel=1e-5, abs=1e-6)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_phase_one_proven_by_the_support_mip(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Starts that miss their LP bound: phase 1 asks the MIP on the LP's sites first.

    Where that MIP meets the LP bound (to 10⁻⁹), phase 1 is proven without the full MIP:
    one MIP for phase 1, two for phase 2 (its support and the full one), brute force's
    answer either way.
    """
    real = capacitated.bound_and_start

    def poor(*args: object, **kwargs: object) -> object:
        start = real(*args, **kwargs)  # type: ignore[arg-type]
        return dataclasses.replace(start, objective=start.objective + 1.0 + abs(start.objective))

    mips: list[bool] = []  # for each MIP: whether some site was left out of it
    real_mip = capacitated._mip

    def counted(model: object, col_hi: np.ndarray, *args: object) -> object:
        mips.append(bool((col_hi[:3] == 0).any()))
        return real_mip(model, col_hi, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(capacitated, "bound_and_start", poor)
    monkeypatch.setattr(capacitated, "_mip", counted)
    monkeypatch.setattr(capacitated, "SUPPORT_FIRST_MIN_SITES", 0)  # small models too
    # each village beside its own site, sites hold all: phase 1's LP is whole and opens
    # sites 0 and 1; site 2 is out of everyone's reach, so not in the LP's support
    cost = np.array([[0.0, 900.0, 900.0], [900.0, 0.0, 900.0], [5.0, 900.0, 900.0]])
    w = np.array([30.0, 40.0, 20.0])
    cap = np.full(3, 100.0)
    r = SitingProblem.from_cost_matrix(cost, w, capacity=cap).capacitated(2, radius_m=500.0)
    assert (r.status, r.open_sites, r.unassigned) == ("optimal", [0, 1], pytest.approx(0.0))
    # phase 1: the support's MIP alone; phase 2: its support's MIP, then the full one
    assert mips == [True, True, False]
    mips.clear()
    # below the floor of sites phase 1 goes straight to the full MIP
    monkeypatch.setattr(capacitated, "SUPPORT_FIRST_MIN_SITES", 4)
    SitingProblem.from_cost_matrix(cost, w, capacity=cap).capacitated(2, radius_m=500.0)
    assert mips == [False, True, False]
    mips.clear()
    monkeypatch.setattr(capacitated, "SUPPORT_FIRST_MIN_SITES", 0)
    # and on instances where phase 1 may need the full MIP, still brute force's answer
    _check_against_brute_force(seed)


def test_misvalued_start_is_detected() -> None:
    cost = np.array([1.0, 2.0])
    x = np.array([3.0, 4.0])  # cost·x = 11
    good = Solved(x, 11.0, 11.0, 0.0, "optimal")
    bad = Solved(x, 11.0 - 114.78, 11.0 - 114.78, 0.0, "optimal")
    assert not capacitated._misvalued(cost, good)
    assert capacitated._misvalued(cost, bad)


@pytest.mark.parametrize("seed", [4, 5, 6])
def test_larger_p_equals_brute_force(seed: int) -> None:
    _check_against_brute_force(seed)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(2, 9),
    m=st.integers(2, 5),
    p=st.integers(1, 2),
    radius=st.sampled_from([300.0, 600.0, 2000.0]),
)
def test_capacitated_equals_brute_force_property(
    seed: int, n: int, m: int, p: int, radius: float
) -> None:
    rng = np.random.default_rng(seed)
    demand, sites = rng.uniform(0, 1000, (n, 2)), rng.uniform(0, 1000, (m, 2))
    cost = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(1, 120, n).astype(np.float64)
    cap = rng.choice([50.0, 100.0, 300.0], m)
    p = min(p, m)
    best = _brute(cost, w, cap, p, radius)
    r = SitingProblem.from_cost_matrix(cost, w, capacity=cap).capacitated(p, radius_m=radius)
    assert r.status == "optimal"
    assert r.unassigned == pytest.approx(best[0], abs=1e-5 * w.sum())
    assert r.objective == pytest.approx(best[1], rel=1e-5, abs=1e-4)
