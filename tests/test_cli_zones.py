"""``xuewei zones``: the files written, their sums, exit codes, refusing to overwrite."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from xuewei.cli import app
from xuewei.vocabulary import LEVEL_NAMES

runner = CliRunner()
#: What the fixture's command printed, by stream.
PRINTED: dict[str, str] = {}


@pytest.fixture(scope="module")
def zones_out(small_plan: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("zones")
    result = runner.invoke(app, ["zones", str(small_plan), "--out", str(out), "--feeders"])
    assert result.exit_code == 0, result.output
    assert "Attendance zones 2024 · 85 places per 1,000 residents" in result.stdout
    PRINTED["stdout"] = result.stdout
    return out


def test_zones_says_how_many_pupils_go_beyond_the_service_radius(zones_out: Path) -> None:
    table = pd.read_csv(zones_out / "zones_units.csv", encoding="utf-8-sig")
    flat = " ".join(PRINTED["stdout"].split())
    for level, radius in (("primary", (500.0, 2500.0)), ("junior", (1000.0, 4000.0))):
        part = table[table["level"] == level]
        r = np.where(part["settlement"] == "rural", radius[1], radius[0])
        assert (part["radius_m"].to_numpy() == r).all()
        far = part.loc[part["distance_m"] > r, "pupils"].sum()
        share = far / part["pupils"].sum()
        # the file's pupils are rounded to thousandths: its sum may sit across a .5 from
        # the figure printed, but never by more than the rounding of its rows
        slack = 0.5 + 0.0005 * len(part)
        en = re.search(rf"{level} ([\d,]+) pupils \((\d+\.\d)%\)", flat)
        zh = re.search(rf"{LEVEL_NAMES[level][0]} ([\d,]+)人（(\d+\.\d)%）", flat)
        for said in (en, zh):
            assert said is not None, level
            assert abs(float(said[1].replace(",", "")) - far) <= slack
            assert float(said[2]) == pytest.approx(100 * share, abs=0.051)
    cases = pd.read_csv(zones_out / "zones_cases.csv", encoding="utf-8-sig")
    schools = pd.read_csv(zones_out / "zones_schools.csv", encoding="utf-8-sig")
    for frame in (cases, schools):
        by = frame.groupby("level")["beyond_radius_pupils"].sum()
        far = table[table["beyond_radius"]].groupby("level")["pupils"].sum()
        assert by.to_dict() == pytest.approx(far.to_dict())


def test_zones_writes_its_files(zones_out: Path) -> None:
    names = sorted(p.name for p in zones_out.iterdir())
    assert names == [
        "zones.gpkg",
        "zones.html",
        "zones.xlsx",
        "zones_cases.csv",
        "zones_schools.csv",
        "zones_units.csv",
    ]
    units = gpd.read_file(zones_out / "zones.gpkg", layer="units")
    zones = gpd.read_file(zones_out / "zones.gpkg", layer="zones")
    table = pd.read_csv(zones_out / "zones_units.csv", encoding="utf-8-sig")
    schools = pd.read_csv(zones_out / "zones_schools.csv", encoding="utf-8-sig")
    cases = pd.read_csv(zones_out / "zones_cases.csv", encoding="utf-8-sig")
    # every unit once per level; pupils conserved from units to zones to schools
    for level in ("primary", "junior"):
        part = table[table["level"] == level]
        assert sorted(part["unit_id"]) == sorted(units["unit_id"])
        total = units[f"pupils_{level}"].sum()
        assert part["pupils"].sum() == pytest.approx(total)
        zoned = part.dropna(subset=["school_id"])["pupils"].sum()
        assert zones.loc[zones["level"] == level, "pupils"].sum() == pytest.approx(zoned)
        assert schools.loc[schools["level"] == level, "pupils"].sum() == pytest.approx(zoned)
    assert cases["non_contiguous"].sum() == 0
    # feeders: each primary school's units all go to the junior school it feeds
    wide = table.pivot(index="unit_id", columns="level", values="school_id").dropna()
    assert (wide.groupby("primary")["junior"].nunique() == 1).all()


def test_zones_writes_the_page_and_the_workbook(zones_out: Path) -> None:
    page = (zones_out / "zones.html").read_text(encoding="utf-8")
    # offline by default: Leaflet inlined, no script or stylesheet from a CDN
    assert not re.search(r"<script[^>]+src=\"https?:", page)
    assert not re.search(r"<link[^>]+href=\"https?:", page)
    assert "Attendance zones, primary" in page and "Attendance zones, junior" in page
    assert "SYNTHETIC" in page  # the plan's data note
    sheet = openpyxl.load_workbook(zones_out / "zones.xlsx")["学区 Zones"]
    headers = [c.value for c in sheet[7]]  # the summary (two levels) above the schools
    assert headers[:3] == ["学段 Level", "学校代码 School ID", "学校 School"]
    schools = pd.read_csv(zones_out / "zones_schools.csv", encoding="utf-8-sig")
    assert sheet.max_row == 7 + len(schools)
    zones = gpd.read_file(zones_out / "zones.gpkg", layer="zones")
    assert {"name", "places", "utilisation", "over_pupils", "feeds_name"} <= set(zones.columns)


def test_zones_refuses_a_bad_language_before_any_work(small_plan: Path, tmp_path: Path) -> None:
    bad = runner.invoke(app, ["zones", str(small_plan), "--out", str(tmp_path), "--lang", "fr"])
    assert bad.exit_code == 2
    assert "--lang 'fr'" in bad.stderr
    assert list(tmp_path.iterdir()) == []


def test_zones_refuses_to_overwrite(small_plan: Path, zones_out: Path) -> None:
    result = runner.invoke(app, ["zones", str(small_plan), "--out", str(zones_out)])
    assert result.exit_code == 2
    assert "--overwrite" in result.stderr


def test_zones_bad_year_and_missing_plan(small_plan: Path, tmp_path: Path) -> None:
    bad = runner.invoke(app, ["zones", str(small_plan), "--out", str(tmp_path), "--year", "1900"])
    assert bad.exit_code == 1
    assert "--year 1900" in bad.stderr
    gone = runner.invoke(app, ["zones", str(tmp_path / "no.toml"), "--out", str(tmp_path)])
    assert gone.exit_code == 2


def test_map_redraws_saved_zones_hidden_on_the_plan_map(
    small_plan: Path, zones_out: Path, tmp_path: Path
) -> None:
    from xuewei.config import load_plan
    from xuewei.outputs import write_outputs
    from xuewei.pipeline import run_plan

    write_outputs(run_plan(load_plan(small_plan)), tmp_path / "run")
    gpkg = str(tmp_path / "run" / "plan.gpkg")
    page = tmp_path / "map.html"
    res = runner.invoke(
        app, ["map", gpkg, "--zones", str(zones_out / "zones.gpkg"), "-o", str(page)]
    )
    assert res.exit_code == 0, res.output
    html = page.read_text(encoding="utf-8")
    assert "Attendance zones, primary" in html and "Attendance zones, junior" in html
    name = re.search(r"var (zone_layer_\d+) = L\.featureGroup", html)
    assert name is not None and f"{name.group(1)}.addTo(" not in html  # hidden at first
    # a plan.gpkg is no zones file: said so, exit 1
    bad = runner.invoke(app, ["map", gpkg, "--zones", gpkg, "-o", str(tmp_path / "b.html")])
    assert bad.exit_code == 1
    assert "plan.gpkg: is not a GeoPackage with a layer `zones`" in bad.stderr


def _read_result(zones_out: Path) -> Any:
    """The run's tables read back, as the summary table reads a ZoneResult."""
    from types import SimpleNamespace

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(zones_out / name, dtype={"school_id": str, "district_id": str})

    return SimpleNamespace(
        year=2024,
        cases=read("zones_cases.csv"),
        schools=read("zones_schools.csv"),
        assignments=read("zones_units.csv"),
        scenario=85.0,
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_in_one_language_with_the_tables_sums(zones_out: Path, lang: str) -> None:
    import io

    from rich.console import Console

    from xuewei._cli_zones import summary_table

    result = _read_result(zones_out)
    console = Console(width=120, record=True, file=io.StringIO())
    console.print(summary_table(result, lang=lang))  # type: ignore[arg-type]
    text = console.export_text()
    cjk = re.search(r"[\u4e00-\u9fff]", text)
    assert (cjk is None) if lang == "en" else (re.search(r"pupils|level|Primary", text) is None)
    for level, rows in result.schools.groupby("level"):
        name = {"primary": ("小学", "Primary"), "junior": ("初中", "Junior")}[level]
        line = next(ln for ln in text.splitlines() if name[lang == "en"] in ln)
        assert f"{rows['over_pupils'].sum():,.0f}" in line


@pytest.mark.parametrize("lang", ["zh", "en", "both"])
@pytest.mark.parametrize("scale", [1, 1000])
def test_summary_fits_80_columns_whole(zones_out: Path, lang: str, scale: int) -> None:
    """At 80 columns no header or level name is cut ("超额学…" was), nor a figure of a city
    (``scale``: pupils × 1,000), the title gives the places per 1,000, and the caption
    says what split and gap mean."""
    import io

    from rich.console import Console

    from xuewei._cli_zones import _HEADS, summary_table

    result = _read_result(zones_out)
    for frame in (result.schools, result.assignments):
        frame[[c for c in ("pupils", "over_pupils") if c in frame]] *= scale
    result.assignments["distance_m"] *= scale  # 100 km and more
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(summary_table(result, lang=lang))  # type: ignore[arg-type]
    text = console.export_text()
    assert "…" not in text
    assert max(len(line) for line in text.splitlines()) <= 80
    for _, rows in result.schools.groupby("level"):
        assert f" {rows['over_pupils'].sum():,.0f} " in text
    assert f" {result.cases['gap'].max():.1%}" in text
    words = [w for en, zh in _HEADS for w in ({"zh": [zh], "en": en.split()}.get(lang) or [zh])]
    for word in words:
        assert word in text
    worst = result.cases.loc[result.cases["gap"].idxmax()]
    flat = " ".join(text.split())
    if worst["gap"] >= 0.0005:  # the caption says where the largest gap is
        at = f"{worst['level']} {worst['district_id']} {worst['gap']:.1%}"
        assert (at in flat) if lang != "zh" else (f"最大在{worst['district_id']}" in flat)
    if lang != "zh":
        assert "Attendance zones 2024 · 85 places per 1,000 residents" in text
        assert "split: zones not in one piece" in text
    if lang != "en":
        assert "学区 2024年 · 每千人85个学位" in text
        assert "不连片：" in text


def test_current_zones_are_read_from_the_zones_layer_with_their_level(tmp_path) -> None:
    """The GeoPackage `xuewei zones` writes holds zones and units: today's zones come from
    its zones layer (no warning about several layers), their level normalised (小学 is
    primary); a level that is neither is an error naming the file, row and column."""
    import warnings

    import shapely

    from xuewei._cli_zones import _read_current
    from xuewei.errors import InputError

    schools = gpd.GeoDataFrame({"school_id": ["a", "b"]}, geometry=[None, None], crs=4547)
    zones = gpd.GeoDataFrame(
        {"school_id": ["a", "b", "a"], "level": ["小学", "primary", "初中"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(0, 0, 2, 1)],
        crs=4547,
    )
    path = tmp_path / "zones.gpkg"
    zones.to_file(path, layer="zones")
    zones.assign(school_id="x").to_file(path, layer="units")  # not zones: never read
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = _read_current(path, schools, 4547)
    assert got["level"].tolist() == ["primary", "primary", "junior"]
    zones.assign(level=["小学", "高中", "初中"]).to_file(path, layer="zones")
    with pytest.raises(InputError, match=r"zones\.gpkg row 2, column `level`: got '高中'"):
        _read_current(path, schools, 4547)


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--levels", "kindergarten", "--levels 'kindergarten': expected primary, junior"),
        ("--method", "fast", "--method 'fast': expected auto, exact or heuristic"),
        ("--year", "2030.5", "--year '2030.5': expected base, horizon or a whole year"),
        ("--workers", "0", "--workers 0: expected a whole number ≥ 1"),
    ],
)
def test_a_bad_option_value_is_a_usage_error_before_any_reading(
    small_plan: Path, tmp_path: Path, option: str, value: str, said: str
) -> None:
    res = CliRunner().invoke(
        app, ["zones", str(small_plan), "--out", str(tmp_path / "z"), option, value]
    )
    assert res.exit_code == 2, res.output
    assert said in res.output
    assert "reading the plan" not in res.output  # refused before the slow part


def test_zones_that_look_like_failures_are_said_on_stderr() -> None:
    """A district with places for all its pupils whose zones leave pupils over (Liuyang's
    primary zones: 7,897 over, gap 100 %) and feeder conflicts are warned of, not only
    left in zones_cases.csv; a district short of places is not."""
    from types import SimpleNamespace

    from xuewei._cli_zones import case_warnings

    cases = pd.DataFrame(
        {
            "district_id": ["a", "b"],
            "level": "primary",
            "pupils": [900.0, 500.0],
            "allowed": [1000.0, 400.0],
            "capacity_short": [False, True],
            "over_pupils": [120.0, 100.0],
            "over_bound": [0.0, 100.0],
            "gap": [1.0, 0.0],
            "feeder_conflicts": [0, 3],
            "note": ["", None],
        }
    )
    assert case_warnings(SimpleNamespace(cases=cases)) == [
        "a primary: places for all 900 pupils (1,000), yet 120 pupils over in the zones drawn "
        "(at most 0 unavoidable; proven gap 100.0%): see zones_cases.csv",
        "b: 3 feeder conflict(s): primary zones not inside one junior zone",
    ]
    assert case_warnings(SimpleNamespace(cases=cases.iloc[[1]].assign(feeder_conflicts=0))) == []
    # where the crowded core was measured, the sentence says where the places are short
    crowded = cases.assign(
        crowded_school=["P7", ""],
        crowded_km=[4.8231, np.nan],
        crowded_pupils=[800.4, np.nan],
        crowded_allowed=[300.0, np.nan],
        catch_up_km=[35.45, np.nan],
    )
    assert case_warnings(SimpleNamespace(cases=crowded))[0] == (
        "a primary: places for all 900 pupils (1,000), yet 120 pupils over in the zones drawn "
        "(at most 0 unavoidable; proven gap 100.0%); within 4.8 km of school P7, 800 pupils "
        "for 300 places; places catch up with pupils only 35.5 km out: see zones_cases.csv"
    )
    # the longest trip the least overflow needs, before where the places are short
    trip = crowded.assign(least_over_km=[17.584, np.nan])
    assert case_warnings(SimpleNamespace(cases=trip))[0] == (
        "a primary: places for all 900 pupils (1,000), yet 120 pupils over in the zones drawn "
        "(at most 0 unavoidable; proven gap 100.0%); with no pupil over, some would travel "
        "17.6 km or more; within 4.8 km of school P7, 800 pupils for 300 places; places catch "
        "up with pupils only 35.5 km out: see zones_cases.csv"
    )
    forced = trip.assign(over_bound=[12.0, 100.0])
    assert (
        "; with only the 12 unavoidable pupils over, some would travel 17.6 km or more;"
        in (case_warnings(SimpleNamespace(cases=forced))[0])
    )
    never = crowded.assign(catch_up_km=np.nan)
    assert case_warnings(SimpleNamespace(cases=never))[0].endswith(
        "for 300 places; places never catch up with pupils within the district: see zones_cases.csv"
    )
    # cases the time limit cut short are named first
    cut = cases.assign(note=["", "time limit reached before this case: zones only grown"])
    assert case_warnings(SimpleNamespace(cases=cut))[0] == (
        "the time limit cut 1 of 2 cases short (b primary): their zones are less balanced "
        "and their gaps wider; zones_cases.csv says how"
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_summary_says_where_the_largest_gap_is(zones_out: Path, lang: str) -> None:
    """One district's 100 % gap makes its level read 100 %: the caption names it."""
    import io

    from rich.console import Console

    from xuewei._cli_zones import summary_table

    result = _read_result(zones_out)
    cases = result.cases.copy()
    cases["gap"] = 0.0
    row = cases.index[cases["level"] == "primary"][-1]
    cases.loc[row, "gap"] = 1.0
    did = cases.loc[row, "district_id"]
    result.cases = cases
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(summary_table(result, lang=lang))  # type: ignore[arg-type]
    flat = " ".join(console.export_text().split())
    said = {"en": f"largest: primary {did} 100.0%", "zh": f"小学最大在{did}（100.0%）"}[lang]
    assert said in flat
    named = flat.split("largest:")[-1].split("beyond the service radius")[0]
    assert "junior" not in named  # no gap at that level: not named
