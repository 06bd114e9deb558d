"""What a solve returns: :class:`SitingResult`, and the raw answer a solver hands back.

Every model ends the same way: the open sites, one assignment row per (demand, site) flow,
the load of each site and the solver's status, bound and gap, gathered by
:func:`build_result` into a :class:`SitingResult`. :class:`Solved` is the raw answer of a
HiGHS solve (or of the p-median's bound-and-search) before it is read back into tables.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from xuewei.planning.siting.geometry import BoolArray, FloatArray

if TYPE_CHECKING:
    from xuewei.planning.siting.problem import SitingProblem

__all__ = ["Method", "Model", "SitingResult", "Solved", "build_result"]

Model = Literal["p_median", "mclp", "capacitated"]
Method = Literal["auto", "exact", "benders", "greedy"]


@dataclass(frozen=True)
class SitingResult:
    """The answer of one location-allocation model.

    Attributes
    ----------
    model
        ``p_median``, ``mclp`` or ``capacitated``.
    method
        ``highs`` (exact: a MIP in HiGHS, or the p-median's bound meeting its answer),
        ``benders`` (exact: Benders decomposition with a HiGHS master) or ``greedy`` (a
        heuristic: no optimality guarantee).
    status
        ``optimal`` (within ``mip_rel_gap``), ``time_limit`` (stopped by the time limit,
        or by the p-median search's limits, with a feasible answer; ``bound`` and ``gap``
        are still proven) or ``heuristic``.
    objective
        p-median: weighted distance (weight × metres) of all demand to its nearest open
        site; MCLP: demand weight covered; capacitated: weighted distance of the assigned
        demand.
    bound
        The solver's best bound on the objective (NaN for the heuristic).
    gap
        Relative optimality gap ``|objective − bound| / |objective|`` (NaN for the
        heuristic).
    seconds
        Wall time of building and solving.
    sites
        One row per candidate: ``site_id``, ``fixed``, ``open``, ``assigned`` (demand
        weight served there), ``capacity`` (NaN when uncapacitated).
    assignment
        One row per (demand, site) flow: ``demand_id``, ``site_id``, ``weight``,
        ``distance_m``. Demand not served (beyond the radius, or no room) has a row with
        ``site_id`` missing; per demand the weights add up to its weight exactly.
    unassigned
        Demand weight left unserved (MCLP: not covered; capacitated: did not fit).
    note
        Plain words on how the answer was found.
    """

    model: str
    method: str
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float
    sites: pd.DataFrame
    assignment: pd.DataFrame
    unassigned: float
    note: str = ""

    @property
    def open_sites(self) -> list[object]:
        """Ids of the sites opened by the model, fixed sites excluded, in input order."""
        s = self.sites
        return s.loc[s["open"] & ~s["fixed"], "site_id"].tolist()


@dataclass(frozen=True)
class Solved:
    """A solver's answer: the column values, objective, bound, relative gap and status."""

    x: FloatArray
    objective: float
    bound: float
    gap: float
    status: str


def build_result(
    problem: SitingProblem,
    model: str,
    open_: BoolArray,
    assignment: pd.DataFrame,
    objective: float,
    solved: Solved | None,
    t0: float,
    note: str,
    unassigned: float,
    method: str = "highs",
) -> SitingResult:
    """Gather a model's answer into a :class:`SitingResult` (``solved`` None: greedy)."""
    served = assignment.dropna(subset=["site_id"]).groupby("site_id", sort=False)["weight"]
    load = served.sum()
    sites = pd.DataFrame(
        {
            "site_id": problem.site_ids.to_numpy(),
            "fixed": problem.fixed,
            "open": open_,
            "assigned": problem.site_ids.map(load.to_dict()).to_numpy(
                dtype=np.float64, na_value=0.0
            ),
            "capacity": problem.capacity,
        }
    )
    if solved is None or solved.status == "heuristic":
        method, status, bound, gap = "greedy", "heuristic", math.nan, math.nan
    else:
        status, bound = solved.status, solved.bound
        gap = abs(objective - bound) / max(abs(objective), 1e-12)
        if model == "capacitated":
            gap = solved.gap
    return SitingResult(
        model=model,
        method=method,
        status=status,
        objective=objective,
        bound=bound,
        gap=gap,
        seconds=time.perf_counter() - t0,
        sites=sites,
        assignment=assignment,
        unassigned=unassigned,
        note=note,
    )
