"""Builders that make order-book fixtures read like the book itself.

``make_book(bids=[(100, [5, 3])], asks=[(101, [2])])`` is a book with two bids at 100 (5 shares ahead of 3) and one
ask of 2 at 101.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from venues.book import OrderBook
from venues.types import Event, Fill, Reject, Side

MAKER = 1
"""Owner of every order a builder rests."""

TAKER = 2
"""Owner the tests use for incoming orders, distinct from :data:`MAKER`."""

Levels = Sequence[tuple[int, Sequence[int]]]
"""``[(price, [qty, ...]), ...]``: resting orders per level, in time priority within a level."""


@dataclass(slots=True)
class BookIds:
    """Order ids of the resting orders a builder entered, per side and price, in time priority."""

    bid: dict[int, list[int]] = field(default_factory=dict)
    ask: dict[int, list[int]] = field(default_factory=dict)


class BuiltBook(NamedTuple):
    """A book from :func:`make_book` and the ids of its resting orders."""

    book: OrderBook
    ids: BookIds


def make_book(*, bids: Levels = (), asks: Levels = (), tick: int = 1, first_id: int = 1) -> BuiltBook:
    """Build an :class:`OrderBook` whose resting orders are exactly the ones listed.

    Orders are entered in the order listed, bids first and then asks, so time priority is the listed order. Ids are
    consecutive from ``first_id`` in that same order, every owner is :data:`MAKER` and the ``k``-th order is entered
    at ``ts_ns = k`` (1-based).

    Parameters
    ----------
    bids, asks : sequence of (price, [qty, ...])
        Resting orders per price level, each level's quantities in time priority.
    tick : int
        Tick size of the book.
    first_id : int
        Id of the first order entered.

    Returns
    -------
    BuiltBook
        The book and the ids of its orders (``ids.bid[price]`` / ``ids.ask[price]``, in time priority).

    Raises
    ------
    ValueError
        If an order would not simply rest (the sides cross, or a price or quantity is invalid).
    """
    book = OrderBook(tick=tick)
    ids = BookIds()
    order_id = first_id
    for side, levels, side_ids in ((Side.BUY, bids, ids.bid), (Side.SELL, asks, ids.ask)):
        for price, qtys in levels:
            level_ids = side_ids.setdefault(price, [])
            for qty in qtys:
                events = book.submit(order_id, MAKER, side, qty, price=price, ts_ns=order_id - first_id + 1)
                if any(isinstance(e, Fill | Reject) for e in events):
                    raise ValueError(f"{side.name} {qty}@{price} would not rest: {events}")
                level_ids.append(order_id)
                order_id += 1
    return BuiltBook(book, ids)


def fills(events: Sequence[Event]) -> list[Fill]:
    """The fills among ``events``, in order."""
    return [e for e in events if isinstance(e, Fill)]


def snapshot(book: OrderBook) -> tuple[list[tuple[int, list[tuple[int, int]]]], ...]:
    """Both sides' full queues, for asserting that an operation left the book unchanged."""
    return book.queue(Side.BUY), book.queue(Side.SELL)
