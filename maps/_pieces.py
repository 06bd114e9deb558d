"""Popup and tooltip HTML stored once per page: each text is a list of piece indexes.

A city's meeting map carries thousands of popups that share most of their HTML — the
table's tags and labels, the school names an estate's popup repeats, the same estates in
three estate layers. Every layer that stores texts this way (it has a ``piece_texts``
list) gives them to one table for the whole page, written once as
``window.xueweiParts``; a text becomes the indexes of its pieces, joined again in the
browser when a popup opens.

The pieces are cut around each tag, and then each layer's common pieces (found in at least
a third of its texts: the tags and labels of its popups' skeleton) are run together, so a
popup is a handful of indexes — its skeleton's runs and its own values — rather than one
per tag. This keeps the Changsha page under 5 MB with every year and scenario on it (see
``benchmarks/README.md``); compressing the page (gzip in the browser) was not an option
for a file opened from a USB stick.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from branca.element import Element

__all__ = ["PageTable", "StoresPieces", "page_table", "script_json", "split"]

_TAG_EDGE = re.compile(r"(?=<)|(?<=>)")
# A piece found in at least this share of a layer's texts is part of their skeleton.
_COMMON_SHARE = 1 / 3


def script_json(value: Any) -> str:
    r"""JSON that is safe inside ``<script>``: no ``</``, ``<!--`` or line separators.

    Chinese stays readable (``ensure_ascii=False``); the replacements are JSON escapes, so
    the browser reads the same strings.

    Examples
    --------
    >>> print(script_json(["</script>", "学校"]))
    ["<\/script>","学校"]
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        text.replace("</", "<\\/")
        .replace("<!--", "\\u003c!--")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def split(html: str) -> list[str]:
    """Cut HTML around each tag: ``"<b>x</b>"`` → ``["<b>", "x", "</b>"]``.

    Joined, the pieces are the text again; a name or a number is a piece of its own, so
    that it is stored once however many popups show it.

    Examples
    --------
    >>> split("<b>x</b> y")
    ['<b>', 'x', '</b>', ' y']
    """
    return [piece for piece in _TAG_EDGE.split(html) if piece]


@dataclass(frozen=True)
class PageTable:
    """The page's pieces and, per layer storing texts, each text's piece indexes."""

    pieces: list[str]
    codes: dict[int, list[list[int]]]
    first: int

    def of(self, element: Any) -> list[list[int]]:
        """Return the codes of ``element``'s texts (in the order of its ``piece_texts``)."""
        return self.codes[id(element)]


def _users(element: Element) -> Iterator[Any]:
    """Every element under ``element`` (itself first) that stores texts, in page order."""
    if hasattr(element, "piece_texts"):
        yield element
    for child in element._children.values():
        yield from _users(child)


def page_table(element: Element) -> PageTable:
    """Return the table of the page ``element`` is in (built once per page and content).

    The first layer in page order (``PageTable.first``, an ``id``) writes the table.
    """
    root = element.get_root()
    users = list(_users(root))
    key = tuple((id(u), len(u.piece_texts)) for u in users)
    cached = getattr(root, "_xuewei_table", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    table = _build(users)
    root._xuewei_table = (key, table)  # type: ignore[attr-defined]
    return table


def _build(users: Sequence[Any]) -> PageTable:
    # a layer with ``pieces_last`` has its pieces numbered after the others' (in page order
    # otherwise): drawn early but with few pieces the others share, it then does not make
    # the others' many codes longer
    index: dict[str, int] = {}
    codes: dict[int, list[list[int]]] = {}
    for user in sorted(users, key=lambda u: getattr(u, "pieces_last", False)):
        texts = [split(text) for text in user.piece_texts]
        seen = Counter(piece for pieces in texts for piece in set(pieces))
        least = max(2, round(len(texts) * _COMMON_SHARE))
        common = {piece for piece, n in seen.items() if n >= least}
        codes[id(user)] = [
            [index.setdefault(run, len(index)) for run in _runs(pieces, common)] for pieces in texts
        ]
    return PageTable(list(index), codes, id(users[0]) if users else 0)


def _runs(pieces: Sequence[str], common: set[str]) -> list[str]:
    """Join each run of common pieces into one; the other pieces stay as they are.

    Examples
    --------
    >>> _runs(["<tr>", "<td>7", "</td>", "</tr>"], {"<tr>", "</td>", "</tr>"})
    ['<tr>', '<td>7', '</td></tr>']
    """
    runs: list[str] = []
    joining = False
    for piece in pieces:
        if piece in common and joining:
            runs[-1] += piece
        else:
            runs.append(piece)
        joining = piece in common
    return runs


def table_script(element: Element) -> str:
    """Return the script that defines ``window.xueweiParts``, if ``element`` writes it."""
    table = page_table(element)
    if table.first != id(element):
        return ""
    return f"window.xueweiParts = {script_json(table.pieces)};"


class StoresPieces:
    """A layer whose popups and tooltips (``piece_texts``) go into the page's table.

    Its template writes ``{{ this.table_script }}`` (the table, if this layer is the
    first in the page to store texts) and reads its texts' codes from
    :meth:`piece_codes`, in the order of ``piece_texts``.
    """

    piece_texts: list[str]

    @property
    def table_script(self) -> str:
        """The page's table of pieces, if this layer is the one that writes it."""
        return table_script(self)  # type: ignore[arg-type]  # a folium element, mixed in

    def piece_codes(self) -> list[list[int]]:
        """Return the indexes of each text's pieces in the page's table."""
        return page_table(self).of(self)  # type: ignore[arg-type]
