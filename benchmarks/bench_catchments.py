"""Catchments at Changsha scale, side by side with the peers in one run.

- nearest school of 1.2 M raster cells among ~1,500 schools: xuewei vs ``geopandas.sjoin_nearest``
- zonal sums of the raster over ~1,500 polygons: xuewei vs ``rasterstats`` and ``exactextract``
- 2SFCA of 10,000 estates × ~1,500 schools: xuewei vs PySAL ``access``
- capacitated assignment of 10,000 estates × ~1,500 schools (time, peak memory)

Inputs: ``synth_city(0, population=10_000_000, n_estates=10_000, cell_m=100)``.
Run: ``PYTHONSAFEPATH=1 .venv/bin/python benchmarks/run.py catchments``.
"""

from __future__ import annotations

import math
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from common import best_of, peak_memory_mb, table  # type: ignore[import-not-found]

from xuewei.data import synth_city
from xuewei.gis import (
    assign_catchments,
    nearest_within,
    pairs_within,
    point_xy,
    two_step_fca,
    zonal_sums,
)
from xuewei.planning import load_standards, school_places


def _ratio(peer: float, ours: float) -> str:
    return f"{peer / ours:,.1f}×" if ours > 0 else "—"


def _access_2sfca(
    residents: np.ndarray, places: np.ndarray, pairs: Any, radius: float
) -> pd.Series:
    """2SFCA by PySAL ``access``, given the demand–school pairs within the radius."""
    import access

    cost = pd.DataFrame({"origin": pairs.origin, "dest": pairs.dest, "cost": pairs.distance_m})
    demand = pd.DataFrame({"residents": residents}).rename_axis("geoid")
    supply = pd.DataFrame({"places": places}).rename_axis("geoid")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = access.Access(
            demand_df=demand,
            demand_value="residents",
            supply_df=supply,
            supply_value="places",
            cost_df=cost,
            cost_origin="origin",
            cost_dest="dest",
            cost_name="cost",
        )
        return a.two_stage_fca(max_cost=radius).iloc[:, 0]


def main() -> str:
    t0 = time.perf_counter()
    city = synth_city(0, population=10_000_000, n_estates=10_000, cell_m=100)
    t_synth = time.perf_counter() - t0
    crs = city.crs
    std = load_standards()
    schools = school_places(city.schools.to_crs(crs), std)
    estates = city.estates.to_crs(crs)
    districts = city.districts.to_crs(crs)
    raster = city.raster
    values = raster.values
    n_cells = int(values.size)
    rows: list[dict[str, object]] = []

    # -- 1. nearest school of every populated cell
    flat = np.flatnonzero(values.ravel() > 0)
    r_, c_ = np.divmod(flat, values.shape[1])
    t = raster.transform
    cxy = np.column_stack([t.c + (c_ + 0.5) * t.a, t.f + (r_ + 0.5) * t.e])
    sxy = point_xy(schools)
    t_ours, (idx, _) = best_of(lambda: nearest_within(cxy, sxy), repeat=3)
    cells_gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(cxy[:, 0], cxy[:, 1]), crs=crs)
    sch_gdf = schools[["school_id", "geometry"]]
    t_peer, joined = best_of(lambda: gpd.sjoin_nearest(cells_gdf, sch_gdf), repeat=1)
    same = float(np.mean(joined.groupby(level=0)["index_right"].min().to_numpy() == idx))
    t_full, res_nearest = best_of(
        lambda: assign_catchments(
            None,
            schools,
            level="primary",
            year=city.base_year,
            standards=std,
            raster=raster,
            radius_m=math.inf,
            districts=districts,
        ),
        repeat=1,
    )
    rows.append(
        {
            "task": f"nearest school, {len(cxy):,} cells × {len(sxy):,} schools",
            "xuewei s": t_ours,
            "peer": "geopandas.sjoin_nearest",
            "peer s": t_peer,
            "peer ÷ xuewei": _ratio(t_peer, t_ours),
            "check": f"same school {same:.4%}",
        }
    )
    rows.append(
        {
            "task": "  same, full assign_catchments (primary, flags, Voronoi catchments)",
            "xuewei s": t_full,
            "peer": "geopandas.sjoin_nearest",
            "peer s": t_peer,
            "peer ÷ xuewei": _ratio(t_peer, t_full),
            "check": f"residents conserved: {res_nearest.total_residents == raster.total}"
            if hasattr(raster, "total")
            else "",
        }
    )

    # -- 2. zonal sums over ~1,500 polygons (Voronoi cells of the schools, clipped)
    union = districts.union_all()
    vor = shapely.voronoi_polygons(shapely.multipoints(sxy), extend_to=union.envelope)
    zones = gpd.GeoDataFrame(
        geometry=shapely.intersection(np.asarray(shapely.get_parts(vor)), union), crs=crs
    )
    zones = zones.loc[~zones.is_empty].reset_index(drop=True)
    t_ours, zs = best_of(lambda: zonal_sums(raster, zones), repeat=3)
    total = math.fsum(values.ravel().astype(np.float64))
    err_ours = abs(math.fsum(zs["residents"]) + zs.attrs["outside"] - total)
    from rasterstats import zonal_stats

    t_rs, rs = best_of(
        lambda: zonal_stats(
            zones.geometry, values, affine=raster.transform, stats="sum", nodata=-999
        ),
        repeat=1,
    )
    rs_sum = np.array([r["sum"] or 0.0 for r in rs])
    rows.append(
        {
            "task": f"zonal sums, {n_cells:,} cells × {len(zones):,} polygons",
            "xuewei s": t_ours,
            "peer": "rasterstats.zonal_stats",
            "peer s": t_rs,
            "peer ÷ xuewei": _ratio(t_rs, t_ours),
            "check": f"max |diff| {np.abs(rs_sum - zs['residents'].to_numpy()).max():.3g}; "
            f"xuewei total error {err_ours:.3g}",
        }
    )
    from exactextract import exact_extract

    with tempfile.TemporaryDirectory() as tmp:
        tif = Path(tmp) / "pop.tif"
        raster.write(tif)
        t_ee, ee = best_of(lambda: exact_extract(str(tif), zones, "sum", output="pandas"), repeat=1)
    rows.append(
        {
            "task": "  same",
            "xuewei s": t_ours,
            "peer": "exactextract (coverage-weighted)",
            "peer s": t_ee,
            "peer ÷ xuewei": _ratio(t_ee, t_ours),
            "check": f"exactextract total {ee['sum'].sum():,.0f} vs raster {total:,.0f}",
        }
    )

    # -- 3. 2SFCA, estates × schools within 1,000 m
    est = estates.loc[estates["completion_year"] <= city.base_year].reset_index(drop=True)
    radius = 1000.0
    t_ours, acc_ours = best_of(
        lambda: two_step_fca(est, schools, radius_m=radius, supply_col="places"), repeat=3
    )
    p = pairs_within(point_xy(est), sxy, radius_m=radius)
    places = schools["places"].to_numpy(dtype=float)
    residents = est["residents"].to_numpy(dtype=float)
    t_acc, acc_peer = best_of(lambda: _access_2sfca(residents, places, p, radius), repeat=1)
    diff = np.abs(
        acc_ours["access"].to_numpy() - acc_peer.reindex(range(len(est))).fillna(0.0).to_numpy()
    ).max()
    rows.append(
        {
            "task": f"2SFCA, {len(est):,} estates × {len(sxy):,} schools, 1 km ({len(p):,} pairs)",
            "xuewei s": t_ours,
            "peer": "access.two_stage_fca (costs given)",
            "peer s": t_acc,
            "peer ÷ xuewei": _ratio(t_acc, t_ours),
            "check": f"max |diff| {diff:.2g}",
        }
    )

    # -- 3b. 2SFCA at the design scale: every populated 100 m cell is a demand point
    cells = gpd.GeoDataFrame(
        {"residents": values.ravel()[flat].astype(float)}, geometry=cells_gdf.geometry, crs=crs
    )
    t_ours_c, acc_cells = best_of(
        lambda: two_step_fca(cells, schools, radius_m=radius, supply_col="places"), repeat=3
    )
    t_pairs, pc = best_of(lambda: pairs_within(cxy, sxy, radius_m=radius), repeat=3)
    cell_residents = cells["residents"].to_numpy()
    t_acc_c, acc_peer_c = best_of(
        lambda: _access_2sfca(cell_residents, places, pc, radius), repeat=1
    )
    diff_c = np.abs(
        acc_cells["access"].to_numpy()
        - acc_peer_c.reindex(range(len(cells))).fillna(0.0).to_numpy()
    ).max()
    rows.append(
        {
            "task": f"2SFCA, {len(cells):,} raster cells × {len(sxy):,} schools, 1 km "
            f"({len(pc):,} pairs)",
            "xuewei s": t_ours_c,
            "peer": "access.two_stage_fca (costs given)",
            "peer s": t_acc_c,
            "peer ÷ xuewei": _ratio(t_acc_c, t_ours_c),
            "check": f"max |diff| {diff_c:.2g}; of xuewei's time, {t_pairs:.2f} s finds the "
            "pairs the peer is given",
        }
    )

    # -- 4. capacitated assignment, 10,000 estates × ~1,500 schools
    cap_rows = []
    for level in ("primary", "junior"):

        def run(level: str = level) -> object:
            return assign_catchments(
                estates,
                schools,
                level=level,  # type: ignore[arg-type]
                year=city.base_year,
                standards=std,
                method="capacitated",
                districts=districts,
            )

        t_cap, res = best_of(run, repeat=1)
        mem = peak_memory_mb(run)
        cap_rows.append(
            {
                "task": f"capacitated {level}, {len(estates):,} estates × "
                f"{len(res.schools):,} schools, radius {res.radius_m:,.0f} m",
                "xuewei s": t_cap,
                "peak MiB": mem,
                "unserved residents": res.unserved_residents,
                "over capacity": int(res.schools["over_capacity"].sum()),
                "conserved": res.total_residents
                == math.fsum(
                    estates.loc[estates["completion_year"] <= city.base_year, "residents"]
                ),
            }
        )

    # -- 5. the full catchment step: 3 methods × 2 levels on estates + raster nearest
    def full() -> None:
        for level in ("primary", "junior"):
            assign_catchments(
                estates,
                schools,
                level=level,
                year=city.base_year,
                standards=std,
                districts=districts,
                method="capacitated",
            )
            assign_catchments(
                estates,
                schools,
                level=level,
                year=city.base_year,
                standards=std,
                districts=districts,
                raster=raster,
            )

    t_step, _ = best_of(full, repeat=1)

    return "\n".join(
        [
            "## Catchments (issue 5)",
            "",
            f"Inputs: `synth_city(0, population=10_000_000, n_estates=10_000, cell_m=100)` "
            f"({n_cells:,} cells, {len(schools):,} schools, {len(estates):,} estates; "
            f"generated in {t_synth:.0f} s). Best of 3 for xuewei, 1 run for peers.",
            "",
            table(rows),
            "",
            table(cap_rows),
            "",
            f"Full catchment step (primary + junior: capacitated on estates, nearest on "
            f"the raster with estate flags and catchment polygons): **{t_step:.1f} s**.",
        ]
    )


if __name__ == "__main__":
    print(main())
