"""Synthetic school resources: seeded, added beside the existing columns, labelled synthetic."""

from __future__ import annotations

import pandas as pd

from xuewei.data import CHANGSHA_DIR, load_standards
from xuewei.data.synth import ATTRIBUTE_COLUMNS, synth_school_attributes
from xuewei.planning.readiness import school_indicators


def test_same_seed_same_attributes_and_other_columns_untouched() -> None:
    s = pd.DataFrame(
        {
            "school_id": ["p", "j", "n", "k"],
            "level": ["primary", "junior", "nine_year", "kindergarten"],
            "district_id": ["a", "a", "b", "b"],
            "capacity": [1080, 1200, 1680, 270],
        }
    )
    a = synth_school_attributes(s, seed=5)
    b = synth_school_attributes(s, seed=5)
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(a[s.columns], s)
    assert a.loc[3, ATTRIBUTE_COLUMNS].isna().all()  # kindergartens get none
    assert not a.loc[:2, ATTRIBUTE_COLUMNS].isna().any().any()


def test_changsha_schools_carry_the_seven_resources_and_stay_synthetic() -> None:
    schools = pd.read_csv(CHANGSHA_DIR / "schools.csv", dtype={"district_id": str})
    assert list(schools.columns[-9:-2]) == ATTRIBUTE_COLUMNS
    assert schools["synthetic"].all()
    ind = school_indicators(schools, load_standards())
    assert ind.attrs["missing_columns"] == []
    # plausible: most schools meet each minimum, not all
    share = ind.groupby("indicator")["meets"].mean()
    assert share.between(0.6, 1.0).all(), share
    assert "synthetic" in (CHANGSHA_DIR / "SOURCES.md").read_text(encoding="utf-8")
