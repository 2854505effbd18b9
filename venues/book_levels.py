"""The order book's records and shared state: resting orders, price levels, :class:`OrderInfo` and ``_BookState``.

:class:`~venues.book.OrderBook` is assembled from parts that all work on the state declared here (see
:mod:`venues.book` for the rules and the layout of a side): the plain path in :mod:`venues.book`, hidden, reserve and
min-qty orders in :mod:`venues.book_hidden`, the primitives venue rules compose in :mod:`venues.book_primitives` and
the read-only queries in :mod:`venues.book_queries`.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, NamedTuple

from venues.types import Event, Reject, Side


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


class _BookState:
    """The state every part of :class:`~venues.book.OrderBook` shares (its slots and constructor).

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

    if TYPE_CHECKING:  # methods one part of the book calls in another (each is defined once, in the part named)

        def _take(  # venues.book: match against the contra side
            self, s: int, side: Side, qty: int, limit_key: int | None, ts_ns: int, taker_id: int, taker_owner: int,
            events: list[Event],
        ) -> int: ...

        def _rest(self, order: _Order, s: int) -> None: ...  # venues.book: put a plain order in its level

        def _quote_event(self, ts_ns: int, events: list[Event]) -> None: ...  # venues.book: publish a changed top

        def _fillable(  # venues.book_hidden: dry run of _take
            self, s: int, qty: int, limit_key: int | None, after_key: int | None = None
        ) -> int: ...

        def _rest_special(  # venues.book_hidden: put a hidden or reserve order in its level
            self, order_id: int, owner: int, side: Side, price: int, qty: int, ts_ns: int, display: int, min_qty: int,
            s: int,
        ) -> None: ...

        def validate(  # venues.book_primitives
            self, order_id: int, owner: int, qty: int, *, price: int | None, post_only: bool = False,
            display_qty: int | None = None, min_qty: int = 0,
        ) -> Reject | None:
            """See :meth:`venues.book.OrderBook.validate`."""
