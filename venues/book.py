"""A price-time priority limit order book for one symbol at one venue, with hidden, reserve and min-qty orders.

The book only matches: every operation returns the events it caused (fills, cancellations, rejects and a
:class:`~venues.types.QuoteUpdate` when the displayed top of book changed). It knows nothing of clocks, agents or
messaging; the caller passes the time of each operation. Venue rules (order protection, re-pricing, midpoint pegs)
live in :mod:`venues.venue` and are built from the same operations and the primitives :meth:`OrderBook.fillable`,
:meth:`OrderBook.match`, :meth:`OrderBook.rest` and :meth:`OrderBook.publish`.

Order types
-----------
``display_qty`` (keyword of :meth:`OrderBook.submit`) sets how much of a resting order is shown:

* ``None`` (the default), or any ``display_qty >= qty``: **displayed** (a plain limit order).
* ``0``: **hidden** (non-displayed). It rests and trades like any order but is never in the quote.
* ``0 < display_qty < qty``: **reserve** (iceberg). ``display_qty`` shares are shown; the rest is a non-displayed
  *reserve*. When the shown part is used up the order is *refreshed*: ``min(display_qty, reserve)`` shares move from
  the reserve to a new shown part, which joins the **back** of its price level's displayed queue with the refresh time
  as its priority time. Refreshes happen once the incoming order that used the shown part up has finished with that
  price level.

``min_qty`` (minimum quantity) is allowed only on hidden orders (``display_qty == 0``; otherwise the order is rejected
with ``INVALID_QUANTITY``, as is ``min_qty > qty``):

* A **resting** min-qty order only trades with an incoming order whose *remaining* quantity at that moment is at least
  its effective minimum, ``min(min_qty, open quantity)`` (an order partly filled below its minimum trades with anyone
  able to take all of it). An incoming order too small for it passes it over and goes on to the next order.
* An **incoming** min-qty order trades only if at least ``min_qty`` shares can be filled at once (counting every
  resting order it could trade with, in priority order, each one's own minimum included); otherwise it does not trade
  at all: an IOC or market order is cancelled whole, a DAY order rests whole (hidden). Once the condition is met it
  trades as much as it can, like any order.

Matching rules
--------------
* Priority is price first; at one price, **displayed** interest (plain orders and the shown parts of reserve orders)
  before **non-displayed** interest (hidden orders and reserve parts); then time. A reserve part keeps its order's
  entry time; a refreshed shown part takes the refresh time.
* An incoming order trades at the resting order's price, best price first, until it is filled or no resting price
  satisfies its limit. A market order has no limit.
* What is left of a limit order with time in force DAY rests (with its ``display_qty`` and ``min_qty``); of an IOC or
  market order is cancelled; an FOK order either fills completely on arrival or is rejected without trading.
* A post-only order that would trade on arrival (with displayed or non-displayed interest) is rejected (no re-pricing
  here: venue rules may re-price first).
* The quote (:meth:`~OrderBook.quote`, :attr:`~OrderBook.best_bid`, :meth:`~OrderBook.depth`,
  :class:`~venues.types.QuoteUpdate`) shows displayed quantity only; a price level holding only non-displayed
  interest is invisible.
* Resting orders never trade with each other: matching happens only when an order arrives (or re-enters on a
  replace). So the book restricted to orders *without* a min-qty condition is never crossed or locked, and the
  displayed book is never crossed or locked; a crossed pair of resting orders always involves a min-qty order that
  the other side was too small for (or, for an incoming min-qty order, that could not get its minimum).
* Cancel/replace: ``qty`` is the new total open quantity. Reducing it at the same price keeps the order's place in
  both queues (the cut comes out of a reserve first, then out of the shown part). A price change or a size increase
  re-enters the order at the back with the time of the replace, as if new with the same ``display_qty`` and
  ``min_qty`` (so it may trade at once, subject to its own minimum; if its minimum cannot be met it rests without
  trading).
* No self-trade prevention: two orders of the same owner can trade with each other.

Implementation
--------------
Each side keeps a dict from a *key* to its price level and a sorted list of keys, the best level last; bids use
``key = price`` and asks ``key = -price``, so "better" is always "larger key" and the best level is popped in O(1).
A level is a deque of displayed orders in time priority (plus, only when it has some, a deque of non-displayed
entries). Cancels are O(1): the order's quantity drops to zero and the dead entry is discarded when it reaches the
front of the queue. A plain displayed book runs the same code as before hidden orders existed; a level holding
non-displayed interest sends the incoming order down a general (slower) path from that level on.

Layout
------
This module holds :class:`OrderBook` with its operations and the plain path (plain limit and market orders against
displayed price levels, in price-time priority). Its parts: the records and shared state in
:mod:`venues.book_levels`; hidden, reserve and min-qty orders in :mod:`venues.book_hidden`; the primitives venue
rules compose in :mod:`venues.book_primitives`; the read-only queries in :mod:`venues.book_queries`.
"""

from __future__ import annotations

from bisect import insort
from typing import cast

from venues.book_hidden import _HiddenReserveMinQty
from venues.book_levels import OrderInfo, _Level, _Order, _Special
from venues.book_primitives import _VenuePrimitives
from venues.book_queries import _BookQueries
from venues.types import (
    Cancelled,
    CancelReason,
    Event,
    Fill,
    QuoteUpdate,
    Reject,
    RejectReason,
    Side,
    TimeInForce,
)

__all__ = ["OrderBook", "OrderInfo"]

_BUY = Side.BUY
_DAY = TimeInForce.DAY
_FOK = TimeInForce.FOK


class OrderBook(_VenuePrimitives, _BookQueries, _HiddenReserveMinQty):
    """Price-time priority book on integer prices (multiples of ``tick``) and integer nanosecond times.

    Parameters
    ----------
    tick : int
        Minimum price increment in price units; limit prices must be multiples of it.
    """

    __slots__ = ()

    # ------------------------------------------------------------------ operations

    def submit(
        self,
        order_id: int,
        owner: int,
        side: Side,
        qty: int,
        *,
        price: int | None,
        ts_ns: int,
        tif: TimeInForce = _DAY,
        post_only: bool = False,
        display_qty: int | None = None,
        min_qty: int = 0,
    ) -> list[Event]:
        """Enter a new order and match it.

        Parameters
        ----------
        order_id, owner : int
            Caller-assigned id, unique among the book's open orders; opaque owner id copied into the events.
        side : Side
            Buy or sell.
        qty : int
            Shares, positive.
        price : int or None
            Limit price in price units; ``None`` for a market order.
        ts_ns : int
            Time of arrival at the book.
        tif : TimeInForce
            DAY rests the remainder, IOC cancels it, FOK fills all or nothing.
        post_only : bool
            Reject instead of trading on arrival.
        display_qty, min_qty : int or None, int
            ``None`` (or ``>= qty``): displayed; ``0``: hidden; ``0 < display_qty < qty``: reserve showing that much.
            ``min_qty``: minimum quantity, hidden orders only, on arrival and when resting (see the module docstring).

        Returns
        -------
        list of Event
            Fills in execution order, then a :class:`Cancelled` for an IOC or market remainder, then a
            :class:`QuoteUpdate` if the top of book changed; or a single :class:`Reject`.
        """
        if display_qty is not None or min_qty:
            return self._submit_general(order_id, owner, side, qty, price, ts_ns, tif, post_only, display_qty, min_qty)
        if qty <= 0:
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]
        if price is not None:
            if price <= 0:
                return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
            if price % self.tick:
                return [Reject(order_id, owner, RejectReason.OFF_TICK)]
        elif post_only:
            return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if order_id in self._orders:
            return [Reject(order_id, owner, RejectReason.DUPLICATE_ORDER_ID)]
        s = 1 if side is _BUY else -1
        limit_key = None if price is None else -s * price  # a contra level at key k satisfies it when k >= limit_key
        if post_only or tif is _FOK:
            reject = self._arrival_reject(order_id, owner, s, qty, limit_key, post_only)
            if reject is not None:
                return reject
        events: list[Event] = []
        contra_keys = self._ask_keys if s == 1 else self._bid_keys
        if contra_keys and (limit_key is None or contra_keys[-1] >= limit_key):
            left = self._take(s, side, qty, limit_key, ts_ns, order_id, owner, events)
        else:
            left = qty  # nothing on the other side within the limit: no call into the matching loop
        top_touched = bool(events)
        if left:
            if price is None:
                events.append(Cancelled(order_id, owner, left, CancelReason.MARKET_REMAINDER))
            elif tif is _DAY:
                self._rest_new(order_id, owner, side, s, price, left, ts_ns, events, top_touched)
                return events
            else:
                events.append(Cancelled(order_id, owner, left, CancelReason.IOC_REMAINDER))
        if top_touched:
            self._quote_event(ts_ns, events)
        return events

    def _rest_new(
        self,
        order_id: int,
        owner: int,
        side: Side,
        s: int,
        price: int,
        left: int,
        ts_ns: int,
        events: list[Event],
        traded: bool,
    ) -> None:
        """:meth:`submit`'s DAY remainder of a plain order rests (``_rest`` inlined: the hot path); publish the top."""
        if s == 1:
            own_top = self._top[0]
            levels, keys = self._bid_levels, self._bid_keys
        else:
            own_top = self._top[2]
            levels, keys = self._ask_levels, self._ask_keys
        key = s * price
        level = levels.get(key)
        if level is None:
            level = levels[key] = _Level(price)
            if not keys or key > keys[-1]:
                keys.append(key)
            else:
                insort(keys, key)
        order = _Order(order_id, owner, side, price, left, ts_ns)
        level.orders.append(order)
        level.total += left
        self._orders[order_id] = order
        if own_top is None or s * (price - own_top) >= 0:  # joins or improves its side's best displayed level
            if not traded:
                # Nothing traded, so only this side's top changed, and this order's level is now its best displayed
                # level (at or better than the old one): the new top without scanning the book.
                t = self._top
                top = (price, level.total, t[2], t[3]) if s == 1 else (t[0], t[1], price, level.total)
                self._top = top
                events.append(QuoteUpdate(ts_ns, *top))
                return
            traded = True
        if traded:
            self._quote_event(ts_ns, events)

    def _arrival_reject(
        self, order_id: int, owner: int, s: int, qty: int, limit_key: int | None, post_only: bool
    ) -> list[Event] | None:
        """:meth:`submit`'s check of a plain post-only or FOK order: its :class:`Reject`, or ``None`` to go on."""
        contra_keys = self._ask_keys if s == 1 else self._bid_keys
        if post_only:
            if (
                contra_keys
                and contra_keys[-1] >= limit_key  # type: ignore[operator]
                and (not self._n_mq or self._fillable(s, qty, limit_key))
            ):
                return [Reject(order_id, owner, RejectReason.POST_ONLY_WOULD_CROSS)]
        elif not self._available(s, limit_key, qty):
            return [Reject(order_id, owner, RejectReason.FOK_NOT_FILLABLE)]
        return None

    def cancel(self, order_id: int, *, owner: int, ts_ns: int) -> list[Event]:
        """Cancel an open order; returns a :class:`Cancelled` (and a quote update) or a :class:`Reject`."""
        order = self._orders.get(order_id)
        if order is None or order.owner != owner:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_ORDER)]
        if order.__class__ is not _Order:
            events: list[Event] = [Cancelled(order_id, owner, order.qty + order.rsv, CancelReason.REQUESTED)]
            if self._remove(order):
                self._quote_event(ts_ns, events)
            return events
        # A plain order (inlined _remove: this is the hot path).
        qty = order.qty
        events = [Cancelled(order_id, owner, qty, CancelReason.REQUESTED)]
        price = order.price
        if order.side is _BUY:
            key = price
            levels, keys = self._bid_levels, self._bid_keys
            at_top = price >= self._top[0]  # type: ignore[operator]  # a displayed order: that side has a top
        else:
            key = -price
            levels, keys = self._ask_levels, self._ask_keys
            at_top = price <= self._top[2]  # type: ignore[operator]
        level = levels[key]
        level.total -= qty
        order.qty = 0
        del self._orders[order_id]
        if not level.total and not level.hidden:
            del levels[key]
            if keys[-1] == key:
                keys.pop()
            else:
                keys.remove(key)
        if at_top:
            self._quote_event(ts_ns, events)
        return events

    def cancel_quiet(self, order_id: int, owner: int, ts_ns: int) -> tuple[int | None, int, int | None, int] | None:
        """:meth:`cancel` for a caller that ignores everything but the quote: the new top, or ``None``.

        The book changes exactly as with :meth:`cancel` (an unknown order or another owner's changes nothing); no
        event is built. Returns the displayed top ``(bid, bid_size, ask, ask_size)`` when it changed (the fields of
        the :class:`QuoteUpdate` :meth:`cancel` would return), else ``None``.
        """
        order = self._orders.get(order_id)
        if order is None or order.owner != owner:
            return None
        if order.__class__ is not _Order:
            events = self.cancel(order_id, owner=owner, ts_ns=ts_ns)
            return self._top if len(events) > 1 else None
        qty = order.qty
        price = order.price
        if order.side is _BUY:
            key = price
            levels, keys = self._bid_levels, self._bid_keys
            at_top = price >= self._top[0]  # type: ignore[operator]  # a displayed order: that side has a top
        else:
            key = -price
            levels, keys = self._ask_levels, self._ask_keys
            at_top = price <= self._top[2]  # type: ignore[operator]
        level = levels[key]
        left = level.total = level.total - qty
        order.qty = 0
        del self._orders[order_id]
        if not left and not level.hidden:
            del levels[key]
            if keys[-1] == key:
                keys.pop()
            else:
                keys.remove(key)
        if not at_top:
            return None
        t = self._top
        if left:  # the best displayed level keeps some size: only its size changes
            top = (t[0], left, t[2], t[3]) if key > 0 else (t[0], t[1], t[2], left)
        else:
            top = self._scan_top()
            if top == t:
                return None
        self._top = top
        return top

    def rest_passive(
        self, order_id: int, owner: int, side: Side, qty: int, price: int, ts_ns: int
    ) -> tuple[int | None, int, int | None, int] | bool | None:
        """Rest a plain DAY limit order that cannot trade on arrival: :meth:`submit`'s path without its events.

        The background's hot path. When ``submit(order_id, owner, side, qty, price=price, ts_ns=ts_ns)`` would
        only rest the order (valid, a new id, and no contra price within its limit, displayed or not), the book
        changes exactly as it would and the new displayed top ``(bid, bid_size, ask, ask_size)`` is returned if
        the order changed it (the fields of the :class:`QuoteUpdate` ``submit`` would return), else ``None``.
        Any other order changes nothing and returns ``False``: the caller submits it instead.
        """
        if qty <= 0 or price <= 0 or price % self.tick or order_id in self._orders:
            return False
        if side is _BUY:
            contra = self._ask_keys
            if contra and contra[-1] >= -price:
                return False
            own_top = self._top[0]
            levels, keys, key = self._bid_levels, self._bid_keys, price
            joins = own_top is None or price >= own_top
        else:
            contra = self._bid_keys
            if contra and contra[-1] >= price:
                return False
            own_top = self._top[2]
            levels, keys, key = self._ask_levels, self._ask_keys, -price
            joins = own_top is None or price <= own_top
        level = levels.get(key)
        if level is None:
            level = levels[key] = _Level(price)
            if not keys or key > keys[-1]:
                keys.append(key)
            else:
                insort(keys, key)
        order = _Order(order_id, owner, side, price, qty, ts_ns)
        level.orders.append(order)
        level.total += qty
        self._orders[order_id] = order
        if not joins:
            return None
        # only this side's top changed, and this order's level is now its best displayed level
        t = self._top
        top = (price, level.total, t[2], t[3]) if key > 0 else (t[0], t[1], price, level.total)
        self._top = top
        return top

    def replace(
        self, order_id: int, *, owner: int, qty: int, price: int, ts_ns: int, rest_price: int | None = None
    ) -> list[Event]:
        """Change an open order's open quantity and/or price (cancel/replace).

        ``qty`` is the new total open quantity. Same price and no more shares keeps time priority (a reserve order
        gives up reserve shares first); otherwise the order loses it and is matched again as if new, keeping its
        ``display_qty`` and ``min_qty`` (it may trade at once). ``qty == 0`` cancels. ``rest_price`` (venue
        re-pricing) applies only when the order re-enters: see :meth:`submit`.
        """
        order = self._orders.get(order_id)
        if order is None or order.owner != owner:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_ORDER)]
        if qty < 0:
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]
        if price <= 0:
            return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if price % self.tick:
            return [Reject(order_id, owner, RejectReason.OFF_TICK)]
        if qty == 0:
            return self.cancel(order_id, owner=owner, ts_ns=ts_ns)
        s = 1 if order.side is _BUY else -1
        events: list[Event] = []
        plain = order.__class__ is _Order
        if price == order.price and qty <= order.qty + order.rsv:
            if plain:
                levels = self._bid_levels if s == 1 else self._ask_levels
                levels[s * price].total -= order.qty - qty
                order.qty = qty
            else:
                self._reduce(cast(_Special, order), qty, s)
        else:
            if rest_price is not None and self._bad_rest_price(s, price, rest_price):
                return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
            side = order.side
            self._remove(order)
            if plain and rest_price is None:
                left = self._take(s, side, qty, -s * price, ts_ns, order_id, owner, events)
                if left:
                    self._rest(_Order(order_id, owner, side, price, left, ts_ns), s)
            else:
                display = None if plain else cast(_Special, order).display
                min_qty = order.min_qty if isinstance(order, _Special) else 0
                self._enter(
                    order_id,
                    owner,
                    side,
                    qty,
                    price,
                    ts_ns,
                    _DAY,
                    display,
                    min(min_qty, qty),
                    price if rest_price is None else rest_price,
                    events,
                    stored_min_qty=min_qty,
                )
        self._quote_event(ts_ns, events)
        return events

    # ------------------------------------------------------------------ internals: the plain path

    def _take(
        self,
        s: int,
        side: Side,
        qty: int,
        limit_key: int | None,
        ts_ns: int,
        taker_id: int,
        taker_owner: int,
        events: list[Event],
    ) -> int:
        """Match ``qty`` against the contra side; append fills; return the unfilled quantity."""
        if s == 1:
            levels, keys = self._ask_levels, self._ask_keys
        else:
            levels, keys = self._bid_levels, self._bid_keys
        index = self._orders
        append = events.append
        while qty and keys:
            key = keys[-1]
            if limit_key is not None and key < limit_key:
                break
            level = levels[key]
            if level.hidden:  # non-displayed interest here: the general path takes over from this level
                return self._take_general(s, side, qty, limit_key, ts_ns, taker_id, taker_owner, events)
            queue = level.orders
            price = level.price
            while qty and queue:
                maker = queue[0]
                open_qty = maker.qty
                if not open_qty:
                    queue.popleft()
                    continue
                x = open_qty if open_qty < qty else qty
                open_qty -= x
                qty -= x
                maker.qty = open_qty
                level.total -= x
                append(Fill(ts_ns, price, x, side, maker.order_id, maker.owner, taker_id, taker_owner, open_qty, qty))
                if not open_qty:
                    queue.popleft()
                    del index[maker.order_id]
            if not level.total:
                keys.pop()
                del levels[key]
        return qty

    def _available(self, s: int, limit_key: int | None, need: int) -> bool:
        """Whether the contra side holds at least ``need`` shares within the limit that would trade."""
        if self._n_mq:
            return self._fillable(s, need, limit_key) >= need
        if s == 1:
            levels, keys = self._ask_levels, self._ask_keys
        else:
            levels, keys = self._bid_levels, self._bid_keys
        total = 0
        for key in reversed(keys):
            if limit_key is not None and key < limit_key:
                return False
            level = levels[key]
            total += level.total + level.hidden
            if total >= need:
                return True
        return False

    def _rest(self, order: _Order, s: int) -> None:
        key = s * order.price
        if s == 1:
            levels, keys = self._bid_levels, self._bid_keys
        else:
            levels, keys = self._ask_levels, self._ask_keys
        level = levels.get(key)
        if level is None:
            level = levels[key] = _Level(order.price)
            insort(keys, key)
        level.orders.append(order)
        level.total += order.qty
        self._orders[order.order_id] = order

    def _remove(self, order: _Order) -> bool:
        """Take an order out; returns whether it was at its side's best displayed level (so the top may change)."""
        s = 1 if order.side is _BUY else -1
        key = s * order.price
        if s == 1:
            levels, keys, top = self._bid_levels, self._bid_keys, self._top[0]
        else:
            levels, keys, top = self._ask_levels, self._ask_keys, self._top[2]
        level = levels[key]
        if order.__class__ is _Order:
            level.total -= order.qty
            shown = True
        else:
            shown = self._remove_special(cast(_Special, order), level)
        order.qty = 0
        del self._orders[order.order_id]
        if not level.total and not level.hidden:
            del levels[key]
            if keys[-1] == key:
                keys.pop()
            else:
                keys.remove(key)
        return shown and top is not None and s * (order.price - top) >= 0

    def _scan_top(self) -> tuple[int | None, int, int | None, int]:
        """The displayed top of book as the levels now hold it (``_top`` is not updated)."""
        bk = self._bid_keys
        ak = self._ask_keys
        if bk:
            k = bk[-1]
            bid: int | None = k
            bid_size = self._bid_levels[k].total
            if not bid_size:  # the best level is non-displayed only
                bid, bid_size = self._displayed_best(self._bid_levels, bk)
        else:
            bid, bid_size = None, 0
        if ak:
            k = ak[-1]
            ask: int | None = -k
            ask_size = self._ask_levels[k].total
            if not ask_size:
                ask, ask_size = self._displayed_best(self._ask_levels, ak)
        else:
            ask, ask_size = None, 0
        return (bid, bid_size, ask, ask_size)

    def _quote_event(self, ts_ns: int, events: list[Event]) -> None:
        top = self._scan_top()
        if top != self._top:
            self._top = top
            events.append(QuoteUpdate(ts_ns, *top))
