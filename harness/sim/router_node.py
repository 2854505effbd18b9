"""The router under test inside the simulation: its links, its context, its child orders and its fills.

:class:`RouterNode` implements :class:`adapters.contract.RouterContext`; the router is handed a
:class:`RouterContextView` of it, which offers exactly the contract's members (not the node's market, records,
lifecycle calls or venue-side callbacks). Child orders travel to venues over the
router's order-entry links; acks, fills, rejects and cancels travel back over its response links (everything a
venue reports from one request travels as one message, in order); its market-data views are read from the venues'
quote histories as of ``now`` minus its market-data links' latency. Every router callback runs inside a guard: an
exception ends the run as failed (with its traceback) instead of taking the process down, and so do ``sys.exit``, a
raised ``KeyboardInterrupt`` and ``os._exit`` (:mod:`harness.sim.containment`).
"""

from __future__ import annotations

import signal
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from adapters.contract import (
    ChildAck,
    ChildCancelled,
    ChildFill,
    ChildReject,
    ParentOrder,
    Router,
    child_order_args,
    child_order_problem,
)
from harness.sim.containment import Containment, failure_message
from harness.sim.kernel import Kernel
from harness.sim.latency import Link
from harness.sim.limits import RouterLimits
from harness.sim.market import Market, consolidate
from venues.types import (
    FEE_SCALE,
    Cancelled,
    Fill,
    Liquidity,
    Quote,
    Reject,
    Side,
    TimeInForce,
)
from venues.venue import SymbolInfo, VenueInfo

_ADDED = Liquidity.ADDED
_REMOVED = Liquidity.REMOVED


class CallbackTimeout(BaseException):
    """Raised inside a router callback that ran past its wall-clock limit.

    A BaseException, so that a router catching ``Exception`` cannot swallow it.
    """


def _on_alarm(signum: int, frame: object) -> None:
    raise CallbackTimeout()


class RouterFailure(Exception):
    """A router callback raised; the run ends as failed."""

    def __init__(self, router: str, where: str, tb: str, message: str) -> None:
        super().__init__(f"router {router!r} failed in {where}: {message}")
        self.router = router
        self.where = where
        self.traceback = tb
        self.message = message


class ChildRecord:
    """The simulator's record of one child order."""

    __slots__ = (
        "child_id", "parent_id", "venue_idx", "symbol", "side", "qty", "price", "tif", "post_only",
        "sent_ts_ns", "venue_ts_ns", "filled_qty", "cancelled_qty", "reject_reason", "iso", "midpoint_peg",
        "display_qty", "min_qty",
    )

    def __init__(
        self, child_id: int, parent_id: int, venue_idx: int, symbol: str, side: Side, qty: int,
        price: int | None, tif: TimeInForce, post_only: bool, sent_ts_ns: int, *, iso: bool = False,
        midpoint_peg: bool = False, display_qty: int | None = None, min_qty: int = 0,
    ) -> None:
        self.child_id = child_id
        self.parent_id = parent_id
        self.venue_idx = venue_idx
        self.symbol = symbol
        self.side = side
        self.qty = qty
        self.price = price
        self.tif = tif
        self.post_only = post_only
        self.sent_ts_ns = sent_ts_ns
        self.venue_ts_ns = -1  # -1: still in flight
        self.filled_qty = 0
        self.cancelled_qty = 0
        self.reject_reason = ""  # set when the venue refused the new order
        self.iso = iso
        self.midpoint_peg = midpoint_peg
        self.display_qty = display_qty
        self.min_qty = min_qty


def _int64(v: int) -> int:
    """``v`` clamped to 0..2^63-1, the run folder's columns (only a refused child's numbers can be outside it)."""
    return min(max(v, 0), 2**63 - 1)


class RouterNode:
    """Hosts one router in one simulation (implements :class:`adapters.contract.RouterContext`)."""

    def __init__(
        self,
        *,
        router: Router,
        kernel: Kernel,
        market: Market,
        venue_infos: Mapping[str, VenueInfo],
        symbol_infos: Mapping[str, SymbolInfo],
        order_entry: list[Link],
        response: list[Link],
        market_data: list[Link],
        sip_feed: Link,
        sip_processing: Link,
        sip_links: list[Link],
        limits: RouterLimits | None = None,
    ) -> None:
        self.router = router
        self.limits = limits or RouterLimits(callback_timeout_s=None)
        timeout = self.limits.callback_timeout_s
        self._timeout_s = (  # a router in its own process is stopped by the simulator's deadlines instead
            timeout if timeout is not None and hasattr(signal, "setitimer")
            and not getattr(router, "enforces_own_timeout", False)
            and threading.current_thread() is threading.main_thread() else None
        )
        """The enforced limit (None where SIGALRM is unavailable: not POSIX, or not the main thread)."""
        d = self.limits.decision_latency
        self._measured = d == "measured"
        self._fixed_charge_ns = d if isinstance(d, int) else 0
        self._cb_start_ns = 0
        self.containment: Containment | None = None
        """What the router tried to do to the process (set by the engine while it simulates)."""
        self.kernel = kernel
        self.market = market
        self._venue_infos = dict(venue_infos)
        self._symbol_infos = dict(symbol_infos)
        self._venue_names = list(venue_infos)
        self._entry = order_entry
        self._response = response
        self._md = market_data
        self._sip_feed = sip_feed
        self._sip_processing = sip_processing
        self._sip_links = sip_links
        self.owner = market.register_owner(self, tracked=True)
        self.children: dict[int, ChildRecord] = {}
        self.parents: dict[int, ParentOrder] = {}
        self._parent_filled: dict[int, int] = {}
        """Shares filled so far per parent, at the venues (a child may not ask for more than the rest)."""
        self.fills: list[tuple[Any, ...]] = []
        """(parent_id, child_id, venue, symbol, side, exec_ts_ns, qty, price, liquidity, fee_micros, rebate_micros,
        pfof_micros): the fee charged, the rebate received and the PFOF paid to the broker, each >= 0."""
        self.sip_reads: dict[str, list[int]] = {}
        """Per symbol: [SIP NBBO reads by the router, reads whose bid or ask differed from the true NBBO then]."""
        self._outbox: list[object] | None = None
        self._arriving: ChildRecord | None = None
        self._fees = [v.fees for v in venue_infos.values()]
        self._received: list[ChildFill] = []
        self._received_by_parent: dict[int, list[ChildFill]] = {}

    # ------------------------------------------------------------------ lifecycle (called by the engine)
    def start(self) -> None:
        """Give the router its context (a view offering exactly the :class:`RouterContext` members)."""
        self._guard(self.router.on_start, RouterContextView(self), "on_start")

    def schedule_parent(self, parent: ParentOrder) -> None:
        """Deliver ``parent`` to the router at its arrival time."""
        self.kernel.at(parent.arrival_ts_ns, self._parent_arrives, parent)

    def end(self) -> None:
        """Tell the router the window is over."""
        self._guard(self.router.on_end, None, "on_end")

    def _parent_arrives(self, parent: ParentOrder) -> None:
        self.parents[parent.parent_id] = parent
        self._guard(self.router.on_parent, parent, "on_parent")

    def _guard(self, fn: Callable[[Any], None] | Callable[[], None], arg: object, where: str) -> None:
        timeout = self._timeout_s
        if self._measured:
            self._cb_start_ns = time.perf_counter_ns()
        previous: Any = None
        if timeout is not None:
            previous = signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            if arg is None and where == "on_end":
                fn()  # type: ignore[call-arg]
            else:
                fn(arg)  # type: ignore[call-arg]
        except RouterFailure:
            raise
        except CallbackTimeout:
            raise RouterFailure(
                self.router.name, where, traceback.format_exc(),
                f"callback ran longer than the {timeout:g} s limit and was stopped",
            ) from None
        except BaseException as exc:  # sys.exit, a raised KeyboardInterrupt, os._exit (harness.sim.containment)
            message = failure_message(exc, self.containment)
            if message is None:
                raise  # the user pressed Ctrl-C
            raise RouterFailure(self.router.name, where, traceback.format_exc(), message) from exc
        finally:
            if timeout is not None:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)

    def _charge_ns(self) -> int:
        """Decision time charged to a message the router sends now (see :class:`RouterLimits`)."""
        if self._measured:
            return time.perf_counter_ns() - self._cb_start_ns
        return self._fixed_charge_ns

    # ------------------------------------------------------------------ RouterContext
    @property
    def now_ns(self) -> int:
        """Current simulated time."""
        return self.kernel.env._now  # type: ignore[no-any-return]

    @property
    def venues(self) -> Mapping[str, VenueInfo]:
        """Static venue data."""
        return self._venue_infos

    @property
    def symbols(self) -> Mapping[str, SymbolInfo]:
        """Static symbol data."""
        return self._symbol_infos

    def quote(self, venue: str, symbol: str) -> Quote:
        """A venue's top of book as the router's direct feed shows it now."""
        vi = self._venue_idx(venue)
        hist = self.market.history[vi].get(symbol)
        if hist is None:
            raise ValueError(f"symbol {symbol!r} does not trade on venue {venue!r}")
        return hist.at(self._md[vi].view_time(self.kernel.env._now))

    def nbbo(self, symbol: str) -> Quote:
        """The NBBO as the SIP shows it to the router now."""
        if symbol not in self._symbol_infos:
            raise ValueError(f"unknown symbol {symbol!r}")
        published = self._sip_feed.view_time(self.kernel.env._now)
        consolidated = self._sip_processing.view_time(published)
        tops = []
        ts = 0
        for vi in self.market.protected_venues(symbol):
            t, top = self.market.history[vi][symbol].top_at(self._sip_links[vi].view_time(consolidated))
            tops.append(top)
            ts = max(ts, t)
        bid, bid_size, ask, ask_size = consolidate(tops)
        true_bid, _, true_ask, _ = self.market.nbbo_now(symbol)
        reads = self.sip_reads.setdefault(symbol, [0, 0])
        reads[0] += 1
        if bid != true_bid or ask != true_ask:
            reads[1] += 1
        return Quote(ts_ns=ts, bid=bid, bid_size=bid_size, ask=ask, ask_size=ask_size)

    def send(
        self,
        *,
        parent_id: int,
        venue: str,
        side: Side,
        qty: int,
        price: int | None,
        tif: TimeInForce = TimeInForce.DAY,
        post_only: bool = False,
        iso: bool = False,
        midpoint_peg: bool = False,
        display_qty: int | None = None,
        min_qty: int = 0,
    ) -> int:
        """Send a child order; it reaches the venue after the order-entry latency."""
        vi = self._venue_idx(venue)
        args = child_order_args(
            parent_id=parent_id, venue=venue, side=side, qty=qty, price=price, tif=tif, post_only=post_only, iso=iso,
            midpoint_peg=midpoint_peg, display_qty=display_qty, min_qty=min_qty,
        )
        parent = self.parents.get(parent_id)
        if parent is None:
            raise ValueError(f"unknown parent order {parent_id!r}")
        if parent.symbol not in self.market.history[vi]:
            raise ValueError(f"symbol {parent.symbol!r} does not trade on venue {venue!r}")
        child_id = self.market.next_order_id()
        now = self.kernel.env._now
        rec = ChildRecord(
            child_id, parent_id, vi, parent.symbol, args.side, args.qty, args.price, args.tif, args.post_only, now,
            iso=args.iso, midpoint_peg=args.midpoint_peg, display_qty=args.display_qty, min_qty=args.min_qty,
        )
        self.children[child_id] = rec
        problem = child_order_problem(  # the contract boundary: no venue sees an impossible or oversized order
            rec.qty, rec.price, tick=self._symbol_infos[parent.symbol].tick, display_qty=rec.display_qty,
            min_qty=rec.min_qty, open_qty=parent.qty - self._parent_filled.get(parent_id, 0))
        if problem is not None:
            rec.reject_reason = problem.value
            rec.qty, rec.min_qty = _int64(rec.qty), _int64(rec.min_qty)
            rec.display_qty = None if rec.display_qty is None else _int64(rec.display_qty)
            rec.price = None if rec.price is None else _int64(rec.price)  # as sent, clamped to the columns' range
            self._send_back(vi, [ChildReject(child_id, parent_id, venue, problem, now, 0)], at=now)
            return child_id
        self.kernel.at(self._entry[vi].deliver_at(now + self._charge_ns()), self._arrive_new, rec)
        return child_id

    def fills_received(self, parent_id: int | None = None) -> list[ChildFill]:
        """The router's fills that have reached it so far (of one parent, or all), in arrival order (copies)."""
        if parent_id is None:
            return list(self._received)
        return list(self._received_by_parent.get(parent_id, ()))

    def cancel(self, child_id: int) -> None:
        """Request a cancel; it reaches the venue after the order-entry latency."""
        rec = self._child(child_id)
        arrival = self._entry[rec.venue_idx].deliver_at(self.kernel.env._now + self._charge_ns())
        self.kernel.at(arrival, self._arrive_cancel, rec)

    def replace(self, child_id: int, *, qty: int, price: int) -> None:
        """Request a cancel/replace; it reaches the venue after the order-entry latency."""
        rec = self._child(child_id)
        qty, price, now = int(qty), int(price), self.kernel.env._now
        problem = None if qty == 0 else child_order_problem(  # to zero: a cancel
            qty, price, tick=self._symbol_infos[rec.symbol].tick,
            open_qty=self.parents[rec.parent_id].qty - self._parent_filled.get(rec.parent_id, 0))
        if problem is not None:
            reject = ChildReject(child_id, rec.parent_id, self._venue_names[rec.venue_idx], problem, now, 0)
            self._send_back(rec.venue_idx, [reject], at=now)
            return
        arrival = self._entry[rec.venue_idx].deliver_at(now + self._charge_ns())
        self.kernel.at(arrival, self._arrive_replace, (rec, qty, price))

    def set_timer(self, delay_ns: int, token: object = None) -> None:
        """Call the router's ``on_timer(token)`` after ``delay_ns``."""
        if delay_ns < 0:
            raise ValueError(f"timer delay must be >= 0, got {delay_ns}")
        self.kernel.at(self.kernel.env._now + int(delay_ns), self._timer, token)

    def timer_at(self, t_ns: int, token: object) -> None:
        """Call the router's ``on_timer(token)`` at ``t_ns`` (the real-time loop hands outside input over this way)."""
        self.kernel.at(t_ns, self._timer, token)

    # ------------------------------------------------------------------ helpers
    def _venue_idx(self, venue: str) -> int:
        vi = self.market.venue_index.get(venue)
        if vi is None:
            raise ValueError(f"unknown venue {venue!r} (venues: {', '.join(self._venue_names)})")
        return vi

    def _child(self, child_id: int) -> ChildRecord:
        rec = self.children.get(child_id)
        if rec is None:
            raise ValueError(f"unknown child order {child_id!r}")
        return rec

    def _timer(self, token: object) -> None:
        self._guard(self.router.on_timer, token, "on_timer")

    # ------------------------------------------------------------------ at the venue
    def _arrive_new(self, rec: ChildRecord) -> None:
        rec.venue_ts_ns = now = self.kernel.env._now
        outbox: list[object] = []
        self._outbox = outbox
        self._arriving = rec
        self.market.submit_full(
            rec.venue_idx, rec.symbol, rec.child_id, self.owner, rec.side, rec.qty, rec.price, tif=rec.tif,
            post_only=rec.post_only, iso=rec.iso, midpoint_peg=rec.midpoint_peg, display_qty=rec.display_qty,
            min_qty=rec.min_qty,
        )
        self._arriving = None
        self._outbox = None
        if not rec.reject_reason:
            outbox.insert(0, ChildAck(rec.child_id, rec.parent_id, self._venue_names[rec.venue_idx], now, 0))
        self._send_back(rec.venue_idx, outbox)

    def _arrive_cancel(self, rec: ChildRecord) -> None:
        outbox: list[object] = []
        self._outbox = outbox
        self.market.cancel(rec.venue_idx, rec.symbol, rec.child_id, self.owner)
        self._outbox = None
        self._send_back(rec.venue_idx, outbox)

    def _arrive_replace(self, arg: tuple[ChildRecord, int, int]) -> None:
        rec, qty, price = arg
        # The child's total becomes what had traded or left before the replace plus the new open quantity; fills
        # the replace itself causes (a new price that crosses) are part of that new quantity, and a replace to zero
        # is a cancel, which ``cancelled_qty`` already accounts for.
        done_before = rec.filled_qty + rec.cancelled_qty
        outbox: list[object] = []
        self._outbox = outbox
        self.market.replace(rec.venue_idx, rec.symbol, rec.child_id, self.owner, qty, price)
        self._outbox = None
        if qty > 0 and (not outbox or not isinstance(outbox[0], ChildReject)):
            rec.price = price
            rec.qty = done_before + qty
        self._send_back(rec.venue_idx, outbox)

    def _send_back(self, vi: int, msgs: list[object], at: int | None = None) -> None:
        """Deliver ``msgs`` over venue ``vi``'s response link (``at``: the simulator's own answer, at that time)."""
        if msgs:
            when = self._response[vi].deliver_at(self.kernel.env._now) if at is None else at
            self.kernel.at(when, self._deliver, msgs)

    def _emit(self, vi: int, msg: object) -> None:
        if self._outbox is not None:
            self._outbox.append(msg)
        else:
            self._send_back(vi, [msg])

    # Owner callbacks (synchronous, at the venue)
    def on_exec(self, venue_idx: int, symbol: str, fill: Fill, is_maker: bool) -> None:
        """Record a fill of a child order and send the execution report back."""
        if is_maker:
            child_id, leaves, liq = fill.maker_order_id, fill.maker_leaves, _ADDED
        else:
            child_id, leaves, liq = fill.taker_order_id, fill.taker_leaves, _REMOVED
        rec = self.children[child_id]
        rec.filled_qty += fill.qty
        self._parent_filled[rec.parent_id] = self._parent_filled.get(rec.parent_id, 0) + fill.qty
        fee, rebate, pfof = self._fees[venue_idx].split(liq, fill.qty)
        self.fills.append(
            (rec.parent_id, child_id, venue_idx, symbol, rec.side.value, fill.ts_ns, fill.qty, fill.price,
             liq.value, fee, rebate, pfof)
        )
        self._emit(
            venue_idx,
            ChildFill(child_id, rec.parent_id, self._venue_names[venue_idx], symbol, rec.side, fill.qty, fill.price,
                      liq, (fee - rebate) / FEE_SCALE, leaves, fill.ts_ns, 0, pfof / FEE_SCALE),
        )

    def on_cancelled(self, venue_idx: int, symbol: str, event: Cancelled) -> None:
        """Record a cancel of a child order's open quantity and report it."""
        rec = self.children[event.order_id]
        rec.cancelled_qty += event.qty
        self._emit(
            venue_idx,
            ChildCancelled(rec.child_id, rec.parent_id, self._venue_names[venue_idx], event.qty, event.reason,
                           self.kernel.env._now, 0),
        )

    def on_reject(self, venue_idx: int, symbol: str, event: Reject) -> None:
        """Record a reject and report it."""
        rec = self.children[event.order_id]
        if self._arriving is rec:
            rec.reject_reason = event.reason.value  # the new order itself was refused
        self._emit(
            venue_idx,
            ChildReject(rec.child_id, rec.parent_id, self._venue_names[venue_idx], event.reason,
                        self.kernel.env._now, 0),
        )

    # ------------------------------------------------------------------ back at the router
    def _deliver(self, msgs: list[object]) -> None:
        now = self.kernel.env._now
        router = self.router
        for msg in msgs:
            msg.recv_ts_ns = now  # type: ignore[attr-defined]
            kind = type(msg)
            if kind is ChildFill:
                fill: ChildFill = msg  # type: ignore[assignment]
                self._received.append(fill)
                self._received_by_parent.setdefault(fill.parent_id, []).append(fill)
                self._guard(router.on_fill, msg, "on_fill")
            elif kind is ChildAck:
                self._guard(router.on_ack, msg, "on_ack")
            elif kind is ChildCancelled:
                self._guard(router.on_cancelled, msg, "on_cancelled")
            else:
                self._guard(router.on_reject, msg, "on_reject")


class RouterContextView:
    """The context a router is given: the :class:`adapters.contract.RouterContext` members and nothing else.

    The node itself also carries the engine's lifecycle calls, the venue-side owner callbacks and the market it
    reads its views from; handing the router this view instead keeps all of that out of its public reach.
    """

    __slots__ = ("_node",)

    def __init__(self, node: RouterNode) -> None:
        self._node = node

    @property
    def now_ns(self) -> int:
        """Current simulated time, ns since midnight."""
        return self._node.now_ns

    @property
    def venues(self) -> Mapping[str, VenueInfo]:
        """Static data of every venue, by name, in the scenario's order."""
        return self._node.venues

    @property
    def symbols(self) -> Mapping[str, SymbolInfo]:
        """Static data of every symbol, by name."""
        return self._node.symbols

    def nbbo(self, symbol: str) -> Quote:
        """Return the NBBO as the SIP shows it to this router now."""
        return self._node.nbbo(symbol)

    def quote(self, venue: str, symbol: str) -> Quote:
        """Return a venue's top of book as its direct feed shows it to this router now."""
        return self._node.quote(venue, symbol)

    def send(
        self,
        *,
        parent_id: int,
        venue: str,
        side: Side,
        qty: int,
        price: int | None,
        tif: TimeInForce = TimeInForce.DAY,
        post_only: bool = False,
        iso: bool = False,
        midpoint_peg: bool = False,
        display_qty: int | None = None,
        min_qty: int = 0,
    ) -> int:
        """Send a child order (``price=None`` is a market order); returns its child id (see RouterContext.send)."""
        return self._node.send(
            parent_id=parent_id, venue=venue, side=side, qty=qty, price=price, tif=tif, post_only=post_only, iso=iso,
            midpoint_peg=midpoint_peg, display_qty=display_qty, min_qty=min_qty,
        )

    def fills(self, parent_id: int | None = None) -> list[ChildFill]:
        """Return the router's own fills received so far (of one parent, or all), in arrival order."""
        return self._node.fills_received(parent_id)

    def cancel(self, child_id: int) -> None:
        """Ask the venue to cancel a child order's open quantity."""
        self._node.cancel(child_id)

    def replace(self, child_id: int, *, qty: int, price: int) -> None:
        """Ask the venue to change a child order's open quantity and price."""
        self._node.replace(child_id, qty=qty, price=price)

    def set_timer(self, delay_ns: int, token: object = None) -> None:
        """Call the router's ``on_timer(token)`` after ``delay_ns``."""
        self._node.set_timer(delay_ns, token)


__all__ = ["CallbackTimeout", "ChildRecord", "RouterContextView", "RouterFailure", "RouterLimits", "RouterNode"]
