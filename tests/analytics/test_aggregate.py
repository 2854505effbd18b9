"""Summary and venue scorecard against hand-worked answers (case A in tests/analytics/cases.py)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harness.analytics.aggregate import SUMMARY_COLUMNS, VENUE_COLUMNS, pooled_rows, summary_table, venue_table
from harness.analytics.inputs import expand_parents, normalize_fills
from harness.analytics.orders import arrival_table, fill_table, order_table
from tests.analytics import builders as b
from tests.analytics import cases


def case_a() -> tuple[pd.DataFrame, pd.DataFrame]:
    parents = expand_parents(cases.CASE_A_PARENTS, pd.DataFrame({"router": ["R"], "seed": [1]}))
    arrivals = arrival_table(parents, cases.CASE_A_NBBO)
    fills = fill_table(arrivals, normalize_fills(cases.CASE_A_FILLS), cases.CASE_A_NBBO)
    # cases.py works the shortfall and net fees with the rebates and fees passed through to the customer
    return order_table(arrivals, fills, rebates="passed-through"), fills


def test_router_overall_row_matches_the_hand_calculation():
    summary = summary_table(case_a()[0])
    assert list(summary.columns) == SUMMARY_COLUMNS
    row = pooled_rows(summary).iloc[0]
    expected = {
        "orders": 4, "shares": 1100, "filled_shares": 600, "fill_rate": 600 / 1100, "orders_filled_frac": 0.75,
        "pi_per_share": 17 / 600, "frac_improved": 0.5, "frac_at_quote": 0.5, "frac_outside": 0.0,
        "effective_spread": 26 / 600, "quoted_spread": 0.10, "eq_ratio": 26 / 60,
        "realized_spread_1s": 10 / 600, "realized_spread_15s": 0.0, "markout_1s": -5 / 600,
        "shortfall_per_share": 5.8 / 1100, "first_fill_ms_mean": 300.0, "first_fill_ms_median": 300.0,
        "first_fill_ms_p95": 480.0, "fees_usd": 1.20, "rebates_usd": 0.40, "net_fees_per_share": 0.80 / 600,
    }
    for col, want in expected.items():
        assert row[col] == pytest.approx(want, abs=1e-9), col


def test_every_dimension_has_all_rows_and_groups_partition_the_orders():
    summary = summary_table(case_a()[0])
    # 8 poolings of (symbol, order_class, size_bucket); one symbol, 3 classes, 2 buckets, 4 (class, bucket) pairs
    assert len(summary) == 1 + 3 + 2 + 3 + 2 + 1 * 4 + 4 + 1
    by_class = summary[(summary["symbol"] == "all") & (summary["size_bucket"] == "all")
                       & (summary["order_class"] != "all")].set_index("order_class")
    assert by_class["orders"].to_dict() == {"market": 1, "marketable_limit": 2, "nml_near_quote": 1}
    assert by_class.loc["marketable_limit", "fill_rate"] == pytest.approx(300 / 600)
    cell = summary[(summary["symbol"] == "XYZ") & (summary["order_class"] == "marketable_limit")
                   & (summary["size_bucket"] == "5k-10k")].iloc[0]
    assert cell["orders"] == 1 and cell["pi_per_share"] == pytest.approx(0.06)
    # "all" sorts first within each dimension
    assert tuple(summary.iloc[0][["symbol", "order_class", "size_bucket"]]) == ("all", "all", "all")


def test_eq_is_a_ratio_of_averages_not_a_mean_of_ratios():
    # Two filled buys of 100 at arrival quotes 10.00/10.02 (QS 0.02) and 20.00/20.20 (QS 0.20):
    # order X fills at 10.02 -> ES 0.02, E/Q 1.0; order Y fills at 20.15 -> ES 2*(20.15-20.10) = 0.10, E/Q 0.5.
    # Ratio of averages (0.02 + 0.10) / (0.02 + 0.20) = 0.545454...; the mean of ratios would be 0.75.
    quotes = pd.concat([b.nbbo([(0, 10.00, 10.02)], symbol="X"), b.nbbo([(0, 20.00, 20.20)], symbol="Y")])
    parents = expand_parents(pd.concat([b.parents([(1, "buy", "market", 100, None, 5)], symbol="X"),
                                        b.parents([(2, "buy", "market", 100, None, 5)], symbol="Y")]),
                             pd.DataFrame({"router": ["R"], "seed": [1]}))
    fills = normalize_fills(pd.concat([b.fills([(1, 1, "V", 6, 100, 10.02, "removed", 0.0)], symbol="X"),
                                       b.fills([(2, 2, "V", 6, 100, 20.15, "removed", 0.0)], symbol="Y")]))
    arrivals = arrival_table(parents, quotes)
    orders = order_table(arrivals, fill_table(arrivals, fills, quotes))
    assert list(orders["effective_spread"] / orders["quoted_spread"]) == pytest.approx([1.0, 0.5])
    assert pooled_rows(summary_table(orders))["eq_ratio"].iloc[0] == pytest.approx(0.12 / 0.22)


def test_venue_scorecard_matches_the_hand_calculation():
    _, fills = case_a()
    table = venue_table(fills, cases.CASE_A_CHILDREN)
    assert list(table.columns) == VENUE_COLUMNS
    v = table.set_index("venue")
    expected = {
        "V1": {"routed_shares": 600, "ioc_routed_shares": 100, "executed_shares": 300, "fill_rate": 0.5,
               "midpoint_shares": 100, "near_side_shares": 200, "far_side_shares": 0, "provided_shares": 200,
               "removed_shares": 100, "net_fee_cph": -10 / 3, "net_fee_cph_provided": -20.0,
               "net_fee_cph_removed": 30.0, "frac_midpoint": 1 / 3, "frac_near_side": 2 / 3, "pfof_cph": 0.0},
        "V2": {"routed_shares": 300, "ioc_routed_shares": 100, "executed_shares": 300, "fill_rate": 1.0,
               "far_side_shares": 300, "frac_far_side": 1.0, "net_fee_cph": 30.0, "removed_shares": 300},
        "V3": {"routed_shares": 200, "executed_shares": 0, "fill_rate": 0.0, "child_orders": 1},
    }
    for venue, figures in expected.items():
        for col, want in figures.items():
            assert v.loc[venue, col] == pytest.approx(want, abs=1e-9), (venue, col)
    assert math.isnan(v.loc["V3", "net_fee_cph"])


def test_wholesaler_pfof_and_explicit_fee_columns_reach_the_scorecard():
    # 200 shares at a wholesaler paying 0.0020/share PFOF: 0.40 USD -> 20 cph; no fee, no rebate.
    quotes = b.nbbo([(0, 10.00, 10.10)])
    parents = expand_parents(b.parents([(1, "buy", "market", 200, None, 5)]), pd.DataFrame({"router": ["R"],
                                                                                          "seed": [1]}))
    raw = b.fills([(1, 1, "W", 6, 200, 10.04, "removed", 0.0)]).assign(rebate_usd=0.0, pfof_usd=0.40)
    arrivals = arrival_table(parents, quotes)
    fills = fill_table(arrivals, normalize_fills(raw), quotes)
    venues = pd.DataFrame({"venue": ["W"], "kind": ["wholesaler"]})
    v = venue_table(fills, None, venues).iloc[0]
    assert v["pfof_cph"] == pytest.approx(20.0) and v["net_fee_cph"] == 0.0 and v["kind"] == "wholesaler"
    assert v["near_side_shares"] == 200 and np.isnan(v["routed_shares"])
    orders = order_table(arrivals, fills)
    assert orders["pfof_per_share"].iloc[0] == pytest.approx(0.002)
    # PFOF accrues to the broker: not in the customer's shortfall, (10.04 - 10.05) * 200 / 200
    assert orders["shortfall_per_share"].iloc[0] == pytest.approx(-0.01)
