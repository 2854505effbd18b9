"""Interoperability: QuickFIX's own C++ example client (tradeclient, from Debian's libquickfix-doc), built here and
driven through its menu, sends a NewOrderSingle to the NSDQ gateway session and gets the ExecutionReports back.

Nothing of the client is written here: only its settings file and the answers typed at its prompts.
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("quickfix", reason="QuickFIX's Python binding (pip install 'sorbench[fix]') is not installed")

from adapters.fix.session import data_dictionary_path
from tests.adapters.fix.helpers import VENDOR, FakeVendor, fix_scenario, free_port, params, parent, start_run

EXAMPLES = Path("/usr/share/doc/libquickfix-doc/examples/tradeclient")
HEADERS = Path("/usr/include/quickfix/Application.h")


@pytest.fixture(scope="session")
def tradeclient(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tradeclient compiled once per test session from the Debian example sources (skip if they are absent)."""
    gxx = shutil.which("g++")
    if gxx is None or not HEADERS.is_file() or not EXAMPLES.is_dir():
        pytest.skip("needs g++, libquickfix-dev and libquickfix-doc (.ci/run installs them)")
    src = tmp_path_factory.mktemp("tradeclient") / "examples" / "tradeclient"
    src.mkdir(parents=True)
    for name in ("tradeclient.cpp", "Application.cpp", "Application.h"):
        plain, packed = EXAMPLES / name, EXAMPLES / f"{name}.gz"
        if plain.is_file():
            shutil.copy(plain, src / name)
        elif packed.is_file():
            (src / name).write_bytes(gzip.decompress(packed.read_bytes()))
        else:
            pytest.skip(f"{name} is not among QuickFIX's example sources in {EXAMPLES}")
    (src / "config.h").write_text("", encoding="utf-8")  # the autotools header the example includes
    (src.parent.parent / "src").mkdir()
    (src.parent.parent / "src" / "getopt-repl.h").write_text("", encoding="utf-8")
    binary = src / "tradeclient"
    build = subprocess.run([gxx, "-std=c++11", "-O0", "-w", "-I.", "-o", str(binary), "tradeclient.cpp",
                            "Application.cpp", "-lquickfix", "-lpthread"], cwd=src, capture_output=True, text=True,
                           timeout=300)
    if build.returncode != 0:
        pytest.fail(f"tradeclient did not build:\n{build.stderr[-2000:]}")
    return binary


# The answers to tradeclient's prompts for one FIX 4.4 limit IOC buy of 100 AAA at 49.00 on NSDQ: below the market
# (AAA trades near $50), so it is accepted (New) and cancelled unfilled; a marketable one would be rejected as a
# trade-through whenever another venue's offer beats NSDQ's, which the open's wider, venue-offset spreads make common.
ANSWERS = {
    "BeginString: ": "5", "ClOrdID: ": "IOP1", "Side: ": "1", "OrdType: ": "2", "Symbol: ": "AAA",
    "OrderQty: ": "100", "TimeInForce: ": "2", "Price: ": "49.0", "SenderCompID: ": VENDOR, "TargetCompID: ": "NSDQ",
    "Use a TargetSubID?: ": "N", "Send order?: ": "Y",
}


class Console:
    """tradeclient's stdout, read in a thread, and its stdin."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self.text = ""
        self._lock = threading.Lock()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                return
            with self._lock:
                self.text += chunk.decode(errors="replace")

    def snapshot(self) -> str:
        with self._lock:
            return self.text

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def wait_for(self, needle: str, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while needle not in self.snapshot():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                return False
            time.sleep(0.02)
        return True


def test_quickfix_s_c_plus_plus_tradeclient_trades_through_the_venue_gateway(tradeclient, tmp_path):
    """tradeclient logs on to the NSDQ session, its order becomes the router's child order of the open AAA buy
    parent at NSDQ, and tradeclient receives ExecutionReports New and Trade/Canceled for its ClOrdID."""
    vendor_port, gateway_port = free_port(), free_port()
    vendor = FakeVendor(vendor_port, tmp_path)
    (tmp_path / "store").mkdir()
    cfg = tmp_path / "tradeclient.cfg"
    cfg.write_text("\n".join([
        "[DEFAULT]", "ConnectionType=initiator", "ReconnectInterval=1", f"FileStorePath={tmp_path / 'store'}",
        f"FileLogPath={tmp_path}", "StartTime=00:00:00", "EndTime=00:00:00", "UseDataDictionary=Y",
        f"DataDictionary={data_dictionary_path()}", "SocketConnectHost=127.0.0.1", f"SocketConnectPort={gateway_port}",
        "HeartBtInt=30", "ResetOnLogon=Y", "", "[SESSION]", "BeginString=FIX.4.4", f"SenderCompID={VENDOR}",
        "TargetCompID=NSDQ", "",
    ]), encoding="utf-8")
    fut = start_run(fix_scenario(seconds=5), params(vendor_port=vendor_port, gateway_port=gateway_port,
                                                    gateway_logon_timeout_s=10.0), [parent(1, at_s=0.1)])
    proc = subprocess.Popen([str(tradeclient), str(cfg)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=tmp_path)
    console = Console(proc)
    try:
        assert console.wait_for("Action: ", 10)
        assert console.wait_for("35=A", 10), console.snapshot()  # its logon was answered
        deadline = time.monotonic() + 5
        while not vendor.parents and time.monotonic() < deadline:  # the window runs and the parent is open
            time.sleep(0.02)
        console.type("1")  # Enter Order
        answered, last, give_up = 0, -1, time.monotonic() + 20
        while answered < len(ANSWERS):  # answer each prompt once, as it appears at the end of the output
            text = console.snapshot()
            pos, prompt = max((text.rfind(p), p) for p in ANSWERS)
            if pos > last and text.rstrip(" ").endswith(prompt.rstrip(" ")):
                console.type(ANSWERS[prompt])
                answered, last = answered + 1, pos
                continue
            assert proc.poll() is None and time.monotonic() < give_up, text[-2000:]
            time.sleep(0.02)
        assert console.wait_for("11=IOP1", 10), console.snapshot()[-2000:]
        result = fut.result(timeout=30)
    finally:
        vendor.stop()
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    out = console.snapshot()
    reports = [ln for ln in out.replace("\x01", "|").splitlines() if "35=8|" in ln and "11=IOP1|" in ln]
    assert any("150=0|" in r for r in reports), out[-3000:]
    assert any("150=F|" in r or "150=4|" in r for r in reports), out[-3000:]
    assert result.status == "ok", result.error
    ch = result.child_orders
    assert ch["venue"] == ["NSDQ"] and ch["parent_id"] == [1] and ch["qty"] == [100] and ch["tif"] == ["ioc"]
