"""Venue rules: a venue is books (one per symbol) + rules + a fee schedule.

Three kinds of venue, with the same ``submit`` / ``cancel`` / ``replace`` shape where it makes sense:

* :class:`LitVenue`: a displayed exchange. One :class:`~venues.book.OrderBook` per symbol (displayed, hidden, reserve
  and min-qty orders) and, from the first midpoint peg on, one :class:`~venues.midpoint.MidpointBook` per symbol; plus
  the Reg NMS rules a lit venue applies before its book: order protection (Rule 611), no locking or crossing
  displayed quotes (Rule 610(d)) and post-only handling, configured by :class:`LitRules`.
* :class:`DarkPool`: an ATS with no displayed quote: every order is a midpoint order, crossed at the midpoint of the
  NBBO the caller supplies, with per-order and venue-wide minimum quantities.
* :class:`Wholesaler`: a single-dealer platform that fills marketable orders whole against itself, with sub-penny
  price improvement drawn by the caller, or declines them; it pays the broker for the flow (PFOF).

What the caller supplies
------------------------
Venues have no view of each other. The caller passes, with each order, what the venue would see of the rest of the
market at that moment:

* ``away = (bid, ask)``: the best *protected* bid and offer on the **other** venues (prices, ``None`` for an empty
  side), as this venue sees them (with whatever delay the caller models). A lit venue combines it with its own
  displayed top to get the NBBO; for a dark pool, which has no protected quote of its own, ``away`` *is* the NBBO.
  ``away=None`` means the venue sees no other market: no order-protection or lock/cross check is made, and a lit
  venue's midpoint is that of its own quote.
* The wholesaler takes the full NBBO with sizes and the caller's price-improvement draw.

Passing the market with the order (rather than pushing every NBBO change to every venue with a ``set_nbbo`` call) is
the cheaper design: the NBBO changes far more often than orders that need it arrive, and the check is skipped
altogether when ``away`` is ``None``.

Where each part lives (all of it importable from here, the public path for router authors and tests):
:mod:`venues.venue_info` (:class:`VenueKind`, :class:`VenueInfo`, :class:`SymbolInfo`, :data:`Away`),
:mod:`venues.lit_venue` (:class:`LitVenue`'s order entry), :mod:`venues.lit_rules` (:class:`LitRules` and the order
protection, route-out, lock/cross and post-only checks), :mod:`venues.dark_pool` (:class:`DarkPool`) and
:mod:`venues.wholesaler` (:class:`Wholesaler`). This module adds :class:`OrderVenue`, the shape the harness expects
of a venue that takes orders.
"""

from __future__ import annotations

from typing import Protocol

from venues.dark_pool import DarkPool
from venues.lit_rules import LitRules, LockCrossPolicy, PostOnlyPolicy, Protection
from venues.lit_venue import LitVenue
from venues.types import Event, Side, TimeInForce
from venues.venue_info import Away, SymbolInfo, VenueInfo, VenueKind
from venues.wholesaler import WHOLESALER_ORDER_ID, Nbbo, Wholesaler

__all__ = [
    "WHOLESALER_ORDER_ID",
    "Away",
    "DarkPool",
    "LitRules",
    "LitVenue",
    "LockCrossPolicy",
    "Nbbo",
    "OrderVenue",
    "PostOnlyPolicy",
    "Protection",
    "SymbolInfo",
    "VenueInfo",
    "VenueKind",
    "Wholesaler",
]


class OrderVenue(Protocol):
    """What the harness needs of a venue that takes orders (:class:`LitVenue`, :class:`DarkPool`)."""

    info: VenueInfo
    open: bool

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
        tif: TimeInForce = ...,
        post_only: bool = ...,
        iso: bool = ...,
        midpoint_peg: bool = ...,
        display_qty: int | None = ...,
        min_qty: int = ...,
        away: Away | None = ...,
    ) -> list[Event]:
        """Enter an order."""
        ...

    def cancel(self, symbol: str, order_id: int, *, owner: int, ts_ns: int) -> list[Event]:
        """Cancel an open order."""
        ...

    def replace(
        self, symbol: str, order_id: int, *, owner: int, qty: int, price: int | None, ts_ns: int,
        away: Away | None = ...,
    ) -> list[Event]:
        """Cancel/replace an open order."""
        ...
