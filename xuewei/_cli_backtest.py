"""What ``xuewei backtest`` scores and prints: the forecast's own route, on common points.

The command scores the route ``xuewei forecast`` takes on the same table: where one area
is the total of the others (found as ``forecast`` finds it, or ``--city-id``), every
method forecasts the total, and the other areas are scored as their shares of it (the
``share`` method); without a total, every area on its own, pooled. Within each part every
method is scored on the same forecast points (those all of them could forecast), so the
rows compare like with like and the naive baseline is one more row. By default the
history is the one revised today (``--vintage final``), as for the ensemble's intervals.
"""

from __future__ import annotations

from typing import Any, Literal

import pandas as pd
from rich.table import Table

from xuewei._cli_tables import missing, pct

__all__ = ["ACCURACY_COLUMNS", "METHODS", "accuracy_table", "common_points", "score"]

#: The trend methods and the ensemble, as ``xuewei forecast --method`` offers them.
METHODS = ("naive", "drift", "ets", "damped", "arima", "ensemble")
#: The columns of ``accuracy.csv``.
ACCURACY_COLUMNS = [
    "scored",
    "method",
    "horizon",
    "n",
    "mape",
    "bias",
    "rmspe",
    "coverage",
    "naive_mape",
    "beats_naive",
]
_KEY = ["quantity", "district_id", "origin", "horizon"]


def common_points(errors: pd.DataFrame) -> pd.DataFrame:
    """Keep the forecast points that every method of ``errors`` forecast.

    Examples
    --------
    >>> e = pd.DataFrame({"method": ["naive", "naive", "drift"], "quantity": "population",
    ...                   "district_id": "a", "origin": [2010, 2011, 2011], "horizon": 1})
    >>> common_points(e)["origin"].tolist()
    [2011, 2011]
    """
    n_methods = errors["method"].nunique()
    per_point = errors.groupby(_KEY)["method"].transform("nunique")
    return errors[per_point == n_methods]


def score(
    table: pd.DataFrame, total: str | None, vintage: Literal["final", "real-time"]
) -> pd.DataFrame:
    """Return the accuracy table (:data:`ACCURACY_COLUMNS`) of the forecast's route."""
    from xuewei.forecast import backtest, backtest_report

    ids = sorted(set(table["district_id"].astype(str)))
    if total is None:
        parts = [("every area", backtest(table, methods=list(METHODS), vintage=vintage))]
    else:
        areas = [a for a in ids if a != total]
        parts = [
            (
                f"total {total}",
                backtest(table, methods=list(METHODS), district_ids=[total], vintage=vintage),
            ),
            (
                "areas as shares",
                backtest(
                    table,
                    methods=["share"],
                    district_ids=areas,
                    city_id=total,
                    vintage=vintage,
                ),
            ),
        ]
    reports = []
    for scored, errors in parts:
        same = common_points(errors[errors["quantity"] == "population"])
        if len(same):
            rep = backtest_report(same).assign(scored=scored)
            order = rep["method"].map({m: i for i, m in enumerate((*METHODS, "share"))})
            rep = rep.assign(_o=order).sort_values(["horizon", "_o"], kind="stable")
            reports.append(rep.drop(columns="_o"))
    if not reports:
        return pd.DataFrame(columns=ACCURACY_COLUMNS)
    return pd.concat(reports, ignore_index=True)[ACCURACY_COLUMNS]


def accuracy_table(report: pd.DataFrame, vintage: str) -> Any:
    """Return the printed table: one row per part, method and horizon; fits 80 columns."""
    revised = "as revised today" if vintage == "final" else "as known at each origin"
    grid = Table(
        title="Forecast accuracy · 预测精度回测",
        title_justify="left",
        caption=f"Rolling origin, the history {revised} (--vintage {vintage}). Each part's "
        "methods are scored on the same points (n). h: years after the origin (an area "
        "counted only at censuses is forecast from its last count before it). MAPE: mean "
        "absolute % error; bias > 0 over-forecasts; cover: share of actuals inside the 80 % "
        "interval.",
        caption_justify="left",
    )
    for col in ("scored", "method", "h", "n", "MAPE", "bias", "cover"):
        grid.add_column(col, justify="left" if col in ("scored", "method") else "right")
    last = None
    for rec in report.to_dict("records"):
        bias, coverage = float(rec["bias"]), float(rec["coverage"])
        grid.add_row(
            "" if rec["scored"] == last else str(rec["scored"]),
            str(rec["method"]),
            str(rec["horizon"]),
            str(rec["n"]),
            pct(float(rec["mape"])),
            "—" if missing(bias) else f"{bias:+.2f}%",
            "—" if missing(coverage) else f"{coverage:.0%}",
        )
        last = rec["scored"]
    return grid
