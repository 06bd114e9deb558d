"""The embedded Changsha dataset: real boundaries and population, synthetic layers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rasterio.features
import shapely

from xuewei.data import CHANGSHA_DIR

IDS = ["430102", "430103", "430104", "430105", "430111", "430112", "430121", "430181", "430182"]
CENSUS_2020 = {
    "430102": 642010,
    "430103": 836157,
    "430104": 1526641,
    "430105": 820790,
    "430111": 1264895,
    "430112": 890214,
    "430121": 1374491,
    "430181": 1429384,
    "430182": 1263332,
}


@pytest.fixture(scope="module")
def districts() -> gpd.GeoDataFrame:
    return gpd.read_file(CHANGSHA_DIR / "districts.geojson")


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return pd.read_csv(CHANGSHA_DIR / "population.csv", dtype={"district_id": str})


def _points(name: str) -> gpd.GeoDataFrame:
    df = pd.read_csv(CHANGSHA_DIR / name, dtype={"district_id": str}, encoding="utf-8")
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(df.lon, df.lat), crs=4326)


def test_files_present() -> None:
    for f in [
        "districts.geojson",
        "population.csv",
        "schools.csv",
        "estates.csv",
        "candidate_sites.csv",
        "population_2020_200m.tif",
        "SOURCES.md",
    ]:
        assert (CHANGSHA_DIR / f).is_file(), f
    total = sum(p.stat().st_size for p in CHANGSHA_DIR.iterdir())
    assert total < 5_000_000


def test_districts(districts: gpd.GeoDataFrame) -> None:
    assert districts.crs.to_epsg() == 4326
    assert list(districts["district_id"]) == IDS
    assert list(districts.columns) == ["district_id", "name", "name_en", "parent_id", "geometry"]
    assert (districts["parent_id"] == "430100").all()
    assert districts.loc[2, "name"] == "岳麓区" and districts.loc[2, "name_en"] == "Yuelu District"
    assert districts.is_valid.all()
    metric = districts.to_crs(4547)
    union = metric.union_all()
    assert metric.area.sum() - union.area < 1e4  # m²: no overlaps beyond rounding
    assert union.area / 1e6 == pytest.approx(11_800, rel=0.03)
    assert (CHANGSHA_DIR / "districts.geojson").stat().st_size < 1_000_000


def test_districts_are_wgs84(districts: gpd.GeoDataFrame) -> None:
    yuelu = districts.set_index("district_id").geometry["430104"]
    assert yuelu.contains(shapely.Point(112.93, 28.19))  # 岳麓山
    furong = districts.set_index("district_id").geometry["430102"]
    assert furong.contains(shapely.Point(112.99, 28.20))  # near 五一广场 / 芙蓉路


def test_population_table(population: pd.DataFrame) -> None:
    p = population
    assert list(p.columns) == [
        "district_id",
        "name",
        "year",
        "population",
        "basis",
        "births",
        "age_0_14",
        "source",
    ]
    assert not p.duplicated(["district_id", "year"]).any()
    # census 2020 children aged 0-14: published counts, and 浏阳市's from its share 18.88 %
    ages = p.dropna(subset=["age_0_14"]).set_index(["district_id", "year"])["age_0_14"]
    assert ages.to_dict() == {
        ("430103", 2020): 127_247,
        ("430181", 2020): round(0.1888 * 1_429_384),
        ("430182", 2020): 215_188,
        ("430100", 2020): 1_672_202,
    }
    assert set(p["basis"]) == {"census", "estimate"}
    assert set(p["district_id"]) == {*IDS, "430100"}
    assert p["source"].str.startswith("http").all()
    d = p[p.district_id != "430100"]
    assert d.loc[d.year == 2010, "population"].sum() == 7_040_952
    assert d.loc[d.year == 2020, "population"].sum() == 10_047_914
    assert (d.loc[d.year.isin([2010, 2020]), "basis"] == "census").all()
    assert d.loc[d.year == 2020].set_index("district_id")["population"].to_dict() == CENSUS_2020
    # 2010 at 2020 boundaries where re-cut
    y2010 = d[d.year == 2010].set_index("district_id")["population"]
    assert y2010["430121"] == 851809 and y2010["430103"] == 541463 and y2010["430111"] == 785469
    city = p[p.district_id == "430100"].set_index("year")
    assert list(city.index) == [
        2000,
        2004,
        2010,
        2014,
        2016,
        2017,
        2018,
        2019,
        2020,
        2021,
        2022,
        2024,
    ]
    assert city.loc[2020, "population"] == 10_047_914
    assert city.loc[2000, "basis"] == "census"
    assert city["births"].dropna().to_dict() == {2004: 56062, 2016: 103500}
    liuyang = d[d.district_id == "430181"].set_index("year")
    assert liuyang.loc[2019, "population"] == 1_373_500
    assert liuyang["births"].dropna().to_dict() == {2019: 19484, 2021: 9363, 2022: 8674, 2023: 8329}


@pytest.mark.parametrize("name", ["schools.csv", "estates.csv", "candidate_sites.csv"])
def test_synthetic_layers_inside_districts(name: str, districts: gpd.GeoDataFrame) -> None:
    pts = _points(name)
    assert pts["synthetic"].all()
    assert set(pts["district_id"]) == set(IDS)
    assert pts.iloc[:, 0].is_unique
    polys = districts.set_index("district_id").geometry
    for did, grp in pts.groupby("district_id"):
        assert shapely.contains_xy(polys[did], grp.lon.to_numpy(), grp.lat.to_numpy()).all()


def test_estates_hold_2020_census(districts: gpd.GeoDataFrame) -> None:
    e = _points("estates.csv")
    assert e["name"].str.endswith("（合成）").all()
    base = e[e.completion_year <= 2020].groupby("district_id")["residents"].sum()
    assert base.to_dict() == CENSUS_2020
    assert (e.completion_year > 2020).any()
    assert {"estate_id", "name", "residents", "dwellings", "households", "completion_year"} <= set(
        e.columns
    )


def test_schools_columns() -> None:
    s = _points("schools.csv")
    assert {
        "school_id",
        "name",
        "level",
        "classes",
        "capacity",
        "enrolment",
        "public",
        "opened",
    } <= set(s.columns)
    assert set(s["level"]) == {"primary", "junior", "nine_year"}
    assert s["name"].str.endswith("（合成）").all()


def test_raster_conserves_2020_census(districts: gpd.GeoDataFrame) -> None:
    with rasterio.open(CHANGSHA_DIR / "population_2020_200m.tif") as src:
        values = src.read(1)
        assert src.crs.to_epsg() == 4547
        assert src.res == (200.0, 200.0)
        labels = rasterio.features.rasterize(
            ((g, i + 1) for i, g in enumerate(districts.to_crs(src.crs).geometry)),
            out_shape=values.shape,
            transform=src.transform,
            fill=0,
            dtype="int32",
        )
    assert float(values.sum(dtype=np.float64)) == 10_047_914
    for k, did in enumerate(IDS, start=1):
        assert float(values[labels == k].sum(dtype=np.float64)) == CENSUS_2020[did]


BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "build_changsha.py"


@pytest.mark.skipif(not BUILD_SCRIPT.exists(), reason="tools/ is not beside the tests")
def test_synthetic_layers_are_reproducible(districts: gpd.GeoDataFrame, tmp_path) -> None:
    # The build script, rerun on the shipped boundaries, gives byte-identical files: the
    # generators draw the same numbers from the same seeds.
    spec = importlib.util.spec_from_file_location("build_changsha", BUILD_SCRIPT)
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    population = build.build_population()
    shipped = (CHANGSHA_DIR / "population.csv").read_text(encoding="utf-8")
    assert population.to_csv(index=False, lineterminator="\n") == shipped
    raster, layers = build.build_synthetic(districts, population)
    for name, text in layers.items():
        assert text == (CHANGSHA_DIR / f"{name}.csv").read_text(encoding="utf-8"), name
    tif = raster.write(tmp_path / "population_2020_200m.tif")
    assert tif.read_bytes() == (CHANGSHA_DIR / "population_2020_200m.tif").read_bytes()
