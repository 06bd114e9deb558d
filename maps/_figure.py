"""The furniture of a static map: plain-text labels, legend entries, north arrow, scale bar.

:func:`xuewei.maps.static.static_map` draws the layers; the pieces around them — labels as
plain text (the HTML map's are escaped HTML), the legend's headings and dots, the north
arrow and a scale bar of a round length in metres — are here.
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from xuewei.maps._labels import LABELS, Lang, number_text
from xuewei.maps._select import points

__all__ = [
    "bold_headings",
    "heading",
    "legend_dot",
    "north_arrow",
    "round_length",
    "scale_bar",
    "scenario_line",
    "text",
    "xy",
]


def text(key: str, lang: Lang) -> str:
    """Return a label as plain text (the HTML map's labels are escaped HTML).

    Examples
    --------
    >>> text("primary", "both"), text("primary", "en")
    ('小学 Primary', 'Primary')
    """
    zh, en = LABELS.get(key, (key, key))
    return {"zh": zh, "en": en}.get(lang, zh if zh == en else f"{zh} {en}")


def scenario_line(scenario: float, lang: Lang) -> str:
    """Return the scenario as the static map's subtitle shows it."""
    value = number_text(scenario)
    return {"zh": f"千人指标 {value}", "en": f"{value} places per 1,000"}.get(
        lang, f"{value} places per 1,000 / 千人指标 {value}"
    )


def xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Return the features' points as an ``(n, 2)`` array (polygons at a representative point)."""
    return np.array([[p.x, p.y] for p in points(frame)], dtype=float).reshape(-1, 2)


def heading(label: str) -> Patch:
    """Return a legend entry without a symbol: a section heading (see :func:`bold_headings`)."""
    return Patch(visible=False, label=label)


def legend_dot(colour: str, label: str, *, size: float = 7) -> Line2D:
    """Return a legend entry of a filled circle."""
    return Line2D(
        [],
        [],
        marker="o",
        linestyle="",
        markersize=size,
        markerfacecolor=colour,
        markeredgecolor="#333333",
        markeredgewidth=0.5,
        label=label,
    )


def bold_headings(ax: Any) -> None:
    """Make the legend's section headings (entries without a symbol) bold and flush left."""
    legend = ax.get_legend()
    for handle, label in zip(legend.legend_handles, legend.get_texts(), strict=True):
        if handle is not None and not handle.get_visible():
            label.set_fontweight("bold")


def north_arrow(ax: Any) -> None:
    """Draw a north arrow in the top right corner."""
    ax.annotate(
        "N",
        xy=(0.96, 0.95),
        xytext=(0.96, 0.86),
        xycoords="axes fraction",
        ha="center",
        va="center",
        fontsize=12,
        fontweight="bold",
        arrowprops={"facecolor": "black", "width": 4, "headwidth": 12, "headlength": 10},
    )


def scale_bar(ax: Any, lang: Lang) -> None:
    """Draw a scale bar of a round length, about a fifth of the map's width (metres)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width = x1 - x0
    length = round_length(width / 5)
    left, bottom = x0 + 0.03 * width, y0 + 0.04 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    half = length / 2
    for i, colour in enumerate(("black", "white")):
        ax.add_patch(
            Rectangle(
                (left + i * half, bottom),
                half,
                height,
                facecolor=colour,
                edgecolor="black",
                linewidth=0.8,
                zorder=8,
            )
        )
    unit = "km" if length >= 1000 else "m"
    value = length / 1000 if unit == "km" else length
    for offset, label in ((0.0, "0"), (length, f"{value:g} {unit}")):
        ax.text(
            left + offset,
            bottom + 1.8 * height,
            label,
            ha="center",
            va="bottom",
            fontsize=8,
            zorder=8,
        )


def round_length(x: float) -> float:
    """Return the largest of 1, 2, 5 × 10^k metres not above ``x``.

    Examples
    --------
    >>> round_length(4_321.0), round_length(0.0)
    (2000, 1.0)
    """
    if x <= 0 or not math.isfinite(x):
        return 1.0
    exponent = 10 ** math.floor(math.log10(x))
    return max(f * exponent for f in (1, 2, 5) if f * exponent <= x)
