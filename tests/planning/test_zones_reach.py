"""How far zones send pupils: beyond the service radius (``reach``), the least overflow's trips."""

from __future__ import annotations

from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from zone_grids import grid_cases

from xuewei.data import load_standards
from xuewei.errors import ConfigError, InputError
from xuewei.planning.zones import ZoneResult, draw_zones
from xuewei.planning.zones.bound import least_over_trip_m, unavoidable_overflow
from xuewei.planning.zones.exact import solve_exact
from xuewei.planning.zones.heuristic import solve_heuristic
from xuewei.planning.zones.problem import ZoneCase, make_case, overflow_of
from xuewei.planning.zones.reach import reach_sentence, unit_rural

STANDARDS = load_standards()


def _strip(settlement: list[str | None] | None = None) -> tuple[gpd.GeoDataFrame, ...]:
    """A 4 km × 1 km district; estates a–d at 0.5, 1.5, 2.5, 3.5 km with 1,000 residents
    each; schools w (x = 0) and e (x = 4 km), 150 primary places each.

    With 56.67 primary pupils an estate (85 per 1,000, two thirds primary), w takes a and
    b, e takes c and d: a and d travel 500 m, b and c 1,500 m.
    """
    d = gpd.GeoDataFrame({"district_id": ["d"]}, geometry=[shapely.box(0, 0, 4000, 1000)], crs=4547)
    e = gpd.GeoDataFrame(
        {"estate_id": list("abcd"), "district_id": "d", "residents": 1000.0},
        geometry=gpd.points_from_xy([500, 1500, 2500, 3500], [500] * 4),
        crs=4547,
    )
    if settlement is not None:
        e["settlement"] = settlement
    s = gpd.GeoDataFrame(
        {"school_id": ["w", "e"], "district_id": "d", "level": "primary",
         "places_primary": [150.0, 150.0], "places_junior": 0.0},
        geometry=gpd.points_from_xy([0, 4000], [500, 500]),
        crs=4547,
    )  # fmt: skip
    return d, e, s


def _zones(settlement_rule: str = "density", given: list[str | None] | None = None) -> ZoneResult:
    d, e, s = _strip(given)
    return draw_zones(
        d, e, s, year=2025, standards=STANDARDS, levels=["primary"],
        settlement=settlement_rule,  # type: ignore[arg-type]
    )  # fmt: skip


PUPILS = 1000.0 * STANDARDS.places_per_resident("primary", None)


def test_all_urban_counts_the_two_estates_1500_m_out() -> None:
    z = _zones("urban")
    a = z.assignments.set_index("unit_id")
    est = a[a["pupils"] > 0]
    assert est["school_id"].tolist() == ["w", "w", "e", "e"]
    assert est["distance_m"].tolist() == pytest.approx([500.0, 1500.0, 1500.0, 500.0])
    # 500 m is within the 500 m radius (only farther counts), 1,500 m beyond it
    assert est["beyond_radius"].tolist() == [False, True, True, False]
    assert set(est["radius_m"]) == {500.0} and set(est["settlement"]) == {"urban"}
    schools = z.schools.set_index("school_id")
    assert schools["beyond_radius_pupils"].tolist() == pytest.approx([PUPILS, PUPILS])  # e, w
    case = z.cases.iloc[0]
    assert case["beyond_radius_pupils"] == pytest.approx(2 * PUPILS)
    assert case["max_distance_m"] == pytest.approx(1500.0)


def test_density_rule_makes_the_sparse_strip_rural() -> None:
    # 1,000 residents a km² is under the dense cell's 1,500: rural, 2.5 km, nobody beyond
    z = _zones()
    a = z.assignments
    assert set(a["settlement"]) == {"rural"} and set(a["radius_m"]) == {2500.0}
    assert not a["beyond_radius"].any()
    assert z.cases["beyond_radius_pupils"].tolist() == [0.0]


def test_the_estates_column_comes_first() -> None:
    # a and b said urban (城镇): b is 1.5 km from w, beyond 500 m; c and d by density: rural
    z = _zones("density", ["城镇", "urban", None, None])
    est = z.assignments[z.assignments["pupils"] > 0]
    assert est["settlement"].tolist() == ["urban", "urban", "rural", "rural"]
    assert est["beyond_radius"].tolist() == [False, True, False, False]
    assert z.cases["beyond_radius_pupils"].tolist() == pytest.approx([PUPILS])
    # the "column" rule: where not given, urban (so c, 1.5 km from e, is beyond too)
    z = _zones("column", ["乡村", "rural", None, None])
    est = z.assignments[z.assignments["pupils"] > 0]
    assert est["beyond_radius"].tolist() == [False, False, True, False]


def test_a_unit_said_both_urban_and_rural_is_urban() -> None:
    units = pd.DataFrame({"estate_ids": ["a;b"], "residents": [10.0], "x": [0.0], "y": [0.0]})
    estates = pd.DataFrame({"estate_id": ["a", "b"], "settlement": ["乡村", "城镇"]})
    assert unit_rural(units, estates, STANDARDS).tolist() == [False]  # type: ignore[arg-type]


def test_an_unknown_rule_is_refused_before_any_zone_is_drawn() -> None:
    with pytest.raises(ConfigError, match="settlement='suburban'"):
        _zones("suburban")


def test_the_sentence_repeats_the_table() -> None:
    z = _zones("urban")
    a = z.assignments
    en = reach_sentence(a)
    assert en == (
        "beyond the service radius (primary 500 m in towns): "
        f"primary {2 * PUPILS:,.0f} pupils (50.0%), farthest 1.5 km"
    )
    assert reach_sentence(a, "zh") == (
        f"超出服务半径（小学城镇 500米）：小学 {2 * PUPILS:,.0f}人（50.0%），最远 1.5公里"
    )


def test_beyond_radius_sums_agree_on_a_random_city() -> None:
    # per school and per case, the pupils beyond add up to those of the units
    rng = np.random.default_rng(7)
    d = gpd.GeoDataFrame({"district_id": ["d"]}, geometry=[shapely.box(0, 0, 6000, 6000)], crs=4547)
    xy = rng.uniform(0, 6000, size=(40, 2))
    e = gpd.GeoDataFrame(
        {"estate_id": [f"e{k}" for k in range(40)], "district_id": "d",
         "residents": rng.uniform(200, 4000, 40)},
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4547,
    )  # fmt: skip
    sxy = rng.uniform(0, 6000, size=(5, 2))
    s = gpd.GeoDataFrame(
        {"school_id": [f"s{k}" for k in range(5)], "district_id": "d", "level": "nine_year",
         "places_primary": 400.0, "places_junior": 200.0},
        geometry=gpd.points_from_xy(sxy[:, 0], sxy[:, 1]), crs=4547,
    )  # fmt: skip
    z = draw_zones(d, e, s, year=2025, standards=STANDARDS, method="heuristic")
    a = z.assignments
    for level in ("primary", "junior"):
        part = a[a["level"] == level]
        far = float((part["pupils"] * part["beyond_radius"]).sum())
        assert far > 0
        assert (part["beyond_radius"] == (part["distance_m"] > part["radius_m"])).all()
        schools = z.schools[z.schools["level"] == level]
        assert schools["beyond_radius_pupils"].sum() == pytest.approx(far)
        case = z.cases[z.cases["level"] == level]
        assert case["beyond_radius_pupils"].sum() == pytest.approx(far)
        assert case["max_distance_m"].iloc[0] == pytest.approx(
            part.loc[part["pupils"] > 0, "distance_m"].max()
        )


# --- the longest trip the least overflow needs (bound.least_over_trip_m) --------------------


# up to 4×4 grids 1 km apart with up to 4 schools
_cases = partial(grid_cases, cols=(1, 4), rows=(2, 4), schools=4, pupils=20, allowed=60)


def _longest_trip(case: ZoneCase, label: np.ndarray) -> float:
    trips = case.distance_m[np.arange(case.n), label]
    return float(trips[case.pupils > 0].max())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_no_zoning_with_so_few_over_has_shorter_trips(case: ZoneCase) -> None:
    if not (case.pupils > 0).any():
        assert np.isnan(least_over_trip_m(case, 0.0))
        return
    forced = unavoidable_overflow(case)
    exact = solve_exact((case,))
    assert exact is not None and exact.status == "optimal"
    for label in (exact.labels[0], solve_heuristic(case).label):
        over = float(overflow_of(case, label).sum())
        # the zones drawn are a flow on arcs no longer than their longest trip
        assert least_over_trip_m(case, over) <= _longest_trip(case, label) + 1e-6
        if over <= forced + 0.5:
            assert least_over_trip_m(case, forced) <= _longest_trip(case, label) + 1e-6
    # allowing more pupils over never asks for longer trips
    assert least_over_trip_m(case, forced + 10.0) <= least_over_trip_m(case, forced)


def test_a_full_town_needs_the_far_school() -> None:
    # a town of 3 units (100 pupils each) at 0, 1, 2 km; school a in the first (100
    # places), school b 12 km out (300 places), an empty unit at 3 km between. a is full
    # with its own unit, so with no pupil over b takes the other two: 10 and 11 km
    xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0], [12000, 0]])
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
    c = make_case(
        np.array([100.0, 100, 100, 0, 0]), xy, xy[[0, 4]], np.array([100.0, 300]),
        np.array([0, 4]), edges,
    )  # fmt: skip
    assert unavoidable_overflow(c) == pytest.approx(0.0)
    assert least_over_trip_m(c, 0.0) == pytest.approx(11000.0)
    # 100 over allowed: the unit at 1 km may stay with a, b takes the one at 2 km (10 km)
    assert least_over_trip_m(c, 100.0) == pytest.approx(10000.0)
    # 200 over: all to a, the longest trip 2 km (each unit's nearest school, at least)
    assert least_over_trip_m(c, 200.0) == pytest.approx(2000.0)


def test_a_settlement_word_neither_urban_nor_rural_names_its_row() -> None:
    d, e, s = _strip(["城镇", "suburb", None, None])
    with pytest.raises(InputError, match=r"settlement 'suburb' is neither urban nor rural") as err:
        draw_zones(d, e, s, year=2025, standards=STANDARDS, levels=["primary"])
    (problem,) = err.value.problems
    assert (problem.source, problem.row, problem.column) == ("estates", 2, "settlement")
