"""The planning standards in force: ``data/standards.toml`` with a plan's overrides, validated.

This module owns the :class:`Standards` value: class and school sizes, places per 1,000
residents, service radii, funding, staffing and the rest, each with the document it comes
from. It is built once per plan (:func:`load_standards`, which :func:`xuewei.config.load_plan`
calls with the plan's ``[standards]``) and handed explicitly to every stage — forecast,
demand, supply, catchments, proposals, maps and report; no stage reads the packaged file on
its own. Code asks it for numbers (``standards.class_size("primary")``,
``standards.places_per_resident("junior", 90)``) and never hard-codes them; the report
writes :meth:`Standards.rows` so that a meeting sees which numbers were used and where each
one comes from. Reading and checking the file is :mod:`xuewei.data._standards_schema`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from xuewei.data._standards_access import AccessStandards
from xuewei.data._standards_levels import check_level
from xuewei.data._standards_schema import Basis, Scalar, StandardValue, Value, resolve
from xuewei.errors import StandardsError
from xuewei.vocabulary import COMPULSORY, LEVELS, Level

__all__ = ["Basis", "StandardValue", "Standards", "load_standards"]


# --------------------------------------------------------------------------------------------
# The standards object


@dataclass(frozen=True)
class Standards(AccessStandards):
    """The planning standards in force, each value with its source.

    Build it with :func:`load_standards`. Typed accessors cover what the planning code
    needs; :meth:`value` and :meth:`source` reach any key of ``standards.toml``.

    Parameters
    ----------
    entries
        Every standard by dotted key path, e.g. ``"class_size.primary"``.

    Examples
    --------
    >>> s = load_standards()
    >>> s.scenarios
    (80.0, 85.0, 90.0)
    >>> s.class_size("junior"), s.school_size_cap("nine_year")
    (50, 2500)
    """

    entries: Mapping[str, StandardValue]

    # ---- generic access

    def entry(self, key_path: str) -> StandardValue:
        """Return the :class:`StandardValue` at a dotted key path.

        Parameters
        ----------
        key_path
            E.g. ``"access.radius_m.primary"``.

        Returns
        -------
        StandardValue
            Value, unit, basis and source.

        Raises
        ------
        StandardsError
            If the key is not a value of the standards (a group, or unknown).

        Examples
        --------
        >>> load_standards().entry("access.radius_m.primary").unit
        'm'
        """
        try:
            return self.entries[key_path]
        except KeyError:
            members = sorted(k for k in self.entries if k.startswith(key_path + "."))
            if members:
                raise StandardsError(
                    f"`{key_path}` is a group, not a value; its values: {', '.join(members)}"
                ) from None
            raise StandardsError(f"`{key_path}`: unknown standard") from None

    def value(self, key_path: str) -> Value:
        """Return the value at a dotted key path (lists come back as tuples).

        Examples
        --------
        >>> load_standards().value("consolidation.build_before_close")
        True
        """
        return self.entry(key_path).value

    def source(self, key_path: str) -> str:
        """Return the citation of the value at a dotted key path.

        Examples
        --------
        >>> load_standards().source("class_size.primary")[:16]
        'GB 50099-2011 §3'
        """
        return self.entry(key_path).source

    def keys(self) -> Iterator[str]:
        """Iterate over the dotted key paths of every value, in file order."""
        return iter(self.entries)

    def rows(self) -> list[tuple[str, Value, str]]:
        """Return ``(key, value, source)`` for every value, in file order, for the report.

        Examples
        --------
        >>> load_standards().rows()[0][:2]
        ('places_per_1000.scenarios', (80.0, 85.0, 90.0))
        """
        return [(e.key, e.value, e.source) for e in self.entries.values()]

    def to_dict(self) -> dict[str, Any]:
        """Return the values as nested plain dicts and lists, keyed like ``standards.toml``.

        The result is a valid override: ``load_standards(s.to_dict())`` has the same values.

        Examples
        --------
        >>> load_standards().to_dict()["class_size"]["nine_year"]
        {'primary': 45, 'junior': 50}
        """
        out: dict[str, Any] = {}
        for key, entry in self.entries.items():
            *parents, last = key.split(".")
            node = out
            for part in parents:
                node = node.setdefault(part, {})
            node[last] = list(entry.value) if isinstance(entry.value, tuple) else entry.value
        return out

    # ---- places per 1,000 residents

    @property
    def scenarios(self) -> tuple[float, ...]:
        """Places per 1,000 residents (千人指标) to compute, one scenario each.

        Examples
        --------
        >>> s = load_standards({"places_per_1000": {"scenarios": [80, 90]}})
        >>> s.scenarios, s.default_scenario
        ((80.0, 90.0), 90.0)
        """
        return tuple(float(x) for x in self._tuple("places_per_1000.scenarios"))

    @property
    def default_scenario(self) -> float:
        """The central scenario, in places per 1,000 (one of :attr:`scenarios`).

        When an override sets ``scenarios`` without ``default_scenario`` and the old default
        is not among them, the default moves to the middle scenario (the higher of the two
        middle ones for an even count); :meth:`source` says so.

        Examples
        --------
        >>> load_standards().default_scenario
        85.0
        """
        return float(self.number("places_per_1000.default_scenario"))

    @property
    def level_share(self) -> Mapping[str, float]:
        """Share of compulsory places per level (``primary``, ``junior``); sums to 1.

        Examples
        --------
        >>> {k: round(v, 3) for k, v in load_standards().level_share.items()}
        {'primary': 0.667, 'junior': 0.333}
        """
        return self._group("places_per_1000.level_share", float)

    def places_per_resident(self, level: str, scenario: float | None = None) -> float:
        """Return the school places one resident needs at a level: the one rate of xuewei.

        Primary and junior: ``scenario ÷ 1000 × level_share[level]`` (places per 1,000
        residents of compulsory education, split between the levels); ``compulsory``:
        ``scenario ÷ 1000``; kindergarten: ``places_per_1000.kindergarten ÷ 1000`` when the
        standards set it (no national or seed figure is collected). Demand, catchments,
        candidate sites and the cohort comparison all call this.

        Parameters
        ----------
        level
            ``"primary"``, ``"junior"``, ``"compulsory"`` or ``"kindergarten"``.
        scenario
            Places per 1,000 residents; default :attr:`default_scenario`. Ignored for
            kindergarten.

        Raises
        ------
        StandardsError
            For a level without a rate, or kindergarten without
            ``places_per_1000.kindergarten``.

        Examples
        --------
        >>> s = load_standards()
        >>> round(s.places_per_resident("primary"), 6), s.places_per_resident("compulsory", 90)
        (0.056667, 0.09)
        >>> s.places_per_resident("junior", 90) * 1000
        30.0
        """
        if level == "kindergarten":
            if "places_per_1000.kindergarten" not in self.entries:
                raise StandardsError(
                    "kindergarten demand needs places per 1,000 residents: set "
                    "places_per_1000.kindergarten in the plan's [standards] with its local "
                    "source",
                )
            return float(self.number("places_per_1000.kindergarten")) / 1000.0
        per_1000 = self.default_scenario if scenario is None else float(scenario)
        if level == COMPULSORY:
            return per_1000 / 1000.0
        shares = self.level_share
        if level not in shares:
            raise StandardsError(
                f"no places per 1,000 residents for level {level!r}; levels: "
                f"{', '.join([*shares, COMPULSORY, 'kindergarten'])}"
            )
        return per_1000 / 1000.0 * float(shares[level])

    @property
    def reference_per_thousand(self) -> Mapping[str, Mapping[str, float]]:
        """Other cities' places (or pupils) per 1,000 residents, by reference and level.

        Examples
        --------
        >>> dict(load_standards().reference_per_thousand["guangzhou_2022"])
        {'primary': 80.0, 'junior': 40.0, 'senior_high': 25.0}
        """
        prefix = "places_per_1000.reference."
        names = dict.fromkeys(k[len(prefix) :].split(".")[0] for k in self._under(prefix))
        return MappingProxyType({n: self._group(prefix + n, float) for n in names})

    # ---- grades, classes and schools

    @property
    def grades(self) -> Mapping[str, int]:
        """Grades (school years) per level: primary 6, junior 3, nine_year 9, kindergarten 3.

        Examples
        --------
        >>> load_standards().grades["nine_year"]
        9
        """
        return self._group("grades", int)

    def class_size(self, level: Level, *, rural: bool = False) -> int:
        """Return the standard class size (班额, pupils per class) of a level.

        Parameters
        ----------
        level
            ``"primary"``, ``"junior"`` or ``"kindergarten"``. A nine-year school has two
            class sizes: use :attr:`nine_year_class_size`.
        rural
            Use the long-term rural class sizes of 建标109-2008 (primary and junior only).

        Returns
        -------
        int
            Pupils per class.

        Raises
        ------
        StandardsError
            For ``"nine_year"``, an unknown level, or a rural kindergarten.

        Examples
        --------
        >>> s = load_standards()
        >>> s.class_size("primary"), s.class_size("junior"), s.class_size("primary", rural=True)
        (45, 50, 40)
        """
        if level == "nine_year":
            raise StandardsError(
                "a nine-year school has two class sizes (grades 1–6 and 7–9): use "
                "Standards.nine_year_class_size, e.g. {'primary': 45, 'junior': 50}"
            )
        table = "class_size.rural" if rural else "class_size"
        allowed = self.levels_under(table)
        check_level(level, allowed, f"`{table}`")
        return int(self.number(f"{table}.{level}"))

    @property
    def nine_year_class_size(self) -> Mapping[str, int]:
        """Class sizes of a nine-year school: ``primary`` (grades 1–6), ``junior`` (7–9).

        Examples
        --------
        >>> dict(load_standards().nine_year_class_size)
        {'primary': 45, 'junior': 50}
        """
        return self._group("class_size.nine_year", int)

    @property
    def class_size_bands(self) -> Mapping[str, int]:
        """Lowest class size of each band (normal 36, large 46, big 56, super 66).

        ``big`` is 大班额 and ``super`` 超大班额 (Ministry of Education).

        Examples
        --------
        >>> load_standards().class_size_bands["big"]
        56
        """
        return self._group("class_size_bands", int)

    def class_size_band(self, pupils_per_class: float) -> str:
        """Name the band of an average class size: small, normal, large, big or super.

        Examples
        --------
        >>> s = load_standards()
        >>> [s.class_size_band(n) for n in (30, 45, 50, 60, 70)]
        ['small', 'normal', 'large', 'big', 'super']
        """
        band = "small"
        for name, low in sorted(self.class_size_bands.items(), key=lambda kv: kv[1]):
            if pupils_per_class >= low:
                band = name
        return band

    def school_size_cap(self, level: Level) -> int:
        """Most pupils a school of this level should have (校额); above it is 大校额.

        Examples
        --------
        >>> s = load_standards()
        >>> s.school_size_cap("primary"), s.school_size_cap("nine_year")
        (2000, 2500)
        """
        check_level(level, self.levels_under("school_size_cap"), "`school_size_cap`")
        return int(self.number(f"school_size_cap.{level}"))

    def standard_classes(self, level: Level, *, rural: bool = False) -> tuple[int, ...]:
        """Return the standard school sizes in classes (建标102-2002 urban, 建标109-2008 rural).

        Examples
        --------
        >>> load_standards().standard_classes("nine_year")
        (18, 27, 36, 45)
        >>> load_standards().standard_classes("primary", rural=True)
        (6, 12, 18, 24)
        """
        table = "standard_classes.rural" if rural else "standard_classes"
        check_level(level, self.levels_under(table), f"`{table}`")
        return tuple(int(x) for x in self._tuple(f"{table}.{level}"))

    # ---- kindergartens, special education, money, staff

    @property
    def kindergarten_min_residents(self) -> int:
        """Residents from which an urban estate gets its own kindergarten (3,000).

        Examples
        --------
        >>> load_standards().kindergarten_min_residents
        3000
        """
        return int(self.number("kindergarten.min_estate_residents"))

    @property
    def special_education_min_residents(self) -> int:
        """Residents from which a county has a special-education school (200,000).

        Examples
        --------
        >>> load_standards().special_education_min_residents
        200000
        """
        return int(self.number("special_education.min_county_residents"))

    def funding_per_pupil_yuan(self, level: Level) -> float:
        """Minimum public funding per pupil and year (生均公用经费), in yuan.

        A nine-year school is funded per part: use ``"primary"`` for grades 1–6 and
        ``"junior"`` for grades 7–9.

        Examples
        --------
        >>> s = load_standards()
        >>> s.funding_per_pupil_yuan("primary"), s.funding_per_pupil_yuan("junior")
        (720.0, 940.0)
        """
        table = "funding.per_pupil_yuan"
        check_level(level, self.levels_under(table), f"`{table}`", per_part=True)
        return float(self.number(f"{table}.{level}"))

    def pupils_per_staff(self, level: Level) -> float:
        """Pupils per staff post (教职工编制) of the national 2014 standard.

        Examples
        --------
        >>> load_standards().pupils_per_staff("junior")
        13.5
        """
        table = "staffing.pupils_per_staff"
        check_level(level, self.levels_under(table), f"`{table}`", per_part=True)
        return float(self.number(f"{table}.{level}"))

    # ---- consolidation

    @property
    def build_before_close(self) -> bool:
        """Whether a school may close only once its replacement has room (先建后撤).

        Examples
        --------
        >>> load_standards().build_before_close
        True
        """
        return bool(self.value("consolidation.build_before_close"))

    # ---- programme

    def lead_time_years(self, kind: str) -> int:
        """Years from the base year to the first year an addition of this kind can open.

        Parameters
        ----------
        kind
            ``"new_build"``, ``"expansion"`` or ``"merger"``.

        Examples
        --------
        >>> s = load_standards()
        >>> [s.lead_time_years(k) for k in ("new_build", "expansion", "merger")]
        [3, 2, 1]
        """
        table = "programme.lead_time_years"
        kinds = tuple(k.rsplit(".", 1)[1] for k in self._under(table))
        if kind not in kinds:
            raise StandardsError(f"{table}: no lead time for {kind!r}; expected one of {kinds}")
        return int(self.number(f"{table}.{kind}"))

    # ---- land

    def land_per_place_m2(self, level: Level, classes: float) -> float:
        """Site land per school place, in m², for a school of ``classes`` classes.

        Falls linearly from the small-school to the large-school value between
        ``land.per_place_m2.small_classes`` (15) and ``large_classes`` (30) classes, and is
        constant outside that range.

        Examples
        --------
        >>> s = load_standards()
        >>> s.land_per_place_m2("primary", 12), s.land_per_place_m2("primary", 36)
        (25.0, 18.0)
        >>> s.land_per_place_m2("junior", 22.5)
        20.5
        """
        table = "land.per_place_m2"
        check_level(level, self.levels_under(table), f"`{table}`")
        small = float(self.number(f"{table}.{level}.small_school"))
        large = float(self.number(f"{table}.{level}.large_school"))
        lo = float(self.number(f"{table}.small_classes"))
        hi = float(self.number(f"{table}.large_classes"))
        t = min(max((classes - lo) / (hi - lo), 0.0), 1.0)
        return small + (large - small) * t

    # ---- helpers

    def _under(self, prefix: str) -> list[str]:
        return [k for k in self.entries if k.startswith(prefix)]

    def levels_under(self, table: str) -> tuple[str, ...]:
        """Levels that have a value (or a group of values) directly under ``table``."""
        n = table.count(".") + 1
        children = (k.split(".")[n] for k in self._under(table + "."))
        return tuple(dict.fromkeys(c for c in children if c in LEVELS))

    def number(self, key_path: str) -> float:
        """Return the number at ``key_path`` (a whole number or not).

        Raises
        ------
        StandardsError
            When the key is unknown or does not hold a number.

        Examples
        --------
        >>> load_standards().number("consolidation.rural_travel_limit_m")
        3000.0
        """
        key = key_path
        value = self.value(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise StandardsError(f"`{key}`: expected a number; got {value!r}")
        return float(value)

    def _tuple(self, key: str) -> tuple[Scalar, ...]:
        value = self.value(key)
        if not isinstance(value, tuple):
            raise StandardsError(f"`{key}`: expected a list; got {value!r}")
        return value

    def _group(self, table: str, cast: type[int] | type[float]) -> Mapping[str, Any]:
        n = table.count(".") + 1
        out = {
            k.split(".")[n]: cast(self.number(k))
            for k in self._under(table + ".")
            if k.count(".") == n
        }
        return MappingProxyType(out)


def load_standards(
    overrides: Mapping[str, Any] | None = None,
    *,
    path: str | Path | None = None,
    override_source: str = "override",
) -> Standards:
    """Read the planning standards, apply overrides, and validate them.

    Parameters
    ----------
    overrides
        Values to change, keyed like ``standards.toml``: nested tables
        (``{"class_size": {"primary": 40}}``, as a plan file's ``[standards]`` table reads)
        or dotted keys (``{"class_size.primary": 40}``). A value is either bare, or a table
        ``{"value": ..., "source": "...", "unit": "..."}`` to record its own source. Tables
        merge deeply: keys not given keep their value.
    path
        A complete standards file to use instead of the packaged ``data/standards.toml``
        (for a province's own set). It must have the packaged file's keys and types.
    override_source
        How overridden values are cited when the override gives no source, e.g.
        ``"plan changsha.toml [standards]"``.

    Returns
    -------
    Standards
        The standards in force, each value with its source.

    Raises
    ------
    StandardsError
        Naming every key that is unknown, of the wrong type, or out of range (a class size
        ≤ 0, a scenario ≤ 0, level shares not summing to 1, ...), its value and what was
        expected.

    Examples
    --------
    >>> load_standards().class_size("primary")
    45
    >>> s = load_standards({"class_size": {"primary": 40}}, override_source="plan")
    >>> s.class_size("primary"), s.source("class_size.primary")[:28]
    (40, 'plan (default 45: GB 50099-2')
    >>> load_standards({"class_size.primary": -5})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    xuewei.errors.StandardsError: standards overrides: `class_size.primary`: got -5; ...
    """
    return Standards(resolve(overrides, path, override_source))
