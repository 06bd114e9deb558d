"""The ``xuewei batch`` and ``xuewei synth-country`` commands: a national run on Dask.

``batch`` is option parsing plus :func:`xuewei.pipeline.batch.run_batch`; progress (one
bar, a line per failed county) goes to stderr, the national totals and the files written
to stdout. It exits 0 when every county was planned (or was unchanged and skipped), 1 when
any county failed or was not run within ``--time-limit`` (the summary is written all the
same, with each county's error), 2 for a usage problem found before any work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from xuewei._cli_log import console as _console
from xuewei._cli_log import fail as _fail
from xuewei._cli_options import QuietOption, VerboseOption
from xuewei.errors import XueweiError

__all__ = ["batch", "synth_country_command"]


def _check_out(out: Path, *, overwrite: bool) -> None:
    """Exit 2 if ``out`` is a file, or a folder of something other than an earlier batch."""
    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is a file; pass a folder", code=2)
    # a run stopped before its summary leaves county folders with their county.json
    earlier = (out / "summary.csv").exists() or any(out.glob("*/county.json"))
    if out.is_dir() and any(out.iterdir()) and not earlier and not overwrite:
        _fail(
            f"--out {out} holds files that are not an earlier batch run's; pass an empty or "
            "new folder, or --overwrite to write into it",
            code=2,
        )


def batch(
    source: Annotated[
        Path,
        typer.Argument(
            metavar="PLANS_DIR_OR_MANIFEST",
            help="A manifest (CSV/XLSX/Parquet: county_id, plan) or a folder of county "
            "folders each with a plan.toml.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = Path("out/national"),
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address, e.g. tcp://head:8786 (default: a "
            "LocalCluster on this machine)."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Worker processes of the LocalCluster (default: the CPU count).",
        ),
    ] = None,
    time_limit: Annotated[
        float | None,
        typer.Option(
            "--time-limit",
            min=0,
            help="Seconds to wait; counties not done by "
            "then are reported not run (a re-run does them).",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Re-plan every county, even unchanged ones.", metavar="")
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="Write into a folder that holds other files.", metavar=""),
    ] = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Plan every county of a country (one plan each, a Dask task each) and sum them up.

    Writes OUT/<county_id>/ (the outputs of xuewei plan) and the national summary
    OUT/summary.parquet, .csv and .xlsx. A re-run skips counties whose inputs and
    outputs are unchanged (hashes in OUT/<county_id>/county.json and OUT/hashes.csv).
    Exits 1 if any county failed (its error is in the summary), 2 on a usage problem.

    Example: xuewei batch country/manifest.csv --out out/national --workers 4
    """
    if scheduler is not None and workers is not None:
        raise typer.BadParameter("--workers sizes the LocalCluster; with --scheduler drop it")
    if not source.exists():
        _fail(f"manifest {source} does not exist", code=2)
    _check_out(out, overwrite=overwrite)

    from xuewei._cli_log import command_logging
    from xuewei.pipeline.batch import county_tasks, run_batch

    err = _console(stderr=True)
    try:
        total = len(county_tasks(source, out))
    except XueweiError as exc:
        _fail(str(exc), code=2)
    with command_logging(err, verbose=verbose), _Progress(err, total, quiet=quiet) as bar:
        try:
            result = run_batch(
                source,
                out,
                scheduler=scheduler,
                n_workers=workers,
                time_limit_s=time_limit,
                force=force,
                progress=bar.advance,
            )
        except (XueweiError, OSError) as exc:
            _fail(str(exc), code=2)
    _report(result, err, quiet=quiet)
    if not result.ok:
        raise typer.Exit(1)


class _Progress:
    """A progress bar on stderr, and one line per county that failed, as they finish."""

    def __init__(self, console: Console, total: int, *, quiet: bool) -> None:
        from rich.progress import Progress

        self.console = console
        self.bar = Progress(console=console, transient=True, disable=quiet)
        self.task = self.bar.add_task("planning counties", total=total)

    def __enter__(self) -> _Progress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def advance(self, done: int, total: int, row: dict[str, Any]) -> None:
        self.bar.update(self.task, completed=done)
        if row["status"] != "ok":
            self.bar.console.print(
                f"{row['county_id']}: {row['status']}: {row['error']}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def _report(result: Any, err: Console, *, quiet: bool) -> None:
    """Print the national totals (stdout), the files written, and the failures (stderr)."""
    console = _console()
    if quiet:
        for path in result.paths.values():
            console.print(escape(str(path)), highlight=False, soft_wrap=True)
        return
    s = result.summary
    ok = s[s["status"] == "ok"]
    # the year and places per 1,000 of the figures (each county's horizon and default)
    when = ", ".join(f"{int(y)}" for y in sorted(ok["horizon"].dropna().unique()))
    per = ", ".join(f"{v:g}" for v in sorted(ok["scenario"].dropna().unique()))
    grid = Table(
        title=f"national summary · 全国汇总 (compulsory places, {when} at {per} per 1,000; "
        "shortfall: each district's and level's shortage on its own)",
        title_justify="left",
    )
    for col in ("counties", "residents", "required", "offered", "shortfall", "new schools"):
        grid.add_column(col, justify="right")
    grid.add_row(
        f"{len(ok)}/{len(s)}",
        f"{ok['residents_horizon'].sum():,.0f}",
        f"{ok['required'].sum():,.0f}",
        f"{ok['offered'].sum():,.0f}",
        f"{ok['shortfall'].sum():,.0f}",
        f"{int(ok['new_schools'].sum()):,}",
    )
    console.print(grid)
    console.print(
        f"planned {len(result.ran)}, unchanged and skipped {len(result.skipped)}, "
        f"failed or not run {len(result.failed)}",
        highlight=False,
    )
    notes = sorted({str(n) for n in ok["data_note"].dropna()})
    for note in notes:
        console.print(f"[yellow]{escape(note)}[/]", highlight=False)
    console.print("[bold]wrote[/]")
    for path in result.paths.values():
        console.print(f"  {escape(str(path))}", highlight=False, soft_wrap=True)
    if not result.ok:  # each was printed as it finished; its error is in the summary
        err.print(
            f"[bold red]{len(result.failed)} "
            f"{'county' if len(result.failed) == 1 else 'counties'} failed or not run[/] "
            f"(status and error: {escape(str(result.paths['csv']))})",
            highlight=False,
            soft_wrap=True,
        )


def synth_country_command(
    out: Annotated[Path, typer.Argument(help="Folder to write the county partitions into.")],
    counties: Annotated[int, typer.Option("--counties", "-n", min=1, help="Counties.")] = 6,
    seed: Annotated[int, typer.Option(help="Seed of the generator.")] = 0,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace files that already exist.", metavar="")
    ] = False,
) -> None:
    """Write a SYNTHETIC country: one plan folder per county and manifest.csv.

    Every name, file and plan says it is synthetic (合成). Feed it to xuewei batch.

    Example: xuewei synth-country country --counties 6 && xuewei batch country
    """
    from xuewei.data import synth_country
    from xuewei.pipeline.counties import partition_counties

    err = _console(stderr=True)
    with err.status(f"generating {counties} synthetic counties…"):
        try:
            country = synth_country(seed, n_counties=counties)
            partition_counties(
                country.districts,
                country.population,
                out,
                schools=country.schools,
                estates=country.estates,
                counties=country.counties,
                data_note="All data SYNTHETIC / 全部为合成数据",
                overwrite=overwrite,
            )
        except XueweiError as exc:
            _fail(str(exc), code=2)
    _console().print(
        f"[bold]wrote[/] {escape(str(out / 'manifest.csv'))}: {counties} synthetic counties",
        highlight=False,
        soft_wrap=True,
    )
