"""dark-first: midpoint pings to every dark pool first (even split), the remainder lit as best-price.

Venues: lit ``A`` (take +0.0030) and ``B`` (take +0.0030); dark pools ``DK1``, ``DK2``, ``DK3`` (venue-wide minimum
400 shares) and ``DK4`` (does not trade the symbol).
"""

from __future__ import annotations

from adapters.reference import DarkFirstRouter
from adapters.testing import (
    FakeContext,
    cancelled,
    dark,
    fill,
    ioc_remainder,
    lit,
    parent,
    px,
    reject,
)
from venues.types import RejectReason, Side, TimeInForce

IOC, DAY = TimeInForce.IOC, TimeInForce.DAY


def started(**params) -> tuple[DarkFirstRouter, FakeContext]:
    ctx = FakeContext([
        lit("A", take_usd=0.0030, make_usd=-0.0029),
        lit("B", take_usd=0.0030, make_usd=-0.0029),
        dark("DK1"),
        dark("DK2"),
        dark("DK3", min_qty=400),
        dark("DK4", symbols=("OTHER",)),
    ])
    ctx.set_book("A", bid=(9.99, 500), ask=(10.00, 500))
    ctx.set_book("B", bid=(9.99, 500), ask=(10.01, 1_000))
    router = DarkFirstRouter(DarkFirstRouter.Params(**params))
    router.on_start(ctx)
    return router, ctx


def test_pings_every_dark_pool_first_then_routes_the_remainder_lit():
    """Buy 1000 limit 10.05.

    Pings: the pools trading XYZ are DK1, DK2, DK3; 1000 in three is 334, 333, 333; DK3's 333 is below its
    400-share minimum, so it is left out and the split redone: 500 and 500. DK1 500 and DK2 500 go out as IOC
    midpoint pegs capped at the limit, and nothing is sent lit meanwhile. DK1 fills 200 at the midpoint 10.005 and
    returns 300; DK2 returns 500.
    Lit, 1000 - 200 = 800 as best-price: A 10.00 x 500 (net 10.0030), then B 300 of its 1000 @ 10.01.
    """
    router, ctx = started()
    router.on_parent(parent(1, Side.BUY, 1_000, limit_usd=10.05))
    got = [(s.venue, s.qty, s.price, s.tif, s.midpoint_peg) for s in ctx.sent]
    assert got == [("DK1", 500, px(10.05), IOC, True), ("DK2", 500, px(10.05), IOC, True)]
    dk1, dk2 = ctx.sent
    router.on_fill(fill(dk1, 200, leaves=300, price=px(10.005)))
    router.on_cancelled(ioc_remainder(dk1, 300))
    assert len(ctx.sent) == 2  # DK2 is still out
    router.on_cancelled(ioc_remainder(dk2, 500))
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent[2:]] == [
        ("A", 500, px(10.00), IOC), ("B", 300, px(10.01), IOC),
    ]


def test_market_order_pings_carry_no_cap_and_the_min_qty_param():
    """Sell 600 at market with min_qty=100: 200 each is below DK3's 400, so DK1 300 and DK2 300, no price cap,
    min_qty 100. A refused ping (DK2) counts as answered: DK1 fills all 300, so 300 go lit at A's 9.99 bid."""
    router, ctx = started(min_qty=100)
    router.on_parent(parent(2, Side.SELL, 600))
    assert [(s.venue, s.qty, s.price, s.min_qty) for s in ctx.sent] == [("DK1", 300, None, 100),
                                                                         ("DK2", 300, None, 100)]
    dk1, dk2 = ctx.sent
    router.on_reject(reject(dk2, RejectReason.VENUE_CLOSED))
    router.on_fill(fill(dk1, 300, leaves=0, price=px(9.995)))
    assert [(s.venue, s.qty, s.price) for s in ctx.sent[2:]] == [("A", 300, px(9.99))]


def test_resting_pings_are_cancelled_when_their_time_is_up_then_the_rest_goes_lit():
    """rest_ns=5ms: DAY pings and one timer of 5 ms; on it, both pings are cancelled; the lit round starts only
    when both cancels are confirmed. Buy 400: 134/133/133 leaves DK3 below its minimum, so DK1 200 and DK2 200;
    DK1 fills 50, so 350 go lit: A 350 @ 10.00."""
    router, ctx = started(rest_ns=5_000_000)
    router.on_parent(parent(3, Side.BUY, 400))
    assert [(s.venue, s.qty, s.tif) for s in ctx.sent] == [("DK1", 200, DAY), ("DK2", 200, DAY)]
    assert len(ctx.timers) == 1 and ctx.timers[0][0] == 5_000_000
    dk1, dk2 = ctx.sent
    router.on_fill(fill(dk1, 50, leaves=150, price=px(10.005)))
    router.on_timer(ctx.timers[0][1])
    assert sorted(ctx.cancels) == sorted([dk1.child_id, dk2.child_id]) and len(ctx.sent) == 2
    router.on_cancelled(cancelled(dk1, 150))
    assert len(ctx.sent) == 2
    router.on_cancelled(cancelled(dk2, 200))
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent[2:]] == [("A", 350, px(10.00), IOC)]


def test_without_dark_pools_it_is_best_price():
    """A symbol no dark pool trades goes straight to the lit round."""
    ctx = FakeContext([lit("A", take_usd=0.003, make_usd=-0.002), dark("DK4", symbols=("OTHER",))])
    ctx.set_book("A", ask=(10.00, 500))
    router = DarkFirstRouter()
    router.on_start(ctx)
    router.on_parent(parent(1, Side.BUY, 100))
    assert [(s.venue, s.qty, s.price) for s in ctx.sent] == [("A", 100, px(10.00))]


def test_the_even_split_goes_by_venue_name_not_by_the_order_the_scenario_lists_the_pools():
    """Buy 1001 over DK1 and DK2, listed DK2 first: 1001 in two is 501 and 500, the larger share to the pool first by
    name (DK1) whichever order the venues come in, so a scenario's listing never decides who gets the odd share."""
    for order in (("DK1", "DK2"), ("DK2", "DK1")):
        ctx = FakeContext([lit("A", take_usd=0.0030, make_usd=-0.0029), *(dark(n) for n in order)])
        ctx.set_book("A", bid=(9.99, 500), ask=(10.00, 500))
        router = DarkFirstRouter(DarkFirstRouter.Params())
        router.on_start(ctx)
        router.on_parent(parent(1, Side.BUY, 1_001, limit_usd=10.05))
        assert sorted((s.venue, s.qty) for s in ctx.sent) == [("DK1", 501), ("DK2", 500)], order
