"""The planning standards: values as cited, sources for every value, overrides, validation."""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from xuewei.data.standards import Standards, StandardValue, load_standards
from xuewei.errors import ConfigError
from xuewei.vocabulary import LEVELS


@pytest.fixture(scope="module")
def std() -> Standards:
    return load_standards()


def _raw() -> dict[str, Any]:
    text = files("xuewei.data").joinpath("standards.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _leaves(table: dict[str, Any], prefix: str = "") -> list[tuple[str, dict[str, Any]]]:
    out = []
    for key, item in table.items():
        path = f"{prefix}.{key}" if prefix else key
        assert isinstance(item, dict), f"{path} is a bare value without a source"
        if "value" in item:
            out.append((path, item))
        else:
            out.extend(_leaves(item, path))
    return out


# ---- values match the cited documents


def test_per_thousand_scenarios_are_changsha_80_to_90(std: Standards) -> None:
    assert std.scenarios == (80.0, 85.0, 90.0)
    assert std.default_scenario == 85.0
    assert std.default_scenario in std.scenarios
    assert std.value("places_per_1000.previous_value") == 80.0
    assert "§三(一)1" in std.source("places_per_1000.scenarios")
    assert "seed 002" in std.source("places_per_1000.scenarios")


def test_level_share_is_grades_ratio(std: Standards) -> None:
    share = std.level_share
    assert set(share) == {"primary", "junior"}
    assert sum(share.values()) == pytest.approx(1.0)
    assert share["primary"] == pytest.approx(std.grades["primary"] / std.grades["nine_year"])
    assert share["primary"] / share["junior"] == pytest.approx(2.0)
    assert std.entry("places_per_1000.level_share.primary").basis == "derived"


def test_class_sizes(std: Standards) -> None:
    assert std.class_size("primary") == 45
    assert std.class_size("junior") == 50
    assert dict(std.nine_year_class_size) == {"primary": 45, "junior": 50}
    assert std.value("class_size.incomplete_primary") == 30
    assert std.class_size("primary", rural=True) == 40
    assert std.class_size("junior", rural=True) == 45
    for key in ("class_size.primary", "class_size.junior"):
        assert "GB 50099-2011 §3.0.1" in std.source(key)
        assert "seed 003" in std.source(key) and "seed 004" in std.source(key)


def test_class_size_nine_year_asks_for_parts(std: Standards) -> None:
    with pytest.raises(ConfigError, match="nine_year_class_size"):
        std.class_size("nine_year")


def test_class_size_bands(std: Standards) -> None:
    assert dict(std.class_size_bands) == {"normal": 36, "large": 46, "big": 56, "super": 66}
    assert [std.class_size_band(n) for n in (35, 36, 45, 46, 55, 56, 65, 66, 80)] == [
        "small",
        "normal",
        "normal",
        "large",
        "large",
        "big",
        "big",
        "super",
        "super",
    ]


def test_school_size_caps(std: Standards) -> None:
    assert std.school_size_cap("primary") == 2000
    assert std.school_size_cap("junior") == 2000
    assert std.school_size_cap("nine_year") == 2500
    assert "§二(三)2" in std.source("school_size_cap.nine_year")
    assert "§二(二)5" in std.source("school_size_cap.primary")


def test_grades_and_standard_classes(std: Standards) -> None:
    assert dict(std.grades) == {"primary": 6, "junior": 3, "nine_year": 9, "kindergarten": 3}
    assert std.standard_classes("primary") == (12, 18, 24, 30)
    assert std.standard_classes("junior") == (12, 18, 24, 30)
    assert std.standard_classes("nine_year") == (18, 27, 36, 45)
    assert std.standard_classes("primary", rural=True) == (6, 12, 18, 24)
    assert std.standard_classes("junior", rural=True) == (12, 18, 24)


def test_service_radius_and_walking(std: Standards) -> None:
    assert std.service_radius_m("primary") == 500.0
    assert std.service_radius_m("junior") == 1000.0
    assert std.service_radius_m("nine_year") == 1000.0
    assert std.service_radius_m("kindergarten") == 300.0
    assert std.walk_speed_m_per_min == 60.0
    # between the speeds implied by the primary (50 m/min) and junior (≈ 67 m/min) standards
    implied = [std.service_radius_m(lv) / std.walk_min(lv) for lv in ("primary", "junior")]
    assert min(implied) <= std.walk_speed_m_per_min <= max(implied)
    assert std.entry("access.walk_speed_m_per_min").basis == "xuewei_default"
    assert "GB 50180-2018" in std.source("access.radius_m.kindergarten")


def test_kindergarten_special_education_funding(std: Standards) -> None:
    assert std.kindergarten_min_residents == 3000
    assert "seed 004" in std.source("kindergarten.min_estate_residents")
    assert std.value("kindergarten.public_share_min") == 0.6
    assert std.value("kindergarten.affordable_share_min") == 0.9
    assert std.special_education_min_residents == 200_000
    assert "§二(四)12" in std.source("special_education.min_county_residents")
    assert std.value("special_education.resource_room_min_pupils") == 5
    assert std.funding_per_pupil_yuan("primary") == 720.0
    assert std.funding_per_pupil_yuan("junior") == 940.0
    assert "§二(五)14" in std.source("funding.per_pupil_yuan.primary")
    with pytest.raises(ConfigError, match="per part"):
        std.funding_per_pupil_yuan("nine_year")


def test_consolidation_rules(std: Standards) -> None:
    assert std.build_before_close is True
    assert "先建后撤" in std.source("consolidation.build_before_close")
    for key in ("small_school_max_pupils", "small_school_max_utilisation"):
        entry = std.entry(f"consolidation.{key}")
        assert entry.basis == "xuewei_default"
        assert "xuewei default" in entry.source and "adjust locally" in entry.source


def test_staffing_is_marked_as_outside_shared(std: Standards) -> None:
    assert std.pupils_per_staff("primary") == 19.0
    assert std.pupils_per_staff("junior") == 13.5
    assert "中央编办发〔2014〕72号" in std.source("staffing.pupils_per_staff.primary")
    assert "verify" in std.source("staffing.pupils_per_staff.primary")


def test_household_size_matches_census_data(std: Standards) -> None:
    csv = Path(__file__).resolve().parents[3] / "shared/data/changsha/districts_census.csv"
    assert std.value("forecast.household_size.tianxin_2020") == 2.44
    assert std.value("forecast.household_size.ningxiang_2020") == 2.52
    # derived default: household-weighted mean of the two districts
    expected = (265255 * 2.44 + 468178 * 2.52) / (265255 + 468178)
    assert std.value("forecast.household_size.default") == pytest.approx(expected, abs=0.005)
    if csv.exists():  # the shared folder sits beside the repository on developer machines
        text = csv.read_text(encoding="utf-8")
        assert "天心区,2020,836157,127247,119594,265255,2.44" in text
        assert "宁乡市,2020,1263332,215188,266045,468178,2.52" in text


def test_land_per_place_interpolates(std: Standards) -> None:
    assert std.land_per_place_m2("primary", 15) == 25.0
    assert std.land_per_place_m2("primary", 30) == 18.0
    assert std.land_per_place_m2("primary", 40) == 18.0
    assert std.land_per_place_m2("junior", 22.5) == pytest.approx(20.5)


def test_reference_per_thousand(std: Standards) -> None:
    ref = std.reference_per_thousand
    assert dict(ref["guangzhou_2022"]) == {"primary": 80.0, "junior": 40.0, "senior_high": 25.0}
    assert set(ref) >= {"wuhan_2013_central", "wuhan_2013_new", "china_2008", "hunan_2008"}


# ---- every value has a source


def test_every_leaf_in_the_toml_has_a_source() -> None:
    leaves = _leaves(_raw())
    assert len(leaves) > 100
    for path, item in leaves:
        assert isinstance(item.get("source"), str) and item["source"].strip(), path
        assert set(item) <= {"value", "source", "unit", "basis"}, path
        assert item.get("basis", "cited") in {"cited", "derived", "xuewei_default"}, path
        if item.get("basis") == "derived":
            assert "derived" in item["source"], path
        if item.get("basis") == "xuewei_default":
            assert "xuewei default" in item["source"], path


def test_every_value_reaches_the_standards_object(std: Standards) -> None:
    keys = [path for path, _ in _leaves(_raw())]
    assert list(std.keys()) == keys
    for key in keys:
        assert std.source(key)
    rows = std.rows()
    assert len(rows) == len(keys)
    assert all(isinstance(src, str) and src for _, _, src in rows)


_SECTION = re.compile(r"§([一二三四五六七八九十]+)\(([一二三四五六七八九十]+)\)(\d*)|seed (\d{3})")


def _section_found(text: str, h1: str, h2: str, item: str) -> bool:
    """Whether heading h1, then (h2) under it, then item ``N.`` under that, occur in order."""
    top = re.search(rf"(?<![一二三四五六七八九十]){h1}(?:、|\s)", text)
    if top is None:
        return False
    sub = text.find(f"({h2})", top.end())
    if sub < 0:
        return False
    if not item:
        return True
    nxt = re.compile(r"\([一二三四五六七八九十]+\)").search(text, sub + 3)
    block = text[sub : nxt.start() if nxt else len(text)]
    return re.search(rf"(?<!\d){item}\s?\.", block) is not None


def test_seed_sections_cited_exist_in_the_seeds() -> None:
    """Every "§X(Y)N … seed NNN" citation points at a real heading of that seed document."""
    seeds = Path(__file__).resolve().parents[3] / "shared" / "seeds"
    if not seeds.exists():
        pytest.skip("shared/seeds is not beside the repository")
    texts = {f.name[:3]: f.read_text(encoding="utf-8") for f in seeds.glob("00*.txt")}
    checked = 0
    for path, item in _leaves(_raw()):
        for fragment in item["source"].split(";"):
            found = _SECTION.findall(fragment)
            seed_ids = [m[3] for m in found if m[3]]
            sections = [m[:3] for m in found if m[0]]
            if len(seed_ids) != 1:
                continue
            for h1, h2, number in sections:
                assert _section_found(texts[seed_ids[0]], h1, h2, number), (path, fragment)
                checked += 1
    assert checked > 40


def test_seed_values_appear_in_the_seeds() -> None:
    seeds = Path(__file__).resolve().parents[3] / "shared" / "seeds"
    if not seeds.exists():
        pytest.skip("shared/seeds is not beside the repository")
    text = {f.name[:3]: f.read_text(encoding="utf-8") for f in seeds.glob("00*.txt")}
    assert "由80人/千人调整到80" in text["002"]
    assert "班额控制在45人以下" in text["003"] and "班额控制在50人以下" in text["003"]
    assert "2000人以下" in text["003"] and "2500人" in text["003"]
    assert "小學45人、初中50人" in text["004"] and "2000人以上大校額" in text["004"]
    assert "先建后撤" in text["003"]
    assert "3000人以上規模的城鎮小區" in text["004"]
    assert "20万人口以上" in text["000"]
    assert "720元" in text["000"] and "940元" in text["000"]


# ---- overrides


def test_nested_override_merges_deeply() -> None:
    s = load_standards({"class_size": {"primary": 40}}, override_source="plan test.toml")
    assert s.class_size("primary") == 40
    assert s.class_size("junior") == 50  # untouched sibling
    assert dict(s.nine_year_class_size) == {"primary": 45, "junior": 50}  # untouched group
    entry = s.entry("class_size.primary")
    assert entry.basis == "override"
    assert entry.source.startswith("plan test.toml (default 45: GB 50099-2011")
    assert entry.unit == "pupils per class"


def test_scenario_override() -> None:
    s = load_standards({"places_per_1000": {"scenarios": [80, 90], "default_scenario": 90}})
    assert s.scenarios == (80.0, 90.0)
    assert all(isinstance(x, float) for x in s.scenarios)
    assert s.default_scenario == 90.0
    assert s.level_share["primary"] == pytest.approx(2 / 3)  # untouched


@pytest.mark.parametrize(
    ("scenarios", "default"),
    [([80, 90], 90.0), ([90, 80], 90.0), ([70, 80, 95], 80.0), ([100], 100.0), ([85, 95], 85.0)],
)
def test_scenarios_alone_move_the_default_to_the_middle(
    scenarios: list[int], default: float
) -> None:
    s = load_standards({"places_per_1000.scenarios": scenarios})
    assert s.default_scenario == default
    assert s.default_scenario in s.scenarios
    if default != 85.0:
        assert s.entry("places_per_1000.default_scenario").basis == "derived"
        assert "middle of the overridden" in s.source("places_per_1000.default_scenario")


def test_dotted_keys_and_source_tables() -> None:
    s = load_standards(
        {
            "class_size.rural": {"primary": 38},
            "class_size": {"rural": {"junior": 42}},
            "access.radius_m.primary": {"value": 800, "source": "县 plan 2025 §4", "unit": "m"},
        }
    )
    assert s.class_size("primary", rural=True) == 38
    assert s.class_size("junior", rural=True) == 42
    assert s.service_radius_m("primary") == 800.0
    assert s.entry("access.radius_m.primary") == StandardValue(
        "access.radius_m.primary", 800.0, "县 plan 2025 §4", "m", "cited"
    )


def test_to_dict_round_trips() -> None:
    s = load_standards({"class_size.primary": 40})
    assert load_standards(s.to_dict()).to_dict() == s.to_dict()
    assert s.to_dict()["places_per_1000"]["scenarios"] == [80.0, 85.0, 90.0]


def test_no_override_is_the_packaged_file() -> None:
    assert load_standards(None) == load_standards({}) == load_standards()


def test_standards_are_immutable(std: Standards) -> None:
    with pytest.raises(TypeError):
        std.entries["class_size.primary"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        std.grades["primary"] = 5  # type: ignore[index]


# ---- bad overrides name the key, the value and what is expected


@pytest.mark.parametrize(
    ("override", "match"),
    [
        ({"class_size": {"primery": 40}}, r"`class_size\.primery`: unknown key; did you mean"),
        ({"nonsense": 1}, r"`nonsense`: unknown key"),
        ({"class_size": {"primary": -5}}, r"`class_size\.primary`: got -5; expected > 0"),
        ({"class_size.junior": 0}, r"`class_size\.junior`: got 0; expected > 0"),
        ({"class_size": {"primary": 45.5}}, r"`class_size\.primary`: got 45\.5 .*whole number"),
        ({"class_size": {"primary": "45"}}, r"`class_size\.primary`: got '45' .*whole number"),
        ({"class_size": {"nine_year": 45}}, r"`class_size\.nine_year`: got 45, .*group"),
        (
            {"places_per_1000": {"scenarios": [0, 90], "default_scenario": 90}},
            r"`places_per_1000\.scenarios`: got \[0, 90\]; expected every value in \(0, 200\]",
        ),
        (
            {"places_per_1000": {"scenarios": [-80.0], "default_scenario": -80.0}},
            r"`places_per_1000\.scenarios`: got \[-80\]",
        ),
        ({"places_per_1000.scenarios": "85"}, r"`places_per_1000\.scenarios`: got '85'"),
        (
            {"places_per_1000": {"scenarios": [80, 90], "default_scenario": 85}},
            r"`places_per_1000\.default_scenario`: got 85, which is not one of",
        ),
        (
            {"places_per_1000": {"scenarios": [80, 80], "default_scenario": 80}},
            r"`places_per_1000\.scenarios`: got \[80, 80\]; expected distinct",
        ),
        (
            {"places_per_1000": {"level_share": {"primary": 0.6}}},
            r"`places_per_1000\.level_share`: primary 0\.6 \+ junior 0\.333333 = 0\.933333; "
            r"expected the shares to sum to 1",
        ),
        ({"kindergarten.public_share_min": 60}, r"`kindergarten\.public_share_min`: got 60"),
        ({"consolidation.build_before_close": 1}, r"`consolidation\.build_before_close`: got 1"),
        ({"class_size_bands": {"big": 40}}, r"`class_size_bands`: .*normal < large < big"),
        ({"standard_classes.primary": [24, 12]}, r"`standard_classes\.primary`: got \[24, 12\]"),
        ({"standard_classes.primary": []}, r"`standard_classes\.primary`: got an empty list"),
        ({"grades.primary": 5}, r"`grades\.nine_year`: got 9; expected"),
        (
            {"living_circle.ten_min.residents_min": 30000},
            r"`living_circle\.ten_min\.residents_min` = 30000 is above",
        ),
        (
            {"class_size": {"primary": {"value": 40, "sorce": "x"}}},
            r"`class_size\.primary`: got .*expected a value, or a table with `value`",
        ),
        (
            {"class_size.primary": 40, "class_size": {"primary": 41}},
            r"`class_size\.primary` is given twice",
        ),
        ({"access.radius_m.primary": float("nan")}, r"`access\.radius_m\.primary`: got nan"),
    ],
)
def test_bad_override_raises_naming_the_key(override: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_standards(override)


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ConfigError, match="3 problems") as info:
        load_standards({"class_size.primary": -1, "school_size_cap.junior": 0, "foo": 1})
    text = str(info.value)
    for key in ("class_size.primary", "school_size_cap.junior", "foo"):
        assert f"`{key}`" in text


def test_config_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown key"):
        load_standards({"foo": 1})


def test_unknown_level_raises(std: Standards) -> None:
    with pytest.raises(ConfigError, match="'high_school' is not one of"):
        std.school_size_cap("high_school")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="not defined for level 'kindergarten'"):
        std.class_size("kindergarten", rural=True)
    assert set(LEVELS) == {"primary", "junior", "nine_year", "kindergarten"}


def test_unknown_key_path_in_accessors(std: Standards) -> None:
    with pytest.raises(ConfigError, match="is a group"):
        std.source("class_size")
    with pytest.raises(ConfigError, match="unknown standard"):
        std.value("class_size.primery")


# ---- a complete standards file of one's own


def test_path_replaces_the_packaged_file(tmp_path: Path) -> None:
    text = files("xuewei.data").joinpath("standards.toml").read_text(encoding="utf-8")
    own = tmp_path / "province.toml"
    own.write_text(
        text.replace(
            'primary = { value = 45, unit = "pupils per class", source = "GB 50099-2011 §3.0.1 (c',
            'primary = { value = 42, unit = "pupils per class", source = "Province rule (c',
        ),
        encoding="utf-8",
    )
    s = load_standards(path=own)
    assert s.class_size("primary") == 42
    assert s.source("class_size.primary").startswith("Province rule")
    assert load_standards({"class_size.primary": 44}, path=own).class_size("primary") == 44


def test_path_file_must_be_complete_and_cited(tmp_path: Path) -> None:
    own = tmp_path / "bad.toml"
    own.write_text("[class_size]\nprimary = 45\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_standards(path=own)
    text = str(info.value)
    assert "`class_size.primary`: got a bare value 45 without a source" in text
    assert "`class_size.junior`: missing" in text


def test_path_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_standards(path=tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[class_size\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_standards(path=broken)
