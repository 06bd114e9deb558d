"""District names on the map, never on top of each other.

Each district's name sits at a point inside it (its representative point); where names would
overlap at the zoom shown, the larger district's name stays and the smaller one's moves a
little (up to 36 px, the nearest place where it overlaps none), or, where no such place
is free, is hidden until the map is zoomed in far enough for both. The check runs in the page (after
each zoom), on the labels' drawn boxes, so it holds for any font and screen.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from branca.element import MacroElement
from jinja2 import Template

from xuewei.maps._labels import Lang, esc
from xuewei.maps._select import column
from xuewei.maps._style import DIGITS

__all__ = ["DistrictLabels", "district_labels"]

_SCRIPT = """
{% macro script(this, kwargs) %}
    (function (map) {
        var pane = map.createPane("xuewei-labels");
        pane.style.zIndex = 640;  // above markers (600), below tooltips (650) and popups (700)
        pane.style.pointerEvents = "none";
        var labels = {{ this.labels|tojson }};
        var markers = labels.map(function (d) {
            return L.marker([d.lat, d.lon], {
                pane: "xuewei-labels",
                interactive: false,
                keyboard: false,
                icon: L.divIcon({className: "xuewei-district-label", html: d.html,
                                 iconSize: null}),
            }).addTo(map);
        });
        function overlaps(a, b) {
            return !(a.right <= b.left || b.right <= a.left ||
                     a.bottom <= b.top || b.bottom <= a.top);
        }
        var nudges = {{ this.nudges|tojson }};  // [dx, dy] px, nearest first
        function shifted(box, d) {
            return {left: box.left + d[0], right: box.right + d[0],
                    top: box.top + d[1], bottom: box.bottom + d[1]};
        }
        function declutter() {
            var kept = [];
            markers.forEach(function (marker) {  // larger districts first
                var el = marker.getElement();
                if (!el) { return; }
                el.style.visibility = "visible";
                el.firstChild.style.transform = "";
                var box = el.firstChild.getBoundingClientRect();
                var free = function (b) {
                    return !kept.some(function (k) { return overlaps(k, b); });
                };
                var move = [0, 0];
                if (!free(box)) {  // nudge it a little way off its point, else hide it
                    move = nudges.find(function (d) { return free(shifted(box, d)); });
                }
                if (move === undefined) {
                    el.style.visibility = "hidden";
                    return;
                }
                if (move[0] || move[1]) {
                    el.firstChild.style.transform =  // the stylesheet's centring, then the nudge
                        "translate(-50%,-50%) translate(" + move[0] + "px," + move[1] + "px)";
                }
                kept.push(shifted(box, move));
            });
        }
        map.on("zoomend viewreset", declutter);
        map.whenReady(function () { setTimeout(declutter, 0); });
        // the boxes grow when the (CJK) fonts arrive: check again then
        window.addEventListener("load", declutter);
        if (document.fonts && document.fonts.ready) { document.fonts.ready.then(declutter); }
        if (window.ResizeObserver) {  // and whenever a label's box changes size
            var watch = new ResizeObserver(declutter);
            markers.forEach(function (marker) {
                var el = marker.getElement();
                if (el) { watch.observe(el.firstChild); }
            });
        }
    })({{ this._parent.get_name() }});
{% endmacro %}
"""


#: Where a name that would overlap another may move instead, in pixels, nearest first: 8
#: directions at 6–36 px (about half a label at most), so it stays beside its point.
NUDGES = sorted(
    ([dx * r, dy * r] for r in (6, 12, 18, 24, 30, 36) for dx in (-1, 0, 1) for dy in (-1, 0, 1)
     if dx or dy),
    key=lambda d: (abs(d[0]) + abs(d[1]), d[1], d[0]),
)  # fmt: skip


class DistrictLabels(MacroElement):
    """The district names, larger districts first, decluttered in the page."""

    _template = Template(_SCRIPT)

    def __init__(self, labels: list[dict[str, Any]]) -> None:
        super().__init__()
        self._name = "XueweiDistrictLabels"
        self.labels = labels
        self.nudges = NUDGES


def district_labels(districts: gpd.GeoDataFrame, *, lang: Lang) -> DistrictLabels:
    """Return the labels of ``districts`` (in the drawing datum): name, and English name.

    ``lang="zh"`` shows the Chinese name, ``"en"`` the English one (``name_en``, else the
    Chinese), ``"both"`` the two on two lines.
    """
    # Web Mercator areas serve only to order the districts: larger first
    order = districts.geometry.to_crs(3857).area.sort_values(ascending=False).index
    labels = []
    for i in order:
        row = districts.loc[i]
        name = str(row["name"])
        english = column(districts, "name_en").loc[i]
        english = None if english is None or english != english else str(english)
        if lang == "zh" or english is None:
            html = f"<span><b>{esc(name)}</b></span>"
        elif lang == "en":
            html = f"<span><b>{esc(english)}</b></span>"
        else:
            html = f"<span><b>{esc(name)}</b><br><small>{esc(english)}</small></span>"
        point = row.geometry.representative_point()
        labels.append({"lat": round(point.y, DIGITS), "lon": round(point.x, DIGITS), "html": html})
    return DistrictLabels(labels)
