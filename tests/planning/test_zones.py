"""Attendance zones: hand-computed optima, the tessellation, feeders, invariants."""

from __future__ import annotations

from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from zone_grids import grid_cases, grid_edges, grid_xy

from xuewei.data import load_standards
from xuewei.errors import ConfigError, InputError
from xuewei.planning.zones import ZoneResult, build_units, draw_zones, unit_adjacency
from xuewei.planning.zones import exact as exact_module
from xuewei.planning.zones.bound import pockets, reachable, unavoidable_overflow
from xuewei.planning.zones.crowding import crowded_core
from xuewei.planning.zones.exact import solve_exact
from xuewei.planning.zones.feeders import feed_junior
from xuewei.planning.zones.heuristic import (
    grown_zones,
    local_search,
    solve_heuristic,
    transport_bound,
)
from xuewei.planning.zones.problem import (
    components_of,
    make_case,
    objective_of,
    overflow_of,
    stays_connected,
)
from xuewei.planning.zones.push import (
    branch_of,
    push_excess,
    removable_units,
    zone_branches,
    zone_heights,
)

STANDARDS = load_standards()
RATE = STANDARDS.places_per_resident("primary")


def _grid_case() -> object:
    # 3×3 units 1 km apart, 10 pupils each; school A in unit 0 (30 places), B in unit 8 (60)
    xy = grid_xy(3, 3)
    return make_case(
        np.full(9, 10.0),
        xy,
        xy[[0, 8]],
        np.array([30.0, 60.0]),
        np.array([0, 8]),
        grid_edges(3, 3),
    )


# A takes the three units with the most to gain (d_A − d_B): unit 0 (−2.83), units 1 and 3
# (−1.24 each); B the rest. Travel: A 10·(0 + 1 + 1) = 20; B 10·(2 + 2 + √2 + 1 + 1 + 0).
GRID_LABEL = [0, 0, 1, 0, 1, 1, 1, 1, 1]
GRID_OPTIMUM = 20.0 + 10.0 * (6.0 + np.sqrt(2.0))


def test_grid_exact_optimum_by_hand() -> None:
    case = _grid_case()
    answer = solve_exact((case,))
    assert answer is not None
    assert answer.labels[0].tolist() == GRID_LABEL
    assert answer.objective == pytest.approx(GRID_OPTIMUM)
    assert answer.status == "optimal"


def test_grid_heuristic_reaches_the_optimum_with_its_bound() -> None:
    answer = solve_heuristic(_grid_case())
    assert answer.label.tolist() == GRID_LABEL
    assert answer.objective == pytest.approx(GRID_OPTIMUM)
    assert answer.bound <= answer.objective + 1e-9
    assert answer.gap == pytest.approx(0.0, abs=1e-9)


def _river_case() -> object:
    # four units whose neighbours follow a bridge, not the straight line: A(0 km) – u1(2 km)
    # – u2(0.9 km) – B(3 km). Nearest school: u1 → B, u2 → A, so A's zone {0, 2} is cut.
    xy = np.array([[0.0, 0], [2000, 0], [900, 0], [3000, 0]])
    return make_case(
        np.full(4, 10.0),
        xy,
        xy[[0, 3]],
        np.array([100.0, 100.0]),
        np.array([0, 3]),
        np.array([[0, 1], [1, 2], [2, 3]]),
    )


def test_nearest_is_not_contiguous_but_the_zones_are() -> None:
    case = _river_case()
    nb = case.neighbours()
    nearest = np.argmin(case.distance_m, axis=1)
    assert nearest.tolist() == [0, 1, 0, 1]
    assert components_of(case, nearest, nb) == 2  # A {0, 2} and B {1, 3}
    # contiguous options: A{0} 10·(1 + 2.1) = 31, A{0,1} 10·(2 + 2.1) = 41, A{0,1,2} 10·2.9 = 29
    exact = solve_exact((case,))
    assert exact is not None
    assert exact.labels[0].tolist() == [0, 0, 0, 1]
    assert exact.objective == pytest.approx(29.0)
    heur = solve_heuristic(case)
    assert components_of(case, heur.label, nb) == 0
    assert heur.objective == pytest.approx(29.0)


def _feeder_cases() -> tuple[object, object]:
    # a row of four units 1 km apart, 10 pupils per level each; primary schools in units 0
    # and 3, junior schools in units 0 and 1 — both in the primary zone {0, 1} that is best
    # without feeders
    xy = grid_xy(4, 1)
    edges = grid_edges(4, 1)
    big = np.array([100.0, 100.0])
    primary = make_case(np.full(4, 10.0), xy, xy[[0, 3]], big, np.array([0, 3]), edges)
    junior = make_case(np.full(4, 10.0), xy, xy[[0, 1]], big, np.array([0, 1]), edges)
    return primary, junior


def test_feeder_conflict_by_hand() -> None:
    primary, junior = _feeder_cases()
    free_p, free_j = solve_exact((primary,)), solve_exact((junior,))
    assert free_p is not None and free_j is not None
    # without feeders: primary {0,1}{2,3} = 10·2, junior {0}{1,2,3} = 10·3 → 50, but the
    # primary zone {0, 1} would have to feed both junior schools
    assert free_p.labels[0].tolist() == [0, 0, 1, 1]
    assert free_p.objective + free_j.objective == pytest.approx(50.0)
    fed = solve_exact((primary, junior), feeders=True)
    assert fed is not None
    # the only way out: primary {0}{1,2,3} (10·3) feeding junior {0}{1,2,3} (10·3) → 60
    assert fed.labels[0].tolist() == [0, 1, 1, 1]
    assert fed.labels[1].tolist() == [0, 1, 1, 1]
    assert fed.feeder is not None and fed.feeder.tolist() == [0, 1]
    assert fed.objective == pytest.approx(60.0)
    # the heuristic draws junior zones over its primary zones and counts the conflict
    heur = feed_junior(primary, free_p.labels[0], junior)
    assert heur.conflicts == 1


def test_overflow_is_minimised_and_reported_when_places_are_short() -> None:
    xy = grid_xy(3, 1)
    case = make_case(
        np.array([0.0, 30.0, 0.0]),
        xy,
        xy[[0, 2]],
        np.array([20.0, 5.0]),
        np.array([0, 2]),
        grid_edges(3, 1),
    )
    exact = solve_exact((case,))
    assert exact is not None
    # 30 pupils in one unit: to A (20 places) 10 over, to B (5 places) 25 over
    assert overflow_of(case, exact.labels[0]).tolist() == [10.0, 0.0]


def _district_layers(
    cols: int, rows: int, residents: np.ndarray, schools: dict[str, tuple[int, float]]
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    xy = grid_xy(cols, rows) + 500
    d = gpd.GeoDataFrame(
        {"district_id": ["d"]}, geometry=[shapely.box(0, 0, cols * 1000, rows * 1000)], crs=4547
    )
    e = gpd.GeoDataFrame(
        {
            "estate_id": [f"e{k}" for k in range(len(xy))],
            "district_id": "d",
            "residents": residents,
        },
        geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]),
        crs=4547,
    )
    ids = sorted(schools)
    s = gpd.GeoDataFrame(
        {
            "school_id": ids,
            "district_id": "d",
            "level": "primary",
            "places_primary": [schools[k][1] for k in ids],
            "places_junior": 0.0,
        },
        geometry=gpd.points_from_xy(
            xy[[schools[k][0] for k in ids], 0], xy[[schools[k][0] for k in ids], 1]
        ),
        crs=4547,
    )
    return d, e, s


def test_draw_zones_on_the_grid_by_hand() -> None:
    d, e, s = _district_layers(3, 3, np.full(9, 10.0 / RATE), {"a": (0, 30.0), "b": (8, 60.0)})
    units = build_units(d, e, s, year=2025, standards=STANDARDS)
    assert len(units) == 9 and units.area.sum() == pytest.approx(9e6)
    assert len(unit_adjacency(units)) == 12
    assert len(unit_adjacency(units, contiguity="queen")) == 16  # Delaunay: one diagonal a square
    for method in ("exact", "heuristic"):
        z = draw_zones(d, e, s, year=2025, standards=STANDARDS, levels=["primary"], method=method)
        got = dict(zip(z.assignments["unit_id"], z.assignments["school_id"], strict=True))
        assert [got[f"d:{k}"] for k in range(9)] == [
            ["a", "b"][g] for g in (0, 0, 1, 0, 1, 1, 1, 1, 1)
        ]
        table = z.schools.set_index("school_id")
        assert table.loc["a", "pupils"] == pytest.approx(30.0)
        assert table.loc["b", "max_distance_m"] == pytest.approx(2000.0)
        assert table.loc["a", "mean_distance_m"] == pytest.approx(2000.0 / 3)
        assert z.non_contiguous == 0 and z.max_gap == pytest.approx(0.0, abs=1e-9)
        assert z.zones.area.sum() == pytest.approx(9e6)
        assert sorted(z.zones["school_id"]) == ["a", "b"]


def test_cases_say_where_places_are_short() -> None:
    """Three units in a row, 10 pupils each; school a (5 places) left, b (40) right.

    a's own unit holds 10 pupils: 5 over whatever the zones. Round a, by hand: within 0 km
    10 pupils for 5 places, within 1 km 20 for 5 (the most: 15 more), within 2 km 30 for 45.
    """
    d, e, s = _district_layers(3, 1, np.full(3, 10.0 / RATE), {"a": (0, 5.0), "b": (2, 40.0)})
    z = draw_zones(d, e, s, year=2025, standards=STANDARDS, levels=["primary"])
    row = z.cases.iloc[0]
    assert row["over_pupils"] == pytest.approx(5.0) and not row["capacity_short"]
    assert row["crowded_school"] == "a"
    assert row["crowded_km"] == pytest.approx(1.0)
    assert row["crowded_pupils"] == pytest.approx(20.0)
    assert row["crowded_allowed"] == pytest.approx(5.0)
    assert row["catch_up_km"] == pytest.approx(2.0)
    # no pupil over: nothing to say
    d, e, s = _district_layers(3, 1, np.full(3, 10.0 / RATE), {"a": (0, 50.0), "b": (2, 40.0)})
    row = draw_zones(d, e, s, year=2025, standards=STANDARDS, levels=["primary"]).cases.iloc[0]
    assert row["crowded_school"] == "" and np.isnan(row["crowded_km"])
    assert np.isnan(row["catch_up_km"])


def test_crowded_core_never_catching_up() -> None:
    """Places short in the whole district: the disc is the district, no catch-up radius."""
    xy = grid_xy(3, 1)
    case = make_case(np.full(3, 10.0), xy, xy[[0]], np.array([12.0]), np.array([0]),
                     grid_edges(3, 1))  # fmt: skip
    got = crowded_core(case, np.zeros(3, dtype=np.int64), np.array(["a"]))
    assert got["crowded_km"] == pytest.approx(float(np.hypot(*(xy[2] - xy[0]))) / 1000)
    assert (got["crowded_pupils"], got["crowded_allowed"]) == (30.0, 12.0)
    assert np.isnan(got["catch_up_km"])


def test_crowded_core_is_empty_where_places_outnumber_pupils_nearby() -> None:
    """School a (15 places) is 25 over, but with units 0 and 2 (10 + 30 pupils); round it:
    0 km 10 pupils for 15 places, 1 km 10 for 115 (school b), 2 km 40 for 115: no disc
    holds more pupils than places, so nothing is said."""
    xy = grid_xy(3, 1)
    case = make_case(np.array([10.0, 0, 30]), xy, xy[[0, 1]], np.array([15.0, 100]),
                     np.array([0, 1]), grid_edges(3, 1))  # fmt: skip
    got = crowded_core(case, np.array([0, 1, 0]), np.array(["a", "b"]))
    assert got["crowded_school"] == "" and np.isnan(got["crowded_km"])


def _three_units() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Three units in a row, 10 pupils each; school a in the left, b in the right."""
    return _district_layers(3, 1, np.full(3, 10.0 / RATE), {"a": (0, 100.0), "b": (2, 100.0)})


def _zoned(layers: tuple, current: gpd.GeoDataFrame) -> ZoneResult:
    """The primary zones of ``layers`` with today's zones, one pupil moved costing 5 km."""
    d, e, s = layers
    return draw_zones(
        d,
        e,
        s,
        year=2025,
        standards=STANDARDS,
        levels=["primary"],
        current=current,
        moved_weight_km=5.0,
    )


def test_pupils_moved_from_current_zones() -> None:
    layers = _three_units()
    # today school b's zone covers the middle unit (equidistant): keeping it costs nothing
    current = gpd.GeoDataFrame(
        {"school_id": ["a", "b"]},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 3000, 1000)],
        crs=4547,
    )
    z = _zoned(layers, current)
    assert z.assignments["school_id"].tolist() == ["a", "b", "b"]
    assert z.assignments["moved"].sum() == 0.0
    # move the current zone of the middle unit to a: a weight keeps it there
    current2 = current.assign(
        geometry=[shapely.box(0, 0, 2000, 1000), shapely.box(2000, 0, 3000, 1000)]
    )
    z2 = _zoned(layers, current2)
    assert z2.assignments["school_id"].tolist() == ["a", "a", "b"]


def test_current_zones_count_at_their_own_level() -> None:
    """A nine-year school has a primary and a junior zone: its junior zone is no unit's
    current primary school. Here school a's junior zone covers the two right units, whose
    primary zone is b's; read without its level, the middle unit's current school was a
    (first by id), and keeping it moved the result to [a, a, b]."""
    layers = _three_units()
    current = gpd.GeoDataFrame(
        {"school_id": ["a", "b", "a"], "level": ["primary", "primary", "junior"]},
        geometry=[
            shapely.box(0, 0, 1000, 1000),
            shapely.box(1000, 0, 3000, 1000),
            shapely.box(1000, 0, 3000, 1000),
        ],
        crs=4547,
    )
    z = _zoned(layers, current)
    assert z.assignments["school_id"].tolist() == ["a", "b", "b"]
    assert z.assignments["moved"].sum() == 0.0


def test_bad_options_raise() -> None:
    d, e, s = _district_layers(2, 1, np.full(2, 100.0), {"a": (0, 10.0)})
    with pytest.raises(ConfigError, match="feeders=True needs both levels"):
        draw_zones(d, e, s, year=2025, standards=STANDARDS, levels=["primary"], feeders=True)
    with pytest.raises(ConfigError, match="max_utilisation"):
        draw_zones(d, e, s, year=2025, standards=STANDARDS, max_utilisation=0.0)
    with pytest.raises(InputError, match="residents"):
        draw_zones(d, e.assign(residents=-1.0), s, year=2025, standards=STANDARDS)


_cases = partial(grid_cases, cols=(2, 4), rows=(2, 4), schools=3, pupils=20, allowed=80)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_zone_invariants(case: object) -> None:
    nb = case.neighbours()
    heur = solve_heuristic(case)
    exact = solve_exact((case,))
    assert exact is not None and exact.status == "optimal"
    for label in (heur.label, exact.labels[0]):
        # every unit (every pupil) in exactly one zone, of a school; zones connected around
        # their school
        assert label.shape == (case.n,) and ((label >= 0) & (label < case.m)).all()
        assert (label[case.root] == np.arange(case.m)).all()
        assert components_of(case, label, nb) == 0
        load = np.bincount(label, weights=case.pupils, minlength=case.m)
        assert load.sum() == pytest.approx(case.pupils.sum())
    # the bound holds, and the exact answer is at least as good as the heuristic's
    assert heur.bound <= exact.objective + 1e-6 * max(1.0, exact.objective)
    assert exact.objective <= heur.objective + 1e-6 * max(1.0, heur.objective)
    # capacities held when one school could take everybody alone... then the exact answer
    # has no overflow
    if (case.allowed >= case.pupils.sum()).all():
        assert overflow_of(case, exact.labels[0]).sum() == pytest.approx(0.0)
        assert overflow_of(case, heur.label).sum() == pytest.approx(0.0)


def test_feeder_conflict_in_the_heuristic_keeps_zones_contiguous() -> None:
    # a 2×4 grid: one primary zone holds both junior schools; the junior zones drawn over
    # the primary zones stay connected, and the conflict is counted
    xy = grid_xy(4, 2)
    edges = grid_edges(4, 2)
    primary = make_case(
        np.full(8, 10.0), xy, xy[[0, 7]], np.array([100.0, 100.0]), np.array([0, 7]), edges
    )
    junior = make_case(
        np.full(8, 10.0), xy, xy[[1, 4, 6]], np.full(3, 100.0), np.array([1, 4, 6]), edges
    )
    label_p = solve_heuristic(primary).label
    fed = feed_junior(primary, label_p, junior)
    assert fed.conflicts >= 1
    assert components_of(junior, fed.label, junior.neighbours()) == 0
    # every unit's junior school is its primary school's feeder
    assert (fed.label == fed.feeder[label_p]).all()


def _row_case() -> object:
    # five units of 10 pupils in a row, 1 km apart; schools in units 0, 2 and 4 with room
    # for 10, 20 and 30
    xy = grid_xy(5, 1)
    return make_case(
        np.full(5, 10.0),
        xy,
        xy[[0, 2, 4]],
        np.array([10.0, 20.0, 30.0]),
        np.array([0, 2, 4]),
        grid_edges(5, 1),
    )


def test_a_push_chain_does_what_no_single_move_can() -> None:
    # zone 0 = units 0-1 (20 pupils, 10 over), zone 1 = units 2-3 (full), zone 2 = unit 4.
    # Moving unit 1 to zone 1 only moves the 10 over there; moving unit 3 to zone 2
    # changes neither travel (1 km either way) nor overflow: local search keeps the start.
    # Pushing unit 1 to zone 1 and then unit 3 on to zone 2 leaves nobody over: travel
    # 10·(0+1+0+1+0) = 20 pupil-km, the optimum.
    case = _row_case()
    nb = case.neighbours()
    start = np.array([0, 0, 1, 1, 2])
    kept, moves = local_search(case, start, nb)
    assert moves == 0 and kept.tolist() == start.tolist()
    assert overflow_of(case, kept).sum() == pytest.approx(10.0)
    pushed, pushes = push_excess(case, start, nb)
    assert pushed.tolist() == [0, 1, 1, 2, 2] and pushes == 2
    assert overflow_of(case, pushed).sum() == pytest.approx(0.0)
    assert objective_of(case, pushed) == pytest.approx(20.0)
    answer = solve_exact((case,))
    assert answer is not None and answer.objective == pytest.approx(20.0)


def test_a_push_takes_the_branch_behind_a_unit() -> None:
    # a row of four units, one zone rooted in unit 0: unit 2 leaving takes unit 3 along
    xy = grid_xy(4, 1)
    case = make_case(np.ones(4), xy, xy[:1], np.array([9.0]), np.array([0]), grid_edges(4, 1))
    assert branch_of(case, np.zeros(4, dtype=np.int64), case.neighbours(), 2) == [2, 3]


def test_zone_heights_count_borders_to_room() -> None:
    case = _row_case()
    load = np.array([20.0, 20.0, 10.0])  # zones 0 and 1 full, zone 2 with room
    heights, adj = zone_heights(case, np.array([0, 0, 1, 1, 2]), load)
    assert heights.tolist() == [2, 1, 0] and adj == [[1], [0, 2], [1]]


def test_unavoidable_overflow_by_hand() -> None:
    # 30 pupils, room for 25 (5 short); school 1 stands in unit 1, 12 pupils with room for
    # 10; unit 2 lies behind it and can only join school 1: 12 + 8 − 10 = 10 over
    case = make_case(
        np.array([10.0, 12.0, 8.0]),
        np.zeros((3, 2)),
        np.zeros((2, 2)),
        np.array([15.0, 10.0]),
        np.array([0, 1]),
        np.array([[0, 1], [1, 2]]),
    )
    assert unavoidable_overflow(case) == pytest.approx(10.0)
    roomy = make_case(
        np.array([1.0, 12.0, 1.0]),
        np.zeros((3, 2)),
        np.zeros((2, 2)),
        np.array([50.0, 10.0]),
        np.array([0, 1]),
        np.array([[0, 1], [1, 2]]),
    )
    assert unavoidable_overflow(roomy) == pytest.approx(13.0 - 10.0)
    # the LP bound holds the forced overflow at the penalty: bound ≥ penalty × 10
    heur = solve_heuristic(case)
    assert heur.bound >= case.penalty * 10.0 - 1e-6
    assert overflow_of(case, heur.label).sum() == pytest.approx(10.0)


def test_pupils_cut_off_by_a_full_school_are_over() -> None:
    # a row of five units of 10 pupils, 1 km apart; school 0 in unit 0 (room for 40),
    # school 1 in the middle unit 2 (room for 10, full with its own unit). Units 3 and 4
    # reach school 0 only through unit 2, which is school 1's: they can only join school
    # 1, so 20 pupils are over although the district has room (50 pupils, 50 places).
    # Optimum: {0, 1} and {2, 3, 4}; travel 10 + 10 + 20 pupil-km, 20 over.
    xy = np.column_stack([np.arange(5) * 1000.0, np.zeros(5)])
    edges = np.array([[0, 1], [1, 2], [2, 3], [3, 4]])
    case = make_case(
        np.full(5, 10.0), xy, xy[[0, 2]], np.array([40.0, 10.0]), np.array([0, 2]), edges
    )
    pocket, borders = pockets(case)
    assert pocket.tolist() == [-1, 0, -1, 1, 1]
    assert borders.tolist() == [[True, True], [False, True]]
    assert reachable(case).astype(int).tolist() == [[1, 0], [1, 1], [0, 1], [0, 1], [0, 1]]
    assert unavoidable_overflow(case) == pytest.approx(20.0)
    heur = solve_heuristic(case)
    assert heur.label.tolist() == [0, 0, 1, 1, 1]
    assert heur.bound == pytest.approx(40.0 + 20.0 * case.penalty)
    assert heur.objective == pytest.approx(heur.bound) and heur.gap == pytest.approx(0.0)
    exact = solve_exact((case,))
    assert exact is not None and exact.objective == pytest.approx(heur.bound)


# up to 4×4 grids with up to 5 schools, so that schools' units cut off pockets
_pocket_cases = partial(grid_cases, cols=(1, 4), rows=(2, 4), schools=5, pupils=20, allowed=60)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pocket_cases())
def test_pocket_bounds_never_exceed_the_optimum(case: object) -> None:
    exact = solve_exact((case,))
    assert exact is not None and exact.status == "optimal"
    label = exact.labels[0]
    # the optimum sends every unit to a school it can reach ...
    assert reachable(case)[np.arange(case.n), label].all()
    # ... so neither the overflow bound nor the transport LP's exceeds it
    assert unavoidable_overflow(case) <= overflow_of(case, label).sum() + 1e-6
    heur = solve_heuristic(case)
    assert heur.bound <= exact.objective + 1e-6 * max(1.0, exact.objective)
    assert unavoidable_overflow(case) <= overflow_of(case, heur.label).sum() + 1e-6
    # more rounds of pushes and chains never give worse zones
    once = solve_heuristic(case, max_cycles=0)
    assert heur.objective <= once.objective + 1e-9 * max(1.0, once.objective)
    # pockets only raise the transport LP's bound
    plain = transport_bound(case, pockets=False)[0]
    assert heur.bound >= plain - 1e-6 * max(1.0, abs(plain))
    # and the overflow bound is at least the district's shortfall and the roots' excess
    short = case.pupils.sum() - case.allowed.sum()
    roots = np.clip(case.pupils[case.root] - case.allowed, 0.0, None).sum()
    assert unavoidable_overflow(case) >= max(short, roots, 0.0) - 1e-6


def _slow_case() -> object:
    # 12×12 units, 8 schools with room for fewer pupils than live there: a flow model the
    # MIP needs far longer than the limits below to prove
    rng = np.random.default_rng(7)
    xy = grid_xy(12, 12)
    roots = np.array([0, 11, 66, 77, 90, 132, 143, 40])
    return make_case(
        rng.integers(1, 30, size=144).astype(float),
        xy,
        xy[roots],
        np.full(8, 230.0),
        roots,
        grid_edges(12, 12),
    )


def test_the_child_process_gives_the_same_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    case = _grid_case()
    monkeypatch.setattr(exact_module, "CHILD_FROM_COLUMNS", 0)
    answer = solve_exact((case,), time_limit_s=60.0)
    assert answer is not None and answer.status == "optimal"
    assert answer.labels[0].tolist() == GRID_LABEL
    assert answer.objective == pytest.approx(GRID_OPTIMUM)


def test_the_time_limit_bounds_the_exact_call(monkeypatch: pytest.MonkeyPatch) -> None:
    case = _slow_case()
    heur = solve_heuristic(case)
    # in a child process, ended at the limit: no answer, or the start at the time limit
    monkeypatch.setattr(exact_module, "CHILD_FROM_COLUMNS", 0)
    early = solve_exact((case,), time_limit_s=0.05, start=(heur.label,))
    assert early is None or (
        early.status == "time_limit" and early.objective <= heur.objective * (1 + 1e-6)
    )
    # in this process: HiGHS stops at the limit with the complete start it was given
    monkeypatch.setattr(exact_module, "CHILD_FROM_COLUMNS", 10**9)
    answer = solve_exact((case,), time_limit_s=0.5, start=(heur.label,))
    assert answer is not None and answer.status in ("time_limit", "optimal")
    assert answer.objective <= heur.objective + 1e-6 * heur.objective
    assert components_of(case, answer.labels[0], case.neighbours()) == 0


def test_draw_zones_keeps_the_heuristic_zones_when_time_is_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    d, e, s = _district_layers(3, 3, np.full(9, 10.0 / RATE), {"a": (0, 30.0), "b": (8, 60.0)})
    monkeypatch.setattr(exact_module, "CHILD_FROM_COLUMNS", 0)
    z = draw_zones(
        d,
        e,
        s,
        year=2025,
        standards=STANDARDS,
        levels=["primary"],
        method="exact",
        time_limit_s=0.01,
    )
    row = z.cases.iloc[0]
    assert row["method"] == "heuristic" and row["status"] == "feasible"
    assert "time limit" in row["note"]
    got = dict(zip(z.assignments["unit_id"], z.assignments["school_id"], strict=True))
    assert [got[f"d:{k}"] for k in range(9)] == [["a", "b"][g] for g in GRID_LABEL]
    assert z.non_contiguous == 0 and row["over_bound"] == 0.0


@settings(max_examples=60, deadline=None)
@given(_pocket_cases(), st.randoms(use_true_random=False))
def test_zone_branches_match_branch_of(case: object, rnd: object) -> None:
    # any labelling with each school in its own unit, zones connected or not
    label = np.array([rnd.randrange(case.m) for _ in range(case.n)], dtype=np.int64)
    label[case.root] = np.arange(case.m)
    nb = case.neighbours()
    for x in range(case.m):
        got = zone_branches(case, label, nb, x)
        members = [u for u in np.flatnonzero(label == x).tolist() if u != case.root[x]]
        assert sorted(got) == members
        for u in members:
            assert got[u] == branch_of(case, label, nb, u)
        free = removable_units(case, label, nb, x)
        if free is not None:  # a connected zone: the units it can lose, as unit by unit
            assert free == {u for u in members if stays_connected(case, label, nb, u)}


def test_feeder_zones_say_when_the_time_limit_cut_them_short() -> None:
    """With feeders, a district reached with no time left keeps its heuristic zones and
    says so in ``cases``, as without feeders (its note was empty)."""
    d, e, s = _district_layers(3, 3, np.full(9, 10.0 / RATE), {"a": (0, 60.0), "b": (8, 60.0)})
    junior = s.assign(
        school_id=["ja", "jb"], level="junior", places_primary=0.0, places_junior=60.0
    )
    both = gpd.GeoDataFrame(pd.concat([s, junior], ignore_index=True), crs=4547)
    z = draw_zones(
        d, e, both, year=2025, standards=STANDARDS, feeders=True, method="exact", time_limit_s=0.0
    )
    assert set(z.cases["method"]) == {"heuristic"}
    assert z.cases["note"].str.contains("time limit").all(), z.cases["note"].tolist()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_pocket_cases())
def test_zones_grown_with_no_time_are_whole_and_bounded(case: object) -> None:
    """What a case begun after the time limit gets: every unit in one connected zone
    holding its school's unit, and a bound no better than the optimum."""
    grown = grown_zones(case)
    nb = case.neighbours()
    assert (grown.label >= 0).all() and components_of(case, grown.label, nb) == 0
    assert (grown.label[case.root] == np.arange(case.m))[_first_root(case)].all()
    assert grown.objective == pytest.approx(objective_of(case, grown.label))
    exact = solve_exact((case,))
    assert exact is not None and exact.status == "optimal"
    assert grown.bound <= exact.objective + 1e-6 * max(1.0, exact.objective)
    late = solve_heuristic(case, deadline=0.0)
    assert grown.cut == late.cut == "start" and late.label.tolist() == grown.label.tolist()


def _first_root(case: object) -> np.ndarray:
    # schools whose unit roots no earlier school (a shared unit goes to the first)
    seen: set[int] = set()
    keep = []
    for r in case.root.tolist():
        keep.append(r not in seen)
        seen.add(r)
    return np.array(keep)


def test_cases_begun_after_the_time_limit_only_grow_their_zones() -> None:
    """With no time at all, each case grows zones from its schools (no LP, no search): the
    call returns at once with every unit zoned, zones whole, and says so in ``cases``."""
    d, e, s = _district_layers(3, 3, np.full(9, 10.0 / RATE), {"a": (0, 30.0), "b": (8, 60.0)})
    z = draw_zones(d, e, s, year=2025, standards=STANDARDS, levels=["primary"], time_limit_s=0.0)
    row = z.cases.iloc[0]
    assert row["method"] == "heuristic" and "before this case" in row["note"]
    assert z.non_contiguous == 0 and z.assignments["school_id"].notna().all()
    # grown cheapest first: a takes units 1 and 3 (1 km, 10 each) and is full at 30; unit 4
    # (√2 km from both) would put a over, so b takes it, then units 2 and 6 (2 km): by hand
    # the optimum here too
    got = dict(zip(z.assignments["unit_id"], z.assignments["school_id"], strict=True))
    assert [got[f"d:{k}"] for k in range(9)] == [["a", "b"][g] for g in GRID_LABEL]


def _three_districts() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Three 4 × 3 districts side by side, each with its own pupils and schools."""
    layers = []
    rng = np.random.default_rng(5)
    for k, did in enumerate(["d1", "d2", "d3"]):
        d, e, s = _district_layers(
            4, 3, rng.uniform(5, 15, 12) / RATE, {"a": (0, 40.0 + 10 * k), "b": (11, 60.0)}
        )
        shift = k * 5000.0
        d = d.assign(district_id=did, geometry=d.translate(shift))
        e = e.assign(district_id=did, estate_id=e["estate_id"] + did, geometry=e.translate(shift))
        s = s.assign(district_id=did, school_id=s["school_id"] + did, geometry=s.translate(shift))
        layers.append((d, e, s))
    return tuple(  # type: ignore[return-value]
        gpd.GeoDataFrame(pd.concat([lay[i] for lay in layers], ignore_index=True), crs=4547)
        for i in range(3)
    )


def test_districts_side_by_side_give_the_same_zones() -> None:
    """Two worker processes: the same assignments, bounds and cases as one, in order."""
    d, e, s = _three_districts()
    # both levels: a job per district and level (the junior level has no school here)
    one = draw_zones(d, e, s, year=2025, standards=STANDARDS, workers=1)
    two = draw_zones(d, e, s, year=2025, standards=STANDARDS, workers=2)
    pd.testing.assert_frame_equal(one.assignments, two.assignments)
    pd.testing.assert_frame_equal(
        one.cases.drop(columns="seconds"), two.cases.drop(columns="seconds")
    )
    assert one.cases["district_id"].tolist() == ["d1", "d1", "d2", "d2", "d3", "d3"]
    assert one.cases["level"].tolist() == ["primary", "junior"] * 3
    assert (one.cases.loc[one.cases["level"] == "junior", "status"] == "no_school").all()
    pd.testing.assert_frame_equal(one.schools, two.schools)
    with pytest.raises(ConfigError, match="workers=0"):
        draw_zones(d, e, s, year=2025, standards=STANDARDS, levels=["primary"], workers=0)
