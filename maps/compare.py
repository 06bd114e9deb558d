"""Two maps side by side, panning and zooming together: scenarios or years compared.

Each side is a complete map page (from :func:`xuewei.maps.render_html`, online or offline)
in its own frame, with its own title box, legend and layer control, so that any two maps of
:func:`xuewei.maps.plan_map` — 80 against 90 places per 1,000, 2025 against 2035 — can be
put next to each other unchanged. The views are kept in step with ``postMessage`` (which
works for pages opened from disk, where frames cannot reach into each other), so the page
needs no plugin: folium's ``DualMap`` loads Leaflet.Sync from a CDN, which an offline page
cannot do.
"""

from __future__ import annotations

import html
import re

import folium

from xuewei.errors import ConfigError
from xuewei.maps._labels import esc
from xuewei.maps.render import render_html

__all__ = ["compare_html"]

_MAP_NAME = re.compile(r'class="folium-map" id="(map_[0-9a-z]+)"')

# Added to each side: report its view to the page, follow the view the page sends.
_SYNC = """
<script>
(function () {
    var map = window["%s"];
    var last = null;
    function key(c, z) { return c.lat.toFixed(5) + "," + c.lng.toFixed(5) + "," + z; }
    map.on("moveend", function () {
        var c = map.getCenter(), z = map.getZoom();
        if (key(c, z) === last) { return; }  // the move this side was told to make
        last = key(c, z);
        parent.postMessage({xuewei_view: [c.lat, c.lng, z]}, "*");
    });
    window.addEventListener("message", function (event) {
        var v = event.data && event.data.xuewei_follow;
        if (!v) { return; }
        last = key(L.latLng(v[0], v[1]), v[2]);
        map.setView([v[0], v[1]], v[2], {animate: false});
    });
    window.xueweiSyncReady = true;  // both sides listening: safe to move one
})();
</script>
"""

_PAGE = """<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title}</title>
<style>
html, body {{ margin: 0; height: 100%; font-family: Arial, "Noto Sans CJK SC",
    "Microsoft YaHei", sans-serif; }}
.xuewei-compare-head {{ height: 34px; line-height: 34px; padding: 0 12px; font-weight: bold;
    border-bottom: 1px solid #999; background: #f7f7f7; white-space: nowrap; overflow: hidden;
    text-overflow: ellipsis; }}
.xuewei-compare {{ display: flex; height: calc(100% - 35px); }}
.xuewei-compare figure {{ flex: 1 1 50%; margin: 0; display: flex; flex-direction: column;
    min-width: 0; }}
.xuewei-compare figure + figure {{ border-left: 3px solid #333; }}
.xuewei-compare figcaption {{ padding: 3px 10px; font-size: 13px; background: #fff3b0;
    border-bottom: 1px solid #999; }}
.xuewei-compare iframe {{ flex: 1 1 auto; border: 0; width: 100%; }}
</style>
</head>
<body>
<div class="xuewei-compare-head">{title}</div>
<div class="xuewei-compare">
<figure><figcaption>{left_label}</figcaption>
<iframe id="xuewei-left" title="{left_label}" srcdoc="{left}"></iframe></figure>
<figure><figcaption>{right_label}</figcaption>
<iframe id="xuewei-right" title="{right_label}" srcdoc="{right}"></iframe></figure>
</div>
<script>
(function () {{
    var frames = [document.getElementById("xuewei-left"),
                  document.getElementById("xuewei-right")];
    window.addEventListener("message", function (event) {{
        var v = event.data && event.data.xuewei_view;
        if (!v) {{ return; }}
        frames.forEach(function (frame) {{
            if (frame.contentWindow !== event.source) {{
                frame.contentWindow.postMessage({{xuewei_follow: v}}, "*");
            }}
        }});
    }});
}})();
</script>
</body>
</html>
"""


def compare_html(
    left: folium.Map,
    right: folium.Map,
    *,
    title: str,
    left_label: str,
    right_label: str,
    offline: bool = False,
) -> str:
    """Render two maps side by side as one page; panning or zooming one moves the other.

    Parameters
    ----------
    left, right
        The maps, e.g. :func:`xuewei.maps.plan_map` of two scenarios or two years (draw
        both with the same base map, so that they share a datum).
    title
        The page's heading, e.g. ``"长沙市 80 vs 90 places per 1,000"``.
    left_label, right_label
        Captions above each map, e.g. ``"千人指标 80"`` and ``"千人指标 90"``.
    offline
        Render both sides self-contained (see :func:`xuewei.maps.render_html`).

    Returns
    -------
    str
        The page. Write it with ``Path("compare.html").write_text(page, encoding="utf-8")``;
        in Jupyter, show it with ``IPython.display.HTML(page)``.

    Raises
    ------
    xuewei.errors.ConfigError
        (a ``ValueError``) when a side renders no folium map, or as
        :func:`xuewei.maps.render_html` with ``offline=True``.

    Examples
    --------
    >>> import folium
    >>> left = folium.Map(location=[28.2, 112.9], zoom_start=10, tiles=None)
    >>> right = folium.Map(location=[28.2, 112.9], zoom_start=10, tiles=None)
    >>> page = compare_html(left, right, title="长沙 2025 vs 2035", left_label="2025",
    ...                     right_label="2035", offline=True)
    >>> page.count("<iframe"), "cdn." in page
    (2, False)
    """
    sides = []
    for side, m in (("left", left), ("right", right)):
        page = render_html(m, offline=offline)
        found = _MAP_NAME.search(page)
        if found is None:
            raise ConfigError(
                f"compare_html: the {side} side renders no folium map to keep in step; "
                "pass a folium.Map (e.g. from plan_map) as left and right."
            )
        sync = _SYNC % found.group(1)
        page = page.replace("</html>", sync + "</html>") if "</html>" in page else page + sync
        sides.append(html.escape(page, quote=True))
    return _PAGE.format(
        title=esc(title),
        left_label=esc(left_label),
        right_label=esc(right_label),
        left=sides[0],
        right=sides[1],
    )
