"""Market statistics (harness/analytics/market_stats.py): known answers on tiny hand-built tables.

The working is in comments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from harness.analytics.market_stats import (
    ACTIVITY_COLUMNS,
    ALL_VENUES,
    STATS_COLUMNS,
    autocorr,
    market_stats,
    market_stats_by_run,
    markouts_by_venue,
    nbbo_as_quotes,
    order_size_summary,
    side_by_side,
    trade_sign_autocorr,
    trade_signs,
    weighted_median,
)

S = 1_000_000_000
MIN = 60 * S


# ---------------------------------------------------------------------------------------------------- builders
def quotes(venue: str, symbol: str, states: list[tuple[float, float | None, int, float | None, int]]) -> pd.DataFrame:
    """Quote rows from ``(t_seconds, bid, bid_size, ask, ask_size)`` states; ``None`` is an empty side."""
    return pd.DataFrame({
        "venue": venue, "symbol": symbol,
        "ts_ns": [round(t * S) for t, *_ in states],
        "bid": [math.nan if b is None else b for _, b, _, _, _ in states],
        "bid_size": [bs for _, _, bs, _, _ in states],
        "ask": [math.nan if a is None else a for _, _, _, a, _ in states],
        "ask_size": [az for *_, az in states],
    })


def trades(rows: list[tuple[str, str, float, float, int, str]]) -> pd.DataFrame:
    """Tape rows from ``(symbol, venue, t_seconds, price, qty, aggressor)``."""
    return pd.DataFrame({
        "symbol": [r[0] for r in rows], "venue": [r[1] for r in rows], "ts_ns": [round(r[2] * S) for r in rows],
        "price": [r[3] for r in rows], "qty": [r[4] for r in rows], "aggressor": [r[5] for r in rows],
        "router_involved": False,
    })


def activity(rows: list[tuple[str, str, int, int, int, int, int, int]]) -> pd.DataFrame:
    """Activity rows from ``(symbol, venue, messages, new, cancels, replaces, passive, passive_filled)``."""
    return pd.DataFrame(rows, columns=list(ACTIVITY_COLUMNS))


NO_TRADES = trades([])
NO_ACTIVITY = activity([])


def row(stats: pd.DataFrame, symbol: str, venue: str) -> pd.Series:
    hit = stats[(stats["symbol"] == symbol) & (stats["venue"] == venue)]
    assert len(hit) == 1, f"expected one row for {symbol}/{venue}, got {len(hit)}"
    return hit.iloc[0]


# ---------------------------------------------------------------------------------------------------- quotes
def test_spread_and_depth_are_time_weighted_over_two_sided_states_clipped_to_the_window():
    # Window [10 s, 110 s). States:
    #   t=0   1 tick, depth 100+100  -> in force from the window start (10 s) to 20 s: 10 s
    #   t=20  3 ticks, depth 300+100 -> 20..80: 60 s
    #   t=80  bid empty              -> 80..90: 10 s, one-sided: not counted
    #   t=90  1 tick, depth 200+200  -> 90..110 (window end): 20 s
    #   t=120 2 ticks                -> after the window: 0 s
    # Two-sided time 90 s: mean spread (10*1 + 60*3 + 20*1) / 90 = 210/90 = 2.3333 ticks;
    # one tick 30/90 = 1/3 of the time; median: sorted 1 (30 s), 3 (60 s): half of 90 s reached at 3 -> 3;
    # depth (10*200 + 60*400 + 20*400) / 90 = 34000/90 = 377.78 shares.
    q = quotes("X", "S", [
        (0, 10.00, 100, 10.01, 100),
        (20, 10.00, 300, 10.03, 100),
        (80, None, 0, 10.03, 100),
        (90, 10.01, 200, 10.02, 200),
        (120, 10.00, 100, 10.02, 100),
    ])
    st = market_stats(quotes=q, trades=NO_TRADES, activity=NO_ACTIVITY, ticks={"S": 0.01}, window=(10 * S, 110 * S))
    r = row(st, "S", "X")
    assert r["mean_spread_ticks"] == pytest.approx(210 / 90)
    assert r["median_spread_ticks"] == 3.0
    assert r["share_time_one_tick"] == pytest.approx(1 / 3)
    assert r["mean_depth_shares"] == pytest.approx(34000 / 90)
    # bps: 1 tick at mid 10.005 is 9.995 bps, 3 ticks at 10.015 is 29.955 bps, 1 tick at 10.015 is 9.985 bps.
    expected_bps = (10 * 0.01 / 10.005 + 60 * 0.03 / 10.015 + 20 * 0.01 / 10.015) / 90 * 1e4
    assert r["mean_spread_bps"] == pytest.approx(expected_bps)


def test_one_tick_share_counts_exact_ticks_despite_float_prices_and_other_tick_sizes():
    # Half-penny tick: 20.005 - 20.000 is one tick (float arithmetic gives 0.00499999...), 20.015 - 20.005 is two.
    # 30 s at one tick, 30 s at two: share 0.5, mean 1.5 ticks, lower median 1.
    q = quotes("X", "S", [(0, 20.000, 100, 20.005, 100), (30, 20.005, 100, 20.015, 100)])
    st = market_stats(quotes=q, trades=NO_TRADES, activity=NO_ACTIVITY, ticks={"S": 0.005}, window=(0, 60 * S))
    r = row(st, "S", "X")
    assert r["share_time_one_tick"] == 0.5
    assert r["mean_spread_ticks"] == 1.5
    assert r["median_spread_ticks"] == 1.0


def test_simultaneous_states_weigh_nothing_but_the_last():
    # Two states at t=0: the first lasts 0 ns, so only the 2-tick state counts.
    q = quotes("X", "S", [(0, 10.00, 100, 10.01, 100), (0, 10.00, 100, 10.02, 100)])
    st = market_stats(quotes=q, trades=NO_TRADES, activity=NO_ACTIVITY, ticks={"S": 0.01}, window=(0, MIN))
    assert row(st, "S", "X")["mean_spread_ticks"] == 2.0
    assert row(st, "S", "X")["share_time_one_tick"] == 0.0


def test_one_minute_volatility_is_the_std_of_minute_grid_log_returns_in_bps():
    # Window of 4 minutes; the mid as of 0, 1, 2, 3, 4 min is 100, 100 e^(+10bp), 100, 100 e^(+10bp), 100, so the
    # 1-minute log returns are +10, -10, +10, -10 bps: mean 0, sample variance 4*100/3, std sqrt(400/3) = 11.547 bps.
    # The states inside each minute (at 30 s) must not matter: sampling is as of the grid times.
    up = 100 * math.exp(10e-4)
    states = []
    for k, m in enumerate([100, up, 100, up, 100]):
        states.append((60 * k, m - 0.005, 100, m + 0.005, 100))
        states.append((60 * k + 30, m + 5, 100, m + 5.01, 100))  # noise between grid points
    q = quotes("X", "S", states)
    st = market_stats(quotes=q, trades=NO_TRADES, activity=NO_ACTIVITY, ticks={"S": 0.01}, window=(0, 4 * MIN))
    assert row(st, "S", "X")["return_vol_1min"] == pytest.approx(math.sqrt(400 / 3), rel=1e-9)


def test_one_minute_volatility_drops_one_sided_samples_and_needs_two_returns():
    # Mids as of 0, 1, 2, 3 min: 100, undefined (ask empty), 101, 100. The returns 100 -> undefined and
    # undefined -> 101 are dropped, leaving only 101 -> 100: one return gives no standard deviation, so NaN.
    q = quotes("X", "S", [
        (0, 99.995, 100, 100.005, 100), (60, 99.995, 100, None, 0), (120, 100.995, 100, 101.005, 100),
        (180, 99.995, 100, 100.005, 100),
    ])
    st = market_stats(quotes=q, trades=NO_TRADES, activity=NO_ACTIVITY, ticks={"S": 0.01}, window=(0, 3 * MIN))
    assert math.isnan(row(st, "S", "X")["return_vol_1min"])


# ---------------------------------------------------------------------------------------------------- trades, activity
def two_venue_market() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    q = pd.concat([
        quotes("MT", "S", [(0, 10.00, 300, 10.01, 300)]),
        quotes("INV", "S", [(0, 10.00, 100, 10.02, 100)]),
        quotes(ALL_VENUES, "S", [(0, 10.00, 400, 10.01, 300)]),
    ])
    t = trades([
        ("S", "MT", 1, 10.01, 100, "buy"),
        ("S", "MT", 2, 10.00, 200, "sell"),
        ("S", "MT", 3, 10.00, 100, "sell"),
        ("S", "INV", 4, 10.02, 200, "buy"),
        ("S", "INV", 130, 10.02, 999, "buy"),  # after the 2-minute window: ignored
    ])
    a = activity([
        # symbol, venue, messages, new, cancels, replaces, passive, passive_filled
        ("S", "MT", 60, 40, 15, 5, 30, 6),
        ("S", "INV", 30, 20, 8, 2, 10, 5),
    ])
    return q, t, a


def test_trade_and_activity_figures_per_venue():
    # Window 2 minutes.
    # MT:  3 trades, 400 shares -> 1.5 trades/min; 60 messages -> 30/min; (15 + 5) / 3 = 6.667 cancels per trade;
    #      passive fill probability 6/30 = 0.2; volume share 400 / 600 = 2/3.
    # INV: 1 trade (the one at 130 s is outside), 200 shares -> 0.5/min; 30 msgs -> 15/min; (8+2)/1 = 10;
    #      fill probability 5/10 = 0.5; volume share 1/3.
    q, t, a = two_venue_market()
    st = market_stats(quotes=q, trades=t, activity=a, ticks={"S": 0.01}, window=(0, 2 * MIN))
    mt, inv = row(st, "S", "MT"), row(st, "S", "INV")
    assert (mt["trades_per_min"], inv["trades_per_min"]) == (1.5, 0.5)
    assert (mt["messages_per_min"], inv["messages_per_min"]) == (30.0, 15.0)
    assert mt["cancel_to_trade"] == pytest.approx(20 / 3)
    assert inv["cancel_to_trade"] == 10.0
    assert (mt["passive_fill_prob"], inv["passive_fill_prob"]) == (0.2, 0.5)
    assert mt["volume_share"] == pytest.approx(2 / 3)
    assert inv["volume_share"] == pytest.approx(1 / 3)
    assert mt["mean_spread_ticks"] == 1.0 and inv["mean_spread_ticks"] == 2.0


def test_all_row_uses_the_nbbo_the_whole_tape_and_summed_activity():
    # ALL: spread from the ALL quotes (1 tick, depth 700); 4 trades -> 2/min; 90 messages -> 45/min;
    # (15+5+8+2) / 4 = 7.5; fill probability (6+5) / (30+10) = 0.275; volume share 1.
    q, t, a = two_venue_market()
    st = market_stats(quotes=q, trades=t, activity=a, ticks={"S": 0.01}, window=(0, 2 * MIN))
    r = row(st, "S", ALL_VENUES)
    assert r["mean_spread_ticks"] == 1.0 and r["mean_depth_shares"] == 700.0
    assert r["trades_per_min"] == 2.0 and r["messages_per_min"] == 45.0
    assert r["cancel_to_trade"] == 7.5
    assert r["passive_fill_prob"] == pytest.approx(11 / 40)
    assert r["volume_share"] == 1.0
    assert list(st.columns) == list(STATS_COLUMNS)
    assert list(st["venue"]) == ["INV", "MT", ALL_VENUES]  # venues sorted, ALL last


def test_undefined_figures_are_nan():
    # A venue with quotes only: no trades -> cancel_to_trade NaN; no activity row -> messages and fill prob NaN;
    # the symbol has no volume at all -> volume share NaN; no ALL quotes -> ALL spread NaN.
    q = quotes("X", "S", [(0, 10.00, 100, 10.01, 100)])
    a = activity([("S", "X", 10, 10, 0, 0, 0, 0)])
    st = market_stats(quotes=q, trades=NO_TRADES, activity=a, ticks={"S": 0.01}, window=(0, MIN))
    r = row(st, "S", "X")
    assert r["trades_per_min"] == 0.0
    assert math.isnan(r["cancel_to_trade"]) and math.isnan(r["passive_fill_prob"]) and math.isnan(r["volume_share"])
    assert math.isnan(row(st, "S", ALL_VENUES)["mean_spread_ticks"])
    st2 = market_stats(quotes=q, trades=NO_TRADES, activity=NO_ACTIVITY, ticks={"S": 0.01}, window=(0, MIN))
    assert math.isnan(row(st2, "S", "X")["messages_per_min"])


def test_bad_inputs_raise_one_clear_message():
    q, t, a = two_venue_market()
    with pytest.raises(ValueError, match=r"trades: missing column.*aggressor"):
        market_stats(quotes=q, trades=t.drop(columns="aggressor"), activity=a, ticks={"S": 0.01}, window=(0, MIN))
    with pytest.raises(ValueError, match="ticks: no tick size for symbol 'S'"):
        market_stats(quotes=q, trades=t, activity=a, ticks={}, window=(0, MIN))
    with pytest.raises(ValueError, match="window"):
        market_stats(quotes=q, trades=t, activity=a, ticks={"S": 0.01}, window=(MIN, MIN))
    with pytest.raises(ValueError, match="reserved"):
        market_stats(quotes=q, trades=t.assign(venue=ALL_VENUES), activity=a, ticks={"S": 0.01}, window=(0, MIN))


def test_stats_by_run_keeps_runs_apart():
    # Router A's market traded 3 times in the minute, router B's once: never pooled.
    q, t, a = two_venue_market()
    runs = []
    for router, n in (("A", 3), ("B", 1)):
        runs.append((q.assign(router=router, seed=1), t.iloc[:n].assign(router=router, seed=1),
                     a.assign(router=router, seed=1)))
    st = market_stats_by_run(
        quotes=pd.concat([r[0] for r in runs]), trades=pd.concat([r[1] for r in runs]),
        activity=pd.concat([r[2] for r in runs]), ticks={"S": 0.01}, window=(0, MIN),
    )
    all_rows = st[st["venue"] == ALL_VENUES].set_index("router")
    assert list(st.columns[:2]) == ["router", "seed"]
    assert all_rows.loc["A", "trades_per_min"] == 3.0 and all_rows.loc["B", "trades_per_min"] == 1.0


def test_nbbo_as_quotes_labels_the_venue_all():
    nb = pd.DataFrame({"symbol": ["S"], "ts_ns": [0], "bid": [1.0], "bid_size": [1], "ask": [1.01], "ask_size": [1]})
    assert list(nbbo_as_quotes(nb)["venue"]) == [ALL_VENUES]


def test_side_by_side_puts_sources_in_columns_and_statistics_in_rows():
    q, t, a = two_venue_market()
    st = market_stats(quotes=q, trades=t, activity=a, ticks={"S": 0.01}, window=(0, 2 * MIN))
    both = side_by_side({"real": st, "sim": st.assign(router="R", seed=7)})
    assert list(both.columns) == ["real S", "sim R 7 S"]
    assert list(both.index) == list(STATS_COLUMNS[2:])
    assert both.loc["trades_per_min", "sim R 7 S"] == 2.0  # the ALL row by default
    assert side_by_side({"real": st}, venue=None).shape == (len(STATS_COLUMNS) - 2, 3)


def test_weighted_median_is_the_lower_median():
    # Weights 1, 1 on values 1 and 3: half the weight is reached at 1.
    assert weighted_median(np.array([3.0, 1.0]), np.array([1.0, 1.0])) == 1.0
    assert weighted_median(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 5.0])) == 3.0
    assert math.isnan(weighted_median(np.array([1.0]), np.array([0.0])))


# ---------------------------------------------------------------------------------------------------- markouts
def test_markouts_measure_the_mid_move_against_the_passive_side():
    # NBBO mid: 10.00 until t=1 s, then 10.01 (the ask moved up), then 10.02 from t=3 s.
    # DARK_TOXIC: buy at t=1 s (exactly when the mid moves: m0 is the mid just before, 10.00):
    #   100 ms later mid 10.01 -> +1 cent/10.00 = +10 bps against the passive seller; 5 s later 10.02 -> +20 bps.
    # DARK_BENIGN: sell at t=0.5 s (m0 10.00): mid rises to 10.01 by 1.5 s -> the move is in the passive buyer's
    #   favour: -10 bps at 1 s, -20 bps at 5 s (10.02 at 5.5 s), 0 at 100 ms (still 10.00 at 0.6 s).
    nbbo = pd.DataFrame({
        "symbol": "S", "ts_ns": [0, 1 * S, 3 * S],
        "bid": [9.995, 10.005, 10.015], "ask": [10.005, 10.015, 10.025],
    })
    ex = trades([("S", "DARK_TOXIC", 1.0, 10.0, 100, "buy"), ("S", "DARK_BENIGN", 0.5, 10.0, 100, "sell")])
    m = markouts_by_venue(ex, nbbo).set_index("venue")
    assert list(m.columns) == ["executions", "adverse_100ms_bps", "adverse_1s_bps", "adverse_5s_bps"]
    assert m.loc["DARK_TOXIC", "adverse_100ms_bps"] == pytest.approx(10.0)
    assert m.loc["DARK_TOXIC", "adverse_5s_bps"] == pytest.approx(20.0)
    assert m.loc["DARK_BENIGN", "adverse_100ms_bps"] == pytest.approx(0.0)
    assert m.loc["DARK_BENIGN", "adverse_1s_bps"] == pytest.approx(-10.0)
    assert m.loc["DARK_BENIGN", "adverse_5s_bps"] == pytest.approx(-20.0)
    # With the data ending at 5 s, the 5 s horizon of the toxic trade (6 s) is undefined.
    cut = markouts_by_venue(ex, nbbo, end_ns=5 * S).set_index("venue")
    assert math.isnan(cut.loc["DARK_TOXIC", "adverse_5s_bps"])


def test_markouts_from_a_fills_table_take_the_aggressor_from_side_and_liquidity():
    # A router's passive buy fill (liquidity added): the aggressor sold; mid then falls 1 cent: +10 bps adverse.
    nbbo = pd.DataFrame({"symbol": "S", "ts_ns": [0, 1 * S], "bid": [9.995, 9.985], "ask": [10.005, 9.995]})
    fills = pd.DataFrame({"symbol": ["S"], "venue": ["V"], "exec_ts_ns": [S // 2], "side": ["buy"],
                          "liquidity": ["added"], "qty": [100], "price": [10.0]})
    m = markouts_by_venue(fills, nbbo, horizons_ns=[S])
    assert m.loc[0, "adverse_1s_bps"] == pytest.approx(10.0)


# ---------------------------------------------------------------------------------------------------- order flow
def test_trade_sign_autocorrelation_of_an_alternating_sequence():
    # Signs +,-,+,-,... (n = 10): mean 0, sum of squares 10; lag 1 products are all -1 (9 of them): -9/10;
    # lag 2 products all +1 (8): 8/10.
    t = trades([("S", "V", i, 10.0, 100, "buy" if i % 2 == 0 else "sell") for i in range(10)])
    ac = trade_sign_autocorr(t, lags=[1, 2]).set_index("lag")
    assert ac.loc[1, "autocorr"] == pytest.approx(-0.9)
    assert ac.loc[2, "autocorr"] == pytest.approx(0.8)
    assert (ac["trades"] == 10).all()


def test_simultaneous_fills_of_one_sweep_count_as_one_trade_sign():
    # A buy sweeping three resting orders at t=1 prints three rows: merged they are one sign; a fill on another
    # venue at the same time, or the opposite side, stays separate.
    t = trades([
        ("S", "V", 1, 10.00, 100, "buy"), ("S", "V", 1, 10.01, 100, "buy"), ("S", "V", 1, 10.02, 100, "buy"),
        ("S", "W", 1, 10.02, 100, "buy"), ("S", "V", 2, 10.00, 100, "sell"),
    ])
    assert list(trade_signs(t)["sign"]) == [1, 1, -1]
    assert list(trade_signs(t, merge_simultaneous=False)["sign"]) == [1, 1, 1, 1, -1]


def test_autocorr_of_a_constant_sequence_is_undefined():
    assert math.isnan(autocorr(np.ones(5), [1])[1])
    with pytest.raises(ValueError, match="lags"):
        autocorr(np.ones(5), [0])


def test_order_size_summary():
    # Sizes 100, 200, 50, 100, 37: round lots 3/5; odd lots (< 100) 2/5; exactly one lot 2/5; median 100.
    s = order_size_summary([100, 200, 50, 100, 37])
    assert s["count"] == 5
    assert s["share_round_lot"] == 0.6 and s["share_odd_lot"] == 0.4 and s["share_one_lot"] == 0.4
    assert s["median"] == 100.0 and s["mean"] == 97.4
    assert math.isnan(order_size_summary([])["median"])
