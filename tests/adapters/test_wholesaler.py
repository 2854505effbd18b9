"""wholesaler: marketable flow to the wholesaler with the best recent price improvement; learning; lit fallback.

Venues: lit ``A`` and ``B`` (take +0.0030); wholesalers ``W1`` and ``W2`` (trading XYZ) and ``WX`` (does not).
NBBO in every test: bid 10.00 (A), ask 10.02 (A and B).
"""

from __future__ import annotations

import pytest

from adapters.reference import WholesalerRouter
from adapters.testing import FakeContext, fill, lit, parent, px, reject, wholesaler
from venues.types import RejectReason, Side, TimeInForce

IOC, DAY = TimeInForce.IOC, TimeInForce.DAY


def started(**params) -> tuple[WholesalerRouter, FakeContext]:
    ctx = FakeContext([
        lit("A", take_usd=0.0030, make_usd=-0.0029),
        lit("B", take_usd=0.0030, make_usd=-0.0029),
        wholesaler("WX", pfof_usd=0.0050, symbols=("OTHER",)),
        wholesaler("W1", pfof_usd=0.0010),
        wholesaler("W2", pfof_usd=0.0020),
    ])
    ctx.set_book("A", bid=(10.00, 300), ask=(10.02, 100))
    ctx.set_book("B", bid=(9.99, 300), ask=(10.02, 200))
    router = WholesalerRouter(WholesalerRouter.Params(**params))
    router.on_start(ctx)
    return router, ctx


def route_and_fill(router, ctx, pid: int, fill_usd: float | None, side=Side.BUY, qty=100):
    router.on_parent(parent(pid, side, qty))
    s = ctx.sent[-1]
    if fill_usd is not None:
        router.on_fill(fill(s, qty, leaves=0, price=px(fill_usd)))
    return s


def test_learns_each_wholesaler_then_sends_to_the_best_recent_improver():
    """Market buys of 100 against the ask 10.02.

    p1 -> W1 (untried, first in scenario order), filled at 10.015: improvement 10.02 - 10.015 = $0.005/share.
    p2 -> W2 (untried), filled at 10.012: $0.008. p3 -> W2 (0.008 > 0.005), filled at 10.019: $0.001, so W2's
    average is (100 x 0.008 + 100 x 0.001) / 200 = $0.0045 < W1's 0.005: p4 -> W1. Every child is the whole parent,
    IOC, no limit. WX never: it does not trade XYZ.
    """
    router, ctx = started()
    assert route_and_fill(router, ctx, 1, 10.015).venue == "W1"
    assert route_and_fill(router, ctx, 2, 10.012).venue == "W2"
    assert route_and_fill(router, ctx, 3, 10.019).venue == "W2"
    assert route_and_fill(router, ctx, 4, None).venue == "W1"
    assert [(s.qty, s.price, s.tif) for s in ctx.sent] == [(100, None, IOC)] * 4
    assert router.stats["W2"].mean_usd() == pytest.approx(0.0045)


def test_improvement_of_a_sell_is_measured_against_the_bid():
    """Sell 100 to W1 filled at 10.004: improvement 10.004 - 10.00 = $0.004/share."""
    router, ctx = started()
    route_and_fill(router, ctx, 1, 10.004, side=Side.SELL)
    assert router.stats["W1"].mean_usd() == pytest.approx(0.004)


def test_window_keeps_only_recent_fills():
    """window_fills=1: W1 $0.005, W2 $0.008; W2 gets p3 and improves only $0.001. With a window of one fill W2's
    average is that last fill, $0.001 < W1's 0.005: p4 -> W1."""
    router, ctx = started(window_fills=1)
    route_and_fill(router, ctx, 1, 10.015)
    route_and_fill(router, ctx, 2, 10.012)
    route_and_fill(router, ctx, 3, 10.019)
    assert router.stats["W2"].mean_usd() == pytest.approx(0.001)
    assert route_and_fill(router, ctx, 4, None).venue == "W1"


def test_non_marketable_flow_goes_lit():
    """Buy limit 9.99 < ask 10.02: not marketable, so it is posted as best-price posts, never sent to a wholesaler.

    Queues at 9.99: A bids 10.00, better than 9.99 (its depth is invisible: counted as endless); B bids 9.99 x 300
    (ahead 300): B.
    """
    router, ctx = started()
    router.on_parent(parent(1, Side.BUY, 100, limit_usd=9.99))
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent] == [("B", 100, px(9.99), DAY)]


def test_a_decline_reroutes_lit_and_the_decliner_ranks_last():
    """W1 declines p1 (DECLINED_SIZE): the 300 shares go lit as best-price: B 200 and A 100 at 10.02 (net tie;
    B shows more). p2 -> W2 (untried); after W2's fill, p3 -> W2: W1 has declined and never filled."""
    router, ctx = started()
    router.on_parent(parent(1, Side.BUY, 300))
    w1 = ctx.sent[0]
    assert w1.venue == "W1"
    router.on_reject(reject(w1, RejectReason.DECLINED_SIZE))
    assert [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent[1:]] == [("B", 200, px(10.02), IOC),
                                                                         ("A", 100, px(10.02), IOC)]
    assert route_and_fill(router, ctx, 2, 10.019).venue == "W2"
    assert route_and_fill(router, ctx, 3, None).venue == "W2"


def test_explore_every_sends_every_nth_marketable_parent_round_robin():
    """explore_every=3: p1 -> W1 ($0.005), p2 -> W2 ($0.008); p3 is the 3rd marketable parent: round robin starts
    with W1 although W2 is better; p4 -> W2 (the best)."""
    router, ctx = started(explore_every=3)
    route_and_fill(router, ctx, 1, 10.015)
    route_and_fill(router, ctx, 2, 10.012)
    assert route_and_fill(router, ctx, 3, 10.015).venue == "W1"
    assert route_and_fill(router, ctx, 4, None).venue == "W2"
