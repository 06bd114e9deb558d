"""Per-area weights, intervals calibrated on every area's envelope-scaled errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_helpers import synth_growth_panel

from xuewei.forecast import backtest, forecast_batch
from xuewei.forecast.batch import pooled_calibration
from xuewei.forecast.calibration import (
    calibration_errors,
    conformal_quantile,
    envelope_scale,
    scaled_bounds,
)
from xuewei.forecast.ensemble import (
    ENSEMBLE_METHODS,
    SharedBacktest,
    forecast_ensemble,
    shared_backtest,
)
from xuewei.forecast.trend import forecast_trends

MEMBERS = ["damped", "ets", "drift", "ensemble"]


def _own(weight: float, errors: list[float], origins: list[int]) -> SharedBacktest:
    w = pd.DataFrame({"method": ["damped", "ets"], "horizon": 1, "weight": [weight, 1 - weight]})
    return SharedBacktest(
        w, {1: np.array(errors)}, {1: np.array(origins)}, True, (f"note {weight}",), True
    )


def test_pooled_calibration_hand_computed():
    # three areas' scaled one-year errors, 3 + 3 + 3 = 9 of them
    own = {
        "a": _own(1.0, [0.1, -0.3, 0.2], [2018, 2019, 2020]),
        "b": _own(0.5, [-0.15, 0.25, 0.4], [2018, 2019, 2020]),
        "c": _own(0.8, [-0.02, 0.12, 0.05], [2018, 2019, 2020]),
    }
    pooled = pooled_calibration(own)
    for d, b in pooled.items():  # each area keeps its weights and notes
        pd.testing.assert_frame_equal(b.weights, own[d].weights)
        assert b.notes == own[d].notes and b.scaled and b.backtested
        assert b.log_errors[1].tolist() == [0.1, -0.3, 0.2, -0.15, 0.25, 0.4, -0.02, 0.12, 0.05]
        assert b.origins[1].tolist() == [2018, 2019, 2020] * 3
    # sizes sorted: .02 .05 .1 .12 .15 .2 .25 .3 .4; n = 9, rank ceil(10 x 0.8) = 8: 0.3
    errs = calibration_errors(pooled["a"].log_errors, 1, origins=pooled["a"].origins)
    assert len(errs) == 9
    assert conformal_quantile(errs, 0.8) == pytest.approx(0.3)
    # area a: forecast 100, envelope scale 0.05 -> half-width 0.015; area b: 0.1 -> 0.03
    lo, hi = scaled_bounds(np.array([100.0, 40.0]), np.array([0.05, 0.1]), errs, 0.8)
    assert lo == pytest.approx([100 * np.exp(-0.015), 40 * np.exp(-0.03)])
    assert hi == pytest.approx([100 * np.exp(0.015), 40 * np.exp(0.03)])
    # area a alone: 3 errors, too few (8) to calibrate anything
    assert len(calibration_errors(own["a"].log_errors, 1, origins=own["a"].origins)) == 3


@pytest.fixture(scope="module")
def panel():
    return synth_growth_panel(1, n_districts=3, years=range(2005, 2025)).drop(columns="shape")


@pytest.fixture(scope="module")
def area_batch(panel):
    return forecast_batch(panel, horizon=2027, method="ensemble")


def test_batch_area_weights_its_own_and_calibrates_on_all(panel, area_batch):
    r = area_batch
    ids = sorted(set(panel["district_id"]))
    assert r.ok
    f = r.forecasts
    assert ((f["lower"] < f["value"]) & (f["value"] < f["upper"])).all()
    w = pd.DataFrame(f.attrs["weights"])
    own = {
        d: shared_backtest(panel[panel.district_id == d], [d], horizon=2027, scaled=True)
        for d in ids
    }
    for d in ids:  # the weights are the area's own backtest's
        got = w[w.area == d].set_index(["horizon", "method"])["weight"]
        want = own[d].weights.set_index(["horizon", "method"])["weight"].reindex(got.index)
        pd.testing.assert_series_equal(got, want, check_names=False)
    # the interval: each area's envelope scale times one quantile of all areas' scores
    members = pd.concat(
        [forecast_trends(panel, horizon=2027, method=m, district_ids=ids) for m in ENSEMBLE_METHODS]
    )
    env = members.groupby(["district_id", "year"]).agg(
        lower=("lower", "min"), upper=("upper", "max")
    )
    at = pd.MultiIndex.from_frame(f[["district_id", "year"]])
    env = env.reindex(at)
    scale = envelope_scale(env["lower"].to_numpy(), env["upper"].to_numpy())
    half = np.log(f["upper"] / f["value"]).to_numpy()
    np.testing.assert_allclose(np.log(f["value"] / f["lower"]), half, rtol=1e-9)
    errors = {h: np.concatenate([own[d].log_errors[h] for d in ids]) for h in (1, 2, 3)}
    origins = {h: np.concatenate([own[d].origins[h] for d in ids]) for h in (1, 2, 3)}
    for h in (1, 2, 3):
        q = conformal_quantile(calibration_errors(errors, h, origins=origins), 0.8)
        rows = (f["year"] == 2024 + h).to_numpy()
        np.testing.assert_allclose(half[rows], q * scale[rows], rtol=1e-9)
        # not each area's own quantile: the areas' own scores differ
        alone = [
            conformal_quantile(
                calibration_errors(own[d].log_errors, h, origins=own[d].origins), 0.8
            )
            for d in ids
        ]
        assert max(abs(a - q) for a in alone) > 1e-3


def test_batch_area_deterministic_whatever_the_chunks(panel, area_batch):
    again = forecast_batch(panel, horizon=2027, method="ensemble", chunk_size=1)
    pd.testing.assert_frame_equal(again.forecasts, area_batch.forecasts)


def test_dask_area_ensemble_matches_local(panel, area_batch):
    pytest.importorskip("distributed")
    dask = forecast_batch(panel, horizon=2027, method="ensemble", engine="dask", n_workers=2)
    pd.testing.assert_frame_equal(dask.forecasts, area_batch.forecasts)


def test_single_area_keeps_its_own_plain_errors(panel):
    d = sorted(set(panel["district_id"]))[0]
    sub = panel[panel.district_id == d]
    r = forecast_batch(sub, horizon=2027, method="ensemble")
    own = forecast_ensemble(sub, [d], horizon=2027)
    want = own.loc[own["kind"] == "forecast", ["year", "value", "lower", "upper"]]
    got = r.forecasts[["year", "value", "lower", "upper"]]
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))


def test_backtest_area_weighting_as_the_batch(panel):
    ids = sorted(set(panel["district_id"]))
    e = backtest(panel, methods=MEMBERS, horizons=[1, 3], ensemble_weighting="area")
    ens = e[e["method"] == "ensemble"].set_index(["district_id", "origin", "horizon"])
    assert ((ens["lower"] < ens["value"]) & (ens["value"] < ens["upper"])).all()
    # values: each area's own backtest's ensemble, weighted on its own errors alone
    alone = pd.concat(
        [backtest(panel, methods=MEMBERS, horizons=[1, 3], district_ids=[d]) for d in ids]
    )
    alone = alone[alone["method"] == "ensemble"].set_index(ens.index.names)
    np.testing.assert_allclose(ens["value"], alone["value"].reindex(ens.index), rtol=1e-12)
    # intervals: where calibrated, one multiple of every area's envelope at an origin
    members = e[e["method"].isin(MEMBERS[:3])]
    env = members.groupby(ens.index.names).agg(lower=("lower", "min"), upper=("upper", "max"))
    env = env.reindex(ens.index)
    scale = envelope_scale(env["lower"].to_numpy(), env["upper"].to_numpy())
    q = pd.Series(np.log(ens["upper"] / ens["value"]).to_numpy() / scale, index=ens.index)
    calibrated = ~np.isclose(ens["upper"], env["upper"])
    assert calibrated.sum() > 0.7 * len(ens)
    spread = q[calibrated].groupby(level=["origin", "horizon"]).agg(np.ptp)
    assert (spread < 1e-9).all()
    # and not the intervals each area's own backtest gives
    assert not np.allclose(ens["upper"], alone["upper"].reindex(ens.index))


def test_backtest_unknown_ensemble_weighting(panel):
    from xuewei.errors import ConfigError

    with pytest.raises(ConfigError, match="ensemble_weighting"):
        backtest(panel, methods=MEMBERS, ensemble_weighting="city")  # type: ignore[arg-type]


def test_an_area_whose_backtest_fails_is_told_what_gives_its_interval():
    # three areas with 30 years and one with 3: its own backtest cannot be made, so its
    # interval comes from the others' scaled errors: no note calls it the members' envelope
    panel = synth_growth_panel(1)
    ids = list(panel["district_id"].unique()[:3])
    long = panel[panel["district_id"].isin(ids)]
    short = panel[(panel["district_id"] == ids[0]) & (panel["year"] >= 2022)]
    table = pd.concat([long, short.assign(district_id="short")])
    result = forecast_batch(table, horizon=2030, method="ensemble", ensemble_weighting="area")
    assert result.failures.empty
    (note,) = [w for w in result.forecasts.attrs["warnings"] if w.startswith("area short")]
    assert "could not be made" in note and "envelope" not in note
    rows = result.forecasts[
        (result.forecasts["district_id"] == "short") & (result.forecasts["method"] == "ensemble")
    ]
    assert len(rows) and (rows["lower"] < rows["value"]).all()
    assert (rows["value"] < rows["upper"]).all()
