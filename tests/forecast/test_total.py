"""A table holding a city and its districts: the districts are forecast as shares of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from xuewei.cli import app
from xuewei.errors import ConfigError, InputError
from xuewei.forecast import find_total, forecast_ensemble, forecast_with_total

POPULATION = Path(__file__).resolve().parents[2] / "data" / "changsha" / "population.csv"


def _city(annual: float = 1.03) -> pd.DataFrame:
    """A city counted every year 2006–2020, its districts a and b at two censuses."""
    city = [1000.0 * annual ** (y - 2010) for y in range(2006, 2021)]
    return pd.DataFrame(
        {
            "district_id": ["c"] * 15 + ["a", "a", "b", "b"],
            "year": [*list(range(2006, 2021)), 2010, 2020, 2010, 2020],
            "population": [*city, 600.0, 700.0, 400.0, city[-1] - 700.0],
        }
    )


def test_the_total_is_the_id_the_others_sum_to():
    pop = _city()
    assert find_total(pop) == "c"
    # within 2 %: a census count and the sum of its parts differ a little
    off = pop.copy()
    off.loc[off["district_id"] == "a", "population"] *= 1.015
    assert find_total(off) == "c"
    off.loc[off["district_id"] == "a", "population"] *= 1.1
    assert find_total(off) is None
    # no total among areas that are not parts of one whole, nor with one area besides
    assert find_total(pop[pop["district_id"] != "c"]) is None
    two = pd.DataFrame({"district_id": ["x", "y"], "year": 2020, "population": [5.0, 5.0]})
    assert find_total(two) is None


def test_a_total_never_counted_with_all_its_parts_is_not_found():
    pop = _city()
    pop = pop[~((pop["district_id"] == "c") & pop["year"].isin([2010, 2020]))]
    assert find_total(pop) is None


@pytest.mark.parametrize("method", ["ensemble", "drift", "ets"])
def test_the_districts_add_up_to_the_total_every_year(method):
    r = forecast_with_total(_city(), "c", horizon=2030, method=method)
    assert r.ok
    f = r.forecasts.pivot(index="year", columns="district_id", values="value")
    ahead = f["c"].notna()
    assert ahead.sum() == 10  # 2021–2030
    np.testing.assert_allclose(f.loc[ahead, "a"] + f.loc[ahead, "b"], f.loc[ahead, "c"])
    assert set(r.forecasts.loc[r.forecasts["district_id"] != "c", "method"]) == {method}
    assert r.forecasts.attrs["weights"] == [] or {
        w["area"] for w in r.forecasts.attrs["weights"]
    } == {"c"}


def test_the_districts_are_what_the_plan_forecasts():
    """The command gives each district the plan's own forecast (forecast_ensemble)."""
    pop = _city()
    r = forecast_with_total(pop, "c", horizon=2030)
    plan = forecast_ensemble(pop, ["a", "b"], horizon=2030, city_id="c")
    plan = plan[plan["kind"] == "forecast"]
    got = r.forecasts.merge(plan, on=["district_id", "year"], suffixes=("", "_plan"))
    assert len(got) == 20
    for c in ("value", "lower", "upper"):
        np.testing.assert_allclose(got[c], got[f"{c}_plan"], rtol=1e-12)


def test_years_between_a_districts_count_and_the_citys_forecast_are_its_share():
    """Counted in 2015 while the city was counted to 2020: 2016–2020 are the district's
    share of the city's counts, with the share's uncertainty only."""
    pop = _city()
    pop.loc[(pop["district_id"] == "a") & (pop["year"] == 2020), "year"] = 2015
    pop.loc[(pop["district_id"] == "a") & (pop["year"] == 2015), "population"] = 650.0
    pop.loc[(pop["district_id"] == "b") & (pop["year"] == 2020), "year"] = 2015
    c2015 = 1000.0 * 1.03**5
    pop.loc[(pop["district_id"] == "b") & (pop["year"] == 2015), "population"] = c2015 - 650
    r = forecast_with_total(pop, "c", horizon=2022, method="drift").forecasts
    past = r[r["method"] == "share"]
    assert sorted(set(past["year"])) == [2016, 2017, 2018, 2019, 2020]
    city = pop[pop["district_id"] == "c"].set_index("year")["population"]
    sums = past.groupby("year")["value"].sum()
    np.testing.assert_allclose(sums, city.reindex(sums.index))
    assert ((past["lower"] < past["value"]) & (past["value"] < past["upper"])).all()


@settings(max_examples=15, deadline=None)
@given(
    growth=st.floats(0.98, 1.05),
    share=st.floats(0.2, 0.8),
    drift=st.floats(-0.05, 0.05),
)
def test_every_interval_holds_its_value_strictly(growth, share, drift):
    pop = _city(growth)
    total = pop.loc[(pop["district_id"] == "c") & (pop["year"] == 2020), "population"].iloc[0]
    a2020 = total * min(max(share + drift, 0.05), 0.95)
    pop.loc[(pop["district_id"] == "a") & (pop["year"] == 2010), "population"] = 1000 * share
    pop.loc[(pop["district_id"] == "b") & (pop["year"] == 2010), "population"] = 1000 * (1 - share)
    pop.loc[(pop["district_id"] == "a") & (pop["year"] == 2020), "population"] = a2020
    pop.loc[(pop["district_id"] == "b") & (pop["year"] == 2020), "population"] = total - a2020
    f = forecast_with_total(pop, "c", horizon=2030, method="drift").forecasts
    assert ((f["lower"] < f["value"]) & (f["value"] < f["upper"])).all()


def test_parts_that_do_not_make_up_the_total_are_an_error_naming_the_file():
    pop = _city()
    pop.loc[(pop["district_id"] == "a") & (pop["year"] == 2020), "population"] = 100.0
    with pytest.raises(InputError, match=r"pop\.csv.*2020.*districts must cover"):
        forecast_with_total(pop, "c", horizon=2025, method="drift", source="pop.csv")


def test_the_command_makes_changshas_districts_add_up_to_the_city(tmp_path):
    """The embedded table: nine districts and the city. Forecast one by one, the districts
    summed to 15.7 million in 2035 against the city's 11.5 million."""
    runner = CliRunner()
    out = tmp_path / "f.csv"
    res = runner.invoke(app, ["forecast", str(POPULATION), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "430100 is the total of the other 9 areas" in res.stderr
    assert "430100" not in res.stdout.replace(str(out), "")
    f = pd.read_csv(out, dtype={"district_id": str}, encoding="utf-8-sig")
    wide = f.pivot(index="year", columns="district_id", values="value")
    ahead = wide["430100"].notna()
    np.testing.assert_allclose(
        wide.loc[ahead].drop(columns="430100").sum(axis=1), wide.loc[ahead, "430100"], rtol=1e-9
    )
    assert ((f["lower"] < f["value"]) & (f["value"] < f["upper"])).all()
    w = pd.read_csv(tmp_path / "f.weights.csv", dtype={"area": str}, encoding="utf-8-sig")
    assert set(w["area"]) == {"430100"}
    # on their own, the districts do not add up: the option says what it does
    alone = tmp_path / "alone.csv"
    res = runner.invoke(
        app, ["forecast", str(POPULATION), "--out", str(alone), "--city-id", "none"]
    )
    assert res.exit_code == 0, res.output
    a = pd.read_csv(alone, dtype={"district_id": str}, encoding="utf-8-sig")
    a35 = a[a["year"] == 2035].set_index("district_id")["value"]
    assert a35.drop("430100").sum() > 1.2 * a35["430100"]
    res = runner.invoke(
        app, ["forecast", str(POPULATION), "--out", str(alone), "--city-id", "4301", "--overwrite"]
    )
    assert res.exit_code != 0
    assert "population.csv" in res.output and "--city-id '4301' has no rows" in res.output


def test_a_horizon_not_after_the_data_is_a_usage_error(tmp_path):
    """`--horizon 2024` on a table that runs to 2024 leaked a TypeError blamed on
    `district_id`; it is a usage error naming the option, the file and the last year."""
    res = CliRunner().invoke(
        app, ["forecast", str(POPULATION), "--out", str(tmp_path / "f.csv"), "--horizon", "2024"]
    )
    assert res.exit_code == 2, res.output
    assert "--horizon" in res.output and "population.csv runs to 2024" in res.output
    assert "TypeError" not in res.output
    with pytest.raises(ConfigError, match="counted to 2020; the horizon must be a later year"):
        forecast_with_total(_city(), "c", horizon=2020, method="drift")


def test_the_command_says_how_far_censuses_re_based_the_estimates(tmp_path):
    # the embedded table: the 2020 census counted 16.3 % more Changsha residents than the
    # estimates carried to 2020 (10,047,914 / (8,394,500 x 8,394,500 / 8,154,700))
    res = CliRunner().invoke(app, ["forecast", str(POPULATION), "--out", str(tmp_path / "f.csv")])
    assert res.exit_code == 0, res.output
    said = " ".join(res.stderr.split())
    assert "The 2020 census re-based the estimates before it: 430100 +16.3 %" in said
    assert "leave out a future census re-basing" in said
    # the city's 1-year interval measures the trend, not the re-count (it was -18 %/+22 %)
    f = pd.read_csv(tmp_path / "f.csv", dtype={"district_id": str}, encoding="utf-8-sig")
    first = f[(f["district_id"] == "430100") & (f["year"] == 2025)].iloc[0]
    assert 0 < first["upper"] / first["value"] - 1 < 0.05
    assert 0 < 1 - first["lower"] / first["value"] < 0.05


def test_backtest_scores_the_forecast_route_on_common_points(tmp_path):
    """`xuewei backtest` on the embedded table: the total found as `forecast` finds it,
    every method on the same points (the naive row was scored on 22 points, the others on
    8), the history as revised today unless asked otherwise; 80 columns."""
    runner = CliRunner()
    out = tmp_path / "acc.csv"
    res = runner.invoke(
        app, ["backtest", str(POPULATION), "--out", str(out)], env={"COLUMNS": "80"}
    )
    assert res.exit_code == 0, res.output
    assert "430100 is the total of the other 9 areas" in res.stderr
    table = [line for line in res.stdout.splitlines() if not line.startswith("wrote")]
    assert max(len(line) for line in table) <= 80  # the path written is as long as it is
    acc = pd.read_csv(out, encoding="utf-8-sig")
    assert set(acc["scored"]) == {"total 430100", "areas as shares"}
    total = acc[acc["scored"] == "total 430100"]
    assert set(total["method"]) == {"naive", "drift", "ets", "damped", "arima", "ensemble"}
    for _, rows in acc.groupby(["scored", "horizon"]):
        assert rows["n"].nunique() == 1  # like with like
        naive = rows.loc[rows["method"] == "naive", "mape"].iloc[0]
        np.testing.assert_allclose(rows["naive_mape"], naive)
    assert {1, 3, 5, 10} <= set(total["horizon"])
    # real-time: the 2020 census's +16 % re-count of the 2017-2019 estimates is error
    rt = tmp_path / "rt.csv"
    res = runner.invoke(
        app, ["backtest", str(POPULATION), "--out", str(rt), "--vintage", "real-time"]
    )
    assert res.exit_code == 0, res.output
    real = pd.read_csv(rt, encoding="utf-8-sig")
    h1 = {
        name: t[(t["scored"] == "total 430100") & (t["horizon"] == 1)].set_index("method")["mape"]
        for name, t in (("final", acc), ("real", real))
    }
    assert h1["real"]["naive"] > 2 * h1["final"]["naive"]
    bad = runner.invoke(app, ["backtest", str(POPULATION), "--out", str(rt), "--vintage", "x"])
    assert bad.exit_code == 2 and "--vintage" in bad.output
