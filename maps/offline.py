"""Self-contained pages: Leaflet inlined from an installed package, nothing from a CDN.

A folium page loads Leaflet, jQuery, Bootstrap, Font Awesome and Leaflet.awesome-markers
from CDNs, so in a meeting room without internet it shows nothing. :func:`inline_assets`
rewrites a rendered page so that it needs no network: Leaflet's JavaScript and stylesheet
(with its images, and the default marker icon's, as data URIs) come from the installed
wheel ``django-js-lib-leaflet`` (BSD, Leaflet 1.9.4), and Leaflet.markercluster (the school
clusters) from the copy this package ships (:mod:`xuewei.maps._cluster`). The other folium
assets are dropped: the maps of this package do not use them (their popups, tooltips,
legend, title box, layer control, scale bar and full-screen button are plain Leaflet and
HTML), and the two uses folium's own templates make of jQuery (a popup's HTML element,
``$(document).ready``) are covered by a ten-line shim. A page that needs a dropped asset (a
``folium.Icon`` marker, a plugin) is refused with a message naming it, rather than written
as a page that breaks in the meeting.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from importlib import resources

from xuewei.errors import ConfigError
from xuewei.maps._cluster import CLUSTER_CSS_URL, CLUSTER_JS_URL, cluster_css, cluster_js

__all__ = ["inline_assets", "leaflet_css", "leaflet_js"]

_PACKAGE = "js_lib_leaflet"
_FOLDER = "static/js_lib_leaflet"
_INSTALL = "pip install django-js-lib-leaflet"

_SCRIPT_TAG = re.compile(r'<script src="([^"]+)"></script>')
_CSS_TAG = re.compile(r'<link rel="stylesheet" href="([^"]+)"\s*/>')
# folium's default assets that the maps of this package do not need, by file name.
_UNUSED = re.compile(
    r"(jquery[-.0-9a-z]*\.js|bootstrap[-.0-9a-z]*\.(js|css)|bootstrap-glyphicons\.css"
    r"|fontawesome-free@[^/]+/css/all\.min\.css|leaflet\.awesome-markers\.(js|css)"
    r"|leaflet\.awesome\.rotate\.min\.css)$"
)
_LEAFLET_JS = re.compile(r"/leaflet(@[^/]+)?/dist/leaflet\.js$")
_LEAFLET_CSS = re.compile(r"/leaflet(@[^/]+)?/dist/leaflet\.css$")
# What a page would need from the dropped assets: fail early, not in the meeting room.
_NEEDS = {
    "L.AwesomeMarkers": "leaflet.awesome-markers (folium.Icon markers)",
    "bootstrap.": "Bootstrap",
}
# folium's own templates use jQuery for two things only: ``$(`<div>…</div>`)[0]`` to make a
# popup's element and ``$(document).ready(f)``. This shim does both; anything else fails
# loudly in the browser console (and the browser tests) instead of silently.
_JQUERY_SHIM = """
(function () {
    if (window.jQuery) { return; }
    function $(arg) {
        if (typeof arg === "string") {
            var t = document.createElement("template");
            t.innerHTML = arg.trim();
            return Array.prototype.slice.call(t.content.childNodes);
        }
        if (arg === document) {
            return {ready: function (f) {
                if (document.readyState === "loading") {
                    document.addEventListener("DOMContentLoaded", f);
                } else { f(); }
            }};
        }
        throw new Error("xuewei offline page: jQuery is not available offline");
    }
    window.$ = window.jQuery = $;
})();
"""
# Offline there are no tiles: a light background instead of Leaflet's grey.
_OFFLINE_CSS = ".leaflet-container { background: #f2f2ee; }"


@cache
def leaflet_js() -> str:
    """Return Leaflet's JavaScript from the installed ``django-js-lib-leaflet`` wheel.

    Examples
    --------
    >>> leaflet_js().startswith("/* @preserve")
    True
    """
    text = _read("leaflet.js").decode("utf-8")
    # a source map comment would make developer tools fetch a file that is not there
    return re.sub(r"\n//# sourceMappingURL=\S+\s*$", "\n", text)


@cache
def leaflet_css() -> str:
    """Return Leaflet's stylesheet with its images embedded as data URIs.

    Examples
    --------
    >>> css = leaflet_css()
    >>> ".leaflet-container" in css and "url(images/" not in css
    True
    """
    css = _read("leaflet.css").decode("utf-8")

    def embed(match: re.Match[str]) -> str:
        data = base64.b64encode(_read(f"images/{match.group(1)}")).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\(images/([-\w.]+\.png)\)", embed, css)


@cache
def _default_icon_js() -> str:
    """Point Leaflet's default marker icon at embedded images (it looks for files)."""

    def uri(name: str) -> str:
        return "data:image/png;base64," + base64.b64encode(_read(f"images/{name}")).decode()

    return (
        'L.Icon.Default.imagePath = "";\n'
        f'L.Icon.Default.mergeOptions({{iconUrl: "{uri("marker-icon.png")}", '
        f'iconRetinaUrl: "{uri("marker-icon-2x.png")}", '
        f'shadowUrl: "{uri("marker-shadow.png")}"}});'
    )


def inline_assets(page: str) -> str:
    """Return ``page`` with Leaflet inlined and folium's other CDN assets removed.

    Parameters
    ----------
    page
        A folium page, e.g. from ``folium.Map.get_root().render()``.

    Returns
    -------
    str
        A page that loads nothing from the network (tiles aside: leave them out of the
        map, as :func:`xuewei.maps.render_html` does with ``offline=True``).

    Raises
    ------
    xuewei.errors.ConfigError
        (a ``ValueError``) when the page loads a script or stylesheet that is not
        available offline, or uses one of the dropped assets; the message names it.
    ImportError
        When ``django-js-lib-leaflet`` is not installed, with the command that installs it.

    Examples
    --------
    >>> import folium
    >>> page = folium.Map(location=[28.2, 112.9], tiles=None).get_root().render()
    >>> offline = inline_assets(page)
    >>> "cdn." in offline or "<script src=" in offline
    False
    """
    unavailable: list[str] = []

    def script(match: re.Match[str]) -> str:
        url = match.group(1)
        if _LEAFLET_JS.search(url):
            return f"<script>{_script_safe(leaflet_js())}\n{_default_icon_js()}</script>"
        if url == CLUSTER_JS_URL:
            return f"<script>{_script_safe(cluster_js())}</script>"
        if url.endswith(".js") and "jquery" in url:
            return f"<script>{_JQUERY_SHIM}</script>"
        if _UNUSED.search(url):
            return ""
        unavailable.append(url)
        return match.group(0)

    def stylesheet(match: re.Match[str]) -> str:
        url = match.group(1)
        if _LEAFLET_CSS.search(url):
            return f"<style>{leaflet_css()}\n{_OFFLINE_CSS}</style>"
        if url == CLUSTER_CSS_URL:
            return f"<style>{cluster_css()}</style>"
        if _UNUSED.search(url):
            return ""
        unavailable.append(url)
        return match.group(0)

    out = _CSS_TAG.sub(stylesheet, _SCRIPT_TAG.sub(script, page))
    if unavailable:
        raise ConfigError(
            "offline=True: cannot inline " + ", ".join(unavailable) + "; only Leaflet is "
            "available offline. Leave the plugin out of the map, or write the page with "
            "offline=False."
        )
    scripts = "\n".join(re.findall(r"<script>(.*?)</script>", out.replace(leaflet_js(), ""), re.S))
    needed = [what for marker, what in _NEEDS.items() if marker in scripts]
    if needed:
        raise ConfigError(
            "offline=True: the map uses " + ", ".join(needed) + ", which is not available "
            "offline. Draw it without them, or write the page with offline=False."
        )
    return out


def _read(name: str) -> bytes:
    try:
        folder = resources.files(_PACKAGE).joinpath(_FOLDER)
    except ModuleNotFoundError as err:
        raise ImportError(
            f"offline maps need Leaflet from the package django-js-lib-leaflet: {_INSTALL}"
        ) from err
    return folder.joinpath(name).read_bytes()


def _script_safe(js: str) -> str:
    # an inline script ends at the first "</script" whatever the JavaScript around it
    return js.replace("</script", "<\\/script")
