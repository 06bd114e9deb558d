"""The district popup's chart and figures, against hand-computed positions and values."""

from __future__ import annotations

import re

import pandas as pd

from xuewei.maps._district_chart import ChartYear, district_chart, district_popups
from xuewei.maps.plan_map import GAP_SHORTAGE, GAP_SURPLUS


def test_chart_positions_by_hand() -> None:
    """Values 100..150 with steps of 20: axis 100..160 over y 110 (bottom) .. 8 (top)."""
    rows = [
        ChartYear(2024, required=100, lower=100, upper=100, offered=120),
        ChartYear(2026, required=130, lower=110, upper=150, offered=120),
    ]
    svg = district_chart(rows, 2026, "en")
    # range 50 / 3 = 16.7 -> step 20; axis 100 .. 160; 102 px over 60 places: 1.7 px a place
    labels = re.findall(r">([\d,]+)</text>", svg)
    assert labels[:4] == ["100", "120", "140", "160"] and labels[4:] == ["2024", "2025", "2026"]
    # x: 2024 at the left margin (52), 2026 at the right (272)
    required = re.search(rf'stroke="{GAP_SHORTAGE[2]}" stroke-width="2" points="([^"]+)"', svg)
    assert required is not None and required.group(1) == "52.0,110.0 272.0,59.0"
    offered = re.search(rf'stroke="{GAP_SURPLUS[2]}" stroke-width="2" points="([^"]+)"', svg)
    assert offered is not None and offered.group(1) == "52.0,76.0 272.0,76.0"
    # the band: upper 100 -> 150 then lower 110 -> 100, as a closed polygon
    band = re.search(r'<polygon[^>]*points="([^"]+)"', svg)
    assert band is not None and band.group(1) == "52.0,110.0 272.0,25.0 272.0,93.0 52.0,110.0"
    # the year shown is marked at its x
    assert 'x1="272.0" x2="272.0"' in svg


def test_chart_of_nothing_is_empty() -> None:
    assert district_chart([], 2030, "zh") == ""
    nan = float("nan")
    assert district_chart([ChartYear(2030, nan, nan, nan, nan)], 2030, "zh") == ""


def test_popups_per_view_with_chance_of_shortfall() -> None:
    districts = pd.DataFrame({"district_id": ["a", "b"], "name": ["甲区", "乙区"]})
    gaps = pd.DataFrame(
        {
            "district_id": ["a", "a", "a", "a"],
            "level": ["compulsory"] * 4,
            "year": [2024, 2025, 2024, 2025],
            "scenario": [85.0, 85.0, 90.0, 90.0],
            "required": [1_000.0, 1_200.0, 1_060.0, 1_271.0],
            "required_lower": [1_000.0, 1_100.0, 1_060.0, 1_165.0],
            "required_upper": [1_000.0, 1_300.0, 1_060.0, 1_376.0],
            "offered": [1_100.0] * 4,
            "gap": [-100.0, 100.0, -40.0, 171.0],
            "p_shortfall": [0.0, 0.84, 0.0, 0.95],
        }
    )
    views = [(2024, 85.0), (2024, 90.0), (2025, 85.0), (2025, 90.0)]
    popups = district_popups(districts, gaps, views, level="compulsory", lang="en")
    assert len(popups) == 4 and all(len(p) == 2 for p in popups)
    shown = popups[3][0]  # 2025 at 90
    assert "<b>2025</b>" in shown
    assert "1,271 (1,165–1,376)" in shown and "+171" in shown
    assert "Chance of shortfall</th><td>95.0%" in shown
    assert "Places per 1,000 90" in shown and "<svg" in shown
    # a district without rows has its name only
    assert "乙区" in popups[0][1] and "<svg" not in popups[0][1]
    # without the chance column, no such line
    plain = district_popups(
        districts, gaps.drop(columns="p_shortfall"), views, level="compulsory", lang="en"
    )
    assert "Chance of shortfall" not in plain[3][0]
