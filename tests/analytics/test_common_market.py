"""The common market's columns of tca/orders.parquet and the drift table, on a hand-built case with known answers.

The case: one symbol, seed 1, three parents and two routers whose own markets drifted differently.

    parents   1: buy limit 100 @ 10.05 at 1000 ms   2: sell market 300 at 2000 ms   3: buy limit 497 @ 10.09 at 3000 ms
    R's NBBO  0 ms 10.00/10.10, 1500 ms 10.03/10.05, 2500 ms 10.00/10.10
    S's NBBO  0 ms 10.00/10.10
    common    0 ms 10.00/10.10, 2500 ms 10.05/10.09

Parent 1 meets 10.00/10.10 everywhere: at or inside the quote (bid <= 10.05 <= mid 10.05), notional 100 x 10.05 =
1,005 ("1k-5k"), no difference. Parent 2 meets 10.03/10.05 in R's market but 10.00/10.10 in S's and the common one:
R's arrival differs (a market order stays "market"; notional 300 x 10.04 = 3,012 and 300 x 10.05 = 3,015 are both
"1k-5k"). Parent 3 meets 10.00/10.10 in R's and S's markets and 10.05/10.09 in the common one: its limit 10.09 is
beyond the midpoint (10.05 < 10.09 < 10.10) in the routers' own markets but marketable (10.09 >= ask 10.09) in the
common one, and its notional 497 x 10.05 = 4,994.85 ("1k-5k") becomes 497 x 10.07 = 5,004.79 ("5k-10k").
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.analytics.common_market import (
    ALL_SEEDS,
    ANY_ROUTER,
    COMMON_COLUMNS,
    COMMON_NBBO_FILE,
    COMMON_ROUTER,
    DRIFT_COLUMNS,
    add_common_columns,
    drift_table,
)
from harness.analytics.inputs import expand_parents, load_run_folder
from harness.analytics.orders import orders_tca
from harness.analytics.report import compute_tca
from tests.analytics import builders as b

PARENTS = b.parents([
    (1, "buy", "limit", 100, 10.05, 1000),
    (2, "sell", "market", 300, None, 2000),
    (3, "buy", "limit", 497, 10.09, 3000),
])
R_NBBO = b.nbbo([(0, 10.00, 10.10), (1500, 10.03, 10.05), (2500, 10.00, 10.10)], router="R")
S_NBBO = b.nbbo([(0, 10.00, 10.10)], router="S")
COMMON = b.nbbo([(0, 10.00, 10.10), (2500, 10.05, 10.09)], router=COMMON_ROUTER)
NO_FILLS = b.fills([])


def own_orders() -> pd.DataFrame:
    """The per-order table of R and S in their own markets (no fills: the columns under test need none)."""
    nbbo = b.concat([R_NBBO, S_NBBO])
    return orders_tca(expand_parents(PARENTS, nbbo), NO_FILLS.assign(rebate_usd=0.0, pfof_usd=0.0), nbbo)


def test_the_common_columns_come_from_the_common_market_at_arrival():
    """common_bid/ask, class, bucket and the differs flag per router and parent, as worked out in the docstring."""
    o = add_common_columns(own_orders(), COMMON).set_index(["router", "parent_id"])
    assert set(COMMON_COLUMNS) <= set(o.columns)
    for router in ("R", "S"):
        assert o.loc[(router, 1), ["common_bid", "common_ask"]].tolist() == [10.00, 10.10]
        assert o.loc[(router, 2), ["common_bid", "common_ask"]].tolist() == [10.00, 10.10]
        assert o.loc[(router, 3), ["common_bid", "common_ask"]].tolist() == [10.05, 10.09]
        assert o.loc[(router, 1), "common_order_class"] == "nml_at_or_inside_quote"
        assert o.loc[(router, 2), "common_order_class"] == "market"
        assert o.loc[(router, 3), "common_order_class"] == "marketable_limit"
        assert o.loc[(router, 3), "order_class"] == "nml_beyond_midpoint"  # the router's own market keeps its class
        assert o.loc[(router, 3), ["size_bucket", "common_size_bucket"]].tolist() == ["1k-5k", "5k-10k"]
        assert o.loc[(router, 1), "common_size_bucket"] == o.loc[(router, 2), "common_size_bucket"] == "1k-5k"
    differs = o["common_arrival_differs"].to_dict()
    assert differs == {("R", 1): False, ("R", 2): True, ("R", 3): True,
                       ("S", 1): False, ("S", 2): False, ("S", 3): True}
    assert o["common_arrival_differs"].dtype == bool


def test_without_a_common_market_the_columns_are_the_routers_own():
    """No common market (vendor files, FIX logs, old folders): own NBBO, class and bucket; nothing differs."""
    own = own_orders()
    o = add_common_columns(own, None)
    np.testing.assert_array_equal(o["common_bid"], own["arrival_bid"])
    np.testing.assert_array_equal(o["common_ask"], own["arrival_ask"])
    assert (o["common_order_class"] == own["order_class"]).all()
    assert (o["common_size_bucket"] == own["size_bucket"]).all()
    assert not o["common_arrival_differs"].any()


def test_a_seed_the_common_market_does_not_cover_keeps_the_routers_own_values():
    """Seed 2 has no common rows (its common simulation failed): its rows fall back; seed 1's still use the common."""
    parents = b.concat([PARENTS, PARENTS.assign(seed=2)])
    nbbo = b.concat([R_NBBO, R_NBBO.assign(seed=2)])
    own = orders_tca(expand_parents(parents, nbbo), NO_FILLS.assign(rebate_usd=0.0, pfof_usd=0.0), nbbo)
    o = add_common_columns(own, COMMON).set_index(["seed", "parent_id"])
    assert o.loc[(2, 3), ["common_bid", "common_ask"]].tolist() == [10.00, 10.10]  # R's own quote at 3000 ms
    assert o.loc[(2, 3), "common_order_class"] == "nml_beyond_midpoint"
    assert not o.loc[2, "common_arrival_differs"].any()
    assert o.loc[(1, 3), "common_order_class"] == "marketable_limit"


def test_the_drift_table_counts_and_averages_as_worked_out():
    """Per router and seed, pooled over seeds, and once per parent for any router.

    R: parents 2 and 3 differ (2/3), parent 3 changes class and bucket (1/3); |m0 - m0_common| is 0, |10.04 - 10.05|
    = 0.01 and |10.05 - 10.07| = 0.02, mean 0.01 USD; in bps of the common mid 0, 0.01/10.05 and 0.02/10.07 x 1e4.
    S: only parent 3 differs (1/3), by 0.02: mean 0.02/3. Any router: parents 2 and 3 (2/3), largest differences
    0, 0.01, 0.02 (mean 0.01).
    """
    d = drift_table(add_common_columns(own_orders(), COMMON))
    assert list(d.columns) == DRIFT_COLUMNS
    assert list(zip(d["router"], d["seed"], strict=True)) == [
        ("R", 1), ("R", ALL_SEEDS), ("S", 1), ("S", ALL_SEEDS), (ANY_ROUTER, 1), (ANY_ROUTER, ALL_SEEDS)]
    r, s, anyr = d.iloc[0], d.iloc[2], d.iloc[4]
    assert (r["parents"], r["arrival_differs"], r["class_differs"], r["size_bucket_differs"]) == (3, 2, 1, 1)
    assert r["arrival_differs_share"] == pytest.approx(2 / 3) and r["class_differs_share"] == pytest.approx(1 / 3)
    assert r["mid_parents"] == 3 and r["mid_abs_diff_usd"] == pytest.approx(0.01)
    assert r["mid_abs_diff_bps"] == pytest.approx((0.01 / 10.05 + 0.02 / 10.07) * 1e4 / 3)
    assert (s["arrival_differs"], s["class_differs"]) == (1, 1)
    assert s["mid_abs_diff_usd"] == pytest.approx(0.02 / 3)
    assert (anyr["parents"], anyr["arrival_differs"], anyr["class_differs"]) == (3, 2, 1)
    assert anyr["mid_abs_diff_usd"] == pytest.approx(0.01)
    pd.testing.assert_series_equal(d.iloc[1].drop("seed"), r.drop("seed"), check_names=False)  # one seed: all = 1


def test_the_all_seeds_row_pools_every_parent_equally():
    """Seed 2 is R's market with no drift (its own NBBO is the common one): R over both seeds differs 2 of 6."""
    parents = b.concat([PARENTS, PARENTS.assign(seed=2)])
    nbbo = b.concat([R_NBBO, R_NBBO.assign(seed=2)])
    common = b.concat([COMMON, R_NBBO.assign(seed=2, router=COMMON_ROUTER)])
    own = orders_tca(expand_parents(parents, nbbo), NO_FILLS.assign(rebate_usd=0.0, pfof_usd=0.0), nbbo)
    d = drift_table(add_common_columns(own, common)).set_index(["router", "seed"])
    assert d.loc[("R", 2), "arrival_differs"] == 0 and d.loc[("R", 2), "mid_abs_diff_usd"] == 0.0
    assert d.loc[("R", ALL_SEEDS), "parents"] == 6 and d.loc[("R", ALL_SEEDS), "arrival_differs"] == 2
    assert d.loc[("R", ALL_SEEDS), "mid_abs_diff_usd"] == pytest.approx(0.03 / 6)


def test_a_run_folder_with_a_common_market_gets_the_columns_and_drift(tmp_path):
    """load_run_folder reads common/nbbo.parquet; compute_tca adds the columns and the drift table."""
    run = b.write_run(tmp_path / "run", {"parent_orders": PARENTS, "fills": NO_FILLS,
                                        "nbbo": b.concat([R_NBBO, S_NBBO])})
    (run / "common").mkdir()
    COMMON.to_parquet(run / COMMON_NBBO_FILE, index=False)
    inputs = load_run_folder(run)
    assert inputs.common_nbbo is not None and len(inputs.common_nbbo) == 2
    assert set(inputs.parents["router"]) == {"R", "S"}  # the common market adds no run
    tables = compute_tca(inputs)
    assert tables.orders["common_arrival_differs"].sum() == 3
    assert tables.drift is not None and len(tables.drift) == 6
    (run / COMMON_NBBO_FILE).unlink()
    plain = compute_tca(load_run_folder(run))
    assert plain.drift is None and not plain.orders["common_arrival_differs"].any()
