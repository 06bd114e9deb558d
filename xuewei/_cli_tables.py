"""The CLI's tables of a plan run, as rich tables.

The district summary (every scenario, or the default one within 80 columns) and the build
programme.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

if TYPE_CHECKING:
    from xuewei.pipeline import PlanResult

__all__ = ["missing", "pct", "print_summary", "programme_table", "summary_table"]


def print_summary(console: Console, result: PlanResult, *, wide: bool) -> None:
    """Print the full summary if it fits the console (or ``wide``), else the narrow one.

    With ``wide``, the full table keeps its natural width even past the terminal's edge
    rather than being squeezed into wrapped cells.
    """
    table = summary_table(result)
    needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
    if needed <= console.width:
        console.print(table)
    elif wide:
        Console(width=needed, stderr=console.stderr).print(table)
    else:
        console.print(summary_table(result, wide=False))


def summary_table(result: PlanResult, *, wide: bool = True) -> Table:
    """Build the per-district summary as a rich table (compulsory places, horizon year).

    ``wide``: every scenario's places required and gap, residents in two columns (about
    150 columns for nine districts and three scenarios); otherwise the default scenario
    only, residents now → horizon in thousands in one column (within 80 columns).
    """
    summary = result.summary()
    base, horizon = result.base_year, result.plan.horizon
    name = f"{result.plan.name} {result.plan.name_en}".strip()
    last = summary["district_id"].iloc[-2]
    if not wide:
        s = f"{result.standards.default_scenario:g}"
        table = Table(
            title=(
                f"{name} — compulsory places (义务教育学位), {horizon}, at {s} places per "
                "1,000 residents (千人指标); --wide: every scenario"
            ),
            title_justify="left",
        )
        table.add_column("district 区县")
        table.add_column(f"residents ('000)\n{base} → {horizon}", justify="right")
        for column in ("offered", f"required @{s}", f"gap @{s}"):
            table.add_column(column, justify="right")
        for _, row in summary.iterrows():
            table.add_row(
                str(row["name"]),
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
            f"{name} — compulsory places (义务教育学位), {horizon}; "
            "scenarios = places per 1,000 residents (千人指标)"
        ),
        title_justify="left",
    )
    table.add_column("district 区县")
    table.add_column(f"residents {base}", justify="right")
    table.add_column(f"residents {horizon}", justify="right")
    for s in scenarios:
        table.add_column(f"required @{s}", justify="right")
    table.add_column("offered", justify="right")
    for s in scenarios:
        table.add_column(f"gap @{s}", justify="right")
    for _, row in summary.iterrows():
        cells = [
            str(row["name"]),
            whole(row[f"residents_{base}"]),
            whole(row[f"residents_{horizon}"]),
            *(whole(row[f"required_{s}"]) for s in scenarios),
            whole(row["offered"]),
            *(signed_gap(row[f"gap_{s}"]) for s in scenarios),
        ]
        table.add_row(*cells, end_section=row["district_id"] == last)
    return table


def programme_table(result: PlanResult) -> Table:
    """Build the city's build programme as a rich table (default scenario, year by year).

    Places still missing are the districts' remaining deficits added up (a surplus in one
    district does not fill another's gap).
    """
    scenario = result.standards.default_scenario
    programme = result.programme_for(scenario)
    assert programme is not None
    rows = programme.groupby("year", sort=True).agg(
        new_schools=("new_schools", "sum"),
        expansions=("expansions", "sum"),
        places_added=("places_added", "sum"),
        cumulative=("cumulative_places", "sum"),
        missing=("remaining_gap", lambda g: g.clip(lower=0).sum(min_count=1)),
    )
    table = Table(
        title=(
            f"build programme (建设时序), primary + junior, at {scenario:g} per 1,000: "
            "what opens each year"
        ),
        title_justify="left",
    )
    for name in ("year", "new schools", "expansions", "places added", "to date", "still short"):
        table.add_column(name, justify="right")
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
