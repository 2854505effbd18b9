"""best-price: fee-blind ranking by displayed price, split by displayed size, limits respected, posting, re-routing.

The router is the review's conflict-free benchmark: no fee, rebate or payment enters any of its choices (ties go to
size and queue, what the customer gets, then to the venue name), so swapping two venues' fees changes nothing.

Venues in every test (October 2012 style fees, USD per share):

* ``A`` maker-taker, take +0.0030 / make -0.0029
* ``B`` inverted,    take -0.0002 / make +0.0003
* ``C`` maker-taker, take +0.0030 / make -0.0032
"""

from __future__ import annotations

import numpy as np
import pytest

from adapters.reference import BestPriceRouter
from adapters.testing import (
    SYM,
    FakeContext,
    Sent,
    ack,
    fill,
    ioc_remainder,
    lit,
    parent,
    px,
    reject,
)
from venues.types import Side, TimeInForce

IOC, DAY = TimeInForce.IOC, TimeInForce.DAY


def venues():
    return [
        lit("A", take_usd=0.0030, make_usd=-0.0029),
        lit("B", take_usd=-0.0002, make_usd=0.0003),
        lit("C", take_usd=0.0030, make_usd=-0.0032),
    ]


def started(**params) -> tuple[BestPriceRouter, FakeContext]:
    ctx = FakeContext(venues())
    router = BestPriceRouter(BestPriceRouter.Params(**params))
    router.on_start(ctx)
    return router, ctx


def sends(ctx: FakeContext, start: int = 0) -> list[tuple[str, int, int | None, TimeInForce]]:
    return [(s.venue, s.qty, s.price, s.tif) for s in ctx.sent[start:]]


def test_buy_market_order_takes_best_displayed_prices_first_split_by_displayed_size():
    """Buy 500 at market: IOCs to B 300 @ 10.00, then A 100 @ 10.00, then C 100 @ 10.01.

    Ranking by displayed ask (fees ignored): A and B tie at 10.00 and B's 300 displayed beat A's 100 (the larger
    size first), then C at 10.01. Each child is min(displayed size, shares still unallocated): 300, 100, then
    500 - 400 = 100 of C's 400.
    """
    router, ctx = started()
    ctx.set_book("A", ask=(10.00, 100))
    ctx.set_book("B", ask=(10.00, 300))
    ctx.set_book("C", ask=(10.01, 400))
    router.on_parent(parent(1, Side.BUY, 500))
    assert sends(ctx) == [("B", 300, px(10.00), IOC), ("A", 100, px(10.00), IOC), ("C", 100, px(10.01), IOC)]
    assert all(s.side is Side.BUY and s.parent_id == 1 and not s.post_only for s in ctx.sent)


def test_sell_market_order_ranks_by_displayed_bid_then_by_size():
    """Sell 250 at market: A 200 @ 10.00, then C 50 @ 10.00; B's 9.99 bid is last.

    A and C tie at 10.00, broken by the larger displayed size (A's 200 before C's 100); B's 9.99 is worse even
    though B pays the taker $0.0002 (fees are not the customer's price). 200 from A leaves 50 for C.
    """
    router, ctx = started()
    ctx.set_book("A", bid=(10.00, 200))
    ctx.set_book("B", bid=(9.99, 300))
    ctx.set_book("C", bid=(10.00, 100))
    router.on_parent(parent(1, Side.SELL, 250))
    assert sends(ctx) == [("A", 200, px(10.00), IOC), ("C", 50, px(10.00), IOC)]
    assert all(s.side is Side.SELL for s in ctx.sent)


def test_equal_price_and_size_go_by_venue_name():
    """Ties on displayed price and size are broken by the venue name (A before C)."""
    router, ctx = started()
    ctx.set_book("C", ask=(10.00, 100))
    ctx.set_book("A", ask=(10.00, 100))
    router.on_parent(parent(1, Side.BUY, 150))
    assert sends(ctx) == [("A", 100, px(10.00), IOC), ("C", 50, px(10.00), IOC)]


@pytest.mark.parametrize(
    ("side", "limit", "books", "expected"),
    [
        # Buy limit 10.00: C's 10.01 is beyond it, so only B then A, even though 400 shares stay unallocated.
        (Side.BUY, 10.00, {"A": (10.00, 100), "B": (10.00, 300), "C": (10.01, 400)},
         [("B", 300, px(10.00), IOC), ("A", 100, px(10.00), IOC)]),
        # Sell limit 10.00: B's 9.99 bid is below it; A and C at 10.00 (net tie, A larger).
        (Side.SELL, 10.00, {"A": (10.00, 200), "B": (9.99, 300), "C": (10.00, 100)},
         [("A", 200, px(10.00), IOC), ("C", 100, px(10.00), IOC)]),
    ],
)
def test_marketable_limit_never_sends_beyond_its_limit(side, limit, books, expected):
    """Only venues whose displayed price is within the parent's limit are used."""
    router, ctx = started()
    for v, (price, size) in books.items():
        ctx.set_book(v, **({"ask": (price, size)} if side is Side.BUY else {"bid": (price, size)}))
    router.on_parent(parent(1, side, 800, limit_usd=limit))
    assert sends(ctx) == expected


def test_limit_is_respected_over_every_round_until_the_remainder_posts_at_the_limit():
    """Round after round, a buy limited at 10.00 sends nothing above 10.00; when nothing is left within it, it posts.

    Round 1: B 300 fills, A's 100 comes back unfilled (IOC remainder). Leaves 1000 - 300 = 700.
    Round 2: books now A 10.00 x 50, B 10.01, C 10.02 -> one IOC, A 50 @ 10.00; it fills. Leaves 650.
    Round 3: nothing at or below 10.00 -> post 650 @ 10.00 DAY where the least is ahead at 10.00:
    bids A 9.99 (we would be alone at 10.00: ahead (0 levels, 0 shares)), B 10.00 x 500 (ahead (0, 500)), C 9.98
    (ahead (0, 0)); A and C tie on queue and the name decides: A. (Before issue 14 the lower maker fee decided, C's
    -0.0032 rebate, which the broker keeps.)
    """
    router, ctx = started()
    ctx.set_book("A", ask=(10.00, 100))
    ctx.set_book("B", ask=(10.00, 300))
    ctx.set_book("C", ask=(10.01, 400))
    router.on_parent(parent(1, Side.BUY, 1_000, limit_usd=10.00))
    b, a = ctx.sent
    router.on_ack(ack(b))
    router.on_fill(fill(b, 300, leaves=0))
    ctx.set_book("A", ask=(10.00, 50))
    ctx.set_book("B", ask=(10.01, 900))
    ctx.set_book("C", ask=(10.02, 900))
    router.on_cancelled(ioc_remainder(a, 100))
    assert sends(ctx, 2) == [("A", 50, px(10.00), IOC)]
    ctx.set_book("A", bid=(9.99, 100), ask=(10.01, 100))
    ctx.set_book("B", bid=(10.00, 500), ask=(10.01, 900))
    ctx.set_book("C", bid=(9.98, 100), ask=(10.02, 900))
    router.on_fill(fill(ctx.sent[2], 50, leaves=0))
    assert sends(ctx, 3) == [("A", 650, px(10.00), DAY)]
    assert all(s.price is not None and s.price <= px(10.00) for s in ctx.sent)


@pytest.mark.parametrize(
    ("side", "limit", "bids", "asks", "venue"),
    [
        # Buy 9.99; every venue bids 9.99: the visible queues are 400, 100 and 250 -> B.
        (Side.BUY, 9.99, {"A": (9.99, 400), "B": (9.99, 100), "C": (9.99, 250)}, None, "B"),
        # B bids better than our limit (one level of 100 ahead, and its depth is invisible); A's 400 are at our
        # price (ahead (0, 400)); C's 9.98 leaves us alone at 9.99 (ahead (0, 0)) -> C.
        (Side.BUY, 9.99, {"A": (9.99, 400), "B": (10.00, 100), "C": (9.98, 250)}, None, "C"),
        # A and C both empty at 9.99 (ahead (0, 0)): the name wins, A (the maker fee used to decide: C's rebate).
        (Side.BUY, 9.99, {"A": (9.98, 1), "B": (9.99, 5), "C": None}, None, "A"),
        # Sell 10.02: C offers better (10.01: 100 price units, 10 shares ahead, deeper levels unseen); B's 10.02
        # queue of 50 is shorter than A's 500 -> B.
        (Side.SELL, 10.02, {"A": (9.90, 1), "B": (9.90, 1), "C": (9.90, 1)},
         {"A": (10.02, 500), "B": (10.02, 50), "C": (10.01, 10)}, "B"),
    ],
)
def test_non_marketable_limit_posts_at_its_limit_on_the_shortest_visible_queue(side, limit, bids, asks, venue):
    """No contra price within the limit: the whole order rests as one DAY order at the limit on the best venue."""
    router, ctx = started()
    for v in ("A", "B", "C"):
        if side is Side.BUY:
            ctx.set_book(v, bid=bids.get(v), ask=(10.00 if v != "B" else 10.01, 100))
        else:
            ctx.set_book(v, bid=bids.get(v), ask=asks.get(v))
    router.on_parent(parent(7, side, 300, limit_usd=limit))
    assert sends(ctx) == [(venue, 300, px(limit), DAY)]
    # Once posted, answers about the posted order do not start new routing.
    posted = ctx.sent[0]
    router.on_ack(ack(posted))
    router.on_fill(fill(posted, 100, leaves=200))
    router.on_fill(fill(posted, 200, leaves=0))
    assert len(ctx.sent) == 1 and ctx.timers == []


def test_reroutes_only_after_every_ioc_child_of_the_round_is_answered():
    """Round 2 starts when the last outstanding child comes back (fill with no leaves, IOC remainder or reject).

    Round 1 (as in the first test): B 300, A 100, C 100. Answers: B fills 300; A fills 60 then its 40 come back;
    nothing new is sent while C is outstanding. C's 100 come back -> leaves 500 - 360 = 140 -> round 2 against the
    new books: C's 10.01 beats A's 10.02 -> C 140 @ 10.01.
    """
    router, ctx = started()
    ctx.set_book("A", ask=(10.00, 100))
    ctx.set_book("B", ask=(10.00, 300))
    ctx.set_book("C", ask=(10.01, 400))
    router.on_parent(parent(1, Side.BUY, 500))
    b, a, c = ctx.sent
    for s in (b, a, c):
        router.on_ack(ack(s))
    router.on_fill(fill(b, 300, leaves=0))
    router.on_fill(fill(a, 60, leaves=40))
    router.on_cancelled(ioc_remainder(a, 40))
    assert len(ctx.sent) == 3
    ctx.set_book("A", ask=(10.02, 200))
    ctx.set_book("B", ask=None)
    ctx.set_book("C", ask=(10.01, 300))
    router.on_cancelled(ioc_remainder(c, 100))
    assert sends(ctx, 3) == [("C", 140, px(10.01), IOC)]
    # A reject also answers a child: round 3 after it, for the same 140 shares.
    router.on_reject(reject(ctx.sent[3]))
    assert sends(ctx, 4) == [("C", 140, px(10.01), IOC)]


def test_a_filled_parent_sends_nothing_more():
    """When fills cover the parent, the end of the round starts nothing."""
    router, ctx = started()
    ctx.set_book("B", ask=(10.00, 300))
    router.on_parent(parent(1, Side.BUY, 200))
    (b,) = ctx.sent
    router.on_fill(fill(b, 200, leaves=0))
    assert len(ctx.sent) == 1 and ctx.timers == []


def test_parents_are_routed_independently():
    """Answers about one parent's children never start a round for another parent."""
    router, ctx = started()
    ctx.set_book("A", ask=(10.00, 100))
    router.on_parent(parent(1, Side.BUY, 300))
    router.on_parent(parent(2, Side.BUY, 300))
    c1, c2 = ctx.sent
    assert (c1.parent_id, c2.parent_id) == (1, 2)
    router.on_cancelled(ioc_remainder(c1, 100))
    assert [s.parent_id for s in ctx.sent[2:]] == [1]


def test_market_order_stops_after_max_rounds():
    """With max_rounds=3 and every IOC coming back unfilled, exactly 3 rounds are sent, then nothing."""
    router, ctx = started(max_rounds=3)
    ctx.set_book("A", ask=(10.00, 100))
    router.on_parent(parent(1, Side.BUY, 100))
    for _ in range(10):
        last: Sent = ctx.sent[-1]
        router.on_cancelled(ioc_remainder(last, last.qty))
    assert sends(ctx) == [("A", 100, px(10.00), IOC)] * 3
    assert ctx.timers == []


def test_limit_order_posts_after_max_rounds():
    """With max_rounds=2, a marketable buy limit whose IOCs keep missing posts its remainder after round 2."""
    router, ctx = started(max_rounds=2)
    ctx.set_book("A", bid=(9.99, 100), ask=(10.00, 100))
    ctx.set_book("B", bid=(10.00, 700))
    ctx.set_book("C", bid=(10.00, 200))
    router.on_parent(parent(1, Side.BUY, 100, limit_usd=10.00))
    router.on_cancelled(ioc_remainder(ctx.sent[-1], 100))
    router.on_cancelled(ioc_remainder(ctx.sent[-1], 100))
    # Queues at 10.00: A 0 (its bid is 9.99), B 700, C 200 -> A.
    assert sends(ctx) == [("A", 100, px(10.00), IOC)] * 2 + [("A", 100, px(10.00), DAY)]


def test_market_order_without_contra_quotes_retries_after_the_delay():
    """No displayed offer anywhere: set a timer of retry_delay_ns for the parent; on it, route against new quotes."""
    router, ctx = started(retry_delay_ns=2_500_000)
    ctx.set_book("A", bid=(9.99, 100))
    router.on_parent(parent(9, Side.BUY, 100))
    assert ctx.sent == [] and ctx.timers == [(2_500_000, 9)]
    ctx.set_book("B", ask=(10.00, 50))
    router.on_timer(9)
    assert sends(ctx) == [("B", 50, px(10.00), IOC)]


def test_venues_not_trading_the_symbol_are_ignored():
    """A lit venue without the parent's symbol is never read or sent to."""
    ctx = FakeContext([*venues(), lit("D", take_usd=-0.001, make_usd=0.001, symbols=("OTHER",))])
    router = BestPriceRouter()
    router.on_start(ctx)
    ctx.set_book("D", ask=(9.00, 1_000))  # would be the best by far if it were considered
    ctx.set_book("A", ask=(10.00, 1_000))
    router.on_parent(parent(1, Side.BUY, 100))
    assert sends(ctx) == [("A", 100, px(10.00), IOC)]
    assert SYM not in ctx.venues["D"].symbols


def test_take_fees_and_taker_rebates_do_not_rank_venues():
    """Buy 300 at market, A and B both offer 10.00: A's 200 displayed beat B's 100 although B pays the taker.

    B (inverted) pays $0.0002 per share taken and A charges $0.0030: a net-price ranking would send B first. The
    broker keeps the rebate and pays the fee under the default ledger, so the customer's price is 10.00 at either:
    the larger displayed size (the likelier fill) goes first: A 200, then B 100.
    """
    router, ctx = started()
    ctx.set_book("A", ask=(10.00, 200))
    ctx.set_book("B", ask=(10.00, 100))
    router.on_parent(parent(1, Side.BUY, 300))
    assert sends(ctx) == [("A", 200, px(10.00), IOC), ("B", 100, px(10.00), IOC)]


def test_behind_the_touch_the_fewest_levels_then_the_fewest_visible_shares_ahead_win():
    """Buy limit 9.97 with every venue bidding better: the queue ahead is at least the levels in between.

    A bids 9.99 x 100 (2 ticks = 200 price units above the limit, 100 visible), B 9.98 x 900 (100 units, 900), C
    9.98 x 300 (100 units, 300): B and C have one level fewer between their best bid and our price than A; of
    those, C shows fewer shares ahead -> C. Before issue 14 all three tied on an "endless" queue and C won on its
    maker rebate (-0.0032); here the rebate plays no part (the next test swaps it away).
    """
    router, ctx = started()
    ctx.set_book("A", bid=(9.99, 100), ask=(10.00, 100))
    ctx.set_book("B", bid=(9.98, 900), ask=(10.00, 100))
    ctx.set_book("C", bid=(9.98, 300), ask=(10.00, 100))
    router.on_parent(parent(1, Side.BUY, 400, limit_usd=9.97))
    assert sends(ctx) == [("C", 400, px(9.97), DAY)]


def _swapped_fee_venues():
    """The three venues with A's and C's fees swapped (C now pays the smaller maker rebate) and B's inverted."""
    return [
        lit("A", take_usd=0.0030, make_usd=-0.0032),
        lit("B", take_usd=0.0030, make_usd=-0.0029),
        lit("C", take_usd=-0.0002, make_usd=0.0003),
    ]


def test_every_choice_stays_put_when_the_venues_fees_and_rebates_are_permuted():
    """Fee-blind: 300 random books, each routed (a market, a marketable and a resting limit parent) twice.

    Once with the venues' fees as above, once with the fees permuted across venues (A <- C's maker rebate, B <- A's,
    C <- B's inverted schedule). The child orders must be identical, posting included: no fee, rebate or taker
    rebate may move a choice. (With the old "lowest maker fee" posting tie-break, the resting parents went to C in
    the first world and to A in the second whenever two venues tied on queue.)
    """
    rng = np.random.default_rng(14)
    for _ in range(300):
        books = {}
        for v in ("A", "B", "C"):
            bid = round(10.00 - 0.01 * int(rng.integers(0, 3)), 2)
            books[v] = {"bid": (bid, int(rng.integers(1, 6)) * 100) if rng.random() < 0.9 else None,
                        "ask": (round(bid + 0.01 * int(rng.integers(1, 3)), 2), int(rng.integers(1, 6)) * 100)}
        runs = []
        for world in (venues(), _swapped_fee_venues()):
            ctx = FakeContext(world)
            router = BestPriceRouter()
            router.on_start(ctx)
            for v, book in books.items():
                ctx.set_book(v, **book)
            router.on_parent(parent(1, Side.BUY, 700))
            router.on_parent(parent(2, Side.SELL, 400, limit_usd=9.99))
            router.on_parent(parent(3, Side.BUY, 500, limit_usd=9.97))
            runs.append(sends(ctx))
        assert runs[0] == runs[1], books
