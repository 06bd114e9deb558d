"""The ``xuewei`` command: option parsing plus one library call per command.

Commands exit non-zero on failure, print input problems as one list, and refuse to
overwrite outputs without ``--overwrite``. Results go to stdout; progress, warnings and
errors to stderr. The library is imported inside each command, so ``xuewei --help``
answers at once.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from xuewei.errors import XueweiError

if TYPE_CHECKING:
    from xuewei.outputs import MapOptions
    from xuewei.pipeline import PlanResult

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
OfflineOption = Annotated[
    bool,
    typer.Option(
        "--offline", help="Self-contained map page that opens without internet (no tiles)."
    ),
]
TilesOption = Annotated[
    str,
    typer.Option(
        "--tiles",
        help="Base map: osm, amap, amap_satellite, tianditu, tianditu_satellite or none.",
    ),
]
TiandituOption = Annotated[
    str | None, typer.Option("--tianditu-key", help="Tianditu (天地图) API key.")
]
LangOption = Annotated[str, typer.Option("--lang", help="Map labels: zh, en or both.")]
PngOption = Annotated[bool, typer.Option("--png", help="Also write a static map, plan.png.")]


def _map_options(
    offline: bool, tiles: str, tianditu_key: str | None, lang: str, png: bool
) -> MapOptions:
    from xuewei.maps.plan_map import Lang
    from xuewei.maps.tiles import BASEMAPS
    from xuewei.outputs import MapOptions

    if lang not in ("zh", "en", "both"):
        raise typer.BadParameter(f"--lang {lang!r}: expected zh, en or both")
    if tiles not in BASEMAPS:
        raise typer.BadParameter(f"--tiles {tiles!r}: expected one of {', '.join(BASEMAPS)}")
    return MapOptions(
        offline=offline,
        tiles=tiles,
        tianditu_key=tianditu_key,
        lang=cast(Lang, lang),
        png=png,
    )


@app.command()
def demo(
    out: OutOption = Path("out/changsha"),
    overwrite: OverwriteOption = False,
    offline: OfflineOption = False,
    tiles: TilesOption = "osm",
    tianditu_key: TiandituOption = None,
    lang: LangOption = "both",
    png: PngOption = False,
) -> None:
    """Run the embedded Changsha (长沙) plan and write its outputs.

    Example: xuewei demo --out out/changsha --overwrite --offline
    """
    from xuewei.data import CHANGSHA_DIR

    options = _map_options(offline, tiles, tianditu_key, lang, png)
    _run(CHANGSHA_DIR / "plan.toml", out, overwrite, options)


@app.command()
def plan(
    plan_file: Annotated[Path, typer.Argument(help="The plan's TOML file.")],
    out: OutOption = Path("out"),
    overwrite: OverwriteOption = False,
    offline: OfflineOption = False,
    tiles: TilesOption = "osm",
    tianditu_key: TiandituOption = None,
    lang: LangOption = "both",
    png: PngOption = False,
) -> None:
    """Run a plan file end to end: forecast, places required and offered, gaps, outputs.

    Example: xuewei plan my_county/plan.toml --out out/my_county --tiles amap
    """
    options = _map_options(offline, tiles, tianditu_key, lang, png)
    _run(plan_file, out, overwrite, options)


@app.command("map")
def map_(
    result: Annotated[Path, typer.Argument(help="A saved result: plan.gpkg.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")] = Path(
        "map.html"
    ),
    scenario: Annotated[
        float | None, typer.Option(help="Places per 1,000 residents to show.")
    ] = None,
    year: Annotated[int | None, typer.Option(help="Year to show (default the horizon).")] = None,
    level: Annotated[str, typer.Option(help="compulsory, primary or junior.")] = "compulsory",
    compare: Annotated[
        str | None, typer.Option(help="Two scenarios side by side, e.g. 80,90.")
    ] = None,
    overwrite: OverwriteOption = False,
    offline: OfflineOption = False,
    tiles: TilesOption = "osm",
    tianditu_key: TiandituOption = None,
    lang: LangOption = "both",
) -> None:
    """Re-draw the map of a saved result for another scenario, year or level.

    Example: xuewei map out/changsha/plan.gpkg --scenario 90 --year 2030 --out map90.html
    """
    from xuewei.outputs import redraw_map

    options = _map_options(offline, tiles, tianditu_key, lang, False)
    pair: tuple[float, float] | None = None
    if compare is not None:
        try:
            a, b = (float(x) for x in compare.split(","))
        except ValueError as exc:
            raise typer.BadParameter(
                f"--compare {compare!r}: expected two numbers, e.g. 80,90"
            ) from exc
        pair = (a, b)
    try:
        path = redraw_map(
            result,
            out,
            scenario=scenario,
            year=year,
            level=level,
            compare=pair,
            overwrite=overwrite,
            options=options,
        )
    except (XueweiError, ValueError) as exc:
        _console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc
    _console().print(f"[bold]wrote[/] {path}", highlight=False)


@app.command()
def validate(
    plan_file: Annotated[Path, typer.Argument(help="The plan's TOML file.")],
) -> None:
    """Check a plan file and every input it names; list every problem at once.

    Exits 0 when everything is valid, 1 otherwise.

    Example: xuewei validate my_county/plan.toml
    """
    from xuewei.config import load_plan
    from xuewei.pipeline import validate_plan

    console = _console()
    try:
        problems = validate_plan(load_plan(plan_file))
    except XueweiError as exc:
        _console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc
    if problems:
        err = _console(stderr=True)
        err.print(f"[bold red]{len(problems)} problem(s) found:[/]")
        for problem in problems:
            err.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(1)
    console.print(f"[green]{plan_file}: all inputs valid[/]", highlight=False)


_FORECAST_METHODS = ("ensemble", "ets", "arima", "drift", "naive")


@app.command()
def forecast(
    population: Annotated[Path, typer.Argument(help="Population table (CSV/XLSX).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Forecast CSV to write.")] = Path(
        "forecast.csv"
    ),
    horizon: Annotated[int, typer.Option(help="Last year to forecast.")] = 2035,
    method: Annotated[str, typer.Option(help="ensemble, ets, arima, drift or naive.")] = "ensemble",
    engine: Annotated[str, typer.Option(help="local, or dask for large batches.")] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (default: a LocalCluster on this machine)."),
    ] = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Forecast residents of every district or county in a population table.

    One area's failure is reported with its id and does not lose the others' forecasts
    (they are written); the command then exits 1.

    Example: xuewei forecast hunan_counties.csv --out forecast.csv --engine dask
    """
    from xuewei.forecast import forecast_batch
    from xuewei.gis import read_population
    from xuewei.outputs import atomic_path

    if method not in _FORECAST_METHODS:
        raise typer.BadParameter(f"--method {method!r}: expected one of {_FORECAST_METHODS}")
    if engine not in ("local", "dask"):
        raise typer.BadParameter(f"--engine {engine!r}: expected local or dask")
    console = _console()
    try:
        table = read_population(population)
        result = forecast_batch(
            table,
            horizon=horizon,
            method=cast(Any, method),
            engine=cast(Any, engine),
            scheduler=scheduler,
            progress=True,
        )
        with atomic_path(out, overwrite=overwrite) as tmp:
            result.forecasts.to_csv(tmp, index=False, encoding="utf-8-sig", float_format="%.3f")
    except XueweiError as exc:
        _console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc
    n_ok = result.forecasts["district_id"].nunique()
    console.print(f"[bold]wrote[/] {out}: {n_ok} areas forecast to {horizon}", highlight=False)
    if not result.ok:
        err = _console(stderr=True)
        err.print(f"[bold red]{len(result.failures)} area(s) failed:[/]")
        for row in result.failures.itertuples(index=False):
            err.print(f"  - {row.district_id}: {row.error}: {row.message}", markup=False)
        raise typer.Exit(1)


@app.command()
def backtest(
    population: Annotated[Path, typer.Argument(help="Population table (CSV/XLSX).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Accuracy table CSV.")] = Path(
        "accuracy.csv"
    ),
    city_id: Annotated[
        str | None, typer.Option(help="Id of the city-total rows, to score the share method.")
    ] = None,
    overwrite: OverwriteOption = False,
) -> None:
    """Score the forecast methods by rolling origin (1, 3, 5, 10 years) against naive.

    Prints and saves the accuracy table: MAPE, bias and 80% interval coverage per method and
    horizon, beside the naive forecast on the same points.

    Example: xuewei backtest population.csv --city-id 430100 --out accuracy.csv
    """
    from xuewei.forecast import backtest as run_backtest
    from xuewei.forecast import backtest_report
    from xuewei.gis import read_population
    from xuewei.outputs import atomic_path

    methods = ["naive", "drift", "ets", "arima", "ensemble"] + (["share"] if city_id else [])
    try:
        table = read_population(population)
        report = backtest_report(run_backtest(table, methods=methods, city_id=city_id))
        with atomic_path(out, overwrite=overwrite) as tmp:
            report.to_csv(tmp, index=False, encoding="utf-8-sig", float_format="%.4f")
    except XueweiError as exc:
        _console(stderr=True).print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc
    console = _console()
    grid = Table(title="forecast accuracy (rolling origin) · 预测精度回测", title_justify="left")
    for col in ("method", "quantity", "horizon", "n", "mape", "bias", "coverage", "naive_mape"):
        grid.add_column(col, justify="left" if col in ("method", "quantity") else "right")
    for rec in report.to_dict("records"):
        bias, coverage = float(rec["bias"]), float(rec["coverage"])
        grid.add_row(
            str(rec["method"]),
            str(rec["quantity"]),
            str(rec["horizon"]),
            str(rec["n"]),
            _pct(float(rec["mape"])),
            "—" if _missing(bias) else f"{bias:+.2f}%",
            "—" if _missing(coverage) else f"{coverage:.0%}",
            _pct(float(rec["naive_mape"])),
        )
    console.print(grid)
    console.print(f"[bold]wrote[/] {out}", highlight=False)


def _run(plan_file: Path, out: Path, overwrite: bool, options: MapOptions) -> None:
    from xuewei.config import load_plan
    from xuewei.outputs import write_outputs
    from xuewei.pipeline import run_plan

    console, err = _console(), _console(stderr=True)
    try:
        with err.status("reading inputs, forecasting, assigning catchments…"):
            result = run_plan(load_plan(plan_file))
        with err.status("writing outputs…"):
            paths = write_outputs(result, out, overwrite=overwrite, map_options=options)
    except XueweiError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc
    console.print(summary_table(result))
    if result.programme is not None:
        console.print(programme_table(result))
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
            _int(row["places_added"]),
            _int(row["cumulative"]),
            _int(row["missing"]) if not _missing(row["missing"]) else "",
        )
    return table


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _pct(value: float) -> str:
    return "—" if _missing(value) else f"{value:.2f}%"


def _int(value: float) -> str:
    return "" if _missing(value) else f"{value:,.0f}"


def _gap(value: float) -> str:
    text = _int(value)
    if value > 0:
        return f"[red]+{text}[/]"
    return f"[blue]{text}[/]"


class _WarningHandler(logging.Handler):
    """Show the library's warnings once each, as ``warning: …`` lines on stderr."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if text not in self.seen:
            self.seen.add(text)
            _console(stderr=True).print(f"warning: {text}", highlight=False, markup=False)


def main() -> None:
    """Entry point of the ``xuewei`` console script."""
    logger = logging.getLogger("xuewei")
    if not logger.handlers:
        logger.addHandler(_WarningHandler())
        logger.propagate = False
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
