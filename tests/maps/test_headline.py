"""The title box's headline and reach lines, checked against hand-computed tables."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from xuewei.maps._headline import headline_notes, reach_notes


def _gaps() -> pd.DataFrame:
    rows = []
    for district, residents, required, offered in (
        ("a", (100_000, 110_000), (8_500, 9_350), 9_000),
        ("b", (50_000, 60_000), (4_250, 5_100), 3_000),
    ):
        for year, res, req in zip((2024, 2030), residents, required, strict=True):
            rows.append(
                {
                    "district_id": district,
                    "level": "compulsory",
                    "year": year,
                    "scenario": 85.0,
                    "residents": res,
                    "required": req,
                    "offered": offered,
                }
            )
    return pd.DataFrame(rows)


def test_headline_hand_computed() -> None:
    """2030: residents 150,000 → 170,000; required 9,350 + 5,100 = 14,450; offered
    12,000; gap +2,450; one school over capacity; one new school opens by 2030."""
    schools = gpd.GeoDataFrame({"over_capacity": pd.array([True, False, None], "boolean")})
    proposals = gpd.GeoDataFrame({"kind": ["new_build", "new_build", "expansion"],
                                  "year": [2027, 2031, 2026]})  # fmt: skip
    lines = headline_notes(_gaps(), schools, proposals, scenario=85.0, year=2030, lang="en")
    assert lines == [
        "Residents 150,000 (2024) → 170,000 (2030) · Required 14,450 · Offered 12,000 · Gap +2,450",
        "schools over capacity in 2024 (enrolment): 1 · new schools open by 2030: 1",
    ]


def test_reach_lines_take_the_plan_total_of_the_year_shown() -> None:
    reach = pd.DataFrame(
        {
            "level": ["primary", "primary", "primary"],
            "year": [2024, 2024, 2035],
            "district_id": ["total", "a", "total"],
            "settlement": ["all", "all", "all"],
            "served_share": [0.5, 0.9, 0.4],
            "over_capacity_share": [0.2, 0.1, 0.25],
            "out_of_reach_share": [0.3, 0.0, 0.35],
        }
    )
    assert reach_notes(reach, 2030, "en") == [
        "Primary 2024: served 50% · schools full 20% · out of reach 30%"
    ]
    assert reach_notes(reach, 2035, "en")[0].endswith("out of reach 35%")


def test_headline_gives_the_figures_of_the_level_drawn() -> None:
    """A map drawn for primary gives primary figures under its primary label (it gave the
    compulsory ones): primary = 2/3 of the compulsory rows here, hand-computed."""
    compulsory = _gaps()
    primary = compulsory.assign(
        level="primary",
        required=compulsory["required"] * 2 // 3,
        offered=compulsory["offered"] * 2 // 3,
    )
    gaps = pd.concat([compulsory, primary], ignore_index=True)
    lines = headline_notes(
        gaps, gpd.GeoDataFrame(), None, scenario=85.0, year=2030, lang="en", level="primary"
    )
    # 2030 primary: required 9,350 × 2/3 = 6,233 + 5,100 × 2/3 = 3,400; offered 6,000 + 2,000
    assert lines[0] == (
        "Residents 150,000 (2024) → 170,000 (2030) · Required 9,633 · Offered 8,000 · Gap +1,633"
    )
