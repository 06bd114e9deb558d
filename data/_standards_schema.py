"""Reading and checking the standards: the TOML schema, types, ranges and overrides.

The packaged ``data/standards.toml`` is also the schema: an override may only set keys that
exist there, with a value of the same type, within the range the standard allows (class and
school sizes > 0, places per 1,000 residents in (0, 200], shares in [0, 1] and summing to 1,
radii > 0, ...). :func:`resolve` collects every problem and raises them together in one
:class:`~xuewei.errors.StandardsError` naming the key, the value and what was expected, with
a did-you-mean for unknown keys. :mod:`xuewei.data.standards` builds the
:class:`~xuewei.data.standards.Standards` value on top of it.
"""

from __future__ import annotations

import difflib
import fnmatch
import itertools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeAlias, cast

from xuewei.errors import StandardsError

__all__ = ["PER_1000_MAX", "Basis", "StandardValue", "resolve"]

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
        raise StandardsError(f"standards file {p}: cannot be read ({exc})") from exc
    try:
        return tomllib.loads(text), str(p)
    except tomllib.TOMLDecodeError as exc:
        raise StandardsError(f"standards file {p}: not valid TOML ({exc})") from exc


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
        raise StandardsError(problems)
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
        return f"in {'(' if self.low_open else '['}{self.low:g}, {self.high:g}]"


_POSITIVE = _Range(0.0, low_open=True)
_FRACTION = _Range(0.0, high=1.0, what="a share as a fraction, e.g. 0.6 for 60%")
# Places (or pupils) per 1,000 residents: Chinese cities plan 30-120 per level; above 200
# is a typo (a per-10,000 or a percentage), not a standard.
#: Most places (or pupils) per 1,000 residents a standard or scenario may give.
PER_1000_MAX = 200.0
_PER_1000 = _Range(0.0, low_open=True, high=PER_1000_MAX, what="places per 1,000 residents")
# Ranges by key pattern, first match wins; every other number must be > 0.
_RANGES: tuple[tuple[str, _Range], ...] = (
    ("places_per_1000.level_share.*", _FRACTION),
    ("*share*", _FRACTION),
    ("places_per_1000.scenarios", _PER_1000),
    ("places_per_1000.default_scenario", _PER_1000),
    ("places_per_1000.kindergarten", _PER_1000),
    ("places_per_1000.reference.*", _PER_1000),
    ("consolidation.small_school_max_utilisation", _FRACTION),
    ("enrolment_targets.*", _Range(0.0, low_open=True, high=1.5, what="a rate, e.g. 0.95 for 95%")),
    ("forecast.pupil_yield_per_100_dwellings.*", _Range(0.0)),
    ("programme.lead_time_years.*", _Range(0.0, high=30.0, what="whole years")),
    ("balance.cv_max.*", _Range(0.0, low_open=True, high=2.0, what="a coefficient of variation")),
    ("balance.rules.rest_floor", _FRACTION),
    ("balance.minimum.*", _Range(0.0)),
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
        raise StandardsError(f"standards overrides: `{path}` is given twice")


def resolve(
    overrides: Mapping[str, Any] | None,
    path: str | Path | None,
    override_source: str,
) -> Mapping[str, StandardValue]:
    """Return every standard by key: the packaged file (or ``path``) with ``overrides``.

    Raises :class:`~xuewei.errors.StandardsError` listing every problem found.
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
            raise StandardsError(problems)
        values = {k: values[k] for k in schema.defaults}  # packaged order

    if overrides:
        if not isinstance(overrides, Mapping):
            raise StandardsError(
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
        raise StandardsError([f"{where}: {p}" for p in problems])
    return MappingProxyType(values)


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
    # only from scenarios in range: an out-of-range one is reported once, on the scenarios,
    # not a second time on a default the user never set
    numbers = [x for x in numbers if _PER_1000.ok(x)]
    if not numbers:
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
