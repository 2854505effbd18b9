"""A plug-in that exits, raises a BaseException or overfills fails its own run, loudly, at --jobs 1 and 2.

The hostile routers live outside every package (``tests/data/plugins/hostile_routers.py``) and are loaded by file
spec, as a vendor's are; in the pool they are rebuilt in each spawned worker from that spec.
"""

from __future__ import annotations

import json

import pytest

from adapters.contract import Router
from adapters.loader import PluginRegistry
from harness.sim.router_node import RouterLimits
from harness.workflows.run import run_scenario
from tests.sim.helpers import REPO, small_scenario

HOSTILE = REPO / "tests" / "data" / "plugins" / "hostile_routers.py"
SEEDS = [1]

# (class, text the failure reason must contain: in a router process of its own, in this process)
EXITING = [
    ("SysExitRouter", "sys.exit(None)", "sys.exit(None)"),
    ("InterruptRouter", "raised Sneaky (a KeyboardInterrupt) though no Ctrl-C was pressed",
     "raised Sneaky (a KeyboardInterrupt) though no Ctrl-C was pressed"),
    ("OsExitRouter", "the router process exited with status 0", "os._exit(0)"),
    ("ThreadExitRouter", "the router process exited with status 0", "os._exit(0) from a thread"),
    ("OverfillRouter", "overfilled", "overfilled"),
]


def _registry(*classes: str) -> tuple[PluginRegistry, list[str]]:
    reg = PluginRegistry()
    reg.add_builtins()
    return reg, [reg.add_spec(f"{HOSTILE}:{c}") for c in classes]


@pytest.mark.parametrize(("jobs", "process"), [(1, "plugins"), (2, "plugins"), (1, "never")])
def test_exiting_and_overfilling_plugins_fail_alone_and_the_run_is_written_as_partial(tmp_path, jobs, process):
    """Each hostile router's run is failed with its reason; best-price is ok; the manifest says partial and why.

    By default the plug-ins run in router processes of their own; ``never`` keeps them in this process, where the
    in-process containment (harness.sim.containment) has to catch them.
    """
    reg, names = _registry(*(c for c, _, _ in EXITING))
    routers = ["best-price", *names]
    outcome = run_scenario(small_scenario(), scenario_path=None, routers=routers, seeds=SEEDS, out_dir=tmp_path / "r",
                           results_root=tmp_path, jobs=jobs, registry=reg, report=False,
                           limits=RouterLimits(router_process=process))
    by_router = {r.router: r for r in outcome.results}
    assert by_router["best-price"].status == "ok"
    for name, (_cls, oop_text, in_text) in zip(names, EXITING, strict=True):
        text = in_text if process == "never" else oop_text
        assert by_router[name].status == "failed", name
        assert text in by_router[name].error, (name, by_router[name].error)
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["partial"] is True
    assert manifest["analysis"] == "ok"
    assert len(manifest["failures"]) == len(EXITING) == len(outcome.failures)
    assert all(any(n in line for line in manifest["failures"]) for n in names)


def test_an_overfilling_router_fails_with_the_parent_it_overfilled(tmp_path):
    """Its run is failed (not ok), the failure file names the parent and the shares; nothing of it is analysed."""
    import pandas as pd

    reg, (name,) = _registry("OverfillRouter")
    run_scenario(small_scenario(), scenario_path=None, routers=["best-price", name], seeds=SEEDS,
                 out_dir=tmp_path / "r", results_root=tmp_path, registry=reg, report=False)
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in manifest["runs"]] == ["ok", "failed"]
    assert "shares filled of" in manifest["runs"][1]["error"]
    assert (tmp_path / "r" / "failures" / f"{name}-seed1.txt").is_file()
    assert set(pd.read_parquet(tmp_path / "r" / "fills.parquet")["router"]) == {"best-price"}


def test_analytics_of_a_run_where_no_router_filled_anything_succeed(tmp_path):
    """One router, no child orders, no fills (a vendor whose endpoint is down): analytics and report are ok."""
    reg, (name,) = _registry("SilentRouter")
    outcome = run_scenario(small_scenario(), scenario_path=None, routers=[name], seeds=SEEDS, out_dir=tmp_path / "r",
                           results_root=tmp_path, registry=reg, report=False)
    manifest = json.loads((tmp_path / "r" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["analysis"] == "ok", manifest["analysis"]
    assert outcome.failures == [] and manifest["partial"] is False
    assert (tmp_path / "r" / "tca" / "orders.parquet").is_file()


def test_a_failed_analytics_step_is_a_failure_of_the_run(tmp_path, monkeypatch):
    """An analytics crash is listed among the failures (with its traceback file) and the run is partial."""
    import harness.analytics

    def broken(folder, **_kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(harness.analytics, "analyze", broken)
    outcome = run_scenario(small_scenario(), scenario_path=None, routers=["best-price"], seeds=SEEDS,
                           out_dir=tmp_path / "r", results_root=tmp_path, report=False)
    assert outcome.partial
    assert outcome.failures == ["analytics failed: RuntimeError: boom (traceback: failures/analysis.txt)"]
    assert (tmp_path / "r" / "failures" / "analysis.txt").is_file()


def test_run_failures_list_each_failed_simulation_the_common_market_and_the_analytics():
    from harness.workflows.run import run_failures

    manifest = {"runs": [{"router": "a", "seed": 1, "status": "ok"}, {"router": "b", "seed": 1, "status": "failed",
                                                                     "error": "boom"}],
                "common_market": {"runs": [{"seed": 1, "status": "failed", "error": "lost"}]},
                "analysis": "failed: ValueError: x", "report": "ok (html only)"}
    assert run_failures(manifest) == ["b seed 1: boom", "common market seed 1: lost",
                                      "analytics failed: ValueError: x (traceback: failures/analysis.txt)"]


class FailsAfterTheBaseline(Router):
    """Routes like nothing at all, but raises in every simulation after its first (the incentive test's twins)."""

    name = "twin-failer-test"
    description = "Test router: fails on payment twins."
    built = 0

    def __init__(self, params=None) -> None:
        super().__init__(params)
        type(self).built += 1
        self.fail = type(self).built > 1

    def on_parent(self, parent) -> None:
        if self.fail:
            raise RuntimeError("twin")


def test_a_router_failing_on_an_incentive_twin_is_a_failure_of_the_run(tmp_path):
    from tests.sim.helpers import registry_with

    FailsAfterTheBaseline.built = 0
    outcome = run_scenario(small_scenario(), scenario_path=None, routers=[FailsAfterTheBaseline.name], seeds=SEEDS,
                           out_dir=tmp_path / "r", results_root=tmp_path, registry=registry_with(FailsAfterTheBaseline),
                           incentive_twins=1, report=False,
                           limits=RouterLimits(router_process="never"))  # it counts its simulations: in-process only
    assert outcome.partial
    assert outcome.failures and all(line.startswith("incentive twin ") for line in outcome.failures)
    assert "RuntimeError: twin" in outcome.failures[0]
