"""Static (matplotlib) plan maps: layers, legend, north arrow, scale bar, fonts, PNG."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from shapely.geometry import Point, box

from xuewei.errors import InputError
from xuewei.maps._figure import round_length
from xuewei.maps.plan_map import GAP_SHORTAGE, GAP_SURPLUS, UTILISATION_COLOURS
from xuewei.maps.static import cjk_font, static_map
from xuewei.pipeline import PlanResult

ARTIFACTS = Path(__file__).parents[1] / "artifacts"


@pytest.fixture
def districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "district_id": ["yl", "tx"],
            "name": ["岳麓区", "天心区"],
            "name_en": ["Yuelu", "Tianxin"],
        },
        geometry=[box(112.80, 28.10, 112.95, 28.25), box(112.95, 28.05, 113.05, 28.20)],
        crs="EPSG:4326",
    )


@pytest.fixture
def gaps() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "district_id": ["yl", "tx"],
            "level": "compulsory",
            "year": 2030,
            "scenario": 85.0,
            "residents": [1_200_000, 800_000],
            "required": [102_000, 68_000],
            "offered": [93_000, 74_000],
            "gap": [9_000, -6_000],
        }
    )


@pytest.fixture
def schools() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "school_id": ["s1", "s2", "s3"],
            "name": ["麓山国际实验学校", "长郡中学", "<img src=x onerror=alert(1)>"],
            "level": ["primary", "junior", "primary"],
            "capacity": [2_160, 1_800, 540],
            "utilisation": [1.12, 0.9, np.nan],
        },
        geometry=[Point(112.90, 28.20), Point(113.00, 28.10), Point(112.85, 28.15)],
        crs="EPSG:4326",
    )


@pytest.fixture
def layers(schools) -> dict:
    estates = gpd.GeoDataFrame(
        {
            "estate_id": ["e1", "e2"],
            "name": ["梅溪湖一期", "洋湖"],
            "residents": [12_000, 3_000],
            "unserved": [False, True],
        },
        geometry=[Point(112.88, 28.19), Point(113.01, 28.12)],
        crs="EPSG:4326",
    )
    catchments = gpd.GeoDataFrame(
        {"school_id": ["s1"], "level": ["primary"]},
        geometry=[box(112.86, 28.16, 112.94, 28.24)],
        crs="EPSG:4326",
    )
    proposals = gpd.GeoDataFrame(
        {"proposal_id": ["p1"], "kind": ["new_build"], "estate_ids": ["e2"]},
        geometry=[Point(113.02, 28.13)],
        crs="EPSG:4326",
    )
    mergers = pd.DataFrame(
        {"closing_school_id": ["s3"], "receiving_school_id": ["s1"], "year": [2029]}
    )
    return {
        "estates": estates,
        "catchments": catchments,
        "proposals": proposals,
        "mergers": mergers,
    }


def _legend_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_legend().get_texts()]


def _all_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(mpl.text.Text)]


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=60, metadata={"Software": None})
    return buffer.getvalue()


def test_layers_legend_arrow_and_scale(districts, schools, gaps, layers) -> None:
    fig = static_map(
        districts,
        schools,
        gaps=gaps,
        scenario=85,
        year=2030,
        title="长沙市学位规划",
        data_note="SYNTHETIC / 合成数据",
        **layers,
    )
    legend = _legend_texts(fig)
    # max |gap| 9,000 -> classes of 5,000 places
    assert "不足 shortage > 10,000" in legend and "富余 surplus 1–5,000" in legend
    for text in [
        "学校学位使用率（在校生÷学位） School utilisation (enrolment ÷ places)",
        "< 85%",
        "未覆盖 unserved",
        "服务范围 Catchments",
        "新建学校 New school",
        "学校撤并 School mergers",
    ]:
        assert text in legend, text
    texts = _all_texts(fig)
    assert "N" in texts  # the north arrow
    assert any(t.endswith(" km") for t in texts)  # the scale bar
    assert "岳麓区" in texts and "天心区" in texts
    assert "⚠ SYNTHETIC / 合成数据" in texts
    title = fig.get_suptitle()
    assert title.startswith("长沙市学位规划\n") and "千人指标 85" in title and "2030" in title
    # the district fills follow the gap classes of the HTML map
    fills = {tuple(np.round(c.get_facecolor()[0][:3], 3)) for c in fig.axes[0].collections[:1]}
    expected = {
        tuple(np.round(mpl.colors.to_rgb(GAP_SHORTAGE[1]), 3)),
        tuple(np.round(mpl.colors.to_rgb(GAP_SURPLUS[1]), 3)),
    }
    districts_fill = {
        tuple(np.round(rgba[:3], 3)) for rgba in fig.axes[0].collections[0].get_facecolor()
    }
    assert districts_fill == expected, fills
    # the schools' colours by utilisation
    school_colours = {
        tuple(np.round(rgba[:3], 3)) for c in fig.axes[0].collections for rgba in c.get_facecolor()
    }
    for key in ("over", "near", "unknown"):
        assert tuple(np.round(mpl.colors.to_rgb(UTILISATION_COLOURS[key]), 3)) in school_colours
    assert len(_png(fig)) > 10_000


def test_png_is_deterministic(districts, schools, gaps, layers) -> None:
    def draw() -> bytes:
        return _png(
            static_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t", **layers)
        )

    assert draw() == draw()


def test_english_labels(districts, schools, gaps) -> None:
    fig = static_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t", lang="en")
    legend = _legend_texts(fig)
    assert "School utilisation (enrolment ÷ places)" in legend
    assert "学校学位使用率" not in " ".join(legend)
    assert "Yuelu" in _all_texts(fig)
    assert "85 places per 1,000" in fig.get_suptitle()


def test_inputs_checked(districts, schools, gaps) -> None:
    with pytest.raises(InputError, match="scenario=95 is not in the table"):
        static_map(districts, schools, gaps=gaps, scenario=95, year=2030, title="t")


def test_round_scale_lengths() -> None:
    assert round_length(2_345.0) == 2_000.0
    assert round_length(7_999.0) == 5_000.0
    assert round_length(10_000.0) == 10_000.0
    assert round_length(0.0) == 1.0


def test_cjk_font_installed() -> None:
    # Debian's fonts-noto-cjk (installed by `make browser`) gives Noto Sans CJK
    assert cjk_font() is not None, "no CJK font: run `make browser` (installs fonts-noto-cjk)"


def test_changsha_static_map_for_a_person_to_look_at(changsha_result: PlanResult) -> None:
    result = changsha_result
    fig = static_map(
        result.districts,
        result.schools,
        gaps=result.gaps,
        estates=result.estates,
        scenario=result.standards.default_scenario,
        year=result.plan.horizon,
        title=f"{result.plan.name} {result.plan.name_en}",
        data_note=result.plan.data_note,
        capacity_col="places",
    )
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "static_changsha.png"
    fig.savefig(path, dpi=110)
    assert path.stat().st_size > 50_000


def _without_cjk_fonts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make matplotlib's font list look as if it was cached before the CJK fonts came.

    The list is replaced for this test only (restored by monkeypatch); the cache on disk
    is not touched.
    """
    from matplotlib import font_manager

    from xuewei.maps import static

    manager = font_manager.fontManager
    cjk_files = {f.fname for f in manager.ttflist if f.name in static.CJK_FONTS}
    stale = [f for f in manager.ttflist if f.fname not in cjk_files]
    monkeypatch.setattr(manager, "ttflist", stale)
    cjk_font.cache_clear()


@pytest.fixture
def fresh_cjk_lookup() -> Iterator[None]:
    # torn down before monkeypatch restores the font list: the next lookup sees it whole
    cjk_font.cache_clear()
    yield
    cjk_font.cache_clear()


def test_cjk_font_found_when_font_cache_predates_the_font(monkeypatch, fresh_cjk_lookup) -> None:
    installed = cjk_font()
    if installed is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    _without_cjk_fonts(monkeypatch)
    # the lookup adds the system fonts matplotlib had not listed, once, and finds one
    assert cjk_font() is not None


def test_cjk_font_none_when_no_font_is_installed(monkeypatch, fresh_cjk_lookup) -> None:
    from matplotlib import font_manager

    _without_cjk_fonts(monkeypatch)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *args, **kwargs: [])
    assert cjk_font() is None
