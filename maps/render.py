"""Rendering a map to a byte-stable HTML page.

folium names every element with a random 32-hex id (``circle_marker_3f9a…``), so two runs
on the same inputs give different pages. Here the ids of a map's element tree are replaced
by sequential ones in tree order, which makes the page a function of its inputs: outputs can
be diffed, checked into a report folder and compared in tests.
"""

from __future__ import annotations

import re
from collections import OrderedDict

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink

from xuewei.maps._ids import largest_stable_id, stable_id, tree_elements
from xuewei.maps.offline import inline_assets

__all__ = ["render_html"]

# An id in a page always follows the underscore of ``get_name()``: ``circle_marker_<id>``.
_ID_IN_PAGE = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")
# Children that folium adds to layers and markers each time it renders them.
_RENDER_MADE: tuple[type, ...] = tuple(
    cls
    for cls in (
        getattr(folium.map, "ElementAddToElement", None),
        getattr(folium.map.Marker, "SetIcon", None),
    )
    if isinstance(cls, type)
)
_LINKS = (JavascriptLink, CssLink)
# An element id in the name a child is filed under: ``map_<id>``, ``geo_json_<id>_add``,
# ``geo_json_tooltip_<id>tablestyle``; random or (ours) six digits.
_KEY_ID = re.compile(r"_([0-9a-f]{32}|[0-9]{6})")


def render_html(m: folium.Map, *, offline: bool = False, keep_tiles: bool = False) -> str:
    """Render a map to a complete, deterministic HTML page, optionally self-contained.

    Maps from :func:`xuewei.maps.plan_map` already have sequential element ids. Elements
    added afterwards still carry folium's random ids; in the page these are replaced by
    the next sequential ids, in tree order, so the same map built by the same code renders
    to byte-identical HTML, run after run. The map itself is not changed (rendering it
    again, or showing it in Jupyter, gives the same page).

    Parameters
    ----------
    m
        A folium map, e.g. from :func:`xuewei.maps.plan_map`.
    offline
        Write one self-contained page for a meeting room without internet: Leaflet's
        JavaScript and CSS are inlined from the installed ``django-js-lib-leaflet``
        package, folium's other CDN assets (jQuery, Bootstrap, Font Awesome,
        awesome-markers) are left out, and so are the tile layers (the map is drawn on a
        plain background) unless ``keep_tiles``. Nothing else is fetched from the network
        when the page opens.
    keep_tiles
        With ``offline``: keep the base-map tile layers. The page still opens and works
        without internet (its scripts are inlined); the base map shows where there is
        internet, and the plan maps say in their credits when it could not be loaded.
        This is what ``xuewei demo``/``plan``/``map`` write.

    Returns
    -------
    str
        The page, as :meth:`folium.Map.save` would write it. Write it with
        ``Path("plan.html").write_text(page, encoding="utf-8")``.

    Raises
    ------
    xuewei.errors.ConfigError
        (a ``ValueError``) with ``offline=True``, when the map uses a script or
        stylesheet that cannot be inlined (a plugin, a ``folium.Icon`` marker), naming it.

    Examples
    --------
    >>> import folium
    >>> def build():
    ...     m = folium.Map(location=[28.2, 112.9], zoom_start=11, tiles=None)
    ...     folium.CircleMarker([28.2, 112.9], radius=6, popup="一中").add_to(m)
    ...     return m
    >>> render_html(build()) == render_html(build())
    True
    >>> "<script src=" in render_html(build(), offline=True)
    False
    """
    root = m.get_root()
    page = _render_clean(root, drop_tiles=offline and not keep_tiles)
    if offline:
        page = inline_assets(page)
    elements = tree_elements(root)
    # Only ids that reach the page are numbered: elements that rendering itself adds
    # (their ids never appear) must not shift the numbers of the others.
    in_page = set(_ID_IN_PAGE.findall(page))
    counter = largest_stable_id(elements)
    new_ids: dict[str, str] = {}
    for element in elements:
        if element._id in in_page and element._id not in new_ids:
            counter += 1
            new_ids[element._id] = stable_id(counter)
    if not new_ids:
        return page
    return _ID_IN_PAGE.sub(lambda match: new_ids.get(match.group(0), match.group(0)), page)


def _render_clean(root: Element, *, drop_tiles: bool = False) -> str:
    """Render ``root`` as a first render would, and leave the tree as it was.

    folium files what rendering produces (``addTo`` calls, scripts, stylesheets) as new
    children, some under fresh random names, so a second render repeats them. Here the
    children lists are restored after rendering, and what earlier renders elsewhere
    (``m.save``, Jupyter) left behind is left out: the children folium makes while rendering
    layers and markers, entries filed by elements no longer in the tree, and the page's
    header, body and script entries that rendering refills. What a user put there
    (``m.get_root().html.add_child(...)``) stays. With ``drop_tiles`` the tile layers are
    left out of the page.
    """
    elements = tree_elements(root)
    live = [e for e in elements if not isinstance(e, _RENDER_MADE)]
    live_ids = {e._id for e in live}
    sections = (
        {id(root.header), id(root.html), id(root.script)} if isinstance(root, Figure) else set()
    )

    def made_by_rendering(key: str, child: Element, in_section: bool) -> bool:
        if isinstance(child, _RENDER_MADE):
            return True
        if drop_tiles and _is_tiles(child):
            return True
        ids = _KEY_ID.findall(key)
        if any(len(i) == 32 and i not in live_ids for i in ids):
            return True  # filed by an element that is gone
        # the page's header, body and script are refilled by every render, in render order
        return in_section and (
            any(i in live_ids for i in ids)
            or key.endswith("_includes")
            or isinstance(child, _LINKS)
        )

    saved = [(e, e._children) for e in elements]
    try:
        for element in elements:
            in_section = id(element) in sections
            element._children = OrderedDict(
                (key, child)
                for key, child in element._children.items()
                if not made_by_rendering(key, child, in_section)
            )
        return root.render()
    finally:
        for element, children in saved:
            element._children = children


def _is_tiles(element: Element) -> bool:
    """Tell whether an element loads map tiles from a server."""
    tile_classes = (folium.raster_layers.TileLayer, folium.raster_layers.WmsTileLayer)
    return isinstance(element, tile_classes) or bool(getattr(element, "loads_tiles", False))
