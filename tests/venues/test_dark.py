"""Dark pool rules: midpoint crossing at the caller's NBBO, per-order and venue-wide minimums, no displayed quote."""

from __future__ import annotations

import pytest

from venues.fees import FeeSchedule
from venues.types import Cancelled, CancelReason, Event, Fill, QuoteUpdate, Reject, RejectReason, Side, TimeInForce
from venues.venue import DarkPool, VenueInfo, VenueKind

S = "AAA"
M, T = 1, 2
BUY, SELL = Side.BUY, Side.SELL
NBBO = (500_000, 500_100)  # $50.00 / $50.01: mid $50.005 = 500_050


def make_pool(*, min_qty: int = 0) -> DarkPool:
    info = VenueInfo(name="D", kind=VenueKind.DARK, fees=FeeSchedule(100, 100), protected=False, symbols=(S,),
                     min_qty=min_qty)
    return DarkPool(info, ticks={S: 100})


def fills(events: list[Event]) -> list[tuple[int, int, int]]:
    return [(e.maker_order_id, e.price, e.qty) for e in events if isinstance(e, Fill)]


def test_a_dark_pool_must_be_of_kind_dark_and_unprotected() -> None:
    with pytest.raises(ValueError, match="kind DARK"):
        DarkPool(VenueInfo("X", VenueKind.LIT, FeeSchedule(0, 0), False, (S,)), ticks={S: 1})
    with pytest.raises(ValueError, match="protected"):
        DarkPool(VenueInfo("X", VenueKind.DARK, FeeSchedule(0, 0), True, (S,)), ticks={S: 1})


def test_orders_cross_at_the_mid_of_the_nbbo_supplied_and_nothing_is_displayed() -> None:
    pool = make_pool()
    assert pool.submit(S, 1, M, SELL, 300, price=None, ts_ns=1, away=NBBO) == []
    events = pool.submit(S, 2, T, BUY, 100, price=None, ts_ns=2, away=NBBO)
    assert fills(events) == [(1, 500_050, 100)]  # (500_000 + 500_100) / 2: a half-penny midpoint
    assert not any(isinstance(e, QuoteUpdate) for e in events)


@pytest.mark.parametrize("away", [None, (None, 500_100), (500_000, None), (500_100, 500_100), (500_200, 500_100)])
def test_without_a_valid_nbbo_nothing_crosses(away: tuple[int | None, int | None] | None) -> None:
    pool = make_pool()
    pool.submit(S, 1, M, SELL, 300, price=None, ts_ns=1, away=NBBO)
    assert pool.submit(S, 2, T, BUY, 100, price=None, ts_ns=2, away=away, tif=TimeInForce.IOC) == [
        Cancelled(2, T, 100, CancelReason.IOC_REMAINDER)
    ]
    assert pool.submit(S, 3, T, BUY, 100, price=None, ts_ns=2, away=away) == []  # DAY rests
    assert pool.books[S].queue(BUY) == [(3, 100)]


def test_a_limit_price_caps_the_midpoint_and_must_be_on_the_tick_grid() -> None:
    pool = make_pool()
    pool.submit(S, 1, M, SELL, 300, price=None, ts_ns=1, away=NBBO)
    assert pool.submit(S, 2, T, BUY, 100, price=500_000, ts_ns=2, away=NBBO, tif=TimeInForce.IOC) == [
        Cancelled(2, T, 100, CancelReason.IOC_REMAINDER)  # 500_050 is above its 500_000 cap
    ]
    assert pool.submit(S, 3, T, BUY, 100, price=500_050, ts_ns=2, away=NBBO) == [
        Reject(3, T, RejectReason.OFF_TICK)
    ]
    assert fills(pool.submit(S, 4, T, BUY, 100, price=500_100, ts_ns=2, away=NBBO)) == [(1, 500_050, 100)]


def test_venue_minimum_rejects_smaller_orders_and_raises_every_orders_minimum() -> None:
    pool = make_pool(min_qty=200)
    assert pool.submit(S, 1, M, SELL, 100, price=None, ts_ns=1, away=NBBO) == [
        Reject(1, M, RejectReason.INVALID_QUANTITY)
    ]
    pool.submit(S, 2, M, SELL, 500, price=None, ts_ns=1, away=None)  # rests with minimum 200
    pool.submit(S, 3, M, SELL, 300, price=None, ts_ns=1, away=None, min_qty=400)  # rejected: 400 > 300
    assert 3 not in pool.books[S]
    # A 250-share buy: at least 200, and the resting 500 has minimum 200 <= 250: 250 trade.
    assert fills(pool.submit(S, 4, T, BUY, 250, price=None, ts_ns=2, away=NBBO)) == [(2, 500_050, 250)]


def test_per_order_minimum_quantity_applies_on_both_sides() -> None:
    pool = make_pool()
    pool.submit(S, 1, M, SELL, 1_000, price=None, ts_ns=1, away=None, min_qty=500)
    assert pool.submit(S, 2, T, BUY, 400, price=None, ts_ns=2, away=NBBO, tif=TimeInForce.IOC) == [
        Cancelled(2, T, 400, CancelReason.IOC_REMAINDER)
    ]
    assert fills(pool.submit(S, 3, T, BUY, 600, price=None, ts_ns=2, away=NBBO)) == [(1, 500_050, 600)]


def test_displayed_orders_are_refused() -> None:
    pool = make_pool()
    assert pool.submit(S, 1, M, SELL, 100, price=None, ts_ns=1, away=NBBO, display_qty=10) == [
        Reject(1, M, RejectReason.INVALID_QUANTITY)
    ]


def test_cancel_replace_closed_and_unknown_symbol() -> None:
    pool = make_pool()
    pool.submit(S, 1, M, SELL, 300, price=None, ts_ns=1, away=None)
    pool.submit(S, 2, T, BUY, 100, price=500_000, ts_ns=1, away=NBBO)  # rests: mid above its cap
    events = pool.replace(S, 2, owner=T, qty=100, price=500_100, ts_ns=2, away=NBBO)
    assert fills(events) == [(1, 500_050, 100)]
    assert pool.cancel(S, 1, owner=M, ts_ns=3) == [Cancelled(1, M, 200, CancelReason.REQUESTED)]
    pool.open = False
    assert pool.submit(S, 5, M, SELL, 1, price=None, ts_ns=4) == [Reject(5, M, RejectReason.VENUE_CLOSED)]
    assert pool.submit("ZZZ", 5, M, SELL, 1, price=None, ts_ns=4) == [Reject(5, M, RejectReason.UNKNOWN_SYMBOL)]
