"""Embedded datasets and the seeded synthetic-city generator.

``CHANGSHA_DIR`` is the folder of the embedded Changsha (长沙市) dataset: real district
boundaries and published population figures, plus synthetic schools, estates, candidate
sites and population raster (see ``SOURCES.md`` there). :mod:`xuewei.data.synth` makes
whole fake cities of any size for tests and benchmarks.
"""

from __future__ import annotations

from pathlib import Path

from xuewei.data.synth import (
    Centre,
    SynthCity,
    SynthRaster,
    plan_crs,
    synth_candidate_sites,
    synth_city,
    synth_districts,
    synth_estates,
    synth_population_history,
    synth_population_raster,
    synth_schools,
)

#: Folder of the embedded Changsha dataset (installed package data).
CHANGSHA_DIR: Path = Path(__file__).resolve().parent / "changsha"

__all__ = [
    "CHANGSHA_DIR",
    "Centre",
    "SynthCity",
    "SynthRaster",
    "plan_crs",
    "synth_candidate_sites",
    "synth_city",
    "synth_districts",
    "synth_estates",
    "synth_population_history",
    "synth_population_raster",
    "synth_schools",
]
