"""The default scenario's market statistics fall in ranges justified by the market-model spec and LOBSTER samples.

Reference figures (NASDAQ, 2012-06-21, LOBSTER level 1, computed with ``sorbench lobster-stats``):
AMZN / GOOG 09:30-09:40: 1-minute return volatility 13.0 / 12.7 bps; trade-sign autocorrelation at lag 1
0.61 / 0.63; new-order round-lot share 0.61 / 0.66; execution sizes: median 66 / 52 shares, round-lot share
0.38 / 0.32; passive fill probability of orders added at the touch 0.16-0.22 (biased high: only touch-adding
orders are visible at level 1); cancel-to-trade 0.8-2.7 (biased low: level 1 sees only the top of book). Those
names traded at $220-580 with 12-30 tick spreads, so spread levels are not comparable; the spec's stylised fact
("spreads of one to a few ticks for liquid names, mostly at one tick") is used instead.

Each bound below says which of these it comes from. The scenario's inputs give the volatility directly: 25% and
40% a year over 252 days of 390 minutes is 0.25 / sqrt(98,280) = 7.97 bps and 12.8 bps a minute, scaled by
sqrt(u) ~ 1.45 near the open by the intraday curve, with ~9 one-minute returns per run (about +/-25% sampling error).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from adapters.registry import builtin_registry
from harness.analytics.market_stats import order_size_summary, trade_sign_autocorr
from harness.scenario.schema import load_scenario
from harness.workflows.run import run_scenario

pytestmark = pytest.mark.slow  # 10-minute sessions of the shipped scenarios (-m "not slow" leaves it out)

DEFAULT = Path(__file__).resolve().parents[2] / "scenarios" / "default.toml"


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    registry = builtin_registry()
    scenario, path = load_scenario(DEFAULT, registry=registry)
    out = tmp_path_factory.mktemp("realism") / "run"
    run_scenario(scenario, scenario_path=path, routers=["best-price"], seeds=[1, 2], out_dir=out,
                 results_root=out.parent, jobs=1, registry=registry)
    stats = pd.read_csv(out / "market_stats.csv")
    trades = pd.read_parquet(out / "trades.parquet")
    return stats, trades


def _row(stats: pd.DataFrame, seed: int, symbol: str, venue: str) -> pd.Series:
    row = stats[(stats.seed == seed) & (stats.symbol == symbol) & (stats.venue == venue)]
    assert len(row) == 1, (seed, symbol, venue)
    return row.iloc[0]


@pytest.mark.parametrize("seed", [1, 2])
def test_liquid_names_are_a_few_ticks_wide_at_the_open(default_run, seed):
    """Spec: spreads of one to a few ticks for liquid names; LOBSTER: the first 30 minutes 1.7-1.9x the day's mean.

    The default window is 09:30-09:40, where quotes are widest (docs/market-model.md, "Spreads that respond"): the
    day's mean of these one-tick names is 1.1-1.5 ticks (measured midday), so the open's is about 1.5-3 ticks. The
    mostly-one-tick midday market is checked in tests/sim/test_impact_and_spreads.py. (Before spreads responded to
    the time of day, this test asked for a median of 1 tick at the open: 0.98 of the day's mean, unlike real data.)
    """
    stats, _ = default_run
    aaa, bbb = _row(stats, seed, "AAA", "ALL"), _row(stats, seed, "BBB", "ALL")
    assert aaa.median_spread_ticks in (1, 2) and bbb.median_spread_ticks in (1, 2, 3)
    assert 1.4 <= aaa.mean_spread_ticks <= 3.0 and 1.4 <= bbb.mean_spread_ticks <= 3.5


@pytest.mark.parametrize("seed", [1, 2])
def test_many_more_cancellations_than_trades(default_run, seed):
    """Spec: many more cancellations than trades (LOBSTER's level-1 0.8-2.7 is a lower bound)."""
    stats, _ = default_run
    for sym in ("AAA", "BBB"):
        row = _row(stats, seed, sym, "ALL")
        assert row.cancel_to_trade > 2.0
        assert row.messages_per_min > 3 * row.trades_per_min


@pytest.mark.parametrize("seed", [1, 2])
def test_one_minute_volatility_matches_the_inputs(default_run, seed):
    """Per-minute volatility within sampling error of the inputs (7.97 and 12.8 bps, x ~1.45 at the open)."""
    stats, _ = default_run
    assert 4 <= _row(stats, seed, "AAA", "ALL").return_vol_1min <= 20
    assert 6 <= _row(stats, seed, "BBB", "ALL").return_vol_1min <= 35


@pytest.mark.parametrize("seed", [1, 2])
def test_inverted_venue_fills_passive_orders_more_often(default_run, seed):
    """Spec: fill probability of passive orders higher on inverted venues than on maker-taker venues.

    With routed takers (fee-aware at the NBBO, docs/market-model.md) seeds 1-2 give BYX 0.18-0.20 against 0.12-0.15
    on NSDQ/EDGX, an edge of 0.034-0.075 (0.05-0.09 before spreads responded to the time of day: with wider quotes at
    the open more orders rest behind the NBBO on every venue; before routing it was 0.19-0.25 against 0.11-0.15).
    With the cross-venue reactions merged beside them (makers fading on trades elsewhere), the per-order edge is
    0.015-0.026 (BYX 0.172-0.177 against at most 0.151-0.157; AAA and BBB, seeds 1-2), so the margin is 0.01
    (it was 0.04, then 0.03); the edge per share at the NBBO, which does not depend on where orders rest, is
    checked in tests/sim/test_impact_and_spreads.py.
    """
    stats, _ = default_run
    for sym in ("AAA", "BBB"):
        byx = _row(stats, seed, sym, "BYX").passive_fill_prob
        makers = [_row(stats, seed, sym, v).passive_fill_prob for v in ("NSDQ", "EDGX")]
        assert byx > max(makers) + 0.01
        # LOBSTER's 0.16-0.22 for touch-adding orders is an upper bound for orders at any depth.
        assert all(0.05 <= p <= 0.5 for p in [byx, *makers])


@pytest.mark.parametrize("seed", [1, 2])
def test_venue_volume_shares_add_up_and_follow_flow_shares(default_run, seed):
    """Volume shares sum to 1 per symbol; the venue with the most makers (NSDQ, limit flow share 1.5) trades the most.

    Takers are routed by displayed size, fee and weight, so NSDQ's deeper quotes win it the most volume (42-43% of lit
    volume for seeds 1-2, against 26-30% on the inverted BYX).
    """
    stats, _ = default_run
    for sym in ("AAA", "BBB"):
        venues = stats[(stats.seed == seed) & (stats.symbol == sym) & (stats.venue != "ALL")]
        assert venues.volume_share.sum() == pytest.approx(1.0, abs=1e-5)  # shares are rounded to 6 places
        assert venues.set_index("venue").volume_share.idxmax() == "NSDQ"


def test_trade_signs_are_positively_autocorrelated(default_run):
    """Spec: positive autocorrelation of trade signs (LOBSTER lag 1: ~0.6; the simulation mixes several sources)."""
    _, trades = default_run
    for _seed, g in trades.groupby("seed"):
        ac = trade_sign_autocorr(g, lags=[1]).set_index("symbol")["autocorr"]
        assert (ac > 0.1).all(), ac.to_dict()


def test_execution_sizes_look_like_lobster(default_run):
    """Executions: median 40-150 shares and 20-50% round lots (LOBSTER: medians 52-66, round lots 32-38%)."""
    _, trades = default_run
    sizes = order_size_summary(trades.qty)
    assert 40 <= sizes["median"] <= 150
    assert 0.2 <= sizes["share_round_lot"] <= 0.5
