"""Sequential element ids, so that a map's page is a function of its inputs.

folium and branca name every element with a random 32-hex id (``hexlify(urandom(16))``).
:func:`stabilise_ids` replaces them in a map's element tree by sequential six-digit ids in
tree order; :func:`xuewei.maps.plan_map` calls it on the map it returns, and
:func:`xuewei.maps.render_html` uses the same walk to number elements added afterwards.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from branca.element import Element

__all__ = ["largest_stable_id", "stabilise_ids", "stable_id", "tree_elements"]

#: A folium/branca id: ``hexlify(urandom(16))``; ours are short decimal numbers.
_RANDOM_ID = re.compile(r"[0-9a-f]{32}")


def stabilise_ids(root: Element) -> None:
    """Give every element under ``root`` with a random id the next sequential id.

    Only for a map that has not been rendered yet: rendering files output under element
    names, which must not change afterwards. The walk visits children in order, then the
    elements held in attributes (a popup's HTML, a figure's header), so the numbering
    follows the structure of the map. Children keyed by their old name are re-keyed by the
    new one, as :meth:`Element.add_child` would have keyed them.
    """
    elements = tree_elements(root)
    counter = largest_stable_id(elements)
    renamed: dict[int, str] = {}
    for element in elements:
        if _RANDOM_ID.fullmatch(element._id):
            old_name = element.get_name()
            counter += 1
            element._id = stable_id(counter)
            renamed[id(element)] = old_name
    if not renamed:
        return
    for element in elements:
        if any(id(child) in renamed for child in element._children.values()):
            element._children = OrderedDict(
                (
                    child.get_name() if renamed.get(id(child)) == key else key,
                    child,
                )
                for key, child in element._children.items()
            )


def stable_id(number: int) -> str:
    """Return the id of the ``number``-th element: six digits, zero-padded."""
    return f"{number:06d}"


def tree_elements(root: Element) -> list[Element]:
    """Return the elements under ``root`` (itself included) in tree order."""
    out: list[Element] = []
    _walk(root, out, set())
    return out


def largest_stable_id(elements: list[Element]) -> int:
    """Return the largest sequential id among ``elements`` (0 when there is none)."""
    return max((int(e._id) for e in elements if len(e._id) < 32 and e._id.isdigit()), default=0)


def _walk(element: Element, out: list[Element], seen: set[int]) -> None:
    if id(element) in seen:
        return
    seen.add(id(element))
    out.append(element)
    for child in element._children.values():
        _walk(child, out, seen)
    for attr in sorted(vars(element)):
        value = getattr(element, attr)
        if attr != "_parent" and isinstance(value, Element):
            _walk(value, out, seen)
