"""The README's tour runs as written (an analyst will paste it into a notebook)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyogrio

README = Path(__file__).resolve().parents[1] / "README.md"


def test_tour_runs(tmp_path):
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has a Python tour"
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for block in blocks:
            exec(compile(block, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    gpkg = tmp_path / "out" / "changsha" / "plan.gpkg"
    assert gpkg.exists()
    # 浏阳市 publishes births and (the share of) its children aged 0-14: the one district
    # of the default whose cohort-based demand sits beside the per-thousand rule
    cohort = pyogrio.read_dataframe(gpkg, layer="cohort")
    assert set(cohort["district_id"]) == {"430181"}
    page = (tmp_path / "out" / "changsha" / "plan.html").read_text(encoding="utf-8")
    assert "Cohort forecast from births" in page
