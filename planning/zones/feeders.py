"""Feeders in the heuristic: junior zones drawn over whole primary zones.

Once the primary zones are drawn, each becomes one *super-unit* for the junior level: its
junior pupils, its cost to each junior school (the sum over its units), neighbours where
any of their units touch, and each junior school rooted in the primary zone its own unit
lies in. The junior heuristic on these super-units gives every primary school exactly one
junior school (小学对口初中), and every primary zone lies inside one junior zone by
construction. Two junior schools in one primary zone cannot both be fed: such *conflicts*
are counted (the exact model avoids them by drawing the primary zones around them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .heuristic import solve_heuristic
from .problem import IntArray, ZoneCase

__all__ = ["FedJunior", "feed_junior"]


@dataclass(frozen=True)
class FedJunior:
    """Junior labels per unit, the feeder of each primary school, conflicts, search moves."""

    label: IntArray
    feeder: IntArray
    conflicts: int
    moves: int


def feed_junior(primary: ZoneCase, label_p: IntArray, junior: ZoneCase) -> FedJunior:
    """Draw junior zones as unions of primary zones (see the module documentation).

    Examples
    --------
    Four units in a row, primary schools in units 0, 1, 2, 3 and junior schools in 0 and
    3: primary zones {0}, {1}, {2}, {3} are fed two and two.

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0]])
    >>> e = np.array([[0, 1], [1, 2], [2, 3]])
    >>> p = make_case(np.full(4, 1.0), xy, xy, np.full(4, 9.0), np.arange(4), e)
    >>> j = make_case(np.full(4, 1.0), xy, xy[[0, 3]], np.full(2, 9.0), np.array([0, 3]), e)
    >>> f = feed_junior(p, np.arange(4), j)
    >>> f.feeder.tolist(), f.label.tolist(), f.conflicts
    ([0, 0, 1, 1], [0, 0, 1, 1], 0)
    """
    mp = primary.m
    pupils = np.bincount(label_p, weights=junior.pupils, minlength=mp).astype(np.float64)
    cost = np.zeros((mp, junior.m))
    np.add.at(cost, label_p, junior.cost)
    a, b = label_p[junior.edges[:, 0]], label_p[junior.edges[:, 1]]
    cross = a != b
    edges = np.unique(np.sort(np.column_stack([a[cross], b[cross]]), axis=1), axis=0)
    root = label_p[junior.root]
    conflicts = int(root.size - np.unique(root).size)
    zone_case = ZoneCase(
        pupils=pupils,
        distance_m=np.zeros((mp, junior.m)),
        cost=cost,
        allowed=junior.allowed,
        root=root.astype(np.int64),
        edges=edges.astype(np.int64).reshape(-1, 2),
        current=np.full(mp, -1, dtype=np.int64),
        penalty=junior.penalty,
    )
    answer = solve_heuristic(zone_case)
    feeder = answer.label
    return FedJunior(feeder[label_p], feeder, conflicts, answer.moves)
