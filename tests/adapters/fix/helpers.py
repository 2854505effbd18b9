"""Builders for the FIX tests: free ports, a short scenario, a raw-socket FIX client and an in-process fake vendor.

The raw client (:class:`RawFix`) writes FIX by hand (BodyLength, CheckSum, sequence numbers it chooses), so tests can
send exactly the malformed, out-of-sequence or hostile messages a real engine would refuse to produce. The fake
vendor (:class:`FakeVendor`) is a QuickFIX acceptor standing in for a vendor's client-facing endpoint: it acks
parent orders, or stays silent, or logs out after the first one.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from adapters.contract import ParentOrder
from adapters.fix.config import FixParams
from adapters.fix.session import (
    FixEngine,
    acceptor_settings,
    data_dictionary_path,
    import_quickfix,
    parse,
    write_settings,
)
from harness.scenario.clock import NS_PER_SECOND, parse_clock
from harness.scenario.schema import Scenario
from harness.sim.engine import RunResult, simulate
from harness.sim.realtime import RealtimeSettings
from harness.sim.router_node import RouterLimits
from tests.sim.helpers import small_dict, small_scenario
from venues.types import OrdType, Side

SOH = "\x01"
VENDOR = "TESTSOR"
PENDING: list[concurrent.futures.Future[RunResult]] = []
"""Runs started by :func:`start_run`; conftest.py waits for each before the next test."""


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fix_scenario(*, seconds: int = 3, orders: int = 3) -> Scenario:
    """The default market over a ``seconds``-long window from the open, ``orders`` parents after 0.2 s."""
    d = small_dict()
    d["session"]["end"] = f"09:30:{seconds:02d}"
    d["flow"]["orders"] = orders
    d["flow"]["warmup_s"] = 0.2
    return small_scenario(d)


def parent(pid: int, *, symbol: str = "AAA", side: Side = Side.BUY, qty: int = 1000, limit_usd: float | None = 50.5,
           at_s: float = 0.3) -> ParentOrder:
    """A parent order ``at_s`` seconds after the open."""
    return ParentOrder(
        parent_id=pid, symbol=symbol, side=side, order_type=OrdType.MARKET if limit_usd is None else OrdType.LIMIT,
        qty=qty, limit_price=None if limit_usd is None else round(limit_usd * 10_000),
        arrival_ts_ns=parse_clock("09:30:00") + int(at_s * NS_PER_SECOND),
    )


def params(*, vendor_port: int, gateway_port: int, **kw: Any) -> FixParams:
    """Router parameters for a test vendor (short timeouts)."""
    base: dict[str, Any] = {
        "vendor": {"port": vendor_port, "sender_comp_id": "SORBENCH", "target_comp_id": VENDOR, "heartbeat_s": 30},
        "gateway": {"port": gateway_port, "client_comp_ids": [VENDOR]},
        "connect_timeout_s": 5.0, "gateway_logon_timeout_s": 0.0, "parent_ack_timeout_s": 3.0, "end_grace_s": 0.5,
    }
    for k, v in kw.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            base[k] = {**base[k], **v}
        else:
            base[k] = v
    return FixParams.model_validate(base)


def start_run(scenario: Scenario, p: FixParams, parents: list[ParentOrder], *, factor: float = 1.0
              ) -> concurrent.futures.Future[RunResult]:
    """``simulate`` of router ``fix`` in real time, in a background thread (the test drives the sessions)."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    fut = pool.submit(simulate, scenario, "fix", p, 1, parents=parents, registry=_registry(),
                      limits=RouterLimits(callback_timeout_s=None), realtime=RealtimeSettings(time_factor=factor))
    pool.shutdown(wait=False)
    PENDING.append(fut)
    return fut


def _registry() -> Any:
    from adapters.fix import FixRouter
    from tests.sim.helpers import registry_with

    return registry_with(FixRouter)


class RawFix:
    """A FIX 4.4 client written by hand over a plain socket."""

    def __init__(self, port: int, *, sender: str = VENDOR, target: str = "NSDQ", timeout_s: float = 5.0) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout_s)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.sender, self.target = sender, target
        self.seq = 1
        self._buf = b""
        self.received: list[dict[int, str]] = []
        self.closed = False

    def send_raw(self, data: bytes) -> None:
        """Send bytes as they are."""
        self.sock.sendall(data)

    def send(self, msg_type: str, fields: list[tuple[int, str]], *, seq: int | None = None,
             sender: str | None = None) -> None:
        """Send one message (``seq``: force a sequence number; the counter only advances without it)."""
        now = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]
        body = (f"35={msg_type}{SOH}34={seq if seq is not None else self.seq}{SOH}49={sender or self.sender}{SOH}"
                f"52={now}{SOH}56={self.target}{SOH}" + "".join(f"{t}={v}{SOH}" for t, v in fields))
        msg = f"8=FIX.4.4{SOH}9={len(body.encode())}{SOH}{body}"
        msg += f"10={sum(msg.encode()) % 256:03d}{SOH}"
        if seq is None:
            self.seq += 1
        self.sock.sendall(msg.encode())

    def logon(self, *, heartbeat_s: int = 30, sender: str | None = None) -> dict[int, str] | None:
        """Logon with ResetSeqNumFlag; the gateway's Logon answer, or None if refused."""
        self.send("A", [(98, "0"), (108, str(heartbeat_s)), (141, "Y")], sender=sender)
        return self.wait_for(lambda m: m.get(35) in ("A", "5"), 5.0)

    def _read(self, timeout_s: float) -> None:
        self.sock.settimeout(timeout_s)
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            return
        except OSError:
            data = b""
        if not data:
            self.closed = True
            return
        self._buf += data
        while True:
            end = self._buf.find(b"\x0110=")
            if end < 0:
                return
            stop = self._buf.find(b"\x01", end + 1)
            if stop < 0:
                return
            frame, self._buf = self._buf[: stop + 1], self._buf[stop + 1:]
            fields: dict[int, str] = {}
            for tag, value in parse(frame.decode(errors="replace")):
                fields.setdefault(tag, value)
            fields[-1] = frame.decode(errors="replace")  # the raw frame, for groups
            self.received.append(fields)

    def wait_for(self, pred: Callable[[dict[int, str]], bool], timeout_s: float) -> dict[int, str] | None:
        """The first received message (old or new) matching ``pred``, reading for up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        seen = 0
        while True:
            for m in self.received[seen:]:
                if pred(m):
                    return m
            seen = len(self.received)
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                return None
            self._read(min(left, 0.1))

    def wait_closed(self, timeout_s: float) -> bool:
        """Whether the peer closed the connection within ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while not self.closed and time.monotonic() < deadline:
            self._read(0.1)
        return self.closed

    def close(self) -> None:
        """Close the socket."""
        with contextlib.suppress(OSError):
            self.sock.close()


def order(cl: str, *, symbol: str = "AAA", side: str = "1", qty: str = "100", price: str | None = "50.5",
          tif: str = "3", extra: list[tuple[int, str]] | None = None) -> list[tuple[int, str]]:
    """NewOrderSingle body fields (limit IOC by default)."""
    fields = [(11, cl), (21, "1"), (55, symbol), (54, side), (60, "20261120-14:30:00.000"), (38, qty)]
    fields += [(40, "2"), (44, price)] if price is not None else [(40, "1")]
    fields.append((59, tif))
    return fields + (extra or [])


class FakeVendor:
    """An in-process QuickFIX acceptor playing the vendor's client-facing endpoint.

    ``mode``: ``"ack"`` answers each parent with ExecutionReport New; ``"silent"`` never answers; ``"logout"``
    logs out after the first parent arrives.
    """

    def __init__(self, port: int, tmp: Path, *, mode: str = "ack") -> None:
        fix = self.fix = import_quickfix()
        self.mode = mode
        self.parents: list[dict[int, str]] = []
        self.cancels: list[dict[int, str]] = []
        vendor = self

        class App(fix.Application):  # type: ignore[misc, name-defined]
            def onCreate(self, sid: Any) -> None:  # noqa: N802
                pass

            def onLogon(self, sid: Any) -> None:  # noqa: N802
                pass

            def onLogout(self, sid: Any) -> None:  # noqa: N802
                pass

            def toAdmin(self, m: Any, sid: Any) -> None:  # noqa: N802
                pass

            def fromAdmin(self, m: Any, sid: Any) -> None:  # noqa: N802
                pass

            def toApp(self, m: Any, sid: Any) -> None:  # noqa: N802
                pass

            def fromApp(self, m: Any, sid: Any) -> None:  # noqa: N802
                try:
                    vendor._on_app(m, sid)
                except Exception as exc:  # never into QuickFIX (it would abort the process)
                    print("fake vendor:", exc)

        logs = tmp / "vendor-logs"
        logs.mkdir(parents=True, exist_ok=True)
        cfg = write_settings(tmp / "vendor.cfg", acceptor_settings(
            port=port, local_ids=[VENDOR], remote_ids=["SORBENCH"], log_dir=logs, dictionary=data_dictionary_path()))
        self.engine = FixEngine(fix, application=App(), settings_file=cfg, acceptor=True, log_dir=logs)
        self.engine.start()

    def _on_app(self, m: Any, sid: Any) -> None:
        fix = self.fix
        f: dict[int, str] = {}
        for tag, value in parse(m.toString()):
            f.setdefault(tag, value)
        if f.get(35) == "F":
            self.cancels.append(f)
            self._reply(sid, [(37, "V1"), (11, f[11]), (41, f[41]), (17, f"X{len(self.cancels)}c"), (150, "4"),
                              (39, "4"), (55, f[55]), (54, f[54]), (151, "0"), (14, "0"), (6, "0")])
            return
        if f.get(35) != "D":
            return
        self.parents.append(f)
        if self.mode == "ack":
            self._reply(sid, [(37, "V1"), (11, f[11]), (17, f"X{len(self.parents)}"), (150, "0"), (39, "0"),
                              (55, f[55]), (54, f[54]), (151, f[38]), (14, "0"), (6, "0")])
        elif self.mode == "logout":
            threading.Thread(target=lambda: fix.Session.lookupSession(_copy(fix, sid)).logout("test"),
                             daemon=True).start()

    def _reply(self, sid: Any, fields: list[tuple[int, str]]) -> None:
        fix = self.fix
        msg = fix.Message()
        msg.getHeader().setField(fix.MsgType("8"))
        for tag, value in fields:
            msg.setField(fix.StringField(tag, value))
        fix.Session.sendToTarget(msg, sid)

    def stop(self) -> None:
        """``stop(True)`` with the factories still referenced."""
        self.engine.stop()


def _copy(fix: Any, sid: Any) -> Any:
    return fix.SessionID(sid.getBeginString().getValue(), sid.getSenderCompID().getValue(),
                         sid.getTargetCompID().getValue())
