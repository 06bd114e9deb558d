"""The cohort-based demand in the district tooltips of the meeting map.

Beside the per-thousand rule, the pupils forecast from births (with their interval) and the
per-1,000 ratio that forecast implies, as :func:`xuewei.forecast.implied_per_thousand`
computed them (``PlanResult.cohort``); here they are only written into a table.
"""

from __future__ import annotations

from collections.abc import Mapping

from xuewei.maps._labels import Lang, int_text, label, number_text
from xuewei.vocabulary import COMPULSORY_LEVELS

__all__ = ["cohort_tip"]


def cohort_tip(district_id: str, cohort: Mapping[tuple[str, str], dict], lang: Lang) -> str:
    """Cohort-based beside per-thousand demand of a district ('' when it has none).

    ``cohort`` holds the rows of the scenario and year drawn, keyed by
    ``(district_id, level)`` (see :func:`xuewei.maps._select.select_cohort`).

    Examples
    --------
    >>> cohort_tip("yl", {}, "en")
    ''
    """
    rows = [(lvl, cohort.get((district_id, lvl))) for lvl in COMPULSORY_LEVELS]
    if all(row is None for _, row in rows):
        return ""
    head = "".join(
        f"<th>{label(k, lang)}</th>" for k in ("level", "cohort", "per_thousand", "implied")
    )
    body = ""
    for lvl, row in rows:
        if row is None:
            continue
        span = f"{int_text(row['cohort_lower'])}–{int_text(row['cohort_upper'])}"
        implied = number_text(round(float(row["implied_per_1000"]), 1))
        body += (
            f"<tr><td>{label(lvl, lang)}</td>"
            f'<td class="xuewei-n">{int_text(row["cohort_demand"])}'
            f'<br><span class="xuewei-id">{span}</span></td>'
            f'<td class="xuewei-n">{int_text(row["per_thousand_demand"])}</td>'
            f'<td class="xuewei-n">{implied}</td></tr>'
        )
    return (
        f'<div class="xuewei-tip xuewei-cohort"><b>{label("cohort_title", lang)}</b>'
        f"<table>{head}{body}</table></div>"
    )
