"""A displayed exchange: :class:`LitVenue`, one order book per symbol plus midpoint pegs, under Reg NMS rules.

This module holds the venue's order entry: the fast path straight to the book when there is nothing to check, and the
dispatch to midpoint pegs (:mod:`venues.midpoint`), post-only handling and the checked path of
:mod:`venues.lit_rules` (order protection, lock/cross, route-out, ISO). Public path: :mod:`venues.venue`.
"""

from __future__ import annotations

from collections.abc import Mapping

from venues.book import OrderBook
from venues.lit_rules import LitRules, LockCrossPolicy, PostOnlyPolicy, Protection, _LitRuleChecks
from venues.midpoint import MidpointBook
from venues.types import (
    Event,
    Reject,
    RejectReason,
    Side,
    TimeInForce,
)
from venues.venue_info import Away, VenueInfo

_BUY = Side.BUY
_DAY = TimeInForce.DAY


class LitVenue(_LitRuleChecks):
    """A displayed exchange: one :class:`OrderBook` per symbol, midpoint pegs, and the rules of :class:`LitRules`.

    Parameters
    ----------
    info : VenueInfo
        Name, kind, fees and listed symbols.
    ticks : Mapping[str, int]
        Tick size in price units per symbol.
    protection, post_only, lock_cross : str
        The venue's rules; see :class:`LitRules` (defaults: reject trade-throughs, reject post-only orders that would
        lock or cross, re-price displayed orders that would lock or cross).

    Notes
    -----
    Order flow of :meth:`submit`, in this order:

    1. Unknown symbol or closed venue: rejected.
    2. ``midpoint_peg``: the order goes to the symbol's midpoint book (``price`` is its optional cap), crossing
       resting contra pegs at the midpoint of the NBBO (this venue's displayed top combined with ``away``; no valid
       NBBO, no cross). It never trades with the order book and is never displayed.
    3. ``post_only``: see :class:`LitRules` ``post_only``.
    4. Otherwise order protection and lock/cross rules (:class:`LitRules`) decide its matching limit and resting
       price, then it trades in price priority: first the order book at prices at or better than the midpoint, then
       resting contra midpoint pegs at the midpoint (when its limit allows the midpoint), then the order book up to
       its limit. (The book wins ties with pegs at the midpoint price.) An FOK or min-qty condition counts all three.

    A replace (:meth:`replace`) is checked like a new order for order protection (a through price that would trade
    through is rejected, ``TRADE_THROUGH``, leaving the order as it was) and lock/cross (re-priced or rejected), but
    it is never routed out and trades with the order book only.
    """

    __slots__ = ("info", "books", "open", "rules", "pegs", "_reprice_post_only")

    def __init__(
        self,
        info: VenueInfo,
        *,
        ticks: Mapping[str, int],
        protection: Protection = "reject",
        post_only: PostOnlyPolicy = "reject",
        lock_cross: LockCrossPolicy = "reprice",
    ) -> None:
        self.info = info
        self.books: dict[str, OrderBook] = {sym: OrderBook(tick=ticks[sym]) for sym in info.symbols}
        self.open = True
        self.rules = LitRules(protection=protection, post_only=post_only, lock_cross=lock_cross)
        self.pegs: dict[str, MidpointBook] = {}
        """Midpoint-peg book per symbol, created with the symbol's first peg."""
        self._reprice_post_only = post_only == "reprice"

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
        midpoint_peg: bool = False,
        display_qty: int | None = None,
        min_qty: int = 0,
        away: Away | None = None,
    ) -> list[Event]:
        """Enter an order (see the class notes and :meth:`OrderBook.submit`).

        Parameters
        ----------
        symbol, order_id, owner, side, qty, price, ts_ns, tif, post_only
            As for :meth:`OrderBook.submit`; for a midpoint peg ``price`` is its cap (``None``: none).
        iso : bool
            Intermarket sweep order: skips order protection and lock/cross checks against ``away``.
        midpoint_peg : bool
            A non-displayed order pegged to the NBBO midpoint.
        display_qty, min_qty : int or None, int
            Hidden, reserve and minimum-quantity orders (see :mod:`venues.book`).
        away : (int or None, int or None) or None
            Best protected bid and ask on the other venues as this venue sees them; ``None``: unknown (no checks).

        Returns
        -------
        list of Event
            As :meth:`OrderBook.submit`, with fills against midpoint pegs among the fills, and a :class:`RouteOut`
            in place of the remainder's rest or cancel when it is routed out.
        """
        book = self.books.get(symbol)
        if book is None:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_SYMBOL)]
        if not self.open:
            return [Reject(order_id, owner, RejectReason.VENUE_CLOSED)]
        if away is None and not midpoint_peg and not self.pegs and (not post_only or not self._reprice_post_only):
            if display_qty is None and not min_qty:  # the hot path: a plain order, nothing to check
                return book.submit(order_id, owner, side, qty, price=price, ts_ns=ts_ns, tif=tif, post_only=post_only)
            return book.submit(
                order_id, owner, side, qty, price=price, ts_ns=ts_ns, tif=tif, post_only=post_only,
                display_qty=display_qty, min_qty=min_qty,
            )
        if midpoint_peg:
            return self._submit_peg(book, symbol, order_id, owner, side, qty, price, ts_ns, tif, post_only,
                                    display_qty, min_qty, away)
        far = None if away is None else (away[1] if side is _BUY else away[0])
        if post_only:
            if self.pegs and order_id in self.pegs.get(symbol, ()):
                return [Reject(order_id, owner, RejectReason.DUPLICATE_ORDER_ID)]
            return self._submit_post_only(book, order_id, owner, side, qty, price, ts_ns, tif, iso, display_qty,
                                          min_qty, far)
        pegs = self.pegs.get(symbol) if self.pegs else None
        if pegs is not None and not pegs.resting_qty(side.opposite):
            pegs = None
        # (locks_or_crosses written out: this is on every order once the caller passes ``away``)
        if pegs is None and (
            iso or far is None or (price is not None and (price < far if side is _BUY else price > far))
        ):
            return book.submit(  # nothing to check: a limit inside the away quote, an ISO, or no away quote
                order_id, owner, side, qty, price=price, ts_ns=ts_ns, tif=tif, display_qty=display_qty,
                min_qty=min_qty,
            )
        return self._submit_checked(book, pegs, order_id, owner, side, qty, price, ts_ns, tif, iso, display_qty,
                                    min_qty, away, far)

    def cancel(self, symbol: str, order_id: int, *, owner: int, ts_ns: int) -> list[Event]:
        """Cancel an open order or midpoint peg (see :meth:`OrderBook.cancel`); allowed while the venue is closed."""
        book = self.books.get(symbol)
        if book is None:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_SYMBOL)]
        if self.pegs:
            pegs = self.pegs.get(symbol)
            if pegs is not None and order_id in pegs:
                return pegs.cancel(order_id, owner=owner, ts_ns=ts_ns)
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
        """Cancel/replace an open order (see :meth:`OrderBook.replace` and the class notes).

        For a midpoint peg ``price`` is the new cap (``None``: none) and the peg re-matches at the current midpoint
        if it loses priority. For a book order ``price=None`` is rejected (``INVALID_PRICE``).
        """
        book = self.books.get(symbol)
        if book is None:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_SYMBOL)]
        if not self.open:
            return [Reject(order_id, owner, RejectReason.VENUE_CLOSED)]
        if self.pegs:
            pegs = self.pegs.get(symbol)
            if pegs is not None and order_id in pegs:
                if price is not None and price > 0 and price % book.tick:
                    return [Reject(order_id, owner, RejectReason.OFF_TICK)]
                mid = self._mid(book, away)
                return pegs.replace(order_id, owner=owner, qty=qty, limit=price, mid=mid, ts_ns=ts_ns)
        if price is None:
            return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if away is None:
            return book.replace(order_id, owner=owner, qty=qty, price=price, ts_ns=ts_ns)
        info = book.order_info(order_id)
        if info is None or info.owner != owner or qty <= 0 or price <= 0 or price % book.tick:
            return book.replace(order_id, owner=owner, qty=qty, price=price, ts_ns=ts_ns)  # rejects or cancels
        if price == info.price and qty <= info.open_qty:
            return book.replace(order_id, owner=owner, qty=qty, price=price, ts_ns=ts_ns)  # keeps priority
        return self._replace_checked(book, info, order_id, owner, qty, price, ts_ns, away)

    # ------------------------------------------------------------------ internals

    def _submit_peg(
        self, book: OrderBook, symbol: str, order_id: int, owner: int, side: Side, qty: int, price: int | None,
        ts_ns: int, tif: TimeInForce, post_only: bool, display_qty: int | None, min_qty: int, away: Away | None,
    ) -> list[Event]:
        if display_qty:
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]  # a peg is never displayed
        if price is not None and price > 0 and price % book.tick:
            return [Reject(order_id, owner, RejectReason.OFF_TICK)]
        if order_id in book:
            return [Reject(order_id, owner, RejectReason.DUPLICATE_ORDER_ID)]
        pegs = self.pegs.get(symbol)
        if pegs is None:
            pegs = self.pegs[symbol] = MidpointBook()
        return pegs.submit(order_id, owner, side, qty, mid=self._mid(book, away), limit=price, min_qty=min_qty,
                           ts_ns=ts_ns, tif=tif, post_only=post_only)
