"""Cell checks of the data contract: school levels.

Fixture files are written into ``tmp_path`` from small frames, so each test shows its data.
"""

from __future__ import annotations

import pytest

from xuewei.gis import (
    normalise_level,
)


@pytest.mark.parametrize(
    ("value", "level"),
    [
        ("小学", "primary"),
        (" 完全小学 ", "primary"),
        ("中心小学", "primary"),
        ("实验小学", "primary"),
        ("Primary School", "primary"),
        ("初中", "junior"),
        ("初级中学", "junior"),
        ("JUNIOR", "junior"),
        ("九年一贯制", "nine_year"),
        ("九年制", "nine_year"),
        ("nine_year", "nine_year"),
        ("9-year", "nine_year"),
        ("幼儿园", "kindergarten"),
        ("Kindergarten", "kindergarten"),
        ("中学", None),
        ("完全中学", None),
        ("高中", None),
        ("", None),
    ],
)
def test_normalise_level(value, level):
    assert normalise_level(value) == level
