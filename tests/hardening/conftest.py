"""Runs of the command line in a process of its own, as an analyst starts it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from xuewei.outputs import OUTPUT_FILES

#: Starts the command line in a child process (the installed ``xuewei`` script's code).
CLI = [sys.executable, "-c", "from xuewei.cli import main; main()"]


def cli_process(args: list[str], *, code: str | None = None, **env: str) -> subprocess.Popen[bytes]:
    """Start ``xuewei ARGS`` in a child process with extra environment variables.

    ``code`` replaces the Python code that starts the command line (it calls ``main()``).
    """
    full = {**os.environ, "PYTHONSAFEPATH": "1", "PYTHONIOENCODING": "utf-8", **env}
    start = CLI if code is None else [sys.executable, "-c", code]
    return subprocess.Popen(
        [*start, *args], env=full, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def run_cli(args: list[str], **env: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``xuewei ARGS`` to its end in a child process; fail the test if it fails."""
    proc = cli_process(args, **env)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode(errors="replace")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every output file in ``folder``."""
    return {
        name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
        for name in OUTPUT_FILES
        if (folder / name).exists()
    }


@pytest.fixture(scope="session")
def two_runs(small_plan: Path, tmp_path_factory) -> tuple[Path, Path]:
    """The small plan run twice, in two processes that differ in hash seed and threads.

    Dict and set order follow ``PYTHONHASHSEED``; numpy/BLAS and HiGHS follow the thread
    variables. Identical outputs say that neither changes an answer.
    """
    outs = []
    for seed, threads in (("1", "1"), ("2", "2")):
        out = tmp_path_factory.mktemp(f"run_seed{seed}_threads{threads}")
        run_cli(
            ["plan", str(small_plan), "--out", str(out), "--overwrite"],
            PYTHONHASHSEED=seed,
            OMP_NUM_THREADS=threads,
            OPENBLAS_NUM_THREADS=threads,
            MKL_NUM_THREADS=threads,
        )
        outs.append(out)
    return outs[0], outs[1]
