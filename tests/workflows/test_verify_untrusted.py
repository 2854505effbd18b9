"""sorbench verify never executes code from the folder it verifies (issue 17, item 4).

A re-run uses the built-in routers and the plug-ins the user names with ``--router``, matched by the sha256 of
their source the manifest records; otherwise verify checks integrity and says which router it could not re-run.
A manifest whose fields have the wrong types is a one-line error, exit 2.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.loader import PluginRegistry
from harness.errors import UserError
from harness.workflows.run import run_scenario
from harness.workflows.verify import verify_run
from tests.sim.helpers import REPO, small_scenario

PLUGIN = REPO / "tests" / "data" / "plugins" / "ext_router.py"
EVIL = '''
import pathlib
pathlib.Path(__file__).with_name("EXECUTED").write_text("the folder's code ran")
from adapters.contract import Router


class ExternalRouter(Router):
    name = "external-test"

    def on_parent(self, parent):
        pass
'''


@pytest.fixture(scope="module")
def plugin_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """best-price and a file plug-in (copied outside the project), one seed, no report; (run folder, plug-in)."""
    root = tmp_path_factory.mktemp("untrusted")
    plugin = root / "vendor" / "ext_router.py"
    plugin.parent.mkdir()
    shutil.copy(PLUGIN, plugin)
    reg = PluginRegistry()
    reg.add_builtins()
    name = reg.add_spec(f"{plugin}:ExternalRouter")
    out = root / "run"
    run_scenario(small_scenario(), scenario_path=None, routers=["best-price", name], seeds=[1], out_dir=out,
                 results_root=root, registry=reg, report=False)
    return out, plugin


def _copy(run: Path, tmp_path: Path) -> Path:
    dst = tmp_path / "copy"
    shutil.copytree(run, dst)
    return dst


def test_the_manifest_records_the_sha256_of_each_router_s_source(plugin_run):
    import hashlib

    run, plugin = plugin_run
    routers = {r["name"]: r for r in json.loads((run / "manifest.json").read_text())["routers"]}
    assert routers["external-test"]["source_sha256"] == hashlib.sha256(plugin.read_bytes()).hexdigest()
    assert len(routers["best-price"]["source_sha256"]) == 64


def test_a_plugin_origin_inside_the_folder_is_never_executed(plugin_run, tmp_path):
    """The manifest (hashes and all) points the plug-in's origin at a .py file shipped in the folder: verify does
    not import it, checks integrity only and names the router it could not re-run."""
    run = _copy(plugin_run[0], tmp_path)
    (run / "evil.py").write_text(EVIL, encoding="utf-8")
    manifest = json.loads((run / "manifest.json").read_text())
    for r in manifest["routers"]:
        if r["name"] == "external-test":
            r["origin"] = f"{run / 'evil.py'}:ExternalRouter"
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    report = verify_run(run)
    assert not (run / "EXECUTED").exists()
    assert not report.reproduced
    assert report.not_rerun and "'external-test'" in report.not_rerun[0] and "never run" in report.not_rerun[0]
    assert "evil.py: added (integrity)" in report.problems


def test_a_named_plugin_with_the_recorded_source_is_re_run_and_verifies(plugin_run):
    run, plugin = plugin_run
    report = verify_run(run, plugins=[f"{plugin}:ExternalRouter"])
    assert report.reproduced and report.ok, report.problems
    assert report.not_rerun == []


def test_a_named_plugin_whose_source_differs_is_not_used(plugin_run, tmp_path):
    run, plugin = plugin_run
    changed = tmp_path / "ext_router.py"
    changed.write_text(plugin.read_text() + "\n# changed\n", encoding="utf-8")
    report = verify_run(run, plugins=[f"{changed}:ExternalRouter"])
    assert not report.reproduced
    assert "has source sha256" in report.not_rerun[0] and "the run's had" in report.not_rerun[0]


def test_the_cli_says_it_did_not_re_run_and_names_the_router(plugin_run):
    run, _plugin = plugin_run
    proc = subprocess.run([sys.executable, "-m", "harness.cli", "verify", str(run)], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "NOT re-run" in proc.stdout and "external-test" in proc.stdout


@pytest.mark.parametrize(("field", "value", "text"), [
    ("seeds", "1", "seeds: expected a list of integers"),
    ("seeds", [1.5], "seeds: expected a list of integers"),
    ("routers", {"a": 1}, "routers: expected a list"),
    ("routers", [3], "routers[0]: expected an object with a string name"),
    ("files", ["a"], "files: expected an object of file names"),
    ("files", {"../../etc/passwd": "x"}, "files: expected paths inside the run folder"),
    ("scenario", [], "scenario: expected an object"),
])
def test_a_manifest_with_wrong_types_is_a_one_line_error(plugin_run, tmp_path, field, value, text):
    run = _copy(plugin_run[0], tmp_path)
    manifest = json.loads((run / "manifest.json").read_text())
    manifest[field] = value
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(UserError) as exc:
        verify_run(run)
    assert text in str(exc.value) and "\n" not in str(exc.value)


# --------------------------------------------------------------------------------- the re-run's isolation (item 2)
FLOOD = f"{REPO / 'tests' / 'data' / 'plugins' / 'os_hostile_routers.py'}:FloodRouter"
ISOLATION = {"router_process": "always", "router_memory_bytes": 512 << 20, "router_cpu_s": 120,
             "callback_timeout_s": 20.0, "router_requests_per_callback": 200}


@pytest.fixture(scope="module")
def isolated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """best-price and the flooding plug-in, run with non-default isolation: every router in a process of its own,
    512 MiB, 120 s of CPU, a 20 s callback limit and 200 requests a callback (the plug-in fails on that limit)."""
    from harness.sim.router_node import RouterLimits

    root = tmp_path_factory.mktemp("isolated")
    reg = PluginRegistry()
    reg.add_builtins()
    name = reg.add_spec(FLOOD)
    out = root / "run"
    outcome = run_scenario(small_scenario(), scenario_path=None, routers=["best-price", name], seeds=[1],
                           out_dir=out, results_root=root, registry=reg, report=False,
                           limits=RouterLimits(**ISOLATION))
    assert {r.router: r.status for r in outcome.results} == {"best-price": "ok", "flood-test": "failed"}
    assert "more than 200 requests" in next(r.error for r in outcome.results if r.router == "flood-test")
    return out


def test_the_manifest_records_the_isolation(isolated_run):
    limits = json.loads((isolated_run / "manifest.json").read_text())["router_limits"]
    assert {k: limits[k] for k in ISOLATION} == ISOLATION


def test_the_re_run_uses_the_recorded_isolation_and_reproduces_a_failure_on_a_limit(isolated_run, monkeypatch):
    """verify re-runs with the run's router-process mode, memory, CPU, wall-clock and request limits (so the plug-in
    fails again on its 200-request limit, with the same failure file), and the named plug-in is still inspected in a
    child process, never imported here."""
    import harness.workflows.run as run_module

    seen = []
    real = run_module.run_scenario

    def spy(*args, **kwargs):
        seen.append(kwargs["limits"])
        return real(*args, **kwargs)

    monkeypatch.setattr(run_module, "run_scenario", spy)
    before = [m for m in sys.modules if m.startswith("sorbench_plugin_")]
    report = verify_run(isolated_run, plugins=[FLOOD], check_report=False)
    assert report.reproduced and report.ok, report.problems
    assert {k: getattr(seen[0], k) for k in ISOLATION} == ISOLATION
    assert [m for m in sys.modules if m.startswith("sorbench_plugin_")] == before


@pytest.mark.parametrize(("value", "text"), [
    ({"router_process": "sometimes"}, "router_limits.router_process: expected 'plugins', 'always' or 'never'"),
    ({"router_memory_bytes": "lots"}, "router_limits.router_memory_bytes: expected a positive number of bytes"),
    ({"router_cpu_s": -5}, "router_limits: router CPU limit must be positive, got -5"),
    ({"callback_timeout_s": True}, "router_limits.callback_timeout_s: expected a positive number of seconds"),
    ({"router_requests_per_callback": None}, "router_limits.router_requests_per_callback: expected a positive"),
    ([], "router_limits: expected an object"),
])
def test_recorded_isolation_of_the_wrong_type_is_a_one_line_error(value, text):
    from harness.workflows.verify import recorded_limits

    with pytest.raises(UserError) as exc:
        recorded_limits({"router_limits": value})
    assert text in str(exc.value) and "\n" not in str(exc.value)


def test_a_manifest_without_isolation_gets_the_defaults_it_ran_with():
    from harness.sim.router_node import RouterLimits
    from harness.workflows.verify import recorded_limits

    assert recorded_limits({"router_limits": {"callback_timeout_s": 30.0, "decision_latency": "none"}}) == \
        RouterLimits()
