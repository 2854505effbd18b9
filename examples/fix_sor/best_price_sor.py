#!/usr/bin/env python3
"""A best-price smart order router that speaks only FIX 4.4: an example vendor SOR for ``sorbench run --router fix``.

It is a separate program (it imports QuickFIX, not sorbench) and a starting point for a vendor's adapter:

* an **acceptor** session takes parent orders (NewOrderSingle) from sorbench and reports on them with
  ExecutionReports (New, Trade, Canceled); an OrderCancelRequest cancels what is left;
* one **initiator** session per venue gateway (TargetCompID = the venue's name) subscribes to top-of-book market data
  (MarketDataRequest; snapshots and incremental refreshes) and carries the child orders;
* routing: a parent is swept across the venues showing the best prices, best first, with IOC child orders at each
  venue's displayed price for its displayed size (never through the parent's limit). What is left of a limit order
  after a few sweeps rests as a DAY order at its limit on the first venue; what is left of a market order is swept
  again on the next market-data change. Child orders name their parent in ClOrdLinkID (583).

Usage::

    python examples/fix_sor/best_price_sor.py --config examples/fix_sor/best_price_sor.cfg

The configuration is a QuickFIX settings file (see best_price_sor.cfg): the acceptor session for sorbench, an
initiator session per venue, and ``Symbols=`` (comma-separated) in ``[DEFAULT]``. Without ``DataDictionary`` the
FIX 4.4 dictionary installed with QuickFIX's wheel is used. Stop it with Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import queue
import re
import signal
import sys
import sysconfig
import tempfile
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import quickfix as fix
import quickfix44 as fix44

SOH = "\x01"
MAX_SWEEPS = 3


def utc_now() -> str:
    """The wall clock as a FIX UTCTimestamp."""
    return dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]


def px(value: float) -> str:
    """A price as FIX text."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def copy_session_id(session_id: fix.SessionID) -> fix.SessionID:
    """A copy of a SessionID QuickFIX passed to a callback (that one is only valid during the call)."""
    return fix.SessionID(session_id.getBeginString().getValue(), session_id.getSenderCompID().getValue(),
                         session_id.getTargetCompID().getValue())


def fields_of(message: fix.Message) -> list[tuple[int, str]]:
    """A message's (tag, value) pairs in wire order."""
    out = []
    for part in message.toString().split(SOH):
        tag, sep, value = part.partition("=")
        if sep and tag.isdigit():
            out.append((int(tag), value))
    return out


@dataclass
class Parent:
    """A parent order from sorbench."""

    cl_ord_id: str
    session: fix.SessionID
    symbol: str
    side: str  # "1" buy, "2" sell
    qty: int
    limit: float | None
    cum: int = 0
    notional: float = 0.0
    open_children: set[str] = field(default_factory=set)
    sweeps: int = 0
    resting: bool = False
    done: bool = False

    @property
    def remaining(self) -> int:
        """Shares not yet executed."""
        return self.qty - self.cum


@dataclass
class Child:
    """A child order this SOR sent to a venue."""

    cl_ord_id: str
    parent: str
    venue: str
    qty: int
    cum: int = 0


class BestPriceSor(fix.Application):
    """The QuickFIX application: parent session (acceptor) and venue sessions (initiators).

    QuickFIX calls back from its own threads, each holding that session's lock. The callbacks therefore only queue
    what they hear; one thread (:meth:`run`) does all the routing and sending. Sending from inside a callback while
    another session's thread waits on a lock this one holds is how FIX applications deadlock.
    """

    def __init__(self, symbols: list[str]) -> None:
        super().__init__()
        self.symbols = symbols
        self.queue: queue.Queue[tuple[str, fix.SessionID, list[tuple[int, str]] | None]] = queue.Queue()
        self.venue_sessions: dict[str, fix.SessionID] = {}
        self.books: dict[tuple[str, str], list[float | None]] = {}  # (venue, symbol) -> [bid, bid size, ask, ask size]
        self.parents: dict[str, Parent] = {}
        self.children: dict[str, Child] = {}
        self.ids = itertools.count(1)
        self.initiator_sessions: set[str] = set()

    # ---------------------------------------------------------------- QuickFIX callbacks
    def onCreate(self, session_id: fix.SessionID) -> None:  # noqa: N802
        """A session was created."""
        pass

    def onLogon(self, session_id: fix.SessionID) -> None:  # noqa: N802
        """A session logged on."""
        self.queue.put(("logon", copy_session_id(session_id), None))

    def onLogout(self, session_id: fix.SessionID) -> None:  # noqa: N802
        """A session logged out or dropped."""
        self.queue.put(("logout", copy_session_id(session_id), None))

    def toAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        """An admin message is about to go out."""
        pass

    def fromAdmin(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        """An admin message arrived."""
        pass

    def toApp(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        """An application message is about to go out."""
        pass

    def fromApp(self, message: fix.Message, session_id: fix.SessionID) -> None:  # noqa: N802
        """An application message arrived: queue it."""
        self.queue.put(("app", copy_session_id(session_id), fields_of(message)))

    # ---------------------------------------------------------------- the routing thread
    def run(self, stop: threading.Event) -> None:
        """Apply what the sessions heard, one item at a time, until ``stop`` is set."""
        while not stop.is_set():
            try:
                kind, session_id, pairs = self.queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._apply(kind, session_id, pairs)
            except Exception:
                traceback.print_exc()

    def _apply(self, kind: str, session_id: fix.SessionID, pairs: list[tuple[int, str]] | None) -> None:
        venue = session_id.getTargetCompID().getValue()
        if kind == "logon":
            print(f"logon {session_id}", flush=True)
            if self._is_venue(session_id):
                self.venue_sessions[venue] = session_id
                self._subscribe(session_id)
            return
        if kind == "logout":
            print(f"logout {session_id}", flush=True)
            if self._is_venue(session_id):
                self.venue_sessions.pop(venue, None)
            return
        assert pairs is not None
        f = dict(reversed(pairs))  # first value of each tag
        msg_type = f.get(35)
        if not self._is_venue(session_id):
            if msg_type == "D":
                self._on_parent(session_id, f)
            elif msg_type == "F":
                self._on_parent_cancel(session_id, f)
            return
        if msg_type == "W":
            self._on_snapshot(venue, f, pairs)
        elif msg_type == "X":
            self._on_incremental(venue, pairs)
        elif msg_type == "8":
            self._on_child_report(f)
        elif msg_type in ("Y", "9"):
            print(f"{venue}: {'|'.join(f'{t}={v}' for t, v in pairs)}", flush=True)

    # ---------------------------------------------------------------- helpers
    def _is_venue(self, session_id: fix.SessionID) -> bool:
        return session_id.toString() in self.initiator_sessions

    def _send(self, session_id: fix.SessionID, msg_type: str, fields: list[tuple[int, str]]) -> None:
        msg = fix.Message()
        msg.getHeader().setField(fix.MsgType(msg_type))
        for tag, value in fields:
            msg.setField(fix.StringField(tag, value))
        fix.Session.sendToTarget(msg, session_id)

    def _subscribe(self, session_id: fix.SessionID) -> None:
        msg = fix44.MarketDataRequest()
        msg.setField(fix.MDReqID(f"md-{next(self.ids)}"))
        msg.setField(fix.SubscriptionRequestType("1"))  # snapshot, then incremental refreshes
        msg.setField(fix.MarketDepth(1))  # top of book
        for entry_type in ("0", "1"):
            g = fix44.MarketDataRequest.NoMDEntryTypes()
            g.setField(fix.MDEntryType(entry_type))
            msg.addGroup(g)
        for symbol in self.symbols:
            g = fix44.MarketDataRequest.NoRelatedSym()
            g.setField(fix.Symbol(symbol))
            msg.addGroup(g)
        fix.Session.sendToTarget(msg, session_id)

    # ---------------------------------------------------------------- market data
    def _on_snapshot(self, venue: str, f: dict[int, str], pairs: list[tuple[int, str]]) -> None:
        symbol = f[55]
        book: list[float | None] = [None, 0, None, 0]
        entry: str | None = None
        for tag, value in pairs:
            if tag == 269:
                entry = value
            elif tag == 270 and entry is not None:
                book[0 if entry == "0" else 2] = float(value)
            elif tag == 271 and entry is not None:
                book[1 if entry == "0" else 3] = float(value)
        self.books[(venue, symbol)] = book
        self._on_market(symbol)

    def _on_incremental(self, venue: str, pairs: list[tuple[int, str]]) -> None:
        touched = set()
        entry: dict[int, str] = {}
        for tag, value in [*pairs, (279, "end")]:
            if tag == 279:
                if entry:
                    symbol = entry.get(55, "")
                    book = self.books.setdefault((venue, symbol), [None, 0, None, 0])
                    i = 0 if entry.get(269) == "0" else 2
                    if entry.get(279) == "2":
                        book[i], book[i + 1] = None, 0
                    else:
                        book[i], book[i + 1] = float(entry[270]), float(entry.get(271, "0"))
                    touched.add(symbol)
                entry = {279: value}
            elif entry:
                entry[tag] = value
        for symbol in touched:
            self._on_market(symbol)

    def _on_market(self, symbol: str) -> None:
        for p in list(self.parents.values()):
            if p.symbol == symbol and not p.done and not p.open_children and not p.resting and p.remaining > 0:
                self._route(p)

    # ---------------------------------------------------------------- parents
    def _on_parent(self, session_id: fix.SessionID, f: dict[int, str]) -> None:
        limit = float(f[44]) if f.get(40) == "2" and 44 in f else None
        p = Parent(cl_ord_id=f[11], session=session_id, symbol=f[55], side=f[54], qty=int(float(f[38])), limit=limit)
        self.parents[p.cl_ord_id] = p
        self._parent_report(p, "0")
        self._route(p)

    def _on_parent_cancel(self, session_id: fix.SessionID, f: dict[int, str]) -> None:
        p = self.parents.get(f.get(41, ""))
        if p is None or p.done:
            self._send(session_id, "9", [(37, "NONE"), (11, f.get(11, "")), (41, f.get(41, "")), (39, "8"),
                                         (434, "1"), (102, "1")])
            return
        for cl in list(p.open_children):
            c = self.children[cl]
            venue_session = self.venue_sessions.get(c.venue)
            if venue_session is not None:
                self._send(venue_session, "F", [(41, cl), (11, f"{cl}-X"), (55, p.symbol), (54, p.side),
                                                (60, utc_now()), (38, str(c.qty))])
        p.done = True
        self._parent_report(p, "4", cl=f.get(11), orig=p.cl_ord_id)

    def _parent_report(self, p: Parent, exec_type: str, *, last: tuple[int, float] | None = None,
                       cl: str | None = None, orig: str | None = None) -> None:
        status = {"0": "0", "4": "4"}.get(exec_type) or ("2" if p.remaining == 0 else "1")
        fields = [(37, f"SOR-{p.cl_ord_id}"), (11, cl or p.cl_ord_id)]
        if orig:
            fields.append((41, orig))
        fields += [(17, f"X{next(self.ids)}"), (150, exec_type), (39, status), (55, p.symbol), (54, p.side),
                   (38, str(p.qty)), (151, "0" if exec_type == "4" else str(p.remaining)), (14, str(p.cum)),
                   (6, px(p.notional / p.cum) if p.cum else "0")]
        if last is not None:
            fields += [(32, str(last[0])), (31, px(last[1]))]
        self._send(p.session, "8", fields)

    # ---------------------------------------------------------------- routing
    def _route(self, p: Parent) -> None:
        """Sweep the best displayed prices (IOC); rest a limit order's remainder after MAX_SWEEPS."""
        if p.done or p.remaining <= 0:
            return
        buy = p.side == "1"
        quotes = []
        for (venue, symbol), (bid, bid_size, ask, ask_size) in self.books.items():
            if symbol != p.symbol or venue not in self.venue_sessions:
                continue
            price, size = (ask, ask_size) if buy else (bid, bid_size)
            if price is None or not size:
                continue
            if p.limit is not None and (price > p.limit if buy else price < p.limit):
                continue
            quotes.append((price if buy else -price, venue, price, int(size)))
        quotes.sort()
        left = p.remaining
        if quotes and p.sweeps < MAX_SWEEPS:
            p.sweeps += 1
            for _key, venue, price, size in quotes:
                if left <= 0:
                    break
                qty = min(left, size)
                self._child(p, venue, qty, price, tif="3")
                left -= qty
            return
        if p.limit is not None and not p.resting and self.venue_sessions:
            venue = next(iter(sorted(self.venue_sessions)))
            p.resting = True
            self._child(p, venue, left, p.limit, tif="0")

    def _child(self, p: Parent, venue: str, qty: int, price: float, *, tif: str) -> None:
        cl = f"C{next(self.ids)}"
        self.children[cl] = Child(cl_ord_id=cl, parent=p.cl_ord_id, venue=venue, qty=qty)
        p.open_children.add(cl)
        self._send(self.venue_sessions[venue], "D", [
            (11, cl), (583, p.cl_ord_id), (21, "1"), (55, p.symbol), (54, p.side), (60, utc_now()), (38, str(qty)),
            (40, "2"), (44, px(price)), (59, tif),
        ])

    def _on_child_report(self, f: dict[int, str]) -> None:
        c = self.children.get(f.get(11, "")) or self.children.get(f.get(41, ""))
        if c is None:
            return
        p = self.parents[c.parent]
        exec_type = f.get(150)
        if exec_type == "F":
            qty, price = int(float(f[32])), float(f[31])
            c.cum += qty
            p.cum += qty
            p.notional += qty * price
            if not p.done:
                self._parent_report(p, "F", last=(qty, price))
        if f.get(39) in ("2", "4", "8", "C"):
            p.open_children.discard(c.cl_ord_id)
            if c.cl_ord_id and f.get(39) != "2" and p.resting and not p.open_children:
                p.resting = False
            if not p.open_children and not p.done and p.remaining > 0:
                self._route(p)
        if p.remaining == 0:
            p.done = True


def dictionary_path() -> str:
    """The FIX 4.4 data dictionary QuickFIX's wheel installs (``<prefix>/share/quickfix/FIX44.xml``)."""
    for base in (sys.prefix, sysconfig.get_path("data"), "/usr"):
        p = Path(base) / "share" / "quickfix" / "FIX44.xml"
        if p.is_file():
            return str(p)
    raise SystemExit("FIX44.xml not found: set DataDictionary= in the configuration")


def split_sections(text: str) -> tuple[str, list[str]]:
    """A QuickFIX settings file's [DEFAULT] section and its [SESSION] sections, as text."""
    parts = re.split(r"(?m)^(?=\s*\[)", text)
    default = "".join(p for p in parts if p.strip().upper().startswith("[DEFAULT]"))
    sessions = [p if p.endswith("\n") else p + "\n" for p in parts if p.strip().upper().startswith("[SESSION]")]
    return default if default.endswith("\n") else default + "\n", sessions


def log_path_beside(text: str, folder: Path) -> str:
    """The settings with a relative ``FileLogPath`` taken from the settings file's folder, not the working directory.

    The shipped settings say ``FileLogPath=logs``: the logs go to ``examples/fix_sor/logs/`` (git-ignored) wherever
    the SOR is started from.
    """

    def absolute(match: re.Match[str]) -> str:
        value = match.group(2).strip()
        return match.group(0) if Path(value).is_absolute() else f"{match.group(1)}{folder / value}"

    return re.sub(r"(?m)^(\s*FileLogPath\s*=\s*)(.+)$", absolute, text)


def main(argv: list[str] | None = None) -> int:
    """Run until SIGINT/SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, type=Path, help="QuickFIX settings file (see best_price_sor.cfg)")
    args = parser.parse_args(argv)
    text = log_path_beside(args.config.read_text(encoding="utf-8"), args.config.resolve().parent)
    if not re.search(r"^\s*DataDictionary\s*=", text, re.MULTILINE):
        text = text.replace("[DEFAULT]", f"[DEFAULT]\nDataDictionary={dictionary_path()}", 1)
    # QuickFIX's acceptor and initiator each want only their own sessions: split the file by ConnectionType.
    default, sessions = split_sections(text)
    tmp = Path(tempfile.mkdtemp(prefix="best-price-sor-"))
    files = {}
    for kind in ("acceptor", "initiator"):
        mine = [s for s in sessions if re.search(rf"^\s*ConnectionType\s*=\s*{kind}\s*$", s, re.MULTILINE)]
        files[kind] = tmp / f"{kind}.cfg"
        files[kind].write_text(default + "".join(mine), encoding="utf-8")
    acc_settings = fix.SessionSettings(str(files["acceptor"]))
    ini_settings = fix.SessionSettings(str(files["initiator"]))
    symbols = [s.strip() for s in acc_settings.get().getString("Symbols").split(",") if s.strip()]
    app = BestPriceSor(symbols)
    acc_store, acc_logs = fix.MemoryStoreFactory(), fix.FileLogFactory(acc_settings)
    ini_store, ini_logs = fix.MemoryStoreFactory(), fix.FileLogFactory(ini_settings)
    acceptor = fix.SocketAcceptor(app, acc_store, acc_settings, acc_logs)
    initiator = fix.SocketInitiator(app, ini_store, ini_settings, ini_logs)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    app.initiator_sessions = {s.toString() for s in initiator.getSessions()}
    acceptor.start()
    initiator.start()
    print("best-price SOR running", flush=True)
    try:
        app.run(stop)
    finally:
        # stop(True) while the application, store and log factories are still referenced (QuickFIX's known trap)
        initiator.stop(True)
        acceptor.stop(True)
    print("best-price SOR stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
