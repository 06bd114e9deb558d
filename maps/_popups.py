"""The HTML pieces of popups and tooltips shared by the layers of the meeting map.

Names in Chinese, English or both, a popup's head and table, the synthetic-data warning,
and the display names of schools and proposals by id (so that an estate's assigned school,
a catchment or a merger end is named, not just numbered). Every piece returns escaped HTML.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import geopandas as gpd

from xuewei.maps._labels import Lang, esc, flag, label, missing
from xuewei.maps._select import column, records
from xuewei.maps._style import kind_label

__all__ = [
    "bilingual",
    "place_names",
    "plain",
    "popup_head",
    "synthetic_line",
    "table",
    "year_text",
]


def plain(escaped: str) -> str:
    """Undo :func:`~xuewei.maps._labels.esc` for text set as plain text (a title attribute)."""
    return html.unescape(escaped)


def year_text(value: Any) -> str:
    """Format a year; "–" when missing."""
    return "–" if missing(value) else str(int(value))


def bilingual(name: Any, name_en: Any, lang: Lang) -> str:
    """Return an escaped name: Chinese, English or both (falls back to the Chinese name).

    Examples
    --------
    >>> bilingual("岳麓区", "Yuelu", "both"), bilingual("岳麓区", None, "en")
    ('岳麓区 Yuelu', '岳麓区')
    """
    zh = esc(name)
    if missing(name_en) or str(name_en) in ("", str(name)):
        return zh
    en = esc(name_en)
    return {"zh": zh, "en": en}.get(lang, f"{zh} {en}")


def tooltip_name(rec: Mapping[str, Any], lang: Lang) -> str:
    """Return a marker's tooltip: its name, in English when ``lang`` is ``en`` and it has one."""
    name_en = rec.get("name_en")
    if lang == "en" and not missing(name_en) and str(name_en):
        return esc(name_en)
    return esc(rec["name"])


def popup_head(name: Any, name_en: Any, ident: Any, lang: Lang) -> str:
    """Return a popup's head: the name (in ``lang``) and the id."""
    head = f"<b>{esc(name)}</b>"
    if lang == "en" and not missing(name_en) and str(name_en):
        head = f"<b>{esc(name_en)}</b><br>{esc(name)}"
    elif lang == "both" and not missing(name_en) and str(name_en):
        head += f"<br>{esc(name_en)}"
    return f'{head}<br><span class="xuewei-id">{esc(ident)}</span>'


def table(rows: list[tuple[str, str]], lang: Lang) -> str:
    """Return a two-column table of ``(label key, value HTML)`` rows."""
    cells = "".join(f"<tr><th>{label(k, lang)}</th><td>{v}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def synthetic_line(rec: Mapping[str, Any], lang: Lang) -> str:
    """Return the synthetic-data warning of a record whose ``synthetic`` flag is set."""
    if not flag(rec.get("synthetic")):
        return ""
    return f'<div class="xuewei-synthetic">⚠ {label("synthetic", lang)}</div>'


def place_names(
    schools: gpd.GeoDataFrame, proposals: gpd.GeoDataFrame | None, lang: Lang
) -> dict[str, str]:
    """Return escaped display names of schools and proposals by id."""
    names = {
        str(i): bilingual(n, e, lang)
        for i, n, e in zip(
            schools["school_id"], schools["name"], column(schools, "name_en"), strict=True
        )
    }
    if proposals is not None:
        for rec in records(proposals):
            name = f"{kind_label(rec['kind'], lang)} {esc(rec['proposal_id'])}"
            # a proposed school is named by its proposal wherever its ids turn up
            for key in ("proposal_id", "site_id", "school_id"):
                value = rec.get(key)
                if not missing(value) and str(rec["kind"]) != "merger":
                    names.setdefault(str(value), name)
            names.setdefault(str(rec["proposal_id"]), name)
    return names
