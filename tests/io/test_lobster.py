"""LOBSTER reader (harness/io/lobster.py): known answers on a hand-written sample; sanity on the real samples.

Their market statistics (harness/workflows/lobster_stats.py) are tests/workflows/test_lobster_stats.py.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.io.lobster import orderbook_path_for, parse_file_name, read_lobster, read_messages

S = 1_000_000_000
TINY = Path(__file__).resolve().parents[1] / "data" / "lobster_tiny"
TINY_MSG = TINY / "TINY_2012-06-21_34200000_34320000_message_1.csv"
TINY_OB = TINY / "TINY_2012-06-21_34200000_34320000_orderbook_1.csv"
REAL = Path("/work/shared/data/lobster")
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason="LOBSTER samples not available (/work/shared absent)")


def real_message(symbol: str) -> Path:
    hits = sorted(REAL.glob(f"{symbol}_*_message_*.csv"))
    if not hits:
        pytest.skip(f"no LOBSTER message file for {symbol}")
    return hits[0]


# ---------------------------------------------------------------------------------------------------- tiny sample
def test_file_name_gives_ticker_window_and_levels():
    info = parse_file_name(TINY_MSG)
    assert info is not None
    assert (info.symbol, info.date, info.levels) == ("TINY", "2012-06-21", 1)
    assert (info.start_ns, info.end_ns) == (34200 * S, 34320 * S)
    assert orderbook_path_for(TINY_MSG) == TINY_OB
    assert parse_file_name("quotes.csv") is None


def test_reader_builds_quotes_trades_and_activity():
    # See data/lobster_tiny/README.md for the events.
    q, t, a = read_lobster(TINY_MSG, TINY_OB)
    assert len(q) == 12 and set(q["venue"]) == {"NASDAQ"} and set(q["symbol"]) == {"TINY"}
    # Dummy prices become NaN with size 0: row 1 has no ask, row 12 no ask.
    assert math.isnan(q["ask"].iloc[0]) and q["ask_size"].iloc[0] == 0
    assert q["bid"].iloc[10] == pytest.approx(9.99) and q["bid_size"].iloc[10] == 500
    assert q["ts_ns"].iloc[1] == 34210 * S
    # Trades: types 4 and 5. Direction -1 (sell order executed) is a buy; the hidden execution (dir 1) a sell.
    assert list(t["aggressor"]) == ["buy", "sell", "sell", "sell"]
    assert list(t["qty"]) == [100, 30, 30, 100]
    assert list(t["price"]) == pytest.approx([10.01, 10.005, 10.00, 10.00])
    assert not t["router_involved"].any()
    # Activity: adds 1, 2, 3, 4; cancels: rows 6 (delete), 7 (partial), 12 (delete); the halt is ignored.
    # Orders 1, 2 and 3 later execute (type 4), order 4 is deleted: 3 of 4 passive orders filled.
    r = a.iloc[0]
    assert (r["new_orders"], r["cancels"], r["replaces"], r["messages"]) == (4, 3, 0, 7)
    assert (r["passive_orders"], r["passive_orders_filled"]) == (4, 3)


def test_mismatched_files_are_refused(tmp_path):
    short = tmp_path / "short_orderbook.csv"
    short.write_text("\n".join(TINY_OB.read_text().splitlines()[:5]) + "\n")
    with pytest.raises(ValueError, match="12"):
        read_lobster(TINY_MSG, short)
    bad = tmp_path / "bad_message.csv"
    bad.write_text("34200.0,1,1,100\n")
    with pytest.raises(ValueError, match="6 columns"):
        read_messages(bad)


# ---------------------------------------------------------------------------------------------------- real samples
@needs_real
def test_real_level10_sample_reads_its_first_level():
    msg = real_message("AAPL")
    q, _, a = read_lobster(msg, orderbook_path_for(msg))
    assert len(q) == len(read_messages(msg)) and q["bid"].notna().all() and q["ask"].notna().all()
    assert (q["ask"] > q["bid"]).all()
    assert a.loc[0, "new_orders"] > 0
