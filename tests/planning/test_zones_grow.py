"""Priced growth and pairs re-split (:mod:`xuewei.planning.zones.grow`, ``.pairs``): by hand."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from zone_grids import grid_cases, grid_edges, grid_xy

from xuewei.planning.zones.grow import (
    edge_lengths,
    graph_distances,
    graph_prices,
    priced_growth,
    priced_start,
)
from xuewei.planning.zones.heuristic import local_search, solve_heuristic
from xuewei.planning.zones.pairs import pair_case, resplit_pairs
from xuewei.planning.zones.problem import components_of, make_case, objective_of, overflow_of


def test_graph_distances_go_round_other_schools() -> None:
    # 3 × 2 units 1 km apart; schools in units 0 and 1 (top left, top middle). From unit 2
    # (top right) to school 0 the straight path runs through school 1's unit: the path
    # inside a zone of school 0 goes round it, 2-5-4-3-0, 4 km
    xy = grid_xy(3, 2)
    c = make_case(np.ones(6), xy, xy[[0, 1]], np.ones(2), np.array([0, 1]), grid_edges(3, 2))
    assert edge_lengths(c).tolist() == pytest.approx([1000.0] * 7)
    g = graph_distances(c)
    assert g[2].tolist() == pytest.approx([4000.0, 1000.0])
    assert g[4].tolist() == pytest.approx([2000.0, 1000.0])  # 4-3-0, and 4-1
    assert g[0].tolist() == [0.0, np.inf] and g[1].tolist() == [np.inf, 0.0]


def test_a_price_per_pupil_for_a_full_school() -> None:
    # units at 0, 1, 2, 3 and 5 km on a row; schools at 0 km (room for 10) and 5 km (room
    # for 30); 10 pupils at 1, 2 and 3 km. The first school takes one unit: the one at
    # 1 km (it saves 3 km a pupil, the one at 2 km 1 km). Its room is worth 1 km a pupil:
    # at less, the unit at 2 km would want it too
    xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0], [5000, 0]])
    c = make_case(
        np.array([0.0, 10, 10, 10, 0]),
        xy,
        xy[[0, 4]],
        np.array([10.0, 30]),
        np.array([0, 4]),
        np.array([[0, 1], [1, 2], [2, 3], [3, 4]]),
    )
    pi, x = graph_prices(c, graph_distances(c))
    assert pi.tolist() == pytest.approx([1000.0, 0.0], abs=1e-6)
    assert x[1:4].ravel().tolist() == pytest.approx([1, 0, 0, 1, 0, 1], abs=1e-9)
    # grown at these prices: unit 2 is 2 km + 1 km from school 0, 3 km from school 1: a
    # tie, broken by the LP's share (school 1); unit 1 fits school 0, unit 3 goes right
    lab = priced_growth(c, c.neighbours(), pi, x, edge_lengths(c))
    assert lab.tolist() == [0, 0, 1, 1, 1]


def _town() -> object:
    # 4 columns × 3 rows, 1 km apart, pupils by hand (most in the middle); schools in
    # units 2, 3, 9 and 11 with room for 135, 31, 106 and 33 (275 pupils, 305 places)
    pupils = np.array([16, 22, 27, 17, 16, 39, 42, 16, 18, 20, 28, 14], dtype=float)
    xy = grid_xy(4, 3)
    roots = np.array([2, 3, 9, 11])
    allowed = np.array([135.0, 31, 106, 33])
    return make_case(pupils, xy, xy[roots], allowed, roots, grid_edges(4, 3))


def test_the_priced_start_leaves_no_pupil_over_where_the_old_start_did() -> None:
    c = _town()
    nb = c.neighbours()
    # from the transport LP's start, school 3 ends with units 10 and 11: 28 + 14 = 42 > 33,
    # 9 pupils over, which no move of the local search, pushes or chains takes away
    old = solve_heuristic(c, priced=False)
    assert overflow_of(c, old.label).tolist() == [0.0, 0.0, 0.0, 9.0]
    # no school's room is worth a price here (π = 0): the zones grow by path length, each
    # taking a unit only if it has room for it. At 1 km school 0 takes units 1 and 6 (27 +
    # 22 + 42 = 91), school 1 has no room for unit 7 (17 + 16 > 31), school 2 takes units
    # 5, 8 and 10 (20 + 39 + 18 + 28 = 105), school 3 unit 7 (14 + 16 = 30 ≤ 33); at 2 km
    # school 0 takes unit 0 (107) and school 2 has no room for unit 4 (105 + 16 > 106),
    # which school 0 takes at 3 km (123 ≤ 135). Each zone is connected
    pi, _ = graph_prices(c, graph_distances(c))
    assert pi.tolist() == pytest.approx([0.0] * 4, abs=1e-6)
    grown = priced_start(c, nb)
    assert grown.tolist() == [0, 0, 0, 1, 0, 2, 0, 3, 2, 2, 2, 3]
    load = np.bincount(grown, weights=c.pupils, minlength=c.m)
    assert load.tolist() == [123.0, 17.0, 105.0, 30.0]
    assert components_of(c, grown, nb) == 0
    new = solve_heuristic(c)
    assert overflow_of(c, new.label).sum() == 0.0
    assert components_of(c, new.label, nb) == 0
    assert new.objective < old.objective


def test_no_priced_start_where_places_are_short() -> None:
    # 275 pupils, room for 270: the district is short, the heuristic keeps its own start
    c = _town()
    xy = grid_xy(4, 3)
    short = make_case(c.pupils, xy, xy[c.root], np.array([135.0, 31, 71, 33]), c.root, c.edges)
    a, b = solve_heuristic(short), solve_heuristic(short, priced=False)
    assert a.label.tolist() == b.label.tolist()


_cases = partial(grid_cases, cols=(2, 5), rows=(2, 5), schools=5, pupils=40, allowed=150)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_growth_keeps_zones_connected_and_within_room(case: object) -> None:
    nb = case.neighbours()
    lab = priced_start(case, nb)
    assert (lab[case.root] == np.arange(case.m)).all()
    # every zone grown is connected around its school (units left out are -1)
    assert components_of(case, lab, nb) == 0
    # and no zone takes a unit it has no room for (its school's own unit aside)
    load = np.bincount(lab[lab >= 0], weights=case.pupils[lab >= 0], minlength=case.m)
    assert (load <= np.maximum(case.allowed, case.pupils[case.root]) + 1e-9).all()
    # a unit is left out only if every neighbour is left out or in a zone without room
    for i in np.flatnonzero(lab < 0).tolist():
        for v in nb[i]:
            j = int(lab[v])
            assert j < 0 or load[j] + case.pupils[i] > case.allowed[j] + 1e-9
    # the heuristic with the priced start is never worse than without it
    a, b = solve_heuristic(case), solve_heuristic(case, priced=False)
    assert a.objective <= b.objective + 1e-9 * max(1.0, b.objective)
    assert components_of(case, a.label, nb) == 0


def test_district_cases_are_the_cases_draw_zones_solves() -> None:
    import geopandas as gpd
    import shapely

    from xuewei.data import load_standards
    from xuewei.planning.zones import district_cases, draw_zones

    d = gpd.GeoDataFrame(
        {"district_id": ["d", "e"]},
        geometry=[shapely.box(0, 0, 4000, 1000), shapely.box(0, 1000, 4000, 2000)],
        crs=4547,
    )
    e = gpd.GeoDataFrame(
        {"estate_id": list("abcde"), "district_id": ["d"] * 4 + ["e"], "residents": 1000.0},
        geometry=gpd.points_from_xy([500, 1500, 2500, 3500, 2000], [500] * 4 + [1500]),
        crs=4547,
    )
    s = gpd.GeoDataFrame(
        {
            "school_id": ["w", "x", "y"],
            "district_id": ["d", "d", "e"],
            "level": "primary",
            "places_primary": [150.0, 150.0, 90.0],
            "places_junior": 0.0,
        },
        geometry=gpd.points_from_xy([0, 4000, 1000], [500, 500, 1500]),
        crs=4547,
    )
    std = load_standards()
    cases = district_cases(d, e, s, year=2025, standards=std, levels=["primary"])
    assert sorted(cases) == [("d", "primary"), ("e", "primary")]
    only = district_cases(d, e, s, year=2025, standards=std, district_ids=["d"], levels=["primary"])
    case, ids = only[("d", "primary")]
    assert list(only) == [("d", "primary")] and ids.tolist() == ["w", "x"]
    # four estates of 1,000 residents, each its own unit (plus the schools' own units)
    rate = std.places_per_resident("primary")
    assert case.pupils.sum() == pytest.approx(4000 * rate)
    assert case.allowed.tolist() == [150.0, 150.0]
    np.testing.assert_array_equal(case.pupils, cases[("d", "primary")][0].pupils)
    z = draw_zones(d, e, s, year=2025, standards=std, levels=["primary"], method="heuristic")
    got = z.assignments[z.assignments["district_id"] == "d"]["school_id"].tolist()
    assert [ids[j] for j in solve_heuristic(case).label] == got


def test_a_pair_swap_no_single_move_makes() -> None:
    # 2 × 2 units; school 0 in unit 0 (room for 10), school 1 in unit 3 (room for 15); units
    # 1 and 2 hold 15 and 10 pupils. Zones {0, 1} (15: 5 over) and {2, 3} (10). Handing unit
    # 1 over leaves 25 - 15 = 10 over, unit 2 15 over: local search moves nothing. Split
    # anew, {0, 2} (10) and {1, 3} (15) both fit, and both are connected
    xy = np.array([[0.0, 0], [1000, 0], [0, 1000], [1000, 1000]])
    c = make_case(
        np.array([0.0, 15, 10, 0]),
        xy,
        xy[[0, 3]],
        np.array([10.0, 15]),
        np.array([0, 3]),
        np.array([[0, 1], [2, 3], [0, 2], [1, 3]]),
    )
    start = np.array([0, 0, 1, 1])
    assert local_search(c, start, c.neighbours())[0].tolist() == start.tolist()
    sub, units = pair_case(c, start, 0, 1)
    assert units.tolist() == [0, 1, 2, 3] and sub.allowed.tolist() == [10.0, 15.0]
    tried: set[bytes] = set()
    lab, n = resplit_pairs(c, start, tried=tried)
    assert lab.tolist() == [0, 1, 0, 1] and n == 1
    assert overflow_of(c, lab).sum() == 0.0
    # nothing over any more: no pair to try, nothing remembered
    again, m = resplit_pairs(c, lab, tried=tried)
    assert again.tolist() == lab.tolist() and m == 0 and not tried


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_cases())
def test_pairs_re_split_only_pairs_and_never_worsen(case: object) -> None:
    nb = case.neighbours()
    start = solve_heuristic(case, priced=False).label
    load = np.bincount(start, weights=case.pupils, minlength=case.m)
    tried: set[bytes] = set()
    lab, n = resplit_pairs(case, start, tried=tried)
    assert components_of(case, lab, nb) == 0
    assert (lab[case.root] == np.arange(case.m)).all()
    before, after = objective_of(case, start), objective_of(case, lab)
    assert after <= before + 1e-9 * max(1.0, before)
    assert (n == 0) == (lab.tolist() == start.tolist())
    # only zones over their places and zones with room change, never a full one
    changed = np.unique(np.concatenate([start[lab != start], lab[lab != start]]))
    full = np.abs(load - case.allowed) <= 1e-9
    assert not full[changed].any()
    # pairs found without gain are skipped the next time: the same answer, no new tries
    again, m = resplit_pairs(case, lab, tried=tried)
    if m == 0:
        assert again.tolist() == lab.tolist()


def test_the_pairs_re_split_leaves_no_pupil_over_where_the_old_heuristic_did() -> None:
    # 3 × 2 units; pupils 16 17 7 (top row), 24 8 8 (bottom); school 0 in unit 3 (room for
    # 55), school 1 in unit 5 (room for 33): 80 pupils, 88 places
    xy = grid_xy(3, 2)
    c = make_case(
        np.array([16.0, 17, 7, 24, 8, 8]),
        xy,
        xy[[3, 5]],
        np.array([55.0, 33]),
        np.array([3, 5]),
        grid_edges(3, 2),
    )
    # the heuristic without the priced start and pairs: zones {0, 1, 3} (16 + 17 + 24 = 57,
    # 2 over) and {2, 4, 5} (23); handing unit 1 to school 1 leaves 40 - 33 = 7 over, and
    # unit 0 does not border zone 1
    old = solve_heuristic(c, priced=False)
    assert old.label.tolist() == [0, 0, 1, 0, 1, 1]
    assert overflow_of(c, old.label).tolist() == [2.0, 0.0]
    # the only contiguous split with nobody over: school 1 takes units 1, 2, 5 (17 + 7 + 8 =
    # 32 ≤ 33; {1, 4, 5} = 33 would cut unit 2 off from school 0), school 0 units 0, 3, 4
    # (16 + 24 + 8 = 48 ≤ 55)
    assert resplit_pairs(c, old.label)[0].tolist() == [0, 1, 1, 0, 0, 1]
    new = solve_heuristic(c)
    assert new.label.tolist() == [0, 1, 1, 0, 0, 1]
    assert overflow_of(c, new.label).sum() == 0.0


def test_pairs_budget_is_nodes_not_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each pair's model gets a budget of branch-and-bound nodes, passed to HiGHS, and no
    clock of its own (only the caller's deadline): a busy machine draws the same zones."""
    import math

    from xuewei.planning.zones import exact, pairs
    from xuewei.planning.zones.pairs import PAIR_MAX_NODES

    xy = np.array([[0.0, 0], [1000, 0], [0, 1000], [1000, 1000]])
    c = make_case(np.array([0.0, 15, 10, 0]), xy, xy[[0, 3]], np.array([10.0, 15]),
                  np.array([0, 3]), np.array([[0, 1], [2, 3], [0, 2], [1, 3]]))  # fmt: skip
    calls: list[dict[str, object]] = []
    solve = pairs.solve_exact

    def spy(*args: object, **kw: object) -> object:
        calls.append(kw)
        return solve(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pairs, "solve_exact", spy)
    assert resplit_pairs(c, np.array([0, 0, 1, 1]))[0].tolist() == [0, 1, 0, 1]
    assert calls and all(k["max_nodes"] == PAIR_MAX_NODES for k in calls)
    assert all(math.isinf(float(k["time_limit_s"])) for k in calls)  # type: ignore[arg-type]
    # and HiGHS is told: the option reaches the solver
    seen: list[object] = []
    highs = exact.solve_highs

    def spy_highs(*args: object, **kw: object) -> object:
        seen.append(kw.get("options"))
        return highs(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(exact, "solve_highs", spy_highs)
    resplit_pairs(c, np.array([0, 0, 1, 1]), max_nodes=7)
    assert seen == [{"mip_max_nodes": 7}]
