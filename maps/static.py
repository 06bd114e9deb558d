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
from matplotlib.patches import Patch

from xuewei.maps._checks import check_inputs
from xuewei.maps._figure import (
    bold_headings,
    heading,
    legend_dot,
    north_arrow,
    scale_bar,
    scenario_line,
    text,
    xy,
)
from xuewei.maps._labels import Lang, int_text, missing
from xuewei.maps._select import (
    column,
    merger_lines,
    merger_source,
    select_gaps,
    served_estates,
    shown_proposals,
)
from xuewei.maps._style import (
    CATCHMENT_COLOURS,
    CATCHMENT_OTHER,
    ESTATE_COLOUR,
    FULL_COLOUR,
    FULL_FILL,
    GAP_BALANCED,
    GAP_NO_DATA,
    GAP_SHORTAGE,
    GAP_SURPLUS,
    MERGER_COLOUR,
    PROPOSAL_OTHER,
    PROPOSAL_STYLES,
    UNSERVED_COLOUR,
    UNSERVED_FILL,
    UTILISATION_BREAKS,
    UTILISATION_COLOURS,
    gap_colour,
    gap_step,
    radius,
    utilisation_class,
)
from xuewei.vocabulary import plan_crs

__all__ = ["CJK_FONTS", "cjk_font", "static_map"]

#: Fonts with Chinese glyphs, in order of preference (see :func:`cjk_font`).
CJK_FONTS = (
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

    matplotlib lists the fonts it found when it first ran, in a cache; a CJK font installed
    later (``apt-get install fonts-noto-cjk``) is not in that list. When no CJK font is
    listed, the system's font files that matplotlib has not seen are added to its list
    once (in memory: the cache on disk is left alone) and the lookup is repeated.

    Examples
    --------
    >>> name = cjk_font()
    >>> name is None or isinstance(name, str)
    True
    """
    found = _listed_cjk_font()
    if found is None and _add_unlisted_fonts():
        found = _listed_cjk_font()
    return found


def _listed_cjk_font() -> str | None:
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _add_unlisted_fonts() -> int:
    """Add the system's fonts missing from matplotlib's font list; return how many."""
    manager = font_manager.fontManager
    listed = {str(f.fname) for f in manager.ttflist}
    added = 0
    for path in sorted(font_manager.findSystemFonts()):
        if path in listed:
            continue
        try:
            manager.addfont(path)
        except (OSError, RuntimeError, ValueError):  # a file FreeType cannot read
            continue
        added += 1
    return added


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
    check_inputs(
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
            proposals=shown_proposals(proposals, scenario),
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
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot()
    selected = select_gaps(gaps, scenario=scenario, year=year)
    handles = _draw_districts(ax, d, selected, level=level, lang=lang)
    if catchments is not None:
        handles += _draw_catchments(ax, catchments.to_crs(crs), lang)
    if estates is not None:
        handles += _draw_estates(ax, estates.to_crs(crs), lang, year=year)
    handles += _draw_schools(ax, schools.to_crs(crs), capacity_col=capacity_col, lang=lang)
    mergers, _source = merger_source(mergers, proposals)
    has_mergers = mergers is not None and len(mergers) > 0
    if mergers is not None and has_mergers:
        _draw_mergers(ax, merger_lines(mergers, schools, proposals, "wgs84").to_crs(crs))
    if proposals is not None and len(proposals):
        _draw_proposals(ax, proposals.to_crs(crs), estates, crs=crs)
    if (proposals is not None and len(proposals)) or has_mergers:
        handles += _proposal_handles(proposals, mergers=has_mergers, lang=lang)
    if district_labels:
        _label_districts(ax, d, lang)
    _finish(
        fig,
        ax,
        handles,
        title=title,
        subtitle=" · ".join(
            [scenario_line(scenario, lang), f"{text('year', lang)} {int(year)}", text(level, lang)]
        ),
        data_note=data_note,
        lang=lang,
    )
    return fig


def _draw_districts(
    ax: Any, d: gpd.GeoDataFrame, selected: dict, *, level: str, lang: Lang
) -> list[Any]:
    """Fill the districts by gap class; return the legend entries of the classes."""
    step = gap_step([selected], level)
    fills = [
        gap_colour(None if (row := selected.get((str(i), level))) is None else row["gap"], step)
        for i in d["district_id"]
    ]
    d.plot(ax=ax, color=fills, edgecolor="#555555", linewidth=0.6)
    one, two = int_text(step), int_text(2 * step)
    short, surplus = text("shortage", lang), text("surplus", lang)
    handles: list[Any] = [heading(f"{text('legend_gap', lang)} · {text(level, lang)}")]
    for colour, label in [
        (GAP_SHORTAGE[2], f"{short} > {two}"),
        (GAP_SHORTAGE[1], f"{short} {one}–{two}"),
        (GAP_SHORTAGE[0], f"{short} 1–{one}"),
        (GAP_BALANCED, f"{text('balanced', lang)} 0"),
        (GAP_SURPLUS[0], f"{surplus} 1–{one}"),
        (GAP_SURPLUS[1], f"{surplus} {one}–{two}"),
        (GAP_SURPLUS[2], f"{surplus} > {two}"),
        (GAP_NO_DATA, text("no_data", lang)),
    ]:
        handles.append(Patch(facecolor=colour, edgecolor="#777777", label=label))
    return handles


def _draw_catchments(ax: Any, c: gpd.GeoDataFrame, lang: Lang) -> list[Any]:
    """Outline the catchments by level; return their legend entries."""
    handles: list[Any] = [heading(text("layer_catchments", lang))]
    for lvl in pd.unique(c["level"].astype(str)):
        colour = CATCHMENT_COLOURS.get(lvl, CATCHMENT_OTHER)
        c[np.asarray(c["level"].astype(str) == lvl)].boundary.plot(
            ax=ax, color=colour, linewidth=0.8, linestyle="--"
        )
        handles.append(Line2D([], [], color=colour, linestyle="--", label=text(str(lvl), lang)))
    return handles


def _draw_estates(ax: Any, e: gpd.GeoDataFrame, lang: Lang, *, year: int) -> list[Any]:
    """Draw the estates, those short of a school as rings; return their legend entries.

    With a reach class (``reach_<year>``, else ``reach``) the estates whose schools in reach
    are full get orange rings and those out of reach magenta ones; without, estates flagged
    ``unserved`` get magenta rings.
    """
    pts = xy(e)
    col = f"reach_{year}" if f"reach_{year}" in e.columns else "reach"
    if col in e.columns:
        reach = e[col].astype(object).to_numpy()
        rings = [
            (reach == "over_capacity", FULL_COLOUR, FULL_FILL, "reach_over_capacity"),
            (reach == "out_of_reach", UNSERVED_COLOUR, UNSERVED_FILL, "reach_out_of_reach"),
        ]
    else:
        flagged = (
            np.asarray(e["unserved"].fillna(False).astype(bool))
            if "unserved" in e.columns
            else np.zeros(len(e), bool)
        )
        rings = [(flagged, UNSERVED_COLOUR, UNSERVED_FILL, "unserved")]
    plain = ~np.any([r[0] for r in rings], axis=0)
    ax.scatter(pts[plain][:, 0], pts[plain][:, 1], s=4, color=ESTATE_COLOUR, alpha=0.5,
               linewidths=0)  # fmt: skip
    handles: list[Any] = [heading(text("legend_estates", lang))]
    handles.append(legend_dot(ESTATE_COLOUR, text("estate", lang), size=5))
    for mask, edge, fill, key in rings:
        if not mask.any():
            continue
        # rings scale down where there are thousands, so the map beneath stays visible
        size = 30 if mask.sum() <= 300 else 10
        ax.scatter(pts[mask][:, 0], pts[mask][:, 1], s=size, facecolors=fill,
                   edgecolors=edge, linewidths=1.0, zorder=4)  # fmt: skip
        handles.append(
            Line2D([], [], marker="o", linestyle="", markersize=7, markerfacecolor=fill,
                   markeredgecolor=edge, markeredgewidth=1.5, label=text(key, lang))
        )  # fmt: skip
    return handles


def _draw_schools(ax: Any, s: gpd.GeoDataFrame, *, capacity_col: str, lang: Lang) -> list[Any]:
    """Draw the schools by utilisation and capacity; return their legend entries."""
    capacity = pd.to_numeric(column(s, capacity_col), errors="coerce")
    cap_max = float(np.nanmax(capacity.to_numpy(float))) if capacity.notna().any() else 0.0
    sizes = np.array([radius(v, cap_max, smallest=2.0, largest=7.0) for v in capacity])
    colours = [UTILISATION_COLOURS[utilisation_class(v)] for v in column(s, "utilisation")]
    if len(s):
        school_xy = xy(s)
        ax.scatter(
            school_xy[:, 0],
            school_xy[:, 1],
            s=sizes**2,
            c=colours,
            edgecolors="#333333",
            linewidths=0.4,
            zorder=3,
        )
    low, high = (f"{b * 100:.0f}%" for b in UTILISATION_BREAKS)
    handles: list[Any] = [heading(text("legend_schools", lang))]
    for key, label in [
        ("under", f"< {low}"),
        ("near", f"{low}–{high}"),
        ("over", f"> {high}"),
        ("unknown", text("unknown", lang)),
    ]:
        handles.append(legend_dot(UTILISATION_COLOURS[key], label))
    return handles


def _draw_mergers(ax: Any, lines: gpd.GeoDataFrame) -> None:
    """Draw each merger as a dashed arrow to the receiving school, with its year."""
    for geometry, year_value in zip(lines.geometry, column(lines, "year"), strict=True):
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


def _draw_proposals(
    ax: Any, p: gpd.GeoDataFrame, estates: gpd.GeoDataFrame | None, *, crs: Any
) -> None:
    """Draw the proposals by kind, with dotted lines to the estates they serve."""
    e_pts = None if estates is None else xy(estates.to_crs(crs))
    served = served_estates(p, None if estates is None else estates)
    p_pts = xy(p)
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
        colour = PROPOSAL_STYLES.get(kind, PROPOSAL_OTHER)[1]
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


def _proposal_handles(
    proposals: gpd.GeoDataFrame | None, *, mergers: bool, lang: Lang
) -> list[Any]:
    """Return the legend entries of the proposal kinds and, if drawn, the mergers."""
    handles: list[Any] = [heading(text("legend_proposals", lang))]
    if proposals is not None:
        for kind in dict.fromkeys(str(k) for k in proposals["kind"]):
            colour = PROPOSAL_STYLES.get(kind, PROPOSAL_OTHER)[1]
            key = "kindergarten_proposal" if kind == "kindergarten" else kind
            handles.append(
                Line2D(
                    [],
                    [],
                    marker=_KIND_MARKERS.get(kind, "X"),
                    linestyle="",
                    markersize=10,
                    color=colour,
                    label=text(key, lang),
                )
            )
    if mergers:
        handles.append(
            Line2D([], [], color=MERGER_COLOUR, linestyle="--", label=text("layer_mergers", lang))
        )
    return handles


def _label_districts(ax: Any, d: gpd.GeoDataFrame, lang: Lang) -> None:
    """Write each district's name at a point inside it."""
    for point, name, name_en in zip(
        d.representative_point(), d["name"], column(d, "name_en"), strict=True
    ):
        label = str(name_en) if lang == "en" and not missing(name_en) else str(name)
        ax.text(
            point.x,
            point.y,
            label,
            fontsize=8,
            ha="center",
            va="center",
            color="#222222",
            zorder=7,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.6},
        )


def _finish(
    fig: Figure,
    ax: Any,
    handles: list[Any],
    *,
    title: str,
    subtitle: str,
    data_note: str | None,
    lang: Lang,
) -> None:
    """Add the north arrow, scale bar, title, data note and legend."""
    ax.set_aspect("equal")
    ax.set_axis_off()
    north_arrow(ax)
    scale_bar(ax, lang)
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
        title=text("legend", lang),
    )
    bold_headings(ax)
