"""``fix``: a vendor's SOR that runs as its own process and speaks FIX 4.4, measured like a reference router.

:class:`FixRouter` is an ordinary :class:`~adapters.contract.Router` whose callbacks translate between the simulation
and two kinds of FIX session (QuickFIX engines, see :mod:`adapters.fix.session`):

* the parent-order session: sorbench is the initiator to the vendor's client-facing endpoint; each parent order
  becomes a NewOrderSingle (ClOrdID ``P<run>-<parent id>``) and the vendor's ExecutionReports are recorded;
* the venue gateways (:mod:`adapters.fix.gateway`): the vendor's child orders arrive there and become
  ``ctx.send``/``cancel``/``replace``, so they are the router's child orders, on the router's latency links.

It takes part only in real time (``sorbench run --realtime``): QuickFIX's threads put what they hear on
:attr:`realtime_inbox`, the real-time loop hands it to :meth:`on_timer` at the simulated time it arrived, and a
periodic timer (``md_interval_us`` of simulated time) publishes market-data changes and checks the vendor's answers.

Failures end the run as failed with the reason, keeping what was produced (``partial`` in the manifest): the vendor
cannot be reached at start, a session it had logged on logs out or drops (including missed heartbeats), a parent
order goes unanswered for ``parent_ack_timeout_s``, or more orders for unknown venues than tolerated.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from adapters.contract import (
    ChildAck,
    ChildCancelled,
    ChildFill,
    ChildReject,
    ParentOrder,
    Router,
    RouterContext,
)
from adapters.fix.config import FixParams
from adapters.fix.frontdoor import FrontDoor
from adapters.fix.gateway import UnknownVenueLimit, VenueGateway, price_text
from adapters.fix.session import (
    BEGIN_STRING,
    FixEngine,
    Inbox,
    acceptor_settings,
    build_message,
    data_dictionary_path,
    first,
    import_quickfix,
    initiator_settings,
    make_application,
    send,
    utc_now,
    write_settings,
)
from venues.types import OrdType, Side

_POLL = "fix-poll"
_TERMINAL = {"2", "3", "4", "8", "C"}  # filled, done for day, canceled, rejected, expired


class VendorFailure(Exception):
    """The vendor's side of the FIX sessions failed; the run ends as failed with this reason."""


@dataclass
class _Parent:
    parent: ParentOrder
    cl_ord_id: str
    sent_ts_ns: int
    sent_wall: float
    acked_ts_ns: int | None = None
    status: str = ""
    vendor_cum_qty: int = 0
    vendor_avg_px: float = 0.0
    filled_qty: int = 0
    children: int = 0
    end_cancel: str = ""


def _wall_utc() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class FixRouter(Router):
    """An external SOR over FIX 4.4: parent orders to its endpoint, its child orders through the venue gateways."""

    name = "fix"
    description = "External SOR over FIX 4.4 (QuickFIX): vendor endpoint + venue gateways; needs --realtime"
    Params = FixParams  # type: ignore[assignment]
    requires_realtime: ClassVar[bool] = True
    """Cannot take part in virtual time (see harness/sim/realtime.py)."""

    def __init__(self, params: Any = None) -> None:
        super().__init__(params)
        self.realtime_inbox = Inbox()
        self._fix: Any = None
        self._gateway_engine: FixEngine | None = None
        self._parent_engine: FixEngine | None = None
        self._tmp: Path | None = None
        self._front_door: FrontDoor | None = None
        self._secret = ""
        self.gateway: VenueGateway | None = None
        self._parent_session = ""
        self._logged_on: set[str] = set()
        self._ever_logged_on: set[str] = set()
        self._ending = False
        self._parents: dict[int, _Parent] = {}
        self._by_cl: dict[str, int] = {}
        self._run_tag = time.strftime("%H%M%S")
        self._events: dict[str, list[Any]] = {k: [] for k in ("wall_utc", "ts_ns", "side", "session", "event", "text")}
        self._reports: dict[str, list[Any]] = {k: [] for k in (
            "wall_utc", "ts_ns", "parent_id", "msg_type", "cl_ord_id", "orig_cl_ord_id", "order_id", "exec_id",
            "exec_type", "ord_status", "cum_qty", "leaves_qty", "last_qty", "last_px", "avg_px", "text", "raw")}

    # ------------------------------------------------------------------ lifecycle
    def on_start(self, ctx: RouterContext) -> None:
        """Start the gateway acceptor and the parent-order initiator; wait for the vendor's logons."""
        super().on_start(ctx)
        p: FixParams = self.params
        fix = self._fix = import_quickfix()
        dictionary = data_dictionary_path()
        self._tmp = Path(tempfile.mkdtemp(prefix="sorbench-fix-"))
        logs = self._tmp / "logs"
        logs.mkdir()
        venues = list(ctx.venues)
        local_ids = [*venues, p.gateway.routing_comp_id]
        # Inside, the vendor's CompIDs carry a per-run secret (see adapters/fix/frontdoor.py).
        self._secret = f"~{secrets.token_hex(6)}"
        internal = {c: f"{c}{self._secret}" for c in p.gateway.client_comp_ids}
        venue_of_session: dict[str, str | None] = {}
        for local in local_ids:
            for remote in internal.values():
                venue_of_session[f"{BEGIN_STRING}:{local}->{remote}"] = local if local in ctx.venues else None
        internal_port = _free_loopback_port()
        v = p.vendor
        taken = [f"{BEGIN_STRING}:{v.sender_comp_id}->{v.target_comp_id}", *venue_of_session]
        for key in taken:  # QuickFIX's session registry is process-wide: two live engines must not share an ID
            begin, _, pair = key.partition(":")
            sender, _, target = pair.partition("->")
            if fix.Session.doesSessionExist(fix.SessionID(begin, sender, target)):
                raise VendorFailure(f"FIX session {self._public(key)} is already open in this process")
        gw_app = make_application(fix, self.realtime_inbox, kind="gateway", app_types=frozenset("DFGV"))
        gw_file = write_settings(self._tmp / "gateway.cfg", acceptor_settings(
            port=internal_port, local_ids=local_ids, remote_ids=list(internal.values()), log_dir=logs,
            dictionary=dictionary))
        self._gateway_engine = FixEngine(fix, application=gw_app, settings_file=gw_file, acceptor=True, log_dir=logs)
        pa_app = make_application(fix, self.realtime_inbox, kind="parent", app_types=frozenset("89"))
        pa_file = write_settings(self._tmp / "parent.cfg", initiator_settings(
            host=v.host, port=v.port, sender=v.sender_comp_id, target=v.target_comp_id, heartbeat_s=v.heartbeat_s,
            log_dir=logs, dictionary=dictionary))
        self._parent_engine = FixEngine(fix, application=pa_app, settings_file=pa_file, acceptor=False, log_dir=logs)
        self._parent_session = f"{BEGIN_STRING}:{v.sender_comp_id}->{v.target_comp_id}"
        self.gateway = VenueGateway(
            ctx=ctx, send=self._gateway_send, venue_of_session=venue_of_session, find_parent=self._find_parent,
            unknown_venue_allowed=p.unknown_venue_orders_allowed,
        )
        try:
            self._gateway_engine.start()
            self._front_door = FrontDoor(host=p.gateway.host, port=p.gateway.port, internal_port=internal_port,
                                         renames=internal)
        except Exception as exc:
            raise VendorFailure(f"the venue gateway cannot listen on {p.gateway.host}:{p.gateway.port}: "
                                f"{exc}") from None
        self._parent_engine.start()
        if not self._wait_until(lambda: self._parent_session in self._logged_on, p.connect_timeout_s):
            raise VendorFailure(f"no logon on the vendor's endpoint {v.host}:{v.port} as {v.sender_comp_id}->"
                                f"{v.target_comp_id} within {p.connect_timeout_s:g} s")
        if p.gateway_logon_timeout_s > 0 and not self._wait_until(
            lambda: any(k in venue_of_session for k in self._logged_on), p.gateway_logon_timeout_s
        ):
            raise VendorFailure(f"the vendor did not log on to the venue gateway (port {p.gateway.port}) within "
                                f"{p.gateway_logon_timeout_s:g} s")
        ctx.set_timer(p.md_interval_us * 1000, _POLL)

    def _wait_until(self, done: Any, timeout_s: float) -> bool:
        """Apply inbox items (wall clock, before the window starts) until ``done()`` or the timeout."""
        deadline = time.monotonic() + timeout_s
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            if self.realtime_inbox.wait(min(left, 0.05)):
                self._drain()
        return True

    def on_timer(self, token: object) -> None:
        """Apply what arrived from outside (token: the inbox) or do the periodic work (market data, timeouts)."""
        if token is self.realtime_inbox:
            self._drain()
            return
        if token == _POLL and not self._ending:
            assert self.gateway is not None
            self.gateway.poll_market_data()
            self._check_timeouts()
            self.ctx.set_timer(self.params.md_interval_us * 1000, _POLL)

    def on_end(self) -> None:
        """Close the venues, cancel the parents still open at the vendor and wait briefly for its answers."""
        self._drain()
        self._ending = True
        if self.gateway is not None:
            self.gateway.closed = True
        open_parents = [s for s in self._parents.values() if s.status not in _TERMINAL]
        for s in open_parents:
            cancel_cl = f"{s.cl_ord_id}-C"
            self._by_cl[cancel_cl] = s.parent.parent_id
            ok = self._send_parent("F", [
                (41, s.cl_ord_id), (11, cancel_cl), (55, s.parent.symbol),
                (54, "1" if s.parent.side is Side.BUY else "2"), (60, utc_now()), (38, str(s.parent.qty)),
            ])
            s.end_cancel = "sent" if ok else "not sent (session down)"
        self._wait_until(lambda: all(s.end_cancel != "sent" for s in open_parents), self.params.end_grace_s)
        for s in open_parents:
            if s.end_cancel == "sent":
                s.end_cancel = "no answer"

    def realtime_close(self) -> tuple[dict[str, dict[str, list[Any]]], dict[str, bytes]]:
        """Stop both engines (``stop(True)``), then hand over the FIX tables and raw logs for the run folder."""
        self._ending = True
        for engine in (self._parent_engine, self._gateway_engine):
            if engine is not None:
                engine.stop()
        if self._front_door is not None:
            self._front_door.close()
            self._front_door = None
        self._drain(after_end=True)
        files: dict[str, bytes] = {}
        if self._tmp is not None:
            for f in sorted((self._tmp / "logs").glob("*")):
                if f.is_file():
                    files[f"fix/logs/{f.name}"] = f.read_bytes()
            for cfg in ("gateway.cfg", "parent.cfg"):
                if (self._tmp / cfg).is_file():
                    files[f"fix/logs/{cfg}"] = (self._tmp / cfg).read_bytes()
            if self.params.log_dir:
                dest = Path(self.params.log_dir)
                dest.mkdir(parents=True, exist_ok=True)
                for name, data in files.items():
                    (dest / Path(name).name).write_bytes(data)
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        self._parent_engine = self._gateway_engine = None
        return self._tables(), files

    # ------------------------------------------------------------------ parents
    def on_parent(self, parent: ParentOrder) -> None:
        """Send the parent to the vendor as a NewOrderSingle."""
        if self._parent_session not in self._logged_on:
            raise VendorFailure(f"parent order {parent.parent_id} arrived but the vendor's session is not logged on")
        cl = f"P{self._run_tag}-{parent.parent_id}"
        fields = [(11, cl), (21, "1"), (55, parent.symbol), (54, "1" if parent.side is Side.BUY else "2"),
                  (60, utc_now()), (38, str(parent.qty))]
        if parent.order_type is OrdType.MARKET or parent.limit_price is None:
            fields.append((40, "1"))
        else:
            fields += [(40, "2"), (44, price_text(parent.limit_price))]
        fields.append((59, "0"))
        self._parents[parent.parent_id] = _Parent(parent, cl, self.ctx.now_ns, time.monotonic())
        self._by_cl[cl] = parent.parent_id
        if not self._send_parent("D", fields):
            raise VendorFailure(f"parent order {parent.parent_id} could not be sent on {self._parent_session}")

    def _send_parent(self, msg_type: str, fields: list[tuple[int, str]]) -> bool:
        assert self._parent_engine is not None
        try:
            sid = self._parent_engine.session_id(self._parent_session)
        except KeyError:
            return False
        return send(self._fix, sid, build_message(self._fix, msg_type, fields))

    def _find_parent(self, link: str | None, symbol: str, side: Side) -> int | None:
        """The parent a child order works: named by ClOrdLinkID (583), else the oldest open one of its symbol/side."""
        if link is not None:
            pid = self._by_cl.get(link)
            if pid is None:
                return None
            s = self._parents[pid]
            return pid if s.parent.symbol == symbol and s.parent.side is side else None
        for pid, s in self._parents.items():  # insertion order: arrival order
            if (s.parent.symbol == symbol and s.parent.side is side and s.status not in _TERMINAL
                    and s.filled_qty < s.parent.qty):
                return pid
        return None

    def _parent_report(self, msg_type: str, raw: list[tuple[int, str]]) -> None:
        f = first(raw)
        cl = f.get(11, "")
        pid = self._by_cl.get(cl, self._by_cl.get(f.get(41, "")))
        now = None if self._ctx is None or self._ending else self.ctx.now_ns
        for k, val in (("wall_utc", _wall_utc()), ("ts_ns", now), ("parent_id", pid), ("msg_type", msg_type),
                       ("cl_ord_id", cl), ("orig_cl_ord_id", f.get(41)), ("order_id", f.get(37)),
                       ("exec_id", f.get(17)), ("exec_type", f.get(150)), ("ord_status", f.get(39)),
                       ("cum_qty", _num(f.get(14))), ("leaves_qty", _num(f.get(151))), ("last_qty", _num(f.get(32))),
                       ("last_px", _num(f.get(31))), ("avg_px", _num(f.get(6))), ("text", f.get(58)),
                       ("raw", "|".join(f"{t}={v}" for t, v in raw))):
            self._reports[k].append(val)
        if pid is None:
            self._event("parent", self._parent_session, "unknown_parent_report", f"ClOrdID {cl!r}")
            return
        s = self._parents[pid]
        if s.acked_ts_ns is None:
            s.acked_ts_ns = now if now is not None else -1
        if msg_type == "9":
            if s.end_cancel == "sent":
                s.end_cancel = "rejected"
            return
        s.status = f.get(39, s.status)
        s.vendor_cum_qty = int(_num(f.get(14)) or s.vendor_cum_qty)
        s.vendor_avg_px = float(_num(f.get(6)) or s.vendor_avg_px)
        if s.end_cancel == "sent" and f.get(39) in _TERMINAL:
            s.end_cancel = "confirmed"

    def _check_timeouts(self) -> None:
        limit = self.params.parent_ack_timeout_s
        now = time.monotonic()
        for pid, s in self._parents.items():
            if s.acked_ts_ns is None and now - s.sent_wall > limit:
                raise VendorFailure(f"the vendor did not answer parent order {pid} ({s.cl_ord_id}) within {limit:g} s")

    # ------------------------------------------------------------------ venue responses -> gateway
    def on_ack(self, ack: ChildAck) -> None:
        """Report the venue's ack to the vendor."""
        if self.gateway is not None:
            self.gateway.on_ack(ack)

    def on_fill(self, fill: ChildFill) -> None:
        """Report the fill to the vendor (and count it against its parent for reconciliation)."""
        s = self._parents.get(fill.parent_id)
        if s is not None:
            s.filled_qty += fill.qty
        if self.gateway is not None:
            self.gateway.on_fill(fill)

    def on_reject(self, reject: ChildReject) -> None:
        """Report the venue's reject to the vendor."""
        if self.gateway is not None:
            self.gateway.on_reject(reject)

    def on_cancelled(self, cancelled: ChildCancelled) -> None:
        """Report the cancel to the vendor."""
        if self.gateway is not None:
            self.gateway.on_cancelled(cancelled)

    def _gateway_send(self, session: str, msg_type: str, fields: list[tuple[int, str]],
                      groups: Any = ()) -> None:
        assert self._gateway_engine is not None
        try:
            sid = self._gateway_engine.session_id(session)
        except KeyError:
            return
        if not send(self._fix, sid, build_message(self._fix, msg_type, fields, groups)):
            self._event("gateway", session, "send_failed", f"35={msg_type} not sent (session not logged on)")

    # ------------------------------------------------------------------ inbox
    def _drain(self, *, after_end: bool = False) -> None:
        """Apply everything QuickFIX's threads put on the inbox (simulation thread)."""
        for item in self.realtime_inbox.drain():
            kind, side = item[0], item[1]
            if kind == "created":
                continue
            if kind == "logon":
                self._logged_on.add(item[2])
                self._ever_logged_on.add(item[2])
                self._event(side, item[2], "logon", "")
            elif kind == "logout":
                was_on = item[2] in self._logged_on
                self._logged_on.discard(item[2])
                self._event(side, item[2], "logout", "")
                if was_on and not self._ending and not after_end:
                    what = "parent-order" if side == "parent" else "venue gateway"
                    raise VendorFailure(f"the vendor's {what} session {self._public(item[2])} logged out or "
                                        "disconnected "
                                        "during the run")
            elif kind == "event":
                self._event(side, item[2], item[3], item[4])
            elif kind == "app" and side == "parent":
                self._parent_report(item[3], item[4])
            elif kind == "app" and self.gateway is not None:
                if after_end:
                    self._event(side, item[2], "ignored_after_end", f"35={item[3]}")
                    continue
                try:
                    self.gateway.on_message(item[2], item[3], item[4])
                except UnknownVenueLimit as exc:
                    raise VendorFailure(str(exc)) from None

    def _public(self, text: str) -> str:
        """Session keys and messages with the vendor's CompIDs as the vendor knows them (no internal secret)."""
        return text.replace(self._secret, "") if self._secret else text

    def _event(self, side: str, session: str, event: str, text: str) -> None:
        now = None if self._ctx is None or self._ending else self.ctx.now_ns
        for k, v in (("wall_utc", _wall_utc()), ("ts_ns", now), ("side", side), ("session", self._public(session)),
                     ("event", event), ("text", self._public(text))):
            self._events[k].append(v)

    # ------------------------------------------------------------------ tables
    def _tables(self) -> dict[str, dict[str, list[Any]]]:
        parents: dict[str, list[Any]] = {k: [] for k in (
            "parent_id", "cl_ord_id", "sent_ts_ns", "acked_ts_ns", "vendor_ord_status", "vendor_cum_qty",
            "vendor_avg_px", "child_orders", "filled_qty", "reconciled", "end_cancel")}
        children: dict[int, int] = {}
        if self.gateway is not None:
            for o in self.gateway.by_child.values():
                children[o.parent_id] = children.get(o.parent_id, 0) + 1
        for pid, s in self._parents.items():
            for k, v in (("parent_id", pid), ("cl_ord_id", s.cl_ord_id), ("sent_ts_ns", s.sent_ts_ns),
                         ("acked_ts_ns", s.acked_ts_ns), ("vendor_ord_status", s.status or None),
                         ("vendor_cum_qty", s.vendor_cum_qty), ("vendor_avg_px", s.vendor_avg_px),
                         ("child_orders", children.get(pid, 0)), ("filled_qty", s.filled_qty),
                         ("reconciled", s.vendor_cum_qty == s.filled_qty), ("end_cancel", s.end_cancel or None)):
                parents[k].append(v)
        out = {
            "fix/parents.parquet": parents,
            "fix/parent_execution_reports.parquet": self._reports,
            "fix/session_events.parquet": self._events,
        }
        if self.gateway is not None:
            rejects = dict(self.gateway.rejects)
            rejects["session"] = [self._public(k) for k in rejects["session"]]
            out["fix/gateway_rejects.parquet"] = rejects
        return out


def _free_loopback_port() -> int:
    """A port free right now (for the internal QuickFIX acceptor)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _num(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


__all__ = ["FixRouter", "VendorFailure"]
