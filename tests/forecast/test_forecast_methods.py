"""Forecast methods on hand-computed and analytically known series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuewei.data import load_standards
from xuewei.errors import InputError
from xuewei.forecast import (
    FORECAST_COLUMNS,
    births_change_sd,
    cohort_ratios,
    fill_births,
    forecast_cohort,
    forecast_housing,
    forecast_panel,
    forecast_school_age,
    forecast_trend,
    forecast_trends,
    implied_per_thousand,
    panel_features,
    pupil_yields,
    recut_boundaries,
)


# ---------------------------------------------------------------- trend: arima, naive, table
class TestTrendMethods:
    def test_arima_continues_exact_geometric_growth(self):
        s = pd.Series(500 * 1.04 ** np.arange(12), index=range(2013, 2025))
        f = forecast_trend(s, horizon=2030, method="arima")
        expected = 500 * 1.04 ** np.arange(12, 18)
        np.testing.assert_allclose(f["value"], expected, rtol=1e-6)
        assert (f["lower"] <= f["value"]).all() and (f["value"] <= f["upper"]).all()

    def test_arima_short_series_falls_back_to_drift(self):
        s = pd.Series([100.0, 101.0, 103.0], index=[2022, 2023, 2024])
        assert forecast_trend(s, horizon=2026, method="arima")["method"].iloc[0] == "drift"

    def test_naive_is_last_value_with_sqrt_h_interval(self):
        # annual log changes +0.1 and -0.1: rms 0.1; 80 % interval half-width 1.2816 × 0.1 × √h
        s = pd.Series(np.exp([1.0, 1.1, 1.0]), index=[2022, 2023, 2024])
        f = forecast_trend(s, horizon=2028, method="naive", interval=0.8)
        np.testing.assert_allclose(f["value"], np.e, rtol=1e-12)
        half = 1.2815515655446004 * 0.1 * np.sqrt(np.arange(1, 5))
        np.testing.assert_allclose(np.log(f["upper"]) - 1.0, half, rtol=1e-9)
        np.testing.assert_allclose(1.0 - np.log(f["lower"]), half, rtol=1e-9)

    def test_table_of_areas_with_irregular_years(self):
        # census years plus estimates: filled geometrically, then forecast from the last year
        pop = pd.DataFrame(
            {
                "district_id": ["a", "a", "a", "b", "b"],
                "year": [2010, 2015, 2020, 2018, 2020],
                "population": [100.0, 100 * 1.02**5, 100 * 1.02**10, 50.0, 50 * 1.01**2],
                "basis": ["census", "estimate", "census", "estimate", "estimate"],
            }
        )
        f = forecast_trends(pop, horizon=2022, method="drift")
        assert list(f.columns) == FORECAST_COLUMNS
        assert f.groupby("district_id")["year"].apply(list).to_dict() == {
            "a": [2021, 2022],
            "b": [2021, 2022],
        }
        a = f[f.district_id == "a"]["value"].to_numpy()
        expected = 100 * 1.02**10 * np.exp(np.log(1.02) * np.cumsum([0.9, 0.81]))
        np.testing.assert_allclose(a, expected, rtol=1e-9)

    def test_base_year_ignores_later_rows(self):
        pop = pd.DataFrame({"district_id": "a", "year": range(2010, 2020), "population": 1.0})
        pop["population"] = 100 * 1.01 ** np.arange(10)
        f = forecast_trends(pop, horizon=2020, base_year=2015, method="naive")
        assert f["year"].tolist() == [2016, 2017, 2018, 2019, 2020]
        np.testing.assert_allclose(f["value"], 100 * 1.01**5)


# ---------------------------------------------------------------- history: boundaries, births
CHANGSHA_2010 = {"430121": 979472, "430103": 475221, "430111": 724048}
CHANGSHA_2010_RECUT = {"430121": 851809, "430103": 541463, "430111": 785469}


def _changsha_mapping():
    old = CHANGSHA_2010["430121"]
    return pd.DataFrame(
        {
            "old_id": ["430121", "430121", "430121", "430103", "430111"],
            "new_id": ["430121", "430103", "430111", "430103", "430111"],
            "weight": [851809 / old, 66242 / old, 61421 / old, 1.0, 1.0],
            "until_year": 2010,
        }
    )


class TestBoundaries:
    def test_changsha_2010_recut_matches_published_recut(self):
        rows = [
            {"district_id": d, "year": 2010, "population": v, "basis": "census"}
            for d, v in CHANGSHA_2010.items()
        ]
        rows += [{"district_id": "430121", "year": 2020, "population": 1374491, "basis": "census"}]
        out = recut_boundaries(pd.DataFrame(rows), _changsha_mapping())
        got = out[out.year == 2010].set_index("district_id")["population"].astype(float)
        for d, v in CHANGSHA_2010_RECUT.items():
            assert got[d] == pytest.approx(v, abs=1e-6)
        # the total is conserved exactly; the 2020 row (after until_year) is untouched
        assert got.sum() == pytest.approx(sum(CHANGSHA_2010.values()), abs=1e-6)
        row_2020 = out[out.year == 2020].iloc[0]
        assert row_2020["population"] == 1374491 and not row_2020["recut"]
        assert out.loc[out.year == 2010, "recut"].all()

    def test_recut_rows_take_the_new_district_name(self):
        h = pd.DataFrame(
            {
                "district_id": ["x", "y"],
                "name": ["old county", "new district"],
                "year": [2010, 2020],
                "population": [100.0, 80.0],
            }
        )
        m = pd.DataFrame({"old_id": ["x", "x"], "new_id": ["x", "y"], "weight": [0.6, 0.4]})
        out = recut_boundaries(h, m).set_index(["district_id", "year"])["name"]
        assert out["y", 2010] == "new district" and out["x", 2010] == "old county"

    def test_missing_value_stays_missing(self):
        h = pd.DataFrame(
            {"district_id": ["x"], "year": [2010], "population": [100.0], "births": [np.nan]}
        )
        m = pd.DataFrame({"old_id": ["x", "x"], "new_id": ["y", "z"], "weight": [0.25, 0.75]})
        out = recut_boundaries(h, m)
        assert out["population"].tolist() == [25.0, 75.0]
        assert out["births"].isna().all()

    def test_weights_must_sum_to_one(self):
        m = pd.DataFrame({"old_id": ["x", "x"], "new_id": ["y", "z"], "weight": [0.5, 0.4]})
        h = pd.DataFrame({"district_id": ["x"], "year": [2010], "population": [1.0]})
        with pytest.raises(InputError, match=r"old district x sum to 0\.9"):
            recut_boundaries(h, m)


class TestFillBirths:
    def test_nothing_dropped_and_imputed_flagged(self):
        h = pd.DataFrame(
            {
                "district_id": "a",
                "year": [2015, 2016, 2018, 2020],
                "population": [1000.0, 1000.0, 1000.0, 2000.0],
                "births": [np.nan, 16.0, 12.0, np.nan],
            }
        )
        f = fill_births(h)
        assert f["year"].tolist() == list(range(2015, 2021))
        # 2015 takes the first known rate, 2017 the mean rate, 2019/2020 the last rate (12 ‰)
        pop_2019 = 1000.0 * np.sqrt(2.0)
        np.testing.assert_allclose(
            f["births"], [16.0, 16.0, 14.0, 12.0, 12.0 * pop_2019 / 1000, 24.0], rtol=1e-12
        )
        assert f["births_imputed"].tolist() == [True, False, True, False, True, True]

    def test_no_births_at_all_is_an_error(self):
        h = pd.DataFrame({"district_id": "a", "year": [2020], "population": [1.0]})
        with pytest.raises(InputError, match="no year with both births and population"):
            fill_births(h)


# ---------------------------------------------------------------- cohort
def _cohort_inputs(entry=1.5, progression=0.98, births=1000.0, years=range(2016, 2021)):
    pop = pd.DataFrame(
        {"district_id": "a", "year": range(2000, 2021), "population": 1e5, "births": births}
    )
    rows = []
    for y in years:
        for g in range(1, 10):
            rows.append(
                {
                    "district_id": "a",
                    "year": y,
                    "grade": g,
                    "pupils": births * entry * progression ** (g - 1),
                }
            )
        for g in (-2, -1, 0):
            rows.append(
                {
                    "district_id": "a",
                    "year": y,
                    "grade": g,
                    "pupils": births * 0.9 * progression ** (g + 2),
                }
            )
    return pop, pd.DataFrame(rows)


class TestCohort:
    def test_constant_ratios_hand_computed(self):
        pop, enr = _cohort_inputs()
        f = forecast_cohort(pop, enr, horizon=2026, by_grade=True)
        at = f.set_index(["quantity", "year"])["value"]
        assert at["entrants", 2026] == pytest.approx(1500.0)
        assert at["grade_4", 2023] == pytest.approx(1500.0 * 0.98**3)
        primary = 1500.0 * sum(0.98**k for k in range(6))
        junior = 1500.0 * sum(0.98**k for k in range(6, 9))
        kinder = 900.0 * (1 + 0.98 + 0.98**2)
        for year in range(2021, 2027):
            assert at["primary", year] == pytest.approx(primary)
            assert at["junior", year] == pytest.approx(junior)
            assert at["kindergarten", year] == pytest.approx(kinder)
        # ratios that never varied: no spread, so the interval collapses onto the value
        np.testing.assert_allclose(f["lower"], f["value"])
        np.testing.assert_allclose(f["upper"], f["value"])
        assert not f["births_imputed"].any()

    def test_ratios_table(self):
        pop, enr = _cohort_inputs(entry=1.8)
        r = cohort_ratios(pop, enr)
        entry = r[(r.ratio == "entry") & (r.grade == 1)]["value"]
        np.testing.assert_allclose(entry, 1.8)
        prog = r[(r.ratio == "progression") & (r.grade == 5)]["value"]
        np.testing.assert_allclose(prog, 0.98)

    def test_window_uses_recent_ratios_and_spread_gives_interval(self):
        pop, enr = _cohort_inputs(years=range(2010, 2021))
        # entry ratios 2016–2020 alternate 1.4 / 1.6; older ones are 1.0
        enr = enr.copy()
        g1 = enr["grade"] == 1
        ratio = np.where(enr["year"] < 2016, 1.0, np.where(enr["year"] % 2 == 0, 1.4, 1.6))
        enr.loc[g1, "pupils"] = 1000.0 * ratio[g1.to_numpy()]
        f = forecast_cohort(pop, enr, horizon=2021, window=5, interval=0.8)
        e = f[f.quantity == "entrants"].iloc[0]
        r = np.array([1.4, 1.6, 1.4, 1.6, 1.4])
        assert e["value"] == pytest.approx(1000.0 * r.mean())
        sd = np.log(r).std(ddof=1) * np.sqrt(1 + 1 / 5)
        z = 1.2815515655446004
        assert e["upper"] == pytest.approx(1000.0 * r.mean() * np.exp(z * sd))
        assert e["lower"] == pytest.approx(1000.0 * r.mean() * np.exp(-z * sd))

    def test_level_interval_grades_not_at_their_bounds_together(self):
        # entry ratios alternate 1.4 / 1.6 (log-sd s), progression exactly 0.98: in 2021 only
        # grade 1 (the entrants) is unsure, with own variance s² and common s²/5, so the
        # primary total's log-sd is w1·s·sqrt(1 + 1/5), w1 = entrants / primary
        pop, enr = _cohort_inputs(years=range(2010, 2021))
        enr = enr.copy()
        entry_year = enr["year"] - enr["grade"] + 1  # each cohort keeps its entry ratio
        ratio = np.where(entry_year < 2016, 1.0, np.where(entry_year % 2 == 0, 1.4, 1.6))
        school = enr["grade"] >= 1
        enr.loc[school, "pupils"] = (1000.0 * ratio * 0.98 ** (enr["grade"] - 1))[school]
        f = forecast_cohort(pop, enr, horizon=2022, window=5, by_grade=True)
        at = f[f.year == 2021].set_index("quantity")
        s = np.log([1.4, 1.6, 1.4, 1.6, 1.4]).std(ddof=1)
        w1 = at.loc["grade_1", "value"] / at.loc["primary", "value"]
        z = 1.2815515655446004
        sd = w1 * s * np.sqrt(1 + 1 / 5)
        tot = at.loc["primary", "value"]
        assert at.loc["primary", "upper"] == pytest.approx(tot * np.exp(z * sd))
        assert at.loc["primary", "lower"] == pytest.approx(tot * np.exp(-z * sd))
        # in 2022 grades 1 and 2 are unsure, each with its own yearly ratio: the own parts
        # add in quadrature, the common parts (the mean ratio's error) add up
        at = f[f.year == 2022].set_index("quantity")
        v1, v2 = at.loc["grade_1", "value"], at.loc["grade_2", "value"]
        tot = at.loc["primary", "value"]
        sd = np.hypot((v1 + v2) / tot * s / np.sqrt(5), np.hypot(v1, v2) / tot * s)
        assert at.loc["primary", "upper"] == pytest.approx(tot * np.exp(z * sd))
        assert (f["births_sd"] == 0).all()  # every child of 2021-2022 was born by 2020

    def test_falling_births_reach_primary_after_entry_age(self):
        # births fall by half from 2015: entrants fall in 2021 (= 2015 + 6), not before
        pop, enr = _cohort_inputs()
        pop = pop.copy()
        pop.loc[pop.year >= 2015, "births"] = 500.0
        f = forecast_cohort(pop, enr, horizon=2022)
        ent = f[f.quantity == "entrants"].set_index("year")["value"]
        assert ent[2021] == pytest.approx(750.0) and ent[2022] == pytest.approx(750.0)

    def test_missing_births_are_imputed_and_flagged(self):
        pop, enr = _cohort_inputs()
        pop = pop.copy()
        pop.loc[pop.year == 2015, "births"] = np.nan  # births behind the 2021 entrants
        f = forecast_cohort(pop, enr, horizon=2022)
        ent = f[f.quantity == "entrants"].set_index("year")
        assert bool(ent.loc[2021, "births_imputed"]) and not bool(ent.loc[2022, "births_imputed"])
        assert ent.loc[2021, "value"] == pytest.approx(1500.0)  # same rate either side

    def test_missing_grade_in_base_year_is_an_error(self):
        pop, enr = _cohort_inputs()
        enr = enr[~((enr.year == 2020) & (enr.grade == 4))]
        with pytest.raises(InputError, match=r"grade\(s\) \[4\] in the base year 2020"):
            forecast_cohort(pop, enr, horizon=2022)

    def test_without_kindergarten_rows_no_kindergarten(self):
        pop, enr = _cohort_inputs()
        f = forecast_cohort(pop, enr[enr.grade >= 1], horizon=2022)
        assert set(f["quantity"]) == {"entrants", "primary", "junior"}

    def test_future_births_come_from_a_trend_and_widen_the_interval(self):
        pop, enr = _cohort_inputs()
        pop = pop.copy()
        k = pop["year"] - 2000
        pop["births"] = 1000.0 * 0.97**k * (1 + 0.03 * (-1) ** k)
        f = forecast_cohort(pop, enr, horizon=2030, births_method="drift")
        ent = f[f.quantity == "entrants"].set_index("year")
        # 2026 entrants were born in 2020 (known); 2027 entrants in 2021 (forecast): the
        # births' forecast interval adds to the spread of the entry ratios
        width = np.log(ent["upper"] / ent["lower"])
        assert width[2027] > width[2026] + 0.01
        assert width.loc[2021:2026].nunique() == 1

    def test_unborn_cohorts_as_unsure_as_births_were_changeable(self):
        # births grow exactly 5 % a year, the entry ratio is exactly 1.5: the damped drift
        # forecasts births with (almost) no spread, but births k years after the last known
        # ones are taken to be as unsure as their k-year changes were, k·log(1.05)
        years = range(2000, 2021)
        births = {y: 1000.0 * 1.05 ** (y - 2000) for y in years}
        pop = pd.DataFrame(
            {
                "district_id": "a",
                "year": list(years),
                "population": 1e5,
                "births": [births[y] for y in years],
            }
        )
        enr = pd.DataFrame(
            [
                {"district_id": "a", "year": y, "grade": g, "pupils": 1.5 * births[y - g - 5]}
                for y in range(2016, 2021)
                for g in range(1, 10)
            ]
        )
        z = 1.2815515655446004
        half = {}
        for spread in ("changes", "trend"):
            f = forecast_cohort(pop, enr, horizon=2030, births_method="drift", births_spread=spread)
            ent = f[f.quantity == "entrants"].set_index("year")
            half[spread] = np.log(ent["upper"] / ent["value"])
        k = np.arange(1, 5)  # entrants of 2027-2030 were born 2021-2024
        np.testing.assert_allclose(half["changes"].loc[2027:2030], z * k * np.log(1.05), rtol=1e-9)
        np.testing.assert_allclose(half["changes"].loc[2021:2026], 0.0, atol=1e-12)  # born
        # the drift's own spread: growth never varied, so only its 1e-4 floor × sqrt(k)
        np.testing.assert_allclose(half["trend"].loc[2027:2030], z * 1e-4 * np.sqrt(k), rtol=1e-6)
        # primary in 2028: grade 1 born 2022 (2 years after the last known births), grade 2
        # in 2021 (1 year), the others known: births_sd is their value-weighted spread
        f = forecast_cohort(
            pop, enr, horizon=2030, births_method="drift", births_spread="changes", by_grade=True
        )
        at = f[f.year == 2028].set_index("quantity")
        g = at.loc[[f"grade_{i}" for i in range(1, 7)], "value"].to_numpy()
        expect = (g[0] * 2 + g[1] * 1) * np.log(1.05) / g.sum()
        assert at.loc["primary", "births_sd"] == pytest.approx(expect, rel=1e-9)
        assert at.loc["entrants", "births_sd"] == pytest.approx(2 * np.log(1.05), rel=1e-9)
        # the default measures the changes from the change the forecast projects: the drift
        # damped by 0.9 a year projects log(1.05)·(0.9 + ... + 0.9^k) after k years, so every
        # past k-year change of k·log(1.05) departs from it by log(1.05)·(k - Σ 0.9^j)
        f = forecast_cohort(pop, enr, horizon=2030, births_method="drift")
        ent = f[f.quantity == "entrants"].set_index("year")
        miss = np.log(1.05) * (k - np.cumsum(0.9**k))
        np.testing.assert_allclose(np.log(ent["upper"] / ent["value"]).loc[2027:2030], z * miss)
        np.testing.assert_allclose(ent["births_sd"].loc[2027:2030], miss, rtol=1e-9)
        np.testing.assert_allclose(ent["births_sd"].loc[2021:2026], 0.0, atol=1e-12)
        # a misspelt rule is an error, not a silent "trend"
        with pytest.raises(ValueError, match=r"births_spread 'departure' must be one of"):
            forecast_cohort(pop, enr, horizon=2030, births_spread="departure")  # type: ignore[arg-type]

    def test_births_change_sd_pooled_over_areas_and_counts_only(self):
        b = pd.DataFrame(
            {
                "district_id": ["a"] * 5 + ["b"] * 5,
                "year": [*range(2000, 2005), *range(2000, 2005)],
                "births": [100.0 * 1.1**k for k in range(5)] + [100.0 * 1.2**k for k in range(5)],
                "births_imputed": False,
            }
        )
        sd = births_change_sd(b, 2)
        # four 1-year changes of log 1.1 and four of log 1.2; three 2-year changes of each
        assert sd[0] == pytest.approx(np.sqrt((np.log(1.1) ** 2 + np.log(1.2) ** 2) / 2))
        assert sd[1] == pytest.approx(2 * sd[0])
        # an imputed value is not a count: it changes nothing (b's 2005 would be a jump)
        extra = pd.DataFrame(
            {"district_id": ["b"], "year": [2005], "births": [1e6], "births_imputed": [True]}
        )
        np.testing.assert_allclose(births_change_sd(pd.concat([b, extra]), 2), sd)
        # a span with fewer than three changes grows from the longest with three: k = 4 has
        # two (a: 2000->2004, b: 2000->2004); spread growth fitted on k = 1, 2, 3 is exactly 1
        assert births_change_sd(b, 4)[3] == pytest.approx(4 * sd[0])

    def test_births_change_sd_from_the_projected_change(self):
        # a grows 10 % a year, b 20 %; each area's forecast projects 10 % a year: a's changes
        # depart by nothing, b's by k·log(1.2 / 1.1), so the pooled RMS is k·log(1.2/1.1)/√2
        b = pd.DataFrame(
            {
                "district_id": ["a"] * 5 + ["b"] * 5,
                "year": [*range(2000, 2005), *range(2000, 2005)],
                "births": [100.0 * 1.1**k for k in range(5)] + [100.0 * 1.2**k for k in range(5)],
            }
        )
        proj = np.log(1.1) * np.arange(1, 4)
        sd = births_change_sd(b, 3, projected={"a": proj, "b": proj})
        np.testing.assert_allclose(sd, np.log(1.2 / 1.1) * np.arange(1, 4) / np.sqrt(2))
        # an area without a projection is left out; one projecting 1 span counts for 1 only
        np.testing.assert_allclose(births_change_sd(b, 3, projected={"a": proj}), 0.0, atol=1e-12)
        sd = births_change_sd(b, 2, projected={"a": proj, "b": proj[:1]})
        assert sd[0] == pytest.approx(np.log(1.2 / 1.1) / np.sqrt(2))
        # k = 2: only a's three changes, each on its projection
        assert sd[1] == pytest.approx(0.0, abs=1e-12)


class TestImpliedPerThousand:
    def test_hand_computed_with_standard_scenarios(self):
        coh = pd.DataFrame(
            {
                "district_id": ["a", "a"],
                "year": [2030, 2030],
                "quantity": ["primary", "junior"],
                "value": [4000.0, 1500.0],
                "lower": [3800.0, 1400.0],
                "upper": [4200.0, 1600.0],
            }
        )
        res = pd.DataFrame({"district_id": ["a"], "year": [2030], "value": [60000.0]})
        t = implied_per_thousand(coh, res)
        s = load_standards()
        assert sorted(set(t["scenario"])) == list(s.scenarios)
        row = t[(t.level == "primary") & (t.scenario == 85.0)].iloc[0]
        share = s.value("places_per_1000.level_share.primary")
        assert row["per_thousand_demand"] == pytest.approx(60000 * 85 / 1000 * share)
        assert row["implied_per_1000"] == pytest.approx(4000 / 60000 * 1000 / share)
        assert row["difference"] == pytest.approx(4000 - 60000 * 85 / 1000 * share)


# ---------------------------------------------------------------- housing
class TestHousing:
    def test_hand_computed_with_profiles(self):
        est = pd.DataFrame(
            {
                "district_id": ["a", "a", "b", "a"],
                "completion_year": [2026, 2027, 2026, 2020],
                "dwellings": [1000, 500, 200, 9999],
            }
        )
        f = forecast_housing(
            est,
            horizon=2028,
            base_year=2025,
            household_size=3.0,
            occupancy={0: 0.5, 1: 1.0},
            pupil_yield={"primary": 20.0, "junior": 10.0},
            yield_profile={0: 0.5, 2: 1.0},
            interval_factors=(0.8, 1.2),
        )
        at = f.set_index(["district_id", "quantity", "year"])
        # a in 2027: estate 1 (age 1: occ 1.0, profile 0.5) + estate 2 (age 0: occ 0.5, 0.5)
        assert at.loc[("a", "residents", 2027), "value"] == pytest.approx(3000 + 750)
        assert at.loc[("a", "primary", 2027), "value"] == pytest.approx(
            1000 * 0.2 * 0.5 + 500 * 0.5 * 0.2 * 0.5
        )
        # a in 2028: estate 1 age 2 (profile 1.0), estate 2 age 1 (profile 0.5)
        assert at.loc[("a", "junior", 2028), "value"] == pytest.approx(100 + 25)
        assert at.loc[("b", "residents", 2026), "value"] == pytest.approx(300)
        assert at.loc[("b", "residents", 2026), "upper"] == pytest.approx(360)
        # the 2020 estate is existing stock: not counted
        assert at.loc[("a", "residents", 2026), "value"] == pytest.approx(1500)

    def test_defaults_from_standards(self):
        est = pd.DataFrame({"district_id": ["a"], "completion_year": [2026], "dwellings": [100]})
        f = forecast_housing(est, horizon=2026, base_year=2025).set_index("quantity")["value"]
        s = load_standards()
        assert f["residents"] == pytest.approx(100 * s.value("forecast.household_size.default"))
        assert f["primary"] == pytest.approx(pupil_yields()["primary"])

    def test_missing_completion_year_is_an_error(self):
        est = pd.DataFrame({"district_id": ["a"], "completion_year": [None], "dwellings": [10]})
        with pytest.raises(InputError, match="row 1, column `completion_year`"):
            forecast_housing(est, horizon=2030, base_year=2025)


# ---------------------------------------------------------------- panel
def _panel_pop(rates=(0.01, 0.02, 0.04, -0.005), years=range(2008, 2021)):
    return pd.DataFrame(
        [
            {"district_id": f"d{k}", "year": y, "population": 1e4 * (1 + r) ** (y - years[0])}
            for k, r in enumerate(rates)
            for y in years
        ]
    )


class TestPanel:
    def test_constant_growth_learned_exactly(self):
        pop = _panel_pop()
        f = forecast_panel(pop, horizon=2025)
        rates = dict(zip(["d0", "d1", "d2", "d3"], (0.01, 0.02, 0.04, -0.005), strict=True))
        expected = 1e4 * (1 + f["district_id"].map(rates)) ** (f["year"] - 2008)
        np.testing.assert_allclose(f["value"], expected, rtol=1e-8)
        assert list(f.columns) == FORECAST_COLUMNS

    def test_features_include_births_and_completions(self):
        pop = _panel_pop()
        pop["births"] = pop["population"] * 0.01
        comp = pd.DataFrame({"district_id": ["d0"], "year": [2015], "dwellings": [50.0]})
        feats = panel_features(pop, completions=comp)
        assert {"birth_rate", "completions_per_1000"} <= set(feats.columns)
        np.testing.assert_allclose(feats["birth_rate"], 10.0)
        row = feats[(feats.district_id == "d0") & (feats.year == 2015)].iloc[0]
        assert row["completions_per_1000"] == pytest.approx(50.0 / row["population"] * 1000)

    def test_short_district_is_named(self):
        pop = pd.concat(
            [
                _panel_pop(),
                pd.DataFrame({"district_id": "new", "year": [2019, 2020], "population": 5.0}),
            ]
        )
        with pytest.raises(ValueError, match=r"\['new'\] have no panel features"):
            forecast_panel(pop, horizon=2022)

    def test_noisy_interval_covers_and_is_deterministic(self):
        rng = np.random.default_rng(0)
        pop = _panel_pop(rates=tuple(rng.uniform(-0.01, 0.05, 8)))
        pop["population"] *= rng.lognormal(0, 0.01, len(pop))
        a = forecast_panel(pop, horizon=2024)
        pd.testing.assert_frame_equal(a, forecast_panel(pop, horizon=2024))
        assert (a["lower"] <= a["value"]).all() and (a["value"] <= a["upper"]).all()


class TestSchoolAge:
    def _pop(self):
        pop = pd.DataFrame(
            {"district_id": "a", "year": range(1995, 2021), "population": 1e5, "births": 1000.0}
        )
        pop["age_6_11"] = np.nan
        pop.loc[pop.year == 2010, "age_6_11"] = 6 * 1000.0 * 1.1
        pop.loc[pop.year == 2020, "age_6_11"] = 6 * 1000.0 * 1.3
        return pop

    def test_ratio_mean_and_spread(self):
        f = forecast_school_age(self._pop(), horizon=2022, births_method="drift")
        prim = f[f.quantity == "primary"].set_index("year")
        assert prim["ratio"].iloc[0] == pytest.approx(1.2)
        assert prim.loc[2021, "value"] == pytest.approx(6 * 1000.0 * 1.2)
        sd = np.log([1.1, 1.3]).std(ddof=1) * np.sqrt(1.5)
        z = 1.2815515655446004
        assert prim.loc[2021, "upper"] == pytest.approx(7200.0 * np.exp(z * sd))
        assert set(f["quantity"]) == {"kindergarten", "primary", "junior"}

    def test_unborn_births_spread_from_the_projected_change(self):
        # births grow exactly 5 % a year; the drift damped by 0.9 projects log(1.05)·0.9 one
        # year ahead, so the past 1-year changes (all log 1.05) depart from it by 0.1·log 1.05:
        # kindergarten (ages 3–5) in 2023 holds the births of 2018–2020 (known), in 2024 those
        # of 2019–2021, 2021 unborn; one census count: no spread of the ratio
        years = np.arange(1995, 2021)
        births = 1000.0 * 1.05 ** (years - 1995)
        pop = pd.DataFrame({"district_id": "a", "year": years, "population": 1e5})
        pop["births"] = births
        pop["age_6_11"] = np.where(years == 2020, 1.2 * births[-12:-6].sum(), np.nan)
        f = forecast_school_age(pop, horizon=2024, births_method="drift")
        kg = f[f.quantity == "kindergarten"].set_index("year")
        assert kg.loc[2023, "upper"] == pytest.approx(kg.loc[2023, "value"])
        b21 = births[-1] * 1.05**0.9
        sd = b21 * 0.1 * np.log(1.05) / (births[-2] + births[-1] + b21)
        z = 1.2815515655446004
        assert kg.loc[2024, "value"] == pytest.approx(1.2 * (births[-2] + births[-1] + b21))
        assert kg.loc[2024, "upper"] == pytest.approx(kg.loc[2024, "value"] * np.exp(z * sd))

    def test_cohorts_before_the_first_population_are_carried_back(self):
        # population from 2008, growing 2 % a year, births only in 2008 (10 per 1,000); the
        # 2010 count of ages 6–11 is of the cohorts 1999–2004, before the first figure: their
        # births are 10 ‰ of the population carried back at 2 % a year, and flagged
        years = np.arange(2008, 2021)
        pop = pd.DataFrame(
            {"district_id": "a", "year": years, "population": 1e5 * 1.02 ** (years - 2008)}
        )
        pop["births"] = np.where(years == 2008, 1000.0, np.nan)
        cohorts = 1000.0 * sum(1.02**k for k in range(-9, -3))  # births 1999–2004
        pop["age_6_11"] = np.where(years == 2010, 1.1 * cohorts, np.nan)
        f = forecast_school_age(pop, horizon=2022)
        assert f["ratio"].iloc[0] == pytest.approx(1.1, rel=1e-12)
        prim = f[f.quantity == "primary"].set_index("year")
        # primary in 2021: ages 6–11, cohorts 2010–2015, births 1,000 × 1.02^(y−2008)
        expect = 1.1 * 1000.0 * sum(1.02**k for k in range(2, 8))
        assert prim.loc[2021, "value"] == pytest.approx(expect, rel=1e-12)
        assert prim["births_imputed"].all()

    def test_only_the_areas_asked_for_need_births(self):
        other = self._pop().assign(district_id="b", births=np.nan, age_6_11=np.nan)
        pop = pd.concat([self._pop(), other], ignore_index=True)
        f = forecast_school_age(pop, horizon=2022, births_method="drift", district_ids=["a"])
        assert set(f["district_id"]) == {"a"}
        with pytest.raises(InputError, match="district b has no year with both births"):
            forecast_school_age(pop, horizon=2022, district_ids=["a", "b"])

    def test_area_without_births_is_an_error(self):
        pop = self._pop().assign(births=np.nan)
        with pytest.raises(InputError, match="has no year with both births and population"):
            forecast_school_age(pop, horizon=2022)

    def test_no_age_column_is_an_error(self):
        with pytest.raises(InputError, match="no age count column"):
            forecast_school_age(self._pop().drop(columns="age_6_11"), horizon=2022)
