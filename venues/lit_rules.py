"""A lit venue's Reg NMS rules: :class:`LitRules` and the checks applied before its book.

* Order protection (Rule 611): a non-ISO order priced through the away protected quote is rejected
  (``TRADE_THROUGH``) if it would trade through, or trades here up to the away quote and has its remainder routed out
  (:class:`~venues.types.RouteOut`, for the caller to send on as an IOC ISO).
* No locking or crossing (Rule 610(d)): a displayed DAY order that would rest locking or crossing the away quote is
  re-priced one tick behind it or rejected (``WOULD_LOCK_OR_CROSS``).
* Post-only orders that would lock or cross are rejected or re-priced.
* An ISO (intermarket sweep order) skips the checks against the away quote.

``_LitRuleChecks`` holds these checked paths of :class:`~venues.lit_venue.LitVenue` (a part of it, not used alone),
composed from the primitives of :class:`~venues.book.OrderBook` and :class:`~venues.midpoint.MidpointBook`; the
unchecked fast path stays in :meth:`~venues.lit_venue.LitVenue.submit`. Public path: :mod:`venues.venue` re-exports
:class:`LitRules` and the policy types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from venues.book import OrderBook, OrderInfo
from venues.midpoint import MidpointBook
from venues.rules import is_through, locks_or_crosses, midpoint
from venues.types import (
    Cancelled,
    CancelReason,
    Event,
    Reject,
    RejectReason,
    RouteOut,
    Side,
    TimeInForce,
)
from venues.venue_info import Away, VenueInfo

_BUY = Side.BUY
_DAY = TimeInForce.DAY
_IOC = TimeInForce.IOC
_FOK = TimeInForce.FOK

Protection = Literal["reject", "route_out", "none"]
"""What a lit venue does with a non-ISO order priced through a better protected quote elsewhere (Rule 611)."""

PostOnlyPolicy = Literal["reject", "reprice"]
"""What a lit venue does with a post-only order that would lock or cross."""

LockCrossPolicy = Literal["reprice", "reject", "none"]
"""What a lit venue does with a displayed order that would rest locking or crossing a protected quote elsewhere."""


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


class _LitRuleChecks:
    """Order protection, lock/cross and post-only checks of :class:`~venues.lit_venue.LitVenue` (a part of it)."""

    __slots__ = ()

    info: VenueInfo
    rules: LitRules
    _reprice_post_only: bool

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

    def _replace_checked(
        self, book: OrderBook, info: OrderInfo, order_id: int, owner: int, qty: int, price: int, ts_ns: int,
        away: Away,
    ) -> list[Event]:
        """Order protection and lock/cross for a replace that re-enters the order (see :meth:`LitVenue.replace`)."""
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
