"""Grids of units for the zone tests: positions 1 km apart and rook neighbours."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from xuewei.planning.zones.problem import ZoneCase, make_case


def grid_edges(cols: int, rows: int) -> np.ndarray:
    """Rook neighbours of a ``cols × rows`` grid, units numbered row by row."""
    idx = np.arange(cols * rows).reshape(rows, cols)
    return np.vstack(
        [
            np.column_stack([idx[:, :-1].ravel(), idx[:, 1:].ravel()]),
            np.column_stack([idx[:-1, :].ravel(), idx[1:, :].ravel()]),
        ]
    )


def grid_xy(cols: int, rows: int) -> np.ndarray:
    """The units' positions in metres, 1 km apart, row by row."""
    return np.array([[c, r] for r in range(rows) for c in range(cols)], dtype=float) * 1000


@st.composite
def grid_cases(
    draw: st.DrawFn,
    *,
    cols: tuple[int, int],
    rows: tuple[int, int],
    schools: int,
    pupils: int,
    allowed: int,
) -> ZoneCase:
    """A random grid case: sides within ``cols`` and ``rows``, up to ``schools`` schools in
    distinct units, whole pupils per unit up to ``pupils``, allowed pupils up to ``allowed``.
    """
    c, r = draw(st.integers(*cols)), draw(st.integers(*rows))
    n = c * r
    m = draw(st.integers(1, min(schools, n)))
    roots = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m, unique=True))
    p = np.array(draw(st.lists(st.integers(0, pupils), min_size=n, max_size=n)), dtype=float)
    a = np.array(draw(st.lists(st.integers(0, allowed), min_size=m, max_size=m)), dtype=float)
    xy = grid_xy(c, r)
    return make_case(p, xy, xy[roots], a, np.array(roots), grid_edges(c, r))
