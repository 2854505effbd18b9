"""A book of resting midpoint-peg orders: non-displayed interest that trades only at the NBBO midpoint.

Used by a lit venue for its midpoint-peg order type and by a dark pool for all of its orders. Like
:class:`~venues.book.OrderBook` it only matches and reports what happened; the midpoint is computed by the caller
from the NBBO it sees (:func:`venues.rules.midpoint`) and passed in with every operation.

Matching rules
--------------
* A peg is an order to trade at the midpoint ``mid`` of the NBBO at the moment of execution. It may carry a limit
  price as a cap: a buy peg trades only when ``mid <= limit``, a sell peg only when ``mid >= limit``.
* An incoming order (a peg, or a lit venue's marketable order) trades against the contra side's resting pegs in time
  priority, every fill at ``mid``, passing over resting pegs whose cap excludes ``mid`` or whose minimum quantity is
  larger than the incoming order's remaining quantity (the effective minimum is ``min(min_qty, open quantity)``).
* ``mid=None`` (no valid NBBO: a side missing, locked or crossed) means nothing trades: a DAY peg rests, an IOC peg is
  cancelled, an FOK peg is rejected.
* An incoming peg with ``min_qty`` trades only if at least ``min_qty`` can be filled at once; otherwise a DAY peg
  rests whole and an IOC peg is cancelled whole. A post-only peg that would trade on arrival is rejected.
* What is left of a DAY peg rests (time priority is arrival time); of an IOC peg is cancelled.
* Resting pegs are not re-matched when the midpoint moves (two pegs able to trade would have traded when the second
  arrived, except where a cap, a minimum quantity or a missing NBBO kept them apart at that moment).
* Pegs are never displayed: no operation returns a :class:`~venues.types.QuoteUpdate`.
* Cancel/replace: reducing the quantity with the same cap keeps time priority; any other change re-enters the peg at
  the back, matched again at the midpoint passed with the replace (keeping its ``min_qty``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator

from venues.types import (
    Cancelled,
    CancelReason,
    Event,
    Fill,
    Reject,
    RejectReason,
    Side,
    TimeInForce,
)

_BUY = Side.BUY
_DAY = TimeInForce.DAY
_FOK = TimeInForce.FOK


class _Peg:
    __slots__ = ("order_id", "owner", "side", "qty", "min_qty", "limit", "ts_ns")

    def __init__(
        self, order_id: int, owner: int, side: Side, qty: int, min_qty: int, limit: int | None, ts_ns: int
    ) -> None:
        self.order_id = order_id
        self.owner = owner
        self.side = side
        self.qty = qty  # open quantity; 0 marks a dead entry left in its side's deque
        self.min_qty = min_qty
        self.limit = limit
        self.ts_ns = ts_ns


def _allows(side: Side, limit: int | None, mid: int) -> bool:
    """Whether an order of ``side`` capped at ``limit`` may trade at ``mid``."""
    return limit is None or (mid <= limit if side is _BUY else mid >= limit)


class MidpointBook:
    """Resting midpoint pegs of one symbol, in time priority per side."""

    __slots__ = ("_buys", "_sells", "_orders", "_open_buy", "_open_sell", "_dead_buy", "_dead_sell")

    def __init__(self) -> None:
        self._buys: deque[_Peg] = deque()
        self._sells: deque[_Peg] = deque()
        self._orders: dict[int, _Peg] = {}
        self._open_buy = 0
        self._open_sell = 0
        self._dead_buy = 0  # cancelled entries still in the deque
        self._dead_sell = 0

    # ------------------------------------------------------------------ operations

    def submit(
        self,
        order_id: int,
        owner: int,
        side: Side,
        qty: int,
        *,
        mid: int | None,
        limit: int | None = None,
        min_qty: int = 0,
        ts_ns: int,
        tif: TimeInForce = _DAY,
        post_only: bool = False,
    ) -> list[Event]:
        """Enter a midpoint peg and match it at ``mid``.

        Parameters
        ----------
        order_id : int
            Caller-assigned id, unique among the open orders.
        owner : int
            Opaque owner id copied into the events.
        side : Side
            Buy or sell.
        qty : int
            Shares, positive.
        mid : int or None
            Midpoint of the NBBO now, in price units; ``None`` when the NBBO is not valid.
        limit : int or None
            Price cap (``None``: none).
        min_qty : int
            Minimum quantity, ``0 <= min_qty <= qty``.
        ts_ns : int
            Time of arrival.
        tif : TimeInForce
            DAY rests the remainder, IOC cancels it, FOK fills all or nothing.
        post_only : bool
            Reject instead of trading on arrival.

        Returns
        -------
        list of Event
            Fills at ``mid`` in execution order, then a :class:`Cancelled` for an IOC remainder; or a single
            :class:`Reject`. Never a quote update.
        """
        reject = self.validate(order_id, owner, qty, limit=limit, min_qty=min_qty)
        if reject is not None:
            return [reject]
        if post_only:
            if self.fillable(side, qty, mid=mid, limit=limit):
                return [Reject(order_id, owner, RejectReason.POST_ONLY_WOULD_CROSS)]
        elif tif is _FOK and self.fillable(side, qty, mid=mid, limit=limit) < qty:
            return [Reject(order_id, owner, RejectReason.FOK_NOT_FILLABLE)]
        events: list[Event] = []
        self._enter(order_id, owner, side, qty, mid, limit, min_qty, min_qty, ts_ns, tif, events)
        return events

    def cancel(self, order_id: int, *, owner: int, ts_ns: int) -> list[Event]:
        """Cancel an open peg; returns a :class:`Cancelled` or a :class:`Reject` (``ts_ns`` is for symmetry)."""
        peg = self._orders.get(order_id)
        if peg is None or peg.owner != owner:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_ORDER)]
        qty = peg.qty
        self._remove(peg)
        return [Cancelled(order_id, owner, qty, CancelReason.REQUESTED)]

    def replace(
        self, order_id: int, *, owner: int, qty: int, limit: int | None, mid: int | None, ts_ns: int
    ) -> list[Event]:
        """Change an open peg's quantity and/or cap; see the module docstring. ``qty == 0`` cancels."""
        peg = self._orders.get(order_id)
        if peg is None or peg.owner != owner:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_ORDER)]
        if qty < 0:
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]
        if limit is not None and limit <= 0:
            return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if qty == 0:
            return self.cancel(order_id, owner=owner, ts_ns=ts_ns)
        if limit == peg.limit and qty <= peg.qty:
            if peg.side is _BUY:
                self._open_buy -= peg.qty - qty
            else:
                self._open_sell -= peg.qty - qty
            peg.qty = qty
            return []
        side, min_qty = peg.side, peg.min_qty
        self._remove(peg)
        events: list[Event] = []
        self._enter(order_id, owner, side, qty, mid, limit, min(min_qty, qty), min_qty, ts_ns, _DAY, events)
        return events

    # ------------------------------------------------------------------ primitives for venue rules

    def validate(self, order_id: int, owner: int, qty: int, *, limit: int | None, min_qty: int = 0) -> Reject | None:
        """The :class:`Reject` :meth:`submit` would return before matching, or ``None``."""
        if qty <= 0 or min_qty < 0 or min_qty > qty:
            return Reject(order_id, owner, RejectReason.INVALID_QUANTITY)
        if limit is not None and limit <= 0:
            return Reject(order_id, owner, RejectReason.INVALID_PRICE)
        if order_id in self._orders:
            return Reject(order_id, owner, RejectReason.DUPLICATE_ORDER_ID)
        return None

    def fillable(self, side: Side, qty: int, *, mid: int | None, limit: int | None = None) -> int:
        """Shares an incoming order of ``side`` capped at ``limit`` would fill at ``mid`` now, up to ``qty``."""
        if mid is None or not _allows(side, limit, mid):
            return 0
        contra = self._sells if side is _BUY else self._buys
        rem = qty
        for peg in contra:
            avail = peg.qty
            if not avail or not _allows(peg.side, peg.limit, mid):
                continue
            mq = peg.min_qty
            if mq and rem < (mq if mq < avail else avail):
                continue
            rem -= avail if avail < rem else rem
            if not rem:
                break
        return qty - rem

    def match(
        self,
        order_id: int,
        owner: int,
        side: Side,
        qty: int,
        *,
        mid: int | None,
        limit: int | None = None,
        ts_ns: int,
        events: list[Event],
    ) -> int:
        """Trade an incoming order against the contra pegs at ``mid``; append fills; return the unfilled quantity."""
        if mid is None or not _allows(side, limit, mid):
            return qty
        if side is _BUY:
            contra = self._sells
            if not self._open_sell:
                return qty
        else:
            contra = self._buys
            if not self._open_buy:
                return qty
        index = self._orders
        filled = dead = 0
        i = 0
        while qty and i < len(contra):
            peg = contra[i]
            avail = peg.qty
            if not avail:
                del contra[i]
                dead += 1
                continue
            mq = peg.min_qty
            if not _allows(peg.side, peg.limit, mid) or (mq and qty < (mq if mq < avail else avail)):
                i += 1
                continue
            x = avail if avail < qty else qty
            qty -= x
            avail -= x
            filled += x
            peg.qty = avail
            events.append(Fill(ts_ns, mid, x, side, peg.order_id, peg.owner, order_id, owner, avail, qty))
            if not avail:
                del contra[i]
                del index[peg.order_id]
        if side is _BUY:
            self._open_sell -= filled
            self._dead_sell -= dead
        else:
            self._open_buy -= filled
            self._dead_buy -= dead
        return qty

    def rest(
        self, order_id: int, owner: int, side: Side, qty: int, *, limit: int | None, min_qty: int = 0, ts_ns: int
    ) -> None:
        """Put a peg at the back of its side without matching it (the caller has validated and matched it)."""
        peg = _Peg(order_id, owner, side, qty, min_qty, limit, ts_ns)
        if side is _BUY:
            self._buys.append(peg)
            self._open_buy += qty
        else:
            self._sells.append(peg)
            self._open_sell += qty
        self._orders[order_id] = peg

    # ------------------------------------------------------------------ queries

    def resting_qty(self, side: Side) -> int:
        """Open quantity of all pegs of one side."""
        return self._open_buy if side is _BUY else self._open_sell

    def queue(self, side: Side) -> list[tuple[int, int]]:
        """Live pegs of one side as ``[(order_id, qty), ...]`` in time priority."""
        return [(p.order_id, p.qty) for p in (self._buys if side is _BUY else self._sells) if p.qty]

    def open_qty(self, order_id: int) -> int:
        """Open quantity of a peg, 0 if it is not in the book."""
        peg = self._orders.get(order_id)
        return peg.qty if peg is not None else 0

    def order_price(self, order_id: int) -> int | None:
        """Cap of an open peg (``None`` if it has none or is not in the book)."""
        peg = self._orders.get(order_id)
        return peg.limit if peg is not None else None

    def __contains__(self, order_id: object) -> bool:
        return order_id in self._orders

    def __len__(self) -> int:
        """Number of open pegs."""
        return len(self._orders)

    def __iter__(self) -> Iterator[int]:
        return iter(self._orders)

    # ------------------------------------------------------------------ internals

    def _enter(
        self,
        order_id: int,
        owner: int,
        side: Side,
        qty: int,
        mid: int | None,
        limit: int | None,
        min_qty: int,
        stored_min_qty: int,
        ts_ns: int,
        tif: TimeInForce,
        events: list[Event],
    ) -> None:
        if min_qty and self.fillable(side, qty, mid=mid, limit=limit) < min_qty:
            left = qty
        else:
            left = self.match(order_id, owner, side, qty, mid=mid, limit=limit, ts_ns=ts_ns, events=events)
        if left:
            if tif is _DAY:
                self.rest(order_id, owner, side, left, limit=limit, min_qty=stored_min_qty, ts_ns=ts_ns)
            else:
                events.append(Cancelled(order_id, owner, left, CancelReason.IOC_REMAINDER))

    def _remove(self, peg: _Peg) -> None:
        peg_qty, peg.qty = peg.qty, 0
        del self._orders[peg.order_id]
        if peg.side is _BUY:
            self._open_buy -= peg_qty
            self._dead_buy += 1
            if self._dead_buy > 32 and 2 * self._dead_buy > len(self._buys):  # compact: drop the dead entries
                self._buys = deque(p for p in self._buys if p.qty)
                self._dead_buy = 0
        else:
            self._open_sell -= peg_qty
            self._dead_sell += 1
            if self._dead_sell > 32 and 2 * self._dead_sell > len(self._sells):
                self._sells = deque(p for p in self._sells if p.qty)
                self._dead_sell = 0
