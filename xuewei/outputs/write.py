"""Write every output of a run into one folder: GeoPackage, Excel, forecast CSV, maps."""

from __future__ import annotations

from pathlib import Path

from xuewei.errors import OutputExistsError
from xuewei.outputs.geopackage import write_geopackage
from xuewei.outputs.maps import MapOptions, write_map, write_static_map
from xuewei.outputs.report import write_report
from xuewei.outputs.tables import write_forecast_csv
from xuewei.pipeline import PlanResult

__all__ = ["OUTPUT_FILES", "write_outputs"]

#: The files :func:`write_outputs` writes into the output folder.
OUTPUT_FILES = ("plan.gpkg", "report.xlsx", "forecast.csv", "plan.html")


def write_outputs(
    result: PlanResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    map_options: MapOptions | None = None,
) -> dict[str, Path]:
    """Write every output of a plan run into ``out_dir``.

    Parameters
    ----------
    result
        A :class:`~xuewei.pipeline.PlanResult`.
    out_dir
        The folder; created if needed.
    overwrite
        Replace existing outputs. Without it, nothing is written if any output exists.
    map_options
        How the map is drawn (offline, base map, language, a PNG too).

    Returns
    -------
    dict
        Output name → path: ``gpkg``, ``report``, ``forecast``, ``map`` (and ``png``).
    """
    options = map_options or MapOptions()
    out = Path(out_dir)
    paths = {
        "gpkg": out / "plan.gpkg",
        "report": out / "report.xlsx",
        "forecast": out / "forecast.csv",
        "map": out / "plan.html",
    }
    if options.png:
        paths["png"] = out / "plan.png"
    if not overwrite:
        existing = [str(p) for p in paths.values() if p.exists()]
        if existing:
            raise OutputExistsError(
                f"outputs exist: {', '.join(existing)}; pass overwrite=True (CLI: --overwrite)"
            )
    write_geopackage(result, paths["gpkg"], overwrite=overwrite)
    write_report(result, paths["report"], overwrite=overwrite)
    write_forecast_csv(result, paths["forecast"], overwrite=overwrite)
    write_map(result, paths["map"], overwrite=overwrite, options=options)
    if options.png:
        write_static_map(result, paths["png"], overwrite=overwrite, options=options)
    return paths
