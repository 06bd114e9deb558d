"""The body of ``xuewei programme``: the build programme of a saved result, by year and district.

Reads the ``programme`` table of a ``plan.gpkg`` (written by ``xuewei plan`` and ``demo``) and
prints, for one scenario, what opens each year: for the whole plan followed by one row per
district, or year by year for one district (``--district``, by code or name). Nothing is
re-computed: the figures are the ones the report's 建设时序 Programme sheet holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from xuewei._cli_log import console as _console
from xuewei._cli_log import fail as _fail
from xuewei._cli_tables import programme_years_table, say

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["district_programme_table", "programme_command"]

_WORDS = {
    "by_district": (
        "各区县建设时序：首批建成年份、新建学校、扩建、新增学位，期末建前所缺与建后仍缺学位"
        "（各学段之缺分别计，一学段之余不抵另一学段之缺）",
        "by district: first opening, new schools, expansions, places added; places short "
        "before the programme (need) and after it (left), each level's shortage on its "
        "own: a surplus of one level does not fill another's",
        "by district (各区县): first opening, new schools, expansions, places added; places "
        "short before the programme (need) and after it (left), each level's shortage on "
        "its own: a surplus of one level does not fill another's",
    ),
    "first": ("首批", "first", "first"),
    "new": ("新建", "new", "new"),
    "expand": ("扩建", "expand", "expand"),
    "places": ("新增学位", "places", "places"),
    "gap": ("建前缺", "need", "need"),
    "short": ("建后仍缺", "left", "left"),
}


def _say(key: str, lang: str) -> str:
    zh, en, both = _WORDS[key]
    return {"zh": zh, "en": en}.get(lang, both)


def programme_command(
    result: Annotated[Path, typer.Argument(help="A saved result: plan.gpkg.")],
    district: Annotated[
        str | None,
        typer.Option(help="One district, by code or name (Chinese or English): year by year."),
    ] = None,
    scenario: Annotated[
        float | None,
        typer.Option(help="Places per 1,000 residents (default the plan's)."),
    ] = None,
    lang: Annotated[
        str, typer.Option("--lang", help="Language of the tables printed: zh, en or both.")
    ] = "both",
) -> None:
    """Print the build programme of a saved result: what opens each year, by district.

    Without --district: the whole plan year by year, then one row per district (the year
    its first addition opens, schools and places added, the gap and what is still short at
    the horizon).

    Example: xuewei programme out/changsha/plan.gpkg --district 岳麓区
    """
    if lang not in ("zh", "en", "both"):
        raise typer.BadParameter(f"--lang {lang!r}: expected zh, en or both")
    programme, names, facts = _read(result)
    scenarios = sorted(float(s) for s in programme["scenario"].unique())
    chosen = float(facts["default_scenario"]) if scenario is None else scenario
    if not any(abs(chosen - s) < 1e-9 for s in scenarios):
        _fail(
            f"--scenario {chosen:g}: {result} has the scenarios "
            + ", ".join(f"{s:g}" for s in scenarios),
            code=2,
        )
    rows = programme[(programme["scenario"] - chosen).abs() < 1e-9]
    console = _console()
    if district is None:
        plan = {"zh": facts["name"], "en": facts["name_en"] or facts["name"]}.get(
            lang, f"{facts['name']} {facts['name_en']}".strip()
        )
        console.print(programme_years_table(rows, chosen, lang=lang, where=plan))
        console.print(district_programme_table(rows, names, chosen, lang=lang))
        return
    key = _district_key(district, names, result)
    console.print(
        programme_years_table(
            rows[rows["district_id"] == key], chosen, lang=lang, where=names[key][lang]
        )
    )


def district_programme_table(
    programme: pd.DataFrame, names: dict[str, dict[str, str]], scenario: float, *, lang: str
) -> Table:
    """One row per district: first opening, schools and places added, gap and shortfall.

    ``programme`` holds one scenario's rows; the gap and the places still short are those of
    the last year, each level's deficit counted on its own (a surplus of one level does not
    fill the other's gap), as in :func:`~xuewei._cli_tables.programme_years_table`.
    """
    horizon = int(programme["year"].max())
    table = Table(
        title=f"{horizon} ({scenario:g} / 1,000), {_say('by_district', lang)}",
        title_justify="left",
    )
    table.add_column(say("district", lang), no_wrap=True)
    for word in ("first", "new", "expand", "places"):
        table.add_column(_say(word, lang), justify="right", no_wrap=True)
    for word in ("gap", "short"):
        table.add_column(f"{_say(word, lang)} {horizon}", justify="right", no_wrap=True)
    for key, rows in programme.groupby("district_id", sort=True):
        last = rows[rows["year"] == horizon]
        opening = rows.loc[rows["places_added"] > 0, "year"]
        table.add_row(
            # Chinese names alone in both languages, as in the plan's summary table: the
            # figures must never be cut to fit an 80-column terminal
            names.get(str(key), {}).get("en" if lang == "en" else "zh", str(key)),
            str(int(opening.min())) if len(opening) else "—",
            f"{int(rows['new_schools'].sum()):,}",
            f"{int(rows['expansions'].sum()):,}",
            f"{rows['places_added'].sum():,.0f}",
            f"{last['gap'].clip(lower=0).sum():,.0f}",
            f"{last['remaining_gap'].clip(lower=0).sum():,.0f}",
        )
    return table


def _read(gpkg: Path) -> tuple[pd.DataFrame, dict[str, dict[str, str]], dict[str, str]]:
    """Return a saved result's programme, districts' names by language, and facts."""
    import pandas as pd
    import pyogrio
    from pyogrio.errors import DataSourceError

    if not gpkg.is_file():
        _fail(f"{gpkg}: no such file; pass the plan.gpkg of xuewei plan or demo", code=2)
    try:
        layers = {str(name) for name, _ in pyogrio.list_layers(gpkg)}
    except DataSourceError:
        _fail(f"{gpkg} is not a GeoPackage; pass the plan.gpkg of xuewei plan or demo", code=2)
    if not {"districts", "plan"} <= layers:
        _fail(f"{gpkg} is not a saved plan; pass the plan.gpkg of xuewei plan or demo", code=2)
    if "programme" not in layers:
        _fail(
            f"{gpkg} has no build programme (layer 'programme'): pass the plan.gpkg of "
            "xuewei plan or demo run on a plan with schools",
            code=2,
        )
    programme = pd.DataFrame(pyogrio.read_dataframe(gpkg, layer="programme"))
    programme["district_id"] = programme["district_id"].astype(str)
    districts = pyogrio.read_dataframe(gpkg, layer="districts", read_geometry=False)
    facts = {
        str(k): "" if v is None else str(v)
        for k, v in pyogrio.read_dataframe(gpkg, layer="plan").set_index("key")["value"].items()
    }
    names: dict[str, dict[str, str]] = {}
    for row in districts.itertuples(index=False):
        zh = str(row.name)
        en = str(getattr(row, "name_en", "") or "") or zh
        names[str(row.district_id)] = {"zh": zh, "en": en, "both": f"{zh} {en}".strip()}
    return programme, names, facts


def _district_key(district: str, names: dict[str, dict[str, str]], gpkg: Path) -> str:
    """Return the code of the district named ``district`` (a code, or its name)."""
    wanted = district.strip().casefold()
    for key, name in names.items():
        if wanted in (key.casefold(), name["zh"].casefold(), name["en"].casefold()):
            return key
    _fail(
        f"--district {district!r}: not a district of {gpkg}; expected a code or name of "
        + ", ".join(f"{k} {n['both']}" for k, n in names.items()),
        code=2,
    )
