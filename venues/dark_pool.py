"""A dark pool: :class:`DarkPool`, an ATS with no displayed quote that crosses midpoint orders at the NBBO midpoint.

Public path: :mod:`venues.venue`.
"""

from __future__ import annotations

from collections.abc import Mapping

from venues.midpoint import MidpointBook
from venues.rules import midpoint
from venues.types import Event, Reject, RejectReason, Side, TimeInForce
from venues.venue_info import Away, VenueInfo, VenueKind

_DAY = TimeInForce.DAY


class DarkPool:
    """An ATS with no displayed quote: every order is a midpoint order, one :class:`MidpointBook` per symbol.

    Parameters
    ----------
    info : VenueInfo
        Must be of kind DARK and not protected. ``info.min_qty`` is the venue-wide minimum: orders smaller than it
        are rejected (``INVALID_QUANTITY``) and every order's minimum quantity is raised to at least it.
    ticks : Mapping[str, int]
        Tick size per symbol (limit caps must be on the grid).

    Notes
    -----
    * Every order crosses at the midpoint of the NBBO passed as ``away`` (for a venue with no protected quote the
      away market *is* the NBBO); no valid NBBO (``None``, a side missing, locked or crossed), no cross. ``price`` is
      an optional cap (``None``: a pure peg). Matching rules: :mod:`venues.midpoint`.
    * ``midpoint_peg`` and ``iso`` are accepted for signature compatibility and have no effect; ``display_qty`` must be
      ``None`` or ``0`` (nothing is displayed). Post-only orders are rejected if they would trade on arrival.
    * Fees: the venue's schedule (typically a small flat per-share fee on both sides).
    """

    __slots__ = ("info", "books", "open", "ticks")

    def __init__(self, info: VenueInfo, *, ticks: Mapping[str, int]) -> None:
        if info.kind is not VenueKind.DARK:
            raise ValueError(f"venue {info.name!r}: a DarkPool needs kind DARK, got {info.kind.value!r}")
        if info.protected:
            raise ValueError(f"venue {info.name!r}: a dark pool has no protected quote (protected must be false)")
        self.info = info
        self.ticks = {sym: ticks[sym] for sym in info.symbols}
        self.books: dict[str, MidpointBook] = {sym: MidpointBook() for sym in info.symbols}
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
        tif: TimeInForce = _DAY,
        post_only: bool = False,
        iso: bool = False,
        midpoint_peg: bool = True,
        display_qty: int | None = None,
        min_qty: int = 0,
        away: Away | None = None,
    ) -> list[Event]:
        """Enter a midpoint order and cross it at the midpoint of ``away`` (the NBBO); see the class notes."""
        book = self.books.get(symbol)
        if book is None:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_SYMBOL)]
        if not self.open:
            return [Reject(order_id, owner, RejectReason.VENUE_CLOSED)]
        venue_min = self.info.min_qty
        if display_qty or (venue_min and qty < venue_min):
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]
        if price is not None and price > 0 and price % self.ticks[symbol]:
            return [Reject(order_id, owner, RejectReason.OFF_TICK)]
        mid = None if away is None else midpoint(*away)
        return book.submit(order_id, owner, side, qty, mid=mid, limit=price, min_qty=max(min_qty, venue_min),
                           ts_ns=ts_ns, tif=tif, post_only=post_only)

    def cancel(self, symbol: str, order_id: int, *, owner: int, ts_ns: int) -> list[Event]:
        """Cancel an open order; allowed while the venue is closed."""
        book = self.books.get(symbol)
        if book is None:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_SYMBOL)]
        return book.cancel(order_id, owner=owner, ts_ns=ts_ns)

    def replace(
        self,
        symbol: str,
        order_id: int,
        *,
        owner: int,
        qty: int,
        price: int | None,
        ts_ns: int,
        away: Away | None = None,
    ) -> list[Event]:
        """Change an order's quantity and/or cap (see :meth:`MidpointBook.replace`); re-crosses at ``away``'s mid."""
        book = self.books.get(symbol)
        if book is None:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_SYMBOL)]
        if not self.open:
            return [Reject(order_id, owner, RejectReason.VENUE_CLOSED)]
        if price is not None and price > 0 and price % self.ticks[symbol]:
            return [Reject(order_id, owner, RejectReason.OFF_TICK)]
        mid = None if away is None else midpoint(*away)
        return book.replace(order_id, owner=owner, qty=qty, limit=price, mid=mid, ts_ns=ts_ns)
