"""A price-time priority limit order book for one symbol at one venue.

The book only matches: every operation returns the events it caused (fills, cancellations, rejects and a
:class:`~venues.types.QuoteUpdate` when the top of book changed). It knows nothing of clocks, agents or messaging;
the caller passes the time of each operation.

Matching rules
--------------
* Priority is price first, then arrival time at the book (FIFO within a price level).
* An incoming order trades at the resting order's price, best price first, until it is filled or no resting price
  satisfies its limit. A market order has no limit.
* What is left of a limit order with time in force DAY rests; of an IOC or market order is cancelled; an FOK order
  either fills completely on arrival or is rejected without trading.
* A post-only order that would trade on arrival is rejected (no re-pricing here: venue rules may re-price first).
* Cancel/replace: reducing the size at the same price keeps the order's place in the queue; a price change or a
  size increase re-enters it at the back of its new level with the time of the replace (and it may trade at once if
  the new price crosses).
* No self-trade prevention: two orders of the same owner can trade with each other.

Implementation
--------------
Each side keeps a dict from a *key* to its price level and a sorted list of keys, the best level last; bids use
``key = price`` and asks ``key = -price``, so "better" is always "larger key" and the best level is popped in O(1).
A level is a deque of orders in time priority. Cancels are O(1): the order's quantity drops to zero and the dead
entry is discarded when it reaches the front of the queue.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from collections.abc import Iterator

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
    __slots__ = ("order_id", "owner", "side", "price", "qty", "ts_ns")

    def __init__(self, order_id: int, owner: int, side: Side, price: int, qty: int, ts_ns: int) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.price = price
        self.qty = qty  # open quantity; 0 marks a dead entry left in its level's deque
        self.ts_ns = ts_ns


class _Level:
    __slots__ = ("price", "orders", "total")

    def __init__(self, price: int) -> None:
        self.price = price
        self.orders: deque[_Order] = deque()
        self.total = 0  # open quantity of the live orders


class OrderBook:
    """Price-time priority book on integer prices (multiples of ``tick``) and integer nanosecond times.

    Parameters
    ----------
    tick : int
        Minimum price increment in price units; limit prices must be multiples of it.
    """

    __slots__ = ("tick", "_bid_levels", "_bid_keys", "_ask_levels", "_ask_keys", "_orders", "_top")

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

        Returns
        -------
        list of Event
            Fills in execution order, then a :class:`Cancelled` for an IOC or market remainder, then a
            :class:`QuoteUpdate` if the top of book changed; or a single :class:`Reject`.
        """
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
                if contra_keys and contra_keys[-1] >= limit_key:  # type: ignore[operator]
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
                own_keys = self._bid_keys if s == 1 else self._ask_keys
                key = s * price
                if not own_keys or key >= own_keys[-1]:
                    top_touched = True  # joins or improves its side's best level
                self._rest(_Order(order_id, owner, side, price, left, ts_ns), s)
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
        events: list[Event] = [Cancelled(order_id, owner, order.qty, CancelReason.REQUESTED)]
        if self._remove(order):
            self._quote_event(ts_ns, events)
        return events

    def replace(self, order_id: int, *, owner: int, qty: int, price: int, ts_ns: int) -> list[Event]:
        """Change an open order's open quantity and/or price (cancel/replace).

        ``qty`` is the new *open* quantity. Same price and no more shares keeps time priority; otherwise the order
        loses it and is matched again as if new (it may trade at once). ``qty == 0`` cancels.
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
        if price == order.price and qty <= order.qty:
            levels = self._bid_levels if s == 1 else self._ask_levels
            levels[s * price].total -= order.qty - qty
            order.qty = qty
        else:
            side = order.side
            self._remove(order)
            left = self._take(s, side, qty, -s * price, ts_ns, order_id, owner, events)
            if left:
                self._rest(_Order(order_id, owner, side, price, left, ts_ns), s)
        self._quote_event(ts_ns, events)
        return events

    # ------------------------------------------------------------------ queries

    def quote(self, ts_ns: int = 0) -> Quote:
        """Current top of book."""
        bid, bid_size, ask, ask_size = self._top
        return Quote(ts_ns=ts_ns, bid=bid, bid_size=bid_size, ask=ask, ask_size=ask_size)

    @property
    def best_bid(self) -> int | None:
        """Best bid price, or ``None``."""
        return self._top[0]

    @property
    def best_ask(self) -> int | None:
        """Best ask price, or ``None``."""
        return self._top[2]

    def depth(self, side: Side, levels: int = 5) -> list[tuple[int, int]]:
        """``(price, open quantity)`` of the best ``levels`` price levels of one side, best first."""
        book_levels, keys = (self._bid_levels, self._bid_keys) if side is _BUY else (self._ask_levels, self._ask_keys)
        out = []
        for key in reversed(keys[-levels:] if levels else keys):
            level = book_levels[key]
            out.append((level.price, level.total))
        return out

    def queue(self, side: Side) -> list[tuple[int, list[tuple[int, int]]]]:
        """Every live order of one side as ``[(price, [(order_id, qty), ...]), ...]``, best price and time first."""
        book_levels, keys = (self._bid_levels, self._bid_keys) if side is _BUY else (self._ask_levels, self._ask_keys)
        return [
            (book_levels[k].price, [(o.order_id, o.qty) for o in book_levels[k].orders if o.qty])
            for k in reversed(keys)
        ]

    def open_qty(self, order_id: int) -> int:
        """Open quantity of an order, 0 if it is not in the book."""
        order = self._orders.get(order_id)
        return order.qty if order is not None else 0

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

    # ------------------------------------------------------------------ internals

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
        """Whether the contra side holds at least ``need`` shares within the limit."""
        if s == 1:
            levels, keys = self._ask_levels, self._ask_keys
        else:
            levels, keys = self._bid_levels, self._bid_keys
        total = 0
        for key in reversed(keys):
            if limit_key is not None and key < limit_key:
                return False
            total += levels[key].total
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
        """Take an order out; returns whether it was at its side's best level (so the top changed)."""
        s = 1 if order.side is _BUY else -1
        key = s * order.price
        if s == 1:
            levels, keys = self._bid_levels, self._bid_keys
        else:
            levels, keys = self._ask_levels, self._ask_keys
        level = levels[key]
        level.total -= order.qty
        order.qty = 0
        del self._orders[order.order_id]
        at_top = keys[-1] == key
        if not level.total:
            del levels[key]
            if at_top:
                keys.pop()
            else:
                keys.remove(key)
        return at_top

    def _quote_event(self, ts_ns: int, events: list[Event]) -> None:
        bk = self._bid_keys
        ak = self._ask_keys
        if bk:
            k = bk[-1]
            bid: int | None = k
            bid_size = self._bid_levels[k].total
        else:
            bid, bid_size = None, 0
        if ak:
            k = ak[-1]
            ask: int | None = -k
            ask_size = self._ask_levels[k].total
        else:
            ask, ask_size = None, 0
        top = (bid, bid_size, ask, ask_size)
        if top != self._top:
            self._top = top
            events.append(QuoteUpdate(ts_ns, bid, bid_size, ask, ask_size))
