"""Shared fixtures: small seeded synthetic cities written as a real plan folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from xuewei.data import SynthCity, synth_city


def write_city(city: SynthCity, folder: Path, *, horizon: int = 2035) -> Path:
    """Write a synthetic city's layers as files an analyst would have, plus plan.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    city.districts.to_file(folder / "districts.gpkg", layer="districts", driver="GPKG")
    city.population.to_csv(folder / "population.csv", index=False)
    for name, frame in (("schools", city.schools), ("estates", city.estates)):
        table = frame.drop(columns="geometry").copy()
        table["lon"] = frame.geometry.x.round(6)
        table["lat"] = frame.geometry.y.round(6)
        table.to_csv(folder / f"{name}.csv", index=False)
    city.raster.write(folder / "population.tif")
    plan = folder / "plan.toml"
    plan.write_text(
        f"""
[plan]
name = "合成市"
name_en = "Synthetic City"
horizon = {horizon}
data_note = "All data SYNTHETIC / 全部为合成数据"

[inputs]
districts = "districts.gpkg"
population = "population.csv"
schools = "schools.csv"
estates = "estates.csv"
population_raster = "population.tif"
""",
        encoding="utf-8",
    )
    return plan


@pytest.fixture(scope="session")
def small_city() -> SynthCity:
    """A four-district city of 120,000 residents (seed 7)."""
    return synth_city(7, n_districts=4, population=120_000, area_km2=120.0, n_sites=40)


@pytest.fixture(scope="session")
def small_plan(small_city: SynthCity, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small city as a plan folder; returns the plan file."""
    return write_city(small_city, tmp_path_factory.mktemp("small_city"))
