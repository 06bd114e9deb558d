"""Batch forecasts: every area run, failures reported by id, local and Dask agree."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_helpers import synth_counties

from xuewei.forecast import forecast_batch, forecast_trends


def _with_bad_counties(n=6):
    pop = synth_counties(n, seed=4, years=range(2010, 2025))
    bad = pd.DataFrame(
        {
            "district_id": ["bad_negative", "bad_negative", "bad_single"],
            "year": [2023, 2024, 2024],
            "population": [-5.0, 10.0, 100.0],
        }
    )
    return pd.concat([pop, bad], ignore_index=True)


def test_local_batch_reports_failures_and_keeps_the_rest():
    pop = _with_bad_counties()
    seen = []
    r = forecast_batch(
        pop, horizon=2027, method="drift", chunk_size=2, progress=lambda d, t: seen.append((d, t))
    )
    assert r.failures["district_id"].tolist() == ["bad_negative", "bad_single"]
    assert r.failures["message"].str.contains("positive").iloc[0]
    assert r.failures["message"].str.contains("at least 2").iloc[1]
    good = sorted(set(pop["district_id"]) - {"bad_negative", "bad_single"})
    assert sorted(r.forecasts["district_id"].unique()) == good
    assert len(r.forecasts) == len(good) * 3 and not r.ok
    assert seen[-1] == (len(good) + 2, len(good) + 2)
    # each area's forecast equals the one-area forecast
    one = forecast_trends(pop[pop.district_id == good[0]], horizon=2027, method="drift")
    pd.testing.assert_frame_equal(
        r.forecasts[r.forecasts.district_id == good[0]].reset_index(drop=True), one
    )


def test_unknown_engine():
    with pytest.raises(ValueError, match="unknown engine"):
        forecast_batch(_with_bad_counties(2), horizon=2026, engine="spark")  # type: ignore[arg-type]


def test_dask_matches_local():
    pytest.importorskip("distributed")
    pop = _with_bad_counties(5)
    local = forecast_batch(pop, horizon=2026, method="arima")
    dask = forecast_batch(pop, horizon=2026, method="arima", engine="dask", n_workers=2)
    pd.testing.assert_frame_equal(local.forecasts, dask.forecasts)
    pd.testing.assert_frame_equal(local.failures, dask.failures)


def test_ensemble_method_per_area():
    pop = synth_counties(2, seed=5, years=range(2008, 2025))
    r = forecast_batch(pop, horizon=2027, method="ensemble")
    assert r.ok and set(r.forecasts["method"]) == {"ensemble"}
    assert r.forecasts.groupby("district_id")["year"].agg(list).tolist() == [[2025, 2026, 2027]] * 2


def test_pooled_points_move_the_weights_further_from_equal():
    # member x is always right, y always 2 % off, at origins 2001-2003 in areas a and b.
    # Pooled: 6 complete points = MIN_STACKING_POINTS (3) x 2 members, so stacked: (1, 0);
    #   psi = 6 / (6 + 10) = 3/8, w_x = 3/8 x 1 + 5/8 x 1/2 = 11/16, w_y = 5/16.
    # One area alone: 3 points, too few to stack, so inverse-MSE: x's MSE 0 is floored to
    #   1e-6, y's is 4, so (1e6, 0.25) normalised, about (1, 0); psi = 3/13,
    #   w_x = 3/13 x 1 + 10/13 x 1/2 = 8/13 (to 1e-7), w_y = 5/13.
    from xuewei.forecast._member_backtest import _shrunk

    errs = pd.DataFrame(
        [
            {"horizon": 1, "origin": o, "district_id": d, "method": m, "pct_error": e}
            for d in ("a", "b")
            for o in (2001, 2002, 2003)
            for m, e in (("x", 0.0), ("y", 2.0))
        ]
    )
    pooled = _shrunk(errs, ["x", "y"])
    assert pooled["weight"].tolist() == pytest.approx([11 / 16, 5 / 16], abs=1e-9)
    assert pooled["n_points"].tolist() == [6, 6]
    alone = _shrunk(errs[errs.district_id == "a"], ["x", "y"])
    assert alone["weight"].tolist() == pytest.approx([8 / 13, 5 / 13], abs=1e-6)
    assert alone["n_points"].tolist() == [3, 3]


def test_batch_ensemble_pooled_weights_shared_by_every_area():
    from forecast_helpers import synth_growth_panel

    from xuewei.forecast.ensemble import ENSEMBLE_METHODS, shared_backtest

    pop = synth_growth_panel(1, n_districts=3, years=range(2005, 2025)).drop(columns="shape")
    ids = sorted(set(pop["district_id"]))
    r = forecast_batch(pop, horizon=2027, method="ensemble", ensemble_weighting="pooled")
    assert r.ok
    w = pd.DataFrame(r.forecasts.attrs["weights"])
    # one set of weights per horizon, the same in every area
    per_area = w.pivot_table(index=["horizon", "method"], columns="area", values="weight")
    assert list(per_area.columns) == ids
    assert (per_area.nunique(axis=1) == 1).all()
    # pooled points: origins 2010-2023 (5 years of history, before the last year), so
    # 2024 - h - 2010 + 1 = 15 - h outcomes per area at horizon h, x 3 areas
    n = w.drop_duplicates("horizon").set_index("horizon")["n_points"]
    assert n.to_dict() == {1: 42, 2: 39, 3: 36}
    shared = shared_backtest(pop, ids, horizon=2027)
    got = w[w.area == ids[0]].set_index(["horizon", "method"])["weight"]
    want = shared.weights.set_index(["horizon", "method"])["weight"].reindex(got.index)
    pd.testing.assert_series_equal(got, want, check_names=False)
    # each area's forecast is its members' forecasts averaged with those weights
    for d in ids:
        sub = pop[pop.district_id == d]
        fc = r.forecasts[r.forecasts.district_id == d].set_index("year")["value"]
        members = {
            m: forecast_trends(sub, horizon=2027, method=m).set_index("year")["value"]
            for m in ENSEMBLE_METHODS
        }
        for year in (2025, 2026, 2027):
            at = w[(w.area == d) & (w.horizon == year - 2024)].set_index("method")["weight"]
            expected = sum(at[m] * members[m][year] for m in ENSEMBLE_METHODS)
            assert fc[year] == pytest.approx(expected, rel=1e-9)
    # one calibration for all: per year, every area's symmetric log half-width is the same
    # multiple of its own members' envelope, ½ log(highest upper / lowest lower)
    f = r.forecasts.assign(
        lo=np.log(r.forecasts["value"] / r.forecasts["lower"]),
        hi=np.log(r.forecasts["upper"] / r.forecasts["value"]),
    )
    np.testing.assert_allclose(f["lo"], f["hi"], rtol=1e-9)
    members_fc = pd.concat(
        [forecast_trends(pop, horizon=2027, method=m, district_ids=ids) for m in ENSEMBLE_METHODS]
    )
    env = members_fc.groupby(["district_id", "year"]).agg(
        lower=("lower", "min"), upper=("upper", "max")
    )
    scale = 0.5 * np.log(env["upper"] / env["lower"])
    at = pd.MultiIndex.from_frame(f[["district_id", "year"]])
    f["q"] = f["lo"].to_numpy() / scale.reindex(at).to_numpy()
    assert np.isfinite(f["q"]).all() and (f["q"] > 0).all()
    q = f.groupby("year")["q"]
    np.testing.assert_allclose(q.max(), q.min(), rtol=1e-9)
    assert (f["lo"].groupby(f["year"]).nunique() == len(ids)).all()  # areas differ
    # deterministic, and the same whatever the chunks
    again = forecast_batch(
        pop, horizon=2027, method="ensemble", ensemble_weighting="pooled", chunk_size=1
    )
    pd.testing.assert_frame_equal(again.forecasts, r.forecasts)


def test_pooled_weighting_needs_the_ensemble():
    from xuewei.errors import ConfigError

    pop = synth_counties(2, seed=5, years=range(2008, 2025))
    with pytest.raises(ConfigError, match="needs method='ensemble'"):
        forecast_batch(pop, horizon=2027, method="ets", ensemble_weighting="pooled")
