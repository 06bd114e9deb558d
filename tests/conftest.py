"""Shared fixtures: small seeded synthetic cities written as a real plan folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from plan_helpers import write_city

from xuewei.config import load_plan
from xuewei.data import CHANGSHA_DIR, SynthCity, synth_city
from xuewei.pipeline import PlanResult, run_plan


@pytest.fixture(scope="session")
def small_city() -> SynthCity:
    """A four-district city of 120,000 residents (seed 7)."""
    return synth_city(7, n_districts=4, population=120_000, area_km2=120.0, n_sites=40)


@pytest.fixture(scope="session")
def small_plan(small_city: SynthCity, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small city as a plan folder; returns the plan file."""
    return write_city(small_city, tmp_path_factory.mktemp("small_city"))


@pytest.fixture(scope="session")
def changsha_result() -> PlanResult:
    """The embedded Changsha plan, run once per test session (read it, never change it).

    Tests that need the real-size default share this run; the README tour and the
    ``xuewei demo`` test still run it their own way, end to end.
    """
    return run_plan(load_plan(CHANGSHA_DIR / "plan.toml"))
