"""Size limits and search budgets of siting: when to go greedy, dense, or stop searching.

The exact models hold one entry per allowed (demand, site) pair; above these sizes
``method="auto"`` answers with a heuristic (and says so) instead of running out of memory
or time. The Lagrangian and shake budgets bound the p-median's search before HiGHS. The
figures come from the benchmarks (``benchmarks/siting.md``).
"""

from __future__ import annotations

__all__ = [
    "LAGRANGIAN_ITERS",
    "LAGRANGIAN_ROUNDS",
    "MAX_EXACT_PAIRS",
    "MAX_HIGHS_ENTRIES",
    "MAX_LAGRANGIAN_ENTRIES",
    "MAX_SWAP_PAIRS",
    "MIN_BENDERS_DEMAND",
    "SEARCH_SHARE",
    "SHAKE_PATIENCE",
]

#: Above this many demand–site pairs, ``method="auto"`` uses the greedy heuristic.
MAX_EXACT_PAIRS = 30_000_000
#: Up to this many pairs the p-median heuristic improves its answer by swaps (dense).
MAX_SWAP_PAIRS = 12_000_000
#: Above this many list entries (at sites not ruled out), ``method="auto"`` does not hand a
#: p-median that the bound and the search left open to HiGHS (it does not help in time).
MAX_HIGHS_ENTRIES = 400_000
#: The Lagrangian bound uses longer candidate lists up to this many (demand, site) entries.
MAX_LAGRANGIAN_ENTRIES = 8_000_000
#: Subgradient iterations per Lagrangian pass, and most passes (each warm-started, with the
#: upper bound improved in between).
LAGRANGIAN_ITERS = 300
LAGRANGIAN_ROUNDS = 8
#: Shakes in a row without a better answer before the search gives up.
SHAKE_PATIENCE = 400
#: Share of ``time_limit_s`` the p-median's search (Lagrangian passes and shakes) may use
#: when HiGHS may follow it; the rest is HiGHS's (the whole call stays within the limit).
SEARCH_SHARE = 0.5
#: From this many demand points (given as points), ``method="auto"`` solves the MCLP by
#: Benders decomposition on coverage classes read in chunks instead of the compact model
#: over the whole coverage matrix: measured 6× faster at 5,000 × 500, 5.6× at 20,000 ×
#: 2,000, and at 1,000,000 × 5,000 proven optimal in 39 s and 0.65 GB where the compact
#: model was not proven in 187 s and took 2.4 GB (``benchmarks/siting.md``, 2026-12-04).
MIN_BENDERS_DEMAND = 5_000
