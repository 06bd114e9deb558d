"""Column and value checks of the input data contract.

This module owns the rules that turn raw cells (strings from CSV/XLSX, typed values from
vector files) into the typed columns the pipeline expects, and the bookkeeping that lets
every violation be reported at once with its file, row and column. The readers in
:mod:`xuewei.gis.io` describe each input with a tuple of :class:`Field` and call
:func:`convert_fields`; nothing here touches files or geometry.

Column kinds and the dtypes they produce:

=========  ==========================================================  ===================
kind       accepts                                                     dtype
=========  ==========================================================  ===================
``id``     any text; numbers from vector files written without ".0"   ``str``
``text``   any text                                                    ``str``
``year``   whole numbers 1900–2100                                     ``int64``/``Int64``
``count``  whole numbers 0–2e9 (capacity, classes, dwellings, …)       ``int64``/``Int64``
``people`` numbers 0–2e9, fractions allowed (estimates of residents)   ``float64``
``number`` numbers 0–2e9 (areas, speeds)                               ``float64``
``bool``   true/false, 1/0, yes/no, 是/否, 公办/民办                    ``boolean``
``level``  primary/junior/nine_year/kindergarten, 小学/初中/…           ``str``
``basis``  census/estimate, 普查/统计/年末                               ``str``
=========  ==========================================================  ===================

Required integer columns are ``int64``; optional ones are the nullable ``Int64`` so that a
missing value stays missing. Text cells are stripped; empty cells and the usual NA spellings
(``NA``, ``N/A``, ``NaN``, ``null``, ``None``, ``#N/A``) count as missing. Numbers may carry
thousands separators (``1,200``) and full-width digits (``１２００``).
"""

from __future__ import annotations

import datetime as _dt
import difflib
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from xuewei.errors import InputError, Problem
from xuewei.vocabulary import LEVEL_NAMES, LEVELS

from ._words import ALIASES, BASIS_WORDS, BOOL_WORDS, LEVEL_REFUSED, LEVEL_WORDS

__all__ = [
    "BASES",
    "MAX_VALUE",
    "MISSING_TOKENS",
    "Field",
    "FieldKind",
    "ProblemLog",
    "cell_text",
    "check_required_columns",
    "check_unique",
    "convert_fields",
    "find_column",
    "no_rows_message",
    "normalise_level",
    "number_hint",
    "parse_bool",
    "parse_number",
    "strip_cells",
]

FieldKind = Literal["id", "text", "year", "count", "people", "number", "bool", "level", "basis"]

#: The largest number a count, people or number column takes: more than China's residents
#: (1.41 billion) and its area in km² — anything larger is a unit or a typo (1e15), and would
#: swamp every sum and solver it enters.
MAX_VALUE = 2e9

MISSING_TOKENS: frozenset[str] = frozenset({"", "na", "n/a", "nan", "null", "none", "#n/a"})

#: The bases of a population figure: a census count or an (annual) estimate.
BASES: tuple[str, ...] = ("census", "estimate")

_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


@dataclass(frozen=True)
class Field:
    """One column of the data contract.

    Parameters
    ----------
    name
        The column name, English snake_case.
    kind
        How cells are parsed and checked (see the module docstring).
    required
        Whether the column must be present and every row must have a value.
    default
        Value used for missing cells of an optional column (and for the whole column when
        it is absent); ``None`` leaves them missing.
    when_given
        An optional column checked and converted only when the file has it, never added
        when it has not (its absence means something: e.g. a school attribute the balance
        criteria report as not given).
    """

    name: str
    kind: FieldKind
    required: bool = False
    default: Any = None
    when_given: bool = False


class ProblemLog:
    """Collects :class:`~xuewei.errors.Problem` objects for one input file.

    At most ``limit`` problems of the same kind in the same column are kept; the rest are
    summarised in one line, so a file with 10,000 bad rows gives a readable error.

    Parameters
    ----------
    source
        The name of the input, usually the file's basename.
    limit
        Problems of one kind per column kept in full.
    """

    def __init__(self, source: str, *, limit: int = 20) -> None:
        self.source = source
        self.limit = limit
        self._problems: list[Problem] = []
        self._counts: dict[tuple[str | None, str], int] = {}

    def add(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        kind: str = "",
    ) -> None:
        """Record a problem; ``kind`` groups problems for the per-column limit."""
        key = (column, kind or message)
        n = self._counts.get(key, 0) + 1
        self._counts[key] = n
        if n <= self.limit:
            self._problems.append(Problem(self.source, message, row=row, column=column))

    def problems(self) -> list[Problem]:
        """Return the problems kept, file-level ones first, then by row; then summaries."""
        out = sorted(self._problems, key=lambda p: (p.row is not None, p.row or 0))
        for (column, _kind), n in self._counts.items():
            if n > self.limit:
                out.append(
                    Problem(
                        self.source,
                        f"… and {n - self.limit} more rows with the same kind of problem "
                        "(not listed)",
                        column=column,
                        hidden=n - self.limit,
                    )
                )
        return out

    def __len__(self) -> int:
        return sum(self._counts.values())

    def raise_if_any(self) -> None:
        """Raise one :class:`~xuewei.errors.InputError` carrying every problem, if any."""
        if self._counts:
            raise InputError(self.problems())


# ----------------------------------------------------------------------------- cells


def cell_text(value: Any) -> str | None:
    """Return a cell as stripped text, or ``None`` when it is missing.

    Floats holding whole numbers (as vector files and spreadsheets store ids) are written
    without a trailing ``.0``, so ``430102.0`` becomes ``"430102"``.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float | np.floating):
        x = float(value)
        if math.isnan(x):
            return None
        if x.is_integer() and abs(x) < 1e15:
            return str(int(x))
        return repr(x)
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, _dt.datetime | _dt.date | pd.Timestamp):
        return value.isoformat()
    text = str(value).strip()
    if text.lower() in MISSING_TOKENS:
        return None
    return text


def _texts(series: pd.Series) -> list[str | None]:
    if isinstance(series.dtype, pd.StringDtype):  # fast path for text cells
        return [None if v is None or v is pd.NA or v != v else v for v in strip_cells(series)]
    return [cell_text(v) for v in series.tolist()]


def strip_cells(series: pd.Series) -> list[Any]:
    """Return text cells stripped, with empty cells and NA spellings as missing."""
    text = series.astype("str").str.strip()
    return text.mask(text.str.lower().isin(MISSING_TOKENS)).tolist()


def _key(text: str) -> str:
    """Normalise a word for lookup: NFKC, lower case, one space between words."""
    text = unicodedata.normalize("NFKC", text).strip().lower()
    text = re.sub(r"[\s_\-]+", " ", text)
    if re.search(r"[\u4e00-\u9fff]", text):
        text = text.replace(" ", "")
    return text


def parse_number(text: str) -> float | None:
    """Parse a number; ``None`` when the text is not one."""
    t = unicodedata.normalize("NFKC", text).strip()
    if _THOUSANDS.match(t):
        t = t.replace(",", "")
    try:
        x = float(t)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def normalise_level(value: Any) -> str | None:
    """Return the school level for a cell, or ``None`` when it is not recognised.

    Accepts the English names (any case, ``_``/``-``/space interchangeable) and the Chinese
    小学 (also 完全小学, 中心小学 and any name ending in 小学), 初中/初级中学, 九年一贯制/
    九年制 and 幼儿园 (also any name ending in 幼儿园). A bare 中学 is *not* accepted: it may
    be a junior, senior or complete secondary school, and guessing would put senior places
    into the junior supply.

    Examples
    --------
    >>> normalise_level(" 完全小学 "), normalise_level("Nine-Year"), normalise_level("中学")
    ('primary', 'nine_year', None)
    """
    text = cell_text(value)
    if text is None:
        return None
    key = _key(text)
    if key in LEVEL_WORDS:
        return LEVEL_WORDS[key]
    if key in LEVEL_REFUSED:
        return None
    if key.endswith("小学"):
        return "primary"
    if key.endswith("幼儿园"):
        return "kindergarten"
    if key.endswith("初级中学"):
        return "junior"
    return None


def parse_bool(value: Any) -> bool | None:
    """Return a yes/no cell as a bool, or ``None`` when it is not recognised.

    Examples
    --------
    >>> parse_bool("公办"), parse_bool("否"), parse_bool("TRUE"), parse_bool("maybe")
    (True, False, True, None)
    """
    text = cell_text(value)
    if text is None:
        return None
    return BOOL_WORDS.get(_key(text))


# ----------------------------------------------------------------------------- columns


def find_column(name: str, columns: Sequence[str]) -> str | None:
    """Suggest a column of ``columns`` that is probably meant to be ``name``.

    Matches ignoring case, spaces, ``_`` and ``-``; then known Chinese and English
    synonyms; then close spellings. Used only for the "did you mean" of an error.

    Examples
    --------
    >>> find_column("school_id", ["School ID", "名称"]), find_column("level", ["学段"])
    ('School ID', '学段')
    """

    def squash(s: str) -> str:
        return re.sub(r"[\s_\-]+", "", unicodedata.normalize("NFKC", s).lower())

    target = squash(name)
    for col in columns:
        if squash(col) == target:
            return col
    aliases = {squash(a) for a in ALIASES.get(name, ())}
    for col in columns:
        if squash(col) in aliases:
            return col
    close = difflib.get_close_matches(target, [squash(c) for c in columns], n=1, cutoff=0.8)
    if close:
        for col in columns:
            if squash(col) == close[0]:
                return col
    return None


def _list_columns(columns: Sequence[str]) -> str:
    shown = [f"`{c}`" for c in columns[:30]]
    if len(columns) > 30:
        shown.append(f"… ({len(columns) - 30} more)")
    return ", ".join(shown) if shown else "none"


def no_rows_message(noun: str, *, vector: bool) -> str:
    """Say that an input holds no data row (a table) or no feature (a vector layer).

    Examples
    --------
    >>> no_rows_message("school", vector=False)
    'no data rows: the file has a header but no school; give at least one.'
    """
    what = (
        "no features: the layer holds no"
        if vector
        else "no data rows: the file has a header but no"
    )
    return f"{what} {noun}; give at least one."


def check_required_columns(
    columns: Sequence[str], required: Iterable[str], log: ProblemLog, *, noun: str
) -> list[str]:
    """Record a problem for each required column missing; return the missing names."""
    missing = []
    for name in required:
        if name in columns:
            continue
        missing.append(name)
        hint = find_column(name, columns)
        msg = f"required column `{name}` is missing (found: {_list_columns(columns)})"
        if hint is not None:
            msg += f"; did you mean `{hint}`? Rename it to `{name}`."
        else:
            msg += f"; add a `{name}` column with one value per {noun}."
        log.add(msg, column=name, kind="missing column")
    return missing


def convert_fields(
    frame: pd.DataFrame,
    fields: Sequence[Field],
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    *,
    noun: str,
) -> pd.DataFrame:
    """Check and convert the contract columns of ``frame``; keep other columns as they are.

    Parameters
    ----------
    frame
        Raw cells, one row per input row.
    fields
        The contract of this input.
    rows
        The row (or feature) number to report for each row of ``frame``.
    log
        Where problems are recorded; this function does not raise.
    noun
        What a row is, for messages ("school", "estate").

    Returns
    -------
    pandas.DataFrame
        Contract columns first (optional ones added with their default when absent), then
        the other columns of ``frame``. Cells that failed a check are left missing.
    """
    columns = [str(c) for c in frame.columns]
    check_required_columns(columns, [f.name for f in fields if f.required], log, noun=noun)
    out: dict[str, pd.Series] = {}
    for field in fields:
        if field.name in frame.columns:
            out[field.name] = _convert(frame[field.name], field, rows, log, noun=noun)
        elif not field.required and not field.when_given:
            out[field.name] = _empty(field, frame.index)
    known = {f.name for f in fields}
    result = pd.DataFrame(out, index=frame.index)
    extras = [c for c in frame.columns if c not in known]
    if extras:
        result = pd.concat([result, frame[extras]], axis=1)
    return result


def _dtype(field: Field) -> str:
    if field.kind in ("year", "count"):
        return "int64" if field.required else "Int64"
    if field.kind in ("people", "number"):
        return "float64"
    if field.kind == "bool":
        return "boolean"
    return "str"


def _empty(field: Field, index: pd.Index) -> pd.Series:
    value = field.default
    if value is None:
        value = pd.NA if _dtype(field) in ("Int64", "boolean") else np.nan
    return pd.Series([value] * len(index), index=index, dtype=_dtype(field))


def _convert(
    series: pd.Series,
    field: Field,
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    *,
    noun: str,
) -> pd.Series:
    name = field.name
    texts = _texts(series)
    values: list[Any] = []
    for text, row in zip(texts, rows.tolist(), strict=True):
        if text is None:
            if field.required:
                log.add(
                    f"value is missing; every {noun} needs a `{name}`.",
                    row=row,
                    column=name,
                    kind="missing value",
                )
            values.append(field.default)
            continue
        values.append(_parse(text, field, row, log))
    if field.kind in ("year", "count") and field.required:
        # a failed cell leaves a gap; the caller raises before anyone sees it
        return pd.Series(values, index=series.index, dtype="Int64").fillna(0).astype("int64")
    return pd.Series(
        [pd.NA if v is None and _dtype(field) in ("Int64", "boolean") else v for v in values],
        index=series.index,
        dtype=_dtype(field),
    )


def _parse(text: str, field: Field, row: int, log: ProblemLog) -> Any:
    name = field.name
    kind = field.kind
    if kind in ("id", "text"):
        return text
    if kind == "level":
        level = normalise_level(text)
        if level is None:
            accepted = ", ".join(f"{k} ({LEVEL_NAMES[k][0]})" for k in LEVELS)
            reason = LEVEL_REFUSED.get(_key(text))
            msg = f"got {text!r}; level must be one of {accepted}."
            if reason:
                msg += f" Here: {reason}."
            log.add(msg, row=row, column=name, kind="level")
        return level
    if kind == "basis":
        basis = BASIS_WORDS.get(_key(text))
        if basis is None:
            log.add(
                f"got {text!r}; basis must be census (普查) or estimate (统计/年末).",
                row=row,
                column=name,
                kind="basis",
            )
        return basis
    if kind == "bool":
        flag = parse_bool(text)
        if flag is None:
            log.add(
                f"got {text!r}; {name} must be yes or no (true/false, 1/0, 是/否, 公办/民办).",
                row=row,
                column=name,
                kind="bool",
            )
        return flag
    x = parse_number(text)
    if x is None:
        whole = " whole" if kind in ("year", "count") else ""
        log.add(
            f"got {text!r}; {name} must be a{whole} number. {number_hint(text)}",
            row=row,
            column=name,
            kind="not a number",
        )
        return None
    if kind == "year":
        if not x.is_integer() or not 1900 <= x <= 2100:
            log.add(
                f"got {text!r}; {name} must be a whole four-digit year such as 2020.",
                row=row,
                column=name,
                kind="year",
            )
            return None
        return int(x)
    if x < 0:
        log.add(f"got {text}; {name} must be ≥ 0.", row=row, column=name, kind="negative")
        return None
    if x > MAX_VALUE:
        log.add(
            f"got {text}; {name} must be at most {MAX_VALUE:,.0f} (more people, places or "
            "square metres than all of China has). A unit or a typo?",
            row=row,
            column=name,
            kind="too large",
        )
        return None
    if kind == "count":
        if not x.is_integer():
            log.add(
                f"got {text}; {name} must be a whole number.",
                row=row,
                column=name,
                kind="fraction",
            )
            return None
        return int(x)
    return x


def check_unique(
    frame: pd.DataFrame,
    columns: Sequence[str],
    rows: npt.NDArray[np.int64],
    log: ProblemLog,
    *,
    noun: str,
) -> None:
    """Record a problem for every row repeating the key of an earlier row.

    Rows where part of the key is missing are skipped (they are reported as missing).
    """
    if any(c not in frame.columns for c in columns):
        return
    key = frame[list(columns)]
    complete = key.notna().all(axis=1).to_numpy()
    first: dict[tuple[Any, ...], int] = {}
    label = "/".join(columns)
    for values, row, ok in zip(
        key.itertuples(index=False, name=None), rows.tolist(), complete, strict=True
    ):
        if not ok:
            continue
        values = tuple(v.item() if isinstance(v, np.generic) else v for v in values)
        if values in first:
            shown = repr(values[0]) if len(values) == 1 else repr(tuple(values))
            log.add(
                f"duplicate {label} {shown} (first in row {first[values]}); "
                f"each {noun} needs its own {label}.",
                row=row,
                column=columns[0] if len(columns) == 1 else label,
                kind="duplicate",
            )
        else:
            first[values] = row


def number_hint(text: str) -> str:
    """Say how to write ``text`` as a plain number (units and notes removed, 万 worked out).

    Examples
    --------
    >>> number_hint("12万")
    'Remove units and notes: 12万 is 120000, write 120000.'
    >>> number_hint("1,200人")
    "Remove units and notes: write 1200, not '1,200人'."
    >>> number_hint("n/a")
    "Remove units and notes (write 1200, not '1200人')."
    """
    found = re.search(r"[-+]?\d+(?:\.\d+)?", text.replace(",", "").replace("，", ""))
    if found is None:
        return "Remove units and notes (write 1200, not '1200人')."
    if "万" in text:
        value = float(found.group()) * 10_000
        shown = f"{value:.0f}" if value.is_integer() else f"{value:g}"
        return f"Remove units and notes: {text.strip()} is {shown}, write {shown}."
    return f"Remove units and notes: write {found.group()}, not {text!r}."
