"""Population and school-age forecasts per district: methods, backtests, ensemble, batch.

Stage 2 of the pipeline: from the tidy population table to residents and pupils per
district and year to the horizon, each with a prediction interval, reconciled to the city
total. Methods (each returns the tidy columns :data:`FORECAST_COLUMNS`): trends
(:func:`forecast_trends`: ETS, ARIMA, drift, naive), district shares
(:func:`forecast_districts`), cohort progression (:func:`forecast_cohort`), the housing
pipeline (:func:`forecast_housing`), a cross-district panel (:func:`forecast_panel`) and
the backtest-weighted ensemble (:func:`forecast_ensemble`). :func:`backtest` and
:func:`backtest_report` measure them; :func:`forecast_batch` runs thousands of areas.
Children by age come from births and census counts (:func:`forecast_school_age`), set
beside per-thousand demand by :func:`implied_per_thousand`. Every standard used (grades,
entry age, scenarios, household size, pupil yields) is read from the
:class:`~xuewei.data.Standards` a caller passes as ``standards`` (default the packaged
ones), and every fallback of the ensemble is logged on the ``xuewei.forecast`` logger and
listed in the result's ``attrs["warnings"]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xuewei._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__)

if TYPE_CHECKING:
    from xuewei.forecast.backtest import BACKTEST_HORIZONS, backtest, backtest_report
    from xuewei.forecast.batch import BatchMethod, BatchResult, Engine, forecast_batch
    from xuewei.forecast.births import births_change_sd
    from xuewei.forecast.calibration import ensemble_weights, stacked_weights
    from xuewei.forecast.cohort import cohort_ratios, forecast_cohort
    from xuewei.forecast.districts import DistrictMethod, forecast_districts
    from xuewei.forecast.ensemble import (
        ENSEMBLE_METHODS,
        combine_forecasts,
        forecast_ensemble,
        reconcile,
    )
    from xuewei.forecast.history import (
        annualise,
        census_closures,
        fill_births,
        final_vintage,
        rebase_intercensal,
        recut_boundaries,
    )
    from xuewei.forecast.housing import forecast_housing, pupil_yields
    from xuewei.forecast.panel import forecast_panel, panel_features
    from xuewei.forecast.per_thousand import implied_per_thousand
    from xuewei.forecast.school_age import forecast_school_age
    from xuewei.forecast.total import counted_together, find_total, forecast_with_total
    from xuewei.forecast.trend import (
        FORECAST_COLUMNS,
        MIN_ARIMA_POINTS,
        MIN_ETS_POINTS,
        TrendMethod,
        forecast_trend,
        forecast_trends,
    )
