"""Rule 605 order classes and size buckets: every class and every bucket edge, decided on whole micro-dollars."""

from __future__ import annotations

import numpy as np
import pytest

from harness.analytics.classify import OrderClass, classify_orders, share_bucket, size_bucket

# NBBO 10.00 / 10.10, midpoint 10.05, for every case below.
BUY_CASES = [
    (10.11, OrderClass.MARKETABLE_LIMIT),  # above the ask
    (10.10, OrderClass.MARKETABLE_LIMIT),  # at the ask
    (10.09, OrderClass.BEYOND_MIDPOINT),
    (10.0501, OrderClass.BEYOND_MIDPOINT),  # a hundredth of a cent past the midpoint
    (10.05, OrderClass.AT_OR_INSIDE_QUOTE),  # at the midpoint is not beyond it
    (10.00, OrderClass.AT_OR_INSIDE_QUOTE),  # at the bid
    (9.99, OrderClass.NEAR_QUOTE),
    (9.90, OrderClass.NEAR_QUOTE),  # exactly ten cents outside
    (9.8999, OrderClass.AWAY),
    (9.00, OrderClass.AWAY),
]
SELL_CASES = [
    (9.99, OrderClass.MARKETABLE_LIMIT),
    (10.00, OrderClass.MARKETABLE_LIMIT),
    (10.04, OrderClass.BEYOND_MIDPOINT),
    (10.05, OrderClass.AT_OR_INSIDE_QUOTE),
    (10.10, OrderClass.AT_OR_INSIDE_QUOTE),
    (10.11, OrderClass.NEAR_QUOTE),
    (10.20, OrderClass.NEAR_QUOTE),
    (10.2001, OrderClass.AWAY),
]


@pytest.mark.parametrize(
    ("side", "limit", "expected"),
    [("buy", lim, exp) for lim, exp in BUY_CASES] + [("sell", lim, exp) for lim, exp in SELL_CASES],
)
def test_limit_order_class_follows_the_limit_against_the_arrival_quote(side, limit, expected):
    got = classify_orders([side], ["limit"], ["day"], [limit], bid=[10.00], ask=[10.10])
    assert got[0] == expected.value


def test_ioc_and_fok_are_kept_apart_whatever_the_price_and_market_orders_are_market():
    got = classify_orders(
        ["buy", "buy", "sell", "buy", "buy"], ["limit", "limit", "market", "market", "limit"],
        ["ioc", "fok", "ioc", "day", "day"], [10.20, 9.00, np.nan, np.nan, 10.20],
        bid=[10.0] * 5, ask=[10.1] * 5,
    )
    assert list(got) == ["ioc", "ioc", "ioc", "market", "marketable_limit"]


def test_limit_order_without_a_two_sided_quote_is_unknown_but_a_market_order_is_still_market():
    got = classify_orders(["buy", "sell", "buy"], ["limit", "limit", "market"], ["day"] * 3, [10.0, 10.0, np.nan],
                          bid=[np.nan, 10.0, np.nan], ask=[10.1, np.nan, np.nan])
    assert list(got) == ["unknown", "unknown", "market"]


def test_float_noise_does_not_move_a_limit_across_an_edge():
    # 10.00 - 0.10 computed in floats is 9.9 exactly here, but 0.1 + 0.2 style noise must not matter either
    got = classify_orders(["buy"], ["limit"], ["day"], [0.1 + 0.2 + 9.6], bid=[10.0], ask=[10.1])
    assert got[0] == "nml_near_quote"


def test_size_buckets_include_their_lower_edge():
    notional = [0.0, 249.99, 250.0, 999.99, 1_000.0, 4_999.99, 5_000.0, 9_999.99, 10_000.0, 19_999.99, 20_000.0,
                49_999.99, 50_000.0, 199_999.99, 200_000.0, 5e6, np.nan]
    assert list(size_bucket(notional)) == [
        "<250", "<250", "250-1k", "250-1k", "1k-5k", "1k-5k", "5k-10k", "5k-10k", "10k-20k", "10k-20k", "20k-50k",
        "20k-50k", "50k-200k", "50k-200k", ">=200k", ">=200k", "unknown"]


def test_share_buckets_are_the_legacy_ranges_and_everything_else_is_other():
    qty = [1, 99, 100, 499, 500, 1999, 2000, 4999, 5000, 9999, 10_000, 1_000_000]
    assert list(share_bucket(qty)) == [
        "other", "other", "100-499", "100-499", "500-1999", "500-1999", "2000-4999", "2000-4999", "5000-9999",
        "5000-9999", "other", "other"]
