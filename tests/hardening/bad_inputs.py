"""The bad-input matrix: every kind of bad input, what is done to a good plan to make it,
and what xuewei answers (exit code and the words the one error or warning must hold).

The cases edit a copy of the small synthetic plan (districts.gpkg, population.csv,
schools.csv, estates.csv, sites.csv, population.tif, plan.toml) and run the command line
on it. ``tests/hardening/test_bad_inputs.py`` runs them; ``docs/bad-inputs.md`` shows them
as a table, generated from this module (``python tests/hardening/bad_inputs.py``
rewrites it) and checked against it by the tests.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely

Outcome = Literal["error", "usage", "ok", "warning"]
Edit = Callable[[Path], Callable[[], None] | None]  # may return its undoing

#: Exit code of each outcome.
EXIT = {"error": 1, "usage": 2, "ok": 0, "warning": 0}


@dataclass(frozen=True)
class Case:
    """One row of the matrix.

    Attributes
    ----------
    kind
        What is wrong, in words.
    input
        Which input (or ``CLI``).
    how
        What the edit does to the good plan, in words (the matrix's "input" column).
    edit
        The edit, on the plan folder.
    outcome
        ``error`` (exit 1: one error listing the problems), ``usage`` (exit 2), ``ok``
        (exit 0) or ``warning`` (exit 0, with a warning counting what was fixed).
    expect
        Words the output must hold (file, row, column, value, what was expected).
    command
        ``validate`` (reads and checks every input), ``plan`` (runs the plan end to end)
        or another argument list; ``{plan}`` and ``{out}`` are replaced.
    """

    kind: str
    input: str
    how: str
    edit: Edit
    outcome: Outcome
    expect: tuple[str, ...] = ()
    command: Sequence[str] = ("validate", "{plan}")
    reject: tuple[str, ...] = field(default=())


# ----------------------------------------------------------------------------- edits


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / name, dtype=str, keep_default_na=False)


def _save(frame: pd.DataFrame, folder: Path, name: str) -> None:
    frame.to_csv(folder / name, index=False)


def cell(name: str, row: int, column: str, value: str) -> Edit:
    """Set one cell (1-based data row) of a CSV input."""

    def edit(folder: Path) -> None:
        frame = _csv(folder, name)
        frame.loc[row - 1, column] = value
        _save(frame, folder, name)

    return edit


def column(name: str, old: str, new: str | None) -> Edit:
    """Rename (or with ``new=None`` drop) a column of a CSV input."""

    def edit(folder: Path) -> None:
        frame = _csv(folder, name)
        frame = frame.drop(columns=old) if new is None else frame.rename(columns={old: new})
        _save(frame, folder, name)

    return edit


def rows(name: str, keep: Callable[[pd.DataFrame], pd.Series]) -> Edit:
    """Keep the rows of a CSV input where ``keep`` is true."""

    def edit(folder: Path) -> None:
        frame = _csv(folder, name)
        _save(frame[keep(frame)], folder, name)

    return edit


def text(name: str, content: str | bytes) -> Edit:
    """Replace a file's content."""

    def edit(folder: Path) -> None:
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)

    return edit


def encoded(name: str, encoding: str, *, crlf: bool = False, extra: str = "") -> Edit:
    """Re-save a CSV input in another encoding (and CRLF line ends)."""

    def edit(folder: Path) -> None:
        content = (folder / name).read_text(encoding="utf-8")
        if extra:
            first, rest = content.split("\n", 1)
            content = first + "\n" + rest.replace("合成", extra, 1)
        if crlf:
            content = content.replace("\n", "\r\n")
        (folder / name).write_bytes(content.encode(encoding))

    return edit


def plan_text(old: str, new: str) -> Edit:
    """Replace text in plan.toml."""

    def edit(folder: Path) -> None:
        plan = folder / "plan.toml"
        content = plan.read_text(encoding="utf-8")
        assert old in content, old
        plan.write_text(content.replace(old, new), encoding="utf-8")

    return edit


def plan_append(extra: str) -> Edit:
    """Append tables to plan.toml (its last table is [inputs])."""

    def edit(folder: Path) -> None:
        plan = folder / "plan.toml"
        plan.write_text(plan.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")

    return edit


def districts(change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame | None]) -> Edit:
    """Rewrite districts.gpkg with ``change`` applied to its layer."""

    def edit(folder: Path) -> None:
        path = folder / "districts.gpkg"
        frame = gpd.read_file(path)
        out = change(frame)
        frame = frame if out is None else out
        path.unlink()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "crs was not provided": on purpose
            frame.to_file(path, layer="districts", driver="GPKG")

    return edit


def _geom(i: int, geom: shapely.Geometry) -> Callable[[gpd.GeoDataFrame], None]:
    def change(frame: gpd.GeoDataFrame) -> None:
        frame.loc[i - 1, "geometry"] = geom

    return change


def _bowtie(frame: gpd.GeoDataFrame) -> None:
    x0, y0, x1, y1 = frame.geometry.iloc[0].bounds
    frame.loc[0, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])


def _multipart(frame: gpd.GeoDataFrame) -> None:
    poly = frame.geometry.iloc[0]
    x0, _, x1, _ = poly.bounds
    cut = shapely.box((x0 + x1) / 2 - 1e-4, -90, (x0 + x1) / 2 + 1e-4, 90)
    frame.loc[0, "geometry"] = poly.difference(cut)


def _swap(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    swapped = shapely.transform(frame.geometry.to_numpy(), lambda xy: xy[:, ::-1])
    return frame.set_geometry(gpd.GeoSeries(swapped, index=frame.index, crs=frame.crs))


def raster(change: Callable[[np.ndarray, dict], tuple[np.ndarray, dict]]) -> Edit:
    """Rewrite population.tif with ``change`` applied to its values and profile."""

    def edit(folder: Path) -> None:
        path = folder / "population.tif"
        with rasterio.open(path) as src:
            values, profile = src.read(1), dict(src.profile)
        values, profile = change(values.astype("float64"), profile)
        profile.update(dtype="float64", count=values.shape[0] if values.ndim == 3 else 1)
        path.unlink()
        with rasterio.open(path, "w", **profile) as dst:
            if values.ndim == 3:
                dst.write(values)
            else:
                dst.write(values, 1)

    return edit


def _nodata(values: np.ndarray, profile: dict) -> tuple[np.ndarray, dict]:
    values = values.copy()
    values[0, :3] = -9999.0
    profile["nodata"] = -9999.0
    return values, profile


def _set(values_fn: Callable[[np.ndarray], np.ndarray], **profile_changes) -> Callable:
    def change(values: np.ndarray, profile: dict) -> tuple[np.ndarray, dict]:
        profile = {**profile, **profile_changes}
        return values_fn(values.copy()), profile

    return change


def _first_cell(value: float) -> Callable[[np.ndarray], np.ndarray]:
    def fn(values: np.ndarray) -> np.ndarray:
        values[values.shape[0] // 2, values.shape[1] // 2] = value
        return values

    return fn


def both(*edits: Edit) -> Edit:
    def edit(folder: Path) -> None:
        for e in edits:
            e(folder)

    return edit


def mounted(sub: str, options: str) -> Edit:
    """Make ``sub`` a small tmpfs mounted with ``options`` (``ro``; ``size=64k``: soon full).

    Needs root (a CI container's user); elsewhere a read-only folder is a folder without
    write permission, and the full disk is skipped.
    """

    def edit(folder: Path) -> Callable[[], None]:
        out = folder / sub
        out.mkdir()
        if os.geteuid() != 0 and options.startswith("ro"):
            out.chmod(0o555)
            return lambda: out.chmod(0o755)
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(out)], capture_output=True
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        return lambda: subprocess.run(["umount", str(out)], check=True)

    return edit


def copy_elsewhere(folder: Path) -> None:
    """Move districts.gpkg out of the plan folder, to ../shared/."""
    shared = folder.parent / "shared"
    shared.mkdir(exist_ok=True)
    shutil.move(folder / "districts.gpkg", shared / "districts.gpkg")


def _shifted(name: str, datum: Literal["gcj02", "bd09"], *, outside: bool) -> Edit:
    """Give a point input's coordinates in ``datum`` while the plan still declares WGS84.

    With ``outside``, one point (row 1) is first moved to just inside the city's edge, where
    the datum's shift of a few hundred metres carries it out of every district.
    """
    from xuewei.gis.coords import wgs84_to_bd09, wgs84_to_gcj02

    forward = wgs84_to_gcj02 if datum == "gcj02" else wgs84_to_bd09

    def edit(folder: Path) -> None:
        frame = _csv(folder, name)
        lon = frame["lon"].astype(float).to_numpy().copy()
        lat = frame["lat"].astype(float).to_numpy().copy()
        if outside:
            city = gpd.read_file(folder / "districts.gpkg").geometry.union_all()
            sx, sy = forward(lon[0], lat[0])
            d = np.array([float(sx) - lon[0], float(sy) - lat[0]])
            for b in shapely.get_coordinates(city.boundary):
                p = b - 0.3 * d
                if city.contains(shapely.Point(p)) and not city.intersects(shapely.Point(p + d)):
                    lon[0], lat[0] = p
                    break
            else:  # pragma: no cover - the synthetic city always has such an edge
                raise AssertionError("no edge point found")
        x, y = forward(lon, lat)
        frame["lon"] = [f"{v:.6f}" for v in x]
        frame["lat"] = [f"{v:.6f}" for v in y]
        _save(frame, folder, name)

    return edit


def _no_schools_in(district: str) -> Edit:
    return rows("schools.csv", lambda f: f["district_id"] != district)


def _zero_population(district: str) -> Edit:
    """No one lives in ``district`` (the city total less its residents, so they still add up)."""

    def edit(folder: Path) -> None:
        frame = _csv(folder, "population.csv")
        gone = frame["district_id"] == district
        city = frame["district_id"] == "990100"
        for col in ("population", "births"):
            values = frame[col].replace("", "0").astype(float)
            lost = values[gone].to_numpy()
            years = frame.loc[gone, "year"].to_numpy()
            for year, n in zip(years, lost, strict=True):
                at = city & (frame["year"] == year)
                frame.loc[at, col] = f"{float(frame.loc[at, col].iloc[0]) - n:g}"
            frame.loc[gone, col] = "0"
        _save(frame, folder, "population.csv")

    return edit


def _empty_rows(folder: Path) -> None:
    content = (folder / "schools.csv").read_text(encoding="utf-8").splitlines()
    content[3:3] = [",,,,,,,,,,,,", ""]
    (folder / "schools.csv").write_text("\n".join(content) + "\n", encoding="utf-8")


def _header_only(name: str) -> Edit:
    def edit(folder: Path) -> None:
        first = (folder / name).read_text(encoding="utf-8").splitlines()[0]
        (folder / name).write_text(first + "\n", encoding="utf-8")

    return edit


def _names(value: str) -> Edit:
    def edit(folder: Path) -> None:
        for name in ("schools.csv", "estates.csv"):
            frame = _csv(folder, name)
            frame.loc[0, "name"] = value
            frame.loc[0, "name_en"] = value
            _save(frame, folder, name)
        districts(lambda f: f.assign(name=[value + str(i) for i in range(len(f))]))(folder)

    return edit


def _no_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_crs(None, allow_override=True)


def _wrong_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_crs(4547, allow_override=True)


def _points(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.set_geometry(frame.geometry.representative_point())


def _no_features(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.iloc[:0]


def _site_is_school(folder: Path) -> None:
    school = _csv(folder, "schools.csv").loc[0, "school_id"]
    cell("sites.csv", 1, "site_id", school)(folder)


def _out_is_file(folder: Path) -> None:
    (folder / "out").write_text("not a folder")


def _previous_outputs(folder: Path) -> None:
    (folder / "out").mkdir()
    (folder / "out" / "report.xlsx").write_text("earlier")


def _targets(rows: str) -> Edit:
    """Give the plan a target-year table (``targets.csv``) of these CSV rows."""

    def edit(folder: Path) -> None:
        (folder / "targets.csv").write_text("district_id,target_year\n" + rows, encoding="utf-8")
        plan_append('targets = "targets.csv"')(folder)

    return edit


def _targets_by_name_gbk(folder: Path) -> None:
    """Target years keyed by the districts' Chinese names, saved as GBK."""
    names = gpd.read_file(folder / "districts.gpkg")["name"].astype(str)
    body = "name,target_year\n" + "".join(f"{n},{2028 + i}\n" for i, n in enumerate(names))
    (folder / "targets.csv").write_bytes(body.encode("gbk"))
    plan_append('targets = "targets.csv"')(folder)


def _neighbours(change: Callable[[pd.DataFrame], pd.DataFrame]) -> Edit:
    """Give the plan neighbouring schools: its first three schools moved 20 km east,
    renamed, then ``change``d (``neighbours.csv``)."""

    def edit(folder: Path) -> None:
        frame = _csv(folder, "schools.csv").head(3).copy()
        frame["school_id"] = [f"N{i}" for i in range(1, 4)]
        frame["lon"] = (frame["lon"].astype(float) + 0.2).round(6).astype(str)
        if "district_id" in frame:
            frame["district_id"] = ""
        _save(change(frame), folder, "neighbours.csv")
        plan_append('neighbour_schools = "neighbours.csv"')(folder)

    return edit


def _set_cell(row: int, column: str, value: str) -> Callable[[pd.DataFrame], pd.DataFrame]:
    def change(frame: pd.DataFrame) -> pd.DataFrame:
        frame.loc[frame.index[row - 1], column] = value
        return frame

    return change


def _school_id_of_the_plan(folder: Path) -> None:
    school = _csv(folder, "schools.csv").loc[0, "school_id"]
    _neighbours(_set_cell(2, "school_id", school))(folder)


def _current_zones(change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame | None]) -> Edit:
    """Write today's zones (``current.gpkg``): each district a zone of one of its primary
    schools, then ``change``d."""

    def edit(folder: Path) -> None:
        zones = gpd.read_file(folder / "districts.gpkg")[["district_id", "geometry"]]
        schools = _csv(folder, "schools.csv")
        primary = schools[schools["level"] == "primary"].drop_duplicates("district_id")
        zones["school_id"] = (
            zones["district_id"]
            .astype(str)
            .map(dict(zip(primary["district_id"].astype(str), primary["school_id"], strict=True)))
        )
        out = change(zones)
        zones = zones if out is None else out
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "crs was not provided": on purpose
            zones.to_file(folder / "current.gpkg", layer="zones", driver="GPKG")

    return edit


def _zone_of(school: str, row: int = 2) -> Callable[[gpd.GeoDataFrame], None]:
    def change(frame: gpd.GeoDataFrame) -> None:
        frame.loc[frame.index[row - 1], "school_id"] = school

    return change


_PLAN = ("plan", "{plan}", "--out", "{out}")
_OOC = "outside China"
_ZONES = ("zones", "{plan}", "--out", "{out}", "--current", "{dir}/current.gpkg")

CASES: tuple[Case, ...] = (
    # ------------------------------------------------------------------ districts
    Case("missing required column", "districts", "column `name` dropped",
         districts(lambda f: f.drop(columns="name")), "error",
         ("districts.gpkg", "column `name`", "required column `name` is missing")),
    Case("misspelled column", "districts", "`district_id` spelled `distirct_id`",
         districts(lambda f: f.rename(columns={"district_id": "distirct_id"})), "error",
         ("districts.gpkg", "did you mean `distirct_id`")),
    Case("duplicate ids", "districts", "feature 2 given feature 1's id",
         districts(lambda f: f.assign(district_id=[f.district_id[0], *f.district_id[:-1]])),
         "error", ("districts.gpkg row 2, column `district_id`", "duplicate district_id")),
    Case("self-intersecting polygon", "districts", "feature 1 drawn as a bow-tie",
         districts(_bowtie), "error",
         ("districts.gpkg row 1, column `geometry`", "invalid geometry (Self-intersection")),
    Case("empty geometry", "districts", "feature 3 has an empty polygon",
         districts(_geom(3, shapely.Polygon())), "error",
         ("districts.gpkg row 3, column `geometry`", "geometry is missing")),
    Case("multi-part geometry", "districts", "feature 1 cut into two parts (a multipolygon)",
         districts(_multipart), "ok", ("all inputs valid",)),
    Case("wrong geometry type", "districts", "points instead of polygons",
         districts(_points), "error",
         ("districts.gpkg row 1, column `geometry`", "got a point; expected a polygon")),
    Case("missing CRS", "districts", "the layer's CRS removed",
         districts(_no_crs), "error",
         ("districts.gpkg has no coordinate reference system", "Set Layer CRS")),
    Case("wrong CRS", "districts", "longitude/latitude labelled EPSG:4547 (metres)",
         districts(_wrong_crs), "error",
         ("districts.gpkg row 1, column `geometry`", _OOC, "CRS is probably wrong")),
    Case("lon/lat swapped", "districts", "every vertex's x and y swapped",
         districts(_swap), "error",
         ("districts.gpkg row 1, column `geometry`", "look swapped")),
    Case("empty file", "districts", "0 bytes", text("districts.gpkg", b""), "error",
         ("districts.gpkg", "cannot open as GeoPackage")),
    Case("no features", "districts", "a layer with the columns and no feature",
         districts(_no_features), "error", ("districts.gpkg", "no features", "no district")),
    # ------------------------------------------------------------------ population
    Case("missing required column", "population", "column `population` dropped",
         column("population.csv", "population", None), "error",
         ("population.csv", "required column `population` is missing")),
    Case("misspelled column", "population", "`year` spelled `Year `",
         column("population.csv", "year", "Year "), "error",
         ("population.csv", "did you mean `Year`")),
    Case("extra column", "population", "a column `remarks` added",
         lambda f: _save(_csv(f, "population.csv").assign(remarks="备注"), f, "population.csv"),
         "ok", ("all inputs valid",)),
    Case("wrong type", "population", "row 1 population `many`",
         cell("population.csv", 1, "population", "many"), "error",
         ("population.csv row 1, column `population`", "got 'many'", "must be a number")),
    Case("number with unit", "population", "row 2 population `23989人`",
         cell("population.csv", 2, "population", "23989人"), "error",
         ("population.csv row 2, column `population`", "got '23989人'", "write 23989, not")),
    Case("negative population", "population", "row 3 population -5",
         cell("population.csv", 3, "population", "-5"), "error",
         ("population.csv row 3, column `population`", "got -5", "must be ≥ 0")),
    Case("NaN population", "population", "row 4 population `NaN`",
         cell("population.csv", 4, "population", "NaN"), "error",
         ("population.csv row 4, column `population`", "value is missing")),
    Case("1e15 population", "population", "row 5 population 1e15",
         cell("population.csv", 5, "population", "1e15"), "error",
         ("population.csv row 5, column `population`", "got 1e15")),
    Case("empty file", "population", "0 bytes", text("population.csv", b""), "error",
         ("population.csv", "the file is empty")),
    Case("header-only file", "population", "the header row alone",
         _header_only("population.csv"), "error", ("population.csv", "no data rows")),
    Case("GBK encoding", "population", "saved as GBK (Chinese Excel)",
         encoded("population.csv", "gbk"), "ok", ("all inputs valid",)),
    Case("GB18030 encoding", "population", "saved as GB18030 with a name outside GBK (𠀀)",
         encoded("population.csv", "gb18030", extra="𠀀"), "ok", ("all inputs valid",)),
    Case("UTF-8 with BOM and CRLF", "population", "saved as UTF-8-BOM with CRLF line ends",
         encoded("population.csv", "utf-8-sig", crlf=True), "ok", ("all inputs valid",)),
    Case("duplicate ids", "population", "row 2 repeats row 1's district and year",
         cell("population.csv", 2, "year", "2000"), "error",
         ("population.csv row 2, column `district_id/year`", "duplicate district_id/year")),
    Case("years out of order", "population", "rows shuffled",
         lambda f: _save(_csv(f, "population.csv").sample(frac=1, random_state=1), f,
                         "population.csv"), "ok", ("all inputs valid",)),
    Case("years missing", "population", "2005–2015 removed for district 990102",
         rows("population.csv", lambda f: ~((f["district_id"] == "990102")
                                            & f["year"].astype(int).between(2005, 2015))),
         "ok", ("all inputs valid",)),
    Case("year out of range", "population", "row 6 year 1800",
         cell("population.csv", 6, "year", "1800"), "error",
         ("population.csv row 6, column `year`", "got '1800'", "four-digit year")),
    Case("unknown district", "population", "row 7 district_id 999999",
         cell("population.csv", 7, "district_id", "999999"), "error",
         ("population.csv row 7, column `district_id`", "'999999' is neither a district")),
    Case("zero-population district", "population", "district 990104 at 0 every year",
         _zero_population("990104"), "ok", ("wrote",), _PLAN),
    # ------------------------------------------------------------------ schools
    Case("missing required column", "schools", "column `level` dropped",
         column("schools.csv", "level", None), "error",
         ("schools.csv", "required column `level` is missing")),
    Case("misspelled column", "schools", "`school_id` spelled `School ID`",
         column("schools.csv", "school_id", "School ID"), "error",
         ("schools.csv", "did you mean `School ID`")),
    Case("unknown level (English)", "schools", "row 2 level `college`",
         cell("schools.csv", 2, "level", "college"), "error",
         ("schools.csv row 2, column `level`", "got 'college'", "primary (小学)")),
    Case("unknown level (Chinese)", "schools", "row 3 level 中学 (junior or senior?)",
         cell("schools.csv", 3, "level", "中学"), "error",
         ("schools.csv row 3, column `level`", "got '中学'", "Here:")),
    Case("negative capacity", "schools", "row 4 capacity -40",
         cell("schools.csv", 4, "capacity", "-40"), "error",
         ("schools.csv row 4, column `capacity`", "got -40", "must be ≥ 0")),
    Case("NaN capacity", "schools", "row 5 capacity `NaN` (missing: classes used)",
         cell("schools.csv", 5, "capacity", "NaN"), "ok", ("all inputs valid",)),
    Case("1e15 capacity", "schools", "row 6 capacity 1e15",
         cell("schools.csv", 6, "capacity", "1e15"), "error",
         ("schools.csv row 6, column `capacity`", "got 1e15")),
    Case("fractional count", "schools", "row 7 classes 12.5",
         cell("schools.csv", 7, "classes", "12.5"), "error",
         ("schools.csv row 7, column `classes`", "got 12.5", "whole number")),
    Case("duplicate ids", "schools", "row 2 given row 1's school_id",
         lambda f: cell("schools.csv", 2, "school_id", _csv(f, "schools.csv").school_id[0])(f),
         "error", ("schools.csv row 2, column `school_id`", "duplicate school_id")),
    Case("lon/lat swapped", "schools", "row 8 longitude and latitude swapped",
         lambda f: both(cell("schools.csv", 8, "lon", _csv(f, "schools.csv").lat[7]),
                        cell("schools.csv", 8, "lat", _csv(f, "schools.csv").lon[7]))(f),
         "error", ("schools.csv row 8, column `lon`", "look swapped", "swap `lon` and `lat`")),
    Case("missing coordinate", "schools", "row 9 longitude empty",
         cell("schools.csv", 9, "lon", ""), "error",
         ("schools.csv row 9, column `lon`", "coordinate is missing")),
    Case("no coordinate columns", "schools", "`lon`/`lat` named `x`/`y`",
         both(column("schools.csv", "lon", "x"), column("schools.csv", "lat", "y")), "error",
         ("schools.csv", "column `lon`", "no longitude column")),
    Case("point outside every district", "schools", "row 10 at 114.5, 28.5",
         both(cell("schools.csv", 10, "lon", "114.5"), cell("schools.csv", 10, "lat", "28.5"),
              cell("schools.csv", 10, "district_id", "")), "error",
         ("schools.csv row 10, column `district_id`", "lies outside every district")),
    Case("district id not in the plan", "schools", "row 11 district_id 430102",
         cell("schools.csv", 11, "district_id", "430102"), "error",
         ("schools.csv row 11, column `district_id`", "'430102' is not a district")),
    Case("closing before opening", "schools", "row 12 opened 2023, closing 2020",
         both(cell("schools.csv", 12, "opened", "2023"),
              cell("schools.csv", 12, "closing", "2020")),
         "error", ("schools.csv row 12, column `closing`", "got closing 2020 before opened 2023")),
    Case("GCJ-02 undeclared", "schools", "all points in Amap's GCJ-02, declared WGS84, all "
         "still inside the districts", _shifted("schools.csv", "gcj02", outside=False), "ok",
         ("all inputs valid",)),
    Case("GCJ-02 undeclared, detectable", "schools", "as above, row 1 near the city's edge "
         "so that the shift takes it out of every district",
         both(_shifted("schools.csv", "gcj02", outside=True),
              cell("schools.csv", 1, "district_id", "")), "error",
         ("schools.csv row 1, column `district_id`", "lies outside every district",
          "coords = \"gcj02\"")),
    Case("BD-09 undeclared, detectable", "schools", "Baidu BD-09 points, row 1 near the edge",
         both(_shifted("schools.csv", "bd09", outside=True),
              cell("schools.csv", 1, "district_id", "")), "error",
         ("schools.csv row 1, column `district_id`", "coords = \"bd09\"")),
    Case("Chinese datum outside China", "schools", "coords = gcj02, row 13 at 2.35, 48.85",
         both(plan_text('schools = "schools.csv"',
                        'schools = { path = "schools.csv", coords = "gcj02" }'),
              cell("schools.csv", 13, "lon", "2.35"), cell("schools.csv", 13, "lat", "48.85")),
         "error", ("schools.csv row 13, column `lon`", _OOC, "declared gcj02")),
    Case("empty rows", "schools", "an empty row and a blank line after row 2",
         _empty_rows, "warning", ("schools.csv: 2 empty rows skipped (rows 3, 4)",)),
    Case("header-only file", "schools", "the header row alone",
         _header_only("schools.csv"), "error", ("schools.csv", "no data rows")),
    Case("district with no schools", "schools", "every school of district 990104 removed",
         _no_schools_in("990104"), "ok", ("wrote",), _PLAN),
    Case("Unicode and emoji names", "schools, estates, districts",
         "names `=🏫 学校 Ω\"<b>&` (a formula sign, emoji, quotes, markup)",
         _names('=🏫 学校 Ω"<b>&'), "ok", ("wrote",), _PLAN),
    # ------------------------------------------------------------------ estates
    Case("no residents or dwellings", "estates", "columns `residents` and `dwellings` dropped",
         both(column("estates.csv", "residents", None), column("estates.csv", "dwellings", None)),
         "error", ("estates.csv", "column `residents`", "needs a `residents` or a `dwellings`")),
    Case("negative residents", "estates", "row 2 residents -1",
         cell("estates.csv", 2, "residents", "-1"), "error",
         ("estates.csv row 2, column `residents`", "got -1")),
    Case("duplicate ids", "estates", "row 3 given row 1's estate_id",
         lambda f: cell("estates.csv", 3, "estate_id", _csv(f, "estates.csv").estate_id[0])(f),
         "error", ("estates.csv row 3, column `estate_id`", "duplicate estate_id")),
    Case("unknown settlement", "estates", "a `settlement` column with `suburb` in row 1",
         lambda f: _save(_csv(f, "estates.csv").assign(settlement=["suburb"] + [""] * (
             len(_csv(f, "estates.csv")) - 1)), f, "estates.csv"), "error",
         ("estates.csv row 1, column `settlement`", "'suburb' is neither urban nor rural")),
    Case("housing pipeline past 2100", "estates (housing pipeline)", "row 4 completion_year 2300",
         cell("estates.csv", 4, "completion_year", "2300"), "error",
         ("estates.csv row 4, column `completion_year`", "got '2300'")),
    Case("housing pipeline in the future", "estates (housing pipeline)",
         "row 5 completed in 2030 (after the base year)",
         cell("estates.csv", 5, "completion_year", "2030"), "ok", ("all inputs valid",)),
    # ------------------------------------------------------------------ raster
    Case("raster in another CRS", "population_raster", "the grid labelled EPSG:3857",
         raster(_set(lambda v: v, crs="EPSG:3857")), "error",
         ("population.tif", "EPSG:3857", "gdalwarp")),
    Case("raster without CRS", "population_raster", "the CRS removed",
         raster(_set(lambda v: v, crs=None)), "error",
         ("population.tif has no coordinate reference system",)),
    Case("raster with nodata", "population_raster", "three cells set to the nodata value",
         raster(_nodata), "warning", ("population.tif: 3 nodata cells counted as 0 residents",),
         _PLAN),
    Case("raster negative values", "population_raster", "one cell -5",
         raster(_set(_first_cell(-5.0))), "error", ("population.tif", "negative residents")),
    Case("raster 1e15 values", "population_raster", "one cell 1e15",
         raster(_set(_first_cell(1e15))), "error", ("population.tif", "1e+15")),
    Case("raster empty file", "population_raster", "0 bytes", text("population.tif", b""),
         "error", ("population.tif", "cannot read as GeoTIFF")),
    # ------------------------------------------------------------------ candidate sites
    Case("duplicate ids", "candidate_sites", "row 2 given row 1's site_id",
         lambda f: cell("sites.csv", 2, "site_id", _csv(f, "sites.csv").site_id[0])(f), "error",
         ("sites.csv row 2, column `site_id`", "duplicate site_id")),
    Case("negative area", "candidate_sites", "row 3 area_m2 -100",
         cell("sites.csv", 3, "area_m2", "-100"), "error",
         ("sites.csv row 3, column `area_m2`", "got -100")),
    Case("site outside every district", "candidate_sites", "row 4 at 114.5, 28.5",
         both(cell("sites.csv", 4, "lon", "114.5"), cell("sites.csv", 4, "lat", "28.5"),
              cell("sites.csv", 4, "district_id", "")), "error",
         ("sites.csv row 4, column `district_id`", "lies outside every district")),
    Case("ids shared across files", "candidate_sites", "site 1 given the id of school 1",
         _site_is_school, "error",
         ("sites.csv row 1, column `site_id`", "is also a school_id in schools.csv")),
    # ------------------------------------------------------------------ target years
    Case("unknown district", "targets", "row 2 district_id 999999",
         _targets("990101,2028\n999999,2030\n"), "error",
         ("targets.csv row 2, column `district_id`", "not a district of the plan")),
    Case("not a year", "targets", "row 1 target_year `20x0`",
         _targets("990101,20x0\n"), "error",
         ("targets.csv row 1, column `target_year`", "expected a whole year")),
    Case("duplicate district", "targets", "row 2 repeats row 1's district",
         _targets("990101,2028\n990101,2030\n"), "error",
         ("targets.csv row 2, column `district_id`", "duplicate")),
    Case("by Chinese name, GBK", "targets", "districts named in Chinese, saved as GBK",
         _targets_by_name_gbk, "ok", ("all inputs valid",)),
    # ------------------------------------------------------------------ neighbouring schools
    Case("ids shared across files", "neighbour_schools", "row 2 given the id of school 1",
         _school_id_of_the_plan, "error",
         ("neighbours.csv row 2, column `school_id`", "is also a school_id in schools.csv")),
    Case("missing coordinate", "neighbour_schools", "row 1 longitude empty",
         _neighbours(_set_cell(1, "lon", "")), "error",
         ("neighbours.csv row 1, column `lon`", "coordinate is missing")),
    Case("negative capacity", "neighbour_schools", "row 3 capacity -40",
         _neighbours(_set_cell(3, "capacity", "-40")), "error",
         ("neighbours.csv row 3, column `capacity`", "got -40")),
    Case("schools over the border", "neighbour_schools", "three schools 20 km east of the city",
         _neighbours(lambda frame: frame), "ok", ("wrote",), _PLAN),
    # ------------------------------------------------------------------ current zones
    Case("school not in the plan", "zones --current", "zone 2 given school_id X999",
         _current_zones(_zone_of("X999")), "error",
         ("current.gpkg row 2, column `school_id`", "got 'X999': not a school of the plan"),
         _ZONES),
    Case("no school column", "zones --current", "column `school_id` dropped",
         _current_zones(lambda z: z.drop(columns="school_id")), "error",
         ("current.gpkg", "column `school_id`"), _ZONES),
    Case("missing CRS", "zones --current", "the layer's CRS removed",
         _current_zones(lambda z: z.set_crs(None, allow_override=True)), "error",
         ("current.gpkg: has no coordinate system",), _ZONES),
    Case("points instead of zones", "zones --current", "zone 1 a point",
         _current_zones(lambda z: z.assign(geometry=[z.geometry.iloc[0].centroid,
                                                     *z.geometry.iloc[1:]])), "error",
         ("current.gpkg row 1, column `geometry`", "expected a polygon"), _ZONES),
    Case("file missing", "zones --current", "`--current nowhere.gpkg`", lambda f: None,
         "usage", ("--current", "does not exist"),
         ("zones", "{plan}", "--out", "{out}", "--current", "{dir}/nowhere.gpkg")),
    # ------------------------------------------------------------------ plan file
    Case("not TOML", "plan", "a line `horizon 2035` without `=`",
         plan_text("horizon = 2035", "horizon 2035"), "error", ("not valid TOML",)),
    Case("unknown section", "plan", "a table `[catchment]` (for `[catchments]`)",
         plan_append("[catchment]\nmethod = 'nearest'"), "error", ("unknown section(s)",)),
    Case("misspelled key", "plan", "`horizn = 2035` in [plan]",
         plan_text("horizon = 2035", "horizn = 2035"), "error",
         ("plan.horizn: unknown key", "plan.horizon: got None")),
    Case("horizon before the base year", "plan", "horizon 2020, population to 2024",
         plan_text("horizon = 2035", "horizon = 2020"), "error",
         ("population.csv, column `year`", "latest population year is 2024",
          "not before the plan horizon 2020")),
    Case("horizon past 2100", "plan", "horizon 2150",
         plan_text("horizon = 2035", "horizon = 2150"), "error",
         ("plan.horizon: got 2150", "2100")),
    Case("horizon of the wrong type", "plan", "horizon = \"2035\" (a string)",
         plan_text("horizon = 2035", 'horizon = "2035"'), "error", ("plan.horizon: got '2035'",)),
    Case("impossible standard", "plan [standards]", "class_size.primary = -5",
         plan_append("[standards]\nclass_size.primary = -5"), "error",
         ("[standards] `class_size.primary`: got -5; expected > 0",)),
    Case("unknown standard", "plan [standards]", "`class_sise.primary = 45`",
         plan_append("[standards]\nclass_sise.primary = 45"), "error",
         ("class_sise", "did you mean")),
    Case("standard of the wrong type", "plan [standards]", "places_per_1000.scenarios = \"85\"",
         plan_append('[standards]\nplaces_per_1000.scenarios = "85"'), "error",
         ("places_per_1000.scenarios",)),
    Case("standard out of range", "plan [standards]", "places_per_1000.scenarios = [500]",
         plan_append("[standards]\nplaces_per_1000.scenarios = [500]"), "error",
         ("places_per_1000.scenarios", "500")),
    Case("input file missing", "plan", "districts = \"nowhere.gpkg\"",
         plan_text('"districts.gpkg"', '"nowhere.gpkg"'), "error",
         ("inputs.districts.path", "nowhere.gpkg does not exist")),
    Case("unsupported input format", "plan", "population = \"population.txt\"",
         both(lambda f: shutil.copy(f / "population.csv", f / "population.txt"),
              plan_text('"population.csv"', '"population.txt"')), "error",
         ("population.txt", "unsupported file type '.txt'")),
    Case("unknown input", "plan", "`school = ...` (for `schools`)",
         plan_text('schools = "schools.csv"', 'school = "schools.csv"'), "error",
         ("inputs.school: unknown input",)),
    Case("unknown coordinate system", "plan", "schools' coords = \"wgs-84\"",
         plan_text('schools = "schools.csv"',
                   'schools = { path = "schools.csv", coords = "wgs-84" }'),
         "error", ("inputs.schools.coords: got 'wgs-84'",)),
    Case("path outside the plan folder", "plan", "districts = \"../shared/districts.gpkg\"",
         both(copy_elsewhere, plan_text('"districts.gpkg"', '"../shared/districts.gpkg"')),
         "ok", ("all inputs valid",)),
    Case("plan not UTF-8", "plan", "plan.toml saved as GBK",
         encoded("plan.toml", "gbk"),
         "error", ("not UTF-8 text",)),
    # ------------------------------------------------------------------ command line
    Case("plan file missing", "CLI", "`xuewei plan nowhere.toml`", lambda f: None, "usage",
         ("plan file", "nowhere.toml does not exist"), ("plan", "{dir}/nowhere.toml")),
    Case("plan file is a folder", "CLI", "`xuewei validate FOLDER`", lambda f: None, "usage",
         ("is a folder, not a file",), ("validate", "{dir}")),
    Case("output path is a file", "CLI", "`--out` names an existing file", _out_is_file,
         "usage", ("is a file; pass a folder",), _PLAN),
    Case("outputs exist", "CLI", "`--out` holds an earlier report.xlsx", _previous_outputs,
         "usage", ("already holds report.xlsx", "--overwrite"), _PLAN),
    Case("output folder read-only", "CLI", "`--out` a read-only folder (a read-only mount)",
         mounted("out", "ro,size=1m"), "usage", ("cannot write into", "Read-only file system"),
         _PLAN),
    Case("output on a full disk", "CLI", "`--out` on a file system of 64 kB",
         mounted("out", "size=64k"), "usage", ("cannot write", "No space left on device"),
         _PLAN),
    Case("unknown option", "CLI", "`--horizon 2040` to `xuewei plan`", lambda f: None, "usage",
         ("No such option",), ("plan", "{plan}", "--horizon", "2040")),
    Case("bad option value", "CLI", "`--tiles google`", lambda f: None, "usage",
         ("--tiles 'google'",), ("plan", "{plan}", "--out", "{out}", "--tiles", "google")),
    Case("option of the wrong type", "CLI", "`xuewei forecast --horizon soon`", lambda f: None,
         "usage", ("Invalid value for '--horizon'",),
         ("forecast", "{dir}/population.csv", "--horizon", "soon")),
    Case("not a saved result", "CLI", "`xuewei map population.csv`", lambda f: None, "usage",
         ("population.csv is not a saved plan",),
         ("map", "{dir}/population.csv", "--out", "{dir}/m.html")),
    Case("not a saved result (programme)", "CLI", "`xuewei programme population.csv`",
         lambda f: None,
         "usage", ("population.csv is not a saved plan",),
         ("programme", "{dir}/population.csv")),
)  # fmt: skip


# ----------------------------------------------------------------------------- the table

_WORDS = {
    "error": "one error (every problem listed)",
    "usage": "one error line (usage)",
    "ok": "correct result",
    "warning": "correct result, a warning counts what was fixed",
}
DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-inputs.md"
BEGIN, END = "<!-- matrix: generated from tests/hardening/bad_inputs.py -->", "<!-- /matrix -->"


def _code(text: str) -> str:
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def _command(case: Case) -> str:
    args = " ".join(a.replace("{plan}", "plan.toml").replace("{out}", "out") for a in case.command)
    return _code("xuewei " + args.replace("{dir}/", "").replace("{dir}", "FOLDER"))


def matrix_table() -> str:
    """Return the matrix as Markdown: the counts per outcome, then one row per case."""
    counts = {o: sum(c.outcome == o for c in CASES) for o in EXIT}
    lines = [
        f"{len(CASES)} kinds of bad input. Outcomes: "
        + ", ".join(f"**{o}** {n} (exit {EXIT[o]})" for o, n in counts.items())
        + ".",
        "",
        "| # | input | kind | the plan is given | command | behaviour | exit | the output says |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for i, c in enumerate(CASES, start=1):
        says = " … ".join(_code(e) for e in c.expect)
        lines.append(
            f"| {i} | {c.input} | {c.kind} | {c.how} | {_command(c)} | {_WORDS[c.outcome]} | "
            f"{EXIT[c.outcome]} | {says} |"
        )
    return "\n".join(lines)


def documented_table(doc: Path = DOC) -> str:
    """Return the matrix as ``docs/bad-inputs.md`` shows it."""
    text = doc.read_text(encoding="utf-8")
    return text[text.index(BEGIN) + len(BEGIN) : text.index(END)].strip()


if __name__ == "__main__":  # rewrite the table in docs/bad-inputs.md
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    DOC.write_text(f"{head}{BEGIN}\n{matrix_table()}\n{rest[rest.index(END) :]}", encoding="utf-8")
