"""The order book's primitives for venue rules: validate, dry-run, match, rest and publish as separate steps.

A venue that must look at the rest of the market between the steps of :meth:`~venues.book.OrderBook.submit` (order
protection, lock/cross re-pricing, midpoint pegs: :mod:`venues.lit_rules`) composes them instead of calling it.
"""

from __future__ import annotations

from typing import cast

from venues.book_levels import _BookState, _Order
from venues.types import Event, Reject, RejectReason, Side

_BUY = Side.BUY


class _VenuePrimitives(_BookState):
    """The primitives of :class:`~venues.book.OrderBook` that venue rules compose (a part of it, not used alone)."""

    __slots__ = ()

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
