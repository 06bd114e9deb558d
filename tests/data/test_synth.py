"""The seeded synthetic-city generator: determinism, conservation, placement, labels, scale."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import rasterio.features
import shapely
from geopandas.testing import assert_geodataframe_equal

from xuewei.data import (
    SynthCity,
    SynthRaster,
    synth_candidate_sites,
    synth_city,
    synth_districts,
    synth_estates,
    synth_population_history,
    synth_population_raster,
    synth_schools,
)
from xuewei.data._synth_sampling import largest_remainder
from xuewei.errors import ConfigError, CRSError

SMALL: dict[str, Any] = {"n_districts": 4, "population": 120_000, "area_km2": 120.0, "n_sites": 40}


@pytest.fixture(scope="module")
def city() -> SynthCity:
    return synth_city(7, **SMALL)


def _district_sums(raster: SynthRaster, districts: gpd.GeoDataFrame) -> dict[str, float]:
    dp = districts.to_crs(raster.crs)
    labels = rasterio.features.rasterize(
        ((g, i + 1) for i, g in enumerate(dp.geometry)),
        out_shape=raster.values.shape,
        transform=raster.transform,
        fill=0,
        dtype="int32",
    )
    return {
        did: float(raster.values[labels == k].sum(dtype=np.float64))
        for k, did in enumerate(districts["district_id"], start=1)
    }


def _inside_own_district(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> bool:
    polys = dict(zip(districts["district_id"], districts.geometry, strict=True))
    ok = [
        shapely.contains_xy(polys[did], grp.geometry.x.to_numpy(), grp.geometry.y.to_numpy()).all()
        for did, grp in points.groupby("district_id")
    ]
    return bool(all(ok))


def test_same_seed_same_city(city: SynthCity) -> None:
    again = synth_city(7, **SMALL)
    for name in ("districts", "schools", "estates", "candidate_sites"):
        assert_geodataframe_equal(getattr(city, name), getattr(again, name))
    pd.testing.assert_frame_equal(city.population, again.population)
    np.testing.assert_array_equal(city.raster.values, again.raster.values)
    assert city.raster.transform == again.raster.transform


def test_different_seed_different_city(city: SynthCity) -> None:
    other = synth_city(8, **SMALL)
    assert not city.districts.geometry.geom_equals(other.districts.geometry).all()
    assert not np.array_equal(city.raster.values, other.raster.values) or (
        city.raster.values.shape != other.raster.values.shape
    )
    assert (
        len(city.estates) != len(other.estates)
        or not city.estates.geometry.geom_equals(other.estates.geometry).all()
    )


def test_raster_write_is_byte_identical(city: SynthCity, tmp_path) -> None:
    a = city.raster.write(tmp_path / "a.tif")
    b = synth_city(7, **SMALL).raster.write(tmp_path / "b.tif")
    assert a.read_bytes() == b.read_bytes()
    assert not list(tmp_path.glob("tmp*"))  # the temporary file was renamed away
    with rasterio.open(a) as src:
        assert src.crs.to_epsg() == city.crs.to_epsg()
        assert src.profile["compress"] == "deflate"
        np.testing.assert_array_equal(src.read(1), city.raster.values)


def test_raster_conserves_district_totals(city: SynthCity) -> None:
    sums = _district_sums(city.raster, city.districts)
    assert sums == {k: float(v) for k, v in city.totals.items()}
    assert city.raster.values.dtype == np.float32
    assert (city.raster.values >= 0).all()
    # whole residents, so float64 sums are exact
    assert np.array_equal(city.raster.values, np.round(city.raster.values))


def test_raster_outside_districts_is_zero() -> None:
    d = synth_districts(3, n=3, area_km2=30)
    r = synth_population_raster(d, dict.fromkeys(d["district_id"], 5_000), cell_m=100, seed=3)
    total = float(r.values.sum(dtype=np.float64))
    assert total == 15_000
    assert sum(_district_sums(r, d).values()) == total


def test_raster_density_has_a_core(city: SynthCity) -> None:
    v = city.raster.values[city.raster.values > 0]
    assert np.quantile(v, 0.99) > 10 * np.median(v)


def test_estates_hold_totals_exactly(city: SynthCity) -> None:
    e = city.estates
    existing = e[e["completion_year"] <= city.base_year]
    by_district = existing.groupby("district_id")["residents"].sum()
    assert by_district.to_dict() == city.totals.to_dict()
    pipeline = e[e["completion_year"] > city.base_year]
    assert len(pipeline) > 0
    assert pipeline["completion_year"].between(city.base_year + 1, city.base_year + 6).all()
    assert 0.005 < pipeline["residents"].sum() / city.totals.sum() < 0.12
    assert e["residents"].between(1, 16_000).all()
    assert (e["residents"] >= 3_000).any()
    hh = e["residents"] / e["households"]
    assert hh.between(1.9, 3.3).all()
    assert (e["dwellings"] >= e["households"]).all()
    assert e["estate_id"].is_unique


def test_estates_with_given_pipeline_and_growth() -> None:
    d = synth_districts(2, n=2, area_km2=40)
    totals = {"990101": 30_000, "990102": 10_000}
    e = synth_estates(
        d,
        totals,
        seed=2,
        base_year=2020,
        pipeline_years=range(2025, 2031),
        growth={"990101": 0.10, "990102": 0.0},
    )
    new = e[e["completion_year"] > 2020]
    assert set(new["completion_year"]) <= set(range(2025, 2031))
    assert new.groupby("district_id")["residents"].sum().to_dict() == {"990101": 3_000}
    old = e[e["completion_year"] <= 2020]
    assert old.groupby("district_id")["residents"].sum().to_dict() == totals


def test_points_inside_their_districts(city: SynthCity) -> None:
    for layer in (city.estates, city.schools, city.candidate_sites):
        assert layer.crs.to_epsg() == 4326
        assert _inside_own_district(layer, city.districts)


def test_synthetic_labels(city: SynthCity) -> None:
    for layer in (city.estates, city.schools, city.candidate_sites):
        assert layer["synthetic"].all()
    for layer in (city.estates, city.schools):
        assert layer["name"].str.endswith("（合成）").all()
        assert layer["name_en"].str.contains("(synthetic)", regex=False).all()
    assert (city.population["source"] == "synthetic").all()
    assert city.districts["name_en"].str.startswith("Synthetic").all()


def test_schools_are_standard_and_calibrated(city: SynthCity) -> None:
    s = city.schools
    assert set(s["level"]) == {"primary", "junior", "nine_year"}
    prim, jun = s[s.level == "primary"], s[s.level == "junior"]
    assert (prim["capacity"] == prim["classes"] * 45).all()
    assert (jun["capacity"] == jun["classes"] * 50).all()
    assert set(prim["classes"]) <= {6, 12, 18, 24, 30, 36}
    assert set(jun["classes"]) <= {12, 18, 24, 30}
    assert set(s.loc[s.level == "nine_year", "classes"]) <= {18, 27, 36, 45}
    assert s["school_id"].is_unique
    # places per 1,000 residents within the ±20 % variation (plus one school's rounding)
    places = s.groupby("district_id")["capacity"].sum() / city.totals * 1000
    assert places.between(80 * 0.75, 80 * 1.25).all()
    util = s["enrolment"] / s["capacity"]
    assert 0.05 < (util > 1).mean() < 0.6  # a minority over capacity
    assert (util < 0.8).any()
    assert s["opened"].le(city.base_year).all()


def test_schools_big_city_has_big_and_crowded_schools() -> None:
    d = synth_districts(5, n=3, area_km2=300)
    totals = dict.fromkeys(d["district_id"], 400_000)
    s = synth_schools(d, totals, seed=5, kindergartens=True)
    assert (s["enrolment"] > 2_000).any()
    prim = s[s.level == "primary"]
    assert (prim["enrolment"] / prim["classes"] > 45).any()
    k = s[s.level == "kindergarten"]
    assert len(k) > 0 and (k["capacity"] == k["classes"] * 30).all()


def test_district_without_residents() -> None:
    d = synth_districts(9, n=3, area_km2=60)
    totals = {"990101": 50_000, "990102": 0, "990103": 20_000}
    r = synth_population_raster(d, totals, cell_m=200, seed=9)
    assert _district_sums(r, d) == {k: float(v) for k, v in totals.items()}
    e = synth_estates(d, totals, seed=9, base_year=2024, raster=r)
    assert "990102" not in set(e["district_id"])
    s = synth_schools(d, totals, seed=9, raster=r)
    assert "990102" not in set(s["district_id"])
    sites = synth_candidate_sites(d, seed=9, n=30, raster=r)
    assert len(sites) == 30 and _inside_own_district(sites, d)


def test_candidate_sites() -> None:
    d = synth_districts(6, n=3, area_km2=50)
    s = synth_candidate_sites(d, seed=6, n=25)
    assert len(s) == 25 and s["site_id"].is_unique
    assert s["area_m2"].between(8_000, 80_000).all()
    assert set(s["max_classes"]) <= set(range(6, 49, 6))
    assert _inside_own_district(s, d)


def test_population_history_form(city: SynthCity) -> None:
    p = city.population
    assert list(p.columns) == [
        "district_id",
        "name",
        "year",
        "population",
        "basis",
        "births",
        "source",
    ]
    assert not p.duplicated(["district_id", "year"]).any()
    assert set(p["basis"]) == {"census", "estimate"}
    assert set(p.loc[p.basis == "census", "year"]) == {2000, 2010, 2020}
    last = p[(p.year == city.base_year) & (p.district_id != "990100")]
    assert dict(zip(last.district_id, last.population, strict=True)) == city.totals.to_dict()
    dist = p[p.district_id != "990100"].groupby("year")["population"].sum()
    city_rows = p[p.district_id == "990100"].set_index("year")["population"]
    pd.testing.assert_series_equal(dist, city_rows, check_names=False)
    rate = p["births"] / p["population"] * 1000
    assert rate.between(3, 20).all()


def test_history_without_city_rows() -> None:
    d = synth_districts(1, n=2, area_km2=20)
    h = synth_population_history(d, {"990101": 10, "990102": 20}, seed=1, years=range(2010, 2016))
    assert len(h) == 12


def test_inputs_are_not_modified() -> None:
    d = synth_districts(4, n=2, area_km2=20)
    before = d.copy()
    synth_estates(d, {"990101": 5_000, "990102": 5_000}, seed=4, base_year=2024)
    assert_geodataframe_equal(d, before)


def test_bad_inputs_raise() -> None:
    d = synth_districts(4, n=2, area_km2=20)
    with pytest.raises(ValueError, match="no value for district"):
        synth_population_raster(d, {"990101": 10}, seed=1)
    with pytest.raises(ValueError, match="missing column"):
        synth_schools(d.drop(columns="name"), {"990101": 10, "990102": 10}, seed=1)
    with pytest.raises(ValueError, match=">= 0"):
        synth_estates(d, {"990101": -1, "990102": 10}, seed=1, base_year=2024)


def test_changsha_scale_city() -> None:
    # sizes only: how fast it builds is measured in benchmarks/, not asserted here
    c = synth_city(11, population=10_000_000, n_estates=10_000, n_sites=5_000, cell_m=100.0)
    assert (c.raster.values > 0).sum() > 1_000_000
    assert 8_000 < (c.estates["completion_year"] <= c.base_year).sum() < 12_000
    assert 900 < len(c.schools) < 2_000
    assert len(c.candidate_sites) == 5_000
    assert float(c.raster.values.sum(dtype=np.float64)) == 10_000_000


def test_bad_arguments_raise_config_errors() -> None:
    d = synth_districts(4, n=2, area_km2=20)
    with pytest.raises(ConfigError, match=r"n: got 0; expected 1–99"):
        synth_districts(1, n=0)
    with pytest.raises(ConfigError, match=r"totals: got \{'990101': -1\}"):
        synth_population_raster(d, {"990101": -1, "990102": 10}, seed=1)
    with pytest.raises(ConfigError, match="columns found"):
        synth_estates(d.drop(columns="district_id"), {}, seed=1, base_year=2024)
    with pytest.raises(ConfigError, match="0 residents in every district"):
        synth_schools(d, {"990101": 0, "990102": 0}, seed=1)
    with pytest.raises(CRSError, match="no CRS"):
        synth_candidate_sites(d.set_crs(None, allow_override=True), seed=1, n=3)
    with pytest.raises(CRSError, match="outside China"):
        synth_districts(1, n=2, centre=(10.0, 50.0))


def test_public_names_from_the_synth_module() -> None:
    import xuewei.data
    import xuewei.data.synth as synth

    for name in synth.__all__:
        assert getattr(synth, name) is getattr(xuewei.data, name)


def test_largest_remainder_conserves_the_total() -> None:
    rng = np.random.default_rng(0)
    for total in (0, 1, 7, 1_000_003):
        w = rng.random(13)
        parts = largest_remainder(total, w)
        assert parts.sum() == total and (parts >= 0).all()
    assert largest_remainder(5, [0.0, 0.0]).tolist() == [3, 2]  # no weight: equal split
