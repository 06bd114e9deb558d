"""Area outlines stored once per shared edge: a topology of arcs, as the page reads it.

Neighbouring attendance zones (and neighbouring catchments) share their boundaries;
written ring by ring, every shared edge would be on the page twice. Here the rings are cut
where neighbours part (as TopoJSON does) into arcs, each stored once, and each ring becomes
the indexes of its arcs (:func:`zone_arcs`). :func:`encode_zones` writes arcs and rings as
two strings of base-64 variable-length numbers (:func:`vlq`); the page reads them back as
:func:`decode_zones` does, with :data:`SHAPES_SCRIPT`, which the zones layer
(:class:`xuewei.maps._zones.ZoneLayer`) and the catchments layer
(:class:`xuewei.maps._catchments.CatchmentLayer`) write. Points are whole 10⁻⁵ degrees
(about a metre, as the other area layers), rounded before
the topology is built, so that two zones round a common vertex alike.

Written here rather than taken from a library: no topology package is in the environment,
and folium's ``TopoJson`` loads its decoder from the network (the pages are offline) and
styles features through GeoJSON, without the layer's hatching, colours and tooltip table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any, NamedTuple

import numpy as np
import shapely

__all__ = [
    "SHAPES_SCRIPT",
    "VLQ_DIGITS",
    "Point",
    "Ring",
    "decode_zones",
    "encode_zones",
    "unvlq",
    "vlq",
    "zone_arcs",
]

#: A point in whole 10⁻⁵ degrees: (x, y).
Point = tuple[int, int]
_GRID = 5  # decimals of a degree kept: about a metre
#: The digits of :func:`vlq` (base 64, as in source maps), in the order of their values.
VLQ_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_DIGIT = {c: i for i, c in enumerate(VLQ_DIGITS)}

#: The page's reader of :func:`encode_zones`' strings, as :func:`decode_zones` reads them:
#: ``xueweiShapes(arcs)`` returns ``polygon(text)``, the Leaflet latlngs of the next
#: zone's text (zones are read in order: their arc indexes are steps from the one before),
#: and ``numbers(text)``, :func:`unvlq`. Each layer that draws a topology writes it; it is
#: defined once per page.
SHAPES_SCRIPT = """window.xueweiShapes = window.xueweiShapes || function (arcsText) {
    var digit = {};
    "VLQ_DIGITS".split("").forEach(function (c, i) { digit[c] = i; });
    function numbers(text) {
        var out = [], rest = 0, shift = 0;
        for (var i = 0; i < text.length; i++) {
            var d = digit[text.charAt(i)];
            rest += (d & 31) << shift;
            if (d & 32) { shift += 5; continue; }
            out.push(rest & 1 ? -(rest >> 1) : rest >> 1);
            rest = 0;
            shift = 0;
        }
        return out;
    }
    var x = 0, y = 0, ref = 0;
    var arcs = arcsText.split(",").map(function (text) {
        var steps = numbers(text), arc = [];
        for (var i = 0; i < steps.length; i += 2) {
            x += steps[i];
            y += steps[i + 1];
            arc.push([y / 1e5, x / 1e5]);
        }
        return arc;
    });
    function ring(text) {
        var out = [], steps = numbers(text), start = steps[0];
        for (var k = 1; k < steps.length; k++) {
            ref += steps[k];
            var arc = ref < 0 ? arcs[~ref].slice().reverse() : arcs[ref];
            // each arc starts where the one before ended
            for (var i = 1; i < arc.length; i++) out.push(arc[i]);
        }
        // from the ring's own first vertex: Leaflet's simplification depends on it
        return out.slice(start).concat(out.slice(0, start));
    }
    return {
        numbers: numbers,
        polygon: function (text) {
            return text ? text.split(";").map(function (rings) {
                return rings.split(",").map(ring);
            }) : [];
        }
    };
};""".replace("VLQ_DIGITS", VLQ_DIGITS)  # JavaScript's braces rule out str.format


def vlq(values: Iterable[int]) -> str:
    """Write whole numbers as base-64 variable-length quantities (VLQ, as in source maps).

    Each number, its sign moved to the lowest bit, is cut into 5-bit digits, lowest first,
    each but the last flagged by its sixth bit: ``-15 … 15`` take one character,
    ``-511 … 511`` two. The characters need no escaping in JSON or a script.

    Examples
    --------
    >>> vlq([0, 1, -1, 16, -300])
    'ACDgB5S'
    >>> unvlq(vlq([0, 1, -1, 16, -300, 11290002]))
    [0, 1, -1, 16, -300, 11290002]
    """
    out = []
    for value in values:
        rest = value << 1 if value >= 0 else (-value << 1) | 1
        while rest > 31:
            out.append(VLQ_DIGITS[32 | rest & 31])
            rest >>= 5
        out.append(VLQ_DIGITS[rest])
    return "".join(out)


def unvlq(text: str) -> list[int]:
    """Read the numbers :func:`vlq` wrote (as the page does)."""
    out, rest, shift = [], 0, 0
    for char in text:
        digit = _DIGIT[char]
        rest += (digit & 31) << shift
        if digit & 32:
            shift += 5
            continue
        out.append(-(rest >> 1) if rest & 1 else rest >> 1)
        rest, shift = 0, 0
    return out


def _grid_rings(geometry: Any) -> list[list[list[Point]]]:
    """Return a (multi)polygon's rings in whole 10⁻⁵ degrees, one list per polygon.

    Each ring's vertices are rounded to the grid (about a metre, as the other area layers)
    before anything else, so that two zones round a common vertex alike; repeated
    vertices and the closing one are left out, the first kept first. A ring that rounds to
    fewer than three points is no area to fill, nor is a polygon whose outer ring does.
    """
    out = []
    for polygon in shapely.get_parts(geometry):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue  # a collection's stray lines or points are no area to fill
        rings = []
        for ring in [polygon.exterior, *polygon.interiors]:
            ints = np.round(np.asarray(ring.coords)[:-1, :2] * 10**_GRID).astype(np.int64)
            # a vertex that rounds onto the one before is left out; the first stays first
            ints = ints[np.r_[True, np.any(ints[1:] != ints[:-1], axis=1)]]
            if len(ints) > 1 and (ints[-1] == ints[0]).all():
                ints = ints[:-1]
            if len(ints) >= 3:
                rings.append([(int(x), int(y)) for x, y in ints])
            elif not rings:
                break
        if rings:
            out.append(rings)
    return out


def _junctions(zones: Sequence[list[list[list[Point]]]]) -> set[Point]:
    """Return the points where rings part: those met with different neighbours."""
    seen: dict[Point, tuple[Point, Point]] = {}
    junctions = set()
    for zone in zones:
        for rings in zone:
            for ring in rings:
                for i, point in enumerate(ring):
                    a, b = ring[i - 1], ring[(i + 1) % len(ring)]
                    pair = (a, b) if a < b else (b, a)
                    if seen.setdefault(point, pair) != pair:
                        junctions.add(point)
    return junctions


def _cut(ring: list[Point], junctions: set[Point]) -> tuple[int, list[list[Point]]]:
    """Cut a ring at its junctions into arcs (each ending where the next starts).

    Returns the arcs and where the ring's own first vertex is in the arcs joined (each
    arc's first point left out, as :func:`decode_zones` joins them).
    """
    cuts = [i for i, point in enumerate(ring) if point in junctions]
    if not cuts:  # a ring nobody shares a part of: from its least point, as its twin would
        first = min(range(len(ring)), key=ring.__getitem__)
        return (len(ring) - first - 1) % len(ring), [[*ring[first:], *ring[: first + 1]]]
    closed = [*ring[cuts[0] :], *ring[: cuts[0] + 1]]
    ends = [i - cuts[0] for i in cuts] + [len(ring)]
    start = (len(ring) - cuts[0] - 1) % len(ring)
    return start, [closed[a : b + 1] for a, b in pairwise(ends)]


class Ring(NamedTuple):
    """A ring of a zone: its arcs (``~i``: arc ``i`` walked backwards) and its first vertex.

    ``start`` is where the ring's own first vertex is in its arcs joined: the page draws
    the ring from there, as Leaflet's simplification of an outline depends on its start.
    """

    start: int
    arcs: list[int]


def zone_arcs(
    geometries: Sequence[Any],
) -> tuple[list[list[Point]], list[list[list[Ring]]]]:
    """Split the zones' outlines into arcs that neighbouring zones share (a topology).

    Every ring is cut where it parts from its neighbour (at the points met with different
    neighbours, as TopoJSON does), and each piece is stored once: a ring becomes the
    indexes of its arcs, ``~i`` for arc ``i`` walked backwards (:class:`Ring`). Points are
    whole 10⁻⁵ degrees (:func:`_grid_rings`).

    Returns
    -------
    arcs, zones
        The arcs (lists of points, the first and last the junctions they join) and,
        per zone, its polygons' rings (outer first) as :class:`Ring`.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> arcs, zones = zone_arcs([box(0, 0, 2e-5, 1e-5), box(2e-5, 0, 4e-5, 1e-5)])
    >>> arcs[0]  # the side the boxes share: once, walked backwards (~0) by the second
    [(2, 0), (2, 1)]
    >>> zones
    [[[Ring(start=3, arcs=[0, 1])]], [[Ring(start=1, arcs=[-1, 2])]]]
    """
    grids = [_grid_rings(g) for g in geometries]
    junctions = _junctions(grids)
    arcs: list[list[Point]] = []
    index: dict[tuple[Point, ...], int] = {}
    zones = []
    for zone in grids:
        polygons = []
        for rings in zone:
            refs = []
            for ring in rings:
                start, cut = _cut(ring, junctions)
                ring_refs = []
                for arc in cut:
                    key = tuple(arc)
                    if key in index:
                        ring_refs.append(index[key])
                    elif key[::-1] in index:
                        ring_refs.append(~index[key[::-1]])
                    else:
                        index[key] = len(arcs)
                        ring_refs.append(len(arcs))
                        arcs.append(arc)
                refs.append(Ring(start, ring_refs))
            polygons.append(refs)
        zones.append(polygons)
    return arcs, zones


def encode_zones(geometries: Sequence[Any]) -> tuple[str, str]:
    """Return the zones' outlines as the page reads them: ``(arcs, zones)``, two strings.

    ``arcs``: the arcs of :func:`zone_arcs`, separated by ``,``, each point the step in
    whole 10⁻⁵ degrees from the point before (the first from 0, an arc's first from the
    last arc's end), written by :func:`vlq`. ``zones``: separated by ``|``, a zone's
    polygons by ``;``, a polygon's rings (outer first) by ``,``, each ring its start (see
    :class:`Ring`) and its arcs' indexes (``~i`` walked backwards) as steps from the index
    before, by :func:`vlq`.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> encode_zones([box(0, 0, 2e-5, 1e-5), box(2e-5, 0, 4e-5, 1e-5)])
    ('EAAC,AAFAADEA,AAEAACFA', 'GAC|CFG')
    >>> decode_zones(*_)  # each ring from its own first vertex, as shapely's box begins
    [[[[[2, 0], [2, 1], [0, 1], [0, 0]]]], [[[[4, 0], [4, 1], [2, 1], [2, 0]]]]]
    """
    arcs, zones = zone_arcs(geometries)
    last = (0, 0)
    arc_texts = []
    for arc in arcs:
        steps = []
        for point in arc:
            steps += [point[0] - last[0], point[1] - last[1]]
            last = point
        arc_texts.append(vlq(steps))
    ref = 0
    zone_texts = []
    for zone in zones:
        polygon_texts = []
        for rings in zone:
            ring_texts = []
            for ring in rings:
                moves = [r - p for p, r in pairwise([ref, *ring.arcs])]
                ring_texts.append(vlq([ring.start, *moves]))
                ref = ring.arcs[-1]
            polygon_texts.append(",".join(ring_texts))
        zone_texts.append(";".join(polygon_texts))
    return ",".join(arc_texts), "|".join(zone_texts)


def decode_zones(arcs_text: str, zones_text: str) -> list[list[list[list[list[int]]]]]:
    """Read :func:`encode_zones`' strings back as the page does: per zone, polygons of rings.

    A ring is its arcs joined, each arc's first point left out (the last arc ends where the
    ring starts), begun at its first vertex (:class:`Ring`); points are ``[x, y]`` in whole
    10⁻⁵ degrees.
    """
    arcs, last = [], [0, 0]
    for text in arcs_text.split(",") if arcs_text else []:
        steps = unvlq(text)
        arc = []
        for i in range(0, len(steps), 2):
            last = [last[0] + steps[i], last[1] + steps[i + 1]]
            arc.append(last)
        arcs.append(arc)
    ref = 0
    zones = []
    for zone_text in zones_text.split("|"):
        polygons = []
        for polygon_text in zone_text.split(";") if zone_text else []:
            rings = []
            for ring_text in polygon_text.split(","):
                start, *steps = unvlq(ring_text)
                ring = []
                for step in steps:
                    ref += step
                    ring += (arcs[~ref][::-1] if ref < 0 else arcs[ref])[1:]
                rings.append(ring[start:] + ring[:start])
            polygons.append(rings)
        zones.append(polygons)
    return zones
