"""The hostile-input suite: fast by default; ``SORBENCH_SLOW=1`` (set by ``.ci/run``) runs the long fuzzing too.

Hypothesis runs a few examples per property by default (``HYPOTHESIS_EXAMPLES``, default 25) with no deadline (the
machine is shared); the tests marked ``slow`` run hundreds and are skipped unless ``SORBENCH_SLOW=1``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from harness.workflows.run import run_scenario
from tests.sim.helpers import small_scenario

settings.register_profile("hostile", max_examples=int(os.environ.get("HYPOTHESIS_EXAMPLES", "25")), deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW = os.environ.get("SORBENCH_SLOW") == "1"
LONG = settings(max_examples=400, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip this folder's ``slow`` tests unless ``SORBENCH_SLOW=1``."""
    skip = pytest.mark.skip(reason="slow: SORBENCH_SLOW=1 runs it (.ci/run does)")
    here = Path(__file__).parent
    for item in items:
        if not SLOW and "slow" in item.keywords and here in Path(str(item.fspath)).parents:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def signed_off_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small run with its report and PDF (two routers, one seed), written once for the suite."""
    root = tmp_path_factory.mktemp("hostile")
    out = root / "run"
    run_scenario(small_scenario(), scenario_path=None, routers=["best-price", "single-venue"], seeds=[1],
                 out_dir=out, results_root=root)
    return out
