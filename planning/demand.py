"""Required school places from forecast residents: the per-thousand model.

Chinese cities plan compulsory-school places with a per-thousand indicator (千人指标):
places = residents × indicator ÷ 1,000. Changsha raised its indicator from 80 to 80–90
(seed 002 §三(一)1), so each indicator is a *scenario*, a dimension of every result. The
combined figure is split between primary and junior schools by level shares (default
2 : 1, six grades against three; ``data/standards.toml``). The cohort-based alternative
(children of school age × enrolment ratio) belongs to the forecasting engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

__all__ = ["COMPULSORY", "required_places"]

#: The level name of primary + junior together, as reported.
COMPULSORY = "compulsory"


def required_places(
    residents: pd.DataFrame,
    *,
    scenarios: Sequence[float],
    level_share: Mapping[str, float],
) -> pd.DataFrame:
    """Places required per district, year, level and scenario.

    ``required = residents × places_per_1000 ÷ 1000 × share(level)``, for each level in
    ``level_share``, plus the ``compulsory`` total (the sum over levels). The prediction
    interval of the residents carries through (``lower``/``upper``).

    Parameters
    ----------
    residents
        ``district_id``, ``year``, ``value`` (residents), and optionally ``lower``,
        ``upper`` — e.g. the output of :func:`xuewei.forecast.forecast_districts`.
    scenarios
        Places per 1,000 residents, e.g. ``(80, 85, 90)``.
    level_share
        Share of the places per level, e.g. ``{"primary": 2/3, "junior": 1/3}``; the shares
        must sum to 1.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``level``, ``scenario``, ``residents``, ``required``,
        ``required_lower``, ``required_upper``; sorted.

    Examples
    --------
    120,000 residents at 90 per thousand need 10,800 places: 7,200 primary, 3,600 junior.

    >>> r = pd.DataFrame({"district_id": ["a"], "year": [2030], "value": [120_000.0]})
    >>> out = required_places(r, scenarios=[90], level_share={"primary": 2/3, "junior": 1/3})
    >>> out.set_index("level")["required"].round(6).to_dict()
    {'compulsory': 10800.0, 'junior': 3600.0, 'primary': 7200.0}
    """
    shares = dict(level_share)
    total_share = sum(shares.values())
    if not np.isclose(total_share, 1.0):
        raise ValueError(f"level shares {shares} sum to {total_share}; they must sum to 1")
    if any(s <= 0 for s in scenarios):
        raise ValueError(f"scenarios {list(scenarios)} must be positive places per 1,000")
    value = residents["value"].to_numpy(dtype=np.float64)
    lower = residents["lower"].to_numpy(dtype=np.float64) if "lower" in residents else value
    upper = residents["upper"].to_numpy(dtype=np.float64) if "upper" in residents else value
    frames = []
    for scenario in scenarios:
        per_resident = float(scenario) / 1000.0
        for level, share in [*shares.items(), (COMPULSORY, 1.0)]:
            frames.append(
                pd.DataFrame(
                    {
                        "district_id": residents["district_id"].to_numpy(),
                        "year": residents["year"].to_numpy(),
                        "level": level,
                        "scenario": float(scenario),
                        "residents": value,
                        "required": value * per_resident * share,
                        "required_lower": lower * per_resident * share,
                        "required_upper": upper * per_resident * share,
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["district_id", "year", "level", "scenario"], kind="stable").reset_index(
        drop=True
    )
