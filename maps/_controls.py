"""The controls drawn over the meeting map: the title box, full-screen button and switches.

The page's stylesheet (boxes, popups, tooltips and legend symbols), the title box (plan,
the year and scenario selectors of :mod:`xuewei.maps._view`, the scenario, year and level
shown, the headline figures and the data note), the full-screen and print buttons, and
the layer control. All are plain HTML and
Leaflet (no D3, no CDN beyond what folium already loads), so they print and they survive an
offline page. Callers pass already-escaped HTML fragments. The scale bar is Leaflet's own
(``control_scale``); the legend is :mod:`xuewei.maps._legend`.
"""

from __future__ import annotations

from collections.abc import Sequence

import folium
from branca.element import MacroElement
from jinja2 import Template

__all__ = [
    "Box",
    "add_controls",
    "box_style",
    "fullscreen_button",
    "metric_scale",
    "one_at_a_time",
    "title_box",
]

_CSS = """
.xuewei-box {
    /* z-index under the map's controls (1000): the layer control stays readable; the
       map's panes (popups included) are under it, so popups pan clear of the title box */
    position: fixed; z-index: 999; background: rgba(255, 255, 255, 0.94);
    border: 1px solid #999; border-radius: 4px; padding: 6px 10px;
    font: 13px/1.35 "Helvetica Neue", Arial, "PingFang SC", "Microsoft YaHei", sans-serif;
    box-shadow: 0 1px 4px rgba(0, 0, 0, 0.3);
}
.xuewei-title { top: 10px; left: 50%; transform: translateX(-50%); text-align: center;
    max-width: 42%; }
.xuewei-title .xuewei-plan { font-size: 17px; font-weight: bold; }
.xuewei-title .xuewei-data-note { margin-top: 4px; padding: 3px 6px; font-weight: bold;
    color: #7f0000; background: #fff3b0; border: 2px solid #d7301f; }
.xuewei-title .xuewei-note { font-size: 12px; color: #333; }
.xuewei-switch { margin: 3px 0 2px; font-size: 12px; }
.xuewei-switch label { white-space: nowrap; margin: 0 4px; }
.xuewei-switch select { font-size: 13px; padding: 1px 2px; }
.xuewei-switch button { font-size: 11px; padding: 1px 5px; margin: 0 2px; cursor: pointer; }
.xuewei-district-label span { display: inline-block; transform: translate(-50%, -50%);
    white-space: nowrap; text-align: center; font-size: 13px; line-height: 1.1; color: #222;
    text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 2px #fff; }
.xuewei-district-label small { font-size: 10px; }
.xuewei-search input { width: 190px; padding: 4px 6px; border: 0; font-size: 13px; }
@page { size: A3 landscape; margin: 8mm; }
@media print {
    /* the sheet is the map: no buttons or layer list; the legend and title unfolded */
    html, body { width: 100%; height: 100%; margin: 0; }
    .leaflet-control-zoom, .leaflet-control-layers, .xuewei-fullscreen, .xuewei-print,
    .xuewei-search, .xuewei-step,
    .leaflet-control-attribution { display: none !important; }
    .xuewei-legend { max-height: none !important; overflow: visible !important; }
    .xuewei-box { box-shadow: none; }
    * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
.xuewei-legend { bottom: 52px; left: 10px; max-height: calc(100% - 262px); overflow-y: auto;
    max-width: 290px; font-size: 12px; line-height: 1.3; }
.leaflet-control-layers { font-size: 13px; line-height: 1.4; }
@media (max-width: 900px) {
    /* narrow (a side of a comparison): the title moves left of the layer control */
    .xuewei-title { left: 56px; transform: none; max-width: calc(100% - 370px);
        font-size: 12px; }
    .xuewei-title .xuewei-plan { font-size: 14px; }
    .leaflet-control-layers { font-size: 11px; }
    .xuewei-legend { max-height: 45%; }
}
.xuewei-tiles-failed { color: #b00; font-weight: bold; }
.xuewei-legend summary { font-weight: bold; cursor: pointer; }
.xuewei-legend .xuewei-legend-title { font-weight: bold; margin-top: 4px; }
.xuewei-legend .xuewei-legend-note { font-size: 11px; color: #555; }
.xuewei-legend table { border-collapse: collapse; }
.xuewei-legend td { padding: 1px 4px; vertical-align: middle; }
.xuewei-swatch { display: inline-block; width: 18px; height: 12px; border: 1px solid #777; }
.xuewei-popup, .xuewei-tip { font-size: 13px; line-height: 1.35; }
.xuewei-popup th, .xuewei-tip th { text-align: left; padding-right: 6px; font-weight: normal;
    color: #444; }
.xuewei-popup td, .xuewei-tip td { padding-right: 6px; }
.xuewei-tip td.xuewei-n { text-align: right; }
.xuewei-tip tr.xuewei-current { font-weight: bold; }
.xuewei-id { color: #666; }
.xuewei-flags { color: #b2182b; font-weight: bold; }
.xuewei-synthetic { color: #7f0000; }
.xuewei-dot { display: inline-block; width: 12px; height: 12px; border-radius: 50%;
    border: 1px solid #333; }
.xuewei-ring { display: inline-block; width: 10px; height: 10px; border-radius: 50%;
    border: 3px solid #e7298a; background: #fde0ef; }
.xuewei-line { display: inline-block; width: 22px; height: 0; border-top: 3px dashed #333;
    vertical-align: middle; }
.xuewei-outline { display: inline-block; width: 18px; height: 12px; border: 2px dashed #333; }
.xuewei-icon { border-radius: 5px; border: 2px solid #ffffff; color: #ffffff;
    box-shadow: 0 0 3px rgba(0, 0, 0, 0.7); text-align: center;
    font: bold 13px/18px Arial, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; }
.xuewei-legend .xuewei-icon { display: inline-block; width: 18px; height: 18px; }
.xuewei-fullscreen { font-size: 18px; line-height: 30px; text-align: center; cursor: pointer; }
.xuewei-rationale { margin-top: 4px; max-width: 340px; }
.xuewei-chart { display: block; margin: 4px 0 0; }
.xuewei-cluster { display: flex; align-items: center; justify-content: center;
    border-radius: 50%; background: rgba(255, 255, 255, 0.9); border: 2px solid #555;
    font: bold 12px Arial, sans-serif; color: #222; box-shadow: 0 0 3px rgba(0, 0, 0, 0.4); }
.xuewei-cluster-over { position: absolute; top: -7px; right: -9px; min-width: 14px;
    padding: 0 3px; border-radius: 8px; background: #d7301f; color: #fff;
    font: bold 10px/14px Arial, sans-serif; text-align: center; }
.xuewei-cluster-icons { background: #08519c; display: flex; align-items: center;
    justify-content: center; }
.xuewei-cluster-later { opacity: 0.5; }
.xuewei-chart-title { margin-top: 4px; font-size: 12px; color: #333; }
.xuewei-chart-key { font-size: 11px; color: #444; margin-bottom: 4px; }
"""

_TEMPLATE = """
{% macro html(this, kwargs) %}
<div id="{{ this.get_name() }}" class="xuewei-box {{ this.box_class }}">{{ this.body }}</div>
{%- if this.fold_below %}
<script>
(function () {
    // folded on a short screen (a projector's 720 lines: open, it hid a quarter of the
    // map), open on a tall one; always unfolded on paper, then as it was
    var box = document.getElementById({{ this.get_name()|tojson }});
    var details = box && box.querySelector("details");
    if (!details) { return; }
    if (window.innerHeight < {{ this.fold_below }}) { details.open = false; }
    var before = details.open;
    function unfold() { before = details.open; details.open = true; }
    function restore() { details.open = before; }
    window.addEventListener("beforeprint", unfold);
    window.addEventListener("afterprint", restore);
    if (window.matchMedia) {
        var paper = window.matchMedia("print");
        var change = function (m) { if (m.matches) { unfold(); } else { restore(); } };
        if (paper.addEventListener) { paper.addEventListener("change", change); }
        else if (paper.addListener) { paper.addListener(change); }
    }
})();
</script>
{%- endif %}
{% endmacro %}
"""


class Box(MacroElement):
    """A fixed box of ready-made (escaped) HTML over the map."""

    _template = Template(_TEMPLATE)

    def __init__(self, body: str, *, box_class: str, name: str, fold_below: int = 0) -> None:
        super().__init__()
        self._name = name
        self.body = body
        self.box_class = box_class
        # a box that folds (``<details>``): folded on screens shorter than this (px)
        self.fold_below = int(fold_below)


#: Where the layers' popups may open (called when the layers are built, the page laid
#: out): below the title box (Leaflet pans the map so), and no taller than the screen left
#: under it; a longer popup scrolls. At 1280 × 720 a proposal's popup (its estates and
#: rationale) ran off the bottom.
_POPUP_ROOM = """
window.xueweiPopupRoom = function () {
    var box = document.querySelector(".xuewei-title");
    var top = box ? Math.round(box.getBoundingClientRect().bottom) + 10 : 140;
    return {pad: [20, top], height: Math.max(160, window.innerHeight - top - 40)};
};
"""


class _Style(MacroElement):
    """The stylesheet of the boxes, added once to the page header."""

    _template = Template(
        "{% macro header(this, kwargs) %}<style>{{ this.css }}</style>"
        "<script>{{ this.js }}</script>{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "XueweiStyle"
        self.css = _CSS
        self.js = _POPUP_ROOM


def box_style() -> _Style:
    """Return the page stylesheet: boxes, popups, tooltips and legend symbols, once."""
    return _Style()


def title_box(
    title: str,
    subtitle: str,
    data_note: str | None,
    notes: str = "",
    switch: str = "",
) -> Box:
    """Return the title box: plan title, selectors, scenario/year/level line, notes, data note.

    All arguments are escaped HTML; ``notes`` the lines of figures (:func:`notes_html`),
    ``switch`` the year and scenario selectors (:func:`xuewei.maps._view.switch_html`).
    """
    body = f'<div class="xuewei-plan">{title}</div>{switch}'
    body += f'<div class="xuewei-subtitle">{subtitle}</div>'
    body += f'<div class="xuewei-notes">{notes}</div>'
    if data_note is not None:
        body += f'<div class="xuewei-data-note">⚠ {data_note}</div>'
    return Box(body, box_class="xuewei-title", name="XueweiTitle")


_FULLSCREEN = """
{% macro script(this, kwargs) %}
    (function (map) {
        var Control = L.Control.extend({
            options: {position: "topleft"},
            onAdd: function () {
                var bar = L.DomUtil.create("div", "leaflet-bar leaflet-control");
                var button = L.DomUtil.create("a", "xuewei-fullscreen", bar);
                button.href = "#";
                button.title = {{ this.tip|tojson }};
                button.setAttribute("role", "button");
                button.innerHTML = {{ this.svg|tojson }};
                L.DomEvent.disableClickPropagation(bar);
                L.DomEvent.on(button, "click", function (event) {
                    L.DomEvent.preventDefault(event);
                    var page = document.documentElement;
                    if (document.fullscreenElement) {
                        document.exitFullscreen();
                    } else if (page.requestFullscreen) {
                        page.requestFullscreen();
                    }
                });
                var print = L.DomUtil.create("a", "xuewei-print", bar);
                print.href = "#";
                print.title = {{ this.print_tip|tojson }};
                print.setAttribute("role", "button");
                print.innerHTML = {{ this.print_svg|tojson }};
                L.DomEvent.on(print, "click", function (event) {
                    L.DomEvent.preventDefault(event);
                    window.print();
                });
                return bar;
            }
        });
        new Control().addTo(map);
        // Leaflet's credit without the flag its prefix carries: the page is about schools
        if (map.attributionControl) {
            map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
        }
        // the print sheet (A3 landscape) is another size: let Leaflet redraw for it
        function resize() { map.invalidateSize({animate: false}); }
        window.addEventListener("beforeprint", resize);
        window.addEventListener("afterprint", resize);
    })({{ this._parent.get_name() }});
{% endmacro %}
"""


class _Fullscreen(MacroElement):
    """A full-screen button: the whole page (map, title and legend) fills the screen.

    Plain Leaflet and the browser's Fullscreen API, so it needs no plugin from a CDN.
    """

    _template = Template(_FULLSCREEN)

    def __init__(self, tip: str, print_tip: str = "Print (A3 landscape)") -> None:
        super().__init__()
        self._name = "XueweiFullscreen"
        self.tip = tip
        self.print_tip = print_tip
        self.print_svg = (
            '<svg width="16" height="16" viewBox="0 0 16 16" style="vertical-align:middle" '
            'fill="none" stroke="#333" stroke-width="1.6"><path d="M4 6V1h8v5M4 12H1V6h14v6h-3'
            'M4 9h8v6H4z"/></svg>'
        )
        # four corner brackets, drawn: no icon font needed, offline or not
        self.svg = (
            '<svg width="16" height="16" viewBox="0 0 16 16" style="vertical-align:middle" '
            'fill="none" stroke="#333" stroke-width="2"><path d="M1 6V1h5M10 1h5v5M15 10v5h-5'
            'M6 15H1v-5"/></svg>'
        )


class _Scale(MacroElement):
    """The scale bar in metres and kilometres only (folium's also draws miles)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.scale({imperial: false, maxWidth: 150})"
        ".addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self) -> None:
        super().__init__()
        self._name = "XueweiScale"


class _TileNote(MacroElement):
    """Say in the credits, once, that the base map did not load (no internet)."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
    (function (map) {
        var said = false;
        function watch(layer) {
            if (!(layer instanceof L.TileLayer)) { return; }
            layer.on("tileerror", function () {
                if (said || !map.attributionControl) { return; }
                said = true;
                map.attributionControl.addAttribution(
                    '<span class="xuewei-tiles-failed">' + {{ this.note|tojson }} + "</span>"
                );
            });
        }
        map.eachLayer(watch);
        map.on("layeradd", function (event) { watch(event.layer); });
    })({{ this._parent.get_name() }});
{% endmacro %}
"""
    )

    def __init__(self, note: str) -> None:
        super().__init__()
        self._name = "XueweiTileNote"
        self.note = note


class _OneAtATime(MacroElement):
    """Overlays that fill the same areas: switching one on switches the others off."""

    _template = Template(
        """
{% macro script(this, kwargs) %}
    (function (map, layers) {
        map.on("overlayadd", function (event) {
            if (layers.indexOf(event.layer) < 0) { return; }
            // after the layer control has handled its click: removed during it, another
            // (still ticked) would be added back, and its box would stay ticked
            setTimeout(function () {
                layers.forEach(function (other) {
                    if (other !== event.layer && map.hasLayer(other) && map.hasLayer(event.layer)) {
                        map.removeLayer(other);
                    }
                });
            }, 0);
        });
    })({{ this._parent.get_name() }}, [
        {% for layer in this.layers %}{{ layer.get_name() }},{% endfor %}
    ]);
{% endmacro %}
"""
    )

    def __init__(self, layers: Sequence[MacroElement]) -> None:
        super().__init__()
        self._name = "XueweiOneAtATime"
        self.layers = list(layers)


def one_at_a_time(*layers: MacroElement) -> _OneAtATime:
    """Return the rule that no two of ``layers`` are shown together.

    They fill areas (the gap choropleth and the readiness layer fill the districts, the
    attendance zones fill the schools' zones): on top of each other their colours mix
    into none's legend. Switched on in the layer control, one switches the others off
    (and their boxes are unticked).
    """
    return _OneAtATime(layers)


def metric_scale() -> _Scale:
    """Return a metric scale bar (a Chinese planning map measures in metres)."""
    return _Scale()


def fullscreen_button(tip: str, print_tip: str = "Print (A3 landscape)") -> _Fullscreen:
    """Return the full-screen and print buttons (tips are plain text, shown on hover)."""
    return _Fullscreen(tip, print_tip)


def notes_html(notes: Sequence[str]) -> str:
    """Return the title box's lines of figures (escaped HTML), one ``div`` each."""
    return "".join(f'<div class="xuewei-note">{note}</div>' for note in notes)


def add_controls(
    m: folium.Map,
    *,
    title: str,
    data_note: str | None,
    legend: MacroElement,
    fullscreen_tip: str,
    switch: str,
    heads: Sequence[tuple[str, str]],
    initial: int,
    print_tip: str = "Print (A3 landscape)",
    tiles_note: str = "",
) -> None:
    """Add the stylesheet, title box (with ``switch``), ``legend``, buttons and layer control.

    ``title``, ``switch`` (the year and scenario selectors), ``data_note`` and ``heads``
    (per view, the subtitle and the lines of figures; the ``initial`` one shown) are
    escaped HTML; ``fullscreen_tip`` is plain text. ``tiles_note`` (escaped HTML), when
    given, is shown in the map's credits the first time a base-map tile fails to load (a
    room without internet), so a blank background is not taken for a broken page. The
    order is that of the page.
    """
    box_style().add_to(m)
    subtitle, notes = heads[initial]
    title_box(title, subtitle, data_note, notes, switch).add_to(m)
    legend.add_to(m)
    fullscreen_button(fullscreen_tip, print_tip).add_to(m)
    metric_scale().add_to(m)
    if tiles_note:
        _TileNote(tiles_note).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
