"""A scripted :class:`adapters.contract.RouterContext` for driving routers without a simulation, and its own checks.

Quotes are set per (venue, symbol) by the test; the NBBO is derived from the protected lit venues' quotes (what the
SIP would show with no delay). ``send``, ``cancel``, ``replace`` and ``set_timer`` are recorded. Helpers build the
venue responses a router would receive (ack, fill, IOC remainder, reject); ``deliver`` hands one to the router and
keeps the fills for ``fills()``. The router tests import these; the tests at the bottom check that the fake offers
exactly the contract's members, so a router that works with the fake uses nothing the simulator does not offer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adapters.contract import ChildAck, ChildCancelled, ChildFill, ChildReject, ParentOrder, Router, RouterContext
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


def lit(name: str, *, take_usd: float, make_usd: float, symbols: tuple[str, ...] = (SYM,),
        protected: bool = True) -> VenueInfo:
    return VenueInfo(name=name, kind=VenueKind.LIT, fees=FeeSchedule.from_usd(take_usd=take_usd, make_usd=make_usd),
                     protected=protected, symbols=symbols)


def dark(name: str, *, fee_usd: float = 0.0010, min_qty: int = 0, symbols: tuple[str, ...] = (SYM,)) -> VenueInfo:
    return VenueInfo(name=name, kind=VenueKind.DARK, fees=FeeSchedule.from_usd(take_usd=fee_usd, make_usd=fee_usd),
                     protected=False, symbols=symbols, min_qty=min_qty)


def wholesaler(name: str, *, pfof_usd: float, symbols: tuple[str, ...] = (SYM,)) -> VenueInfo:
    return VenueInfo(name=name, kind=VenueKind.WHOLESALER,
                     fees=FeeSchedule.from_usd(take_usd=0.0, make_usd=0.0, pfof_usd=pfof_usd),
                     protected=False, symbols=symbols)


def px(usd: float) -> int:
    return usd_to_price(usd)


EMPTY = Quote(ts_ns=0, bid=None, bid_size=0, ask=None, ask_size=0)


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
        self.nbbo_reads = 0
        self.delivered: list[Message] = []
        self._next_id = 1000

    # --- scripting
    def set_book(self, venue: str, *, bid: tuple[float, int] | None = None, ask: tuple[float, int] | None = None,
                 symbol: str = SYM) -> None:
        """Set what the direct feed of ``venue`` shows: ``bid=(usd, size)``, ``ask=(usd, size)``; None = empty side."""
        b, bs = (px(bid[0]), bid[1]) if bid else (None, 0)
        a, as_ = (px(ask[0]), ask[1]) if ask else (None, 0)
        self.quotes[(venue, symbol)] = Quote(ts_ns=self.now, bid=b, bid_size=bs, ask=a, ask_size=as_)

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
        return self.now

    @property
    def venues(self) -> Mapping[str, VenueInfo]:
        return self._venues

    @property
    def symbols(self) -> Mapping[str, SymbolInfo]:
        return self._symbols

    def nbbo(self, symbol: str) -> Quote:
        """Best bid and offer over the protected lit venues' scripted quotes, sizes summed at the best price."""
        self.nbbo_reads += 1
        quotes = [q for (v, sym), q in self.quotes.items()
                  if sym == symbol and self._venues[v].kind is VenueKind.LIT and self._venues[v].protected]
        bids = [q.bid for q in quotes if q.bid is not None]
        asks = [q.ask for q in quotes if q.ask is not None]
        bid = max(bids) if bids else None
        ask = min(asks) if asks else None
        return Quote(
            ts_ns=max((q.ts_ns for q in quotes), default=0),
            bid=bid, bid_size=sum(q.bid_size for q in quotes if bid is not None and q.bid == bid),
            ask=ask, ask_size=sum(q.ask_size for q in quotes if ask is not None and q.ask == ask),
        )

    def quote(self, venue: str, symbol: str) -> Quote:
        self.quote_reads += 1
        return self.quotes.get((venue, symbol), EMPTY)

    def send(self, *, parent_id: int, venue: str, side: Side, qty: int, price: int | None,
             tif: TimeInForce = TimeInForce.DAY, post_only: bool = False, iso: bool = False,
             midpoint_peg: bool = False, display_qty: int | None = None, min_qty: int = 0) -> int:
        assert venue in self._venues, venue
        assert qty > 0, qty
        self._next_id += 1
        self.sent.append(Sent(self._next_id, parent_id, venue, side, qty, price, tif, post_only, iso, midpoint_peg,
                              display_qty, min_qty))
        return self._next_id

    def fills(self, parent_id: int | None = None) -> list[ChildFill]:
        return [m for m in self.delivered
                if isinstance(m, ChildFill) and (parent_id is None or m.parent_id == parent_id)]

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


def fill(s: Sent, qty: int, *, leaves: int, price: int | None = None, liquidity: Liquidity = Liquidity.REMOVED,
         pfof_usd: float = 0.0) -> ChildFill:
    """A fill of ``s``; at its limit price unless ``price`` is given (a market, midpoint or improved execution)."""
    at = s.price if price is None else price
    assert at is not None
    return ChildFill(s.child_id, s.parent_id, s.venue, SYM, s.side, qty, at, liquidity, 0.0, leaves, 0, 0,
                     pfof_usd)


def ioc_remainder(s: Sent, qty: int) -> ChildCancelled:
    return ChildCancelled(s.child_id, s.parent_id, s.venue, qty, CancelReason.IOC_REMAINDER, 0, 0)


def cancelled(s: Sent, qty: int) -> ChildCancelled:
    return ChildCancelled(s.child_id, s.parent_id, s.venue, qty, CancelReason.REQUESTED, 0, 0)


def reject(s: Sent, reason: RejectReason = RejectReason.INVALID_PRICE) -> ChildReject:
    return ChildReject(s.child_id, s.parent_id, s.venue, reason, 0, 0)


# ------------------------------------------------------------------------------------------------- the fake itself
def test_fake_context_offers_exactly_the_router_context_members():
    """The fake's public API is the protocol's plus its scripting and records, so routers cannot lean on extras."""
    contract = {n for n in vars(RouterContext) if not n.startswith("_")}
    fake_public = {n for n in dir(FakeContext(venues=[])) if not n.startswith("_")}
    scripting = {"set_book", "deliver", "now", "quotes", "sent", "cancels", "replaces", "timers", "quote_reads",
                 "nbbo_reads", "delivered"}
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


def test_fake_send_and_fills_have_the_protocol_signatures():
    """Same parameter names, kinds and defaults as RouterContext.send / .fills, so a router cannot pass extras."""
    import inspect

    for member in ("send", "fills"):
        want = inspect.signature(getattr(RouterContext, member)).parameters
        got = inspect.signature(getattr(FakeContext, member)).parameters
        assert [(p.name, p.kind, p.default) for p in got.values()] == [
            (p.name, p.kind, p.default) for p in want.values()
        ]


def test_fake_send_records_the_new_order_options():
    """iso, midpoint_peg, display_qty and min_qty are recorded as given (and default to the protocol's defaults)."""
    ctx = FakeContext([lit("A", take_usd=0.003, make_usd=-0.002)])
    ctx.send(parent_id=1, venue="A", side=Side.SELL, qty=300, price=None, iso=True, midpoint_peg=True,
             display_qty=100, min_qty=200)
    ctx.send(parent_id=1, venue="A", side=Side.SELL, qty=300, price=None)
    first, second = ctx.sent
    assert (first.iso, first.midpoint_peg, first.display_qty, first.min_qty) == (True, True, 100, 200)
    assert (second.iso, second.midpoint_peg, second.display_qty, second.min_qty) == (False, False, None, 0)


def test_fake_fills_returns_the_delivered_fills_per_parent_in_order():
    """deliver() passes each message to the matching callback; fills() lists the fills, all or one parent's."""

    class Recorder(Router):
        name = "recorder"

        def __init__(self) -> None:
            super().__init__()
            self.calls: list[str] = []

        def on_parent(self, parent: ParentOrder) -> None:
            pass

        def on_ack(self, ack: ChildAck) -> None:
            self.calls.append("ack")

        def on_fill(self, fill: ChildFill) -> None:
            self.calls.append("fill")

        def on_cancelled(self, cancelled: ChildCancelled) -> None:
            self.calls.append("cancelled")

        def on_reject(self, reject: ChildReject) -> None:
            self.calls.append("reject")

    ctx = FakeContext([lit("A", take_usd=0.003, make_usd=-0.002)])
    r = Recorder()
    ctx.send(parent_id=1, venue="A", side=Side.BUY, qty=300, price=px(10.00))
    ctx.send(parent_id=2, venue="A", side=Side.BUY, qty=100, price=px(10.00))
    s1, s2 = ctx.sent
    for msg in (ack(s1), fill(s1, 100, leaves=200), fill(s2, 100, leaves=0), ioc_remainder(s1, 200), reject(s2)):
        ctx.deliver(r, msg)
    assert r.calls == ["ack", "fill", "fill", "cancelled", "reject"]
    assert [(f.parent_id, f.qty) for f in ctx.fills()] == [(1, 100), (2, 100)]
    assert [(f.parent_id, f.qty) for f in ctx.fills(2)] == [(2, 100)]
    assert ctx.fills(3) == []


def test_fake_nbbo_is_the_best_protected_lit_quote_with_sizes_summed_at_the_best_price():
    """Bids A 9.99 x 100, B 9.99 x 300, C 10.00 x 50 (unprotected: ignored) -> NBBO bid 9.99 x 400 (A + B);
    asks A 10.02 x 100, B 10.01 x 200 -> 10.01 x 200; the dark pool's (scripted) quote is ignored too."""
    ctx = FakeContext([lit("A", take_usd=0.003, make_usd=-0.002), lit("B", take_usd=0.003, make_usd=-0.002),
                       lit("C", take_usd=0.003, make_usd=-0.002, protected=False), dark("D")])
    ctx.set_book("A", bid=(9.99, 100), ask=(10.02, 100))
    ctx.set_book("B", bid=(9.99, 300), ask=(10.01, 200))
    ctx.set_book("C", bid=(10.00, 50), ask=(10.00, 50))
    ctx.set_book("D", bid=(10.50, 1), ask=(9.50, 1))
    q = ctx.nbbo(SYM)
    assert (q.bid, q.bid_size, q.ask, q.ask_size) == (px(9.99), 400, px(10.01), 200)
    assert ctx.nbbo("OTHER") == Quote(ts_ns=0, bid=None, bid_size=0, ask=None, ask_size=0)
