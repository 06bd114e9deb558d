"""The ``xuewei`` command: option parsing plus one library call per command.

Commands exit non-zero on failure: 2 for a usage problem (a missing or unreadable file, an
output that exists without ``--overwrite``, an output folder that cannot be written), found
before any work starts — or an output that cannot be written after all (a full disk); 1 for
problems in the input data, printed as one list. Results (tables, the files written) go to stdout;
progress, warnings and errors to stderr, each error one line. The library is imported
inside each command, so ``xuewei --help`` answers at once.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.markup import escape

from xuewei._cli_batch import batch, synth_country_command
from xuewei._cli_log import command_logging, step
from xuewei._cli_log import console as _console
from xuewei._cli_log import fail as _fail
from xuewei._cli_options import (
    LangOption,
    OfflineOption,
    OnlineOption,
    OutOption,
    OverwriteOption,
    PngOption,
    QuietOption,
    TiandituOption,
    TilesOption,
    VerboseOption,
    WideOption,
)
from xuewei._cli_programme import programme_command
from xuewei._cli_readiness import print_readiness
from xuewei._cli_tables import print_summary, programme_table, say
from xuewei._cli_zones import zones_command
from xuewei.errors import OutputError, XueweiError, count_problems
from xuewei.vocabulary import note_in_language

if TYPE_CHECKING:
    from xuewei.config import Plan
    from xuewei.maps.plan_map import Lang
    from xuewei.outputs import MapOptions

__all__ = ["app", "main"]

app = typer.Typer(
    name="xuewei",
    help="学位 xuewei — school-place forecasts and school site planning.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# Off a terminal (a file, CI log or notebook) and without COLUMNS, tables are not squeezed
# to rich's default of 80 columns.


def _check_input(path: Path, what: str) -> None:
    """Exit 2 unless ``path`` is a file that can be read."""
    if not path.exists():
        _fail(f"{what} {path} does not exist", code=2)
    if not path.is_file():
        _fail(f"{what} {path} is a folder, not a file", code=2)
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        _fail(f"cannot read {what} {path}: {exc.strerror or exc}", code=2)


def _check_out_file(path: Path, *, overwrite: bool) -> None:
    """Exit 2 if the output file exists and may not be replaced (as ``atomic_path`` would)."""
    if path.is_dir():
        _fail(f"--out {path} is a folder; name the file to write", code=2)
    if path.exists() and not overwrite:
        _fail(f"{path} exists; pass --overwrite to replace it", code=2)


def _check_writable(folder: Path) -> None:
    """Exit 2 unless a file can be created in ``folder`` (or its nearest existing parent)."""
    import tempfile

    existing = next((p for p in (folder, *folder.absolute().parents) if p.exists()), folder)
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        _fail(f"cannot write into {existing}: {exc.strerror or exc}", code=2)


def _check_out_dir(path: Path, *, overwrite: bool, png: bool) -> None:
    """Exit 2 if the output folder holds outputs that may not be replaced.

    The rule is :func:`~xuewei.outputs.write.existing_outputs`, the one ``write_outputs``
    applies, checked before anything is read or computed.
    """
    from xuewei.outputs.write import existing_outputs

    if path.exists() and not path.is_dir():
        _fail(f"--out {path} is a file; pass a folder", code=2)
    _check_writable(path)
    existing = [] if overwrite else existing_outputs(path, png=png)
    if existing:
        names = ", ".join(p.name for p in existing)
        _fail(f"{path} already holds {names}; pass --overwrite to replace them", code=2)


def _load_plan(plan_file: Path) -> Plan:
    from xuewei.config import load_plan

    _check_input(plan_file, "plan file")
    try:
        return load_plan(plan_file)
    except UnicodeDecodeError as exc:
        _fail(f"{plan_file}: not UTF-8 text ({exc.reason} at byte {exc.start})", code=1)
    except XueweiError as exc:
        _fail(str(exc), code=1)


def _map_options(
    *,
    online: bool,
    offline: bool,
    tiles: str,
    tianditu_key: str | None,
    lang: str,
    png: bool,
) -> MapOptions:
    from xuewei.maps.tiles import BASEMAPS, basemap_datum
    from xuewei.outputs import MapOptions

    if lang not in ("zh", "en", "both"):
        raise typer.BadParameter(f"--lang {lang!r}: expected zh, en or both")
    try:
        basemap_datum(tiles)
    except XueweiError as exc:
        raise typer.BadParameter(
            f"--tiles {tiles!r}: expected one of {', '.join(BASEMAPS)} or none"
        ) from exc
    if ("tianditu" in tiles.lower() or "天地图" in tiles) and not tianditu_key:
        raise typer.BadParameter(
            f"--tiles {tiles}: needs --tianditu-key, the bureau's Tianditu key (天地图 tk)"
        )
    if online and offline:
        raise typer.BadParameter("--online and --offline: pass one (offline is the default)")
    if offline:
        _console(stderr=True).print(
            "warning: --offline is the default now and the option will go; "
            "--online loads the map's scripts from CDNs",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    return MapOptions(
        offline=not online,
        tiles=tiles,
        tianditu_key=tianditu_key,
        lang=cast("Lang", lang),
        png=png,
    )


@app.command()
def demo(
    out: OutOption = Path("out/changsha"),
    overwrite: OverwriteOption = False,
    online: OnlineOption = False,
    offline: OfflineOption = False,
    tiles: TilesOption = "osm",
    tianditu_key: TiandituOption = None,
    lang: LangOption = "both",
    png: PngOption = False,
    wide: WideOption = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run the embedded Changsha (长沙) plan and write its outputs.

    Example: xuewei demo --out out/changsha --overwrite
    """
    _check_out_dir(out, overwrite=overwrite, png=png)  # before the slow imports
    from xuewei.data import CHANGSHA_DIR

    options = _map_options(
        online=online, offline=offline, tiles=tiles, tianditu_key=tianditu_key, lang=lang, png=png
    )
    _run(
        CHANGSHA_DIR / "plan.toml",
        out,
        options,
        overwrite=overwrite,
        shown=_Shown(wide=wide, verbose=verbose, quiet=quiet),
    )


@app.command()
def plan(
    plan_file: Annotated[Path, typer.Argument(help="The plan's TOML file.")],
    out: OutOption = Path("out"),
    overwrite: OverwriteOption = False,
    online: OnlineOption = False,
    offline: OfflineOption = False,
    tiles: TilesOption = "osm",
    tianditu_key: TiandituOption = None,
    lang: LangOption = "both",
    png: PngOption = False,
    wide: WideOption = False,
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Run a plan file end to end: forecast, places required and offered, gaps, outputs.

    Example: xuewei plan my_county/plan.toml --out out/my_county --tiles amap
    """
    _check_input(plan_file, "plan file")
    _check_out_dir(out, overwrite=overwrite, png=png)  # before the slow imports
    options = _map_options(
        online=online, offline=offline, tiles=tiles, tianditu_key=tianditu_key, lang=lang, png=png
    )
    shown = _Shown(wide=wide, verbose=verbose, quiet=quiet)
    _run(plan_file, out, options, overwrite=overwrite, shown=shown)


@app.command("map")
def map_(
    result: Annotated[Path, typer.Argument(help="A saved result: plan.gpkg.")],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="The HTML file to write (.png: a static map)."),
    ] = Path("map.html"),
    scenario: Annotated[
        float | None,
        typer.Option(help="Places per 1,000 residents shown first (default the plan's)."),
    ] = None,
    year: Annotated[
        int | None, typer.Option(help="Year shown first (default the horizon).")
    ] = None,
    level: Annotated[str, typer.Option(help="compulsory, primary or junior.")] = "compulsory",
    zones: Annotated[
        Path | None,
        typer.Option(help="A zones.gpkg of xuewei zones: its zones as a layer, hidden at first."),
    ] = None,
    overwrite: OverwriteOption = False,
    online: OnlineOption = False,
    offline: OfflineOption = False,
    tiles: TilesOption = "osm",
    tianditu_key: TiandituOption = None,
    lang: LangOption = "both",
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Re-draw the map of a saved result for another level, or open at another view.

    The page carries every year and scenario (chosen in its title box); --scenario and
    --year say which it opens at.

    Example: xuewei map out/changsha/plan.gpkg --scenario 90
    --year 2030 --out map90.html (or --out map90.png for a static map, for documents).
    """
    _check_input(result, "saved result")
    if zones is not None:
        _check_input(zones, "zones file")
    _check_out_file(out, overwrite=overwrite)  # before the slow imports
    options = _map_options(
        online=online, offline=offline, tiles=tiles, tianditu_key=tianditu_key, lang=lang, png=False
    )
    _check_saved_result(result)

    from xuewei.outputs import redraw_map

    err = _console(stderr=True)
    with (
        command_logging(err, verbose=verbose) as log,
        step(err, log, "drawing the map", quiet=quiet),
    ):
        try:
            path = redraw_map(
                result,
                out,
                scenario=scenario,
                year=year,
                level=level,
                overwrite=overwrite,
                options=options,
                zones=zones,
            )
        except (XueweiError, ValueError) as exc:
            _fail(str(exc), code=1)
    wrote = escape(str(path)) if quiet else f"[bold]wrote[/] {escape(str(path))}"
    _console().print(wrote, highlight=False, soft_wrap=True)


def _check_saved_result(gpkg: Path) -> None:
    """Exit 2 unless ``gpkg`` is a GeoPackage written by ``xuewei plan`` or ``xuewei demo``."""
    import pyogrio
    from pyogrio.errors import DataSourceError

    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    except DataSourceError:
        _fail(f"{gpkg} is not a GeoPackage; pass the plan.gpkg of xuewei plan or demo", code=2)
    missing = sorted({"plan", "districts", "schools", "gaps"} - layers)
    if missing:
        _fail(
            f"{gpkg} is not a saved plan: no layer {', '.join(missing)}; pass the plan.gpkg "
            "of xuewei plan or demo",
            code=2,
        )


@app.command()
def validate(
    plan_file: Annotated[Path, typer.Argument(help="The plan's TOML file.")],
    verbose: VerboseOption = False,
) -> None:
    """Check a plan file and every input it names; list every problem at once.

    Exits 0 when everything is valid, 1 when any input has a problem, 2 when the plan
    file cannot be read.

    Example: xuewei validate my_county/plan.toml
    """
    from xuewei.pipeline import validate_plan

    err = _console(stderr=True)
    with command_logging(err, verbose=verbose):
        loaded = _load_plan(plan_file)
        try:
            problems = validate_plan(loaded)
        except XueweiError as exc:
            _fail(str(exc), code=1)
    if problems:
        err.print(f"[bold red]{count_problems(problems)}:[/]")
        for problem in problems:
            err.print(f"  - {problem}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(1)
    _console().print(f"[green]{escape(str(plan_file))}: all inputs valid[/]", highlight=False)


_FORECAST_METHODS = ("ensemble", "ets", "damped", "arima", "drift", "naive")


@app.command()
def forecast(
    population: Annotated[Path, typer.Argument(help="Population table (CSV/XLSX).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Forecast CSV to write.")] = Path(
        "forecast.csv"
    ),
    horizon: Annotated[
        int, typer.Option(help="Last year to forecast (after the table's last year).")
    ] = 2035,
    method: Annotated[
        str, typer.Option(help="ensemble, ets, damped, arima, drift or naive.")
    ] = "ensemble",
    engine: Annotated[str, typer.Option(help="local, or dask for large batches.")] = "local",
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (default: a LocalCluster on this machine)."),
    ] = None,
    weighting: Annotated[
        str | None,
        typer.Option(
            help="With the ensemble: pooled (the default: one backtest of all areas, the same "
            "weights everywhere, intervals calibrated on every area's scaled errors; its "
            "intervals kept their coverage on growth panels, benchmarks/forecast.md) or area "
            "(each area weighted on its own backtest, its interval calibrated on every area's "
            "scaled errors)."
        ),
    ] = None,
    city_id: Annotated[
        str | None,
        typer.Option(
            help="Id of the rows that are the total of all the other areas (a city): it is "
            "forecast with --method and every other area as its share of it, so the areas "
            "add up to it. Default: the id whose counts equal the sum of the others' "
            "(within 2 %) in every year all were counted, if one does; 'none' forecasts "
            "every area on its own."
        ),
    ] = None,
    overwrite: OverwriteOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Forecast residents of every district or county in a population table.

    Where one area is the total of the others (a city and its districts), the districts
    are forecast as their shares of the city's forecast and add up to it (--city-id).
    One area's failure is reported with its id and does not lose the others' forecasts
    (they are written); the command then exits 1. With the ensemble, the weights of its
    members per area and horizon are written beside the forecast (forecast.weights.csv).

    Example: xuewei forecast hunan_counties.csv --out forecast.csv --engine dask
    """
    if method not in _FORECAST_METHODS:
        raise typer.BadParameter(f"--method {method!r}: expected one of {_FORECAST_METHODS}")
    if engine not in ("local", "dask"):
        raise typer.BadParameter(f"--engine {engine!r}: expected local or dask")
    if weighting is None:  # pooled for the ensemble; a trend method has no weights
        weighting = "pooled" if method == "ensemble" else "area"
    if weighting not in ("area", "pooled") or (weighting == "pooled" and method != "ensemble"):
        raise typer.BadParameter(
            f"--weighting {weighting!r}: expected area, or pooled with --method ensemble"
        )
    _check_input(population, "population table")
    _check_out_file(out, overwrite=overwrite)
    # the ensemble's weights per area, member and horizon go beside the forecast
    weights_out = out.with_name(f"{out.stem}.weights.csv")
    if method == "ensemble":
        _check_out_file(weights_out, overwrite=overwrite)

    import pandas as pd

    import xuewei._cli_forecast as cf
    from xuewei.forecast import forecast_batch, forecast_with_total
    from xuewei.gis import read_population
    from xuewei.outputs import write_csv

    err = _console(stderr=True)
    with command_logging(err, verbose=verbose):
        try:
            table = read_population(population)
            cf.check_horizon(table, horizon, population)
            total = cf.total_id(table, city_id, population, err)
            cf.say_rebasing(table, err)
            if total is None:
                result = forecast_batch(
                    table,
                    horizon=horizon,
                    method=cast(Any, method),
                    engine=cast(Any, engine),
                    scheduler=scheduler,
                    progress=True,
                    ensemble_weighting=cast(Any, weighting),
                )
            else:
                result = forecast_with_total(
                    table,
                    total,
                    horizon=horizon,
                    method=cast(Any, method),
                    engine=cast(Any, engine),
                    scheduler=scheduler,
                    ensemble_weighting=cast(Any, weighting),
                    source=population.name,
                )
            table = cf.with_kind(result.forecasts)
            write_csv(table, out, overwrite=overwrite, float_format="%.3f")
            weights = pd.DataFrame(result.forecasts.attrs.get("weights") or [])
            if len(weights):
                write_csv(weights, weights_out, overwrite=overwrite, float_format="%.4f")
        except XueweiError as exc:
            _fail(str(exc), code=1)
    n_ok = result.forecasts["district_id"].nunique()
    _console().print(
        f"[bold]wrote[/] {escape(str(out))}: {n_ok} areas forecast to {horizon}",
        highlight=False,
        soft_wrap=True,
    )
    if result.forecasts.attrs.get("weights"):
        _console().print(f"[bold]wrote[/] {escape(str(weights_out))}: weights", highlight=False)
    if not result.ok:
        cf.say_failures(result.failures, err)
        raise typer.Exit(1)


@app.command()
def backtest(
    population: Annotated[Path, typer.Argument(help="Population table (CSV/XLSX).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Accuracy table CSV.")] = Path(
        "accuracy.csv"
    ),
    city_id: Annotated[
        str | None,
        typer.Option(
            help="Id of the rows that are the total of the other areas, as for xuewei "
            "forecast (default: found; 'none': every area on its own)."
        ),
    ] = None,
    vintage: Annotated[
        str,
        typer.Option(
            help="final: the history as revised today (as the forecast's intervals); "
            "real-time: as known at each origin (a later census's re-count is error)."
        ),
    ] = "final",
    overwrite: OverwriteOption = False,
    verbose: VerboseOption = False,
) -> None:
    """Score the forecast methods by rolling origin (1, 3, 5, 10 years) against naive.

    Scores the route xuewei forecast takes (a total and its areas as shares, or every area
    on its own), all methods on the same points: MAPE, bias and 80% interval coverage.

    Example: xuewei backtest population.csv --out accuracy.csv
    """
    if vintage not in ("final", "real-time"):
        raise typer.BadParameter(
            f"{vintage!r}: expected final or real-time", param_hint="--vintage"
        )
    _check_input(population, "population table")
    _check_out_file(out, overwrite=overwrite)

    import xuewei._cli_backtest as cb
    from xuewei._cli_forecast import total_id
    from xuewei.gis import read_population
    from xuewei.outputs import write_csv

    err = _console(stderr=True)
    with command_logging(err, verbose=verbose) as log:
        try:
            table = read_population(population)
            total = total_id(table, city_id, population, err)
            with step(err, log, "backtesting the methods"):
                report = cb.score(table, total, cast(Any, vintage))
            write_csv(report, out, overwrite=overwrite, float_format="%.4f")
        except XueweiError as exc:
            _fail(str(exc), code=1)
    _console().print(cb.accuracy_table(report, vintage))
    _console().print(f"[bold]wrote[/] {escape(str(out))}", highlight=False, soft_wrap=True)


@dataclass(frozen=True)
class _Shown:
    """What a run prints: every scenario (``wide``), the log (``verbose``), only paths."""

    wide: bool = False
    verbose: bool = False
    quiet: bool = False


def _run(
    plan_file: Path, out: Path, options: MapOptions, *, overwrite: bool, shown: _Shown
) -> None:
    from xuewei.outputs import write_outputs
    from xuewei.pipeline import run_plan

    err = _console(stderr=True)
    with command_logging(err, verbose=shown.verbose) as log:
        plan = _load_plan(plan_file)
        try:
            # one library call: its stages are shown as they log (INFO), not timed one by one
            stages = "reading inputs, forecasting, catchments, siting"
            with step(err, log, stages, quiet=shown.quiet):
                result = run_plan(plan)
            with step(err, log, "writing outputs", quiet=shown.quiet):
                paths = write_outputs(result, out, overwrite=overwrite, map_options=options)
        except XueweiError as exc:
            _fail(str(exc), code=2 if isinstance(exc, OutputError) else 1)
    console = _console()
    if shown.quiet:  # only the paths, one a line, for scripts
        for path in paths.values():
            console.print(escape(str(path)), highlight=False, soft_wrap=True)
        return
    print_summary(console, result, wide=shown.wide, lang=options.lang)
    if result.programme is not None:
        console.print(programme_table(result, lang=options.lang))
    print_readiness(console, result, lang=options.lang)
    if result.plan.data_note:
        note = note_in_language(result.plan.data_note, options.lang)
        console.print(f"[yellow]{escape(note)}[/]", highlight=False)

    console.print(f"[bold]{say('wrote', options.lang)}[/]")
    for path in paths.values():
        console.print(f"  {escape(str(path))}", highlight=False, soft_wrap=True)


# a national run on Dask; bodies in _cli_batch
app.command("batch")(batch)
app.command("synth-country")(synth_country_command)
app.command("zones")(zones_command)  # body in xuewei/_cli_zones.py
app.command("programme")(programme_command)  # body in xuewei/_cli_programme.py


def _reflowed(doc: str) -> str:
    """Return a docstring with each paragraph on one line, for the terminal to wrap.

    Typer keeps the line breaks of a command's docstring after its first paragraph, so
    an 80-column terminal wrapped each 90-column source line in two ("...per method
    and / horizon"). Blank lines still separate paragraphs.
    """
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


for _command in app.registered_commands:
    if _command.help is None and _command.callback is not None and _command.callback.__doc__:
        _command.help = _reflowed(_command.callback.__doc__)


def main() -> None:
    """Entry point of the ``xuewei`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
