"""County readiness for high-quality balanced compulsory education (优质均衡).

Will each county be ready by its target year, and if not, what is missing? The target
years (:mod:`~xuewei.planning.readiness.targets`), the balance indicators of the national
assessment and their coefficient of variation (:mod:`~xuewei.planning.readiness.balance`),
the matching-school check of new estates (配建, :mod:`~xuewei.planning.readiness.matching`),
the criteria per county and year (:mod:`~xuewei.planning.readiness.criteria`) and their
reading in each county's target year (:mod:`~xuewei.planning.readiness.assess`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xuewei._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__)

if TYPE_CHECKING:
    from xuewei.planning.readiness.assess import (
        CRITERIA,
        READINESS_COLUMNS,
        Readiness,
        assess_readiness,
        missed_words,
        readiness_summary,
        shortfall_words,
    )
    from xuewei.planning.readiness.balance import (
        ATTRIBUTES,
        balance_cv,
        coefficient_of_variation,
        school_indicators,
        school_minimums,
    )
    from xuewei.planning.readiness.matching import MATCHING_COLUMNS, matching_schools
    from xuewei.planning.readiness.targets import (
        TARGET_COLUMNS,
        check_targets,
        qujing_targets,
        read_targets,
    )
