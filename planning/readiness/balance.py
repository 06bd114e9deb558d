"""Balance indicators of the national assessment: per-school resources and their spread.

The assessment of county-level high-quality balance (《县域义务教育优质均衡发展督导评估办法》,
教督〔2017〕6号, 资源配置) rates each compulsory school on seven resources — teachers above the
required qualification, county-level backbone teachers and PE/arts teachers per 100 pupils;
floor area of teaching and auxiliary rooms, sports-ground area and equipment value per pupil;
network multimedia classrooms per 100 pupils — against a minimum per level
(``balance.minimum.<level>.<indicator>``), and the county on their coefficient of
variation across schools (校际差异系数, ``balance.cv_max``: ≤ 0.50 primary, ≤ 0.45 junior).

The coefficient of variation is the assessment's pupil-weighted one, as its calculation
guidance works it (县域义务教育校际均衡指标计算方法, the example of books per pupil): with
``P_i`` pupils and value ``X_i`` at school ``i`` and ``P = Σ P_i``, the county value is
``X̄ = Σ P_i X_i / P`` (for a per-pupil indicator, the county's total over its pupils), the
spread ``S = √(Σ (P_i / P) (X_i − X̄)²)``, and ``CV = S / X̄``.

A school's attributes are columns of the schools table (:data:`ATTRIBUTES`); whichever are
present are used and the missing ones are reported (``attrs["missing_columns"]``), never
invented. A nine-year school counts in both levels with the pupils of each part (its
primary and junior places' shares of its enrolment) and its whole-school ratios.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from xuewei.data import Standards
from xuewei.vocabulary import COMPULSORY_LEVELS

__all__ = [
    "ATTRIBUTES",
    "balance_cv",
    "coefficient_of_variation",
    "school_indicators",
    "school_minimums",
]

#: Indicator → (attribute column of the schools table, pupils it is counted per, Chinese
#: name, English name). Per 100 pupils (每百名学生) or per pupil (生均).
ATTRIBUTES: dict[str, tuple[str, float, str, str]] = {
    "teachers_above_qualification_per_100": (
        "teachers_above_qualification",
        100.0,
        "每百名学生高于规定学历教师数",
        "Teachers above the required qualification per 100 pupils",
    ),
    "backbone_teachers_per_100": (
        "backbone_teachers",
        100.0,
        "每百名学生县级以上骨干教师数",
        "County-level backbone teachers per 100 pupils",
    ),
    "pe_arts_teachers_per_100": (
        "pe_arts_teachers",
        100.0,
        "每百名学生体育、艺术专任教师数",
        "PE and arts teachers per 100 pupils",
    ),
    "teaching_rooms_m2_per_pupil": (
        "teaching_rooms_m2",
        1.0,
        "生均教学及辅助用房面积",
        "Teaching and auxiliary rooms, m² per pupil",
    ),
    "sports_ground_m2_per_pupil": (
        "sports_ground_m2",
        1.0,
        "生均体育运动场馆面积",
        "Sports grounds and halls, m² per pupil",
    ),
    "equipment_yuan_per_pupil": (
        "equipment_value_yuan",
        1.0,
        "生均教学仪器设备值",
        "Teaching equipment, yuan per pupil",
    ),
    "multimedia_classrooms_per_100": (
        "multimedia_classrooms",
        100.0,
        "每百名学生网络多媒体教室数",
        "Network multimedia classrooms per 100 pupils",
    ),
}

_INDICATOR_COLUMNS = [
    "school_id",
    "district_id",
    "level",
    "pupils",
    "indicator",
    "value",
    "minimum",
    "ratio",
    "meets",
]


def coefficient_of_variation(values: Any, pupils: Any) -> float:
    """Pupil-weighted coefficient of variation across schools (校际差异系数).

    ``X̄ = Σ P_i X_i / Σ P_i``, ``S = √(Σ P_i (X_i − X̄)² / Σ P_i)``, ``CV = S / X̄``.

    Parameters
    ----------
    values
        The indicator at each school (``X_i``).
    pupils
        Pupils of each school (``P_i``), the weights.

    Returns
    -------
    float
        The coefficient of variation; NaN for no pupils or a county mean of 0.

    Examples
    --------
    The assessment guidance's example: five primary schools, books per pupil.

    >>> books = [279, 137, 935, 160, 402]
    >>> pupils = [45, 37, 89, 76, 55]
    >>> per_pupil = [b / p for b, p in zip(books, pupils)]
    >>> round(coefficient_of_variation(per_pupil, pupils), 2)
    0.52
    """
    x = np.asarray(values, dtype=np.float64)
    w = np.asarray(pupils, dtype=np.float64)
    total = float(w.sum())
    if total <= 0:
        return float("nan")
    mean = float((w * x).sum() / total)
    if mean == 0:
        return float("nan")
    spread = float(np.sqrt((w * (x - mean) ** 2).sum() / total))
    return spread / mean


def _parts(schools: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """One row per school and level part: primary and junior schools whole, nine-year split."""
    level = schools["level"].astype(str).to_numpy()
    enrol = pd.to_numeric(schools["enrolment"], errors="coerce").to_numpy(np.float64)
    grades = standards.grades
    sizes = standards.nine_year_class_size
    primary_places = float(grades["primary"] * sizes["primary"])
    default_primary = primary_places / (primary_places + grades["junior"] * sizes["junior"])
    if "places_primary" in schools and "places" in schools:
        pp = pd.to_numeric(schools["places_primary"], errors="coerce").to_numpy(np.float64)
        total = pd.to_numeric(schools["places"], errors="coerce").to_numpy(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, pp / total, default_primary)
    else:
        share = np.full(len(schools), default_primary)
    rows = []
    for part in COMPULSORY_LEVELS:
        frac = np.where(level == part, 1.0, 0.0)
        frac = np.where(level == "nine_year", share if part == "primary" else 1.0 - share, frac)
        keep = frac > 0
        rows.append(
            pd.DataFrame(
                {
                    "row": np.flatnonzero(keep),
                    "level": part,
                    "pupils": enrol[keep] * frac[keep],
                    "school_pupils": enrol[keep],
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def school_indicators(schools: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Return the seven resource indicators of each compulsory school against their minimums.

    Parameters
    ----------
    schools
        ``school_id``, ``district_id``, ``level``, ``enrolment`` and any of the attribute
        columns of :data:`ATTRIBUTES` (``teachers_above_qualification``,
        ``backbone_teachers``, ``pe_arts_teachers``, ``teaching_rooms_m2``,
        ``sports_ground_m2``, ``equipment_value_yuan``, ``multimedia_classrooms``);
        optional ``places``/``places_primary`` to split nine-year schools.
    standards
        ``balance.minimum.*`` and ``balance.rules.min_school_pupils``.

    Returns
    -------
    pandas.DataFrame
        Tidy, one row per school, level and indicator present: ``school_id``,
        ``district_id``, ``level`` (``primary``/``junior``), ``pupils`` (of that part),
        ``indicator``, ``value`` (NaN where the school's attribute is blank), ``minimum``,
        ``ratio`` (value ÷ minimum), ``meets``. ``attrs["missing_columns"]`` lists the
        indicators whose column the table lacks; ``attrs["excluded"]`` the school ids left
        out (under ``min_school_pupils`` pupils, or enrolment unknown).

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> s = pd.DataFrame({"school_id": ["p1", "p2"], "district_id": "a",
    ...                   "level": "primary", "enrolment": [1000, 40],
    ...                   "teaching_rooms_m2": [5000.0, 300.0]})
    >>> out = school_indicators(s, load_standards())
    >>> out[["school_id", "value", "minimum", "meets"]].to_dict("records")
    [{'school_id': 'p1', 'value': 5.0, 'minimum': 4.5, 'meets': True}]
    >>> len(out.attrs["missing_columns"]), out.attrs["excluded"]
    (6, ['p2'])
    """
    present = {k: v for k, v in ATTRIBUTES.items() if v[0] in schools.columns}
    missing = [k for k in ATTRIBUTES if k not in present]
    compulsory = schools[schools["level"].astype(str).isin([*COMPULSORY_LEVELS, "nine_year"])]
    compulsory = compulsory.reset_index(drop=True)
    parts = _parts(compulsory, standards)
    floor = float(standards.number("balance.rules.min_school_pupils"))
    small = ~(parts["school_pupils"] >= floor)
    ids = compulsory["school_id"].astype(str).to_numpy()
    excluded = sorted(set(ids[parts.loc[small, "row"].to_numpy()]))
    parts = parts[~small]
    frames = []
    for indicator, (column, per, _, _) in present.items():
        raw = pd.to_numeric(compulsory[column], errors="coerce").to_numpy(np.float64)
        rows = parts["row"].to_numpy()
        # whole-school ratios: a nine-year school's parts share its attributes pro rata
        value = raw[rows] / parts["school_pupils"].to_numpy() * per
        minimum = np.array(
            [standards.number(f"balance.minimum.{lv}.{indicator}") for lv in parts["level"]],
            dtype=np.float64,
        )
        meets = pd.array(value >= minimum, dtype="boolean")
        meets[np.isnan(value)] = pd.NA
        frames.append(
            pd.DataFrame(
                {
                    "school_id": ids[rows],
                    "district_id": compulsory["district_id"].astype(str).to_numpy()[rows],
                    "level": parts["level"].to_numpy(),
                    "pupils": parts["pupils"].to_numpy(),
                    "indicator": indicator,
                    "value": value,
                    "minimum": minimum,
                    "ratio": value / minimum,
                    "meets": meets,
                }
            )
        )
    out = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame({c: pd.Series(dtype=object) for c in _INDICATOR_COLUMNS})
    )
    out = out.sort_values(["district_id", "level", "school_id"], kind="stable")
    out = out.reset_index(drop=True)[_INDICATOR_COLUMNS]
    out.attrs["missing_columns"] = missing
    out.attrs["excluded"] = excluded
    return out


def balance_cv(indicators: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Coefficient of variation of each indicator across a county's schools, per level.

    Parameters
    ----------
    indicators
        Output of :func:`school_indicators`.
    standards
        ``balance.cv_max.<level>``.

    Returns
    -------
    pandas.DataFrame
        One row per ``district_id``, ``level``, ``indicator``: ``schools`` (with a value),
        ``schools_missing`` (blank attribute, left out), ``pupils``, ``mean`` (pupil
        weighted), ``cv`` (:func:`coefficient_of_variation`), ``cv_max``, ``met``
        (``cv ≤ cv_max``; missing with fewer than two schools).

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> ind = pd.DataFrame({"district_id": "a", "level": "primary",
    ...                     "indicator": "books", "school_id": ["s1", "s2"],
    ...                     "value": [2.0, 6.0], "pupils": [100.0, 100.0]})
    >>> balance_cv(ind, load_standards())[["mean", "cv", "cv_max", "met"]].to_dict("records")
    [{'mean': 4.0, 'cv': 0.5, 'cv_max': 0.5, 'met': True}]
    """
    rows = []
    keys = ["district_id", "level", "indicator"]
    for (district, level, indicator), g in indicators.groupby(keys, sort=True):
        ok = g["value"].notna().to_numpy()
        x = g["value"].to_numpy(np.float64)[ok]
        w = g["pupils"].to_numpy(np.float64)[ok]
        cv = coefficient_of_variation(x, w) if ok.sum() >= 2 else float("nan")
        cv_max = float(standards.number(f"balance.cv_max.{level}"))
        rows.append(
            {
                "district_id": str(district),
                "level": str(level),
                "indicator": str(indicator),
                "schools": int(ok.sum()),
                "schools_missing": int((~ok).sum()),
                "pupils": float(w.sum()),
                "mean": float((w * x).sum() / w.sum()) if w.sum() > 0 else float("nan"),
                "cv": cv,
                "cv_max": cv_max,
                # a rounding hair above the limit is not a miss (CVs are published to 2-3 places)
                "met": None if np.isnan(cv) else bool(cv <= cv_max + 1e-12),
            }
        )
    out = pd.DataFrame(
        rows,
        columns=[*keys, "schools", "schools_missing", "pupils", "mean", "cv", "cv_max", "met"],
    )
    out["met"] = out["met"].astype("boolean")
    return out


def school_minimums(indicators: pd.DataFrame, standards: Standards) -> pd.DataFrame:
    """Whether each school meets the per-school rule: 6 of 7 minimums, the rest ≥ 85 %.

    With fewer indicators present, the same allowance applies: at most
    ``7 − balance.rules.indicators_met_min`` (one) indicator below its minimum, and that one
    at ``balance.rules.rest_floor`` (85 %) of it or more.

    Parameters
    ----------
    indicators
        Output of :func:`school_indicators`.
    standards
        ``balance.rules.indicators_met_min``, ``balance.rules.rest_floor``.

    Returns
    -------
    pandas.DataFrame
        One row per ``district_id``, ``level``, ``school_id``: ``assessed`` (indicators
        with a value), ``below`` (under the minimum), ``worst_ratio`` (lowest value ÷
        minimum), ``meets``.

    Examples
    --------
    >>> from xuewei.data import load_standards
    >>> ind = pd.DataFrame({"district_id": "a", "level": "primary", "school_id": "s1",
    ...                     "indicator": ["x", "y", "z"], "ratio": [1.2, 0.9, 0.8],
    ...                     "value": 1.0})
    >>> school_minimums(ind, load_standards())[["below", "worst_ratio", "meets"]].to_dict(
    ...     "records")
    [{'below': 2, 'worst_ratio': 0.8, 'meets': False}]
    """
    allowed = len(ATTRIBUTES) - int(standards.number("balance.rules.indicators_met_min"))
    floor = float(standards.number("balance.rules.rest_floor"))
    keys = ["district_id", "level", "school_id"]
    rows = []
    for key, g in indicators[indicators["value"].notna()].groupby(keys, sort=True):
        ratio = g["ratio"].to_numpy(np.float64)
        below = int((ratio < 1.0).sum())
        worst = float(ratio.min())
        rows.append(
            {
                **dict(zip(keys, (str(k) for k in key), strict=True)),
                "assessed": len(ratio),
                "below": below,
                "worst_ratio": worst,
                "meets": below <= allowed and worst >= floor,
            }
        )
    return pd.DataFrame(rows, columns=[*keys, "assessed", "below", "worst_ratio", "meets"])
