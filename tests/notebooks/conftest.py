"""The plan the notebooks run in the tests: the small synthetic city, unless one is named.

The notebooks run the plan named by ``XUEWEI_PLAN`` (the embedded Changsha plan when it is
unset). Changsha takes about a minute per notebook, the small synthetic city seconds, so the
tests run that one; set ``XUEWEI_PLAN`` to a plan file (e.g. Changsha's ``plan.toml``) to
run the notebooks on it instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from notebook_runner import PLAN_VARIABLE


@pytest.fixture
def notebook_plan(small_plan: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Name the plan the notebook kernels run (an absolute path: they start in notebooks/)."""
    plan = Path(os.environ.get(PLAN_VARIABLE) or small_plan).resolve()
    monkeypatch.setenv(PLAN_VARIABLE, str(plan))
    return plan
