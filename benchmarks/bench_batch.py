"""The national run's scaling: counties per second on 1 and 2 Dask workers, memory, a re-run.

A seeded synthetic country of ``N_COUNTIES`` counties (:func:`xuewei.data.synth_country`,
3,750–120,000 residents each, scaled down about 1:20 from China's counties so that each
plans in seconds) is partitioned into GeoParquet county folders with their margins
(:func:`xuewei.pipeline.counties.partition_counties`) and run with
:func:`xuewei.pipeline.batch.run_batch` — every county planned and its outputs written
(GeoPackage, Excel report, forecast CSV, HTML map) — on a ``LocalCluster`` of 1 and of 2
single-threaded worker processes. Measured: wall time of the run (the cluster already
started; its start-up is shown apart), counties per second, the speed-up, each worker's
peak resident memory (``ru_maxrss`` of the worker process), each task's wall and CPU
time, the cores the run got (Σ task CPU s ÷ wall s), and the one-minute load average before
and after (this machine's 2 cores are shared with other work). Then a
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

N_COUNTIES = 16
TARGET = 2800  # counties of China, for the projection
NODES = 32
CORES_PER_NODE = 16  # assumed: one single-threaded worker per core
# measured here: the Changsha plan (10 million residents, 9 districts, 2,000 candidate
# sites) with its outputs (benchmarks/README.md), and without candidate sites (new schools
# sited on a generated grid: run_plan 149 s at load 2.5-4, benchmarks/siting.md) + writing
CHANGSHA_S = 15.7
CHANGSHA_GRID_S = 149 + 5.2


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
        n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
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
    n = max(len(run.seconds), 1)
    return {
        "workers": workers,
        "planned": len(run.ran),
        "skipped": len(run.skipped),
        "failed": len(run.failed),
        "cluster start s": startup,
        "wall s": wall,
        "counties/s": len(run.ran) / wall if run.ran else float("nan"),
        "task wall s": sum(run.seconds.values()) / n,
        "task CPU s": sum(run.cpu_seconds.values()) / n,
        # the CPU the workers got: on a machine shared by several jobs, the share of its
        # cores this run was given, whatever the number of workers
        "cores used": sum(run.cpu_seconds.values()) / wall,
        "peak MB/worker": max(r.ru_maxrss for r in rss.values()) / 1024,  # KiB on Linux
        "load before": load_before,
        "load after": os.getloadavg()[0],
    }


def main() -> str:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        src = _country(Path(tmp) / "country")
        # alternate, so that both see the machine's load as it drifts
        for i, workers in enumerate((1, 2, 1, 2)):
            rows.append(_run(src, Path(tmp) / f"out{i}", workers))
        rerun = _run(src, Path(tmp) / "out3", 2)
        rerun["workers"] = "2, re-run unchanged"
        broken = Path(tmp) / "broken"
        shutil.copytree(src, broken)
        (broken / "county_id=990003" / "estates.parquet").write_bytes(b"not parquet")
        shutil.copytree(Path(tmp) / "out3", Path(tmp) / "out_broken")
        bad = _run(broken, Path(tmp) / "out_broken", 2)
        bad["workers"] = "2, one input broken"
        scaling = list(rows)
        rows += [rerun, bad]
    best = {w: max(r["counties/s"] for r in scaling if r["workers"] == w) for w in (1, 2)}
    cpu = sorted(r["task CPU s"] for r in scaling)[len(scaling) // 2]
    mem = max(r["peak MB/worker"] for r in scaling)
    workers = NODES * CORES_PER_NODE
    synth_min = TARGET * cpu / workers / 60 / 0.8
    real_cpu = 0.95 * CHANGSHA_S + 0.05 * CHANGSHA_GRID_S
    real_min = TARGET * real_cpu / workers / 60 / 0.8
    lines = [
        f"### Batch: {N_COUNTIES} synthetic counties, LocalCluster on this machine",
        "",
        table(rows),
        "",
        f"Best of two runs each: {best[1]:.3f} counties/s on 1 worker, {best[2]:.3f} on 2: "
        f"speed-up **{best[2] / best[1]:.2f}×** on this machine's 2 cores shared with other "
        "work (see the load averages).",
        "",
        f"Projection to {TARGET:,} counties on {NODES} nodes × {CORES_PER_NODE} cores "
        f"({workers} single-threaded workers; {mem:,.0f} MB peak per worker here, so "
        f"{CORES_PER_NODE} a node need {CORES_PER_NODE * mem / 1024:.1f} GB), "
        "the tasks independent, 80 % efficiency (stragglers, scheduling, the shared file "
        "system), time = counties × CPU s per county ÷ workers ÷ 0.8:",
        "",
        f"* synthetic-size counties ({cpu:.1f} CPU s each, the median of the runs above): "
        f"≈ **{synth_min:.1f} min**;",
        f"* real-size counties, each assumed to cost what the Changsha plan costs here with "
        f"its outputs ({CHANGSHA_S} s; Changsha has ~25× a median county's residents, so "
        f"this is pessimistic) and the largest 5 % {CHANGSHA_GRID_S:.0f} s (siting on a "
        f"generated grid): ≈ **{real_min:.0f} min**.",
    ]
    return "\n".join(lines)
