"""Base maps of the meeting map: OpenStreetMap, Amap/高德, Tianditu/天地图, or none.

Amap tiles are drawn in GCJ-02, the offset datum Chinese law requires of domestic web maps:
a WGS84 point drawn as is on Amap lands 300–600 m off its street. So a map's overlays are
drawn in the datum of its base map — :func:`basemap_datum` tells which, and
:func:`to_datum` shifts WGS84 geometries to GCJ-02 (with
:func:`xuewei.gis.coords.wgs84_to_gcj02`) when the base is Amap. A map offers only base maps
of one datum in its layer control (Amap with OpenStreetMap would put the points on the wrong
street on one of them). Tianditu is published in CGCS2000, which agrees with WGS84 to well
under a metre, and needs the bureau's own key (https://console.tianditu.gov.cn).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import folium
import geopandas as gpd
import numpy as np
import shapely
from jinja2 import Template

from xuewei.errors import ConfigError
from xuewei.gis.coords import wgs84_to_gcj02
from xuewei.maps._labels import Lang, esc

__all__ = [
    "BASEMAPS",
    "Basemap",
    "Datum",
    "base_layers",
    "basemap_datum",
    "to_datum",
]

Basemap = Literal["osm", "amap", "amap_satellite", "tianditu", "tianditu_satellite"]
Datum = Literal["wgs84", "gcj02"]


@dataclass(frozen=True)
class _Spec:
    zh: str
    en: str
    datum: Datum
    urls: tuple[str, ...]  # a base and, for Tianditu, its annotation layer
    attribution: str
    subdomains: str = "abc"
    max_zoom: int = 18


_TIANDITU = "https://t{s}.tianditu.gov.cn/DataServer?T=%s&x={x}&y={y}&l={z}&tk={key}"
_TIANDITU_ATTR = '&copy; <a href="https://www.tianditu.gov.cn">天地图 Tianditu</a>'
_AMAP_ATTR = '&copy; <a href="https://www.amap.com">高德地图 AutoNavi</a>'

#: The base maps by name: Chinese and English label, datum, tile URL(s), attribution.
BASEMAPS: dict[str, _Spec] = {
    "osm": _Spec(
        "开放街道地图",
        "OpenStreetMap",
        "wgs84",
        ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",),
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
        subdomains="abc",
        max_zoom=19,
    ),
    "amap": _Spec(
        "高德地图",
        "Amap",
        "gcj02",
        (
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}",
        ),
        _AMAP_ATTR,
        subdomains="1234",
    ),
    "amap_satellite": _Spec(
        "高德影像",
        "Amap satellite",
        "gcj02",
        ("https://webst0{s}.is.autonavi.com/appmaptile?style=6&x={x}&y={y}&z={z}",),
        _AMAP_ATTR,
        subdomains="1234",
    ),
    "tianditu": _Spec(
        "天地图",
        "Tianditu",
        "wgs84",
        (_TIANDITU % "vec_w", _TIANDITU % "cva_w"),
        _TIANDITU_ATTR,
        subdomains="01234567",
    ),
    "tianditu_satellite": _Spec(
        "天地图影像",
        "Tianditu satellite",
        "wgs84",
        (_TIANDITU % "img_w", _TIANDITU % "cia_w"),
        _TIANDITU_ATTR,
        subdomains="01234567",
    ),
}
# folium's name of OpenStreetMap, accepted for the default of earlier versions
_ALIASES = {"openstreetmap": "osm", "gaode": "amap", "高德": "amap", "天地图": "tianditu"}
_NONE = ("none", "")


def _names(tiles: str | Sequence[str] | None) -> list[str]:
    if tiles is None:
        return []
    items = [tiles] if isinstance(tiles, str) else list(tiles)
    names = []
    for item in items:
        key = str(item).strip().lower()
        key = _ALIASES.get(key, key)
        if key in _NONE:
            continue
        if key not in BASEMAPS:
            raise ConfigError(
                f"tiles={item!r} is not a base map xuewei knows; use one of "
                f"{', '.join(BASEMAPS)} or 'none'.",
                column="tiles",
            )
        names.append(key)
    return names


def basemap_datum(tiles: str | Sequence[str] | None) -> Datum:
    """Return the datum the overlays must be drawn in for the base map(s) ``tiles``.

    Parameters
    ----------
    tiles
        One base map name (see :data:`BASEMAPS`), several (offered in the layer control,
        the first shown), ``"none"`` or ``None``.

    Returns
    -------
    {"wgs84", "gcj02"}
        ``"gcj02"`` for Amap, ``"wgs84"`` otherwise (and with no base map).

    Raises
    ------
    xuewei.errors.ConfigError
        (a ``ValueError``) when a name is unknown, or GCJ-02 and WGS84 base maps are mixed.

    Examples
    --------
    >>> basemap_datum("amap"), basemap_datum(["osm", "tianditu"]), basemap_datum(None)
    ('gcj02', 'wgs84', 'wgs84')
    >>> basemap_datum(["osm", "amap"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xuewei.errors.ConfigError: tiles: osm (WGS84) and amap (GCJ-02) cannot share a map: ...
    """
    names = _names(tiles)
    datums = {BASEMAPS[n].datum for n in names}
    if len(datums) > 1:
        wgs = next(n for n in names if BASEMAPS[n].datum == "wgs84")
        gcj = next(n for n in names if BASEMAPS[n].datum == "gcj02")
        raise ConfigError(
            f"tiles: {wgs} (WGS84) and {gcj} (GCJ-02) cannot share a map: its points would "
            "sit on the wrong street on one of them. Draw one map per datum.",
            column="tiles",
        )
    return datums.pop() if datums else "wgs84"


def base_layers(
    tiles: str | Sequence[str] | None,
    *,
    tianditu_key: str | None = None,
    lang: Lang = "both",
) -> list[folium.map.Layer]:
    """Return the base-map layers for ``tiles``, the first one shown.

    Parameters
    ----------
    tiles
        As in :func:`basemap_datum`.
    tianditu_key
        The bureau's Tianditu key (天地图 tk), required for the Tianditu base maps.
    lang
        Language of the names in the layer control.

    Returns
    -------
    list of folium.map.Layer
        Tile layers to add to a map (with its layer control); empty for no base map.

    Raises
    ------
    xuewei.errors.ConfigError
        (a ``ValueError``) when a name is unknown, datums are mixed, or Tianditu is asked
        for without a key.

    Examples
    --------
    >>> [layer.layer_name for layer in base_layers(["amap", "amap_satellite"], lang="en")]
    ['Amap', 'Amap satellite']
    >>> base_layers("tianditu")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xuewei.errors.ConfigError: tiles='tianditu' needs tianditu_key=...: the key (tk) the bureau ...
    """
    basemap_datum(tiles)
    layers: list[folium.map.Layer] = []
    for i, name in enumerate(_names(tiles)):
        spec = BASEMAPS[name]
        key = ""
        if name.startswith("tianditu"):
            if not tianditu_key:
                raise ConfigError(
                    f"tiles={name!r} needs tianditu_key=...: the key (tk) the bureau "
                    "registered at https://console.tianditu.gov.cn.",
                    column="tianditu_key",
                )
            key = str(tianditu_key)
        label = {"zh": spec.zh, "en": spec.en}.get(lang, f"{spec.zh} {spec.en}")
        urls = tuple(u.replace("{key}", key) for u in spec.urls)
        layers.append(_TileGroup(urls, spec, name=esc(label), show=i == 0))
    return layers


class _TileGroup(folium.map.Layer):
    """A base map of one or more tile layers (a map and its annotation) as one layer."""

    loads_tiles = True

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.layerGroup([
            {%- for url in this.urls %}
                L.tileLayer({{ url|tojson }}, {{ this.options|tojson }}),
            {%- endfor %}
            ]);
        {% endmacro %}
        """
    )

    def __init__(self, urls: tuple[str, ...], spec: _Spec, *, name: str, show: bool) -> None:
        super().__init__(name=name, overlay=False, control=True, show=show)
        self._name = "TileGroup"
        self.urls = urls
        self.options = {
            "attribution": spec.attribution,
            "subdomains": spec.subdomains,
            "maxZoom": spec.max_zoom,
        }


def to_datum(frame: gpd.GeoDataFrame, datum: Datum) -> gpd.GeoDataFrame:
    """Return ``frame`` in EPSG:4326, its coordinates shifted to ``datum`` for drawing.

    Parameters
    ----------
    frame
        Any CRS.
    datum
        ``"wgs84"``: longitude/latitude as they are; ``"gcj02"``: shifted to GCJ-02 (for
        Amap tiles). Points outside China are not shifted.

    Returns
    -------
    geopandas.GeoDataFrame
        A new frame in EPSG:4326 (for GCJ-02 the CRS label stays EPSG:4326: the shift is
        for drawing only, never for analysis).

    Examples
    --------
    >>> from shapely.geometry import Point
    >>> wgs = gpd.GeoDataFrame(geometry=[Point(112.9388, 28.2282)], crs="EPSG:4326")
    >>> drawn = to_datum(wgs, "gcj02").geometry.iloc[0]
    >>> round(drawn.x - 112.9388, 4), round(drawn.y - 28.2282, 4)
    (0.0054, -0.0035)
    """
    out = frame.to_crs("EPSG:4326")
    if datum == "wgs84":
        return out
    if datum != "gcj02":
        raise ConfigError(f"datum={datum!r} is not a drawing datum; use 'wgs84' or 'gcj02'.")

    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    geometry = shapely.transform(np.asarray(out.geometry.array), shift)
    return out.set_geometry(gpd.GeoSeries(geometry, index=out.index, crs=out.crs))
