"""The zones page's circles of where the places are short.

A district can have places for all its pupils and still leave pupils over when its places
stand far from its pupils (:func:`xuewei.planning.zones.crowding.crowded_core`). The zones
page draws, for each such district and level, a dashed dark circle round the school most
over: inside it the pupils most exceed the places. Its tooltip gives the figures and how far
out the places catch up with the pupils. Nothing is computed here: the figures are drawn as
given.
"""

from __future__ import annotations

import math
from typing import Any

import folium
import geopandas as gpd

from xuewei.maps._labels import Lang, esc
from xuewei.vocabulary import LEVEL_NAMES

__all__ = [
    "CROWDED_FIELDS",
    "add_crowded",
    "crowded_legend",
    "crowded_sentence",
    "crowded_text",
    "trip_sentence",
]

#: The columns a ``crowded`` layer needs: one point per circle, at the school.
CROWDED_FIELDS = ("level", "school_id", "crowded_km", "crowded_pupils", "crowded_allowed")

_DASH = "10 6"
#: Near black: the circle must stand out on zones outlined and hatched in red.
CROWDED_COLOUR = "#111111"
_NAME = {"zh": "学位短缺圈", "en": "Where places are short"}
_METRES_PER_DEGREE = 111_320.0  # of latitude
_LABEL_STYLE = (
    "width:max-content;transform:translate(-50%,25%);white-space:nowrap;font:bold 12px sans-serif;"
    f"color:{CROWDED_COLOUR};background:rgba(255,255,255,.85);padding:1px 4px;"
    f"border:1px dashed {CROWDED_COLOUR};border-radius:3px"
)


def crowded_sentence(row: Any, lang: Lang, who: str) -> str:
    """Return what a crowded core says, as plain text naming the school ``who``.

    Within how far of it, how many pupils for how many places, and where places catch up.

    Examples
    --------
    >>> row = {"crowded_km": 4.82, "crowded_pupils": 44592.8, "crowded_allowed": 24840.0,
    ...        "catch_up_km": 35.45}
    >>> print(crowded_sentence(row, "en", "school P7"))
    within 4.8 km of school P7, 44,593 pupils for 24,840 places; places catch up with \
pupils only 35.5 km out
    >>> print(crowded_sentence(row | {"catch_up_km": float("nan")}, "zh", "甲小学"))
    甲小学 4.8 公里内学生 44,593 人、学位 24,840 个；全区范围内学位始终不足
    """
    km, far = float(row["crowded_km"]), float(row.get("catch_up_km", math.nan))
    pupils, places = f"{float(row['crowded_pupils']):,.0f}", f"{float(row['crowded_allowed']):,.0f}"
    zh = f"{who} {km:.1f} 公里内学生 {pupils} 人、学位 {places} 个；"
    en = f"within {km:.1f} km of {who}, {pupils} pupils for {places} places; "
    if math.isnan(far):
        zh += "全区范围内学位始终不足"
        en += "places never catch up with pupils within the district"
    else:
        zh += f"{far:.1f} 公里外学位才足够"
        en += f"places catch up with pupils only {far:.1f} km out"
    return {"zh": zh, "en": en}.get(lang, f"{zh} · {en}")


def trip_sentence(row: Any, lang: Lang) -> str:
    """Return what the least overflow costs in travel (``least_over_km``), or ``""``.

    Examples
    --------
    >>> print(trip_sentence({"least_over_km": 17.584, "over_bound": 0.0}, "en"))
    with no pupil over, some would travel 17.6 km or more
    >>> print(trip_sentence({"least_over_km": 17.584, "over_bound": 12.0}, "zh"))
    若仅 12 名学生超额（不可避免），须有学生上学距离达 17.6 公里以上
    >>> trip_sentence({"least_over_km": float("nan"), "over_bound": 0.0}, "en")
    ''
    """
    km = float(row.get("least_over_km", math.nan))
    if math.isnan(km):
        return ""
    bound = float(row.get("over_bound", 0.0))
    if bound <= 0.5:
        zh, few = "若无学生超额", "no pupil"
    else:
        zh, few = (
            f"若仅 {bound:,.0f} 名学生超额（不可避免）",
            f"only the {bound:,.0f} unavoidable pupils",
        )
    zh += f"，须有学生上学距离达 {km:,.1f} 公里以上"
    en = f"with {few} over, some would travel {km:,.1f} km or more"
    return {"zh": zh, "en": en}.get(lang, f"{zh} · {en}")


def crowded_text(row: Any, lang: Lang) -> str:
    """Return a circle's tooltip (escaped HTML): the crowded core and the trips it needs.

    The level, then :func:`crowded_sentence` and :func:`trip_sentence`, a paragraph per
    language, wrapped (a tooltip does not wrap unless told, and this one runs long).

    Examples
    --------
    >>> row = {"level": "primary", "school_id": "P7", "name": "甲小学", "crowded_km": 4.82,
    ...        "crowded_pupils": 44592.8, "crowded_allowed": 24840.0, "catch_up_km": 35.45}
    >>> text = crowded_text(row, "en")
    >>> text.startswith('<div class="xuewei-tip" style="white-space:normal;width:360px">')
    True
    >>> print(text.split(">")[1].removesuffix("</div"))
    Primary: within 4.8 km of 甲小学, 44,593 pupils for 24,840 places; places catch up \
with pupils only 35.5 km out
    """
    zh_level, en_level = LEVEL_NAMES.get(str(row["level"]), (row["level"], row["level"]))
    name = str(row.get("name") or row["school_id"])
    zh = f"{zh_level}：{crowded_sentence(row, 'zh', name)}"
    en = f"{en_level}: {crowded_sentence(row, 'en', name)}"
    trip_zh, trip_en = trip_sentence(row, "zh"), trip_sentence(row, "en")
    if trip_en:
        zh, en = f"{zh}；{trip_zh}", f"{en}; {trip_en}"
    paragraphs = {"zh": [zh], "en": [en]}.get(lang, [zh, en])
    style = "white-space:normal;width:360px"
    return (
        f'<div class="xuewei-tip" style="{style}">' + "<br>".join(map(esc, paragraphs)) + "</div>"
    )


def add_crowded(m: folium.Map, crowded: gpd.GeoDataFrame, lang: Lang) -> folium.FeatureGroup:
    """Add the circles (points in the page's datum, radius ``crowded_km``) as one layer."""
    group = folium.FeatureGroup(name=crowded_legend(lang)[0], show=True, control=True)
    short = esc({"zh": _NAME["zh"], "en": "Places short"}.get(lang, f"{_NAME['zh']} Places short"))
    for row, point in zip(crowded.to_dict("records"), crowded.geometry, strict=True):
        radius = float(row["crowded_km"]) * 1000.0
        where, tip = [point.y, point.x], crowded_text(row, lang)
        # a white halo under the dashes, so that the circle reads on red hatching
        folium.Circle(
            where, radius=radius, color="#ffffff", weight=7, opacity=0.9, fill=False,
            interactive=False,
        ).add_to(group)  # fmt: skip
        folium.Circle(
            where,
            radius=radius,
            color=CROWDED_COLOUR,
            weight=3,
            dash_array=_DASH,
            fill=False,
            tooltip=tip,
        ).add_to(group)
        low = [point.y - radius / _METRES_PER_DEGREE, point.x]  # the label under the circle
        icon = folium.DivIcon(html=f'<div style="{_LABEL_STYLE}">{short}</div>', icon_size=(0, 0))
        folium.Marker(low, icon=icon, tooltip=tip).add_to(group)
    group.add_to(m)
    return group


def crowded_legend(lang: Lang) -> tuple[str, str | None, list[tuple[str, str]]]:
    """Return the legend's section on the circles: ``(title, note, rows)``, escaped HTML."""
    circle = (
        '<span class="xuewei-swatch" style="border-radius:50%;background:transparent;'
        f'border:2px dashed {CROWDED_COLOUR}"></span>'
    )
    zh = "区内学位总数够用，但圈内学生远多于学位"
    en = "The district has places for all, but inside the circle pupils far exceed places"
    title = {"zh": _NAME["zh"], "en": _NAME["en"]}.get(lang, f"{_NAME['zh']} {_NAME['en']}")
    return esc(title), None, [(circle, esc({"zh": zh, "en": en}.get(lang, f"{zh} · {en}")))]
