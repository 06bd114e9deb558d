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
    assert plan.standards == {"places_per_1000": {"scenarios": [80, 90]}}


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
