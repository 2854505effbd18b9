"""Unit tests of the price-time priority order book: each test names the matching rule it checks.

Conventions: resting orders come from :func:`make_book` (owner ``MAKER``, ids in listed order, bids first); incoming
orders belong to ``TAKER`` and use ids from 100 up.
"""

from __future__ import annotations

import pytest

from tests.venues.builders import MAKER, TAKER, fills, make_book, snapshot
from venues.book import OrderBook
from venues.types import (
    Cancelled,
    CancelReason,
    Fill,
    Quote,
    QuoteUpdate,
    Reject,
    RejectReason,
    Side,
    TimeInForce,
)

BUY, SELL = Side.BUY, Side.SELL
IOC, FOK = TimeInForce.IOC, TimeInForce.FOK
TS = 1_000
"""Time of the operation under test (the builder uses 1, 2, ...)."""


# ---------------------------------------------------------------------------------------------------- builder


def test_builder_rests_orders_in_listed_order_with_consecutive_ids() -> None:
    """The builder's book holds exactly the listed orders, ids consecutive in listed order (bids first)."""
    book, ids = make_book(bids=[(100, [5, 3]), (99, [4])], asks=[(101, [2]), (103, [6, 1])])
    assert ids.bid == {100: [1, 2], 99: [3]}
    assert ids.ask == {101: [4], 103: [5, 6]}
    assert book.queue(BUY) == [(100, [(1, 5), (2, 3)]), (99, [(3, 4)])]
    assert book.queue(SELL) == [(101, [(4, 2)]), (103, [(5, 6), (6, 1)])]


def test_builder_refuses_a_crossed_book() -> None:
    """A builder book whose sides would trade is an error, not a silently different book."""
    with pytest.raises(ValueError, match="would not rest"):
        make_book(bids=[(101, [1])], asks=[(101, [1])])


def test_tick_must_be_positive() -> None:
    """A book with a non-positive tick cannot be built."""
    with pytest.raises(ValueError, match="tick"):
        OrderBook(tick=0)


# ---------------------------------------------------------------------------------------------------- limit orders


def test_limit_that_does_not_cross_rests() -> None:
    """A DAY limit that finds nothing to trade with rests at its price, and the new top is published."""
    book, _ = make_book(asks=[(101, [2])])
    events = book.submit(100, TAKER, BUY, 5, price=100, ts_ns=TS)
    assert events == [QuoteUpdate(TS, 100, 5, 101, 2)]
    assert book.queue(BUY) == [(100, [(100, 5)])]
    assert book.open_qty(100) == 5
    assert book.order_price(100) == 100
    assert 100 in book


def test_crossing_limit_trades_at_resting_price_best_level_first() -> None:
    """A crossing limit trades at the makers' prices, best first, not at its own limit."""
    book, _ = make_book(asks=[(101, [2]), (102, [3])])
    # Buy 4 @ 103: 2 @ 101 (order 1 done), then 2 @ 102 (order 2 leaves 1); nothing trades at 103.
    events = book.submit(100, TAKER, BUY, 4, price=103, ts_ns=TS)
    assert [(f.price, f.qty, f.maker_order_id) for f in fills(events)] == [(101, 2, 1), (102, 2, 2)]
    assert book.queue(SELL) == [(102, [(2, 1)])]
    assert 100 not in book


def test_sell_limit_sweeps_bids_from_highest_price_down() -> None:
    """For a sell the best contra level is the highest bid."""
    book, _ = make_book(bids=[(100, [3]), (99, [4]), (98, [9])])
    # Sell 5 @ 99: 3 @ 100, 2 @ 99; 98 is below the limit and untouched.
    events = book.submit(100, TAKER, SELL, 5, price=99, ts_ns=TS)
    assert [(f.price, f.qty) for f in fills(events)] == [(100, 3), (99, 2)]
    assert book.queue(BUY) == [(99, [(2, 2)]), (98, [(3, 9)])]


def test_fills_within_a_level_are_fifo() -> None:
    """Within a price level, the earliest resting order trades first."""
    book, ids = make_book(asks=[(101, [2, 3, 4])])
    # Buy 6: order 1 gives 2, order 2 gives 3, order 3 gives 1 and keeps 3.
    events = book.submit(100, TAKER, BUY, 6, price=101, ts_ns=TS)
    assert [(f.maker_order_id, f.qty) for f in fills(events)] == [(1, 2), (2, 3), (3, 1)]
    assert book.queue(SELL) == [(101, [(ids.ask[101][2], 3)])]


def test_partial_fill_rests_the_remainder_at_the_limit() -> None:
    """What a DAY limit cannot fill rests at its limit price with the remaining quantity."""
    book, _ = make_book(asks=[(101, [2])])
    events = book.submit(100, TAKER, BUY, 5, price=101, ts_ns=TS)
    # 2 trade, 3 rest as the new best bid; the ask side is now empty.
    assert events == [
        Fill(TS, 101, 2, BUY, 1, MAKER, 100, TAKER, 0, 3),
        QuoteUpdate(TS, 101, 3, None, 0),
    ]
    assert book.queue(BUY) == [(101, [(100, 3)])]
    assert book.open_qty(100) == 3


def test_limit_does_not_trade_beyond_its_limit() -> None:
    """Matching stops at the first contra level worse than the limit; the rest rests."""
    book, _ = make_book(asks=[(101, [2]), (103, [5])])
    events = book.submit(100, TAKER, BUY, 4, price=102, ts_ns=TS)
    assert [(f.price, f.qty) for f in fills(events)] == [(101, 2)]
    assert book.queue(BUY) == [(102, [(100, 2)])]
    assert book.queue(SELL) == [(103, [(2, 5)])]


def test_a_cancelled_order_at_the_front_does_not_trade() -> None:
    """A cancelled order gives up its place: the next order in the level trades instead."""
    book, _ = make_book(asks=[(101, [2, 3])])
    book.cancel(1, owner=MAKER, ts_ns=TS)
    events = book.submit(100, TAKER, BUY, 3, price=101, ts_ns=TS + 1)
    assert [(f.maker_order_id, f.qty, f.maker_leaves) for f in fills(events)] == [(2, 3, 0)]
    assert book.queue(SELL) == []


def test_no_self_trade_prevention() -> None:
    """Two orders of the same owner trade with each other (the book has no self-trade prevention)."""
    book, _ = make_book(asks=[(101, [2])])
    events = book.submit(100, MAKER, BUY, 2, price=101, ts_ns=TS)
    (fill,) = fills(events)
    assert (fill.maker_owner, fill.taker_owner, fill.qty) == (MAKER, MAKER, 2)


# ---------------------------------------------------------------------------------------------------- market orders


def test_market_order_sweeps_and_cancels_its_remainder() -> None:
    """A market order takes every level it needs; what the side cannot supply is cancelled (MARKET_REMAINDER)."""
    book, _ = make_book(bids=[(99, [1])], asks=[(101, [2]), (102, [3])])
    # Buy 10 at market: 2 @ 101, 3 @ 102, and the other 5 are cancelled; events are fills, cancel, quote.
    events = book.submit(100, TAKER, BUY, 10, price=None, ts_ns=TS)
    assert events == [
        Fill(TS, 101, 2, BUY, 2, MAKER, 100, TAKER, 0, 8),
        Fill(TS, 102, 3, BUY, 3, MAKER, 100, TAKER, 0, 5),
        Cancelled(100, TAKER, 5, CancelReason.MARKET_REMAINDER),
        QuoteUpdate(TS, 99, 1, None, 0),
    ]
    assert 100 not in book
    assert book.queue(SELL) == []


def test_market_order_filled_in_full_has_no_cancel() -> None:
    """A market order the side can fill leaves no remainder to cancel."""
    book, _ = make_book(bids=[(100, [5])])
    events = book.submit(100, TAKER, SELL, 3, price=None, ts_ns=TS)
    # 3 of the 5 @ 100 trade; the bid shrinks to 2.
    assert events == [Fill(TS, 100, 3, SELL, 1, MAKER, 100, TAKER, 2, 0), QuoteUpdate(TS, 100, 2, None, 0)]


def test_market_order_into_an_empty_side_is_cancelled_whole() -> None:
    """A market order with no contra liquidity is cancelled in full and the book (and quote) is unchanged."""
    book, _ = make_book(bids=[(100, [5])])
    before = snapshot(book)
    events = book.submit(100, TAKER, BUY, 5, price=None, ts_ns=TS)
    assert events == [Cancelled(100, TAKER, 5, CancelReason.MARKET_REMAINDER)]
    assert snapshot(book) == before


def test_market_order_cannot_be_post_only() -> None:
    """A post-only order needs a price: a post-only market order is rejected as INVALID_PRICE."""
    book, _ = make_book(asks=[(101, [2])])
    events = book.submit(100, TAKER, BUY, 1, price=None, ts_ns=TS, post_only=True)
    assert events == [Reject(100, TAKER, RejectReason.INVALID_PRICE)]


# ---------------------------------------------------------------------------------------------------- IOC


def test_ioc_remainder_is_cancelled() -> None:
    """An IOC trades what it can at once and its remainder is cancelled (IOC_REMAINDER), never rested."""
    book, _ = make_book(asks=[(101, [2])])
    events = book.submit(100, TAKER, BUY, 5, price=101, ts_ns=TS, tif=IOC)
    assert events == [
        Fill(TS, 101, 2, BUY, 1, MAKER, 100, TAKER, 0, 3),
        Cancelled(100, TAKER, 3, CancelReason.IOC_REMAINDER),
        QuoteUpdate(TS, None, 0, None, 0),
    ]
    assert 100 not in book
    assert book.queue(BUY) == []


def test_ioc_that_cannot_trade_is_cancelled_whole_and_book_unchanged() -> None:
    """An IOC priced away from the contra side is cancelled in full without touching the book."""
    book, _ = make_book(bids=[(99, [1])], asks=[(105, [2])])
    before = snapshot(book)
    events = book.submit(100, TAKER, BUY, 5, price=101, ts_ns=TS, tif=IOC)
    assert events == [Cancelled(100, TAKER, 5, CancelReason.IOC_REMAINDER)]
    assert snapshot(book) == before


# ---------------------------------------------------------------------------------------------------- FOK


def test_fok_with_exactly_enough_across_two_levels_fills_completely() -> None:
    """An FOK fills when the contra side holds exactly its quantity within its limit, across levels."""
    book, _ = make_book(asks=[(101, [2]), (102, [3]), (103, [7])])
    # Within 102 there are 2 + 3 = 5 shares, exactly the 5 wanted.
    events = book.submit(100, TAKER, BUY, 5, price=102, ts_ns=TS, tif=FOK)
    assert events == [
        Fill(TS, 101, 2, BUY, 1, MAKER, 100, TAKER, 0, 3),
        Fill(TS, 102, 3, BUY, 2, MAKER, 100, TAKER, 0, 0),
        QuoteUpdate(TS, None, 0, 103, 7),
    ]
    assert 100 not in book


def test_fok_one_share_short_is_rejected_without_trading() -> None:
    """An FOK the side cannot fill in full is rejected (FOK_NOT_FILLABLE): no fill, no book change."""
    book, _ = make_book(asks=[(101, [2]), (102, [3])])
    before = snapshot(book)
    # 6 wanted, only 2 + 3 = 5 on offer.
    events = book.submit(100, TAKER, BUY, 6, price=102, ts_ns=TS, tif=FOK)
    assert events == [Reject(100, TAKER, RejectReason.FOK_NOT_FILLABLE)]
    assert snapshot(book) == before


def test_fok_counts_only_levels_within_its_limit() -> None:
    """Shares beyond an FOK's limit do not count: 5 on the side but only 2 at or under 101 means a reject."""
    book, _ = make_book(asks=[(101, [2]), (102, [3])])
    before = snapshot(book)
    events = book.submit(100, TAKER, BUY, 5, price=101, ts_ns=TS, tif=FOK)
    assert events == [Reject(100, TAKER, RejectReason.FOK_NOT_FILLABLE)]
    assert snapshot(book) == before


def test_fok_sell_counts_bids_within_its_limit() -> None:
    """The FOK availability check works on the bid side too (highest bids first, stop below the limit)."""
    book, _ = make_book(bids=[(100, [2]), (99, [3]), (98, [10])])
    before = snapshot(book)
    # At or above 99 there are 2 + 3 = 5: selling 6 is rejected, selling 5 fills.
    assert book.submit(100, TAKER, SELL, 6, price=99, ts_ns=TS, tif=FOK) == [
        Reject(100, TAKER, RejectReason.FOK_NOT_FILLABLE)
    ]
    assert snapshot(book) == before
    events = book.submit(101, TAKER, SELL, 5, price=99, ts_ns=TS, tif=FOK)
    assert [(f.price, f.qty) for f in fills(events)] == [(100, 2), (99, 3)]


def test_fok_market_order_fills_all_or_is_rejected() -> None:
    """An FOK market order has no limit: it fills if the whole side suffices, otherwise it is rejected."""
    book, _ = make_book(asks=[(101, [2]), (150, [3])])
    assert book.submit(100, TAKER, BUY, 6, price=None, ts_ns=TS, tif=FOK) == [
        Reject(100, TAKER, RejectReason.FOK_NOT_FILLABLE)
    ]
    events = book.submit(101, TAKER, BUY, 5, price=None, ts_ns=TS, tif=FOK)
    assert [(f.price, f.qty) for f in fills(events)] == [(101, 2), (150, 3)]
    assert not any(isinstance(e, Cancelled) for e in events)


def test_fok_is_not_fooled_by_a_cancelled_order() -> None:
    """Cancelled shares are not available to an FOK."""
    book, _ = make_book(asks=[(101, [2, 3])])
    book.cancel(2, owner=MAKER, ts_ns=TS)
    # Only order 1's 2 shares remain.
    assert book.submit(100, TAKER, BUY, 3, price=101, ts_ns=TS, tif=FOK) == [
        Reject(100, TAKER, RejectReason.FOK_NOT_FILLABLE)
    ]


# ---------------------------------------------------------------------------------------------------- post-only


@pytest.mark.parametrize("price", [101, 102], ids=["locks-best-ask", "crosses-best-ask"])
def test_post_only_buy_that_would_lock_or_cross_is_rejected(price: int) -> None:
    """A post-only buy at or through the best ask would trade on arrival, so it is rejected and nothing changes."""
    book, _ = make_book(bids=[(99, [1])], asks=[(101, [2])])
    before = snapshot(book)
    events = book.submit(100, TAKER, BUY, 1, price=price, ts_ns=TS, post_only=True)
    assert events == [Reject(100, TAKER, RejectReason.POST_ONLY_WOULD_CROSS)]
    assert snapshot(book) == before


@pytest.mark.parametrize("price", [100, 99], ids=["locks-best-bid", "crosses-best-bid"])
def test_post_only_sell_that_would_lock_or_cross_is_rejected(price: int) -> None:
    """A post-only sell at or through the best bid is rejected."""
    book, _ = make_book(bids=[(100, [2])], asks=[(102, [1])])
    before = snapshot(book)
    events = book.submit(100, TAKER, SELL, 1, price=price, ts_ns=TS, post_only=True)
    assert events == [Reject(100, TAKER, RejectReason.POST_ONLY_WOULD_CROSS)]
    assert snapshot(book) == before


def test_post_only_that_does_not_cross_rests() -> None:
    """A post-only order one tick inside the spread rests like a plain limit."""
    book, _ = make_book(bids=[(99, [1])], asks=[(102, [2])])
    events = book.submit(100, TAKER, BUY, 4, price=101, ts_ns=TS, post_only=True)
    assert events == [QuoteUpdate(TS, 101, 4, 102, 2)]
    assert book.queue(BUY) == [(101, [(100, 4)]), (99, [(1, 1)])]


def test_post_only_into_an_empty_contra_side_rests() -> None:
    """With no contra side there is nothing to cross, so a post-only order rests."""
    book, _ = make_book()
    events = book.submit(100, TAKER, SELL, 3, price=50, ts_ns=TS, post_only=True)
    assert events == [QuoteUpdate(TS, None, 0, 50, 3)]


# ---------------------------------------------------------------------------------------------------- cancel


def test_cancel_removes_the_order_and_reports_its_open_quantity() -> None:
    """Cancel reports the order's open quantity (after partial fills), removes it and publishes the new top."""
    book, _ = make_book(bids=[(99, [4])], asks=[(101, [5])])
    book.submit(100, TAKER, BUY, 2, price=101, ts_ns=TS)  # order 2 (the ask) keeps 3 of 5
    events = book.cancel(2, owner=MAKER, ts_ns=TS + 1)
    assert events == [
        Cancelled(2, MAKER, 3, CancelReason.REQUESTED),
        QuoteUpdate(TS + 1, 99, 4, None, 0),
    ]
    assert 2 not in book
    assert book.open_qty(2) == 0
    assert book.order_price(2) is None
    assert book.queue(SELL) == []


def test_cancel_of_an_unknown_order_is_rejected() -> None:
    """Cancelling an id the book does not hold is rejected as UNKNOWN_ORDER."""
    book, _ = make_book(asks=[(101, [5])])
    assert book.cancel(42, owner=MAKER, ts_ns=TS) == [Reject(42, MAKER, RejectReason.UNKNOWN_ORDER)]


def test_cancel_by_another_owner_is_rejected_and_the_order_stays() -> None:
    """Only the owner can cancel: another owner's cancel is rejected as UNKNOWN_ORDER and changes nothing."""
    book, _ = make_book(asks=[(101, [5])])
    before = snapshot(book)
    assert book.cancel(1, owner=TAKER, ts_ns=TS) == [Reject(1, TAKER, RejectReason.UNKNOWN_ORDER)]
    assert snapshot(book) == before


def test_cancel_of_a_done_order_is_rejected() -> None:
    """An order already cancelled, or fully filled, is unknown to the book."""
    book, _ = make_book(asks=[(101, [5, 1])])
    book.cancel(1, owner=MAKER, ts_ns=TS)
    book.submit(100, TAKER, BUY, 1, price=101, ts_ns=TS)  # fills order 2 completely
    assert book.cancel(1, owner=MAKER, ts_ns=TS) == [Reject(1, MAKER, RejectReason.UNKNOWN_ORDER)]
    assert book.cancel(2, owner=MAKER, ts_ns=TS) == [Reject(2, MAKER, RejectReason.UNKNOWN_ORDER)]
    assert len(book) == 0


# ---------------------------------------------------------------------------------------------------- replace


def test_replace_size_down_at_same_price_keeps_priority() -> None:
    """Reducing size at the same price keeps the order's place: it still trades before later orders."""
    book, _ = make_book(asks=[(101, [5, 5])])
    events = book.replace(1, owner=MAKER, qty=3, price=101, ts_ns=TS)
    assert events == [QuoteUpdate(TS, None, 0, 101, 8)]  # 3 + 5
    assert book.queue(SELL) == [(101, [(1, 3), (2, 5)])]
    # Buy 4: order 1 (still first) gives 3, then order 2 gives 1.
    taken = book.submit(100, TAKER, BUY, 4, price=101, ts_ns=TS + 1)
    assert [(f.maker_order_id, f.qty) for f in fills(taken)] == [(1, 3), (2, 1)]


def test_replace_to_the_same_size_and_price_keeps_priority() -> None:
    """A replace that changes nothing ("no more shares" at the same price) keeps the order's place."""
    book, _ = make_book(asks=[(101, [5, 5])])
    assert book.replace(1, owner=MAKER, qty=5, price=101, ts_ns=TS) == []
    assert book.queue(SELL) == [(101, [(1, 5), (2, 5)])]


def test_replace_size_up_loses_priority() -> None:
    """Increasing size re-enters the order at the back of its level."""
    book, _ = make_book(asks=[(101, [5, 5])])
    book.replace(1, owner=MAKER, qty=6, price=101, ts_ns=TS)
    assert book.queue(SELL) == [(101, [(2, 5), (1, 6)])]
    # Buy 4: order 2, now first, gives all 4.
    taken = book.submit(100, TAKER, BUY, 4, price=101, ts_ns=TS + 1)
    assert [(f.maker_order_id, f.qty) for f in fills(taken)] == [(2, 4)]


def test_replace_price_change_loses_priority_even_when_moved_back() -> None:
    """A price change re-enters the order at its new level's back; moving it back does not restore its place."""
    book, _ = make_book(asks=[(101, [5, 5])])
    book.replace(1, owner=MAKER, qty=5, price=102, ts_ns=TS)
    assert book.queue(SELL) == [(101, [(2, 5)]), (102, [(1, 5)])]
    book.replace(1, owner=MAKER, qty=5, price=101, ts_ns=TS + 1)
    assert book.queue(SELL) == [(101, [(2, 5), (1, 5)])]


def test_replace_price_change_joins_the_back_of_an_existing_level() -> None:
    """An order moved to a populated price queues behind the orders already there."""
    book, _ = make_book(asks=[(101, [5]), (102, [4, 2])])
    book.replace(1, owner=MAKER, qty=1, price=102, ts_ns=TS)
    assert book.queue(SELL) == [(102, [(2, 4), (3, 2), (1, 1)])]


def test_replace_to_a_crossing_price_trades_at_once() -> None:
    """A replace whose new price crosses matches immediately as a taker at the makers' prices; the rest rests."""
    book, _ = make_book(bids=[(100, [5])], asks=[(102, [3]), (103, [4])])
    # Bid 1 moves to 5 @ 102: takes the 3 @ 102 from ask 2, then 2 shares rest as the new best bid at 102.
    events = book.replace(1, owner=MAKER, qty=5, price=102, ts_ns=TS)
    assert events == [
        Fill(TS, 102, 3, BUY, 2, MAKER, 1, MAKER, 0, 2),
        QuoteUpdate(TS, 102, 2, 103, 4),
    ]
    assert book.queue(BUY) == [(102, [(1, 2)])]
    assert book.open_qty(1) == 2


def test_replace_to_zero_cancels() -> None:
    """Replacing to quantity 0 is a cancel: Cancelled (REQUESTED) with the open quantity."""
    book, _ = make_book(bids=[(100, [5])], asks=[(102, [3])])
    events = book.replace(1, owner=MAKER, qty=0, price=100, ts_ns=TS)
    assert events == [Cancelled(1, MAKER, 5, CancelReason.REQUESTED), QuoteUpdate(TS, None, 0, 102, 3)]
    assert 1 not in book


def test_replace_of_unknown_or_foreign_order_is_rejected() -> None:
    """Replace of an id the book does not hold, or by another owner, is rejected as UNKNOWN_ORDER."""
    book, _ = make_book(asks=[(101, [5])])
    before = snapshot(book)
    assert book.replace(42, owner=MAKER, qty=1, price=101, ts_ns=TS) == [Reject(42, MAKER, RejectReason.UNKNOWN_ORDER)]
    assert book.replace(1, owner=TAKER, qty=1, price=101, ts_ns=TS) == [Reject(1, TAKER, RejectReason.UNKNOWN_ORDER)]
    assert snapshot(book) == before


@pytest.mark.parametrize(
    ("qty", "price", "reason"),
    [
        (-1, 105, RejectReason.INVALID_QUANTITY),
        (1, 0, RejectReason.INVALID_PRICE),
        (1, -5, RejectReason.INVALID_PRICE),
        (1, 107, RejectReason.OFF_TICK),
    ],
)
def test_invalid_replace_is_rejected_and_changes_nothing(qty: int, price: int, reason: RejectReason) -> None:
    """A replace with a negative quantity, non-positive price or off-tick price is rejected with that reason."""
    book, _ = make_book(asks=[(105, [5])], tick=5)
    before = snapshot(book)
    assert book.replace(1, owner=MAKER, qty=qty, price=price, ts_ns=TS) == [Reject(1, MAKER, reason)]
    assert snapshot(book) == before


# ---------------------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("qty", "price", "reason"),
    [
        (0, 105, RejectReason.INVALID_QUANTITY),
        (-3, 105, RejectReason.INVALID_QUANTITY),
        (0, None, RejectReason.INVALID_QUANTITY),
        (1, 0, RejectReason.INVALID_PRICE),
        (1, -5, RejectReason.INVALID_PRICE),
        (1, 102, RejectReason.OFF_TICK),  # tick is 5
    ],
)
def test_invalid_submit_is_rejected_and_changes_nothing(qty: int, price: int | None, reason: RejectReason) -> None:
    """A submit with a non-positive quantity, a non-positive price or a price off the tick grid is rejected."""
    book, _ = make_book(bids=[(100, [1])], asks=[(110, [1])], tick=5)
    before = snapshot(book)
    assert book.submit(100, TAKER, BUY, qty, price=price, ts_ns=TS) == [Reject(100, TAKER, reason)]
    assert snapshot(book) == before
    assert 100 not in book


def test_duplicate_of_an_open_order_id_is_rejected() -> None:
    """An id already open in the book is rejected (DUPLICATE_ORDER_ID), whoever sends it, and nothing trades."""
    book, _ = make_book(bids=[(100, [1])], asks=[(101, [4])])
    before = snapshot(book)
    # Id 2 is the resting ask; this buy would otherwise trade with it.
    assert book.submit(2, TAKER, BUY, 3, price=101, ts_ns=TS) == [Reject(2, TAKER, RejectReason.DUPLICATE_ORDER_ID)]
    assert snapshot(book) == before


def test_id_of_a_finished_order_may_be_reused() -> None:
    """Ids need only be unique among open orders: once an order is gone its id may be used again."""
    book, _ = make_book(asks=[(101, [4])])
    book.cancel(1, owner=MAKER, ts_ns=TS)
    assert book.submit(1, TAKER, BUY, 3, price=100, ts_ns=TS) == [QuoteUpdate(TS, 100, 3, None, 0)]
    assert book.queue(BUY) == [(100, [(1, 3)])]


# ---------------------------------------------------------------------------------------------------- quote updates


def test_quote_update_when_top_price_improves() -> None:
    """A new best price publishes a QuoteUpdate with the operation's time."""
    book, _ = make_book(bids=[(100, [5])], asks=[(102, [3])])
    assert book.submit(100, TAKER, SELL, 2, price=101, ts_ns=TS) == [QuoteUpdate(TS, 100, 5, 101, 2)]


def test_quote_update_when_only_top_size_changes() -> None:
    """Joining the best level changes only the top size, which is still published."""
    book, _ = make_book(bids=[(100, [5])], asks=[(102, [3])])
    assert book.submit(100, TAKER, BUY, 2, price=100, ts_ns=TS) == [QuoteUpdate(TS, 100, 7, 102, 3)]


def test_no_quote_update_for_a_change_deeper_in_the_book() -> None:
    """Adding, resizing or cancelling an order behind the top leaves the top unchanged: no QuoteUpdate."""
    book, _ = make_book(bids=[(100, [5]), (99, [4])], asks=[(102, [3]), (103, [6])])
    assert book.submit(100, TAKER, BUY, 2, price=98, ts_ns=TS) == []
    assert book.submit(101, TAKER, SELL, 2, price=103, ts_ns=TS) == []
    assert book.replace(2, owner=MAKER, qty=1, price=99, ts_ns=TS) == []  # size down, keeps priority
    assert book.replace(4, owner=MAKER, qty=9, price=104, ts_ns=TS) == []  # moves deeper
    assert book.cancel(100, owner=TAKER, ts_ns=TS) == [Cancelled(100, TAKER, 2, CancelReason.REQUESTED)]
    assert book.quote(TS) == Quote(TS, 100, 5, 102, 3)


def test_no_quote_update_when_a_replace_leaves_the_top_as_it_was() -> None:
    """A replace to the same price and size changes nothing and publishes nothing."""
    book, _ = make_book(bids=[(100, [5])])
    assert book.replace(1, owner=MAKER, qty=5, price=100, ts_ns=TS) == []
    assert book.queue(BUY) == [(100, [(1, 5)])]


def test_no_quote_update_on_reject() -> None:
    """A rejected operation publishes nothing but the reject."""
    book, _ = make_book(asks=[(101, [2])])
    assert book.submit(100, TAKER, BUY, 1, price=101, ts_ns=TS, post_only=True) == [
        Reject(100, TAKER, RejectReason.POST_ONLY_WOULD_CROSS)
    ]


# ---------------------------------------------------------------------------------------------------- fill fields


def test_fill_fields_on_a_hand_worked_sweep() -> None:
    """Every Fill field (price, qty, side, maker/taker ids and owners, leaves) is right on a worked sweep."""
    book, ids = make_book(bids=[(100, [4])], asks=[(101, [3, 2]), (102, [5])])
    assert ids.ask == {101: [2, 3], 102: [4]}
    # TAKER buys 7 @ 102 as order 50:
    #   maker 2: 3 @ 101 -> maker leaves 0, taker leaves 7 - 3 = 4
    #   maker 3: 2 @ 101 -> maker leaves 0, taker leaves 4 - 2 = 2
    #   maker 4: 2 @ 102 -> maker leaves 5 - 2 = 3, taker leaves 0
    # New top: bid 100 x 4 (untouched), ask 102 x 3.
    events = book.submit(50, TAKER, BUY, 7, price=102, ts_ns=TS)
    assert events == [
        Fill(ts_ns=TS, price=101, qty=3, taker_side=BUY, maker_order_id=2, maker_owner=MAKER, taker_order_id=50,
             taker_owner=TAKER, maker_leaves=0, taker_leaves=4),
        Fill(ts_ns=TS, price=101, qty=2, taker_side=BUY, maker_order_id=3, maker_owner=MAKER, taker_order_id=50,
             taker_owner=TAKER, maker_leaves=0, taker_leaves=2),
        Fill(ts_ns=TS, price=102, qty=2, taker_side=BUY, maker_order_id=4, maker_owner=MAKER, taker_order_id=50,
             taker_owner=TAKER, maker_leaves=3, taker_leaves=0),
        QuoteUpdate(ts_ns=TS, bid=100, bid_size=4, ask=102, ask_size=3),
    ]  # fmt: skip
    assert book.open_qty(4) == 3


def test_fill_taker_side_is_the_aggressor_side_for_a_sell() -> None:
    """``taker_side`` is the incoming order's side; leaves count down on both sides."""
    book, _ = make_book(bids=[(100, [2, 6])])
    # Sell 5 @ 100: maker 1 gives 2 (taker leaves 3), maker 2 gives 3 (maker leaves 3, taker leaves 0).
    events = book.submit(60, TAKER, SELL, 5, price=100, ts_ns=TS)
    assert fills(events) == [
        Fill(TS, 100, 2, SELL, 1, MAKER, 60, TAKER, 0, 3),
        Fill(TS, 100, 3, SELL, 2, MAKER, 60, TAKER, 3, 0),
    ]


# ---------------------------------------------------------------------------------------------------- queries


def test_depth_lists_best_levels_first_with_open_totals() -> None:
    """depth() gives (price, open quantity) per level, best first, limited to ``levels`` (0 means all)."""
    book, _ = make_book(bids=[(100, [5, 3]), (99, [4]), (97, [1])], asks=[(101, [2]), (103, [6, 1])])
    book.cancel(2, owner=MAKER, ts_ns=TS)  # the 3 @ 100 no longer counts
    assert book.depth(BUY) == [(100, 5), (99, 4), (97, 1)]
    assert book.depth(BUY, levels=2) == [(100, 5), (99, 4)]
    assert book.depth(SELL, levels=1) == [(101, 2)]
    assert book.depth(SELL, levels=0) == [(101, 2), (103, 7)]


def test_depth_and_queue_of_an_empty_side_are_empty() -> None:
    """An empty side has no levels."""
    book, _ = make_book(bids=[(100, [1])])
    assert book.depth(SELL) == []
    assert book.queue(SELL) == []


def test_queue_shows_live_orders_only_with_open_quantities() -> None:
    """queue() skips cancelled and filled orders and shows partially filled ones with their open quantity."""
    book, _ = make_book(asks=[(101, [2, 3, 4]), (102, [5])])
    book.cancel(2, owner=MAKER, ts_ns=TS)
    book.submit(100, TAKER, BUY, 4, price=101, ts_ns=TS)  # order 1 gives 2, order 3 gives 2 and keeps 2
    assert book.queue(SELL) == [(101, [(3, 2)]), (102, [(4, 5)])]
    assert len(book) == 2
    assert sorted(book) == [3, 4]


def test_quote_and_best_prices_follow_the_top() -> None:
    """quote(), best_bid and best_ask report the current top; a missing side is None with size 0."""
    book, _ = make_book(bids=[(100, [5, 1])], asks=[(104, [2])])
    assert (book.best_bid, book.best_ask) == (100, 104)
    assert book.quote(TS) == Quote(TS, 100, 6, 104, 2)
    assert book.quote(TS).mid == 102.0
    book.cancel(3, owner=MAKER, ts_ns=TS)
    assert book.best_ask is None
    assert book.quote(TS) == Quote(TS, 100, 6, None, 0)
    assert book.quote(TS).mid is None
