"""Batch forecasts: every area run, failures reported by id, local and Dask agree."""

from __future__ import annotations

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
