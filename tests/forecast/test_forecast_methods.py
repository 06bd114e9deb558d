"""Forecast methods on hand-computed and analytically known series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xuewei.errors import InputError
from xuewei.forecast import (
    FORECAST_COLUMNS,
    fill_births,
    forecast_panel,
    forecast_trend,
    forecast_trends,
    panel_features,
    recut_boundaries,
)


# ---------------------------------------------------------------- trend: arima, naive, table
class TestTrendMethods:
    def test_arima_continues_exact_geometric_growth(self):
        s = pd.Series(500 * 1.04 ** np.arange(12), index=range(2013, 2025))
        f = forecast_trend(s, horizon=2030, method="arima")
        expected = 500 * 1.04 ** np.arange(12, 18)
        np.testing.assert_allclose(f["value"], expected, rtol=1e-6)
        assert (f["lower"] <= f["value"]).all() and (f["value"] <= f["upper"]).all()

    def test_arima_short_series_falls_back_to_drift(self):
        s = pd.Series([100.0, 101.0, 103.0], index=[2022, 2023, 2024])
        assert forecast_trend(s, horizon=2026, method="arima")["method"].iloc[0] == "drift"

    def test_naive_is_last_value_with_sqrt_h_interval(self):
        # annual log changes +0.1 and -0.1: rms 0.1; 80 % interval half-width 1.2816 × 0.1 × √h
        s = pd.Series(np.exp([1.0, 1.1, 1.0]), index=[2022, 2023, 2024])
        f = forecast_trend(s, horizon=2028, method="naive", interval=0.8)
        np.testing.assert_allclose(f["value"], np.e, rtol=1e-12)
        half = 1.2815515655446004 * 0.1 * np.sqrt(np.arange(1, 5))
        np.testing.assert_allclose(np.log(f["upper"]) - 1.0, half, rtol=1e-9)
        np.testing.assert_allclose(1.0 - np.log(f["lower"]), half, rtol=1e-9)

    def test_table_of_areas_with_irregular_years(self):
        # census years plus estimates: filled geometrically, then forecast from the last year
        pop = pd.DataFrame(
            {
                "district_id": ["a", "a", "a", "b", "b"],
                "year": [2010, 2015, 2020, 2018, 2020],
                "population": [100.0, 100 * 1.02**5, 100 * 1.02**10, 50.0, 50 * 1.01**2],
                "basis": ["census", "estimate", "census", "estimate", "estimate"],
            }
        )
        f = forecast_trends(pop, horizon=2022, method="drift")
        assert list(f.columns) == FORECAST_COLUMNS
        assert f.groupby("district_id")["year"].apply(list).to_dict() == {
            "a": [2021, 2022],
            "b": [2021, 2022],
        }
        a = f[f.district_id == "a"]["value"].to_numpy()
        expected = 100 * 1.02**10 * np.exp(np.log(1.02) * np.cumsum([0.9, 0.81]))
        np.testing.assert_allclose(a, expected, rtol=1e-9)

    def test_base_year_ignores_later_rows(self):
        pop = pd.DataFrame({"district_id": "a", "year": range(2010, 2020), "population": 1.0})
        pop["population"] = 100 * 1.01 ** np.arange(10)
        f = forecast_trends(pop, horizon=2020, base_year=2015, method="naive")
        assert f["year"].tolist() == [2016, 2017, 2018, 2019, 2020]
        np.testing.assert_allclose(f["value"], 100 * 1.01**5)


# ---------------------------------------------------------------- history: boundaries, births
CHANGSHA_2010 = {"430121": 979472, "430103": 475221, "430111": 724048}
CHANGSHA_2010_RECUT = {"430121": 851809, "430103": 541463, "430111": 785469}


def _changsha_mapping():
    old = CHANGSHA_2010["430121"]
    return pd.DataFrame(
        {
            "old_id": ["430121", "430121", "430121", "430103", "430111"],
            "new_id": ["430121", "430103", "430111", "430103", "430111"],
            "weight": [851809 / old, 66242 / old, 61421 / old, 1.0, 1.0],
            "until_year": 2010,
        }
    )


class TestBoundaries:
    def test_changsha_2010_recut_matches_published_recut(self):
        rows = [
            {"district_id": d, "year": 2010, "population": v, "basis": "census"}
            for d, v in CHANGSHA_2010.items()
        ]
        rows += [{"district_id": "430121", "year": 2020, "population": 1374491, "basis": "census"}]
        out = recut_boundaries(pd.DataFrame(rows), _changsha_mapping())
        got = out[out.year == 2010].set_index("district_id")["population"].astype(float)
        for d, v in CHANGSHA_2010_RECUT.items():
            assert got[d] == pytest.approx(v, abs=1e-6)
        # the total is conserved exactly; the 2020 row (after until_year) is untouched
        assert got.sum() == pytest.approx(sum(CHANGSHA_2010.values()), abs=1e-6)
        row_2020 = out[out.year == 2020].iloc[0]
        assert row_2020["population"] == 1374491 and not row_2020["recut"]
        assert out.loc[out.year == 2010, "recut"].all()

    def test_recut_rows_take_the_new_district_name(self):
        h = pd.DataFrame(
            {
                "district_id": ["x", "y"],
                "name": ["old county", "new district"],
                "year": [2010, 2020],
                "population": [100.0, 80.0],
            }
        )
        m = pd.DataFrame({"old_id": ["x", "x"], "new_id": ["x", "y"], "weight": [0.6, 0.4]})
        out = recut_boundaries(h, m).set_index(["district_id", "year"])["name"]
        assert out["y", 2010] == "new district" and out["x", 2010] == "old county"

    def test_missing_value_stays_missing(self):
        h = pd.DataFrame(
            {"district_id": ["x"], "year": [2010], "population": [100.0], "births": [np.nan]}
        )
        m = pd.DataFrame({"old_id": ["x", "x"], "new_id": ["y", "z"], "weight": [0.25, 0.75]})
        out = recut_boundaries(h, m)
        assert out["population"].tolist() == [25.0, 75.0]
        assert out["births"].isna().all()

    def test_weights_must_sum_to_one(self):
        m = pd.DataFrame({"old_id": ["x", "x"], "new_id": ["y", "z"], "weight": [0.5, 0.4]})
        h = pd.DataFrame({"district_id": ["x"], "year": [2010], "population": [1.0]})
        with pytest.raises(InputError, match=r"old district x sum to 0\.9"):
            recut_boundaries(h, m)


class TestFillBirths:
    def test_nothing_dropped_and_imputed_flagged(self):
        h = pd.DataFrame(
            {
                "district_id": "a",
                "year": [2015, 2016, 2018, 2020],
                "population": [1000.0, 1000.0, 1000.0, 2000.0],
                "births": [np.nan, 16.0, 12.0, np.nan],
            }
        )
        f = fill_births(h)
        assert f["year"].tolist() == list(range(2015, 2021))
        # 2015 takes the first known rate, 2017 the mean rate, 2019/2020 the last rate (12 ‰)
        pop_2019 = 1000.0 * np.sqrt(2.0)
        np.testing.assert_allclose(
            f["births"], [16.0, 16.0, 14.0, 12.0, 12.0 * pop_2019 / 1000, 24.0], rtol=1e-12
        )
        assert f["births_imputed"].tolist() == [True, False, True, False, True, True]

    def test_no_births_at_all_is_an_error(self):
        h = pd.DataFrame({"district_id": "a", "year": [2020], "population": [1.0]})
        with pytest.raises(InputError, match="no year with both births and population"):
            fill_births(h)


# ---------------------------------------------------------------- panel
def _panel_pop(rates=(0.01, 0.02, 0.04, -0.005), years=range(2008, 2021)):
    return pd.DataFrame(
        [
            {"district_id": f"d{k}", "year": y, "population": 1e4 * (1 + r) ** (y - years[0])}
            for k, r in enumerate(rates)
            for y in years
        ]
    )


class TestPanel:
    def test_constant_growth_learned_exactly(self):
        pop = _panel_pop()
        f = forecast_panel(pop, horizon=2025)
        rates = dict(zip(["d0", "d1", "d2", "d3"], (0.01, 0.02, 0.04, -0.005), strict=True))
        expected = 1e4 * (1 + f["district_id"].map(rates)) ** (f["year"] - 2008)
        np.testing.assert_allclose(f["value"], expected, rtol=1e-8)
        assert list(f.columns) == FORECAST_COLUMNS

    def test_features_include_births_and_completions(self):
        pop = _panel_pop()
        pop["births"] = pop["population"] * 0.01
        comp = pd.DataFrame({"district_id": ["d0"], "year": [2015], "dwellings": [50.0]})
        feats = panel_features(pop, completions=comp)
        assert {"birth_rate", "completions_per_1000"} <= set(feats.columns)
        np.testing.assert_allclose(feats["birth_rate"], 10.0)
        row = feats[(feats.district_id == "d0") & (feats.year == 2015)].iloc[0]
        assert row["completions_per_1000"] == pytest.approx(50.0 / row["population"] * 1000)

    def test_short_district_is_named(self):
        pop = pd.concat(
            [
                _panel_pop(),
                pd.DataFrame({"district_id": "new", "year": [2019, 2020], "population": 5.0}),
            ]
        )
        with pytest.raises(ValueError, match=r"\['new'\] have no panel features"):
            forecast_panel(pop, horizon=2022)

    def test_noisy_interval_covers_and_is_deterministic(self):
        rng = np.random.default_rng(0)
        pop = _panel_pop(rates=tuple(rng.uniform(-0.01, 0.05, 8)))
        pop["population"] *= rng.lognormal(0, 0.01, len(pop))
        a = forecast_panel(pop, horizon=2024)
        pd.testing.assert_frame_equal(a, forecast_panel(pop, horizon=2024))
        assert (a["lower"] <= a["value"]).all() and (a["value"] <= a["upper"]).all()
