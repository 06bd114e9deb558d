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

from common import open_offline, table

from xuewei.config import load_plan
from xuewei.data import CHANGSHA_DIR
from xuewei.outputs import MapOptions, write_map
from xuewei.pipeline import run_plan

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
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
    return open_offline(browser, page_path, _SWITCH)


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
