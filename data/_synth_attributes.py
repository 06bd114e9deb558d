"""Synthetic school resources: teachers, floor areas, equipment — the balance indicators.

:func:`synth_school_attributes` adds to a table of schools the seven resources the national
assessment of high-quality balance rates (教督〔2017〕6号, 资源配置): teachers above the
required qualification, county-level backbone teachers, PE/arts teachers, floor area of
teaching and auxiliary rooms, sports-ground area, equipment value and network multimedia
classrooms. They are MADE UP, around the assessment's minimums: each resource is a level's
typical amount per place × the school's places × a school factor whose spread differs by
district (some districts balanced, some not) × a little noise per resource — so per pupil a
crowded school falls below the minimums and an under-used one sits above them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["ATTRIBUTE_COLUMNS", "synth_school_attributes"]

# Typical amount per school place, (primary, junior): about 1.45 × the assessment's minimums
# (4.2/5.3, 1, 0.9 per 100 pupils; 4.5/5.8 m², 7.5/10.2 m², 2,000/2,500 yuan per pupil;
# 2.3/2.4 classrooms per 100 pupils), so that a typical school used to its places meets them
# with room to spare and a poor or crowded one does not.
_PER_PLACE: dict[str, tuple[float, float]] = {
    "teachers_above_qualification": (0.061, 0.077),
    "backbone_teachers": (0.0145, 0.0145),
    "pe_arts_teachers": (0.013, 0.013),
    "teaching_rooms_m2": (6.5, 8.4),
    "sports_ground_m2": (10.9, 14.8),
    "equipment_value_yuan": (2900.0, 3600.0),
    "multimedia_classrooms": (0.033, 0.035),
}
_COUNTS = {
    "teachers_above_qualification",
    "backbone_teachers",
    "pe_arts_teachers",
    "multimedia_classrooms",
}

#: Columns :func:`synth_school_attributes` adds.
ATTRIBUTE_COLUMNS: list[str] = list(_PER_PLACE)

_PRIMARY_SHARE_NINE_YEAR = 6 * 45 / (6 * 45 + 3 * 50)  # grades 1–6 at 45, 7–9 at 50
_SPREAD = (0.05, 0.35)  # range of the per-district spread (log-sd) of the school factor
_NOISE = 0.08  # per-resource noise (log-sd)


def synth_school_attributes(schools: pd.DataFrame, *, seed: int) -> pd.DataFrame:
    """Add synthetic resources of compulsory schools (blank for kindergartens).

    Parameters
    ----------
    schools
        ``school_id``, ``level``, ``district_id`` and ``capacity`` (or ``classes``).
    seed
        Seed of ``numpy.random.default_rng``; the draws depend only on the seed and on the
        table's rows in order.

    Returns
    -------
    pandas.DataFrame
        A copy with :data:`ATTRIBUTE_COLUMNS` added (counts whole, areas in whole m²,
        equipment in whole thousands of yuan).

    Examples
    --------
    >>> s = pd.DataFrame({"school_id": ["p", "k"], "level": ["primary", "kindergarten"],
    ...                   "district_id": "a", "capacity": [1080, 270]})
    >>> out = synth_school_attributes(s, seed=1)
    >>> bool(out.loc[0, "teaching_rooms_m2"] > 4000), out["backbone_teachers"].isna().tolist()
    (True, [False, True])
    """
    rng = np.random.default_rng(seed)
    level = schools["level"].astype(str).to_numpy()
    nan = pd.Series(np.nan, index=schools.index)
    places = pd.to_numeric(schools.get("capacity", nan), errors="coerce").to_numpy(np.float64)
    classes = pd.to_numeric(schools.get("classes", nan), errors="coerce").to_numpy(np.float64)
    places = np.where(np.isfinite(places), places, classes * 45.0)
    districts = sorted(schools["district_id"].astype(str).unique())
    spread = dict(zip(districts, rng.uniform(*_SPREAD, size=len(districts)), strict=True))
    sd = schools["district_id"].astype(str).map(spread).to_numpy(np.float64)
    factor = np.exp(rng.normal(0.0, 1.0, size=len(schools)) * sd - sd**2 / 2)
    primary = np.select(
        [level == "primary", level == "junior", level == "nine_year"],
        [1.0, 0.0, _PRIMARY_SHARE_NINE_YEAR],
        default=np.nan,
    )
    out = schools.copy()
    for column, (p, j) in _PER_PLACE.items():
        noise = np.exp(rng.normal(0.0, _NOISE, size=len(schools)))
        amount = places * (primary * p + (1.0 - primary) * j) * factor * noise
        if column in _COUNTS:
            amount = np.round(amount)
        elif column == "equipment_value_yuan":
            amount = np.round(amount / 1000.0) * 1000.0
        else:
            amount = np.round(amount)
        out[column] = pd.array(
            np.where(np.isfinite(amount), amount, np.nan), dtype="Float64"
        ).astype("Int64" if column in _COUNTS else "Float64")
    return out
