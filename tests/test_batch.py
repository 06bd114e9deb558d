"""The national run: a tiny synthetic country planned county by county on Dask.

One module-scoped country of three counties, one with a broken estates file: the first run
reports that county and plans the others; a forced re-run gives byte-identical outputs
(every county's and the summary's); the summary's sums are the per-county outputs'; after
the broken file is mended, a re-run through the command line plans only that county.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from typer.testing import CliRunner

from xuewei.cli import app
from xuewei.data import load_standards, synth_country
from xuewei.errors import InputError
from xuewei.pipeline.batch import CountyTask, inputs_digest, run_batch, run_county
from xuewei.pipeline.counties import county_margin_m, partition_counties, read_manifest

BROKEN = "990002"
NOTE = "All data SYNTHETIC / 全部为合成数据"


@pytest.fixture(scope="module")
def country_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    country = synth_country(0, n_counties=3)
    folder = tmp_path_factory.mktemp("country") / "country"
    partition_counties(
        country.districts,
        country.population,
        folder,
        schools=country.schools,
        estates=country.estates,
        counties=country.counties,
        data_note=NOTE,
    )
    estates = folder / f"county_id={BROKEN}" / "estates.parquet"
    shutil.copy(estates, folder / "estates.good")
    estates.write_bytes(b"not a parquet file")
    return folder


@pytest.fixture(scope="module")
def runs(country_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("national") / "out"
    first = run_batch(country_dir, out, n_workers=2)
    files = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    again = run_batch(country_dir, out, n_workers=2, force=True)
    return {"out": out, "first": first, "files": files, "again": again}


def test_failing_county_is_reported_and_the_others_planned(runs: dict) -> None:
    s = runs["first"].summary.set_index("county_id")
    assert list(s.index) == ["990001", "990002", "990003"]
    assert s.loc[BROKEN, "status"] == "failed"
    assert "estates.parquet" in s.loc[BROKEN, "error"]
    assert "InputError" in s.loc[BROKEN, "error"]
    ok = s.drop(index=BROKEN)
    assert (ok["status"] == "ok").all() and ok["error"].isna().all()
    assert set(runs["first"].ran) == set(ok.index)
    assert not runs["first"].ok
    out = runs["out"]
    assert not (out / BROKEN).exists()
    for cid in ok.index:
        assert {"plan.gpkg", "report.xlsx", "forecast.csv", "plan.html", "county.json"} <= {
            p.name for p in (out / cid).iterdir()
        }


def test_every_output_labelled_synthetic(runs: dict) -> None:
    s = runs["first"].summary
    assert s["name"].str.contains("合成").all()
    assert (s.loc[s["status"] == "ok", "data_note"] == NOTE).all()
    csv = pd.read_csv(runs["out"] / "summary.csv", encoding="utf-8-sig", dtype={"county_id": str})
    assert csv["name_en"].str.contains("synthetic").all()
    page = (runs["out"] / "990001" / "plan.html").read_text(encoding="utf-8")
    assert "SYNTHETIC" in page


def test_summary_csv_writes_counts_as_given(runs: dict) -> None:
    """The plan's places per 1,000 and counted residents and places: "85", not "85.000"."""
    csv = pd.read_csv(
        runs["out"] / "summary.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    ok = csv[csv["status"] == "ok"]
    for col in ("scenario", "residents_base", "offered"):
        assert ok[col].str.fullmatch(r"\d+(\.\d+)?").all(), col
        assert not ok[col].str.endswith(".000").any(), col
    s = runs["first"].summary.set_index("county_id")
    for _, row in ok.iterrows():
        assert float(row["residents_base"]) == s.loc[row["county_id"], "residents_base"]


def test_summary_sums_are_the_counties_outputs(runs: dict) -> None:
    s = runs["first"].summary.set_index("county_id")
    scenario = load_standards().default_scenario
    for cid in runs["first"].ran:
        gaps = pyogrio.read_dataframe(runs["out"] / cid / "plan.gpkg", layer="gaps")
        at = gaps[
            (gaps["level"] == "compulsory")
            & (gaps["year"] == s.loc[cid, "horizon"])
            & (gaps["scenario"] == scenario)
        ]
        assert s.loc[cid, "required"] == pytest.approx(at["required"].sum(), rel=1e-9)
        assert s.loc[cid, "offered"] == pytest.approx(at["offered"].sum(), rel=1e-9)
        assert s.loc[cid, "gap"] == pytest.approx(at["gap"].sum(), rel=1e-9, abs=1e-6)
        # primary and junior short on their own: a junior surplus fills no primary gap
        levels = gaps[
            gaps["level"].isin(["primary", "junior"])
            & (gaps["year"] == s.loc[cid, "horizon"])
            & (gaps["scenario"] == scenario)
        ]
        short = levels["gap"].clip(lower=0).sum()
        assert s.loc[cid, "shortfall"] == pytest.approx(short, abs=1e-6)
        assert short >= at["gap"].clip(lower=0).sum() - 1e-6
        assert s.loc[cid, "residents_horizon"] == pytest.approx(at["residents"].sum(), rel=1e-9)
        schools = pyogrio.read_dataframe(runs["out"] / cid / "plan.gpkg", layer="schools")
        assert s.loc[cid, "schools"] == len(schools)
    # the three summary files hold the same numbers
    csv = pd.read_csv(runs["out"] / "summary.csv", encoding="utf-8-sig", dtype={"county_id": str})
    geo = gpd.read_parquet(runs["out"] / "summary.parquet")
    for col in ("required", "offered", "new_schools"):
        assert csv[col].sum() == pytest.approx(s[col].sum(), rel=1e-6)
        assert geo[col].sum() == pytest.approx(s[col].sum(), rel=1e-12)
    assert geo.crs.to_epsg() == 4326 and geo.geometry.isna().sum() == 1  # the failed county


def test_forced_rerun_is_byte_identical(runs: dict) -> None:
    again = runs["again"]
    assert set(again.ran) == set(runs["first"].ran) and not again.skipped
    out = runs["out"]
    now = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert now.keys() == runs["files"].keys()
    changed = [str(k) for k, v in now.items() if runs["files"][k] != v]
    assert changed == []


def test_rerun_through_the_cli_plans_only_what_changed(runs: dict, country_dir: Path) -> None:
    """Mend the broken county: a re-run plans it alone and skips the unchanged two."""
    runner = CliRunner()
    out = runs["out"]
    failed = runner.invoke(app, ["batch", str(country_dir), "--out", str(out), "-w", "1"])
    assert failed.exit_code == 1, failed.output
    assert "planned 0, unchanged and skipped 2, failed or not run 1" in failed.stdout
    good = country_dir / "estates.good"
    shutil.copy(good, country_dir / f"county_id={BROKEN}" / "estates.parquet")
    mended = runner.invoke(app, ["batch", str(country_dir), "--out", str(out), "-w", "1"])
    assert mended.exit_code == 0, mended.output
    assert "planned 1, unchanged and skipped 2, failed or not run 0" in mended.stdout
    summary = pd.read_csv(out / "summary.csv", encoding="utf-8-sig", dtype={"county_id": str})
    assert (summary["status"] == "ok").all()
    hashes = pd.read_csv(out / "hashes.csv", encoding="utf-8-sig", dtype={"county_id": str})
    assert set(hashes["county_id"]) == set(summary["county_id"])


def test_partitions_carry_the_neighbours_schools_within_the_margin(country_dir: Path) -> None:
    margin = county_margin_m(load_standards())
    assert margin == 4000.0  # the rural junior radius, the longest of the standards
    found = 0
    for cid in ("990001", "990003"):
        folder = country_dir / f"county_id={cid}"
        own = gpd.read_parquet(folder / "districts.parquet")
        near = gpd.read_parquet(folder / "neighbour_schools.parquet")
        crs = own.estimate_utm_crs()
        outline = own.to_crs(crs).union_all()
        dist = near.to_crs(crs).distance(outline)
        assert (dist <= margin + 1).all() and (dist > 0).all()
        assert (near["county_id"] != cid).all()
        found += len(near)
    assert found > 0


def test_manifest_table_and_its_errors(country_dir: Path, tmp_path: Path) -> None:
    m = read_manifest(country_dir / "manifest.csv")
    assert m["county_id"].tolist() == ["990001", "990002", "990003"]
    assert all(Path(p).is_file() for p in m["plan"])
    pd.DataFrame({"county_id": ["a", "a"], "plan": ["x.toml", "y.toml"]}).to_csv(
        tmp_path / "twice.csv", index=False
    )
    with pytest.raises(InputError, match="county_id 'a' listed twice"):
        read_manifest(tmp_path / "twice.csv")
    pd.DataFrame({"county": ["a"]}).to_csv(tmp_path / "cols.csv", index=False)
    with pytest.raises(InputError, match="no column 'plan'"):
        read_manifest(tmp_path / "cols.csv")


def test_inputs_digest_follows_every_input(country_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "c"
    shutil.copytree(country_dir / "county_id=990003", folder)
    before = inputs_digest(folder / "plan.toml")
    assert inputs_digest(folder / "plan.toml") == before
    with (folder / "population.csv").open("a", encoding="utf-8") as fh:
        fh.write("\n")
    assert inputs_digest(folder / "plan.toml") != before


def test_run_county_never_raises(tmp_path: Path) -> None:
    row = run_county(CountyTask("x", "x", "x", str(tmp_path / "missing.toml"), str(tmp_path)))
    assert row["status"] == "failed" and row["error"].startswith(("FileNotFoundError", "Config"))


def test_synth_country_is_seeded_and_tiles() -> None:
    a = synth_country(2, n_counties=3, median_population=4_000, area_km2=20)
    b = synth_country(2, n_counties=3, median_population=4_000, area_km2=20)
    pd.testing.assert_frame_equal(a.estates, b.estates)
    counties = a.counties.to_crs(a.crs)
    districts = a.districts.to_crs(a.crs)
    # counties edge to edge; their districts cover them exactly
    assert counties.area.sum() == pytest.approx(counties.union_all().area, rel=1e-9)
    assert districts.area.sum() == pytest.approx(counties.area.sum(), rel=1e-9)
    pops = a.population[a.population["district_id"] == a.population["county_id"]]
    last = pops[pops["year"] == a.base_year].set_index("county_id")["population"]
    assert last.to_dict() == a.counties.set_index("county_id")["population"].to_dict()
    assert a.schools["synthetic"].all() and a.estates["name"].str.contains("合成").all()


def test_geoparquet_is_read_like_any_vector_input(country_dir: Path, tmp_path: Path) -> None:
    from xuewei.gis import read_schools

    path = country_dir / "county_id=990001" / "schools.parquet"
    schools = read_schools(path, crs="EPSG:4326")
    assert schools["school_id"].tolist() == gpd.read_parquet(path)["school_id"].tolist()
    bad = tmp_path / "schools.parquet"
    bad.write_bytes(b"PAR1")
    with pytest.raises(InputError, match=re.escape("schools.parquet: cannot read as GeoParquet")):
        read_schools(bad)


def test_residents_at_a_border_may_go_to_a_school_over_it(runs: dict) -> None:
    """The margin at work: some estate is assigned to a neighbouring county's school."""
    over = 0
    for cid in runs["first"].ran:
        estates = pyogrio.read_dataframe(runs["out"] / cid / "plan.gpkg", layer="estates")
        for col in ("primary_school_id", "junior_school_id"):
            ids = estates[col].dropna().astype(str)
            over += int((~ids.str.startswith(cid)).sum())
    assert over > 0


def test_time_limit_reports_the_counties_not_run(
    country_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    run = run_batch(country_dir, tmp_path / "out", n_workers=1, time_limit_s=0.5, force=True)
    s = run.summary
    assert len(s) == 3 and not run.ok
    assert (s["status"] == "not_run").all()
    assert s["error"].str.contains("time limit of 0.5 s").all()
    assert (tmp_path / "out" / "summary.csv").is_file()
    # the counties cancelled are in the table; Dask's own word of it does not reach stderr
    assert "CancelledError" not in capfd.readouterr().err
