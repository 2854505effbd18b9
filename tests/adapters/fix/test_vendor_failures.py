"""A vendor that cannot be reached, never answers or disconnects ends the run as failed with the reason; what was
produced is kept (partial), the engines are stopped and the ports freed for the next run."""

from __future__ import annotations

import socket

import pytest

pytest.importorskip("quickfix", reason="QuickFIX's Python binding (pip install 'sorbench[fix]') is not installed")

from tests.adapters.fix.helpers import FakeVendor, fix_scenario, free_port, params, parent, start_run


def _port_is_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def test_an_unreachable_vendor_fails_the_run_at_start_and_frees_the_gateway_port():
    """Nobody listens on the vendor's port: the run fails in on_start naming the endpoint, after connect_timeout_s;
    the gateway's port is free again afterwards (its engine was stopped), so a second run can use it."""
    vendor_port, gateway_port = free_port(), free_port()
    p = params(vendor_port=vendor_port, gateway_port=gateway_port, connect_timeout_s=1.0)
    for _ in range(2):
        result = start_run(fix_scenario(seconds=2), p, [parent(1)]).result(timeout=30)
        assert result.status == "failed" and result.partial
        assert "on_start" in result.error and f"127.0.0.1:{vendor_port}" in result.error
        assert result.child_orders["child_id"] == [] and result.stats["parents"] == 1
        assert _port_is_free(gateway_port)


def test_a_vendor_that_never_answers_a_parent_fails_the_run_with_the_reason(tmp_path):
    """The vendor logs on but never acknowledges the parent order: after parent_ack_timeout_s the run fails, naming
    the parent; the parent-order table shows it unacknowledged."""
    vendor_port, gateway_port = free_port(), free_port()
    vendor = FakeVendor(vendor_port, tmp_path, mode="silent")
    try:
        result = start_run(fix_scenario(seconds=4), params(vendor_port=vendor_port, gateway_port=gateway_port,
                                                           parent_ack_timeout_s=1.0), [parent(7)]).result(timeout=30)
    finally:
        vendor.stop()
    assert len(vendor.parents) == 1 and vendor.parents[0][55] == "AAA"
    assert result.status == "failed" and result.partial
    assert "did not answer parent order 7" in result.error
    parents = result.extra_tables["fix/parents.parquet"]
    assert parents["parent_id"] == [7] and parents["acked_ts_ns"] == [None]


def test_a_vendor_that_disconnects_mid_session_fails_the_run(tmp_path):
    """The vendor logs out of the parent-order session during the window: the run fails with that reason and the
    session events record the logout."""
    vendor_port, gateway_port = free_port(), free_port()
    vendor = FakeVendor(vendor_port, tmp_path, mode="logout")
    try:
        result = start_run(fix_scenario(seconds=4), params(vendor_port=vendor_port, gateway_port=gateway_port),
                           [parent(1)]).result(timeout=30)
    finally:
        vendor.stop()
    assert result.status == "failed" and result.partial
    assert "parent-order session" in result.error and "logged out or disconnected" in result.error
    events = result.extra_tables["fix/session_events.parquet"]
    assert "logout" in events["event"]


def test_parents_still_open_at_the_end_are_cancelled_at_the_vendor_and_recorded(tmp_path):
    """A parent the vendor acked but never finished gets an OrderCancelRequest at the end of the window; the
    vendor's Canceled report is recorded and the parent table says the cancel was confirmed."""
    vendor_port, gateway_port = free_port(), free_port()
    vendor = FakeVendor(vendor_port, tmp_path, mode="ack")
    try:
        result = start_run(fix_scenario(seconds=2), params(vendor_port=vendor_port, gateway_port=gateway_port),
                           [parent(3)]).result(timeout=30)
    finally:
        vendor.stop()
    assert result.status == "ok", result.error
    assert len(vendor.cancels) == 1 and vendor.cancels[0][41] == vendor.parents[0][11]
    parents = result.extra_tables["fix/parents.parquet"]
    assert parents["end_cancel"] == ["confirmed"] and parents["vendor_ord_status"] == ["4"]
    reports = result.extra_tables["fix/parent_execution_reports.parquet"]
    assert reports["exec_type"] == ["0", "4"] and reports["parent_id"] == [3, 3]
    assert any(name.startswith("fix/logs/") and name.endswith(".messages.current.log") for name in result.extra_files)


def test_a_failed_fix_run_still_writes_its_run_folder_marked_partial(tmp_path):
    """Through run_scenario: the folder is written, the manifest marks the run failed and partial with the reason and
    records the real-time settings, the summary says partial results were kept, and fix/ holds the session events
    and logs."""
    import json

    import pandas as pd

    from harness.sim.realtime import RealtimeSettings
    from harness.workflows.run import run_scenario
    from tests.adapters.fix.helpers import _registry

    vendor_port, gateway_port = free_port(), free_port()
    p = params(vendor_port=vendor_port, gateway_port=gateway_port, connect_timeout_s=1.0)
    sc = fix_scenario(seconds=2)
    sc = sc.model_copy(update={"routers": ["fix"], "router_params": {"fix": p.model_dump(mode="json")}})
    outcome = run_scenario(sc, scenario_path=None, routers=["fix"], seeds=[1], out_dir=tmp_path / "run",
                           results_root=tmp_path, registry=_registry(), realtime=RealtimeSettings(time_factor=2.0))
    out = outcome.out_dir
    manifest = json.loads((out / "manifest.json").read_text())
    (run,) = manifest["runs"]
    assert run["status"] == "failed" and run["partial"] is True and "127.0.0.1" in run["error"]
    assert manifest["realtime"] == {"time_factor": 2.0, "window": None}
    assert manifest["router_limits"]["reproducible"] is False
    summary = pd.read_csv(out / "summary.csv")
    assert summary.loc[0, "status"] == "failed (1/1 seeds, partial results kept)"
    assert (out / "failures" / "fix-seed1.txt").is_file()
    events = pd.read_parquet(out / "fix" / "session_events.parquet")
    assert set(events["router"]) == {"fix"} and set(events["seed"]) == {1}
    assert (out / "fix" / "logs" / "fix-seed1" / "parent.cfg").is_file()
    assert "fix/session_events.parquet" in manifest["files"]


def test_a_vendor_whose_session_goes_silent_is_disconnected_by_heartbeat_and_fails_the_run():
    """A vendor that answers the logon (HeartBtInt 1 s) and then sends nothing, not even heartbeats: QuickFIX sends a
    TestRequest, gets no answer and drops the session; the run fails naming the parent-order session."""
    import threading

    from tests.adapters.fix.helpers import SOH

    vendor_port, gateway_port = free_port(), free_port()
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", vendor_port))
    server.listen(1)
    received: list[bytes] = []

    def mute_vendor() -> None:
        conn, _ = server.accept()
        conn.settimeout(10)
        data = b""
        while b"\x0110=" not in data:
            data += conn.recv(4096)
        body = (f"35=A{SOH}34=1{SOH}49=TESTSOR{SOH}52=20261120-14:30:00.000{SOH}56=SORBENCH{SOH}98=0{SOH}108=1{SOH}"
                f"141=Y{SOH}")
        msg = f"8=FIX.4.4{SOH}9={len(body)}{SOH}{body}".encode()
        conn.sendall(msg + b"10=%03d\x01" % (sum(msg) % 256))
        try:
            while chunk := conn.recv(4096):  # read what comes (heartbeats, a TestRequest), answer nothing
                received.append(chunk)
        except OSError:
            pass
        conn.close()

    t = threading.Thread(target=mute_vendor, daemon=True)
    t.start()
    try:
        p = params(vendor_port=vendor_port, gateway_port=gateway_port, parent_ack_timeout_s=30.0,
                   vendor={"heartbeat_s": 1})
        result = start_run(fix_scenario(seconds=8), p, [parent(1, at_s=7.5)]).result(timeout=60)
    finally:
        server.close()
        t.join(10)
    assert result.status == "failed" and result.partial
    assert "parent-order session" in result.error and "logged out or disconnected" in result.error
    assert b"35=1\x01" in b"".join(received)  # QuickFIX's TestRequest went unanswered
