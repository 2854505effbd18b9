"""The venue gateways: the simulated venues as FIX 4.4 acceptor sessions, translated to and from the router contract.

Sessions. One listening port; one session per venue whose CompID is the venue's name (the vendor logs on with
``TargetCompID=NSDQ`` to trade on NSDQ), and one routing session (``TargetCompID=<routing_comp_id>``) whose orders
name their venue in ExDestination (100). Only the configured vendor CompIDs can log on (QuickFIX refuses any other
session at logon).

Orders in: NewOrderSingle (D), OrderCancelRequest (F), OrderCancelReplaceRequest (G). Each becomes a
``ctx.send``/``ctx.cancel``/``ctx.replace`` at the simulated time it arrives, so it travels the scenario's order-entry
link for the router to the venue and is recorded as the router's child order exactly as a reference router's is.
Orders out: ExecutionReport (8) for every venue response, as the router's response link delivers it, and
OrderCancelReject (9). Market data: MarketDataRequest (V) for snapshots (W) and top-of-book incremental refreshes
(X), from ``ctx.quote`` (the venue's direct feed as the router's market-data link delivers it); MarketDataRequestReject
(Y) for unknown symbols and unsupported requests.

Everything here runs on the simulation thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.contract import (
    MAX_ORDER_QTY,
    MAX_PRICE,
    ChildAck,
    ChildCancelled,
    ChildFill,
    ChildReject,
    RouterContext,
)
from venues.types import PRICE_SCALE, Liquidity, RejectReason, Side, TimeInForce

_SIDES = {"1": Side.BUY, "2": Side.SELL}
_SIDE_CODE = {Side.BUY: "1", Side.SELL: "2"}
_TIFS = {"0": TimeInForce.DAY, "3": TimeInForce.IOC, "4": TimeInForce.FOK}
_TIF_CODE = {v: k for k, v in _TIFS.items()}
_EXEC_INST = {"6": "post_only", "f": "iso", "M": "midpoint_peg"}
# OrdRejReason (103) for a venue's reject reason; 99 (other) for the rest, with the reason in Text (58).
_ORD_REJ = {
    RejectReason.UNKNOWN_SYMBOL: "1", RejectReason.VENUE_CLOSED: "2", RejectReason.HALTED: "2",
    RejectReason.UNKNOWN_ORDER: "5", RejectReason.DUPLICATE_ORDER_ID: "6", RejectReason.INVALID_QUANTITY: "13",
    RejectReason.EXCEEDS_PARENT: "13",
}


class UnknownVenueLimit(Exception):
    """The vendor sent more orders for unknown venues than the configuration tolerates."""


def price_text(units: int | None) -> str:
    """Integer price units ($0.0001) as a FIX price."""
    if units is None:
        return "0"
    return f"{units / PRICE_SCALE:.4f}".rstrip("0").rstrip(".")


MAX_FIELD_CHARS = 32
MAX_PRICE_USD = MAX_PRICE // PRICE_SCALE
"""The longest OrderQty, Price, MaxFloor or MinQty text read as a number (a 400-digit value is refused, not parsed)."""


def parse_price(text: str | None) -> int | None:
    """A FIX price as integer price units.

    ``None`` if absent, not a number, off the $0.0001 grid, or beyond :data:`~adapters.contract.MAX_PRICE`.
    """
    if text is None or len(text) > MAX_FIELD_CHARS:
        return None
    try:
        value = float(text) * PRICE_SCALE
    except ValueError:
        return None
    if not abs(value) <= MAX_PRICE or abs(value - round(value)) > 1e-6:  # NaN and inf fail the first test
        return None
    return round(value)


def parse_qty(text: str | None) -> int | None:
    """A FIX quantity as whole shares (``None`` unless a whole number 1..:data:`~adapters.contract.MAX_ORDER_QTY`)."""
    if text is None or len(text) > MAX_FIELD_CHARS:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    if not 0 < value <= MAX_ORDER_QTY or value != int(value):  # NaN fails the first test
        return None
    return int(value)


def _echo(text: str | None) -> str:
    """A vendor's field value safe to quote back in a reject (short; a long one is cut)."""
    text = text or ""
    return text if len(text) <= MAX_FIELD_CHARS else f"{text[:MAX_FIELD_CHARS]}... ({len(text)} characters)"


@dataclass
class GatewayOrder:
    """One child order the vendor sent through a gateway session."""

    session: str
    cl_ord_id: str
    child_id: int
    parent_id: int
    venue: str
    symbol: str
    side: Side
    qty: int
    price: int | None
    tif: TimeInForce
    ord_type: str
    cum_qty: int = 0
    notional: int = 0
    acked: bool = False
    done: bool = False
    pending: list[tuple[str, str, tuple[int, int | None] | None]] = field(default_factory=list)
    """Cancel/replace requests not yet answered by the venue: (kind F/G, ClOrdID, old (qty, price) for G)."""

    @property
    def leaves(self) -> int:
        """Open quantity."""
        return 0 if self.done else max(self.qty - self.cum_qty, 0)

    @property
    def avg_px(self) -> str:
        """Average execution price as FIX text."""
        return price_text(round(self.notional / self.cum_qty)) if self.cum_qty else "0"


@dataclass
class Subscription:
    """A market-data subscription: top of book of some symbols at one venue."""

    session: str
    req_id: str
    venue: str
    symbols: list[str]
    last: dict[str, tuple[int | None, int, int | None, int]] = field(default_factory=dict)


class VenueGateway:
    """Gateway state and message handling (simulation thread only).

    Parameters
    ----------
    ctx : RouterContext
        The router's context (orders go through it; market data comes from it).
    send : callable
        ``send(session_key, msg_type, fields, groups)`` puts a message on a gateway session.
    venue_of_session : dict
        Session key -> venue name (``None`` for the routing session).
    find_parent : callable
        ``find_parent(link_id, symbol, side)`` -> parent id or ``None`` (see :class:`adapters.fix.router.FixRouter`).
    unknown_venue_allowed : int
        Orders for unknown venues tolerated; one more raises :class:`UnknownVenueLimit`.
    """

    def __init__(
        self, *, ctx: RouterContext, send: Callable[..., None], venue_of_session: dict[str, str | None],
        find_parent: Callable[[str | None, str, Side], int | None], unknown_venue_allowed: int,
    ) -> None:
        self.ctx = ctx
        self._send = send
        self.venue_of_session = venue_of_session
        self._find_parent = find_parent
        self._unknown_allowed = unknown_venue_allowed
        self.unknown_venue_orders = 0
        self.orders: dict[tuple[str, str], GatewayOrder] = {}
        self.by_child: dict[int, GatewayOrder] = {}
        self.subscriptions: dict[tuple[str, str], Subscription] = {}
        self.rejects: dict[str, list[Any]] = {k: [] for k in (
            "ts_ns", "session", "msg_type", "cl_ord_id", "venue", "symbol", "reason", "text")}
        self.closed = False
        """Set at the end of the window: orders after it are rejected (the venues are closed)."""
        self._exec_seq = 0

    # ------------------------------------------------------------------ helpers
    def _exec_id(self) -> str:
        self._exec_seq += 1
        return f"E{self._exec_seq}"

    def _record_reject(self, session: str, msg_type: str, cl: str, venue: str, symbol: str, reason: str,
                       text: str) -> None:
        for k, v in (("ts_ns", self.ctx.now_ns), ("session", session), ("msg_type", msg_type), ("cl_ord_id", cl),
                     ("venue", venue), ("symbol", symbol), ("reason", reason), ("text", text)):
            self.rejects[k].append(v)

    def _reject_new(self, session: str, f: dict[int, str], code: str, text: str, *, venue: str = "") -> None:
        """Business reject of a NewOrderSingle: ExecutionReport ExecType=8, recorded."""
        cl = f.get(11, "")
        self._record_reject(session, "D", cl, venue, f.get(55, ""), code, text)
        self._send(session, "8", [
            (37, "NONE"), (11, cl), (17, self._exec_id()), (150, "8"), (39, "8"), (55, f.get(55, "?")),
            (54, f.get(54, "1")), (38, str(parse_qty(f.get(38)) or 0)), (151, "0"), (14, "0"), (6, "0"),
            (103, code), (58, text),
        ])

    def _cancel_reject(self, session: str, f: dict[int, str], response_to: str, code: str, text: str,
                       order: GatewayOrder | None) -> None:
        cl = f.get(11, "")
        self._record_reject(session, "F" if response_to == "1" else "G", cl, order.venue if order else "",
                            f.get(55, ""), code, text)
        status = "8" if order is None else self._ord_status(order)
        self._send(session, "9", [
            (37, str(order.child_id) if order else "NONE"), (11, cl), (41, f.get(41, "")), (39, status),
            (434, response_to), (102, code), (58, text),
        ])

    @staticmethod
    def _ord_status(o: GatewayOrder) -> str:
        if o.cum_qty >= o.qty:
            return "2"
        if o.done:
            return "4"
        return "1" if o.cum_qty else "0"

    def _report(self, o: GatewayOrder, exec_type: str, *, cl: str | None = None, orig: str | None = None,
                extra: list[tuple[int, str]] | None = None) -> None:
        fields = [(37, str(o.child_id)), (11, cl or o.cl_ord_id)]
        if orig:
            fields.append((41, orig))
        fields += [
            (17, self._exec_id()), (150, exec_type), (39, self._ord_status(o) if exec_type != "8" else "8"),
            (55, o.symbol), (54, _SIDE_CODE[o.side]), (38, str(o.qty)), (40, o.ord_type),
        ]
        if o.price is not None:
            fields.append((44, price_text(o.price)))
        fields += [(59, _TIF_CODE[o.tif]), (151, str(o.leaves)), (14, str(o.cum_qty)), (6, o.avg_px)]
        fields += extra or []
        fields.append((60, dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H:%M:%S.%f")[:-3]))
        self._send(o.session, "8", fields)

    def _venue_for(self, session: str, f: dict[int, str]) -> str | None:
        """The venue an order on ``session`` is for: the session's venue, or ExDestination on the routing session."""
        own = self.venue_of_session.get(session)
        dest = f.get(100)
        if own is not None:
            return own if dest in (None, own) else None
        return dest if dest in self.ctx.venues else None

    # ------------------------------------------------------------------ vendor -> venue
    def on_message(self, session: str, msg_type: str, pairs: list[tuple[int, str]]) -> None:
        """Apply one application message the vendor sent on a gateway session."""
        f: dict[int, str] = {}
        for tag, value in pairs:
            f.setdefault(tag, value)
        if msg_type == "D":
            self._new_order(session, f)
        elif msg_type == "F":
            self._cancel(session, f)
        elif msg_type == "G":
            self._replace(session, f)
        elif msg_type == "V":
            self._md_request(session, f, pairs)

    def _new_order(self, session: str, f: dict[int, str]) -> None:
        cl = f.get(11, "")
        if self.closed:
            self._reject_new(session, f, "2", "trading window is over")
            return
        venue = self._venue_for(session, f)
        if venue is None:
            self.unknown_venue_orders += 1
            dest = _echo(f.get(100)) or None
            self._reject_new(session, f, "0", f"unknown venue {dest!r}" if dest else "no venue (ExDestination, 100)")
            if self.unknown_venue_orders > self._unknown_allowed:
                raise UnknownVenueLimit(
                    f"the vendor sent {self.unknown_venue_orders} order(s) for unknown venues (tolerated: "
                    f"{self._unknown_allowed}); last on {session}: ExDestination={dest!r}"
                )
            return
        if (session, cl) in self.orders:
            self._reject_new(session, f, "6", f"duplicate ClOrdID {_echo(cl)!r}", venue=venue)
            return
        symbol = f.get(55, "")
        if symbol not in self.ctx.symbols or symbol not in self.ctx.venues[venue].symbols:
            self._reject_new(session, f, "1", f"symbol {_echo(symbol)!r} does not trade on {venue}", venue=venue)
            return
        side = _SIDES.get(f.get(54, ""))
        if side is None:
            self._reject_new(session, f, "99", f"unsupported side {_echo(f.get(54))!r} (1 buy, 2 sell)", venue=venue)
            return
        qty = parse_qty(f.get(38))
        if qty is None:
            self._reject_new(session, f, "13", f"OrderQty {_echo(f.get(38))!r} is not a whole number of shares "
                             f"1..{MAX_ORDER_QTY}", venue=venue)
            return
        tif = _TIFS.get(f.get(59, "0"))
        if tif is None:
            self._reject_new(session, f, "11", f"unsupported TimeInForce {_echo(f.get(59))!r} (0, 3, 4)", venue=venue)
            return
        inst = f.get(18, "").split()
        unknown = _echo(" ".join(i for i in inst if i not in _EXEC_INST))
        if unknown:
            self._reject_new(session, f, "11", f"unsupported ExecInst {unknown!r} (6, f, M)", venue=venue)
            return
        flags = {_EXEC_INST[i] for i in inst}
        ord_type = f.get(40, "")
        price = parse_price(f.get(44))
        if ord_type == "1":
            price = None
        elif ord_type == "2":
            if price is None or price <= 0:
                self._reject_new(session, f, "99", f"a limit order needs a Price (44) of 0.0001..{MAX_PRICE_USD} "
                                 f"on the $0.0001 grid, not {_echo(f.get(44))!r}", venue=venue)
                return
        elif ord_type == "P":
            if "midpoint_peg" not in flags:
                self._reject_new(session, f, "11", "a pegged order needs ExecInst M (midpoint)", venue=venue)
                return
        else:
            self._reject_new(session, f, "11", f"unsupported OrdType {_echo(ord_type)!r} (1, 2, P)", venue=venue)
            return
        display = parse_qty(f.get(111)) if 111 in f else None
        if 111 in f and f[111] in ("0", "0.0"):
            display = 0
        min_qty = parse_qty(f.get(110)) or 0
        parent_id = self._find_parent(f.get(583), symbol, side)
        if parent_id is None:
            self._reject_new(session, f, "99", f"no open parent order for {symbol} {side.name.lower()} "
                             "(name it in ClOrdLinkID, 583)", venue=venue)
            return
        try:
            child_id = self.ctx.send(
                parent_id=parent_id, venue=venue, side=side, qty=qty, price=price, tif=tif,
                post_only="post_only" in flags, iso="iso" in flags, midpoint_peg="midpoint_peg" in flags,
                display_qty=display, min_qty=min_qty,
            )
        except (ValueError, TypeError) as exc:
            self._reject_new(session, f, "99", str(exc), venue=venue)
            return
        order = GatewayOrder(session=session, cl_ord_id=cl, child_id=child_id, parent_id=parent_id, venue=venue,
                             symbol=symbol, side=side, qty=qty, price=price, tif=tif, ord_type=ord_type)
        self.orders[(session, cl)] = order
        self.by_child[child_id] = order

    def _lookup(self, session: str, f: dict[int, str]) -> GatewayOrder | None:
        o = self.orders.get((session, f.get(41, "")))
        if o is None and f.get(37, "").isdigit():
            o = self.by_child.get(int(f[37]))
            if o is not None and o.session != session:
                o = None
        return o

    def _cancel(self, session: str, f: dict[int, str]) -> None:
        o = self._lookup(session, f)
        if o is None:
            self._cancel_reject(session, f, "1", "1", f"unknown order {_echo(f.get(41))!r}", None)
            return
        if self.closed:
            self._cancel_reject(session, f, "1", "99", "trading window is over", o)
            return
        if o.done or o.leaves == 0:
            self._cancel_reject(session, f, "1", "0", "too late to cancel", o)
            return
        o.pending.append(("F", f.get(11, ""), None))
        self.ctx.cancel(o.child_id)

    def _replace(self, session: str, f: dict[int, str]) -> None:
        o = self._lookup(session, f)
        if o is None:
            self._cancel_reject(session, f, "2", "1", f"unknown order {_echo(f.get(41))!r}", None)
            return
        if self.closed:
            self._cancel_reject(session, f, "2", "99", "trading window is over", o)
            return
        qty = parse_qty(f.get(38))
        price = parse_price(f.get(44)) if 44 in f else o.price
        if o.done or o.leaves == 0:
            self._cancel_reject(session, f, "2", "0", "too late to replace", o)
            return
        if qty is None or qty <= o.cum_qty or price is None or price <= 0:
            self._cancel_reject(session, f, "2", "99", "OrderQty must exceed the executed quantity and Price be "
                                "positive", o)
            return
        old = (o.qty, o.price)
        new_cl = f.get(11, "")
        o.pending.append(("G", new_cl, old))
        self.ctx.replace(o.child_id, qty=qty - o.cum_qty, price=price)
        # The contract reports no success for a replace, only a refusal: Replaced is reported when the request
        # leaves for the venue; a refusal follows as OrderCancelReject (434=2) and the order stands as it was.
        orig = o.cl_ord_id
        self.orders[(session, new_cl)] = o
        o.cl_ord_id, o.qty, o.price = new_cl, qty, price
        self._report(o, "5", orig=orig)

    # ------------------------------------------------------------------ venue -> vendor
    def on_ack(self, ack: ChildAck) -> None:
        """A child order was accepted by its venue: ExecutionReport New."""
        o = self.by_child.get(ack.child_id)
        if o is not None:
            o.acked = True
            self._report(o, "0")

    def on_fill(self, fill: ChildFill) -> None:
        """A child order executed: ExecutionReport Trade with LastQty/LastPx and LastLiquidityInd (851)."""
        o = self.by_child.get(fill.child_id)
        if o is None:
            return
        o.cum_qty += fill.qty
        o.notional += fill.qty * fill.price
        if fill.leaves_qty == 0 and o.cum_qty >= o.qty:
            o.done = True
        liq = "1" if fill.liquidity is Liquidity.ADDED else "2"
        self._report(o, "F", extra=[(32, str(fill.qty)), (31, price_text(fill.price)), (851, liq),
                                    (30, fill.venue)])

    def on_cancelled(self, cancelled: ChildCancelled) -> None:
        """Open quantity left the book: ExecutionReport Canceled (answering a pending cancel if there is one)."""
        o = self.by_child.get(cancelled.child_id)
        if o is None:
            return
        o.done = True
        cancel = next((p for p in o.pending if p[0] == "F"), None)
        if cancel is not None:
            o.pending.remove(cancel)
            self._report(o, "4", cl=cancel[1] or o.cl_ord_id, orig=o.cl_ord_id,
                         extra=[(58, cancelled.reason.value)])
        else:
            self._report(o, "4", extra=[(58, cancelled.reason.value)])

    def on_reject(self, reject: ChildReject) -> None:
        """A venue refused a new order (ExecutionReport Rejected) or a cancel/replace (OrderCancelReject)."""
        o = self.by_child.get(reject.child_id)
        if o is None:
            return
        if not o.acked and not o.pending:
            o.done = True
            self._record_reject(o.session, "D", o.cl_ord_id, o.venue, o.symbol, "venue", reject.reason.value)
            self._report(o, "8", extra=[(103, _ORD_REJ.get(reject.reason, "99")), (58, reject.reason.value)])
            return
        if not o.pending:
            return
        kind, cl, old = o.pending.pop(0)
        if kind == "G" and old is not None:
            o.qty, o.price = old
        f = {11: cl, 41: o.cl_ord_id, 55: o.symbol}
        self._cancel_reject(o.session, f, "1" if kind == "F" else "2", "0" if o.done else "99",
                            reject.reason.value, o)

    # ------------------------------------------------------------------ market data
    def _md_reject(self, session: str, req_id: str, code: str, text: str) -> None:
        self._record_reject(session, "V", req_id, self.venue_of_session.get(session) or "", "", code, text)
        self._send(session, "Y", [(262, req_id), (281, code), (58, text)])

    def _md_request(self, session: str, f: dict[int, str], pairs: list[tuple[int, str]]) -> None:
        req_id = f.get(262, "")
        sub = f.get(263, "")
        key = (session, req_id)
        if sub == "2":
            self.subscriptions.pop(key, None)
            return
        if sub not in ("0", "1"):
            self._md_reject(session, req_id, "4", f"unsupported SubscriptionRequestType {_echo(sub)!r} (0, 1, 2)")
            return
        if key in self.subscriptions:
            self._md_reject(session, req_id, "1", f"duplicate MDReqID {_echo(req_id)!r}")
            return
        types = {v for t, v in pairs if t == 269}
        if not types <= {"0", "1"}:
            self._md_reject(session, req_id, "8", "only bid (0) and offer (1) entries are published")
            return
        symbols = [v for t, v in pairs if t == 55]
        venue = self.venue_of_session.get(session)
        if venue is None:  # the routing session names the venue in SecurityExchange (207) or ExDestination (100)
            venue = f.get(207) or f.get(100)
            if venue is None or venue not in self.ctx.venues:
                self._md_reject(session, req_id, "0", f"unknown venue {_echo(venue)!r} (SecurityExchange, 207)")
                return
        for s in symbols:
            if s not in self.ctx.symbols or s not in self.ctx.venues[venue].symbols:
                self._md_reject(session, req_id, "0", f"symbol {_echo(s)!r} does not trade on {venue}")
                return
        if not symbols:
            self._md_reject(session, req_id, "0", "no symbol requested")
            return
        subscription = Subscription(session=session, req_id=req_id, venue=venue, symbols=symbols)
        for s in symbols:
            subscription.last[s] = self._snapshot(subscription, s)
        if sub == "1":
            self.subscriptions[key] = subscription

    def _top(self, venue: str, symbol: str) -> tuple[int | None, int, int | None, int]:
        q = self.ctx.quote(venue, symbol)
        return (q.bid, q.bid_size, q.ask, q.ask_size)

    def _snapshot(self, sub: Subscription, symbol: str) -> tuple[int | None, int, int | None, int]:
        top = self._top(sub.venue, symbol)
        entries = []
        if top[0] is not None:
            entries.append([(269, "0"), (270, price_text(top[0])), (271, str(top[1])), (275, sub.venue)])
        if top[2] is not None:
            entries.append([(269, "1"), (270, price_text(top[2])), (271, str(top[3])), (275, sub.venue)])
        if not entries:  # an empty book: NoMDEntries (268) is required, so it is sent as 0 (no group entries)
            self._send(sub.session, "W", [(262, sub.req_id), (55, symbol), (268, "0")])
            return top
        fix44 = import_quickfix_44()
        self._send(sub.session, "W", [(262, sub.req_id), (55, symbol)],
                   [(fix44.MarketDataSnapshotFullRefresh.NoMDEntries, entries)])
        return top

    def poll_market_data(self) -> None:
        """Send an incremental refresh (X) for every subscribed symbol whose top of book changed."""
        if not self.subscriptions:
            return
        fix44 = import_quickfix_44()
        for sub in list(self.subscriptions.values()):
            entries = []
            for s in sub.symbols:
                top = self._top(sub.venue, s)
                old = sub.last.get(s, (None, 0, None, 0))
                if top == old:
                    continue
                sub.last[s] = top
                for side, (px, size), (old_px, _old_size) in (
                    ("0", (top[0], top[1]), (old[0], old[1])), ("1", (top[2], top[3]), (old[2], old[3])),
                ):
                    if (px, size) == (old_px, _old_size):
                        continue
                    if px is None:
                        entries.append([(279, "2"), (269, side), (55, s), (275, sub.venue)])
                    else:
                        entries.append([(279, "0" if old_px is None else "1"), (269, side), (55, s),
                                        (270, price_text(px)), (271, str(size)), (275, sub.venue)])
            if entries:
                self._send(sub.session, "X", [(262, sub.req_id)],
                           [(fix44.MarketDataIncrementalRefresh.NoMDEntries, entries)])


def import_quickfix_44() -> Any:
    """QuickFIX's FIX 4.4 message classes (their repeating groups know the dictionary's field order)."""
    import quickfix44

    return quickfix44
