"""A wholesaler: :class:`Wholesaler`, a single-dealer platform filling marketable orders whole, paying for the flow.

Public path: :mod:`venues.venue`.
"""

from __future__ import annotations

from collections.abc import Mapping

from venues.rules import improved_price
from venues.types import Event, Fill, Reject, RejectReason, Side, TimeInForce
from venues.venue_info import VenueInfo, VenueKind

_BUY = Side.BUY
_IOC = TimeInForce.IOC


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
