"""Every fallback of the ensemble and the backtest is reported: logged and in attrs."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from xuewei.errors import InputError
from xuewei.forecast import backtest, forecast_batch, forecast_ensemble, forecast_trends
from xuewei.forecast.calibration import PRIOR_POINTS
from xuewei.forecast.weights import MIX_HORIZONS


def _city(first: int, last: int = 2020) -> pd.DataFrame:
    years = list(range(first, last + 1))
    city = [1000.0 * 1.03 ** (y - 2010) for y in years]
    return pd.DataFrame(
        {
            "district_id": ["c"] * len(years) + ["a", "a", "b", "b"],
            "year": [*years, first, last, first, last],
            "population": [*city, 0.6 * city[0], 700.0, 0.4 * city[0], city[-1] - 700.0],
        }
    )


def _logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "xuewei.forecast" and r.levelno == logging.WARNING
    ]


def test_no_backtest_means_the_damped_trend_alone_reported(caplog):
    caplog.set_level(logging.WARNING, logger="xuewei.forecast")
    f = forecast_ensemble(_city(2017), ["a", "b"], horizon=2023, city_id="c")
    notes = f.attrs["warnings"]
    assert any(
        n.startswith("area c: the backtest of the ensemble members (damped, ets, drift) could not")
        and "the damped trend alone used at every horizon" in n
        for n in notes
    ), notes
    assert set(notes) <= set(_logged(caplog)) and notes


def test_short_backtest_keeps_weights_near_the_damped_trend_and_says_how_many_points():
    f = forecast_ensemble(_city(2006), ["a", "b"], horizon=2025, city_id="c")
    w = pd.DataFrame(f.attrs["weights"])
    # every forecast horizon 1-5 has its weights; the prior is the damped trend, worth
    # PRIOR_POINTS backtest points: a combination that passed the test moves no further
    # from it than n / (n + PRIOR_POINTS) allows, and without passing it is not used. At
    # 1 year the prior may be the even mix of the damped trend and ETS, if that passed
    assert sorted(set(w["horizon"])) == [1, 2, 3, 4, 5]
    assert np.allclose(w.groupby("horizon")["weight"].sum(), 1.0)
    damped = w[w["method"] == "damped"].set_index("horizon")
    psi = damped["n_points"] / (damped["n_points"] + PRIOR_POINTS)
    passed = damped["p_value"] < 0.05
    prior = pd.Series(1.0, index=damped.index)
    prior[prior.index.isin(MIX_HORIZONS) & passed] = 0.5
    assert (damped.loc[~passed, "weight"] == 1.0).all()
    assert (damped["weight"] >= prior * (1.0 - psi) - 1e-12).all()
    assert damped["p_value"].between(0.0, 1.0).all()
    # here the mix passed at 1 year and no combination beat it
    assert passed[1] and damped.loc[1, "weight"] == 0.5
    ets = w[w["method"] == "ets"].set_index("horizon")["weight"]
    assert ets[1] == 0.5


def test_given_weights_nothing_to_report(caplog):
    caplog.set_level(logging.WARNING, logger="xuewei.forecast")
    w = pd.DataFrame({"method": ["ets", "drift"], "horizon": 1, "weight": [0.5, 0.5]})
    f = forecast_ensemble(
        _city(2006), ["a", "b"], horizon=2025, city_id="c", methods=("ets", "drift"), weights=w
    )
    assert f.attrs["warnings"] == []
    assert _logged(caplog) == []


def test_backtest_reports_a_method_that_failed_at_some_origins(caplog):
    caplog.set_level(logging.WARNING, logger="xuewei.forecast")
    pop = _city(2000)
    pop = pop[pop.district_id == "c"]

    def flaky(hist, origin, last, interval):
        if origin < 2010:
            raise InputError("not enough history for flaky")
        return forecast_trends(hist, horizon=last, method="drift", interval=interval)

    e = backtest(pop, methods={"flaky": flaky}, horizons=[1])
    assert sorted(set(e[e.method == "flaky"]["origin"])) == list(range(2010, 2020))
    (note,) = e.attrs["warnings"]
    assert note.startswith(
        "backtest: method flaky made no population forecast at origin(s) 2005, 2006, 2007, "
        "2008, 2009"
    )
    assert "not enough history for flaky" in note
    assert _logged(caplog) == [note]


def test_unknown_method_is_a_config_error_before_any_run():
    from xuewei.errors import ConfigError

    with pytest.raises(ConfigError, match="unknown method 'magic'"):
        backtest(_city(2000), methods=["magic"])


def test_batch_keeps_each_areas_ensemble_warnings(caplog):
    caplog.set_level(logging.WARNING, logger="xuewei.forecast")
    pop = pd.DataFrame(
        {
            "district_id": ["x"] * 4 + ["y"] * 4,
            "year": [2017, 2018, 2019, 2020] * 2,
            "population": [100.0, 103.0, 106.0, 109.0, 50.0, 51.0, 52.0, 53.0],
        }
    )
    r = forecast_batch(pop, horizon=2023, method="ensemble")
    notes = r.forecasts.attrs["warnings"]
    assert sorted({n.split(":")[0] for n in notes}) == ["area x", "area y"]
    assert all(n in _logged(caplog) for n in notes)
    assert forecast_batch(pop, horizon=2023, method="drift").forecasts.attrs["warnings"] == []


def test_each_backtest_warning_is_logged_once_with_its_areas(caplog) -> None:
    # a short area makes the members fail at the early origins: the ensemble's backtest
    # reports that once, naming its areas; the public backtest still logs it itself
    from forecast_helpers import synth_growth_panel

    panel = synth_growth_panel(1)
    ids = list(panel["district_id"].unique()[:2])
    short = panel[(panel["district_id"] == ids[0]) & (panel["year"] >= 2021)]
    table = pd.concat([panel[panel["district_id"].isin(ids)], short.assign(district_id="x")])
    with caplog.at_level(logging.WARNING, logger="xuewei.forecast"):
        forecast_batch(table, horizon=2030, method="ensemble", ensemble_weighting="pooled")
    failed = [r.getMessage() for r in caplog.records if "made no population" in r.getMessage()]
    assert failed and all(m.startswith("areas ") for m in failed)
    assert len(failed) == len(set(failed))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="xuewei.forecast"):
        backtest(table, methods=["drift"])
    assert any(r.getMessage().startswith("backtest: method drift") for r in caplog.records)
