"""Where a district's places are short: the crowded core around the school most over.

A district can have places for all its pupils and still leave pupils over: the places are
in one part of it and the pupils in another, and a zone must stay in one piece from its
school, so it can carry pupils only so far. :func:`crowded_core` measures how far. Around
the school with most pupils over in the zones drawn, it takes discs of growing radius and
compares the pupils living in each with the places (pupils allowed) of the schools standing
in it. It reports the disc where pupils exceed places the most, and how far out the places
catch up with the pupils. On the Changsha demo's Liuyang (430181) primary case, the disc is
a few kilometres round the town centre, and the places catch up only beyond 30 km.

Measured with straight lines between the units' points, as the zones' travel is.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from .problem import IntArray, ZoneCase, overflow_of

__all__ = ["CROWDED_COLUMNS", "EMPTY_CORE", "crowded_core", "stalled_cases"]

#: The columns :func:`crowded_core` adds to a case's row (``zones_cases.csv``).
CROWDED_COLUMNS = (
    "crowded_school",
    "crowded_km",
    "crowded_pupils",
    "crowded_allowed",
    "catch_up_km",
)

#: What :func:`crowded_core` returns where it has nothing to say.
EMPTY_CORE: dict[str, Any] = dict.fromkeys(CROWDED_COLUMNS, math.nan) | {"crowded_school": ""}


def stalled_cases(cases: pd.DataFrame) -> pd.Series:
    """Return which rows of ``cases`` have places enough, yet more pupils over than forced.

    Places for all their pupils (not ``capacity_short``), yet zones leaving more pupils over
    than no zoning avoids (``over_bound``): the cases the CLI warns of and the zones page
    circles.

    Examples
    --------
    >>> c = pd.DataFrame({"capacity_short": [False, True, False],
    ...     "over_pupils": [120.0, 80.0, 5.0], "over_bound": [0.0, 80.0, 5.0]})
    >>> stalled_cases(c).tolist()
    [True, False, False]
    """
    return ~cases["capacity_short"].astype(bool) & (
        cases["over_pupils"] > cases["over_bound"] + 0.5
    )


def crowded_core(case: ZoneCase, label: IntArray, ids: npt.ArrayLike) -> dict[str, Any]:
    """Return the disc round the school most over where pupils most exceed places.

    ``crowded_school``: the id (from ``ids``, one per school) of the school with most
    pupils over in the zones ``label`` (ties: the first). ``crowded_km``: the radius of
    the disc round it in which the pupils living there exceed the pupils allowed by the
    schools standing there by the most; ``crowded_pupils`` and ``crowded_allowed`` are
    those two sums. ``catch_up_km``: the smallest radius beyond that at which the
    allowed pupils are again at least the pupils (NaN when not within the district).
    Everything is empty (``""``, NaN) when no pupil is over, when the units have no
    points, or when no disc round that school holds more pupils than places (its zone's
    pupils come from far off).

    Examples
    --------
    A row of five units 1 km apart, 100 pupils each; school "a" in unit 0 may take 100,
    school "b" in unit 4 takes 400. Zones 0-2 for "a": 200 over. Within 3 km of "a", 400
    pupils for 100 places (school "b" is 4 km away); places catch up at 4 km:

    >>> from xuewei.planning.zones.problem import make_case
    >>> xy = np.array([[0.0, 0], [1000, 0], [2000, 0], [3000, 0], [4000, 0]])
    >>> c = make_case(np.full(5, 100.0), xy, xy[[0, 4]], np.array([100.0, 400]),
    ...     np.array([0, 4]), np.array([[0, 1], [1, 2], [2, 3], [3, 4]]))
    >>> crowded_core(c, np.array([0, 0, 0, 1, 1]), ["a", "b"])
    {'crowded_school': 'a', 'crowded_km': 3.0, 'crowded_pupils': 400.0, \
'crowded_allowed': 100.0, 'catch_up_km': 4.0}
    """
    over = overflow_of(case, label)
    if case.m == 0 or case.unit_xy is None or float(over.max()) <= 0.5:
        return dict(EMPTY_CORE)
    s = int(np.argmax(over))
    xy = case.unit_xy
    at = xy[int(case.root[s])]
    d_units = np.hypot(*(xy - at).T)
    d_schools = np.hypot(*(xy[case.root] - at).T)
    dist = np.r_[d_units, d_schools]
    change = np.r_[case.pupils, -case.allowed]  # pupils minus allowed, as discs grow
    order = np.argsort(dist, kind="stable")
    radius, cuts = np.unique(dist[order], return_index=True)
    last = np.r_[cuts[1:], order.size] - 1  # the last entry at each distinct radius
    excess = np.cumsum(change[order])[last]
    pupils = np.cumsum(np.where(change > 0, change, 0.0)[order])[last]
    k = int(np.argmax(excess))
    if excess[k] <= 0.5:  # round the school most over, places outnumber pupils at every radius
        return dict(EMPTY_CORE)
    after = np.flatnonzero(excess[k:] <= 1e-9)
    return {
        "crowded_school": str(np.asarray(ids)[s]),
        "crowded_km": float(radius[k]) / 1000.0,
        "crowded_pupils": float(pupils[k]),
        "crowded_allowed": float(pupils[k] - excess[k]),
        "catch_up_km": float(radius[k + after[0]]) / 1000.0 if after.size else math.nan,
    }
