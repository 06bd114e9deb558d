"""The p-median as a sparse MIP: the radius formulation of García, Labbé & Marín (2011).

For demand ``i`` with distinct candidate distances ``D⁰ < D¹ < …`` (a *level* each), a
continuous ``zᵏ`` is 1 when no open site is nearer than ``Dᵏ``; the cost is
``Σ wᵢ (D⁰ + Σₖ (Dᵏ − Dᵏ⁻¹) zᵏ)``, written as a chain ``zᵏ ≥ zᵏ⁻¹ − Σ_{d=Dᵏ⁻¹} y`` so
each (demand, site) pair of the candidate lists appears once in the matrix. A truncated
list gets one more ``z`` ("none of the listed sites open"), charged up to the distance to
the first site beyond the list, a lower bound. :func:`solve_radius` builds the model from
the lists as a ``scipy.sparse`` matrix and solves it with HiGHS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from xuewei.planning.siting.geometry import BoolArray, FloatArray, IntArray
from xuewei.planning.siting.highs import solve_highs
from xuewei.planning.siting.lists import CandidateLists
from xuewei.planning.siting.result import Solved

if TYPE_CHECKING:
    from xuewei.planning.siting.problem import SitingProblem

__all__ = ["solve_radius"]


@dataclass(frozen=True)
class _Levels:
    """The distinct distance levels of every list, and the model columns they map to.

    Row (constraint) ``k`` ↔ level ``k``: ``z_{k+1} (or beyond) − z_k + Σ_{d=D_k} y ≥ 0``,
    with ``z_first := 1`` folded into the right-hand side (≥ 1 for each row's first level).
    Columns: ``y`` (one per site, ``0 … m−1``), then one ``z`` per level except each row's
    first, then one "beyond" ``z`` per truncated row.
    """

    level_of_entry: IntArray  # level of each list entry
    level_row: IntArray  # demand row of each level
    level_d: FloatArray  # distance of each level
    first_level: BoolArray  # the level is its row's first
    last_level: BoolArray  # the level is its row's last
    z_level: IntArray  # levels that have a z column (all but each row's first)
    z_col: IntArray  # z column of each level (-1: first level)
    beyond_col: IntArray  # "beyond" z column of each demand row (-1: complete list)
    next_z: IntArray  # z column of the next level, or the row's beyond z (-1: none)
    n_cols: int

    @property
    def n_levels(self) -> int:
        return len(self.level_row)

    @classmethod
    def of(cls, lists: CandidateLists, n: int, m: int) -> _Levels:
        d, ptr = lists.dist, lists.ptr
        row_of = np.repeat(np.arange(n), np.diff(ptr))
        new_level = np.ones(len(d), dtype=bool)
        same = (row_of[1:] == row_of[:-1]) & (d[1:] == d[:-1])
        new_level[1:] = ~same
        level_start = np.flatnonzero(new_level)  # entry index where each level starts
        level_row = row_of[level_start]
        n_levels = len(level_start)
        first_level = np.r_[True, level_row[1:] != level_row[:-1]]
        last_level = np.r_[level_row[1:] != level_row[:-1], True]
        # z of level L (not first) has cost w (D_L - D_{L-1})
        z_level = np.flatnonzero(~first_level)
        trunc_rows = np.flatnonzero(~lists.complete)
        z_col = np.full(n_levels, -1, dtype=np.int64)
        z_col[z_level] = m + np.arange(len(z_level))
        beyond_col = np.full(n, -1, dtype=np.int64)
        beyond_col[trunc_rows] = m + len(z_level) + np.arange(len(trunc_rows))
        next_z = np.full(n_levels, -1, dtype=np.int64)
        has_next = ~last_level
        next_z[has_next] = z_col[np.flatnonzero(has_next) + 1]
        next_z[last_level] = beyond_col[level_row[last_level]]
        return cls(
            level_of_entry=np.cumsum(new_level) - 1,
            level_row=level_row,
            level_d=d[level_start],
            first_level=first_level,
            last_level=last_level,
            z_level=z_level,
            z_col=z_col,
            beyond_col=beyond_col,
            next_z=next_z,
            n_cols=m + len(z_level) + len(trunc_rows),
        )


def solve_radius(
    problem: SitingProblem,
    lists: CandidateLists,
    p: int,
    free: BoolArray,
    start: BoolArray | None,
    time_limit_s: float,
    mip_rel_gap: float,
    forced_out: BoolArray | None = None,
    forced_in: BoolArray | None = None,
) -> Solved | None:
    """Solve the radius model on the lists; ``None`` when HiGHS finds no answer in time.

    ``start`` (an answer) is handed to HiGHS as its first incumbent; sites in
    ``forced_out`` are kept closed and those in ``forced_in`` open.
    """
    n, m = problem.shape
    lv = _Levels.of(lists, n, m)
    a, row_lo, row_hi = _matrix(lv, lists, free, p)
    cost, constant = _costs(lv, lists, problem.weights)
    col_lo = np.zeros(lv.n_cols)
    col_hi = np.ones(lv.n_cols)
    col_lo[:m][problem.fixed] = 1.0
    if forced_out is not None:
        col_hi[:m][forced_out] = 0.0
    if forced_in is not None:
        col_lo[:m][forced_in] = 1.0
    integer = np.zeros(lv.n_cols, dtype=bool)
    integer[:m] = True
    x0 = None if start is None else _start(lv, lists, start, m)
    solved = solve_highs(
        cost,
        a,
        row_lo,
        row_hi,
        col_lo,
        col_hi,
        integer,
        time_limit_s=time_limit_s,
        mip_rel_gap=mip_rel_gap,
        start=x0,
    )
    if solved is None:
        return None
    return Solved(
        solved.x,
        solved.objective + constant,
        solved.bound + constant,
        solved.gap,
        solved.status,
    )


def _matrix(
    lv: _Levels, lists: CandidateLists, free: BoolArray, p: int
) -> tuple[sp.csc_array, FloatArray, FloatArray]:
    """Return the matrix (a row per level, then ``Σ free y = p``) and its row bounds."""
    idx = lists.site
    n_levels = lv.n_levels
    rows_i: list[IntArray] = [lv.level_of_entry]
    cols_i: list[IntArray] = [idx]
    vals: list[FloatArray] = [np.ones(len(idx))]
    k1 = np.flatnonzero(lv.next_z >= 0)
    rows_i.append(k1)
    cols_i.append(lv.next_z[k1])
    vals.append(np.ones(len(k1)))
    k2 = np.flatnonzero(~lv.first_level)
    rows_i.append(k2)
    cols_i.append(lv.z_col[k2])
    vals.append(-np.ones(len(k2)))
    # cardinality row: Σ free y = p
    rows_i.append(np.full(int(free.sum()), n_levels, dtype=np.int64))
    cols_i.append(np.flatnonzero(free).astype(np.int64))
    vals.append(np.ones(int(free.sum())))
    a = sp.csc_array(
        (np.concatenate(vals), (np.concatenate(rows_i), np.concatenate(cols_i))),
        shape=(n_levels + 1, lv.n_cols),
    )
    row_lo = np.where(lv.first_level, 1.0, 0.0)
    row_lo = np.r_[row_lo, float(p)]
    row_hi = np.r_[np.full(n_levels, np.inf), float(p)]
    return a, row_lo, row_hi


def _costs(lv: _Levels, lists: CandidateLists, w: FloatArray) -> tuple[FloatArray, float]:
    """Column costs, and the constant ``Σ wᵢ D⁰ᵢ`` the first levels contribute."""
    cost = np.zeros(lv.n_cols)
    z_level, level_row, level_d = lv.z_level, lv.level_row, lv.level_d
    prev_d = np.r_[np.nan, level_d[:-1]]
    cost[lv.z_col[z_level]] = w[level_row[z_level]] * (level_d[z_level] - prev_d[z_level])
    last_d = level_d[lv.last_level]
    last_row = level_row[lv.last_level]
    tr = ~lists.complete[last_row]
    cost[lv.beyond_col[last_row[tr]]] = w[last_row[tr]] * (
        lists.next_dist[last_row[tr]] - last_d[tr]
    )
    constant = float(np.sum(w[level_row[lv.first_level]] * level_d[lv.first_level]))
    return cost, constant


def _start(lv: _Levels, lists: CandidateLists, start: BoolArray, m: int) -> FloatArray:
    """Return a feasible column vector for an answer: ``z_L = 1 − (any open at a level < L)``."""
    x0 = np.zeros(lv.n_cols)
    x0[:m] = start
    opened = start[lists.site].astype(np.float64)
    seen = np.zeros(lv.n_levels)
    np.add.at(seen, lv.level_of_entry, opened)
    cum = _grouped_cumsum(seen, lv.level_row)
    before = cum - seen
    zs = np.clip(1.0 - before, 0.0, 1.0)
    x0[lv.z_col[lv.z_level]] = zs[lv.z_level]
    ll = np.flatnonzero(lv.last_level)
    tl = ll[~lists.complete[lv.level_row[ll]]]
    x0[lv.beyond_col[lv.level_row[tl]]] = np.clip(1.0 - cum[tl], 0.0, 1.0)
    return x0


def _grouped_cumsum(values: FloatArray, groups: IntArray) -> FloatArray:
    """Cumulative sum restarting at each change of ``groups`` (sorted)."""
    start = np.r_[True, groups[1:] != groups[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(len(values)), 0))
    total = np.cumsum(values)
    return total - (total - values)[first]
