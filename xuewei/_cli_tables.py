"""The CLI's tables of a plan run, as rich tables.

The district summary (every scenario, or the default one within 80 columns) and the build
programme, in Chinese, English or both (``--lang``): headers, titles and district names.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

    from xuewei.pipeline import PlanResult

__all__ = [
    "missing",
    "pct",
    "print_summary",
    "programme_table",
    "programme_years_table",
    "say",
    "summary_table",
]

#: The tables' words: key -> (Chinese, English, both). Headers in both languages are two
#: lines, English over Chinese, so that the columns stay narrow enough for 80 columns.
_WORDS: dict[str, tuple[str, str, str]] = {
    "district": ("区县", "district", "district 区县"),
    "residents": ("常住人口", "residents", "residents\n常住人口"),
    "residents_k": ("常住人口（千人）", "residents ('000)", "residents ('000)\n常住人口（千人）"),
    "offered": ("现有学位", "offered", "offered\n现有学位"),
    "required": ("需求学位", "required", "required\n需求学位"),
    "gap": ("缺口", "gap", "gap\n缺口"),
    "year": ("年份", "year", "year\n年份"),
    "new_schools": ("新建学校", "new schools", "new schools\n新建学校"),
    "expansions": ("改扩建", "expansions", "expansions\n改扩建"),
    "places_added": ("新增学位", "places added", "places added\n新增学位"),
    "to_date": ("累计净增", "net to date", "net to date\n累计净增"),
    "still_short": ("仍缺", "still short", "still short\n仍缺"),
    "compulsory": ("义务教育学位", "compulsory places", "compulsory places (义务教育学位)"),
    "per_1000": ("千人指标", "places per 1,000 residents", "places per 1,000 residents (千人指标)"),
    "wide_hint": ("--wide 显示全部情景", "--wide: every scenario", "--wide: every scenario"),
    "programme": (
        "建设时序（小学+初中）",
        "build programme, primary + junior",
        "build programme (建设时序), primary + junior",
    ),
    "opens": ("每年建成", "what opens each year", "what opens each year"),
    "wrote": ("已写出", "wrote", "wrote"),
}


def say(key: str, lang: str) -> str:
    """Return the table word ``key`` in ``lang`` (``zh``, ``en`` or ``both``).

    Examples
    --------
    >>> say("district", "zh"), say("district", "en"), say("district", "both")
    ('区县', 'district', 'district 区县')
    """
    zh, en, both = _WORDS[key]
    return {"zh": zh, "en": en}.get(lang, both)


def head(key: str, lang: str, tail: str) -> str:
    """Return the header ``key`` with ``tail`` (e.g. " @85") after its English line.

    Examples
    --------
    >>> head("gap", "zh", " @85"), head("gap", "both", " @85").splitlines()
    ('缺口 @85', ['gap @85', '缺口'])
    """
    both = _WORDS[key][2]
    if lang in ("zh", "en"):
        return f"{say(key, lang)}{tail}"
    first, _, rest = both.partition("\n")
    return f"{first}{tail}\n{rest}" if rest else f"{first}{tail}"


def _names(result: PlanResult, lang: str) -> tuple[str, dict[str, str]]:
    """Return the plan's name and the districts' names (by id) in ``lang``."""
    plan = result.plan
    english = result.districts.set_index(result.districts["district_id"].astype(str))
    english_names = english["name_en"] if "name_en" in english.columns else english["name"]
    chinese = english["name"].astype(str).to_dict()
    if lang == "en":
        names = {
            k: str(v) if isinstance(v, str) and v else chinese[k] for k, v in english_names.items()
        }
        return plan.name_en or plan.name, names
    if lang == "zh":
        return plan.name, chinese
    return f"{plan.name} {plan.name_en}".strip(), chinese


def print_summary(console: Console, result: PlanResult, *, wide: bool, lang: str = "both") -> None:
    """Print the full summary if it fits the console (or ``wide``), else the narrow one.

    With ``wide``, the full table keeps its natural width even past the terminal's edge
    rather than being squeezed into wrapped cells.
    """
    table = summary_table(result, lang=lang)
    needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
    if needed <= console.width:
        console.print(table)
    elif wide:
        Console(width=needed, stderr=console.stderr).print(table)
    else:
        console.print(summary_table(result, wide=False, lang=lang))


def summary_table(result: PlanResult, *, wide: bool = True, lang: str = "both") -> Table:
    """Build the per-district summary as a rich table (compulsory places, horizon year).

    ``wide``: every scenario's places required and gap, residents in two columns (about
    150 columns for nine districts and three scenarios); otherwise the default scenario
    only, residents now → horizon in thousands in one column (within 80 columns).
    """
    summary = result.summary()
    base, horizon = result.base_year, result.plan.horizon
    name, names = _names(result, lang)

    def district(row: pd.Series) -> str:  # the last row, "total", is the whole plan
        key = str(row["district_id"])
        if key == "total":
            return str(row["name"]) if lang == "both" else name
        return names.get(key, str(row["name"]))

    last = summary["district_id"].iloc[-2]
    if not wide:
        s = f"{result.standards.default_scenario:g}"
        table = Table(
            title=(
                f"{name} — {horizon}年{say('compulsory', lang)}，千人指标 {s}；"
                f"{say('wide_hint', lang)}"
                if lang == "zh"
                else f"{name} — {say('compulsory', lang)}, {horizon}, at {s} "
                f"{say('per_1000', lang)}; {say('wide_hint', lang)}"
            ),
            title_justify="left",
        )
        table.add_column(say("district", lang))
        table.add_column(f"{say('residents_k', lang)}\n{base} → {horizon}", justify="right")
        for column in (
            say("offered", lang),
            head("required", lang, f" @{s}"),
            head("gap", lang, f" @{s}"),
        ):
            table.add_column(column, justify="right")
        for _, row in summary.iterrows():
            table.add_row(
                district(row),
                f"{thousands(row[f'residents_{base}'])} → {thousands(row[f'residents_{horizon}'])}",
                whole(row["offered"]),
                whole(row[f"required_{s}"]),
                signed_gap(row[f"gap_{s}"]),
                end_section=row["district_id"] == last,
            )
        return table
    scenarios = [c.removeprefix("required_") for c in summary.columns if c.startswith("required_")]
    table = Table(
        title=(
            f"{name} — {horizon}年{say('compulsory', lang)}；@ 后为千人指标"
            if lang == "zh"
            else f"{name} — {say('compulsory', lang)}, {horizon}; @ = {say('per_1000', lang)}"
        ),
        title_justify="left",
    )
    table.add_column(say("district", lang))
    table.add_column(head("residents", lang, f" {base}"), justify="right")
    table.add_column(head("residents", lang, f" {horizon}"), justify="right")
    for s in scenarios:
        table.add_column(head("required", lang, f" @{s}"), justify="right")
    table.add_column(say("offered", lang), justify="right")
    for s in scenarios:
        table.add_column(head("gap", lang, f" @{s}"), justify="right")
    for _, row in summary.iterrows():
        cells = [
            district(row),
            whole(row[f"residents_{base}"]),
            whole(row[f"residents_{horizon}"]),
            *(whole(row[f"required_{s}"]) for s in scenarios),
            whole(row["offered"]),
            *(signed_gap(row[f"gap_{s}"]) for s in scenarios),
        ]
        table.add_row(*cells, end_section=row["district_id"] == last)
    return table


def programme_table(result: PlanResult, *, lang: str = "both") -> Table:
    """Build the city's build programme as a rich table (default scenario, year by year).

    Places still missing are the districts' remaining deficits added up (a surplus in one
    district does not fill another's gap).
    """
    scenario = result.standards.default_scenario
    programme = result.programme_for(scenario)
    assert programme is not None
    return programme_years_table(programme, scenario, lang=lang)


def programme_years_table(
    programme: pd.DataFrame, scenario: float, *, lang: str = "both", where: str = ""
) -> Table:
    """Build a build programme's rich table, year by year (``where``: a district's name).

    ``programme`` holds one scenario's rows (:data:`~xuewei.planning.PROGRAMME_COLUMNS`);
    its districts and levels are added up. Places still missing are the districts'
    remaining deficits added up (a surplus in one district does not fill another's gap).
    """
    rows = programme.groupby("year", sort=True).agg(
        new_schools=("new_schools", "sum"),
        expansions=("expansions", "sum"),
        places_added=("places_added", "sum"),
        cumulative=("cumulative_places", "sum"),
        missing=("remaining_gap", lambda g: g.clip(lower=0).sum(min_count=1)),
    )
    place = f"{where}：" if where and lang == "zh" else f"{where}: " if where else ""
    table = Table(
        title=(
            f"{place}{say('programme', lang)}，千人指标 {scenario:g}：{say('opens', lang)}"
            if lang == "zh"
            else f"{place}{say('programme', lang)}, at {scenario:g} per 1,000: {say('opens', lang)}"
        ),
        title_justify="left",
        caption=_closures_caption(programme, lang),
        caption_justify="left",
    )
    for key in ("year", "new_schools", "expansions", "places_added", "to_date", "still_short"):
        table.add_column(say(key, lang), justify="right")
    for year, row in rows.iterrows():
        table.add_row(
            str(year),
            str(int(row["new_schools"])),
            str(int(row["expansions"])),
            whole(row["places_added"]),
            whole(row["cumulative"]),
            whole(row["missing"]) if not missing(row["missing"]) else "",
        )
    return table


def _closures_caption(programme: pd.DataFrame, lang: str) -> str | None:
    """Say what 'net to date' takes off: the schools merged away, and their places, by year.

    >>> import pandas as pd
    >>> p = pd.DataFrame({"year": [2025, 2025, 2028], "closures": [2, 1, 1],
    ...                   "places_closed": [540.0, 270.0, 300.0]})
    >>> print(_closures_caption(p, "en"))
    net to date is net of the schools merged away: 3 in 2025 (810 places), 1 in 2028 (300 places)
    """
    if "closures" not in programme or not programme["closures"].sum():
        return None
    shut = programme.groupby("year", sort=True)[["closures", "places_closed"]].sum()
    shut = shut[shut["closures"] > 0]
    zh = "累计净增已扣除撤并学校：" + "，".join(
        f"{y}年{int(r.closures)}所（{r.places_closed:,.0f}个学位）" for y, r in shut.iterrows()
    )
    en = "net to date is net of the schools merged away: " + ", ".join(
        f"{int(r.closures)} in {y} ({r.places_closed:,.0f} places)" for y, r in shut.iterrows()
    )
    return {"zh": zh, "en": en}.get(lang, f"{en} ({zh})")


def missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def pct(value: float) -> str:
    return "—" if missing(value) else f"{value:.2f}%"


def whole(value: float) -> str:
    return "" if missing(value) else f"{value:,.0f}"


def thousands(value: float) -> str:
    return "" if missing(value) else f"{value / 1000:,.0f}"


def signed_gap(value: float) -> str:
    text = whole(value)
    if value > 0:
        return f"[red]+{text}[/]"
    return f"[blue]{text}[/]"
