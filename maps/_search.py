"""A search box: type part of a school's, estate's or proposal's name, pick it, go there.

The point layers register every marker with its name (``window.xueweiPlaces``); the box
lists up to 30 names containing what was typed (any case), and choosing one turns its layer
on, zooms to it and opens its popup. Plain Leaflet and an HTML ``datalist``: it works in an
offline page.
"""

from __future__ import annotations

from branca.element import MacroElement
from jinja2 import Template

__all__ = ["SearchBox", "search_box"]

_SCRIPT = """
{% macro script(this, kwargs) %}
    (function (map) {
        var Control = L.Control.extend({
            options: {position: "topleft"},
            onAdd: function () {
                var box = L.DomUtil.create("div", "leaflet-bar leaflet-control xuewei-search");
                var input = L.DomUtil.create("input", "", box);
                input.type = "search";
                input.placeholder = {{ this.placeholder|tojson }};
                input.setAttribute("aria-label", {{ this.placeholder|tojson }});
                var list = L.DomUtil.create("datalist", "", box);
                list.id = "xuewei-search-names";
                input.setAttribute("list", list.id);
                L.DomEvent.disableClickPropagation(box);
                L.DomEvent.disableScrollPropagation(box);
                var text = document.createElement("div");
                function plain(html) { text.innerHTML = html; return text.textContent; }
                var names = null;  // the places' names as text, read once
                function places() {
                    var all = window.xueweiPlaces || [];
                    if (names === null) { names = all.map(function (p) { return plain(p.name); }); }
                    return all;
                }
                L.DomEvent.on(input, "input", function () {
                    var all = places(), wanted = input.value.trim().toLowerCase();
                    list.innerHTML = "";
                    if (!wanted) { return; }
                    for (var i = 0, n = 0; i < all.length && n < 30; i++) {
                        // only what the year and scenario shown draw
                        if (!all[i].group.hasLayer(all[i].marker)) { continue; }
                        if (names[i].toLowerCase().indexOf(wanted) >= 0) {
                            var option = document.createElement("option");
                            option.value = names[i];
                            list.appendChild(option);
                            n++;
                        }
                    }
                });
                L.DomEvent.on(input, "change", function () {
                    var all = places(), i = -1;
                    for (var j = 0; j < all.length && i < 0; j++) {
                        if (names[j] === input.value && all[j].group.hasLayer(all[j].marker)) {
                            i = j;
                        }
                    }
                    if (i < 0) { return; }
                    var place = all[i];
                    var overlay = place.overlay || place.group;  // the layer control's
                    if (!map.hasLayer(overlay)) { map.addLayer(overlay); }
                    map.setView(place.marker.getLatLng(), Math.max(map.getZoom(), 15),
                                {animate: false});
                    place.marker.openPopup();
                });
                return box;
            }
        });
        new Control().addTo(map);
    })({{ this._parent.get_name() }});
{% endmacro %}
"""


class SearchBox(MacroElement):
    """The search control (see the module)."""

    _template = Template(_SCRIPT)

    def __init__(self, placeholder: str) -> None:
        super().__init__()
        self._name = "XueweiSearch"
        self.placeholder = placeholder


def search_box(placeholder: str) -> SearchBox:
    """Return the search box; ``placeholder`` (plain text) says what to type."""
    return SearchBox(placeholder)
