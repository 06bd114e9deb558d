"""The district popup's chart: places required (with the forecast band) and offered, by year.

A meeting asks of a district "when does it run short, and by how much, and how sure are
we?". The popup answers with a small inline SVG — no script, no font, nothing to fetch —
of one level and scenario over every year of the plan: the places required (the line) and
its forecast interval (the band, from ``required_lower`` to ``required_upper``), and the
places offered; the year shown on the map is marked. Every number is drawn as given.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from xuewei.maps._labels import Lang, esc, int_text, label, percent_text, signed_text
from xuewei.maps._popups import bilingual, table
from xuewei.maps._style import GAP_SHORTAGE, GAP_SURPLUS, nice_step

__all__ = ["ChartYear", "district_chart", "district_popups"]

#: Columns of the gaps table with the chance that the places required exceed those
#: offered, the first found is shown in the popup.
CHANCE_COLUMNS = ("p_shortfall", "chance_of_shortfall", "p_deficit")

# The chart's size and margins, pixels.
_W, _H = 280, 130
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 8, 8, 20
_REQUIRED = GAP_SHORTAGE[2]
_BAND = GAP_SHORTAGE[0]
_OFFERED = GAP_SURPLUS[2]


@dataclass(frozen=True)
class ChartYear:
    """One year of a district's chart: places required (and its interval) and offered."""

    year: int
    required: float
    lower: float
    upper: float
    offered: float


def _scale(lo: float, hi: float, out_lo: float, out_hi: float) -> tuple[float, float]:
    """Return ``(a, b)`` with ``out = a + b * value`` mapping [lo, hi] onto [out_lo, out_hi]."""
    span = hi - lo or 1.0
    b = (out_hi - out_lo) / span
    return out_lo - b * lo, b


def _points(xs: Sequence[float], ys: Sequence[float]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))


def district_chart(years: Sequence[ChartYear], shown: int, lang: Lang) -> str:
    """Return the chart (escaped SVG markup) of ``years``, ``shown`` marked; "" if empty.

    The y axis runs from a round number at or below the smallest value to one at or above
    the largest, with round gridlines between, so a reader takes the values off it.

    Examples
    --------
    >>> rows = [ChartYear(2024, 100, 100, 100, 120), ChartYear(2025, 130, 110, 150, 120)]
    >>> svg = district_chart(rows, 2025, "en")
    >>> svg.startswith("<svg") and "Required" in svg and 'x1="272.0"' in svg
    True
    """
    rows = [r for r in years if all(math.isfinite(v) for v in (r.required, r.offered))]
    if not rows:
        return ""
    values = [
        v for r in rows for v in (r.lower, r.upper, r.required, r.offered) if math.isfinite(v)
    ]
    step = nice_step((max(values) - min(values)) / 3 or max(abs(max(values)), 1.0) / 3)
    lo = math.floor(min(values) / step) * step
    hi = math.ceil(max(values) / step) * step
    if hi == lo:
        hi = lo + step
    ya, yb = _scale(lo, hi, _H - _BOTTOM, _TOP)
    first, last = rows[0].year, rows[-1].year
    xa, xb = _scale(first, last, _LEFT, _W - _RIGHT)
    xs = [xa + xb * r.year for r in rows]

    def y(value: float) -> float:
        return ya + yb * value

    def finite(value: float, fallback: float) -> float:
        return value if math.isfinite(value) else fallback

    parts = [
        f'<svg class="xuewei-chart" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        'xmlns="http://www.w3.org/2000/svg" font-size="10" font-family="sans-serif">'
    ]
    grid = lo
    while grid <= hi + step / 2:
        gy = y(grid)
        parts.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{gy:.1f}" y2="{gy:.1f}" '
            'stroke="#dddddd"/>'
            f'<text x="{_LEFT - 3}" y="{gy + 3:.1f}" text-anchor="end" fill="#555">'
            f"{int_text(grid)}</text>"
        )
        grid += step
    for year in sorted({first, last, (first + last) // 2}):
        anchor = "start" if year == first else "end" if year == last else "middle"
        parts.append(
            f'<text x="{xa + xb * year:.1f}" y="{_H - 6}" text-anchor="{anchor}" fill="#555">'
            f"{year}</text>"
        )
    band_top = [y(finite(r.upper, r.required)) for r in rows]
    band_bottom = [y(finite(r.lower, r.required)) for r in rows]
    parts.append(
        f'<polygon fill="{_BAND}" fill-opacity="0.7" stroke="none" points="'
        f'{_points(xs + xs[::-1], band_top + band_bottom[::-1])}"/>'
    )
    parts.append(
        f'<polyline fill="none" stroke="{_OFFERED}" stroke-width="2" points="'
        f'{_points(xs, [y(r.offered) for r in rows])}"/>'
    )
    parts.append(
        f'<polyline fill="none" stroke="{_REQUIRED}" stroke-width="2" points="'
        f'{_points(xs, [y(r.required) for r in rows])}"/>'
    )
    if first <= shown <= last:
        sx = xa + xb * shown
        parts.append(
            f'<line x1="{sx:.1f}" x2="{sx:.1f}" y1="{_TOP}" y2="{_H - _BOTTOM}" '
            'stroke="#222" stroke-dasharray="2 2"/>'
        )
    parts.append("</svg>")
    key = (
        f'<div class="xuewei-chart-key"><span style="color:{_REQUIRED}">━</span> '
        f"{label('required', lang)} "
        f'<span style="color:{_BAND}">▮</span> {label("band", lang)} '
        f'<span style="color:{_OFFERED}">━</span> {label("offered", lang)}</div>'
    )
    return "".join(parts) + key


def district_popups(
    districts: pd.DataFrame,
    gaps: pd.DataFrame,
    views: Sequence[tuple[int, float]],
    *,
    level: str,
    lang: Lang,
) -> list[list[str]]:
    """Return, per view ``(year, scenario)``, each district's popup (escaped HTML).

    The popup names the district, charts ``level`` in the view's scenario over every year
    of ``gaps`` (:func:`district_chart`, the view's year marked) and gives the view's
    year in figures: required with its interval, offered, the gap and, where the gaps
    table has it (:data:`CHANCE_COLUMNS`), the chance of a shortfall.
    """
    rows = gaps[gaps["level"].astype(str) == level]
    chance = next((c for c in CHANCE_COLUMNS if c in rows.columns), None)
    scenario = pd.to_numeric(rows["scenario"], errors="coerce").to_numpy(float)
    series: dict[tuple[str, float], pd.DataFrame] = {}
    for value in sorted({s for _, s in views}):
        mine = rows[np.isclose(scenario, value)]
        for district, frame in mine.groupby(mine["district_id"].astype(str)):
            series[(str(district), value)] = frame.sort_values("year").set_index("year")
    names = districts["name_en"] if "name_en" in districts.columns else [None] * len(districts)
    out = []
    for year, value in views:
        popups = []
        for district, name, name_en in zip(
            districts["district_id"].astype(str), districts["name"], names, strict=True
        ):
            frame = series.get((district, value))
            head = (
                f"<b>{bilingual(name, name_en, lang)}</b> "
                f'<span class="xuewei-id">{esc(district)}</span>'
            )
            if frame is None or year not in frame.index:
                popups.append(f'<div class="xuewei-popup">{head}</div>')
                continue
            chart = district_chart(_chart_years(frame), year, lang)
            shown = frame.loc[year]
            figures = [
                ("required", f"{int_text(shown['required'])} "
                 f"({int_text(shown.get('required_lower'))}–{int_text(shown.get('required_upper'))})"),
                ("offered", int_text(shown["offered"])),
                ("gap", signed_text(shown["gap"])),
            ]  # fmt: skip
            if chance is not None:
                figures.append(("chance_shortfall", percent_text(shown[chance])))
            popups.append(
                f'<div class="xuewei-popup">{head}<div class="xuewei-chart-title">'
                f"{label(level, lang)} · {label('scenario_choice', lang)} {value:g}</div>"
                f"{chart}<b>{year}</b>{table(figures, lang)}</div>"
            )
        out.append(popups)
    return out


def _chart_years(frame: pd.DataFrame) -> list[ChartYear]:
    """Return the chart's rows of one district, level and scenario (indexed by year)."""

    def column(name: str, fallback: np.ndarray) -> np.ndarray:
        if name not in frame.columns:
            return fallback
        got = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
        return np.where(np.isnan(got), fallback, got)

    nan = np.full(len(frame), math.nan)
    required = column("required", nan)
    lower, upper = column("required_lower", required), column("required_upper", required)
    offered = column("offered", nan)
    return [
        ChartYear(int(y), float(r), float(lo), float(up), float(o))
        for y, r, lo, up, o in zip(
            frame.index.to_numpy(int), required, lower, upper, offered, strict=True
        )
    ]
