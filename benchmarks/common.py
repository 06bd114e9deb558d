"""Timing helpers shared by the benchmarks: best-of-N wall time, peak memory, and a map page
opened offline in Chromium."""

from __future__ import annotations

import gc
import time
import tracemalloc
from collections.abc import Callable
from typing import Any


def best_of(fn: Callable[[], Any], *, repeat: int = 3) -> tuple[float, Any]:
    """Return the best wall time in seconds of ``repeat`` calls, and the last result."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def peak_memory_mb(fn: Callable[[], Any]) -> float:
    """Peak Python-heap allocation of one call, in MiB (tracemalloc; numpy included)."""
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def table(rows: list[dict[str, Any]]) -> str:
    """Render rows as a Markdown table (keys of the first row are the columns)."""
    cols = list(rows[0])
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in rows:
        lines.append("| " + " | ".join(_fmt(row[c]) for c in cols) + " |")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if isinstance(value, float) and value != value:  # NaN: no such measurement
        return "—"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


_IDLE = """() => new Promise(done => {
    const ready = () => requestIdleCallback(() => done(performance.now()), {timeout: 10000});
    if (document.readyState === "complete") { ready(); } else { addEventListener("load", ready); }
})"""


def open_offline(
    browser: Any, page_path: Any, switch: str, *args: Any
) -> tuple[float, float, int, float]:
    """Open a page once at 1280×720, every request but file: and data: refused.

    Returns the load and idle times (s), the number of requests it tried, and the time (s)
    the script ``switch`` (a function returning a promise of milliseconds, given ``args``)
    takes.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    tried: list[str] = []

    def refuse(route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            tried.append(url)
            route.abort()

    context.route("**/*", refuse)
    page = context.new_page()
    page.goto(page_path.as_uri(), wait_until="load")
    idle = float(page.evaluate(_IDLE)) / 1000.0
    timing = "() => performance.timing.loadEventEnd - performance.timing.navigationStart"
    load = float(page.evaluate(timing)) / 1000.0
    switched = float(page.evaluate(switch, *args)) / 1000.0
    context.close()
    return load, idle, len(tried), switched
