"""Reader of the population input: residents per district and year, with cohorts.

The population table (one row per district and year, city totals allowed) is what the
forecasts start from: residents, births, the school-age cohorts, households, and whether a
figure is a census count or an estimate.
"""

from __future__ import annotations

import pandas as pd

from ._files import TABLE_FORMATS, PathLike, check_path
from .tables import table_with_rows
from .validate import Field, ProblemLog, check_unique, convert_fields, no_rows_message

__all__ = ["POPULATION_FIELDS", "read_population"]

POPULATION_FIELDS: tuple[Field, ...] = (
    Field("district_id", "id", required=True),
    Field("year", "year", required=True),
    Field("population", "people", required=True),
    Field("births", "people"),
    Field("age_0_2", "people"),
    Field("age_3_5", "people"),
    Field("age_6_11", "people"),
    Field("age_12_14", "people"),
    Field("age_0_14", "people"),
    Field("households", "count"),
    Field("basis", "basis", default="estimate"),
    Field("name", "text"),
    Field("source", "text"),
)


def read_population(path: PathLike, *, sheet: str | int | None = None) -> pd.DataFrame:
    r"""Read population per district and year (one row per district and year).

    Rows for a parent id (a city total) are accepted: which ids are districts is known only
    with the district layer.

    Parameters
    ----------
    path
        CSV or XLSX with ``district_id``, ``year``, ``population`` and optionally
        ``births``, ``age_0_2``, ``age_3_5``, ``age_6_11``, ``age_12_14``, ``households``,
        ``basis`` (``census``/``estimate``; also 普查, 统计, 年末; default ``estimate``),
        ``name``, ``source``.
    sheet
        For XLSX: the sheet name or 0-based position; default the first sheet.

    Returns
    -------
    pandas.DataFrame
        Residents and cohorts as ``float64`` (estimates may be fractional), ``year`` as
        ``int64``, ``households`` as ``Int64``, ``district_id`` as ``str``.

    Raises
    ------
    InputError
        Listing every problem: no data row, missing columns or values, non-numeric,
        negative or absurdly large numbers, non-integer years, a repeated (district_id, year).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "population.csv"
    >>> _ = f.write_text("district_id,year,population,basis\n430102,2020,"
    ...                  "560000,普查\n", encoding="utf-8-sig")
    >>> read_population(f)[["district_id", "year", "population", "basis"]].values.tolist()
    [['430102', 2020, 560000.0, 'census']]
    """
    p = check_path(path, TABLE_FORMATS, what="population")
    raw, rows = table_with_rows(p, sheet)
    log = ProblemLog(p.name)
    if len(rows) == 0:
        log.add(no_rows_message("row of population", vector=False), kind="no rows")
    table = convert_fields(raw, POPULATION_FIELDS, rows, log, noun="row")
    check_unique(table, ["district_id", "year"], rows, log, noun="district and year")
    log.raise_if_any()
    table.index = pd.RangeIndex(len(table))
    return table
