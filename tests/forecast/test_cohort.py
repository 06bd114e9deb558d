"""The cohort-progression forecast (forecast.cohort) on hand-computed inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuewei.data import load_standards
from xuewei.errors import InputError
from xuewei.forecast import (
    cohort_ratios,
    forecast_cohort,
)


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


class TestCohortStandards:
    """Entry age, window and grades come from the standards passed, not the packaged file."""

    def test_entry_age_override_changes_the_cohort(self):
        # births halve from 2015: at entry age 6 the 2021 entrants were born in 2015 (750),
        # at entry age 7 in 2014 (1,500)
        pop, enr = _cohort_inputs()
        pop = pop.copy()
        pop.loc[pop.year >= 2015, "births"] = 500.0
        std = load_standards({"forecast": {"progression": {"entry_age": 7}}})
        default = forecast_cohort(pop, enr, horizon=2022)
        older = forecast_cohort(pop, enr, horizon=2022, standards=std)
        ent6 = default[default.quantity == "entrants"].set_index("year")["value"]
        ent7 = older[older.quantity == "entrants"].set_index("year")["value"]
        assert ent6[2021] == pytest.approx(750.0)
        assert ent7[2021] == pytest.approx(1500.0) and ent7[2022] == pytest.approx(750.0)
        # an explicit entry_age still wins over the standards
        again = forecast_cohort(pop, enr, horizon=2022, standards=std, entry_age=6)
        pd.testing.assert_frame_equal(again, default)

    def test_window_override(self):
        pop, enr = _cohort_inputs(years=range(2010, 2021))
        enr = enr.copy()
        g1 = enr["grade"] == 1
        ratio = np.where(enr["year"] < 2016, 1.0, np.where(enr["year"] % 2 == 0, 1.4, 1.6))
        enr.loc[g1, "pupils"] = 1000.0 * ratio[g1.to_numpy()]
        std = load_standards({"forecast": {"progression": {"window_years": 3}}})
        f = forecast_cohort(pop, enr, horizon=2021, standards=std)
        e = f[f.quantity == "entrants"].iloc[0]
        assert e["value"] == pytest.approx(1000.0 * np.mean([1.4, 1.6, 1.4]))

    def test_grades_override_in_ratios_and_levels(self):
        pop, enr = _cohort_inputs()
        std = load_standards({"grades": {"primary": 5, "nine_year": 8}})
        f = forecast_cohort(pop, enr[enr.grade <= 8], horizon=2022, standards=std)
        at = f[f.year == 2021].set_index("quantity")["value"]
        assert at["primary"] == pytest.approx(1500.0 * sum(0.98**k for k in range(5)))
        assert at["junior"] == pytest.approx(1500.0 * sum(0.98**k for k in range(5, 8)))
        r = cohort_ratios(pop, enr, standards=std)
        assert r["grade"].max() == 8
