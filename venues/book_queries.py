"""The order book's read-only queries: the displayed quote, depth, the queues and one order's state.

Nothing here changes the book. The quote, depth and :meth:`~venues.book.OrderBook.queue` show displayed quantity
only; :meth:`~venues.book.OrderBook.hidden_queue` and :meth:`~venues.book.OrderBook.order_info` also show
non-displayed interest.
"""

from __future__ import annotations

from collections.abc import Iterator

from venues.book_levels import OrderInfo, _BookState, _Special
from venues.types import Quote, Side

_BUY = Side.BUY


class _BookQueries(_BookState):
    """The queries of :class:`~venues.book.OrderBook` (a part of it, not used alone)."""

    __slots__ = ()

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
