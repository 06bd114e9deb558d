"""Issue 16: shrunk ensemble weights, coherent intervals, the chance of a shortfall."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_helpers import GROWTH_SHAPES, synth_growth_panel
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from xuewei.forecast import forecast_batch, forecast_ensemble
from xuewei.forecast.calibration import (
    MIN_LOG_HALF_WIDTH,
    PRIOR_POINTS,
    benchmark_index,
    births_floor,
    empirical_bounds,
    gated_weights,
    shrunk_weights,
)
from xuewei.forecast.ensemble import applied_weights
from xuewei.pipeline.shortfall import add_shortfall, chance_above, quantile_of


def test_shrunk_weights_hand_computed():
    # stacking says (1, 0): the first member is exact at all 6 points; psi = 6 / (6 + 10)
    e = np.array([[0.0, 2.0]] * 6)
    w = shrunk_weights(e)
    assert w == pytest.approx([6 / 16 * 1 + 10 / 16 * 0.5, 10 / 16 * 0.5])
    # no prior: the stacked weights themselves
    assert shrunk_weights(e, prior_points=0) == pytest.approx([1.0, 0.0])
    # no member has any error: nothing to weight (the ensemble then uses equal weights)
    assert shrunk_weights(np.empty((0, 3))) == pytest.approx([0.0, 0.0, 0.0])


def test_shrunk_weights_inverse_mse_with_few_points():
    # two points: too few to stack 2 members (3 each); inverse MSE 1/1 : 1/4 = 0.8 : 0.2,
    # psi = 2 / 12
    e = np.array([[1.0, 2.0], [-1.0, -2.0]])
    psi = 2 / (2 + PRIOR_POINTS)
    assert shrunk_weights(e) == pytest.approx(
        [psi * 0.8 + (1 - psi) / 2, psi * 0.2 + (1 - psi) / 2]
    )


def test_member_without_errors_gets_no_weight():
    e = np.array([[1.0, np.nan, 2.0]] * 5)
    w = shrunk_weights(e)
    assert w[1] == 0.0 and w.sum() == pytest.approx(1.0) and (w[[0, 2]] > 0).all()


def test_empirical_bounds_hand_computed():
    # sizes 1..10 %: rank ceil(11 * 0.8) = 9 -> the 9th smallest, 9 %
    errs = np.log1p(np.arange(1, 11) / 100.0) * np.array([1, -1] * 5)
    lo, hi = empirical_bounds(np.array([200.0]), errs, 0.8)
    q = np.log1p(0.09)
    assert lo[0] == pytest.approx(200.0 * np.exp(-q)) and hi[0] == pytest.approx(200.0 * 1.09)


def test_empirical_bounds_one_sided_errors_keep_the_forecast_inside():
    # every past forecast too high: the old central-quantile rule put the value on its upper
    # bound; the symmetric rule keeps it strictly inside
    errs = -np.linspace(0.01, 0.05, 12)
    lo, hi = empirical_bounds(np.array([100.0]), errs, 0.8)
    assert lo[0] < 100.0 < hi[0]


@settings(max_examples=200, deadline=None)
@given(
    values=st.lists(st.floats(1.0, 1e7), min_size=1, max_size=5),
    errors=st.lists(st.floats(-1.0, 1.0), min_size=1, max_size=30),
    interval=st.floats(0.5, 0.95),
    births=st.floats(0.0, 0.5),
)
def test_interval_strictly_contains_the_forecast(values, errors, interval, births):
    v = np.array(values)
    lo, hi = empirical_bounds(v, np.array(errors), interval)
    assert (lo < v).all() and (v < hi).all()
    lo, hi = births_floor(v, lo, hi, np.full(len(v), births), 1.28)
    assert (lo < v).all() and (v < hi).all()
    assert (hi / v).min() >= np.exp(MIN_LOG_HALF_WIDTH) * (1 - 1e-12)


@pytest.fixture(scope="module")
def panel_ensemble():
    pop = synth_growth_panel(5, n_districts=3).drop(columns="shape")
    hist = pop[pop["year"] <= 2019]
    return forecast_ensemble(hist, sorted(set(hist["district_id"])), horizon=2031)


def test_panel_has_every_shape():
    assert set(synth_growth_panel(5)["shape"]) == set(GROWTH_SHAPES)


def test_ensemble_rows_strictly_inside(panel_ensemble):
    fut = panel_ensemble[panel_ensemble["kind"] == "forecast"]
    assert len(fut) == 3 * 12
    assert ((fut["lower"] < fut["value"]) & (fut["value"] < fut["upper"])).all()


def test_ensemble_reports_weights_for_every_horizon(panel_ensemble):
    w = pd.DataFrame(panel_ensemble.attrs["weights"])
    assert sorted(set(w["horizon"])) == list(range(1, 13))
    assert set(w["method"]) == {"damped", "ets", "drift"}
    assert np.allclose(w.groupby("horizon")["weight"].sum(), 1.0)
    # beyond the longest backtest horizon (10) the weights of 10 are used, never a fallback
    assert set(w.loc[w["horizon"] > 10, "backtest_horizon"]) == {10}
    # the damped trend alone, unless the backtest's test let a combination in
    damped = w[w["method"] == "damped"]
    assert ((damped["weight"] == 1.0) | (damped["p_value"] < 0.05)).all()


def test_batch_carries_each_areas_weights():
    pop = synth_growth_panel(5, n_districts=2).drop(columns="shape")
    r = forecast_batch(pop[pop["year"] <= 2019], horizon=2022, method="ensemble")
    w = pd.DataFrame(r.forecasts.attrs["weights"])
    assert sorted(set(w["area"])) == sorted(set(pop["district_id"]))
    assert len(w) == 2 * 3 * 3  # areas x horizons x members


def test_applied_weights_nearest_horizon_ties_to_shorter():
    w = pd.DataFrame({"method": ["x", "y"] * 2, "horizon": [1, 1, 3, 3], "weight": [1, 3, 1, 1]})
    a = applied_weights(w, [2])
    assert a["backtest_horizon"].tolist() == [1, 1]
    assert a["weight"].tolist() == [0.25, 0.75]


def test_chance_of_shortfall_hand_computed():
    # required 1,000 (80 % interval 900-1,200), offered 1,100: above the median, so the
    # upper half's log-sd log(1.2) / z applies
    z = 1.2815515655446004
    p = chance_above(
        np.array([1000.0]), np.array([900.0]), np.array([1200.0]), np.array([1100.0]), interval=0.8
    )
    from scipy import stats

    assert p[0] == pytest.approx(stats.norm.sf(np.log(1.1) / (np.log(1.2) / z)))
    # an observed year (no spread): certain either way
    one = np.array([1000.0])
    assert chance_above(one, one, one, np.array([999.0]), interval=0.8)[0] == 1.0
    assert chance_above(one, one, one, np.array([1001.0]), interval=0.8)[0] == 0.0


def test_low_central_high_are_the_percentiles():
    v, lo, hi = np.array([1000.0]), np.array([900.0]), np.array([1200.0])
    assert quantile_of(v, lo, hi, 0.1, interval=0.8)[0] == pytest.approx(900.0)
    assert quantile_of(v, lo, hi, 0.5, interval=0.8)[0] == pytest.approx(1000.0)
    # with a 90 % interval the bounds are the 5th and 95th percentiles: the 10th is inside
    assert 900.0 < quantile_of(v, lo, hi, 0.1, interval=0.9)[0] < 1000.0


def test_add_shortfall_columns_and_cohort_route():
    g = pd.DataFrame(
        {
            "district_id": ["a", "a"],
            "year": [2030, 2030],
            "level": ["primary", "junior"],
            "scenario": [85.0, 85.0],
            "required": [1000.0, 500.0],
            "required_lower": [900.0, 450.0],
            "required_upper": [1200.0, 600.0],
            "offered": [1000.0, 700.0],
        }
    )
    c = pd.DataFrame(
        {
            "district_id": ["a"],
            "year": [2030],
            "level": ["primary"],
            "scenario": [85.0],
            "cohort_demand": [900.0],
            "cohort_lower": [800.0],
            "cohort_upper": [1000.0],
        }
    )
    out = add_shortfall(g, interval=0.8, cohort=c)
    assert out["chance_of_shortfall"].round(6).tolist()[0] == 0.5
    assert out["gap_central"].tolist() == pytest.approx([0.0, -200.0])
    assert out["gap_low"].tolist() == pytest.approx([-100.0, -250.0])
    assert out["gap_high"].tolist() == pytest.approx([200.0, -100.0])
    # cohort: offered 1,000 is its upper bound -> 10 %; no cohort for junior
    assert out["chance_of_shortfall_cohort"].iloc[0] == pytest.approx(0.1)
    assert np.isnan(out["chance_of_shortfall_cohort"].iloc[1])
    assert len(out) == len(g) and list(g.columns) == list(out.columns[: len(g.columns)])


def test_gated_weights_hand_computed():
    # the damped trend 1, 1, 1, 3, 3, 3 % off, the other member exact: stacking says (0, 1);
    # n = 6 complete points, psi = 6 / 16, so the candidate is (0.625, 0.375), its error
    # 0.625 x the damped trend's, and d = e^2 (1 - 0.625^2) = 0.609375 e^2: mean 3.046875,
    # centred +-2.4375
    e = np.c_[[1.0, 1.0, 1.0, 3.0, 3.0, 3.0], np.zeros(6)]
    alone = gated_weights(e, 0, held_out=False)
    assert alone.weights.tolist() == [0.625, 0.375]
    # points taken as independent: var(mean d) = 6 x 2.4375^2 / 36
    t_plain = 3.046875 / np.sqrt(6 * 2.4375**2 / 36)
    assert alone.p_value == pytest.approx(stats.t.sf(t_plain, 5), rel=1e-12)
    # one series, origins 2000-2005, 3-year errors: pairs less than 3 origins apart add
    # their products: 6 + 2 x (4 - 1) + 2 x (2 - 2) = 12 products of 2.4375^2
    overlapping = gated_weights(
        e, 0, series=np.zeros(6), origins=np.arange(2000, 2006), horizon=3, held_out=False
    )
    t_hac = 3.046875 / np.sqrt(12 * 2.4375**2 / 36)
    assert overlapping.p_value == pytest.approx(stats.t.sf(t_hac, 5), rel=1e-12)
    assert alone.p_value < overlapping.p_value < 0.05
    # at a 1 % level neither passes: the damped trend alone
    strict = gated_weights(e, 0, level=0.01, held_out=False)
    assert strict.weights.tolist() == [1.0, 0.0]
    # judged on held-out points (the default), each point's combination is fitted on the
    # other five, too few to stack two members (3 each): no gain shown, the damped trend
    assert gated_weights(e, 0) == (pytest.approx([1.0, 0.0]), 1.0)


def test_gated_weights_judge_the_combination_on_points_it_was_not_fitted_to():
    # two areas of six points, the other member exact in both; the damped trend 2 % off in
    # area A and 4 % off in B. Fitted on the other area alone (6 points) stacking says
    # (0, 1), shrunk by 6 / 16 towards the damped trend: (0.625, 0.375), so A's held-out
    # error is 1.25 (gain 4 - 1.5625 = 2.4375) and B's 2.5 (gain 16 - 6.25 = 9.75); the
    # weights used are fitted on all 12 points: (0, 1) shrunk by 12 / 22
    e = np.c_[[2.0] * 6 + [4.0] * 6, np.zeros(12)]
    series = np.array(["A"] * 6 + ["B"] * 6)
    g = gated_weights(e, 0, series=series)
    assert g.weights.tolist() == pytest.approx([10 / 22, 12 / 22])
    # mean gain 6.09375, centred +-3.65625, points independent (no origins given)
    t = 6.09375 / np.sqrt(12 * 3.65625**2 / 144)
    assert g.p_value == pytest.approx(stats.t.sf(t, 11), rel=1e-12)
    # in sample the gains would be 4 - (20/22)^2 and 16 - (40/22)^2
    d = np.r_[[4 - (20 / 22) ** 2] * 6, [16 - (40 / 22) ** 2] * 6]
    t_in = d.mean() / np.sqrt(((d - d.mean()) ** 2).sum() / 144)
    in_sample = gated_weights(e, 0, series=series, held_out=False)
    assert in_sample.p_value == pytest.approx(stats.t.sf(t_in, 11), rel=1e-12)


def test_one_series_leaves_the_overlapping_points_out_of_each_fit():
    # one area, 8 origins 2000-2007, 3-year errors: each point's fit leaves out the points
    # less than 3 years from it (2003: 2001-2005, leaving 3 points; 2000: 2000-2002,
    # leaving 5), always fewer than the 6 needed to stack two members: no gain shown.
    # With 1-year errors only the point itself is left out (7 points remain)
    e = np.c_[np.full(8, 2.0), np.zeros(8)]
    one = np.zeros(8)
    years = np.arange(2000, 2008)
    far = gated_weights(e, 0, series=one, origins=years, horizon=3)
    assert far == (pytest.approx([1.0, 0.0]), 1.0)
    # 7 points fitted: (0, 1) shrunk by 7 / 17, held-out error 2 x 10 / 17 at every point;
    # the weights used: (0, 1) shrunk by 8 / 18
    near = gated_weights(e, 0, series=one, origins=years, horizon=1)
    assert near.p_value == 0.0
    assert near.weights.tolist() == pytest.approx([10 / 18, 8 / 18])


def test_gated_weights_keep_the_damped_trend_without_evidence():
    # five points are too few to stack three members (3 each): no test, the damped trend
    e = np.array([[1.0, 0.0, 2.0]] * 5)
    assert gated_weights(e, 0) == (pytest.approx([1.0, 0.0, 0.0]), 1.0)
    # the same gain at every point is evidence enough (no spread to doubt it)
    # (seven points: each held out, the other six can be stacked)
    g = gated_weights(np.array([[2.0, 0.0]] * 7), 0)
    assert g.p_value == 0.0 and g.weights[1] > 0


def test_gated_weights_test_the_even_mix_first_at_one_year():
    # members damped, drift, ets; damped +1 / +2 % off in turns, ETS -1 / -2 %, drift
    # +5 / -5 %: the even mix of the damped trend and ETS cancels every error, and it is
    # the only combination that does (a + 5b - c = 0 and 2a - 5b - 2c = 0: b = 0, a = c)
    e = np.array([[1.0, 5.0, -1.0], [2.0, -5.0, -2.0]] * 6)
    # 1 year: d = damped^2 - mix^2 = 1, 4, 1, 4, ...: mean 2.5, centred +-1.5, so
    # var(mean d) = 12 x 1.5^2 / 144 and t = 2.5 / sqrt(0.1875) = 10 / sqrt(3). The mix
    # takes the damped trend's place; stacking finds the mix again, which adds nothing
    g = gated_weights(e, 0, mix=2, horizon=1)
    assert g.weights == pytest.approx([0.5, 0.0, 0.5], abs=1e-6)
    assert g.p_value == pytest.approx(stats.t.sf(10 / np.sqrt(3), 11), rel=1e-12)
    # 2 years: no mix tested; stacking's mix shrunk by 12 / 22 towards the damped trend,
    # and each held-out point gains on the damped trend (1 - (20/42)^2 > 0, 4 - ...)
    two = gated_weights(e, 0, mix=2, horizon=2)
    assert two.weights == pytest.approx([16 / 22, 0.0, 6 / 22], abs=1e-6)
    assert two.p_value < 0.05
    # ETS making the damped trend's very errors: the mix gains nothing, so nothing changes
    same = e.copy()
    same[:, 2] = same[:, 0]
    with_mix, without = gated_weights(same, 0, mix=2), gated_weights(same, 0)
    assert with_mix.weights.tolist() == without.weights.tolist()
    assert with_mix.p_value == without.p_value
    # without the damped trend among the members, the equal prior of shrunk_weights
    assert benchmark_index(["ets", "drift"]) is None
    assert benchmark_index(["damped", "cohort"]) is None
    lost = np.c_[np.full(6, np.nan), [1.0, -1.0] * 3, [2.0, -2.0] * 3]
    assert gated_weights(lost, 0).weights.tolist() == shrunk_weights(lost).tolist()


@settings(max_examples=150, deadline=None)
@given(
    errors=st.lists(
        st.tuples(st.floats(-20, 20), st.floats(-20, 20), st.floats(-20, 20)),
        min_size=0,
        max_size=40,
    ),
    horizon=st.integers(1, 10),
)
def test_gated_weights_stay_near_the_damped_trend(errors, horizon):
    e = np.array(errors, dtype=np.float64).reshape(-1, 3)
    series = np.arange(len(e)) % 3
    g = gated_weights(e, 0, series=series, origins=2000 + np.arange(len(e)) // 3, horizon=horizon)
    w = g.weights
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
    assert 0.0 <= g.p_value <= 1.0
    if g.p_value >= 0.05:
        assert w.tolist() == [1.0, 0.0, 0.0]
    else:  # never further from the damped trend than n / (n + PRIOR_POINTS)
        assert w[0] >= 1.0 - len(e) / (len(e) + PRIOR_POINTS) - 1e-12


def test_uncalibrated_ensemble_takes_the_members_envelope():
    # one origin, nothing known before it: the ensemble is the damped trend (the prior) and,
    # with no past error to calibrate it, its interval spans every member's interval
    from xuewei.forecast._backtest_ensemble import ensemble_scores

    scored = pd.DataFrame(
        {
            "method": ["damped", "ets", "drift"],
            "quantity": "population",
            "district_id": "a",
            "origin": 2010,
            "horizon": 1,
            "year": 2011,
            "value": [100.0, 104.0, 98.0],
            "lower": [97.0, 99.0, 90.0],
            "upper": [103.0, 110.0, 101.0],
            "actual": 101.0,
        }
    )
    ens = ensemble_scores(scored, 0.8)
    assert ens[["value", "lower", "upper"]].values.tolist() == [[100.0, 90.0, 110.0]]


def test_noise_trend_rescaling_hand_computed():
    # mean squared errors 2, 5 at 1, 2 years: noise 1 + trend 1 x k^2; a 1-year error grows
    # to 3 years by sqrt((1 + 9) / (1 + 1)) = sqrt(5), a 2-year one by sqrt(10 / 5)
    from xuewei.forecast.calibration import noise_trend_spread, pooled_log_errors

    e = {1: np.full(3, np.sqrt(2.0)), 2: np.full(3, np.sqrt(5.0))}
    assert noise_trend_spread(e) == pytest.approx((1.0, 1.0))
    out = pooled_log_errors(e, 3, noise_trend=True)
    assert out == pytest.approx([np.sqrt(10.0)] * 6)
    # errors that do not grow stay as they are; a power of the horizon would grow them
    flat = {1: np.full(3, 0.2), 2: np.full(3, 0.2), 3: np.full(3, 0.2)}
    assert pooled_log_errors(flat, 11, noise_trend=True) == pytest.approx([0.2] * 9)
    assert (pooled_log_errors(flat, 11) > 0.2).all()
