"""Run a plan end to end: read the inputs → run the stages → the result.

Three modules, one concern each: :mod:`~xuewei.pipeline.inputs` reads and cross-checks a
plan's inputs (:func:`read_inputs`, :func:`validate_plan`), :mod:`~xuewei.pipeline.run`
runs the stages (:func:`run_plan`, with the run's :class:`Years` decided once by
:func:`plan_years`), and :mod:`~xuewei.pipeline.result` holds what they computed
(:class:`PlanResult`). Writing files is :mod:`xuewei.outputs`' job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xuewei._lazy import attach

__getattr__, __dir__, __all__ = attach(__name__, __file__)

if TYPE_CHECKING:
    from xuewei.pipeline.inputs import PlanInputs, read_inputs, validate_plan
    from xuewei.pipeline.result import PlanResult, Years
    from xuewei.pipeline.run import forecast_residents, plan_years, run_plan
    from xuewei.pipeline.shortfall import add_shortfall, chance_above, quantile_of
