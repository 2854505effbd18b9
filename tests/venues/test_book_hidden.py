"""Hidden, reserve (iceberg) and minimum-quantity orders in the order book, and the book's venue primitives.

Every test states the rule in its name; known answers carry their working in a comment. Conventions: the book has
tick 1; ``M`` (maker) rests orders, ``T`` (taker) sends the incoming ones.
"""

from __future__ import annotations

from venues.book import OrderBook
from venues.types import (
    Cancelled,
    CancelReason,
    Event,
    Fill,
    QuoteUpdate,
    Reject,
    RejectReason,
    Side,
    TimeInForce,
)

M, T = 1, 2
BUY, SELL = Side.BUY, Side.SELL
DAY, IOC, FOK = TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK


def fills(events: list[Event]) -> list[tuple[int, int, int, int, int]]:
    """``(maker id, price, qty, maker leaves, taker leaves)`` of the fills, in order."""
    return [(e.maker_order_id, e.price, e.qty, e.maker_leaves, e.taker_leaves) for e in events if isinstance(e, Fill)]


def quotes(events: list[Event]) -> list[QuoteUpdate]:
    return [e for e in events if isinstance(e, QuoteUpdate)]


# ---------------------------------------------------------------------------------------------------- hidden orders


def test_hidden_order_rests_without_a_quote_update_and_is_not_in_the_quote() -> None:
    book = OrderBook()
    events = book.submit(1, M, SELL, 100, price=101, ts_ns=1, display_qty=0)
    assert events == []  # the displayed top (empty) did not change
    assert (book.best_bid, book.best_ask) == (None, None)
    assert book.depth(SELL) == [] and book.queue(SELL) == []
    assert book.hidden_queue(SELL) == [(101, [(1, 100)])]
    assert 1 in book and len(book) == 1 and book.open_qty(1) == 100
    info = book.order_info(1)
    assert info is not None and (info.open_qty, info.displayed_qty, info.display_qty) == (100, 0, 0)


def test_a_level_with_only_hidden_interest_is_invisible_to_quote_and_depth() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 50, price=101, ts_ns=1, display_qty=0)
    book.submit(2, M, SELL, 10, price=102, ts_ns=2)
    book.submit(3, M, SELL, 20, price=103, ts_ns=3)
    q = book.quote()
    assert (q.ask, q.ask_size) == (102, 10)
    assert book.depth(SELL, 1) == [(102, 10)]
    assert book.depth(SELL, 0) == [(102, 10), (103, 20)]


def test_hidden_interest_at_a_better_price_trades_first_price_priority() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 50, price=101, ts_ns=1, display_qty=0)
    book.submit(2, M, SELL, 10, price=102, ts_ns=2)
    events = book.submit(3, T, BUY, 30, price=102, ts_ns=3, tif=IOC)
    # The hidden 101 is a better price than the displayed 102: all 30 trade there, the quote does not move.
    assert fills(events) == [(1, 101, 30, 20, 0)]
    assert quotes(events) == []


def test_displayed_interest_trades_before_earlier_hidden_interest_at_the_same_price() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 50, price=101, ts_ns=1, display_qty=0)  # hidden, earlier
    book.submit(2, M, SELL, 10, price=101, ts_ns=2)  # displayed, later
    events = book.submit(3, T, BUY, 20, price=101, ts_ns=3, tif=IOC)
    # Displayed first: 10 from id 2, then 10 from the hidden id 1 (50 - 10 = 40 left).
    assert fills(events) == [(2, 101, 10, 0, 10), (1, 101, 10, 40, 0)]
    assert quotes(events) == [QuoteUpdate(3, None, 0, None, 0)]  # the displayed 10 is gone


def test_hidden_orders_trade_among_themselves_in_time_priority() -> None:
    book = OrderBook()
    book.submit(1, M, BUY, 5, price=100, ts_ns=1, display_qty=0)
    book.submit(2, M, BUY, 5, price=100, ts_ns=2, display_qty=0)
    events = book.submit(3, T, SELL, 7, price=None, ts_ns=3)
    assert fills(events) == [(1, 100, 5, 0, 2), (2, 100, 2, 3, 0)]


def test_cancelling_a_hidden_order_reports_its_open_quantity_and_no_quote_update() -> None:
    book = OrderBook()
    book.submit(9, M, BUY, 10, price=99, ts_ns=1)
    book.submit(1, M, BUY, 40, price=100, ts_ns=2, display_qty=0)
    assert book.cancel(1, owner=M, ts_ns=3) == [Cancelled(1, M, 40, CancelReason.REQUESTED)]
    assert book.hidden_queue(BUY) == [] and 1 not in book
    assert book.quote().bid == 99


def test_a_displayed_order_resting_below_a_hidden_only_level_updates_the_quote() -> None:
    book = OrderBook()
    book.submit(1, M, BUY, 40, price=100, ts_ns=1, display_qty=0)
    events = book.submit(2, M, BUY, 10, price=99, ts_ns=2)
    assert events == [QuoteUpdate(2, 99, 10, None, 0)]
    assert book.cancel(2, owner=M, ts_ns=3) == [
        Cancelled(2, M, 10, CancelReason.REQUESTED), QuoteUpdate(3, None, 0, None, 0)
    ]


def test_display_qty_at_least_the_quantity_is_a_plain_displayed_order() -> None:
    book = OrderBook()
    events = book.submit(1, M, SELL, 10, price=101, ts_ns=1, display_qty=10)
    assert events == [QuoteUpdate(1, None, 0, 101, 10)]
    info = book.order_info(1)
    assert info is not None and info.display_qty is None and info.displayed_qty == 10


# ---------------------------------------------------------------------------------------------------- reserve orders


def test_reserve_order_shows_only_its_display_quantity() -> None:
    book = OrderBook()
    events = book.submit(1, M, SELL, 100, price=101, ts_ns=1, display_qty=10)
    assert events == [QuoteUpdate(1, None, 0, 101, 10)]
    assert book.queue(SELL) == [(101, [(1, 10)])]
    assert book.hidden_queue(SELL) == [(101, [(1, 90)])]
    assert book.open_qty(1) == 100


def test_reserve_refresh_goes_to_the_back_of_the_displayed_queue_with_the_refresh_time() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 100, price=101, ts_ns=1, display_qty=10)  # R
    book.submit(2, M, SELL, 20, price=101, ts_ns=2)  # D, behind R's shown 10
    events = book.submit(3, T, BUY, 10, price=101, ts_ns=3, tif=IOC)
    # R's shown 10 trades (leaves 90), then R refreshes 10 from its reserve at the back, behind D.
    assert fills(events) == [(1, 101, 10, 90, 0)]
    assert book.queue(SELL) == [(101, [(2, 20), (1, 10)])]
    assert book.hidden_queue(SELL) == [(101, [(1, 80)])]
    info = book.order_info(1)
    assert info is not None and info.ts_ns == 3
    assert quotes(events) == []  # 10 + 20 shown before, 20 + 10 after: the displayed top did not change
    events = book.submit(4, T, BUY, 25, price=101, ts_ns=4, tif=IOC)
    # D first now (20), then R's refreshed 10 gives 5 (leaves 5 shown + 80 reserve = 85).
    assert fills(events) == [(2, 101, 20, 0, 5), (1, 101, 5, 85, 0)]


def test_reserve_parts_trade_after_displayed_interest_in_their_orders_entry_time_order() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 100, price=101, ts_ns=1, display_qty=10)  # R: 10 shown, 90 reserve (time 1)
    book.submit(2, M, SELL, 50, price=101, ts_ns=2, display_qty=0)  # H: hidden (time 2)
    book.submit(3, M, SELL, 20, price=101, ts_ns=3)  # D: displayed (time 3)
    events = book.submit(4, T, BUY, 60, price=101, ts_ns=4, tif=IOC)
    # Displayed queue: R 10 (leaves 90), D 20 (taker has 30 left); then non-displayed in time order: R's reserve
    # (time 1) before H (time 2): 30 from R, leaves 60. Then R refreshes 10 shown, 50 in reserve.
    assert fills(events) == [(1, 101, 10, 90, 50), (3, 101, 20, 0, 30), (1, 101, 30, 60, 0)]
    assert book.queue(SELL) == [(101, [(1, 10)])]
    assert book.hidden_queue(SELL) == [(101, [(1, 50), (2, 50)])]


def test_a_large_order_takes_a_whole_reserve_order_in_one_pass() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 100, price=101, ts_ns=1, display_qty=10)
    events = book.submit(2, T, BUY, 150, price=101, ts_ns=2, tif=IOC)
    # Shown 10, then the reserve 90; 50 of the taker's 150 are left and cancelled.
    assert fills(events) == [(1, 101, 10, 90, 140), (1, 101, 90, 0, 50)]
    assert Cancelled(2, T, 50, CancelReason.IOC_REMAINDER) in events
    assert len(book) == 0 and book.queue(SELL) == [] and book.hidden_queue(SELL) == []


def test_the_last_refresh_shows_what_is_left_of_the_reserve() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 25, price=101, ts_ns=1, display_qty=10)
    book.submit(2, T, BUY, 10, price=101, ts_ns=2, tif=IOC)  # refresh: 10 shown, 5 reserve
    book.submit(3, T, BUY, 10, price=101, ts_ns=3, tif=IOC)  # refresh: 5 shown, 0 reserve
    assert book.queue(SELL) == [(101, [(1, 5)])]
    assert book.hidden_queue(SELL) == []
    assert book.quote().ask_size == 5


def test_cancelling_a_reserve_order_reports_shown_plus_reserve_and_updates_the_quote() -> None:
    book = OrderBook()
    book.submit(1, M, BUY, 100, price=100, ts_ns=1, display_qty=10)
    assert book.cancel(1, owner=M, ts_ns=2) == [
        Cancelled(1, M, 100, CancelReason.REQUESTED), QuoteUpdate(2, None, 0, None, 0)
    ]


# ---------------------------------------------------------------------------------------------------- min-qty orders


def test_min_qty_is_allowed_only_on_hidden_orders_and_not_above_the_quantity() -> None:
    book = OrderBook()
    bad = RejectReason.INVALID_QUANTITY
    assert book.submit(1, M, BUY, 100, price=100, ts_ns=1, min_qty=10) == [Reject(1, M, bad)]  # displayed
    assert book.submit(1, M, BUY, 100, price=100, ts_ns=1, min_qty=10, display_qty=20) == [Reject(1, M, bad)]
    assert book.submit(1, M, BUY, 100, price=100, ts_ns=1, min_qty=101, display_qty=0) == [Reject(1, M, bad)]
    assert book.submit(1, M, BUY, 100, price=100, ts_ns=1, min_qty=-1, display_qty=0) == [Reject(1, M, bad)]
    assert book.submit(1, M, BUY, 100, price=100, ts_ns=1, display_qty=-1) == [Reject(1, M, bad)]
    assert len(book) == 0
    assert book.submit(1, M, BUY, 100, price=100, ts_ns=1, min_qty=100, display_qty=0) == []


def test_resting_min_qty_order_trades_only_with_incoming_orders_at_least_its_minimum() -> None:
    book = OrderBook()
    book.submit(1, M, BUY, 100, price=100, ts_ns=1, display_qty=0, min_qty=50)
    events = book.submit(2, T, SELL, 30, price=100, ts_ns=2, tif=IOC)
    assert fills(events) == [] and events == [Cancelled(2, T, 30, CancelReason.IOC_REMAINDER)]
    events = book.submit(3, T, SELL, 60, price=100, ts_ns=3, tif=IOC)
    assert fills(events) == [(1, 100, 60, 40, 0)]


def test_partly_filled_min_qty_order_below_its_minimum_trades_with_anyone_taking_all_of_it() -> None:
    book = OrderBook()
    book.submit(1, M, BUY, 100, price=100, ts_ns=1, display_qty=0, min_qty=50)
    book.submit(2, T, SELL, 60, price=100, ts_ns=2, tif=IOC)  # leaves 40 < 50: effective minimum is now 40
    assert fills(book.submit(3, T, SELL, 39, price=100, ts_ns=3, tif=IOC)) == []
    assert fills(book.submit(4, T, SELL, 40, price=100, ts_ns=4, tif=IOC)) == [(1, 100, 40, 0, 0)]


def test_incoming_order_too_small_passes_over_a_min_qty_order_to_later_ones() -> None:
    book = OrderBook()
    book.submit(1, M, BUY, 100, price=100, ts_ns=1, display_qty=0, min_qty=50)
    book.submit(2, M, BUY, 20, price=100, ts_ns=2, display_qty=0)
    events = book.submit(3, T, SELL, 30, price=100, ts_ns=3, tif=IOC)
    assert fills(events) == [(2, 100, 20, 0, 10)]
    assert book.hidden_queue(BUY) == [(100, [(1, 100)])]  # it keeps its place


def test_min_qty_is_checked_against_the_incoming_orders_remaining_quantity_at_that_moment() -> None:
    book = OrderBook()
    book.submit(1, M, BUY, 100, price=100, ts_ns=1, display_qty=0, min_qty=50)
    book.submit(2, M, BUY, 30, price=100, ts_ns=2)  # displayed: trades first
    events = book.submit(3, T, SELL, 70, price=100, ts_ns=3, tif=IOC)
    # 70 arrives (>= 50) but after the displayed 30 only 40 remain (< 50): the min-qty order is passed over.
    assert fills(events) == [(2, 100, 30, 0, 40)]
    assert Cancelled(3, T, 40, CancelReason.IOC_REMAINDER) in events


def test_incoming_min_qty_ioc_is_cancelled_whole_when_its_minimum_cannot_be_filled() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 50, price=101, ts_ns=1)
    book.submit(2, M, SELL, 20, price=102, ts_ns=2)
    events = book.submit(3, T, BUY, 100, price=101, ts_ns=3, tif=IOC, display_qty=0, min_qty=60)
    # Within 101 only 50 are available < 60: no trade at all.
    assert events == [Cancelled(3, T, 100, CancelReason.IOC_REMAINDER)]
    events = book.submit(4, T, BUY, 100, price=102, ts_ns=4, tif=IOC, display_qty=0, min_qty=60)
    # Within 102: 50 + 20 = 70 >= 60, so it trades all it can (70) and cancels 30.
    assert fills(events) == [(1, 101, 50, 0, 50), (2, 102, 20, 0, 30)]
    assert Cancelled(4, T, 30, CancelReason.IOC_REMAINDER) in events


def test_incoming_min_qty_day_order_that_cannot_get_its_minimum_rests_whole_and_may_cross() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 50, price=100, ts_ns=1)
    events = book.submit(2, T, BUY, 100, price=101, ts_ns=2, display_qty=0, min_qty=60)
    assert events == []  # rests hidden at 101 without trading, crossing the displayed 100 (the min-qty exception)
    assert book.hidden_queue(BUY) == [(101, [(2, 100)])]
    assert book.quote().bid is None and book.quote().ask == 100
    # A big enough seller trades with it at its (better) price 101.
    assert fills(book.submit(3, M, SELL, 60, price=100, ts_ns=3, tif=IOC)) == [(2, 101, 60, 40, 0)]


def test_incoming_min_qty_counts_contra_min_qty_conditions() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 100, price=100, ts_ns=1, display_qty=0, min_qty=80)
    book.submit(2, M, SELL, 30, price=100, ts_ns=2)
    # Incoming 70 min 40: displayed 30 first, then 40 remain < 80 so id 1 is out: only 30 fillable < 40.
    events = book.submit(3, T, BUY, 70, price=100, ts_ns=3, tif=IOC, display_qty=0, min_qty=40)
    assert events == [Cancelled(3, T, 70, CancelReason.IOC_REMAINDER)]


def test_min_qty_market_order_is_cancelled_whole_as_a_market_remainder() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 10, price=100, ts_ns=1)
    events = book.submit(2, T, BUY, 50, price=None, ts_ns=2, display_qty=0, min_qty=20)
    assert events == [Cancelled(2, T, 50, CancelReason.MARKET_REMAINDER)]


# ---------------------------------------------------------------------------------------------------- FOK, post-only


def test_fok_counts_hidden_and_reserve_interest() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 10, price=100, ts_ns=1)
    book.submit(2, M, SELL, 50, price=100, ts_ns=2, display_qty=0)
    book.submit(3, M, SELL, 40, price=101, ts_ns=3, display_qty=5)
    # 10 + 50 at 100 and 40 (5 shown + 35 reserve) at 101: 100 in all.
    events = book.submit(4, T, BUY, 100, price=101, ts_ns=4, tif=FOK)
    assert sum(f[2] for f in fills(events)) == 100
    assert book.submit(5, T, BUY, 1, price=101, ts_ns=5, tif=FOK) == [Reject(5, T, RejectReason.FOK_NOT_FILLABLE)]


def test_fok_cannot_count_a_min_qty_order_larger_than_it() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 50, price=100, ts_ns=1, display_qty=0, min_qty=50)
    book.submit(2, M, SELL, 10, price=100, ts_ns=2)
    assert book.submit(3, T, BUY, 20, price=100, ts_ns=3, tif=FOK) == [Reject(3, T, RejectReason.FOK_NOT_FILLABLE)]
    assert sum(f[2] for f in fills(book.submit(4, T, BUY, 60, price=100, ts_ns=4, tif=FOK))) == 60


def test_post_only_is_rejected_when_it_would_trade_with_hidden_interest() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 50, price=100, ts_ns=1, display_qty=0)
    assert book.submit(2, T, BUY, 10, price=100, ts_ns=2, post_only=True) == [
        Reject(2, T, RejectReason.POST_ONLY_WOULD_CROSS)
    ]


def test_post_only_may_rest_against_a_min_qty_order_it_could_not_trade_with() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 50, price=100, ts_ns=1, display_qty=0, min_qty=50)
    assert book.submit(2, T, BUY, 10, price=100, ts_ns=2, post_only=True) == [QuoteUpdate(2, 100, 10, None, 0)]


# ---------------------------------------------------------------------------------------------------- replace


def test_replace_reducing_a_reserve_order_cuts_the_reserve_first_and_keeps_priority() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 100, price=101, ts_ns=1, display_qty=10)
    book.submit(2, M, SELL, 10, price=101, ts_ns=2)
    assert book.replace(1, owner=M, qty=15, price=101, ts_ns=3) == []  # 100 -> 15: reserve 90 -> 5, shown 10 stays
    assert book.queue(SELL) == [(101, [(1, 10), (2, 10)])]
    assert book.hidden_queue(SELL) == [(101, [(1, 5)])]
    events = book.replace(1, owner=M, qty=4, price=101, ts_ns=4)  # reserve gone, shown 10 -> 4, still first
    assert events == [QuoteUpdate(4, None, 0, 101, 14)]
    assert book.queue(SELL) == [(101, [(1, 4), (2, 10)])]
    assert book.hidden_queue(SELL) == []


def test_replace_increasing_a_reserve_order_re_enters_it_with_the_same_display_size() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 20, price=101, ts_ns=1, display_qty=10)
    book.submit(2, M, SELL, 10, price=101, ts_ns=2)
    book.replace(1, owner=M, qty=50, price=101, ts_ns=3)
    assert book.queue(SELL) == [(101, [(2, 10), (1, 10)])]  # back of the queue, still showing 10
    assert book.hidden_queue(SELL) == [(101, [(1, 40)])]
    info = book.order_info(1)
    assert info is not None and (info.display_qty, info.ts_ns) == (10, 3)


def test_replace_keeps_a_hidden_orders_min_qty_when_it_re_enters() -> None:
    book = OrderBook()
    book.submit(1, M, BUY, 100, price=99, ts_ns=1, display_qty=0, min_qty=50)
    book.submit(2, M, SELL, 30, price=100, ts_ns=2)
    # Re-priced to 100 it could take the 30 offered, but 30 < its minimum 50: it rests without trading.
    events = book.replace(1, owner=M, qty=100, price=100, ts_ns=3)
    assert fills(events) == []
    info = book.order_info(1)
    assert info is not None and (info.price, info.min_qty, info.displayed_qty) == (100, 50, 0)
    assert fills(book.submit(3, T, SELL, 50, price=100, ts_ns=4, tif=IOC)) == [(1, 100, 50, 50, 0)]


def test_replace_of_a_hidden_order_to_a_crossing_price_trades_it() -> None:
    book = OrderBook()
    book.submit(1, M, BUY, 20, price=99, ts_ns=1, display_qty=0)
    book.submit(2, M, SELL, 30, price=100, ts_ns=2)
    events = book.replace(1, owner=M, qty=20, price=100, ts_ns=3)
    assert fills(events) == [(2, 100, 20, 10, 0)]
    assert 1 not in book


def test_replace_with_a_rest_price_trades_up_to_its_price_and_rests_at_the_rest_price() -> None:
    book = OrderBook(tick=1)
    book.submit(1, M, BUY, 10, price=99, ts_ns=1)
    book.submit(2, M, SELL, 5, price=101, ts_ns=2)
    events = book.replace(1, owner=M, qty=10, price=101, ts_ns=3, rest_price=100)
    # Trades 5 at 101, then the other 5 rest at 100 instead of 101.
    assert fills(events) == [(2, 101, 5, 0, 5)]
    assert book.queue(BUY) == [(100, [(1, 5)])]
    assert book.replace(1, owner=M, qty=5, price=99, ts_ns=4, rest_price=100) == [
        Reject(1, M, RejectReason.INVALID_PRICE)  # a rest price more aggressive than the price
    ]


# ---------------------------------------------------------------------------------------------------- primitives


def test_fillable_is_exact_and_worse_than_skips_the_better_prices() -> None:
    book = OrderBook()
    book.submit(1, M, SELL, 10, price=100, ts_ns=1)
    book.submit(2, M, SELL, 20, price=101, ts_ns=2, display_qty=0)
    book.submit(3, M, SELL, 40, price=102, ts_ns=3)
    assert book.fillable(BUY, 1_000, limit=101) == 30  # 10 + 20
    assert book.fillable(BUY, 25, limit=None) == 25
    assert book.fillable(BUY, 1_000, limit=None, worse_than=100) == 60  # 20 + 40
    assert book.fillable(SELL, 1_000, limit=None) == 0


def test_match_rest_and_publish_compose_a_submit() -> None:
    a, b = OrderBook(), OrderBook()
    for book in (a, b):
        book.submit(1, M, SELL, 10, price=100, ts_ns=1)
    expected = a.submit(2, T, BUY, 15, price=100, ts_ns=2, display_qty=5)
    events: list[Event] = []
    left = b.match(2, T, BUY, 15, limit=100, ts_ns=2, events=events)
    b.rest(2, T, BUY, left, price=100, ts_ns=2, display_qty=5)
    b.publish(2, events)
    assert events == expected
    assert a.queue(BUY) == b.queue(BUY) and a.hidden_queue(BUY) == b.hidden_queue(BUY)


def test_validate_reports_what_submit_would_reject() -> None:
    book = OrderBook(tick=5)
    book.submit(1, M, BUY, 10, price=100, ts_ns=1)
    assert book.validate(1, M, 10, price=100) == Reject(1, M, RejectReason.DUPLICATE_ORDER_ID)
    assert book.validate(2, M, 10, price=101) == Reject(2, M, RejectReason.OFF_TICK)
    assert book.validate(2, M, 0, price=100) == Reject(2, M, RejectReason.INVALID_QUANTITY)
    assert book.validate(2, M, 10, price=None, post_only=True) == Reject(2, M, RejectReason.INVALID_PRICE)
    assert book.validate(2, M, 10, price=100, display_qty=0, min_qty=10) is None
