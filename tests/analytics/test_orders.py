"""Per-order figures against hand-worked answers (tests/analytics/cases.py works every number out)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harness.analytics.inputs import expand_parents, normalize_fills
from harness.analytics.nbbo import NbboIndex
from harness.analytics.orders import ORDER_COLUMNS, arrival_table, fill_table, orders_tca
from tests.analytics import builders as b
from tests.analytics import cases

NAN = math.nan


def case_a_orders(*, by_parent: bool = True, rebates: str = "passed-through") -> pd.DataFrame:
    # cases.py works the shortfall and net fees with the rebates and fees passed through to the customer
    parents = expand_parents(cases.CASE_A_PARENTS, pd.DataFrame({"router": ["R"], "seed": [1]}))
    orders = orders_tca(parents, normalize_fills(cases.CASE_A_FILLS), cases.CASE_A_NBBO, rebates=rebates)
    return orders.set_index("parent_id") if by_parent else orders


def case_a_fills() -> pd.DataFrame:
    parents = expand_parents(cases.CASE_A_PARENTS, pd.DataFrame({"router": ["R"], "seed": [1]}))
    arrivals = arrival_table(parents, cases.CASE_A_NBBO)
    return fill_table(arrivals, normalize_fills(cases.CASE_A_FILLS), cases.CASE_A_NBBO).set_index("child_id")


def check(row: pd.Series, expected: dict[str, float]) -> None:
    for col, want in expected.items():
        got = row[col]
        if isinstance(want, str):
            assert got == want, col
        elif math.isnan(want):
            assert math.isnan(got), f"{col}: {got} should be NaN"
        else:
            assert got == pytest.approx(want, abs=1e-9), col


def test_order_table_has_one_row_per_router_seed_parent_and_the_documented_columns():
    orders = case_a_orders(by_parent=False)
    assert list(orders.columns) == ORDER_COLUMNS
    assert list(orders["parent_id"]) == [1, 2, 3, 4] and set(orders["router"]) == {"R"}


def test_market_buy_with_two_fills_matches_the_hand_calculation():
    check(case_a_orders().loc[1], {
        "order_class": "market", "size_bucket": "1k-5k", "share_bucket": "100-499", "notional_usd": 3015.0,
        "arrival_bid": 10.00, "arrival_ask": 10.10, "arrival_mid": 10.05, "quoted_spread": 0.10,
        "filled_qty": 300, "fill_rate": 1.0, "n_fills": 2, "vwap": 3025 / 300,
        "pi_per_share": 5 / 300, "effective_spread": 20 / 300, "improved_qty": 100, "at_quote_qty": 200,
        "outside_qty": 0,
        "realized_spread_50ms": 0.0, "realized_spread_1s": 8 / 300, "realized_spread_15s": -4 / 300,
        "realized_spread_60s": -4 / 300, "realized_spread_300s": -4 / 300,
        "markout_100ms": 5 / 300, "markout_1s": -4 / 300, "markout_5s": 2 / 300, "markout_60s": 2 / 300,
        "markout_300s": 2 / 300,
        "shortfall_per_share": 10.90 / 300, "time_to_first_fill_ms": 100.0, "time_to_last_fill_ms": 200.0,
        "fees_usd": 0.90, "rebates_usd": 0.0, "pfof_usd": 0.0, "fees_per_share": 0.003, "net_fees_per_share": 0.003,
    })


def test_partly_filled_sell_limit_counts_the_unfilled_part_at_the_end_midpoint_and_the_rebate():
    check(case_a_orders().loc[2], {
        "order_class": "marketable_limit", "size_bucket": "5k-10k", "share_bucket": "500-1999",
        "filled_qty": 200, "fill_rate": 0.4, "vwap": 10.08, "pi_per_share": 0.06, "effective_spread": -0.02,
        "improved_qty": 200, "realized_spread_50ms": -0.02, "realized_spread_1s": 0.02, "realized_spread_300s": 0.02,
        "markout_100ms": 0.01, "markout_1s": -0.01, "markout_300s": -0.01, "end_mid": 10.15,
        "shortfall_per_share": -26.4 / 500, "time_to_first_fill_ms": 300.0, "time_to_last_fill_ms": 300.0,
        "fees_usd": 0.0, "rebates_usd": 0.40, "rebates_per_share": 0.002, "net_fees_per_share": -0.002,
    })


def test_with_rebates_retained_the_customer_figures_carry_no_fee_and_no_rebate():
    """One rebate ledger: the broker keeps the rebates and pays the fees, so the customer's shortfall and net fees
    carry neither; the venues' amounts stay in the order's fee columns.

    Order 1 (cases.py): shortfall (10.083333 - 10.05) * 300 = 10.00 -> /300 = 0.0333333 (no 0.90 fee).
    Order 2: -1 * (10.08 - 10.07) * 200 - (10.15 - 10.07) * 300 = -26.0 -> /500 = -0.052 (no 0.40 rebate).
    """
    kept = case_a_orders(rebates="retained")
    check(kept.loc[1], {"shortfall_per_share": 10.0 / 300, "net_fees_per_share": 0.0, "fees_usd": 0.90,
                        "fees_per_share": 0.003})
    check(kept.loc[2], {"shortfall_per_share": -26.0 / 500, "net_fees_per_share": 0.0, "rebates_usd": 0.40})
    passed = case_a_orders()
    assert passed.loc[2, "shortfall_per_share"] == pytest.approx(-26.4 / 500)  # the rebate once, to the customer
    with pytest.raises(ValueError, match="rebates must be"):
        case_a_orders(rebates="both")


def test_horizon_ending_exactly_at_the_last_nbbo_row_is_observed_and_later_ones_are_nan():
    check(case_a_orders().loc[3], {
        "order_class": "marketable_limit", "pi_per_share": 0.0, "at_quote_qty": 100, "effective_spread": 0.10,
        "realized_spread_50ms": 0.10, "realized_spread_1s": -0.02, "realized_spread_15s": NAN,
        "realized_spread_300s": NAN, "markout_100ms": -0.05, "markout_1s": 0.01, "markout_5s": NAN,
        "markout_300s": NAN, "shortfall_per_share": 0.053, "time_to_first_fill_ms": 500.0,
    })


def test_unfilled_near_quote_limit_has_zero_fill_rate_and_opportunity_cost_only():
    check(case_a_orders().loc[4], {
        "order_class": "nml_near_quote", "size_bucket": "1k-5k", "filled_qty": 0, "fill_rate": 0.0, "n_fills": 0,
        "vwap": NAN, "pi_per_share": NAN, "effective_spread": NAN, "realized_spread_1s": NAN, "markout_1s": NAN,
        "shortfall_per_share": 0.08, "time_to_first_fill_ms": NAN, "fees_usd": 0.0, "fees_per_share": NAN,
    })


def test_execution_position_uses_the_quote_just_before_the_fill_not_its_own_quote_change():
    f = case_a_fills()
    # f2 executes at 700 ms, when r1 (mid 10.10) is stamped; the quote it met is r0 (mid 10.05): far side
    assert f.loc[12, "exec_mid"] == pytest.approx(10.05)
    assert list(f.loc[[11, 12, 21, 31], "exec_position"]) == ["midpoint", "far", "near", "far"]


def test_a_fill_before_any_quote_has_nan_figures_and_unknown_position():
    parents = expand_parents(b.parents([(1, "buy", "market", 100, None, 5)]), pd.DataFrame({"router": ["R"],
                                                                                          "seed": [1]}))
    quotes = b.nbbo([(10, 10.0, 10.1)])
    fills = normalize_fills(b.fills([(1, 1, "V1", 6, 100, 10.1, "removed", 0.0)]))
    arrivals = arrival_table(parents, quotes)
    f = fill_table(arrivals, fills, quotes)
    assert f["exec_position"].iloc[0] == "unknown"
    o = orders_tca(parents, fills, quotes).iloc[0]
    assert o["order_class"] == "market" and o["size_bucket"] == "unknown"
    assert math.isnan(o["pi_per_share"]) and math.isnan(o["shortfall_per_share"])
    assert o["fill_rate"] == 1.0 and o["time_to_first_fill_ms"] == 1.0


def test_each_router_is_measured_against_its_own_runs_nbbo():
    quotes = pd.concat([b.nbbo([(0, 10.0, 10.1)], router="R"), b.nbbo([(0, 20.0, 20.2)], router="S")])
    parents = expand_parents(b.parents([(1, "buy", "market", 100, None, 5)]),
                             pd.DataFrame({"router": ["R", "S"], "seed": [1, 1]}))
    fills = normalize_fills(pd.concat([b.fills([(1, 1, "V1", 6, 100, 10.1, "removed", 0.0)], router="R"),
                                       b.fills([(1, 1, "V1", 6, 100, 20.1, "removed", 0.0)], router="S")]))
    o = orders_tca(parents, fills, quotes).set_index("router")
    assert o.loc["R", "arrival_mid"] == pytest.approx(10.05) and o.loc["S", "arrival_mid"] == pytest.approx(20.1)
    assert o.loc["R", "pi_per_share"] == pytest.approx(0.0) and o.loc["S", "pi_per_share"] == pytest.approx(0.1)


def test_quotes_without_router_and_seed_are_the_market_of_every_router():
    quotes = b.nbbo([(0, 10.0, 10.1)]).drop(columns=["router", "seed"])
    parents = expand_parents(b.parents([(1, "buy", "market", 100, None, 5)]),
                             pd.DataFrame({"router": ["R", "S"], "seed": [1, 1]}))
    fills = normalize_fills(pd.concat([b.fills([(1, 1, "V1", 6, 100, 10.08, "removed", 0.0)], router=r)
                                       for r in ("R", "S")]))
    o = orders_tca(parents, fills, quotes)
    assert list(o["pi_per_share"]) == pytest.approx([0.02, 0.02])


def test_one_sided_quote_at_arrival_leaves_spreads_nan():
    quotes = b.nbbo([(0, 10.0, NAN)])
    parents = expand_parents(b.parents([(1, "buy", "limit", 100, 10.0, 5)]), pd.DataFrame({"router": ["R"],
                                                                                         "seed": [1]}))
    o = orders_tca(parents, normalize_fills(b.fills([])), quotes).iloc[0]
    assert math.isnan(o["quoted_spread"]) and o["order_class"] == "unknown"
    assert o["notional_usd"] == pytest.approx(1000.0) and o["size_bucket"] == "1k-5k"  # limit price stands in


def test_nbbo_lookup_takes_the_last_row_of_equal_timestamps_and_respects_groups():
    quotes = pd.concat([b.nbbo([(0, 1.0, 2.0), (5, 3.0, 4.0), (5, 5.0, 6.0)], router="R"),
                        b.nbbo([(0, 7.0, 8.0)], router="S")])
    index = NbboIndex(quotes)
    keys = pd.DataFrame({"router": ["R", "R", "R", "S", "T"], "seed": 1, "symbol": "XYZ"})
    q = index.at(index.codes(keys), np.array([4, 5, 6, 10**12, 5]) * b.MS)
    assert list(q.bid[:4]) == [1.0, 5.0, 5.0, 7.0] and math.isnan(q.bid[4])
    strict = index.at(index.codes(keys), np.array([4, 5, 6, 0, 5]) * b.MS, strict=True)
    assert list(strict.bid[:3]) == [1.0, 1.0, 5.0] and math.isnan(strict.bid[3])


def test_a_fill_of_an_unknown_order_is_an_error():
    parents = expand_parents(b.parents([(1, "buy", "market", 100, None, 5)]), pd.DataFrame({"router": ["R"],
                                                                                          "seed": [1]}))
    quotes = b.nbbo([(0, 10.0, 10.1)])
    with pytest.raises(ValueError, match="not in the orders table"):
        fill_table(arrival_table(parents, quotes), normalize_fills(b.fills([(9, 1, "V", 6, 1, 10.1, "removed", 0)])),
                   quotes)


def test_per_order_table_of_100k_fills(benchmark):
    """Speed of the per-order table (a benchmark, run once in the suite); checks shares are conserved."""
    rng = np.random.default_rng(7)
    n_orders, n_fills = 20_000, 100_000
    parents = pd.DataFrame({
        "router": "R", "seed": 1, "parent_id": np.arange(n_orders), "symbol": rng.choice(["A", "B"], n_orders),
        "side": rng.choice(["buy", "sell"], n_orders), "order_type": "market", "qty": 1000, "limit_price": NAN,
        "arrival_ts_ns": np.sort(rng.integers(0, 20_000, n_orders)) * 10**9,
    })
    pid = rng.integers(0, n_orders, n_fills)
    fills = normalize_fills(pd.DataFrame({
        "router": "R", "seed": 1, "parent_id": pid, "venue": "V", "qty": 1, "price": 50.0, "liquidity": "removed",
        "exec_ts_ns": parents["arrival_ts_ns"].to_numpy()[pid] + rng.integers(0, 10**9, n_fills), "fee_usd": 0.001,
    }))
    ts = np.sort(rng.integers(0, 21_000 * 10**9, 200_000))
    quotes = pd.DataFrame({"router": "R", "seed": 1, "symbol": rng.choice(["A", "B"], len(ts)), "ts_ns": ts,
                           "bid": 49.99, "ask": 50.01})
    orders = benchmark.pedantic(orders_tca, args=(parents, fills, quotes), rounds=1, iterations=1)
    assert len(orders) == n_orders and orders["filled_qty"].sum() == n_fills


def test_execution_position_is_exact_against_a_half_micro_midpoint():
    # NBBO 10.000001 / 10.000002: midpoint 10.0000015, half a micro-dollar; rounding it to whole micro-dollars would
    # put a buy at 10.000002 at the midpoint. It is on the far side, and a buy at 10.000001 on the near side.
    parents = expand_parents(b.parents([(1, "buy", "market", 200, None, 5)]), pd.DataFrame({"router": ["R"],
                                                                                          "seed": [1]}))
    quotes = b.nbbo([(0, 10.000001, 10.000002)])
    fills = normalize_fills(b.fills([(1, 1, "V", 6, 100, 10.000002, "removed", 0.0),
                                     (1, 2, "V", 7, 100, 10.000001, "added", 0.0)]))
    f = fill_table(arrival_table(parents, quotes), fills, quotes)
    assert list(f["exec_position"]) == ["far", "near"]
