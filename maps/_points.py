"""A compact layer of circle markers: one data array and one loop, not one element each.

folium renders every ``CircleMarker`` with its ``Popup`` and ``Tooltip`` through several
templates (about 2 ms and 1.4 kB a point), which for a city's 1,500 schools and 10,000
estates means half a minute and a 16 MB page. This layer embeds the points as one JSON
array and builds the markers in the browser, so the page grows by the popup text only.
It is a :class:`folium.FeatureGroup`, so the layer control and ``show`` work as usual.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import folium
from jinja2 import Template


@dataclass(frozen=True)
class MarkerData:
    """One marker: where, how big, what colour, and its (escaped) popup and tooltip HTML."""

    lat: float
    lon: float
    radius: float
    fill: str
    popup: str
    tooltip: str
    dashed: bool = False


class PointLayer(folium.FeatureGroup):
    """Circle markers with popups and tooltips, drawn from one embedded array.

    Parameters
    ----------
    points
        The markers; ``popup`` and ``tooltip`` are HTML that is already escaped.
    name
        The layer's name in the layer control (escaped HTML).
    show
        Whether the layer is on when the page opens.
    stroke
        Outline colour of the markers.
    weight
        Outline width, pixels.
    fill_opacity
        Opacity of the marker fill.
    popup_width
        Largest popup width, pixels.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup({});
            (function (group) {
                var pad = [20, 140];  // popups open below the title box
                var width = {{ this.popup_width|default(300) }};
                var style = {{ this.style_json }};
                var parts = {{ this.parts_json }};
                var points = {{ this.points_json }};
                var places = window.xueweiPlaces = window.xueweiPlaces || [];
                function popup(pieces) {  // the popup's HTML, put together when opened
                    return function () {
                        return pieces.map(function (k) { return parts[k]; }).join("");
                    };
                }
                for (var i = 0; i < points.length; i++) {
                    var p = points[i];
                    var options = Object.assign({}, style, {radius: p[2], fillColor: p[3]});
                    if (p[6]) { options.dashArray = "3 2"; }
                    var marker = L.circleMarker([p[0], p[1]], options)
                        .bindPopup(popup(p[4]), {maxWidth: width, autoPanPaddingTopLeft: pad})
                        .bindTooltip(p[5])
                        .addTo(group);
                    // what the search box finds: the name, the marker and its layer
                    places.push({name: p[5], marker: marker, group: group});
                }
            })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        points: Sequence[MarkerData],
        *,
        name: str,
        show: bool = True,
        stroke: str = "#333333",
        weight: float = 1,
        fill_opacity: float = 0.9,
        popup_width: int = 340,
    ) -> None:
        super().__init__(name=name, show=show)
        self._name = "PointLayer"
        # Popups share most of their HTML (labels, tags, school names): each is stored as
        # the indexes of its pieces in one table of distinct pieces, which roughly halves
        # a city's page (the estates' popups were most of it).
        parts: dict[str, int] = {}
        rows = [
            [
                p.lat,
                p.lon,
                p.radius,
                p.fill,
                [parts.setdefault(piece, len(parts)) for piece in _pieces(p.popup)],
                p.tooltip,
                1 if p.dashed else 0,
            ]
            for p in points
        ]
        self.parts_json = _script_json(list(parts))
        self.points_json = _script_json(rows)
        self.style_json = _script_json(
            {"color": stroke, "weight": weight, "fill": True, "fillOpacity": fill_opacity}
        )
        self.popup_width = int(popup_width)
        self._bounds = _bounds(points)

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds


def _pieces(html: str) -> list[str]:
    """Cut HTML before each tag: ``"<b>x</b>"`` → ``["<b>x", "</b>"]`` (joined, the same)."""
    return [piece for piece in _TAG_START.split(html) if piece]


_TAG_START = re.compile(r"(?=<)")


def _script_json(value: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``</``, ``<!--`` or line separators.

    Chinese stays readable (``ensure_ascii=False``); the replacements are JSON escapes, so
    the browser reads the same strings.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("</", "<\\/")
        .replace("<!--", "\\u003c!--")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _bounds(points: Sequence[MarkerData | IconData]) -> list[list[float | None]]:
    if not points:
        return [[None, None], [None, None]]
    lats = [p.lat for p in points]
    lons = [p.lon for p in points]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


@dataclass(frozen=True)
class IconData:
    """One icon marker: where, its symbol (escaped HTML), CSS class and popup/tooltip HTML."""

    lat: float
    lon: float
    symbol: str
    css_class: str
    popup: str
    tooltip: str


class IconLayer(folium.FeatureGroup):
    """Markers drawn as small HTML icons (``L.divIcon``), from one embedded array.

    Plain HTML icons need no image or icon font, so they work in an offline page. Lines
    (e.g. from a proposed school to the estates it serves) can be added with ``links``:
    ``[[lat, lon], [lat, lon]]`` pairs drawn thin and dashed under the icons.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup({});
            (function (group) {
                var pad = [20, 140];  // popups open below the title box
                var width = {{ this.popup_width|default(300) }};
                var links = {{ this.links_json }};
                for (var j = 0; j < links.length; j++) {
                    L.polyline(links[j], {{ this.link_style_json }}).addTo(group);
                }
                var icons = {{ this.icons_json }};
                var places = window.xueweiPlaces = window.xueweiPlaces || [];
                for (var i = 0; i < icons.length; i++) {
                    var p = icons[i];
                    var icon = L.divIcon({
                        className: "xuewei-icon " + p[3], html: p[2],
                        iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10]
                    });
                    var marker = L.marker([p[0], p[1]], {icon: icon, riseOnHover: true})
                        .bindPopup(p[4], {maxWidth: width, autoPanPaddingTopLeft: pad})
                        .bindTooltip(p[5])
                        .addTo(group);
                    places.push({name: p[5], marker: marker, group: group});
                }
            })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        icons: Sequence[IconData],
        *,
        name: str,
        links: Sequence[Sequence[Sequence[float]]] = (),
        link_colour: str = "#08519c",
        show: bool = True,
        popup_width: int = 360,
    ) -> None:
        super().__init__(name=name, show=show)
        self._name = "IconLayer"
        self.icons_json = _script_json(
            [[p.lat, p.lon, p.symbol, p.css_class, p.popup, p.tooltip] for p in icons]
        )
        self.links_json = _script_json([[list(a) for a in link] for link in links])
        self.link_style_json = _script_json(
            {
                "color": link_colour,
                "weight": 1.5,
                "opacity": 0.8,
                "dashArray": "4 3",
                "interactive": False,  # clicks go through to the schools under a line
            }
        )
        self.popup_width = int(popup_width)
        self._bounds = _bounds(icons)

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds


@dataclass(frozen=True)
class LineData:
    """One line: its ``[lat, lon]`` vertices, colour, and popup/tooltip HTML."""

    coords: Sequence[Sequence[float]]
    colour: str
    popup: str
    tooltip: str


class LineLayer(folium.FeatureGroup):
    """Lines with a hollow start and a filled end (e.g. closing → receiving school)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup({});
            (function (group) {
                var pad = [20, 140];  // popups open below the title box
                var width = {{ this.popup_width|default(300) }};
                var lines = {{ this.lines_json }};
                for (var i = 0; i < lines.length; i++) {
                    var p = lines[i], c = p[0];
                    var style = Object.assign({}, {{ this.style_json }}, {color: p[1]});
                    L.polyline(c, style).bindPopup(p[2], {autoPanPaddingTopLeft: pad})
                        .bindTooltip(p[3], {sticky: true})
                        .addTo(group);
                    L.circleMarker(c[0], {radius: 5, color: p[1], weight: 2, fill: true,
                        fillColor: "#ffffff", fillOpacity: 1}).bindTooltip(p[3]).addTo(group);
                    L.circleMarker(c[c.length - 1], {radius: 5, color: p[1], weight: 2,
                        fill: true, fillColor: p[1], fillOpacity: 1}).bindTooltip(p[3])
                        .addTo(group);
                }
            })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, lines: Sequence[LineData], *, name: str, show: bool = True) -> None:
        super().__init__(name=name, show=show)
        self._name = "LineLayer"
        self.lines_json = _script_json(
            [[[list(c) for c in p.coords], p.colour, p.popup, p.tooltip] for p in lines]
        )
        self.style_json = _script_json({"weight": 3, "opacity": 0.9, "dashArray": "8 5"})
        lats = [c[0] for p in lines for c in p.coords]
        lons = [c[1] for p in lines for c in p.coords]
        self._bounds: list[list[float | None]] = (
            [[min(lats), min(lons)], [max(lats), max(lons)]]
            if lats
            else [[None, None], [None, None]]
        )

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds
