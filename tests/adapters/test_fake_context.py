"""The packaged FakeContext (adapters/testing.py) offers exactly the RouterContext members plus its scripting; its
quotes, NBBO, recorded sends and delivered fills behave as the simulator's; the pytest fixture hands one out."""

from __future__ import annotations

from adapters.contract import ChildAck, ChildCancelled, ChildFill, ChildReject, ParentOrder, Router, RouterContext
from adapters.testing import (
    SYM,
    FakeContext,
    ack,
    dark,
    fill,
    ioc_remainder,
    lit,
    px,
    reject,
)
from venues.types import Quote, Side, TimeInForce


# ------------------------------------------------------------------------------------------------- the fake itself
def test_fake_context_offers_exactly_the_router_context_members():
    """The fake's public API is the protocol's plus its scripting and records, so routers cannot lean on extras."""
    contract = {n for n in vars(RouterContext) if not n.startswith("_")}
    fake_public = {n for n in dir(FakeContext(venues=[])) if not n.startswith("_")}
    scripting = {
        "set_book",
        "deliver",
        "start",
        "now",
        "quotes",
        "sent",
        "cancels",
        "replaces",
        "timers",
        "quote_reads",
        "nbbo_reads",
        "delivered",
    }
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
    ctx.send(
        parent_id=1,
        venue="A",
        side=Side.SELL,
        qty=300,
        price=None,
        iso=True,
        midpoint_peg=True,
        display_qty=100,
        min_qty=200,
    )
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
    ctx = FakeContext(
        [
            lit("A", take_usd=0.003, make_usd=-0.002),
            lit("B", take_usd=0.003, make_usd=-0.002),
            lit("C", take_usd=0.003, make_usd=-0.002, protected=False),
            dark("D"),
        ]
    )
    ctx.set_book("A", bid=(9.99, 100), ask=(10.02, 100))
    ctx.set_book("B", bid=(9.99, 300), ask=(10.01, 200))
    ctx.set_book("C", bid=(10.00, 50), ask=(10.00, 50))
    ctx.set_book("D", bid=(10.50, 1), ask=(9.50, 1))
    q = ctx.nbbo(SYM)
    assert (q.bid, q.bid_size, q.ask, q.ask_size) == (px(9.99), 400, px(10.01), 200)
    assert ctx.nbbo("OTHER") == Quote(ts_ns=0, bid=None, bid_size=0, ask=None, ask_size=0)


def test_the_fixture_gives_a_fresh_context_on_the_default_venues(fake_context):
    """The pytest fixture router authors get: lit A and B, dark D, symbol XYZ, nothing sent yet."""
    assert list(fake_context.venues) == ["A", "B", "D"]
    assert list(fake_context.symbols) == [SYM] and fake_context.symbols[SYM].tick == px(0.01)
    assert fake_context.sent == [] and fake_context.now_ns == 34_200_000_000_000


def test_start_hands_the_context_to_the_router_and_a_template_router_routes_on_it(fake_context):
    """The template router sends each parent whole to the first lit venue trading it (A), at its limit."""
    from adapters.template import TemplateRouter
    from venues.types import OrdType

    router = fake_context.start(TemplateRouter())
    assert router.ctx is fake_context
    p = ParentOrder(
        parent_id=4,
        symbol=SYM,
        side=Side.SELL,
        order_type=OrdType.LIMIT,
        qty=200,
        limit_price=px(9.99),
        arrival_ts_ns=fake_context.now_ns,
    )
    router.on_parent(p)
    assert [(s.venue, s.qty, s.price, s.tif) for s in fake_context.sent] == [("A", 200, 99_900, TimeInForce.DAY)]
