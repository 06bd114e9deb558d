"""Backtests, the accuracy table, ensemble weights and the ensemble forecast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuewei.forecast import (
    backtest,
    backtest_report,
    combine_forecasts,
    ensemble_weights,
    forecast_districts,
    forecast_ensemble,
    reconcile,
)


def _geometric(rate=0.03, years=range(2000, 2016), district="a"):
    return pd.DataFrame(
        {
            "district_id": district,
            "year": list(years),
            "population": [1000.0 * (1 + rate) ** k for k in range(len(years))],
        }
    )


class TestBacktest:
    def test_naive_errors_hand_computed(self):
        e = backtest(_geometric(), methods=["naive"], horizons=[1, 3], origins=[2010])
        got = e.set_index("horizon")["pct_error"]
        assert got[1] == pytest.approx(100 * (1 / 1.03 - 1))
        assert got[3] == pytest.approx(100 * (1 / 1.03**3 - 1))
        assert e["actual"].tolist() == pytest.approx([1000 * 1.03**11, 1000 * 1.03**13])

    def test_no_future_data_leaks_into_a_forecast(self):
        pop = _geometric()
        changed = pop.copy()
        changed.loc[changed.year > 2010, "population"] *= 5  # a shock after the origin
        a = backtest(pop, methods=["arima"], horizons=[1], origins=[2010])
        b = backtest(changed, methods=["arima"], horizons=[1], origins=[2010])
        np.testing.assert_allclose(a["value"], b["value"])
        assert not np.allclose(a["actual"], b["actual"])

    def test_interpolated_years_are_not_scored(self):
        pop = _geometric()
        pop = pop[pop.year.isin([*range(2000, 2011), 2015])]  # 2011–2014 unobserved
        e = backtest(pop, methods=["drift"], horizons=[1, 5], origins=[2010])
        assert e["year"].unique().tolist() == [2015]

    def test_origins_default_need_training_years(self):
        e = backtest(_geometric(), methods=["drift"], horizons=[1], min_train_years=12)
        assert sorted(e["origin"].unique()) == [2012, 2013, 2014]

    def test_unknown_method_is_an_error(self):
        with pytest.raises(ValueError, match="unknown method 'magic'"):
            backtest(_geometric(), methods=["magic"], origins=[2010])

    def test_custom_forecaster(self):
        def perfect(hist, origin, last, interval):
            years = np.arange(origin + 1, last + 1)
            v = 1000.0 * 1.03 ** (years - 2000)
            return pd.DataFrame(
                {
                    "district_id": "a",
                    "year": years,
                    "quantity": "population",
                    "value": v,
                    "lower": v,
                    "upper": v,
                    "method": "perfect",
                }
            )

        e = backtest(_geometric(), methods={"perfect": perfect}, horizons=[1, 3], origins=[2010])
        rep = backtest_report(e)
        p = rep[rep.method == "perfect"]
        np.testing.assert_allclose(p["mape"], 0.0, atol=1e-9)
        assert p["coverage"].tolist() == [1.0, 1.0] and p["beats_naive"].all()


class TestReport:
    def test_hand_computed_table(self):
        e = pd.DataFrame(
            {
                "method": ["naive", "naive", "m", "m"],
                "quantity": "population",
                "district_id": ["a", "b", "a", "b"],
                "origin": 2010,
                "horizon": 1,
                "year": 2011,
                "actual": 100.0,
                "value": [90.0, 110.0, 104.0, 98.0],
                "lower": [80.0, 105.0, 100.0, 90.0],
                "upper": [95.0, 120.0, 110.0, 99.0],
                "pct_error": [-10.0, 10.0, 4.0, -2.0],
                "covered": [False, False, True, False],
            }
        )
        r = backtest_report(e).set_index("method")
        assert r.loc["m", "mape"] == pytest.approx(3.0)
        assert r.loc["m", "bias"] == pytest.approx(1.0)
        assert r.loc["m", "rmspe"] == pytest.approx(np.sqrt(10.0))
        assert r.loc["m", "coverage"] == pytest.approx(0.5)
        assert r.loc["m", "naive_mape"] == pytest.approx(10.0)
        assert bool(r.loc["m", "beats_naive"]) and not bool(r.loc["naive", "beats_naive"])
        by = backtest_report(e, by_district=True)
        assert len(by) == 4 and set(by["district_id"]) == {"a", "b"}

    def test_weights_inverse_squared_error(self):
        rep = pd.DataFrame(
            {
                "method": ["naive", "x", "y", "x", "y"],
                "quantity": "population",
                "horizon": [1, 1, 1, 5, 5],
                "rmspe": [9.0, 1.0, 3.0, 2.0, 2.0],
            }
        )
        w = ensemble_weights(rep).set_index(["horizon", "method"])["weight"]
        assert w[1, "x"] == pytest.approx(0.9) and w[1, "y"] == pytest.approx(0.1)
        assert w[5, "x"] == pytest.approx(0.5)
        assert "naive" not in w.index.get_level_values("method")


class TestEnsemble:
    def test_combine_takes_nearest_horizon_weights(self):
        f = pd.DataFrame(
            {
                "district_id": "a",
                "year": [2022, 2022],
                "quantity": "population",
                "value": [100.0, 200.0],
                "lower": [100.0, 200.0],
                "upper": [100.0, 200.0],
                "method": ["x", "y"],
                "horizon": 2,  # nearest weighted horizon: 1 (tie 1/3 goes to the shorter)
            }
        )
        w = pd.DataFrame(
            {"method": ["x", "y", "x", "y"], "horizon": [1, 1, 3, 3], "weight": [1, 0, 0, 1]}
        )
        assert combine_forecasts(f, w)["value"].tolist() == [100.0]

    def test_reconcile_sums_to_city(self):
        d = pd.DataFrame(
            {
                "district_id": ["a", "b", "a", "b"],
                "year": [2030, 2030, 2031, 2031],
                "value": [1.0, 3.0, 2.0, 2.0],
                "lower": 0.5,
                "upper": 4.0,
            }
        )
        r = reconcile(d, pd.DataFrame({"year": [2030, 2031], "value": [8.0, 10.0]}))
        assert r.groupby("year")["value"].sum().tolist() == [8.0, 10.0]
        assert r["lower"].tolist() == [1.0, 1.0, 1.25, 1.25]

    def test_ensemble_reconciles_and_keeps_history(self):
        pop, f = _two_district_ensemble()
        share = forecast_districts(pop, ["a", "b"], horizon=2024, city_id="c")
        hist = f[f.year <= 2020].reset_index(drop=True)
        pd.testing.assert_series_equal(
            hist["value"],
            share[share.year <= 2020]
            .sort_values(["district_id", "year"])["value"]
            .reset_index(drop=True),
            check_names=False,
        )
        fut = f[f.year > 2020]
        # arima continues 3 % exactly; drift is damped: the city is their average
        from xuewei.forecast import forecast_trends

        c = pop[pop.district_id == "c"]
        arima = forecast_trends(c, horizon=2024, method="arima").set_index("year")["value"]
        drift = forecast_trends(c, horizon=2024, method="drift").set_index("year")["value"]
        np.testing.assert_allclose(
            fut.groupby("year")["value"].sum(), (arima + drift) / 2, rtol=1e-9
        )
        assert set(fut["method"]) == {"ensemble"} and set(fut["kind"]) == {"forecast"}

    def test_ensemble_without_city_uses_backtest_weights(self):
        rng = np.random.default_rng(2)
        rows = []
        for d, r in (("a", 0.02), ("b", 0.04)):
            v = 1e4 * np.exp(np.cumsum(rng.normal(r, 0.003, 14)))
            rows += [{"district_id": d, "year": 2007 + k, "population": x} for k, x in enumerate(v)]
        f = forecast_ensemble(
            pd.DataFrame(rows), ["a", "b"], horizon=2023, methods=["arima", "drift"]
        )
        fut = f[f.kind == "forecast"]
        assert fut.groupby("district_id")["year"].agg(list).to_dict() == {
            "a": [2021, 2022, 2023],
            "b": [2021, 2022, 2023],
        }
        assert (fut["lower"] <= fut["value"]).all() and (fut["value"] <= fut["upper"]).all()
        assert (fut["upper"] > fut["lower"]).all()


def test_empirical_bounds_are_quantiles_of_past_log_errors():
    from xuewei.forecast.backtest import empirical_bounds

    # sizes 0, .049, .051, .095, .105: rank ceil(6 x 0.5) = 3 -> |log 0.95|, both sides
    errs = np.log(np.array([0.9, 0.95, 1.0, 1.05, 1.1]))
    lower, upper = empirical_bounds(np.array([100.0]), errs, 0.5)
    assert lower[0] == pytest.approx(100 * 0.95) and upper[0] == pytest.approx(100 / 0.95)
    # all past forecasts too high: the forecast is still strictly inside (rank 3 > 2: largest)
    lower, upper = empirical_bounds(np.array([100.0]), np.log([0.8, 0.9]), 0.8)
    assert lower[0] == pytest.approx(80.0) and upper[0] == pytest.approx(125.0)


def test_spread_growth_and_pooled_errors_hand_computed():
    from xuewei.forecast.backtest import pooled_log_errors, spread_growth

    # RMS 0.01 at 1 year and 0.02 at 2 years: the spread grows linearly (a = 1)
    errs = {1: np.array([0.01, -0.01, 0.01]), 2: np.array([0.02, -0.02, -0.02])}
    assert spread_growth(errs) == pytest.approx(1.0)
    pooled = pooled_log_errors(errs, 4)
    np.testing.assert_allclose(pooled, [0.04, -0.04, 0.04, 0.04, -0.04, -0.04])
    # a flat spread is clipped to a random walk's sqrt(h); one horizon alone also gets 1/2
    flat = {1: np.array([0.01, -0.01, 0.01]), 9: np.array([0.01, -0.01, 0.01])}
    assert spread_growth(flat) == 0.5
    assert spread_growth({2: np.array([0.1, 0.2, 0.3])}) == 0.5
    assert pooled_log_errors({}, 3).size == 0


def _exact_and_high(truth: pd.DataFrame):
    """Two custom members: one forecasts the truth exactly, one 10 % too high."""

    def exact(hist, origin, last, interval):
        rows = truth[(truth["year"] > origin) & (truth["year"] <= last)]
        return rows.assign(
            quantity="population",
            value=rows["population"],
            lower=rows["population"] * 0.9,
            upper=rows["population"] * 1.1,
            method="exact",
        )

    def high(hist, origin, last, interval):
        f = exact(hist, origin, last, interval)
        return f.assign(value=f["value"] * 1.1, lower=f["lower"] * 1.1, upper=f["upper"] * 1.1)

    return {"exact": exact, "high": high}


class TestEnsembleInBacktest:
    def _truth(self):
        return pd.concat(
            [
                _geometric(rate=r, district=d)
                for d, r in zip("abcdefgh", np.linspace(0.01, 0.04, 8), strict=True)
            ],
            ignore_index=True,
        )

    def test_weights_fall_back_to_the_shorter_horizon_known_by_the_origin(self):
        # at origin 2006 the 3-year errors of origin 2005 are not known yet (2008 > 2006),
        # but its 1-year errors are: eight points (one per district), 'exact' 0 %, 'high'
        # +10 %. Stacked on them 'exact' gets 1 and 'high' 0; shrunk towards equal weights
        # with psi = 8 / (8 + PRIOR_POINTS) = 8/18 = 4/9:
        #   w_high = 4/9 * 0 + 5/9 * 1/2 = 5/18, so the ensemble is 10 % x 5/18 = 25/9 % high.
        # With no fallback (equal weights) it would be 5 % too high, as at origin 2005.
        truth = self._truth()
        e = backtest(
            truth,
            methods={**_exact_and_high(truth), "ensemble": None},  # ensemble of the others
            horizons=[1, 3],
            origins=[2005, 2006],
        )
        ens = e[e.method == "ensemble"].set_index(["origin", "horizon"])["pct_error"]
        assert ens.loc[(2005, 3)].to_numpy() == pytest.approx(5.0)  # nothing known: equal
        assert ens.loc[(2006, 3)].to_numpy() == pytest.approx(25 / 9, rel=1e-6)

    def test_interval_from_all_known_errors_rescaled_to_the_horizon(self):
        # only 'high' (10 % too high everywhere): log error log(1/1.1) at every horizon, so
        # the fitted growth is clipped to sqrt(h) and the 3-year interval at origin 2007
        # comes from the eight 1-year errors of origin 2006, x sqrt(3). Origin 2005's
        # ensemble was weighted on nothing (equal weights): its errors calibrate nothing.
        # Split-conformal rank ceil((8 + 1) x 0.8) = ceil(7.2) = 8 of eight equal sizes
        # sqrt(3) x log(1.1): the interval is value x 1.1^(-/+sqrt(3)), on both sides
        truth = self._truth()
        members = _exact_and_high(truth)
        e = backtest(
            truth,
            methods={"high": members["high"], "ensemble": None},
            horizons=[1, 3],
            origins=[2005, 2006, 2007],
        )
        ens = e[(e.method == "ensemble") & (e.origin == 2007) & (e.horizon == 3)]
        q = np.log(1.1) * np.sqrt(3)
        np.testing.assert_allclose(ens["lower"], ens["value"] * np.exp(-q), rtol=1e-12)
        np.testing.assert_allclose(ens["upper"], ens["value"] * np.exp(q), rtol=1e-12)
        # before 8 errors of weighted ensembles are known (origins 2005, 2006), the
        # members' bounds
        for origin in (2005, 2006):
            first = e[(e.method == "ensemble") & (e.origin == origin)]
            np.testing.assert_allclose(first["upper"], first["value"] * 1.1, rtol=1e-12)


def test_interval_from_the_horizons_own_errors_once_enough_are_known():
    # 'high' is 10 % too high everywhere. At origin 2009 the 3-year errors of origin 2006
    # are known (8 = MIN_CALIBRATION_ERRORS; origin 2005's ensemble had equal weights and
    # calibrates nothing): the interval comes from them as they are, log(1/1.1), not from
    # the 1-year errors rescaled by sqrt(3) as at origin 2007
    truth = TestEnsembleInBacktest()._truth()
    members = _exact_and_high(truth)
    e = backtest(
        truth,
        methods={"high": members["high"], "ensemble": None},
        horizons=[1, 3],
        origins=range(2005, 2010),
    )
    ens = e[(e.method == "ensemble") & (e.origin == 2009) & (e.horizon == 3)]
    np.testing.assert_allclose(ens["lower"], ens["value"] / 1.1, rtol=1e-12)
    early = e[(e.method == "ensemble") & (e.origin == 2007) & (e.horizon == 3)]
    np.testing.assert_allclose(early["lower"], early["value"] * 1.1 ** -np.sqrt(3), rtol=1e-12)


def _scaled(member, factor):
    """A member whose every forecast is ``member``'s times ``factor``."""

    def scaled(hist, origin, last, interval):
        f = member(hist, origin, last, interval)
        return f.assign(value=f["value"] * factor)

    return scaled


def test_ensemble_weights_stacked_then_shrunk_towards_equal():
    # one member always 1 % too high, one 3 % too low. Stacking puts 3/4 and 1/4 on them
    # (3/4 x 1 - 1/4 x 3 = 0: the errors cancel; inverse squared error would say 0.9, 0.1),
    # then shrinks towards 1/2 each with psi = n / (n + PRIOR_POINTS), n the past points:
    #   origin 2006, n = 8 (origin 2005's 1-year errors): psi = 8/18 = 4/9,
    #     w_up = 4/9 x 3/4 + 5/9 x 1/2 = 11/18, w_down = 7/18,
    #     error = 11/18 x 1 - 7/18 x 3 = -10/18 = -5/9 %
    #     (shrunk inverse-MSE would give 4/9 x 0.9 + 5/18 = 61/90 and -26/90 = -0.29 %);
    #   origin 2007, n = 16 (origins 2005, 2006): psi = 16/26 = 8/13,
    #     w_up = 8/13 x 3/4 + 5/13 x 1/2 = 17/26, w_down = 9/26,
    #     error = 17/26 - 27/26 = -10/26 = -5/13 %
    # so the ensemble moves towards the cancelling weights as the backtest grows
    truth = TestEnsembleInBacktest()._truth()
    exact = _exact_and_high(truth)["exact"]

    e = backtest(
        truth,
        methods={"up": _scaled(exact, 1.01), "down": _scaled(exact, 0.97), "ensemble": None},
        horizons=[1],
        origins=[2005, 2006, 2007],
    )
    ens = e[e.method == "ensemble"].set_index("origin")["pct_error"]
    assert ens.loc[2005].to_numpy() == pytest.approx(-1.0)  # nothing known: equal weights
    assert ens.loc[2006].to_numpy() == pytest.approx(-5 / 9, rel=1e-6)
    assert ens.loc[2007].to_numpy() == pytest.approx(-5 / 13, rel=1e-6)


def test_calibration_errors_own_horizon_first():
    from xuewei.forecast.backtest import MIN_CALIBRATION_ERRORS, calibration_errors

    few = {1: np.full(MIN_CALIBRATION_ERRORS, 0.01), 4: np.full(MIN_CALIBRATION_ERRORS - 1, 0.02)}
    # horizon 4 has 7 own errors: all 15 pooled, the 1-year ones × sqrt(4) (growth clipped)
    np.testing.assert_allclose(np.sort(calibration_errors(few, 4)), 0.02)
    enough = {**few, 4: np.full(MIN_CALIBRATION_ERRORS, 0.05)}
    np.testing.assert_allclose(calibration_errors(enough, 4), 0.05)


def _two_district_ensemble() -> tuple[pd.DataFrame, pd.DataFrame]:
    """A city growing 3 % a year, districts counted in 2010 and 2020; equal-weight ensemble."""
    years = list(range(2006, 2021))
    city = [1000.0 * 1.03 ** (y - 2010) for y in years]
    pop = pd.DataFrame(
        {
            "district_id": ["c"] * 15 + ["a", "a", "b", "b"],
            "year": [*years, 2010, 2020, 2010, 2020],
            "population": [*city, 600.0, 700.0, 400.0, city[-1] - 700.0],
            "basis": ["estimate"] * 15 + ["census"] * 4,
        }
    )
    w = pd.DataFrame({"method": ["arima", "drift"], "horizon": 1, "weight": [0.5, 0.5]})
    f = forecast_ensemble(
        pop, ["a", "b"], horizon=2024, city_id="c", methods=["arima", "drift"], weights=w
    )
    return pop, f


def test_ensemble_district_interval_adds_share_uncertainty():
    # same table as test_ensemble_reconciles_and_keeps_history: a's share moved from
    # 600/1000 to 700/city(2020) in ten years; four years after its last count its share's
    # log half-width z·sqrt(4·d²/10) adds in quadrature to the city ensemble's
    from scipy import stats

    pop, f = _two_district_ensemble()
    row = f[(f.district_id == "a") & (f.year == 2024)].iloc[0]
    tot = f[f.year == 2024][["value", "lower", "upper"]]
    from xuewei.forecast import forecast_trends

    c = pop[pop.district_id == "c"]
    members = [
        forecast_trends(c, horizon=2024, method=m).set_index("year").loc[2024]
        for m in ("arima", "drift")
    ]
    c_val = sum(m["value"] for m in members) / 2
    c_lo = sum(m["lower"] for m in members) / 2
    city = pop[pop.district_id == "c"].set_index("year")["population"]
    d = np.log((700.0 / city[2020]) / (600.0 / city[2010]))
    half = stats.norm.ppf(0.9) * np.sqrt(d**2 / 10 * 4)
    assert tot["value"].sum() == pytest.approx(c_val, rel=1e-9)
    assert row["lower"] == pytest.approx(
        row["value"] * np.exp(-np.hypot(np.log(c_val / c_lo), half)), rel=1e-9
    )


def test_ensemble_interval_at_least_as_wide_as_the_unborn_births_spread():
    # 'high' is 10 % too high everywhere (bounds value x 0.9 ... value x 1.1) and carries a
    # births spread (as the cohort method does for children not yet born). At origin 2007
    # the calibrated 3-year interval is value x exp(-/+q), q = sqrt(3) x log(1.1) = 0.1651
    # (see above); the births floor z x births_sd, z = 1.2816 (80 %), is the larger of the
    # two, not their sum:
    #   births_sd 0.1: floor 0.1282 < 0.1651, the calibrated interval stays;
    #   births_sd 0.2: floor 0.2563 > 0.1651, both sides move to value x exp(-/+0.2563).
    # Before any error is known (origin 2005): the member's bounds, log -0.1054 and +0.0953,
    # both narrower than 0.1282, so both floored
    truth = TestEnsembleInBacktest()._truth()
    high = _exact_and_high(truth)["high"]
    z = 1.2815515655446004
    q = np.sqrt(3) * np.log(1.1)

    def run(sd):
        def high_unborn(hist, origin, last, interval):
            return high(hist, origin, last, interval).assign(births_sd=sd)

        return backtest(
            truth,
            methods={"high": high_unborn, "ensemble": None},
            horizons=[1, 3],
            origins=[2005, 2006, 2007],
        )

    e = run(0.1)
    ens = e[(e.method == "ensemble") & (e.origin == 2007) & (e.horizon == 3)]
    np.testing.assert_allclose(ens["lower"], ens["value"] * np.exp(-q), rtol=1e-12)
    np.testing.assert_allclose(ens["upper"], ens["value"] * np.exp(q), rtol=1e-12)
    first = e[(e.method == "ensemble") & (e.origin == 2005) & (e.horizon == 1)]
    np.testing.assert_allclose(first["upper"], first["value"] * np.exp(z * 0.1), rtol=1e-12)
    np.testing.assert_allclose(first["lower"], first["value"] * np.exp(-z * 0.1), rtol=1e-12)
    wide = run(0.2)
    ens = wide[(wide.method == "ensemble") & (wide.origin == 2007) & (wide.horizon == 3)]
    np.testing.assert_allclose(ens["lower"], ens["value"] * np.exp(-z * 0.2), rtol=1e-12)
    np.testing.assert_allclose(ens["upper"], ens["value"] * np.exp(z * 0.2), rtol=1e-12)


def test_interval_from_the_latest_origins_only():
    # a member 30 % too high at origins up to 2003, 10 % too high after (it learnt). Origin
    # 2000's ensemble was weighted on nothing and calibrates nothing, so the calibrating
    # 1-year errors (8 districts each) come from origins 2001 on: 2001-2003 of size
    # log(1.3), later ones log(1.1). An 80 % interval takes the ceil((n + 1) x 0.8)-th
    # smallest size of the latest CALIBRATION_WINDOW = 10 origins:
    #   origin 2012: window 2002-2011 holds 2 bad origins, 16 big and 64 small errors;
    #     rank ceil(81 x 0.8) = 65 > 64, so log(1.3)
    #   origin 2013: window 2003-2012 holds 1 bad origin, 8 big and 72 small errors;
    #     rank 65 <= 72, so log(1.1). All origins 2001-2012 would hold 24 big and 72
    #     small of 96: rank ceil(97 x 0.8) = 78 > 72, still log(1.3)
    from xuewei.forecast.backtest import CALIBRATION_WINDOW

    assert CALIBRATION_WINDOW == 10
    truth = pd.concat(
        [
            _geometric(rate=r, district=d, years=range(1995, 2016))
            for d, r in zip("abcdefgh", np.linspace(0.01, 0.04, 8), strict=True)
        ],
        ignore_index=True,
    )

    def learning(hist, origin, last, interval):
        rows = truth[(truth["year"] > origin) & (truth["year"] <= last)]
        f = 1.3 if origin <= 2003 else 1.1
        return rows.assign(
            quantity="population",
            value=rows["population"] * f,
            lower=rows["population"] * f,
            upper=rows["population"] * f,
            method="learning",
        )

    e = backtest(
        truth,
        methods={"learning": learning, "ensemble": None},
        horizons=[1],
        origins=range(2000, 2014),
    )
    prev = e[(e.method == "ensemble") & (e.origin == 2012)]
    np.testing.assert_allclose(prev["lower"], prev["value"] / 1.3, rtol=1e-12)
    np.testing.assert_allclose(prev["upper"], prev["value"] * 1.3, rtol=1e-12)
    ens = e[(e.method == "ensemble") & (e.origin == 2013)]
    np.testing.assert_allclose(ens["lower"], ens["value"] / 1.1, rtol=1e-12)
    np.testing.assert_allclose(ens["upper"], ens["value"] * 1.1, rtol=1e-12)


def test_pupils_ensemble_starts_from_the_cohort_method():
    # as above, but the member 1 % too high is the cohort method, which anchors the
    # weights (anchor_index): before any error is known the ensemble is the cohort
    # method alone (+1 %, not the equal weights' -1 %). At origin 2006 the eight 1-year
    # errors of origin 2005 (one per district) show the cancelling mix (3/4, 1/4): each
    # district's point, judged by the mix fitted on the other seven (psi = 7/17), gains
    # (error 40/68 % against 1 %) at every point, so the test rejects and the weights are
    # (3/4, 1/4) shrunk towards the cohort method with psi = 8/18: (16/18, 2/18), error
    # 16/18 - 6/18 = 5/9 %; at 2007 psi = 16/26: (22/26, 4/26), error 10/26 = 5/13 %
    truth = TestEnsembleInBacktest()._truth()
    exact = _exact_and_high(truth)["exact"]

    e = backtest(
        truth,
        methods={"cohort": _scaled(exact, 1.01), "down": _scaled(exact, 0.97), "ensemble": None},
        horizons=[1],
        origins=[2005, 2006, 2007],
    )
    ens = e[e.method == "ensemble"].set_index("origin")["pct_error"]
    assert ens.loc[2005].to_numpy() == pytest.approx(1.0)  # nothing known: the cohort
    assert ens.loc[2006].to_numpy() == pytest.approx(5 / 9, rel=1e-6)
    assert ens.loc[2007].to_numpy() == pytest.approx(5 / 13, rel=1e-6)
