"""summarize: every headline figure on a hand-built run whose answers are worked out below.

Router ``r``, seed 1, symbol AAA. NBBO (USD): from t=0, 49.98 / 50.02; from t=2000 ns, 49.99 / 50.01.

Parents: P1 buy 300 at market, arriving at t=1000 -> arrival quote 49.98 / 50.02 (mid 50.00, QS 0.04).
         P2 sell 200 limit 49.99, arriving at t=3000 -> arrival quote 49.99 / 50.01 (mid 50.00, QS 0.02).
Fills:   F1 P1 100 @ 50.01 at t = 1000 + 2 ms, fee +0.30 (taking at 0.0030)
         F2 P1 200 @ 50.02 at t = 1000 + 5 ms, fee -0.04 (taking on an inverted venue, -0.0002)
         F3 P2 100 @ 50.00 at t = 3000 + 1 ms, fee -0.29 (maker rebate 0.0029)

PI = s (FT - p), FT = A for a buy, B for a sell:  F1 50.02 - 50.01 = 0.01;  F2 50.02 - 50.02 = 0;
    F3 -(49.99 - 50.00) = 0.01.  pi_per_share = (0.01*100 + 0*200 + 0.01*100) / 400 = 0.005.
ES = 2 s (p - m0):  F1 2 * 0.01 = 0.02;  F2 2 * 0.02 = 0.04;  F3 -2 * 0 = 0.
    eq_ratio = (0.02*100 + 0.04*200 + 0*100) / (0.04*100 + 0.04*200 + 0.02*100) = 10 / 14 = 0.714286.
fill_rate = (100 + 200 + 100) / (300 + 200) = 0.8.
mean_first_fill_ms = mean(P1: min(2, 5) = 2, P2: 1) = 1.5.
Both parents are marketable against r's quote (P1 a market order; P2's sell limit 49.99 is at the 49.99 bid), so the
price figures above, which cover marketable orders only, take every fill.
fees_usd = 0.30 - 0.04 - 0.29 = -0.03.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from harness.analytics.summary import SUMMARY_COLUMNS, summarize
from harness.sim.engine import RunResult

MS = 1_000_000


def parents() -> pd.DataFrame:
    return pd.DataFrame({
        "seed": [1, 1], "parent_id": [1, 2], "symbol": ["AAA", "AAA"], "side": ["buy", "sell"],
        "order_type": ["market", "limit"], "qty": [300, 200], "limit_price": [None, 49.99],
        "arrival_ts_ns": [1_000, 3_000],
    })


def nbbo(router: str = "r") -> pd.DataFrame:
    return pd.DataFrame({
        "router": [router] * 2, "seed": [1, 1], "symbol": ["AAA", "AAA"], "ts_ns": [0, 2_000],
        "bid": [49.98, 49.99], "bid_size": [100, 100], "ask": [50.02, 50.01], "ask_size": [100, 100],
    })


def fills(router: str = "r") -> pd.DataFrame:
    return pd.DataFrame({
        "router": [router] * 3, "seed": [1, 1, 1], "parent_id": [1, 1, 2], "child_id": [11, 12, 21],
        "venue": ["NSDQ", "BYX", "EDGX"], "symbol": ["AAA"] * 3, "side": ["buy", "buy", "sell"],
        "exec_ts_ns": [1_000 + 2 * MS, 1_000 + 5 * MS, 3_000 + 1 * MS], "qty": [100, 200, 100],
        "price": [50.01, 50.02, 50.00], "liquidity": ["removed", "removed", "added"],
        "fee_usd": [0.30, -0.04, -0.29],
    })


def test_every_figure_matches_the_worked_example():
    """fill_rate 0.8, pi_per_share 0.005, eq_ratio 10/14, mean_first_fill_ms 1.5, fees_usd -0.03 (module docstring)."""
    out = summarize(parents(), fills(), nbbo(), [RunResult(router="r", seed=1, status="ok")])
    assert list(out.columns) == SUMMARY_COLUMNS
    (row,) = out.to_dict("records")
    assert row["router"] == "r" and row["status"] == "ok"
    assert (row["seeds"], row["orders"], row["shares"], row["filled_shares"]) == (1, 2, 500, 400)
    assert row["fill_rate"] == pytest.approx(0.8)
    assert row["pi_per_share"] == pytest.approx(0.005)
    assert row["eq_ratio"] == pytest.approx(10 / 14)
    assert row["mean_first_fill_ms"] == pytest.approx(1.5)
    assert row["fees_usd"] == pytest.approx(-0.03)


def test_each_router_is_measured_against_its_own_nbbo_and_a_failed_router_is_not_measured():
    """Two routers pooled in one table stay apart; a failed (router, seed) adds no orders and says so in status.

    Router ``s`` faced a different NBBO: 49.90 / 50.10 throughout, so for its identical fills
    PI = F1 50.10 - 50.01 = 0.09, F2 0.08. Against that quote P2 (sell limit 49.99 above the 49.90 bid) is a resting
    limit order, not a marketable one, so F3 is left out of the price figures:
    pi_per_share = (0.09*100 + 0.08*200) / 300 = 25 / 300 = 0.083333;
    eq_ratio = (2*0.01*100 + 2*0.02*200) / (0.20*300) = 10 / 60 = 0.166667 (m0 50.00, QS 0.20);
    mean_first_fill_ms = P1's 2 ms only. fill_rate still counts every order: 400 / 500 = 0.8.
    """
    nb_s = nbbo("s").assign(bid=[49.90, 49.90], ask=[50.10, 50.10])
    results = [
        RunResult(router="r", seed=1, status="ok"),
        RunResult(router="s", seed=1, status="ok"),
        RunResult(router="x", seed=1, status="failed"),
    ]
    out = summarize(parents(), pd.concat([fills("r"), fills("s")]), pd.concat([nbbo("r"), nb_s]), results)
    rows = {r["router"]: r for r in out.to_dict("records")}
    assert list(rows) == ["r", "s", "x"]
    assert rows["r"]["pi_per_share"] == pytest.approx(0.005)
    assert rows["s"]["pi_per_share"] == pytest.approx(25 / 300)
    assert rows["s"]["eq_ratio"] == pytest.approx(10 / 60)
    assert rows["s"]["mean_first_fill_ms"] == pytest.approx(2.0) and rows["s"]["fill_rate"] == pytest.approx(0.8)
    assert rows["x"]["status"] == "failed (1/1 seeds)"
    assert rows["x"]["orders"] == 0 and rows["x"]["filled_shares"] == 0
    assert math.isnan(rows["x"]["fill_rate"]) and math.isnan(rows["x"]["mean_first_fill_ms"])


def test_fills_without_an_arrival_quote_count_for_fill_rate_but_not_for_price_figures():
    """A parent arriving before any NBBO has no reference quote: its fills are left out of PI and E/Q only.

    With the NBBO history starting at t=2000, P1 (t=1000) has none: pi_per_share comes from F3 alone (0.01) and
    eq_ratio = 0 / (0.02 * 100) = 0; fill_rate stays 400 / 500.
    """
    nb = nbbo().iloc[[1]]
    out = summarize(parents(), fills(), nb, [RunResult(router="r", seed=1, status="ok")])
    (row,) = out.to_dict("records")
    assert row["pi_per_share"] == pytest.approx(0.01)
    assert row["eq_ratio"] == pytest.approx(0.0)
    assert row["fill_rate"] == pytest.approx(0.8)
