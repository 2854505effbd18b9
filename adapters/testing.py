"""A scripted router context, for unit-testing a router without a simulation (docs/routers.md, *Testing a router*).

:class:`FakeContext` implements :class:`adapters.contract.RouterContext` with quotes the test sets per (venue,
symbol) (``set_book``); the NBBO is derived from the protected lit venues' quotes (what the SIP would show with no
delay). ``send``, ``cancel``, ``replace`` and ``set_timer`` are recorded (``sent``, ``cancels``, ``replaces``,
``timers``). The builders make the venue responses a router receives (``ack``, ``fill``, ``ioc_remainder``,
``cancelled``, ``reject``); ``deliver`` hands one to the router's callback and keeps the fills for ``fills()``. The
venues (``lit``, ``dark``, ``wholesaler``) take fees in USD per share; prices are integers in price units
(1 unit = $0.0001, ``px(10.01)`` = 100_100).

The fake offers exactly the contract's members plus its scripting and records (sorbench's tests check it), so a
router that works with it uses nothing the simulator does not offer. With sorbench installed, pytest gets the
``fake_context`` fixture (:mod:`adapters.pytest_plugin`, a ``pytest11`` entry point). Example::

    from adapters.testing import FakeContext, fill, lit, parent

    ctx = FakeContext([lit("A", take_usd=0.0030, make_usd=-0.0020)])
    ctx.set_book("A", bid=(9.99, 500), ask=(10.01, 500))
    router = MyRouter()
    ctx.start(router)
    router.on_parent(parent(1, Side.BUY, 300, limit_usd=10.01))
    assert ctx.sent[0].venue == "A"
    ctx.deliver(router, fill(ctx.sent[0], 300, leaves=0))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from adapters.contract import (
    ChildAck,
    ChildCancelled,
    ChildFill,
    ChildReject,
    ParentOrder,
    Router,
    child_order_args,
)
from venues.fees import FeeSchedule
from venues.types import CancelReason, Liquidity, OrdType, Quote, RejectReason, Side, TimeInForce, usd_to_price
from venues.venue import SymbolInfo, VenueInfo, VenueKind

SYM = "XYZ"

Message = ChildAck | ChildFill | ChildCancelled | ChildReject


@dataclass(frozen=True)
class Sent:
    """One recorded ``send`` call."""

    child_id: int
    parent_id: int
    venue: str
    side: Side
    qty: int
    price: int | None
    tif: TimeInForce
    post_only: bool
    iso: bool = False
    midpoint_peg: bool = False
    display_qty: int | None = None
    min_qty: int = 0


def lit(
    name: str, *, take_usd: float, make_usd: float, symbols: tuple[str, ...] = (SYM,), protected: bool = True
) -> VenueInfo:
    """A lit venue with take and make fees in USD per share (negative ``make_usd``: a maker rebate)."""
    return VenueInfo(
        name=name,
        kind=VenueKind.LIT,
        fees=FeeSchedule.from_usd(take_usd=take_usd, make_usd=make_usd),
        protected=protected,
        symbols=symbols,
    )


def dark(name: str, *, fee_usd: float = 0.0010, min_qty: int = 0, symbols: tuple[str, ...] = (SYM,)) -> VenueInfo:
    """A dark pool (midpoint crosses) charging ``fee_usd`` a share either way, with an optional minimum quantity."""
    return VenueInfo(
        name=name,
        kind=VenueKind.DARK,
        fees=FeeSchedule.from_usd(take_usd=fee_usd, make_usd=fee_usd),
        protected=False,
        symbols=symbols,
        min_qty=min_qty,
    )


def wholesaler(name: str, *, pfof_usd: float, symbols: tuple[str, ...] = (SYM,)) -> VenueInfo:
    """A wholesaler paying ``pfof_usd`` a share for order flow (to the broker)."""
    return VenueInfo(
        name=name,
        kind=VenueKind.WHOLESALER,
        fees=FeeSchedule.from_usd(take_usd=0.0, make_usd=0.0, pfof_usd=pfof_usd),
        protected=False,
        symbols=symbols,
    )


def px(usd: float) -> int:
    """USD to price units (1 unit = $0.0001): ``px(10.01) == 100_100``."""
    return usd_to_price(usd)


EMPTY = Quote(ts_ns=0, bid=None, bid_size=0, ask=None, ask_size=0)


def default_venues() -> list[VenueInfo]:
    """Two protected lit venues (A: take $0.0030, rebate $0.0020; B: take $0.0010, rebate $0.0005) and a dark pool D."""
    return [lit("A", take_usd=0.0030, make_usd=-0.0020), lit("B", take_usd=0.0010, make_usd=-0.0005), dark("D")]


class FakeContext:
    """Implements the RouterContext protocol with scripted quotes; records what the router asks for.

    ``venues`` are the market's venues (default: :func:`default_venues`); ``symbols`` its symbols (default: one,
    ``XYZ``, tick $0.01, round lot 100); ``now_ns`` the clock, ns since midnight (default 09:30:00), which a test
    may move by setting ``now``.
    """

    def __init__(
        self,
        venues: Sequence[VenueInfo] | None = None,
        *,
        now_ns: int = 34_200_000_000_000,
        symbols: Sequence[SymbolInfo] | None = None,
    ) -> None:
        self._venues = {v.name: v for v in (default_venues() if venues is None else venues)}
        symbol_list = symbols if symbols is not None else [SymbolInfo(name=SYM, tick=100, round_lot=100)]
        self._symbols = {s.name: s for s in symbol_list}
        self.now = now_ns
        self.quotes: dict[tuple[str, str], Quote] = {}
        self.sent: list[Sent] = []
        self.cancels: list[int] = []
        self.replaces: list[tuple[int, int, int]] = []
        self.timers: list[tuple[int, object]] = []
        self.quote_reads = 0
        self.nbbo_reads = 0
        self.delivered: list[Message] = []
        self._next_id = 1000

    # --- scripting
    def set_book(
        self,
        venue: str,
        *,
        bid: tuple[float, int] | None = None,
        ask: tuple[float, int] | None = None,
        symbol: str = SYM,
    ) -> None:
        """Set what the direct feed of ``venue`` shows: ``bid=(usd, size)``, ``ask=(usd, size)``; None = empty side."""
        b, bs = (px(bid[0]), bid[1]) if bid else (None, 0)
        a, as_ = (px(ask[0]), ask[1]) if ask else (None, 0)
        self.quotes[(venue, symbol)] = Quote(ts_ns=self.now, bid=b, bid_size=bs, ask=a, ask_size=as_)

    def start(self, router: Router) -> Router:
        """Give the router this context (``on_start``), as the simulator does before the first order; returns it."""
        router.on_start(self)
        return router

    def deliver(self, router: Router, msg: Message) -> None:
        """Hand a venue response to the router's callback, as the simulator would; fills are kept for fills()."""
        self.delivered.append(msg)
        if isinstance(msg, ChildFill):
            router.on_fill(msg)
        elif isinstance(msg, ChildAck):
            router.on_ack(msg)
        elif isinstance(msg, ChildCancelled):
            router.on_cancelled(msg)
        else:
            router.on_reject(msg)

    # --- RouterContext
    @property
    def now_ns(self) -> int:
        """The scripted clock (``now``), ns since midnight."""
        return self.now

    @property
    def venues(self) -> Mapping[str, VenueInfo]:
        """The venues given, by name."""
        return self._venues

    @property
    def symbols(self) -> Mapping[str, SymbolInfo]:
        """The symbols given, by name."""
        return self._symbols

    def nbbo(self, symbol: str) -> Quote:
        """Best bid and offer over the protected lit venues' scripted quotes, sizes summed at the best price."""
        self.nbbo_reads += 1
        quotes = [
            q
            for (v, sym), q in self.quotes.items()
            if sym == symbol and self._venues[v].kind is VenueKind.LIT and self._venues[v].protected
        ]
        bids = [q.bid for q in quotes if q.bid is not None]
        asks = [q.ask for q in quotes if q.ask is not None]
        bid = max(bids) if bids else None
        ask = min(asks) if asks else None
        return Quote(
            ts_ns=max((q.ts_ns for q in quotes), default=0),
            bid=bid,
            bid_size=sum(q.bid_size for q in quotes if bid is not None and q.bid == bid),
            ask=ask,
            ask_size=sum(q.ask_size for q in quotes if ask is not None and q.ask == ask),
        )

    def quote(self, venue: str, symbol: str) -> Quote:
        """The scripted quote of ``venue`` (empty if none was set)."""
        self.quote_reads += 1
        return self.quotes.get((venue, symbol), EMPTY)

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
        """Record the child order (``sent``) and return a fresh child id; the venue must exist and qty be > 0.

        The arguments are checked and normalised as the simulator's context does (:func:`child_order_args`).
        """
        args = child_order_args(
            parent_id=parent_id, venue=venue, side=side, qty=qty, price=price, tif=tif, post_only=post_only, iso=iso,
            midpoint_peg=midpoint_peg, display_qty=display_qty, min_qty=min_qty,
        )
        assert args.venue in self._venues, args.venue
        assert args.qty > 0, args.qty
        self._next_id += 1
        self.sent.append(Sent(self._next_id, **asdict(args)))
        return self._next_id

    def fills(self, parent_id: int | None = None) -> list[ChildFill]:
        """The fills delivered so far (of one parent, or all), in delivery order."""
        return [
            m for m in self.delivered if isinstance(m, ChildFill) and (parent_id is None or m.parent_id == parent_id)
        ]

    def cancel(self, child_id: int) -> None:
        """Record the cancel request (``cancels``)."""
        self.cancels.append(child_id)

    def replace(self, child_id: int, *, qty: int, price: int) -> None:
        """Record the replace request (``replaces``)."""
        self.replaces.append((child_id, qty, price))

    def set_timer(self, delay_ns: int, token: object = None) -> None:
        """Record the timer (``timers``); a test fires it by calling ``router.on_timer(token)``."""
        self.timers.append((delay_ns, token))


def parent(
    pid: int,
    side: Side,
    qty: int,
    limit_usd: float | None = None,
    *,
    symbol: str = SYM,
    arrival_ts_ns: int = 34_200_000_000_000,
) -> ParentOrder:
    """A parent order: a market order without ``limit_usd``, else a limit order at that price (USD)."""
    return ParentOrder(
        parent_id=pid,
        symbol=symbol,
        side=side,
        order_type=OrdType.MARKET if limit_usd is None else OrdType.LIMIT,
        qty=qty,
        limit_price=None if limit_usd is None else px(limit_usd),
        arrival_ts_ns=arrival_ts_ns,
    )


def ack(s: Sent) -> ChildAck:
    """The venue's acknowledgement of the sent child ``s``."""
    return ChildAck(s.child_id, s.parent_id, s.venue, 0, 0)


def fill(
    s: Sent,
    qty: int,
    *,
    leaves: int,
    price: int | None = None,
    liquidity: Liquidity = Liquidity.REMOVED,
    pfof_usd: float = 0.0,
) -> ChildFill:
    """A fill of ``s``; at its limit price unless ``price`` is given (a market, midpoint or improved execution)."""
    at = s.price if price is None else price
    assert at is not None
    return ChildFill(s.child_id, s.parent_id, s.venue, SYM, s.side, qty, at, liquidity, 0.0, leaves, 0, 0, pfof_usd)


def ioc_remainder(s: Sent, qty: int) -> ChildCancelled:
    """The unfilled ``qty`` of an IOC (or market) child ``s`` cancelled by the venue."""
    return ChildCancelled(s.child_id, s.parent_id, s.venue, qty, CancelReason.IOC_REMAINDER, 0, 0)


def cancelled(s: Sent, qty: int) -> ChildCancelled:
    """``qty`` of child ``s`` cancelled on the router's request."""
    return ChildCancelled(s.child_id, s.parent_id, s.venue, qty, CancelReason.REQUESTED, 0, 0)


def reject(s: Sent, reason: RejectReason = RejectReason.INVALID_PRICE) -> ChildReject:
    """The venue's refusal of child ``s`` (a ``RejectReason``)."""
    return ChildReject(s.child_id, s.parent_id, s.venue, reason, 0, 0)
