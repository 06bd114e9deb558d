"""Reach: urban and rural radii, and served / in reach but full / out of reach."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import example, given, settings
from hypothesis import strategies as st

from xuewei.data import load_standards
from xuewei.errors import InputError
from xuewei.gis import assign_catchments, parse_settlement, urban_by_density

S = load_standards()
# at 90 places per 1,000 residents, primary takes two thirds: 0.06 places per resident
RATE_90 = 90.0


def _city(settlement: list[str | None] | None = None) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """One primary school of 60 places (1,000 residents' worth) at the origin.

    Estates: a (300 m, 600 residents), b (400 m, 600), c (800 m, 500; beyond the urban
    500 m) and d (2,000 m, 300; rural, within the rural 2,500 m).
    """
    schools = gpd.GeoDataFrame(
        {"school_id": ["p1"], "level": ["primary"], "places_primary": [60.0]},
        geometry=[shapely.Point(0, 0)],
        crs=4547,
    )
    estates = gpd.GeoDataFrame(
        {"estate_id": list("abcd"), "residents": [600.0, 600.0, 500.0, 300.0]},
        geometry=[shapely.Point(x, 0) for x in (300, 400, 800, 2000)],
        crs=4547,
    )
    if settlement is not None:
        estates["settlement"] = settlement
    return schools, estates


def _split(result) -> dict[str, list[float]]:
    r = result.reach.set_index("demand_id")
    return {c: r[c].round(6).tolist() for c in ("served", "over_capacity", "out_of_reach")}


def test_capacitated_hand_computed_with_a_rural_estate() -> None:
    """1,000 places' worth of residents: a (600) and b (400 of 600) nearest get them.

    b's other 200 and the rural d (300, in its 2.5 km) have a school in reach but no
    place: over capacity; c (800 m, urban) is out of reach.
    """
    schools, estates = _city(["urban", "城镇", None, "乡村"])
    r = assign_catchments(
        estates,
        schools,
        level="primary",
        year=2030,
        standards=S,
        method="capacitated",
        places_per_1000=RATE_90,
    )
    assert _split(r) == {
        "served": [600.0, 400.0, 0.0, 0.0],
        "over_capacity": [0.0, 200.0, 0.0, 300.0],
        "out_of_reach": [0.0, 0.0, 500.0, 0.0],
    }
    assert r.reach["reach"].tolist() == ["served", "over_capacity", "out_of_reach", "over_capacity"]
    assert r.reach["settlement"].tolist() == ["urban", "urban", "urban", "rural"]
    assert r.reach["radius_m"].tolist() == [500.0, 500.0, 500.0, 2500.0]
    e = r.estates.set_index("estate_id")
    assert e["reach"].tolist() == r.reach["reach"].tolist()
    assert e["over_capacity_residents"].tolist() == [0.0, 200.0, 0.0, 300.0]
    # within_radius is about the school an estate is assigned to: d has none
    assert e["within_radius"].tolist() == [True, True, False, False]
    # every resident in exactly one class
    total = r.reach[["served", "over_capacity", "out_of_reach"]].sum(axis=1)
    assert (total == r.reach["residents"]).all()


def test_all_urban_puts_the_far_estate_out_of_reach() -> None:
    schools, estates = _city(["urban", "urban", "urban", "rural"])
    r = assign_catchments(
        estates,
        schools,
        level="primary",
        year=2030,
        standards=S,
        method="capacitated",
        places_per_1000=RATE_90,
        settlement="urban",
    )
    assert _split(r)["out_of_reach"] == [0.0, 0.0, 500.0, 300.0]
    assert _split(r)["over_capacity"] == [0.0, 200.0, 0.0, 0.0]


def test_nearest_rule_shares_an_overfull_school() -> None:
    """Nearest ignores capacity: a, b and d (1,500 residents, 90 places) go to p1.

    It has 60 places: two thirds of each estate's residents are served, a third over.
    """
    schools, estates = _city(["urban", "urban", "urban", "rural"])
    r = assign_catchments(
        estates,
        schools,
        level="primary",
        year=2030,
        standards=S,
        method="nearest",
        places_per_1000=RATE_90,
    )
    assert _split(r) == {
        "served": [400.0, 400.0, 0.0, 200.0],
        "over_capacity": [200.0, 200.0, 0.0, 100.0],
        "out_of_reach": [0.0, 0.0, 500.0, 0.0],
    }


def test_the_density_rule_classes_estates_without_a_settlement() -> None:
    """Without a column every point is urban; with the density rule, c and d are rural.

    a and b share a 1 km cell of 1,200 residents (< 1,500 per km²): rural too. A dense
    town of 6,000 residents two cells wide makes a and b urban.
    """
    schools, estates = _city()
    kw = {"level": "primary", "year": 2030, "standards": S, "places_per_1000": RATE_90}
    plain = assign_catchments(estates, schools, **kw)  # type: ignore[arg-type]
    assert set(plain.reach["settlement"]) == {"urban"}
    dense = assign_catchments(estates, schools, settlement="density", **kw)  # type: ignore[arg-type]
    assert dense.reach["settlement"].tolist() == ["rural"] * 4
    town = estates.copy()
    town.loc[:, "residents"] = [3000.0, 3000.0, 500.0, 300.0]
    town.geometry = [shapely.Point(x, 500) for x in (300, 1300, 4800, 9000)]
    dense = assign_catchments(town, schools, settlement="density", **kw)  # type: ignore[arg-type]
    assert dense.reach["settlement"].tolist() == ["urban", "urban", "rural", "rural"]


def test_settlement_words_and_errors() -> None:
    assert parse_settlement(["城区", "农村", " urban ", None]).tolist() == [
        "urban",
        "rural",
        "urban",
        None,
    ]
    with pytest.raises(InputError) as err:
        parse_settlement(["urban", "suburb"], source="estates.csv")
    problem = err.value.problems[0]
    assert (problem.source, problem.row, problem.column) == ("estates.csv", 2, "settlement")


def test_density_rule_needs_edge_neighbours() -> None:
    """Two dense cells touching only at a corner are two clusters of 3,000: both rural."""
    xy = np.array([[500.0, 500.0], [1500.0, 1500.0]])
    assert urban_by_density(xy, np.array([3000.0, 3000.0])).tolist() == [False, False]
    assert urban_by_density(xy, np.array([3000.0, 3000.0]), cluster_min=3000).tolist() == [
        True,
        True,
    ]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 5000), st.floats(0, 5000), st.floats(0, 5e4), st.booleans()),
        min_size=1,
        max_size=25,
    ),
    st.lists(st.tuples(st.floats(0, 5000), st.floats(0, 5000), st.floats(0, 3000)), max_size=4),
    st.sampled_from(["nearest", "capacitated"]),
)
# a school of subnormal places: demand ÷ places overflows to infinity, quietly
@example([(0.0, 0.0, 36.0, False)], [(0.0, 0.0, 1.1125369292536007e-308)], "nearest")
def test_every_resident_is_in_exactly_one_class(points, schools, method) -> None:
    estates = gpd.GeoDataFrame(
        {
            "estate_id": [f"e{i}" for i in range(len(points))],
            "residents": [p[2] for p in points],
            "settlement": ["rural" if p[3] else "urban" for p in points],
        },
        geometry=[shapely.Point(p[0], p[1]) for p in points],
        crs=4547,
    )
    sch = gpd.GeoDataFrame(
        {
            "school_id": [f"s{i}" for i in range(len(schools))],
            "level": "primary",
            "places_primary": [s[2] for s in schools],
        },
        geometry=[shapely.Point(s[0], s[1]) for s in schools],
        crs=4547,
    )
    r = assign_catchments(estates, sch, level="primary", year=2030, standards=S, method=method)
    reach = r.reach
    parts = reach[["served", "over_capacity", "out_of_reach"]].to_numpy()
    assert (parts >= 0).all()
    # exactly, bit for bit, per point
    assert ((parts[:, 0] + parts[:, 1]) + parts[:, 2] == reach["residents"].to_numpy()).all()
    assert (np.count_nonzero(parts, axis=1) <= 2).all()
    # served never exceeds a school's places
    served_places = reach["served"].sum() * r.places_per_resident
    assert served_places <= sch["places_primary"].sum() + 1e-6


def test_read_estates_names_a_bad_settlement(tmp_path) -> None:
    from xuewei.gis import read_estates

    f = tmp_path / "estates.csv"
    f.write_text(
        "estate_id,name,residents,settlement,lon,lat\n"
        "E1,甲,100,城镇,112.9,28.2\nE2,乙,100,郊区,112.91,28.2\nE3,丙,100,,112.92,28.2\n",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        read_estates(f)
    (problem,) = err.value.problems
    assert (problem.source, problem.row, problem.column) == ("estates.csv", 2, "settlement")
    assert "郊区" in problem.message
