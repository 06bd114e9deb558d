"""What a standard new school is: levels planned, standard sizes, where sites come from.

The largest standard school (建标102-2002: 12/18/24/30 classes) that fits under the
school-size cap, and the smallest standard size that covers a number of places; shared by
the count of new schools (:mod:`xuewei.planning.additions`), the siting
(:mod:`xuewei.planning.locate`, :mod:`xuewei.planning.siting.candidates`) and the proposals.
"""

from __future__ import annotations

from xuewei.data import Standards
from xuewei.errors import StandardsError
from xuewei.vocabulary import COMPULSORY_LEVELS, Level

__all__ = [
    "GENERATED_SOURCE",
    "INPUT_SOURCE",
    "PLANNED_LEVELS",
    "smallest_covering",
    "standard_school",
]

#: Levels new schools are planned for (the gap table's ``compulsory`` is their sum).
PLANNED_LEVELS: tuple[Level, ...] = COMPULSORY_LEVELS

#: ``site_source`` of a site from the plan's ``candidate_sites`` (reserved education land).
INPUT_SOURCE = "candidate_sites"
#: ``site_source`` of a site of :func:`xuewei.planning.siting.generate_candidate_sites`
#: (the ``source`` it writes).
GENERATED_SOURCE = "generated grid"


def standard_school(standards: Standards, level: Level) -> tuple[int, int]:
    """Return ``(classes, places)`` of the largest standard school under the size cap.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> s = load_standards()
    >>> standard_school(s, "primary"), standard_school(s, "junior")
    ((30, 1350), (30, 1500))
    """
    size = standards.class_size(level)
    cap = standards.school_size_cap(level)
    fits = [c for c in standards.standard_classes(level) if c * size <= cap]
    if not fits:
        raise StandardsError(
            f"no standard {level} school size fits under the cap of {cap} pupils at {size} per "
            "class; check standard_classes and school_size_cap"
        )
    return max(fits), max(fits) * size


def smallest_covering(standards: Standards, level: Level, places: float) -> int:
    """Return the classes of the smallest standard school (under the cap) with ``places``.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> smallest_covering(load_standards(), "junior", 728.0)
    18
    """
    size = standards.class_size(level)
    cap = standards.school_size_cap(level)
    sizes = sorted(c for c in standards.standard_classes(level) if c * size <= cap)
    for c in sizes:
        if c * size >= places:
            return c
    return sizes[-1]
