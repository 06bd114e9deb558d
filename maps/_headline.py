"""The title box's figures: the headline of the year and scenario shown, and reach.

:func:`headline_notes` gives the plan's totals a meeting asks for first — residents now
and in the year shown, compulsory places required, offered and the gap, schools over
capacity, new schools proposed — and :func:`reach_notes` each level's shares of residents
served, in reach of full schools, and out of reach. Every figure is read from the tables
the map is drawn from, so the box says what the layers show.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.maps._labels import Lang, flag, int_text, label, signed_text
from xuewei.vocabulary import COMPULSORY

__all__ = ["headline_notes", "reach_notes"]


def headline_notes(
    gaps: pd.DataFrame,
    schools: gpd.GeoDataFrame,
    proposals: gpd.GeoDataFrame | None,
    *,
    scenario: float,
    year: int,
    lang: Lang,
    level: str = COMPULSORY,
) -> list[str]:
    """Return the headline lines (escaped HTML) for ``scenario`` and ``year``.

    Residents in the first year of ``gaps`` → ``year``; places required, offered and the
    gap of ``level`` (the level the map is drawn for: compulsory, primary or junior) in
    ``year`` (all districts); schools over capacity by enrolment;
    new schools of the proposals shown opening by ``year``.
    """
    rows = gaps[(gaps["level"] == level) & np.isclose(gaps["scenario"], scenario)]
    if rows.empty:
        return []
    first = int(rows["year"].min())
    now = rows.loc[rows["year"] == first, "residents"].sum()
    shown = rows[rows["year"] == year]
    required, offered = shown["required"].sum(), shown["offered"].sum()
    over = sum(flag(v) for v in schools["over_capacity"]) if "over_capacity" in schools else None
    lines = [
        f"{label('residents', lang)} {int_text(now)} ({first}) → "
        f"{int_text(shown['residents'].sum())} ({year}) · {label('required', lang)} "
        f"{int_text(required)} · {label('offered', lang)} {int_text(offered)} · "
        f"{label('gap', lang)} {signed_text(required - offered)}"
    ]
    parts = []
    if over is not None:
        parts.append(f"{label('headline_over', lang).format(year=first)}: {over:,}")
    if proposals is not None and "kind" in proposals:
        new = proposals[proposals["kind"].astype(str) == "new_build"]
        opening = pd.to_numeric(new.get("year"), errors="coerce")
        opened = int((opening <= year).sum())
        parts.append(f"{label('headline_new', lang).format(year=year)}: {opened:,}")
    if parts:
        lines.append(" · ".join(parts))
    return lines


def reach_notes(reach: pd.DataFrame | None, year: int, lang: Lang) -> list[str]:
    """Return the title box's reach lines: per level, the plan's shares of residents.

    From the ``district_id == "total"``, ``settlement == "all"`` rows of ``reach`` (as
    :meth:`xuewei.pipeline.PlanResult.reach`), of ``year`` if assessed, else of the
    latest year assessed before it.
    """
    if reach is None or not len(reach):
        return []
    rows = reach[(reach["district_id"].astype(str) == "total") & (reach["settlement"] == "all")]
    years = sorted(int(y) for y in rows["year"].unique() if int(y) <= year)
    if not years:
        return []
    shown = rows[rows["year"].astype(int) == years[-1]]
    lines = []
    for r in shown.itertuples():
        parts = [
            f"{label(f'reach_short_{k}', lang)} {getattr(r, f'{k}_share'):.0%}"
            for k in ("served", "over_capacity", "out_of_reach")
        ]
        lines.append(f"{label(str(r.level), lang)} {years[-1]}: " + " · ".join(parts))
    return lines
