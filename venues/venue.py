"""Venue rules: a lit exchange is a set of books (one per symbol) with a fee schedule.

The venue validates what the book cannot (known symbol, open for trading) and otherwise hands the operation to the
symbol's book. The dark-pool and wholesaler rules, order protection and the richer order types (hidden, pegged,
reserve, ISO) extend this layer, not the book.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

from venues.book import OrderBook
from venues.fees import FeeSchedule
from venues.types import Event, Reject, RejectReason, Side, TimeInForce


class VenueKind(Enum):
    """What sort of venue it is."""

    LIT = "lit"
    DARK = "dark"
    WHOLESALER = "wholesaler"


@dataclass(frozen=True, slots=True)
class VenueInfo:
    """Static, public facts about a venue that any router may read."""

    name: str
    kind: VenueKind
    fees: FeeSchedule
    protected: bool
    """Whether its displayed quote is a protected quote in the NBBO."""
    symbols: tuple[str, ...]


class LitVenue:
    """A displayed, price-time priority exchange: one :class:`OrderBook` per symbol.

    Parameters
    ----------
    info : VenueInfo
        Name, kind, fees and listed symbols.
    ticks : Mapping[str, int]
        Tick size in price units per symbol.
    """

    __slots__ = ("info", "books", "open")

    def __init__(self, info: VenueInfo, *, ticks: Mapping[str, int]) -> None:
        self.info = info
        self.books: dict[str, OrderBook] = {sym: OrderBook(tick=ticks[sym]) for sym in info.symbols}
        self.open = True

    def submit(
        self,
        symbol: str,
        order_id: int,
        owner: int,
        side: Side,
        qty: int,
        *,
        price: int | None,
        ts_ns: int,
        tif: TimeInForce = TimeInForce.DAY,
        post_only: bool = False,
    ) -> list[Event]:
        """Enter an order in the symbol's book (see :meth:`OrderBook.submit`)."""
        book = self.books.get(symbol)
        if book is None:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_SYMBOL)]
        if not self.open:
            return [Reject(order_id, owner, RejectReason.VENUE_CLOSED)]
        return book.submit(order_id, owner, side, qty, price=price, ts_ns=ts_ns, tif=tif, post_only=post_only)

    def cancel(self, symbol: str, order_id: int, *, owner: int, ts_ns: int) -> list[Event]:
        """Cancel an open order (see :meth:`OrderBook.cancel`)."""
        book = self.books.get(symbol)
        if book is None:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_SYMBOL)]
        return book.cancel(order_id, owner=owner, ts_ns=ts_ns)

    def replace(self, symbol: str, order_id: int, *, owner: int, qty: int, price: int, ts_ns: int) -> list[Event]:
        """Cancel/replace an open order (see :meth:`OrderBook.replace`)."""
        book = self.books.get(symbol)
        if book is None:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_SYMBOL)]
        if not self.open:
            return [Reject(order_id, owner, RejectReason.VENUE_CLOSED)]
        return book.replace(order_id, owner=owner, qty=qty, price=price, ts_ns=ts_ns)


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """Static facts about a listed symbol."""

    name: str
    tick: int
    """Minimum price increment, price units."""
    round_lot: int
    """Shares in a round lot."""
    sp500: bool = False
