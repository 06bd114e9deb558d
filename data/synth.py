"""Seeded synthetic cities: population rasters, housing estates, schools and candidate sites.

This module owns every *made-up* number in xuewei. It fills the layers of the embedded
Changsha dataset for which no public data exist (schools, estates, a population raster,
candidate sites — always around the real district totals), builds the small fixtures of the
test suite, and builds city-scale benchmark inputs of any size (10 million residents,
1,500 schools, 10,000 estates and a 1.2-million-cell raster in a few seconds).

Every generator takes a ``seed`` and draws from ``numpy.random.default_rng(seed)`` only, so
the same arguments give identical frames (and byte-identical files). Every record carries
``synthetic=True`` and a name that says so (``…（合成）`` / ``… (synthetic)``). Totals are
conserved by construction: integer residents are allocated by largest remainder, so the
raster cells and the estates completed by the base year sum *exactly* to the totals given.

Geometry work happens in the plan CRS — the CGCS2000 3-degree Gauss–Krüger zone of the
districts' centroid (EPSG:4534–4554) unless ``crs`` says otherwise; points are returned in
EPSG:4326.

This module is the public face of the generator; the work is split by concern into
private modules: ``_synth_sampling`` (grids, weighted points, largest remainder),
``_synth_districts`` (fake districts; checks of the ``districts`` and ``totals``
arguments), ``_synth_raster``, ``_synth_estates``, ``_synth_schools``, ``_synth_sites``,
``_synth_history``, ``_synth_attributes`` (school resources for the balance indicators),
``_synth_city`` and ``_synth_country`` (a country of counties for batch runs).
"""

from __future__ import annotations

from xuewei.data._synth_attributes import ATTRIBUTE_COLUMNS, synth_school_attributes
from xuewei.data._synth_city import SynthCity, synth_city
from xuewei.data._synth_country import SynthCountry, synth_country
from xuewei.data._synth_districts import synth_districts
from xuewei.data._synth_estates import synth_estates
from xuewei.data._synth_history import synth_population_history
from xuewei.data._synth_raster import Centre, SynthRaster, synth_population_raster
from xuewei.data._synth_schools import synth_schools
from xuewei.data._synth_sites import synth_candidate_sites

__all__ = [
    "ATTRIBUTE_COLUMNS",
    "Centre",
    "SynthCity",
    "SynthCountry",
    "SynthRaster",
    "synth_candidate_sites",
    "synth_city",
    "synth_country",
    "synth_districts",
    "synth_estates",
    "synth_population_history",
    "synth_population_raster",
    "synth_school_attributes",
    "synth_schools",
]
