"""Cohort demand beside per-thousand demand: the places per 1,000 a cohort forecast implies.

Chinese plans size schools by places per 1,000 residents (千人指标); a cohort forecast
counts the children themselves. :func:`implied_per_thousand` sets the two side by side
for every scenario of the standards, with the per-thousand ratio the cohort forecast
implies, so that a plan can see where the rule of thumb over- or under-provides. The rate
of places per resident is the standards' one rate
(:meth:`~xuewei.data.Standards.places_per_resident`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from xuewei.data import Standards, load_standards
from xuewei.vocabulary import COMPULSORY

__all__ = ["implied_per_thousand"]


def implied_per_thousand(
    cohort: pd.DataFrame,
    residents: pd.DataFrame,
    *,
    scenarios: tuple[float, ...] | None = None,
    level_share: Mapping[str, float] | None = None,
    standards: Standards | None = None,
) -> pd.DataFrame:
    """Set cohort-based and per-thousand demand side by side, with the implied ratio.

    Per-thousand demand is ``residents × standards.places_per_resident(level, scenario)``
    (:meth:`~xuewei.data.Standards.places_per_resident`, the one rate of places per
    resident: ``scenario ÷ 1000 × level share``); cohort demand is the cohort forecast of
    pupils. The per-thousand ratio the cohort forecast implies is
    ``pupils ÷ residents × 1000 ÷ level share`` (the scenario at which per-thousand demand
    would equal cohort demand; comparable with the scenarios, which count compulsory
    places), and ``difference`` is cohort minus per-thousand demand.

    Parameters
    ----------
    cohort
        Output of :func:`~xuewei.forecast.forecast_cohort` or
        :func:`~xuewei.forecast.forecast_school_age` (quantities ``primary`` and ``junior``).
    residents
        Residents per district and year: output of
        :func:`~xuewei.forecast.forecast_districts` or any tidy forecast (rows with a
        ``quantity`` other than ``population`` are ignored), columns ``district_id``,
        ``year``, ``value``.
    scenarios
        Places per 1,000 residents; default ``standards.scenarios``
        (``places_per_1000.scenarios``).
    level_share
        Share of compulsory places per level, instead of the standards' level shares: the
        rate is then ``standards.places_per_resident("compulsory", scenario) × share``.
        Default ``standards.level_share`` (``places_per_1000.level_share``).
    standards
        The standards in force; ``None`` means the packaged defaults
        (:func:`~xuewei.data.load_standards`).

    Returns
    -------
    pandas.DataFrame
        One row per district, year, level and scenario: ``district_id``, ``year``,
        ``level``, ``scenario`` (places per 1,000), ``residents``,
        ``per_thousand_demand``, ``cohort_demand``, ``cohort_lower``, ``cohort_upper``,
        ``implied_per_1000`` and ``difference``.

    Examples
    --------
    50,000 residents and 3,000 primary pupils: at 90 per 1,000 (two thirds primary) the
    per-thousand rule asks for 3,000 places; the cohort implies 90 per 1,000:

    >>> coh = pd.DataFrame({"district_id": ["a"], "year": [2030], "quantity": ["primary"],
    ...                     "value": [3000.0], "lower": [2800.0], "upper": [3200.0]})
    >>> res = pd.DataFrame({"district_id": ["a"], "year": [2030], "value": [50000.0]})
    >>> t = implied_per_thousand(coh, res, scenarios=(90.0,),
    ...                          level_share={"primary": 2 / 3, "junior": 1 / 3})
    >>> t[["per_thousand_demand", "cohort_demand", "implied_per_1000"]].round(6).values.tolist()
    [[3000.0, 3000.0, 90.0]]
    """
    std = standards if standards is not None else load_standards()
    scen = tuple(float(s) for s in (scenarios or std.scenarios))
    share = dict(level_share) if level_share else dict(std.level_share)
    levels = list(share)

    def rate(level: str, scenario: float) -> float:
        if level_share:
            return std.places_per_resident(COMPULSORY, scenario) * float(level_share[level])
        return std.places_per_resident(level, scenario)

    res = residents
    if "quantity" in res:
        res = res[res["quantity"] == "population"]
    res = res[["district_id", "year", "value"]].rename(columns={"value": "residents"})
    res = res.assign(district_id=res["district_id"].astype(str))
    coh = cohort[cohort["quantity"].isin(levels)].rename(
        columns={
            "quantity": "level",
            "value": "cohort_demand",
            "lower": "cohort_lower",
            "upper": "cohort_upper",
        }
    )[["district_id", "year", "level", "cohort_demand", "cohort_lower", "cohort_upper"]]
    coh = coh.assign(district_id=coh["district_id"].astype(str))
    both = coh.merge(res, on=["district_id", "year"], how="inner")
    frames = []
    for s in scen:
        f = both.copy()
        f["scenario"] = s
        per_resident = f["level"].map({lv: rate(lv, s) for lv in levels}).to_numpy(np.float64)
        f["per_thousand_demand"] = f["residents"].to_numpy(np.float64) * per_resident
        lvl_share = f["level"].map(share).astype("float64")
        f["implied_per_1000"] = f["cohort_demand"] / f["residents"] * 1000.0 / lvl_share
        f["difference"] = f["cohort_demand"] - f["per_thousand_demand"]
        frames.append(f)
    cols = [
        "district_id",
        "year",
        "level",
        "scenario",
        "residents",
        "per_thousand_demand",
        "cohort_demand",
        "cohort_lower",
        "cohort_upper",
        "implied_per_1000",
        "difference",
    ]
    out = pd.concat(frames, ignore_index=True)[cols]
    return out.sort_values(["district_id", "year", "level", "scenario"], kind="stable").reset_index(
        drop=True
    )
