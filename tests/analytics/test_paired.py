"""Paired router comparisons: stratified per-seed paired means, seed-level t intervals, the ranking built on them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from harness.analytics.paired import ALL, PAIRED_COLUMNS, RANKING_COLUMNS, paired_table, ranking_table

Value = float | str | Callable[[int, int], float | str]
BASE: dict[str, Value] = {
    "order_class": "market", "pi_per_share": 0.0, "effective_spread": 0.05, "quoted_spread": 0.10,
    "filled_qty": 100, "fill_rate": 1.0, "shortfall_per_share": 0.02, "time_to_first_fill_ms": 1.0,
    "markout_1s": 0.0, "net_fees_per_share": 0.001,
}
FIVE = range(5)


def orders(router: str, seeds: range | list[int], per_seed: int, **values: Value) -> pd.DataFrame:
    """Per-order rows; a value may be a function of (seed, order index within the seed)."""
    cols = {**BASE, **values}
    rows = []
    for s in seeds:
        for i in range(per_seed):
            rows.append({"router": router, "seed": s, "parent_id": i,
                         **{k: (v(s, i) if callable(v) else v) for k, v in cols.items()}})
    return pd.DataFrame(rows)


def row(table: pd.DataFrame, figure: str, a: str = "A", b: str = "B", order_class: str = ALL, symbol: str = ALL,
        size_bucket: str = ALL) -> pd.Series:
    sel = table[(table["figure"] == figure) & (table["router_a"] == a) & (table["router_b"] == b)
                & (table["order_class"] == order_class) & (table["symbol"] == symbol)
                & (table["size_bucket"] == size_bucket)]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def test_interval_is_students_t_over_the_per_seed_paired_means():
    # A's PI exceeds B's by 0.01 x (seed + 1) on every order of the seed, +-0.005 noise that cancels within the seed:
    # per-seed means 0.01 .. 0.05 -> mean 0.03, sd 0.015811, se 0.0070711, t(0.975, 4) = 2.7764, half 0.019633
    a = orders("A", FIVE, 20, pi_per_share=lambda s, i: 0.01 * (s + 1) + (0.005 if i % 2 else -0.005))
    t = paired_table(pd.concat([a, orders("B", FIVE, 20)]))
    assert list(t.columns) == PAIRED_COLUMNS
    r = row(t, "pi_per_share")
    assert (r["n"], r["seeds"], r["weight"], r["level"]) == (100, 5, 1.0, 0.95)
    assert r["mean_diff"] == pytest.approx(0.03) and r["sd_seed"] == pytest.approx(0.015811, abs=1e-6)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((0.010367, 0.049633), abs=1e-6)
    assert r["zero_excluded"] and r["better"] == "A" and r["verdict"].startswith("A better")
    # lower is better for fees: A pays 0.002 more on every order (per-seed means all 0.002, sd 0): B is better
    fees = paired_table(pd.concat([orders("A", FIVE, 20, net_fees_per_share=0.003), orders("B", FIVE, 20)]))
    assert row(fees, "net_fees_per_share")["better"] == "B"


def test_below_five_seeds_there_is_no_interval_and_no_verdict():
    # the same consistent +0.02 on 3 seeds: the estimate is given, the interval and the verdict are not
    a = orders("A", range(3), 20, pi_per_share=0.02)
    r = row(paired_table(pd.concat([a, orders("B", range(3), 20)])), "pi_per_share")
    assert r["mean_diff"] == pytest.approx(0.02) and r["seeds"] == 3
    assert np.isnan(r["ci_low"]) and np.isnan(r["ci_high"]) and np.isnan(r["level"])
    assert not r["zero_excluded"] and r["better"] == "" and r["verdict"] == "too few seeds for a verdict (3; need 5)"


def test_symmetric_seed_effects_give_an_interval_around_zero():
    # per-seed means +0.01 / -0.01 alternating over 6 seeds: mean 0, the interval straddles zero
    a = orders("A", range(6), 10, pi_per_share=lambda s, i: 0.01 if s % 2 else -0.01)
    r = row(paired_table(pd.concat([a, orders("B", range(6), 10)])), "pi_per_share")
    assert r["mean_diff"] == pytest.approx(0.0)
    assert r["ci_low"] < 0 < r["ci_high"] and not r["zero_excluded"] and r["better"] == ""
    assert r["verdict"] == "no difference shown (95% interval includes 0)"


def test_strata_are_compared_separately_and_the_all_row_states_its_weights():
    # per seed: parents 0-2 market orders (A - B = +0.01), parent 3 a resting limit order (A - B = -0.01); seed 4 has
    # no limit order (parent 3 is a market order there too, +0.01). Paired parents: market 3 x 4 + 4 = 16, limit 4:
    # weights 16/20 = 0.8 and 0.2. Per seed the "all" value is the weighted mean over the seed's strata:
    # seeds 0-3: 0.8 x 0.01 + 0.2 x (-0.01) = 0.006; seed 4: only market -> 0.01. Mean (4 x 0.006 + 0.01) / 5 = 0.0068
    def cls(s: int, i: int) -> str:
        return "nml_at_or_inside_quote" if i == 3 and s < 4 else "market"

    a = orders("A", FIVE, 4, order_class=cls, pi_per_share=lambda s, i: -0.01 if cls(s, i) != "market" else 0.01)
    t = paired_table(pd.concat([a, orders("B", FIVE, 4, order_class=cls)]))
    market, limit = row(t, "pi_per_share", order_class="market"), row(t, "pi_per_share",
                                                                       order_class="nml_at_or_inside_quote")
    assert (market["weight"], market["n"], market["mean_diff"]) == pytest.approx((0.8, 16, 0.01))
    assert (limit["weight"], limit["n"], limit["seeds"], limit["mean_diff"]) == pytest.approx((0.2, 4, 4, -0.01))
    assert limit["verdict"] == "too few seeds for a verdict (4; need 5)"
    everything = row(t, "pi_per_share")
    assert (everything["weight"], everything["n"]) == (1.0, 20)
    assert everything["mean_diff"] == pytest.approx(0.0068)
    assert "strata weighted by their share of paired parents" in everything["population"]
    assert "strata weighted" not in market["population"]


def test_strata_come_from_the_common_market_and_cross_symbol_and_size_bucket_where_populated():
    # the router's own order_class says "market" on every row, the common market says parent 1 is a limit order;
    # symbols AAA (parents 0, 1) and BBB (parent 2), one size bucket
    a = orders("A", FIVE, 3, symbol=lambda s, i: "BBB" if i == 2 else "AAA", size_bucket="1k-5k",
               common_order_class=lambda s, i: "nml_away" if i == 1 else "market", common_size_bucket="1k-5k",
               pi_per_share=lambda s, i: float(i))
    b = a.assign(router="B", pi_per_share=0.0)
    t = paired_table(pd.concat([a, b]))
    fig = t[t["figure"] == "pi_per_share"]
    cells = set(zip(fig["order_class"], fig["symbol"], fig["size_bucket"], strict=True))
    assert cells == {("market", "AAA", "1k-5k"), ("market", "BBB", "1k-5k"), ("nml_away", "AAA", "1k-5k"),
                     ("market", ALL, ALL), ("nml_away", ALL, ALL), (ALL, ALL, ALL)}
    # parent 1 (PI difference 1.0) is in the limit stratum, parents 0 and 2 (0.0 and 2.0) in the market ones
    assert row(t, "pi_per_share", order_class="nml_away", symbol="AAA", size_bucket="1k-5k")["mean_diff"] == 1.0
    assert row(t, "pi_per_share", order_class="market", symbol="BBB", size_bucket="1k-5k")["mean_diff"] == 2.0
    assert row(t, "pi_per_share", order_class="market")["mean_diff"] == pytest.approx(1.0)


def test_time_to_fill_is_compared_only_where_both_routers_filled():
    # B never filled parent 0 (time NaN, fill rate 0): time to fill pairs 9 parents, fill rate all 10
    a = orders("A", FIVE, 10, time_to_first_fill_ms=5.0)
    b = orders("B", FIVE, 10, time_to_first_fill_ms=lambda s, i: np.nan if i == 0 else 1.0,
               fill_rate=lambda s, i: 0.0 if i == 0 else 1.0)
    t = paired_table(pd.concat([a, b]))
    ttff = row(t, "time_to_first_fill_ms")
    assert (ttff["n"], ttff["mean_diff"], ttff["unit"]) == (45, pytest.approx(4.0), "ms")
    assert ttff["population"].startswith("paired parents both routers filled")
    assert row(t, "fill_rate")["n"] == 50 and row(t, "fill_rate")["mean_diff"] == pytest.approx(0.1)


def test_eq_difference_is_a_per_seed_difference_of_ratios_of_averages():
    # every seed: A (ES 0.02, QS 0.02), (0.10, 0.20) -> E/Q 0.12/0.22; B (0.02, 0.04), (0.10, 0.20) -> 0.12/0.24;
    # the per-seed difference is the same on each of 5 seeds, so the mean is 0.12/0.22 - 0.5 (a mean of per-order
    # ratio differences would be 0.25)
    a = orders("A", FIVE, 2, effective_spread=lambda s, i: [0.02, 0.10][i], quoted_spread=lambda s, i: [0.02, 0.2][i])
    b = orders("B", FIVE, 2, effective_spread=lambda s, i: [0.02, 0.10][i], quoted_spread=lambda s, i: [0.04, 0.2][i])
    r = row(paired_table(pd.concat([a, b])), "eq_ratio")
    assert r["value_a"] == pytest.approx(0.12 / 0.22) and r["value_b"] == pytest.approx(0.5)
    assert r["mean_diff"] == pytest.approx(0.12 / 0.22 - 0.5)
    assert r["ci_low"] == pytest.approx(r["ci_high"])  # sd 0 over seeds


def test_same_orders_same_table_and_another_router_does_not_change_a_pair():
    a = orders("A", FIVE, 10, pi_per_share=lambda s, i: 0.001 * ((s * 7 + i * 3) % 5))
    b = orders("B", FIVE, 10, pi_per_share=lambda s, i: 0.001 * ((s + i) % 4))
    c = orders("C", FIVE, 10)
    two = paired_table(pd.concat([a, b]))
    pd.testing.assert_frame_equal(two, paired_table(pd.concat([a, b])))
    three = paired_table(pd.concat([a, b, c]))
    pd.testing.assert_frame_equal(two, three[(three["router_a"] == "A") & (three["router_b"] == "B")]
                                  .reset_index(drop=True))


def test_ranking_ties_routers_whose_intervals_do_not_separate_them():
    # A is 0.02 better than both on every seed; B and C differ by symmetric seed effects only (+-0.001 alternating,
    # 6 seeds: interval around 0) -> A rank 1, B and C tied at rank 2
    six = range(6)
    a = orders("A", six, 20, pi_per_share=0.02)
    b = orders("B", six, 20, pi_per_share=lambda s, i: 0.001 if s % 2 else -0.001)
    c = orders("C", six, 20, pi_per_share=lambda s, i: -0.001 if s % 2 else 0.001)
    all_orders = pd.concat([a, b, c])
    ranking = ranking_table(paired_table(all_orders), all_orders)
    assert list(ranking.columns) == RANKING_COLUMNS
    pi = ranking[(ranking["figure"] == "pi_per_share") & (ranking["order_class"] == ALL)].set_index("router")
    assert pi["rank"].to_dict() == {"A": 1, "B": 2, "C": 2}
    assert pi.loc["A", ["wins", "losses", "ties"]].tolist() == [2, 0, 0]
    assert pi.loc["B", ["wins", "losses", "ties"]].tolist() == [0, 1, 1]
    assert pi.loc["A", "value"] == pytest.approx(0.02) and (pi["note"] == "").all()
    # every other figure is identical across routers: everyone ties at rank 1
    assert set(ranking[ranking["figure"] == "fill_rate"]["rank"]) == {1}


def test_ranking_without_enough_seeds_ranks_nobody_above_anybody_and_says_why():
    # A is 0.02 better on every order of 3 seeds: no verdict, so both share rank 1
    all_orders = pd.concat([orders("A", range(3), 5, pi_per_share=0.02), orders("B", range(3), 5)])
    pi = ranking_table(paired_table(all_orders), all_orders)
    pi = pi[(pi["figure"] == "pi_per_share") & (pi["order_class"] == ALL)]
    assert set(pi["rank"]) == {1} and set(pi["note"]) == {"1 of 1 pairs: too few seeds for a verdict"}


def test_parameters_are_checked():
    o = pd.concat([orders("A", [1], 2), orders("B", [1], 2)])
    with pytest.raises(ValueError, match="level"):
        paired_table(o, level=1.0)
