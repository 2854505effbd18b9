"""Paired router comparisons: mean paired differences, two-stage bootstrap intervals, the ranking built on them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from harness.analytics.paired import PAIRED_COLUMNS, RANKING_COLUMNS, bootstrap_sums, paired_table, ranking_table

Value = float | Callable[[int, int], float]
BASE = {"pi_per_share": 0.0, "effective_spread": 0.05, "quoted_spread": 0.10, "filled_qty": 100, "fill_rate": 1.0,
        "shortfall_per_share": 0.02, "time_to_first_fill_ms": 1.0, "markout_1s": 0.0, "net_fees_per_share": 0.001}


def orders(router: str, seeds: range | list[int], per_seed: int, **values: Value) -> pd.DataFrame:
    """Per-order rows; a value may be a function of (seed, order index within the seed)."""
    cols = {**BASE, **values}
    rows = []
    for s in seeds:
        for i in range(per_seed):
            rows.append({"router": router, "seed": s, "parent_id": i,
                         **{k: (v(s, i) if callable(v) else v) for k, v in cols.items()}})
    return pd.DataFrame(rows)


def row(table: pd.DataFrame, figure: str, a: str = "A", b: str = "B") -> pd.Series:
    return table[(table["figure"] == figure) & (table["router_a"] == a) & (table["router_b"] == b)].iloc[0]


def test_two_stage_bootstrap_draws_seeds_then_orders_within_each_drawn_seed():
    # seed 0 has one order (value 1), seed 1 three orders (value 1): a replicate draws 2 seeds, then each drawn
    # seed's orders, so its count of orders is 2 (seed 0 twice), 4 (one of each) or 6 (seed 1 twice), nothing else.
    values = np.ones((4, 1))
    sums = bootstrap_sums(values, np.array([0, 1, 1, 1]), n_boot=400, rng=np.random.default_rng(0))
    assert set(np.unique(sums)) == {2.0, 4.0, 6.0}
    assert (sums == 4.0).mean() == pytest.approx(0.5, abs=0.08)


def test_bootstrap_in_small_memory_batches_still_draws_every_seeds_orders():
    # 5 seeds of 10 orders: every replicate holds 5 seed draws of 10 orders each, so a column of ones sums to 50
    values = np.column_stack([np.random.default_rng(3).normal(size=50), np.ones(50)])
    groups = np.repeat(np.arange(5), 10)
    for max_cells in (2_000_000, 25):
        sums = bootstrap_sums(values, groups, n_boot=300, rng=np.random.default_rng(1), max_cells=max_cells)
        assert sums.shape == (300, 2) and (sums[:, 1] == 50).all()
        assert sums[:, 0].std() > 0


def test_consistent_difference_has_an_interval_that_excludes_zero_and_names_the_better_router():
    # A's PI is 0.02 above B's on every order, plus noise of +-0.005: mean difference 0.02 (the noise cancels).
    a = orders("A", range(3), 20, pi_per_share=lambda s, i: 0.02 + (0.005 if i % 2 else -0.005))
    b = orders("B", range(3), 20)
    t = paired_table(pd.concat([a, b]), n_boot=500)
    assert list(t.columns) == PAIRED_COLUMNS
    r = row(t, "pi_per_share")
    assert r["n"] == 60 and r["seeds"] == 3 and r["mean_diff"] == pytest.approx(0.02)
    assert 0 < r["ci_low"] < 0.02 < r["ci_high"] and r["zero_excluded"] and r["better"] == "A"
    # lower is better for fees: B pays less, so B is better when A's fees are higher
    fees = paired_table(pd.concat([orders("A", range(3), 20, net_fees_per_share=lambda s, i: 0.003 + i * 1e-5),
                                   b]), n_boot=300)
    assert row(fees, "net_fees_per_share")["better"] == "B"


def test_symmetric_differences_give_an_interval_around_zero():
    # differences +0.01 and -0.01 alternate in every seed: mean 0, the interval must straddle zero
    a = orders("A", range(4), 20, pi_per_share=lambda s, i: 0.01 if i % 2 else -0.01)
    t = paired_table(pd.concat([a, orders("B", range(4), 20)]), n_boot=500)
    r = row(t, "pi_per_share")
    assert r["mean_diff"] == pytest.approx(0.0)
    assert r["ci_low"] < 0 < r["ci_high"] and not r["zero_excluded"] and r["better"] == ""


def test_interval_shrinks_when_seeds_are_added():
    # seed effects alternate +0.01 / -0.01 (each seed is its own market); orders within a seed add +-0.001.
    def diff(s: int, i: int) -> float:
        return (0.01 if s % 2 else -0.01) + (0.001 if i % 2 else -0.001)

    widths = {}
    for n_seeds in (2, 8):
        t = paired_table(pd.concat([orders("A", range(n_seeds), 10, pi_per_share=diff),
                                    orders("B", range(n_seeds), 10)]), n_boot=1000)
        r = row(t, "pi_per_share")
        widths[n_seeds] = r["ci_high"] - r["ci_low"]
    assert widths[8] < 0.75 * widths[2]


def test_eq_difference_is_a_difference_of_ratios_of_averages():
    # A: (ES 0.02, QS 0.02) and (ES 0.10, QS 0.20) -> E/Q 0.12/0.22; B: (0.02, 0.04), (0.10, 0.20) -> 0.12/0.24.
    a = orders("A", [1], 2, effective_spread=lambda s, i: [0.02, 0.10][i], quoted_spread=lambda s, i: [0.02, 0.2][i])
    b = orders("B", [1], 2, effective_spread=lambda s, i: [0.02, 0.10][i], quoted_spread=lambda s, i: [0.04, 0.2][i])
    r = row(paired_table(pd.concat([a, b]), n_boot=200), "eq_ratio")
    assert r["value_a"] == pytest.approx(0.12 / 0.22) and r["value_b"] == pytest.approx(0.5)
    assert r["mean_diff"] == pytest.approx(0.12 / 0.22 - 0.5)  # a mean of per-order ratio differences is 0.25


def test_only_orders_both_routers_have_the_figure_are_paired():
    # B never filled order 0: its PI is NaN there, so PI pairs 9 orders while fill rate pairs all 10
    a = orders("A", [1], 10, pi_per_share=0.01)
    b = orders("B", [1], 10, pi_per_share=lambda s, i: np.nan if i == 0 else 0.0,
               fill_rate=lambda s, i: 0.0 if i == 0 else 1.0)
    t = paired_table(pd.concat([a, b]), n_boot=100)
    assert row(t, "pi_per_share")["n"] == 9 and row(t, "fill_rate")["n"] == 10
    assert row(t, "fill_rate")["mean_diff"] == pytest.approx(0.1)


def test_same_seed_same_table_and_another_router_does_not_change_a_pairs_interval():
    a = orders("A", range(3), 10, pi_per_share=lambda s, i: 0.001 * ((s * 7 + i * 3) % 5))
    b = orders("B", range(3), 10, pi_per_share=lambda s, i: 0.001 * ((s + i) % 4))
    c = orders("C", range(3), 10)
    two = paired_table(pd.concat([a, b]), n_boot=200, seed=5)
    pd.testing.assert_frame_equal(two, paired_table(pd.concat([a, b]), n_boot=200, seed=5))
    three = paired_table(pd.concat([a, b, c]), n_boot=200, seed=5)
    pd.testing.assert_frame_equal(two, three[(three["router_a"] == "A") & (three["router_b"] == "B")]
                                  .reset_index(drop=True))
    other = paired_table(pd.concat([a, b]), n_boot=200, seed=6)
    assert not row(other, "pi_per_share")[["ci_low", "ci_high"]].equals(row(two, "pi_per_share")[["ci_low",
                                                                                                  "ci_high"]])


def test_ranking_ties_routers_whose_intervals_do_not_separate_them():
    # A is 0.02 better than both; B and C differ by symmetric noise only -> A rank 1, B and C tied at rank 2
    a = orders("A", range(3), 20, pi_per_share=0.02)
    b = orders("B", range(3), 20, pi_per_share=lambda s, i: 0.001 if i % 2 else -0.001)
    c = orders("C", range(3), 20, pi_per_share=lambda s, i: -0.001 if i % 2 else 0.001)
    all_orders = pd.concat([a, b, c])
    ranking = ranking_table(paired_table(all_orders, n_boot=300), all_orders)
    assert list(ranking.columns) == RANKING_COLUMNS
    pi = ranking[ranking["figure"] == "pi_per_share"].set_index("router")
    assert pi["rank"].to_dict() == {"A": 1, "B": 2, "C": 2}
    assert pi.loc["A", ["wins", "losses", "ties"]].tolist() == [2, 0, 0]
    assert pi.loc["B", ["wins", "losses", "ties"]].tolist() == [0, 1, 1]
    assert pi.loc["A", "value"] == pytest.approx(0.02)
    # every other figure is identical across routers: everyone ties at rank 1
    assert set(ranking[ranking["figure"] == "fill_rate"]["rank"]) == {1}


def test_parameters_are_checked():
    o = pd.concat([orders("A", [1], 2), orders("B", [1], 2)])
    with pytest.raises(ValueError, match="n_boot"):
        paired_table(o, n_boot=0)
    with pytest.raises(ValueError, match="ci_level"):
        paired_table(o, ci_level=1.0)
