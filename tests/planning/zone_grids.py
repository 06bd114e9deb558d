"""Grids of units for the zone tests: positions 1 km apart and rook neighbours."""

from __future__ import annotations

import numpy as np


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
