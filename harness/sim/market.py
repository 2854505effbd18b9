"""The market as the simulator holds it: venues, their quote histories, the true NBBO and the tape.

Every order, cancel and replace reaching a venue goes through :class:`Market`, which applies it to the venue's book
at the current simulated time, counts it, and dispatches the resulting events synchronously to the owners at the
venue (participants model their own latency when they react). Top-of-book changes are appended to a per-venue,
per-symbol :class:`QuoteHistory`; subscribers do not get a delivery per update: they read the history *as of*
``now - latency`` when they look (:meth:`QuoteHistory.at`). The true consolidated NBBO is recomputed from the
protected venues' tops whenever one changes and kept as a history too.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from harness.sim.kernel import Kernel
from harness.sim.quote_history import _EMPTY_TOP, QuoteHistory, _Top, consolidate, nbbo_after
from venues.types import (
    Cancelled,
    CancelReason,
    Event,
    Fill,
    QuoteUpdate,
    Reject,
    RejectReason,
    RouteOut,
    Side,
    TimeInForce,
)
from venues.venue import DarkPool, LitVenue, VenueKind, Wholesaler

_DAY = TimeInForce.DAY
_IOC = TimeInForce.IOC
_BUY = Side.BUY
_LIT = VenueKind.LIT
_DARK = VenueKind.DARK
_WHOLESALER = VenueKind.WHOLESALER
AnyVenue = LitVenue | DarkPool | Wholesaler
_SIDE_VALUE = {side: side.value for side in Side}
"""A side's value without the enum's descriptor (the tape stores plain ints)."""
__all__ = ["Market", "Owner", "QuoteHistory", "consolidate"]


class Owner(Protocol):
    """A participant that wants to hear, at the venue, about its orders' events."""

    def on_exec(self, venue_idx: int, symbol: str, fill: Fill, is_maker: bool) -> None:
        """One of its orders traded."""

    def on_cancelled(self, venue_idx: int, symbol: str, event: Cancelled) -> None:
        """Open quantity of one of its orders was cancelled."""

    def on_reject(self, venue_idx: int, symbol: str, event: Reject) -> None:
        """One of its requests was refused."""


class Market:
    """Venues, owners, quote histories, the true NBBO and the tape of one simulation."""

    def __init__(
        self,
        kernel: Kernel,
        venues: Sequence[AnyVenue],
        symbols: Sequence[str],
        *,
        improvement: Sequence[Callable[[], float] | None] | None = None,
        route_out_ns: Sequence[int] | None = None,
        reference_ns: Sequence[int] | None = None,
    ) -> None:
        """Set up the market's records.

        ``improvement[i]`` draws wholesaler ``i``'s price improvement (share of the spread) for its next fill;
        ``route_out_ns[i]`` is the hop from lit venue ``i`` to the away venue it routes an order out to;
        ``reference_ns[i]`` is the age of the NBBO dark pool ``i`` prices at (0: the true NBBO now).
        """
        self.kernel = kernel
        self.venues: list[Any] = list(venues)
        """Venues of any kind, in scenario order (``kinds`` says which is which)."""
        self.kinds = [v.info.kind for v in self.venues]
        self._improvement = list(improvement) if improvement is not None else [None] * len(self.venues)
        self._route_out_ns = list(route_out_ns) if route_out_ns is not None else [0] * len(self.venues)
        self._reference_ns = list(reference_ns) if reference_ns is not None else [0] * len(self.venues)
        self._nbbo_watchers: dict[str, list[Callable[[], None]]] = {}
        self.venue_index = {v.info.name: i for i, v in enumerate(self.venues)}
        self.symbols = list(symbols)
        self.history: list[dict[str, QuoteHistory]] = [
            {sym: QuoteHistory() for sym in v.info.symbols} for v in self.venues
        ]
        # Protected venues per symbol and their current tops, in venue order.
        self._protected: dict[str, list[int]] = {
            sym: [i for i, v in enumerate(self.venues) if v.info.protected and sym in v.info.symbols]
            for sym in self.symbols
        }
        self._tops: list[dict[str, _Top]] = [{sym: _EMPTY_TOP for sym in v.info.symbols} for v in self.venues]
        # Per symbol: the protected venues' current tops (a list, in venue order) and each venue's slot in it.
        self._ptops: dict[str, list[_Top]] = {sym: [_EMPTY_TOP] * len(self._protected[sym]) for sym in self.symbols}
        self._pslot: list[dict[str, int]] = [
            {sym: self._protected[sym].index(i) for sym in v.info.symbols if i in self._protected[sym]}
            for i, v in enumerate(self.venues)
        ]
        self._base_slot = [dict(d) for d in self._pslot]
        """Each venue's slot in ``_ptops`` (``_pslot`` drops a venue under self-help: :meth:`self_help`)."""
        self.nbbo: dict[str, QuoteHistory] = {sym: QuoteHistory() for sym in self.symbols}
        self._nbbo_last: dict[str, _Top] = {sym: _EMPTY_TOP for sym in self.symbols}
        self.owners: list[Owner | None] = []
        self.tracked_owners: set[int] = set()
        """Owners whose trades are flagged on the tape (the router under test)."""
        self.tape: list[tuple[int, int, str, int, int, int, bool, int, bool, int]] = []
        """Every trade: (ts_ns, venue index, symbol, price, qty, aggressor side value, router involved, aggressor's
        order id, whether the aggressor was an intermarket sweep order, the row of the symbol's NBBO history in force
        when the aggressor arrived: the NBBO of the instant before, in event order)."""
        self.iso_orders: set[int] = set()
        """Ids of the orders that reached a venue as intermarket sweep orders (ISO), for the tape's ISO flag."""
        self.messages = 0
        """Book messages processed: new, cancel and replace requests reaching any venue."""
        self.halted: set[str] = set()
        """Symbols whose trading is halted on every venue."""
        self.frozen_feeds: set[int] = set()
        """Venues whose feeds have stopped updating (stale quotes); their books keep trading."""
        self.trade_watcher: Any = None
        """A participant told of trades as they print (the fast trader), or None."""
        self.lit_trade_watchers: dict[str, list[Callable[[int, Fill], None]]] = {}
        """Per symbol, ``callback(venue_idx, fill)`` for every trade on a lit venue (:meth:`watch_lit_trades`)."""
        self._top_watchers: dict[str, list[Callable[[int], None]]] = {}
        self.flow_listeners: dict[str, Any] = {}
        """Per symbol, what hears of every execution's aggressive flow first (the efficient price's impact,
        :meth:`~harness.sim.background.efficient_price.EfficientPrice.on_execution`)."""
        # Per venue and symbol: [new orders, cancels, replaces, orders that rested]; and the resting orders that
        # traded at least once (for passive fill probabilities).
        self.counts: list[dict[str, list[int]]] = [{sym: [0, 0, 0, 0] for sym in v.info.symbols} for v in self.venues]
        self.filled_makers: list[dict[str, set[int]]] = [{sym: set() for sym in v.info.symbols} for v in self.venues]
        self._next_order_id = 1
        self.routed_out = 0
        """Order remainders lit venues routed out to better-priced protected quotes."""

    # ------------------------------------------------------------------ registration
    def register_owner(self, owner: Owner | None, *, tracked: bool = False) -> int:
        """A new owner id; ``owner`` (if any) hears about its orders' events."""
        self.owners.append(owner)
        oid = len(self.owners) - 1
        if tracked:
            self.tracked_owners.add(oid)
        return oid

    def next_order_id(self) -> int:
        """A fresh venue order id, unique within the simulation."""
        oid = self._next_order_id
        self._next_order_id = oid + 1
        return oid

    # ------------------------------------------------------------------ messages reaching a venue
    def submit(
        self,
        venue_idx: int,
        symbol: str,
        order_id: int,
        owner: int,
        side: Side,
        qty: int,
        price: int | None,
        tif: TimeInForce = _DAY,
        post_only: bool = False,
    ) -> None:
        """A new order arrives at a venue now."""
        self.messages += 1
        if self.halted and symbol in self.halted:
            self.counts[venue_idx][symbol][0] += 1
            self._dispatch(venue_idx, symbol, [Reject(order_id, owner, RejectReason.HALTED)])
            return
        venue = self.venues[venue_idx]
        book = venue.books.get(symbol)
        now = self.kernel.env._now
        counts = self.counts[venue_idx][symbol]
        counts[0] += 1
        if book is not None and venue.open and not venue.pegs and (not post_only or not venue._reprice_post_only):
            # the hot path: a plain order to an open lit venue, straight to its book (what LitVenue.submit does too)
            if tif is _DAY and price is not None and not post_only:
                top = book.rest_passive(order_id, owner, side, qty, price, now)
                if top is not False:  # it rested without trading: no events but the new top
                    counts[3] += 1
                    if top is not None:
                        self._publish(venue_idx, symbol, now, top)  # type: ignore[arg-type]
                    return
            events = book.submit(order_id, owner, side, qty, price=price, ts_ns=now, tif=tif, post_only=post_only)
            if tif is _DAY and order_id in book._orders:
                counts[3] += 1
        else:
            events = venue.submit(
                symbol, order_id, owner, side, qty, price=price, ts_ns=now, tif=tif, post_only=post_only,
            )
            if tif is _DAY and book is not None and order_id in book:
                counts[3] += 1
        if events:
            if len(events) == 1 and type(events[0]) is QuoteUpdate:  # the common case: a new best level
                self._on_quote(venue_idx, symbol, events[0])  # type: ignore[arg-type]
            else:
                self._dispatch(venue_idx, symbol, events)

    def submit_full(
        self,
        venue_idx: int,
        symbol: str,
        order_id: int,
        owner: int,
        side: Side,
        qty: int,
        price: int | None,
        *,
        tif: TimeInForce = _DAY,
        post_only: bool = False,
        iso: bool = False,
        midpoint_peg: bool = False,
        display_qty: int | None = None,
        min_qty: int = 0,
    ) -> None:
        """A new order of any kind arrives at any venue now, with the venue's view of the rest of the market.

        Lit venues get the away protected quote (for order protection, lock/cross and midpoint pegs), dark pools
        the NBBO (their crossing price is its midpoint), wholesalers the NBBO and a price-improvement draw. This is
        the path of the router's child orders and of background orders that need those checks; plain background
        limit orders use :meth:`submit`.
        """
        kind = self.kinds[venue_idx]
        if iso:
            self.iso_orders.add(order_id)
        if kind is _LIT:
            self.messages += 1
            if self.halted and symbol in self.halted:
                self.counts[venue_idx][symbol][0] += 1
                self._dispatch(venue_idx, symbol, [Reject(order_id, owner, RejectReason.HALTED)])
                return
            venue: Any = self.venues[venue_idx]
            bid, _, ask, _ = self.nbbo_excluding(symbol, venue_idx) if venue.info.protected else self.nbbo_now(symbol)
            events = venue.submit(
                symbol, order_id, owner, side, qty, price=price, ts_ns=self.kernel.env._now, tif=tif,
                post_only=post_only, iso=iso, midpoint_peg=midpoint_peg, display_qty=display_qty, min_qty=min_qty,
                away=(bid, ask),
            )
            self._after_submit(venue_idx, symbol, order_id, tif, events)
            return
        self.messages += 1
        counts = self.counts[venue_idx].get(symbol)
        if counts is not None:
            counts[0] += 1
        if self.halted and symbol in self.halted:
            self._dispatch(venue_idx, symbol, [Reject(order_id, owner, RejectReason.HALTED)])
            return
        now = self.kernel.env._now
        ref = self._reference_ns[venue_idx]
        if ref and symbol in self.nbbo:
            bid, bid_size, ask, ask_size = self.nbbo[symbol].top_at(now - ref)[1]
        else:
            bid, bid_size, ask, ask_size = self._nbbo_last.get(symbol, _EMPTY_TOP)
        if kind is _DARK:
            events = self.venues[venue_idx].submit(  # type: ignore[call-arg]
                symbol, order_id, owner, side, qty, price=price, ts_ns=now, tif=tif, post_only=post_only,
                min_qty=min_qty, display_qty=display_qty, away=(bid, ask),
            )
            if counts is not None and tif is _DAY and order_id in self.venues[venue_idx].books[symbol]:  # type: ignore[union-attr]
                counts[3] += 1
        else:
            draw = self._improvement[venue_idx]
            events = self.venues[venue_idx].submit(  # type: ignore[call-arg]
                symbol, order_id, owner, side, qty, price=price, ts_ns=now, nbbo=(bid, bid_size, ask, ask_size),
                improvement=draw() if draw is not None else 0.0,
            )
        if events:
            self._dispatch(venue_idx, symbol, events)

    def _after_submit(self, venue_idx: int, symbol: str, order_id: int, tif: TimeInForce, events: list[Event]) -> None:
        counts = self.counts[venue_idx].get(symbol)
        if counts is not None:
            counts[0] += 1
            if tif is _DAY and self.is_open(venue_idx, symbol, order_id):
                counts[3] += 1
        if events:
            self._dispatch(venue_idx, symbol, events)

    def is_open(self, venue_idx: int, symbol: str, order_id: int) -> bool:
        """Whether ``order_id`` is resting at the venue now (in its book or, on a lit venue, among its pegs)."""
        venue = self.venues[venue_idx]
        if isinstance(venue, Wholesaler):
            return False
        book = venue.books.get(symbol)
        if book is not None and order_id in book:
            return True
        pegs = getattr(venue, "pegs", None)
        if pegs:
            peg_book = pegs.get(symbol)
            return peg_book is not None and order_id in peg_book
        return False

    def cancel(self, venue_idx: int, symbol: str, order_id: int, owner: int) -> None:
        """A cancel request arrives at a venue now."""
        self.messages += 1
        self.counts[venue_idx][symbol][1] += 1
        venue = self.venues[venue_idx]
        now = self.kernel.env._now
        if self.kinds[venue_idx] is _LIT and not venue.pegs:  # straight to the book (what LitVenue.cancel does too)
            book = venue.books[symbol]
            if self.owners[owner] is None:
                # An owner with no handler (background flow) hears nothing: only a quote change matters, and the
                # book builds no Cancelled or Reject event for it.
                top = book.cancel_quiet(order_id, owner, now)
                if top is not None:
                    self._publish(venue_idx, symbol, now, top)
                return
            events = book.cancel(order_id, owner=owner, ts_ns=now)
        else:
            events = venue.cancel(symbol, order_id, owner=owner, ts_ns=now)
        if self.owners[owner] is None and type(events[0]) is Cancelled:
            # An owner with no handler (background flow) hears nothing: only a quote change matters.
            if len(events) == 2 and type(events[1]) is QuoteUpdate:
                self._on_quote(venue_idx, symbol, events[1])  # type: ignore[arg-type]
            elif len(events) > 1:
                self._dispatch(venue_idx, symbol, events[1:])
        else:
            self._dispatch(venue_idx, symbol, events)

    def replace(self, venue_idx: int, symbol: str, order_id: int, owner: int, qty: int, price: int) -> None:
        """A cancel/replace request arrives at a venue now."""
        self.messages += 1
        self.counts[venue_idx][symbol][2] += 1
        if self.halted and symbol in self.halted:
            self._dispatch(venue_idx, symbol, [Reject(order_id, owner, RejectReason.HALTED)])
            return
        if self.kinds[venue_idx] is _DARK:  # a dark order re-crosses at the pool's midpoint
            ref = self._reference_ns[venue_idx]
            bid, _, ask, _ = self.nbbo_as_of(symbol, self.kernel.env._now - ref) if ref else self._nbbo_last.get(
                symbol, _EMPTY_TOP)
            events = self.venues[venue_idx].replace(
                symbol, order_id, owner=owner, qty=qty, price=price, ts_ns=self.kernel.env._now, away=(bid, ask)
            )
        else:
            events = self.venues[venue_idx].replace(
                symbol, order_id, owner=owner, qty=qty, price=price, ts_ns=self.kernel.env._now
            )
        if events:
            self._dispatch(venue_idx, symbol, events)

    def book(self, venue_idx: int, symbol: str):
        """The live book (simulator-side participants only; routers never get it)."""
        return self.venues[venue_idx].books[symbol]

    # ------------------------------------------------------------------ events
    def _dispatch(self, venue_idx: int, symbol: str, events: list[Event]) -> None:
        owners = self.owners
        for ev in events:
            kind = type(ev)
            if kind is Fill:
                self._on_fill(venue_idx, symbol, ev, owners)  # type: ignore[arg-type]
            elif kind is QuoteUpdate:
                self._on_quote(venue_idx, symbol, ev)  # type: ignore[arg-type]
            elif kind is Cancelled:
                h = owners[ev.owner]  # type: ignore[union-attr]
                if h is not None:
                    h.on_cancelled(venue_idx, symbol, ev)  # type: ignore[arg-type]
            elif kind is RouteOut:
                self.routed_out += 1
                self.kernel.at(self.kernel.env._now + self._route_out_ns[venue_idx], self._route_out,
                               (venue_idx, symbol, ev))
            else:
                h = owners[ev.owner]  # type: ignore[union-attr]
                if h is not None:
                    h.on_reject(venue_idx, symbol, ev)  # type: ignore[arg-type]

    def _on_fill(self, venue_idx: int, symbol: str, ev: Fill, owners: list[Owner | None]) -> None:
        """A trade: the tape, the passive fill record, the efficient price's flow, both owners, then the watchers."""
        maker, taker = ev.maker_owner, ev.taker_owner
        tracked = self.tracked_owners
        taker_id = ev.taker_order_id
        self.tape.append(
            (ev.ts_ns, venue_idx, symbol, ev.price, ev.qty, _SIDE_VALUE[ev.taker_side],
             maker in tracked or taker in tracked, taker_id, taker_id in self.iso_orders,
             len(self.nbbo[symbol].ts) - 1)
        )
        self.filled_makers[venue_idx][symbol].add(ev.maker_order_id)
        flow = self.flow_listeners.get(symbol)
        if flow is not None:  # before anyone reacts: the price has moved when they look
            flow.on_execution(ev.ts_ns, taker_id, ev.taker_side, ev.qty)
        h = owners[maker]
        if h is not None:
            h.on_exec(venue_idx, symbol, ev, True)
        h = owners[taker]
        if h is not None:
            h.on_exec(venue_idx, symbol, ev, False)
        if self.kinds[venue_idx] is _LIT:
            watcher = self.trade_watcher
            if watcher is not None and (taker in tracked or watcher.react_all):
                watcher.on_trade(venue_idx, symbol, ev)
            if self.lit_trade_watchers:
                for callback in self.lit_trade_watchers.get(symbol, ()):
                    callback(venue_idx, ev)

    def _route_out(self, arg: tuple[int, str, RouteOut]) -> None:
        """A routed-out remainder reaches the best away protected quote as an IOC ISO at that quote's price.

        The venue is chosen when the order gets there (after the routing hop), among the protected venues other than
        the one that routed it, by best contra price (then most size, then venue order). What does not fill there is
        cancelled back to the owner (``ioc_remainder``): it does not return to post at the first venue.
        """
        origin, symbol, ev = arg
        side, limit = ev.side, ev.limit
        best = -1
        best_px: int | None = None
        best_size = 0
        for i in self._protected.get(symbol, ()):
            if i == origin:
                continue
            bid, bid_size, ask, ask_size = self._tops[i][symbol]
            px, size = (ask, ask_size) if side is _BUY else (bid, bid_size)
            if px is None or size <= 0 or not self.venues[i].open:
                continue
            if limit is not None and (px > limit if side is _BUY else px < limit):
                continue
            better = best_px is None or (px < best_px if side is _BUY else px > best_px)
            if better or (px == best_px and size > best_size):
                best, best_px, best_size = i, px, size
        if best < 0:
            self._dispatch(origin, symbol, [Cancelled(ev.order_id, ev.owner, ev.qty, CancelReason.IOC_REMAINDER)])
            return
        self.messages += 1
        self.counts[best][symbol][0] += 1
        self.iso_orders.add(ev.order_id)
        events = self.venues[best].submit(  # type: ignore[call-arg]
            symbol, ev.order_id, ev.owner, side, ev.qty, price=best_px, ts_ns=self.kernel.env._now, tif=_IOC, iso=True,
        )
        if events:
            self._dispatch(best, symbol, events)

    def _on_quote(self, venue_idx: int, symbol: str, ev: QuoteUpdate) -> None:
        self._publish(venue_idx, symbol, ev.ts_ns, (ev.bid, ev.bid_size, ev.ask, ev.ask_size))

    def _publish(self, venue_idx: int, symbol: str, ts: int, top: _Top) -> None:
        """Venue ``venue_idx``'s displayed top in ``symbol`` became ``top`` at ``ts``: its feed, watchers, the NBBO."""
        frozen = self.frozen_feeds and venue_idx in self.frozen_feeds  # a frozen feed publishes nothing
        if not frozen:
            hist = self.history[venue_idx][symbol]
            hist.ts.append(ts)
            hist.tops.append(top)
        tops = self._tops[venue_idx]
        old = tops[symbol]
        tops[symbol] = top
        slot = self._pslot[venue_idx].get(symbol)
        if slot is not None:
            if self._top_watchers and (old[0] != top[0] or old[2] != top[2]) and not frozen:
                for watcher in self._top_watchers.get(symbol, ()):
                    watcher(venue_idx)
            ptops = self._ptops[symbol]
            last = self._nbbo_last[symbol]
            before = ptops[slot]
            ptops[slot] = top
            nbbo = nbbo_after(last, before, top, ptops)
            if nbbo != last:
                self._nbbo_last[symbol] = nbbo
                nb = self.nbbo[symbol]
                nb.ts.append(ts)
                nb.tops.append(nbbo)
                if self._nbbo_watchers:
                    for callback in self._nbbo_watchers.get(symbol, ()):
                        callback()

    # ------------------------------------------------------------------ views
    def top(self, venue_idx: int, symbol: str) -> _Top:
        """Current top of book of a venue (true, undelayed)."""
        return self._tops[venue_idx][symbol]

    def nbbo_now(self, symbol: str) -> _Top:
        """Current true NBBO."""
        return self._nbbo_last[symbol]

    def nbbo_as_of(self, symbol: str, t_ns: int) -> _Top:
        """The true NBBO in force at ``t_ns`` (a past time)."""
        return self.nbbo[symbol].top_at(t_ns)[1]

    def watch_nbbo(self, symbol: str, callback: Callable[[], None]) -> None:
        """Call ``callback()`` (synchronously; it must not send orders itself) whenever the true NBBO changes."""
        self._nbbo_watchers.setdefault(symbol, []).append(callback)

    def watch_tops(self, symbol: str, callback: Callable[[int], None]) -> None:
        """Call ``callback(venue_idx)`` whenever a protected venue's best bid or ask *price* in ``symbol`` changes.

        Synchronously; it must not send orders itself. Size-only changes, and changes on a frozen feed, are not
        reported.
        """
        self._top_watchers.setdefault(symbol, []).append(callback)

    def watch_lit_trades(self, symbol: str, callback: Callable[[int, Fill], None]) -> None:
        """Call ``callback(venue_idx, fill)`` for every trade in ``symbol`` on a lit venue.

        Synchronously; it must not send orders itself.
        """
        self.lit_trade_watchers.setdefault(symbol, []).append(callback)

    def unfreeze(self, venue_idx: int) -> None:
        """A frozen feed resumes: it publishes the venue's current tops at once."""
        self.frozen_feeds.discard(venue_idx)
        now = self.kernel.env._now
        for sym, hist in self.history[venue_idx].items():
            top = self._tops[venue_idx][sym]
            if not hist.tops or hist.tops[-1] != top:
                hist.append(now, top)

    def self_help(self, venue_idx: int, declared: bool) -> None:
        """Rule 611(b)(1) self-help against a venue that is down (``declared``) or back (not ``declared``).

        While declared, the venue's quotes are not protected: they leave the NBBO (as recorded and as the venues
        check order protection against) and orders elsewhere may trade through them; when it ends they count again.
        """
        now = self.kernel.env._now
        for sym in self.venues[venue_idx].info.symbols:
            if sym not in self._protected or sym not in self._base_slot[venue_idx]:
                continue
            slot = self._base_slot[venue_idx][sym]
            plist = self._protected[sym]
            if declared:
                self._pslot[venue_idx].pop(sym, None)
                if venue_idx in plist:
                    plist.remove(venue_idx)
                self._ptops[sym][slot] = _EMPTY_TOP
            else:
                self._pslot[venue_idx][sym] = slot
                if venue_idx not in plist:
                    plist.append(venue_idx)
                    plist.sort()
                self._ptops[sym][slot] = self._tops[venue_idx][sym]
            nbbo = consolidate(self._ptops[sym])
            if nbbo != self._nbbo_last[sym]:
                self._nbbo_last[sym] = nbbo
                self.nbbo[sym].append(now, nbbo)
                for callback in self._nbbo_watchers.get(sym, ()):
                    callback()

    def nbbo_excluding(self, symbol: str, venue_idx: int) -> _Top:
        """Current true NBBO of the protected venues other than ``venue_idx``."""
        tops = self._tops
        return consolidate([tops[i][symbol] for i in self._protected[symbol] if i != venue_idx])

    def protected_venues(self, symbol: str) -> list[int]:
        """Indices of the venues whose quotes in ``symbol`` are protected."""
        return self._protected[symbol]
