"""The meeting map as a browser receives it: page weight and time to a quiet page.

The Changsha demo's map (every year and scenario of the plan, every layer; it opens at the
default scenario and the horizon) is written as the CLI writes it — one offline page with
Leaflet inlined — and opened in headless Chromium (Debian's, with networking refused: an
offline page must not ask for anything) at 1280×720, three times. Measured: the page's
bytes; the load event (navigation timing); "idle", the first idle callback after load, when
the markers are built and the browser has nothing left to do; and a switch of year and
scenario in the title box, from the change to the next idle callback (every layer
re-drawn). The goal (issue: meeting deliverables) is ≤ 5 MB and ≤ 1.5 s to idle.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from common import table

from xuewei.config import load_plan
from xuewei.data import CHANGSHA_DIR
from xuewei.outputs import MapOptions, write_map
from xuewei.pipeline import run_plan

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
_IDLE = """() => new Promise(done => {
    const ready = () => requestIdleCallback(() => done(performance.now()), {timeout: 10000});
    if (document.readyState === "complete") { ready(); } else { addEventListener("load", ready); }
})"""


_SWITCH = """() => new Promise(done => {
    const start = performance.now();
    const year = document.querySelector("select.xuewei-year");
    const scenario = document.querySelector("select.xuewei-scenario");
    year.selectedIndex = Math.floor(year.options.length / 2);
    scenario.selectedIndex = 0;
    scenario.dispatchEvent(new Event("change"));
    requestIdleCallback(() => done(performance.now() - start), {timeout: 10000});
})"""


def _open(browser: Any, page_path: Path) -> tuple[float, float, int, float]:
    """Open the page once; return load and idle times (s), the requests it tried, and the
    time (s) a switch of year and scenario takes."""
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
    switch = float(page.evaluate(_SWITCH)) / 1000.0
    context.close()
    return load, idle, len(tried), switch


def main() -> str:
    from playwright.sync_api import sync_playwright

    result = run_plan(load_plan(CHANGSHA_DIR / "plan.toml"))
    with tempfile.TemporaryDirectory() as tmp:
        page_path = Path(tmp) / "plan.html"
        write_map(result, page_path, options=MapOptions(offline=True))
        size_mb = page_path.stat().st_size / 1e6
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            runs = [_open(browser, page_path) for _ in range(3)]
            browser.close()
    load = min(r[0] for r in runs)
    idle = min(r[1] for r in runs)
    rows = [
        {"measure": "page weight, MB (offline, Leaflet inlined)", "value": round(size_mb, 2),
         "goal": "≤ 5"},
        {"measure": "load event, s (best of 3)", "value": round(load, 2), "goal": "—"},
        {"measure": "load to idle, s (best of 3)", "value": round(idle, 2), "goal": "≤ 1.5"},
        {"measure": "network requests tried", "value": max(r[2] for r in runs), "goal": "0"},
        {"measure": "switch year and scenario to idle, s (best of 3)",
         "value": round(min(r[3] for r in runs), 2), "goal": "—"},
    ]  # fmt: skip
    return "## The meeting map in Chromium (`make bench BENCH=map`)\n\n" + table(rows)
