"""The report's cells: display values, number formats, widths, filters, text kept as text.

A table goes into a sheet in three steps. :func:`display_frame` turns a result table into
what a reader sees — codes into words, flags into yes/no, counts of places and residents
into whole numbers, geometry into longitude and latitude — keeping the column names, from
which :func:`column_kind` decides each column's number format. :func:`write_table` then
writes the bilingual header and the cells (text that looks like a formula stays text),
and :func:`format_table` freezes the header row, sets the autofilter, the number formats
and the column widths (long text wraps at about 60 characters). :func:`pin_zip_dates`
makes the saved file byte-stable.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from xuewei.outputs._report_words import YES_NO, header_for, in_language, words_for

if TYPE_CHECKING:
    from xuewei.maps.plan_map import Lang

__all__ = [
    "FIXED_DATE",
    "NUMBER_FORMATS",
    "TableRange",
    "column_kind",
    "display_frame",
    "display_width",
    "format_table",
    "pin_zip_dates",
    "put",
    "save_byte_stable",
    "write_table",
]

FIXED_DATE = dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_DATE = (2000, 1, 1, 0, 0, 0)
_W3CDTF = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")

HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
WRAP_AT = 60  # characters of a long text column before it wraps

#: Number format of each kind of column.
NUMBER_FORMATS: dict[str, str] = {
    "count": "#,##0",
    "share": "0.0%",
    "per1000": "0.0",
    "decimal": "0.0",
    "year": "0",
    "coord": "0.000000",
    "scenario": "General",
}
# decimals a stored value keeps (the format shows fewer): no 300.0000000173 in a cell
_DECIMALS = {"count": 0, "share": 4, "per1000": 1, "decimal": 1, "coord": 6, "year": 0}

_KINDS: dict[str, str] = {
    **dict.fromkeys(
        (
            "residents", "required", "required_lower", "required_upper", "offered", "gap",
            "gap_lower", "gap_upper", "capacity", "enrolment", "places", "places_primary",
            "places_junior", "spare_places", "dwellings", "households", "unserved",
            "unserved_residents", "assigned", "demand", "per_thousand_demand",
            "cohort_demand", "cohort_lower", "cohort_upper", "difference", "pupils_moved",
            "served", "schools_full", "out_of_reach", "places_added", "places_closed",
            "cumulative_places", "remaining_gap", "sized_gap", "sized_closed", "value", "lower",
            "upper",
            "classes", "new_schools", "expansions", "closures", "distance_m", "lead_time",
            "required_low", "required_central", "required_high", "gap_low", "gap_central",
            "gap_high", "teachers_above_qualification", "backbone_teachers",
            "pe_arts_teachers", "teaching_rooms_m2", "sports_ground_m2",
            "equipment_value_yuan", "multimedia_classrooms",
        ),
        "count",
    ),
    **dict.fromkeys(
        (
            "utilisation", "assigned_utilisation", "unserved_share", "served_share",
            "schools_full_share", "out_of_reach_share", "chance_of_shortfall",
            "chance_of_shortfall_cohort",
        ),
        "share",
    ),
    **dict.fromkeys(("gap_per_1000", "implied_per_1000"), "per1000"),
    "avg_class_size": "decimal",
    **dict.fromkeys(
        ("year", "opened", "closing", "completion_year", "needed_year", "sized_year"), "year"
    ),
    "lon": "coord",
    "lat": "coord",
    "scenario": "scenario",
}  # fmt: skip
_COUNT_NAMES = re.compile(
    r"(residents_\d{4}|required_[\d.]+|gap_[\d.]+|\w+_unserved_residents|\w+_distance_m)"
)


def column_kind(column: str) -> str:
    """Return the kind of a column: a key of :data:`NUMBER_FORMATS`, or ``"text"``.

    Examples
    --------
    >>> column_kind("gap_85"), column_kind("utilisation"), column_kind("name")
    ('count', 'share', 'text')
    """
    if column in _KINDS:
        return _KINDS[column]
    return "count" if _COUNT_NAMES.fullmatch(column) else "text"


def display_frame(frame: pd.DataFrame, lang: Lang = "both") -> pd.DataFrame:
    """Return a table as a reader sees it, under the same column names.

    Geometry becomes ``lon`` and ``lat`` (WGS84); codes become words (in ``lang``: both
    languages, or Chinese or English alone); flags ``是 yes`` or ``否 no``; numbers keep
    the decimals their kind shows (counts of places and residents whole). The input is
    not changed.
    """
    yes_no = tuple(in_language(w, lang) for w in YES_NO)
    out = pd.DataFrame(frame).copy()
    if "geometry" in out:
        geom = gpd.GeoSeries(out["geometry"], crs=getattr(frame, "crs", None))
        if geom.crs is not None and len(geom):
            pts = geom.to_crs(4326).representative_point()
            out["lon"] = pts.x.to_numpy()
            out["lat"] = pts.y.to_numpy()
        out = out.drop(columns="geometry")
    for col in out.columns:
        words = words_for(col)
        series = out[col]
        if words is not None:
            shown = {code: in_language(text, lang) for code, text in words.items()}
            out[col] = series.map(lambda v, w=shown: w.get(v, v) if isinstance(v, str) else v)
        elif _is_flag(series):
            out[col] = series.map(lambda v: None if pd.isna(v) else yes_no[0 if v else 1])
        elif column_kind(col) in _DECIMALS and _is_number(series):
            values = pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
            out[col] = np.round(values, _DECIMALS[column_kind(col)]) + 0.0  # no -0
    return out


def _is_number(series: pd.Series) -> bool:
    if series.dtype == object:
        present = series.dropna()
        return all(isinstance(v, int | float | np.number) for v in present)
    return pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )


def _is_flag(series: pd.Series) -> bool:
    if isinstance(series.dtype, pd.BooleanDtype) or series.dtype == bool:
        return True
    if series.dtype != object:
        return False
    present = series.dropna()
    return len(present) > 0 and all(isinstance(v, bool | np.bool_) for v in present)


def _cell_value(value: Any) -> Any:
    """Return a value openpyxl writes as it should be read: no NaN, no numpy scalars."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return int(value) if value.is_integer() and abs(value) < 2**53 else value
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def put(ws: Worksheet, row: int, col: int, value: Any) -> Cell:
    """Write one value into a cell; text stays text even when it looks like a formula.

    openpyxl stores a string that starts with ``=`` as a formula: a school named
    ``=1+1`` would show 2. Such text (and text starting with ``+``, ``-``, ``@``, a tab or
    a carriage return — OWASP's CSV-injection list — which Excel re-reads as a formula when
    the cell is edited) is stored as a string with Excel's quote prefix, as if typed with
    a leading apostrophe.
    """
    value = _cell_value(value)
    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


@dataclass(frozen=True)
class TableRange:
    """Where a table was written: header row, last row, first and last column."""

    header_row: int
    last_row: int
    first_col: int
    last_col: int

    @property
    def ref(self) -> str:
        """The A1-style range of the table, header included."""
        first = get_column_letter(self.first_col)
        return f"{first}{self.header_row}:{get_column_letter(self.last_col)}{self.last_row}"


def write_table(
    ws: Worksheet, frame: pd.DataFrame, *, row: int = 1, col: int = 1, lang: Lang = "both"
) -> TableRange:
    """Write a display table (:func:`display_frame`) with its header row (in ``lang``).

    Returns
    -------
    TableRange
        Where the table is; pass it to :func:`format_table`.
    """
    columns = list(frame.columns)
    for j, name in enumerate(columns):
        put(ws, row, col + j, in_language(header_for(str(name)), lang))
    for i, record in enumerate(frame.itertuples(index=False, name=None), start=1):
        for j, value in enumerate(record):
            put(ws, row + i, col + j, value)
    return TableRange(row, row + len(frame), col, col + max(len(columns), 1) - 1)


def display_width(text: str) -> int:
    """Return the width of text in Excel's character units (CJK characters count two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and kind in ("count", "per1000", "decimal", "share"):
        digits = {"count": 0, "per1000": 1, "decimal": 1, "share": 1}[kind]
        return f"{value * (100 if kind == 'share' else 1):,.{digits}f}" + "%" * (kind == "share")
    return str(value)


def format_table(
    ws: Worksheet,
    table: TableRange,
    kinds: Iterable[str],
    *,
    freeze: bool = True,
    autofilter: bool = True,
    filter_last_row: int | None = None,
    widths: bool = True,
) -> None:
    """Style a table: bold wrapped header, number formats, widths, frozen header, filter.

    Parameters
    ----------
    ws, table
        The sheet and the table's range (:func:`write_table`).
    kinds
        The kind of each column (:func:`column_kind`), in order.
    freeze
        Freeze the rows down to the header row.
    autofilter
        Set the sheet's autofilter on the table (down to ``filter_last_row``, default the
        table's last row; a total row below it stays put when the rows are sorted).
    widths
        Fit the columns to the table (else the sheet's widths stay, for a sheet of
        several blocks).
    """
    header_lines = 1
    for j, kind in enumerate(kinds):
        col = table.first_col + j
        letter = get_column_letter(col)
        header = ws.cell(table.header_row, col)
        header.font = Font(bold=True)
        header.fill = HEADER_FILL
        header.alignment = Alignment(wrap_text=True, vertical="top")
        cells = [ws.cell(r, col) for r in range(table.header_row + 1, table.last_row + 1)]
        content = max((display_width(_shown(c.value, kind)) for c in cells), default=0)
        title = str(header.value or "")
        longest_word = max((display_width(w) for w in title.split()), default=0)
        width = min(max(content, longest_word, display_width(title) // 3, 6) + 2, WRAP_AT)
        if kind in NUMBER_FORMATS:
            for c in cells:
                if isinstance(c.value, int | float) and not isinstance(c.value, bool):
                    c.number_format = NUMBER_FORMATS[kind]
        elif content > WRAP_AT:
            for c in cells:
                c.alignment = Alignment(wrap_text=True, vertical="top")
        if widths:
            ws.column_dimensions[letter].width = width
        else:
            width = ws.column_dimensions[letter].width or width
        header_lines = max(header_lines, math.ceil(display_width(title) / (width - 1)))
    ws.row_dimensions[table.header_row].height = 15.0 * min(header_lines, 4)
    if freeze:
        ws.freeze_panes = ws.cell(table.header_row + 1, table.first_col)
        ws.print_title_rows = f"{table.header_row}:{table.header_row}"
    if autofilter:
        last = table.last_row if filter_last_row is None else filter_last_row
        ws.auto_filter.ref = TableRange(table.header_row, last, table.first_col, table.last_col).ref


def save_byte_stable(wb: Workbook, path: Path) -> None:
    """Save ``wb`` to ``path`` so that the same workbook gives the same bytes.

    The workbook's dates and creator are fixed and the zip's entry dates pinned
    (:func:`pin_zip_dates`); ``path`` is a temporary path of an atomic write.
    """
    wb.properties.created = FIXED_DATE
    wb.properties.modified = FIXED_DATE
    wb.properties.creator = "xuewei"
    wb.save(path)
    pin_zip_dates(path)


def pin_zip_dates(path: Path) -> None:
    """Rewrite the xlsx zip with fixed dates so that identical runs give identical files.

    openpyxl stamps the save time into the zip entries and into ``docProps/core.xml``
    (``dcterms:modified``, whatever the workbook's properties say).
    """
    tmp = path.with_name(f"{path.stem}.pin{path.suffix}")  # a leftover as atomic_path names it
    stamp = FIXED_DATE.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            content = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                content = _W3CDTF.sub(rb"\g<1>" + stamp + rb"\g<2>", content)
            dst.writestr(info, content)
    os.replace(tmp, path)
