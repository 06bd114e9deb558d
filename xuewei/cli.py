"""The ``xuewei`` command: option parsing plus one library call per command.

Commands exit non-zero on failure, print input problems as one list, and refuse to
overwrite outputs without ``--overwrite``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from xuewei.config import load_plan
from xuewei.errors import XueweiError
from xuewei.outputs import write_outputs
from xuewei.pipeline import PlanResult, run_plan, validate_plan

__all__ = ["app", "main"]

app = typer.Typer(
    name="xuewei",
    help="学位 xuewei — school-place forecasts and school site planning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Wide enough for the nine-district summary when output goes to a file, CI log or notebook.
_MIN_WIDTH = 150


def _console(*, stderr: bool = False) -> Console:
    console = Console(stderr=stderr)
    if not console.is_terminal:
        console = Console(stderr=stderr, width=max(console.width, _MIN_WIDTH))
    return console


OutOption = Annotated[Path, typer.Option("--out", "-o", help="Output folder.")]
OverwriteOption = Annotated[
    bool, typer.Option("--overwrite", help="Replace outputs that already exist.")
]


@app.command()
def demo(
    out: OutOption = Path("out/changsha"),
    overwrite: OverwriteOption = False,
) -> None:
    """Run the embedded Changsha (长沙) plan and write its outputs.

    Example: xuewei demo --out out/changsha --overwrite
    """
    from xuewei.data import CHANGSHA_DIR

    _run(CHANGSHA_DIR / "plan.toml", out, overwrite)


@app.command()
def plan(
    plan_file: Annotated[Path, typer.Argument(help="The plan's TOML file.")],
    out: OutOption = Path("out"),
    overwrite: OverwriteOption = False,
) -> None:
    """Run a plan file end to end: forecast, places required and offered, gaps, outputs.

    Example: xuewei plan my_county/plan.toml --out out/my_county
    """
    _run(plan_file, out, overwrite)


@app.command()
def validate(
    plan_file: Annotated[Path, typer.Argument(help="The plan's TOML file.")],
) -> None:
    """Check a plan file and every input it names; list every problem at once.

    Exits 0 when everything is valid, 1 otherwise.

    Example: xuewei validate my_county/plan.toml
    """
    console = _console()
    try:
        problems = validate_plan(load_plan(plan_file))
    except XueweiError as exc:
        _console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    if problems:
        err = _console(stderr=True)
        err.print(f"[bold red]{len(problems)} problem(s) found:[/]")
        for problem in problems:
            err.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(1)
    console.print(f"[green]{plan_file}: all inputs valid[/]", highlight=False)


def _run(plan_file: Path, out: Path, overwrite: bool) -> None:
    console = _console()
    try:
        with console.status("reading inputs, forecasting, computing gaps…"):
            result = run_plan(load_plan(plan_file))
        with console.status("writing outputs…"):
            paths = write_outputs(result, out, overwrite=overwrite)
    except XueweiError as exc:
        _console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    console.print(summary_table(result))
    if result.plan.data_note:
        console.print(f"[yellow]{result.plan.data_note}[/]", highlight=False)
    console.print("[bold]wrote[/]")
    for path in paths.values():
        console.print(f"  {path}", highlight=False)


def summary_table(result: PlanResult) -> Table:
    """Build the per-district summary as a rich table (compulsory places, horizon year)."""
    summary = result.summary()
    horizon = result.plan.horizon
    scenarios = [c.removeprefix("required_") for c in summary.columns if c.startswith("required_")]
    table = Table(
        title=(
            f"{result.plan.name} {result.plan.name_en} — compulsory places (义务教育学位), "
            f"{horizon}; scenarios = places per 1,000 residents (千人指标)"
        ),
        title_justify="left",
    )
    table.add_column("district 区县")
    table.add_column(f"residents {result.base_year}", justify="right")
    table.add_column(f"residents {horizon}", justify="right")
    for s in scenarios:
        table.add_column(f"required @{s}", justify="right")
    table.add_column("offered", justify="right")
    for s in scenarios:
        table.add_column(f"gap @{s}", justify="right")
    for _, row in summary.iterrows():
        cells = [
            str(row["name"]),
            _int(row[f"residents_{result.base_year}"]),
            _int(row[f"residents_{horizon}"]),
            *(_int(row[f"required_{s}"]) for s in scenarios),
            _int(row["offered"]),
            *(_gap(row[f"gap_{s}"]) for s in scenarios),
        ]
        table.add_row(*cells, end_section=row["district_id"] == summary["district_id"].iloc[-2])
    return table


def _int(value: float) -> str:
    return "" if pd.isna(value) else f"{value:,.0f}"


def _gap(value: float) -> str:
    text = _int(value)
    if value > 0:
        return f"[red]+{text}[/]"
    return f"[blue]{text}[/]"


def main() -> None:
    """Entry point of the ``xuewei`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
