"""How proposals name a district in their rationale."""

from __future__ import annotations

from typing import Any


def district_names(row: Any) -> tuple[str, str]:
    """Name a row's district in Chinese and English for a rationale.

    Uses the row's ``district_name`` / ``district_name_en`` when the caller added them
    (the pipeline does), else the id: ``区县 430102`` / ``District 430102``.
    """
    zh = getattr(row, "district_name", None)
    en = getattr(row, "district_name_en", None)
    zh = str(zh) if isinstance(zh, str) and zh else f"区县{row.district_id}"
    en = str(en) if isinstance(en, str) and en else f"District {row.district_id}"
    return zh, en


def a_or_an(number: int) -> str:
    """Return the article before a number said aloud: "an 18-class school", "a 24-class school".

    >>> [a_or_an(n) for n in (8, 11, 18, 24, 80, 800, 1100)]
    ['an', 'an', 'an', 'a', 'an', 'an', 'a']
    """
    spoken = str(int(number))
    if spoken.startswith("8"):
        return "an"
    # eleven and eighteen (and 11,000, 18,000, … read "eleven thousand")
    return "an" if len(spoken) % 3 == 2 and spoken[:2] in ("11", "18") else "a"
