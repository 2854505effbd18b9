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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Literal, Protocol, get_args

from venues.book import OrderBook
from venues.fees import FeeSchedule
from venues.midpoint import MidpointBook
from venues.rules import improved_price, is_through, locks_or_crosses, midpoint
from venues.types import (
    Cancelled,
    CancelReason,
    Event,
    Fill,
    Reject,
    RejectReason,
    RouteOut,
    Side,
    TimeInForce,
)

_BUY = Side.BUY
_DAY = TimeInForce.DAY
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK

Away = tuple[int | None, int | None]
"""``(best protected bid, best protected ask)`` on the other venues, as a venue sees them."""

Protection = Literal["reject", "route_out", "none"]
"""What a lit venue does with a non-ISO order priced through a better protected quote elsewhere (Rule 611)."""

PostOnlyPolicy = Literal["reject", "reprice"]
"""What a lit venue does with a post-only order that would lock or cross."""

LockCrossPolicy = Literal["reprice", "reject", "none"]
"""What a lit venue does with a displayed order that would rest locking or crossing a protected quote elsewhere."""


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
    speed_bump_ns: int = 0
    """Delay added to every message into and out of the venue (informational: the harness applies it)."""
    min_qty: int = 0
    """Venue-wide minimum order size and minimum quantity (dark pools); 0: none."""


@dataclass(frozen=True, slots=True)
class LitRules:
    """The Reg NMS rules a lit venue applies before its book.

    Parameters
    ----------
    protection : {"reject", "route_out", "none"}
        Order protection (Rule 611) for a non-ISO order priced through the away protected quote (a buy limit above
        the away ask, a sell limit below the away bid, or a market order while there is one):

        * ``"reject"``: if it would execute here at any price worse than the away quote, it is rejected whole
          (``TRADE_THROUGH``) before trading. Otherwise it trades here (at prices no worse than the away quote) and
          what is left is handled as usual (a DAY remainder is displayed subject to ``lock_cross``).
        * ``"route_out"``: it executes here only at prices not worse than the away quote (its limit clipped to it)
          and what is left is returned as a :class:`~venues.types.RouteOut` instead of resting or being cancelled,
          for the caller to route to the away venue as an IOC ISO. FOK and min-qty orders are not routed: they get
          the ``"reject"`` treatment.
        * ``"none"``: no check (the venue may trade through).
    post_only : {"reject", "reprice"}
        A non-ISO post-only order whose price would lock or cross the contra best (this venue's displayed contra
        quote or the away quote, whichever is better) is rejected (``POST_ONLY_WOULD_CROSS``) or re-priced to one
        tick behind that contra best and rested. An ISO post-only order is checked against this venue only. Either
        way the book still rejects a post-only order that would trade with non-displayed interest here.
    lock_cross : {"reprice", "reject", "none"}
        Rule 610(d): a non-ISO displayed (or reserve) DAY order that would rest at a price locking or crossing the
        away quote (after trading here what it can) rests instead one tick behind it (``"reprice"``: it still
        *trades* up to its own limit) or is rejected whole before trading (``"reject"``, ``WOULD_LOCK_OR_CROSS``).
        Hidden orders are not displayed and not checked.
    """

    protection: Protection = "reject"
    post_only: PostOnlyPolicy = "reject"
    lock_cross: LockCrossPolicy = "reprice"

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("protection", self.protection, get_args(Protection)),
            ("post_only", self.post_only, get_args(PostOnlyPolicy)),
            ("lock_cross", self.lock_cross, get_args(LockCrossPolicy)),
        ):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}")


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


# ---------------------------------------------------------------------------------------------------- lit


class LitVenue:
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
        side = info.side
        far = away[1] if side is _BUY else away[0]
        rest_price = None
        if locks_or_crosses(side, price, far):
            assert far is not None
            rules = self.rules
            if rules.protection != "none" and is_through(side, price, far):
                at_far = book.fillable(side, qty, limit=far)
                if at_far < qty and book.fillable(side, qty, limit=price) > at_far:
                    return [Reject(order_id, owner, RejectReason.TRADE_THROUGH)]
            if info.display_qty != 0 and rules.lock_cross != "none" and book.fillable(side, qty, limit=price) < qty:
                if rules.lock_cross == "reject":
                    return [Reject(order_id, owner, RejectReason.WOULD_LOCK_OR_CROSS)]
                rest_price = far - book.tick if side is _BUY else far + book.tick
                if rest_price <= 0:
                    return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        return book.replace(order_id, owner=owner, qty=qty, price=price, ts_ns=ts_ns, rest_price=rest_price)

    # ------------------------------------------------------------------ internals

    def _mid(self, book: OrderBook, away: Away | None) -> int | None:
        """Midpoint of the NBBO as this venue sees it: its own displayed top (if protected) combined with ``away``."""
        bid, ask = (None, None) if away is None else away
        if self.info.protected:
            own_bid, own_ask = book.best_bid, book.best_ask
            if own_bid is not None and (bid is None or own_bid > bid):
                bid = own_bid
            if own_ask is not None and (ask is None or own_ask < ask):
                ask = own_ask
        return midpoint(bid, ask)

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

    def _submit_post_only(
        self, book: OrderBook, order_id: int, owner: int, side: Side, qty: int, price: int | None, ts_ns: int,
        tif: TimeInForce, iso: bool, display_qty: int | None, min_qty: int, far: int | None,
    ) -> list[Event]:
        reject = book.validate(order_id, owner, qty, price=price, post_only=True, display_qty=display_qty,
                               min_qty=min_qty)
        if reject is not None:
            return [reject]
        assert price is not None
        buy = side is _BUY
        contra = book.best_ask if buy else book.best_bid
        if not iso and far is not None and (contra is None or (far < contra if buy else far > contra)):
            contra = far
        if locks_or_crosses(side, price, contra):
            assert contra is not None
            if not self._reprice_post_only:
                return [Reject(order_id, owner, RejectReason.POST_ONLY_WOULD_CROSS)]
            price = contra - book.tick if buy else contra + book.tick
            if price <= 0:
                return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        return book.submit(order_id, owner, side, qty, price=price, ts_ns=ts_ns, tif=tif, post_only=True,
                           display_qty=display_qty, min_qty=min_qty)

    @staticmethod
    def _fillable(
        book: OrderBook, pegs: MidpointBook | None, side: Side, qty: int, limit: int | None, mid: int | None
    ) -> int:
        """Shares the order would fill here with matching limit ``limit``: book, pegs at ``mid``, book again."""
        if pegs is None or mid is None or (limit is not None and (mid > limit if side is _BUY else mid < limit)):
            return book.fillable(side, qty, limit=limit)
        a = book.fillable(side, qty, limit=mid)
        b = pegs.fillable(side, qty - a, mid=mid, limit=limit) if qty > a else 0
        c = book.fillable(side, qty - a - b, limit=limit, worse_than=mid) if qty > a + b else 0
        return a + b + c

    def _submit_checked(
        self, book: OrderBook, pegs: MidpointBook | None, order_id: int, owner: int, side: Side, qty: int,
        price: int | None, ts_ns: int, tif: TimeInForce, iso: bool, display_qty: int | None, min_qty: int,
        away: Away | None, far: int | None,
    ) -> list[Event]:
        """Order protection, lock/cross and midpoint pegs for a non-peg, non-post-only order."""
        reject = book.validate(order_id, owner, qty, price=price, display_qty=display_qty, min_qty=min_qty)
        if reject is not None:
            return [reject]
        mid = None
        if pegs is not None:
            if order_id in pegs:
                return [Reject(order_id, owner, RejectReason.DUPLICATE_ORDER_ID)]
            mid = self._mid(book, away)
            if mid is None or (price is not None and (mid > price if side is _BUY else mid < price)):
                pegs = None  # the pegs cannot trade with it now
        rules = self.rules
        limit = price
        rest_price = None
        route_out = False
        if not iso and far is not None:
            if rules.protection != "none" and is_through(side, price, far):
                if rules.protection == "route_out" and tif is not _FOK and not min_qty:
                    limit = far
                    route_out = True
                else:
                    at_far = self._fillable(book, pegs, side, qty, far, mid)
                    if at_far < qty and self._fillable(book, pegs, side, qty, price, mid) > at_far:
                        return [Reject(order_id, owner, RejectReason.TRADE_THROUGH)]
            if (
                not route_out and tif is _DAY and price is not None and display_qty != 0
                and rules.lock_cross != "none" and locks_or_crosses(side, price, far)
                and self._fillable(book, pegs, side, qty, price, mid) < qty
            ):
                if rules.lock_cross == "reject":
                    return [Reject(order_id, owner, RejectReason.WOULD_LOCK_OR_CROSS)]
                rest_price = far - book.tick if side is _BUY else far + book.tick
                if rest_price <= 0:
                    return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if pegs is None and rest_price is None:
            if route_out:
                routed = book.submit(order_id, owner, side, qty, price=limit, ts_ns=ts_ns, tif=_IOC,
                                     display_qty=display_qty)
                return [
                    RouteOut(order_id, owner, side, e.qty, price) if isinstance(e, Cancelled) else e for e in routed
                ]
            return book.submit(order_id, owner, side, qty, price=price, ts_ns=ts_ns, tif=tif,
                               display_qty=display_qty, min_qty=min_qty)
        # Composed from the books' primitives: book at or better than the mid, pegs at the mid, book up to the limit.
        events: list[Event] = []
        if tif is _FOK or min_qty:
            total = self._fillable(book, pegs, side, qty, limit, mid)
            if tif is _FOK and total < qty:
                return [Reject(order_id, owner, RejectReason.FOK_NOT_FILLABLE)]
            skip = total < min_qty  # its minimum cannot be met: no trade at all
        else:
            skip = False
        left = qty
        if not skip:
            if pegs is not None:
                assert mid is not None
                left = book.match(order_id, owner, side, left, limit=mid, ts_ns=ts_ns, events=events)
                if left:
                    left = pegs.match(order_id, owner, side, left, mid=mid, limit=limit, ts_ns=ts_ns, events=events)
            if left:
                left = book.match(order_id, owner, side, left, limit=limit, ts_ns=ts_ns, events=events)
        if left:
            if route_out:
                events.append(RouteOut(order_id, owner, side, left, price))
            elif price is None:
                events.append(Cancelled(order_id, owner, left, CancelReason.MARKET_REMAINDER))
            elif tif is _DAY:
                book.rest(order_id, owner, side, left, price=price if rest_price is None else rest_price,
                          ts_ns=ts_ns, display_qty=display_qty, min_qty=min_qty)
            else:
                events.append(Cancelled(order_id, owner, left, CancelReason.IOC_REMAINDER))
        book.publish(ts_ns, events)
        return events


# ---------------------------------------------------------------------------------------------------- dark


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


# ---------------------------------------------------------------------------------------------------- wholesaler

WHOLESALER_ORDER_ID = 0
"""``maker_order_id`` of a wholesaler's fills: it trades as principal, with no resting order."""

Nbbo = tuple[int | None, int, int | None, int]
"""``(bid, bid_size, ask, ask_size)``; ``None`` prices for an empty side."""


class Wholesaler:
    """A single-dealer platform: fills marketable orders whole, at the NBBO or better, or declines them.

    Parameters
    ----------
    info : VenueInfo
        Must be of kind WHOLESALER and not protected. ``info.fees.pfof_micros`` is the payment for order flow per
        share it pays the broker on every fill (see :meth:`FeeSchedule.split`).
    ticks : Mapping[str, int]
        Tick size per symbol (limit prices must be on the grid; the spread limit is counted in ticks).
    owner : int
        Owner id of the wholesaler itself: the maker (``maker_owner``) of every fill.
    max_order_shares : int or None
        Larger orders are declined (``DECLINED_SIZE``); ``None``: no limit.
    max_spread_ticks : int or None
        Declines (``DECLINED_MARKET``) when the NBBO spread is wider than this many ticks, a stand-in for a fast
        market; ``None``: no limit.

    Notes
    -----
    :meth:`submit` checks, in this order: known symbol, venue open, a positive quantity and a valid price; size
    (``DECLINED_SIZE``); the NBBO (``DECLINED_MARKET`` if a side is missing, it is locked or crossed, or too wide);
    marketability (``NOT_MARKETABLE`` unless a market order or a buy limit at or above the ask, a sell limit at or
    below the bid). An accepted order is filled whole at once at :func:`venues.rules.improved_price`: the far side
    improved by ``improvement`` times the quoted spread, rounded to $0.0001 in the customer's favour, no better than
    the midpoint and never worse than the far side. Sub-penny executions are allowed: Rule 612 limits the
    increments of quotes and orders, not of a dealer's fills. Nothing rests, so there is nothing to cancel or replace.
    """

    __slots__ = ("info", "ticks", "owner", "max_order_shares", "max_spread_ticks", "open")

    def __init__(
        self,
        info: VenueInfo,
        *,
        ticks: Mapping[str, int],
        owner: int,
        max_order_shares: int | None = None,
        max_spread_ticks: int | None = None,
    ) -> None:
        if info.kind is not VenueKind.WHOLESALER:
            raise ValueError(f"venue {info.name!r}: a Wholesaler needs kind WHOLESALER, got {info.kind.value!r}")
        if info.protected:
            raise ValueError(f"venue {info.name!r}: a wholesaler has no protected quote (protected must be false)")
        if max_order_shares is not None and max_order_shares <= 0:
            raise ValueError(f"max_order_shares must be positive, got {max_order_shares}")
        if max_spread_ticks is not None and max_spread_ticks <= 0:
            raise ValueError(f"max_spread_ticks must be positive, got {max_spread_ticks}")
        self.info = info
        self.ticks = {sym: ticks[sym] for sym in info.symbols}
        self.owner = owner
        self.max_order_shares = max_order_shares
        self.max_spread_ticks = max_spread_ticks
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
        nbbo: Nbbo,
        improvement: float,
        tif: TimeInForce = _IOC,
    ) -> list[Event]:
        """Fill a marketable order whole or decline it (see the class notes).

        Parameters
        ----------
        symbol, order_id, owner, side, qty, price, ts_ns
            As for :meth:`OrderBook.submit` (``price=None``: a market order).
        nbbo : (bid, bid_size, ask, ask_size)
            The NBBO as the wholesaler sees it now.
        improvement : float
            The caller's draw, in ``[0, 1)``: the share of the quoted spread given back as price improvement.
        tif : TimeInForce
            Accepted for signature compatibility: every order is filled whole at once or declined.

        Returns
        -------
        list of Event
            One :class:`Fill` (maker: the wholesaler, ``maker_order_id`` :data:`WHOLESALER_ORDER_ID`) or one
            :class:`Reject`.
        """
        tick = self.ticks.get(symbol)
        if tick is None:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_SYMBOL)]
        if not self.open:
            return [Reject(order_id, owner, RejectReason.VENUE_CLOSED)]
        if qty <= 0:
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]
        if price is not None:
            if price <= 0:
                return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
            if price % tick:
                return [Reject(order_id, owner, RejectReason.OFF_TICK)]
        if self.max_order_shares is not None and qty > self.max_order_shares:
            return [Reject(order_id, owner, RejectReason.DECLINED_SIZE)]
        bid, _, ask, _ = nbbo
        if (
            bid is None or ask is None or bid >= ask
            or (self.max_spread_ticks is not None and ask - bid > self.max_spread_ticks * tick)
        ):
            return [Reject(order_id, owner, RejectReason.DECLINED_MARKET)]
        if price is not None and (price < ask if side is _BUY else price > bid):
            return [Reject(order_id, owner, RejectReason.NOT_MARKETABLE)]
        fill_price = improved_price(side, bid, ask, improvement)
        return [Fill(ts_ns, fill_price, qty, side, WHOLESALER_ORDER_ID, self.owner, order_id, owner, 0, 0)]

    def cancel(self, symbol: str, order_id: int, *, owner: int, ts_ns: int) -> list[Event]:
        """Nothing rests at a wholesaler: ``UNKNOWN_ORDER`` (``UNKNOWN_SYMBOL`` for a symbol it does not trade)."""
        reason = RejectReason.UNKNOWN_ORDER if symbol in self.ticks else RejectReason.UNKNOWN_SYMBOL
        return [Reject(order_id, owner, reason)]

    def replace(
        self, symbol: str, order_id: int, *, owner: int, qty: int, price: int | None, ts_ns: int
    ) -> list[Event]:
        """Nothing rests at a wholesaler: ``UNKNOWN_ORDER`` (``UNKNOWN_SYMBOL`` for a symbol it does not trade)."""
        return self.cancel(symbol, order_id, owner=owner, ts_ns=ts_ns)


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """Static facts about a listed symbol."""

    name: str
    tick: int
    """Minimum price increment, price units."""
    round_lot: int
    """Shares in a round lot."""
    sp500: bool = False
