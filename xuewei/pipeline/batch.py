"""A national run: one plan per county, each a Dask task, and one national summary.

:func:`run_batch` reads a manifest (:func:`~xuewei.pipeline.counties.read_manifest`) and
runs every county's plan (:func:`~xuewei.pipeline.run_plan`, then the usual outputs,
:func:`~xuewei.outputs.write_outputs`, into ``OUT/<county_id>/``) as one task of a
``dask.distributed`` cluster: a ``LocalCluster`` of worker processes on this machine by
default, or any running scheduler by its address (the same code on a laptop, an HPC batch
system through ``dask-jobqueue`` or Kubernetes). A county that fails — a bad input, a plan
that cannot be read, a worker lost — is caught where it happens and becomes a row of the
summary with its error; it never stops the other counties.

A re-run skips the counties whose inputs and outputs are unchanged: each county's folder
records the SHA-256 of its inputs (plan file and every file it names, and the xuewei
version) and of the outputs written (``county.json``); when both still match, its summary
row is read back instead of planning it again. The national summary
(:func:`~xuewei.outputs.batch_summary.write_batch_summary`) then holds every county, run
now or before, in the same bytes either way.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from xuewei.errors import ConfigError
from xuewei.outputs.atomic import atomic_path
from xuewei.pipeline.counties import read_manifest

__all__ = ["SUMMARY_COLUMNS", "BatchRun", "CountyTask", "inputs_digest", "run_batch", "run_county"]

_log = logging.getLogger("xuewei.pipeline")

#: The columns of the national summary, one row per county.
SUMMARY_COLUMNS = (
    "county_id",
    "name",
    "name_en",
    "status",
    "error",
    "base_year",
    "horizon",
    "scenario",
    "residents_base",
    "residents_horizon",
    "required",
    "offered",
    "gap",
    "shortfall",
    "schools",
    "schools_over_capacity",
    "new_schools",
    "warnings",
    "data_note",
    "inputs_sha256",
)
_WHOLE = ("base_year", "horizon", "schools", "schools_over_capacity", "new_schools", "warnings")
#: What a county's folder records about the run that wrote it.
RECORD = "county.json"
ProgressFn = Callable[[int, int, dict[str, Any]], None]


@dataclass(frozen=True)
class CountyTask:
    """One county of a batch: its plan file and its output folder.

    Plain strings, sent to the workers as they are.
    """

    county_id: str
    name: str
    name_en: str
    plan: str
    out_dir: str
    force: bool = False


@dataclass(frozen=True)
class BatchRun:
    """What a batch run did.

    Attributes
    ----------
    summary
        One row per county (:data:`SUMMARY_COLUMNS`), county outlines in EPSG:4326
        (empty for a county that failed before its districts were read).
    ran, skipped
        The counties planned in this run, and those whose inputs and outputs were
        unchanged (their rows read back).
    seconds, cpu_seconds
        Wall and CPU time of each county planned in this run (its task, on its worker;
        on a busy machine the CPU time is the steadier measure of the work).
    paths
        The summary files written (``parquet``, ``csv``, ``xlsx``, ``hashes``).
    """

    summary: gpd.GeoDataFrame
    ran: tuple[str, ...]
    skipped: tuple[str, ...]
    seconds: dict[str, float]
    cpu_seconds: dict[str, float]
    paths: dict[str, Path]

    @property
    def failed(self) -> pd.DataFrame:
        """The counties that failed or were not run: ``county_id``, ``status``, ``error``."""
        bad = self.summary[self.summary["status"] != "ok"]
        return pd.DataFrame(bad[["county_id", "status", "error"]]).reset_index(drop=True)

    @property
    def ok(self) -> bool:
        """True when every county was planned."""
        return self.failed.empty


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def inputs_digest(plan_file: str | Path) -> str:
    """Return the SHA-256 of a plan's inputs: the plan file, every file it names, xuewei.

    The plan file is read as TOML only to find its inputs (not validated); an input that
    does not exist counts as such, so that adding it changes the digest.
    """
    from xuewei import __version__

    plan = Path(plan_file)
    digest = hashlib.sha256(f"xuewei {__version__}\n".encode())
    digest.update(_sha256(plan).encode())
    try:
        inputs = tomllib.loads(plan.read_text(encoding="utf-8")).get("inputs", {})
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        inputs = {}
    for name in sorted(inputs) if isinstance(inputs, dict) else ():
        spec = inputs[name]
        raw = spec.get("path") if isinstance(spec, dict) else spec
        path = plan.parent / str(raw)
        seen = _sha256(path) if path.is_file() else "missing"
        digest.update(f"{name}={raw}:{seen}\n".encode())
    return digest.hexdigest()


def _unchanged(task: CountyTask, digest: str) -> dict[str, Any] | None:
    """Return the summary row an earlier run recorded, if its inputs and outputs still match."""
    if task.force:
        return None
    record_file = Path(task.out_dir) / RECORD
    try:
        record = json.loads(record_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("inputs_sha256") != digest:
        return None
    for name, sha in record.get("outputs", {}).items():
        path = Path(task.out_dir) / name
        if not path.is_file() or _sha256(path) != sha:
            return None
    row = record.get("summary")
    return row if isinstance(row, dict) else None


def run_county(task: CountyTask) -> dict[str, Any]:
    """Plan one county and write its outputs; return its summary row (never raises).

    The row has the :data:`SUMMARY_COLUMNS`, ``geometry`` (the county outline as WKT in
    EPSG:4326, or ``None``), ``seconds`` and ``cpu_seconds`` (wall and CPU time of the
    task) and ``skipped``. A failure gives ``status``
    ``failed`` and ``error`` (``ExceptionType: message``); the county's earlier outputs,
    if any, stay as they were, and its record is removed so that the next run retries it.
    """
    from threadpoolctl import threadpool_limits

    start, cpu = time.perf_counter(), time.process_time()
    out = Path(task.out_dir)
    digest = ""
    try:
        digest = inputs_digest(task.plan)
        earlier = _unchanged(task, digest)
        if earlier is not None:
            return {**earlier, **_took(start, cpu), "skipped": True}
        # one county per worker process: BLAS threads would only contend; its warnings go
        # to its report and the summary's count, not to thousands of lines of worker log
        with threadpool_limits(limits=1), _quiet_log():
            row = _plan_county(task, digest)
    except Exception as exc:  # every failure becomes a row, never lost
        (out / RECORD).unlink(missing_ok=True)
        row = _failed_row(task, digest, f"{type(exc).__name__}: {exc}")
    return {**row, **_took(start, cpu), "skipped": False}


def _took(start: float, cpu: float) -> dict[str, float]:
    """Wall and CPU seconds of this worker process since ``start`` and ``cpu``."""
    return {"seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu}


@contextlib.contextmanager
def _quiet_log() -> Iterator[None]:
    """Keep the ``xuewei`` loggers to errors while one county runs (in its worker)."""
    logger = logging.getLogger("xuewei")
    saved = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(saved)


class _NotCancelled(logging.Filter):
    """Drops Dask's warning that a cancelled task "ended with CancelledError"."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "CancelledError" not in record.getMessage()


def _hush_cancelled() -> None:
    """Drop, in a worker of our own cluster, Dask's warning of each task cancelled.

    The counties the time limit cancels are reported in the summary (``not_run``), so
    that warning is only noise on stderr.
    """
    logging.getLogger("distributed.worker.state_machine").addFilter(_NotCancelled())


def _failed_row(
    task: CountyTask, digest: str, error: str, status: str = "failed"
) -> dict[str, Any]:
    row: dict[str, Any] = {c: None for c in SUMMARY_COLUMNS}
    row.update(
        county_id=task.county_id,
        name=task.name,
        name_en=task.name_en,
        status=status,
        error=error,
        inputs_sha256=digest or None,
        geometry=None,
    )
    return row


def _plan_county(task: CountyTask, digest: str) -> dict[str, Any]:
    from xuewei.config import load_plan
    from xuewei.outputs import write_outputs
    from xuewei.pipeline.run import run_plan

    out = Path(task.out_dir)
    result = run_plan(load_plan(task.plan))
    paths = write_outputs(result, out, overwrite=True)
    scenario = result.standards.default_scenario
    total = result.summary().iloc[-1]
    gaps = result.gaps
    # each district's primary and junior shortages on their own: a junior surplus does not
    # fill a primary gap (nor one district's another's), as in the build programme
    short = gaps[
        gaps["level"].isin(["primary", "junior"])
        & (gaps["year"] == result.horizon)
        & (gaps["scenario"] == scenario)
    ]
    schools = result.schools
    over = schools.get("over_capacity_assigned", pd.Series(dtype="boolean"))
    proposals = result.proposals_for(scenario)
    new = 0 if proposals is None else int((proposals["kind"] == "new_build").sum())
    outline = result.districts.geometry.union_all()
    outline = gpd.GeoSeries([outline], crs=result.crs).to_crs(4326).iloc[0]
    row = {
        "county_id": task.county_id,
        "name": result.plan.name or task.name,
        "name_en": result.plan.name_en or task.name_en,
        "status": "ok",
        "error": None,
        "base_year": int(result.base_year),
        "horizon": int(result.horizon),
        "scenario": float(scenario),
        "residents_base": float(total[f"residents_{result.base_year}"]),
        "residents_horizon": float(total[f"residents_{result.horizon}"]),
        "required": float(total[f"required_{scenario:g}"]),
        "offered": float(total["offered"]),
        "gap": float(total[f"gap_{scenario:g}"]),
        "shortfall": float(short["gap"].clip(lower=0).sum()),
        "schools": len(schools),
        "schools_over_capacity": int(over.fillna(False).astype(bool).sum()),
        "new_schools": new,
        "warnings": len(result.warnings),
        "data_note": result.plan.data_note,
        "inputs_sha256": digest,
        "geometry": shapely.to_wkt(outline, rounding_precision=6),
    }
    record = {
        "county_id": task.county_id,
        "inputs_sha256": digest,
        "outputs": {p.name: _sha256(p) for p in sorted(paths.values())},
        "summary": row,
    }
    with atomic_path(out / RECORD, overwrite=True) as tmp:
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True), "utf-8")
    return row


def county_tasks(
    source: str | Path, out_dir: str | Path, *, force: bool = False
) -> list[CountyTask]:
    """Return the tasks of a batch: one per county of the manifest, output in ``OUT/<id>``."""
    manifest = read_manifest(source)
    out = Path(out_dir).resolve()
    return [
        CountyTask(
            county_id=str(r["county_id"]),
            name=str(r["name"]),
            name_en=str(r["name_en"]),
            plan=str(r["plan"]),
            out_dir=str(out / str(r["county_id"])),
            force=force,
        )
        for r in manifest.to_dict("records")
    ]


def run_batch(
    source: str | Path,
    out_dir: str | Path,
    *,
    scheduler: str | Any | None = None,
    n_workers: int | None = None,
    time_limit_s: float | None = None,
    force: bool = False,
    progress: ProgressFn | None = None,
) -> BatchRun:
    """Plan every county of a manifest on a Dask cluster and write the national summary.

    Parameters
    ----------
    source
        A manifest or a folder of county plan folders
        (:func:`~xuewei.pipeline.counties.read_manifest`).
    out_dir
        The output folder: ``<county_id>/`` per county (the outputs of ``xuewei plan``
        and ``county.json``), ``summary.parquet`` (GeoParquet), ``summary.csv``,
        ``summary.xlsx`` and ``hashes.csv``.
    scheduler
        A scheduler address (``"tcp://host:8786"``) or a ``distributed.Client``; default
        a ``LocalCluster`` of ``n_workers`` single-threaded processes, closed afterwards.
    n_workers
        Worker processes of the default cluster (default: the CPU count).
    time_limit_s
        Stop waiting after this many seconds: counties not finished by then are
        cancelled and get status ``not_run`` (a re-run plans them, and skips the rest).
    force
        Plan every county, even those whose inputs and outputs are unchanged.
    progress
        Called ``(done, total, row)`` as each county finishes.

    Returns
    -------
    BatchRun
    """
    from xuewei.outputs.batch_summary import write_batch_summary

    tasks = county_tasks(source, out_dir, force=force)
    rows = _run_tasks(tasks, scheduler, n_workers, time_limit_s, progress)
    by_id = {r["county_id"]: r for r in rows}
    ordered = [by_id[t.county_id] for t in tasks]
    frame = pd.DataFrame(ordered)
    geometry = gpd.GeoSeries.from_wkt(frame["geometry"], crs=4326)
    table = frame[list(SUMMARY_COLUMNS)].astype({c: "Int64" for c in _WHOLE})
    summary = gpd.GeoDataFrame(table, geometry=geometry, crs=4326)
    hashes = _hashes(tasks)
    paths = write_batch_summary(summary, out_dir, hashes=hashes)
    return BatchRun(
        summary=summary,
        ran=tuple(r["county_id"] for r in ordered if not r["skipped"] and r["status"] == "ok"),
        skipped=tuple(r["county_id"] for r in ordered if r["skipped"]),
        seconds={r["county_id"]: float(r["seconds"]) for r in ordered if not r["skipped"]},
        cpu_seconds={
            r["county_id"]: float(r.get("cpu_seconds", 0.0)) for r in ordered if not r["skipped"]
        },
        paths=paths,
    )


def _hashes(tasks: list[CountyTask]) -> pd.DataFrame:
    """Every county's recorded inputs digest and output hashes, one row per file."""
    rows = []
    for task in tasks:
        try:
            record = json.loads((Path(task.out_dir) / RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        rows.append(
            {"county_id": task.county_id, "file": "inputs", "sha256": record["inputs_sha256"]}
        )
        rows += [
            {"county_id": task.county_id, "file": name, "sha256": sha}
            for name, sha in sorted(record["outputs"].items())
        ]
    return pd.DataFrame(rows, columns=["county_id", "file", "sha256"])


def _run_tasks(
    tasks: list[CountyTask],
    scheduler: str | Any | None,
    n_workers: int | None,
    time_limit_s: float | None,
    progress: ProgressFn | None,
) -> list[dict[str, Any]]:
    """Run the tasks on a Dask cluster; every task gives one row, whatever happens."""
    from distributed import Client, LocalCluster, as_completed

    if n_workers is not None and n_workers < 1:
        raise ConfigError(f"n_workers={n_workers}: expected at least 1 worker")
    own = None
    if scheduler is None:
        own = LocalCluster(
            n_workers=n_workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: two clusters never clash
        )
        client = Client(own)
        client.run(_hush_cancelled)  # its workers print to our stderr
    elif isinstance(scheduler, str):
        client = Client(scheduler)
    else:
        client = scheduler
    rows: list[dict[str, Any]] = []
    try:
        futures = {
            client.submit(run_county, t, key=f"county-{t.county_id}", pure=False): t for t in tasks
        }
        pending = dict(futures)
        try:
            for fut in as_completed(list(futures), timeout=time_limit_s):
                task = pending.pop(fut)
                try:
                    row = fut.result()
                except Exception as exc:  # a lost worker fails its county, not the run
                    row = {**_failed_row(task, "", f"{type(exc).__name__}: {exc}"), "seconds": 0.0}
                    row["skipped"] = False
                rows.append(row)
                if progress is not None:
                    progress(len(rows), len(tasks), row)
        except TimeoutError:
            client.cancel(list(pending))
            note = f"time limit of {time_limit_s:g} s reached before this county finished"
            for task in pending.values():
                row = {**_failed_row(task, "", note, status="not_run"), "seconds": 0.0}
                row["skipped"] = False
                rows.append(row)
                if progress is not None:
                    progress(len(rows), len(tasks), row)
    finally:
        if own is not None or isinstance(scheduler, str):
            client.close()
        if own is not None:
            own.close()
    return rows
