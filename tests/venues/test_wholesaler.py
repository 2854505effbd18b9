"""Wholesaler rules: marketable orders filled whole with sub-penny price improvement, or declined with a reason."""

from __future__ import annotations

import pytest

from venues.fees import FeeSchedule
from venues.types import Fill, Liquidity, Reject, RejectReason, Side
from venues.venue import WHOLESALER_ORDER_ID, VenueInfo, VenueKind, Wholesaler

S = "AAA"
W, C = 9, 2  # the wholesaler's owner id, the customer's (broker's) owner id
BUY, SELL = Side.BUY, Side.SELL
NBBO = (500_000, 300, 500_100, 200)  # $50.00 x 300 / $50.01 x 200: one-cent spread = 100 units


def make_wholesaler(**kwargs: int) -> Wholesaler:
    info = VenueInfo(name="W", kind=VenueKind.WHOLESALER, fees=FeeSchedule.from_usd(take_usd=0, make_usd=0,
                     pfof_usd=0.002), protected=False, symbols=(S,))
    return Wholesaler(info, ticks={S: 100}, owner=W, **kwargs)  # type: ignore[arg-type]


def price_of(events: list) -> int:  # type: ignore[type-arg]
    (fill,) = events
    assert isinstance(fill, Fill)
    return fill.price


def test_fills_the_whole_order_against_itself_as_maker() -> None:
    events = make_wholesaler().submit(S, 1, C, BUY, 5_000, price=None, ts_ns=7, nbbo=NBBO, improvement=0.0)
    # Larger than the displayed 200 at the ask, still filled whole, at the ask (no improvement).
    assert events == [Fill(7, 500_100, 5_000, BUY, WHOLESALER_ORDER_ID, W, 1, C, 0, 0)]


def test_price_improvement_is_a_share_of_the_spread_rounded_in_the_customers_favour() -> None:
    w = make_wholesaler()
    # 0.3 x 100 = 30 units: buy at 500_100 - 30, sell at 500_000 + 30.
    assert price_of(w.submit(S, 1, C, BUY, 100, price=None, ts_ns=1, nbbo=NBBO, improvement=0.3)) == 500_070
    assert price_of(w.submit(S, 2, C, SELL, 100, price=None, ts_ns=1, nbbo=NBBO, improvement=0.3)) == 500_030
    # 0.123 x 100 = 12.3 units, rounded to 13 in the customer's favour: buy 500_087, sell 500_013.
    assert price_of(w.submit(S, 3, C, BUY, 100, price=None, ts_ns=1, nbbo=NBBO, improvement=0.123)) == 500_087
    assert price_of(w.submit(S, 4, C, SELL, 100, price=None, ts_ns=1, nbbo=NBBO, improvement=0.123)) == 500_013


def test_price_improvement_stops_at_the_midpoint() -> None:
    w = make_wholesaler()
    assert price_of(w.submit(S, 1, C, BUY, 100, price=None, ts_ns=1, nbbo=NBBO, improvement=0.9)) == 500_050
    assert price_of(w.submit(S, 2, C, SELL, 100, price=None, ts_ns=1, nbbo=NBBO, improvement=0.9)) == 500_050


def test_a_marketable_limit_order_is_accepted_and_a_passive_one_is_not() -> None:
    w = make_wholesaler()
    assert price_of(w.submit(S, 1, C, BUY, 100, price=500_100, ts_ns=1, nbbo=NBBO, improvement=0.5)) == 500_050
    assert w.submit(S, 2, C, BUY, 100, price=500_000, ts_ns=1, nbbo=NBBO, improvement=0.5) == [
        Reject(2, C, RejectReason.NOT_MARKETABLE)
    ]
    assert w.submit(S, 3, C, SELL, 100, price=500_100, ts_ns=1, nbbo=NBBO, improvement=0.5) == [
        Reject(3, C, RejectReason.NOT_MARKETABLE)
    ]


def test_declines_orders_larger_than_its_maximum() -> None:
    w = make_wholesaler(max_order_shares=1_000)
    assert w.submit(S, 1, C, BUY, 1_001, price=None, ts_ns=1, nbbo=NBBO, improvement=0.1) == [
        Reject(1, C, RejectReason.DECLINED_SIZE)
    ]
    assert len(w.submit(S, 2, C, BUY, 1_000, price=None, ts_ns=1, nbbo=NBBO, improvement=0.1)) == 1


@pytest.mark.parametrize(
    "nbbo",
    [
        (None, 0, 500_100, 200),  # no bid
        (500_000, 300, None, 0),  # no ask
        (500_100, 300, 500_100, 200),  # locked
        (500_200, 300, 500_100, 200),  # crossed
        (500_000, 300, 500_400, 200),  # 4 ticks wide > 3
    ],
)
def test_declines_when_the_market_is_missing_locked_crossed_or_too_wide(
    nbbo: tuple[int | None, int, int | None, int],
) -> None:
    w = make_wholesaler(max_spread_ticks=3)
    assert w.submit(S, 1, C, BUY, 100, price=None, ts_ns=1, nbbo=nbbo, improvement=0.1) == [
        Reject(1, C, RejectReason.DECLINED_MARKET)
    ]


def test_size_is_checked_before_the_market_and_the_market_before_marketability() -> None:
    w = make_wholesaler(max_order_shares=10)
    locked = (500_100, 1, 500_100, 1)
    # A buy limited at $0.01 is not marketable, the market is locked and 11 > 10: size is reported first.
    too_big = w.submit(S, 1, C, BUY, 11, price=100, ts_ns=1, nbbo=locked, improvement=0.0)
    assert too_big == [Reject(1, C, RejectReason.DECLINED_SIZE)]
    locked_market = w.submit(S, 1, C, BUY, 5, price=100, ts_ns=1, nbbo=locked, improvement=0.0)
    assert locked_market == [Reject(1, C, RejectReason.DECLINED_MARKET)]


def test_it_pays_pfof_per_share_to_the_broker() -> None:
    w = make_wholesaler()
    (fill,) = w.submit(S, 1, C, BUY, 300, price=None, ts_ns=1, nbbo=NBBO, improvement=0.2)
    assert isinstance(fill, Fill)
    split = w.info.fees.split(Liquidity.REMOVED, fill.qty)
    assert (split.fee_micros, split.rebate_micros, split.pfof_micros) == (0, 0, 600_000)  # 300 x $0.002


def test_bad_requests_and_nothing_to_cancel() -> None:
    w = make_wholesaler()
    assert w.submit("ZZZ", 1, C, BUY, 1, price=None, ts_ns=1, nbbo=NBBO, improvement=0.0) == [
        Reject(1, C, RejectReason.UNKNOWN_SYMBOL)
    ]
    assert w.submit(S, 1, C, BUY, 0, price=None, ts_ns=1, nbbo=NBBO, improvement=0.0) == [
        Reject(1, C, RejectReason.INVALID_QUANTITY)
    ]
    assert w.submit(S, 1, C, BUY, 1, price=500_150, ts_ns=1, nbbo=NBBO, improvement=0.0) == [
        Reject(1, C, RejectReason.OFF_TICK)
    ]
    with pytest.raises(ValueError, match="improvement"):
        w.submit(S, 1, C, BUY, 1, price=None, ts_ns=1, nbbo=NBBO, improvement=1.0)
    assert w.cancel(S, 1, owner=C, ts_ns=1) == [Reject(1, C, RejectReason.UNKNOWN_ORDER)]
    assert w.replace(S, 1, owner=C, qty=1, price=None, ts_ns=1) == [Reject(1, C, RejectReason.UNKNOWN_ORDER)]
    w.open = False
    assert w.submit(S, 1, C, BUY, 1, price=None, ts_ns=1, nbbo=NBBO, improvement=0.0) == [
        Reject(1, C, RejectReason.VENUE_CLOSED)
    ]


def test_constructor_checks_kind_and_limits() -> None:
    with pytest.raises(ValueError, match="WHOLESALER"):
        Wholesaler(VenueInfo("X", VenueKind.DARK, FeeSchedule(0, 0), False, (S,)), ticks={S: 1}, owner=W)
    with pytest.raises(ValueError, match="max_order_shares"):
        make_wholesaler(max_order_shares=0)
