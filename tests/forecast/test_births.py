"""Births ahead of the data: the RMS change of births (forecast.births)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuewei.forecast import (
    births_change_sd,
)


class TestBirthsChangeSd:
    def test_births_change_sd_pooled_over_areas_and_counts_only(self):
        b = pd.DataFrame(
            {
                "district_id": ["a"] * 5 + ["b"] * 5,
                "year": [*range(2000, 2005), *range(2000, 2005)],
                "births": [100.0 * 1.1**k for k in range(5)] + [100.0 * 1.2**k for k in range(5)],
                "births_imputed": False,
            }
        )
        sd = births_change_sd(b, 2)
        # four 1-year changes of log 1.1 and four of log 1.2; three 2-year changes of each
        assert sd[0] == pytest.approx(np.sqrt((np.log(1.1) ** 2 + np.log(1.2) ** 2) / 2))
        assert sd[1] == pytest.approx(2 * sd[0])
        # an imputed value is not a count: it changes nothing (b's 2005 would be a jump)
        extra = pd.DataFrame(
            {"district_id": ["b"], "year": [2005], "births": [1e6], "births_imputed": [True]}
        )
        np.testing.assert_allclose(births_change_sd(pd.concat([b, extra]), 2), sd)
        # a span with fewer than three changes grows from the longest with three: k = 4 has
        # two (a: 2000->2004, b: 2000->2004); spread growth fitted on k = 1, 2, 3 is exactly 1
        assert births_change_sd(b, 4)[3] == pytest.approx(4 * sd[0])

    def test_births_change_sd_from_the_projected_change(self):
        # a grows 10 % a year, b 20 %; each area's forecast projects 10 % a year: a's changes
        # depart by nothing, b's by k·log(1.2 / 1.1), so the pooled RMS is k·log(1.2/1.1)/√2
        b = pd.DataFrame(
            {
                "district_id": ["a"] * 5 + ["b"] * 5,
                "year": [*range(2000, 2005), *range(2000, 2005)],
                "births": [100.0 * 1.1**k for k in range(5)] + [100.0 * 1.2**k for k in range(5)],
            }
        )
        proj = np.log(1.1) * np.arange(1, 4)
        sd = births_change_sd(b, 3, projected={"a": proj, "b": proj})
        np.testing.assert_allclose(sd, np.log(1.2 / 1.1) * np.arange(1, 4) / np.sqrt(2))
        # an area without a projection is left out; one projecting 1 span counts for 1 only
        np.testing.assert_allclose(births_change_sd(b, 3, projected={"a": proj}), 0.0, atol=1e-12)
        sd = births_change_sd(b, 2, projected={"a": proj, "b": proj[:1]})
        assert sd[0] == pytest.approx(np.log(1.2 / 1.1) / np.sqrt(2))
        # k = 2: only a's three changes, each on its projection
        assert sd[1] == pytest.approx(0.0, abs=1e-12)
