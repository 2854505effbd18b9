"""Conflict-of-interest evidence: a planted conflicted router is flagged, a clean one is not, across several seeds;
elasticity, regret, economics, concentration, the regression and the leakage figures match hand-worked numbers.

Planted run (seeds 1-4; symbol XYZ; NBBO 10.00 / 10.10 throughout, so FT = 10.10 and m = 10.05 for every buy): ten
market buys of 100 shares per seed, order i arriving at i seconds, each routed whole as one IOC child and filled
1 ms later. Venues: LIT1 (lit: take fee $0.003, maker rebate $0.002), WH_LO (wholesaler, PFOF $0.001), WH_HI
(wholesaler, PFOF $0.003).
    best-price: WH_LO at 10.07 -> PI 0.03 (300 cph); PFOF 0.10 per order -> broker +10 cph
    conflicted: WH_HI at 10.09 (odd i) / 10.08 (even i) -> PI 0.01 / 0.02 (mean 150 cph); PFOF 0.30 -> +30 cph
    clean:      LIT1 at 10.10 -> PI 0; take fee 0.30 per order -> broker -30 cph
Regret against best-price, per order: conflicted 200 (odd) / 100 (even) cph, mean 150; clean 300 every order.
Paying-venue share: best-price 1 and conflicted 1 (PFOF venues); clean 0 (IOC at LIT1 takes and pays a fee).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.analytics import analyze, compute_tca, load_run_folder, payment_elasticity
from harness.analytics.conflict import ConflictParams, compute_conflict
from harness.analytics.context import RunContext, VenueTerms, load_run_context
from harness.analytics.incentive import regret_table
from harness.analytics.leakage import fast_trader_profit, other_venue_moves, quote_fade
from harness.analytics.paying_venues import paid_routed_shares, venue_pays
from harness.analytics.venue_choice import _ols_hc1
from tests.analytics import builders as b

MS = 1_000_000
SEEDS = (1, 2, 3, 4, 5)
"""Five seeds: the fewest on which the outcome (regret) evidence gives a verdict (MIN_SEEDS)."""
VENUES = [
    {"name": "LIT1", "kind": "lit", "fees": {"model": "maker-taker", "take_usd": 0.003, "make_usd": -0.002}},
    {"name": "WH_LO", "kind": "wholesaler", "fees": {"model": "flat", "take_usd": 0.0, "make_usd": 0.0,
                                                     "pfof_usd": 0.001}},
    {"name": "WH_HI", "kind": "wholesaler", "fees": {"model": "flat", "take_usd": 0.0, "make_usd": 0.0,
                                                     "pfof_usd": 0.003}},
]
ROUTES = {  # router -> (venue, price for odd orders, price for even orders, fee per share, pfof per share)
    "best-price": ("WH_LO", 10.07, 10.07, 0.0, 0.001),
    "conflicted": ("WH_HI", 10.09, 10.08, 0.0, 0.003),
    "clean": ("LIT1", 10.10, 10.10, 0.003, 0.0),
}


def planted_tables(seeds: tuple[int, ...] = SEEDS) -> dict[str, pd.DataFrame]:
    parents, fills, nbbo, children = [], [], [], []
    for seed in seeds:
        parents.append(b.parents([(i, "buy", "market", 100, None, 1000 * i) for i in range(1, 11)], seed=seed))
        for router, (venue, odd, even, fee, pfof) in ROUTES.items():
            nbbo.append(b.nbbo([(0, 10.00, 10.10), (60_000, 10.00, 10.10)], router=router, seed=seed))
            children.append(b.children([(100 + i, i, venue, "ioc", 100, 100) for i in range(1, 11)], router=router,
                                       seed=seed))
            f = b.fills([(i, 100 + i, venue, 1000 * i + 1, 100, odd if i % 2 else even, "removed", 0.0)
                         for i in range(1, 11)], router=router, seed=seed)
            fills.append(f.assign(fee_usd=fee * 100, rebate_usd=0.0, pfof_usd=pfof * 100))
    return {"parent_orders": b.concat(parents), "fills": b.concat(fills), "nbbo": b.concat(nbbo),
            "child_orders": b.concat(children)}


INCENTIVE_SEEDS = (1, 2, 3, 4, 5)
"""Five seeds: the fewest on which the incentive test gives a verdict (MIN_SEEDS)."""


def incentive_table() -> pd.DataFrame:
    """PFOF channel. Twin 0: the scenario; twin 1: the wholesalers' PFOF swapped (rotation 1). conflicted follows the
    money (all its shares to the higher payer), best-price stays at WH_LO, clean at LIT1, whose payment is not
    permuted (held at 2 mils in both twins, so every venue's payment averages 2 mils: see the venue-choice test)."""
    pay = {0: {"LIT1": 0.002, "WH_LO": 0.001, "WH_HI": 0.003}, 1: {"LIT1": 0.002, "WH_LO": 0.003, "WH_HI": 0.001}}
    target = {"best-price": {0: "WH_LO", 1: "WH_LO"}, "clean": {0: "LIT1", 1: "LIT1"},
              "conflicted": {0: "WH_HI", 1: "WH_LO"}}
    return pd.DataFrame([
        {"router": r, "channel": "pfof", "twin": t, "rotation": t, "seed": s, "venue": v,
         "routed_shares": 1000 if target[r][t] == v else 0, "payment_usd": pay[t][v]}
        for r in target for t in (0, 1) for s in INCENTIVE_SEEDS for v in pay[t]
    ])


def planted_run(tmp_path: Path, *, incentive: bool, seeds: tuple[int, ...] = SEEDS) -> Path:
    run = b.write_run(tmp_path / "run", planted_tables(seeds))
    manifest = {"scenario": {"session": {"date": "2026-11-20"}, "symbols": [{"name": "XYZ", "sp500": True}],
                             "venues": VENUES}}
    (run / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    if incentive:
        (run / "incentive").mkdir()
        incentive_table().to_parquet(run / "incentive" / "venue_shares.parquet", index=False)
    return run


def conflict_of(run: Path, params: ConflictParams | None = None):
    context = load_run_context(run)
    inputs = load_run_folder(run)
    tables = compute_tca(inputs, context=context)
    return compute_conflict(tables.orders, tables.fills, inputs.nbbo, context=context,
                            params=params or ConflictParams())


def follow_rows(slopes: dict[int, float], *, channel: str = "maker_rebate", copies: int = 1) -> list[dict]:
    """Venues A, B; twin 0 pays A $0.001 and B $0.003, twins 1..copies swap them (all rotation 1). Router "follow"
    in seed s has A's share 50 - d_s points in twin 0 and 50 + d_s after the swap; "flat" routes 50/50 always."""
    pay = {0: {"A": 0.001, "B": 0.003}, 1: {"A": 0.003, "B": 0.001}}
    rows = []
    for s, d in slopes.items():
        for t in range(copies + 1):
            a = 50 - d if t == 0 else 50 + d
            for v, share in (("A", a), ("B", 100 - a)):
                rows.append({"router": "follow", "channel": channel, "twin": t, "rotation": min(t, 1), "seed": s,
                             "venue": v, "routed_shares": round(10 * share), "payment_usd": pay[min(t, 1)][v]})
                rows.append({**rows[-1], "router": "flat", "routed_shares": 500})
    return rows


def test_elasticity_is_the_per_seed_within_venue_slope_with_a_seed_level_t_interval():
    # Per seed, demeaned within venue: payment -1 / +1 mil, A's share -d / +d (B mirrored): sum xy 4d, sum xx 4, so
    # the seed's slope is d points per $0.001. d = 20, 25, 30, 25, 25: mean 25, sd sqrt(50 / 4) = 3.5355,
    # se 3.5355 / sqrt(5) = 1.5811, t(0.975, 4) = 2.7764: half-width 4.3899 -> [20.610, 29.390]. flat: 0 exactly.
    table = payment_elasticity(pd.DataFrame(follow_rows({1: 20, 2: 25, 3: 30, 4: 25, 5: 25}))).set_index("router")
    row = table.loc["follow"]
    assert row["payment_elasticity"] == pytest.approx(25.0)
    assert (row["elasticity_ci_low"], row["elasticity_ci_high"]) == pytest.approx((20.6101, 29.3899), abs=1e-4)
    assert row["seeds"] == 5 and row["twins"] == 1 and row["verdict"] and row["channel"] == "maker_rebate"
    assert row["broker_channel"] and row["note"] == ""
    assert (table.loc["flat", "payment_elasticity"], table.loc["flat", "elasticity_ci_high"]) == (0.0, 0.0)


def test_repeating_a_rotation_changes_nothing_and_rebates_passed_through_are_not_a_conflict_channel():
    # Three copies of the same swap are the same scenario three times: each distinct setting counts once, so the
    # estimate and its interval are those of one copy.
    slopes = {1: 20, 2: 25, 3: 30, 4: 25, 5: 25}
    one = payment_elasticity(pd.DataFrame(follow_rows(slopes))).set_index("router")
    three = payment_elasticity(pd.DataFrame(follow_rows(slopes, copies=3))).set_index("router")
    assert three.loc["follow", "twins"] == 3
    cols = ["payment_elasticity", "elasticity_ci_low", "elasticity_ci_high"]
    assert three.loc["follow", cols].tolist() == pytest.approx(one.loc["follow", cols].tolist())
    passed = payment_elasticity(pd.DataFrame(follow_rows(slopes)), rebates="passed-through").set_index("router")
    assert not passed.loc["follow", "broker_channel"]
    assert passed.loc["follow", "note"] == ("rebates passed-through: maker rebates are the customer's, "
                                            "not a conflict channel")
    pfof = payment_elasticity(pd.DataFrame(follow_rows(slopes, channel="pfof")), rebates="passed-through")
    assert pfof.set_index("router").loc["follow", "broker_channel"]  # PFOF is always the broker's


def test_elasticity_below_five_seeds_gives_no_interval_and_no_verdict():
    two = payment_elasticity(pd.DataFrame(follow_rows({1: 20, 2: 30}))).set_index("router").loc["follow"]
    assert two["payment_elasticity"] == pytest.approx(25.0) and np.isnan(two["elasticity_ci_low"])
    assert not two["verdict"] and two["note"] == "too few seeds for a verdict (2; need 5)"
    still = payment_elasticity(pd.DataFrame(follow_rows({1: 20})).assign(payment_usd=0.001)).iloc[0]
    assert np.isnan(still["payment_elasticity"]) and still["note"].startswith("payments did not vary across twins")
    assert payment_elasticity(None).empty


def test_planted_conflicted_router_is_flagged_on_outcomes_and_the_clean_one_is_not(tmp_path):
    c = conflict_of(planted_run(tmp_path, incentive=False))
    s = c.summary.set_index("router")
    assert s.loc["conflicted", "customer_net_pi_cph"] == pytest.approx(150.0)
    assert s["customer_net_pi_cph"][["best-price", "clean"]].tolist() == pytest.approx([300.0, 0.0])
    assert s["broker_net_payment_cph"][["best-price", "conflicted", "clean"]].tolist() == pytest.approx(
        [10.0, 30.0, -30.0])
    assert s["paying_venue_share"][["best-price", "conflicted", "clean"]].tolist() == [1.0, 1.0, 0.0]
    assert s.loc["conflicted", "regret_cph"] == pytest.approx(150.0)
    # every seed's orders are alike (per-order regrets 100 and 200, mean 150), so the per-seed means are all 150 and
    # their t interval is [150, 150]
    assert s.loc["conflicted", "regret_ci_low"] == pytest.approx(150.0) == s.loc["conflicted", "regret_ci_high"]
    assert s.loc["clean", "regret_cph"] == pytest.approx(300.0) and s.loc["conflicted", "regret_orders"] == 50
    assert set(s["reference_router"]) == {"best-price"}
    assert s["flagged"].to_dict() == {"best-price": False, "clean": False, "conflicted": True}
    assert s.loc["conflicted", "reason"].startswith("flagged: outcome: customers forgo 150.00 cph")
    assert "no incentive test" in s.loc["clean", "reason"] and np.isnan(s.loc["clean", "payment_elasticity"])
    # without the incentive test nothing shows that the unflagged routers do not follow payments
    assert s["finding"].to_dict() == {"best-price": "insufficient evidence", "clean": "insufficient evidence",
                                      "conflicted": "flagged"}
    assert s.loc["clean", "reason"].startswith("insufficient evidence: no incentive test")
    # the clean router's customers also do worse, but it sends nothing to paying venues: a quality matter, no conflict
    assert "paying-venue share 0%" in s.loc["clean", "reason"]


def test_outcome_evidence_on_fewer_than_five_seeds_gives_no_verdict(tmp_path):
    # the same planted run on 4 seeds: regret is still 150 cph (every seed alike), but 4 seeds are too few for an
    # interval or a verdict, so nobody is flagged, the finding is "insufficient evidence" and the reason says why
    s = conflict_of(planted_run(tmp_path, incentive=False, seeds=(1, 2, 3, 4))).summary.set_index("router")
    assert s.loc["conflicted", "regret_cph"] == pytest.approx(150.0) and np.isnan(s.loc["conflicted", "regret_ci_low"])
    assert not s["flagged"].any() and (s["finding"] == "insufficient evidence").all()
    assert "regret 150.00 cph vs best-price: too few seeds for a verdict (4; need 5)" in s.loc["conflicted", "reason"]


def test_planted_conflicted_router_is_flagged_by_the_incentive_test(tmp_path):
    # conflicted: WH_LO share 0 -> 100 points and WH_HI 100 -> 0 as their payments go 1 -> 3 and 3 -> 1 mils:
    # demeaned (-1, -50), (+1, +50) and (+1, +50), (-1, -50): sum xy 200, sum xx 4 per seed -> 50 points per $0.001,
    # identical in all 5 seeds so the interval is [50, 50]. best-price and clean never move: 0.
    c = conflict_of(planted_run(tmp_path, incentive=True))
    s = c.summary.set_index("router")
    assert s.loc["conflicted", "payment_elasticity"] == pytest.approx(50.0)
    assert s.loc["conflicted", "elasticity_ci_low"] == pytest.approx(50.0)
    assert s.loc["conflicted", "elasticity_channel"] == "pfof"
    assert s["payment_elasticity"][["best-price", "clean"]].tolist() == [0.0, 0.0]
    assert s["flagged"].to_dict() == {"best-price": False, "clean": False, "conflicted": True}
    # best-price and clean: every channel's interval is [0, 0], at or below the threshold 1: shown clean
    assert s["finding"].to_dict() == {"best-price": "not flagged", "clean": "not flagged", "conflicted": "flagged"}
    assert set(c.elasticity.loc[c.elasticity["router"] == "conflicted", "finding"]) == {"flagged"}
    assert "incentive test (PFOF): venue share moves +50.00 points" in s.loc["conflicted", "reason"]
    assert list(c.elasticity.columns[:2]) == ["router", "channel"]
    assert "outcome:" in s.loc["conflicted", "reason"]
    # a committee that demands more than 60 points per $0.001 sees only the outcome evidence
    strict = conflict_of(planted_run(tmp_path / "strict", incentive=True),
                         ConflictParams(elasticity_threshold_pts=60.0)).summary.set_index("router")
    assert strict.loc["conflicted", "flagged"]
    assert strict.loc["conflicted", "reason"].startswith("flagged: outcome:")
    assert "incentive test" not in strict.loc["conflicted", "reason"]


def test_no_reference_router_means_no_regret_and_no_outcome_flag(tmp_path):
    c = conflict_of(planted_run(tmp_path, incentive=False), ConflictParams(reference_routers=("nope",)))
    s = c.summary.set_index("router")
    assert not s["flagged"].any() and s["regret_cph"].isna().all()
    assert "no reference router in the run" in s.loc["conflicted", "reason"]


def test_regret_picks_the_best_reference_present_by_customer_pi(tmp_path):
    orders = compute_tca(load_run_folder(b.write_run(tmp_path / "run", planted_tables()))).orders
    # both clean (0 cph) and best-price (300 cph) are references: best-price is the better one
    table = regret_table(orders, ("clean", "best-price")).set_index("router")
    assert set(table["reference_router"]) == {"best-price"} and table.loc["best-price", "regret_cph"] == 0.0


def test_venue_choice_reports_an_unidentified_regression_instead_of_numbers(tmp_path):
    # three venues x 5 seeds = 15 observations, whose quality never changes across seeds: the fill rate is 100%
    # everywhere (dropped), PI and markout move together across the three venues (markout dropped as collinear), and
    # the 3 distinct rows would fit intercept, payment and PI exactly, with zero standard errors: reported as not
    # identified, not as numbers
    vc = conflict_of(planted_run(tmp_path, incentive=False)).venue_choice
    rows = vc[vc["router"] == "conflicted"]
    assert list(rows["term"]) == ["intercept", "payment_mils", "pi_cph"]
    assert rows["coef"].isna().all()
    assert rows["note"].iloc[0] == ("fill_rate_pct constant: dropped; markout_1s_cph collinear with the other terms: "
                                    "dropped; not identified (15 observations, 3 distinct, 3 terms, rank 3)")


def test_venue_choice_with_the_incentive_test_identifies_the_payment_effect_within_venues(tmp_path):
    """The PFOF twins add seed x twin x venue rows whose payments vary within a venue: 5 seeds x 2 twins x 3 venues,
    all 5 of which the planted run also has (so all have quality controls): 30 rows.

    conflicted sends all its shares to WH_HI in twin 0 (3 mils) and to WH_LO in twin 1 (WH_LO now 3 mils): within
    each wholesaler its share moves 0 -> 100 points as the payment goes 1 -> 3 mils, 50 points per mil. Every venue's
    payment averages 2 mils over the twins (LIT1 is 2 in both), so payment is orthogonal to the venue-level controls
    and its coefficient is exactly that within-venue slope, 50; best-price (always WH_LO) and clean (always LIT1)
    never move within a venue: 0, their intervals covering zero.
    """
    vc = conflict_of(planted_run(tmp_path, incentive=True)).venue_choice.set_index(["router", "term"])
    assert vc.loc[("conflicted", "payment_mils"), "coef"] == pytest.approx(50.0)
    assert vc.loc[("conflicted", "payment_mils"), "ci_low"] > 0
    assert vc.loc[("conflicted", "payment_mils"), "n"] == 30
    for clean in ("best-price", "clean"):
        row = vc.loc[(clean, "payment_mils")]
        assert row["coef"] == pytest.approx(0.0, abs=1e-9) and row["ci_low"] < 0 < row["ci_high"]
    assert vc.loc[("conflicted", "payment_mils"), "note"].startswith("with the incentive test: 2 payment settings")


def test_ols_with_hc1_standard_errors_matches_the_hand_computation():
    # x = 1..4, y = 1, 3, 2, 4: slope Sxy / Sxx = 4 / 5 = 0.8, intercept 2.5 - 0.8 x 2.5 = 0.5; residuals -0.3,
    # 0.9, -0.9, 0.3; HC0 var(slope) = sum((x - 2.5)^2 e^2) / Sxx^2 = 0.81 / 25 = 0.0324, HC1 x 4 / 2 = 0.0648,
    # SE 0.254558; R^2 = 1 - 1.8 / 5 = 0.64
    x = np.column_stack([np.ones(4), [1.0, 2.0, 3.0, 4.0]])
    coef, se, r2 = _ols_hc1(x, np.array([1.0, 3.0, 2.0, 4.0]))
    assert coef == pytest.approx([0.5, 0.8]) and se[1] == pytest.approx(np.sqrt(0.0648)) and r2 == pytest.approx(0.64)


def test_paid_routed_shares_count_executed_shares_by_their_liquidity_and_the_rest_by_the_order():
    # LIT1 pays makers (rebate $0.002), charges takers. Child 1: day 500, 200 filled removing liquidity -> the 200
    # pay a fee (not paid), the 300 left rest (paid): 300. Child 2: IOC 100 at LIT1, unfilled -> sought to take: 0.
    # Child 3: WH_HI (PFOF) 100 -> 100 whatever the role.
    context = RunContext(venues={v["name"]: VenueTerms(name=v["name"], kind=v["kind"], take_usd=v["fees"]["take_usd"],
                                                       make_usd=v["fees"]["make_usd"],
                                                       pfof_usd=v["fees"].get("pfof_usd", 0.0)) for v in VENUES})
    children = pd.DataFrame({"router": "r", "seed": 1, "child_id": [1, 2, 3], "venue": ["LIT1", "LIT1", "WH_HI"],
                             "tif": ["day", "ioc", "ioc"], "qty": [500, 100, 100]})
    fills = pd.DataFrame({"router": "r", "seed": 1, "child_id": [1, 3], "venue": ["LIT1", "WH_HI"], "qty": [200, 100],
                          "liquidity": ["removed", "removed"], "pfof_usd": [0.0, 0.3], "rebate_usd": 0.0,
                          "fee_usd": [0.6, 0.0]})
    pays = venue_pays(context, fills)
    assert list(paid_routed_shares(children, fills, pays)) == [300.0, 0.0, 100.0]
    # without schedules, payments are read from the fills: WH_HI paid PFOF, LIT1 only charged
    inferred = venue_pays(RunContext(), fills)
    assert inferred[("WH_HI", "added")] and not inferred[("LIT1", "removed")]


def test_quote_fade_counts_the_displayed_size_gone_before_the_child_arrived():
    # V1 asks 10.10 x 300 at 0 ms; 100 left at 0.5 ms; child A (buy 200 @ 10.10, sent 0, arrives 1 ms) targeted 200
    # and finds 100: 100 faded. Child B (buy 100 @ 10.12, sent 2 ms, arrives 3 ms) targeted 100 at 10.10, but the
    # ask is 10.11 on arrival: all 100 faded. Child C (buy @ 10.05) targets nothing. Fade (100 + 100) / 300.
    quotes = pd.DataFrame({"router": "r", "seed": 1, "venue": "V1", "symbol": "XYZ",
                           "ts_ns": [0, MS // 2, int(2.5 * MS)], "bid": 10.0, "bid_size": 100,
                           "ask": [10.10, 10.10, 10.11], "ask_size": [300, 100, 500]})
    children = pd.DataFrame({"router": "r", "seed": 1, "venue": "V1", "symbol": "XYZ", "side": "buy",
                             "limit_price": [10.10, 10.12, 10.05], "qty": [200, 100, 100],
                             "sent_ts_ns": [0, 2 * MS, 0], "venue_ts_ns": [MS, 3 * MS, MS]})
    row = quote_fade(children, quotes).iloc[0]
    assert (row["targeting_children"], row["targeted_shares"], row["faded_shares"]) == (2, 300, 200)
    assert row["quote_fade"] == pytest.approx(2 / 3)


def test_other_venues_quotes_moving_after_a_fill_and_fast_trader_profit():
    # A buy fills at V1 at 10 ms. Before it the other venues show V2 10.00/10.10 and V3 10.01/10.11: mid of the
    # best bid and offer (10.01 + 10.10) / 2 = 10.055. By 110 ms V2 is 10.02/10.12 and V3 10.03/10.13: (10.03 +
    # 10.12) / 2 = 10.075; the move against the buyer is +0.02 = 200 cph, also at 1 s (quotes last until 2 s).
    quotes = pd.DataFrame({"router": "r", "seed": 1, "symbol": "XYZ", "venue": ["V1", "V2", "V3", "V2", "V3", "V1"],
                           "ts_ns": [0, 0, 0, 50 * MS, 50 * MS, 2000 * MS],
                           "bid": [9.0, 10.00, 10.01, 10.02, 10.03, 9.0], "ask": [11.0, 10.10, 10.11, 10.12, 10.13,
                                                                                   11.0],
                           "bid_size": 100, "ask_size": 100})
    fills = pd.DataFrame({"router": "r", "seed": 1, "symbol": "XYZ", "venue": "V1", "side": "buy",
                          "exec_ts_ns": [10 * MS], "qty": [300]})
    moves = other_venue_moves(fills, quotes).iloc[0]
    assert moves["other_venue_move_100ms_cph"] == pytest.approx(200.0)
    assert moves["other_venue_move_1s_cph"] == pytest.approx(200.0)
    # a fast trader buys 100 @ 10.05 at 0.5 s; the NBBO midpoint 1 s later is 10.08: profit 3.00 USD, per 100 of
    # the router's 300 executed shares 3 / 300 x 10,000 = 100 cph. A fill marked past the NBBO history is left out.
    nbbo = pd.DataFrame({"router": "r", "seed": 1, "symbol": "XYZ", "ts_ns": [0, 1000 * MS, 1600 * MS],
                         "bid": [10.00, 10.03, 10.03], "ask": [10.10, 10.13, 10.13]})
    fast = pd.DataFrame({"router": "r", "seed": 1, "ts_ns": [500 * MS, 900 * MS], "venue": "V2", "symbol": "XYZ",
                         "side": "buy", "qty": 100, "price": 10.05})
    profit = fast_trader_profit(fast, nbbo, fills).iloc[0]
    assert (profit["fast_trader_fills"], profit["fast_trader_profit_usd"]) == (1, pytest.approx(3.0))
    assert profit["fast_trader_profit_cph"] == pytest.approx(100.0)


def test_analyze_writes_the_conflict_folder(tmp_path):
    run = planted_run(tmp_path, incentive=True)
    result = analyze(run)
    assert result.conflict_dir == run / "conflict"
    assert {p.name for p in (run / "conflict").iterdir()} == {"summary.csv", "venue_choice.csv", "leakage.csv",
                                                              "elasticity.csv", "regret.csv", "meta.json"}
    summary = pd.read_csv(run / "conflict" / "summary.csv").set_index("router")
    assert summary["flagged"].to_dict() == {"best-price": False, "clean": False, "conflicted": True}
    leakage = pd.read_csv(run / "conflict" / "leakage.csv")
    assert leakage["note"].iloc[0] == ("no per-venue quotes or child orders: no quote fade; no per-venue quotes: "
                                       "no other-venue moves; no fast_trader_fills.parquet: no fast-trader profit")
    meta = json.loads((run / "conflict" / "meta.json").read_text(encoding="utf-8"))
    assert meta["params"]["elasticity_threshold_pts"] == 1.0 and meta["kind"] == "sorbench-conflict"
