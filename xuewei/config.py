"""Plan files: one city or county, its inputs and its overrides of the standards.

A plan is a TOML file. It is parsed once into a validated, frozen :class:`Plan` that the
pipeline takes explicitly; paths in it are relative to the plan file. Example::

    [plan]
    name = "长沙市"
    name_en = "Changsha"
    horizon = 2035            # last forecast year
    # base_year = 2024        # default: the latest year in the population table
    # crs = "EPSG:4547"       # default: CGCS2000 3-degree Gauss-Krüger zone of the centroid
    # interval = 0.8          # prediction-interval coverage of the forecasts
    # data_note = "Schools and estates are SYNTHETIC"   # shown on the map and in the report
    # boundary_tolerance_m = 1.0   # points this close outside a district go to the nearest

    [inputs]
    districts = "districts.geojson"
    population = "population.csv"
    schools = { path = "schools.csv", coords = "gcj02" }   # Amap coordinates
    estates = { path = "estates.xlsx", sheet = "小区" }

    # neighbour_schools = "neighbours.parquet"  # schools over the border within reach

    [standards]                # any key of data/standards.toml
    places_per_1000.scenarios = [80, 90]

    [catchments]
    method = "capacitated"     # or "nearest"
    levels = ["primary", "junior"]
    settlement = "density"     # rural radius where estates say so, else by density
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from xuewei.data.standards import Standards, load_standards
from xuewei.errors import ConfigError, StandardsError
from xuewei.vocabulary import (
    CATCHMENT_LEVELS,
    COORDINATE_SYSTEMS,
    PLAN_CATCHMENT_METHODS,
    SETTLEMENT_RULES,
    CatchmentMethod,
    CoordinateSystem,
    SettlementRule,
)

__all__ = ["INPUT_NAMES", "CatchmentSpec", "InputSpec", "Plan", "load_plan"]

#: The inputs a plan may name; ``districts`` and ``population`` are required.
INPUT_NAMES: tuple[str, ...] = (
    "districts",
    "population",
    "schools",
    "estates",
    "population_raster",
    "candidate_sites",
    "roads",
    "neighbour_schools",
    "targets",
)
_REQUIRED_INPUTS = ("districts", "population")
_INPUT_KEYS = {"path", "coords", "layer", "sheet", "lon", "lat"}
_PLAN_KEYS = {
    "name",
    "name_en",
    "base_year",
    "horizon",
    "crs",
    "interval",
    "data_note",
    "boundary_tolerance_m",
}
_CATCHMENT_KEYS = {"method", "levels", "detour_factor", "settlement"}


@dataclass(frozen=True)
class InputSpec:
    """Where one input lives and how to read it.

    Attributes
    ----------
    path
        Absolute path of the file.
    coords
        Coordinate system of its longitudes/latitudes: ``wgs84``, ``cgcs2000``, ``gcj02``
        (Amap, Tencent) or ``bd09`` (Baidu).
    layer, sheet
        Layer of a multi-layer vector file; sheet of a workbook.
    lon, lat
        Names of the coordinate columns of a table (default: detected).
    """

    path: Path
    coords: CoordinateSystem = "wgs84"
    layer: str | None = None
    sheet: str | None = None
    lon: str | None = None
    lat: str | None = None


@dataclass(frozen=True)
class CatchmentSpec:
    """How residents are assigned to schools (the ``[catchments]`` table).

    Attributes
    ----------
    method
        ``capacitated`` (default: minimise walking distance within the schools' places;
        residents who cannot be placed within the service radius are unserved) or
        ``nearest`` (every resident to the nearest school within the radius, ignoring
        places).
    levels
        The levels assessed (default primary and junior; kindergarten needs
        ``places_per_1000.kindergarten`` in ``[standards]``).
    detour_factor
        Walking distance ÷ straight-line distance (≥ 1).
    settlement
        Who gets the rural service radius: ``density`` (default: the estates'
        ``settlement`` column where given, else the Degree of Urbanisation density rule,
        :mod:`xuewei.gis.settlement`), ``column`` (the column, else urban) or ``urban``
        (everyone urban: the urban radius everywhere).
    """

    method: CatchmentMethod = "capacitated"
    levels: tuple[str, ...] = ("primary", "junior")
    detour_factor: float = 1.0
    settlement: SettlementRule = "density"


@dataclass(frozen=True)
class Plan:
    """A validated plan file.

    Attributes
    ----------
    name, name_en
        The plan's name in Chinese and English.
    horizon
        The last year forecast.
    base_year
        The last year of observed population; ``None`` means the latest year in the data.
    crs
        The projected CRS for all geometry work; ``None`` means the CGCS2000 3-degree
        Gauss–Krüger zone of the districts' centroid.
    interval
        Coverage of prediction intervals (0.8 gives the 10th–90th percentile band).
    data_note
        A note shown on the map and in the report, e.g. which layers are synthetic.
    boundary_tolerance_m
        A school, estate or candidate site without ``district_id`` that lies outside every
        district by at most this many metres goes to the nearest one (counted in a warning);
        default 1 m (surveying tolerance), raise it to snap points drawn a little outside.
    inputs
        The inputs, by name (see :data:`INPUT_NAMES`).
    standards
        The standards in force: ``data/standards.toml`` with the plan's ``[standards]``
        overrides, validated once when the plan is loaded. Every stage of
        :func:`xuewei.pipeline.run_plan` is handed this one value.
    catchments
        How residents are assigned to schools (see :class:`CatchmentSpec`).
    source
        The plan file, for error messages.
    """

    name: str
    horizon: int
    inputs: Mapping[str, InputSpec]
    name_en: str = ""
    base_year: int | None = None
    crs: str | None = None
    interval: float = 0.8
    data_note: str | None = None
    boundary_tolerance_m: float = 1.0
    standards: Standards = field(default_factory=load_standards)
    catchments: CatchmentSpec = field(default_factory=CatchmentSpec)
    source: Path | None = None


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file.

    Every problem in the file — its own keys and its ``[standards]`` overrides (unknown
    keys with a did-you-mean, wrong types, impossible values such as a class size ≤ 0 or
    places per 1,000 outside (0, 200], level shares not summing to 1) — is reported at
    once in one :class:`~xuewei.errors.ConfigError` naming the file and the key.

    Parameters
    ----------
    path
        The plan's TOML file. Input paths in it are relative to its folder.

    Returns
    -------
    Plan

    Examples
    --------
    >>> from xuewei.data import CHANGSHA_DIR
    >>> plan = load_plan(CHANGSHA_DIR / "plan.toml")
    >>> plan.name_en, plan.horizon, sorted(plan.inputs)[:2]
    ('Changsha', 2035, ['candidate_sites', 'districts'])
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"plan file {path} does not exist")
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc
    return _parse_plan(raw, base_dir=path.parent.resolve(), source=path)


def _parse_plan(raw: Mapping[str, Any], *, base_dir: Path, source: Path) -> Plan:
    problems: list[str] = []
    where = source.name

    unknown = set(raw) - {"plan", "inputs", "standards", "catchments"}
    if unknown:
        problems.append(
            f"unknown section(s) {sorted(unknown)}; expected [plan], [inputs], [standards], "
            "[catchments]"
        )

    meta = _parse_meta(raw.get("plan", {}), problems)

    inputs_raw = raw.get("inputs", {})
    if not isinstance(inputs_raw, Mapping):
        problems.append("[inputs] must be a table")
        inputs_raw = {}
    inputs: dict[str, InputSpec] = {}
    for key, value in inputs_raw.items():
        if key not in INPUT_NAMES:
            problems.append(f"inputs.{key}: unknown input; expected one of {list(INPUT_NAMES)}")
            continue
        spec = _parse_input(key, value, base_dir=base_dir, problems=problems)
        if spec is not None:
            inputs[key] = spec
    for key in _REQUIRED_INPUTS:
        if key not in inputs_raw:
            problems.append(f"inputs.{key}: required input is missing")

    standards = _parse_standards(raw.get("standards", {}), where, problems)

    catchments = _parse_catchments(raw.get("catchments", {}), problems)

    if problems:
        raise ConfigError(
            f"{where}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems)
        )
    return Plan(
        **meta,
        inputs=inputs,
        standards=standards,
        catchments=catchments,
        source=source,
    )


def _parse_meta(meta: Any, problems: list[str]) -> dict[str, Any]:
    """Read the ``[plan]`` table: name, horizon, base year, CRS, interval, data note."""
    if not isinstance(meta, Mapping):
        problems.append("[plan] must be a table")
        meta = {}
    for key in sorted(set(meta) - _PLAN_KEYS):
        problems.append(f"plan.{key}: unknown key; expected one of {sorted(_PLAN_KEYS)}")

    name = meta.get("name")
    if not isinstance(name, str) or not name.strip():
        problems.append("plan.name: required, a non-empty string")
        name = ""
    name_en = meta.get("name_en", "")
    if not isinstance(name_en, str):
        problems.append(f"plan.name_en: got {name_en!r}; expected a string")
        name_en = ""
    horizon = meta.get("horizon")
    if not isinstance(horizon, int) or isinstance(horizon, bool) or not 1900 < horizon <= 2100:
        # 2100: the last year any input may carry (years are read within 1900–2100)
        problems.append(f"plan.horizon: got {horizon!r}; expected a year up to 2100, such as 2035")
        horizon = 0
    base_year = meta.get("base_year")
    if base_year is not None and (
        not isinstance(base_year, int) or isinstance(base_year, bool) or base_year >= horizon
    ):
        problems.append(f"plan.base_year: got {base_year!r}; expected a year before the horizon")
        base_year = None
    crs = meta.get("crs")
    if crs is not None and not isinstance(crs, str):
        problems.append(f"plan.crs: got {crs!r}; expected a string such as 'EPSG:4547'")
        crs = None
    interval = meta.get("interval", 0.8)
    if not isinstance(interval, int | float) or isinstance(interval, bool) or not 0 < interval < 1:
        problems.append(f"plan.interval: got {interval!r}; expected a coverage in (0, 1), e.g. 0.8")
        interval = 0.8
    data_note = meta.get("data_note")
    if data_note is not None and not isinstance(data_note, str):
        problems.append(f"plan.data_note: got {data_note!r}; expected a string")
        data_note = None

    tolerance = meta.get("boundary_tolerance_m", 1.0)
    if not isinstance(tolerance, int | float) or isinstance(tolerance, bool) or tolerance < 0:
        problems.append(
            f"plan.boundary_tolerance_m: got {tolerance!r}; expected metres ≥ 0, e.g. 1"
        )
        tolerance = 1.0
    return {
        "boundary_tolerance_m": float(tolerance),
        "name": name,
        "name_en": name_en,
        "horizon": horizon,
        "base_year": base_year,
        "crs": crs,
        "interval": float(interval),
        "data_note": data_note,
    }


def _parse_standards(raw: Any, where: str, problems: list[str]) -> Standards:
    """Return the packaged standards with the plan's overrides; problems join the plan's."""
    if not isinstance(raw, Mapping):
        problems.append("[standards] must be a table")
        return load_standards()
    try:
        return load_standards(raw, override_source=f"plan {where} [standards]")
    except StandardsError as exc:
        prefix = "standards overrides: "
        problems.extend(f"[standards] {p.removeprefix(prefix)}" for p in exc.problems)
        return load_standards()


def _parse_catchments(raw: Any, problems: list[str]) -> CatchmentSpec:
    if not isinstance(raw, Mapping):
        problems.append("[catchments] must be a table")
        return CatchmentSpec()
    for key in sorted(set(raw) - _CATCHMENT_KEYS):
        problems.append(f"catchments.{key}: unknown key; expected one of {sorted(_CATCHMENT_KEYS)}")
    method = raw.get("method", "capacitated")
    if method not in PLAN_CATCHMENT_METHODS:
        problems.append(
            f"catchments.method: got {method!r}; expected one of {list(PLAN_CATCHMENT_METHODS)}"
        )
        method = "capacitated"
    levels = raw.get("levels", ["primary", "junior"])
    if (
        not isinstance(levels, list)
        or not levels
        or any(lv not in CATCHMENT_LEVELS for lv in levels)
    ):
        problems.append(
            f"catchments.levels: got {levels!r}; expected a list of {list(CATCHMENT_LEVELS)}"
        )
        levels = ["primary", "junior"]
    detour = raw.get("detour_factor", 1.0)
    if not isinstance(detour, int | float) or isinstance(detour, bool) or detour < 1:
        problems.append(f"catchments.detour_factor: got {detour!r}; expected a number ≥ 1")
        detour = 1.0
    settlement = raw.get("settlement", "density")
    if settlement not in SETTLEMENT_RULES:
        problems.append(
            f"catchments.settlement: got {settlement!r}; expected one of {list(SETTLEMENT_RULES)}"
        )
        settlement = "density"
    return CatchmentSpec(
        method=cast(CatchmentMethod, method),
        levels=tuple(dict.fromkeys(levels)),
        detour_factor=float(detour),
        settlement=cast(SettlementRule, settlement),
    )


def _parse_input(key: str, value: Any, *, base_dir: Path, problems: list[str]) -> InputSpec | None:
    if isinstance(value, str):
        value = {"path": value}
    if not isinstance(value, Mapping):
        problems.append(f"inputs.{key}: got {value!r}; expected a path or a table with `path`")
        return None
    for extra in sorted(set(value) - _INPUT_KEYS):
        problems.append(f"inputs.{key}.{extra}: unknown key; expected one of {sorted(_INPUT_KEYS)}")
    raw_path = value.get("path")
    if not isinstance(raw_path, str) or not raw_path:
        problems.append(f"inputs.{key}.path: required, the file's path")
        return None
    path = Path(raw_path)
    if not path.is_absolute():
        path = base_dir / path
    if not path.exists():
        problems.append(f"inputs.{key}.path: {path} does not exist")
    coords = value.get("coords", "wgs84")
    if coords not in COORDINATE_SYSTEMS:
        problems.append(
            f"inputs.{key}.coords: got {coords!r}; expected one of {list(COORDINATE_SYSTEMS)}"
        )
        coords = "wgs84"
    strings = {}
    for opt in ("layer", "sheet", "lon", "lat"):
        opt_value = value.get(opt)
        if opt_value is not None and not isinstance(opt_value, str):
            problems.append(f"inputs.{key}.{opt}: got {opt_value!r}; expected a string")
            opt_value = None
        strings[opt] = opt_value
    return InputSpec(path=path, coords=cast(CoordinateSystem, coords), **strings)
