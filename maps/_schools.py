"""The school layers of the meeting map: one layer per level, coloured by utilisation.

Circles sized by capacity (area proportional to places) and coloured by utilisation class,
with a popup of the school's figures and flags as given; the layers of the levels that
serve the choropleth's level are shown when the map opens.

The colour is the enrolment-based utilisation (``utilisation``: pupils on the roll ÷
places), as the legend says; the popup also gives the assignment-based one
(``assigned_utilisation``, residents the catchments assign ÷ places) where present, and
each view's over-capacity flag.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.maps._labels import Lang, esc, flag, int_text, label, missing, percent_text
from xuewei.maps._points import MarkerData, PointLayer
from xuewei.maps._popups import popup_head, synthetic_line, table, tooltip_name
from xuewei.maps._select import column, in_level_order, points, records
from xuewei.maps._style import DIGITS, UTILISATION_COLOURS, radius, utilisation_class
from xuewei.vocabulary import COMPULSORY, COMPULSORY_LEVELS, SERVING_LEVELS

__all__ = ["add_schools"]


def _shown_levels(level: str) -> set[str]:
    """Return the school levels switched on at first for the choropleth's ``level``."""
    if level == COMPULSORY:
        return {v for lvl in COMPULSORY_LEVELS for v in SERVING_LEVELS[lvl]}
    return set(SERVING_LEVELS.get(level, (level,)))


def add_schools(
    m: folium.Map,
    schools: gpd.GeoDataFrame,
    district_names: Mapping[str, str],
    *,
    level: str,
    lang: Lang,
    capacity_col: str,
    closes: Mapping[str, Sequence[tuple[int, int]]] | None = None,
    cluster: bool = True,
) -> None:
    """Add one marker layer per school level (``schools`` in the drawing datum).

    ``closes`` gives, per school id, the scenarios (their index in the page's views) and
    years in which a merger closes it: from that year on, in that scenario, it is grey.
    With ``cluster``, schools are gathered into clusters below street zoom, each counting
    its schools over capacity (:mod:`xuewei.maps._cluster`).
    """
    closes = closes or {}
    shown = _shown_levels(level)
    capacity = pd.to_numeric(column(schools, capacity_col), errors="coerce")
    cap_max = float(np.nanmax(capacity.to_numpy(float))) if capacity.notna().any() else 0.0
    recs = records(schools)
    located = points(schools)
    for school_level in in_level_order(schools["level"]):
        markers = [
            MarkerData(
                lat=round(point.y, DIGITS),
                lon=round(point.x, DIGITS),
                radius=radius(cap, cap_max, smallest=4.0, largest=14.0),
                fill=UTILISATION_COLOURS[utilisation_class(rec.get("utilisation"))],
                popup=_school_popup(rec, cap, district_names, lang),
                tooltip=tooltip_name(rec, lang),
                dashed=flag(rec.get("synthetic")),
                closes=tuple(closes.get(str(rec["school_id"]), ())),
            )
            for rec, point, cap in zip(recs, located, capacity, strict=True)
            if str(rec["level"]) == school_level
        ]
        PointLayer(
            markers,
            name=f"{label('layer_schools', lang)}: {label(school_level, lang)}",
            show=school_level in shown,
            cluster_over=UTILISATION_COLOURS["over"] if cluster else None,
        ).add_to(m)


def _school_popup(
    rec: Mapping[str, Any], capacity: Any, district_names: Mapping[str, str], lang: Lang
) -> str:
    district = rec.get("district_id")
    district_text = (
        "–"
        if missing(district)
        else f"{district_names.get(str(district), esc(district))} ({esc(district)})"
    )
    rows = [
        ("level", label(str(rec["level"]), lang)),
        ("district", district_text),
        ("capacity", int_text(capacity)),
        ("enrolment", int_text(rec.get("enrolment"))),
        ("classes", int_text(rec.get("classes"))),
        ("utilisation_enrolment", percent_text(rec.get("utilisation"))),
    ]
    if "assigned_utilisation" in rec:
        rows.append(("utilisation_assigned", percent_text(rec.get("assigned_utilisation"))))
    flags = [
        label(f, lang)
        for f in ("over_capacity", "over_capacity_assigned", "big_class", "big_school")
        if flag(rec.get(f))
    ]
    flag_line = f'<div class="xuewei-flags">{" · ".join(flags)}</div>' if flags else ""
    return (
        '<div class="xuewei-popup">'
        + popup_head(rec["name"], rec.get("name_en"), rec["school_id"], lang)
        + table(rows, lang)
        + flag_line
        + synthetic_line(rec, lang)
        + "</div>"
    )
