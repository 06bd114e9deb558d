"""The ensemble's backtest scores the series as revised today, not the re-counts of censuses.

Changsha's year-end estimates for 2011–2019 were re-based by the 2020 census (+16.3 %).
A backtest that cut the history at 2017 and re-based only what was known then charged the
1-year forecasts with that re-count (17–21 % errors), and the city's 1-year interval was
±20 %. The backtest now runs on the final-vintage history.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xuewei.forecast import census_closures, final_vintage, forecast_ensemble, rebase_intercensal


def _rebased_city(jump: float) -> pd.DataFrame:
    """A city growing 2 % a year, whose estimates from 2011 to 2019 undercount it.

    The estimates grow 2 % a year from the 2010 census but fall behind the truth
    geometrically, so that the 2020 census is ``jump`` above the estimate chain carried
    to 2020; after it the estimates are right.
    """
    years = np.arange(2000, 2025)
    truth = 1e6 * 1.02 ** (years - 2010)
    ratio = 1.0 + jump
    share = np.clip((years - 2010) / 10.0, 0.0, 1.0)
    reported = np.where((years > 2010) & (years < 2020), truth / ratio**share, truth)
    basis = np.where(np.isin(years, [2000, 2010, 2020]), "census", "estimate")
    return pd.DataFrame({"district_id": "c", "year": years, "population": reported, "basis": basis})


def test_closure_ratio_hand_computed():
    # Changsha: 2019 estimate 8,394,500 grew from 8,154,700 in 2018, carried one year;
    # the 2020 census counted 10,047,914
    h = pd.DataFrame(
        {
            "district_id": "430100",
            "year": [2010, 2018, 2019, 2020],
            "population": [7040952, 8154700, 8394500, 10047914],
            "basis": ["census", "estimate", "estimate", "census"],
        }
    )
    closures = census_closures(h)
    expected = 10047914 / (8394500 * 8394500 / 8154700)
    assert closures["census_year"].tolist() == [2020]
    assert closures["ratio"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert expected == pytest.approx(1.1628, abs=1e-4)


def test_final_vintage_is_rebased_and_needs_no_more_rebasing():
    h = _rebased_city(0.15)
    final = final_vintage(h)
    np.testing.assert_allclose(final["population"], rebase_intercensal(h)["population"])
    assert set(final["basis"]) == {"estimate"}
    assert len(final) == len(h)
    # cut at any year, nothing is re-based a second time
    cut = final[final["year"] <= 2017]
    np.testing.assert_allclose(rebase_intercensal(cut)["rebase_factor"], 1.0)


@settings(max_examples=40, deadline=None)
@given(st.floats(-0.2, 0.3), st.floats(1e3, 1e7))
def test_final_vintage_is_idempotent(jump, size):
    h = _rebased_city(jump).assign(population=lambda t: t["population"] * size / 1e6)
    once = final_vintage(h)
    np.testing.assert_allclose(final_vintage(once)["population"], once["population"])
    # the census counts themselves are never changed
    censuses = h["basis"].eq("census").to_numpy()
    np.testing.assert_array_equal(once["population"][censuses], h["population"][censuses])


def test_census_rebasing_does_not_widen_the_one_year_interval():
    # the revised series grows exactly 2 % a year: a 1-year forecast is all but certain;
    # the old backtest charged it with the 15 % re-count and gave about ±15 %
    pop = _rebased_city(0.15)
    f = forecast_ensemble(pop, ["c"], horizon=2030)
    first = f[(f["year"] == 2025)].iloc[0]
    assert first["value"] == pytest.approx(1e6 * 1.02**15, rel=0.01)
    assert first["upper"] / first["value"] - 1 < 0.03
    assert 1 - first["lower"] / first["value"] < 0.03
    assert first["lower"] < first["value"] < first["upper"]
