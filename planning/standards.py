"""The planning standards in force: ``data/standards.toml`` with a plan's overrides, validated.

This module owns reading the standards: class and school sizes, places per 1,000 residents,
service radii, funding, staffing and the rest, each with the document it comes from. The
planning code asks a :class:`Standards` object for numbers (``standards.class_size("primary")``)
and never hard-codes them; the report writes :meth:`Standards.rows` so that a meeting sees which
numbers were used and where each one comes from.

The packaged TOML is also the schema: an override may only set keys that exist there, with a
value of the same type, within the range the standard allows. Every problem is collected and
raised as one :class:`~xuewei.errors.ConfigError` that names the key, the value and what was
expected.
"""

from __future__ import annotations

import difflib
import fnmatch
import itertools
import math
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, cast, get_args

from xuewei.errors import ConfigError

__all__ = [
    "LEVELS",
    "Basis",
    "Level",
    "StandardValue",
    "Standards",
    "load_standards",
]

Level = Literal["primary", "junior", "nine_year", "kindergarten"]
"""A school level: 小学, 初中, 九年一贯制, 幼儿园."""

LEVELS: tuple[Level, ...] = get_args(Level)

Basis = Literal["cited", "derived", "xuewei_default", "override"]
"""Where a value comes from: read in a source, derived from cited values, a judgement of
xuewei's (in no standard), or set by the user."""

_FILE_BASES = ("cited", "derived", "xuewei_default")
_LEAF_KEYS = frozenset({"value", "source", "unit", "basis"})
_OVERRIDE_LEAF_KEYS = frozenset({"value", "source", "unit"})

Scalar: TypeAlias = bool | int | float | str
Value: TypeAlias = Scalar | tuple[Scalar, ...]


@dataclass(frozen=True)
class StandardValue:
    """One standard: its value, unit and source.

    Parameters
    ----------
    key
        Dotted key path in ``standards.toml``, e.g. ``"class_size.primary"``.
    value
        The number, flag, text, or tuple of numbers.
    source
        The document and section it comes from (or how it was derived, or who overrode it).
    unit
        What the value counts, e.g. ``"pupils per class"``; empty for flags and text.
    basis
        ``"cited"``, ``"derived"``, ``"xuewei_default"`` (a judgement, not in any standard)
        or ``"override"``.
    """

    key: str
    value: Value
    source: str
    unit: str = ""
    basis: Basis = "cited"


# --------------------------------------------------------------------------------------------
# Reading the TOML


def _read_toml(path: Path | None) -> tuple[dict[str, Any], str]:
    if path is None:
        resource = files("xuewei.data").joinpath("standards.toml")
        return tomllib.loads(resource.read_text(encoding="utf-8")), "data/standards.toml"
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"standards file {p}: cannot be read ({exc})") from exc
    try:
        return tomllib.loads(text), str(p)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"standards file {p}: not valid TOML ({exc})") from exc


def _flatten_file(
    raw: Mapping[str, Any], name: str
) -> tuple[dict[str, StandardValue], set[str], list[str]]:
    """Split a standards file into leaf values and group paths; collect every problem."""
    leaves: dict[str, StandardValue] = {}
    groups: set[str] = set()
    problems: list[str] = []

    def walk(prefix: str, table: Mapping[str, Any]) -> None:
        for key, item in table.items():
            path = f"{prefix}.{key}" if prefix else key
            if isinstance(item, Mapping) and "value" in item:
                extra = sorted(set(item) - _LEAF_KEYS)
                source = item.get("source")
                unit = item.get("unit", "")
                basis = item.get("basis", "cited")
                if extra:
                    problems.append(
                        f"`{path}`: unknown field(s) {extra}; a value has only {sorted(_LEAF_KEYS)}"
                    )
                if not isinstance(source, str) or not source.strip():
                    problems.append(f'`{path}`: has no source; add source = "document §section"')
                    source = ""
                if not isinstance(unit, str):
                    problems.append(f"`{path}`: unit must be text; got {unit!r}")
                    unit = ""
                if basis not in _FILE_BASES:
                    problems.append(f"`{path}`: basis must be one of {_FILE_BASES}; got {basis!r}")
                    basis = "cited"
                basis = cast(Basis, basis)
                value = item["value"]
                if isinstance(value, list):
                    value = tuple(value)
                leaves[path] = StandardValue(path, value, source, unit, basis)
            elif isinstance(item, Mapping):
                groups.add(path)
                walk(path, item)
            else:
                problems.append(
                    f"`{path}`: got a bare value {item!r} without a source; write it as "
                    f'{{ value = {item!r}, source = "document §section" }}'
                )

    walk("", raw)
    problems = [f"{name}, {p}" for p in problems]
    return leaves, groups, problems


@dataclass(frozen=True)
class _Schema:
    defaults: Mapping[str, StandardValue]
    groups: frozenset[str]


@cache
def _packaged() -> _Schema:
    raw, name = _read_toml(None)
    leaves, groups, problems = _flatten_file(raw, name)
    if problems:  # a broken packaged file is a bug of xuewei, but say what it is
        raise ConfigError("\n".join(problems))
    return _Schema(MappingProxyType(leaves), frozenset(groups))


# --------------------------------------------------------------------------------------------
# Types and ranges


def _kind(value: Value) -> str:
    if isinstance(value, tuple):
        inner = {_kind(v) for v in value}
        return "list[float]" if "float" in inner else f"list[{inner.pop() if inner else 'float'}]"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return "str"


_KIND_TEXT = {
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "str": "text",
    "list[int]": "a list of whole numbers",
    "list[float]": "a list of numbers",
}


def _coerce_scalar(kind: str, value: Any) -> Scalar | None:
    """Return ``value`` as ``kind``, or None if it is not of that kind."""
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if isinstance(value, bool):
        return None
    if kind == "int":
        if isinstance(value, int):
            return value
        # numpy integers and whole floats written by a notebook
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if hasattr(value, "__index__"):
            return int(value.__index__())
        return None
    if kind == "float":
        if isinstance(value, int | float) or hasattr(value, "__float__"):
            out = float(value)
            return out if math.isfinite(out) else None
        return None
    return value if isinstance(value, str) else None


def _coerce(kind: str, value: Any) -> Value | None:
    if kind.startswith("list["):
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            return None
        inner = kind[5:-1]
        items = [_coerce_scalar(inner, v) for v in value]
        if any(v is None for v in items):
            return None
        return tuple(v for v in items if v is not None)
    return _coerce_scalar(kind, value)


@dataclass(frozen=True)
class _Range:
    low: float
    low_open: bool = False
    high: float = math.inf
    what: str = ""

    def ok(self, x: float) -> bool:
        above = x > self.low if self.low_open else x >= self.low
        return above and x <= self.high

    def text(self) -> str:
        if self.high == math.inf:
            return f"{'>' if self.low_open else '≥'} {self.low:g}"
        return f"between {self.low:g} and {self.high:g}"


_POSITIVE = _Range(0.0, low_open=True)
_FRACTION = _Range(0.0, high=1.0, what="a share as a fraction, e.g. 0.6 for 60%")
# Ranges by key pattern, first match wins; every other number must be > 0.
_RANGES: tuple[tuple[str, _Range], ...] = (
    ("places_per_1000.level_share.*", _FRACTION),
    ("*share*", _FRACTION),
    ("consolidation.small_school_max_utilisation", _FRACTION),
    ("enrolment_targets.*", _Range(0.0, low_open=True, high=1.5, what="a rate, e.g. 0.95 for 95%")),
    ("forecast.pupil_yield_per_100_dwellings.*", _Range(0.0)),
)


def _range(key: str) -> _Range:
    for pattern, rng in _RANGES:
        if fnmatch.fnmatchcase(key, pattern):
            return rng
    return _POSITIVE


def _check_range(entry: StandardValue, problems: list[str]) -> None:
    value = entry.value
    numbers: tuple[Any, ...] = value if isinstance(value, tuple) else (value,)
    if isinstance(value, tuple) and not value:
        problems.append(f"`{entry.key}`: got an empty list; give at least one value")
        return
    rng = _range(entry.key)
    bad = [v for v in numbers if not isinstance(v, bool | str) and not rng.ok(float(v))]
    if bad:
        what = f" ({rng.what})" if rng.what else (f" ({entry.unit})" if entry.unit else "")
        problems.append(
            f"`{entry.key}`: got {_show(value)}; expected "
            f"{'every value ' if isinstance(value, tuple) else ''}{rng.text()}{what}"
        )


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float):
        return f"{value:g}"
    return repr(value)


def _cross_checks(v: Mapping[str, StandardValue]) -> list[str]:
    """Rules that tie values together; run once every value is valid on its own."""
    problems: list[str] = []

    def val(key: str) -> Any:
        return v[key].value

    shares = {k: val(k) for k in v if k.startswith("places_per_1000.level_share.")}
    if abs(sum(shares.values()) - 1.0) > 1e-6:
        parts = " + ".join(f"{k.rsplit('.', 1)[1]} {s:g}" for k, s in shares.items())
        problems.append(
            f"`places_per_1000.level_share`: {parts} = {sum(shares.values()):g}; "
            "expected the shares to sum to 1"
        )
    scenarios = val("places_per_1000.scenarios")
    if len(set(scenarios)) != len(scenarios):
        problems.append(
            f"`places_per_1000.scenarios`: got {_show(scenarios)}; expected distinct values"
        )
    default = val("places_per_1000.default_scenario")
    if not any(math.isclose(default, s) for s in scenarios):
        problems.append(
            f"`places_per_1000.default_scenario`: got {default:g}, which is not one of "
            f"places_per_1000.scenarios {_show(scenarios)}; set default_scenario to one of them"
        )
    bands = [(b, val(f"class_size_bands.{b}")) for b in ("normal", "large", "big", "super")]
    if any(lo[1] >= hi[1] for lo, hi in itertools.pairwise(bands)):
        problems.append(
            "`class_size_bands`: got "
            + ", ".join(f"{b} {x}" for b, x in bands)
            + "; expected normal < large < big < super"
        )
    for key, entry in v.items():
        counts = entry.value
        if (
            key.startswith("standard_classes.")
            and isinstance(counts, tuple)
            and (list(counts) != sorted(set(counts)))
        ):
            problems.append(f"`{key}`: got {_show(entry.value)}; expected increasing class counts")
    if val("grades.nine_year") != val("grades.primary") + val("grades.junior"):
        problems.append(
            f"`grades.nine_year`: got {val('grades.nine_year')}; expected grades.primary + "
            f"grades.junior = {val('grades.primary') + val('grades.junior')}"
        )
    pairs = [(k, k[: -len("_min")] + "_max") for k in v if k.endswith("_min")]
    pairs += [
        ("forecast.progression.window_min_years", "forecast.progression.window_years"),
        ("forecast.progression.window_years", "forecast.progression.window_max_years"),
        ("land.per_place_m2.small_classes", "land.per_place_m2.large_classes"),
        ("forecast.lead_time_years.deliver", "forecast.lead_time_years.plan"),
        ("forecast.lead_time_years.plan", "forecast.lead_time_years.forecast"),
    ]
    for lo, hi in pairs:
        if lo in v and hi in v and val(lo) > val(hi):
            problems.append(
                f"`{lo}` = {_show(val(lo))} is above `{hi}` = {_show(val(hi))}; "
                f"expected {lo.rsplit('.', 1)[1]} ≤ {hi.rsplit('.', 1)[1]}"
            )
    return problems


# --------------------------------------------------------------------------------------------
# Overrides


def _suggest(path: str, schema: _Schema) -> str:
    parent = path.rsplit(".", 1)[0] if "." in path else ""
    siblings = sorted(
        {
            k[len(parent) + 1 :].split(".")[0] if parent else k.split(".")[0]
            for k in (*schema.defaults, *schema.groups)
            if (k.startswith(parent + ".") if parent else True)
        }
    )
    last = path.rsplit(".", 1)[-1]
    close = difflib.get_close_matches(last, siblings, n=1)
    where = f"`{parent}` has" if parent else "the standards have"
    hint = f"did you mean `{parent + '.' if parent else ''}{close[0]}`? " if close else ""
    return f"{hint}{where}: {', '.join(siblings)}"


def _apply_overrides(
    values: dict[str, StandardValue],
    overrides: Mapping[str, Any],
    schema: _Schema,
    origin: str,
    problems: list[str],
) -> None:
    def walk(prefix: str, table: Mapping[str, Any]) -> None:
        for key, item in table.items():
            if not isinstance(key, str) or not key:
                problems.append(f"`{prefix}`: keys must be non-empty text; got {key!r}")
                continue
            path = f"{prefix}.{key}" if prefix else key
            if path in schema.defaults:
                set_leaf(path, item)
            elif path in schema.groups:
                if isinstance(item, Mapping):
                    walk(path, item)
                else:
                    members = sorted(
                        k[len(path) + 1 :] for k in schema.defaults if k.startswith(path + ".")
                    )
                    problems.append(
                        f"`{path}`: got {_show(item)}, but `{path}` is a group of values "
                        f"({', '.join(members)}); set those instead"
                    )
            else:
                problems.append(f"`{path}`: unknown key; {_suggest(path, schema)}")

    def set_leaf(path: str, item: Any) -> None:
        old = values[path]
        source = f"{origin} (default {_show(old.value)}: {old.source})"
        unit = old.unit
        basis: Basis = "override"
        if isinstance(item, Mapping):
            extra = sorted(set(item) - _OVERRIDE_LEAF_KEYS)
            if extra or "value" not in item:
                problems.append(
                    f"`{path}`: got {dict(item)!r}; expected a value, or a table with `value` "
                    f"and optional {sorted(_OVERRIDE_LEAF_KEYS - {'value'})}"
                )
                return
            if "source" in item:
                if not isinstance(item["source"], str) or not item["source"].strip():
                    problems.append(f"`{path}.source`: got {item['source']!r}; expected text")
                    return
                source, basis = item["source"], "cited"
            if "unit" in item:
                if not isinstance(item["unit"], str):
                    problems.append(f"`{path}.unit`: got {item['unit']!r}; expected text")
                    return
                unit = item["unit"]
            item = item["value"]
        kind = _kind(schema.defaults[path].value)
        value = _coerce(kind, item)
        if value is None:
            problems.append(
                f"`{path}`: got {_show(item)} ({type(item).__name__}); expected "
                f"{_KIND_TEXT[kind]}, like the default {_show(old.value)}"
            )
            return
        values[path] = StandardValue(path, value, source, unit, basis)

    walk("", overrides)


# --------------------------------------------------------------------------------------------
# The standards object


def _check_level(
    level: str, allowed: tuple[str, ...], what: str, *, per_part: bool = False
) -> None:
    if level not in LEVELS:
        raise ConfigError(f"level {level!r} is not one of {', '.join(LEVELS)}")
    if level == "nine_year" and per_part:
        raise ConfigError(
            f"{what} counts a nine-year school per part: use 'primary' for its grades 1–6 "
            "and 'junior' for grades 7–9"
        )
    if level not in allowed:
        levels = ", ".join(allowed)
        raise ConfigError(f"{what} is not defined for level {level!r}; levels: {levels}")


@dataclass(frozen=True)
class Standards:
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
        ConfigError
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
                raise ConfigError(
                    f"`{key_path}` is a group, not a value; its values: {', '.join(members)}"
                ) from None
            raise ConfigError(f"`{key_path}`: unknown standard") from None

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
        return float(self._number("places_per_1000.default_scenario"))

    @property
    def level_share(self) -> Mapping[str, float]:
        """Share of compulsory places per level (``primary``, ``junior``); sums to 1.

        Examples
        --------
        >>> {k: round(v, 3) for k, v in load_standards().level_share.items()}
        {'primary': 0.667, 'junior': 0.333}
        """
        return self._group("places_per_1000.level_share", float)

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
        ConfigError
            For ``"nine_year"``, an unknown level, or a rural kindergarten.

        Examples
        --------
        >>> s = load_standards()
        >>> s.class_size("primary"), s.class_size("junior"), s.class_size("primary", rural=True)
        (45, 50, 40)
        """
        if level == "nine_year":
            raise ConfigError(
                "a nine-year school has two class sizes (grades 1–6 and 7–9): use "
                "Standards.nine_year_class_size, e.g. {'primary': 45, 'junior': 50}"
            )
        table = "class_size.rural" if rural else "class_size"
        allowed = self._levels(table)
        _check_level(level, allowed, f"`{table}`")
        return int(self._number(f"{table}.{level}"))

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
        _check_level(level, self._levels("school_size_cap"), "`school_size_cap`")
        return int(self._number(f"school_size_cap.{level}"))

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
        _check_level(level, self._levels(table), f"`{table}`")
        return tuple(int(x) for x in self._tuple(f"{table}.{level}"))

    # ---- access

    def service_radius_m(self, level: Level) -> float:
        """Service radius of a school of this level, in metres of walking distance.

        Examples
        --------
        >>> s = load_standards()
        >>> s.service_radius_m("primary"), s.service_radius_m("junior")
        (500.0, 1000.0)
        """
        _check_level(level, self._levels("access.radius_m"), "`access.radius_m`")
        return float(self._number(f"access.radius_m.{level}"))

    def walk_min(self, level: Level) -> float:
        """Longest walk to a school of this level, in minutes.

        Examples
        --------
        >>> load_standards().walk_min("junior")
        15.0
        """
        _check_level(level, self._levels("access.walk_min"), "`access.walk_min`")
        return float(self._number(f"access.walk_min.{level}"))

    @property
    def walk_speed_m_per_min(self) -> float:
        """Walking speed in metres per minute (60: 500 m in 10 min, derived).

        Examples
        --------
        >>> load_standards().walk_speed_m_per_min
        60.0
        """
        return float(self._number("access.walk_speed_m_per_min"))

    # ---- kindergartens, special education, money, staff

    @property
    def kindergarten_min_residents(self) -> int:
        """Residents from which an urban estate gets its own kindergarten (3,000).

        Examples
        --------
        >>> load_standards().kindergarten_min_residents
        3000
        """
        return int(self._number("kindergarten.min_estate_residents"))

    @property
    def special_education_min_residents(self) -> int:
        """Residents from which a county has a special-education school (200,000).

        Examples
        --------
        >>> load_standards().special_education_min_residents
        200000
        """
        return int(self._number("special_education.min_county_residents"))

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
        _check_level(level, self._levels(table), f"`{table}`", per_part=True)
        return float(self._number(f"{table}.{level}"))

    def pupils_per_staff(self, level: Level) -> float:
        """Pupils per staff post (教职工编制) of the national 2014 standard.

        Examples
        --------
        >>> load_standards().pupils_per_staff("junior")
        13.5
        """
        table = "staffing.pupils_per_staff"
        _check_level(level, self._levels(table), f"`{table}`", per_part=True)
        return float(self._number(f"{table}.{level}"))

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
        _check_level(level, self._levels(table), f"`{table}`")
        small = float(self._number(f"{table}.{level}.small_school"))
        large = float(self._number(f"{table}.{level}.large_school"))
        lo = float(self._number(f"{table}.small_classes"))
        hi = float(self._number(f"{table}.large_classes"))
        t = min(max((classes - lo) / (hi - lo), 0.0), 1.0)
        return small + (large - small) * t

    # ---- helpers

    def _under(self, prefix: str) -> list[str]:
        return [k for k in self.entries if k.startswith(prefix)]

    def _levels(self, table: str) -> tuple[str, ...]:
        """Levels that have a value (or a group of values) directly under ``table``."""
        n = table.count(".") + 1
        children = (k.split(".")[n] for k in self._under(table + "."))
        return tuple(dict.fromkeys(c for c in children if c in LEVELS))

    def _number(self, key: str) -> float:
        value = self.value(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"`{key}`: expected a number; got {value!r}")
        return value

    def _tuple(self, key: str) -> tuple[Scalar, ...]:
        value = self.value(key)
        if not isinstance(value, tuple):
            raise ConfigError(f"`{key}`: expected a list; got {value!r}")
        return value

    def _group(self, table: str, cast: type[int] | type[float]) -> Mapping[str, Any]:
        n = table.count(".") + 1
        out = {
            k.split(".")[n]: cast(self._number(k))
            for k in self._under(table + ".")
            if k.count(".") == n
        }
        return MappingProxyType(out)


# --------------------------------------------------------------------------------------------
# Loading


def _is_table(item: Any) -> bool:
    """Whether ``item`` is a table of keys (a leaf written as ``{value = ...}`` is not)."""
    return isinstance(item, Mapping) and "value" not in item


def _split_dotted(overrides: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Turn dotted keys (``{"class_size.primary": 40}``) into nested tables, merged deeply."""
    out: dict[str, Any] = {}
    for key, item in overrides.items():
        parts = key.split(".") if isinstance(key, str) and key else [key]
        path = f"{prefix}.{key}" if prefix else str(key)
        nested: Any = _split_dotted(item, path) if _is_table(item) else item
        for part in reversed(parts[1:]):
            nested = {part: nested}
        _merge_into(out, parts[0], nested, f"{prefix}.{parts[0]}" if prefix else str(parts[0]))
    return out


def _merge_into(table: dict[str, Any], key: Any, item: Any, path: str) -> None:
    if key not in table:
        table[key] = item
    elif _is_table(table[key]) and _is_table(item):
        for sub_key, sub_item in item.items():
            _merge_into(table[key], sub_key, sub_item, f"{path}.{sub_key}")
    else:
        raise ConfigError(f"standards overrides: `{path}` is given twice")


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
    ConfigError
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
    xuewei.errors.ConfigError: standards overrides: `class_size.primary`: got -5; expected > 0 ...
    """
    schema = _packaged()
    problems: list[str] = []
    if path is None:
        values = dict(schema.defaults)
        name = "data/standards.toml"
    else:
        raw, name = _read_toml(Path(path))
        leaves, _groups, problems = _flatten_file(raw, name)
        for key in leaves.keys() - schema.defaults.keys():
            problems.append(f"{name}, `{key}`: unknown key; {_suggest(key, schema)}")
        for key in schema.defaults.keys() - leaves.keys():
            problems.append(f"{name}, `{key}`: missing; the standards need it")
        values = {}
        for key, entry in leaves.items():
            if key not in schema.defaults:
                continue
            kind = _kind(schema.defaults[key].value)
            value = _coerce(kind, entry.value)
            if value is None:
                problems.append(
                    f"{name}, `{key}`: got {_show(entry.value)}; expected {_KIND_TEXT[kind]}"
                )
                continue
            values[key] = StandardValue(key, value, entry.source, entry.unit, entry.basis)
        if problems:
            raise ConfigError(_message(problems))
        values = {k: values[k] for k in schema.defaults}  # packaged order

    if overrides:
        if not isinstance(overrides, Mapping):
            raise ConfigError(
                f"standards overrides: got {type(overrides).__name__}; expected a table"
            )
        default_before = values[_DEFAULT]
        _apply_overrides(values, _split_dotted(overrides), schema, override_source, problems)
        if values[_DEFAULT] is default_before:
            _follow_scenarios(values)
        where = "standards overrides"
    else:
        where = name
    for entry in values.values():
        _check_range(entry, problems)
    if not problems:
        problems = _cross_checks(values)
    if problems:
        raise ConfigError(_message([f"{where}: {p}" for p in problems]))
    return Standards(MappingProxyType(values))


_DEFAULT = "places_per_1000.default_scenario"


def _follow_scenarios(values: dict[str, StandardValue]) -> None:
    """Move an untouched default scenario to the middle of overridden scenarios.

    Overriding ``scenarios = [80, 90]`` alone should not fail because the packaged default
    (85) is not among them; the middle scenario (the higher of the two middle ones: more
    places rather than too few) becomes the default, and its source says so.
    """
    scenarios = values["places_per_1000.scenarios"].value
    default = values[_DEFAULT].value
    if not isinstance(scenarios, tuple) or not scenarios or not isinstance(default, float):
        return
    if any(isinstance(s, int | float) and math.isclose(default, s) for s in scenarios):
        return
    numbers = sorted(float(s) for s in scenarios if isinstance(s, int | float))
    if len(numbers) != len(scenarios):
        return
    middle = numbers[len(numbers) // 2]
    values[_DEFAULT] = StandardValue(
        _DEFAULT,
        middle,
        f"derived: the middle of the overridden places_per_1000.scenarios {_show(scenarios)} "
        f"(the higher middle one for an even count); the default {default:g} is not among them",
        values[_DEFAULT].unit,
        "derived",
    )


def _message(problems: list[str]) -> str:
    if len(problems) == 1:
        return problems[0]
    return f"{len(problems)} problems in the standards:\n" + "\n".join(f"  - {p}" for p in problems)
