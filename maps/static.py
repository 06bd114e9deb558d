"""Static maps (matplotlib) of the meeting map's layers, as PNG for reports and documents.

The same inputs, classes and colours as :func:`xuewei.maps.plan_map` — the gap choropleth,
schools by utilisation and capacity, estates and unserved estates, catchments, proposals
and mergers — drawn in a metric CRS (the districts' own when projected, else the CGCS2000
Gauss–Krüger zone of their centre) with a north arrow, a scale bar, a legend and the
title box. Chinese text needs a CJK font: :func:`cjk_font` picks one that is installed
(Noto Sans CJK from Debian's ``fonts-noto-cjk``, Source Han Sans, WenQuanYi, SimHei,
Microsoft YaHei, PingFang); without one the labels fall back to English and a warning says
what to install.
"""

from __future__ import annotations

import math
import warnings
from functools import cache
from typing import Any

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from xuewei.gis.crs import plan_crs
from xuewei.maps._labels import LABELS, Lang, int_text, number_text
from xuewei.maps.plan_map import (
    _CATCHMENT_OTHER,
    _ESTATE_COLOUR,
    _PROPOSAL_OTHER,
    _UNSERVED_FILL,
    CATCHMENT_COLOURS,
    GAP_BALANCED,
    GAP_NO_DATA,
    GAP_SHORTAGE,
    GAP_SURPLUS,
    MERGER_COLOUR,
    PROPOSAL_STYLES,
    UNSERVED_COLOUR,
    UTILISATION_BREAKS,
    UTILISATION_COLOURS,
    _check_inputs,
    _column,
    _gap_colour,
    _merger_lines,
    _merger_source,
    _nice_step,
    _points,
    _radius,
    _select_gaps,
    _served_estates,
    _utilisation_class,
    missing,
)

__all__ = ["cjk_font", "static_map"]

_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK JP",
    "Noto Serif CJK SC",
)
# Matplotlib marker of each proposal kind (the HTML map's icons are characters).
_KIND_MARKERS = {
    "new_build": "*",
    "expansion": "P",
    "merger": "D",
    "kindergarten": "s",
    "special_education": "h",
}


@cache
def cjk_font() -> str | None:
    """Return the name of an installed font with Chinese glyphs, or ``None``.

    Examples
    --------
    >>> name = cjk_font()
    >>> name is None or isinstance(name, str)
    True
    """
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in installed), None)


def _text(key: str, lang: Lang) -> str:
    """Return a label as plain text (the HTML map's labels are escaped HTML)."""
    zh, en = LABELS.get(key, (key, key))
    return {"zh": zh, "en": en}.get(lang, zh if zh == en else f"{zh} {en}")


def static_map(
    districts: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    *,
    gaps: pd.DataFrame,
    estates: gpd.GeoDataFrame | None = None,
    catchments: gpd.GeoDataFrame | None = None,
    proposals: gpd.GeoDataFrame | None = None,
    mergers: pd.DataFrame | None = None,
    scenario: float,
    year: int,
    level: str = "compulsory",
    title: str,
    lang: Lang = "both",
    data_note: str | None = None,
    capacity_col: str = "capacity",
    figsize: tuple[float, float] | None = None,
    district_labels: bool = True,
) -> Figure:
    """Draw the plan map as a matplotlib figure, for a PNG in a report.

    Takes the inputs of :func:`xuewei.maps.plan_map` (validated the same way, with the same
    classes and colours) and draws every layer that is given, with a north arrow, a scale
    bar, a legend and the title, scenario, year, level and data note.

    Parameters
    ----------
    districts, schools, gaps, estates, catchments, proposals, mergers
        As for :func:`xuewei.maps.plan_map`.
    scenario, year, level, title, lang, data_note, capacity_col
        As for :func:`xuewei.maps.plan_map`.
    figsize
        Figure size in inches (width, height); by default 12 inches wide and as high as
        the districts' shape needs. The legend takes the right quarter.
    district_labels
        Write each district's name at its centre.

    Returns
    -------
    matplotlib.figure.Figure
        Save it with ``fig.savefig("plan.png", dpi=200)``; close it with
        ``matplotlib.pyplot.close(fig)`` only if it was made through pyplot (it is not:
        the figure is garbage-collected like any object).

    Raises
    ------
    xuewei.errors.InputError
        As :func:`xuewei.maps.plan_map`.

    Examples
    --------
    >>> import io
    >>> import geopandas as gpd
    >>> import pandas as pd
    >>> from shapely.geometry import Point, box
    >>> districts = gpd.GeoDataFrame({"district_id": ["yl"], "name": ["岳麓区"]},
    ...     geometry=[box(112.8, 28.1, 112.95, 28.25)], crs="EPSG:4326")
    >>> gaps = pd.DataFrame({"district_id": ["yl"], "level": ["compulsory"], "year": [2030],
    ...     "scenario": [85.0], "residents": [1e6], "required": [85e3], "offered": [80e3],
    ...     "gap": [5e3]})
    >>> schools = gpd.GeoDataFrame({"school_id": ["s1"], "name": ["一中"],
    ...     "level": ["primary"], "capacity": [2160]},
    ...     geometry=[Point(112.9, 28.2)], crs="EPSG:4326")
    >>> fig = static_map(districts, schools, gaps=gaps, scenario=85, year=2030,
    ...                  title="长沙市学位规划")
    >>> fig.savefig(io.BytesIO(), format="png", dpi=72)
    """
    font = cjk_font()
    if font is None and lang != "en":
        warnings.warn(
            "no font with Chinese glyphs is installed; the static map is labelled in "
            "English. Install one, e.g. `apt-get install fonts-noto-cjk`.",
            UserWarning,
            stacklevel=2,
        )
        lang = "en"
    _check_inputs(
        districts,
        schools,
        gaps,
        estates,
        scenario=scenario,
        year=year,
        level=level,
        extra={"catchments": catchments, "proposals": proposals, "mergers": mergers},
    )
    families = ([font] if font else []) + ["DejaVu Sans"]
    with mpl.rc_context({"font.family": families, "axes.unicode_minus": False}):
        return _draw(
            districts,
            schools,
            gaps=gaps,
            estates=estates,
            catchments=catchments,
            proposals=proposals,
            mergers=mergers,
            scenario=scenario,
            year=year,
            level=level,
            title=title,
            lang=lang,
            data_note=data_note,
            capacity_col=capacity_col,
            figsize=figsize,
            district_labels=district_labels,
        )


def _draw(
    districts: gpd.GeoDataFrame,
    schools: gpd.GeoDataFrame,
    *,
    gaps: pd.DataFrame,
    estates: gpd.GeoDataFrame | None,
    catchments: gpd.GeoDataFrame | None,
    proposals: gpd.GeoDataFrame | None,
    mergers: pd.DataFrame | None,
    scenario: float,
    year: int,
    level: str,
    title: str,
    lang: Lang,
    data_note: str | None,
    capacity_col: str,
    figsize: tuple[float, float] | None,
    district_labels: bool,
) -> Figure:
    crs = districts.crs if districts.crs.is_projected else plan_crs(districts)
    d = districts.to_crs(crs)
    if figsize is None:
        west, south, east, north = d.total_bounds
        aspect = (north - south) / max(east - west, 1.0)
        figsize = (12.0, min(max(8.5 * aspect + 1.6, 6.0), 14.0))
    selected = _select_gaps(gaps, scenario=scenario, year=year)
    values = [
        float(r["gap"])
        for (_, lvl), r in selected.items()
        if lvl == level and not missing(r["gap"]) and math.isfinite(float(r["gap"]))
    ]
    step = _nice_step(max((abs(v) for v in values), default=0.0) / 3)
    fills = [
        _gap_colour(None if (row := selected.get((str(i), level))) is None else row["gap"], step)
        for i in d["district_id"]
    ]

    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    d.plot(ax=ax, color=fills, edgecolor="#555555", linewidth=0.6)
    handles: list[Any] = []
    one, two = int_text(step), int_text(2 * step)
    short, surplus = _text("shortage", lang), _text("surplus", lang)
    handles.append(
        Patch(visible=False, label=f"{_text('legend_gap', lang)} · {_text(level, lang)}")
    )
    for colour, text in [
        (GAP_SHORTAGE[2], f"{short} > {two}"),
        (GAP_SHORTAGE[1], f"{short} {one}–{two}"),
        (GAP_SHORTAGE[0], f"{short} 1–{one}"),
        (GAP_BALANCED, f"{_text('balanced', lang)} 0"),
        (GAP_SURPLUS[0], f"{surplus} 1–{one}"),
        (GAP_SURPLUS[1], f"{surplus} {one}–{two}"),
        (GAP_SURPLUS[2], f"{surplus} > {two}"),
        (GAP_NO_DATA, _text("no_data", lang)),
    ]:
        handles.append(Patch(facecolor=colour, edgecolor="#777777", label=text))

    if catchments is not None:
        c = catchments.to_crs(crs)
        handles.append(Patch(visible=False, label=_text("layer_catchments", lang)))
        for lvl in pd.unique(c["level"].astype(str)):
            colour = CATCHMENT_COLOURS.get(lvl, _CATCHMENT_OTHER)
            c[np.asarray(c["level"].astype(str) == lvl)].boundary.plot(
                ax=ax, color=colour, linewidth=0.8, linestyle="--"
            )
            handles.append(
                Line2D([], [], color=colour, linestyle="--", label=_text(str(lvl), lang))
            )

    if estates is not None:
        e = estates.to_crs(crs)
        pts = _xy(e)
        unserved = (
            np.asarray(e["unserved"].fillna(False).astype(bool))
            if "unserved" in e.columns
            else np.zeros(len(e), bool)
        )
        ax.scatter(
            pts[~unserved][:, 0],
            pts[~unserved][:, 1],
            s=4,
            color=_ESTATE_COLOUR,
            alpha=0.5,
            linewidths=0,
        )
        handles.append(Patch(visible=False, label=_text("legend_estates", lang)))
        handles.append(_dot(_ESTATE_COLOUR, _text("estate", lang), size=5))
        if unserved.any():
            ax.scatter(
                pts[unserved][:, 0],
                pts[unserved][:, 1],
                s=30,
                facecolors=_UNSERVED_FILL,
                edgecolors=UNSERVED_COLOUR,
                linewidths=1.5,
                zorder=4,
            )
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markersize=7,
                    markerfacecolor=_UNSERVED_FILL,
                    markeredgecolor=UNSERVED_COLOUR,
                    markeredgewidth=1.5,
                    label=_text("unserved", lang),
                )
            )

    s = schools.to_crs(crs)
    capacity = pd.to_numeric(_column(s, capacity_col), errors="coerce")
    cap_max = float(np.nanmax(capacity.to_numpy(float))) if capacity.notna().any() else 0.0
    radius = np.array([_radius(v, cap_max, smallest=2.0, largest=7.0) for v in capacity])
    colours = [UTILISATION_COLOURS[_utilisation_class(v)] for v in _column(s, "utilisation")]
    if len(s):
        school_xy = _xy(s)
        ax.scatter(
            school_xy[:, 0],
            school_xy[:, 1],
            s=radius**2,
            c=colours,
            edgecolors="#333333",
            linewidths=0.4,
            zorder=3,
        )
    low, high = (f"{b * 100:.0f}%" for b in UTILISATION_BREAKS)
    handles.append(Patch(visible=False, label=_text("legend_schools", lang)))
    for key, text in [
        ("under", f"< {low}"),
        ("near", f"{low}–{high}"),
        ("over", f"> {high}"),
        ("unknown", _text("unknown", lang)),
    ]:
        handles.append(_dot(UTILISATION_COLOURS[key], text))

    mergers, _source = _merger_source(mergers, proposals)
    if mergers is not None and len(mergers):
        lines = _merger_lines(mergers, schools, proposals, "wgs84").to_crs(crs)
        for geometry, year_value in zip(lines.geometry, _column(lines, "year"), strict=True):
            coords = np.asarray(shapely.get_coordinates(geometry))
            start, end = coords[0], coords[-1]
            ax.annotate(
                "",
                xy=end,
                xytext=start,
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": MERGER_COLOUR,
                    "lw": 1.5,
                    "linestyle": "--",
                },
                zorder=5,
            )
            if not missing(year_value):
                mid = (start + end) / 2
                ax.text(
                    mid[0],
                    mid[1],
                    str(int(year_value)),
                    fontsize=7,
                    color=MERGER_COLOUR,
                    ha="center",
                    va="bottom",
                    zorder=5,
                )
    if proposals is not None and len(proposals):
        p = proposals.to_crs(crs)
        e_pts = None if estates is None else _xy(estates.to_crs(crs))
        served = _served_estates(p, None if estates is None else estates)
        p_pts = _xy(p)
        for (x, y), serves in zip(p_pts, served, strict=True):
            for i in serves:
                assert e_pts is not None
                ax.plot(
                    [x, e_pts[i, 0]],
                    [y, e_pts[i, 1]],
                    color="#08519c",
                    lw=0.6,
                    linestyle=":",
                    zorder=5,
                )
        kinds = [str(k) for k in p["kind"]]
        for kind in dict.fromkeys(kinds):
            colour = PROPOSAL_STYLES.get(kind, _PROPOSAL_OTHER)[1]
            marker = _KIND_MARKERS.get(kind, "X")
            mask = np.array([k == kind for k in kinds])
            ax.scatter(
                p_pts[mask][:, 0],
                p_pts[mask][:, 1],
                s=140,
                marker=marker,
                color=colour,
                edgecolors="white",
                linewidths=0.8,
                zorder=6,
            )
    if (proposals is not None and len(proposals)) or (mergers is not None and len(mergers)):
        handles.append(Patch(visible=False, label=_text("legend_proposals", lang)))
        if proposals is not None:
            for kind in dict.fromkeys(str(k) for k in proposals["kind"]):
                colour = PROPOSAL_STYLES.get(kind, _PROPOSAL_OTHER)[1]
                key = "kindergarten_proposal" if kind == "kindergarten" else kind
                handles.append(
                    Line2D(
                        [],
                        [],
                        marker=_KIND_MARKERS.get(kind, "X"),
                        linestyle="",
                        markersize=10,
                        color=colour,
                        label=_text(key, lang),
                    )
                )
        if mergers is not None and len(mergers):
            handles.append(
                Line2D(
                    [], [], color=MERGER_COLOUR, linestyle="--", label=_text("layer_mergers", lang)
                )
            )

    if district_labels:
        for point, name, name_en in zip(
            d.representative_point(), d["name"], _column(d, "name_en"), strict=True
        ):
            text = str(name_en) if lang == "en" and not missing(name_en) else str(name)
            ax.text(
                point.x,
                point.y,
                text,
                fontsize=8,
                ha="center",
                va="center",
                color="#222222",
                zorder=7,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.6},
            )

    ax.set_aspect("equal")
    ax.set_axis_off()
    _north_arrow(ax)
    _scale_bar(ax, lang)
    subtitle = " · ".join(
        [_scenario(scenario, lang), f"{_text('year', lang)} {int(year)}", _text(level, lang)]
    )
    fig.suptitle(f"{title}\n{subtitle}", fontsize=13)
    if data_note:
        fig.text(
            0.01,
            0.005,
            f"⚠ {data_note}",
            fontsize=9,
            color="#7f0000",
            ha="left",
            va="bottom",
            bbox={"fc": "#fff3b0", "ec": "#d7301f", "boxstyle": "square,pad=0.3"},
        )
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=8,
        frameon=True,
        handler_map=None,
        title=_text("legend", lang),
    )
    _bold_headings(ax)
    return fig


def _scenario(scenario: float, lang: Lang) -> str:
    value = number_text(scenario)
    return {"zh": f"千人指标 {value}", "en": f"{value} places per 1,000"}.get(
        lang, f"{value} places per 1,000 / 千人指标 {value}"
    )


def _xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    points = _points(frame)
    return np.array([[p.x, p.y] for p in points], dtype=float).reshape(-1, 2)


def _dot(colour: str, label: str, *, size: float = 7) -> Line2D:
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


def _bold_headings(ax: Any) -> None:
    """Make the legend's section headings (entries without a symbol) bold and flush left."""
    legend = ax.get_legend()
    for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
        if handle is not None and not handle.get_visible():
            text.set_fontweight("bold")


def _north_arrow(ax: Any) -> None:
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


def _scale_bar(ax: Any, lang: Lang) -> None:
    """Draw a scale bar of a round length, about a fifth of the map's width (metres)."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width = x1 - x0
    length = _round_length(width / 5)
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
    for offset, text in ((0.0, "0"), (length, f"{value:g} {unit}")):
        ax.text(
            left + offset,
            bottom + 1.8 * height,
            text,
            ha="center",
            va="bottom",
            fontsize=8,
            zorder=8,
        )


def _round_length(x: float) -> float:
    """Return the largest of 1, 2, 5 × 10^k metres not above ``x``."""
    if x <= 0 or not math.isfinite(x):
        return 1.0
    exponent = 10 ** math.floor(math.log10(x))
    return max(f * exponent for f in (1, 2, 5) if f * exponent <= x)
