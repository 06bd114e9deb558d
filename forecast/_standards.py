"""Planning standards read by the forecast methods (a thin, lazy bridge to ``planning``).

The forecast stage sits before planning in the pipeline, but a few of its defaults (grade
counts, entry age, progression window, household size, pupil yield) are planning standards
kept in ``data/standards.toml``. They are read here lazily, so that importing
``xuewei.forecast`` never imports ``xuewei.planning``; a key missing from the standards falls
back to the keyword default its caller documents.
"""

from __future__ import annotations

from typing import Any

from xuewei.errors import ConfigError


def standard(key: str, default: Any) -> Any:
    """Return the standard at ``key``, or ``default`` when the standards do not have it."""
    from xuewei.data.standards import load_standards

    try:
        return load_standards().value(key)
    except ConfigError:
        return default
