"""Fixtures of the meeting-map tests.

Three districts, their gaps, schools, estates, catchments and proposals, with hostile
user text where users type.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from map_helpers import JS_BREAK, XSS
from shapely.geometry import Point, box


@pytest.fixture
def districts() -> gpd.GeoDataFrame:
    # drawn in a metric CRS on purpose: the map must reproject to EPSG:4326
    frame = gpd.GeoDataFrame(
        {
            "district_id": ["yl", "tx", "kf"],
            "name": ["岳麓区", "天心区", "开福区"],
            "name_en": ["Yuelu", "Tianxin", "Kaifu"],
        },
        geometry=[
            box(112.80, 28.10, 112.95, 28.25),
            box(112.95, 28.05, 113.05, 28.20),
            box(112.95, 28.20, 113.05, 28.30),
        ],
        crs="EPSG:4326",
    )
    return frame.to_crs("EPSG:4547")


def _gap_rows(district_id: str, residents: float, gaps: dict[str, float]) -> list[dict]:
    rows = []
    for scenario in (80.0, 85.0, 90.0):
        for year in (2025, 2030):
            for level, gap in gaps.items():
                offered = 10_000.0
                rows.append(
                    {
                        "district_id": district_id,
                        "level": level,
                        "year": year,
                        "scenario": scenario,
                        "residents": residents,
                        "required": offered + gap,
                        "offered": offered,
                        "gap": gap,
                    }
                )
    return rows


@pytest.fixture
def gaps() -> pd.DataFrame:
    rows = (
        # Yuelu short of places, Tianxin with spare places; Kaifu has no gap rows
        _gap_rows("yl", 1_234_567, {"primary": 3_000, "junior": 1_500, "compulsory": 4_500})
        + _gap_rows("tx", 876_543, {"primary": -2_000, "junior": -1_000, "compulsory": -3_000})
    )
    return pd.DataFrame(rows)


@pytest.fixture
def schools() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "school_id": ["s1", "s2", "s3", "s4"],
            "name": ["麓山国际实验学校", "长郡中学", XSS, JS_BREAK],
            "name_en": ["Lushan International", None, "Evil", None],
            "level": ["primary", "junior", "nine_year", "kindergarten"],
            "district_id": ["yl", "tx", "yl", "tx"],
            "capacity": [2_160, 1_800, 900, 360],
            "enrolment": [2_430, 1_620, 700, 200],
            "classes": [48, 36, 20, 12],
            "utilisation": [2_430 / 2_160, 1_620 / 1_800, np.nan, 200 / 360],
            "over_capacity": [True, False, False, False],
            "big_class": [True, False, False, False],
            "big_school": [False, True, False, False],
            "synthetic": [False, False, True, True],
        },
        geometry=[
            Point(112.90, 28.20),
            Point(113.00, 28.10),
            Point(112.85, 28.15),
            Point(113.00, 28.15),
        ],
        crs="EPSG:4326",
    )


@pytest.fixture
def estates() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "estate_id": ["e1", "e2"],
            "name": ["梅溪湖一期", XSS],
            "residents": [12_345, 3_000],
            "completion_year": [2021, 2027],
            "synthetic": [True, True],
        },
        geometry=[Point(112.88, 28.19), Point(113.01, 28.12)],
        crs="EPSG:4326",
    )


@pytest.fixture
def catchments() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"school_id": ["s1", "s2"], "level": ["primary", "junior"]},
        geometry=[box(112.86, 28.16, 112.94, 28.24), box(112.96, 28.06, 113.04, 28.14)],
        crs="EPSG:4326",
    )


@pytest.fixture
def proposals() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "proposal_id": ["p1", "p2", XSS],
            "kind": ["new_build", "kindergarten", "expansion"],
            "district_id": ["yl", "tx", "yl"],
            "level": ["primary", "kindergarten", "junior"],
            "year": [2028, 2027, 2029],
            "places": [2_160, 360, 450],
            "rationale_zh": ["梅溪湖片区缺少小学学位", "三千人以上小区无幼儿园", XSS],
            "rationale_en": ["No primary school within 500 m", "3,000+ residents", "x"],
            "estate_ids": ["e1;e2", None, None],
        },
        geometry=[Point(112.87, 28.18), Point(113.02, 28.13), Point(112.91, 28.21)],
        crs="EPSG:4326",
    )
