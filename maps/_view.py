"""The year and scenario shown: one page for every year and scenario of a plan.

A plan is forecast for every year from its base year to its horizon and for several
scenarios (places per 1,000 residents); a meeting asks "and in 2030?", "and at 90?". The
page answers without another file: :class:`Views` lists the years and scenarios the page
carries, and :class:`ViewSwitch` puts a year and a scenario selector in the title box.
Choosing one sets ``window.xueweiView`` (``{year, scenario, index, si}``: ``index`` into
:attr:`Views.keys`, ``si`` into :attr:`Views.scenarios`) and sends the page a
``xuewei:view`` event; the layers that change with it (the gap choropleth, the proposals
opening by that year, the mergers and the schools they close) listen for it, and the title
box shows that view's headline figures, computed in Python from the same tables as the
layers (nothing is computed in the page).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from branca.element import MacroElement
from jinja2 import Template

from xuewei.maps._labels import Lang, label, number_text
from xuewei.maps._pieces import script_json

__all__ = ["ViewSwitch", "Views", "switch_html"]


@dataclass(frozen=True)
class Views:
    """The years and scenarios a page carries, and the one it opens at.

    Examples
    --------
    >>> v = Views(years=(2024, 2025, 2026), scenarios=(80.0, 85.0), year=2026, scenario=85.0)
    >>> len(v.keys), v.keys[v.initial], v.scenario_index(85)
    (6, (2026, 85.0), 1)
    """

    years: tuple[int, ...]
    scenarios: tuple[float, ...]
    year: int
    scenario: float

    @property
    def keys(self) -> list[tuple[int, float]]:
        """Every ``(year, scenario)`` carried, years outer: index ``i`` is view ``i``."""
        return [(y, s) for y in self.years for s in self.scenarios]

    @property
    def initial(self) -> int:
        """The index of the view the page opens at."""
        return self.keys.index((self.year, self.scenario_of(self.scenario)))

    def scenario_of(self, value: float) -> float:
        """Return the carried scenario equal to ``value`` (within rounding)."""
        return self.scenarios[self.scenario_index(value)]

    def scenario_index(self, value: float) -> int:
        """Return the position of ``value`` in :attr:`scenarios`, or -1 if not carried."""
        for i, s in enumerate(self.scenarios):
            if np.isclose(s, float(value), rtol=0.0, atol=1e-9):
                return i
        return -1


_SCRIPT = """
{% macro script(this, kwargs) %}
    (function () {
        var views = {{ this.views_json }};
        var heads = {{ this.heads_json }};
        var box = document.querySelector(".xuewei-title");
        var year = box.querySelector("select.xuewei-year");
        var scenario = box.querySelector("select.xuewei-scenario");
        function show(index) {
            var v = views[index];
            window.xueweiView = {index: index, year: v[0], scenario: v[1], si: v[2]};
            year.value = String(v[0]);
            scenario.value = String(v[1]);
            box.querySelector(".xuewei-subtitle").innerHTML = heads[index][0];
            box.querySelector(".xuewei-notes").innerHTML = heads[index][1];
            below();
            document.dispatchEvent(new CustomEvent("xuewei:view", {detail: window.xueweiView}));
        }
        // popups pan clear of the title box: every layer's popups share this padding
        function below() {
            var pad = window.xueweiPad = window.xueweiPad || [20, 140];
            pad[1] = Math.ceil(box.getBoundingClientRect().bottom) + 10;
        }
        window.addEventListener("resize", below);
        function chosen() {
            var y = Number(year.value), s = Number(scenario.value);
            for (var i = 0; i < views.length; i++) {
                if (views[i][0] === y && views[i][1] === s) { return i; }
            }
            return window.xueweiView.index;
        }
        year.addEventListener("change", function () { show(chosen()); });
        scenario.addEventListener("change", function () { show(chosen()); });
        box.querySelectorAll("button.xuewei-step").forEach(function (button) {
            button.addEventListener("click", function () {
                var next = year.selectedIndex + Number(button.dataset.step);
                if (next >= 0 && next < year.options.length) {
                    year.selectedIndex = next;
                    show(chosen());
                }
            });
        });
        // the box's controls take their own clicks and wheel: the map does not pan or zoom
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        show({{ this.initial }});
    })();
{% endmacro %}
"""


class ViewSwitch(MacroElement):
    """The script behind the title box's year and scenario selectors.

    ``heads`` holds, per view of ``views``, the title box's subtitle and notes (escaped
    HTML). Add it after every layer that listens for ``xuewei:view``: it shows the
    initial view when the page loads, which draws those layers' first state.
    """

    _template = Template(_SCRIPT)

    def __init__(self, views: Views, heads: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "XueweiViewSwitch"
        if len(heads) != len(views.keys):
            raise ValueError(f"{len(heads)} heads for {len(views.keys)} views")
        self.views_json = script_json([[y, s, views.scenario_index(s)] for y, s in views.keys])
        self.heads_json = script_json([list(h) for h in heads])
        self.initial = views.initial


def switch_html(views: Views, lang: Lang) -> str:
    """Return the title box's selectors: year (with ◀ ▶ steps) and scenario."""
    years = "".join(f'<option value="{y}">{y}</option>' for y in views.years)
    scenarios = "".join(f'<option value="{s:g}">{number_text(s)}</option>' for s in views.scenarios)
    year_tip, scenario_tip = label("year", lang), label("scenario_choice", lang)
    return (
        '<div class="xuewei-switch">'
        f"<label>{label('year', lang)} "
        f'<button type="button" class="xuewei-step" data-step="-1" '
        f'aria-label="{year_tip} −1">◀</button>'
        f'<select class="xuewei-year" aria-label="{year_tip}">{years}</select>'
        f'<button type="button" class="xuewei-step" data-step="1" '
        f'aria-label="{year_tip} +1">▶</button></label> '
        f"<label>{label('scenario_choice', lang)} "
        f'<select class="xuewei-scenario" aria-label="{scenario_tip}">{scenarios}</select>'
        "</label></div>"
    )
