"""The CLI's readiness lines: how many counties are ready by their target year, and which not.

Printed after the build programme by ``plan`` and ``demo``: one line with the count (and
where the target years come from, so that synthetic targets are seen as such), and one
line per county not ready with the year it would be (or "not by the horizon") and its
first missing criterion. Wrapped by rich to the terminal (80 columns fit).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape

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
    "never": ("规划期内未达标", "not ready by the horizon"),
    "missing": ("缺", "missing"),
}


def _say(key: str, lang: str) -> str:
    zh, en = _WORDS[key]
    return {"zh": zh, "en": en}.get(lang, f"{en} ({zh})" if key == "ready" else en)


def _first_missed(table: Any, district: str, lang: str) -> str:
    """Return the county's first criterion not met, with its shortfall, in ``lang``."""
    from xuewei.planning.readiness import CRITERIA

    missed = ~table["met"].fillna(True).astype(bool)
    rows = table[(table["district_id"] == district) & missed]
    if rows.empty:
        return ""
    r = rows.iloc[0]
    zh, en, unit = CRITERIA[str(r["criterion"])]
    level = "" if r["level"] not in ("primary", "junior") else f" {r['level']}"
    amount = (
        f"{r['shortfall']:.3f}" if unit == "coefficient of variation" else f"{r['shortfall']:,.0f}"
    )
    if lang == "zh":
        return f"{zh}{level}（差{amount}）"
    return f"{en}{level} (short {amount} {unit})"


def readiness_lines(result: PlanResult, *, lang: str = "both") -> list[str]:
    """Return the readiness lines of a run (none when it has no readiness table).

    The first line counts the counties ready by their target year and names the file the
    target years come from (the reader sees synthetic targets as such); then one line per
    county not ready: its target year, the year it would be ready or "not by the horizon",
    and its first missing criterion with the shortfall.
    """
    if result.readiness is None:
        return []
    ready, total = result.readiness.headline()
    spec = result.plan.inputs.get("targets")
    source = spec.path.name if spec is not None else _say("none", lang)
    lines = [f"{ready} / {total} {_say('ready', lang)} — {_say('targets', lang)}: {source}"]
    districts = result.districts.set_index(result.districts["district_id"].astype(str))
    names = districts["name"].astype(str)
    if lang == "en" and "name_en" in districts:
        names = districts["name_en"].where(districts["name_en"].notna(), names).astype(str)
    summary = result.readiness.summary
    not_ready: list[Any] = list(
        summary[~summary["ready"].fillna(False).astype(bool)].itertuples(index=False)
    )
    for row in not_ready:
        when = (
            f"{_say('from', lang)} {row.first_year_ready}"
            if row.first_year_ready is not None and str(row.first_year_ready) != "<NA>"
            else _say("never", lang)
        )
        first = _first_missed(result.readiness.table, str(row.district_id), lang)
        gap = f"; {_say('missing', lang)} {first}" if first else ""
        name = names.get(str(row.district_id), str(row.district_id))
        lines.append(f"  {name} {row.target_year}: {when}{gap}")
    return lines


def print_readiness(console: Console, result: PlanResult, *, lang: str = "both") -> None:
    """Print :func:`readiness_lines` (nothing without a readiness table)."""
    for i, line in enumerate(readiness_lines(result, lang=lang)):
        console.print(f"[bold]{escape(line)}[/]" if i == 0 else escape(line), highlight=False)
