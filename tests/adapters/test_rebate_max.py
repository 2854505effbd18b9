"""rebate-max (the conflicted control): top PFOF payer, then lowest take fee first, passive to the top maker rebate.

Venues (USD per share): ``A`` take +0.0030 / make -0.0029, ``B`` inverted take -0.0002 / make +0.0003, ``C`` take
+0.0030 / make -0.0032; wholesalers ``W1`` (PFOF 0.0010), ``W2`` (PFOF 0.0020), ``W0`` (pays nothing) and ``W9``
(PFOF 0.0050, but does not trade XYZ).
"""

from __future__ import annotations

from adapters.reference import BestPriceRouter, RebateMaxRouter
from adapters.testing import FakeContext, lit, parent, px, reject, wholesaler
from venues.types import RejectReason, Side, TimeInForce

IOC, DAY = TimeInForce.IOC, TimeInForce.DAY

LIT = [
    lit("A", take_usd=0.0030, make_usd=-0.0029),
    lit("B", take_usd=-0.0002, make_usd=0.0003),
    lit("C", take_usd=0.0030, make_usd=-0.0032),
]
WHOLESALERS = [
    wholesaler("W1", pfof_usd=0.0010),
    wholesaler("W2", pfof_usd=0.0020),
    wholesaler("W0", pfof_usd=0.0),
    wholesaler("W9", pfof_usd=0.0050, symbols=("OTHER",)),
]


def started(venues, router_cls=RebateMaxRouter):
    ctx = FakeContext(venues)
    ctx.set_book("A", bid=(9.97, 100), ask=(10.00, 100))
    ctx.set_book("B", bid=(9.96, 100), ask=(10.02, 100))
    ctx.set_book("C", bid=(9.98, 5_000), ask=(10.00, 100))
    router = router_cls()
    router.on_start(ctx)
    return router, ctx


def test_all_marketable_flow_goes_whole_to_the_top_pfof_payer():
    """Ten marketable parents (market and limit at the ask, both sides) all go to W2: it pays $0.0020, the most
    of those trading XYZ (W9's $0.0050 is for another symbol). Each child is the whole parent, IOC, at its limit."""
    router, ctx = started([*LIT, *WHOLESALERS])
    for pid in range(1, 11):
        side = Side.BUY if pid % 2 else Side.SELL
        limit = None if pid % 3 else (10.00 if side is Side.BUY else 9.98)
        router.on_parent(parent(pid, side, 100 * pid, limit_usd=limit))
    assert {s.venue for s in ctx.sent} == {"W2"} and len(ctx.sent) == 10
    assert [s.qty for s in ctx.sent] == [100 * pid for pid in range(1, 11)]
    assert all(s.tif is IOC for s in ctx.sent)
    assert ctx.sent[2].price == px(10.00) and ctx.sent[0].price is None


def test_declined_flow_goes_lit_lowest_take_fee_first_even_at_a_worse_price():
    """W2 declines a market buy of 300: lit ranked by take fee first: B (-0.0002, a taker rebate) at 10.02 before
    A and C at 10.00 (+0.0030 each; equal net price and size, so by name: A then C). best-price would put B last
    (net 10.0198 against 10.0030)."""
    router, ctx = started([*LIT, *WHOLESALERS])
    router.on_parent(parent(1, Side.BUY, 300))
    router.on_reject(reject(ctx.sent[0], RejectReason.DECLINED_MARKET))
    got = [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent[1:]]
    assert got == [("B", 100, px(10.02), IOC), ("A", 100, px(10.00), IOC), ("C", 100, px(10.00), IOC)]
    honest, hctx = started(LIT, BestPriceRouter)
    honest.on_parent(parent(1, Side.BUY, 300))
    assert [s.venue for s in hctx.sent] == ["A", "C", "B"]


def test_passive_flow_rests_at_the_largest_maker_rebate_whatever_the_queue():
    """Buy limit 9.98 (ask 10.00: not marketable) rests on C (maker fee -0.0032, the largest rebate) although C
    already has 5000 shares bid at 9.98; best-price would choose A or B, where it would be first in line."""
    router, ctx = started([*LIT, *WHOLESALERS])
    router.on_parent(parent(1, Side.BUY, 200, limit_usd=9.98))
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent] == [("C", 200, px(9.98), DAY)]


def test_without_a_paying_wholesaler_marketable_flow_goes_lit_fee_first():
    """Only W0 (no PFOF): a market sell of 100 goes straight to the lit venue with the lowest take fee: B's bid."""
    router, ctx = started([*LIT, wholesaler("W0", pfof_usd=0.0)])
    router.on_parent(parent(1, Side.SELL, 100))
    assert [(s.venue, s.qty, s.price) for s in ctx.sent] == [("B", 100, px(9.96))]
