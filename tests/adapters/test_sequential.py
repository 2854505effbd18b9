"""sequential: one IOC at a time in net-price order, waiting for each answer, re-reading quotes; passes and posting.

Venues (USD per share): ``A`` take +0.0030 / make -0.0029, ``B`` inverted take -0.0002 / make +0.0003, ``C`` take
+0.0030 / make -0.0032.
"""

from __future__ import annotations

from adapters.reference import SequentialRouter
from adapters.testing import FakeContext, ack, fill, ioc_remainder, lit, parent, px
from venues.types import Side, TimeInForce

IOC, DAY = TimeInForce.IOC, TimeInForce.DAY


def started(**params) -> tuple[SequentialRouter, FakeContext]:
    ctx = FakeContext([
        lit("A", take_usd=0.0030, make_usd=-0.0029),
        lit("B", take_usd=-0.0002, make_usd=0.0003),
        lit("C", take_usd=0.0030, make_usd=-0.0032),
    ])
    router = SequentialRouter(SequentialRouter.Params(**params))
    router.on_start(ctx)
    return router, ctx


def sends(ctx: FakeContext, start: int = 0) -> list[tuple[str, int, int | None, TimeInForce]]:
    return [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent[start:]]


def test_one_child_at_a_time_in_net_price_order_each_after_the_previous_answer():
    """Buy 500 at market, one venue at a time.

    Step 1, books A 10.00 x 100, B 10.00 x 300, C 10.01 x 400; net cost B 9.9998 < A 10.0030 < C 10.0130:
    only B 300 @ 10.00 is sent. Its ack and a partial fill (200, leaves 100) send nothing: it is not answered yet.
    Its IOC remainder answers it: leaves 500 - 200 = 300. Step 2 re-reads the quotes (A now 10.00 x 50) and takes
    the best untried venue: A 50 @ 10.00. A fills 50: leaves 250. Step 3: C, min(400, 250) = 250 @ 10.01.
    """
    router, ctx = started()
    ctx.set_book("A", ask=(10.00, 100))
    ctx.set_book("B", ask=(10.00, 300))
    ctx.set_book("C", ask=(10.01, 400))
    router.on_parent(parent(1, Side.BUY, 500))
    assert sends(ctx) == [("B", 300, px(10.00), IOC)]
    (b,) = ctx.sent
    router.on_ack(ack(b))
    router.on_fill(fill(b, 200, leaves=100))
    assert len(ctx.sent) == 1
    ctx.set_book("A", ask=(10.00, 50))
    reads = ctx.quote_reads
    router.on_cancelled(ioc_remainder(b, 100))
    assert ctx.quote_reads > reads  # the quotes were read again before the next step
    assert sends(ctx, 1) == [("A", 50, px(10.00), IOC)]
    router.on_fill(fill(ctx.sent[1], 50, leaves=0))
    assert sends(ctx, 2) == [("C", 250, px(10.01), IOC)]
    assert all(not s.iso for s in ctx.sent)


def test_after_the_last_venue_a_new_pass_starts_from_the_freshly_ranked_best():
    """Buy 300: B 300 misses, A 100 misses, C 100 misses (pass 1: every venue tried).

    Pass 2 re-ranks the new books: B 10.02 x 100 (net 10.0198) and C 10.01 x 100 (net 10.0130): C first, for
    min(100, 300) = 100.
    """
    router, ctx = started()
    ctx.set_book("A", ask=(10.00, 100))
    ctx.set_book("B", ask=(10.00, 300))
    ctx.set_book("C", ask=(10.01, 100))
    router.on_parent(parent(1, Side.BUY, 300))
    for _ in range(3):
        router.on_cancelled(ioc_remainder(ctx.sent[-1], ctx.sent[-1].qty))
        if len(ctx.sent) == 3:
            break
    assert [s.venue for s in ctx.sent] == ["B", "A", "C"]
    ctx.set_book("A", ask=None)
    ctx.set_book("B", ask=(10.02, 100))
    router.on_cancelled(ioc_remainder(ctx.sent[-1], 100))
    assert sends(ctx, 3) == [("C", 100, px(10.01), IOC)]


def test_limit_order_never_goes_beyond_its_limit_and_posts_after_its_passes():
    """Buy 300 limit 10.00 with max_rounds=2: only A (10.00) is within the limit; it misses in both passes.

    Then the remainder posts at 10.00 where the least is ahead: bids A 9.99 (ahead (0 levels, 0 shares)),
    B 10.00 x 200 (ahead (0, 200)), C 9.98 (ahead (0, 0)); A and C tie on queue and the name decides: A 300 @ 10.00.
    (Before issue 14 C's lower maker fee, -0.0032, decided: a rebate the broker keeps.)
    """
    router, ctx = started(max_rounds=2)
    ctx.set_book("A", bid=(9.99, 100), ask=(10.00, 100))
    ctx.set_book("B", bid=(10.00, 200), ask=(10.01, 500))
    ctx.set_book("C", bid=(9.98, 100), ask=(10.02, 500))
    router.on_parent(parent(1, Side.BUY, 300, limit_usd=10.00))
    router.on_cancelled(ioc_remainder(ctx.sent[-1], 100))
    router.on_cancelled(ioc_remainder(ctx.sent[-1], 100))
    assert sends(ctx) == [("A", 100, px(10.00), IOC), ("A", 100, px(10.00), IOC), ("A", 300, px(10.00), DAY)]


def test_market_order_retries_without_quotes_and_stops_after_its_passes():
    """No offer: a timer of retry_delay_ns. With max_rounds=2: pass 1 found nothing, the retry finds A (still pass
    1), A misses; pass 2 tries A again, it misses; no pass is left, so nothing more is sent and no timer is set."""
    router, ctx = started(max_rounds=2, retry_delay_ns=7)
    router.on_parent(parent(4, Side.SELL, 100))
    assert ctx.sent == [] and ctx.timers == [(7, 4)]
    ctx.set_book("A", bid=(10.00, 100))
    router.on_timer(4)
    assert sends(ctx) == [("A", 100, px(10.00), IOC)]
    router.on_cancelled(ioc_remainder(ctx.sent[-1], 100))
    router.on_cancelled(ioc_remainder(ctx.sent[-1], 100))
    assert sends(ctx) == [("A", 100, px(10.00), IOC)] * 2 and len(ctx.timers) == 1
