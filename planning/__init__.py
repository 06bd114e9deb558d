"""School-place planning: standards, demand, supply and gaps.

Stages 3–4 (and later 6) of the pipeline: required places per district, level, year and
scenario from forecast residents; places offered by schools at standard class sizes; the
gap between them; schools that break the class- and school-size standards.
"""

from xuewei.planning.demand import COMPULSORY, required_places
from xuewei.planning.gaps import place_gaps
from xuewei.planning.standards import Level, Standards, load_standards
from xuewei.planning.supply import offered_places, school_places

__all__ = [
    "COMPULSORY",
    "Level",
    "Standards",
    "load_standards",
    "offered_places",
    "place_gaps",
    "required_places",
    "school_places",
]
