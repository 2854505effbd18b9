"""post-then-take: rest at the near side on the best-rebate venue, set a timer, then cancel and cross the rest.

Venues (USD per share): ``A`` take +0.0030 / make -0.0029, ``B`` inverted take -0.0002 / make +0.0003, ``C`` take
+0.0030 / make -0.0032 (the largest maker rebate).
"""

from __future__ import annotations

import pytest

from adapters.reference import PostThenTakeRouter
from adapters.testing import FakeContext, cancelled, dark, fill, lit, parent, px, reject
from venues.types import Liquidity, RejectReason, Side, TimeInForce

IOC, DAY = TimeInForce.IOC, TimeInForce.DAY


def venues():
    return [
        lit("A", take_usd=0.0030, make_usd=-0.0029),
        lit("B", take_usd=-0.0002, make_usd=0.0003),
        lit("C", take_usd=0.0030, make_usd=-0.0032),
    ]


def started(**params) -> tuple[PostThenTakeRouter, FakeContext]:
    ctx = FakeContext(venues())
    ctx.set_book("A", bid=(9.99, 100), ask=(10.01, 300))
    ctx.set_book("B", bid=(10.00, 200), ask=(10.01, 400))
    ctx.set_book("C", bid=(9.98, 100), ask=(10.02, 100))
    router = PostThenTakeRouter(PostThenTakeRouter.Params(**params))
    router.on_start(ctx)
    return router, ctx


def test_rests_on_the_best_rebate_venue_at_the_near_side_then_cancels_and_crosses_after_the_timeout():
    """Buy 500 at market.

    Passive: C has the lowest maker fee (-0.0032, a rebate); the near side is the best bid, B's 10.00: C 500 @ 10.00
    DAY post-only, and a timer of timeout_ns. 100 fill passively. At the timeout the order is cancelled; nothing
    crosses until the cancel is confirmed (400 back). Then best-price for 400: asks A 10.01 (net 10.0130),
    B 10.01 (net 10.0098), C 10.02: B 400 @ 10.01 IOC.
    """
    router, ctx = started(timeout_ns=3_000_000)
    router.on_parent(parent(1, Side.BUY, 500))
    assert [(s.venue, s.qty, s.price, s.tif, s.post_only) for s in ctx.sent] == [("C", 500, px(10.00), DAY, True)]
    assert len(ctx.timers) == 1 and ctx.timers[0][0] == 3_000_000
    (passive,) = ctx.sent
    router.on_fill(fill(passive, 100, leaves=400, liquidity=Liquidity.ADDED))
    assert ctx.cancels == [] and len(ctx.sent) == 1
    router.on_timer(ctx.timers[0][1])
    assert ctx.cancels == [passive.child_id] and len(ctx.sent) == 1
    router.on_cancelled(cancelled(passive, 400))
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent[1:]] == [("B", 400, px(10.01), IOC)]


def test_a_named_inverted_venue_and_a_sell():
    """venue="B", post_only=False: sell 300 at market rests on B at the best offer 10.01, not post-only."""
    router, ctx = started(venue="B", post_only=False)
    router.on_parent(parent(1, Side.SELL, 300))
    assert [(s.venue, s.qty, s.price, s.side, s.post_only) for s in ctx.sent] == [
        ("B", 300, px(10.01), Side.SELL, False),
    ]


def test_a_parent_filled_passively_does_nothing_at_the_timeout():
    """The passive order fills whole: the timer then cancels nothing and sends nothing."""
    router, ctx = started()
    router.on_parent(parent(1, Side.BUY, 200))
    router.on_fill(fill(ctx.sent[0], 200, leaves=0, liquidity=Liquidity.ADDED))
    router.on_timer(ctx.timers[0][1])
    assert ctx.cancels == [] and len(ctx.sent) == 1


def test_non_marketable_limit_rests_at_its_limit_and_keeps_resting_when_nothing_is_within_reach():
    """Buy limit 9.97 (best ask 10.01): rests at 9.97 on C; at the timeout nothing is offered at or below 9.97, so
    it is not cancelled."""
    router, ctx = started()
    router.on_parent(parent(1, Side.BUY, 300, limit_usd=9.97))
    assert [(s.venue, s.qty, s.price) for s in ctx.sent] == [("C", 300, px(9.97))]
    router.on_timer(ctx.timers[0][1])
    assert ctx.cancels == [] and len(ctx.sent) == 1


def test_marketable_limit_rests_at_the_near_side_and_crosses_only_up_to_its_limit():
    """Buy 500 limit 10.01: rests at the 10.00 bid; after the timeout and cancel, the cross takes B 400 (net 10.0098)
    and A 100 (10.0130) at 10.01; C's 10.02 is beyond the limit and never used."""
    router, ctx = started()
    router.on_parent(parent(1, Side.BUY, 500, limit_usd=10.01))
    (passive,) = ctx.sent
    assert passive.price == px(10.00)
    router.on_timer(ctx.timers[0][1])
    router.on_cancelled(cancelled(passive, 500))
    assert [(s.venue, s.qty, s.price) for s in ctx.sent[1:]] == [("B", 400, px(10.01)), ("A", 100, px(10.01))]


def test_a_refused_passive_order_crosses_at_once():
    """Post-only refused (the market moved): no wait for the timer, B 200 @ 10.01 right away."""
    router, ctx = started()
    router.on_parent(parent(1, Side.BUY, 200))
    router.on_reject(reject(ctx.sent[0], RejectReason.POST_ONLY_WOULD_CROSS))
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent[1:]] == [("B", 200, px(10.01), IOC)]


def test_check_params_refuses_unknown_or_non_lit_venues():
    """A named venue must be one of the scenario's lit venues."""
    infos = {v.name: v for v in [*venues(), dark("DK")]}
    with pytest.raises(ValueError, match="'Z' is not in the scenario"):
        PostThenTakeRouter.check_params(PostThenTakeRouter.Params(venue="Z"), venues=infos)
    with pytest.raises(ValueError, match="not a lit venue"):
        PostThenTakeRouter.check_params(PostThenTakeRouter.Params(venue="DK"), venues=infos)
    PostThenTakeRouter.check_params(PostThenTakeRouter.Params(venue="B"), venues=infos)
