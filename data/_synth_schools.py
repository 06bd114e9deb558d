"""Synthetic schools: :func:`synth_schools`, with classes, capacity and enrolment.

Owns the school model of a fake city: the places each district supplies (a standard rate
with per-district deficits and surpluses), the split into nine-year, primary, junior and
kindergarten schools of standard class counts (bigger in dense cells), placement by the
population raster, and enrolment around each district's demand/supply ratio.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.data._synth_districts import district_frame, short_en, totals_array
from xuewei.data._synth_raster import SynthRaster, raster_grid, synth_population_raster
from xuewei.data._synth_sampling import (
    MARGIN_M,
    FloatArray,
    Grid,
    IntArray,
    closest_count,
    inner_polygon,
    points_frame,
    sample_weighted,
)
from xuewei.errors import ConfigError

__all__ = ["school_capacity", "school_places", "synth_schools"]

_URBAN_PER_KM2 = 6000.0  # a cell denser than this counts as urban for school sizes

# Standard class sizes (pupils per class) and the class counts drawn for each school type.
# Nine-year schools: two thirds of their classes are grades 1–6 (45), one third 7–9 (50).
_CLASS_SIZE = {"kindergarten": 30, "primary": 45, "junior": 50}
_CLASSES: dict[str, dict[bool, tuple[tuple[int, ...], tuple[float, ...]]]] = {
    # level: {urban: (class counts, probabilities)}
    "primary": {
        True: ((12, 18, 24, 30, 36), (0.2, 0.3, 0.25, 0.15, 0.1)),
        False: ((6, 12, 18, 24), (0.55, 0.3, 0.1, 0.05)),
    },
    "junior": {
        True: ((12, 18, 24, 30), (0.15, 0.3, 0.3, 0.25)),
        False: ((12, 18, 24), (0.55, 0.33, 0.12)),
    },
    "nine_year": {
        True: ((18, 27, 36, 45), (0.2, 0.3, 0.3, 0.2)),
        False: ((18, 27), (0.7, 0.3)),
    },
    "kindergarten": {
        True: ((9, 12, 15), (0.3, 0.45, 0.25)),
        False: ((3, 6, 9), (0.35, 0.45, 0.2)),
    },
}
# The kind of school in a made-up school name (…第001中学（合成）), and its id letter. These
# are name suffixes, not the level names of xuewei.vocabulary.LEVEL_NAMES.
_NAME_ZH = {
    "primary": "小学",
    "junior": "中学",
    "nine_year": "九年一贯制学校",
    "kindergarten": "幼儿园",
}
_NAME_EN = {
    "primary": "Primary School",
    "junior": "Junior Middle School",
    "nine_year": "Nine-Year School",
    "kindergarten": "Kindergarten",
}
_ID_CODE = {"primary": "P", "junior": "J", "nine_year": "N", "kindergarten": "K"}

# One school type's schools in a district: level, x, y (plan CRS), urban flag, classes.
_Part = tuple[str, FloatArray, FloatArray, Any, IntArray]


def school_capacity(level: str, classes: IntArray) -> IntArray:
    """Places of schools of ``level`` with ``classes`` classes (standard class sizes).

    Examples
    --------
    >>> school_capacity("nine_year", np.array([18, 27])).tolist()
    [840, 1260]
    """
    if level == "nine_year":
        lower = classes * 2 // 3
        return lower * _CLASS_SIZE["primary"] + (classes - lower) * _CLASS_SIZE["junior"]
    return classes * _CLASS_SIZE[level]


def school_places(level: str, classes: IntArray) -> tuple[IntArray, IntArray]:
    """Places of compulsory schools of ``level`` split into (primary, junior)."""
    if level == "nine_year":
        lower = classes * 2 // 3
        return lower * _CLASS_SIZE["primary"], (classes - lower) * _CLASS_SIZE["junior"]
    if level == "primary":
        return classes * _CLASS_SIZE["primary"], np.zeros_like(classes)
    return np.zeros_like(classes), classes * _CLASS_SIZE.get(level, 0)


@dataclass(frozen=True)
class _Placement:
    """Where one district's schools go: the weighted grid and the district's inner polygon."""

    grid: Grid
    weights: FloatArray
    label: int
    inner: Any
    per_km2: float

    def draw(
        self, level: str, m: int, rng: np.random.Generator
    ) -> tuple[FloatArray, FloatArray, Any, IntArray]:
        """Draw ``m`` schools of ``level``: x, y, urban flag and class counts."""
        x, y, w = sample_weighted(self.grid, self.weights, self.label, self.inner, m, rng)
        urban = w * self.per_km2 > _URBAN_PER_KM2
        classes = np.empty(m, dtype=np.int64)
        for flag in (True, False):
            opts, p = _CLASSES[level][flag]
            sel = urban == flag
            classes[sel] = rng.choice(np.array(opts), int(sel.sum()), p=np.array(p))
        return x, y, urban, classes


def _compulsory_parts(
    need: float,
    primary_share: float,
    nine_year_share: float,
    where: _Placement,
    rng: np.random.Generator,
) -> list[_Part]:
    """Nine-year, primary and junior schools supplying ``need`` compulsory places."""
    need_p, need_j = need * primary_share, need * (1.0 - primary_share)
    plan: list[tuple[str, float]] = [("nine_year", need_p * nine_year_share)]
    plan_p = need_p * (1.0 - nine_year_share)
    parts: list[_Part] = []
    done_j = 0.0
    for level, target in [*plan, ("primary", plan_p), ("junior", -1.0)]:
        if level == "junior":
            target = need_j - done_j
        if target <= 0:
            continue
        m = int(target / 250.0) + 1  # every school adds >= 270 places of its kind
        x, y, urban, classes = where.draw(level, m, rng)
        pp, jj = school_places(level, classes)
        counted = pp if level != "junior" else jj
        n = closest_count(np.cumsum(counted), target)
        if level != "nine_year":
            n = max(n, 1)
        if level == "nine_year":
            done_j += float(jj[:n].sum())
        parts.append((level, x[:n], y[:n], urban[:n], classes[:n]))
    return parts


def _school_table(
    part: _Part,
    row: pd.Series,
    did: str,
    f: float,
    base_year: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """One school type's rows in a district: names, ownership, opening year, enrolment."""
    level, x, y, urban, classes = part
    n = classes.size
    cap = school_capacity(level, classes)
    util = (1.0 / f) * rng.lognormal(0.0, 0.16, n) * np.where(urban, 0.92, 0.8)
    small = (~urban) & (classes <= 12)
    util = np.where(small & (rng.random(n) < 0.3), rng.uniform(0.35, 0.75, n), util)
    util = np.clip(util, 0.2, 1.6)
    public = rng.random(n) < np.where(level == "kindergarten", 0.5, 0.88)
    opened = base_year - np.minimum(rng.geometric(0.03, n) - 1, 70)
    num = np.arange(1, n + 1)
    code = _ID_CODE[level]
    zh, en = _NAME_ZH[level], _NAME_EN[level]
    short = short_en(str(row["name_en"]))
    return pd.DataFrame(
        {
            "school_id": [f"{did}-{code}{i:03d}" for i in num],
            "name": [f"{row['name']}第{i:03d}{zh}（合成）" for i in num],
            "name_en": [f"{short} {en} No. {i} (synthetic)" for i in num],
            "level": level,
            "classes": classes,
            "capacity": cap,
            "enrolment": np.rint(cap * util).astype(np.int64),
            "public": public,
            "district_id": did,
            "opened": opened.astype(np.int64),
            "synthetic": True,
            "_x": x,
            "_y": y,
        }
    )


def synth_schools(
    districts: gpd.GeoDataFrame,
    totals: Mapping[str, int] | pd.Series,
    *,
    seed: int,
    places_per_1000: float = 80.0,
    primary_share: float = 2.0 / 3.0,
    variation: float = 0.2,
    nine_year_share: float = 0.12,
    kindergartens: bool = False,
    kindergarten_places_per_1000: float = 30.0,
    base_year: int = 2024,
    raster: SynthRaster | None = None,
) -> gpd.GeoDataFrame:
    """Public and private schools with classes, capacity and enrolment, where residents live.

    Per district the places supplied are ``totals × places_per_1000 / 1000 × f`` split
    ``primary_share`` : ``1 − primary_share`` between primary and junior, where
    ``f ~ U(1 − variation, 1 + variation)`` per district — so some districts have a deficit
    against the standard and others a surplus. About ``nine_year_share`` of primary places
    are in nine-year schools. Class counts are standard sizes (primary 12/18/24/30/36 × 45,
    6-class village schools in rural cells; junior 12/18/24/30 × 50; nine-year 18/27/36/45
    with grades 1–6 at 45 and 7–9 at 50; kindergarten 3–15 × 30), bigger in dense cells.
    Enrolment is capacity × a utilisation around the district's demand/supply ratio, so a
    minority of (mostly big urban) schools run over capacity, some above 2,000 pupils or
    above 45/50 per class, and small rural schools are under-used.

    Calibration: Changsha's one published city-level figure (Sept. 2018, ~8.15 M residents):
    918 primary and 230 junior schools with 574,200 and 246,800 pupils, i.e. ~113 primary
    and ~28 junior schools per million residents and a 70 : 30 primary : junior pupil split
    (hence ``primary_share=2/3``). With the 80 places per 1,000 standard the generator
    yields about the same number of schools per resident but fewer pupils (~76 per 1,000
    against the real ~100), so it understates real crowding on purpose: deficits come from
    the per-district variation.

    Parameters
    ----------
    districts
        Polygons with ``district_id`` and ``name`` (and optionally ``name_en``).
    totals
        Residents per ``district_id``.
    seed
        Seed of ``numpy.random.default_rng``.
    places_per_1000
        Compulsory-school places per 1,000 residents before the per-district variation.
    primary_share
        Share of those places in grades 1–6.
    variation
        Half-width of the uniform per-district supply factor.
    nine_year_share
        Fraction of primary places in nine-year schools.
    kindergartens
        Also generate kindergartens (``kindergarten_places_per_1000``).
    kindergarten_places_per_1000
        Kindergarten places per 1,000 residents.
    base_year
        Latest opening year.
    raster
        Density to place schools by; default a 200 m :func:`synth_population_raster`.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in EPSG:4326 with ``school_id, name, name_en, level, classes, capacity,
        enrolment, public, district_id, opened, synthetic``.

    Raises
    ------
    ConfigError
        When every district has 0 residents (no school to make).

    Examples
    --------
    >>> from xuewei.data import synth_districts
    >>> d = synth_districts(3, n=2, area_km2=30)
    >>> s = synth_schools(d, {"990101": 60_000, "990102": 20_000}, seed=3)
    >>> sorted(s.level.unique())
    ['junior', 'nine_year', 'primary']
    """
    d = district_frame(districts)
    ids = list(d["district_id"])
    tot = totals_array(totals, ids)
    rng = np.random.default_rng(seed)
    if raster is None:
        raster = synth_population_raster(
            d, dict(zip(ids, tot.tolist(), strict=True)), cell_m=200.0, seed=seed
        )
    dp = d.to_crs(raster.crs)
    grid = raster_grid(raster, dp)
    weights = raster.values.astype(np.float64)
    per_km2 = 1e6 / (raster.cell_m**2)
    frames = []
    for k, (did, total) in enumerate(zip(ids, tot, strict=True), start=1):
        where = _Placement(
            grid, weights, k, inner_polygon(dp.geometry.iloc[k - 1], MARGIN_M), per_km2
        )
        f = float(rng.uniform(1.0 - variation, 1.0 + variation))
        need = float(total) * places_per_1000 / 1000.0 * f
        parts = _compulsory_parts(need, primary_share, nine_year_share, where, rng)
        if kindergartens and total > 0:
            target = float(total) * kindergarten_places_per_1000 / 1000.0 * f
            x, y, urban, classes = where.draw("kindergarten", int(target / 90.0) + 1, rng)
            n = max(closest_count(np.cumsum(classes * 30), target), 1)
            parts.append(("kindergarten", x[:n], y[:n], urban[:n], classes[:n]))
        frames += [_school_table(p, d.iloc[k - 1], did, f, base_year, rng) for p in parts]
    if not frames:
        raise ConfigError(
            f"totals: got 0 residents in every district ({ids}); expected at least one "
            "district with residents to place schools for."
        )
    return points_frame(frames, raster.crs)
