"""Plan folders for tests: a synthetic city written as the files an analyst would have."""

from __future__ import annotations

from pathlib import Path

from xuewei.data import SynthCity


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
