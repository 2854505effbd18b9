"""LOBSTER statistics (harness/workflows/lobster_stats.py): a run's market_stats of a sample, known answers on the
hand-written sample (tests/data/lobster_tiny) and the stylized facts of the real samples."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from harness.analytics.market_stats import ALL_VENUES, STATS_COLUMNS, trade_sign_autocorr
from harness.io.lobster import orderbook_path_for, read_lobster
from harness.workflows.lobster_stats import lobster_order_sizes, lobster_stats
from tests.io.test_lobster import TINY_MSG, S, needs_real, real_message


# ---------------------------------------------------------------------------------------------------- tiny sample
def test_stats_of_the_tiny_sample():
    # Window 34200-34320 s (2 minutes). Two-sided states and how long each is in force:
    #   34210 1 tick depth 300 (30 s); 34240 1 tick 350 (10 s); 34250 two states, the first lasting 0 s,
    #   then 1 tick 250 (10 s); 34260 3 ticks 450 (10 s); 34270 3 ticks 430 (10 s); 34280 (halt row, same book)
    #   3 ticks 430 (10 s); 34290 2 ticks 230 (10 s); 34300 2 ticks 200 (10 s); 34310 3 ticks 600 (5 s).
    #   One-sided: 34200-34210 and 34315-34320, not counted. Two-sided time 105 s.
    # Mean spread (50*1 + 20*2 + 35*3) / 105 = 195/105 = 1.857 ticks; one tick 50/105; lower median: 1 tick has
    # 50 s < 52.5 s, with 2 ticks 70 s >= 52.5 s -> 2.
    # Depth (300*30 + 350*10 + 250*10 + 450*10 + 430*20 + 230*10 + 200*10 + 600*5) / 105 = 35400/105 = 337.14.
    # 4 trades / 2 min = 2; 7 messages / 2 min = 3.5; cancels per trade 3/4; fill probability 3/4.
    # 1-minute volatility: the mid at 34200 s and 34320 s is undefined (one-sided): no returns, NaN.
    st = lobster_stats(TINY_MSG)
    assert list(st.columns) == list(STATS_COLUMNS)
    assert list(st["venue"]) == ["NASDAQ", ALL_VENUES]
    r = st.iloc[0]
    assert r["mean_spread_ticks"] == pytest.approx(195 / 105)
    assert r["share_time_one_tick"] == pytest.approx(50 / 105)
    assert r["median_spread_ticks"] == 2.0
    assert r["mean_depth_shares"] == pytest.approx(35400 / 105)
    assert (r["trades_per_min"], r["messages_per_min"]) == (2.0, 3.5)
    assert (r["cancel_to_trade"], r["passive_fill_prob"], r["volume_share"]) == (0.75, 0.75, 1.0)
    assert math.isnan(r["return_vol_1min"])
    pd.testing.assert_series_equal(st.iloc[0].drop("venue"), st.iloc[1].drop("venue"), check_names=False)


def test_a_narrower_window_limits_trades_and_activity():
    # 34240-34300 s (1 minute): trades at 34250 (two); adds 3 and 4; cancels at 34260, 34270: 4 messages.
    # Of the adds, order 3 executes (at 34300, outside the window, but it is still the fate of that order): 1/2.
    st = lobster_stats(TINY_MSG, window=(34240 * S, 34300 * S))
    r = st.iloc[0]
    assert (r["trades_per_min"], r["messages_per_min"], r["cancel_to_trade"]) == (2.0, 4.0, 1.0)
    assert r["passive_fill_prob"] == 0.5


def test_a_truncated_sample_is_clipped_to_its_messages_with_a_warning(tmp_path):
    # The tiny sample renamed to claim 09:30-16:00 (57,600,000 ms): its last message is at 34315 s, 6.5 hours before
    # that end, so the default window is [34200 s, 34315 s + 1 ns), not the name's day. Holding the last state to
    # 16:00 would weigh the final 3-tick state by hours; clipped, the figures equal an explicit window's.
    import shutil

    for kind in ("message", "orderbook"):
        src = TINY_MSG.parent / f"TINY_2012-06-21_34200000_34320000_{kind}_1.csv"
        shutil.copy(src, tmp_path / f"TINY_2012-06-21_34200000_57600000_{kind}_1.csv")
    notes: list[str] = []
    st = lobster_stats(tmp_path / "TINY_2012-06-21_34200000_57600000_message_1.csv", notes=notes)
    explicit = lobster_stats(TINY_MSG, window=(34200 * S, 34315 * S + 1))
    pd.testing.assert_frame_equal(st, explicit)
    assert len(notes) == 1 and "09:31:55.000" in notes[0] and "16:00:00.000" in notes[0]
    untouched: list[str] = []
    lobster_stats(TINY_MSG, notes=untouched)  # ends 5 s before its name's 34320 s: not a truncated sample
    assert untouched == []


def test_order_sizes_of_the_tiny_sample():
    # New orders 100, 200, 50, 100: round lots 3/4, median 100. Executions 100, 30, 30, 100: 1/2, median 65.
    sizes = lobster_order_sizes(TINY_MSG).set_index("kind")
    assert sizes.loc["new_orders", "share_round_lot"] == 0.75 and sizes.loc["new_orders", "median"] == 100
    assert sizes.loc["executions", "share_round_lot"] == 0.5 and sizes.loc["executions", "median"] == 65


# ---------------------------------------------------------------------------------------------------- real samples
@needs_real
@pytest.mark.parametrize("symbol", ["AMZN", "GOOG"])
def test_real_level1_samples_show_the_stylized_facts(symbol):
    """The 2012 NASDAQ samples: wide spreads in ticks (high-priced names), many more cancels than trades..."""
    msg = real_message(symbol)
    st = lobster_stats(msg).set_index("venue").loc["NASDAQ"]
    # AMZN ~$223 and GOOG ~$580 quoted 5-40 ticks wide on NASDAQ alone; a few bps.
    assert 5 < st["mean_spread_ticks"] < 40
    assert 2 < st["mean_spread_bps"] < 10
    assert st["share_time_one_tick"] < 0.05
    assert 10 < st["trades_per_min"] < 100
    assert st["cancel_to_trade"] > 1  # a lower bound in a level-1 file
    assert 2 < st["return_vol_1min"] < 15  # bps per minute: ~15-35 % annualised
    assert 0.05 < st["passive_fill_prob"] < 0.4  # orders added at the touch
    sizes = lobster_order_sizes(msg).set_index("kind")
    assert 0.5 < sizes.loc["new_orders", "share_round_lot"] < 0.75
    assert sizes.loc["new_orders", "median"] == 100
    _, trades, _ = read_lobster(msg, orderbook_path_for(msg))
    ac = trade_sign_autocorr(trades, lags=[1, 10, 100]).set_index("lag")["autocorr"]
    assert ac[1] > 0.3 and ac[10] > 0  # trade signs are positively autocorrelated and decay
    assert ac[1] > ac[10] > ac[100] - 0.05


@needs_real
def test_real_level10_sample_over_the_span_of_its_messages():
    msg = real_message("AAPL")
    q, _, a = read_lobster(msg, orderbook_path_for(msg))
    window = (int(q["ts_ns"].iloc[0]), int(q["ts_ns"].iloc[-1]) + 1)  # the file covers ~50 s, not its name's day
    st = lobster_stats(msg, window=window).set_index("venue").loc["NASDAQ"]
    assert 1 <= st["median_spread_ticks"] < 60
    # Without a window the name's 09:30-16:00 is clipped to the messages (the last book state is not held to 16:00,
    # which gave a 36-tick mean spread): the same spread as the explicit window from 09:30:00 on.
    notes: list[str] = []
    default = lobster_stats(msg, notes=notes).set_index("venue").loc["NASDAQ"]
    assert len(notes) == 1
    assert default["mean_spread_ticks"] == pytest.approx(st["mean_spread_ticks"], rel=0.05)
    assert st["trades_per_min"] > 0 and a.loc[0, "new_orders"] > 0
