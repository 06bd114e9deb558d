"""The proposals and mergers layers of the meeting map.

Proposals (new schools, expansions, kindergartens, special education schools, mergers) are
icons by kind, with a popup of the kind, district, level, year, added places, rationale and
the estates served, joined to those estates by thin dashed lines. Mergers are dashed lines
from the closing school (hollow end) to the receiving school (filled end). The proposals
and mergers come from :mod:`xuewei.planning`; here they are only drawn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

from xuewei.maps._labels import Lang, esc, int_text, label, missing
from xuewei.maps._points import IconData, IconLayer, LineData, LineLayer
from xuewei.maps._popups import synthetic_line, table, year_text
from xuewei.maps._select import (
    merger_lines,
    merger_source,
    points,
    records,
    served_estates,
    shown_proposals,
)
from xuewei.maps._style import (
    DIGITS,
    MERGER_COLOUR,
    PROPOSAL_OTHER,
    PROPOSAL_STYLES,
    css_name,
    kind_label,
    proposal_symbol,
)
from xuewei.maps._view import Views
from xuewei.maps.tiles import Datum

__all__ = ["add_mergers", "add_proposals", "merger_sets"]


def add_proposals(
    m: folium.Map,
    proposals: gpd.GeoDataFrame,
    estates: gpd.GeoDataFrame | None,
    district_names: Mapping[str, str],
    *,
    lang: Lang,
    views: Views,
) -> list[str]:
    """Add the proposals layer (icons and lines to the estates served); return the kinds.

    A proposal with a ``scenario`` shows in that scenario only (one not carried by
    ``views`` is left out), one without in every scenario; each is faded until its
    ``year``.
    """
    served = served_estates(proposals, estates)
    estate_points = [] if estates is None else points(estates)
    estate_names = [] if estates is None else [esc(n) for n in estates["name"]]
    icons = []
    for rec, point, serves in zip(records(proposals), points(proposals), served, strict=True):
        scenario = rec.get("scenario")
        si = -1
        if not missing(scenario):
            si = views.scenario_index(float(str(scenario)))
            if si < 0:
                continue  # a scenario the page does not carry
        kind = str(rec["kind"])
        symbol, colour = proposal_symbol(kind, lang)
        district = rec.get("district_id")
        rows = [
            ("level", "–" if missing(rec.get("level")) else label(str(rec["level"]), lang)),
            (
                "district",
                "–" if missing(district) else district_names.get(str(district), esc(district)),
            ),
            ("year", year_text(rec.get("year"))),
            ("places", int_text(rec.get("places"))),
        ]
        if serves:
            shown = ", ".join(estate_names[i] for i in serves[:12])
            more = f" … (+{len(serves) - 12})" if len(serves) > 12 else ""
            rows.append(("serves", shown + more))
        head = (
            f'<b><span class="xuewei-icon" style="background:{colour};display:inline-block;'
            f'width:18px">{symbol}</span> {kind_label(kind, lang)}</b><br>'
            f'<span class="xuewei-id">{esc(rec["proposal_id"])}</span>'
        )
        popup = head + table(rows, lang) + _rationale(rec, lang) + synthetic_line(rec, lang)
        lat, lon = round(point.y, DIGITS), round(point.x, DIGITS)
        icons.append(
            IconData(
                lat=lat,
                lon=lon,
                symbol=symbol,
                css_class=f"xuewei-kind-{css_name(kind)}",
                popup=f'<div class="xuewei-popup">{popup}</div>',
                tooltip=f"{kind_label(kind, lang)} {esc(rec['proposal_id'])}",
                scenario=si,
                opens=0 if missing(rec.get("year")) else int(rec["year"]),
                links=tuple(
                    (round(estate_points[i].y, DIGITS), round(estate_points[i].x, DIGITS))
                    for i in serves
                ),
            )
        )
    layer = IconLayer(
        icons,
        name=label("layer_proposals", lang),
        scenario=views.scenario_index(views.scenario),
        cluster=True,
    )
    # each icon's colour, by kind, as CSS: the icon data carry the class only
    layer.add_child(_KindStyle(lang))
    layer.add_to(m)
    kinds = [str(k) for k in pd.unique(proposals["kind"].astype(str))]
    return [k for k in PROPOSAL_STYLES if k in kinds] + sorted(
        k for k in kinds if k not in PROPOSAL_STYLES
    )


class _KindStyle(MacroElement):
    """The background colour of each proposal kind's icon."""

    _template = Template(
        "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}"
    )

    def __init__(self, lang: Lang) -> None:
        super().__init__()
        self._name = "XueweiKindStyle"
        # the fallback first: the kinds' rules, equally specific, come later and win
        kinds = " ".join(
            f".xuewei-kind-{css_name(k)} {{ background: {c}; }}"
            for k, (_s, c) in PROPOSAL_STYLES.items()
        )
        self.css = f".xuewei-icon {{ background: {PROPOSAL_OTHER[1]}; }} " + kinds


def _rationale(rec: Mapping[str, Any], lang: Lang) -> str:
    parts = []
    for key, wanted in (("rationale_zh", ("zh", "both")), ("rationale_en", ("en", "both"))):
        value = rec.get(key)
        if lang in wanted and not missing(value) and str(value):
            parts.append(esc(value))
    if not parts:
        return ""
    return (
        f'<div class="xuewei-rationale"><b>{label("rationale", lang)}</b>: '
        + "<br>".join(parts)
        + "</div>"
    )


def add_mergers(
    m: folium.Map,
    mergers: Sequence[tuple[int, gpd.GeoDataFrame]],
    names: Mapping[str, str],
    *,
    lang: Lang,
) -> None:
    """Add the mergers layer: the mergers of each scenario, faded until their year.

    ``mergers`` holds, per scenario carried (its index in the page's views; -1: every
    one), mergers as from :func:`xuewei.maps._select.merger_lines`.
    """
    lines = []
    for si, rec, geometry in (
        (si, rec, geometry)
        for si, frame in mergers
        for rec, geometry in zip(records(frame), frame.geometry, strict=True)
    ):
        parts = list(getattr(geometry, "geoms", [geometry]))
        coords = [[round(y, DIGITS), round(x, DIGITS)] for part in parts for x, y in part.coords]
        closing, receiving = rec.get("closing_school_id"), rec.get("receiving_school_id")

        def name(value: Any) -> str:
            return "–" if missing(value) else names.get(str(value), esc(value))

        year = year_text(rec.get("year"))
        tip = f"{label('merger', lang)} {year}: {name(closing)} → {name(receiving)}"
        rows = [
            ("closing", name(closing)),
            ("receiving", name(receiving)),
            ("merger_year", year),
        ]
        if not missing(rec.get("pupils")):
            rows.append(("pupils", int_text(rec.get("pupils"))))
        popup = f"<b>{label('merger', lang)} {year}</b>" + table(rows, lang)
        lines.append(
            LineData(
                coords=coords,
                colour=MERGER_COLOUR,
                popup=f'<div class="xuewei-popup">{popup}</div>',
                tooltip=tip,
                scenario=si,
                year=0 if missing(rec.get("year")) else int(rec["year"]),
            )
        )
    LineLayer(lines, name=label("layer_mergers", lang)).add_to(m)


def merger_sets(
    mergers: pd.DataFrame | None,
    proposals: gpd.GeoDataFrame | None,
    schools: gpd.GeoDataFrame,
    views: Views,
    datum: Datum,
) -> list[tuple[int, gpd.GeoDataFrame]]:
    """Return the merger lines to draw, per scenario carried (its index; -1: every one).

    Mergers (given, or the proposals of kind ``merger``) with a ``scenario`` are drawn in
    that scenario, those without in every one.
    """
    source, _ = merger_source(mergers, proposals)
    if source is None:
        return []
    if "scenario" not in source.columns:
        return [(-1, merger_lines(source, schools, proposals, datum))]
    scenario = pd.to_numeric(source["scenario"], errors="coerce").to_numpy(float)
    sets = []
    if np.isnan(scenario).any():
        sets.append((-1, merger_lines(source[np.isnan(scenario)], schools, proposals, datum)))
    for si, value in enumerate(views.scenarios):
        rows = source[np.isclose(scenario, value)]
        if len(rows):
            shown = proposals if mergers is not None else shown_proposals(proposals, value)
            sets.append((si, merger_lines(rows, schools, shown, datum)))
    return sets
