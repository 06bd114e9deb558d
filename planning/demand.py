"""Required school places from forecast residents: the per-thousand model.

Chinese cities plan compulsory-school places with a per-thousand indicator (千人指标):
places = residents × indicator ÷ 1,000. Changsha raised its indicator from 80 to 80–90
(seed 002 §三(一)1), so each indicator is a *scenario*, a dimension of every result. The
combined figure is split between primary and junior schools by level shares (default
2 : 1, six grades against three; ``data/standards.toml``), through the one rate
:meth:`xuewei.data.Standards.places_per_resident`. The cohort-based alternative
(children of school age × enrolment ratio) belongs to the forecasting engine.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from xuewei.data import Standards, load_standards
from xuewei.data._standards_schema import PER_1000_MAX
from xuewei.errors import ConfigError
from xuewei.vocabulary import COMPULSORY, COMPULSORY_LEVELS

__all__ = ["COMPULSORY", "required_places"]


def required_places(
    residents: pd.DataFrame,
    standards: Standards | None = None,
    *,
    scenarios: Sequence[float] | None = None,
) -> pd.DataFrame:
    """Places required per district, year, level and scenario.

    ``required = residents × standards.places_per_resident(level, scenario)`` — that is
    residents × places_per_1000 ÷ 1000 × the level's share — for primary and junior, plus
    the ``compulsory`` total (residents × places_per_1000 ÷ 1000, the sum of the levels).
    The prediction interval of the residents carries through (``lower``/``upper``).

    Parameters
    ----------
    residents
        ``district_id``, ``year``, ``value`` (residents), and optionally ``lower``,
        ``upper`` — e.g. the output of :func:`xuewei.forecast.forecast_districts`.
    standards
        The standards in force (places per 1,000 scenarios and level shares); ``None``
        means the packaged defaults (:func:`xuewei.data.load_standards`).
    scenarios
        Places per 1,000 residents to compute, e.g. ``(80, 85, 90)``; default
        ``standards.scenarios``.

    Returns
    -------
    pandas.DataFrame
        ``district_id``, ``year``, ``level``, ``scenario``, ``residents``, ``required``,
        ``required_lower``, ``required_upper``; sorted.

    Raises
    ------
    ConfigError
        When a scenario is not in (0, 200] places per 1,000.

    Examples
    --------
    120,000 residents at 90 per thousand need 10,800 places: 7,200 primary, 3,600 junior.

    >>> r = pd.DataFrame({"district_id": ["a"], "year": [2030], "value": [120_000.0]})
    >>> out = required_places(r, scenarios=[90])
    >>> out.set_index("level")["required"].round(6).to_dict()
    {'compulsory': 10800.0, 'junior': 3600.0, 'primary': 7200.0}
    """
    std = load_standards() if standards is None else standards
    chosen = std.scenarios if scenarios is None else tuple(scenarios)
    # the same range the standards check (places_per_1000.scenarios)
    bad = [s for s in chosen if not 0 < float(s) <= PER_1000_MAX]
    if bad or not chosen:
        raise ConfigError(
            f"scenarios={list(chosen)}: expected places per 1,000 residents in "
            f"(0, {PER_1000_MAX:g}]"
        )
    value = residents["value"].to_numpy(dtype=np.float64)
    lower = residents["lower"].to_numpy(dtype=np.float64) if "lower" in residents else value
    upper = residents["upper"].to_numpy(dtype=np.float64) if "upper" in residents else value
    frames = []
    for scenario in chosen:
        for level in (*COMPULSORY_LEVELS, COMPULSORY):
            rate = std.places_per_resident(level, float(scenario))
            frames.append(
                pd.DataFrame(
                    {
                        "district_id": residents["district_id"].to_numpy(),
                        "year": residents["year"].to_numpy(),
                        "level": level,
                        "scenario": float(scenario),
                        "residents": value,
                        "required": value * rate,
                        "required_lower": lower * rate,
                        "required_upper": upper * rate,
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["district_id", "year", "level", "scenario"], kind="stable").reset_index(
        drop=True
    )
