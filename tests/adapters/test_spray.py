"""spray: one callback sends an ISO IOC to every protected quote within the limit, price first, by displayed size.

Venues (USD per share): ``A`` take +0.0030 / make -0.0029, ``B`` inverted take -0.0002 / make +0.0003, ``C`` take
+0.0030 / make -0.0032, ``U`` an unprotected lit venue (its quote is not in the NBBO; an ISO need not sweep it).
"""

from __future__ import annotations

from adapters.reference import SprayRouter
from adapters.testing import FakeContext, fill, ioc_remainder, lit, parent, px
from venues.types import Side, TimeInForce

IOC, DAY = TimeInForce.IOC, TimeInForce.DAY


def started(extra=(), **params) -> tuple[SprayRouter, FakeContext]:
    ctx = FakeContext([
        lit("A", take_usd=0.0030, make_usd=-0.0029),
        lit("B", take_usd=-0.0002, make_usd=0.0003),
        lit("C", take_usd=0.0030, make_usd=-0.0032),
        lit("U", take_usd=-0.0010, make_usd=0.0010, protected=False),
        *extra,
    ])
    router = SprayRouter(SprayRouter.Params(**params))
    router.on_start(ctx)
    return router, ctx


def sends(ctx: FakeContext, start: int = 0) -> list[tuple[str, int, int | None, TimeInForce, bool]]:
    return [(s.venue, s.qty, s.price, s.tif, s.iso) for s in ctx.sent[start:]]


def test_all_children_go_out_in_the_parent_callback_as_iso_iocs_sized_to_displayed_depth():
    """Buy 1000 limit 10.01; asks A 10.00 x 100, B 10.00 x 300, C 10.01 x 400, U 9.99 x 500 (unprotected).

    Within the limit and protected: A, B, C. Price first (10.00 before 10.01), then net price (B 9.9998 before
    A 10.0030): B 300, A 100, C 400 = 800 shares, each its venue's displayed size, all ISO IOCs, all sent while
    on_parent runs. U's better price is not a protected quote: spray leaves it alone.
    """
    router, ctx = started()
    ctx.set_book("A", ask=(10.00, 100))
    ctx.set_book("B", ask=(10.00, 300))
    ctx.set_book("C", ask=(10.01, 400))
    ctx.set_book("U", ask=(9.99, 500))
    router.on_parent(parent(1, Side.BUY, 1_000, limit_usd=10.01))
    assert sends(ctx) == [
        ("B", 300, px(10.00), IOC, True), ("A", 100, px(10.00), IOC, True), ("C", 400, px(10.01), IOC, True),
    ]


def test_the_remainder_of_a_limit_order_posts_at_its_limit_once_the_sweep_is_answered():
    """Same sweep; B fills 300, A comes back unfilled, C fills 400: 1000 - 700 = 300 left.

    Nothing is offered within 10.01 any more, so 300 rest at 10.01 (DAY, not ISO) where the least is ahead at 10.01:
    bids A 10.00 (ahead (0, 0)), B 10.01 x 100 (ahead (0, 100)), C 10.00 (ahead (0, 0)); A and C tie on queue and
    the name decides: A (before issue 14, C's lower maker fee -0.0032 did).
    """
    router, ctx = started()
    ctx.set_book("A", ask=(10.00, 100))
    ctx.set_book("B", ask=(10.00, 300))
    ctx.set_book("C", ask=(10.01, 400))
    router.on_parent(parent(1, Side.BUY, 1_000, limit_usd=10.01))
    b, a, c = ctx.sent
    router.on_fill(fill(b, 300, leaves=0))
    router.on_cancelled(ioc_remainder(a, 100))
    assert len(ctx.sent) == 3  # C is still out
    ctx.set_book("A", bid=(10.00, 100), ask=(10.02, 100))
    ctx.set_book("B", bid=(10.01, 100), ask=(10.02, 100))
    ctx.set_book("C", bid=(10.00, 100), ask=(10.03, 100))
    router.on_fill(fill(c, 400, leaves=0))
    assert sends(ctx, 3) == [("A", 300, px(10.01), DAY, False)]


def test_price_comes_before_fees_so_no_better_protected_quote_is_left_behind():
    """Buy 100; A offers 10.00 (net 10.0030), E offers 10.01 but pays a $0.02 taker rebate (net 9.9900).

    A net-price ranking would take E; an ISO sweep must take A's better-priced protected quote first (and spray,
    like best-price, ranks by displayed price anyway), and 100 shares is all A's size: spray sends A 100 @ 10.00.
    """
    router, ctx = started(extra=[lit("E", take_usd=-0.02, make_usd=0.02)])
    ctx.set_book("A", ask=(10.00, 100))
    ctx.set_book("E", ask=(10.01, 100))
    router.on_parent(parent(1, Side.BUY, 100))
    assert sends(ctx) == [("A", 100, px(10.00), IOC, True)]


def test_market_order_sweeps_only_within_its_collar():
    """Sell 1000 at market, collar 1 tick ($0.01) from the best bid 10.02: bids A 10.02 x 100, B 10.01 x 100,
    C 10.00 x 100 -> A and B only (C is 2 ticks away)."""
    router, ctx = started(collar_ticks=1)
    ctx.set_book("A", bid=(10.02, 100))
    ctx.set_book("B", bid=(10.01, 100))
    ctx.set_book("C", bid=(10.00, 100))
    router.on_parent(parent(1, Side.SELL, 1_000))
    assert sends(ctx) == [("A", 100, px(10.02), IOC, True), ("B", 100, px(10.01), IOC, True)]
