"""``sorbench run``'s exit status: 0 only when every simulation and the analytics succeeded, 3 for a partial run.

A partial run still writes its folder (``manifest.json``: ``"partial": true`` and its ``failures``) and prints one
``FAILED`` line per failure on stderr, the analytics' included. Plug-ins that call ``sys.exit()``, raise a
``KeyboardInterrupt``, call ``os._exit`` or kill their own process are contained at ``--jobs 1`` and ``--jobs 2``
(each runs in a router process of its own).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harness.errors import EXIT_PARTIAL
from tests.cli.test_cli import REPO, sorbench, tiny_dict, write_toml

HOSTILE = REPO / "tests" / "data" / "plugins" / "hostile_routers.py"


def _manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_plugins_that_end_the_process_give_exit_3_a_partial_folder_and_a_line_each(tmp_path, jobs):
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    out = tmp_path / "run"
    hostile = ["SysExitRouter", "InterruptRouter", "OsExitRouter"]
    args = [a for c in hostile for a in ("--router", f"{HOSTILE}:{c}")]
    proc = sorbench("run", scenario, "--router", "best-price", *args, "--out", out, "--quiet", "--jobs", jobs,
                    cwd=tmp_path)
    assert proc.returncode == EXIT_PARTIAL == 3, proc.stderr
    failed = [line for line in proc.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 3, proc.stderr
    for name, text in (("sysexit-test", "sys.exit"), ("interrupt-test", "KeyboardInterrupt"),
                       ("osexit-test", "the router process exited with status 0")):
        assert any(name in line and text in line for line in failed), (name, failed)
    assert "Traceback" not in proc.stderr
    manifest = _manifest(out)
    assert manifest["partial"] is True and len(manifest["failures"]) == 3
    assert {r["router"]: r["status"] for r in manifest["runs"]}["best-price"] == "ok"
    assert (out / "report.html").is_file()


def test_a_complete_run_exits_0_and_says_so_in_the_manifest(tmp_path):
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    out = tmp_path / "run"
    proc = sorbench("run", scenario, "--router", "best-price", "--out", out, "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "FAILED" not in proc.stderr
    assert _manifest(out)["partial"] is False and _manifest(out)["failures"] == []


def test_failed_analytics_give_exit_3_with_a_failed_line(tmp_path, monkeypatch):
    """The analytics' failure is printed and fails the exit status, though every simulation succeeded."""
    import harness.analytics
    from harness.cli.app import app

    def broken(folder, **_kw):
        raise RuntimeError("analytics exploded")

    monkeypatch.setattr(harness.analytics, "analyze", broken)
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(scenario), "--router", "best-price", "--out", str(out), "--quiet"])
    assert result.exit_code == EXIT_PARTIAL, result.output
    assert "FAILED analytics failed: RuntimeError: analytics exploded" in result.output
    assert _manifest(out)["partial"] is True


def test_a_plugin_that_kills_its_own_process_gives_exit_3_and_one_line(tmp_path):
    """``os.kill(os.getpid(), SIGKILL)`` in a plug-in ends only its router process: exit 3, one FAILED line."""
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    out = tmp_path / "run"
    spec = f"{REPO / 'tests' / 'data' / 'plugins' / 'os_hostile_routers.py'}:SelfKillRouter"
    proc = sorbench("run", scenario, "--router", "best-price", "--router", spec, "--out", out, "--quiet",
                    "--no-report", cwd=tmp_path)
    assert proc.returncode == EXIT_PARTIAL, proc.stderr
    failed = [line for line in proc.stderr.splitlines() if line.startswith("FAILED")]
    assert len(failed) == 1 and "selfkill-test" in failed[0] and "killed by SIGKILL" in failed[0], proc.stderr
    manifest = _manifest(out)
    assert manifest["router_limits"]["router_process"] == "plugins"
    assert manifest["router_limits"]["router_memory_bytes"] == 1 << 30


@pytest.mark.parametrize(("option", "value", "text"), [
    ("--router-process", "sometimes", "--router-process: 'sometimes' is not plugins, always or never"),
    ("--router-memory", "lots", "--router-memory: 'lots' is not a size"),
    ("--router-memory", "1MiB", "below 64MiB"),
    ("--router-cpu", "-1", "--router-cpu: -1 must be between 0"),
])
def test_bad_router_process_options_are_one_line_errors(tmp_path, option, value, text):
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    proc = sorbench("run", scenario, option, value, "--out", tmp_path / "run", "--quiet", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert text in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
