"""How the maps look: the colours, classes and sizes shared by the HTML and static maps.

The gap classes of the district choropleth, the utilisation classes of schools, the
colours of estates, catchments, proposals and mergers, marker sizes and the precision of
drawn coordinates are defined once, here, so that :func:`xuewei.maps.plan_map` and
:func:`xuewei.maps.static.static_map` draw the same things alike. Nothing here computes a
planning number: the gaps and utilisation come in with the inputs and are only classed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from xuewei.maps._labels import Lang, esc, label, missing

__all__ = [
    "CATCHMENT_COLOURS",
    "CATCHMENT_OTHER",
    "DIGITS",
    "ESTATE_COLOUR",
    "FULL_COLOUR",
    "FULL_FILL",
    "GAP_BALANCED",
    "GAP_NO_DATA",
    "GAP_SHORTAGE",
    "GAP_SURPLUS",
    "MERGER_COLOUR",
    "PROPOSAL_OTHER",
    "PROPOSAL_STYLES",
    "UNSERVED_COLOUR",
    "UNSERVED_FILL",
    "UTILISATION_BREAKS",
    "UTILISATION_COLOURS",
    "css_name",
    "gap_colour",
    "gap_step",
    "kind_label",
    "nice_step",
    "proposal_symbol",
    "radius",
    "round_coordinates",
    "utilisation_class",
]

#: District fill by gap class, lightest first (ColorBrewer RdBu): shortage red, surplus blue.
GAP_SHORTAGE: tuple[str, str, str] = ("#fddbc7", "#f4a582", "#d6604d")
GAP_SURPLUS: tuple[str, str, str] = ("#d1e5f0", "#92c5de", "#4393c3")
GAP_BALANCED = "#f7f7f7"
GAP_NO_DATA = "#bdbdbd"

#: School marker colour by utilisation class (enrolment ÷ capacity, as given). The breaks
#: class the utilisation for display; whether a school is over capacity comes in as a flag.
UTILISATION_BREAKS: tuple[float, float] = (0.85, 1.0)
UTILISATION_COLOURS: Mapping[str, str] = {
    "under": "#1a9850",  # < 85 %
    "near": "#fdae61",  # 85–100 %
    "over": "#d73027",  # > 100 %
    "unknown": "#969696",
}
#: Decimal places of drawn longitudes/latitudes: 1e-6 degrees is about 0.1 m.
DIGITS = 6
ESTATE_COLOUR = "#6a3d9a"
#: Unserved estates: a thick magenta ring around a pale fill, in a layer of their own.
UNSERVED_COLOUR = "#e7298a"
UNSERVED_FILL = "#fde0ef"
#: Estates with a school in reach but no place there (the schools in reach are full).
FULL_COLOUR = "#d95f02"
FULL_FILL = "#fee6ce"
#: Catchment outline colour by school level.
CATCHMENT_COLOURS: Mapping[str, str] = {
    "primary": "#1f78b4",
    "junior": "#33a02c",
    "nine_year": "#6a3d9a",
    "kindergarten": "#ff7f00",
}
#: Catchment outline colour of a level not in :data:`CATCHMENT_COLOURS`.
CATCHMENT_OTHER = "#525252"
#: Proposal icon by kind: (symbol, colour); the symbol of kindergartens and special
#: education schools is a Chinese character, with a Latin letter on English maps.
PROPOSAL_STYLES: Mapping[str, tuple[str, str]] = {
    "new_build": ("★", "#08519c"),
    "expansion": ("+", "#238b45"),
    "merger": ("⇆", "#6a51a3"),
    "kindergarten": ("幼", "#d94801"),
    "special_education": ("特", "#8c2d04"),
}
_PROPOSAL_EN = {"kindergarten": "K", "special_education": "S"}
#: Symbol and colour of a proposal kind not in :data:`PROPOSAL_STYLES`.
PROPOSAL_OTHER = ("?", "#525252")
#: Merger lines: from the closing school (hollow end) to the receiving school (filled end).
MERGER_COLOUR = "#54278f"


def nice_step(x: float) -> int:
    """Return the smallest of 1, 2, 5 × 10^k places that is at least ``x`` (at least 1).

    Examples
    --------
    >>> nice_step(0.4), nice_step(1_234), nice_step(5_000)
    (1, 2000, 5000)
    """
    if not math.isfinite(x) or x <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(x))
    return next(int(f * exponent) for f in (1, 2, 5, 10) if f * exponent >= x)


def gap_step(selections: Sequence[Mapping[tuple[str, str], dict]], level: str) -> int:
    """Return the class width (places): a round third of the largest gap shown.

    ``selections`` are gap rows keyed by ``(district_id, level)``, one mapping per
    scenario drawn (see :func:`xuewei.maps._select.select_gaps`).
    """
    values = [
        abs(float(r["gap"]))
        for selected in selections
        for (_, lvl), r in selected.items()
        if lvl == level and not missing(r["gap"]) and math.isfinite(float(r["gap"]))
    ]
    return nice_step(max(values, default=0.0) / 3)


def gap_colour(gap: Any, step: int) -> str:
    """Return a district's fill: three classes ``step`` places wide each side of zero.

    Examples
    --------
    >>> gap_colour(1_500, 1_000) == GAP_SHORTAGE[1], gap_colour(None, 1_000) == GAP_NO_DATA
    (True, True)
    """
    if missing(gap) or not math.isfinite(float(gap)):
        return GAP_NO_DATA
    places = round(float(gap))  # classed as displayed: whole places
    if places == 0:
        return GAP_BALANCED
    cls = 0 if abs(places) <= step else 1 if abs(places) <= 2 * step else 2
    return (GAP_SHORTAGE if places > 0 else GAP_SURPLUS)[cls]


def utilisation_class(value: Any) -> str:
    """Return the utilisation class of a school: under, near, over or unknown."""
    if missing(value) or not math.isfinite(float(value)):
        return "unknown"
    low, high = UTILISATION_BREAKS
    value = float(value)
    return "under" if value < low else "near" if value <= high else "over"


def radius(value: Any, largest_value: float, *, smallest: float, largest: float) -> float:
    """Return the marker radius in pixels, its area proportional to ``value``."""
    if missing(value) or not math.isfinite(float(value)) or largest_value <= 0 or value <= 0:
        return smallest
    return round(smallest + (largest - smallest) * math.sqrt(float(value) / largest_value), 1)


def round_coordinates(coordinates: np.ndarray) -> np.ndarray:
    """Round drawn coordinates to :data:`DIGITS` places (for ``shapely.transform``)."""
    return np.round(coordinates, DIGITS)


def kind_label(kind: Any, lang: Lang) -> str:
    """Return the label of a proposal kind, as escaped HTML."""
    key = "kindergarten_proposal" if str(kind) == "kindergarten" else str(kind)
    return label(key, lang)


def css_name(kind: str) -> str:
    """Return a proposal kind as it may appear in a CSS class name."""
    return re.sub(r"[^a-z0-9_-]", "-", kind.lower())


def proposal_symbol(kind: str, lang: Lang) -> tuple[str, str]:
    """Return the icon symbol (escaped HTML) and colour of a proposal kind."""
    symbol, colour = PROPOSAL_STYLES.get(kind, PROPOSAL_OTHER)
    if lang == "en":
        symbol = _PROPOSAL_EN.get(kind, symbol)
    return esc(symbol), colour
