"""The order book's hidden, reserve and min-qty orders: entering, resting, reducing and matching them.

These are the order-type variants of :class:`~venues.book.OrderBook` (rules in :mod:`venues.book`'s docstring). The
plain path in :mod:`venues.book` hands over to them only when an order uses one of these features, or when matching
reaches a price level holding non-displayed interest, so a plain displayed book never runs this code.
"""

from __future__ import annotations

from bisect import insort
from collections import deque
from typing import cast

from venues.book_levels import _BookState, _Level, _Order, _Special
from venues.types import (
    Cancelled,
    CancelReason,
    Event,
    Fill,
    Reject,
    RejectReason,
    Side,
    TimeInForce,
)

_BUY = Side.BUY
_DAY = TimeInForce.DAY
_FOK = TimeInForce.FOK


class _HiddenReserveMinQty(_BookState):
    """Hidden, reserve and min-qty orders of :class:`~venues.book.OrderBook` (a part of it, not used alone)."""

    __slots__ = ()

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
