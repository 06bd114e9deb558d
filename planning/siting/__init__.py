"""Where to build: location-allocation over candidate sites, solved exactly with HiGHS.

Build a :class:`SitingProblem` from demand and candidate sites (or a distance matrix), then
ask a model — :meth:`~SitingProblem.p_median`, :meth:`~SitingProblem.mclp` or
:meth:`~SitingProblem.capacitated` — for a :class:`SitingResult`.
:func:`generate_candidate_sites` offers a grid of sites when a plan names no education
land. The modules, by concern:

- :mod:`~xuewei.planning.siting.problem` — the problem, its inputs and its three models;
- :mod:`~xuewei.planning.siting.result` — what a solve returns;
- :mod:`~xuewei.planning.siting.pmedian`, :mod:`~xuewei.planning.siting.mclp`,
  :mod:`~xuewei.planning.siting.capacitated` — one model each: its sparse formulation,
  greedy heuristic and result tables (the p-median's MIP is in
  :mod:`~xuewei.planning.siting.radius_model`);
- :mod:`~xuewei.planning.siting.benders_pmedian`, :mod:`~xuewei.planning.siting.benders_mclp`
  — Benders decomposition of the p-median and the MCLP (``method="benders"``);
- :mod:`~xuewei.planning.siting.highs` — the HiGHS solve every exact model goes through;
- :mod:`~xuewei.planning.siting.lagrangian`, :mod:`~xuewei.planning.siting.local_search`,
  :mod:`~xuewei.planning.siting.interchange`, :mod:`~xuewei.planning.siting.shake` — the
  p-median's lower bound, swap searches, fast interchange and shake search;
- :mod:`~xuewei.planning.siting.geometry`, :mod:`~xuewei.planning.siting.lists` —
  demand–site distances and each demand's candidate list;
- :mod:`~xuewei.planning.siting.limits` — when ``method="auto"`` turns greedy, and the
  search budgets;
- :mod:`~xuewei.planning.siting.candidates` — generated candidate sites.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xuewei._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__)

if TYPE_CHECKING:
    from xuewei.planning.siting.candidates import (
        DEFAULT_MAX_SITES,
        GENERATED_SOURCE,
        MAX_GRID_NODES,
        SCHOOL_GAP_FRACTION,
        generate_candidate_sites,
    )
    from xuewei.planning.siting.limits import (
        LAGRANGIAN_ITERS,
        LAGRANGIAN_ROUNDS,
        MAX_EXACT_PAIRS,
        MAX_HIGHS_ENTRIES,
        MAX_LAGRANGIAN_ENTRIES,
        MAX_SWAP_PAIRS,
        MIN_BENDERS_DEMAND,
        SEARCH_SHARE,
        SHAKE_PATIENCE,
    )
    from xuewei.planning.siting.problem import SitingProblem
    from xuewei.planning.siting.result import Method, Model, SitingResult
