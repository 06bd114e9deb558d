"""The standards, the embedded datasets and the seeded synthetic-city generator.

:func:`load_standards` builds the :class:`Standards` in force (the packaged
``standards.toml`` with a plan's overrides, validated) that every stage is handed.
``CHANGSHA_DIR`` is the folder of the embedded Changsha (长沙市) dataset: real district
boundaries and published population figures, plus synthetic schools, estates, candidate
sites and population raster (see ``SOURCES.md`` there). :mod:`xuewei.data.synth` makes
whole fake cities of any size for tests and benchmarks.

The layer below every stage: it imports only :mod:`xuewei.errors` and
:mod:`xuewei.vocabulary`. Names are loaded on first use (PEP 562), so that importing
``xuewei.data`` does not import geopandas or rasterio.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from xuewei._lazy import attach

#: Folder of the embedded Changsha dataset (installed package data).
CHANGSHA_DIR: Path = Path(__file__).resolve().parent / "changsha"

__getattr__, __dir__, __all__ = attach(__name__, __file__, extra=("CHANGSHA_DIR",))

if TYPE_CHECKING:
    from xuewei.data._synth_attributes import ATTRIBUTE_COLUMNS, synth_school_attributes
    from xuewei.data._synth_city import SynthCity, synth_city
    from xuewei.data._synth_country import SynthCountry, synth_country
    from xuewei.data._synth_districts import synth_districts
    from xuewei.data._synth_estates import synth_estates
    from xuewei.data._synth_history import synth_population_history
    from xuewei.data._synth_raster import Centre, SynthRaster, synth_population_raster
    from xuewei.data._synth_schools import synth_schools
    from xuewei.data._synth_sites import synth_candidate_sites
    from xuewei.data.standards import Standards, StandardValue, load_standards
