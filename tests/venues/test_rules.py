"""Market-wide rules: round lots and ticks by price, the midpoint, trade-through and lock/cross tests, improvement."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from venues.rules import (
    improved_price,
    is_through,
    locks_or_crosses,
    midpoint,
    round_lot_for_price,
    tick_for_price,
)
from venues.types import Side

BUY, SELL = Side.BUY, Side.SELL


@pytest.mark.parametrize(
    ("price_usd", "lot"),
    [
        (0.50, 100), (250.00, 100),  # up to and including $250.00: 100
        (250.01, 40), (1_000.00, 40),  # up to $1,000.00: 40
        (1_000.01, 10), (10_000.00, 10),  # up to $10,000.00: 10
        (10_000.01, 1), (600_000.0, 1),  # above: 1
    ],
)
def test_round_lot_depends_on_price_under_the_amended_definition(price_usd: float, lot: int) -> None:
    assert round_lot_for_price(price_usd) == lot


def test_round_lot_needs_a_positive_price() -> None:
    with pytest.raises(ValueError, match="price_usd"):
        round_lot_for_price(0.0)


@pytest.mark.parametrize(
    ("price", "half_penny", "tick"),
    [
        (10_000, False, 100),  # $1.00: a cent
        (9_999, False, 1),  # $0.9999: $0.0001
        (10_000, True, 50),  # half-penny name at $1.00: $0.005
        (9_999, True, 1),  # half-penny name below $1.00: still $0.0001
        (5_000_000, False, 100),
    ],
)
def test_tick_is_a_cent_at_or_above_a_dollar_sub_penny_below_and_half_penny_when_set(
    price: int, half_penny: bool, tick: int
) -> None:
    assert tick_for_price(price, half_penny) == tick


def test_midpoint_is_none_unless_bid_below_ask_and_rounds_half_units_down() -> None:
    assert midpoint(100, 104) == 102
    assert midpoint(100, 101) == 100  # 100.5 -> 100
    assert midpoint(None, 101) is None and midpoint(100, None) is None
    assert midpoint(101, 101) is None and midpoint(102, 101) is None  # locked, crossed


def test_through_and_lock_cross_tests() -> None:
    assert is_through(BUY, 103, 102) and not is_through(BUY, 102, 102) and is_through(BUY, None, 102)
    assert is_through(SELL, 97, 98) and not is_through(SELL, 98, 98) and not is_through(SELL, None, None)
    assert locks_or_crosses(BUY, 102, 102) and not locks_or_crosses(BUY, 101, 102)
    assert locks_or_crosses(SELL, 98, 98) and not locks_or_crosses(SELL, 99, 98) and not locks_or_crosses(BUY, 1, None)


def test_improved_price_ignores_float_noise() -> None:
    # 0.3 x 10 is 3.0000000000000004 in floating point; the price must still be 10 - 3 = 7 (not 6).
    assert improved_price(BUY, 0, 10, 0.3) == 7


@given(
    bid=st.integers(1, 1_000_000),
    spread=st.integers(1, 500),
    improvement=st.floats(0.0, 0.999999),
    side=st.sampled_from([BUY, SELL]),
)
def test_improved_price_is_between_the_midpoint_and_the_far_side_and_monotone(
    bid: int, spread: int, improvement: float, side: Side
) -> None:
    """Never worse than the far side, never past the midpoint, and more improvement never gives a worse price."""
    ask = bid + spread
    p = improved_price(side, bid, ask, improvement)
    more = improved_price(side, bid, ask, min(0.999999, improvement + 0.1))
    if side is BUY:
        assert (bid + ask + 1) // 2 <= p <= ask and more <= p
    else:
        assert bid <= p <= (bid + ask) // 2 and more >= p
    assert improved_price(side, bid, ask, 0.0) == (ask if side is BUY else bid)
