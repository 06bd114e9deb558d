"""Checking a level against the levels a standards table defines."""

from __future__ import annotations

from xuewei.errors import StandardsError
from xuewei.vocabulary import LEVELS

__all__ = ["check_level"]


def check_level(level: str, allowed: tuple[str, ...], what: str, *, per_part: bool = False) -> None:
    if level not in LEVELS:
        raise StandardsError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    if level == "nine_year" and per_part:
        raise StandardsError(
            f"{what} counts a nine-year school per part: use 'primary' for its grades 1–6 "
            "and 'junior' for grades 7–9"
        )
    if level not in allowed:
        levels = ", ".join(allowed)
        raise StandardsError(f"{what} is not defined for level {level!r}; levels: {levels}")
