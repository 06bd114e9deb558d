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


#: Growth shapes of :func:`synth_growth_panel`, one third of the districts each.
GROWTH_SHAPES = ("logistic", "linear", "rise_and_fall")


def synth_growth_panel(
    seed: int, *, n_districts: int = 12, years: range = range(1995, 2025), noise: float = 0.004
) -> pd.DataFrame:
    """Make a panel of districts' annual residents with logistic, linear or rise-and-fall growth.

    Districts take the shapes of :data:`GROWTH_SHAPES` in turn: a logistic curve (capacity
    1.5-3x the start, growth rate 4-15 % a year at first), a straight line (-1 % to
    +3 % of the start a year), or a rise that turns into a fall (peak 10-40 % above the
    start, in the middle or late part of the span). Each year carries ``noise`` (log-sd) of
    estimate error around the curve. Columns ``district_id``, ``year``, ``population``,
    ``shape``; no city rows.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(years[0], years[-1] + 1, dtype=np.float64)
    span = t[-1] - t[0]
    frames = []
    for k in range(n_districts):
        shape = GROWTH_SHAPES[k % len(GROWTH_SHAPES)]
        start = float(rng.uniform(80_000, 600_000))
        if shape == "logistic":
            # from ``start`` towards a capacity 1.5-3x as large; the turn comes early or late
            cap = rng.uniform(1.5, 3.0)
            rate = rng.uniform(0.04, 0.15)
            curve = start * cap / (1.0 + (cap - 1.0) * np.exp(-rate * (t - t[0])))
        elif shape == "linear":
            slope = start * rng.uniform(-0.01, 0.03)
            curve = start + slope * (t - t[0])
        else:
            peak = t[0] + span * rng.uniform(0.5, 0.95)
            width = span * rng.uniform(0.3, 0.6)
            height = rng.uniform(0.1, 0.4)
            curve = start * (1.0 + height * np.exp(-0.5 * ((t - peak) / width) ** 2))
            curve = curve / curve[0] * start
        values = curve * np.exp(rng.normal(0.0, noise, len(t)))
        frames.append(
            pd.DataFrame(
                {
                    "district_id": f"{990200 + k}",
                    "year": t.astype(np.int64),
                    "population": np.round(values),
                    "shape": shape,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
