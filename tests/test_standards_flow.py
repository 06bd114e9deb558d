"""One flow of standards: every key of standards.toml, changed in a plan, changes exactly
the outputs that depend on it.

A plan's ``[standards]`` is validated once (``load_plan``) into the one ``Standards`` value
that every stage is handed. This module walks every key of the packaged file: it writes the
key into a plan's ``[standards]``, re-runs the plan, and compares each output table with the
run at the packaged defaults. ``DEPENDS`` says, for each key, which outputs must change;
every other output must stay identical. Keys that only document a standard for the meeting
(other cities' indicators, targets, living-circle sizes…) change the report's standards
sheet and nothing else: they are checked together in one run, and each on its own for the
sheet.

The residents forecast takes no standard, so the walk re-runs the planning stages on the
forecast of the default run (``run_plan(..., residents=)``); a test checks that the
forecast indeed has no ``standards`` parameter.
"""

from __future__ import annotations

import fnmatch
import inspect
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from plan_helpers import write_city

from xuewei.config import load_plan
from xuewei.data import load_standards, synth_city
from xuewei.forecast import forecast_ensemble
from xuewei.pipeline import PlanResult, run_plan

OUTPUTS = ("gaps", "schools", "catchments", "cohort", "proposals")

# Which outputs each key drives (first matching pattern wins). Read as a specification:
# e.g. class sizes make the schools' places, so the gaps, the catchments (capacitated) and
# the proposals follow; the service radius decides who is in reach; grades and entry age
# reach the cohort forecast; funding and staffing appear only in the report.
_PLACES = {"gaps", "schools", "catchments", "cohort", "proposals"}
DEPENDS: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (pattern, frozenset(outputs))
    for pattern, outputs in (
        ("places_per_1000.scenarios", {"gaps", "cohort", "proposals", "catchments"}),
        # proposals are made for every scenario; catchments at the default one
        ("places_per_1000.default_scenario", {"catchments"}),
        ("places_per_1000.level_share.*", {"gaps", "catchments", "cohort", "proposals"}),
        # grades split a nine-year school's places and count the cohort's school years
        ("grades.primary", _PLACES),
        ("grades.junior", _PLACES),
        ("grades.nine_year", _PLACES),
        ("class_size.primary", {"gaps", "schools", "catchments", "proposals"}),
        ("class_size.junior", {"gaps", "schools", "catchments", "proposals"}),
        ("class_size.nine_year.*", {"gaps", "schools", "catchments", "proposals"}),
        ("class_size.kindergarten", {"proposals"}),  # the size of a proposed kindergarten
        ("class_size_bands.*", {"schools"}),
        ("school_size_cap.*", {"schools"}),
        ("standard_classes.primary", {"proposals"}),
        ("standard_classes.junior", {"proposals"}),
        ("access.walk_speed_m_per_min", {"catchments"}),
        ("access.radius_m.primary", {"catchments", "proposals"}),
        ("access.radius_m.junior", {"catchments", "proposals"}),
        ("access.radius_m.kindergarten", {"proposals"}),  # estates without a kindergarten
        # rural estates (by the density rule) are in reach of schools farther away
        ("access.radius_m.rural.primary", {"catchments"}),
        ("access.radius_m.rural.junior", {"catchments"}),
        ("settlement.*", {"catchments"}),  # which estates are rural
        ("kindergarten.min_estate_residents", {"proposals"}),
        # build-before-close dates a merger after its receiver opens: here some receivers
        # are new schools, which open after their lead time
        ("consolidation.build_before_close", {"proposals"}),
        ("consolidation.*", {"proposals"}),
        # this city's schools give no room to expand (no max_classes): only the new
        # builds' lead time acts here (expansions: tests/planning/test_proposals.py)
        ("programme.lead_time_years.expansion", set()),
        ("programme.lead_time_years.new_build", {"proposals"}),  # the opening years
        ("programme.lead_time_years.merger", {"proposals"}),  # the mergers' years
        # the cohort route's chance of a shortfall is a gaps column
        ("forecast.progression.entry_age", {"cohort", "gaps"}),
        # the progression window averages ratios over census years: this city has one census
        # count, so only the tests of tests/forecast/ (several counts) can see it act
        ("forecast.progression.window_years", set()),
    )
)
_REPORT_ONLY = frozenset()


def depends(key: str) -> frozenset[str]:
    """Return the outputs a key drives (none: the report's standards sheet only)."""
    for pattern, outputs in DEPENDS:
        if fnmatch.fnmatchcase(key, pattern):
            return outputs
    return _REPORT_ONLY


# Changes chosen to act on the test city's data (a bigger step than one unit).
_SPECIAL: dict[str, Any] = {
    "consolidation.rural_travel_limit_m": 300.0,  # receivers farther than 300 m are out
    "consolidation.small_school_max_utilisation": 0.45,
    "access.radius_m.junior": 500.0,
    "settlement.cluster_min_residents": 1e9,  # no cluster that large: every estate rural
}


def changed_value(key: str, value: Any) -> dict[str, Any]:
    """Overrides that change ``key`` to another valid value (and keep the rest consistent)."""
    if key == "places_per_1000.scenarios":
        return {key: [80.0, 90.0], "places_per_1000.default_scenario": 90.0}
    if key == "places_per_1000.default_scenario":
        return {key: 90.0}
    if key.startswith("places_per_1000.level_share."):
        return {
            "places_per_1000.level_share.primary": 0.6,
            "places_per_1000.level_share.junior": 0.4,
        }
    if key in ("grades.primary", "grades.junior"):
        primary = 5 if key == "grades.primary" else 6
        junior = 4 if key == "grades.junior" else 3
        return {
            "grades.primary": primary,
            "grades.junior": junior,
            "grades.nine_year": primary + junior,
        }
    if key in _SPECIAL:
        return {key: _SPECIAL[key]}
    if key == "grades.nine_year":  # must equal primary + junior: move primary with it
        return {"grades.primary": 7, "grades.nine_year": 10}
    if isinstance(value, bool):
        return {key: not value}
    if isinstance(value, str):
        return {key: value + "_changed"}
    if isinstance(value, tuple) and len(value) > 1:  # the second-smallest standard school shrinks
        return {key: [value[0], value[1] - 2, *value[2:]]}
    if isinstance(value, tuple):
        return {key: [value[0] + 1]}
    if isinstance(value, int):
        return {key: value + 1}
    if "share" in key or "utilisation" in key or key.startswith("enrolment_targets."):
        return {key: 0.01 if value == 0 else value * 0.9}
    return {key: value * 1.1}


def _fingerprint(result: PlanResult) -> dict[str, str]:
    """Hash each output table (rows and columns, geometry as WKB)."""

    def digest(frame: pd.DataFrame | None) -> str:
        if frame is None:
            return "none"
        table = pd.DataFrame(frame).copy()
        if "geometry" in table:
            table["geometry"] = [g.wkb_hex if g is not None else "" for g in table["geometry"]]
        return str(pd.util.hash_pandas_object(table.astype(str), index=False).sum())

    catchments = [
        digest(getattr(c, part))
        for c in result.catchments
        for part in ("assignments", "schools", "estates")
    ]
    # the schools' assignment-based use is a view of the catchments (fingerprinted there)
    assigned = ["assigned_utilisation", "over_capacity_assigned"]
    return {
        "gaps": digest(result.gaps),
        "schools": digest(result.schools.drop(columns=assigned, errors="ignore")),
        "catchments": "|".join(catchments),
        "cohort": digest(result.cohort),
        "proposals": digest(result.proposals),
    }


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


# Schools edited so that every standard has something to act on: places from classes ×
# class size (no design capacity), average class sizes half a pupil above each band's
# lower bound, enrolments one above each school-size cap, and two small primary schools
# just either side of the consolidation thresholds.
_BAND_SCHOOLS = {"990101-P001": 36, "990101-P002": 46, "990102-P001": 56, "990103-P001": 66}
_NO_CAPACITY = ("990101-P003", "990101-J001")
_ENROLMENT = {
    "990101-P003": 2001,  # primary cap 2,000
    "990102-J001": 2001,  # junior cap 2,000
    "990101-N001": 2501,  # nine-year cap 2,500
    "990101-K003": 361,  # kindergarten cap 360
    "990102-P002": 100,  # small below 100 pupils: one more pupil allowed makes it small
}


def _edit_schools(path: Path) -> None:
    schools = pd.read_csv(path, dtype={"school_id": str, "district_id": str})
    sid = schools["school_id"]
    for school, band in _BAND_SCHOOLS.items():
        classes = schools.loc[sid == school, "classes"]
        schools.loc[sid == school, "enrolment"] = (classes * (band + 0.5)).round().astype(int)
    for school, enrolment in _ENROLMENT.items():
        schools.loc[sid == school, "enrolment"] = enrolment
    schools.loc[sid.isin(_NO_CAPACITY), "capacity"] = np.nan
    # 85 pupils in 180 places: 47 % used, under the 50 % threshold but not under 45 %
    schools.loc[sid == "990103-P002", ["capacity", "classes", "enrolment"]] = [180, 4, 85]
    schools.to_csv(path, index=False)


@pytest.fixture(scope="module")
def flow_plan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small city with kindergartens, births and a census count of children (cohort)."""
    city = synth_city(
        7, n_districts=3, population=90_000, area_km2=90.0, n_sites=30, kindergartens=True
    )
    folder = tmp_path_factory.mktemp("flow_city")
    plan = write_city(city, folder)
    pop = pd.read_csv(folder / "population.csv", dtype={"district_id": str})
    districts = pop["district_id"].isin(city.districts["district_id"])
    births = pop[districts].pivot(index="year", columns="district_id", values="births")
    ages = (births.loc[2006:2020].sum() * 1.2).rename("age_0_14")
    pop["age_0_14"] = np.nan
    in_2020 = districts & (pop["year"] == 2020)
    pop.loc[in_2020, "age_0_14"] = pop.loc[in_2020, "district_id"].map(ages).to_numpy()
    pop.to_csv(folder / "population.csv", index=False)
    _edit_schools(folder / "schools.csv")
    return plan


@pytest.fixture(scope="module")
def baseline(flow_plan: Path) -> PlanResult:
    return run_plan(load_plan(flow_plan))


def _run_with(flow_plan: Path, baseline: PlanResult, overrides: Mapping[str, Any]) -> PlanResult:
    folder = flow_plan.parent
    text = flow_plan.read_text(encoding="utf-8")
    lines = "\n".join(f"{k} = {_toml_value(v)}" for k, v in overrides.items())
    changed = folder / f"plan_{abs(hash(tuple(overrides))) % 10**8}.toml"
    changed.write_text(f"{text}\n[standards]\n{lines}\n", encoding="utf-8")
    return run_plan(load_plan(changed), residents=baseline.residents)


KEYS = list(load_standards().keys())
DRIVING = [k for k in KEYS if depends(k)]
DOCUMENTING = [k for k in KEYS if not depends(k)]


def test_the_walk_covers_every_key() -> None:
    assert len(KEYS) > 100
    assert set(DRIVING) | set(DOCUMENTING) == set(KEYS)
    for pattern, _ in DEPENDS:  # no stale pattern
        assert any(fnmatch.fnmatchcase(k, pattern) for k in KEYS), pattern


def test_the_forecast_of_residents_takes_no_standard() -> None:
    assert "standards" not in inspect.signature(forecast_ensemble).parameters


def test_the_cohort_city_has_every_output(baseline: PlanResult) -> None:
    assert baseline.cohort is not None and not baseline.cohort.empty
    assert baseline.proposals is not None and not baseline.proposals.empty
    assert (baseline.schools["level"] == "kindergarten").any()
    assert baseline.catchments


@pytest.mark.parametrize("key", DRIVING)
def test_a_driving_key_changes_exactly_its_outputs(
    key: str, flow_plan: Path, baseline: PlanResult
) -> None:
    value = baseline.standards.value(key)
    overrides = changed_value(key, value)
    result = _run_with(flow_plan, baseline, overrides)
    for k, v in overrides.items():
        got = result.standards.value(k)
        want = tuple(v) if isinstance(v, list) else v
        assert got == want or (isinstance(v, float) and math.isclose(float(got), v)), k  # type: ignore[arg-type]
    before, after = _fingerprint(baseline), _fingerprint(result)
    changed = {name for name in OUTPUTS if before[name] != after[name]}
    assert changed == set(depends(key)), f"{key}: changed {sorted(changed)}"


def test_documenting_keys_change_only_the_standards_sheet(
    flow_plan: Path, baseline: PlanResult
) -> None:
    overrides: dict[str, Any] = {}
    for key in DOCUMENTING:
        overrides.update(changed_value(key, baseline.standards.value(key)))
    result = _run_with(flow_plan, baseline, overrides)
    assert _fingerprint(result) == _fingerprint(baseline)
    rows = {k: v for k, v, _ in result.standards.rows()}
    before = {k: v for k, v, _ in baseline.standards.rows()}
    for key in DOCUMENTING:
        assert rows[key] != before[key], key
        assert result.standards.source(key).startswith("plan "), key
