"""The router contract: what a smart order router implements and what the simulator offers it.

A router is a small callback object (:class:`Router`). The simulator calls it when a parent order arrives, when a
venue's response to one of its child orders reaches it (ack, fill, reject, cancel) and when a timer it set fires.
Through its :class:`RouterContext` it sends child orders, cancels and replaces them, sets timers and reads market
data, always as its own links deliver it:

* ``ctx.nbbo(symbol)`` is the consolidated NBBO as the SIP shows it: each venue's quote delayed by the venue-to-SIP
  link, the SIP's processing time and the SIP-to-router link.
* ``ctx.quote(venue, symbol)`` is that venue's top of book as its direct feed shows it, delayed by the
  venue-to-router market-data link.
* ``ctx.venues`` and ``ctx.symbols`` are static public data (kind, fees, tick, round lot).

A router never sees the simulator's hidden state (the latent efficient price, other participants' orders, the books
as they are *now*). Every message carries two times, when it happened at the venue (``venue_ts_ns``) and when the
router learned of it (``recv_ts_ns``).

Required: :meth:`Router.on_parent`. Optional: every other callback (the defaults do nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict

from venues.types import CancelReason, Liquidity, OrdType, Quote, RejectReason, Side, TimeInForce
from venues.venue import SymbolInfo, VenueInfo

MAX_ORDER_QTY = 100_000_000
"""The largest quantity of any order, parent or child, in shares (10^8): more than any real order, and small enough
that quantity x price stays inside int64 (10^8 x :data:`MAX_PRICE` = 10^18 < 2^63)."""
MAX_PRICE = 10_000_000_000
"""The largest price of any order in price units ($0.0001): $1,000,000 a share."""


def child_order_problem(qty: int, price: int | None, *, tick: int, open_qty: int, display_qty: int | None = None,
                        min_qty: int = 0) -> RejectReason | None:
    """Why the simulator refuses a child order (or a replace) at the contract boundary; None if it may go on.

    ``qty`` must be 1..:data:`MAX_ORDER_QTY` and at most the parent's open quantity ``open_qty``; ``price`` (when
    not None) 1..:data:`MAX_PRICE` and a multiple of ``tick``; ``display_qty`` and ``min_qty`` 0..:data:`MAX_ORDER_QTY`
    (the venue checks them against ``qty``). Integer
    comparisons only: it runs for every child order.
    """
    if not 0 < qty <= MAX_ORDER_QTY:
        return RejectReason.INVALID_QUANTITY
    if price is not None:
        if not 0 < price <= MAX_PRICE:
            return RejectReason.INVALID_PRICE
        if price % tick:
            return RejectReason.OFF_TICK
    if (display_qty is not None and not 0 <= display_qty <= MAX_ORDER_QTY) or not 0 <= min_qty <= MAX_ORDER_QTY:
        return RejectReason.INVALID_QUANTITY
    if qty > open_qty:
        return RejectReason.EXCEEDS_PARENT
    return None


@dataclass(frozen=True, slots=True)
class ChildOrderArgs:
    """The arguments of one :meth:`RouterContext.send` call, checked and normalised by :func:`child_order_args`."""

    parent_id: int
    venue: str
    side: Side
    qty: int
    price: int | None
    tif: TimeInForce
    post_only: bool
    iso: bool
    midpoint_peg: bool
    display_qty: int | None
    min_qty: int


def child_order_args(
    *,
    parent_id: int,
    venue: str,
    side: Side,
    qty: int,
    price: int | None,
    tif: TimeInForce = TimeInForce.DAY,
    post_only: bool = False,
    iso: bool = False,
    midpoint_peg: bool = False,
    display_qty: int | None = None,
    min_qty: int = 0,
) -> ChildOrderArgs:
    """``send``'s arguments, checked and normalised the same way in every context.

    The simulator's, a router process's and :class:`adapters.testing.FakeContext` all call it. ``side`` must be a
    :class:`Side` and ``tif`` a :class:`TimeInForce` (``TypeError`` otherwise); quantities and prices become
    ``int`` (``None`` stays ``None`` where allowed), the flags ``bool``. Whether the values are possible (positive,
    in range, on the tick, within the parent) is :func:`child_order_problem`'s question, asked by the
    simulator; whether the parent and the venue exist is the context's.
    """
    if not isinstance(side, Side):
        raise TypeError(f"side must be a Side, got {side!r}")
    if not isinstance(tif, TimeInForce):
        raise TypeError(f"tif must be a TimeInForce, got {tif!r}")
    return ChildOrderArgs(
        parent_id=parent_id, venue=venue, side=side, qty=int(qty), price=None if price is None else int(price),
        tif=tif, post_only=bool(post_only), iso=bool(iso), midpoint_peg=bool(midpoint_peg),
        display_qty=None if display_qty is None else int(display_qty), min_qty=int(min_qty),
    )


@dataclass(frozen=True, slots=True)
class ParentOrder:
    """A customer order handed to the router.

    ``limit_price`` is ``None`` for market orders. Whether a limit order is marketable is not a property of the order:
    it depends on the NBBO when it arrives.
    """

    parent_id: int
    symbol: str
    side: Side
    order_type: OrdType
    qty: int
    limit_price: int | None
    arrival_ts_ns: int
    client_order_id: str | None = field(default=None, compare=False)
    """The firm's own id of an order read from a file (``O1``), as given; None for a generated flow."""


@dataclass(slots=True)
class ChildAck:
    """The venue accepted a child order."""

    child_id: int
    parent_id: int
    venue: str
    venue_ts_ns: int
    recv_ts_ns: int


@dataclass(slots=True)
class ChildFill:
    """An execution of a child order. ``leaves_qty`` is its open quantity after this fill."""

    child_id: int
    parent_id: int
    venue: str
    symbol: str
    side: Side
    qty: int
    price: int
    liquidity: Liquidity
    fee_usd: float
    """Fee charged (positive) or rebate paid (negative) for this fill."""
    leaves_qty: int
    venue_ts_ns: int
    recv_ts_ns: int
    pfof_usd: float = 0.0
    """Payment for order flow the venue pays the broker for this fill (wholesalers; 0 elsewhere). It accrues to the
    broker, not to the customer, which is why the conflict analytics look at it."""


@dataclass(slots=True)
class ChildReject:
    """The venue refused a child order, cancel or replace."""

    child_id: int
    parent_id: int
    venue: str
    reason: RejectReason
    venue_ts_ns: int
    recv_ts_ns: int


@dataclass(slots=True)
class ChildCancelled:
    """Open quantity of a child order left the book without trading (requested cancel, IOC or market remainder)."""

    child_id: int
    parent_id: int
    venue: str
    qty: int
    reason: CancelReason
    venue_ts_ns: int
    recv_ts_ns: int


class RouterContext(Protocol):
    """What the simulator offers a router. Every view is delayed by the router's own links."""

    @property
    def now_ns(self) -> int:
        """Current simulated time, ns since midnight."""
        ...

    @property
    def venues(self) -> Mapping[str, VenueInfo]:
        """Static data of every venue, by name, in the scenario's order."""
        ...

    @property
    def symbols(self) -> Mapping[str, SymbolInfo]:
        """Static data of every symbol, by name."""
        ...

    def nbbo(self, symbol: str) -> Quote:
        """The NBBO as the SIP shows it to this router now (bid/ask sizes are summed over venues at the best price)."""
        ...

    def quote(self, venue: str, symbol: str) -> Quote:
        """A venue's top of book as its direct feed shows it to this router now."""
        ...

    def send(
        self,
        *,
        parent_id: int,
        venue: str,
        side: Side,
        qty: int,
        price: int | None,
        tif: TimeInForce = TimeInForce.DAY,
        post_only: bool = False,
        iso: bool = False,
        midpoint_peg: bool = False,
        display_qty: int | None = None,
        min_qty: int = 0,
    ) -> int:
        """Send a child order; returns its child id.

        Parameters
        ----------
        parent_id, venue, side, qty
            The parent it works, the venue's name, the side and the shares.
        price : int or None
            Limit price in price units ($0.0001); ``None`` is a market order (for a midpoint peg: no cap).
        tif : TimeInForce
            DAY rests, IOC trades what it can at once, FOK all or nothing.
        post_only : bool
            Add liquidity only (rejected or re-priced by the venue if it would take).
        iso : bool
            Intermarket sweep order: the venue skips order protection and lock/cross checks; the router is
            responsible for sweeping better protected quotes elsewhere (Reg NMS Rule 611(b)(5)).
        midpoint_peg : bool
            A non-displayed order pegged to the NBBO midpoint (lit venues); every dark-pool order is one anyway.
        display_qty : int or None
            ``None``: fully displayed; ``0``: hidden (non-displayed limit); ``0 < display_qty < qty``: reserve
            (iceberg) showing ``display_qty`` at a time.
        min_qty : int
            Minimum quantity: the order trades only against contra interest of at least this size in total.
        """
        ...

    def fills(self, parent_id: int | None = None) -> list[ChildFill]:
        """The router's own fills received so far (of one parent, or all), in the order they reached it."""
        ...

    def cancel(self, child_id: int) -> None:
        """Ask the venue to cancel a child order's open quantity."""
        ...

    def replace(self, child_id: int, *, qty: int, price: int) -> None:
        """Ask the venue to change a child order's open quantity and price (see the book's priority rules)."""
        ...

    def set_timer(self, delay_ns: int, token: object = None) -> None:
        """Call :meth:`Router.on_timer` with ``token`` after ``delay_ns``."""
        ...


class Router:
    """Base class of every router; subclass it and implement :meth:`on_parent`.

    Class attributes
    ----------------
    name : str
        Registry name, as used with ``--router`` and in scenario files.
    description : str
        One line shown by ``sorbench routers``.
    Params : type[pydantic.BaseModel]
        The router's parameters (from the scenario's ``[router_params.<name>]`` table); unknown keys are errors.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""

    class Params(BaseModel):
        """No parameters."""

        model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def __init__(self, params: BaseModel | None = None) -> None:
        self.params: Any = params if params is not None else self.Params()
        self._ctx: RouterContext | None = None

    @property
    def ctx(self) -> RouterContext:
        """The context given at :meth:`on_start`."""
        if self._ctx is None:
            raise RuntimeError(f"router {self.name!r} used its context before on_start")
        return self._ctx

    # Optional callbacks ---------------------------------------------------------------------------------------
    def on_start(self, ctx: RouterContext) -> None:
        """Called once before any order; the default keeps ``ctx``. Overrides must call ``super().on_start(ctx)``."""
        self._ctx = ctx

    def on_ack(self, ack: ChildAck) -> None:
        """A child order was accepted."""

    def on_fill(self, fill: ChildFill) -> None:
        """A child order (partly) executed."""

    def on_reject(self, reject: ChildReject) -> None:
        """A child order, cancel or replace was refused."""

    def on_cancelled(self, cancelled: ChildCancelled) -> None:
        """A child order's open quantity was cancelled (on request, or an IOC/market remainder)."""

    def on_timer(self, token: object) -> None:
        """A timer set with :meth:`RouterContext.set_timer` fired."""

    def on_end(self) -> None:
        """The simulated window ended."""

    # Required -------------------------------------------------------------------------------------------------
    def on_parent(self, parent: ParentOrder) -> None:
        """A parent order arrived: route it."""
        raise NotImplementedError(f"router {type(self).__name__} does not implement on_parent")
