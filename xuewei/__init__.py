"""xuewei (学位): school-place demand forecasting and school site planning.

Population forecasts feed a per-thousand-residents school-place model; catchment analysis
flags over-capacity schools and unserved housing estates; Folium maps present the proposals.

Users write ``from xuewei import forecast, planning, gis, maps``. The subpackages are
imported on first use (PEP 562), so ``import xuewei`` is instant and
``import xuewei.gis.coords`` does not pull in the planning, forecasting or mapping stack.

Layers, each importing only those before it: :mod:`xuewei.errors` and
:mod:`xuewei.vocabulary` (the ground floor) → :mod:`xuewei.data` (standards, datasets) →
:mod:`xuewei.gis` → :mod:`xuewei.forecast` → :mod:`xuewei.planning` → :mod:`xuewei.maps` →
:mod:`xuewei.config`, :mod:`xuewei.pipeline`, :mod:`xuewei.outputs`, :mod:`xuewei.cli`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xuewei._lazy import attach

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = attach(__name__, __file__, extra=("__version__",))

if TYPE_CHECKING:
    from xuewei import data, errors, forecast, gis, maps, planning, vocabulary
