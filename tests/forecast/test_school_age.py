"""School-age children from births and census age counts (forecast.school_age)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuewei.data import load_standards
from xuewei.errors import InputError
from xuewei.forecast import (
    forecast_school_age,
)


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


class TestSchoolAgeStandards:
    """The plan's standards reach the forecast (they were read from the packaged file)."""

    def test_grades_override_changes_primary(self):
        pop = TestSchoolAge()._pop()
        default = forecast_school_age(pop, horizon=2022, births_method="drift")
        five = forecast_school_age(
            pop,
            horizon=2022,
            births_method="drift",
            standards=load_standards({"grades": {"primary": 5, "nine_year": 8}}),
        )
        at = {
            name: f[f.year == 2021].set_index("quantity")["value"]
            for name, f in (("six", default), ("five", five))
        }
        assert at["six"]["primary"] == pytest.approx(6 * 1000.0 * 1.2)
        assert at["five"]["primary"] == pytest.approx(5 * 1000.0 * 1.2)
        assert at["five"]["junior"] == pytest.approx(3 * 1000.0 * 1.2)

    def test_entry_age_override_moves_the_ages(self):
        # births step from 1,000 to 2,000 in 2014: primary (6 ages from the entry age) in 2021
        # holds the cohorts 2010-2015 at entry age 6, 2009-2014 at entry age 7
        pop = TestSchoolAge()._pop()
        pop["births"] = np.where(pop["year"] >= 2014, 2000.0, 1000.0)
        pop["age_6_11"] = np.nan
        pop.loc[pop.year == 2010, "age_6_11"] = 6 * 1000.0 * 1.2
        std = load_standards({"forecast": {"progression": {"entry_age": 7}}})
        f6 = forecast_school_age(pop, horizon=2021, births_method="drift")
        f7 = forecast_school_age(pop, horizon=2021, births_method="drift", standards=std)
        p6 = f6.set_index("quantity").loc["primary", "value"]
        p7 = f7.set_index("quantity").loc["primary", "value"]
        assert p6 == pytest.approx(1.2 * (4 * 1000.0 + 2 * 2000.0))
        assert p7 == pytest.approx(1.2 * (5 * 1000.0 + 1 * 2000.0))
