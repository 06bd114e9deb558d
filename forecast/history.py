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
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

__all__ = ["annualise", "rebase_intercensal"]


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
    out = history.sort_values([id_col, "year"], kind="stable").reset_index(drop=True)
    basis = (
        out[basis_col].fillna("estimate").astype(str)
        if basis_col in out
        else pd.Series("estimate", index=out.index)
    )
    is_census = basis.eq("census").to_numpy()
    years = out["year"].to_numpy(dtype=np.int64)
    values = out[value_col].to_numpy(dtype=np.float64)
    factor = np.ones(len(out))
    for _, idx in out.groupby(id_col, sort=False).indices.items():
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
            if carried <= 0:
                continue
            ratio = values[c1] / carried
            weight = (years[between] - years[c0]) / (years[c1] - years[c0])
            factor[between] = ratio**weight
    out["reported"] = out[value_col]
    out[value_col] = values * factor
    out["rebase_factor"] = factor
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
