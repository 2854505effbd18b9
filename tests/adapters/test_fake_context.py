"""A scripted :class:`adapters.contract.RouterContext` for driving routers without a simulation, and its own checks.

Quotes are set per (venue, symbol) by the test; ``send``, ``cancel``, ``replace`` and ``set_timer`` are recorded.
Helpers build the venue responses a router would receive (ack, fill, IOC remainder, reject). The router tests import
these; the tests at the bottom check that the fake offers exactly the contract's members, so a router that works
with the fake uses nothing the simulator does not offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adapters.contract import ChildAck, ChildCancelled, ChildFill, ChildReject, ParentOrder, RouterContext
from venues.fees import FeeSchedule
from venues.types import CancelReason, Liquidity, OrdType, Quote, RejectReason, Side, TimeInForce, usd_to_price
from venues.venue import SymbolInfo, VenueInfo, VenueKind

SYM = "XYZ"


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


def lit(name: str, *, take_usd: float, make_usd: float, symbols: tuple[str, ...] = (SYM,)) -> VenueInfo:
    return VenueInfo(name=name, kind=VenueKind.LIT, fees=FeeSchedule.from_usd(take_usd=take_usd, make_usd=make_usd),
                     protected=True, symbols=symbols)


def px(usd: float) -> int:
    return usd_to_price(usd)


class FakeContext:
    """Implements the RouterContext protocol with scripted quotes; records what the router asks for."""

    def __init__(self, venues: list[VenueInfo], *, now_ns: int = 34_200_000_000_000) -> None:
        self._venues = {v.name: v for v in venues}
        self._symbols = {SYM: SymbolInfo(name=SYM, tick=100, round_lot=100)}
        self.now = now_ns
        self.quotes: dict[tuple[str, str], Quote] = {}
        self.sent: list[Sent] = []
        self.cancels: list[int] = []
        self.replaces: list[tuple[int, int, int]] = []
        self.timers: list[tuple[int, object]] = []
        self.quote_reads = 0
        self._next_id = 1000

    # --- scripting
    def set_book(self, venue: str, *, bid: tuple[float, int] | None = None, ask: tuple[float, int] | None = None,
                 symbol: str = SYM) -> None:
        """Set what the direct feed of ``venue`` shows: ``bid=(usd, size)``, ``ask=(usd, size)``; None = empty side."""
        b, bs = (px(bid[0]), bid[1]) if bid else (None, 0)
        a, as_ = (px(ask[0]), ask[1]) if ask else (None, 0)
        self.quotes[(venue, symbol)] = Quote(ts_ns=self.now, bid=b, bid_size=bs, ask=a, ask_size=as_)

    # --- RouterContext
    @property
    def now_ns(self) -> int:
        return self.now

    @property
    def venues(self) -> Mapping[str, VenueInfo]:
        return self._venues

    @property
    def symbols(self) -> Mapping[str, SymbolInfo]:
        return self._symbols

    def nbbo(self, symbol: str) -> Quote:
        raise AssertionError("these routers read direct feeds only")

    def quote(self, venue: str, symbol: str) -> Quote:
        self.quote_reads += 1
        return self.quotes.get((venue, symbol), Quote(ts_ns=0, bid=None, bid_size=0, ask=None, ask_size=0))

    def send(self, *, parent_id: int, venue: str, side: Side, qty: int, price: int | None,
             tif: TimeInForce = TimeInForce.DAY, post_only: bool = False) -> int:
        assert venue in self._venues, venue
        assert qty > 0, qty
        self._next_id += 1
        self.sent.append(Sent(self._next_id, parent_id, venue, side, qty, price, tif, post_only))
        return self._next_id

    def cancel(self, child_id: int) -> None:
        self.cancels.append(child_id)

    def replace(self, child_id: int, *, qty: int, price: int) -> None:
        self.replaces.append((child_id, qty, price))

    def set_timer(self, delay_ns: int, token: object = None) -> None:
        self.timers.append((delay_ns, token))


def parent(pid: int, side: Side, qty: int, limit_usd: float | None = None) -> ParentOrder:
    return ParentOrder(
        parent_id=pid, symbol=SYM, side=side, order_type=OrdType.MARKET if limit_usd is None else OrdType.LIMIT,
        qty=qty, limit_price=None if limit_usd is None else px(limit_usd), arrival_ts_ns=34_200_000_000_000,
    )


def ack(s: Sent) -> ChildAck:
    return ChildAck(s.child_id, s.parent_id, s.venue, 0, 0)


def fill(s: Sent, qty: int, *, leaves: int) -> ChildFill:
    assert s.price is not None
    return ChildFill(s.child_id, s.parent_id, s.venue, SYM, s.side, qty, s.price, Liquidity.REMOVED, 0.0, leaves, 0, 0)


def ioc_remainder(s: Sent, qty: int) -> ChildCancelled:
    return ChildCancelled(s.child_id, s.parent_id, s.venue, qty, CancelReason.IOC_REMAINDER, 0, 0)


def reject(s: Sent) -> ChildReject:
    return ChildReject(s.child_id, s.parent_id, s.venue, RejectReason.INVALID_PRICE, 0, 0)


# ------------------------------------------------------------------------------------------------- the fake itself
def test_fake_context_offers_exactly_the_router_context_members():
    """The fake's public API is the protocol's plus its scripting and records, so routers cannot lean on extras."""
    contract = {n for n in vars(RouterContext) if not n.startswith("_")}
    fake_public = {n for n in dir(FakeContext(venues=[])) if not n.startswith("_")}
    scripting = {"set_book", "now", "quotes", "sent", "cancels", "replaces", "timers", "quote_reads"}
    assert contract <= fake_public
    assert fake_public - contract == scripting


def test_fake_context_records_sends_and_serves_scripted_quotes():
    """set_book shows up in quote(); send returns fresh child ids and records the call; unknown books are empty."""
    ctx = FakeContext([lit("A", take_usd=0.003, make_usd=-0.002)])
    ctx.set_book("A", bid=(9.99, 100), ask=(10.01, 200))
    assert ctx.quote("A", SYM) == Quote(ts_ns=ctx.now, bid=99_900, bid_size=100, ask=100_100, ask_size=200)
    assert ctx.quote("A", "OTHER").bid is None
    a = ctx.send(parent_id=1, venue="A", side=Side.BUY, qty=5, price=None)
    b = ctx.send(parent_id=1, venue="A", side=Side.BUY, qty=5, price=100_100, tif=TimeInForce.IOC)
    assert a != b
    got = [(s.child_id, s.price, s.tif) for s in ctx.sent]
    assert got == [(a, None, TimeInForce.DAY), (b, 100_100, TimeInForce.IOC)]
