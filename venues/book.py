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
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from collections.abc import Iterator
from typing import NamedTuple, cast

from venues.types import (
    Cancelled,
    CancelReason,
    Event,
    Fill,
    Quote,
    QuoteUpdate,
    Reject,
    RejectReason,
    Side,
    TimeInForce,
)

_BUY = Side.BUY
_DAY = TimeInForce.DAY
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK


class _Order:
    """A plain displayed order; ``qty`` is its open quantity (0 marks a dead entry left in its level's deque)."""

    __slots__ = ("order_id", "owner", "side", "price", "qty", "ts_ns")

    rsv = 0
    """Reserve quantity (always 0 here; a slot of :class:`_Special`). Read on every fill of the general path."""

    def __init__(self, order_id: int, owner: int, side: Side, price: int, qty: int, ts_ns: int) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.price = price
        self.qty = qty
        self.ts_ns = ts_ns


class _Special(_Order):
    """A hidden or reserve order.

    Hidden (``display == 0``): ``qty`` is its open quantity, held in its level's non-displayed queue.
    Reserve (``display > 0``): ``qty`` is the shown part (in the displayed queue) and ``rsv`` the reserve (the same
    object also sits in the non-displayed queue while ``rsv > 0``).
    """

    __slots__ = ("display", "min_qty", "rsv")

    def __init__(
        self, order_id: int, owner: int, side: Side, price: int, qty: int, ts_ns: int, display: int, min_qty: int,
        rsv: int,
    ) -> None:
        super().__init__(order_id, owner, side, price, qty, ts_ns)
        self.display = display
        self.min_qty = min_qty
        self.rsv = rsv


class _Level:
    __slots__ = ("price", "orders", "total", "hidden", "hq")

    def __init__(self, price: int) -> None:
        self.price = price
        self.orders: deque[_Order] = deque()
        self.total = 0  # displayed open quantity of the live entries
        self.hidden = 0  # non-displayed open quantity (hidden orders and reserves)
        self.hq: deque[_Special] | None = None  # non-displayed entries in time priority, created on first use


class OrderInfo(NamedTuple):
    """One open order as the book holds it (see :meth:`OrderBook.order_info`)."""

    owner: int
    side: Side
    price: int
    open_qty: int
    """Total open quantity, shown plus non-displayed."""
    displayed_qty: int
    """Quantity currently in the quote (0 for a hidden order)."""
    display_qty: int | None
    """The order's display setting: ``None`` fully displayed, ``0`` hidden, ``> 0`` reserve showing that much."""
    min_qty: int
    ts_ns: int
    """Priority time of the displayed part (the refresh time for a refreshed reserve order), else entry time."""


class OrderBook:
    """Price-time priority book on integer prices (multiples of ``tick``) and integer nanosecond times.

    Parameters
    ----------
    tick : int
        Minimum price increment in price units; limit prices must be multiples of it.
    """

    __slots__ = ("tick", "_bid_levels", "_bid_keys", "_ask_levels", "_ask_keys", "_orders", "_top", "_n_mq")

    def __init__(self, *, tick: int = 1) -> None:
        if tick <= 0:
            raise ValueError(f"tick must be positive, got {tick}")
        self.tick = tick
        self._bid_levels: dict[int, _Level] = {}
        self._bid_keys: list[int] = []
        self._ask_levels: dict[int, _Level] = {}
        self._ask_keys: list[int] = []
        self._orders: dict[int, _Order] = {}
        self._top: tuple[int | None, int, int | None, int] = (None, 0, None, 0)
        self._n_mq = 0  # open orders with a min-qty condition (0: aggregate quantities are exactly fillable)

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
        order_id : int
            Caller-assigned id, unique among the book's open orders.
        owner : int
            Opaque owner id copied into the events.
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
        display_qty : int or None
            ``None``: fully displayed; ``0``: hidden; ``0 < display_qty < qty``: reserve order showing that much (see
            the module docstring). ``display_qty >= qty`` is a fully displayed order.
        min_qty : int
            Minimum quantity (hidden orders only): the order trades on arrival only if at least this much fills at
            once, and when resting only with incoming orders at least this large.

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
        # A contra level at key k satisfies the limit when k >= limit_key (see the module docstring).
        limit_key = None if price is None else -s * price
        if post_only or tif is _FOK:
            contra_keys = self._ask_keys if s == 1 else self._bid_keys
            if post_only:
                if (
                    contra_keys and contra_keys[-1] >= limit_key  # type: ignore[operator]
                    and (not self._n_mq or self._fillable(s, qty, limit_key))
                ):
                    return [Reject(order_id, owner, RejectReason.POST_ONLY_WOULD_CROSS)]
            elif not self._available(s, limit_key, qty):
                return [Reject(order_id, owner, RejectReason.FOK_NOT_FILLABLE)]

        events: list[Event] = []
        left = self._take(s, side, qty, limit_key, ts_ns, order_id, owner, events)
        top_touched = bool(events)
        if left:
            if price is None:
                events.append(Cancelled(order_id, owner, left, CancelReason.MARKET_REMAINDER))
            elif tif is _DAY:
                # Rest it (inlined _rest: this is the hot path).
                if s == 1:
                    own_top = self._top[0]
                    levels, keys = self._bid_levels, self._bid_keys
                else:
                    own_top = self._top[2]
                    levels, keys = self._ask_levels, self._ask_keys
                if own_top is None or s * (price - own_top) >= 0:
                    top_touched = True  # joins or improves its side's best displayed level
                key = s * price
                level = levels.get(key)
                if level is None:
                    level = levels[key] = _Level(price)
                    insort(keys, key)
                order = _Order(order_id, owner, side, price, left, ts_ns)
                level.orders.append(order)
                level.total += left
                self._orders[order_id] = order
            else:
                events.append(Cancelled(order_id, owner, left, CancelReason.IOC_REMAINDER))
        if top_touched:
            self._quote_event(ts_ns, events)
        return events

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
                    order_id, owner, side, qty, price, ts_ns, _DAY, display, min(min_qty, qty),
                    price if rest_price is None else rest_price, events, stored_min_qty=min_qty,
                )
        self._quote_event(ts_ns, events)
        return events

    # ------------------------------------------------------------------ primitives for venue rules

    def validate(
        self,
        order_id: int,
        owner: int,
        qty: int,
        *,
        price: int | None,
        post_only: bool = False,
        display_qty: int | None = None,
        min_qty: int = 0,
    ) -> Reject | None:
        """The :class:`Reject` :meth:`submit` would return before matching, or ``None`` if the order is acceptable.

        Checks quantities (``qty > 0``, ``display_qty >= 0``, ``min_qty`` only on hidden orders and ``<= qty``),
        the price (positive, on the tick grid; a market order cannot be post-only) and the id (not open here).
        """
        if qty <= 0 or (display_qty is not None and display_qty < 0):
            return Reject(order_id, owner, RejectReason.INVALID_QUANTITY)
        if min_qty and (min_qty < 0 or display_qty != 0 or min_qty > qty):
            return Reject(order_id, owner, RejectReason.INVALID_QUANTITY)
        if price is not None:
            if price <= 0:
                return Reject(order_id, owner, RejectReason.INVALID_PRICE)
            if price % self.tick:
                return Reject(order_id, owner, RejectReason.OFF_TICK)
        elif post_only:
            return Reject(order_id, owner, RejectReason.INVALID_PRICE)
        if order_id in self._orders:
            return Reject(order_id, owner, RejectReason.DUPLICATE_ORDER_ID)
        return None

    def fillable(self, side: Side, qty: int, *, limit: int | None, worse_than: int | None = None) -> int:
        """Shares an incoming order of ``side`` would fill now, up to ``qty``, without changing the book.

        Parameters
        ----------
        side : Side
            The incoming order's side.
        qty : int
            Its quantity.
        limit : int or None
            Its limit price (``None``: no limit). Need not be on the tick grid.
        worse_than : int or None
            Count only resting prices strictly worse for it than this one (what it would meet after it had already
            traded everything at or better than ``worse_than``).

        Returns
        -------
        int
            Exact, in priority order, with resting min-qty conditions applied to the remaining quantity.
        """
        s = 1 if side is _BUY else -1
        return self._fillable(
            s, qty, None if limit is None else -s * limit, None if worse_than is None else -s * worse_than
        )

    def match(
        self, order_id: int, owner: int, side: Side, qty: int, *, limit: int | None, ts_ns: int, events: list[Event]
    ) -> int:
        """Trade an incoming order against the book; append the fills to ``events``; return the unfilled quantity.

        No validation, no remainder handling and no quote update: the caller (a venue) does those, typically with
        :meth:`validate`, :meth:`rest` and :meth:`publish`. ``limit`` need not be on the tick grid.
        """
        s = 1 if side is _BUY else -1
        return self._take(s, side, qty, None if limit is None else -s * limit, ts_ns, order_id, owner, events)

    def rest(
        self,
        order_id: int,
        owner: int,
        side: Side,
        qty: int,
        *,
        price: int,
        ts_ns: int,
        display_qty: int | None = None,
        min_qty: int = 0,
    ) -> None:
        """Put an order in the book without matching it (the caller has matched and validated it)."""
        s = 1 if side is _BUY else -1
        if min_qty or (display_qty is not None and display_qty < qty):
            self._rest_special(order_id, owner, side, price, qty, ts_ns, cast(int, display_qty), min_qty, s)
        else:
            self._rest(_Order(order_id, owner, side, price, qty, ts_ns), s)

    def publish(self, ts_ns: int, events: list[Event]) -> None:
        """Append a :class:`QuoteUpdate` to ``events`` if the displayed top of book changed."""
        self._quote_event(ts_ns, events)

    # ------------------------------------------------------------------ queries

    def quote(self, ts_ns: int = 0) -> Quote:
        """Current displayed top of book."""
        bid, bid_size, ask, ask_size = self._top
        return Quote(ts_ns=ts_ns, bid=bid, bid_size=bid_size, ask=ask, ask_size=ask_size)

    @property
    def best_bid(self) -> int | None:
        """Best displayed bid price, or ``None``."""
        return self._top[0]

    @property
    def best_ask(self) -> int | None:
        """Best displayed ask price, or ``None``."""
        return self._top[2]

    def depth(self, side: Side, levels: int = 5) -> list[tuple[int, int]]:
        """``(price, displayed quantity)`` of the best ``levels`` displayed price levels of one side (0: all)."""
        book_levels, keys = (self._bid_levels, self._bid_keys) if side is _BUY else (self._ask_levels, self._ask_keys)
        out = []
        for key in reversed(keys):
            level = book_levels[key]
            if level.total:
                out.append((level.price, level.total))
                if len(out) == levels:
                    break
        return out

    def queue(self, side: Side) -> list[tuple[int, list[tuple[int, int]]]]:
        """Displayed interest of one side as ``[(price, [(order_id, shown qty), ...]), ...]``, in priority order.

        Best price first, each level in time priority. Hidden orders and reserves are not here (see
        :meth:`hidden_queue`); a level with no displayed interest is left out. In a book without hidden or reserve
        orders this is every live order with its open quantity.
        """
        book_levels, keys = (self._bid_levels, self._bid_keys) if side is _BUY else (self._ask_levels, self._ask_keys)
        return [
            (book_levels[k].price, [(o.order_id, o.qty) for o in book_levels[k].orders if o.qty])
            for k in reversed(keys)
            if book_levels[k].total
        ]

    def hidden_queue(self, side: Side) -> list[tuple[int, list[tuple[int, int]]]]:
        """Non-displayed interest of one side, ``[(price, [(order_id, qty), ...]), ...]``, in priority order.

        Each entry is a hidden order's open quantity or a reserve order's reserve, in time priority within the level
        (which trades after the level's displayed queue). Levels without non-displayed interest are left out.
        """
        book_levels, keys = (self._bid_levels, self._bid_keys) if side is _BUY else (self._ask_levels, self._ask_keys)
        out = []
        for k in reversed(keys):
            level = book_levels[k]
            if level.hidden and level.hq is not None:
                entries = [(e.order_id, e.rsv if e.display else e.qty) for e in level.hq]
                out.append((level.price, [(i, q) for i, q in entries if q]))
        return out

    def order_info(self, order_id: int) -> OrderInfo | None:
        """Side, price, quantities and settings of an open order, ``None`` if it is not in the book."""
        order = self._orders.get(order_id)
        if order is None:
            return None
        if isinstance(order, _Special):
            shown = order.qty if order.display else 0
            return OrderInfo(
                order.owner, order.side, order.price, order.qty + order.rsv, shown, order.display, order.min_qty,
                order.ts_ns,
            )
        return OrderInfo(order.owner, order.side, order.price, order.qty, order.qty, None, 0, order.ts_ns)

    def open_qty(self, order_id: int) -> int:
        """Open quantity (shown plus non-displayed) of an order, 0 if it is not in the book."""
        order = self._orders.get(order_id)
        return order.qty + order.rsv if order is not None else 0

    def order_price(self, order_id: int) -> int | None:
        """Limit price of an open order, ``None`` if it is not in the book."""
        order = self._orders.get(order_id)
        return order.price if order is not None else None

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def __len__(self) -> int:
        """Number of open orders."""
        return len(self._orders)

    def __iter__(self) -> Iterator[int]:
        return iter(self._orders)

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

    def _quote_event(self, ts_ns: int, events: list[Event]) -> None:
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
        top = (bid, bid_size, ask, ask_size)
        if top != self._top:
            self._top = top
            events.append(QuoteUpdate(ts_ns, bid, bid_size, ask, ask_size))

    # ------------------------------------------------------------------ internals: hidden, reserve and min-qty

    @staticmethod
    def _displayed_best(levels: dict[int, _Level], keys: list[int]) -> tuple[int | None, int]:
        for key in reversed(keys):
            level = levels[key]
            if level.total:
                return level.price, level.total
        return None, 0

    def _bad_rest_price(self, s: int, price: int | None, rest_price: int) -> bool:
        """Whether ``rest_price`` is unusable: off the grid, not positive, or more aggressive than ``price``."""
        return price is None or rest_price <= 0 or bool(rest_price % self.tick) or s * (rest_price - price) > 0

    def _submit_general(
        self,
        order_id: int,
        owner: int,
        side: Side,
        qty: int,
        price: int | None,
        ts_ns: int,
        tif: TimeInForce,
        post_only: bool,
        display_qty: int | None,
        min_qty: int,
    ) -> list[Event]:
        """:meth:`submit` for an order with a ``display_qty`` or ``min_qty``."""
        reject = self.validate(
            order_id, owner, qty, price=price, post_only=post_only, display_qty=display_qty, min_qty=min_qty
        )
        if reject is not None:
            return [reject]
        s = 1 if side is _BUY else -1
        limit_key = None if price is None else -s * price
        if post_only:
            if self._fillable(s, qty, limit_key):
                return [Reject(order_id, owner, RejectReason.POST_ONLY_WOULD_CROSS)]
        elif tif is _FOK and self._fillable(s, qty, limit_key) < qty:
            return [Reject(order_id, owner, RejectReason.FOK_NOT_FILLABLE)]
        if display_qty is not None and display_qty >= qty:
            display_qty = None  # fully displayed
        events: list[Event] = []
        self._enter(order_id, owner, side, qty, price, ts_ns, tif, display_qty, min_qty, price, events)
        self._quote_event(ts_ns, events)
        return events

    def _enter(
        self,
        order_id: int,
        owner: int,
        side: Side,
        qty: int,
        price: int | None,
        ts_ns: int,
        tif: TimeInForce,
        display: int | None,
        min_qty: int,
        rest_price: int | None,
        events: list[Event],
        *,
        stored_min_qty: int | None = None,
    ) -> None:
        """Match a validated incoming order (applying its own minimum) and rest or cancel what is left."""
        s = 1 if side is _BUY else -1
        limit_key = None if price is None else -s * price
        if min_qty and self._fillable(s, qty, limit_key) < min_qty:
            left = qty  # its minimum cannot be met: no trade at all
        else:
            left = self._take(s, side, qty, limit_key, ts_ns, order_id, owner, events)
        if not left:
            return
        if price is None:
            events.append(Cancelled(order_id, owner, left, CancelReason.MARKET_REMAINDER))
        elif tif is _DAY:
            assert rest_price is not None
            keep_min = min_qty if stored_min_qty is None else stored_min_qty
            if display is None and not keep_min:
                self._rest(_Order(order_id, owner, side, rest_price, left, ts_ns), s)
            else:
                self._rest_special(order_id, owner, side, rest_price, left, ts_ns, display or 0, keep_min, s)
        else:
            events.append(Cancelled(order_id, owner, left, CancelReason.IOC_REMAINDER))

    def _rest_special(
        self, order_id: int, owner: int, side: Side, price: int, qty: int, ts_ns: int, display: int, min_qty: int,
        s: int,
    ) -> None:
        key = s * price
        if s == 1:
            levels, keys = self._bid_levels, self._bid_keys
        else:
            levels, keys = self._ask_levels, self._ask_keys
        level = levels.get(key)
        if level is None:
            level = levels[key] = _Level(price)
            insort(keys, key)
        if level.hq is None:
            level.hq = deque()
        if display:  # reserve (or a reserve order re-entering smaller than its display size: all shown)
            shown = display if display < qty else qty
            order = _Special(order_id, owner, side, price, shown, ts_ns, display, 0, qty - shown)
            level.orders.append(order)
            level.total += shown
            if order.rsv:
                level.hq.append(order)
                level.hidden += order.rsv
        else:
            order = _Special(order_id, owner, side, price, qty, ts_ns, 0, min_qty, 0)
            level.hq.append(order)
            level.hidden += qty
            if min_qty:
                self._n_mq += 1
        self._orders[order_id] = order

    def _remove_special(self, order: _Special, level: _Level) -> bool:
        """Take a hidden or reserve order's quantities out of its level; returns whether any of it was shown."""
        if order.min_qty:
            self._n_mq -= 1
        if order.display:
            level.total -= order.qty
            level.hidden -= order.rsv
            order.rsv = 0
            return order.qty > 0
        level.hidden -= order.qty
        return False

    def _reduce(self, order: _Special, qty: int, s: int) -> None:
        """Cut a hidden or reserve order to ``qty`` open shares in place (it keeps its priority)."""
        levels = self._bid_levels if s == 1 else self._ask_levels
        level = levels[s * order.price]
        cut = order.qty + order.rsv - qty
        if order.display:
            r = cut if cut < order.rsv else order.rsv
            order.rsv -= r
            level.hidden -= r
            order.qty -= cut - r
            level.total -= cut - r
        else:
            order.qty = qty
            level.hidden -= cut

    def _take_general(
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
        """:meth:`_take` for levels that may hold non-displayed interest, reserve refreshes and min-qty orders."""
        if s == 1:
            levels, keys = self._ask_levels, self._ask_keys
        else:
            levels, keys = self._bid_levels, self._bid_keys
        index = self._orders
        append = events.append
        i = len(keys) - 1
        while qty and i >= 0:
            key = keys[i]
            if limit_key is not None and key < limit_key:
                break
            level = levels[key]
            queue = level.orders
            price = level.price
            exhausted: list[_Special] = []  # reserve orders whose shown part was used up, in that order
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
                rsv = maker.rsv
                append(
                    Fill(ts_ns, price, x, side, maker.order_id, maker.owner, taker_id, taker_owner, open_qty + rsv, qty)
                )
                if not open_qty:
                    queue.popleft()
                    if rsv:
                        exhausted.append(cast(_Special, maker))
                    else:
                        del index[maker.order_id]
            if qty and level.hidden:
                qty = self._take_hidden(level, qty, side, ts_ns, taker_id, taker_owner, events)
            for order in exhausted:  # refresh: a new shown part at the back of the displayed queue
                r = order.rsv
                if r:
                    shown = order.display if order.display < r else r
                    order.rsv = r - shown
                    order.qty = shown
                    order.ts_ns = ts_ns
                    level.hidden -= shown
                    level.total += shown
                    queue.append(order)
            if not level.total and not level.hidden:
                del levels[key]
                del keys[i]
            i -= 1
        return qty

    def _take_hidden(
        self, level: _Level, qty: int, side: Side, ts_ns: int, taker_id: int, taker_owner: int, events: list[Event]
    ) -> int:
        """Match against one level's non-displayed queue in time priority, passing over min-qty orders too big."""
        hq = level.hq
        assert hq is not None
        index = self._orders
        price = level.price
        i = 0
        while qty and i < len(hq):
            e = hq[i]
            reserve = e.display > 0
            avail = e.rsv if reserve else e.qty
            if not avail:
                del hq[i]  # dead entry: cancelled, replaced, or a reserve already revealed
                continue
            mq = e.min_qty
            if mq and qty < (mq if mq < avail else avail):
                i += 1
                continue
            x = avail if avail < qty else qty
            qty -= x
            avail -= x
            level.hidden -= x
            if reserve:
                e.rsv = avail
                leaves = e.qty + avail
            else:
                e.qty = avail
                leaves = avail
            events.append(Fill(ts_ns, price, x, side, e.order_id, e.owner, taker_id, taker_owner, leaves, qty))
            if not avail:
                del hq[i]
                if not leaves:
                    del index[e.order_id]
                    if mq:
                        self._n_mq -= 1
        return qty

    def _fillable(self, s: int, qty: int, limit_key: int | None, after_key: int | None = None) -> int:
        """Dry run of :meth:`_take`: the shares it would fill (levels with key ``>= after_key`` skipped)."""
        if s == 1:
            levels, keys = self._ask_levels, self._ask_keys
        else:
            levels, keys = self._bid_levels, self._bid_keys
        rem = qty
        exact = self._n_mq > 0
        for key in reversed(keys):
            if limit_key is not None and key < limit_key:
                break
            if after_key is not None and key >= after_key:
                continue
            level = levels[key]
            rem -= level.total if level.total < rem else rem
            if rem and level.hidden:
                if not exact or level.hq is None:
                    rem -= level.hidden if level.hidden < rem else rem
                else:
                    for e in level.hq:
                        avail = e.rsv if e.display else e.qty
                        if not avail:
                            continue
                        mq = e.min_qty
                        if mq and rem < (mq if mq < avail else avail):
                            continue
                        rem -= avail if avail < rem else rem
                        if not rem:
                            break
            if not rem:
                break
        return qty - rem
