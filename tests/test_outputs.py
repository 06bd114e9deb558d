"""Outputs: layers, columns, atomic and deterministic writes, the CLI and the demo."""

from __future__ import annotations

import hashlib
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from xuewei.cli import app
from xuewei.config import load_plan
from xuewei.errors import OutputExistsError
from xuewei.outputs import OUTPUT_FILES, atomic_path, write_outputs
from xuewei.pipeline import run_plan

runner = CliRunner()


@pytest.fixture(scope="module")
def written(small_plan, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = run_plan(load_plan(small_plan))
    write_outputs(result, out)
    return result, out


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_files_and_layers(written):
    result, out = written
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    layers = [name for name, _ in pyogrio.list_layers(out / "plan.gpkg")]
    assert layers == [
        "districts",
        "schools",
        "estates",
        "catchments",
        "proposals",
        "reach",
        "programme",
        "gaps",
        "readiness",
        "readiness_detail",
        "plan",
    ]
    readiness = pyogrio.read_dataframe(out / "plan.gpkg", layer="readiness")
    assert len(readiness) == len(result.districts)  # one row per county, for `xuewei map`
    proposals = gpd.read_file(out / "plan.gpkg", layer="proposals")
    assert len(proposals) == len(result.proposals)
    assert set(proposals["kind"]) <= {"new_build", "expansion", "merger", "kindergarten"}
    gaps = pyogrio.read_dataframe(out / "plan.gpkg", layer="gaps")
    assert len(gaps) == len(result.gaps)
    districts = gpd.read_file(out / "plan.gpkg", layer="districts")
    assert districts.crs.to_epsg() == 4326
    for col in ("district_id", "name", "residents_2024", "residents_2035", "offered", "gap_85"):
        assert col in districts
    schools = gpd.read_file(out / "plan.gpkg", layer="schools")
    assert {"places", "utilisation", "over_capacity", "big_class", "big_school"} <= set(schools)
    assert len(schools) == len(result.schools)


def test_forecast_csv_is_tidy(written):
    result, out = written
    table = pd.read_csv(out / "forecast.csv", dtype={"district_id": str}, encoding="utf-8-sig")
    assert list(table.columns) == [
        "district_id",
        "year",
        "quantity",
        "level",
        "scenario",
        "value",
        "lower",
        "upper",
        "kind",
    ]
    assert not table.duplicated(["district_id", "year", "quantity", "level", "scenario"]).any()
    # places per 1,000 as the plan writes them: "80", not "80.000"
    raw = (out / "forecast.csv").read_text(encoding="utf-8-sig").splitlines()
    scenarios = {line.split(",")[4] for line in raw[1:]}
    assert scenarios == {"", *(f"{s:g}" for s in result.gaps["scenario"].unique())}, scenarios
    assert all("." not in s for s in scenarios)  # the small plan's are whole
    residents = table[table["quantity"] == "residents"]
    assert len(residents) == len(result.districts) * len(result.years)
    assert (table["lower"] <= table["value"] + 1e-6).all()
    assert (table["value"] <= table["upper"] + 1e-6).all()


def test_report_sheets_bilingual(written):
    _, out = written
    wb = load_workbook(out / "report.xlsx", read_only=True)
    assert wb.sheetnames == [
        "汇总 Summary",
        "达标 Readiness",
        "达标明细 Readiness detail",
        "配建核查 Matching schools",
        "缺口 Gaps",
        "预测 Forecast",
        "学校 Schools",
        "学位压力 School pressure",
        "未覆盖小区 Unserved estates",
        "覆盖核算 Coverage",
        "可达性 Reach",
        "建议(千人85) Proposals (85)",
        "建设时序 Programme",
        "各情景建议 All scenarios",
        "标准与来源 Sources",
        "引用文件 Documents",
        "数据说明 Data",
    ]
    header = [c.value for c in next(wb["缺口 Gaps"].iter_rows(max_row=1))]
    assert header[:2] == ["区县代码 District ID", "区县 District"]
    notes = [r[1] for r in wb["数据说明 Data"].iter_rows(values_only=True)]
    assert any("SYNTHETIC" in str(n) for n in notes)
    standards = [r for r in wb["标准与来源 Sources"].iter_rows(values_only=True)][1:]
    assert all(r[4] for r in standards), "every standard carries its source"


def test_refuses_to_overwrite_and_is_deterministic(written, tmp_path):
    result, out = written
    with pytest.raises(OutputExistsError, match="overwrite"):
        write_outputs(result, out)
    write_outputs(result, tmp_path)
    for name in OUTPUT_FILES:
        assert _digest(out / name) == _digest(tmp_path / name), name


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "x.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")
    assert list(tmp_path.iterdir()) == []
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target, overwrite=True) as tmp:
        tmp.write_text("half")
        raise RuntimeError("crash while writing")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_cli_plan(small_plan, tmp_path):
    out = tmp_path / "o"
    res = runner.invoke(app, ["plan", str(small_plan), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Synthetic City" in res.output and "gap @85" in res.output
    assert all((out / name).exists() for name in OUTPUT_FILES)
    again = runner.invoke(app, ["plan", str(small_plan), "--out", str(out)])
    assert again.exit_code == 2 and "--overwrite" in again.output
    forced = runner.invoke(app, ["plan", str(small_plan), "--out", str(out), "--overwrite"])
    assert forced.exit_code == 0


def test_cli_bad_plan_exits_1(tmp_path):
    bad = tmp_path / "plan.toml"
    bad.write_text("[plan]\nname = 'x'\n")
    res = runner.invoke(app, ["plan", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 1
    assert "inputs.districts: required input is missing" in res.output


def test_demo_end_to_end(tmp_path, monkeypatch, changsha_result):
    """The embedded Changsha plan: outputs exist with the layers, columns and nine districts.

    The command runs as a user types it, but on the session's Changsha run (the run itself
    is tested by the README tour and the notebooks; `xuewei plan` end to end below).
    """
    planned: list[str] = []

    def run_plan(plan):
        planned.append(plan.name_en)
        return changsha_result

    monkeypatch.setattr("xuewei.pipeline.run_plan", run_plan)
    res = runner.invoke(app, ["demo", "--out", str(tmp_path)])
    assert planned == ["Changsha"]
    assert res.exit_code == 0, res.output
    assert "SYNTHETIC" in res.output
    districts = gpd.read_file(tmp_path / "plan.gpkg", layer="districts")
    assert len(districts) == 9
    assert set(districts["name"]) >= {"岳麓区", "雨花区", "浏阳市", "宁乡市"}
    schools = gpd.read_file(tmp_path / "plan.gpkg", layer="schools")
    assert schools["synthetic"].all()
    forecast = pd.read_csv(tmp_path / "forecast.csv", dtype={"district_id": str})
    assert forecast["district_id"].nunique() == 9
    assert forecast["year"].max() == 2035
    html = (tmp_path / "plan.html").read_text(encoding="utf-8")
    assert "SYNTHETIC" in html and "岳麓区" in html


def test_cli_validate(small_plan, tmp_path):
    ok = runner.invoke(app, ["validate", str(small_plan)])
    assert ok.exit_code == 0 and "all inputs valid" in ok.output
    folder = small_plan.parent
    schools = pd.read_csv(folder / "schools.csv", dtype=str)
    schools.loc[4, "capacity"] = "-40"
    schools.loc[6, "level"] = "大学"
    schools.to_csv(tmp_path / "schools.csv", index=False)
    pop = pd.read_csv(folder / "population.csv", dtype=str)
    pop.loc[0, "population"] = "many"
    pop.to_csv(tmp_path / "population.csv", index=False)
    text = small_plan.read_text(encoding="utf-8")
    for name in ("districts.gpkg", "estates.csv", "population.tif"):
        text = text.replace(f'"{name}"', f'"{(folder / name).as_posix()}"')
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    bad = runner.invoke(app, ["validate", str(tmp_path / "plan.toml")])
    assert bad.exit_code == 1
    # problems of both files in one report, each naming file, row and column
    assert "schools.csv row 5, column `capacity`" in bad.output
    assert "schools.csv row 7, column `level`" in bad.output
    assert "population.csv row 1, column `population`" in bad.output
    # a school with neither capacity nor classes: the run refuses it, so validate says so
    schools = pd.read_csv(folder / "schools.csv", dtype=str)
    sid = schools.loc[5, "school_id"]
    schools.loc[5, ["capacity", "classes"]] = None
    schools.to_csv(tmp_path / "schools.csv", index=False)
    (tmp_path / "population.csv").write_bytes((folder / "population.csv").read_bytes())
    bad = runner.invoke(app, ["validate", str(tmp_path / "plan.toml")])
    assert bad.exit_code == 1, bad.output
    assert f"schools.csv row 6, column `capacity`: school {sid} has neither" in bad.output


def test_cli_validate_lists_impossible_standards(small_plan, tmp_path):
    """A plan's [standards] are checked by `xuewei validate` like its inputs."""
    plan = tmp_path / "plan.toml"
    text = small_plan.read_text(encoding="utf-8")
    for name in ("districts.gpkg", "population.csv", "schools.csv", "estates.csv"):
        text = text.replace(f'"{name}"', f'"{(small_plan.parent / name).as_posix()}"')
    text = text.replace(
        '"population.tif"', f'"{(small_plan.parent / "population.tif").as_posix()}"'
    )
    plan.write_text(
        text + "\n[standards]\nclass_size.primary = -5\naccess.radius_m.junior = 0\n",
        encoding="utf-8",
    )
    bad = runner.invoke(app, ["validate", str(plan)])
    assert bad.exit_code == 1
    assert "[standards] `class_size.primary`: got -5; expected > 0" in bad.output
    assert "[standards] `access.radius_m.junior`: got 0; expected > 0" in bad.output


def test_cli_map_redraw_and_offline(written, tmp_path):
    _, out = written
    gpkg = out / "plan.gpkg"
    one = tmp_path / "m90.html"
    res = runner.invoke(
        app,
        ["map", str(gpkg), "--scenario", "90", "--year", "2030", "--out", str(one), "--offline"],
    )
    assert res.exit_code == 0, res.output
    html = one.read_text(encoding="utf-8")
    assert "2030" in html and "unpkg.com" not in html and "cdn.jsdelivr" not in html
    # the page opens at 2030 and 90, and carries every year and scenario of the plan
    views = json.loads(re.search(r"var views = (\[.*?\]);", html).group(1))  # type: ignore[union-attr]
    assert re.search(rf"show\({views.index([2030, 90, 2])}\);", html)
    assert {v[1] for v in views} == {80, 85, 90}
    # the side-by-side page is gone: the one page switches
    gone = runner.invoke(app, ["map", str(gpkg), "--compare", "80,90", "--out", str(one)])
    assert gone.exit_code == 2
    missing = runner.invoke(
        app, ["map", str(gpkg), "--scenario", "95", "--out", str(tmp_path / "x.html")]
    )
    assert missing.exit_code == 1 and "95" in missing.output


def test_cli_map_png_from_a_saved_result(written, tmp_path):
    _, out = written
    png = tmp_path / "m90.png"
    res = runner.invoke(
        app,
        ["map", str(out / "plan.gpkg"), "--scenario", "90", "--year", "2030", "--out", str(png)],
    )
    assert res.exit_code == 0, res.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 50_000


def test_cli_png_and_lang(small_plan, tmp_path):
    res = runner.invoke(
        app, ["plan", str(small_plan), "--out", str(tmp_path), "--png", "--lang", "en"]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "plan.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = runner.invoke(
        app, ["plan", str(small_plan), "--out", str(tmp_path / "b"), "--tiles", "googlemaps"]
    )
    assert bad.exit_code == 2 and "googlemaps" in bad.output


def test_cli_forecast_reports_failures_and_keeps_the_rest(small_city, tmp_path):
    pop = small_city.population.copy()
    pop = pop[pop["district_id"] != "990100"]
    lonely = pd.DataFrame({"district_id": ["999999"], "year": [2024], "population": [1000.0]})
    src = tmp_path / "pop.csv"
    pd.concat([pop, lonely], ignore_index=True).to_csv(src, index=False)
    out = tmp_path / "f.csv"
    res = runner.invoke(
        app, ["forecast", str(src), "--out", str(out), "--horizon", "2030", "--method", "ets"]
    )
    assert res.exit_code == 1
    assert "999999" in res.output
    table = pd.read_csv(out, dtype={"district_id": str}, encoding="utf-8-sig")
    assert set(table["district_id"]) == set(pop["district_id"])
    assert table["year"].max() == 2030


@pytest.mark.parametrize("weighting", ["area", "pooled"])
def test_cli_forecast_writes_the_ensembles_weights(small_city, tmp_path, weighting):
    """The ensemble's weights per area, member and horizon go beside the forecast; each
    (area, horizon) sums to 1; pooled weighting gives every area the same weights."""
    pop = small_city.population[small_city.population["district_id"] != "990100"]
    src = tmp_path / "pop.csv"
    pop.to_csv(src, index=False)
    out = tmp_path / "f.csv"
    args = ["forecast", str(src), "--out", str(out), "--horizon", "2030"]
    res = runner.invoke(app, [*args, "--weighting", weighting])
    assert res.exit_code == 0, res.output
    weights = pd.read_csv(tmp_path / "f.weights.csv", dtype={"area": str}, encoding="utf-8-sig")
    assert set(weights["area"]) == set(pop["district_id"])
    assert set(weights["method"]) == {"damped", "ets", "drift"}
    assert set(weights["horizon"]) == set(range(1, 2030 - int(pop["year"].max()) + 1))
    sums = weights.groupby(["area", "horizon"])["weight"].sum()
    assert np.allclose(sums, 1.0, atol=1e-3)
    spread = weights.groupby(["horizon", "method"])["weight"].agg(np.ptp)
    assert (spread < 1e-9).all() == (weighting == "pooled")
    bad = runner.invoke(app, [*args, "--method", "ets", "--weighting", "pooled", "--overwrite"])
    assert bad.exit_code == 2 and "--weighting" in bad.output


def test_cli_backtest_writes_accuracy(small_city, tmp_path):
    src = tmp_path / "pop.csv"
    small_city.population.to_csv(src, index=False)
    out = tmp_path / "acc.csv"
    res = runner.invoke(app, ["backtest", str(src), "--out", str(out)])
    assert res.exit_code == 0, res.output
    acc = pd.read_csv(out)
    assert {"naive", "ets", "ensemble"} <= set(acc["method"])
    assert {"mape", "bias", "coverage", "naive_mape"} <= set(acc.columns)
