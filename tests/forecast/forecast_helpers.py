"""Synthetic inputs for the forecast tests, benchmarks and notebook (seeded, deterministic).

``xuewei.data.synth`` makes population and births; the cohort method also needs enrolment
by grade, and the batch benchmark thousands of counties. Both are built here on top of it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from xuewei.data import synth_population_history


def synth_enrolment(
    population: pd.DataFrame,
    *,
    seed: int,
    entry_ratio: float | None = None,
    years: range = range(2012, 2025),
    kindergarten: bool = True,
    noise: float = 0.02,
    city_id: str | None = "990100",
) -> pd.DataFrame:
    """Make enrolment by grade from births: entrants = births 6 years earlier × an entry ratio.

    Each district gets its own entry ratio (1.1–1.6: a migrant city) and progression ratios
    (0.97–1.04 per grade), both with ``noise`` (log-sd) from year to year. Kindergarten year
    groups (grades -2…0) follow births 3 years earlier with a ratio of 0.8–1.1.
    """
    rng = np.random.default_rng(seed)
    pop = population[population["district_id"] != city_id]
    frames = []
    for district, rows in pop.groupby("district_id", sort=True):
        births = rows.set_index("year")["births"].astype("float64")
        er = entry_ratio if entry_ratio is not None else rng.uniform(1.1, 1.6)
        kr = rng.uniform(0.8, 1.1)
        prog = rng.uniform(0.97, 1.04, 10)
        grades = list(range(-2, 10)) if kindergarten else list(range(1, 10))
        first = years[0] - 12
        table: dict[tuple[int, int], float] = {}
        for t in range(first, years[-1] + 1):
            for g in grades:
                age = 5 + g
                if g in (-2, 1):
                    b = births.get(t - age, np.nan)
                    if not np.isfinite(b):
                        b = float(births.iloc[0])
                    ratio = kr if g == -2 else er
                    table[(t, g)] = b * ratio * rng.lognormal(0.0, noise)
                else:
                    below = table.get((t - 1, g - 1))
                    if below is None:
                        below = float(births.iloc[0]) * (er if g > 1 else kr)
                    table[(t, g)] = below * prog[g] * rng.lognormal(0.0, noise)
        frames.append(
            pd.DataFrame(
                [
                    {"district_id": district, "year": t, "grade": g, "pupils": round(v)}
                    for (t, g), v in table.items()
                    if t in years
                ]
            )
        )
    return pd.concat(frames, ignore_index=True)


def synth_counties(n: int, *, seed: int, years: range = range(2000, 2025)) -> pd.DataFrame:
    """Make ``n`` counties' annual population histories (no city rows), for the batch runs."""
    rng = np.random.default_rng(seed)
    ids = [f"{100000 + k:06d}" for k in range(n)]
    table = pd.DataFrame({"district_id": ids, "name": [f"county {k}" for k in range(n)]})
    totals = pd.Series(rng.integers(100_000, 1_500_000, n), index=pd.Index(ids, name="district_id"))
    return synth_population_history(table, totals, seed=seed, years=years)
