"""The national summary of a batch run: GeoParquet, CSV and an Excel sheet, one row a county.

Written by :func:`~xuewei.pipeline.batch.run_batch` into its output folder:
``summary.parquet`` (GeoParquet, county outlines in EPSG:4326), ``summary.csv`` (UTF-8 with
BOM, no geometry), ``summary.xlsx`` (bilingual headers, a total row) and ``hashes.csv``
(the content hashes each county's re-run check compares). Each file is written atomically;
the same rows give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from openpyxl import Workbook

from xuewei.outputs._report_format import TableRange, format_table, put, save_byte_stable
from xuewei.outputs.atomic import atomic_path
from xuewei.outputs.tables import write_csv, written_as_given

__all__ = ["BATCH_HEADERS", "SUMMED", "write_batch_summary"]

#: Bilingual headers of the summary sheet (Chinese first, as the report's).
BATCH_HEADERS: dict[str, str] = {
    "county_id": "县区代码 County ID",
    "name": "名称 Name",
    "name_en": "英文名 English name",
    "status": "状态 Status",
    "error": "错误 Error",
    "base_year": "基准年 Base year",
    "horizon": "规划年 Horizon",
    "scenario": "情景(千人学位) Scenario, places per 1,000",
    "residents_base": "基准年常住人口 Residents, base year",
    "residents_horizon": "规划年常住人口 Residents, horizon",
    "required": "规划年需求学位(义务教育) Places required at the horizon (compulsory)",
    "offered": "现有学位 Places offered",
    "gap": "净缺口 Net gap (required − offered)",
    "shortfall": "缺口合计(各区) Shortfall, sum of district gaps > 0",
    "schools": "学校数 Schools",
    "schools_over_capacity": "超容学校 Schools over capacity",
    "new_schools": "拟新建学校 New schools proposed",
    "warnings": "警告数 Warnings (see the county's report)",
    "data_note": "数据说明 Data note",
    "inputs_sha256": "输入哈希 Inputs SHA-256",
}
#: Columns summed in the total row.
SUMMED = (
    "residents_base",
    "residents_horizon",
    "required",
    "offered",
    "gap",
    "shortfall",
    "schools",
    "schools_over_capacity",
    "new_schools",
    "warnings",
)
_STATUS = {"ok": "完成 ok", "failed": "失败 failed", "not_run": "未运行 not run"}
_SHEET = "全国汇总 National summary"


def write_batch_summary(
    summary: gpd.GeoDataFrame, out_dir: str | Path, *, hashes: pd.DataFrame | None = None
) -> dict[str, Path]:
    """Write the national summary into ``out_dir``, replacing an earlier run's.

    Parameters
    ----------
    summary
        One row per county (:data:`~xuewei.pipeline.batch.SUMMARY_COLUMNS`), geometry in
        EPSG:4326.
    out_dir
        The batch's output folder.
    hashes
        ``county_id``, ``file``, ``sha256``: written as ``hashes.csv``.

    Returns
    -------
    dict
        ``parquet``, ``csv``, ``xlsx`` (and ``hashes``) → path.

    Examples
    --------
    >>> import tempfile, shapely
    >>> rows = gpd.GeoDataFrame({"county_id": ["1"], "status": ["ok"], "required": [5.0]},
    ...                         geometry=[shapely.box(0, 0, 1, 1)], crs=4326)
    >>> sorted(write_batch_summary(rows, tempfile.mkdtemp()))
    ['csv', 'parquet', 'xlsx']
    """
    out = Path(out_dir)
    paths = {
        "parquet": out / "summary.parquet",
        "csv": out / "summary.csv",
        "xlsx": out / "summary.xlsx",
    }
    with atomic_path(paths["parquet"], overwrite=True) as tmp:
        summary.to_parquet(tmp, index=False)
    table = pd.DataFrame(summary.drop(columns=summary.geometry.name))
    counted = [c for c in _COUNTS if c in table.columns]
    as_given = table.assign(**{c: written_as_given(table[c]) for c in counted})
    write_csv(as_given, paths["csv"], overwrite=True, float_format="%.3f")
    with atomic_path(paths["xlsx"], overwrite=True) as tmp:
        save_byte_stable(_workbook(table), tmp)
    if hashes is not None:
        paths["hashes"] = write_csv(hashes, out / "hashes.csv", overwrite=True)
    return paths


#: Columns written as the plan and the data state them (the plan's places per 1,000, a
#: census or registry count, places), not as "16175.000".
_COUNTS = ("scenario", "residents_base", "offered")


def _workbook(table: pd.DataFrame) -> Workbook:
    """One sheet: a header row, one row per county, and the total of the counties planned."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = _SHEET
    columns = list(table.columns)
    for j, col in enumerate(columns, start=1):
        put(ws, 1, j, BATCH_HEADERS.get(col, col))
    for i, record in enumerate(table.itertuples(index=False), start=2):
        for j, (col, value) in enumerate(zip(columns, record, strict=True), start=1):
            put(ws, i, j, _STATUS.get(value, value) if col == "status" else value)
    total = len(table) + 2
    ok = table["status"] == "ok" if "status" in table else pd.Series(True, index=table.index)
    put(ws, total, 1, f"合计（{int(ok.sum())} 个完成） Total of {int(ok.sum())} counties planned")
    for j, col in enumerate(columns, start=1):
        if col in SUMMED:
            put(ws, total, j, float(pd.to_numeric(table.loc[ok, col]).sum()))
    kinds = [
        "count" if c in SUMMED else "year" if c in ("base_year", "horizon") else "text"
        for c in columns
    ]
    format_table(ws, TableRange(1, total, 1, len(columns)), kinds, filter_last_row=total - 1)
    return book
