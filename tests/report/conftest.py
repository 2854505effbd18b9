"""Fixtures of the run-report tests: one small real run (with its report), built once per test session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.workflows.run import run_scenario
from tests.sim.helpers import small_dict, small_scenario

REPORT_ROUTERS = ["best-price", "wholesaler", "rebate-max", "single-venue"]
"""A conflict-free reference router (the benchmark), a conflicted one and the naive baseline."""


def small_report_run(root: Path, *, routers: list[str] | None = None, seeds: tuple[int, ...] = (1,),
                     **kwargs: object) -> Path:
    """A small real run (the default scenario cut to 40 s and 20 parents) written to ``root/run``, report included."""
    d = small_dict()
    d["routers"] = list(routers or REPORT_ROUTERS)
    d["router_params"] = {k: v for k, v in d.get("router_params", {}).items() if k in d["routers"]}
    out = root / "run"
    run_scenario(small_scenario(d), scenario_path=None, routers=d["routers"], seeds=list(seeds), out_dir=out,
                 results_root=root, command=["sorbench", "run", "--out", str(out)], **kwargs)  # type: ignore[arg-type]
    return out


@pytest.fixture(scope="session")
def report_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small run of four routers, one seed, with report.html and report.pdf. Do not modify: copy it."""
    return small_report_run(tmp_path_factory.mktemp("report-run"))


@pytest.fixture
def run_copy(report_run: Path, tmp_path: Path) -> Path:
    """A private copy of the small run, to modify."""
    dst = tmp_path / "run"
    shutil.copytree(report_run, dst)
    return dst
