"""The CLI's readiness lines: how many counties are ready by their target year, and which not.

Printed after the build programme by ``plan`` and ``demo``: one line with the count (and
where the target years come from, so that synthetic targets are seen as such), and a
table of the counties not ready: target year, the year each would be ready (or "not by
the horizon") and its first missing criterion. rich fits the table to the terminal (80
columns fit), wrapping within its cells.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Console

    from xuewei.pipeline import PlanResult

__all__ = ["print_readiness", "readiness_lines"]

_WORDS: dict[str, tuple[str, str]] = {
    "ready": (
        "个区县按期达到优质均衡",
        "counties ready for high-quality balance by their target year",
    ),
    "targets": ("目标年", "target years"),
    "none": ("无目标年，按规划期末", "none given: read at the horizon"),
    "from": ("起达标", "ready from"),
    "never": ("规划期内未达标", "not by the horizon"),
    "missing": ("缺", "missing"),
    "district": ("区县", "district"),
    "target": ("目标年", "target"),
    "when": ("达标年", "ready from"),
    "first": ("首要缺项", "first missing"),
}


def _say(key: str, lang: str) -> str:
    zh, en = _WORDS[key]
    return {"zh": zh, "en": en}.get(lang, en)


def _cell(key: str, lang: str) -> str:
    """Return a header or cell word; in both languages, English over Chinese."""
    zh, en = _WORDS[key]
    return {"zh": zh, "en": en}.get(lang, f"{en}\n{zh}")


def _first_missed(table: Any, district: str, lang: str) -> str:
    """Return the county's first criterion not met, with its shortfall, in ``lang``."""
    from xuewei.planning.readiness import missed_words

    missed = ~table["met"].fillna(True).astype(bool)
    rows = table[(table["district_id"] == district) & missed]
    if rows.empty:
        return ""
    r = rows.iloc[0]
    return missed_words(str(r["criterion"]), str(r["level"]), float(r["shortfall"]), lang)


def _not_ready(result: PlanResult, lang: str) -> list[tuple[str, str, str, str]]:
    """Per county not ready: name, target year, when it would be ready, first missing."""
    assert result.readiness is not None
    districts = result.districts.set_index(result.districts["district_id"].astype(str))
    names = districts["name"].astype(str)
    if lang == "en" and "name_en" in districts:
        names = districts["name_en"].where(districts["name_en"].notna(), names).astype(str)
    summary = result.readiness.summary
    rows = []
    for row in summary[~summary["ready"].fillna(False).astype(bool)].itertuples(index=False):
        first_year = getattr(row, "first_year_ready", None)
        when = (
            str(first_year)
            if first_year is not None and str(first_year) != "<NA>"
            else _cell("never", lang)
        )
        first = _first_missed(result.readiness.table, str(row.district_id), lang)
        name = names.get(str(row.district_id), str(row.district_id))
        rows.append((name, str(row.target_year), when, first))
    return rows


def _title(result: PlanResult, lang: str) -> str:
    assert result.readiness is not None
    ready, total = result.readiness.headline()
    spec = result.plan.inputs.get("targets")
    source = spec.path.name if spec is not None else _say("none", lang)
    zh, en = _WORDS["ready"]
    count = f"{ready} / {total}"
    said = {"zh": f"{count} {zh}", "en": f"{count} {en}"}.get(lang, f"{count} {en}")
    title = f"{said} — {_say('targets', lang)}: {source}"
    # in both languages the Chinese on a line of its own, not wrapped into the English
    return title if lang in ("zh", "en") else f"{title}\n{count} {zh}"


def readiness_lines(result: PlanResult, *, lang: str = "both") -> list[str]:
    """Return the readiness lines of a run (none when it has no readiness table).

    The first line counts the counties ready by their target year and names the file the
    target years come from (the reader sees synthetic targets as such); then one line per
    county not ready: its target year, the year it would be ready or "not by the horizon",
    and its first missing criterion with the shortfall.
    """
    if result.readiness is None:
        return []
    lines = _title(result, lang).splitlines()
    for name, target, when, first in _not_ready(result, lang):
        gap = f"; {_say('missing', lang)} {first}" if first else ""
        lines.append(f"  {name} {target}: {when}{gap}".replace("\n", " "))
    return lines


def print_readiness(console: Console, result: PlanResult, *, lang: str = "both") -> None:
    """Print the count of counties ready and a table of those not (nothing without one)."""
    if result.readiness is None:
        return
    console.print(f"[bold]{escape(_title(result, lang))}[/]", highlight=False)
    rows = _not_ready(result, lang)
    if not rows:
        return
    table = Table()
    for key, justify in (("district", "left"), ("target", "right"), ("when", "left")):
        table.add_column(_cell(key, lang), justify=justify, no_wrap=True)  # type: ignore[arg-type]
    table.add_column(_cell("first", lang), ratio=1)
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)
