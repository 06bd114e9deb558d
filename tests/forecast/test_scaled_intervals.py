"""Issue 16: trend ensembles' intervals from errors scaled by the members' envelope."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_helpers import synth_growth_panel
from hypothesis import given, settings
from hypothesis import strategies as st

from xuewei.forecast import backtest
from xuewei.forecast._member_backtest import _ensemble_errors
from xuewei.forecast.calibration import (
    MIN_LOG_HALF_WIDTH,
    conformal_quantile,
    envelope_scale,
    scaled_bounds,
)


def test_conformal_quantile_hand_computed():
    # five scores, 80 %: rank ceil(6 x 0.8) = 5, the largest size
    assert conformal_quantile(np.array([0.05, -0.01, 0.02, 0.04, -0.03]), 0.8) == 0.05
    # ten scores 1..10: rank ceil(11 x 0.8) = 9
    assert conformal_quantile(np.arange(1.0, 11.0) * np.array([1, -1] * 5), 0.8) == 9.0
    # three scores, 90 %: rank ceil(3.6) = 4 > 3, the largest
    assert conformal_quantile(np.array([0.3, -0.1, 0.2]), 0.9) == 0.3


def test_envelope_scale_hand_computed():
    # an envelope 80-125 is log(1.25) either side of its geometric middle, 100
    s = envelope_scale(np.array([80.0, 0.0, 90.0, np.nan]), np.array([125.0, 10.0, 90.0, 5.0]))
    assert s[0] == pytest.approx(np.log(1.25))
    # a lower bound at 0, an empty envelope, a missing bound: no scale
    assert np.isnan(s[1:]).all()


def test_scaled_bounds_hand_computed():
    # scores of size 0.2, 0.4, ..., 2.0: rank 9, q = 1.8; scales 0.05 and 0.1 give
    # half-widths of 9 % and 18 % on the log scale; a tiny scale the narrowest half-width
    scores = np.arange(1, 11) * 0.2 * np.array([1, -1] * 5)
    lo, hi = scaled_bounds(np.array([200.0, 50.0, 10.0]), np.array([0.05, 0.1, 1e-9]), scores, 0.8)
    assert lo == pytest.approx([200 * np.exp(-0.09), 50 * np.exp(-0.18), 10 * np.exp(-1e-3)])
    assert hi == pytest.approx([200 * np.exp(0.09), 50 * np.exp(0.18), 10 * np.exp(1e-3)])


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(st.tuples(st.floats(1.0, 1e7), st.floats(0.0, 2.0)), min_size=1, max_size=5),
    scores=st.lists(st.floats(-5.0, 5.0), min_size=1, max_size=30),
    interval=st.floats(0.5, 0.95),
)
def test_scaled_interval_strictly_contains_the_forecast(rows, scores, interval):
    v = np.array([r[0] for r in rows])
    lo, hi = scaled_bounds(v, np.array([r[1] for r in rows]), np.array(scores), interval)
    assert (lo < v).all() and (v < hi).all()
    assert (hi / v).min() >= np.exp(MIN_LOG_HALF_WIDTH) * (1 - 1e-12)


def test_ensemble_errors_divided_by_the_members_envelope():
    # one area, 1-year forecasts from 2000-2002; the ensemble of 2000 was weighted on no
    # past error (the first is known in 2001) and calibrates nothing
    rows = []
    bounds = {2000: (90.0, 110.0), 2001: (80.0, 125.0), 2002: (95.0, 105.0)}
    for o, (lo, hi) in bounds.items():
        for m, widen in (("damped", 1.0), ("ets", 1.01), ("drift", 0.99)):
            rows.append(
                {
                    "method": m,
                    "quantity": "population",
                    "district_id": "a",
                    "origin": o,
                    "horizon": 1,
                    "value": 100.0,
                    "lower": lo if m != "ets" else lo * widen,
                    "upper": hi if m != "drift" else hi * widen,
                    "actual": 102.0,
                }
            )
        rows.append(
            {
                "method": "ensemble",
                "quantity": "population",
                "district_id": "a",
                "origin": o,
                "horizon": 1,
                "value": 100.0,
                "lower": 99.0,
                "upper": 101.0,
                "actual": 102.0,
            }
        )
    errors = pd.DataFrame(rows)
    members = errors[errors["method"] != "ensemble"]
    log_errors, origins = _ensemble_errors(errors, members, scaled=True)
    # envelopes (lowest lower, highest upper): damped's, 80-125 in 2001 and 95-105 in 2002
    # (ets's lower is 1 % higher, drift's upper 1 % lower)
    want = np.log(1.02) / np.array([np.log(1.25), 0.5 * np.log(105.0 / 95.0)])
    assert log_errors[1] == pytest.approx(want)
    assert origins[1].tolist() == [2001, 2002]
    plain, _ = _ensemble_errors(errors, members)
    assert plain[1] == pytest.approx([np.log(1.02)] * 2)


@pytest.fixture(scope="module")
def panel_backtest():
    pop = synth_growth_panel(5, n_districts=3, years=range(2002, 2025)).drop(columns="shape")
    return backtest(pop, methods=["damped", "ets", "drift", "ensemble"], horizons=[1, 3])


def test_backtest_ensemble_strictly_inside(panel_backtest):
    ens = panel_backtest[panel_backtest["method"] == "ensemble"]
    assert len(ens) > 0
    assert ((ens["lower"] < ens["value"]) & (ens["value"] < ens["upper"])).all()


def test_backtest_intervals_are_one_quantile_times_each_areas_envelope(panel_backtest):
    # where calibrated, every area's log half-width at an origin and horizon is the same
    # multiple of its members' envelope scale; uncalibrated, the interval is the envelope
    e = panel_backtest
    key = ["district_id", "origin", "horizon"]
    members = e[e["method"].isin(["damped", "ets", "drift"])]
    env = members.groupby(key).agg(lower=("lower", "min"), upper=("upper", "max"))
    ens = e[e["method"] == "ensemble"].set_index(key)
    env = env.reindex(ens.index)
    scale = envelope_scale(env["lower"].to_numpy(), env["upper"].to_numpy())
    half_lo = np.log(ens["value"] / ens["lower"]).to_numpy()
    half_hi = np.log(ens["upper"] / ens["value"]).to_numpy()
    is_envelope = np.isclose(ens["lower"], env["lower"]) & np.isclose(ens["upper"], env["upper"])
    calibrated = ~np.asarray(is_envelope)
    assert calibrated.sum() > 0.8 * len(ens)
    np.testing.assert_allclose(half_lo[calibrated], half_hi[calibrated], rtol=1e-9)
    q = pd.Series(half_lo[calibrated] / scale[calibrated])
    at = ens.index[calibrated].droplevel("district_id")
    spread = q.groupby(pd.MultiIndex.from_tuples(at)).agg(np.ptp)
    assert (spread < 1e-9).all()


def test_errors_scaled_only_where_several_areas_share_the_backtest():
    # one series' errors need no common unit (and a break in it, against a narrow envelope,
    # would make huge scores): plain log errors; two areas: scaled
    from xuewei.forecast.ensemble import shared_backtest

    pop = synth_growth_panel(5, n_districts=2, years=range(2008, 2025)).drop(columns="shape")
    ids = sorted(set(pop["district_id"]))
    one = shared_backtest(pop, ids[:1], horizon=2026)
    two = shared_backtest(pop, ids, horizon=2026)
    assert not one.scaled and two.scaled
    # the single area's calibration errors are its own plain log errors
    e = backtest(pop, methods=["damped", "ets", "drift", "ensemble"], district_ids=ids[:1])
    ens = e[(e["method"] == "ensemble") & (e["horizon"] == 1)].sort_values("origin")
    plain = np.log(ens["actual"] / ens["value"]).to_numpy()
    assert one.log_errors[1] == pytest.approx(plain[-len(one.log_errors[1]) :])
