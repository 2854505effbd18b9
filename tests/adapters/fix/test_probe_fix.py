"""``sorbench probe`` on an external SOR over FIX (in real time): the example best-price SOR's coverage fingerprint is
best-price's (every lit venue reached, no dark pool or wholesaler), probed beside the built-in best-price."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

pytest.importorskip("quickfix", reason="QuickFIX's Python binding (pip install 'sorbench[fix]') is not installed")

import pandas as pd

from tests.adapters.fix.helpers import free_port
from tests.adapters.fix.test_example_sor import EXAMPLE, _configs
from tests.sim.helpers import REPO


@pytest.mark.slow
def test_a_fix_vendor_is_probed_in_real_time_beside_the_reference(tmp_path):
    vendor_port, gateway_port = free_port(), free_port()
    sor_cfg, router_cfg = _configs(tmp_path, vendor_port, gateway_port)
    sor = subprocess.Popen([sys.executable, str(EXAMPLE / "best_price_sor.py"), "--config", str(sor_cfg)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "harness.cli", "probe", str(REPO / "scenarios" / "fix-example.toml"),
             "--router", "fix", "--router-config", str(router_cfg), "--probe", "coverage", "--seeds", "1",
             "--orders", "2", "--window-s", "2", "--out", str(tmp_path / "p"), "--quiet"],
            capture_output=True, text=True, cwd=tmp_path, timeout=300,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
    finally:
        sor.send_signal(signal.SIGTERM)
        try:
            sor.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            sor.kill()
            sor.communicate()
    assert run.returncode == 0, run.stdout + run.stderr
    fp = pd.read_csv(tmp_path / "p" / "probe" / "fingerprint.csv")
    fix = fp[fp["router"] == "fix"].set_index("param")["mean"].to_dict()
    assert fix == {"BYX": 1.0, "DARK1": 0.0, "EDGX": 1.0, "NSDQ": 1.0, "WHSA": 0.0, "WHSB": 0.0}
    rows = fp[fp["router"] == "fix"]
    assert (rows["reference_mean"].to_numpy() == rows["mean"].to_numpy()).all()  # the same as built-in best-price
