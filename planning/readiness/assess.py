"""County readiness: ready by the target year, and if not, what is missing.

:func:`assess_readiness` evaluates every criterion (:mod:`xuewei.planning.readiness.criteria`,
the balance indicators of :mod:`xuewei.planning.readiness.balance`, the matching-school
check of :mod:`xuewei.planning.readiness.matching`) for every county and year from the base
year to the horizon, with the build programme's openings in place, and reads them in each
county's target year. A target before the base year is read in the base year, one after the
horizon at the horizon (``note`` says so); a county without a target is read at the horizon.

``first_year_met`` is the first year from which a criterion holds in every later year of the
run (so a deficit that closes and opens again counts from its last closing); missing when
it does not hold at the horizon. Balance indicators are of the schools as they are: they
hold in every year or in none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from xuewei.data import Standards
from xuewei.planning.readiness import criteria
from xuewei.planning.readiness.balance import balance_cv, school_indicators, school_minimums
from xuewei.planning.readiness.matching import matching_schools

__all__ = [
    "CRITERIA",
    "NO_TARGET",
    "READINESS_COLUMNS",
    "Readiness",
    "assess_readiness",
    "readiness_summary",
    "shortfall_words",
]

#: The target source of a county without a target year (read at the horizon).
NO_TARGET = "无目标年 no target: the horizon"

#: Criterion → (Chinese, English, unit).
CRITERIA: dict[str, tuple[str, str, str]] = {
    "deficit": ("学位缺口", "Places missing", "places"),
    "big_class": ("班额超标", "Classes above 45/50", "pupils"),
    "big_school": ("大校额", "Big schools (above 2,000/2,500)", "pupils"),
    "balance_cv": ("校际差异系数", "Balance: CV across schools", "coefficient of variation"),
    "resource_minimums": ("资源配置达标", "Schools below resource minimums", "schools"),
    "kindergarten": ("小区配套幼儿园", "Estates of 3,000+ without a kindergarten", "estates"),
    "special_education": ("特殊教育学校", "Special-education school (200,000+)", "schools"),
    "matching_school": ("新建小区配建学校", "New estates without a school with room", "estates"),
}

#: Columns of :attr:`Readiness.table`.
READINESS_COLUMNS = [
    "district_id",
    "name",
    "target_year",
    "assessed_year",
    "criterion",
    "level",
    "met",
    "value",
    "limit",
    "shortfall",
    "unit",
    "first_year_met",
    "note",
    "target_source",
]


@dataclass(frozen=True)
class Readiness:
    """County readiness and the tables behind it.

    Attributes
    ----------
    table
        County × criterion (× level): :data:`READINESS_COLUMNS`. ``met`` is missing where a
        criterion could not be assessed (``note`` says why).
    summary
        One row per county (:func:`readiness_summary`).
    by_year
        Every criterion in every year: ``district_id, criterion, level, year, value,
        limit, shortfall, met``.
    indicators, cv, minimums
        The balance indicators per school, their CV per county and level, and the
        per-school minimum rule (:mod:`~xuewei.planning.readiness.balance`).
    matching, matching_proposals
        The matching-school check per pipeline estate and level, and the proposals of
        "matching school needed" (:func:`~xuewei.planning.readiness.matching_schools`).
    missing_columns
        Balance indicators the schools table has no column for.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    by_year: pd.DataFrame
    indicators: pd.DataFrame
    cv: pd.DataFrame
    minimums: pd.DataFrame
    matching: pd.DataFrame
    matching_proposals: gpd.GeoDataFrame
    missing_columns: tuple[str, ...] = field(default=())

    def headline(self) -> tuple[int, int]:
        """Counties ready by their target year, and counties assessed."""
        ready = self.summary["ready"]
        return int(ready.fillna(False).astype(bool).sum()), len(self.summary)


def _balance_by_year(
    cv: pd.DataFrame, minimums: pd.DataFrame, districts: Sequence[str], years: Sequence[int]
) -> pd.DataFrame:
    """Return the balance criteria, the same in every year (schools' attributes as they are)."""
    rows: list[dict[str, object]] = []
    for (d, lv), g in cv.groupby(["district_id", "level"], sort=True):
        assessed = g[g["cv"].notna()]
        if assessed.empty:
            continue
        worst = float(assessed["cv"].max())
        short = float(np.maximum(assessed["cv"] - assessed["cv_max"], 0.0).max())
        rows += [
            {
                "district_id": d,
                "criterion": "balance_cv",
                "level": lv,
                "value": worst,
                "limit": float(assessed["cv_max"].iloc[0]),
                "shortfall": short,
                "met": short <= 0.0,
            }
        ]
    for (d, lv), g in minimums.groupby(["district_id", "level"], sort=True):
        failing = float((~g["meets"].astype(bool)).sum())
        rows.append(
            {
                "district_id": d,
                "criterion": "resource_minimums",
                "level": lv,
                "value": failing,
                "limit": 0.0,
                "shortfall": failing,
                "met": failing == 0,
            }
        )
    base = pd.DataFrame(rows)
    if base.empty:
        return base
    base = base[base["district_id"].isin(list(districts))]
    return base.merge(pd.DataFrame({"year": list(years)}), how="cross")


def _first_year_met(by_year: pd.DataFrame) -> pd.Series:
    """First year from which each criterion holds in every later year; NaN if not at the end."""
    out = {}
    keys = ["district_id", "criterion", "level"]
    for key, g in by_year.sort_values("year").groupby(keys, sort=False):
        met = g["met"].fillna(False).astype(bool).to_numpy()
        yrs = g["year"].to_numpy()
        if not met[-1]:
            out[key] = np.nan
            continue
        misses = np.flatnonzero(~met)
        out[key] = float(yrs[misses[-1] + 1] if len(misses) else yrs[0])
    return pd.Series(out, dtype=np.float64)


def _not_assessed(
    districts: Sequence[str], criterion: str, levels: Sequence[str], note: str
) -> pd.DataFrame:
    rows = [
        {"district_id": d, "criterion": criterion, "level": lv, "note": note}
        for d in districts
        for lv in levels
    ]
    return pd.DataFrame(rows)


def _scenario_tables(
    gaps: pd.DataFrame, programme: pd.DataFrame | None, scenario: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    g = gaps[np.isclose(gaps["scenario"].astype(np.float64), scenario)].copy()
    g["district_id"] = g["district_id"].astype(str)
    if programme is None:  # no build programme: nothing opens
        p = g[["district_id", "level", "year", "gap"]].copy()
        p["cumulative_places"] = 0.0
        p["remaining_gap"] = p["gap"]
    else:
        p = programme[np.isclose(programme["scenario"].astype(np.float64), scenario)].copy()
        p["district_id"] = p["district_id"].astype(str)
    return g, p


def _criteria_by_year(
    schools: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    programme: pd.DataFrame,
    residents: pd.DataFrame,
    standards: Standards,
    *,
    ids: list[str],
    years: list[int],
    estates: gpd.GeoDataFrame | None,
    check: pd.DataFrame | None,
) -> tuple[list[pd.DataFrame], list[pd.DataFrame]]:
    """Every criterion per county and year, and the rows of those not assessed."""
    frames = [criteria.deficit(programme, years).assign(criterion="deficit")]
    skipped = []
    if not schools.empty and "enrolment" in schools:
        big_class, big_school = criteria.class_and_school_size(
            schools, gaps, programme, standards, base_year=years[0], years=years
        )
        frames += [big_class.assign(criterion="big_class")]
        frames += [big_school.assign(criterion="big_school")]
    else:
        note = "not assessed: the schools have no enrolment"
        skipped += [
            _not_assessed(ids, c, ["primary", "junior"], note) for c in ("big_class", "big_school")
        ]
    has_kg = bool((schools["level"].astype(str) == "kindergarten").any()) if len(schools) else False
    if estates is not None and has_kg:
        frames.append(
            criteria.kindergartens(estates, schools, standards, districts=ids, years=years).assign(
                criterion="kindergarten"
            )
        )
    else:
        why = "no estates" if estates is None else "the schools include no kindergartens"
        skipped.append(_not_assessed(ids, "kindergarten", ["kindergarten"], f"not assessed: {why}"))
    frames.append(
        criteria.special_education(residents, schools, standards, years=years).assign(
            criterion="special_education"
        )
    )
    if check is not None:
        frames.append(
            criteria.matching(check, districts=ids, years=years).assign(criterion="matching_school")
        )
    else:
        skipped.append(
            _not_assessed(ids, "matching_school", ["compulsory"], "not assessed: no estates")
        )
    return frames, skipped


def assess_readiness(
    *,
    districts: pd.DataFrame,
    schools: gpd.GeoDataFrame,
    gaps: pd.DataFrame,
    residents: pd.DataFrame,
    standards: Standards,
    base_year: int,
    horizon: int,
    programme: pd.DataFrame | None = None,
    targets: pd.DataFrame | None = None,
    estates: gpd.GeoDataFrame | None = None,
    new_schools: gpd.GeoDataFrame | None = None,
    scenario: float | None = None,
) -> Readiness:
    """Assess every county's readiness for high-quality balance by its target year.

    Parameters
    ----------
    districts
        ``district_id``, ``name``.
    schools
        :func:`~xuewei.planning.school_places` output (points in the plan CRS), with any
        balance attribute columns (:data:`~xuewei.planning.readiness.ATTRIBUTES`) and an
        optional ``special_education`` flag.
    gaps
        ``district_id, year, level, scenario, required, gap`` (e.g. ``PlanResult.gaps``).
    residents
        ``district_id, year, value``: residents per county and year.
    standards
        The standards in force.
    base_year, horizon
        The years of the run.
    programme
        :func:`~xuewei.planning.build_programme` output; ``None``: nothing opens.
    targets
        :func:`~xuewei.planning.readiness.check_targets` output; ``None``, or a county
        missing from it: read at the horizon.
    estates
        Estates (points in the plan CRS) for the kindergarten and matching-school checks.
    new_schools
        Proposals (new builds with a point and an opening ``year``) whose places pipeline
        estates may use.
    scenario
        Places per 1,000 residents; default the standards' default scenario.

    Returns
    -------
    Readiness
    """
    scenario = standards.default_scenario if scenario is None else float(scenario)
    ids = districts["district_id"].astype(str).tolist()
    years = list(range(base_year, horizon + 1))
    g, p = _scenario_tables(gaps, programme, scenario)
    r = residents.assign(district_id=residents["district_id"].astype(str))
    r = r[r["district_id"].isin(ids)].drop_duplicates(["district_id", "year"], keep="last")
    indicators = school_indicators(schools, standards)
    cv, minimums = balance_cv(indicators, standards), school_minimums(indicators, standards)
    check, proposed = None, None
    if estates is not None:
        check, proposed = matching_schools(
            estates, schools, standards, base_year=base_year, new_schools=new_schools
        )
    frames, skipped = _criteria_by_year(
        schools, g, p, r, standards, ids=ids, years=years, estates=estates, check=check
    )
    balance = _balance_by_year(cv, minimums, ids, years)
    missing = tuple(indicators.attrs.get("missing_columns", ()))
    if balance.empty:
        note = "not assessed: the schools have none of the balance columns"
        skipped += [
            _not_assessed(ids, c, ["primary", "junior"], note)
            for c in ("balance_cv", "resource_minimums")
        ]
    else:
        frames.append(balance)
    by_year = pd.concat(frames, ignore_index=True)
    by_year = by_year[
        ["district_id", "criterion", "level", "year", "value", "limit", "shortfall", "met"]
    ]
    table = _at_target(by_year, skipped, districts, targets, base_year, horizon, missing)
    if proposed is None:
        proposed = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=schools.crs))
    return Readiness(
        table=table,
        summary=readiness_summary(table),
        by_year=by_year.reset_index(drop=True),
        indicators=indicators,
        cv=cv,
        minimums=minimums,
        matching=check if check is not None else pd.DataFrame(),
        matching_proposals=proposed,
        missing_columns=missing,
    )


def _target_years(
    districts: pd.DataFrame, targets: pd.DataFrame | None, base_year: int, horizon: int
) -> pd.DataFrame:
    """Each county's target, the year it is read in, and a note when they differ."""
    out = districts[["district_id", "name"]].copy()
    out["district_id"] = out["district_id"].astype(str)
    target = (
        out["district_id"].map(targets.set_index("district_id")["target_year"])
        if targets is not None
        else pd.Series(np.nan, index=out.index)
    )
    out["target_year"] = target.astype("Int64")
    t = target.to_numpy(np.float64)
    out["assessed_year"] = np.where(
        np.isnan(t), horizon, np.clip(np.nan_to_num(t, nan=horizon), base_year, horizon)
    ).astype(np.int64)
    notes = []
    for y in t:
        if np.isnan(y):
            notes.append(f"no target year: read at the horizon {horizon}")
        elif y < base_year:
            notes.append(f"target {int(y)} is before the base year: read in {base_year}")
        elif y > horizon:
            notes.append(f"target {int(y)} is after the horizon: read in {horizon}")
        else:
            notes.append("")
    out["year_note"] = notes
    source = (
        out["district_id"].map(targets.set_index("district_id")["target_source"])
        if targets is not None and "target_source" in targets
        else pd.Series(np.nan, index=out.index)
    )
    source = source.astype(object)
    out["target_source"] = source.where(source.notna(), NO_TARGET).to_numpy()
    return out


def _at_target(
    by_year: pd.DataFrame,
    skipped: list[pd.DataFrame],
    districts: pd.DataFrame,
    targets: pd.DataFrame | None,
    base_year: int,
    horizon: int,
    missing: tuple[str, ...],
) -> pd.DataFrame:
    """County × criterion in each county's target year, with the first year met."""
    when = _target_years(districts, targets, base_year, horizon)
    first = _first_year_met(by_year)
    at = by_year.merge(
        when, left_on=["district_id", "year"], right_on=["district_id", "assessed_year"]
    )
    keys = list(zip(at["district_id"], at["criterion"], at["level"], strict=True))
    at["first_year_met"] = pd.array([first.get(k, np.nan) for k in keys], dtype="Float64")
    at["first_year_met"] = at["first_year_met"].round().astype("Int64")
    at["note"] = at["year_note"]
    if missing:
        balance = at["criterion"].isin(["balance_cv", "resource_minimums"])
        extra = "without " + ", ".join(missing)
        at.loc[balance, "note"] = [f"{n}; {extra}".lstrip("; ") for n in at.loc[balance, "note"]]
    nope = at["met"].isna() & (at["criterion"] == "special_education")
    at.loc[nope, "note"] = "not assessed: no special_education column in the schools"
    rest = pd.concat(skipped, ignore_index=True) if skipped else pd.DataFrame()
    if not rest.empty:
        rest = rest.merge(when, on="district_id")
        rest["note"] = [
            f"{n}; {y}".rstrip("; ") for n, y in zip(rest["note"], rest["year_note"], strict=True)
        ]
        rest["met"] = pd.array([pd.NA] * len(rest), dtype="boolean")
    table = pd.concat([at, rest], ignore_index=True)
    table["unit"] = table["criterion"].map({k: v[2] for k, v in CRITERIA.items()})
    order = {c: i for i, c in enumerate(CRITERIA)}
    table["_order"] = table["criterion"].map(order)
    table = table.sort_values(["district_id", "_order", "level"], kind="stable")
    for col in ("value", "limit", "shortfall"):
        if col not in table:
            table[col] = np.nan
    table["met"] = table["met"].astype("boolean")
    return table.reset_index(drop=True)[READINESS_COLUMNS]


def shortfall_words(shortfall: float, unit: str) -> str:
    """Say a criterion's shortfall in English words: its amount and unit, singular for one.

    Examples
    --------
    >>> shortfall_words(1, "schools"), shortfall_words(3809, "places")
    ('1 school', '3,809 places')
    >>> shortfall_words(0.0241, "coefficient of variation")
    '0.024 coefficient of variation'
    """
    if unit == "coefficient of variation":
        return f"{shortfall:.3f} {unit}"
    amount = f"{shortfall:,.0f}"
    return f"{amount} {unit[:-1] if amount == '1' and unit.endswith('s') else unit}"


def missed_words(criterion: str, level: str, shortfall: float, lang: str = "both") -> str:
    """Say a criterion not met and by how much, in Chinese, English or both (two lines).

    Examples
    --------
    >>> missed_words("deficit", "junior", 3656, "zh")
    '学位缺口（初中）差3,656'
    >>> missed_words("deficit", "junior", 3656, "en")
    'Places missing (junior secondary): 3,656 places'
    >>> missed_words("balance_cv", "primary", 0.0241, "en")
    'Balance: CV across schools (primary): 0.024 above the limit'
    """
    from xuewei.vocabulary import LEVEL_NAMES

    zh, en, unit = CRITERIA[criterion]
    level_zh, level_en = LEVEL_NAMES.get(level, ("", ""))
    cv = unit == "coefficient of variation"
    leveled = level in ("primary", "junior")
    amount = f"{shortfall:.3f}" if cv else f"{shortfall:,.0f}"
    chinese = f"{zh}" + (f"（{level_zh}）" if leveled else "") + f"差{amount}"
    english = f"{en}" + (f" ({level_en.lower()})" if leveled else "") + ": "
    english += f"{amount} above the limit" if cv else shortfall_words(shortfall, unit)
    return {"zh": chinese, "en": english}.get(lang, f"{english}\n{chinese}")


def _missed_text(rows: pd.DataFrame, lang: str) -> str:
    """Return the criteria missed, with their shortfalls, in one language."""
    return "; ".join(
        missed_words(str(r.criterion), str(r.level), float(str(r.shortfall)), lang)
        for r in rows.itertuples(index=False)
    )


def readiness_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per county: ready by its target year or not, and what is missing.

    Parameters
    ----------
    table
        :attr:`Readiness.table`.

    Returns
    -------
    pandas.DataFrame
        ``district_id, name, target_year, assessed_year, ready`` (every assessed criterion
        met; missing when none was assessed), ``criteria_met``, ``criteria_assessed``,
        ``not_assessed``, ``first_year_ready`` (the latest first year met; missing when a
        criterion is not met by the horizon), ``missing`` (the criteria missed, with
        their shortfall, in English), ``missing_zh`` (the same in Chinese) and
        ``target_source`` (where the target year comes from).

    Examples
    --------
    >>> t = pd.DataFrame({"district_id": "a", "name": "甲", "target_year": 2030,
    ...     "assessed_year": 2030, "criterion": ["deficit", "big_class"],
    ...     "level": "primary", "met": pd.array([True, False], dtype="boolean"),
    ...     "shortfall": [0.0, 120.0], "first_year_met": pd.array([2028, None], dtype="Int64")})
    >>> s = readiness_summary(t)
    >>> s[["ready", "criteria_met", "criteria_assessed"]].to_dict("records")
    [{'ready': False, 'criteria_met': 1, 'criteria_assessed': 2}]
    >>> s["missing"].iloc[0], s["missing_zh"].iloc[0]
    ('Classes above 45/50 (primary): 120 pupils', '班额超标（小学）差120')
    """
    rows = []
    for d, g in table.groupby("district_id", sort=True):
        assessed = g[g["met"].notna()]
        met = assessed["met"].astype(bool)
        first = assessed["first_year_met"]
        rows.append(
            {
                "district_id": d,
                "name": g["name"].iloc[0],
                "target_year": g["target_year"].iloc[0],
                "assessed_year": g["assessed_year"].iloc[0],
                "ready": bool(met.all()) if len(assessed) else None,
                "criteria_met": int(met.sum()),
                "criteria_assessed": len(assessed),
                "not_assessed": int(g["met"].isna().sum()),
                "first_year_ready": None if first.isna().any() or first.empty else int(first.max()),
                "missing": _missed_text(assessed[~met], "en"),
                "missing_zh": _missed_text(assessed[~met], "zh"),
                "target_source": g["target_source"].iloc[0] if "target_source" in g else None,
            }
        )
    out = pd.DataFrame(rows)
    if len(out):
        out["ready"] = out["ready"].astype("boolean")
        out["target_year"] = out["target_year"].astype("Int64")
        out["first_year_ready"] = out["first_year_ready"].astype("Int64")
    return out
