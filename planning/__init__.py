"""School-place planning: standards, demand, supply, gaps, siting, mergers and proposals.

Stages 3–4 and 6 of the pipeline: required places per district, level, year and
scenario from forecast residents; places offered by schools at standard class sizes; the
gap between them; schools that break the class- and school-size standards; how many
schools to build or expand and where (location-allocation); which small under-used
schools to merge (build before close); kindergartens, special education, staff and money.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xuewei._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__)

if TYPE_CHECKING:
    from xuewei.planning.additions import (
        PROGRAMME_COLUMNS,
        build_programme,
        school_counts,
        staged_additions,
        with_closures,
    )
    from xuewei.planning.demand import COMPULSORY, required_places
    from xuewei.planning.gaps import place_gaps
    from xuewei.planning.locate import locate_new_schools
    from xuewei.planning.mergers import merger_candidates, plan_mergers, unserved_residents
    from xuewei.planning.proposals import (
        PROPOSAL_COLUMNS,
        proposals_of_scenario,
        proposals_table,
    )
    from xuewei.planning.rules import (
        kindergarten_needs,
        special_education_needs,
        staffing_and_funding,
    )
    from xuewei.planning.school_sizes import standard_school
    from xuewei.planning.siting.candidates import generate_candidate_sites
    from xuewei.planning.siting.problem import SitingProblem
    from xuewei.planning.siting.result import SitingResult
    from xuewei.planning.supply import offered_places, school_places
