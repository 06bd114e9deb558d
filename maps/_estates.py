"""The housing estates layers of the meeting map: all of them, and those short of a school.

Estates are purple dots sized by residents, hidden at first, with the school each is
assigned to per level in the popup. With a reach class (``reach_<year>`` for the year shown,
else ``reach``: ``served``, ``over_capacity``, ``out_of_reach``), the estates whose schools
in reach are full go into a layer of orange rings, and those with no school within the
service radius into a layer of magenta rings; without one, estates flagged ``unserved`` go
into one layer of magenta rings. Each ring layer is shown at first unless there are so many
rings that they would hide the map.
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
from xuewei.maps._popups import popup_head, synthetic_line, table, tooltip_name, year_text
from xuewei.maps._select import assigned_columns, assigned_level, points, records
from xuewei.maps._style import (
    DIGITS,
    ESTATE_COLOUR,
    FULL_COLOUR,
    FULL_FILL,
    UNSERVED_COLOUR,
    UNSERVED_FILL,
    radius,
)

__all__ = ["UNSERVED_SHOWN_MAX", "add_estates"]

#: Up to this many unserved estates the layer is on when the map opens.
UNSERVED_SHOWN_MAX = 500


def add_estates(
    m: folium.Map,
    estates: gpd.GeoDataFrame,
    names: Mapping[str, str],
    *,
    lang: Lang,
    year: int | None = None,
) -> tuple[str, ...]:
    """Add the estates layer and a ring layer per flag drawn; return the flags drawn.

    ``estates`` are in the drawing datum; ``names`` are the display names of schools and
    proposals by id (:func:`xuewei.maps._popups.place_names`). The flags are
    ``over_capacity`` and ``out_of_reach`` (by reach class), or ``unserved``.
    """
    residents = pd.to_numeric(estates["residents"], errors="coerce")
    res_max = float(np.nanmax(residents.to_numpy(float))) if residents.notna().any() else 0.0
    flag_of = _flags(estates, year)
    assigned = assigned_columns(estates)
    layers: dict[str, list[MarkerData]] = {"": [], **{k: [] for k in _RINGS}}
    for i, (rec, point, res) in enumerate(
        zip(records(estates), points(estates), residents, strict=True)
    ):
        kind = flag_of[i]
        rows = [
            ("residents", int_text(rec["residents"])),
            ("completion_year", year_text(rec.get("completion_year"))),
        ]
        popup = popup_head(rec["name"], rec.get("name_en"), rec["estate_id"], lang)
        popup += table(rows, lang)
        popup += _assigned_lines(rec, assigned, names, lang)
        if kind:
            text = label("unserved" if kind == "unserved" else f"reach_{kind}", lang)
            popup += f'<div class="xuewei-flags">{text}</div>'
        popup += synthetic_line(rec, lang)
        marker = MarkerData(
            lat=round(point.y, DIGITS),
            lon=round(point.x, DIGITS),
            radius=radius(res, res_max, smallest=3.0, largest=9.0),
            fill=_RINGS[kind][1] if kind else ESTATE_COLOUR,
            popup=f'<div class="xuewei-popup">{popup}</div>',
            tooltip=tooltip_name(rec, lang),
        )
        layers[kind].append(marker)
    PointLayer(
        layers[""],
        name=label("layer_estates", lang),
        show=False,
        stroke="#ffffff",
        fill_opacity=0.85,
        popup_width=300,
    ).add_to(m)
    drawn = []
    for kind, (stroke, _fill, layer_name) in _RINGS.items():
        if layers[kind]:
            PointLayer(
                layers[kind],
                name=label(layer_name, lang),
                # a few hundred rings point at places; thousands hide the map beneath them
                show=len(layers[kind]) <= UNSERVED_SHOWN_MAX,
                stroke=stroke,
                weight=2.5,
                fill_opacity=0.9,
                popup_width=300,
            ).add_to(m)
            drawn.append(kind)
    return tuple(drawn)


# ring layers: flag → (ring colour, fill, layer label), in drawing order
_RINGS = {
    "over_capacity": (FULL_COLOUR, FULL_FILL, "layer_over_capacity"),
    "out_of_reach": (UNSERVED_COLOUR, UNSERVED_FILL, "layer_out_of_reach"),
    "unserved": (UNSERVED_COLOUR, UNSERVED_FILL, "layer_unserved"),
}


def _flags(estates: pd.DataFrame, year: int | None) -> list[str]:
    """Return each estate's flag ('' for none): its reach class in ``year``, or unserved."""
    col = f"reach_{year}" if year is not None and f"reach_{year}" in estates else "reach"
    if col in estates:
        return [
            str(v) if isinstance(v, str) and v in ("over_capacity", "out_of_reach") else ""
            for v in estates[col]
        ]
    if "unserved" in estates:
        return ["unserved" if flag(v) else "" for v in estates["unserved"]]
    return [""] * len(estates)


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
