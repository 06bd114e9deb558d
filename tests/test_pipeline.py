"""The pipeline end to end on a small synthetic city: conservation and consistency."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from xuewei.config import load_plan
from xuewei.errors import ConfigError, InputError
from xuewei.forecast import rebase_intercensal
from xuewei.outputs import MapOptions, redraw_map, write_outputs
from xuewei.pipeline import PlanResult, run_plan


@pytest.fixture(scope="module")
def result(small_plan) -> PlanResult:
    return run_plan(load_plan(small_plan))


def test_shapes_and_crs(result, small_city):
    assert result.crs.to_epsg() == 4547
    assert result.base_year == 2024
    assert list(result.years) == list(range(2024, 2036))
    assert result.years.assessed == (2024, 2035)
    n = len(small_city.districts)
    assert len(result.gaps) == n * len(result.years) * 3 * 3  # levels × scenarios
    assert len(result.schools) == len(small_city.schools)
    assert result.estates is not None and len(result.estates) == len(small_city.estates)


def test_residents_reconcile_to_city(result, small_city):
    city_rows = small_city.population[small_city.population["district_id"] == "990100"]
    city = rebase_intercensal(city_rows).set_index("year")["population"]
    totals = result.residents.groupby("year")["value"].sum()
    for year in city.index:
        assert totals[year] == pytest.approx(city[year], rel=1e-9)
    assert (totals.loc[2025:2035] > 0).all()


def test_required_follows_per_thousand(result):
    g = result.gaps
    comp = g[g["level"] == "compulsory"]
    np.testing.assert_allclose(comp["required"], comp["residents"] * comp["scenario"] / 1000)
    by_level = g.pivot_table(
        index=["district_id", "year", "scenario"], columns="level", values="required"
    )
    np.testing.assert_allclose(by_level["primary"] + by_level["junior"], by_level["compulsory"])


def test_offered_equals_school_places(result):
    g = result.gaps
    offered = g[(g["level"] == "compulsory") & (g["scenario"] == 85) & (g["year"] == 2024)]
    schools = result.schools
    open_ = schools["opened"].isna() | (schools["opened"] <= 2024)
    assert offered["offered"].sum() == pytest.approx(schools.loc[open_, "places"].sum())


def test_summary(result):
    s = result.summary()
    assert s["district_id"].iloc[-1] == "total"
    body = s.iloc[:-1]
    assert s.iloc[-1]["offered"] == pytest.approx(body["offered"].sum())
    assert list(s.columns[:4]) == ["district_id", "name", "residents_2024", "residents_2035"]
    assert (s["gap_90"] - s["gap_80"] > 0).all()
    with pytest.raises(ConfigError, match=r"year=1999 is outside the plan.s years 2024–2035"):
        result.summary(year=1999)


def test_deterministic(small_plan, result):
    again = run_plan(load_plan(small_plan))
    pd.testing.assert_frame_equal(again.gaps, result.gaps)
    pd.testing.assert_frame_equal(again.residents, result.residents)


def test_population_for_unknown_district_is_reported(small_plan, tmp_path):
    folder = small_plan.parent
    pop = pd.read_csv(folder / "population.csv", dtype={"district_id": str})
    pop.loc[3, "district_id"] = "999999"
    bad = tmp_path / "population.csv"
    pop.to_csv(bad, index=False)
    plan_text = small_plan.read_text(encoding="utf-8")
    for name in ("districts.gpkg", "schools.csv", "estates.csv", "population.tif"):
        plan_text = plan_text.replace(f'"{name}"', f'"{(folder / name).as_posix()}"')
    plan = tmp_path / "plan.toml"
    plan.write_text(plan_text, encoding="utf-8")
    with pytest.raises(InputError, match=r"population.csv row 4, column `district_id`: .*999999"):
        run_plan(load_plan(plan))


def test_school_outside_districts_is_reported(small_plan, tmp_path):
    folder = small_plan.parent
    schools = pd.read_csv(folder / "schools.csv", dtype={"district_id": str})
    schools["district_id"] = pd.NA
    schools.loc[2, ["lon", "lat"]] = [116.4, 39.9]  # Beijing
    schools.to_csv(tmp_path / "schools.csv", index=False)
    plan_text = small_plan.read_text(encoding="utf-8")
    for name in ("districts.gpkg", "population.csv", "estates.csv", "population.tif"):
        plan_text = plan_text.replace(f'"{name}"', f'"{(folder / name).as_posix()}"')
    (tmp_path / "plan.toml").write_text(plan_text, encoding="utf-8")
    with pytest.raises(InputError, match=r"schools.csv row 3.*outside every district"):
        run_plan(load_plan(tmp_path / "plan.toml"))


def test_every_resident_assigned_or_unserved(result):
    table = result.unserved()
    assert set(table["level"]) == {"primary", "junior"}
    assert set(table["year"]) == {2024, 2035}
    # exact: assigned + unserved reproduce the residents placed on the estates
    assert (table["assigned"] + table["unserved"] == table["residents"]).all()
    # the estates carry the district forecast of that year
    for year in (2024, 2035):
        forecast = result.residents.loc[result.residents["year"] == year, "value"].sum()
        assert table.loc[table["year"] == year, "residents"].to_numpy() == pytest.approx(forecast)


def test_catchment_outputs(result):
    assert not result.catchment_polygons.empty
    assert set(result.catchment_polygons["level"]) == {"primary", "junior"}
    use = result.school_use
    assert {"school_id", "level", "year", "demand", "places", "utilisation"} <= set(use)
    # capacitated: no school is assigned more than its places
    assert (use["demand"] <= use["places"] + 1e-6).all()


def test_cohort_beside_per_thousand(small_plan, small_city, tmp_path):
    """With births and a census age count, the report gets cohort-based demand too."""
    folder = small_plan.parent
    pop = pd.read_csv(folder / "population.csv", dtype={"district_id": str})
    districts = pop["district_id"] != "990100"
    # a census count of children 0–14 in 2020: 1.2 × the births of their 15 cohorts
    births = pop[districts].pivot(index="year", columns="district_id", values="births")
    ages = (births.loc[2006:2020].sum() * 1.2).rename("age_0_14")
    pop["age_0_14"] = np.nan
    in_2020 = districts & (pop["year"] == 2020)
    pop.loc[in_2020, "age_0_14"] = pop.loc[in_2020, "district_id"].map(ages).to_numpy()
    pop.to_csv(tmp_path / "population.csv", index=False)
    text = small_plan.read_text(encoding="utf-8")
    for name in ("districts.gpkg", "schools.csv", "estates.csv", "population.tif"):
        text = text.replace(f'"{name}"', f'"{(folder / name).as_posix()}"')
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    result = run_plan(load_plan(tmp_path / "plan.toml"))
    assert result.cohort is not None
    c = result.cohort
    assert set(c["level"]) == {"primary", "junior"}
    assert set(c["district_id"]) == set(result.districts["district_id"])
    # per-thousand demand agrees with the gap table's required places
    g = result.gaps.set_index(["district_id", "year", "level", "scenario"])["required"]
    joined = c.set_index(["district_id", "year", "level", "scenario"])["per_thousand_demand"]
    np.testing.assert_allclose(joined, g.loc[joined.index], rtol=1e-9)
    assert (c["implied_per_1000"] > 0).all()
    # the GeoPackage keeps the table, and the map (written and re-drawn) shows it
    paths = write_outputs(result, tmp_path / "out", map_options=MapOptions(offline=True))
    saved = pyogrio.read_dataframe(paths["gpkg"], layer="cohort")
    assert len(saved) == len(c)
    np.testing.assert_allclose(saved["cohort_demand"], c["cohort_demand"])
    redrawn = redraw_map(paths["gpkg"], tmp_path / "again.html")
    for page in (paths["map"].read_text(encoding="utf-8"), redrawn.read_text(encoding="utf-8")):
        assert "Cohort forecast from births" in page


def test_no_cohort_without_ages(result):
    assert result.cohort is None


def test_catchments_along_roads(small_plan, small_city, tmp_path):
    """A roads layer in the plan: walking distances follow the streets (never shorter)."""
    import geopandas as gpd
    import shapely

    folder = small_plan.parent
    crs = small_city.crs
    x0, y0, x1, y1 = small_city.districts.to_crs(crs).total_bounds
    step = 250.0
    xs, ys = np.arange(x0, x1 + step, step), np.arange(y0, y1 + step, step)
    lines = [shapely.LineString([(x, y0), (x, y1)]) for x in xs]
    lines += [shapely.LineString([(x0, y), (x1, y)]) for y in ys]
    # a street grid needs junctions: split every line where the others cross it
    grid = shapely.node(shapely.MultiLineString(lines))
    roads = gpd.GeoDataFrame(geometry=list(grid.geoms), crs=crs).to_crs(4326)
    roads.to_file(tmp_path / "roads.gpkg", driver="GPKG")
    text = small_plan.read_text(encoding="utf-8")
    for name in (
        "districts.gpkg",
        "population.csv",
        "schools.csv",
        "estates.csv",
        "population.tif",
    ):
        text = text.replace(f'"{name}"', f'"{(folder / name).as_posix()}"')
    text = text.replace("[inputs]", '[inputs]\nroads = "roads.gpkg"')
    (tmp_path / "plan.toml").write_text(text, encoding="utf-8")
    on_roads = run_plan(load_plan(tmp_path / "plan.toml"))
    straight = run_plan(load_plan(small_plan))
    table = on_roads.unserved()
    assert (table["assigned"] + table["unserved"] == table["residents"]).all()
    # the same residents, but fewer reach a school within the radius along the streets
    assert (table["unserved"].to_numpy() >= straight.unserved()["unserved"].to_numpy() - 1e-6).all()
    flows = pd.concat([c.assignments for c in on_roads.catchments])
    served = flows[~flows["unserved"]]
    assert (served["distance_m"] >= 0).all()


def test_proposals_close_the_gap(result):
    """New builds and expansions add at least the places missing at the default scenario."""
    p = result.proposals
    assert p is not None and not p.empty
    assert p["rationale_zh"].str.len().gt(0).all() and p["rationale_en"].str.len().gt(0).all()
    builds = p[p["kind"].isin(["new_build", "expansion"])]
    gaps = result.gaps[
        (result.gaps["scenario"] == result.standards.default_scenario)
        & (result.gaps["level"].isin(["primary", "junior"]))
    ]
    worst = gaps.groupby(["district_id", "level"])["gap"].max().clip(lower=0)
    added = builds.groupby(["district_id", "level"])["places"].sum()
    for key, missing in worst.items():
        assert added.get(key, 0.0) >= missing - 1e-6, key
    # names, not ids, in the rationale
    names = set(result.districts["name"])
    assert any(any(n in text for n in names) for text in builds["rationale_zh"])


def test_new_schools_sited_on_a_generated_grid_without_candidate_sites(result):
    """The small plan gives no candidate sites: new schools go to generated grid sites."""
    p = result.proposals
    new = p[p["kind"] == "new_build"]
    assert len(new) and new["site_id"].notna().all()
    assert (new["site_source"] == "generated grid").all()
    assert new["site_id"].str.fullmatch(r"g\d{6}").all()
    assert new["rationale_en"].str.contains("generated grid site g").all()
    assert new["rationale_zh"].str.contains("网格生成的候选点，用地待落实").all()
    # each new school lies inside its own district
    districts = result.districts.set_index("district_id").geometry
    inside = [
        districts[d].contains(g) for d, g in zip(new["district_id"], new.geometry, strict=True)
    ]
    assert all(inside)
    # one school per site in each scenario (each scenario is a plan of its own)
    assert not new[["scenario", "site_id"]].duplicated().any()


def test_proposals_are_made_for_every_scenario(result):
    """Each scenario has its own proposals; a higher indicator never asks for fewer places."""
    p = result.proposals
    builds = p[p["kind"].isin(["new_build", "expansion"])]
    scenarios = sorted(result.gaps["scenario"].unique())
    assert sorted(builds["scenario"].unique()) == scenarios
    places = builds.groupby("scenario")["places"].sum()
    assert places.is_monotonic_increasing
    # the default scenario's proposals (and those of no scenario) are what the map shows
    shown = result.proposals_for()
    assert set(shown["scenario"].dropna()) == {result.standards.default_scenario}
    with pytest.raises(ConfigError, match="not a scenario of this run"):
        result.proposals_for(95.0)
    # nothing decided in the base year opens in it; each opens when needed or after its lead
    lead = builds["kind"].map({"new_build": 3, "expansion": 2})
    assert (builds["year"] == np.maximum(builds["needed_year"], result.base_year + lead)).all()
    # the programme adds up the proposals' places
    prog = result.programme
    assert prog.groupby("scenario")["places_added"].sum().to_dict() == places.to_dict()


def test_points_on_or_just_outside_a_boundary_find_their_district():
    """Hand-computed: districts A = [0, 1000]² and B = [1000, 2000] × [0, 1000] (metres)."""
    from xuewei.pipeline.inputs import _with_district

    districts = gpd.GeoDataFrame(
        {"district_id": ["A", "B"]},
        geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
        crs=4547,
    )
    points = gpd.GeoDataFrame(
        {"school_id": ["in", "edge", "shared", "near"]},
        geometry=[
            shapely.Point(500, 500),  # inside A
            shapely.Point(0, 500),  # on A's outer boundary: A
            shapely.Point(1000, 500),  # on the boundary A and B share: A, the first
            shapely.Point(2000.5, 500),  # 0.5 m outside B: B, with a warning
        ],
        crs=4547,
    )
    warnings: list[str] = []
    out = _with_district(points, districts, "schools.csv", "school_id", warnings=warnings)
    assert out["district_id"].tolist() == ["A", "A", "A", "B"]
    assert warnings == [
        "schools.csv: 1 point(s) within 1 m outside the district boundaries placed in the "
        "nearest district (rows 4)"
    ]
    far = points.assign(geometry=[*points.geometry[:3], shapely.Point(2003, 500)])
    with pytest.raises(InputError, match=r"schools.csv row 4.*3\.0 m from the nearest \(B\)"):
        _with_district(far, districts, "schools.csv", "school_id")
    snapped = _with_district(far, districts, "schools.csv", "school_id", tolerance_m=5.0)
    assert snapped["district_id"].tolist() == ["A", "A", "A", "B"]


def test_reach_totals_add_up_by_district_settlement_and_city(result):
    reach = result.reach()
    parts = reach[["served", "over_capacity", "out_of_reach"]].sum(axis=1)
    assert np.allclose(parts, reach["residents"], rtol=1e-12, atol=1e-6)
    for (level, year), rows in reach.groupby(["level", "year"]):
        both = rows[rows["settlement"] == "all"].set_index("district_id")
        by_kind = rows[rows["settlement"] != "all"].groupby("district_id")["residents"].sum()
        assert np.allclose(both.loc[by_kind.index, "residents"], by_kind)  # urban + rural
        districts = both.drop(index="total")
        assert np.isclose(districts["residents"].sum(), both.loc["total", "residents"])
        c = next(c for c in result.catchments if (c.level, c.year) == (level, year))
        counted = c.estates["counted"].fillna(False).to_numpy(dtype=bool)
        assert np.isclose(both.loc["total", "residents"], c.estates.loc[counted, "residents"].sum())
    # the report's whole residents add up on every row
    from xuewei.outputs.report import reach_sheet

    sheet = reach_sheet(result)
    assert (
        sheet[["served", "schools_full", "out_of_reach"]].sum(axis=1) == sheet["residents"]
    ).all()


def test_both_views_of_capacity_hand_computed():
    """Two primary schools of 60 places; 90 places per 1,000 → 0.06 places per resident.

    A: 90 pupils on the roll (150 % by enrolment), 300 residents assigned → 18 places (30 %).
    B: 30 pupils (50 % by enrolment), 1,500 residents assigned (nearest) → 90 places (150 %).
    """
    from xuewei.data import load_standards
    from xuewei.gis import assign_catchments
    from xuewei.pipeline.run import _with_assigned_use
    from xuewei.planning import school_places

    standards = load_standards()
    schools = gpd.GeoDataFrame(
        {
            "school_id": ["A", "B"],
            "name": ["A", "B"],
            "level": "primary",
            "district_id": "d",
            "capacity": [60.0, 60.0],
            "enrolment": [90.0, 30.0],
        },
        geometry=[shapely.Point(0, 0), shapely.Point(5000, 0)],
        crs=4547,
    )
    schools = gpd.GeoDataFrame(school_places(schools, standards), crs=4547)
    estates = gpd.GeoDataFrame(
        {"estate_id": ["a", "b"], "residents": [300.0, 1500.0]},
        geometry=[shapely.Point(100, 0), shapely.Point(5100, 0)],
        crs=4547,
    )
    c = assign_catchments(
        estates,
        schools,
        level="primary",
        year=2030,
        standards=standards,
        method="nearest",
        places_per_1000=90.0,
    )
    out = _with_assigned_use(schools, (c,), 2030).set_index("school_id")
    assert out["utilisation"].round(6).tolist() == [1.5, 0.5]
    assert out["over_capacity"].tolist() == [True, False]
    assert out["assigned_utilisation"].round(6).tolist() == [0.3, 1.5]
    assert out["over_capacity_assigned"].tolist() == [False, True]
