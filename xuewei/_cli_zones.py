"""The body of ``xuewei zones``: attendance zones (学区划片) of a plan, written to a folder.

Option parsing plus one library call (:func:`xuewei.planning.zones.draw_zones`), with the
residents of the year placed in the estates as ``xuewei plan`` places them (each district's
forecast shared by its estates). Writes, atomically, ``zones.gpkg`` (layers ``zones``, with
each school's figures, and ``units``), ``zones_units.csv`` (unit → school),
``zones_schools.csv`` (per school), ``zones_cases.csv`` (per district and level: solver,
status, bound and gap), ``zones.html`` (the zones page, offline unless ``--online``) and
``zones.xlsx`` (the sheet 学区 Zones), through :mod:`xuewei.outputs.zones`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from xuewei._cli_log import command_logging, step
from xuewei._cli_log import fail as _fail
from xuewei._cli_options import (
    LangOption,
    OnlineOption,
    OutOption,
    OverwriteOption,
    QuietOption,
    TiandituOption,
    TilesOption,
    VerboseOption,
)
from xuewei.errors import OutputError, XueweiError
from xuewei.vocabulary import LEVEL_NAMES

if TYPE_CHECKING:
    import geopandas as gpd

    from xuewei.config import Plan
    from xuewei.maps.plan_map import Lang
    from xuewei.outputs import MapOptions
    from xuewei.planning.zones import ZoneResult

__all__ = ["ZONE_FILES", "zone_paths", "zones_command"]

#: The files ``xuewei zones`` writes into its folder.
ZONE_FILES = (
    "zones.gpkg",
    "zones_units.csv",
    "zones_schools.csv",
    "zones_cases.csv",
    "zones.html",
    "zones.xlsx",
)


def zone_paths(out: Path) -> dict[str, Path]:
    """Return the output paths of ``xuewei zones`` in folder ``out``.

    Examples
    --------
    >>> sorted(zone_paths(Path("o")))[:3]
    ['zones.gpkg', 'zones.html', 'zones.xlsx']
    """
    return {name: out / name for name in ZONE_FILES}


def zones_command(
    plan_file: Annotated[Path, typer.Argument(help="The plan's TOML file.")],
    out: OutOption = Path("out/zones"),
    year: Annotated[
        str, typer.Option(help="base (the base year), horizon, or a year in between.")
    ] = "base",
    levels: Annotated[str, typer.Option(help="primary, junior or primary,junior.")] = (
        "primary,junior"
    ),
    method: Annotated[
        str, typer.Option(help="auto (exact MIP for small districts), exact or heuristic.")
    ] = "auto",
    feeders: Annotated[
        bool,
        typer.Option(
            help="Each primary school feeds one junior school (小学对口初中).", metavar=""
        ),
    ] = False,
    current: Annotated[
        Path | None,
        typer.Option(help="Today's zones: polygons with school_id (GeoPackage, GeoJSON…)."),
    ] = None,
    max_utilisation: Annotated[
        float, typer.Option(help="Pupils allowed per place (1.0 = 100 %).")
    ] = 1.0,
    moved_weight_km: Annotated[
        float, typer.Option(help="Cost of one pupil moved from its current zone, in km.")
    ] = 1.0,
    scenario: Annotated[
        float | None, typer.Option(help="Places per 1,000 residents (default the plan's).")
    ] = None,
    time_limit: Annotated[
        float,
        typer.Option(
            help="Seconds the whole drawing may take; a district reached with no time left "
            "keeps its heuristic zones, noted in zones_cases.csv (as are zones cut short, "
            "which may differ from run to run)."
        ),
    ] = 600.0,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            help="Districts drawn side by side, one process each (default: the CPU count; "
            "1: one after another). The zones are the same with any number.",
        ),
    ] = None,
    overwrite: OverwriteOption = False,
    online: OnlineOption = False,
    tiles: TilesOption = "osm",
    tianditu_key: TiandituOption = None,
    lang: LangOption = "both",
    verbose: VerboseOption = False,
    quiet: QuietOption = False,
) -> None:
    """Draw attendance zones (学区划片): contiguous, within capacity, few pupils moved.

    Example: xuewei zones my_county/plan.toml --out out/zones --feeders
    """
    paths = zone_paths(out)
    if out.exists() and not out.is_dir():
        _fail(f"--out {out} is a file; pass a folder", code=2)
    there = [p.name for p in paths.values() if p.exists()]
    if there and not overwrite:
        _fail(f"{out} already holds {', '.join(there)}; pass --overwrite to replace them", code=2)
    if not plan_file.is_file():
        _fail(f"plan file {plan_file} does not exist", code=2)
    if current is not None and not current.is_file():
        _fail(f"--current {current} does not exist", code=2)
    chosen = [lv.strip() for lv in levels.split(",") if lv.strip()]
    # usage problems first (exit 2), before the slow reading
    unknown = [lv for lv in chosen if lv not in ("primary", "junior")]
    if unknown or not chosen:
        _fail(f"--levels {levels!r}: expected primary, junior or primary,junior", code=2)
    if method not in ("auto", "exact", "heuristic"):
        _fail(f"--method {method!r}: expected auto, exact or heuristic", code=2)
    if workers is not None and workers < 1:
        _fail(f"--workers {workers}: expected a whole number ≥ 1", code=2)
    if year not in ("base", "horizon") and not year.isdigit():
        _fail(f"--year {year!r}: expected base, horizon or a whole year", code=2)
    options = _map_options(online, tiles, tianditu_key, lang)
    err = Console(stderr=True)
    try:
        with command_logging(err, verbose=verbose) as log:
            with step(err, log, "reading the plan and placing residents", quiet=quiet):
                plan, layers, when = _inputs(plan_file, year, current)
            with step(err, log, "drawing the zones", quiet=quiet):
                result = _draw(
                    plan,
                    layers,
                    when,
                    chosen,
                    method,
                    feeders,
                    max_utilisation,
                    moved_weight_km,
                    scenario,
                    time_limit,
                    workers,
                )
            with step(err, log, "writing outputs", quiet=quiet):
                _write(result, paths, overwrite=overwrite)
                _write_page(result, plan, layers, paths, overwrite=overwrite, options=options)
    except XueweiError as exc:
        _fail(str(exc), code=2 if isinstance(exc, OutputError) else 1)
    console = Console()
    for line in case_warnings(result):  # warnings go to stderr even with --quiet
        err.print(f"warning: {line}", markup=False, highlight=False)
    if not quiet:
        console.print(summary_table(result, lang=lang))
        note = plan.data_note
        if note:
            console.print(f"[yellow]{escape(note)}[/]", highlight=False)
        wrote = {"zh": "已写出", "en": "wrote"}.get(lang, "wrote 已写出")
        console.print(f"[bold]{wrote}[/]")
    for path in paths.values():
        console.print(("" if quiet else "  ") + escape(str(path)), highlight=False, soft_wrap=True)


def _inputs(
    plan_file: Path, year: str, current: Path | None
) -> tuple[Plan, dict[str, gpd.GeoDataFrame | None], int]:
    """Read the plan, place the residents of the year in the estates, read current zones."""
    import geopandas as gpd

    from xuewei import gis
    from xuewei.config import load_plan
    from xuewei.errors import ConfigError, InputError, Problem
    from xuewei.pipeline import forecast_residents, plan_years, read_inputs
    from xuewei.planning import school_places

    plan = load_plan(plan_file)
    inputs = read_inputs(plan)
    if inputs.estates is None or inputs.schools is None:
        raise InputError([Problem("plan", "zones need both estates and schools in [inputs]")])
    years = plan_years(plan, inputs.population)
    when = _year(year, years.base, years.horizon)
    if not isinstance(when, int):
        raise ConfigError(when)
    residents = forecast_residents(plan, inputs, years)
    estates = gis.allocate_to_estates(inputs.estates, residents, year=when)
    schools = gpd.GeoDataFrame(
        school_places(inputs.schools, plan.standards, source=plan.inputs["schools"].path.name),
        crs=inputs.crs,
    )
    zones = None
    if current is not None:
        zones = _read_current(current, schools, inputs.crs)
    return (
        plan,
        {"districts": inputs.districts, "estates": estates, "schools": schools, "current": zones},
        when,
    )


def _read_current(path: Path, schools: gpd.GeoDataFrame, crs: object) -> gpd.GeoDataFrame:
    """Read today's zones: polygons with a ``school_id`` of the plan, in a known CRS.

    From a GeoPackage its ``zones`` layer (what ``xuewei zones`` writes), else its first.
    A ``level`` column (primary, junior; Chinese names too) tells a nine-year school's
    primary zone from its junior one.

    Every feature must count, so each problem is named by its feature (row): a missing or
    invalid polygon, or a ``school_id`` that is none of the plan's schools (a zone of a
    closed or misspelled school would otherwise be left out without a word).
    """
    import geopandas as gpd
    import pyogrio

    from xuewei.errors import InputError, Problem
    from xuewei.gis.validate import normalise_level

    # a GeoPackage of `xuewei zones` holds its zones and its units: read the zones
    layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    zones = gpd.read_file(path, layer="zones" if "zones" in layers else layers[0])
    if zones.crs is None:
        raise InputError(
            [Problem(path.name, "has no coordinate system; save it with one (e.g. EPSG:4326)")]
        )
    if "school_id" not in zones:
        raise InputError(
            [
                Problem(
                    path.name,
                    "needs a `school_id` column: the school of each zone",
                    column="school_id",
                )
            ]
        )
    known = set(schools["school_id"].astype(str))
    problems = []
    if "level" in zones:  # a nine-year school's primary and junior zones are told apart
        levels = [normalise_level(v) for v in zones["level"]]
        for row, (given, level) in enumerate(zip(zones["level"], levels, strict=True), 1):
            if level not in ("primary", "junior", "nine_year"):
                problems.append(
                    Problem(
                        path.name,
                        f"got {given!r}; level must be primary (小学) or junior (初中)",
                        row=row,
                        column="level",
                    )
                )
        zones = zones.assign(level=levels)
    for row, (sid, geom) in enumerate(zip(zones["school_id"], zones.geometry, strict=True), 1):
        if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            kind = "no geometry" if geom is None or geom.is_empty else geom.geom_type
            problems.append(
                Problem(path.name, f"got {kind}; expected a polygon", row=row, column="geometry")
            )
        elif not geom.is_valid:
            problems.append(
                Problem(
                    path.name,
                    "invalid polygon (self-intersecting?); repair it, e.g. QGIS Fix geometries",
                    row=row,
                    column="geometry",
                )
            )
        if str(sid) not in known:
            problems.append(
                Problem(
                    path.name, f"got {sid!r}: not a school of the plan", row=row, column="school_id"
                )
            )
    if problems:
        raise InputError(problems)
    return zones.to_crs(crs)


def _year(text: str, base: int, horizon: int) -> int | str:
    """Return the year asked for, or the message saying what was expected.

    Examples
    --------
    >>> _year("base", 2024, 2035), _year("2030", 2024, 2035)
    (2024, 2030)
    >>> _year("2040", 2024, 2035)
    '--year 2040: expected base, horizon or a year from 2024 to 2035'
    """
    if text == "base":
        return base
    if text == "horizon":
        return horizon
    if text.isdigit() and base <= int(text) <= horizon:
        return int(text)
    return f"--year {text}: expected base, horizon or a year from {base} to {horizon}"


def _draw(
    plan: Plan,
    layers: dict[str, gpd.GeoDataFrame | None],
    year: int,
    levels: list[str],
    method: str,
    feeders: bool,
    util: float,
    moved: float,
    scenario: float | None,
    time_limit: float,
    workers: int | None = None,
) -> ZoneResult:
    from xuewei.errors import ConfigError
    from xuewei.planning.zones import draw_zones

    if method not in ("auto", "exact", "heuristic"):
        raise ConfigError(f"--method {method!r}: expected auto, exact or heuristic")
    assert layers["districts"] is not None and layers["estates"] is not None
    assert layers["schools"] is not None
    return draw_zones(
        layers["districts"],
        layers["estates"],
        layers["schools"],
        year=year,
        standards=plan.standards,
        scenario=scenario,
        levels=levels,
        method=method,  # type: ignore[arg-type]
        feeders=feeders,
        current=layers["current"],
        max_utilisation=util,
        moved_weight_km=moved,
        time_limit_s=time_limit,
        workers=workers,
        settlement=plan.catchments.settlement,
    )


def _map_options(online: bool, tiles: str, tianditu_key: str | None, lang: str) -> MapOptions:
    """Return the zones page's options, or exit 2 naming the option that is wrong."""
    from xuewei.maps.tiles import BASEMAPS, basemap_datum
    from xuewei.outputs import MapOptions

    if lang not in ("zh", "en", "both"):
        _fail(f"--lang {lang!r}: expected zh, en or both", code=2)
    try:
        basemap_datum(tiles)
    except XueweiError:
        _fail(f"--tiles {tiles!r}: expected one of {', '.join(BASEMAPS)} or none", code=2)
    if "tianditu" in tiles.lower() and not tianditu_key:
        _fail(
            f"--tiles {tiles}: needs --tianditu-key, the bureau's Tianditu key (天地图 tk)", code=2
        )
    return MapOptions(
        offline=not online, tiles=tiles, tianditu_key=tianditu_key, lang=cast("Lang", lang)
    )


def _write_page(
    result: ZoneResult,
    plan: Plan,
    layers: dict[str, gpd.GeoDataFrame | None],
    paths: dict[str, Path],
    *,
    overwrite: bool,
    options: MapOptions,
) -> None:
    """Write the zones page and the workbook 学区 Zones."""
    from xuewei.outputs.zones import write_zones_map, write_zones_workbook

    assert layers["districts"] is not None
    title = plan.name + (f" {plan.name_en}" if plan.name_en else "")
    write_zones_map(
        result,
        layers["districts"],
        paths["zones.html"],
        schools=layers["schools"],
        title=title,
        data_note=plan.data_note,
        overwrite=overwrite,
        options=options,
    )
    write_zones_workbook(
        result,
        paths["zones.xlsx"],
        districts=layers["districts"],
        overwrite=overwrite,
        lang=options.lang,
    )


def _write(result: ZoneResult, paths: dict[str, Path], *, overwrite: bool) -> None:
    from xuewei.outputs.atomic import atomic_path
    from xuewei.outputs.tables import write_csv
    from xuewei.outputs.zones import zones_layer

    with atomic_path(paths["zones.gpkg"], overwrite=overwrite) as tmp:
        zones_layer(result).to_file(tmp, layer="zones", driver="GPKG")
        result.units.to_file(tmp, layer="units", driver="GPKG")
    write_csv(result.assignments, paths["zones_units.csv"], overwrite=overwrite)
    write_csv(result.schools, paths["zones_schools.csv"], overwrite=overwrite)
    write_csv(result.cases, paths["zones_cases.csv"], overwrite=overwrite)


#: The summary's headers: (English, Chinese), each short enough for 80 columns.
_HEADS = (
    ("level", "学段"),
    ("schools", "学校"),
    ("pupils", "学生"),
    ("schools over", "超容学校"),
    ("pupils over", "超额学生"),
    ("mean km", "平均距离"),
    ("split", "不连片"),
    ("gap", "差距"),
)

#: The summary's caption: what "split" and "gap" mean.
_CAPTION = {
    "zh": "不连片：不连成一片的学区数；差距：各区县中与可证明下界的最大相对差距（0% 即已证最优）",
    "en": "split: zones not in one piece; gap: the largest, over the districts, of how far "
    "the zones may be from the best possible (0% = proven best)",
}


def case_warnings(result: ZoneResult) -> list[str]:
    """Say which districts' zones look like failures, so nobody takes them as the best.

    Cases the time limit cut short (their ``note``); a district and level with places
    enough whose zones still leave pupils over more than no zoning avoids
    (``over_bound``); and primary zones that do not each lie in one junior
    zone (``feeder_conflicts``, with ``--feeders``). The figures are in zones_cases.csv.
    """
    lines = []
    rows: list[Any] = list(result.cases.itertuples(index=False))
    cut = [f"{r.district_id} {r.level}" for r in rows if "time limit" in str(r.note)]
    if cut:
        lines.append(
            f"the time limit cut {len(cut)} of {len(rows)} cases short ({', '.join(cut)}): "
            "their zones are less balanced and their gaps wider; zones_cases.csv says how"
        )
    from xuewei.planning.zones.crowding import stalled_cases

    stalled = stalled_cases(result.cases).to_numpy()
    for r, warn in zip(rows, stalled, strict=True):
        if warn:
            lines.append(
                f"{r.district_id} {r.level}: places for all {r.pupils:,.0f} pupils "
                f"({r.allowed:,.0f}), yet {r.over_pupils:,.0f} pupils over in the zones drawn "
                f"(at most {r.over_bound:,.0f} unavoidable; proven gap {r.gap:.1%}){_trip(r)}"
                f"{_crowded(r)}: see zones_cases.csv"
            )
    if "feeder_conflicts" in result.cases:
        by = result.cases.groupby("district_id", sort=True)["feeder_conflicts"].max()
        lines += [
            f"{d}: {int(n)} feeder conflict(s): primary zones not inside one junior zone"
            for d, n in by.items()
            if n > 0
        ]
    return lines


def _trip(r: Any) -> str:
    """``"; with no pupil over, some would travel 17.6 km or more"`` or ``""``.

    The shortest such longest trip (``least_over_km``, a sound bound): what the least
    overflow costs in travel.
    """
    from xuewei.maps._crowded import trip_sentence

    said = trip_sentence(r._asdict(), "en")
    return f"; {said}" if said else ""


def _crowded(r: Any) -> str:
    """``"; within 4.8 km of school X, 44,593 pupils for 24,840 places; …"`` or ``""``."""
    from xuewei.maps._crowded import crowded_sentence

    row = r._asdict()
    km = float(row.get("crowded_km", float("nan")))
    if km != km:  # NaN: no crowded core measured
        return ""
    return "; " + crowded_sentence(row, "en", f"school {row['crowded_school']}")


def _largest_gaps(result: ZoneResult) -> dict[str, str]:
    """Where each level's largest gap is (``"; largest: primary 430181 100.0%, …"``).

    The gap shown is the largest over the districts, so one district can make a whole
    level look unsolved; naming it tells the reader where to look (and the warnings on
    stderr say why). Empty when every gap is below 0.05 %.
    """
    found = []
    for level, cases in result.cases.dropna(subset=["gap"]).groupby("level", sort=False):
        gaps = cases["gap"].to_numpy(dtype=float)
        k = int(gaps.argmax())  # the first of the largest
        gap = float(gaps[k])
        if gap >= 0.0005:
            found.append((str(level), str(cases["district_id"].iloc[k]), gap))
    if not found:
        return {"en": "", "zh": ""}
    zh = "；".join(f"{LEVEL_NAMES.get(lv, (lv,))[0]}最大在{d}（{g:.1%}）" for lv, d, g in found)
    en = ", ".join(f"{lv} {d} {g:.1%}" for lv, d, g in found)
    return {"en": f"; largest: {en}", "zh": f"；{zh}"}


def summary_table(result: ZoneResult, *, lang: str = "both") -> Table:
    """Per level: schools, pupils, schools and pupils over, mean travel, contiguity, gap.

    Headers, title and level names in ``lang`` (``zh``, ``en`` or ``both``).
    """
    per = f"{result.scenario:g}"
    title = {
        "zh": f"学区 {result.year}年 · 每千人{per}个学位",
        "en": f"Attendance zones {result.year} · {per} places per 1,000 residents",
    }
    from xuewei.planning.zones.reach import reach_sentence

    where, a = _largest_gaps(result), result.assignments
    caption = {k: f"{_CAPTION[k]}{where[k]}\n{reach_sentence(a, k)}" for k in ("en", "zh")}
    table = Table(
        title=title.get(lang, f"{title['en']}\n{title['zh']}"),
        title_justify="left",
        caption=caption.get(lang, f"{caption['en']}\n{caption['zh']}"),
        caption_justify="left",
        show_edge=False,  # two columns more: a city's figures fit 80 columns
    )
    rows = []
    for level, cases in result.cases.groupby("level", sort=False):
        s = result.schools[result.schools["level"] == level]
        a = result.assignments[result.assignments["level"] == level]
        pupils = float(a["pupils"].sum())
        zoned = a.dropna(subset=["school_id"])
        travel = float(
            (zoned["pupils"] * zoned["distance_m"]).sum() / max(zoned["pupils"].sum(), 1e-12)
        )
        zh = LEVEL_NAMES.get(str(level), (str(level),))[0]
        rows.append(
            (
                {"zh": zh, "en": str(level).capitalize()}.get(lang, f"{zh}\n{level}"),
                f"{len(s):,}",
                f"{pupils:,.0f}",
                f"{int((s['over_pupils'] > 0.5).sum())}",
                f"{float(s['over_pupils'].sum()):,.0f}",
                f"{travel / 1000:,.1f}",
                f"{int(cases['non_contiguous'].sum())}",
                f"{float(cases['gap'].max()):.1%}",
            )
        )
    for k, (en, zh) in enumerate(_HEADS):
        head = {"zh": zh, "en": en}.get(lang, f"{en}\n{zh}")
        if en == "level":
            table.add_column(head, justify="left")
            continue
        # figures and a Chinese header whole; English headers wrap at their spaces
        wide = max([cell_len(row[k]) for row in rows] + [0 if lang == "en" else cell_len(zh)])
        table.add_column(head, justify="right", min_width=wide)
    for row in rows:
        table.add_row(*row)
    return table
