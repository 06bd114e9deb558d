"""Tables: CSV and XLSX files read cell by cell as text, whatever their encoding.

This module owns reading a spreadsheet the way a Chinese bureau saves it: CSV in UTF-8,
UTF-8 with BOM or GBK/GB18030 (UTF-16 is refused with the Excel option to use instead),
XLSX by sheet name or position. Every cell is read as text so that identifiers keep their
leading zeros; the readers of the contract inputs convert column by column afterwards
(:mod:`xuewei.gis.validate`). Each data row keeps its 1-based number — the spreadsheet row
minus the header, blank lines counted — so that problems name the row a user sees, and
fully empty rows (as Excel leaves at the end of an export) are dropped, counted in a
warning that names them.
"""

from __future__ import annotations

import io
import logging
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from xuewei.errors import InputError, Problem

from ._files import TABLE_FORMATS, PathLike, check_path, fail
from .validate import cell_text, strip_cells

__all__ = ["CSV_ENCODINGS", "read_table", "table_with_rows"]

# the readers' logger, named as before the readers were split into modules
logger = logging.getLogger("xuewei.gis.io")

#: Encodings tried, in order, for a CSV file (GB18030 is a superset of GBK).
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


def _decode_csv(data: bytes, source: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise fail(
            source,
            "the file is UTF-16 (Excel's 'Unicode Text'); save it as 'CSV UTF-8 "
            "(comma delimited)' instead.",
        )
    for encoding in CSV_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise fail(
        source,
        f"cannot decode the file: tried {', '.join(CSV_ENCODINGS)} (UTF-8 with or without "
        "BOM, GBK/GB18030); save it from Excel as 'CSV UTF-8 (comma delimited)'.",
    )


def _read_cells(p: Path, sheet: str | int | None) -> pd.DataFrame:
    """Read every cell of a CSV or XLSX file as text, header row included."""
    source = p.name
    if p.suffix.lower() == ".csv":
        text = _decode_csv(p.read_bytes(), source)
        try:
            return pd.read_csv(
                io.StringIO(text),
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
            )
        except pd.errors.EmptyDataError:
            raise fail(source, "the file is empty; expected a header row and data.") from None
        except pd.errors.ParserError as exc:
            raise fail(
                source,
                f"cannot parse the CSV ({str(exc).strip()}); check that every row has as "
                "many fields as the header and that quotes are closed.",
            ) from None
    sheets = _sheet_names(p)
    if (
        sheet is not None
        and sheet not in sheets
        and not (isinstance(sheet, int) and 0 <= sheet < len(sheets))
    ):
        raise fail(source, f"no sheet {sheet!r}; the workbook has sheets {', '.join(sheets)}.")
    return pd.read_excel(
        p,
        sheet_name=0 if sheet is None else sheet,
        header=None,
        dtype=str,
        na_filter=False,
        engine="openpyxl",
    )


def _sheet_names(p: Path) -> list[str]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(p, read_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise fail(p.name, f"cannot open the workbook ({exc}); is it a valid .xlsx?") from None
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def table_with_rows(p: Path, sheet: str | int | None) -> tuple[pd.DataFrame, npt.NDArray[np.int64]]:
    """Return the data cells under the header as text and each row's 1-based data row."""
    source = p.name
    cells = _read_cells(p, sheet)
    if len(cells) == 0:
        raise fail(source, "the file is empty; expected a header row and data.")
    header = [cell_text(v) for v in cells.iloc[0].tolist()]
    body = cells.iloc[1:].reset_index(drop=True)
    rows = np.arange(1, len(body) + 1, dtype=np.int64)
    body = body.apply(lambda col: pd.Series(strip_cells(col), index=col.index, dtype="str"))
    empty_cells = body.isna()
    keep_cols = [
        j for j, name in enumerate(header) if name is not None or not empty_cells.iloc[:, j].all()
    ]
    names = [header[j] or f"column_{j + 1}" for j in keep_cols]
    seen: dict[str, int] = {}
    problems = []
    for j, name in zip(keep_cols, names, strict=True):
        if name in seen:
            problems.append(
                Problem(
                    source,
                    f"column name appears twice (columns {seen[name] + 1} and {j + 1}); "
                    "rename one of them.",
                    column=name,
                )
            )
        else:
            seen[name] = j
    if problems:
        raise InputError(problems)
    body = body.iloc[:, keep_cols]
    body.columns = pd.Index(names)
    if len(body):
        blank = empty_cells.iloc[:, keep_cols].all(axis=1).to_numpy()
        body = body.loc[~blank].reset_index(drop=True)
        if blank.any():  # dropped, so counted: a row is never lost without a word
            skipped = rows[blank].tolist()
            shown = ", ".join(map(str, skipped[:10])) + (" …" if len(skipped) > 10 else "")
            logger.warning("%s: %d empty rows skipped (rows %s)", source, len(skipped), shown)
        rows = rows[~blank]
    return body, rows


def read_table(path: PathLike, *, sheet: str | int | None = None) -> pd.DataFrame:
    r"""Read a CSV or XLSX table with every cell as text.

    Identifiers keep their leading zeros (``"430102"``, ``"0731"``), because nothing is
    converted: readers of the contract inputs convert column by column afterwards, with
    row-precise errors. Cells are stripped; empty cells are missing (``NaN``). Fully empty
    rows are skipped, and counted in a warning (logger ``xuewei.gis.io``) that names them.

    Parameters
    ----------
    path
        A ``.csv`` (UTF-8, UTF-8 with BOM, or GBK/GB18030) or ``.xlsx`` file.
    sheet
        For XLSX: the sheet name or 0-based position; default the first sheet.

    Returns
    -------
    pandas.DataFrame
        One row per non-empty data row, columns named by the header, ``str`` dtype.

    Raises
    ------
    InputError
        When the file is missing, of another type, undecodable, unparsable, or its header
        repeats a column name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "pop.csv"
    >>> _ = f.write_text("district_id,year\n430102,2020\n", encoding="gbk")
    >>> read_table(f)["district_id"].tolist()
    ['430102']
    """
    p = check_path(path, TABLE_FORMATS, what="a table")
    body, _ = table_with_rows(p, sheet)
    return body
