"""The attendance-zone layers (学区划片) of the meeting map: one filled layer per level.

Zones come from :func:`xuewei.planning.zones.draw_zones` (one polygon per school and level,
with the school's pupils, places, utilisation, travel, pupils moved and the junior school it
feeds); here each level is drawn as one layer, every zone filled in a colour its neighbours
do not share (a greedy colouring of the zones that touch, :func:`zone_colours`), outlined,
with a bilingual tooltip of the school's figures. A zone over capacity (pupils over its
allowed places) is hatched and outlined in red, drawn above its neighbours, and the legend
says so. Nothing is computed here but the colours: every figure is drawn as given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from jinja2 import Template

from xuewei.maps._arcs import SHAPES_SCRIPT, encode_zones, vlq
from xuewei.maps._labels import Lang, esc, int_text, label, missing, percent_text
from xuewei.maps._pieces import StoresPieces, script_json
from xuewei.maps._popups import bilingual
from xuewei.maps._select import column, in_level_order
from xuewei.vocabulary import LEVEL_NAMES

__all__ = [
    "ZONE_OVER_COLOUR",
    "ZONE_PALETTE",
    "ZoneLayer",
    "add_zones",
    "encode_tips",
    "zone_colours",
    "zone_layer_name",
    "zone_legend",
    "zone_notes",
    "zones_year",
]

#: Fills of the zones, pale enough for the schools and labels on top (ColorBrewer Set3
#: without its red, which marks a zone over capacity).
ZONE_PALETTE: tuple[str, ...] = (
    "#8dd3c7",
    "#ffffb3",
    "#bebada",
    "#80b1d3",
    "#fdb462",
    "#b3de69",
    "#fccde5",
    "#d9d9d9",
)
#: Outline of a zone whose pupils exceed its allowed places.
ZONE_OVER_COLOUR = "#d7301f"
_TOUCH_DEGREES = 1e-4  # about 10 m: zones this close count as neighbours for colouring
_NARROW = "width:6px;border-width:1px 0;"  # three of these make one legend swatch

_WORDS: dict[str, tuple[str, str]] = {
    "zone": ("学区", "Attendance zone"),
    "zones": ("学区", "Attendance zones"),
    "pupils": ("学生", "Pupils"),
    "places": ("学位", "Capacity"),
    "utilisation": ("利用率", "Utilisation"),
    "over": ("超容量", "over capacity"),
    "over_by": ("超额学生", "pupils over"),
    "mean": ("平均距离", "Mean travel"),
    "max": ("最远", "max"),
    "beyond": ("超出服务半径学生", "Pupils beyond the service radius"),
    "moved": ("调整学生", "Pupils moved"),
    "feeds": ("对口初中", "Feeds junior school"),
    "district": ("区县", "District"),
    "fill_note": ("每校一个学区，相邻不同色", "one zone per school"),
    "over_note": ("红色斜线：超容量", "red hatching: pupils over the allowed places"),
}


def _say(key: str, lang: Lang) -> str:
    zh, en = _WORDS[key]
    return esc({"zh": zh, "en": en}.get(lang, f"{zh} {en}"))


def zone_layer_name(level: str, lang: Lang, year: int | None = None) -> str:
    """Return the layer control's name of a level's zones (escaped HTML), with their year.

    Examples
    --------
    >>> zone_layer_name("primary", "both")
    '学区（小学） Attendance zones, primary'
    >>> zone_layer_name("junior", "both", 2024), zone_layer_name("junior", "en", 2024)
    ('2024年学区（初中） Attendance zones, junior', '2024 attendance zones, junior')
    """
    zh_level, en_level = LEVEL_NAMES.get(level, (level, level))
    zh = f"学区（{zh_level}）" if year is None else f"{year}年学区（{zh_level}）"
    if year is None:
        en = f"Attendance zones, {en_level.lower()}"
        return esc({"zh": zh, "en": en}.get(lang, f"{zh} {en}"))
    short = level if level in ("primary", "junior") else en_level.lower()  # layer list width
    en = f"{year} attendance zones, {short}"
    return esc({"zh": zh, "en": en}.get(lang, f"{zh} Attendance zones, {short}"))


def zones_year(zones: pd.DataFrame) -> int | None:
    """Return the year the zones were drawn for (their ``year`` column), if they say.

    Examples
    --------
    >>> zones_year(pd.DataFrame({"year": [2024, 2024]})), zones_year(pd.DataFrame())
    (2024, None)
    """
    if "year" not in zones:
        return None
    years = pd.to_numeric(zones["year"], errors="coerce").dropna().unique()
    return int(years[0]) if len(years) == 1 else None


def zone_colours(
    geometries: Sequence[Any], *, palette_size: int = len(ZONE_PALETTE), within: float = 0.0
) -> list[int]:
    """Colour zones so that zones that touch differ: a greedy (Welsh–Powell) colouring.

    Zones touch when they are ``within`` of each other (in the geometries' units: a hair's
    breadth bridges the slivers between districts drawn from different sources). Zones
    are taken most-neighbours first (ties in the order given), each getting the
    first colour none of its coloured neighbours has; the same zones give the same
    colours. A map of zones needs few colours (four always suffice; the greedy order
    rarely needs more than five); should it need more than ``palette_size``, the
    colours repeat.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> zone_colours([box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1), box(5, 5, 6, 6)])
    [1, 0, 1, 0]
    """
    geoms = np.asarray(list(geometries), dtype=object)
    n = len(geoms)
    neighbours: list[set[int]] = [set() for _ in range(n)]
    if n:
        tree = shapely.STRtree(geoms)
        if within > 0:
            left, right = tree.query(geoms, predicate="dwithin", distance=within)
        else:
            left, right = tree.query(geoms, predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i != j:
                neighbours[i].add(j)
    order = sorted(range(n), key=lambda i: (-len(neighbours[i]), i))
    colour = [-1] * n
    for i in order:
        taken = {colour[j] for j in neighbours[i]}
        colour[i] = next(c for c in range(n + 1) if c not in taken)
    return [c % palette_size for c in colour]


def _over(row: Mapping[str, Any]) -> bool:
    value: Any = row.get("over_pupils")
    return not missing(value) and float(value) > 0.5


def encode_tips(codes: Sequence[Sequence[int]]) -> str:
    """Write the zones' tooltips (the indexes of their pieces) as one string of :func:`vlq`.

    Zones are separated by ``|``; each index is written as the step from the index at the
    same place in the zone before (else from the index before it, the first from 0). The
    tooltips of a layer share their skeleton, so most steps are 0 (one character) and the
    rest the figures' and names' pieces.

    Examples
    --------
    >>> encode_tips([[5, 40, 6, 41], [5, 42, 6, 38, 7]])  # 5, +35, -34, +35 | 0, +2, 0, -3, -31
    'KmClCmC|AEAH/B'
    """
    texts: list[str] = []
    last: Sequence[int] = []
    for zone in codes:
        bases = [last[i] if i < len(last) else (zone[i - 1] if i else 0) for i in range(len(zone))]
        texts.append(vlq(c - b for c, b in zip(zone, bases, strict=True)))
        last = zone
    return "|".join(texts)


def _figure(text: str) -> str:
    """Wrap a figure in a tag of its own: the page's table then stores it apart from its label.

    A line such as "Pupils: 536 · Capacity: 540" is unique to its zone; cut around the
    figures, its labels are one run all zones share and its figures are pieces many share
    (:mod:`xuewei.maps._pieces`). The tag has no style: the tooltip looks the same.
    """
    return f"<span>{text}</span>"


def _tooltip(row: Mapping[str, Any], names: Mapping[str, str], level: str, lang: Lang) -> str:
    """Return a zone's figures (escaped HTML): school, pupils, capacity, travel, feeder."""
    school = str(row["school_id"])

    def count(key: str) -> str:
        return _figure(int_text(row.get(key)))

    lines = [
        f"<b>{_say('zone', lang)}</b> · {label(level, lang)}",
        f'<b>{names.get(school, esc(school))}</b> <span class="xuewei-id">{esc(school)}</span>',
        f"{_say('pupils', lang)}: {count('pupils')} · {_say('places', lang)}: {count('places')}",
        f"{_say('utilisation', lang)}: {_figure(percent_text(row.get('utilisation')))}",
    ]
    if _over(row):
        lines.append(
            f'<b style="color:{ZONE_OVER_COLOUR}">⚠ {_say("over", lang)}</b> · '
            f"{_say('over_by', lang)}: {count('over_pupils')}"
        )
    lines.append(
        f"{_say('mean', lang)}: {count('mean_distance_m')} m · "
        f"{_say('max', lang)} {count('max_distance_m')} m"
    )
    if not missing(row.get("beyond_radius_pupils")):
        lines.append(f"{_say('beyond', lang)}: {count('beyond_radius_pupils')}")
    if not missing(row.get("pupils_moved")):
        lines.append(f"{_say('moved', lang)}: {count('pupils_moved')}")
    feeds = row.get("feeds")
    if not missing(feeds) and str(feeds):
        lines.append(f"{_say('feeds', lang)}: {names.get(str(feeds), esc(feeds))}")
    return '<div class="xuewei-tip">' + "<br>".join(lines) + "</div>"


class ZoneLayer(StoresPieces, folium.FeatureGroup):
    """Filled zones with a colour and an over-capacity flag each, from two embedded strings.

    The zones' outlines are a topology (:func:`encode_zones`): each edge two neighbouring
    zones share is written once, as an arc of steps of 10⁻⁵ degree (about a metre), and
    each ring as the indexes of its arcs — the Changsha demo's zones take 0.2 MB where
    their rings, each written whole, took 0.55 MB (GeoJSON's coordinates: twice that).
    The tooltips go into the page's table of pieces (:mod:`xuewei.maps._pieces`), as the
    catchments' do, each figure a piece of its own, their indexes written as steps from
    the zone before's (:func:`encode_tips`).
    """

    pieces_last = True  # numbered after the other layers' pieces: see _pieces._build

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup({});
            (function (group) {
                {{ this.table_script }}
                var parts = window.xueweiParts;
                var tips = {{ this.tips_json }};
                var palette = {{ this.palette_json }};
                var over = {{ this.over_json }};
                var colours = {{ this.colours_json }};  // a palette index per zone
                var overFrom = {{ this.over_from }};  // the zones over capacity come last
                // a zone over capacity is hatched in red over its colour: stripes need SVG
                // patterns, so these layers draw in SVG (the page's default is canvas)
                if (!document.getElementById("xuewei-hatches")) {
                    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
                    svg.id = "xuewei-hatches";
                    svg.setAttribute("width", "0");
                    svg.setAttribute("height", "0");
                    svg.style.position = "absolute";
                    svg.innerHTML = "<defs>" + palette.map(function (c, i) {
                        return '<pattern id="xuewei-hatch-' + i + '" width="8" height="8" '
                            + 'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
                            + '<rect width="8" height="8" fill="' + c + '"/>'
                            + '<rect width="2.5" height="8" fill="' + over.color + '"/></pattern>';
                    }).join("") + "</defs>";
                    document.body.appendChild(svg);
                }
                // the outlines: each edge two zones share is stored once, in an arc (the
                // topology of xuewei.maps._arcs.encode_zones; written here: folium's
                // TopoJson needs a script from the network and draws no hatching or pieces)
                {{ this.shapes_script }}
                var shapes = window.xueweiShapes({{ this.arcs_json }});
                var renderer = L.svg({padding: 0.3});
                var tipTexts = tips.split("|"), last = [];
                {{ this.zones_json }}.split("|").forEach(function (text, k) {
                    var p = {k: k, c: +colours.charAt(k), o: k >= overFrom ? 1 : 0};
                    var line = p.o ? over : {color: "#555555", weight: 0.8};
                    var shape = L.polygon(shapes.polygon(text), {
                        renderer: renderer, color: line.color, weight: line.weight,
                        opacity: 0.9, fillOpacity: 0.55,
                        fillColor: p.o ? "url(#xuewei-hatch-" + p.c + ")" : palette[p.c]
                    });
                    shape.feature = {properties: p};
                    var tip = [];  // steps from the zone before's codes (encode_tips)
                    shapes.numbers(tipTexts[k]).forEach(function (step, i) {
                        tip.push((i < last.length ? last[i] : i ? tip[i - 1] : 0) + step);
                    });
                    last = tip;
                    shape.bindTooltip(function () {
                        return tip.map(function (i) { return parts[i]; }).join("");
                    }, {sticky: true});
                    shape.addTo(group);
                });
            })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        geometries: Sequence[Any],
        tips: Sequence[str],
        colours: Sequence[int],
        over: Sequence[bool],
        *,
        name: str,
        show: bool,
    ) -> None:
        super().__init__(name=name, show=show)
        self._name = "ZoneLayer"
        # zones over capacity last, so that their red outlines are drawn on top
        order = sorted(range(len(tips)), key=lambda k: (bool(over[k]), k))
        self.piece_texts = [tips[k] for k in order]
        arcs, zones = encode_zones([geometries[k] for k in order])
        self.arcs_json, self.zones_json = script_json(arcs), script_json(zones)
        # one digit per zone: the palette has fewer than ten colours
        self.colours_json = script_json("".join(str(int(colours[k])) for k in order))
        self.over_from = sum(not over[k] for k in order)
        self.shapes_script = SHAPES_SCRIPT
        self.palette_json = script_json(list(ZONE_PALETTE))
        self.over_json = script_json({"color": ZONE_OVER_COLOUR, "weight": 1.5})

    @property
    def tips_json(self) -> str:
        """The zones' tooltips: their pieces' indexes in the page's table (:func:`encode_tips`)."""
        return script_json(encode_tips(self.piece_codes()))


def _names(zones: gpd.GeoDataFrame, lang: Lang) -> dict[str, str]:
    if "name" not in zones.columns:
        return {}
    return {
        str(s): bilingual(n, e, lang)
        for s, n, e in zip(zones["school_id"], zones["name"], column(zones, "name_en"), strict=True)
        if not missing(n)
    }


def add_zones(
    m: folium.Map,
    zones: gpd.GeoDataFrame,
    *,
    lang: Lang,
    show: bool | Sequence[str] = False,
    names: Mapping[str, str] | None = None,
) -> dict[str, ZoneLayer]:
    """Add one zone layer per level (hidden at first unless ``show``); return them by level.

    Each layer's name gives the year the zones were drawn for (``year`` column, as
    :func:`xuewei.outputs.zones_layer` writes it), which may not be the map's.

    ``show`` is true (every level shown when the page opens), false, or the levels shown.

    ``zones`` are in the drawing datum (degrees), one polygon per school and level with
    ``level`` and ``school_id`` and, as available, ``name``, ``name_en``, ``pupils``,
    ``places``, ``utilisation``, ``over_pupils``, ``mean_distance_m``,
    ``max_distance_m``, ``beyond_radius_pupils``, ``pupils_moved`` (missing: no current
    zones given) and ``feeds``
    (the junior school a primary school feeds). ``names`` are display names by school id
    (escaped HTML), added to those of ``zones``.
    """
    shown = {**_names(zones, lang), **(names or {})}
    year = zones_year(zones)
    layers: dict[str, ZoneLayer] = {}
    for level in in_level_order(zones["level"]):
        rows = zones[np.asarray(zones["level"].astype(str) == level)]
        records = rows.drop(columns=rows.geometry.name).to_dict("records")
        geometries = list(rows.geometry)
        layer = ZoneLayer(
            geometries,
            [_tooltip(r, shown, level, lang) for r in records],
            zone_colours(geometries, within=_TOUCH_DEGREES),
            [_over(r) for r in records],
            name=zone_layer_name(level, lang, year),
            show=show if isinstance(show, bool) else level in show,
        )
        layer.add_to(m)
        layers[level] = layer
    return layers


def zone_legend(lang: Lang) -> tuple[str, str | None, list[tuple[str, str]]]:
    """Return the legend's section on zones: ``(title, note, rows)``, escaped HTML."""
    fills = (
        '<span style="display:inline-flex;white-space:nowrap">'
        + "".join(
            f'<span class="xuewei-swatch" style="{_NARROW}background:{c}"></span>'
            for c in ZONE_PALETTE[:3]
        )
        + "</span>"
    )
    stripes = f"repeating-linear-gradient(45deg,{ZONE_OVER_COLOUR} 0 2px,{ZONE_PALETTE[3]} 2px 6px)"
    over = (
        f'<span class="xuewei-swatch" style="background:{stripes};'
        f'border:2px solid {ZONE_OVER_COLOUR}"></span>'
    )
    return (
        _say("zones", lang),
        None,
        [(fills, _say("fill_note", lang)), (over, _say("over_note", lang))],
    )


def zone_notes(zones: gpd.GeoDataFrame, lang: Lang) -> list[str]:
    """Return the title box's lines: per level, zones and those over capacity (escaped).

    Examples
    --------
    >>> z = gpd.GeoDataFrame({"level": ["primary"] * 3, "over_pupils": [0.0, 12.4, 3.0]},
    ...     geometry=[None] * 3)
    >>> zone_notes(z, "en")
    ['Primary: 3 zones, 2 over capacity (15 pupils over)']
    """
    notes = []
    for level in in_level_order(zones["level"]):
        rows = zones[np.asarray(zones["level"].astype(str) == level)]
        over = rows["over_pupils"] if "over_pupils" in rows else None
        count = 0 if over is None else int((over.fillna(0) > 0.5).sum())
        pupils = 0.0 if over is None else float(over.fillna(0).sum())
        zh_level, en_level = LEVEL_NAMES.get(level, (level, level))
        zh = f"{zh_level}：{len(rows):,} 个学区，{count} 个超容量（超额 {pupils:,.0f} 人）"
        en = f"{en_level}: {len(rows):,} zones, {count} over capacity ({pupils:,.0f} pupils over)"
        notes.append(esc({"zh": zh, "en": en}.get(lang, f"{zh} · {en}")))
    return notes
