"""The zones on the map as a browser receives them: page weight and time to a quiet page.

The Changsha demo's attendance zones (base year, both levels) are drawn by ``xuewei zones``
as the analyst runs it, and its ``zones.html`` — one offline page, Leaflet inlined, the
primary zones shown — is opened in headless Chromium (networking refused) at 1280×720,
three times: the page's bytes, the load event, the first idle callback after load, the
network requests tried, and switching the junior zones on (to the next idle callback).
Then the plan's own map (every year and scenario, as ``xuewei demo`` writes it) is written
with and without the zones layer (``xuewei map --zones``): what the layer adds to its
weight and to its time to idle.

Run: ``PYTHONSAFEPATH=1 .venv/bin/python benchmarks/run.py zones_map``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import pyogrio
from common import open_offline, table  # type: ignore[import-not-found]
from typer.testing import CliRunner

from xuewei import maps
from xuewei.cli import app
from xuewei.config import load_plan
from xuewei.data import CHANGSHA_DIR
from xuewei.outputs.maps import map_layers
from xuewei.pipeline import run_plan

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
_SWITCH = """(label) => new Promise(done => {
    const start = performance.now();
    const entry = [...document.querySelectorAll(".leaflet-control-layers-list label")]
        .find((l) => l.textContent.trim() === label);
    entry.querySelector("input").click();
    requestIdleCallback(() => done(performance.now() - start), {timeout: 10000});
})"""
JUNIOR = "学区（初中） Attendance zones, junior secondary"


def _open(browser: Any, page_path: Path, switch: str | None) -> tuple[float, float, int, float]:
    """Open a page once: load and idle (s), requests tried, and switching ``switch`` on (s)."""
    if switch is None:
        load, idle, tried, _ = open_offline(browser, page_path, "() => 0")
        return load, idle, tried, float("nan")
    return open_offline(browser, page_path, _SWITCH, switch)


def _best(browser: Any, path: Path, switch: str | None = None) -> dict[str, float]:
    runs = [_open(browser, path, switch) for _ in range(3)]
    return {
        "mb": round(path.stat().st_size / 1e6, 2),
        "load": round(min(r[0] for r in runs), 2),
        "idle": round(min(r[1] for r in runs), 2),
        "requests": max(r[2] for r in runs),
        "switch": round(min(r[3] for r in runs), 2),
    }


def main() -> str:
    from playwright.sync_api import sync_playwright

    before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        start = time.perf_counter()
        res = CliRunner().invoke(app, ["zones", str(CHANGSHA_DIR / "plan.toml"), "-o", tmp, "-q"])
        assert res.exit_code == 0, res.output
        zones_s = time.perf_counter() - start
        result = run_plan(load_plan(CHANGSHA_DIR / "plan.toml"))
        zones = pyogrio.read_dataframe(out / "zones.gpkg", layer="zones")
        for name, drawn in (("plan.html", None), ("plan_zones.html", zones)):
            m = maps.plan_map(**map_layers(result), zones=drawn)
            (out / name).write_text(maps.render_html(m, offline=True), encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            page = _best(browser, out / "zones.html", JUNIOR)
            plain = _best(browser, out / "plan.html")
            layered = _best(
                browser, out / "plan_zones.html", "学区（小学） Attendance zones, primary"
            )
            browser.close()
    after = os.getloadavg()
    rows = [
        {"page": "zones.html (xuewei zones)", **page, "switch": f"{page['switch']} (junior on)"},
        {"page": "plan map", **plain, "switch": "—"},
        {"page": "plan map + zones layer", **layered,
         "switch": f"{layered['switch']} (primary on)"},
    ]  # fmt: skip
    for row in rows:
        row["MB"] = row.pop("mb")
        row["load s"] = row.pop("load")
        row["idle s"] = row.pop("idle")
        row["switch s"] = row.pop("switch")
    load = ", ".join(f"{x:.2f}" for x in before) + " → " + ", ".join(f"{x:.2f}" for x in after)
    added = layered["mb"] - plain["mb"]
    return (
        "## The zones on the map in Chromium (`make bench BENCH=zones_map`)\n\n"
        + table(rows)
        + f"\n\nThe zones layer adds {added:.2f} MB to the plan map. "
        f"`xuewei zones` on the demo (both levels, all outputs): {zones_s:.1f} s wall. "
        f"Best of 3 opens, offline, 1280×720, requests refused. Load average {load} "
        "(2 shared cores).\n"
    )
