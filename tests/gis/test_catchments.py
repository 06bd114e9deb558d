"""Catchment assignment: hand-computed cases, conservation and monotonicity properties."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xuewei.data import load_standards
from xuewei.errors import ConfigError, CRSError, InputError
from xuewei.gis import assign_catchments, nearest_within, point_xy
from xuewei.planning import school_places

CRS = 4547
STD = load_standards()
# 85 per 1,000 × 2/3 primary: places per resident at primary
RATE_P = 85 / 1000 * 2 / 3


def _schools(rows: list[tuple[str, str, float, float, float]]) -> gpd.GeoDataFrame:
    """(school_id, level, x, y, places) → schools with places at both levels."""
    ids, lv, xs, ys, pl = zip(*rows, strict=True)
    level = list(lv)
    places = np.array(pl, dtype=float)
    return gpd.GeoDataFrame(
        {
            "school_id": list(ids),
            "level": level,
            "places": places,
            "places_primary": np.where(np.array(level) == "junior", 0.0, places),
            "places_junior": np.where(np.array(level) == "primary", 0.0, places),
        },
        geometry=gpd.points_from_xy(xs, ys),
        crs=CRS,
    )


def _estates(rows: list[tuple[str, float, float, float]], years=None) -> gpd.GeoDataFrame:
    ids, xs, ys, res = zip(*rows, strict=True)
    frame = gpd.GeoDataFrame(
        {"estate_id": list(ids), "residents": list(res)},
        geometry=gpd.points_from_xy(xs, ys),
        crs=CRS,
    )
    if years is not None:
        frame["completion_year"] = pd.array(years, dtype="Int64")
    return frame


def _conserved(r, estates: gpd.GeoDataFrame) -> None:
    a = r.assignments
    counted = r.estates["counted"].to_numpy()
    for eid, res in zip(estates["estate_id"][counted], estates["residents"][counted], strict=True):
        rows = a.loc[a["demand_id"] == eid, "residents"].to_numpy()
        assert math.fsum(rows) == float(res)
        assert rows.sum() == float(res)
    assert r.total_residents == math.fsum(estates["residents"][counted])


def test_nearest_hand_computed() -> None:
    schools = _schools([("p1", "primary", 0, 0, 100), ("p2", "primary", 1000, 0, 10)])
    estates = _estates([("a", 100, 0, 600), ("b", 900, 0, 300), ("c", 500, 2000, 50)])
    r = assign_catchments(estates, schools, level="primary", year=2025, standards=STD)
    e = r.estates.set_index("estate_id")
    assert e["school_id"].to_dict() == {"a": "p1", "b": "p2", "c": np.nan} or (
        e.loc["a", "school_id"] == "p1"
        and e.loc["b", "school_id"] == "p2"
        and pd.isna(e.loc["c", "school_id"])
    )
    assert e["distance_m"].iloc[:2].tolist() == [100.0, 100.0]
    assert e["walk_min"].iloc[:2].tolist() == [100 / 60, 100 / 60]
    assert e["unserved"].tolist() == [False, False, True]
    assert e["within_radius"].tolist() == [True, True, False]
    s = r.schools.set_index("school_id")
    assert s.loc["p1", "demand"] == pytest.approx(600 * RATE_P)  # 34.0
    assert s.loc["p2", "demand"] == pytest.approx(300 * RATE_P)  # 17.0 > 10 places
    assert s["over_capacity"].tolist() == [False, True]
    assert s.loc["p2", "spare_places"] == pytest.approx(10 - 17.0)
    assert s.loc["p2", "utilisation"] == pytest.approx(1.7)
    assert r.unserved_residents == 50.0
    _conserved(r, estates)
    assert set(r.catchments["school_id"]) == {"p1", "p2"}
    # schools 1 km apart: each catchment is the full 500 m disc (the Voronoi edge touches it)
    assert r.catchments.area.sum() == pytest.approx(2 * math.pi * 500**2, rel=1e-2)


def test_nine_year_serves_both_levels_with_split_places() -> None:
    schools = _schools([("n1", "nine_year", 0, 0, 100), ("j1", "junior", 5000, 0, 50)])
    schools.loc[0, ["places_primary", "places_junior"]] = [64.0, 36.0]
    estates = _estates([("a", 100, 0, 1200)])
    rp = assign_catchments(estates, schools, level="primary", year=2025, standards=STD)
    rj = assign_catchments(estates, schools, level="junior", year=2025, standards=STD)
    assert rp.schools["school_id"].tolist() == ["n1"]
    assert rp.schools["places"].tolist() == [64.0]
    assert rj.schools["places"].tolist() == [36.0, 50.0]
    # junior: 1,200 × 85/1000 × 1/3 = 34 places demanded at n1
    assert rj.schools.set_index("school_id").loc["n1", "demand"] == pytest.approx(34.0)


def test_completion_year_and_school_opening() -> None:
    schools = _schools([("p1", "primary", 0, 0, 100), ("p2", "primary", 200, 0, 100)])
    schools["opened"] = pd.array([2000, 2030], dtype="Int64")
    estates = _estates([("a", 190, 0, 600), ("b", 150, 0, 300)], years=[2020, 2028])
    r = assign_catchments(estates, schools, level="primary", year=2025, standards=STD)
    e = r.estates.set_index("estate_id")
    assert e.loc["a", "school_id"] == "p1"  # p2 not open yet
    assert bool(e.loc["a", "counted"]) and not bool(e.loc["b", "counted"])
    assert pd.isna(e.loc["b", "unserved"])
    assert r.total_residents == 600.0
    r30 = assign_catchments(estates, schools, level="primary", year=2030, standards=STD)
    assert r30.estates["school_id"].tolist() == ["p2", "p2"]


def test_capacitated_hand_computed() -> None:
    # one school of 17 places = 300 residents' worth at primary; two estates within 500 m
    schools = _schools([("p1", "primary", 0, 0, 17.0)])
    estates = _estates([("near", 100, 0, 200), ("far", 400, 0, 200)])
    r = assign_catchments(
        estates, schools, level="primary", year=2025, standards=STD, method="capacitated"
    )
    e = r.estates.set_index("estate_id")
    # the nearer estate is placed in full, the farther one gets the 100 residents left
    assert e.loc["near", "unserved_residents"] == 0.0
    assert e.loc["far", "unserved_residents"] == pytest.approx(100.0, abs=1e-5)
    assert bool(e.loc["far", "unserved"]) and not bool(e.loc["near", "unserved"])
    s = r.schools.iloc[0]
    assert s["demand"] == pytest.approx(17.0, abs=1e-5)
    assert not bool(s["over_capacity"])
    _conserved(r, estates)


def test_capacitated_prefers_serving_over_distance() -> None:
    # a is near both; b only reaches p1. Serving both needs a → p2 (longer) and b → p1.
    schools = _schools([("p1", "primary", 0, 0, 17.0), ("p2", "primary", 900, 0, 17.0)])
    estates = _estates([("a", 450, 0, 200), ("b", -400, 0, 200)])
    r = assign_catchments(
        estates, schools, level="primary", year=2025, standards=STD, method="capacitated"
    )
    assert r.unserved_residents == 0.0
    e = r.estates.set_index("estate_id")
    assert e.loc["b", "school_id"] == "p1"


def test_polygons_method() -> None:
    schools = _schools([("p1", "primary", 0, 0, 100), ("p2", "primary", 1000, 0, 100)])
    polys = gpd.GeoDataFrame(
        {"school_id": ["p1", "p2"]},
        geometry=[shapely.box(-500, -500, 800, 500), shapely.box(600, -500, 1500, 500)],
        crs=CRS,
    )
    # b is in both polygons: it goes to the nearer school p2; c is in none
    estates = _estates([("a", 700, 0, 100), ("b", 750, 0, 100), ("c", 0, 3000, 100)])
    estates.loc[0, "geometry"] = shapely.Point(100, 0)
    r = assign_catchments(
        estates,
        schools,
        level="primary",
        year=2025,
        standards=STD,
        method="polygons",
        catchment_polygons=polys,
    )
    e = r.estates.set_index("estate_id")
    assert e.loc["a", "school_id"] == "p1" and e.loc["b", "school_id"] == "p2"
    assert e["unserved"].tolist() == [False, False, True]
    assert len(r.catchments) == 2
    _conserved(r, estates)


def test_polygons_with_a_level_column_keep_the_level_s_polygons() -> None:
    # the polygons' `level` column once crashed the map polygons (a read-only array)
    schools = _schools([("p1", "primary", 0, 0, 100), ("j1", "junior", 1000, 0, 100)])
    polys = gpd.GeoDataFrame(
        {"school_id": ["p1", "j1"], "level": ["primary", "junior"]},
        geometry=[shapely.box(-500, -500, 500, 500), shapely.box(500, -500, 1500, 500)],
        crs=CRS,
    )
    estates = _estates([("a", 100, 0, 100), ("b", 900, 0, 100)])
    r = assign_catchments(
        estates,
        schools,
        level="primary",
        year=2025,
        standards=STD,
        method="polygons",
        catchment_polygons=polys,
    )
    assert r.catchments["school_id"].tolist() == ["p1"]
    assert r.estates["unserved"].tolist() == [False, True]


def test_kindergarten_rate() -> None:
    schools = _schools([("k1", "kindergarten", 0, 0, 100)])
    schools["level"] = "kindergarten"
    estates = _estates([("a", 100, 0, 1000)])
    r = assign_catchments(
        estates, schools, level="kindergarten", year=2025, standards=STD, places_per_1000=30
    )
    assert r.places_per_resident == 30 / 1000
    with pytest.raises(ConfigError, match="places_per_1000="):
        assign_catchments(estates, schools, level="kindergarten", year=2025, standards=STD)


def test_primary_rate_is_the_standards_rate() -> None:
    schools = _schools([("p1", "primary", 0, 0, 100)])
    estates = _estates([("a", 100, 0, 1000)])
    for scenario in (None, 95.0):
        r = assign_catchments(
            estates, schools, level="primary", year=2025, standards=STD, places_per_1000=scenario
        )
        assert r.places_per_resident == STD.places_per_resident("primary", scenario)


def test_errors() -> None:
    schools = _schools([("p1", "primary", 0, 0, 100)])
    estates = _estates([("a", 1, 0, 10)])
    with pytest.raises(ConfigError, match="level="):
        assign_catchments(estates, schools, level="nine_year", year=2025, standards=STD)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="catchment_polygons"):
        assign_catchments(
            estates, schools, level="primary", year=2025, standards=STD, method="polygons"
        )
    with pytest.raises(CRSError, match="geographic"):
        assign_catchments(estates.to_crs(4326), schools, level="primary", year=2025, standards=STD)
    bad = estates.copy()
    bad["residents"] = [-5.0]
    with pytest.raises(InputError, match="row 1, column `residents`"):
        assign_catchments(bad, schools, level="primary", year=2025, standards=STD)
    with pytest.raises(ConfigError, match="method="):
        assign_catchments(estates, schools, level="primary", year=2025, standards=STD, method="x")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="detour_factor="):
        assign_catchments(
            estates, schools, level="primary", year=2025, standards=STD, detour_factor=0.5
        )


def test_synthetic_city_raster_and_estates(small_city) -> None:
    sch = school_places(small_city.schools.to_crs(small_city.crs), STD)
    est = small_city.estates.to_crs(small_city.crs)
    d = small_city.districts.to_crs(small_city.crs)
    total = float(small_city.raster.values.sum(dtype=np.float64))
    for method in ("nearest", "capacitated"):
        r = assign_catchments(
            est,
            sch,
            level="primary",
            year=2024,
            standards=STD,
            method=method,
            raster=small_city.raster,
            districts=d,
        )
        assert r.total_residents == total
        assert len(r.estates) == len(est)
        assert not r.catchments.empty
        if method == "capacitated":
            assert not r.schools["over_capacity"].any()


def test_raster_cells_go_to_their_nearest_school(small_city) -> None:
    # every populated cell is one row, id r{row}c{col}, at the school nearest its centre
    sch = school_places(small_city.schools.to_crs(small_city.crs), STD)
    raster = small_city.raster
    for radius in (math.inf, 500.0):
        r = assign_catchments(
            None, sch, level="primary", year=2024, standards=STD, raster=raster, radius_m=radius
        )
        rows, cols = np.nonzero(np.asarray(raster.values) > 0)
        t = raster.transform
        xy = np.column_stack(
            [
                t.c + (cols + 0.5) * t.a + (rows + 0.5) * t.b,
                t.f + (cols + 0.5) * t.d + (rows + 0.5) * t.e,
            ]
        )
        a = r.assignments
        assert a["demand_id"].tolist() == [f"r{i}c{j}" for i, j in zip(rows, cols, strict=True)]
        ids = r.schools["school_id"].to_numpy(dtype=object)
        idx, dist = nearest_within(xy, point_xy(r.schools), radius_m=radius)
        want = np.where(idx >= 0, ids[np.maximum(idx, 0)], None)
        assert a["school_id"].to_numpy(dtype=object, na_value=None).tolist() == want.tolist()
        assert np.array_equal(
            a["distance_m"].to_numpy(), np.where(idx >= 0, dist, np.nan), equal_nan=True
        )
        assert a["unserved"].tolist() == (idx < 0).tolist()
        assert a["unserved"].any() == (radius < math.inf)  # 500 m leaves some cells out


def test_nearly_coincident_schools_get_catchments() -> None:
    # GEOS merges (or fails on) Voronoi sites 3e-17 m apart; the first school (which
    # also wins the tie at "a") keeps the cell
    schools = _schools([("p1", "primary", 0.0, 2.9e-17, 100.0), ("p2", "primary", 0.0, 0.0, 100.0)])
    estates = _estates([("a", 1e-5, 0.0, 10.0), ("b", 400.0, 0.0, 20.0)])
    r = assign_catchments(estates, schools, level="primary", year=2025, standards=STD)
    _conserved(r, estates)
    assert r.estates["school_id"].tolist() == ["p1", "p1"]
    assert r.catchments["school_id"].tolist() == ["p1"]


# ----------------------------------------------------------------------------- properties

coords = st.floats(0, 3000, allow_nan=False, width=32)
residents = st.one_of(
    st.integers(0, 5000).map(float), st.floats(0, 5000, allow_nan=False, allow_subnormal=False)
)
school_st = st.lists(st.tuples(coords, coords, st.floats(0, 300, width=32)), min_size=1, max_size=8)
estate_st = st.lists(st.tuples(coords, coords, residents), min_size=1, max_size=25)


def _city(sch, est):
    schools = _schools([(f"p{i}", "primary", x, y, c) for i, (x, y, c) in enumerate(sch)])
    estates = _estates([(f"e{i}", x, y, r) for i, (x, y, r) in enumerate(est)])
    return schools, estates


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sch=school_st, est=estate_st, method=st.sampled_from(["nearest", "capacitated"]))
def test_conservation_exact(sch, est, method) -> None:
    schools, estates = _city(sch, est)
    r = assign_catchments(
        estates, schools, level="primary", year=2025, standards=STD, method=method
    )
    _conserved(r, estates)
    a = r.assignments
    assert (a["unserved"] == a["school_id"].isna()).all()
    if method == "capacitated":
        assert not r.schools["over_capacity"].any()
        assert (a.loc[~a["unserved"], "distance_m"] <= r.radius_m).all()


@settings(max_examples=30, deadline=None)
@given(sch=school_st, est=estate_st, extra=st.floats(0, 500, width=32), k=st.integers(0, 7))
def test_more_capacity_never_adds_over_capacity_flag(sch, est, extra, k) -> None:
    schools, estates = _city(sch, est)
    for method in ("nearest", "capacitated"):
        before = assign_catchments(
            estates, schools, level="primary", year=2025, standards=STD, method=method
        )
        more = schools.copy()
        i = k % len(more)
        more.loc[i, ["places", "places_primary"]] = more.loc[i, "places_primary"] + extra
        after = assign_catchments(
            estates, more, level="primary", year=2025, standards=STD, method=method
        )
        new = after.schools["over_capacity"].to_numpy() & ~before.schools["over_capacity"]
        assert not new.any()


@settings(max_examples=30, deadline=None)
@given(sch=school_st, est=estate_st, new=st.tuples(coords, coords, st.floats(0, 300, width=32)))
def test_new_school_never_makes_an_estate_unserved(sch, est, new) -> None:
    schools, estates = _city(sch, est)
    schools2, _ = _city([*sch, new], est)
    for method in ("nearest",):
        before = assign_catchments(
            estates, schools, level="primary", year=2025, standards=STD, method=method
        )
        after = assign_catchments(
            estates, schools2, level="primary", year=2025, standards=STD, method=method
        )
        newly = after.estates["unserved"].to_numpy(bool) & ~before.estates["unserved"].to_numpy(
            bool
        )
        assert not newly.any()
