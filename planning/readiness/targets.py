"""County target years for high-quality balance (优质均衡): reading and checking them.

A target table gives each county (district) the year by which its compulsory education is
to reach county-level high-quality balance: ``district_id`` (or ``name``, matched to the
districts' names) and ``target_year``; optional ``source`` and ``synthetic``. Every row is
checked; a problem names the file, row, column and value. :func:`qujing_targets` is the
timetable of seed 001 (曲政办发〔2022〕109号 §二(一)), shipped as an example.
"""

from __future__ import annotations

from importlib.resources import files
from io import StringIO
from pathlib import Path

import numpy as np
import pandas as pd

from xuewei.errors import InputError, Problem
from xuewei.gis import read_table

__all__ = [
    "SYNTHETIC_MARK",
    "TARGET_COLUMNS",
    "check_targets",
    "qujing_targets",
    "read_targets",
]

#: Columns of a checked target table.
TARGET_COLUMNS = ["district_id", "target_year", "target_source"]
#: What a synthetic target's source starts with.
SYNTHETIC_MARK = "synthetic (合成): "

_YEARS = (1990, 2100)


def qujing_targets() -> pd.DataFrame:
    """Qujing's nine counties and the year each is to reach high-quality balance.

    From 《曲靖市义务教育优质均衡发展实施方案》(曲政办发〔2022〕109号) §二(一), seed 001;
    ``district_id`` are the counties' administrative codes (see ``data/qujing/SOURCES.md``).

    Returns
    -------
    pandas.DataFrame
        ``district_id, name, name_en, target_year, source``.

    Examples
    --------
    >>> t = qujing_targets()
    >>> len(t), int(t["target_year"].min()), int(t["target_year"].max())
    (9, 2022, 2030)
    >>> int((t["target_year"] <= 2025).sum())  # 30 % of nine counties by 2025
    3
    """
    text = files("xuewei.data").joinpath("qujing/targets.csv").read_text(encoding="utf-8")
    return pd.read_csv(StringIO(text), dtype={"district_id": str})


def read_targets(path: str | Path, districts: pd.DataFrame) -> pd.DataFrame:
    """Read a target-year table (CSV/XLSX) and check it against the plan's districts.

    Parameters
    ----------
    path
        The file: ``district_id`` or ``name``, and ``target_year``.
    districts
        The plan's districts (``district_id``, ``name``).

    Returns
    -------
    pandas.DataFrame
        As :func:`check_targets`.
    """
    p = Path(path)
    return check_targets(read_table(p), districts, source=p.name)


def check_targets(
    targets: pd.DataFrame, districts: pd.DataFrame, *, source: str = "targets"
) -> pd.DataFrame:
    """Check a target-year table and key it by ``district_id``.

    Parameters
    ----------
    targets
        ``district_id`` (or ``name``) and ``target_year``; optional ``source`` and
        ``synthetic`` (true: the years are made up, and the table says so).
    districts
        The plan's districts (``district_id``, ``name``).
    source
        Name of the input, for error messages.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARGET_COLUMNS`, one row per district with a target; ``target_source``
        is the row's ``source`` (``"synthetic"`` added where ``synthetic`` is true).

    Raises
    ------
    InputError
        Naming every row with an unknown district, a duplicate, or a year that is not a
        whole number in 1990–2100.

    Examples
    --------
    >>> d = pd.DataFrame({"district_id": ["a", "b"], "name": ["甲区", "乙县"]})
    >>> t = pd.DataFrame({"name": ["乙县"], "target_year": [2028]})
    >>> check_targets(t, d).to_dict("records")
    [{'district_id': 'b', 'target_year': 2028, 'target_source': 'targets'}]
    """
    problems: list[Problem] = []
    ids = districts["district_id"].astype(str)
    if "district_id" in targets:
        key = targets["district_id"].astype(str).str.strip()
        column = "district_id"
    elif "name" in targets:
        by_name = dict(zip(districts["name"].astype(str), ids, strict=False))
        names = targets["name"].astype(str).str.strip()
        key = names.map(by_name).fillna(names)
        column = "name"
    else:
        raise InputError([Problem(source, "needs a `district_id` or a `name` column")])
    if "target_year" not in targets:
        raise InputError([Problem(source, "needs a `target_year` column", column="target_year")])
    year = pd.to_numeric(targets["target_year"], errors="coerce").to_numpy(np.float64)
    known = set(ids)
    for i, (k, y) in enumerate(zip(key, year, strict=True), start=1):
        if k not in known:
            value = targets[column].iloc[i - 1]
            problems.append(
                Problem(source, f"got {value!r}: not a district of the plan", row=i, column=column)
            )
        if not (np.isfinite(y) and y == int(y) and _YEARS[0] <= y <= _YEARS[1]):
            problems.append(
                Problem(
                    source,
                    f"got {targets['target_year'].iloc[i - 1]!r}; expected a whole year in "
                    f"{_YEARS[0]}–{_YEARS[1]}",
                    row=i,
                    column="target_year",
                )
            )
    for j in np.flatnonzero(key.duplicated().to_numpy()):
        problems.append(
            Problem(
                source,
                f"district {key.iloc[j]} has a second target: duplicate district",
                row=int(j) + 1,
                column=column,
            )
        )
    if problems:
        raise InputError(problems)
    cited = (
        targets["source"].fillna(source).astype(str)
        if "source" in targets
        else pd.Series(source, index=targets.index)
    )
    if "synthetic" in targets:
        fake = targets["synthetic"].astype(str).str.lower().isin(["true", "1", "yes"])
        cited = cited.where(~fake, SYNTHETIC_MARK + cited)
    return pd.DataFrame(
        {
            "district_id": key.to_numpy(),
            "target_year": year.astype(np.int64),
            "target_source": cited.to_numpy(),
        }
    )
