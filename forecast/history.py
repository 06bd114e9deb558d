"""Population histories: census re-basing and annual series from irregular observations.

Published population series are irregular and inconsistent: census years (every ten years)
sit among annual year-end estimates, and the estimates drift between censuses, so that a new
census makes the series jump (Changsha's estimate for 2019 was 8.39 million; the 2020 census
counted 10.05 million). Fitting a trend through such a jump confuses a re-count with growth.
This module removes the jumps the way statistical offices make intercensal estimates: the
error at the closing census (census ÷ the estimate chain carried to the census year) is
distributed geometrically over the years since the previous census. It then fills the
missing years by geometric (log-linear) interpolation, keeping track of which values were
observed, which re-based and which interpolated — nothing is dropped or hidden.

Two more repairs make a history usable: :func:`recut_boundaries` re-cuts figures published
for old district boundaries to today's districts with a mapping table (old → new, with the
share of the old area's residents each new district received), and :func:`fill_births`
imputes missing births from the birth rate of the nearest years, flagging every imputed row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from xuewei.errors import InputError, Problem

__all__ = [
    "annualise",
    "census_closures",
    "fill_births",
    "final_vintage",
    "rebase_intercensal",
    "recut_boundaries",
]

_WEIGHT_TOLERANCE = 1e-6


def rebase_intercensal(
    history: pd.DataFrame,
    *,
    id_col: str = "district_id",
    value_col: str = "population",
    basis_col: str = "basis",
) -> pd.DataFrame:
    """Re-base annual estimates between two censuses onto the closing census.

    For each pair of consecutive censuses ``c0 < c1`` of one area with estimates between
    them, the estimate chain is carried to ``c1`` at the growth rate of its last two points
    (the last estimate and the one before it, or the census ``c0``), giving ``e(c1)``. The
    closure ratio ``r = census(c1) / e(c1)`` is spread geometrically: an estimate in year
    ``t`` is multiplied by ``r ** ((t - c0) / (c1 - c0))``. Censuses, estimates before the
    first census and estimates after the last census (already based on it) are unchanged.

    Parameters
    ----------
    history
        Tidy population table: one row per area and year, with ``year``, the value column
        and a basis column holding ``census`` or ``estimate`` (missing means estimate).
    id_col, value_col, basis_col
        Column names.

    Returns
    -------
    pandas.DataFrame
        A copy sorted by area and year, with ``reported`` (the input value), the re-based
        value in ``value_col``, and ``rebase_factor``.

    Examples
    --------
    A census of 100 in 2010 and of 130 in 2020; the estimates grew 2% a year from the first
    census and would have reached 121.9 in 2020, so they are raised by up to 6.6%:

    >>> h = pd.DataFrame({
    ...     "district_id": ["a"] * 4,
    ...     "year": [2010, 2015, 2019, 2020],
    ...     "population": [100.0, 100 * 1.02**5, 100 * 1.02**9, 130.0],
    ...     "basis": ["census", "estimate", "estimate", "census"],
    ... })
    >>> out = rebase_intercensal(h)
    >>> out["rebase_factor"].round(4).tolist()
    [1.0, 1.0327, 1.0596, 1.0]
    """
    out, is_census, years, values = _series_arrays(history, id_col, value_col, basis_col)
    factor = np.ones(len(out))
    for _, c0, c1, between, ratio in _closures(out, id_col, is_census, years, values):
        weight = (years[between] - years[c0]) / (years[c1] - years[c0])
        factor[between] = ratio**weight
    out["reported"] = out[value_col]
    out[value_col] = values * factor
    out["rebase_factor"] = factor
    return out


def _series_arrays(
    history: pd.DataFrame, id_col: str, value_col: str, basis_col: str
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """Return the history sorted by area and year, and its census flags, years and values."""
    out = history.sort_values([id_col, "year"], kind="stable").reset_index(drop=True)
    basis = out[basis_col].fillna("estimate").astype(str) if basis_col in out else None
    is_census = (
        basis.eq("census").to_numpy() if basis is not None else np.zeros(len(out), dtype=bool)
    )
    years = out["year"].to_numpy(dtype=np.int64)
    values = out[value_col].to_numpy(dtype=np.float64)
    return out, is_census, years, values


def _closures(
    table: pd.DataFrame, id_col: str, is_census: np.ndarray, years: np.ndarray, values: np.ndarray
) -> Iterator[tuple[Any, int, int, np.ndarray, float]]:
    """Yield ``(area, c0, c1, between, ratio)`` for each pair of censuses with estimates between.

    ``c0``, ``c1``: the rows of the two censuses (of ``table``, sorted by area and year),
    ``between``: the rows of the estimates between them, ``ratio``: the closing census ÷
    the estimate chain carried to its year at the growth of its last two points.
    """
    for area, idx in table.groupby(id_col, sort=False).indices.items():
        idx = np.sort(idx)
        census_idx = idx[is_census[idx]]
        for c0, c1 in itertools.pairwise(census_idx):
            between = idx[(years[idx] > years[c0]) & (years[idx] < years[c1]) & ~is_census[idx]]
            if len(between) == 0:
                continue
            last = between[-1]
            prev = between[-2] if len(between) > 1 else c0
            span = years[last] - years[prev]
            growth = (values[last] / values[prev]) ** (1.0 / span) if values[prev] > 0 else 1.0
            carried = values[last] * growth ** (years[c1] - years[last])
            if carried > 0:
                yield area, int(c0), int(c1), between, float(values[c1] / carried)


def census_closures(
    history: pd.DataFrame,
    *,
    id_col: str = "district_id",
    value_col: str = "population",
    basis_col: str = "basis",
) -> pd.DataFrame:
    """Return how far each census moved the estimates before it (the closure ratios).

    One row per area and census that closed a run of estimates: ``district_id``,
    ``census_year``, ``previous_census`` and ``ratio`` (the census ÷ the estimate chain
    carried to its year, as in :func:`rebase_intercensal`; 1.163 means the census counted
    16.3 % more than the estimates said).

    Examples
    --------
    >>> h = pd.DataFrame({
    ...     "district_id": ["a"] * 4,
    ...     "year": [2010, 2015, 2019, 2020],
    ...     "population": [100.0, 100 * 1.02**5, 100 * 1.02**9, 130.0],
    ...     "basis": ["census", "estimate", "estimate", "census"],
    ... })
    >>> census_closures(h).round(4).values.tolist()  # 130 / (100 x 1.02 ** 10)
    [['a', 2020, 2010, 1.0665]]
    """
    out, is_census, years, values = _series_arrays(history, id_col, value_col, basis_col)
    rows = [
        {id_col: area, "census_year": int(years[c1]), "previous_census": int(years[c0]), "ratio": r}
        for area, c0, c1, _, r in _closures(out, id_col, is_census, years, values)
    ]
    return pd.DataFrame(rows, columns=[id_col, "census_year", "previous_census", "ratio"])


def final_vintage(
    history: pd.DataFrame,
    *,
    id_col: str = "district_id",
    value_col: str = "population",
    basis_col: str = "basis",
) -> pd.DataFrame:
    """Return the history as known today: every estimate re-based, nothing left to re-base.

    The values are those of :func:`rebase_intercensal` on the whole history, and every
    row is marked ``estimate`` (a part of it cut at an earlier year is then not re-based a
    second time). A backtest on this table scores the methods on the series as revised
    today ("final vintage"), so that its errors measure the trend and not the re-counts
    of past censuses; the intervals it calibrates do not include a future census
    re-basing the estimates (see :func:`census_closures` for how far past ones did).

    Examples
    --------
    >>> h = pd.DataFrame({"district_id": "a", "year": [2010, 2015, 2020],
    ...                   "population": [100.0, 105.0, 130.0],
    ...                   "basis": ["census", "estimate", "census"]})
    >>> f = final_vintage(h)  # 2015: 105 x (130 / (105 x 1.05)) ** 0.5
    >>> f["population"].round(2).tolist(), sorted(set(f["basis"]))
    ([100.0, 114.02, 130.0], ['estimate'])
    """
    revised = rebase_intercensal(history, id_col=id_col, value_col=value_col, basis_col=basis_col)
    out = revised.drop(columns=["reported", "rebase_factor"])
    out[basis_col] = "estimate"
    return out


def annualise(
    history: pd.DataFrame,
    *,
    id_col: str = "district_id",
    value_col: str = "population",
) -> pd.DataFrame:
    """Fill the missing years of each area's series between its first and last observation.

    Values between two observations are interpolated geometrically (constant growth rate);
    where either end is zero, linearly. Observed rows are kept as they are.

    Parameters
    ----------
    history
        Tidy table with ``id_col``, ``year`` and ``value_col``; one row per area and year.
    id_col, value_col
        Column names.

    Returns
    -------
    pandas.DataFrame
        Columns ``id_col``, ``year``, ``value_col`` and ``observed`` (bool), one row per area
        and every year from its first to its last observation, sorted.

    Examples
    --------
    >>> h = pd.DataFrame({"district_id": ["a", "a"], "year": [2000, 2002],
    ...                   "population": [100.0, 121.0]})
    >>> annualise(h)["population"].round(6).tolist()
    [100.0, 110.0, 121.0]
    """
    frames = []
    for area, group in history.groupby(id_col, sort=True):
        group = group.sort_values("year")
        obs_years = group["year"].to_numpy(dtype=np.int64)
        obs_values = group[value_col].to_numpy(dtype=np.float64)
        all_years = np.arange(obs_years[0], obs_years[-1] + 1, dtype=np.int64)
        if np.all(obs_values > 0):
            filled = np.exp(np.interp(all_years, obs_years, np.log(obs_values)))
        else:
            filled = np.interp(all_years, obs_years, obs_values)
        observed = np.isin(all_years, obs_years)
        # keep observed values bit-exact (exp(log(x)) may differ in the last digit)
        filled[observed] = obs_values
        frames.append(
            pd.DataFrame({id_col: area, "year": all_years, value_col: filled, "observed": observed})
        )
    if not frames:
        return pd.DataFrame(
            {
                id_col: pd.Series(dtype=str),
                "year": pd.Series(dtype=np.int64),
                value_col: pd.Series(dtype=np.float64),
                "observed": pd.Series(dtype=bool),
            }
        )
    return pd.concat(frames, ignore_index=True)


def recut_boundaries(
    history: pd.DataFrame,
    mapping: pd.DataFrame,
    *,
    value_cols: tuple[str, ...] = ("population", "births"),
    source: str = "boundary mapping",
) -> pd.DataFrame:
    """Re-cut figures of old districts to today's districts with a weighted mapping.

    Each row of ``mapping`` says that a share ``weight`` of the residents (and births) of
    ``old_id`` now lives in ``new_id``, for the years up to ``until_year`` (the last year
    published on the old boundaries; default: every year). An old district's weights must
    sum to 1, so totals are conserved exactly. Rows of the same new district and year are
    summed; rows of districts not in the mapping are kept as they are.

    Parameters
    ----------
    history
        Tidy table with ``district_id``, ``year`` and the value columns present.
    mapping
        ``old_id``, ``new_id``, ``weight`` and optionally ``until_year``.
    value_cols
        Columns re-cut (those missing from ``history`` are skipped). A missing value stays
        missing in every district it is cut into.
    source
        Name of the mapping, for error messages.

    Returns
    -------
    pandas.DataFrame
        Same columns as ``history`` plus ``recut`` (True where a row was re-cut), sorted
        by district and year.

    Raises
    ------
    InputError
        If an old district's weights do not sum to 1 or a weight is negative.

    Examples
    --------
    The 2010 census of Changsha was published on 2010 boundaries; 长沙县 (430121) later
    ceded parts to 天心区 (430103) and 雨花区 (430111) (figures of the re-cut census):

    >>> old = pd.DataFrame({"district_id": ["430121", "430103", "430111"],
    ...                     "year": 2010, "population": [979472, 475221, 724048]})
    >>> m = pd.DataFrame({"old_id": ["430121"] * 3 + ["430103", "430111"],
    ...                   "new_id": ["430121", "430103", "430111", "430103", "430111"],
    ...                   "weight": [851809 / 979472, 66242 / 979472, 61421 / 979472, 1, 1]})
    >>> new = recut_boundaries(old, m)
    >>> new.set_index("district_id")["population"].round(0).to_dict()
    {'430103': 541463.0, '430111': 785469.0, '430121': 851809.0}
    """
    _check_mapping(mapping, source)
    out = history.copy()
    out["district_id"] = out["district_id"].astype(str)
    m = mapping.copy()
    m["old_id"] = m["old_id"].astype(str)
    m["new_id"] = m["new_id"].astype(str)
    if "until_year" not in m:
        m["until_year"] = np.iinfo(np.int64).max
    m["until_year"] = m["until_year"].fillna(np.iinfo(np.int64).max).astype(np.int64)
    cols = [c for c in value_cols if c in out]
    merged = (
        out.reset_index(drop=True)
        .reset_index(names="_row")
        .merge(m, left_on="district_id", right_on="old_id", how="left")
    )
    hit = merged["old_id"].notna() & (merged["year"] <= merged["until_year"])
    untouched_rows = set(merged.loc[~hit, "_row"]) - set(merged.loc[hit, "_row"])
    kept = out.iloc[sorted(untouched_rows)].copy()
    kept["recut"] = False
    cut = merged[hit].copy()
    for c in cols:
        cut[c] = cut[c].astype("Float64") * cut["weight"]
    cut["district_id"] = cut["new_id"]
    keys = ["district_id", "year"]
    other = [c for c in out.columns if c not in (*keys, *cols)]
    agg: dict[str, Any] = {c: _sum_all for c in cols}
    agg.update({c: "first" for c in other})
    cut = cut.groupby(keys, sort=True).agg(agg).reset_index()
    cut["recut"] = True
    if "name" in out:
        # a re-cut row takes the name of its new district, where the table has one
        names = out.drop_duplicates("district_id").set_index("district_id")["name"]
        cut["name"] = cut["district_id"].map(names).fillna(cut["name"])
    both = pd.concat([kept, cut[kept.columns]], ignore_index=True)
    # a new district that also has its own rows in a re-cut year: add them together
    dup = both.duplicated(keys, keep=False)
    if dup.any():
        agg2: dict[str, Any] = {c: _sum_all for c in cols}
        agg2.update({c: "first" for c in other})
        agg2["recut"] = "max"
        merged_dup = both[dup].groupby(keys, sort=True).agg(agg2).reset_index()
        both = pd.concat([both[~dup], merged_dup[both.columns]], ignore_index=True)
    for c in cols:
        if c in history and pd.api.types.is_integer_dtype(history[c].dtype):
            both[c] = both[c].astype("Float64")
    return both.sort_values(keys, kind="stable").reset_index(drop=True)


def _sum_all(values: pd.Series) -> Any:
    """Sum that stays missing if any part is missing (a partial sum would undercount)."""
    return values.sum(min_count=len(values)) if values.notna().all() else np.nan


def _check_mapping(mapping: pd.DataFrame, source: str) -> None:
    problems = []
    for col in ("old_id", "new_id", "weight"):
        if col not in mapping:
            problems.append(Problem(source, f"missing column `{col}`", column=col))
    if problems:
        raise InputError(problems)
    weights = pd.to_numeric(mapping["weight"], errors="coerce")
    for i in np.flatnonzero(~(weights >= 0)):
        problems.append(
            Problem(
                source,
                f"got weight {mapping['weight'].iloc[i]!r}; weights must be numbers ≥ 0",
                row=int(i) + 1,
                column="weight",
            )
        )
    sums = weights.groupby(mapping["old_id"].astype(str)).sum()
    for old, total in sums.items():
        if abs(total - 1.0) > _WEIGHT_TOLERANCE:
            problems.append(
                Problem(
                    source,
                    f"the weights of old district {old} sum to {total:.6g}; they must sum to 1 "
                    "(every resident of the old district goes to exactly one new district)",
                    column="weight",
                )
            )
    if problems:
        raise InputError(problems)


def fill_births(
    history: pd.DataFrame,
    *,
    births_col: str = "births",
    population_col: str = "population",
    id_col: str = "district_id",
    first_year: int | None = None,
) -> pd.DataFrame:
    """Impute missing births from the birth rate of the nearest years, and flag them.

    The birth rate (births per resident) is interpolated linearly between the years with
    both births and population, and held constant before the first and after the last;
    a missing birth count is that rate × the (annualised) population of its year. Every
    year from an area's first to its last population year gets a row; nothing is dropped.

    With ``first_year``, an area whose population starts later is carried back to it: the
    population at the growth rate of its first observed interval (constant with a single
    observation), births at its earliest birth rate; those rows are flagged
    ``population_backcast`` (and ``births_imputed``). A census count of children aged
    0–14 needs the births of the 15 years before it, often older than the first population
    figure of a district.

    Parameters
    ----------
    history
        Tidy table with ``id_col``, ``year``, the population column and the births column
        (missing births as NaN/NA; a missing births column means every count is missing).
    births_col, population_col, id_col
        Column names.
    first_year
        Carry every area back to this year (see above); default: its first population year.

    Returns
    -------
    pandas.DataFrame
        ``id_col``, ``year``, ``population_col``, ``births_col`` (float), ``birth_rate``
        (per 1,000 residents), ``births_imputed`` (True where the count is imputed) and
        ``population_backcast`` (True for years before the area's first population figure),
        one row per area and year.

    Raises
    ------
    InputError
        If an area has no year with both births and population (nothing to impute from).

    Examples
    --------
    Births are known in 2016 (rate 15 ‰) and 2018 (13 ‰); 2017 is imputed at 14 ‰:

    >>> h = pd.DataFrame({"district_id": "a", "year": [2016, 2017, 2018],
    ...                   "population": [1000.0, 1000.0, 1000.0],
    ...                   "births": [15.0, None, 13.0]})
    >>> f = fill_births(h)
    >>> f["births"].round(6).tolist(), f["births_imputed"].tolist()
    ([15.0, 14.0, 13.0], [False, True, False])

    Carried back two years: the population at its 2016–17 growth (0 %), births at 15 ‰:

    >>> f = fill_births(h, first_year=2014)
    >>> f["year"].tolist(), f["births"].round(6).tolist()[:2], int(f["population_backcast"].sum())
    ([2014, 2015, 2016, 2017, 2018], [15.0, 15.0], 2)
    """
    cols = [id_col, "year", population_col]
    frame = history[cols].copy()
    frame["_births"] = (
        pd.to_numeric(history[births_col], errors="coerce").astype("float64")
        if births_col in history
        else np.nan
    )
    frame = frame[frame[population_col].notna()]
    births_by_key = frame.set_index([id_col, "year"])["_births"]
    annual = annualise(frame[cols], id_col=id_col, value_col=population_col).drop(
        columns="observed"
    )
    annual = _backcast(annual, first_year, id_col=id_col, value_col=population_col)
    b = births_by_key.reindex(pd.MultiIndex.from_frame(annual[[id_col, "year"]])).to_numpy()
    annual[births_col] = b
    problems = []
    rates = np.full(len(annual), np.nan)
    for area, idx in annual.groupby(id_col, sort=False).indices.items():
        pop = annual[population_col].to_numpy(dtype=np.float64)[idx]
        births = b[idx]
        known = np.isfinite(births) & (pop > 0)
        if not known.any():
            problems.append(
                Problem(
                    "population",
                    f"district {area} has no year with both births and population; give "
                    "births for at least one year (or a birth rate) so that the others can "
                    "be imputed",
                    column=births_col,
                )
            )
            continue
        years = annual["year"].to_numpy()[idx]
        rates[idx] = np.interp(years, years[known], births[known] / pop[known])
    if problems:
        raise InputError(problems)
    imputed = ~np.isfinite(b)
    filled = np.where(imputed, rates * annual[population_col].to_numpy(dtype=np.float64), b)
    annual[births_col] = filled
    annual["birth_rate"] = rates * 1000.0
    annual["births_imputed"] = imputed
    backcast = annual.pop("population_backcast")
    annual["population_backcast"] = backcast
    return annual.reset_index(drop=True)


def _backcast(
    annual: pd.DataFrame, first_year: int | None, *, id_col: str, value_col: str
) -> pd.DataFrame:
    """Carry each area's annual series back to ``first_year`` at its first growth rate."""
    annual = annual.assign(population_backcast=False)
    if first_year is None:
        return annual
    added = []
    for area, g in annual.groupby(id_col, sort=False):
        start = int(g["year"].iloc[0])
        if start <= first_year:
            continue
        values = g[value_col].to_numpy(dtype=np.float64)
        # annual values are geometric between observations: the first step is the growth
        # rate of the first observed interval
        growth = values[1] / values[0] if len(values) > 1 and values[0] > 0 else 1.0
        years = np.arange(first_year, start)
        added.append(
            pd.DataFrame(
                {
                    id_col: area,
                    "year": years,
                    value_col: values[0] * growth ** (years - start).astype(np.float64),
                    "population_backcast": True,
                }
            )
        )
    if not added:
        return annual
    out = pd.concat([*added, annual], ignore_index=True)
    order = {a: i for i, a in enumerate(dict.fromkeys(annual[id_col]))}
    return out.sort_values(
        [id_col, "year"], key=lambda s: s.map(order) if s.name == id_col else s, kind="stable"
    ).reset_index(drop=True)
