"""Lit venue rules: order protection (Rule 611), post-only, lock/cross (Rule 610(d)), ISO and midpoint pegs.

Books have tick 1 so the prices read as ticks. ``away`` is the best protected (bid, ask) on the other venues.
"""

from __future__ import annotations

import pytest

from venues.fees import FeeSchedule
from venues.types import (
    Cancelled,
    CancelReason,
    Event,
    Fill,
    QuoteUpdate,
    Reject,
    RejectReason,
    RouteOut,
    Side,
    TimeInForce,
)
from venues.venue import LitRules, LitVenue, VenueInfo, VenueKind

S = "AAA"
M, T = 1, 2
BUY, SELL = Side.BUY, Side.SELL
DAY, IOC, FOK = TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK


def make_venue(*, bids: list[tuple[int, int]] = (), asks: list[tuple[int, int]] = (), **rules: str) -> LitVenue:  # type: ignore[assignment]
    """A protected lit venue with resting displayed orders ``(price, qty)``, ids 101, 102, ... in the order listed."""
    info = VenueInfo(name="L", kind=VenueKind.LIT, fees=FeeSchedule(3000, -2000), protected=True, symbols=(S,))
    venue = LitVenue(info, ticks={S: 1}, **rules)  # type: ignore[arg-type]
    oid = 101
    for side, levels in ((BUY, bids), (SELL, asks)):
        for price, qty in levels:
            venue.submit(S, oid, M, side, qty, price=price, ts_ns=0)
            oid += 1
    return venue


def fills(events: list[Event]) -> list[tuple[int, int, int]]:
    """``(maker id, price, qty)``."""
    return [(e.maker_order_id, e.price, e.qty) for e in events if isinstance(e, Fill)]


def test_rules_are_validated_with_the_field_named() -> None:
    with pytest.raises(ValueError, match="protection"):
        LitRules(protection="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lock_cross"):
        make_venue(lock_cross="sometimes")


# ---------------------------------------------------------------------------------------------------- Rule 611


def test_reject_policy_rejects_an_order_that_would_trade_through_the_away_ask_before_trading() -> None:
    venue = make_venue(asks=[(101, 10), (103, 10)])
    # 15 to buy up to 103: 10 at 101, then 5 at 103, above the away ask 102: a trade-through.
    events = venue.submit(S, 1, T, BUY, 15, price=103, ts_ns=1, away=(None, 102))
    assert events == [Reject(1, T, RejectReason.TRADE_THROUGH)]
    assert venue.books[S].depth(SELL, 0) == [(101, 10), (103, 10)]  # nothing traded


def test_reject_policy_lets_an_order_through_the_away_quote_trade_if_it_fills_at_no_worse_prices() -> None:
    venue = make_venue(asks=[(101, 10), (103, 10)])
    events = venue.submit(S, 1, T, BUY, 10, price=103, ts_ns=1, tif=IOC, away=(None, 102))
    assert fills(events) == [(101, 101, 10)]  # ask ids: 101 at 101, 102 at 103


def test_reject_policy_rejects_a_sell_below_the_away_bid() -> None:
    venue = make_venue(bids=[(99, 10), (97, 10)])
    assert venue.submit(S, 1, T, SELL, 15, price=97, ts_ns=1, away=(98, None)) == [
        Reject(1, T, RejectReason.TRADE_THROUGH)
    ]


def test_a_market_order_is_through_any_away_quote() -> None:
    venue = make_venue(asks=[(103, 10)])
    assert venue.submit(S, 1, T, BUY, 5, price=None, ts_ns=1, away=(None, 102)) == [
        Reject(1, T, RejectReason.TRADE_THROUGH)
    ]
    events = make_venue(asks=[(102, 10)]).submit(S, 1, T, BUY, 5, price=None, ts_ns=1, away=(None, 102))
    assert fills(events) == [(101, 102, 5)]  # at the away price: not a trade-through


def test_reject_policy_remainder_through_the_away_quote_rests_repriced_one_tick_behind_it() -> None:
    venue = make_venue(asks=[(101, 10)])
    events = venue.submit(S, 1, T, BUY, 15, price=103, ts_ns=1, away=(None, 102))
    # 10 trade at 101 (not through 102); the other 5 would be displayed at 103, crossing 102: re-priced to 101.
    assert fills(events) == [(101, 101, 10)]
    assert venue.books[S].queue(BUY) == [(101, [(1, 5)])]
    assert events[-1] == QuoteUpdate(1, 101, 5, None, 0)


def test_route_out_executes_up_to_the_away_quote_and_returns_the_rest_as_a_route_out() -> None:
    venue = make_venue(asks=[(101, 10), (103, 10)], protection="route_out")
    events = venue.submit(S, 1, T, BUY, 15, price=103, ts_ns=1, away=(None, 102))
    # Limit clipped to 102: 10 at 101 here, the other 5 go out to the venue showing 102, still limited at 103.
    assert fills(events) == [(101, 101, 10)]
    assert RouteOut(1, T, BUY, 5, 103) in events
    assert not any(isinstance(e, Cancelled) for e in events)
    assert 1 not in venue.books[S]


def test_route_out_of_a_market_order_keeps_no_limit() -> None:
    venue = make_venue(asks=[(104, 10)], protection="route_out")
    assert venue.submit(S, 1, T, SELL, 5, price=None, ts_ns=1, away=(100, None)) == [RouteOut(1, T, SELL, 5, None)]


def test_route_out_does_not_route_fok_orders_it_rejects_them_as_trade_throughs() -> None:
    venue = make_venue(asks=[(101, 10), (103, 10)], protection="route_out")
    assert venue.submit(S, 1, T, BUY, 15, price=103, ts_ns=1, tif=FOK, away=(None, 102)) == [
        Reject(1, T, RejectReason.TRADE_THROUGH)
    ]


def test_an_iso_skips_order_protection() -> None:
    venue = make_venue(asks=[(101, 10), (103, 10)])
    events = venue.submit(S, 1, T, BUY, 15, price=103, ts_ns=1, tif=IOC, iso=True, away=(None, 102))
    assert fills(events) == [(101, 101, 10), (102, 103, 5)]


def test_protection_none_trades_through() -> None:
    venue = make_venue(asks=[(101, 10), (103, 10)], protection="none")
    events = venue.submit(S, 1, T, BUY, 15, price=103, ts_ns=1, tif=IOC, away=(None, 102))
    assert fills(events) == [(101, 101, 10), (102, 103, 5)]


def test_without_away_no_check_is_made() -> None:
    venue = make_venue(asks=[(101, 10), (103, 10)])
    assert len(fills(venue.submit(S, 1, T, BUY, 15, price=103, ts_ns=1, tif=IOC))) == 2


# ---------------------------------------------------------------------------------------------------- post-only


def test_post_only_that_would_lock_the_away_quote_is_rejected_by_default() -> None:
    venue = make_venue(asks=[(105, 10)])
    assert venue.submit(S, 1, M, BUY, 10, price=102, ts_ns=1, post_only=True, away=(None, 102)) == [
        Reject(1, M, RejectReason.POST_ONLY_WOULD_CROSS)
    ]
    assert venue.submit(S, 2, M, BUY, 10, price=101, ts_ns=1, post_only=True, away=(None, 102)) == [
        QuoteUpdate(1, 101, 10, 105, 10)
    ]


def test_post_only_reprice_slides_one_tick_behind_the_better_of_this_venue_and_away() -> None:
    venue = make_venue(asks=[(105, 10)], post_only="reprice")
    venue.submit(S, 1, M, BUY, 10, price=110, ts_ns=1, post_only=True, away=(None, 102))
    assert venue.books[S].order_price(1) == 101  # away 102 is better than own 105
    venue = make_venue(asks=[(101, 10)], post_only="reprice")
    venue.submit(S, 1, M, BUY, 10, price=110, ts_ns=1, post_only=True, away=(None, 102))
    assert venue.books[S].order_price(1) == 100  # own 101 is better than away 102
    venue = make_venue(bids=[(99, 10)], post_only="reprice")
    venue.submit(S, 1, M, SELL, 10, price=95, ts_ns=1, post_only=True)  # no away: own book only
    assert venue.books[S].order_price(1) == 100


def test_iso_post_only_is_checked_against_this_venue_only() -> None:
    venue = make_venue(asks=[(105, 10)])
    venue.submit(S, 1, M, BUY, 10, price=103, ts_ns=1, post_only=True, iso=True, away=(None, 102))
    assert venue.books[S].order_price(1) == 103
    assert venue.submit(S, 2, M, BUY, 10, price=105, ts_ns=1, post_only=True, iso=True, away=(None, 102)) == [
        Reject(2, M, RejectReason.POST_ONLY_WOULD_CROSS)
    ]


# ---------------------------------------------------------------------------------------------------- Rule 610(d)


def test_a_displayed_day_order_locking_the_away_quote_is_repriced_one_tick_behind_by_default() -> None:
    venue = make_venue()
    venue.submit(S, 1, M, BUY, 10, price=102, ts_ns=1, away=(None, 102))
    assert venue.books[S].order_price(1) == 101
    venue = make_venue()
    venue.submit(S, 2, M, SELL, 10, price=95, ts_ns=1, away=(96, None))  # crosses the away bid 96
    assert venue.books[S].order_price(2) == 97


def test_lock_cross_reject_policy_rejects_a_displayed_order_that_would_rest_locking() -> None:
    venue = make_venue(lock_cross="reject")
    assert venue.submit(S, 1, M, BUY, 10, price=102, ts_ns=1, away=(None, 102)) == [
        Reject(1, M, RejectReason.WOULD_LOCK_OR_CROSS)
    ]
    # Fully filled here at the away price: it never rests, so it is not a lock.
    venue = make_venue(asks=[(102, 10)], lock_cross="reject")
    assert fills(venue.submit(S, 1, M, BUY, 10, price=102, ts_ns=1, away=(None, 102))) == [(101, 102, 10)]


def test_hidden_and_ioc_orders_are_not_subject_to_the_lock_cross_rule() -> None:
    venue = make_venue(lock_cross="reject")
    assert venue.submit(S, 1, M, BUY, 10, price=102, ts_ns=1, display_qty=0, away=(None, 102)) == []
    assert venue.books[S].order_price(1) == 102
    assert venue.submit(S, 2, M, BUY, 10, price=102, ts_ns=1, tif=IOC, away=(None, 102)) == [
        Cancelled(2, M, 10, CancelReason.IOC_REMAINDER)
    ]


def test_a_reserve_order_is_displayed_so_it_is_repriced_too() -> None:
    venue = make_venue()
    venue.submit(S, 1, M, BUY, 100, price=102, ts_ns=1, display_qty=10, away=(None, 102))
    info = venue.books[S].order_info(1)
    assert info is not None and (info.price, info.displayed_qty, info.open_qty) == (101, 10, 100)


# ---------------------------------------------------------------------------------------------------- replace


def test_replace_to_a_price_that_would_trade_through_is_rejected_and_the_order_is_unchanged() -> None:
    venue = make_venue(asks=[(101, 5), (103, 5)])
    venue.submit(S, 1, M, BUY, 10, price=100, ts_ns=1)
    assert venue.replace(S, 1, owner=M, qty=10, price=103, ts_ns=2, away=(None, 102)) == [
        Reject(1, M, RejectReason.TRADE_THROUGH)  # 5 at 101 then 5 at 103 > 102
    ]
    assert venue.books[S].queue(BUY) == [(100, [(1, 10)])]


def test_replace_that_would_rest_locking_trades_first_and_rests_repriced() -> None:
    venue = make_venue(asks=[(101, 5)])
    venue.submit(S, 1, M, BUY, 10, price=100, ts_ns=1)
    events = venue.replace(S, 1, owner=M, qty=10, price=102, ts_ns=2, away=(None, 102))
    assert fills(events) == [(101, 101, 5)]
    assert venue.books[S].queue(BUY) == [(101, [(1, 5)])]


def test_replace_by_another_owner_is_unknown_even_with_away() -> None:
    venue = make_venue(asks=[(101, 5)])
    venue.submit(S, 1, M, BUY, 10, price=100, ts_ns=1)
    assert venue.replace(S, 1, owner=T, qty=10, price=105, ts_ns=2, away=(None, 102)) == [
        Reject(1, T, RejectReason.UNKNOWN_ORDER)
    ]


# ---------------------------------------------------------------------------------------------------- midpoint pegs


def test_midpoint_pegs_cross_at_the_mid_of_this_venues_quote_and_away() -> None:
    venue = make_venue(bids=[(100, 10)], asks=[(104, 10)])  # own quote 100 / 104
    assert venue.submit(S, 1, M, SELL, 50, price=None, ts_ns=1, midpoint_peg=True) == []  # no quote update
    events = venue.submit(S, 2, T, BUY, 30, price=None, ts_ns=2, midpoint_peg=True, tif=IOC)
    assert fills(events) == [(1, 102, 30)]  # mid of 100 / 104
    # With away 101 / 104 the NBBO is 101 / 104: mid 102.5 rounds down to 102.
    events = venue.submit(S, 3, T, BUY, 5, price=None, ts_ns=3, midpoint_peg=True, tif=IOC, away=(101, 104))
    assert fills(events) == [(1, 102, 5)]
    events = venue.submit(S, 4, T, BUY, 5, price=None, ts_ns=4, midpoint_peg=True, tif=IOC, away=(102, 103))
    assert fills(events) == [(1, 102, 5)]  # NBBO 102 / 103: 102.5 -> 102


def test_a_marketable_order_takes_pegs_at_the_mid_before_worse_displayed_prices() -> None:
    venue = make_venue(bids=[(100, 10)], asks=[(104, 10)])
    venue.submit(S, 1, M, SELL, 20, price=None, ts_ns=1, midpoint_peg=True)
    events = venue.submit(S, 2, T, BUY, 25, price=104, ts_ns=2, tif=IOC)
    # Price priority: 20 at the mid 102 from the peg, then 5 at 104 from the book.
    assert fills(events) == [(1, 102, 20), (102, 104, 5)]
    assert events[-1] == QuoteUpdate(2, 100, 10, 104, 5)


def test_book_interest_better_than_the_mid_trades_before_pegs() -> None:
    venue = make_venue(bids=[(100, 10)], asks=[(104, 10)])
    venue.submit(S, 1, M, SELL, 10, price=101, ts_ns=1, display_qty=0)  # hidden, better than mid 102
    venue.submit(S, 2, M, SELL, 20, price=None, ts_ns=1, midpoint_peg=True)
    events = venue.submit(S, 3, T, BUY, 40, price=104, ts_ns=2, tif=IOC)
    assert fills(events) == [(1, 101, 10), (2, 102, 20), (102, 104, 10)]


def test_an_order_limited_below_the_mid_does_not_trade_with_pegs() -> None:
    venue = make_venue(bids=[(100, 10)], asks=[(104, 10)])
    venue.submit(S, 1, M, SELL, 20, price=None, ts_ns=1, midpoint_peg=True)
    assert venue.submit(S, 2, T, BUY, 5, price=101, ts_ns=2, tif=IOC) == [
        Cancelled(2, T, 5, CancelReason.IOC_REMAINDER)
    ]


def test_fok_and_min_qty_count_pegs_and_book_together() -> None:
    venue = make_venue(bids=[(100, 10)], asks=[(104, 20)])
    venue.submit(S, 1, M, SELL, 20, price=None, ts_ns=1, midpoint_peg=True)
    events = venue.submit(S, 2, T, BUY, 40, price=104, ts_ns=2, tif=FOK)
    assert fills(events) == [(1, 102, 20), (102, 104, 20)]
    venue = make_venue(bids=[(100, 10)], asks=[(104, 20)])
    venue.submit(S, 1, M, SELL, 20, price=None, ts_ns=1, midpoint_peg=True)
    assert venue.submit(S, 2, T, BUY, 41, price=104, ts_ns=2, tif=FOK) == [Reject(2, T, RejectReason.FOK_NOT_FILLABLE)]
    events = venue.submit(S, 3, T, BUY, 50, price=104, ts_ns=2, tif=IOC, display_qty=0, min_qty=45)
    assert events == [Cancelled(3, T, 50, CancelReason.IOC_REMAINDER)]  # 20 + 20 = 40 < 45


def test_route_out_after_pegs_and_the_book_up_to_the_away_quote() -> None:
    venue = make_venue(bids=[(100, 10)], asks=[(104, 10)], protection="route_out")
    venue.submit(S, 1, M, SELL, 20, price=None, ts_ns=1, midpoint_peg=True)
    events = venue.submit(S, 2, T, BUY, 40, price=104, ts_ns=2, away=(None, 103))
    # NBBO 100 / 103: mid 101. 20 from the peg at 101; the book's 104 is through 103: the other 20 route out.
    assert fills(events) == [(1, 101, 20)]
    assert RouteOut(2, T, BUY, 20, 104) in events


def test_pegs_are_cancelled_and_replaced_through_the_venue() -> None:
    venue = make_venue(bids=[(100, 10)], asks=[(104, 10)])
    venue.submit(S, 1, M, BUY, 20, price=101, ts_ns=1, midpoint_peg=True)  # capped at 101: mid 102 too high
    assert venue.pegs[S].queue(BUY) == [(1, 20)]
    venue.submit(S, 2, T, SELL, 10, price=None, ts_ns=1, midpoint_peg=True)  # rests: the buy peg's cap excludes 102
    events = venue.replace(S, 1, owner=M, qty=20, price=None, ts_ns=2)  # uncapped now: re-matches at 102
    assert fills(events) == [(2, 102, 10)]
    assert venue.cancel(S, 1, owner=M, ts_ns=3) == [Cancelled(1, M, 10, CancelReason.REQUESTED)]


def test_a_peg_cannot_be_displayed_or_off_tick_or_reuse_a_book_id() -> None:
    venue = make_venue(bids=[(100, 10)])
    assert venue.submit(S, 1, M, BUY, 20, price=None, ts_ns=1, midpoint_peg=True, display_qty=5) == [
        Reject(1, M, RejectReason.INVALID_QUANTITY)
    ]
    assert venue.submit(S, 101, M, BUY, 20, price=None, ts_ns=1, midpoint_peg=True) == [
        Reject(101, M, RejectReason.DUPLICATE_ORDER_ID)
    ]


def test_venue_info_new_fields_have_defaults() -> None:
    info = VenueInfo(name="L", kind=VenueKind.LIT, fees=FeeSchedule(0, 0), protected=True, symbols=(S,))
    assert (info.speed_bump_ns, info.min_qty) == (0, 0)
    bumped = VenueInfo(name="B", kind=VenueKind.LIT, fees=FeeSchedule(0, 0), protected=True, symbols=(S,),
                       speed_bump_ns=350_000)
    assert bumped.speed_bump_ns == 350_000


def test_a_post_only_order_cannot_reuse_the_id_of_a_resting_peg() -> None:
    venue = make_venue(bids=[(100, 10)], asks=[(104, 10)])
    venue.submit(S, 1, M, SELL, 20, price=None, ts_ns=1, midpoint_peg=True)
    assert venue.submit(S, 1, M, BUY, 5, price=99, ts_ns=2, post_only=True) == [
        Reject(1, M, RejectReason.DUPLICATE_ORDER_ID)
    ]
