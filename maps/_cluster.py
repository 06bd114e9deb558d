"""Schools gathered into clusters at city zoom, one by one at street zoom.

A city's thousand schools drawn as circles at city zoom are a carpet in which no one school
can be read. Leaflet.markercluster (MIT, 1.5.3; vendored under ``vendor/markercluster`` so
that an offline page can inline it) gathers the markers of a layer into one bubble per
neighbourhood below :data:`STREET_ZOOM`; each bubble gives the number of schools and, in a
red badge, how many of them are over capacity, so the reading the circles' colours give
is kept. From :data:`STREET_ZOOM` on, every school is its own circle again.

The proposals are gathered the same way (:func:`icon_cluster_options_js`), in tighter
clusters drawn as a square like their icons, faded when none of them is open by the year
shown; the dashed lines to the estates they serve show from street zoom on.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

__all__ = [
    "CLUSTER_CSS_URL",
    "CLUSTER_JS_URL",
    "STREET_ZOOM",
    "cluster_css",
    "cluster_js",
    "cluster_options_js",
    "icon_cluster_options_js",
]

#: The zoom from which each school is drawn on its own (about 1:70,000 on screen).
STREET_ZOOM = 13

CLUSTER_JS_URL = (
    "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/leaflet.markercluster.js"
)
CLUSTER_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.5.3/dist/MarkerCluster.css"

_FOLDER = "vendor/markercluster"


@cache
def cluster_js() -> str:
    """Return Leaflet.markercluster's script, as vendored.

    Examples
    --------
    >>> "MarkerClusterGroup" in cluster_js()
    True
    """
    text = resources.files("xuewei.maps").joinpath(_FOLDER, "leaflet.markercluster.js")
    return re.sub(r"//# sourceMappingURL=\S+", "", text.read_text(encoding="utf-8"))


@cache
def cluster_css() -> str:
    """Return Leaflet.markercluster's stylesheet, as vendored."""
    css = resources.files("xuewei.maps").joinpath(_FOLDER, "MarkerCluster.css")
    return css.read_text(encoding="utf-8")


def cluster_options_js(over_colour: str) -> str:
    """Return the options of a school layer's cluster group (a JavaScript object).

    ``over_colour`` is the fill of a school over capacity: the bubble counts those.
    """
    over = _js_string(over_colour)
    return (
        f"{{disableClusteringAtZoom: {STREET_ZOOM}, maxClusterRadius: 80, "
        "showCoverageOnHover: false, "
        "spiderfyOnMaxZoom: false, chunkedLoading: true, "
        "iconCreateFunction: function (cluster) {"
        " var kids = cluster.getAllChildMarkers(), over = 0;"
        " for (var i = 0; i < kids.length; i++) {"
        f"  if (kids[i].options.fillColor === {over}) {{ over++; }} }}"
        " var size = Math.round(26 + 6 * Math.log10(kids.length));"
        ' var badge = over ? \'<span class="xuewei-cluster-over">\' + over + "</span>" : "";'
        ' return L.divIcon({className: "xuewei-cluster", iconSize: [size, size],'
        ' html: "<b>" + kids.length + "</b>" + badge}); }}'
    )


def icon_cluster_options_js() -> str:
    """Return the options of the proposals' cluster group (a JavaScript object).

    A cluster is a square with the number of proposals in it, faded when every one of them
    is faded (opening after the year shown); the page redraws the clusters when the year
    changes.
    """
    return (
        f"{{disableClusteringAtZoom: {STREET_ZOOM}, maxClusterRadius: 40, "
        "showCoverageOnHover: false, spiderfyOnMaxZoom: false, "
        "iconCreateFunction: function (cluster) {"
        " var kids = cluster.getAllChildMarkers(), later = 0;"
        " for (var i = 0; i < kids.length; i++) {"
        "  if ((kids[i].options.opacity || 1) < 1) { later++; } }"
        ' var faded = later === kids.length ? " xuewei-cluster-later" : "";'
        ' return L.divIcon({className: "xuewei-icon xuewei-cluster-icons" + faded,'
        " iconSize: [26, 22], html: String(kids.length)}); }}"
    )


def _js_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
