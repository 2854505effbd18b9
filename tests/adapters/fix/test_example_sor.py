"""End to end: the example best-price SOR (a separate process speaking only FIX) run as router fix by `sorbench run
--realtime` beside a reference router, on the same parent flow, into an ordinary run folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("quickfix", reason="QuickFIX's Python binding (pip install 'sorbench[fix]') is not installed")

import pandas as pd

from tests.adapters.fix.helpers import free_port
from tests.sim.helpers import REPO

pytestmark = pytest.mark.slow  # the example vendor SOR over FIX in real time (-m "not slow" leaves it out)

EXAMPLE = REPO / "examples" / "fix_sor"


def _configs(tmp: Path, vendor_port: int, gateway_port: int) -> tuple[Path, Path]:
    """The shipped example configurations with free ports."""
    cfg = (EXAMPLE / "best_price_sor.cfg").read_text(encoding="utf-8")
    cfg = cfg.replace("SocketAcceptPort=9878", f"SocketAcceptPort={vendor_port}")
    cfg = cfg.replace("SocketConnectPort=9880", f"SocketConnectPort={gateway_port}")
    cfg = cfg.replace("FileLogPath=logs", f"FileLogPath={tmp / 'sor-logs'}")
    router = (REPO / "scenarios" / "fix" / "fix-router.toml").read_text(encoding="utf-8")
    router = router.replace("port = 9878", f"port = {vendor_port}").replace("port = 9880", f"port = {gateway_port}")
    assert str(vendor_port) in cfg and str(gateway_port) in router and "sor-logs" in cfg
    (tmp / "sor.cfg").write_text(cfg, encoding="utf-8")
    (tmp / "fix.toml").write_text(router, encoding="utf-8")
    return tmp / "sor.cfg", tmp / "fix.toml"


def test_the_example_sor_logs_beside_its_settings_not_in_the_working_directory(tmp_path, monkeypatch):
    """The shipped settings' relative FileLogPath=logs is read from the settings file's folder (examples/fix_sor/logs,
    git-ignored), so starting the SOR from the repository root no longer writes best_price_sor_logs/ there."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("best_price_sor", EXAMPLE / "best_price_sor.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    shipped = (EXAMPLE / "best_price_sor.cfg").read_text(encoding="utf-8")
    assert "FileLogPath=logs\n" in shipped
    resolved = module.log_path_beside(shipped, EXAMPLE)
    assert f"FileLogPath={EXAMPLE / 'logs'}\n" in resolved
    assert module.log_path_beside(f"FileLogPath={tmp_path}\n", EXAMPLE) == f"FileLogPath={tmp_path}\n"  # absolute
    ignored = subprocess.run(["git", "check-ignore", "-q", str(EXAMPLE / "logs" / "x.log")], cwd=REPO)
    assert ignored.returncode == 0


def test_the_example_sor_routes_the_parent_flow_over_fix_into_a_complete_run_folder(tmp_path):
    """The vendor's child orders reach several venues and fill; its parent reports reconcile with the simulated fills;
    no parent is overfilled; the run folder has the usual tables and analytics plus fix/ (reports, logs)."""
    vendor_port, gateway_port = free_port(), free_port()
    sor_cfg, router_cfg = _configs(tmp_path, vendor_port, gateway_port)
    sor = subprocess.Popen([sys.executable, str(EXAMPLE / "best_price_sor.py"), "--config", str(sor_cfg)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "harness.cli", "run", str(REPO / "scenarios" / "fix-example.toml"),
             "--router", "fix", "--router", "best-price", "--router-config", str(router_cfg), "--realtime",
             "--window", "09:30:00-09:30:06", "--out", str(tmp_path / "run"), "--quiet"],
            capture_output=True, text=True, cwd=tmp_path, timeout=120,
            env={**os.environ, "PYTHONPATH": str(REPO)},  # this checkout, whatever an installed sorbench points at
        )
    finally:
        sor.send_signal(signal.SIGTERM)
        try:
            sor_out = sor.communicate(timeout=20)[0]
        except subprocess.TimeoutExpired:
            sor.kill()
            sor_out = sor.communicate()[0]
    assert run.returncode == 0, run.stderr + run.stdout
    assert "best-price SOR stopped" in sor_out and "Traceback" not in sor_out, sor_out
    out = tmp_path / "run"
    manifest = json.loads((out / "manifest.json").read_text())
    assert {r["router"]: r["status"] for r in manifest["runs"]} == {"fix": "ok", "best-price": "ok"}
    assert manifest["realtime"] == {"time_factor": 1.0, "window": ["09:30:00", "09:30:06"]}
    assert manifest["scenario"]["session"]["end"] == "09:30:06" and not manifest["router_limits"]["reproducible"]

    parents = pd.read_parquet(out / "parent_orders.parquet")
    children = pd.read_parquet(out / "child_orders.parquet")
    fills = pd.read_parquet(out / "fills.parquet")
    fix_children = children[children["router"] == "fix"]
    fix_fills = fills[fills["router"] == "fix"]
    assert fix_children["venue"].nunique() >= 2 and len(fix_fills) > 0
    assert set(fix_children["parent_id"]) <= set(parents["parent_id"])
    filled = fix_fills.groupby("parent_id")["qty"].sum()
    qty = parents.set_index("parent_id")["qty"]
    assert (filled <= qty[filled.index]).all()  # no parent overfilled
    assert 0 < len(filled) <= len(parents)

    fix_parents = pd.read_parquet(out / "fix" / "parents.parquet")
    assert sorted(fix_parents["parent_id"]) == sorted(parents["parent_id"])
    assert fix_parents["acked_ts_ns"].notna().all()
    assert fix_parents["reconciled"].all(), fix_parents  # the vendor reported exactly the fills the venues made
    assert (fix_parents.set_index("parent_id")["filled_qty"][filled.index] == filled).all()
    assert len(pd.read_parquet(out / "fix" / "parent_execution_reports.parquet")) >= len(parents)
    logs = list((out / "fix" / "logs" / "fix-seed1").glob("*.messages.current.log"))
    assert any("NSDQ" in p.name for p in logs) and any("SORBENCH-BESTSOR" in p.name for p in logs)

    from harness.workflows.verify import verify_run

    report = verify_run(out)  # files intact; a wall-clock run is not re-run (and says so)
    assert report.ok and not report.reproduced and any("wall clock" in n for n in report.notes)

    summary = pd.read_csv(out / "tca" / "summary.csv")
    assert {"fix", "best-price"} <= set(summary["router"])
    assert set(manifest["files"]) >= {"fix/parents.parquet", "tca/summary.csv", "fills.parquet"}
