"""The legend of the meeting map: what each colour and symbol means.

:func:`plan_legend` lists the gap classes of the choropleth, the utilisation classes of
schools and — as drawn — estates, unserved estates, catchments, proposals and mergers, in
the colours of :mod:`xuewei.maps._style`, in a box that folds away. The symbols are plain
HTML spans styled by the page's stylesheet (:mod:`xuewei.maps._controls`).
"""

from __future__ import annotations

from collections.abc import Sequence

from xuewei.maps._controls import Box
from xuewei.maps._labels import Lang, int_text, label
from xuewei.maps._points import CLOSED_FILL
from xuewei.maps._readiness import READINESS_COLOURS
from xuewei.maps._style import (
    CATCHMENT_COLOURS,
    CATCHMENT_OTHER,
    ESTATE_COLOUR,
    FULL_COLOUR,
    GAP_BALANCED,
    GAP_NO_DATA,
    GAP_SHORTAGE,
    GAP_SURPLUS,
    MERGER_COLOUR,
    UNSERVED_COLOUR,
    UTILISATION_BREAKS,
    UTILISATION_COLOURS,
    kind_label,
    proposal_symbol,
)
from xuewei.maps._zones import zone_legend

__all__ = [
    "cluster",
    "dot",
    "icon",
    "legend_box",
    "line",
    "outline",
    "plan_legend",
    "ring",
    "swatch",
]


def plan_legend(
    step: int,
    level: str,
    lang: Lang,
    *,
    estates: bool,
    flagged: Sequence[str] = (),
    catchment_levels: Sequence[str] = (),
    kinds: Sequence[str] = (),
    mergers: bool = False,
    closed: bool = False,
    readiness: Sequence[str] = (),
    zones: Sequence[str] = (),
) -> Box:
    """Return the legend of a plan map whose gap classes are ``step`` places wide."""
    one, two = int_text(step), int_text(2 * step)
    short, surplus = label("shortage", lang), label("surplus", lang)
    gap_rows = [
        (swatch(GAP_SHORTAGE[2]), f"{short} &gt; {two}"),
        (swatch(GAP_SHORTAGE[1]), f"{short} {one}–{two}"),
        (swatch(GAP_SHORTAGE[0]), f"{short} 1–{one}"),
        (swatch(GAP_BALANCED), f"{label('balanced', lang)} 0"),
        (swatch(GAP_SURPLUS[0]), f"{surplus} 1–{one}"),
        (swatch(GAP_SURPLUS[1]), f"{surplus} {one}–{two}"),
        (swatch(GAP_SURPLUS[2]), f"{surplus} &gt; {two}"),
        (swatch(GAP_NO_DATA), label("no_data", lang)),
    ]
    low, high = (f"{b * 100:.0f}%" for b in UTILISATION_BREAKS)
    school_rows = [
        (dot(UTILISATION_COLOURS["under"]), f"&lt; {low}"),
        (dot(UTILISATION_COLOURS["near"]), f"{low}–{high}"),
        (dot(UTILISATION_COLOURS["over"]), f"&gt; {high}"),
        (dot(UTILISATION_COLOURS["unknown"]), label("unknown", lang)),
    ]
    if closed:
        school_rows.append((dot(CLOSED_FILL), label("closed", lang)))
    school_rows.append((cluster(), label("cluster", lang)))
    sections: list[tuple[str, str | None, list[tuple[str, str]]]] = [
        (f"{label('legend_gap', lang)} · {label(level, lang)}", label("gap_note", lang), gap_rows),
        (label("legend_schools", lang), label("size_note", lang), school_rows),
    ]
    if estates:
        estate_rows = [(dot(ESTATE_COLOUR), label("estate", lang))]
        colours = {"over_capacity": FULL_COLOUR, "out_of_reach": UNSERVED_COLOUR}
        for kind in flagged:  # "unserved", or the reach classes drawn
            text = label("unserved" if kind == "unserved" else f"reach_{kind}", lang)
            estate_rows.append((ring(colours.get(kind, UNSERVED_COLOUR)), text))
        sections.append((label("legend_estates", lang), None, estate_rows))
    if catchment_levels:
        rows = [
            (outline(CATCHMENT_COLOURS.get(v, CATCHMENT_OTHER)), label(v, lang))
            for v in catchment_levels
        ]
        sections.append((label("layer_catchments", lang), None, rows))
    if kinds or mergers:
        rows = []
        for kind in kinds:
            symbol, colour = proposal_symbol(kind, lang)
            rows.append((icon(symbol, colour), kind_label(kind, lang)))
        if kinds:
            rows.append((icon("7", "#08519c"), label("proposal_cluster", lang)))
        notes = [label("serves_note", lang), label("faded_note", lang)] if kinds else []
        if mergers:
            rows.append((line(MERGER_COLOUR), label("layer_mergers", lang)))
            notes.append(label("merger_note", lang))
        sections.append((label("legend_proposals", lang), "; ".join(notes), rows))
    if readiness:
        rows = [(swatch(READINESS_COLOURS[s]), label(f"readiness_{s}", lang)) for s in readiness]
        sections.append((label("layer_readiness", lang), None, rows))
    if zones:
        sections.append(zone_legend(lang))
    return legend_box(sections, heading=label("legend", lang))


#: Screens shorter than this (px) open the map with the legend folded: at 1280 × 720 (a
#: meeting room's projector) the open legend covered a quarter of the map and ran off the
#: bottom. A click on its heading unfolds it; printed, it is always unfolded.
LEGEND_FOLD_BELOW = 900


def legend_box(
    sections: Sequence[tuple[str, str | None, Sequence[tuple[str, str]]]], *, heading: str = ""
) -> Box:
    """Return the legend: one section per layer, folding away under ``heading``.

    Parameters
    ----------
    sections
        ``(title, note, rows)`` with rows ``(symbol_html, label)``; all escaped HTML.
    heading
        The legend's own title (escaped HTML); a click on it folds the legend.
    """
    parts = [f"<details open><summary>{heading}</summary>"]
    for title, note, rows in sections:
        parts.append(f'<div class="xuewei-legend-title">{title}</div>')
        if note:
            parts.append(f'<div class="xuewei-legend-note">{note}</div>')
        cells = "".join(f"<tr><td>{symbol}</td><td>{text}</td></tr>" for symbol, text in rows)
        parts.append(f"<table>{cells}</table>")
    parts.append("</details>")
    return Box(
        "".join(parts), box_class="xuewei-legend", name="XueweiLegend", fold_below=LEGEND_FOLD_BELOW
    )


def cluster() -> str:
    """Return a school cluster as the map draws it: a count, and a red badge."""
    return (
        '<span class="xuewei-cluster" style="display:inline-flex;width:22px;height:22px;'
        'position:relative"><b>9</b><span class="xuewei-cluster-over">2</span></span>'
    )


def swatch(colour: str) -> str:
    """Return a filled square for an area colour."""
    return f'<span class="xuewei-swatch" style="background:{colour}"></span>'


def dot(colour: str) -> str:
    """Return a filled circle for a point colour."""
    return f'<span class="xuewei-dot" style="background:{colour}"></span>'


def ring(colour: str = UNSERVED_COLOUR) -> str:
    """Return the symbol of a flagged estate: a thick ring (magenta: out of reach)."""
    return f'<span class="xuewei-ring" style="border-color:{colour}"></span>'


def line(colour: str) -> str:
    """Return a dashed line for a line layer colour."""
    return f'<span class="xuewei-line" style="border-top-color:{colour}"></span>'


def outline(colour: str) -> str:
    """Return a dashed outline for an unfilled polygon colour."""
    return f'<span class="xuewei-outline" style="border-color:{colour}"></span>'


def icon(symbol: str, colour: str) -> str:
    """Return an icon as the map draws it (``symbol`` is escaped HTML)."""
    return f'<span class="xuewei-icon" style="background:{colour}">{symbol}</span>'
