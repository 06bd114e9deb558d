"""plan_map refuses inputs and options it cannot draw, naming every problem."""

from __future__ import annotations

import pandas as pd
import pytest
from map_helpers import render_page

from xuewei import maps
from xuewei.errors import CRSError, InputError


def test_bad_lang(districts, schools, gaps) -> None:
    with pytest.raises(ValueError, match="lang='fr'"):
        maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t", lang="fr")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scenario": 87.5}, r"scenario=87.5 is not in the table; available: 80, 85, 90"),
        ({"year": 2040}, r"year=2040 is not in the table; available: 2025, 2030"),
        ({"level": "senior"}, r"level=senior is not in the table; available: compulsory"),
    ],
)
def test_selection_not_in_gaps(districts, schools, gaps, kwargs, message) -> None:
    options = {"scenario": 85, "year": 2030, "title": "t", **kwargs}
    with pytest.raises(ValueError, match=message):
        maps.plan_map(districts, schools, gaps=gaps, **options)
    with pytest.raises(InputError):
        maps.plan_map(districts, schools, gaps=gaps, **options)


def test_level_missing_for_that_scenario_and_year(districts, schools, gaps) -> None:
    gaps = gaps[~((gaps["year"] == 2030) & (gaps["level"] == "junior"))]
    with pytest.raises(InputError, match="no rows for scenario 85, year 2030, level junior"):
        maps.plan_map(
            districts, schools, gaps=gaps, scenario=85, year=2030, level="junior", title="t"
        )


def test_non_numeric_gaps(districts, schools, gaps) -> None:
    with pytest.raises(InputError, match="column `gap`: got str values; expected numbers"):
        maps.plan_map(
            districts,
            schools,
            gaps=gaps.assign(gap=gaps["gap"].astype(str)),
            scenario=85,
            year=2030,
            title="t",
        )


def test_all_problems_reported_at_once(districts, schools, gaps) -> None:
    with pytest.raises(InputError, match="2 problems") as info:
        maps.plan_map(
            districts, schools.drop(columns="level"), gaps=gaps, scenario=1, year=2030, title="t"
        )
    text = str(info.value)
    assert "schools, column `level`: column missing" in text
    assert "scenario=1 is not in the table" in text


def test_gap_district_not_in_districts(districts, schools, gaps) -> None:
    with pytest.raises(InputError, match="district_id 'tx' not in districts"):
        maps.plan_map(
            districts[districts["district_id"] != "tx"],
            schools,
            gaps=gaps,
            scenario=85,
            year=2030,
            title="t",
        )


def test_duplicate_gap_rows(districts, schools, gaps) -> None:
    doubled = pd.concat([gaps, gaps.iloc[[0]]], ignore_index=True)
    with pytest.raises(InputError, match="more than one row for district / level yl / primary"):
        maps.plan_map(districts, schools, gaps=doubled, scenario=80, year=2025, title="t")


def test_missing_crs(districts, schools, gaps) -> None:
    with pytest.raises(CRSError, match="schools: no CRS"):
        maps.plan_map(
            districts,
            schools.set_crs(None, allow_override=True),
            gaps=gaps,
            scenario=85,
            year=2030,
            title="t",
        )


def test_merger_with_unknown_school(districts, schools, gaps) -> None:
    mergers = pd.DataFrame(
        {"closing_school_id": ["s9"], "receiving_school_id": ["s1"], "year": [2029]}
    )
    with pytest.raises(InputError, match=r"mergers row 1, column `closing_school_id`: 's9'"):
        render_page(districts, schools, gaps, mergers=mergers)
    with pytest.raises(
        InputError, match="mergers: no line geometries and no closing and receiving school ids"
    ):
        render_page(districts, schools, gaps, mergers=mergers.drop(columns="receiving_school_id"))


def test_layer_columns_checked(districts, schools, gaps, catchments, proposals) -> None:
    with pytest.raises(InputError, match="2 problems") as info:
        render_page(
            districts,
            schools,
            gaps,
            catchments=catchments.drop(columns="level"),
            proposals=proposals.drop(columns="kind"),
        )
    assert "catchments, column `level`" in str(info.value)
    assert "proposals, column `kind`" in str(info.value)


def test_bad_options_raise_config_errors(districts, schools, gaps) -> None:
    from xuewei.errors import ConfigError

    with pytest.raises(ConfigError, match="lang='fr' is not supported; use one of zh, en, both"):
        render_page(districts, schools, gaps, lang="fr")
    with pytest.raises(ConfigError, match="tiles='google' is not a base map") as info:
        render_page(districts, schools, gaps, tiles="google")
    assert info.value.column == "tiles"
    with pytest.raises(ConfigError, match="needs tianditu_key"):
        render_page(districts, schools, gaps, tiles="tianditu")
