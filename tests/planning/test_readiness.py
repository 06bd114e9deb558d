"""County readiness: balance indicators and their CV, each criterion by hand, targets, 配建."""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from xuewei.data import load_standards
from xuewei.errors import InputError
from xuewei.planning.readiness import (
    assess_readiness,
    balance_cv,
    check_targets,
    coefficient_of_variation,
    criteria,
    matching_schools,
    qujing_targets,
    school_indicators,
    school_minimums,
)

S = load_standards()

CJK = re.compile(r"[\u4e00-\u9fff]")


# ---- the coefficient of variation


def test_cv_of_the_assessment_guidance_example() -> None:
    """Five primary schools and their books (县域义务教育校际均衡指标计算方法).

    County books per pupil 1913 / 302 = 6.3344. Deviations weighted by pupil share:
    45/302·(6.2000−6.3344)² + 37/302·(3.7027−6.3344)² + 89/302·(10.5056−6.3344)²
    + 76/302·(2.1053−6.3344)² + 55/302·(7.3091−6.3344)² = 0.0027 + 0.8485 + 5.1274
    + 4.5010 + 0.1730 = 10.6526; S = 3.2638; CV = 3.2638 / 6.3344 = 0.5152 (the guidance,
    rounding each step, writes 10.65, 3.26 and 0.52).
    """
    books = np.array([279, 137, 935, 160, 402], dtype=float)
    pupils = np.array([45, 37, 89, 76, 55], dtype=float)
    cv = coefficient_of_variation(books / pupils, pupils)
    assert cv == pytest.approx(0.5152, abs=5e-4)
    assert round(cv, 2) == 0.52


def test_cv_is_pupil_weighted_not_per_school() -> None:
    # values 2 and 6 with 300 and 100 pupils: mean 3, variance (300·1 + 100·9)/400 = 3
    assert coefficient_of_variation([2.0, 6.0], [300, 100]) == pytest.approx(math.sqrt(3) / 3)
    # the unweighted CV of the same values would be 2 / 4 = 0.5
    assert coefficient_of_variation([2.0, 6.0], [1, 1]) == pytest.approx(0.5)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.floats(0.1, 100.0), min_size=2, max_size=8),
    st.floats(0.1, 10.0),
)
def test_cv_does_not_change_with_the_unit(values: list[float], scale: float) -> None:
    w = np.arange(1, len(values) + 1, dtype=float)
    a = coefficient_of_variation(values, w)
    b = coefficient_of_variation(np.array(values) * scale, w)
    assert a == pytest.approx(b, rel=1e-9, abs=1e-12)
    assert a >= 0


# ---- indicators, CV per county and the per-school rule


def _schools_with_attributes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "school_id": ["p1", "p2", "p3", "j1"],
            "district_id": ["a", "a", "a", "a"],
            "level": ["primary", "primary", "primary", "junior"],
            "enrolment": [1000, 500, 30, 800],
            # per pupil 6.0 and 3.0 m²: mean (6000 + 1500) / 1500 = 5.0
            "teaching_rooms_m2": [6000.0, 1500.0, 500.0, 5000.0],
            "backbone_teachers": [15, 4, 1, 10],
        }
    )


def test_indicators_per_pupil_and_per_100_and_what_is_missing() -> None:
    ind = school_indicators(_schools_with_attributes(), S)
    rooms = ind[ind["indicator"] == "teaching_rooms_m2_per_pupil"].set_index("school_id")
    assert rooms.loc["p1", "value"] == 6.0 and rooms.loc["p2", "value"] == 3.0
    assert rooms.loc["j1", "minimum"] == 5.8
    backbone = ind[ind["indicator"] == "backbone_teachers_per_100"].set_index("school_id")
    assert backbone.loc["p1", "value"] == pytest.approx(1.5)  # 15 per 1,000 pupils
    assert ind.attrs["excluded"] == ["p3"]  # 30 pupils: under 50, a teaching point
    assert "equipment_yuan_per_pupil" in ind.attrs["missing_columns"]
    assert len(ind.attrs["missing_columns"]) == 5


def test_junior_rooms_6_25_meet_5_8() -> None:
    ind = school_indicators(_schools_with_attributes(), S)
    j1 = ind[(ind["school_id"] == "j1") & (ind["indicator"] == "teaching_rooms_m2_per_pupil")]
    assert j1["value"].iloc[0] == pytest.approx(6.25) and bool(j1["meets"].iloc[0])


def test_cv_per_county_and_level_against_its_threshold() -> None:
    cv = balance_cv(school_indicators(_schools_with_attributes(), S), S)
    rooms = cv[(cv["level"] == "primary") & (cv["indicator"] == "teaching_rooms_m2_per_pupil")]
    # mean 5; variance (1000·1 + 500·4)/1500 = 2; CV = √2 / 5 = 0.2828
    assert rooms["mean"].iloc[0] == pytest.approx(5.0)
    assert rooms["cv"].iloc[0] == pytest.approx(math.sqrt(2) / 5)
    assert bool(rooms["met"].iloc[0]) and rooms["cv_max"].iloc[0] == 0.5
    junior = cv[cv["level"] == "junior"]
    assert junior["met"].isna().all()  # one junior school: no spread to measure


def test_nine_year_school_counts_in_both_levels_with_its_parts_pupils() -> None:
    s = pd.DataFrame(
        {
            "school_id": ["n1"],
            "district_id": "a",
            "level": "nine_year",
            "enrolment": [900],
            "places": [900.0],
            "places_primary": [600.0],
            "teaching_rooms_m2": [4500.0],
        }
    )
    ind = school_indicators(s, S)
    assert ind.set_index("level")["pupils"].to_dict() == pytest.approx(
        {"primary": 600.0, "junior": 300.0}
    )
    assert ind["value"].tolist() == [5.0, 5.0]  # whole-school ratio
    assert ind.set_index("level")["meets"].astype(bool).to_dict() == {
        "primary": True,  # 5.0 ≥ 4.5
        "junior": False,  # 5.0 < 5.8
    }


def test_six_of_seven_and_the_rest_at_85_percent() -> None:
    def rule(ratios: list[float]) -> bool:
        ind = pd.DataFrame(
            {
                "district_id": "a",
                "level": "primary",
                "school_id": "s",
                "indicator": [f"i{k}" for k in range(len(ratios))],
                "ratio": ratios,
                "value": 1.0,
            }
        )
        return bool(school_minimums(ind, S)["meets"].iloc[0])

    assert rule([1.0] * 7)
    assert rule([1.0] * 6 + [0.85])  # one below, at 85 %
    assert not rule([1.0] * 6 + [0.84])  # one below 85 %
    assert not rule([1.0] * 5 + [0.9, 0.9])  # two below


# ---- the criteria by hand


def test_deficit_met_missed_and_met_later() -> None:
    p = pd.DataFrame(
        {
            "district_id": "a",
            "level": "primary",
            "year": [2026, 2027, 2028],
            "remaining_gap": [300.0, -20.0, -50.0],
        }
    )
    d = criteria.deficit(p, [2026, 2027, 2028]).set_index("year")
    assert d.loc[2026, "shortfall"] == 300.0 and not d.loc[2026, "met"]
    assert d.loc[2027, "met"] and d.loc[2028, "met"]


def _county(enrolment: list[int], classes: list[int], capacity: list[float]) -> pd.DataFrame:
    n = len(enrolment)
    return pd.DataFrame(
        {
            "school_id": [f"p{i}" for i in range(n)],
            "district_id": "a",
            "level": "primary",
            "enrolment": enrolment,
            "classes": classes,
            "places": capacity,
        }
    )


def _flat_gaps(years: list[int], required: list[float] | None = None) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district_id": "a",
            "level": "primary",
            "year": years,
            "required": required or [1000.0] * len(years),
        }
    )


def test_big_classes_cleared_when_new_places_open() -> None:
    # p0: 20 classes × 45 = 900 at standard, 1,000 pupils: 100 above; p1: 860 in 900: 40 free.
    schools = _county([1000, 860], [20, 20], [900.0, 900.0])
    years = [2025, 2026, 2027, 2028]
    programme = pd.DataFrame(
        {
            "district_id": "a",
            "level": "primary",
            "year": years,
            "cumulative_places": [0.0, 0.0, 0.0, 1080.0],
        }
    )
    big_class, big_school = criteria.class_and_school_size(
        schools, _flat_gaps(years), programme, S, base_year=2025, years=years
    )
    c = big_class.set_index("year")
    assert c.loc[2026, "value"] == 100.0 and c.loc[2026, "limit"] == 40.0
    assert c.loc[2026, "shortfall"] == 60.0 and not c.loc[2026, "met"]
    assert c.loc[2028, "shortfall"] == 0.0 and c.loc[2028, "met"]
    assert big_school["met"].all()  # nobody above 2,000


def test_big_school_missed_by_a_known_amount_and_growth_scales_the_roll() -> None:
    # p0: 2,300 pupils, 2,400 places: 300 above the 2,000 cap; p1: 900 in 1,000: 100 free.
    schools = _county([2300, 900], [50, 20], [2400.0, 1000.0])
    years = [2025, 2026]
    programme = pd.DataFrame(
        {"district_id": "a", "level": "primary", "year": years, "cumulative_places": 0.0}
    )
    gaps = _flat_gaps(years, [1000.0, 1100.0])  # 10 % more pupils in 2026
    _, big_school = criteria.class_and_school_size(
        schools, gaps, programme, S, base_year=2025, years=years
    )
    b = big_school.set_index("year")
    assert b.loc[2025, "shortfall"] == pytest.approx(200.0)
    # 2026: 2,530 pupils → 530 above; 990 in 1,000 → 10 free: 520 do not fit
    assert b.loc[2026, "value"] == pytest.approx(530.0)
    assert b.loc[2026, "shortfall"] == pytest.approx(520.0)


def test_special_education_by_residents_and_school() -> None:
    r = pd.DataFrame({"district_id": "a", "year": [2026, 2030], "value": [190e3, 210e3]})
    none = pd.DataFrame({"district_id": ["a"], "special_education": [False]})
    out = criteria.special_education(r, none, S, years=[2026, 2030]).set_index("year")
    assert bool(out.loc[2026, "met"]) and not bool(out.loc[2030, "met"])
    unknown = criteria.special_education(r, pd.DataFrame({"district_id": ["a"]}), S, years=[2030])
    assert unknown["met"].isna().all()


def test_kindergarten_estate_met_in_a_later_year() -> None:
    estates = gpd.GeoDataFrame(
        {"estate_id": ["e1"], "district_id": "a", "residents": [3500], "completion_year": [2027]},
        geometry=[Point(0, 0)],
        crs=4547,
    )
    schools = gpd.GeoDataFrame(
        {"school_id": ["k1"], "level": "kindergarten", "opened": [2029], "district_id": "a"},
        geometry=[Point(100, 0)],
        crs=4547,
    )
    out = criteria.kindergartens(
        estates, schools, S, districts=["a"], years=[2026, 2027, 2028, 2029]
    ).set_index("year")
    assert out["met"].tolist() == [True, False, False, True]
    assert out.loc[2027, "shortfall"] == 1.0


# ---- 配建


def _estate(dwellings: int = 1000, year: int = 2027) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "estate_id": ["e1"],
            "district_id": "a",
            "dwellings": [dwellings],
            "completion_year": [year],
        },
        geometry=[Point(0, 0)],
        crs=4547,
    )


def _school(level: str, places: float, enrolment: int, x: float) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "school_id": [f"{level[0]}1"],
            "level": level,
            "places": [places],
            "enrolment": [enrolment],
            "district_id": "a",
        },
        geometry=[Point(x, 0)],
        crs=4547,
    )


def test_pipeline_estate_with_a_school_in_reach() -> None:
    # 1,000 dwellings: 200 primary pupils (20 per 100); 300 free places 300 m away
    schools = pd.concat([_school("primary", 1200.0, 900, 300.0), _school("junior", 800, 600, 500)])
    check, props = matching_schools(
        _estate(), gpd.GeoDataFrame(schools, crs=4547), S, base_year=2024
    )
    primary = check.set_index("level").loc["primary"]
    assert primary["pupils"] == 200.0 and primary["room_in_reach"] == 300.0
    assert primary["matched"] and primary["nearest_m"] == 300.0
    junior = check.set_index("level").loc["junior"]
    assert junior["pupils"] == pytest.approx(90.0) and junior["matched"]  # 9 per 100 dwellings
    assert props.empty


def test_pipeline_estate_without_a_school_in_reach_gets_a_matching_school() -> None:
    far = _school("primary", 1200.0, 900, 800.0)  # beyond the 500 m primary radius
    check, props = matching_schools(_estate(), far, S, base_year=2024)
    primary = check.set_index("level").loc["primary"]
    assert not primary["matched"] and primary["room_in_reach"] == 0.0
    p = props.set_index("level").loc["primary"]
    assert p["kind"] == "matching_school" and p["year"] == 2027
    # 200 pupils: not 5 classes (ceil(200 / 45)) but the smallest standard school, 12
    assert p["classes"] == 12 and p["places"] == 540.0
    assert "配建" in p["rationale_en"] and "e1" in p["rationale_zh"]
    assert "a 12-class primary school (540 places; the places left serve" in p["rationale_en"]
    assert "按标准规模同步配建12班小学（540个学位" in p["rationale_zh"]
    junior = props.set_index("level").loc["junior"]
    assert junior["classes"] == 12 and junior["places"] == 600.0  # 90 pupils: 12 × 50


def test_the_room_a_matching_school_leaves_serves_the_next_estate() -> None:
    """Two estates of 200 primary pupils, 100 m apart, no school in reach: the first gets
    a 12-class school (540 places), whose 340 left take the second's 200."""
    two = gpd.GeoDataFrame(
        {
            "estate_id": ["e1", "e2"],
            "district_id": "a",
            "dwellings": [1000, 1000],
            "completion_year": [2026, 2027],
        },
        geometry=[Point(0, 0), Point(100, 0)],
        crs=4547,
    )
    far = _school("primary", 1200.0, 900, 800.0)
    check, props = matching_schools(two, far, S, base_year=2024)
    primary = check[check["level"] == "primary"].set_index("estate_id")
    assert primary.loc["e2", "room_in_reach"] == 340.0 and bool(primary.loc["e2", "matched"])
    assert (props["level"] == "primary").sum() == 1


def test_existing_estates_are_not_checked_and_room_is_used_once() -> None:
    two = gpd.GeoDataFrame(
        {
            "estate_id": ["old", "e1", "e2"],
            "district_id": "a",
            "dwellings": [5000, 1000, 1000],
            "completion_year": [2010, 2026, 2027],
        },
        geometry=[Point(0, 0), Point(0, 0), Point(10, 0)],
        crs=4547,
    )
    school = _school("primary", 1200.0, 900, 100.0)  # 300 free: one estate of 200 fits
    check, _ = matching_schools(two, school, S, base_year=2024)
    primary = check[check["level"] == "primary"].set_index("estate_id")
    assert list(primary.index) == ["e1", "e2"]
    assert bool(primary.loc["e1", "matched"]) and primary.loc["e2", "room_in_reach"] == 100.0
    assert not primary.loc["e2", "matched"]


# ---- targets


def test_qujing_timetable_of_seed_001() -> None:
    t = qujing_targets().set_index("name")["target_year"]
    assert t["沾益区"] == 2022 and t["麒麟区"] == 2028 and t["宣威市"] == 2030
    assert (t <= 2025).sum() / len(t) >= S.number("targets.qujing_balance_year.share_by_2025")


def test_targets_are_checked_row_by_row() -> None:
    d = pd.DataFrame({"district_id": ["a", "b"], "name": ["甲区", "乙县"]})
    bad = pd.DataFrame({"district_id": ["a", "x", "a"], "target_year": [2028, 2030, 2.5]})
    with pytest.raises(InputError, match=r"row 2.*'x': not a district") as err:
        check_targets(bad, d, source="targets.csv")
    text = str(err.value)
    assert "row 3" in text and "whole year" in text and "second target" in text
    ok = check_targets(
        pd.DataFrame({"district_id": ["a"], "target_year": [2028], "synthetic": [True]}), d
    )
    assert ok["target_source"].iloc[0].startswith("synthetic")


# ---- the whole check


def test_readiness_table_reads_each_county_in_its_target_year() -> None:
    districts = pd.DataFrame({"district_id": ["a", "b"], "name": ["甲区", "乙县"]})
    years = [2025, 2026, 2027, 2028]
    gaps = pd.DataFrame(
        [
            {
                "district_id": d,
                "level": lv,
                "year": y,
                "scenario": 85.0,
                "required": 900.0,
                "gap": gap,
            }
            for d, gap in (("a", 200.0), ("b", -100.0))
            for lv in ("primary", "junior")
            for y in years
        ]
    )
    programme = gaps.assign(
        cumulative_places=np.where(
            (gaps["district_id"] == "a") & (gaps["year"] >= 2027), 1080.0, 0.0
        )
    )
    programme["remaining_gap"] = programme["gap"] - programme["cumulative_places"]
    schools = gpd.GeoDataFrame(
        {
            "school_id": ["pa", "ja", "pb", "jb"],
            "district_id": ["a", "a", "b", "b"],
            "level": ["primary", "junior"] * 2,
            "places": 700.0,
            "classes": [15, 14, 22, 20],
            "enrolment": 650,
        },
        geometry=[Point(0, 0)] * 4,
        crs=4547,
    )
    residents = pd.DataFrame(
        [{"district_id": d, "year": y, "value": 150e3} for d in "ab" for y in years]
    )
    targets = pd.DataFrame(
        {"district_id": ["a", "b"], "target_year": [2026, 2030], "target_source": "test"}
    )
    r = assess_readiness(
        districts=districts,
        schools=schools,
        gaps=gaps,
        residents=residents,
        standards=S,
        base_year=2025,
        horizon=2028,
        programme=programme,
        targets=targets,
    )
    t = r.table.set_index(["district_id", "criterion", "level"])
    a = t.loc[("a", "deficit", "primary")]
    assert a["assessed_year"] == 2026 and not a["met"] and a["shortfall"] == 200.0
    assert a["first_year_met"] == 2027  # met in a later year
    b = t.loc[("b", "deficit", "primary")]
    assert b["assessed_year"] == 2028 and "after the horizon" in b["note"] and b["met"]
    assert t.loc[("a", "balance_cv", "primary"), "met"] is pd.NA
    summary = r.summary.set_index("district_id")
    assert not summary.loc["a", "ready"] and bool(summary.loc["b", "ready"])
    # one language per column (it was "学位缺口 primary (200 places)")
    assert "Places missing (primary): 200 places" in summary.loc["a", "missing"].split("; ")
    assert "学位缺口（小学）差200" in summary.loc["a", "missing_zh"].split("; ")
    assert not CJK.search(summary.loc["a", "missing"])
    assert r.headline() == (1, 2)
