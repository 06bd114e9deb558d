"""The housing estates and unserved estates layers of the meeting map.

Estates are purple dots sized by residents, hidden at first, with the school each is
assigned to per level in the popup; estates flagged ``unserved`` go into a layer of their
own as thick magenta rings, shown at first unless there are so many that they would hide
the map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.maps._labels import Lang, esc, flag, int_text, label, missing
from xuewei.maps._points import MarkerData, PointLayer
from xuewei.maps._popups import popup_head, synthetic_line, table, year_text
from xuewei.maps._select import assigned_columns, assigned_level, points, records
from xuewei.maps._style import (
    DIGITS,
    ESTATE_COLOUR,
    UNSERVED_COLOUR,
    UNSERVED_FILL,
    radius,
)

__all__ = ["UNSERVED_SHOWN_MAX", "add_estates"]

#: Up to this many unserved estates the layer is on when the map opens.
UNSERVED_SHOWN_MAX = 500


def add_estates(
    m: folium.Map, estates: gpd.GeoDataFrame, names: Mapping[str, str], *, lang: Lang
) -> bool:
    """Add the estates layer and, when any is unserved, the unserved layer; tell which.

    ``estates`` are in the drawing datum; ``names`` are the display names of schools and
    proposals by id (:func:`xuewei.maps._popups.place_names`).
    """
    residents = pd.to_numeric(estates["residents"], errors="coerce")
    res_max = float(np.nanmax(residents.to_numpy(float))) if residents.notna().any() else 0.0
    has_unserved = "unserved" in estates.columns
    assigned = assigned_columns(estates)
    served: list[MarkerData] = []
    unserved_points: list[MarkerData] = []
    for rec, point, res in zip(records(estates), points(estates), residents, strict=True):
        unserved = has_unserved and flag(rec["unserved"])
        rows = [
            ("residents", int_text(rec["residents"])),
            ("completion_year", year_text(rec.get("completion_year"))),
        ]
        popup = popup_head(rec["name"], None, rec["estate_id"], lang) + table(rows, lang)
        popup += _assigned_lines(rec, assigned, names, lang)
        if unserved:
            popup += f'<div class="xuewei-flags">{label("unserved", lang)}</div>'
        popup += synthetic_line(rec, lang)
        marker = MarkerData(
            lat=round(point.y, DIGITS),
            lon=round(point.x, DIGITS),
            radius=radius(res, res_max, smallest=3.0, largest=9.0),
            fill=UNSERVED_FILL if unserved else ESTATE_COLOUR,
            popup=f'<div class="xuewei-popup">{popup}</div>',
            tooltip=esc(rec["name"]),
        )
        (unserved_points if unserved else served).append(marker)
    PointLayer(
        served,
        name=label("layer_estates", lang),
        show=False,
        stroke="#ffffff",
        fill_opacity=0.85,
        popup_width=300,
    ).add_to(m)
    if unserved_points:
        PointLayer(
            unserved_points,
            name=label("layer_unserved", lang),
            # a few hundred rings point at places; thousands hide the map beneath them
            show=len(unserved_points) <= UNSERVED_SHOWN_MAX,
            stroke=UNSERVED_COLOUR,
            weight=2.5,
            fill_opacity=0.9,
            popup_width=300,
        ).add_to(m)
    return bool(unserved_points)


def _assigned_lines(
    rec: Mapping[str, Any], columns: Sequence[str], names: Mapping[str, str], lang: Lang
) -> str:
    rows = []
    for name in columns:
        value = rec.get(name)
        if missing(value) or str(value) == "":
            continue
        school_level = assigned_level(name)
        school = names.get(str(value), esc(value))
        rows.append(
            f"<tr><th>{label('assigned_school', lang)} · {label(school_level, lang)}</th>"
            f'<td>{school} <span class="xuewei-id">{esc(value)}</span></td></tr>'
        )
    return f"<table>{''.join(rows)}</table>" if rows else ""
