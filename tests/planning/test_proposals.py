"""School counts, staging, siting of new builds, rules and the proposals table."""

from __future__ import annotations

import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from xuewei.data import load_standards
from xuewei.planning import (
    PROPOSAL_COLUMNS,
    build_programme,
    kindergarten_needs,
    locate_new_schools,
    proposals_of_scenario,
    proposals_table,
    school_counts,
    special_education_needs,
    staffing_and_funding,
    staged_additions,
    standard_school,
    with_closures,
)

S = load_standards()


def _gaps(gap: list[float], level: str = "primary", years: list[int] | None = None) -> pd.DataFrame:
    years = years or list(range(2026, 2026 + len(gap)))
    return pd.DataFrame(
        {"district_id": "d1", "year": years, "level": level, "scenario": 85.0, "gap": gap}
    )


def test_standard_school_is_largest_under_cap() -> None:
    # primary 30 classes × 45 = 1,350 ≤ 2,000; junior 30 × 50 = 1,500
    assert standard_school(S, "primary") == (30, 1350)
    assert standard_school(S, "junior") == (30, 1500)
    capped = load_standards({"school_size_cap": {"primary": 1000}})
    assert standard_school(capped, "primary") == (18, 810)  # 24 × 45 = 1,080 > 1,000


@pytest.mark.parametrize(
    ("gap", "n", "places"),
    [
        (-50.0, 0, 0.0),  # surplus: nothing
        (0.0, 0, 0.0),
        (1.0, 1, 540.0),  # smallest standard school, 12 classes
        (1350.0, 1, 1350.0),  # exactly one standard school
        (1351.0, 2, 1350.0 + 540.0),
        (3000.0, 3, 2 * 1350.0 + 540.0),  # 300 left → 12 classes
        (3500.0, 3, 2 * 1350.0 + 18 * 45.0),  # 800 left → 18 classes (810)
    ],
)
def test_school_counts_hand_computed(gap: float, n: int, places: float) -> None:
    out = school_counts(_gaps([gap]), S).iloc[0]
    assert out["new_schools"] == n
    assert out["new_places"] == places
    assert out["surplus"] == places - max(gap, 0.0)
    assert out["expansion_places"] == 0.0


def test_expansions_first_and_capped_by_school_size() -> None:
    schools = pd.DataFrame(
        {
            "district_id": "d1",
            "school_id": ["a", "b", "c", "j"],
            "level": ["primary", "primary", "primary", "junior"],
            "classes": [24, 40, 30, 24],
            "max_classes": [30, 48, 30, 36],
            "places": [1080.0, 1800.0, 1350.0, 1200.0],
        }
    )
    # a: 6 classes = 270; b: site allows 8 but the cap 2,000 allows (2000-1800)/45 = 4 → 180
    # c: no room; j is junior
    out = school_counts(_gaps([400.0]), S, schools=schools).iloc[0]
    assert out["expansion_places"] == 450.0  # both expansions, whole schools
    assert out["new_schools"] == 0
    out = school_counts(_gaps([200.0]), S, schools=schools).iloc[0]
    assert out["expansion_places"] == 270.0 and out["new_schools"] == 0
    out = school_counts(_gaps([1000.0]), S, schools=schools).iloc[0]
    assert out["expansion_places"] == 450.0
    # 550 left: 12 classes (540) fall short, so 18 classes (810)
    assert out["new_schools"] == 1 and out["new_places"] == 810.0
    off = school_counts(_gaps([400.0]), S, schools=schools, expansions=False).iloc[0]
    assert off["expansion_places"] == 0.0 and off["new_schools"] == 1


def test_staging_dates_each_addition_when_the_gap_needs_it() -> None:
    schools = pd.DataFrame(
        {
            "district_id": "d1",
            "school_id": ["a"],
            "level": "primary",
            "classes": [24],
            "max_classes": [30],
            "places": [1080.0],
        }
    )
    g = _gaps([-10.0, 100.0, 500.0, 2000.0], years=[2026, 2027, 2028, 2029])
    out = staged_additions(g, S, schools=schools)
    assert out["kind"].tolist() == ["expansion", "new_build", "new_build"]
    assert out["needed_year"].tolist() == [2027, 2028, 2029]
    # decided in 2026: an expansion opens from 2028 (2 years), a new school from 2029 (3)
    assert out["year"].tolist() == [2028, 2029, 2029]
    # without lead times each opens when needed
    now = load_standards({"programme": {"lead_time_years": {"new_build": 0, "expansion": 0}}})
    assert staged_additions(g, now, schools=schools)["year"].tolist() == [2027, 2028, 2029]
    # 270 (expansion) + 1,350 + the 380 left → 12 classes (540)
    assert out["places"].tolist() == [270.0, 1350.0, 540.0]
    assert out["places"].sum() >= 2000.0
    assert out["school_id"].iloc[0] == "a"


def test_compulsory_rows_are_ignored() -> None:
    g = pd.concat([_gaps([500.0]), _gaps([500.0], level="compulsory")])
    assert school_counts(g, S)["level"].tolist() == ["primary"]


def _site_frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    # two clusters of estates 3 km apart; a candidate site at each, one far away
    estates = gpd.GeoDataFrame(
        {
            "estate_id": ["e1", "e2", "e3", "e4"],
            "district_id": "d1",
            "residents": [6000, 6000, 9000, 9000],
        },
        geometry=[Point(0, 0), Point(200, 0), Point(3000, 0), Point(3200, 0)],
        crs=4547,
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["s1", "s2", "s3"], "district_id": "d1", "max_classes": [30, 30, 12]},
        geometry=[Point(100, 0), Point(3100, 0), Point(10_000, 0)],
        crs=4547,
    )
    return estates, sites


def test_locate_new_schools_picks_sites_near_demand() -> None:
    estates, sites = _site_frames()
    # primary pupils at 90 ‰ × 2/3: 6,000 → 360, 9,000 → 540; total 1,800
    adds = staged_additions(
        pd.DataFrame(
            {
                "district_id": "d1",
                "year": [2030],
                "level": "primary",
                "scenario": 90.0,
                "gap": [1800.0],
            }
        ),
        S,
    )
    assert adds["places"].tolist() == [1350.0, 540.0]
    out = locate_new_schools(adds, estates, sites, S)
    assert sorted(out["site_id"]) == ["s1", "s2"]
    big = out.set_index("site_id").loc["s2"]
    assert big["places"] == 1350.0  # the bigger school where more pupils are
    assert big["served_estates"] == "e3,e4"
    assert out.geometry.notna().all()
    assert out["pupils_served"].sum() == pytest.approx(1800.0)
    assert (out["site_source"] == "candidate_sites").all()


def test_site_without_max_classes_is_not_limited() -> None:
    """A site whose ``max_classes`` is missing (as read from a file without it) is usable."""
    estates, sites = _site_frames()
    sites["max_classes"] = pd.array([pd.NA, pd.NA, 12], dtype="Int64")
    adds = staged_additions(
        pd.DataFrame(
            {"district_id": "d1", "year": [2030], "level": "primary", "scenario": 90.0},
            index=[0],
        ).assign(gap=1800.0),
        S,
    )
    out = locate_new_schools(adds, estates, sites, S)
    assert sorted(out["site_id"]) == ["s1", "s2"]
    assert out.set_index("site_id").loc["s2", "places"] == 1350.0


def test_rules_kindergarten_special_staff() -> None:
    estates, _ = _site_frames()
    kg = gpd.GeoDataFrame(geometry=[Point(50, 0)], crs=4547)
    out = kindergarten_needs(estates, kg, S, year=2026)
    # e1 within 300 m of the kindergarten, e2 at 150 m: covered; e3, e4 (9,000) are not
    assert out["served_estates"].tolist() == ["e3", "e4"]
    assert (out["classes"] == 6).all() and (out["places"] == 180.0).all()
    r = pd.DataFrame({"district_id": ["a", "b"], "residents": [200_000, 199_999]})
    assert special_education_needs(r, S, with_school=[], year=2030)["district_id"].tolist() == ["a"]
    t = pd.DataFrame({"level": ["primary", "junior", "compulsory"], "places": [20.0, 14.0, 34.0]})
    st = staffing_and_funding(t, S, pupils_col="places")
    # 20 ÷ 19 → 2 posts; 14 ÷ 13.5 → 2; 20 × 720, 14 × 940
    assert st["staff"].tolist() == [2, 2]
    assert st["funding_yuan"].tolist() == [14_400.0, 13_160.0]


def test_proposals_table_columns_and_rationale() -> None:
    estates, sites = _site_frames()
    adds = staged_additions(_gaps([1800.0]), S)
    located = locate_new_schools(adds, estates, sites, S)
    kg = kindergarten_needs(estates, None, S, year=2026)
    table = proposals_table(builds=located, kindergartens=kg)
    assert list(table.columns) == [*PROPOSAL_COLUMNS, "geometry"]
    assert set(table["kind"]) == {"new_build", "kindergarten"}
    assert table["proposal_id"].is_unique
    assert table["rationale_zh"].str.len().gt(10).all()
    assert table["rationale_en"].str.contains("build").all()
    assert table.crs.to_epsg() == 4547
    empty = proposals_table()
    assert list(empty.columns) == [*PROPOSAL_COLUMNS, "geometry"] and len(empty) == 0
    assert math.isnan(table["pupils_moved"].iloc[0])
    np.testing.assert_array_equal(table["year"].to_numpy(dtype=int) >= 2026, True)


def test_one_school_per_site_across_levels() -> None:
    estates, sites = _site_frames()
    g = pd.concat([_gaps([1000.0]), _gaps([600.0], level="junior")])
    out = locate_new_schools(staged_additions(g, S), estates, sites, S, radius_m=5000)
    placed = out["site_id"].dropna()
    assert placed.is_unique
    # the 12-class site s3 only takes a 12-class school (or none)
    small = out[out["site_id"] == "s3"]
    assert (small["classes"] <= 12).all()


def test_levels_choose_sites_by_need_not_by_name() -> None:
    """Primary and junior compete for the one site among the district's pupils.

    Hand-computed: 580 primary places missing take the smallest standard school that covers
    them, 18 classes × 45 = 810 places; 140 junior places take 12 × 50 = 600. Primary builds
    more, so it chooses first and takes s1, 100 m from both estates; junior gets s2, 800 m
    away. In alphabetical order junior would have taken s1.
    """
    estates = gpd.GeoDataFrame(
        {"estate_id": ["e1", "e2"], "district_id": "d1", "residents": [9000, 9000]},
        geometry=[Point(0, 0), Point(200, 0)],
        crs=4547,
    )
    sites = gpd.GeoDataFrame(
        {"site_id": ["s1", "s2"], "district_id": "d1", "max_classes": [30, 30]},
        geometry=[Point(100, 0), Point(900, 0)],
        crs=4547,
    )
    gaps = pd.DataFrame(
        {
            "district_id": "d1",
            "year": [2030, 2030],
            "level": ["primary", "junior"],
            "scenario": 90.0,
            "gap": [580.0, 140.0],
        }
    )
    adds = staged_additions(gaps, S)
    assert adds.set_index("level")["places"].to_dict() == {"primary": 810.0, "junior": 600.0}
    out = locate_new_schools(adds, estates, sites, S, radius_m=2000.0).set_index("level")
    assert out.loc["primary", "site_id"] == "s1"
    assert out.loc["junior", "site_id"] == "s2"
    # the other way round when junior needs more
    swapped = gaps.assign(gap=[140.0, 580.0])
    out = locate_new_schools(staged_additions(swapped, S), estates, sites, S, radius_m=2000.0)
    assert out.set_index("level").loc["junior", "site_id"] == "s1"


def test_each_rationale_sentence_quotes_one_year_and_its_numbers() -> None:
    """Hand-computed: junior gaps −100 (2026), 900 (2028) and 2,000 (2030) at 85 per 1,000.

    The largest gap, 2,000 in 2030, sizes the additions: a 30-class school (1,500 places)
    needed from 2028, when 900 are missing, and a 12-class one (600) from 2030. Decided in
    2026, a new school takes 3 years: the first opens in 2029, the second when needed.
    """
    g = pd.DataFrame(
        {
            "district_id": "a",
            "year": [2026, 2028, 2030],
            "level": "junior",
            "scenario": 85.0,
            "gap": [-100.0, 900.0, 2000.0],
        }
    )
    t = proposals_table(builds=staged_additions(g, S))
    assert t[["needed_year", "year", "places", "sized_year", "sized_gap"]].values.tolist() == [
        [2028, 2029, 1500.0, 2030, 2000.0],
        [2030, 2030, 600.0, 2030, 2000.0],
    ]
    assert t["rationale_en"].iloc[0] == (
        "District a, 2030: 2,000 junior places missing at 85 per 1,000 residents. "
        "Needed from 2028 (gap 900 that year): build a 30-class junior school (1,500 places). "
        "Opens in 2029 (a new school takes 3 years to deliver; the gap stays open until then)."
    )
    assert t["rationale_en"].iloc[1].endswith("(600 places). Opens in 2030.")
    year = re.compile(r"(?<![\d,])20\d\d(?![\d,])")
    for row in t.itertuples():
        for text, stop in ((row.rationale_en, ". "), (row.rationale_zh, "。")):
            first, second, third = text.split(stop, 2)
            # one year per sentence, and the numbers of that year
            assert year.findall(first) == [str(row.sized_year)]
            assert f"{row.sized_gap:,.0f}" in first and "85" in first
            assert year.findall(second) == [str(row.needed_year)]
            gap_then = g.set_index("year").loc[row.needed_year, "gap"]
            assert f"{gap_then:,.0f}" in second
            assert f"{row.places:,.0f}" in second and f"{row.classes}" in second
            assert year.findall(third) == [str(row.year)]


def _junior_gaps() -> pd.DataFrame:
    """District a's junior gaps at 85: 2026 −100, 2028 900, 2029 1,500, 2030 2,000."""
    return pd.DataFrame(
        {
            "district_id": "a",
            "year": [2026, 2028, 2029, 2030],
            "level": "junior",
            "scenario": 85.0,
            "gap": [-100.0, 900.0, 1500.0, 2000.0],
        }
    )


def test_the_programme_adds_places_in_their_opening_year() -> None:
    """Hand-computed: the two junior schools above, 1,500 places opening 2029, 600 in 2030.

    Gap without the programme: 2026 −100, 2028 900, 2029 1,500, 2030 2,000. Left after it:
    −100, 900 (nothing open yet), 0, −100 (2,100 places added against 2,000).
    """
    g = _junior_gaps()
    p = build_programme(proposals_table(builds=staged_additions(g, S)), g)
    assert p["new_schools"].tolist() == [0, 0, 1, 1]
    assert p["places_added"].tolist() == [0.0, 0.0, 1500.0, 600.0]
    assert p["cumulative_places"].tolist() == [0.0, 0.0, 1500.0, 2100.0]
    assert p["remaining_gap"].tolist() == [-100.0, 900.0, 0.0, -100.0]
    # a school opening after the last year of the gaps gets its own row, gap unknown
    late = staged_additions(g.assign(year=g["year"] - 2), S, base_year=2026)
    assert late["year"].tolist() == [2029, 2029]
    p = build_programme(late, g.assign(year=g["year"] - 2))
    assert p["year"].tolist() == [2024, 2026, 2027, 2028, 2029]
    assert math.isnan(p["gap"].iloc[-1]) and p["places_added"].iloc[-1] == 2100.0


def _junior_merger() -> pd.DataFrame:
    """A 270-place junior school of district a merged away from 2029, at 85."""
    return pd.DataFrame(
        {
            "kind": ["merger"],
            "district_id": "a",
            "level": "junior",
            "scenario": 85.0,
            "year": 2029,
            "places": -270.0,
        }
    )


def test_a_merger_takes_its_places_out_of_the_programme() -> None:
    """Hand-computed: the programme above, plus a 270-place junior school merged from 2029.

    Places opened to date 0, 0, 1,500, 2,100; net of the 270 closed from 2029: 0, 0, 1,230,
    1,830. Left missing: −100, 900, 1,500 − 1,230 = 270, 2,000 − 1,830 = 170 (the merger's
    places must be found again: without it the programme looked 100 places ahead). A
    merger with no scenario counts in both scenarios.
    """
    g = _junior_gaps()
    merger = _junior_merger()
    builds = proposals_table(builds=staged_additions(g, S))
    p = build_programme(pd.concat([builds, merger], ignore_index=True), g)
    assert p["closures"].tolist() == [0, 0, 1, 0]
    assert p["places_closed"].tolist() == [0.0, 0.0, 270.0, 0.0]
    assert p["places_added"].tolist() == [0.0, 0.0, 1500.0, 600.0]
    assert p["cumulative_places"].tolist() == [0.0, 0.0, 1230.0, 1830.0]
    assert p["remaining_gap"].tolist() == [-100.0, 900.0, 270.0, 170.0]
    both = pd.concat([g, g.assign(scenario=90.0, gap=g["gap"] + 100.0)], ignore_index=True)
    p = build_programme(merger.assign(scenario=math.nan), both)
    closed = p.groupby("scenario")["places_closed"].sum()
    assert closed.to_dict() == {85.0: 270.0, 90.0: 270.0}
    last = p[p["year"] == 2030].set_index("scenario")["remaining_gap"]
    assert last.to_dict() == {85.0: 2270.0, 90.0: 2370.0}


def test_each_scenario_gets_its_own_additions() -> None:
    """Hand-computed: a primary gap of 1,000 places at 80 per 1,000 and 1,400 at 90.

    At 80 one 24-class school (1,080 places) closes it; at 90 a 30-class school (1,350)
    leaves 50, met by a 12-class one (540).
    """
    g = pd.DataFrame(
        {
            "district_id": "d1",
            "year": 2030,
            "level": "primary",
            "scenario": [80.0, 90.0],
            "gap": [1000.0, 1400.0],
        }
    )
    out = staged_additions(g, S, base_year=2026)
    by = out.groupby("scenario")
    assert by["classes"].apply(list).to_dict() == {80.0: [24], 90.0: [30, 12]}
    assert by["places"].sum().to_dict() == {80.0: 1080.0, 90.0: 1890.0}
    # the map draws the scenario shown, and proposals of no scenario (kindergartens)
    table = proposals_table(builds=out)
    table.loc[len(table)] = table.iloc[0]
    table.loc[len(table) - 1, ["kind", "scenario"]] = ["kindergarten", math.nan]
    shown = proposals_of_scenario(table, 90.0)
    assert shown["scenario"].tolist()[:2] == [90.0, 90.0] and shown["scenario"].isna().sum() == 1
    assert len(shown) == 3


def test_a_merger_per_scenario_is_one_row_with_its_own_receivers() -> None:
    """The same merger planned in two scenarios: two rows, each naming its receiver once
    and moving the school's 60 pupils once."""
    flow = pd.DataFrame(
        {
            "school_id": "small",
            "district_id": "d1",
            "level": "primary",
            "receiver_id": "big",
            "pupils_moved": 60.0,
            "distance_m": 800.0,
            "beyond_radius": False,
            "year": 2026,
            "places": 180.0,
            "utilisation": 0.33,
        },
        index=[0],
    )
    both = pd.concat([flow.assign(scenario=80.0), flow.assign(scenario=90.0)])
    t = proposals_table(mergers=both)
    assert t["scenario"].tolist() == [80.0, 90.0]
    assert t["receiver_ids"].tolist() == ["big", "big"]
    assert t["pupils_moved"].tolist() == [60.0, 60.0]


def test_builds_replace_the_places_a_merger_closes() -> None:
    """Hand-computed: the junior district above, and a 270-place school merged from 2029.

    The additions must cover gap + closed: 900 in 2028, 1,500 + 270 = 1,770 in 2029,
    2,000 + 270 = 2,270 in 2030. A 30-class school (1,500 places) is needed from 2028; the
    770 left need an 18-class one (900 places) from 2029, when 1,770 > 1,500. Net of the
    closure the programme then has 2,130 places by 2030: nothing is left missing.
    """
    g = _junior_gaps()
    flows = pd.DataFrame(  # one school, its pupils to two receivers: closed once
        {
            "school_id": ["s", "s", "lost"],
            "district_id": "a",
            "level": "junior",
            "scenario": 85.0,
            "places": [270.0, 270.0, 540.0],
            "year": 2029,
            "receiver_id": ["r1", "r2", None],  # "lost": its pupils fit nowhere, it stays
        }
    )
    need = with_closures(g, flows)
    assert need["closed"].tolist() == [0.0, 0.0, 270.0, 270.0]
    assert need["gap"].tolist() == g["gap"].tolist()
    out = staged_additions(need, S)
    assert out[["needed_year", "year", "places", "classes"]].to_dict("list") == {
        "needed_year": [2028, 2029],
        "year": [2029, 2029],
        "places": [1500.0, 900.0],
        "classes": [30, 18],
    }
    assert out["closed"].tolist() == [0.0, 270.0]
    assert out[["sized_year", "sized_gap", "sized_closed"]].iloc[0].tolist() == [2030, 2000, 270]
    table = proposals_table(builds=out)
    assert table["sized_closed"].tolist() == [270.0, 270.0]
    merger = _junior_merger()
    p = build_programme(pd.concat([table, merger], ignore_index=True), g)
    assert p["cumulative_places"].tolist() == [0.0, 0.0, 2130.0, 2130.0]
    assert p["remaining_gap"].tolist() == [-100.0, 900.0, -630.0, -130.0]
    en = table["rationale_en"].tolist()
    assert en[0].startswith(
        "District a, 2030: 2,000 junior places missing at 85 per 1,000 residents, and 270 "
        "closed by mergers to replace. Needed from 2028 (gap 900 that year): build a "
        "30-class junior school"
    )
    assert (
        "Needed from 2029 (gap 1,500 that year, plus 270 closed by mergers): build an "
        "18-class junior school (900 places)" in en[1]
    )
    zh = table["rationale_zh"].tolist()
    assert "小学" not in zh[1] and "另需补回撤并学校的270个学位" in zh[0]
    assert "2029年起需要（当年缺口1,500个，另撤并270个）" in zh[1]
    # without closures nothing is said of them
    plain = proposals_table(builds=staged_additions(g, S))
    assert plain["sized_closed"].tolist() == [0.0, 0.0]
    assert not plain["rationale_en"].str.contains("merger").any()


def test_the_plan_builds_again_what_its_mergers_close(changsha_result) -> None:
    """On the demo: wherever a merger closes a school, the district's builds cover its gap
    plus the closed places, and the programme leaves nothing missing that the builds
    could have met (from the first year a new school can open)."""
    r = changsha_result
    props = r.proposals
    mergers = props[props["kind"] == "merger"]
    assert len(mergers)
    builds = props[props["kind"].isin(["new_build", "expansion"])]
    keys = ["scenario", "district_id", "level"]
    for (scen, did, level), closed in mergers.groupby(keys)["places"]:
        mine = builds[
            (builds["scenario"] == scen)
            & (builds["district_id"] == did)
            & (builds["level"] == level)
        ]
        assert (mine["sized_closed"] == -closed.sum()).all()
        assert mine["places"].sum() >= mine["sized_gap"].iloc[0] - closed.sum()
    prog = r.programme
    opens = int(builds["year"].min())
    late = prog[(prog["year"] >= opens) & prog["gap"].notna()]
    assert (late["remaining_gap"] <= 0.5).all(), late[late["remaining_gap"] > 0.5]
