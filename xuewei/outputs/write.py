"""Write every output of a run into one folder: GeoPackage, Excel, forecast CSV, maps."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from xuewei.outputs.atomic import atomic_paths

if TYPE_CHECKING:
    from xuewei.outputs.maps import MapOptions
    from xuewei.pipeline import PlanResult

__all__ = ["OUTPUT_FILES", "existing_outputs", "output_paths", "write_outputs"]

_log = logging.getLogger(__name__)

#: The files :func:`write_outputs` writes into the output folder.
OUTPUT_FILES = ("plan.gpkg", "report.xlsx", "forecast.csv", "plan.html")


def output_paths(out_dir: str | Path, *, png: bool = False) -> dict[str, Path]:
    """Return the files :func:`write_outputs` writes into ``out_dir``, by output name.

    Parameters
    ----------
    out_dir
        The output folder.
    png
        Whether the static map, ``plan.png``, is written too.

    Returns
    -------
    dict
        Output name → path: ``gpkg``, ``report``, ``forecast``, ``map`` (and ``png``).

    Examples
    --------
    >>> sorted(output_paths("out", png=True))
    ['forecast', 'gpkg', 'map', 'png', 'report']
    """
    out = Path(out_dir)
    paths = {
        "gpkg": out / "plan.gpkg",
        "report": out / "report.xlsx",
        "forecast": out / "forecast.csv",
        "map": out / "plan.html",
    }
    if png:
        paths["png"] = out / "plan.png"
    return paths


def existing_outputs(out_dir: str | Path, *, png: bool = False) -> list[Path]:
    """Return the outputs :func:`write_outputs` would replace in ``out_dir`` (none: ``[]``).

    Without ``overwrite=True``, :func:`write_outputs` writes nothing when any of them exists;
    the command line checks this before it reads or computes anything.

    Examples
    --------
    >>> import tempfile
    >>> existing_outputs(tempfile.mkdtemp())
    []
    """
    return [p for p in output_paths(out_dir, png=png).values() if p.exists()]


def write_outputs(
    result: PlanResult,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    map_options: MapOptions | None = None,
) -> dict[str, Path]:
    """Write every output of a plan run into ``out_dir``.

    Each file is announced on the ``xuewei.outputs`` logger (INFO) as it is written.

    Parameters
    ----------
    result
        A :class:`~xuewei.pipeline.PlanResult`.
    out_dir
        The folder; created if needed.
    overwrite
        Replace existing outputs. Without it, nothing is written if any output exists
        (:func:`existing_outputs`). Every file is written under a temporary name and
        renamed into place once all are complete (:func:`~xuewei.outputs.atomic.atomic_paths`),
        so a run that fails or is killed leaves the earlier outputs as they were.
    map_options
        How the map is drawn (offline, base map, a PNG too) and the language of the map and
        the report.

    Returns
    -------
    dict
        Output name → path: ``gpkg``, ``report``, ``forecast``, ``map`` (and ``png``).
    """
    # the writers are imported here, so that checking the folder first (existing_outputs)
    # does not load them
    from xuewei.outputs.geopackage import write_geopackage
    from xuewei.outputs.maps import MapOptions, write_map, write_static_map
    from xuewei.outputs.report import write_report
    from xuewei.outputs.tables import write_forecast_csv

    options = map_options or MapOptions()
    paths = output_paths(out_dir, png=options.png)
    # every file is written under a temporary name first and renamed when all are done
    with atomic_paths(paths, overwrite=overwrite) as staged:
        _log.info("writing %s", paths["gpkg"])
        write_geopackage(result, staged["gpkg"])
        _log.info("writing %s", paths["report"])
        write_report(result, staged["report"], lang=options.lang)
        _log.info("writing %s", paths["forecast"])
        write_forecast_csv(result, staged["forecast"])
        _log.info("writing %s", paths["map"])
        write_map(result, staged["map"], options=options)
        if options.png:
            _log.info("writing %s", paths["png"])
            write_static_map(result, staged["png"], options=options)
    return paths
