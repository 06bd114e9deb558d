"""Demand, supply and gaps against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xuewei.data import load_standards
from xuewei.errors import InputError
from xuewei.planning import (
    offered_places,
    place_gaps,
    required_places,
    school_places,
)

STANDARDS = load_standards()


def test_required_places_hand_computed():
    r = pd.DataFrame(
        {
            "district_id": ["a", "a"],
            "year": [2030, 2031],
            "value": [150_000.0, 160_000.0],
            "lower": [140_000.0, 150_000.0],
            "upper": [160_000.0, 170_000.0],
        }
    )
    out = required_places(r, STANDARDS, scenarios=[80, 85, 90])
    assert len(out) == 2 * 3 * 3
    row = out[(out.year == 2030) & (out.scenario == 85) & (out.level == "primary")].iloc[0]
    assert row["required"] == pytest.approx(150_000 * 85 / 1000 * 2 / 3)  # 8,500
    assert row["required_lower"] == pytest.approx(140_000 * 85 / 1000 * 2 / 3)
    comp = out[(out.level == "compulsory") & (out.scenario == 80)]["required"].tolist()
    assert comp == pytest.approx([12_000.0, 12_800.0])


@given(st.floats(0, 2e7), st.sampled_from([80.0, 85.0, 90.0]))
@settings(max_examples=50, deadline=None)
def test_levels_sum_to_compulsory(residents, scenario):
    r = pd.DataFrame({"district_id": ["a"], "year": [2030], "value": [residents]})
    out = required_places(r, STANDARDS, scenarios=[scenario]).set_index("level")
    total = out.loc["primary", "required"] + out.loc["junior", "required"]
    assert total == pytest.approx(out.loc["compulsory", "required"], rel=1e-12, abs=1e-9)


def test_required_places_rejects_bad_shares():
    r = pd.DataFrame({"district_id": ["a"], "year": [2030], "value": [1.0]})
    with pytest.raises(ValueError, match="sum to 1"):
        required_places(r, load_standards({"places_per_1000.level_share.junior": 0.4}))
    with pytest.raises(ValueError, match=r"scenarios=\[0\]"):
        required_places(r, scenarios=[0])


def _schools():
    return pd.DataFrame(
        {
            "school_id": ["p", "j", "n", "c", "k"],
            "level": ["primary", "junior", "nine_year", "primary", "primary"],
            "classes": [24, 30, 36, np.nan, 6],
            "capacity": [np.nan, np.nan, np.nan, 2_000, np.nan],
            "enrolment": [1_120, 1_600, 2_600, 2_100, np.nan],
        }
    )


def test_school_places_hand_computed():
    out = school_places(_schools(), STANDARDS).set_index("school_id")
    # classes × standard class size: 24 × 45, 30 × 50; nine-year 36 × (6·45 + 3·50)/9
    assert out.loc["p", "places"] == 1_080
    assert out.loc["j", "places"] == 1_500
    assert out.loc["n", "places"] == pytest.approx(1_680)
    assert out.loc["n", "places_primary"] == pytest.approx(1_080)
    assert out.loc["n", "places_junior"] == pytest.approx(600)
    assert out.loc["c", "places"] == 2_000 and out.loc["c", "places_basis"] == "capacity"
    assert out.loc["p", "utilisation"] == pytest.approx(1_120 / 1_080)
    assert out["over_capacity"].tolist() == [True, True, True, True, pd.NA]
    # average class: 46.7 > 45; 53.3 > 50; 72.2 > 46.7 (nine-year standard)
    assert out.loc["p", "big_class"] and out.loc["j", "big_class"] and out.loc["n", "big_class"]
    assert pd.isna(out.loc["c", "big_class"])
    assert out.loc["n", "class_size_band"] == "super"  # 72.2 ≥ 66: 超大班额
    assert out.loc["p", "class_size_band"] == "large"  # 46.7 in 46–55
    # big school: 2,600 > 2,500 nine-year cap; 2,100 > 2,000 primary cap; 1,600 < 2,000
    assert out["big_school"].tolist() == [False, False, True, True, pd.NA]


def test_school_places_needs_capacity_or_classes():
    s = pd.DataFrame(
        {"school_id": ["x"], "level": ["primary"], "capacity": [np.nan], "classes": [np.nan]}
    )
    with pytest.raises(InputError, match=r"row 1, column `capacity`: school x has neither"):
        school_places(s, STANDARDS)


def test_offered_places_respects_opening_and_closing():
    s = school_places(_schools(), STANDARDS)
    s["district_id"] = ["a", "a", "b", "b", "b"]
    s["opened"] = [2000, 2000, 2028, np.nan, 2000]
    s["closing"] = [np.nan, 2027, np.nan, np.nan, np.nan]
    out = offered_places(s, ["a", "b", "empty"], [2026, 2027, 2028])
    got = out.set_index(["district_id", "year", "level"])["offered"]
    assert got[("a", 2026, "junior")] == 1_500
    assert got[("a", 2027, "junior")] == 0  # closed in 2027
    assert got[("b", 2027, "primary")] == 2_000 + 270
    assert got[("b", 2028, "primary")] == pytest.approx(2_000 + 270 + 1_080)
    assert got[("b", 2028, "compulsory")] == pytest.approx(2_000 + 270 + 1_680)
    assert got[("empty", 2026, "compulsory")] == 0
    assert len(out) == 3 * 3 * 3


def test_offered_conserves_places():
    s = school_places(_schools(), STANDARDS)
    s["district_id"] = ["a", "b", "a", "b", "a"]
    out = offered_places(s, ["a", "b"], [2030])
    total = out[out.level == "compulsory"]["offered"].sum()
    assert total == pytest.approx(s["places"].sum())


def test_gaps_hand_computed():
    r = pd.DataFrame({"district_id": ["a"], "year": [2030], "value": [100_000.0]})
    req = required_places(r, STANDARDS, scenarios=[90])
    s = school_places(_schools().iloc[:2], STANDARDS)
    s["district_id"] = "a"
    off = offered_places(s, ["a"], [2030])
    g = place_gaps(req, off).set_index("level")
    assert g.loc["primary", "gap"] == pytest.approx(6_000 - 1_080)
    assert g.loc["junior", "gap"] == pytest.approx(3_000 - 1_500)
    assert g.loc["compulsory", "gap"] == pytest.approx(9_000 - 2_580)
    assert g.loc["compulsory", "gap_per_1000"] == pytest.approx(64.2)
