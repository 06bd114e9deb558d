"""The housing-pipeline forecast (forecast.housing)."""

from __future__ import annotations

import pandas as pd
import pytest

from xuewei.data import load_standards
from xuewei.errors import InputError
from xuewei.forecast import (
    forecast_housing,
    pupil_yields,
)


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


class TestHousingStandards:
    def test_household_size_and_yields_from_the_standards_passed(self):
        est = pd.DataFrame({"district_id": ["a"], "completion_year": [2026], "dwellings": [100]})
        std = load_standards(
            {
                "forecast": {
                    "household_size": {"default": 3.0},
                    "pupil_yield_per_100_dwellings": {"primary": 30.0, "secondary": 10.0},
                }
            }
        )
        f = forecast_housing(est, horizon=2026, base_year=2025, standards=std)
        at = f.set_index("quantity")["value"]
        assert at["residents"] == pytest.approx(300.0)
        assert at["primary"] == pytest.approx(30.0)
        assert at["junior"] == pytest.approx(10.0 * 3 / 5)
        assert pupil_yields(standards=std) == {"primary": 30.0, "junior": 6.0}
