"""Fixture writers shared by the reader tests: small files written into ``tmp_path``."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import shapely

SCHOOLS_CSV = """school_id,name,level,capacity,public,district_id,lon,lat
S001,Yuying Primary,primary,1800,true,430102,112.98,28.19
S002,Changjun Junior,junior,2400,1,430103,112.97,28.18
S003,Bright Kindergarten,kindergarten,270,0,430104,112.94,28.23
"""


SCHOOLS_GBK = """学校编号,名称,学段,学位数,公办,经度,纬度
S001,育英小学,小学,1800,公办,112.98,28.19
S002,长郡中学初中部,初级中学,2400,公办,112.97,28.18
S003,博才九年制,九年一贯制,3000,民办,112.92,28.21
S004,金色幼儿园,幼儿园,270,否,112.94,28.23
S005,岳麓中心小学,中心小学,1350,是,112.93,28.20
"""


def esc(text: str) -> str:
    return re.escape(text)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def gbk_schools(tmp_path: Path) -> Path:
    # the contract's column names with Chinese values, saved the way Chinese Excel does
    lines = SCHOOLS_GBK.splitlines()
    lines[0] = "school_id,name,level,capacity,public,经度,纬度"
    return write(tmp_path / "学校.csv", "\r\n".join(lines) + "\r\n", "gbk")


def district_frame(crs=4326) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "district_id": ["430102", "430103", "430104"],
            "name": ["芙蓉区", "天心区", "岳麓区"],
            "parent_id": ["430100"] * 3,
        },
        geometry=[
            shapely.box(112.98, 28.15, 113.10, 28.25),
            shapely.box(112.95, 28.05, 113.05, 28.15),
            shapely.box(112.70, 28.05, 112.95, 28.35),
        ],
        crs=4326,
    ).to_crs(crs)


def write_raster(path, data, *, crs="EPSG:4547", nodata=None):
    data = np.asarray(data)
    count = 1 if data.ndim == 2 else data.shape[0]
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[-2],
        width=data.shape[-1],
        count=count,
        dtype=data.dtype,
        crs=crs,
        nodata=nodata,
        transform=rasterio.Affine(100, 0, 500_000, 0, -100, 3_130_000),
    ) as dst:
        dst.write(data if data.ndim == 3 else data[np.newaxis])
    return path
