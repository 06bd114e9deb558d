"""Population forecasts per district: re-based histories, trends, district shares.

Stage 2 of the pipeline: from the tidy population table to residents per district and year
to the horizon, each with a prediction interval, reconciled to the city total.
"""

from xuewei.forecast.districts import DistrictMethod, forecast_districts
from xuewei.forecast.history import annualise, rebase_intercensal
from xuewei.forecast.trend import MIN_ETS_POINTS, TrendMethod, forecast_trend

__all__ = [
    "MIN_ETS_POINTS",
    "DistrictMethod",
    "TrendMethod",
    "annualise",
    "forecast_districts",
    "forecast_trend",
    "rebase_intercensal",
]
