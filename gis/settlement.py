"""Urban or rural: which service radius applies where residents live.

A school's service radius differs between towns and the countryside (500 m for an urban
primary school, 2.5 km for a rural one by default; ``access.radius_m`` and
``access.radius_m.rural`` of the standards). Where the estates do not say (a ``settlement``
column: ``urban``/``rural`` or 城镇/城市/城区/乡村/农村), :func:`urban_by_density` decides
with the dense urban clusters of the Degree of Urbanisation (UN Statistical Commission,
2020): residents are counted on a grid of 1 km² cells in the plan CRS; cells with at
least 1,500 residents per km² that share an edge form clusters; a cluster of at least
5,000 residents is urban, every other cell rural. The three numbers are the
``settlement`` standards.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import ndimage

from xuewei.errors import InputError, Problem
from xuewei.vocabulary import SETTLEMENT_WORDS

__all__ = ["parse_settlement", "settlement_word", "urban_by_density"]


def urban_by_density(
    xy: npt.NDArray[np.float64],
    residents: npt.NDArray[np.float64],
    *,
    cell_m: float = 1000.0,
    dense_per_km2: float = 1500.0,
    cluster_min: float = 5000.0,
) -> npt.NDArray[np.bool_]:
    """Return whether each point lies in a dense urban cluster (True) or not (rural).

    Parameters
    ----------
    xy
        Point coordinates in a projected CRS, metres, shape ``(n, 2)``.
    residents
        Residents at each point (≥ 0); they are what is counted.
    cell_m, dense_per_km2, cluster_min
        Grid cell size, the residents per km² of a dense cell, and the residents of a
        cluster of dense cells (sharing an edge) for it to be urban.

    Examples
    --------
    Two touching 1 km cells of 3,000 residents each (6,000 ≥ 5,000: urban) and a lone
    cell of 4,000 two kilometres away (dense, but too small a cluster: rural):

    >>> xy = np.array([[500.0, 500.0], [1500.0, 500.0], [4500.0, 500.0]])
    >>> urban_by_density(xy, np.array([3000.0, 3000.0, 4000.0])).tolist()
    [True, True, False]
    """
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    residents = np.asarray(residents, dtype=np.float64)
    if not len(xy):
        return np.zeros(0, dtype=bool)
    col = np.floor(xy[:, 0] / cell_m).astype(np.int64)
    row = np.floor(xy[:, 1] / cell_m).astype(np.int64)
    col -= col.min()
    row -= row.min()
    shape = (int(row.max()) + 1, int(col.max()) + 1)
    counts = np.zeros(shape)
    np.add.at(counts, (row, col), np.nan_to_num(residents))
    dense = counts / (cell_m * cell_m / 1e6) >= dense_per_km2
    labels, n = ndimage.label(dense)  # edges only (rook), as the method asks
    if n == 0:
        return np.zeros(len(xy), dtype=bool)
    sizes = ndimage.sum_labels(counts, labels, index=np.arange(1, n + 1))
    urban_label = np.concatenate([[False], sizes >= cluster_min])
    return np.asarray(urban_label[labels[row, col]], dtype=bool)


def settlement_word(value: Any) -> str | None:
    """Return ``"urban"`` or ``"rural"`` for a settlement word, ``None`` when missing.

    Unknown words give ``""``.
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    word = str(value).strip()
    return SETTLEMENT_WORDS.get(word.lower(), SETTLEMENT_WORDS.get(word, ""))


def parse_settlement(values: Any, *, source: str = "estates") -> npt.NDArray[np.object_]:
    """Read a ``settlement`` column: ``"urban"``, ``"rural"`` or missing (``None``).

    Accepts urban/rural and 城镇/城市/城区/乡村/农村 (any case, spaces trimmed).

    Raises
    ------
    InputError
        A value that is neither, naming the row and the value.

    Examples
    --------
    >>> parse_settlement(["城镇", "Rural", None]).tolist()
    ['urban', 'rural', None]
    """
    series = pd.Series(values, dtype=object)
    out = np.full(len(series), None, dtype=object)
    problems = []
    for i, value in enumerate(series):
        kind = settlement_word(value)
        if kind == "":
            problems.append(
                Problem(
                    source,
                    f"settlement {value!r} is neither urban nor rural; use one of "
                    f"{', '.join(SETTLEMENT_WORDS)} (or leave it empty for the density rule)",
                    row=i + 1,
                    column="settlement",
                )
            )
        out[i] = kind
    if problems:
        raise InputError(problems)
    return out
