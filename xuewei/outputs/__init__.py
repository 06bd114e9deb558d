"""Writers for a plan's results: GeoPackage, Excel report, forecast CSV, HTML map.

One module per file kind — :mod:`~xuewei.outputs.geopackage`, :mod:`~xuewei.outputs.report`,
:mod:`~xuewei.outputs.maps`, the forecast CSV in :mod:`~xuewei.outputs.tables` — and
:func:`write_outputs` (:mod:`~xuewei.outputs.write`) for all of them; the attendance zones'
page, workbook and layer in :mod:`~xuewei.outputs.zones`.

Every file is written atomically — to a temporary file beside it, then renamed into place
— so a crash never leaves a half-written output, and an existing output is replaced only
when asked (``overwrite=True``). Text that a spreadsheet would take for a formula (``=``,
``+``, ``-``, ``@``, tab, carriage return first) stays text in the workbook and gets a
leading ``'`` in CSV files (:func:`~xuewei.outputs.tables.csv_safe`). Outputs are
deterministic: GeoPackage timestamps are pinned (GDAL's ``OGR_CURRENT_DATE``) and the
workbook's zip entries and properties carry a fixed date, so the same inputs give
byte-identical files.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xuewei._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__)

if TYPE_CHECKING:
    from xuewei.outputs.atomic import atomic_path
    from xuewei.outputs.geopackage import write_geopackage
    from xuewei.outputs.maps import MapOptions, redraw_map, write_map, write_static_map
    from xuewei.outputs.report import write_report
    from xuewei.outputs.tables import csv_safe, forecast_table, write_csv, write_forecast_csv
    from xuewei.outputs.write import OUTPUT_FILES, write_outputs
    from xuewei.outputs.zones import write_zones_map, write_zones_workbook, zones_layer
