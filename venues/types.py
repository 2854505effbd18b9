"""Order and event types shared by the book, the venues, the routers and the harness.

Units
-----
* Prices are integers in the symbol's price unit, 1e-4 USD (as in LOBSTER): ``$50.01`` is ``500100``.
* Times are integer nanoseconds since midnight of the simulated day.
* Fees are integers in micro-dollars (1e-6 USD) per share; positive is a charge to the participant, negative a
  rebate paid to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum

PRICE_SCALE = 10_000
"""Integer price units per USD (prices are 1e-4 USD)."""

FEE_SCALE = 1_000_000
"""Integer fee units per USD (fees are micro-dollars)."""


class Side(IntEnum):
    """Side of an order; the value is the sign ``s`` of the metrics spec (+1 buy, -1 sell)."""

    BUY = 1
    SELL = -1

    @property
    def opposite(self) -> Side:
        """The contra side."""
        return Side.SELL if self is Side.BUY else Side.BUY


class OrdType(Enum):
    """Order type at a venue."""

    LIMIT = "limit"
    MARKET = "market"


class TimeInForce(Enum):
    """How long an order may rest: for the day, immediate-or-cancel, or fill-or-kill."""

    DAY = "day"
    IOC = "ioc"
    FOK = "fok"


class Liquidity(Enum):
    """Liquidity flag of one side of an execution."""

    ADDED = "added"
    """The resting order (maker)."""
    REMOVED = "removed"
    """The incoming order (taker)."""


class RejectReason(Enum):
    """Why a venue refused an order or a cancel/replace."""

    POST_ONLY_WOULD_CROSS = "post_only_would_cross"
    FOK_NOT_FILLABLE = "fok_not_fillable"
    UNKNOWN_ORDER = "unknown_order"
    DUPLICATE_ORDER_ID = "duplicate_order_id"
    INVALID_QUANTITY = "invalid_quantity"
    INVALID_PRICE = "invalid_price"
    OFF_TICK = "off_tick"
    UNKNOWN_SYMBOL = "unknown_symbol"
    VENUE_CLOSED = "venue_closed"
    HALTED = "halted"
    """Trading in the symbol is halted."""
    TRADE_THROUGH = "trade_through"
    """It would execute at a price worse than a protected quote on another venue (Reg NMS Rule 611)."""
    WOULD_LOCK_OR_CROSS = "would_lock_or_cross"
    """It would display a quote that locks or crosses a protected quote on another venue (Rule 610(d))."""
    DECLINED_SIZE = "declined_size"
    """A wholesaler declined it: larger than it accepts."""
    DECLINED_MARKET = "declined_market"
    """A wholesaler declined it: the NBBO is missing, locked, crossed or too wide (a fast market)."""
    NOT_MARKETABLE = "not_marketable"
    """A venue that only accepts marketable orders (a wholesaler) got a limit order that is not."""
    EXCEEDS_PARENT = "exceeds_parent"
    """A router's child order (or replace) for more shares than its parent has open (refused by the simulator before
    any venue sees it)."""


class CancelReason(Enum):
    """Why open quantity left the book without trading."""

    REQUESTED = "requested"
    """The owner asked for it (cancel, or replace to zero)."""
    IOC_REMAINDER = "ioc_remainder"
    """The unfilled part of an IOC order."""
    MARKET_REMAINDER = "market_remainder"
    """The unfilled part of a market order (no more contra liquidity)."""


@dataclass(slots=True)
class Fill:
    """One execution between a resting (maker) order and an incoming (taker) order.

    ``taker_side`` is the aggressor's side; the maker traded the opposite side.
    """

    ts_ns: int
    price: int
    qty: int
    taker_side: Side
    maker_order_id: int
    maker_owner: int
    taker_order_id: int
    taker_owner: int
    maker_leaves: int
    """Maker's open quantity after this fill."""
    taker_leaves: int
    """Taker's unfilled quantity after this fill (before any IOC or market remainder is cancelled)."""


@dataclass(slots=True)
class QuoteUpdate:
    """Top of book after an operation changed it. ``None`` prices mean an empty side (size 0)."""

    ts_ns: int
    bid: int | None
    bid_size: int
    ask: int | None
    ask_size: int


@dataclass(slots=True)
class Reject:
    """An order, cancel or replace refused by the venue."""

    order_id: int
    owner: int
    reason: RejectReason


@dataclass(slots=True)
class Cancelled:
    """Open quantity removed from the book without trading."""

    order_id: int
    owner: int
    qty: int
    reason: CancelReason


@dataclass(slots=True)
class RouteOut:
    """The unfilled part of an order that a venue hands back for routing to a better-priced protected quote.

    A venue whose order protection policy is ``"route_out"`` executes an order that is priced through another venue's
    protected quote only at prices not worse than that quote, and returns what is left as this event instead of
    resting or cancelling it. The order is then no longer open at the venue; the caller is expected to send ``qty``
    on to the away venue(s) as an IOC intermarket sweep order with limit ``limit`` (``None``: a market order).
    """

    order_id: int
    owner: int
    side: Side
    qty: int
    limit: int | None


Event = Fill | QuoteUpdate | Reject | Cancelled | RouteOut
"""Anything a book or venue reports back from one operation."""


@dataclass(frozen=True, slots=True)
class Quote:
    """Top of book as some observer sees it. ``ts_ns`` is when the venue published it."""

    ts_ns: int
    bid: int | None
    bid_size: int
    ask: int | None
    ask_size: int

    @property
    def mid(self) -> float | None:
        """Midpoint in price units, or ``None`` when a side is empty."""
        if self.bid is None or self.ask is None:
            return None
        return (self.bid + self.ask) / 2


EMPTY_QUOTE = Quote(ts_ns=0, bid=None, bid_size=0, ask=None, ask_size=0)
"""The quote of an empty book (or of a venue not yet heard from)."""


def usd_to_price(usd: float) -> int:
    """Convert a USD amount to integer price units, rounding to the nearest unit."""
    return round(usd * PRICE_SCALE)


def price_to_usd(price: int) -> float:
    """Convert integer price units to USD."""
    return price / PRICE_SCALE
