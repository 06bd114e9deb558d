"""2SFCA / E2SFCA: hand-computed cases and agreement with PySAL access."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from xuewei.gis import pairs_within, point_xy, step_weights, two_step_fca


def _pts(xy, **cols) -> gpd.GeoDataFrame:
    xy = np.asarray(xy, dtype=float)
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=4547)


def test_hand_computed() -> None:
    # d1 reaches s1 only; d2 reaches s1 and s2; d3 reaches nothing
    demand = _pts([(0, 0), (600, 0), (5000, 0)], residents=[100.0, 300.0, 50.0])
    supply = _pts([(300, 0), (1000, 0)], places=[200.0, 90.0])
    out = two_step_fca(demand, supply, radius_m=500)
    r1 = 200 / 400  # s1: 200 places for d1 + d2
    r2 = 90 / 300  # s2: 90 places for d2
    assert out["access"].tolist() == pytest.approx([r1, r1 + r2, 0.0])
    assert out["places_per_1000"].iloc[1] == pytest.approx(800.0)
    assert out["schools_in_reach"].tolist() == [1, 2, 0]


def test_enhanced_weights_hand_computed() -> None:
    demand = _pts([(0, 0), (400, 0)], residents=[100.0, 100.0])
    supply = _pts([(100, 0)], places=[150.0])
    w = step_weights({200: 1.0, 500: 0.5})
    out = two_step_fca(demand, supply, radius_m=500, weights=w)
    r = 150 / (100 * 1.0 + 100 * 0.5)
    assert out["access"].tolist() == pytest.approx([r * 1.0, r * 0.5])


@pytest.mark.parametrize("enhanced", [False, True])
def test_agrees_with_pysal_access(enhanced: bool) -> None:
    access = pytest.importorskip("access")
    from access import weights as aw

    rng = np.random.default_rng(3)
    demand = _pts(rng.uniform(0, 3000, (120, 2)), residents=rng.integers(0, 900, 120) * 1.0)
    supply = _pts(rng.uniform(0, 3000, (15, 2)), places=rng.integers(100, 2000, 15) * 1.0)
    radius = 800.0
    steps = {400.0: 1.0, 600.0: 0.68, 800.0: 0.22}
    ours = two_step_fca(
        demand, supply, radius_m=radius, weights=step_weights(steps) if enhanced else None
    )
    p = pairs_within(point_xy(demand), point_xy(supply), radius_m=radius)
    cost = pd.DataFrame({"origin": p.origin, "dest": p.dest, "cost": p.distance_m})
    ddf = pd.DataFrame({"residents": demand["residents"].to_numpy()})
    ddf.index.name = "geoid"
    sdf = pd.DataFrame({"places": supply["places"].to_numpy()})
    sdf.index.name = "geoid"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = access.Access(
            demand_df=ddf,
            demand_value="residents",
            supply_df=sdf,
            supply_value="places",
            cost_df=cost,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        if enhanced:
            got = a.enhanced_two_stage_fca(max_cost=radius, weight_fn=aw.step_fn(steps))
        else:
            got = a.two_stage_fca(max_cost=radius)
    theirs = got.iloc[:, 0].reindex(range(len(demand))).fillna(0.0).to_numpy()
    np.testing.assert_allclose(ours["access"].to_numpy(), theirs, rtol=0, atol=1e-9)
    assert (ours["access"] > 0).sum() > 10


def test_polygons_use_a_point_inside() -> None:
    demand = gpd.GeoDataFrame(
        {"residents": [10.0]}, geometry=[shapely.box(-10, -10, 10, 10)], crs=4547
    )
    supply = _pts([(0, 100)], places=[5.0])
    assert two_step_fca(demand, supply, radius_m=200)["access"].tolist() == [0.5]


def test_pairs_measured_once_give_the_same_access() -> None:
    rng = np.random.default_rng(8)
    demand = _pts(rng.uniform(0, 3000, (200, 2)), residents=rng.integers(0, 900, 200) * 1.0)
    supply = _pts(rng.uniform(0, 3000, (12, 2)), places=rng.integers(100, 2000, 12) * 1.0)
    wide = pairs_within(point_xy(demand), point_xy(supply), radius_m=1200.0)
    for radius in (800.0, 1200.0):
        measured = two_step_fca(demand, supply, radius_m=radius)
        given = two_step_fca(demand, supply, radius_m=radius, pairs=wide)
        pd.testing.assert_frame_equal(given, measured, check_exact=True)
    assert (measured["schools_in_reach"] > 1).sum() > 10
    with pytest.raises(ValueError, match=r"pairs.dest holds positions 0…11 but supply has 5"):
        two_step_fca(demand, supply.iloc[:5], radius_m=800.0, pairs=wide)
