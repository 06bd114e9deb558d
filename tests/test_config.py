"""Plan files: parsing and every kind of mistake reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from xuewei.config import load_plan
from xuewei.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "d.geojson").write_text("{}")
    (tmp_path / "p.csv").write_text("district_id,year,population\n")
    path = tmp_path / "plan.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """
[plan]
name = "测试县"
horizon = 2035

[inputs]
districts = "d.geojson"
population = { path = "p.csv" }
schools = { path = "p.csv", coords = "gcj02", lon = "经度", lat = "纬度" }

[standards]
places_per_1000.scenarios = [80, 90]
"""


def test_good_plan(tmp_path):
    plan = load_plan(_write(tmp_path, GOOD))
    assert plan.name == "测试县" and plan.horizon == 2035 and plan.interval == 0.8
    assert plan.inputs["districts"].path == (tmp_path / "d.geojson").resolve()
    assert plan.inputs["schools"].coords == "gcj02"
    assert plan.inputs["schools"].lon == "经度"
    # the plan carries the standards in force, validated once, citing the plan's override
    assert plan.standards.scenarios == (80.0, 90.0)
    assert plan.standards.default_scenario == 90.0
    assert plan.standards.source("places_per_1000.scenarios").startswith(
        "plan plan.toml [standards]"
    )
    assert plan.standards.class_size("primary") == 45


def test_impossible_standards_are_plan_problems(tmp_path):
    text = GOOD.replace(
        "places_per_1000.scenarios = [80, 90]",
        "class_size.primary = -5\nplaces_per_1000.scenarios = [80, 900]\n"
        "access.radius_m.junior = 0\nclass_sise.junior = 40\n"
        "places_per_1000.level_share.junior = 0.5",
    )
    with pytest.raises(ConfigError) as info:
        load_plan(_write(tmp_path, text))
    msg = str(info.value)
    assert isinstance(info.value, ValueError)
    for expected in (
        "[standards] `class_size.primary`: got -5; expected > 0",
        "[standards] `places_per_1000.scenarios`: got [80, 900]; expected every value in (0, 200]",
        "4 problem(s)",
        "[standards] `access.radius_m.junior`: got 0; expected > 0",
        "did you mean `class_size`?",
    ):
        assert expected in msg, msg
    assert "default_scenario" not in msg  # derived from the scenarios, not set: not reported


def test_all_problems_reported_at_once(tmp_path):
    text = """
[plan]
horizon = "2035"
colour = "red"

[inputs]
districts = "missing.geojson"
schools = { path = "p.csv", coords = "mars" }
roads2 = "x.gpkg"
"""
    with pytest.raises(ConfigError) as info:
        load_plan(_write(tmp_path, text))
    msg = str(info.value)
    for expected in (
        "plan.toml",
        "plan.colour: unknown key",
        "plan.name: required",
        "plan.horizon: got '2035'",
        "inputs.districts.path:",
        "does not exist",
        "inputs.schools.coords: got 'mars'",
        "inputs.roads2: unknown input",
        "inputs.population: required input is missing",
    ):
        assert expected in msg


def test_not_toml(tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text("[plan\nname=")
    with pytest.raises(ConfigError, match=r"plan\.toml: not valid TOML"):
        load_plan(path)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_plan(tmp_path / "nope.toml")


def test_boundary_tolerance(tmp_path):
    plan = load_plan(_write(tmp_path, GOOD))
    assert plan.boundary_tolerance_m == 1.0
    snapped = GOOD.replace("[inputs]", "boundary_tolerance_m = 25\n\n[inputs]", 1)
    assert load_plan(_write(tmp_path, snapped)).boundary_tolerance_m == 25.0
    bad = GOOD.replace("[inputs]", "boundary_tolerance_m = -1\n\n[inputs]", 1)
    with pytest.raises(ConfigError, match=r"plan\.boundary_tolerance_m: got -1; expected metres"):
        load_plan(_write(tmp_path, bad))
