"""Same input, same bytes (issue #22 item 3): two runs of a plan write identical files.

The two runs are separate processes with another hash seed (dict and set order) and
another number of BLAS/OpenMP threads. Every output is compared byte for byte — CSV and
HTML, and the GeoPackage and the workbook too: their embedded dates are pinned (GDAL's
``OGR_CURRENT_DATE``; the workbook's properties and zip entries), so they are
byte-identical as well, not only equal in content.
"""

from __future__ import annotations

import sqlite3
import zipfile

from conftest import digests

from xuewei.outputs import OUTPUT_FILES


def test_two_runs_write_the_same_bytes(two_runs) -> None:
    first, second = two_runs
    one, two = digests(first), digests(second)
    assert sorted(one) == sorted(OUTPUT_FILES)
    for name in OUTPUT_FILES:
        print(f"{name}: {one[name]}")
        assert one[name] == two[name], f"{name} differs between two runs of the same plan"


def test_no_run_time_in_the_files(two_runs) -> None:
    """The dates a GeoPackage and a workbook carry are the pinned ones, not today's."""
    first, _ = two_runs
    with sqlite3.connect(first / "plan.gpkg") as db:
        stamps = {row[0] for row in db.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {"2000-01-01T00:00:00Z"}
    with zipfile.ZipFile(first / "report.xlsx") as book:
        assert {info.date_time for info in book.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        core = book.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core
    assert core.count("<dcterms:") == core.count("2000-01-01T00:00:00Z")
