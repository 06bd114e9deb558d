"""Districts zoned side by side: one worker process each, answers in the districts' order.

A zone never crosses a district boundary, so the districts' cases are independent and
:func:`~xuewei.planning.zones.draw_zones` can solve them at once. The heuristic is Python
and numpy that holds the interpreter lock most of the time, so threads would not help:
each worker is a process. Workers are *spawned*, not forked: forking a process that has
run HiGHS's threads may copy a lock held at that moment. The largest cases are handed out
first (the longest task then does not start last), and the answers come back in the
order of the jobs, so the result is the same with any number of workers.

Spawned workers import the caller's main module again: a script must start them under
``if __name__ == "__main__":`` (Python's own rule for multiprocessing; notebooks and the
``xuewei`` command need nothing).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from xuewei.errors import ConfigError

__all__ = ["map_in_order", "resolve_workers"]

T = TypeVar("T")


def resolve_workers(workers: int | None, jobs: int) -> int:
    """Return how many worker processes to start for ``jobs`` tasks.

    ``None``: the CPUs this process may use. Never more than the jobs, never fewer than 1.

    Examples
    --------
    >>> resolve_workers(4, 9), resolve_workers(4, 2), resolve_workers(1, 0)
    (4, 2, 1)
    >>> resolve_workers(0, 9)
    Traceback (most recent call last):
    ...
    xuewei.errors.ConfigError: workers=0; expected a whole number ≥ 1 (or None: every CPU)
    """
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
        workers = workers or os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers={workers!r}; expected a whole number ≥ 1 (or None: every CPU)")
    return max(1, min(workers, jobs))


def map_in_order(
    fn: Callable[..., T],
    jobs: Sequence[tuple[Any, ...]],
    *,
    workers: int,
    sizes: Sequence[float] | None = None,
) -> list[T]:
    """Return ``[fn(*job) for job in jobs]``, computed by ``workers`` processes.

    ``fn`` must be importable by name (a module-level function). ``sizes``: how long
    each job is expected to take (any unit); the largest are submitted first. With one
    worker or one job, everything runs in this process.

    Examples
    --------
    >>> map_in_order(pow, [(2, 3), (3, 2)], workers=1)
    [8, 9]
    """
    if workers <= 1 or len(jobs) <= 1:
        return [fn(*job) for job in jobs]
    order = sorted(range(len(jobs)), key=lambda k: -(sizes[k] if sizes is not None else 0.0))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = {k: pool.submit(fn, *jobs[k]) for k in order}
        return [futures[k].result() for k in range(len(jobs))]
