"""The national run's scaling: counties per second on 1 and 2 Dask workers, memory, a re-run.

A seeded synthetic country of ``N_COUNTIES`` counties (:func:`xuewei.data.synth_country`,
6,000–120,000 residents each, scaled down about 1:20 from China's counties so that each
plans in seconds) is partitioned into GeoParquet county folders with their margins
(:func:`xuewei.pipeline.counties.partition_counties`) and run with
:func:`xuewei.pipeline.batch.run_batch` — every county planned and its outputs written
(GeoPackage, Excel report, forecast CSV, HTML map) — on a ``LocalCluster`` of 1 and of 2
single-threaded worker processes. Measured: wall time of the run (the cluster already
started; its start-up is shown apart), counties per second, the speed-up, each worker's
peak resident memory (``ru_maxrss`` of the worker process), and the one-minute load
average before and after (this machine's 2 cores are shared with other work). Then a
re-run with nothing changed (every county skipped on its hashes), and one with one
county's estates file broken (that county failed and reported, the others skipped).
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from common import table
from distributed import Client, LocalCluster

from xuewei.data import synth_country
from xuewei.pipeline.batch import run_batch
from xuewei.pipeline.counties import partition_counties

N_COUNTIES = 24
TARGET = 2800  # counties of China, for the projection
NODES = 32
CORES_PER_NODE = 16  # assumed: one single-threaded worker per core


def _country(folder: Path) -> Path:
    country = synth_country(1, n_counties=N_COUNTIES)
    partition_counties(
        country.districts,
        country.population,
        folder,
        schools=country.schools,
        estates=country.estates,
        counties=country.counties,
        data_note="All data SYNTHETIC / 全部为合成数据",
    )
    return folder


def _run(source: Path, out: Path, workers: int) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    startup = time.perf_counter() - t0
    try:
        t0 = time.perf_counter()
        run = run_batch(source, out, scheduler=client)
        wall = time.perf_counter() - t0
        rss = client.run(resource.getrusage, resource.RUSAGE_SELF)
    finally:
        client.close()
        cluster.close()
    return {
        "workers": workers,
        "counties": len(run.summary),
        "planned": len(run.ran),
        "skipped": len(run.skipped),
        "failed": len(run.failed),
        "cluster start s": startup,
        "wall s": wall,
        "counties/s": len(run.ran) / wall if run.ran else float("nan"),
        "mean task s": sum(run.seconds.values()) / max(len(run.seconds), 1),
        "peak MB/worker": max(r.ru_maxrss for r in rss.values()) / 1024,  # KiB on Linux
        "load before": load_before,
        "load after": os.getloadavg()[0],
    }


def main() -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        src = _country(Path(tmp) / "country")
        for workers in (1, 2):
            rows.append(_run(src, Path(tmp) / f"out{workers}", workers))
        one, two = rows
        rerun = _run(src, Path(tmp) / "out2", 2)
        rerun["workers"] = "2, re-run unchanged"
        broken = Path(tmp) / "broken"
        shutil.copytree(src, broken)
        (broken / "county_id=990003" / "estates.parquet").write_bytes(b"not parquet")
        shutil.copytree(Path(tmp) / "out2", Path(tmp) / "out_broken")
        bad = _run(broken, Path(tmp) / "out_broken", 2)
        bad["workers"] = "2, one input broken"
        rows += [rerun, bad]
    speedup = one["wall s"] / two["wall s"]
    c1 = one["mean task s"]
    workers = NODES * CORES_PER_NODE
    waves = -(-TARGET // workers)
    synth_h = waves * c1 / 3600
    # a real county: the Changsha plan (10 million residents, 9 districts) took 10.5 s for
    # run_plan here (benchmarks/README.md); a median county has ~1/25 of its residents but
    # forecasting and siting cost per district, not per resident: assume 20 s per county
    # with outputs, and 120 s for the largest 5 %
    real_s = 0.95 * TARGET * 20 + 0.05 * TARGET * 120
    real_h = real_s / workers / 3600 / 0.8
    lines = [
        f"### Batch: {N_COUNTIES} synthetic counties, LocalCluster on this machine",
        "",
        table(rows),
        "",
        f"Speed-up 1 → 2 workers: **{speedup:.2f}×** "
        f"({one['counties/s']:.3f} → {two['counties/s']:.3f} counties/s).",
        "",
        f"Projection to {TARGET:,} counties on {NODES} nodes × {CORES_PER_NODE} cores "
        f"({workers} single-threaded workers, each needing ~{two['peak MB/worker']:,.0f} MB, "
        f"so {CORES_PER_NODE} a node fit in {CORES_PER_NODE * two['peak MB/worker'] / 1024:.1f}"
        " GB):",
        "",
        f"* synthetic-size counties ({c1:.1f} s each, measured at 1 worker, the tasks "
        f"independent): {waves} waves × {c1:.1f} s ≈ **{waves * c1 / 60:.1f} min** "
        f"({synth_h:.2f} h);",
        f"* real-size counties (assumed 20 s each with outputs, 120 s for the largest 5 %; "
        f"80 % efficiency for stragglers and the scheduler): ≈ **{real_h * 60:.0f} min**.",
    ]
    return "\n".join(lines)
