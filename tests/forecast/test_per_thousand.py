"""Cohort demand beside per-thousand demand (forecast.per_thousand)."""

from __future__ import annotations

import pandas as pd
import pytest

from xuewei.data import load_standards
from xuewei.forecast import (
    implied_per_thousand,
)


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


class TestPerThousandStandards:
    def _inputs(self):
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
        return coh, res

    def test_scenarios_override_reaches_the_table(self):
        std = load_standards({"places_per_1000": {"scenarios": [70.0, 100.0]}})
        t = implied_per_thousand(*self._inputs(), standards=std)
        assert sorted(set(t["scenario"])) == [70.0, 100.0]
        row = t[(t.level == "junior") & (t.scenario == 100.0)].iloc[0]
        assert row["per_thousand_demand"] == pytest.approx(
            60000 * std.places_per_resident("junior", 100.0)
        )

    def test_level_share_override_and_explicit_arguments(self):
        std = load_standards({"places_per_1000": {"level_share": {"primary": 0.6, "junior": 0.4}}})
        t = implied_per_thousand(*self._inputs(), standards=std)
        row = t[(t.level == "primary") & (t.scenario == 90.0)].iloc[0]
        assert row["per_thousand_demand"] == pytest.approx(60000 * 0.09 * 0.6)
        assert row["implied_per_1000"] == pytest.approx(4000 / 60000 * 1000 / 0.6)
        # explicit scenarios and level shares win over the standards
        t = implied_per_thousand(
            *self._inputs(), scenarios=(80.0,), level_share={"primary": 0.5, "junior": 0.5}
        )
        assert t["scenario"].unique().tolist() == [80.0]
        row = t[t.level == "junior"].iloc[0]
        assert row["per_thousand_demand"] == pytest.approx(60000 * 0.08 * 0.5)
