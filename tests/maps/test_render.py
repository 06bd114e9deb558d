"""render_html: byte-stable pages, and offline pages that load nothing."""

from __future__ import annotations

import re

import folium
import pytest
from map_helpers import NOTE, render_page

from xuewei import maps


def test_render_is_deterministic(districts, schools, gaps, estates) -> None:
    def build() -> str:
        return render_page(districts, schools, gaps, estates=estates, data_note=NOTE)

    first, second = build(), build()
    assert first == second
    assert not re.search(r"[0-9a-f]{32}", first)  # no random folium ids left
    # rendering the same map again gives the same page, also after folium rendered it
    m = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
    page = maps.render_html(m)
    assert maps.render_html(m) == page
    m._repr_html_()  # as Jupyter shows it
    m.get_root().render()
    assert maps.render_html(m) == page


def test_render_html_stabilises_added_elements(districts, schools, gaps) -> None:
    def build() -> str:
        m = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
        folium.Marker([28.2, 112.9], popup="added later").add_to(m)
        return maps.render_html(m)

    assert build() == build()


# --- offline pages ----------------------------------------------------------------------------


def test_offline_page_is_self_contained(districts, schools, gaps, estates, proposals) -> None:
    m = maps.plan_map(
        districts,
        schools,
        gaps=gaps,
        estates=estates.assign(unserved=[False, True]),
        proposals=proposals,
        scenario=85,
        year=2030,
        title="t",
    )
    page = maps.render_html(m, offline=True)
    assert "<script src=" not in page and 'rel="stylesheet"' not in page
    assert not re.search(r"https?://[^\"' ]*\.(js|css)\b", page)
    assert "tile.openstreetmap.org" not in page  # no tiles offline
    assert "Leaflet 1.9.4" in page  # inlined from django-js-lib-leaflet
    assert "url(images/" not in page and "data:image/png;base64," in page
    assert maps.render_html(m, offline=True) == page  # deterministic
    assert "tile.openstreetmap.org" in maps.render_html(m)  # the map itself keeps its tiles


def test_offline_refuses_what_it_cannot_inline(districts, schools, gaps) -> None:
    m = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
    folium.Marker([28.2, 112.9], icon=folium.Icon(icon="star")).add_to(m)
    with pytest.raises(ValueError, match="awesome-markers"):
        maps.render_html(m, offline=True)
    from folium.plugins import MiniMap

    m2 = maps.plan_map(districts, schools, gaps=gaps, scenario=85, year=2030, title="t")
    MiniMap().add_to(m2)
    with pytest.raises(ValueError, match="cannot inline https://"):
        maps.render_html(m2, offline=True)
