"""A compact layer of circle markers: one data array and one loop, not one element each.

folium renders every ``CircleMarker`` with its ``Popup`` and ``Tooltip`` through several
templates (about 2 ms and 1.4 kB a point), which for a city's 1,500 schools and 10,000
estates means half a minute and a 16 MB page. This layer embeds the points as one JSON
array and builds the markers in the browser, so the page grows by the popup text only.
It is a :class:`folium.FeatureGroup`, so the layer control and ``show`` work as usual.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import folium
from folium.elements import JSCSSMixin
from jinja2 import Template

from xuewei.maps._cluster import (
    CLUSTER_CSS_URL,
    CLUSTER_JS_URL,
    STREET_ZOOM,
    cluster_options_js,
    icon_cluster_options_js,
)
from xuewei.maps._pieces import StoresPieces, script_json


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
    #: per scenario shown (its index in the page's views), the year the school closes
    closes: tuple[tuple[int, int], ...] = ()


#: The fill of a school closed by a merger in the year and scenario shown.
CLOSED_FILL = "#bdbdbd"


class PointLayer(StoresPieces, JSCSSMixin, folium.FeatureGroup):
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
    cluster_over
        Gather the markers into clusters below street zoom (:mod:`xuewei.maps._cluster`),
        each counting the markers of this fill (e.g. the over-capacity colour); ``None``
        draws every marker at every zoom.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {% if this.cluster_options %}
            var {{ this.get_name() }} = L.markerClusterGroup({{ this.cluster_options }});
            {% else %}
            var {{ this.get_name() }} = L.featureGroup({});
            {% endif %}
            (function (group) {
                // popups open below the title box, no taller than the screen under it
                // (xuewei.maps._controls: xueweiPopupRoom)
                var room = window.xueweiRoom = window.xueweiRoom ||
                    (window.xueweiPopupRoom ? window.xueweiPopupRoom() : {pad: [20, 140]});
                var pad = room.pad;
                var width = {{ this.popup_width|default(300) }};
                var style = {{ this.style_json }};
                var built = [];
                {{ this.table_script }}
                var parts = window.xueweiParts;
                var fill = {{ this.fill_json }};  // the layer's usual fill (0 in a point)
                var points = {{ this.points_json }};
                var places = window.xueweiPlaces = window.xueweiPlaces || [];
                var closing = [];  // [marker, {scenario index: year closed}, fill, options]
                function popup(pieces) {  // the popup's HTML, put together when opened
                    return function () {
                        return pieces.map(function (k) { return parts[k]; }).join("");
                    };
                }
                for (var i = 0; i < points.length; i++) {
                    var p = points[i];
                    var options = Object.assign({}, style,
                                                {radius: p[2], fillColor: p[3] || fill});
                    if (p[6]) { options.dashArray = "3 2"; }
                    var tip = popup(p[5])();
                    var marker = L.circleMarker([p[0], p[1]], options)
                        .bindPopup(popup(p[4]), {maxWidth: width, maxHeight: room.height,
                                              autoPanPaddingTopLeft: pad})
                        .bindTooltip(tip);
                    built.push(marker);
                    // what the search box finds: the name, the marker and its layer
                    places.push({name: tip, marker: marker, group: group});
                    if (p[7]) { closing.push([marker, p[7], options]); }
                }
                if (group.addLayers) { group.addLayers(built); }  // a cluster group: at once
                else { built.forEach(function (m) { group.addLayer(m); }); }
                // a school closed by a merger by the year shown (in its scenario) greys out
                document.addEventListener("xuewei:view", function (event) {
                    closing.forEach(function (c) {
                        var year = c[1][event.detail.si];
                        var closed = year !== undefined && year <= event.detail.year;
                        c[0].setStyle(closed ? {fillColor: {{ this.closed_json }},
                                                fillOpacity: 0.5, dashArray: "2 3"} : c[2]);
                    });
                });
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
        cluster_over: str | None = None,
    ) -> None:
        super().__init__(name=name, show=show)
        self._name = "PointLayer"
        self.cluster_options = None if cluster_over is None else cluster_options_js(cluster_over)
        if cluster_over is not None:
            self.default_js = [("leaflet_markercluster", CLUSTER_JS_URL)]
            self.default_css = [("leaflet_markercluster_css", CLUSTER_CSS_URL)]
        # popups and tooltips go into the page's table of pieces (the estates' popups were
        # most of a page; a tooltip, the name, is a piece of the popup too)
        self.piece_texts = [p.popup for p in points] + [p.tooltip for p in points]
        fills = Counter(p.fill for p in points)
        usual = fills.most_common(1)[0][0] if fills else "#000000"
        self.fill_json = script_json(usual)
        self._rows: list[list[Any]] = [
            [
                p.lat,
                p.lon,
                p.radius,
                0 if p.fill == usual else p.fill,
                [],  # the popup's pieces, known when the page is drawn
                [],  # the tooltip's
                1 if p.dashed else 0,
                *([{str(si): year for si, year in p.closes}] if p.closes else []),
            ]
            for p in points
        ]
        self.closed_json = script_json(CLOSED_FILL)
        self.style_json = script_json(
            {"color": stroke, "weight": weight, "fill": True, "fillOpacity": fill_opacity}
        )
        self.popup_width = int(popup_width)
        self._bounds = _bounds(points)

    @property
    def points_json(self) -> str:
        """The markers, popup and tooltip as the indexes of their pieces in the page's table."""
        codes = self.piece_codes()
        n = len(self._rows)
        return script_json(
            [
                [*r[:4], popup, tip, *r[6:]]
                for r, popup, tip in zip(self._rows, codes[:n], codes[n:], strict=True)
            ]
        )

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds


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
    #: the scenario it belongs to (its index in the page's views; -1: every scenario)
    scenario: int = -1
    #: the year it opens (0: no year): opening after the year shown, it is drawn faded
    opens: int = 0
    #: ``[lat, lon]`` of the places it serves, joined to it by thin dashed lines
    links: tuple[tuple[float, float], ...] = ()


class IconLayer(StoresPieces, JSCSSMixin, folium.FeatureGroup):
    """Markers drawn as small HTML icons (``L.divIcon``), from one embedded array.

    Plain HTML icons need no image or icon font, so they work in an offline page. Each
    icon's ``links`` (e.g. from a proposed school to the estates it serves) are drawn thin
    and dashed under it. With the page's year and scenario selector
    (:mod:`xuewei.maps._view`), an icon shows only in its scenario (``scenario``: the one
    the page opens at; -1 draws every icon at first), faded until the year it opens. With
    ``cluster``, the icons are gathered into clusters below street zoom
    (:func:`~xuewei.maps._cluster.icon_cluster_options_js`), and their links show from
    street zoom on.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup({});
            (function (group) {
                {% if this.cluster_options %}
                var markers = L.markerClusterGroup({{ this.cluster_options }});
                var links = L.layerGroup();
                group.addLayer(markers);
                // the dashed links from street zoom on: below it the icons are clustered
                var zoomed = function () {
                    var near = group._map && group._map.getZoom() >= {{ this.street_zoom }};
                    if (near && !group.hasLayer(links)) { group.addLayer(links); }
                    if (!near && group.hasLayer(links)) { group.removeLayer(links); }
                };
                group.on("add", function () { group._map.on("zoomend", zoomed); zoomed(); });
                group.on("remove", function () { group._map.off("zoomend", zoomed); });
                {% else %}
                var markers = group, links = group;
                {% endif %}
                // popups open below the title box, no taller than the screen under it
                // (xuewei.maps._controls: xueweiPopupRoom)
                var room = window.xueweiRoom = window.xueweiRoom ||
                    (window.xueweiPopupRoom ? window.xueweiPopupRoom() : {pad: [20, 140]});
                var pad = room.pad;
                var width = {{ this.popup_width|default(300) }};
                {{ this.table_script }}
                var parts = window.xueweiParts;
                var icons = {{ this.icons_json }};
                var places = window.xueweiPlaces = window.xueweiPlaces || [];
                var entries = [];
                function popup(pieces) {  // the popup's HTML, put together when opened
                    return function () {
                        return pieces.map(function (k) { return parts[k]; }).join("");
                    };
                }
                for (var i = 0; i < icons.length; i++) {
                    var p = icons[i];
                    var icon = L.divIcon({
                        className: "xuewei-icon " + p[3], html: p[2],
                        iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10]
                    });
                    var lines = L.layerGroup(p[8].map(function (to) {
                        return L.polyline([[p[0], p[1]], to], {{ this.link_style_json }});
                    }));
                    var marker = L.marker([p[0], p[1]], {icon: icon, riseOnHover: true})
                        .bindPopup(popup(p[4]), {maxWidth: width, maxHeight: room.height,
                                              autoPanPaddingTopLeft: pad})
                        .bindTooltip(p[5]);
                    if (p[6] < 0 || p[6] === {{ this.scenario }}) {  // drawn when the page opens
                        links.addLayer(lines);
                        markers.addLayer(marker);
                    }
                    places.push({name: p[5], marker: marker, group: markers, overlay: group});
                    entries.push({marker: marker, lines: lines, scenario: p[6], opens: p[7]});
                }
                document.addEventListener("xuewei:view", function (event) {
                    var view = event.detail;
                    entries.forEach(function (e) {
                        var shown = e.scenario < 0 || e.scenario === view.si;
                        var faded = e.opens > view.year;
                        [[markers, e.marker], [links, e.lines]].forEach(function (pair) {
                            var into = pair[0], layer = pair[1];
                            if (shown && !into.hasLayer(layer)) { into.addLayer(layer); }
                            if (!shown && into.hasLayer(layer)) { into.removeLayer(layer); }
                        });
                        e.marker.setOpacity(faded ? 0.45 : 1);
                        e.lines.eachLayer(function (line) {
                            line.setStyle({opacity: faded ? 0.3 : 0.8});
                        });
                    });
                    // a cluster fades when all its icons do
                    if (markers.refreshClusters) { markers.refreshClusters(); }
                });
            })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        icons: Sequence[IconData],
        *,
        name: str,
        link_colour: str = "#08519c",
        show: bool = True,
        popup_width: int = 360,
        scenario: int = -1,
        cluster: bool = False,
    ) -> None:
        super().__init__(name=name, show=show)
        self._name = "IconLayer"
        self.cluster_options = icon_cluster_options_js() if cluster else None
        self.street_zoom = STREET_ZOOM
        if cluster:
            self.default_js = [("leaflet_markercluster", CLUSTER_JS_URL)]
            self.default_css = [("leaflet_markercluster_css", CLUSTER_CSS_URL)]
        self.scenario = int(scenario)  # the icons of another scenario are not drawn at first
        self.piece_texts = [p.popup for p in icons]  # into the page's table of pieces
        self._rows: list[list[Any]] = [
            [
                p.lat,
                p.lon,
                p.symbol,
                p.css_class,
                [],  # the popup's pieces, known when the page is drawn
                p.tooltip,
                p.scenario,
                p.opens,
                [list(to) for to in p.links],
            ]
            for p in icons
        ]
        self.link_style_json = script_json(
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

    @property
    def icons_json(self) -> str:
        """The icons, each popup as the indexes of its pieces in the page's table."""
        codes = self.piece_codes()
        return script_json([[*r[:4], c, *r[5:]] for r, c in zip(self._rows, codes, strict=True)])

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds


@dataclass(frozen=True)
class LineData:
    """One line: its ``[lat, lon]`` vertices, colour, and popup/tooltip HTML."""

    coords: Sequence[Sequence[float]]
    colour: str
    popup: str
    tooltip: str
    #: the scenario it belongs to (its index in the page's views; -1: every scenario)
    scenario: int = -1
    #: its year (0: none): after the year shown, it is drawn faded
    year: int = 0


class LineLayer(folium.FeatureGroup):
    """Lines with a hollow start and a filled end (e.g. closing → receiving school)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup({});
            (function (group) {
                // popups open below the title box, no taller than the screen under it
                // (xuewei.maps._controls: xueweiPopupRoom)
                var room = window.xueweiRoom = window.xueweiRoom ||
                    (window.xueweiPopupRoom ? window.xueweiPopupRoom() : {pad: [20, 140]});
                var pad = room.pad;
                var width = {{ this.popup_width|default(300) }};
                var lines = {{ this.lines_json }};
                var entries = [];
                for (var i = 0; i < lines.length; i++) {
                    var p = lines[i], c = p[0];
                    var style = Object.assign({}, {{ this.style_json }}, {color: p[1]});
                    var parts = L.featureGroup([
                        L.polyline(c, style).bindPopup(p[2], {maxHeight: room.height,
                                                              autoPanPaddingTopLeft: pad})
                            .bindTooltip(p[3], {sticky: true}),
                        L.circleMarker(c[0], {radius: 5, color: p[1], weight: 2, fill: true,
                            fillColor: "#ffffff", fillOpacity: 1}).bindTooltip(p[3]),
                        L.circleMarker(c[c.length - 1], {radius: 5, color: p[1], weight: 2,
                            fill: true, fillColor: p[1], fillOpacity: 1}).bindTooltip(p[3])
                    ]).addTo(group);
                    entries.push({layer: parts, scenario: p[4], year: p[5]});
                }
                document.addEventListener("xuewei:view", function (event) {
                    var view = event.detail;
                    entries.forEach(function (e) {
                        var shown = e.scenario < 0 || e.scenario === view.si;
                        if (shown && !group.hasLayer(e.layer)) { group.addLayer(e.layer); }
                        if (!shown && group.hasLayer(e.layer)) { group.removeLayer(e.layer); }
                        var faded = e.year > view.year;
                        e.layer.setStyle({opacity: faded ? 0.35 : 0.9,
                                          fillOpacity: faded ? 0.35 : 1});
                    });
                });
            })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, lines: Sequence[LineData], *, name: str, show: bool = True) -> None:
        super().__init__(name=name, show=show)
        self._name = "LineLayer"
        self.lines_json = script_json(
            [
                [[list(c) for c in p.coords], p.colour, p.popup, p.tooltip, p.scenario, p.year]
                for p in lines
            ]
        )
        self.style_json = script_json({"weight": 3, "opacity": 0.9, "dashArray": "8 5"})
        lats = [c[0] for p in lines for c in p.coords]
        lons = [c[1] for p in lines for c in p.coords]
        self._bounds: list[list[float | None]] = (
            [[min(lats), min(lons)], [max(lats), max(lons)]]
            if lats
            else [[None, None], [None, None]]
        )

    def _get_self_bounds(self) -> list[list[float | None]]:
        return self._bounds
