"""Forecast stage: re-basing, annualising, trends and district shares, on known series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xuewei.errors import InputError
from xuewei.forecast import (
    annualise,
    forecast_districts,
    forecast_trend,
    rebase_intercensal,
)


def _series(**columns):
    return pd.DataFrame(columns)


class TestRebase:
    def test_hand_computed_closure(self):
        # census 2010 = 1000; estimates 2014, 2019 grow 1%/yr from 2010; census 2020 = 1200.
        est = {2014: 1000 * 1.01**4, 2019: 1000 * 1.01**9}
        h = _series(
            district_id=["a"] * 4,
            year=[2010, 2014, 2019, 2020],
            population=[1000.0, est[2014], est[2019], 1200.0],
            basis=["census", "estimate", "estimate", "census"],
        )
        out = rebase_intercensal(h)
        carried = est[2019] * 1.01  # growth of the last two points, carried one year
        ratio = 1200.0 / carried
        expected = [1000.0, est[2014] * ratio**0.4, est[2019] * ratio**0.9, 1200.0]
        np.testing.assert_allclose(out["population"], expected, rtol=1e-12)
        np.testing.assert_allclose(out["reported"], h["population"])

    def test_only_census_or_after_last_census_unchanged(self):
        h = _series(
            district_id=["a"] * 4,
            year=[2010, 2020, 2021, 2022],
            population=[100.0, 130.0, 131.0, 133.0],
            basis=["census", "census", "estimate", "estimate"],
        )
        out = rebase_intercensal(h)
        assert out["rebase_factor"].tolist() == [1.0, 1.0, 1.0, 1.0]

    def test_changsha_2019_jump_removed(self):
        # Real figures: 2010 census 7,040,952; estimates to 2019; 2020 census 10,047,914.
        h = _series(
            district_id=["430100"] * 8,
            year=[2010, 2014, 2016, 2017, 2018, 2019, 2020, 2021],
            population=[7040952, 7311500, 7645200, 7918100, 8154700, 8394500, 10047914, 10239300],
            basis=["census", *["estimate"] * 5, "census", "estimate"],
        )
        out = rebase_intercensal(h).set_index("year")["population"]
        reported_jump = 10047914 / 8394500 - 1
        rebased_jump = 10047914 / out[2019] - 1
        assert reported_jump > 0.19
        assert 0.0 < rebased_jump < 0.06
        assert out[2021] == 10239300  # based on the 2020 census already


class TestAnnualise:
    def test_geometric_fill_and_flags(self):
        h = _series(district_id=["a", "a"], year=[2000, 2003], population=[1000.0, 1331.0])
        out = annualise(h)
        np.testing.assert_allclose(out["population"], [1000, 1100, 1210, 1331])
        assert out["observed"].tolist() == [True, False, False, True]

    def test_zero_uses_linear(self):
        h = _series(district_id=["a", "a"], year=[2000, 2002], population=[0.0, 10.0])
        np.testing.assert_allclose(annualise(h)["population"], [0, 5, 10])

    @given(
        st.lists(st.floats(1, 1e7), min_size=2, max_size=6),
        st.lists(st.integers(1, 4), min_size=5, max_size=5),
    )
    @settings(max_examples=50, deadline=None)
    def test_observations_kept_exactly(self, values, gaps):
        years = np.cumsum([2000, *gaps[: len(values) - 1]])
        h = _series(district_id=["a"] * len(values), year=years, population=values)
        out = annualise(h).set_index("year")
        assert len(out) == years[-1] - years[0] + 1
        assert out.loc[years, "population"].tolist() == values


class TestTrend:
    def test_constant_growth_drift_is_exact_and_damped(self):
        s = pd.Series(1000 * 1.05 ** np.arange(5), index=range(2020, 2025))
        f = forecast_trend(s, horizon=2027, method="drift")
        last = s.iloc[-1]
        rate = np.log(1.05)
        expected = last * np.exp(rate * np.cumsum(0.9 ** np.arange(1, 4)))
        np.testing.assert_allclose(f["value"], expected, rtol=1e-12)

    def test_linear_log_series_ets_follows_trend(self):
        s = pd.Series(np.exp(10 + 0.03 * np.arange(20)), index=range(2005, 2025))
        f = forecast_trend(s, horizon=2030)
        assert f["method"].iloc[0] == "ets"
        growth = np.diff(np.log(np.r_[s.iloc[-1], f["value"]]))
        assert np.all(growth > 0.02) and np.all(growth < 0.031)
        assert (f["lower"] < f["value"]).all() and (f["value"] < f["upper"]).all()
        widths = (f["upper"] - f["lower"]).to_numpy()
        assert np.all(np.diff(widths) > 0)

    def test_ets_keeps_a_steady_growth_undamped(self):
        # 3 % a year with ±0.2 % noise: the damped fit pins φ at 0.98 and ends 8 % low
        # after ten years; the undamped trend has the lower AICc and continues the line
        t = np.arange(20)
        s = pd.Series(np.exp(10 + 0.03 * t + 0.002 * (-1) ** t), index=range(2005, 2025))
        f = forecast_trend(s, horizon=2034, method="ets")
        assert f["value"].iloc[-1] == pytest.approx(np.exp(10 + 0.03 * 29), rel=0.002)

    def test_ets_stays_damped_where_growth_fades(self):
        # growth 5 % × 0.9^t: the damped fit finds φ = 0.9 and has the lower AICc, so the
        # forecast growth keeps fading by 0.9 a year (from the first forecast year on: the
        # last observation carries the noise)
        t = np.arange(20)
        s = pd.Series(np.exp(10 + np.cumsum(0.05 * 0.9**t) + 0.001 * (-1) ** t), index=t + 2005)
        growth = np.diff(np.log(forecast_trend(s, horizon=2030, method="ets")["value"]))
        np.testing.assert_allclose(growth[1:] / growth[:-1], 0.9, atol=0.01)

    def test_interval_nested(self):
        rng = np.random.default_rng(1)
        s = pd.Series(np.exp(10 + np.cumsum(rng.normal(0.02, 0.01, 25))), index=range(2000, 2025))
        narrow = forecast_trend(s, horizon=2030, interval=0.5)
        wide = forecast_trend(s, horizon=2030, interval=0.95)
        assert (wide["lower"] < narrow["lower"]).all() and (wide["upper"] > narrow["upper"]).all()

    def test_deterministic(self):
        s = pd.Series(
            np.exp(10 + 0.02 * np.arange(15) + 0.01 * np.sin(np.arange(15))),
            index=range(2010, 2025),
        )
        pd.testing.assert_frame_equal(
            forecast_trend(s, horizon=2035), forecast_trend(s, horizon=2035)
        )

    @pytest.mark.parametrize(
        ("series", "horizon", "match"),
        [
            (pd.Series([1.0], index=[2020]), 2030, "at least 2"),
            (pd.Series([1.0, 2.0], index=[2020, 2022]), 2030, "consecutive"),
            (pd.Series([1.0, -2.0], index=[2020, 2021]), 2030, "positive"),
            (pd.Series([1.0, 2.0], index=[2020, 2021]), 2021, "after the last year"),
        ],
    )
    def test_bad_series(self, series, horizon, match):
        with pytest.raises(ValueError, match=match):
            forecast_trend(series, horizon=horizon)


def _city_and_districts():
    years = list(range(2010, 2021))
    city = [1000.0 * 1.03**k for k in range(11)]
    return pd.DataFrame(
        {
            "district_id": ["c"] * 11 + ["a", "a", "b", "b"],
            "year": [*years, 2010, 2020, 2010, 2020],
            "population": [*city, 600.0, 700.0, 400.0, city[-1] - 700.0],
            "basis": ["estimate"] * 10 + ["census"] * 5,
        }
    )


class TestForecastDistricts:
    def test_share_method_reconciles_to_city(self):
        pop = _city_and_districts()
        f = forecast_districts(pop, ["a", "b"], horizon=2030, city_id="c")
        totals = f.groupby("year")["value"].sum()
        city_hist = pop[pop.district_id == "c"].set_index("year")["population"]
        np.testing.assert_allclose(totals.loc[2010:2020], city_hist, rtol=1e-12)
        assert (f[f.year > 2020]["kind"] == "forecast").all()
        assert f[(f.year == 2020)].set_index("district_id")["kind"].tolist() == ["observed"] * 2

    def test_share_interpolated_linearly_between_counts(self):
        pop = _city_and_districts()
        f = forecast_districts(pop, ["a", "b"], horizon=2021, city_id="c")
        city = pop[pop.district_id == "c"].set_index("year")["population"]
        a = f[f.district_id == "a"].set_index("year")["value"]
        s10, s20 = 600 / city[2010], 700 / city[2020]
        np.testing.assert_allclose(a[2015] / city[2015], (s10 + s20) / 2, rtol=1e-12)

    def test_share_damping_fitted_on_the_districts_own_history(self):
        # a's share grows by exactly 1 point a year in a constant city (b has the rest): an
        # undamped linear trend made no error from any earlier count, so "fit" picks 1 and
        # continues the line; the default damps it by 0.8 a year
        years = list(range(2000, 2013))
        share = [0.3 + 0.01 * k for k in range(13)]
        pop = pd.DataFrame(
            {
                "district_id": ["c"] * 13 + ["a"] * 13 + ["b"] * 13,
                "year": years * 3,
                "population": [1000.0] * 13
                + [1000 * s for s in share]
                + [1000 * (1 - s) for s in share],
            }
        )
        fit = forecast_districts(pop, ["a", "b"], horizon=2017, city_id="c", share_damping="fit")
        a = fit[fit.district_id == "a"].set_index("year")["value"]
        city = fit[fit.year > 2012].groupby("year")["value"].sum()
        np.testing.assert_allclose(a.loc[2013:2017] / city, 0.42 + 0.01 * np.arange(1, 6))
        damped = forecast_districts(pop, ["a", "b"], horizon=2017, city_id="c")
        a8 = damped[damped.district_id == "a"].set_index("year")["value"]
        assert a8.loc[2017] / city.loc[2017] == pytest.approx(
            0.42 + 0.01 * 0.8 * (1 - 0.8**5) / 0.2
        )
        with pytest.raises(ValueError, match="share_damping"):
            forecast_districts(pop, ["a", "b"], horizon=2017, city_id="c", share_damping=1.5)

    def test_share_trend_is_damped(self):
        pop = _city_and_districts()
        f = forecast_districts(pop, ["a", "b"], horizon=2060, city_id="c", share_damping=0.8)
        share = f.pivot(index="year", columns="district_id", values="value")
        share = share.div(share.sum(axis=1), axis=0)["a"]
        # share trend (per year) from the 2010 and 2020 counts, summed with damping 0.8
        city = pop[pop.district_id == "c"].set_index("year")["population"]
        s10, s20 = 600 / city[2010], 700 / city[2020]
        slope = (s20 - s10) / 10
        limit = s20 + slope * 0.8 / 0.2
        assert share[2060] == pytest.approx(limit, abs=1e-4)

    def test_direct_method_without_city(self):
        rng = np.random.default_rng(3)
        rows = []
        for d, base in (("a", 1e5), ("b", 2e5)):
            values = base * np.exp(np.cumsum(rng.normal(0.02, 0.005, 15)))
            rows += [
                {"district_id": d, "year": 2010 + k, "population": v} for k, v in enumerate(values)
            ]
        f = forecast_districts(pd.DataFrame(rows), ["a", "b"], horizon=2030)
        assert set(f["method"]) == {"direct", "direct-ets"}
        assert f.groupby("district_id")["year"].max().tolist() == [2030, 2030]

    def test_base_year_cuts_data(self):
        pop = _city_and_districts()
        f = forecast_districts(pop, ["a", "b"], horizon=2025, city_id="c", base_year=2015)
        assert (f[f.year > 2015]["kind"] == "forecast").all()

    def test_district_without_rows_is_an_error(self):
        pop = _city_and_districts()
        with pytest.raises(InputError, match="district z has no population rows"):
            forecast_districts(pop, ["a", "b", "z"], horizon=2025, city_id="c")

    def test_districts_not_covering_city_is_an_error(self):
        pop = _city_and_districts()
        pop = pop[pop.district_id != "b"]
        pop = pd.concat(
            [
                pop,
                pd.DataFrame(
                    {
                        "district_id": ["b"],
                        "year": [2010],
                        "population": [100.0],
                        "basis": ["census"],
                    }
                ),
            ]
        )
        with pytest.raises(InputError, match="must cover the whole city"):
            forecast_districts(pop, ["a", "b"], horizon=2025, city_id="c")


class TestShareInterval:
    def test_share_uncertainty_adds_to_city_interval_in_quadrature(self):
        # a: 600 of 1000 in 2010, 700 of 1000·1.03^10 in 2020. Its log share moved by
        # d = log(s20/s10) in 10 years: a random walk with per-year variance d²/10, so 5 years
        # after the last count its log-sd is sqrt(5·d²/10); the city's log half-width adds
        # in quadrature.
        from scipy import stats

        pop = _city_and_districts()
        f = forecast_districts(pop, ["a", "b"], horizon=2025, city_id="c", interval=0.8)
        city_rows = annualise(rebase_intercensal(pop[pop.district_id == "c"]))
        series = pd.Series(city_rows["population"].to_numpy(), index=city_rows["year"].to_numpy())
        city = forecast_trend(series, horizon=2025, interval=0.8).set_index("year")
        z = stats.norm.ppf(0.9)
        cv = city.loc[2025, "value"]
        for d, c10, c20 in (("a", 600.0, 700.0), ("b", 400.0, series[2020] - 700.0)):
            step = np.log((c20 / series[2020]) / (c10 / series[2010]))
            share_half = z * np.sqrt(step**2 / 10 * 5)
            row = f[(f.district_id == d) & (f.year == 2025)].iloc[0]
            lo = np.hypot(np.log(cv / city.loc[2025, "lower"]), share_half)
            hi = np.hypot(np.log(city.loc[2025, "upper"] / cv), share_half)
            assert row["lower"] == pytest.approx(row["value"] * np.exp(-lo), rel=1e-9)
            assert row["upper"] == pytest.approx(row["value"] * np.exp(hi), rel=1e-9)
        # observed and interpolated years keep a zero-width interval
        past = f[f.year <= 2020]
        assert (past["lower"] == past["value"]).all() and (past["upper"] == past["value"]).all()

    def test_annual_counts_give_the_share_rules_own_errors(self):
        # a holds 50 % of a constant city in years 0-6 and 60 % in year 7 (b the rest).
        # Forecasts from counts with five earlier years (years 5 and 6) hold the flat trend:
        # 1 year ahead errors 0 (5->6) and log(0.6/0.5) (6->7) for a, 0 and log(0.4/0.5)
        # for b; 2 years ahead only two errors (< 3), so the 1-year RMS grown as sqrt(2)
        from xuewei.forecast._shares import share_log_sd as _share_log_sd

        years = np.arange(10)
        observed = np.zeros((10, 2), dtype=bool)
        observed[:8] = True
        counts = np.full((10, 2), np.nan)
        counts[:8, 0] = [500.0] * 7 + [600.0]
        counts[:8, 1] = 1000.0 - counts[:8, 0]
        sd = _share_log_sd(years, observed, counts, np.full(10, 1000.0))
        rms1 = np.sqrt((np.log(1.2) ** 2 + np.log(0.8) ** 2) / 4)
        np.testing.assert_allclose(sd[8], rms1, rtol=1e-12)
        np.testing.assert_allclose(sd[9], rms1 * np.sqrt(2), rtol=1e-12)
        assert (sd[:8] == 0).all()

    def test_district_counted_once_takes_the_pooled_share_variance(self):
        from xuewei.forecast._shares import share_log_sd as _share_log_sd

        years = np.arange(2010, 2026)
        observed = np.zeros((16, 2), dtype=bool)
        counts = np.full((16, 2), np.nan)
        city = np.full(16, 1000.0)
        observed[[0, 10], 0] = True
        counts[[0, 10], 0] = [500.0, 500.0 * np.exp(0.2)]
        observed[10, 1] = True  # counted only in 2020
        counts[10, 1] = 1000.0 - 500.0 * np.exp(0.2)
        sd = _share_log_sd(years, observed, counts, city)
        var = 0.2**2 / 10
        np.testing.assert_allclose(sd[15], [np.sqrt(var * 5), np.sqrt(var * 5)], rtol=1e-12)
        assert (sd[:11] == 0).all()
        # a district with a count of 0 gives no log share: it too takes the pooled spread
        counts[0, 1], observed[0, 1] = 0.0, True
        sd = _share_log_sd(years, observed, counts, city)
        np.testing.assert_allclose(sd[15], [np.sqrt(var * 5), np.sqrt(var * 5)], rtol=1e-12)


class TestEtsInterval:
    def test_multistep_in_sample_rms_hand_computed(self):
        from xuewei.forecast.trend import _multistep_rms

        y = np.array([0.0, 1.0, 2.0, 4.0])
        level = y.copy()
        slope = np.ones(4)
        rms = _multistep_rms(y, level, slope, 1.0, 2)
        # 1 year ahead from 0, 1, 2: forecasts 1, 2, 3 against 1, 2, 4 -> errors 0, 0, 1
        assert rms[0] == pytest.approx(np.sqrt(1 / 3))
        # 2 years ahead: only 2 errors (< 3), so the 1-year RMS grown as sqrt(2)
        assert rms[1] == pytest.approx(np.sqrt(1 / 3) * np.sqrt(2))

    def test_growth_sd_hand_computed(self):
        from xuewei.forecast.trend import _growth_sd

        y = np.log([100.0, 110.0, 115.5, 127.05])  # growth 10 %, 5 %, 10 %
        g = np.diff(y)
        se = g.std(ddof=1) / np.sqrt(3)
        np.testing.assert_allclose(_growth_sd(y, 0.5, 2), [se * 0.5, se * 0.75], rtol=1e-12)

    def test_ets_interval_at_least_the_growth_uncertainty(self):
        from scipy import stats

        from xuewei.forecast.trend import _growth_sd

        rng = np.random.default_rng(4)
        v = 1e4 * np.exp(np.cumsum(rng.normal(0.03, 0.01, 16)))
        s = pd.Series(v, index=range(2005, 2021))
        f = forecast_trend(s, horizon=2030, method="ets")
        half = np.log(f["upper"] / f["value"]).to_numpy()
        z = stats.norm.ppf(0.9)
        # at least z × the growth rate's standard error carried through the damped trend
        # (damping ≤ 1 so the undamped sum bounds it from above; check the lower bound)
        assert (half >= z * _growth_sd(np.log(v), 0.8, 10) - 1e-12).all()


def test_naive_from_a_single_count_is_that_count():
    # a district counted once (a census): the baseline holds it; no spread is known
    f = forecast_trend(pd.Series([500.0], index=[2010]), horizon=2013, method="naive")
    assert f["year"].tolist() == [2011, 2012, 2013]
    np.testing.assert_allclose(f["value"], 500.0, rtol=1e-12)
    assert (f["lower"] < 500.0).all() and (f["upper"] > 500.0).all()
    np.testing.assert_allclose(f["upper"], 500.0, rtol=1e-3)
