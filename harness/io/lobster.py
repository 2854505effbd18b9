"""LOBSTER files as sorbench tables (their market statistics: :mod:`harness.workflows.lobster_stats`).

LOBSTER (lobsterdata.com) reconstructs a NASDAQ book from ITCH. Each sample has a *message* file and an *orderbook*
file with one row per event; row k of the orderbook is the book right after message k. Message columns (no header):
time (seconds after midnight, nanosecond decimals), event type, order id, size, price (USD x 10000), direction (1
buy limit order, -1 sell limit order). Orderbook columns per level: ask price, ask size, bid price, bid size; empty
levels carry the dummy prices 9999999999 / -9999999999 with size 0. File names read
``TICKER_DATE_STARTMS_ENDMS_message_LEVELS.csv``; the window and ticker are taken from them when they match.

How events become sorbench tables (venue ``"NASDAQ"``)
------------------------------------------------------
quotes
    One state per message: its time and the orderbook row's level 1 (dummy prices become NaN, their sizes 0).
trades
    Types 4 (execution of a visible order) and 5 (execution of a hidden order). The direction is the side of the
    *resting* order, so the aggressor is the other side: direction -1 (a sell limit order executed) is a buy.
    ``router_involved`` is False. Type 6 (cross / auction trade) is not continuous trading and is left out.
activity
    ``new_orders`` = type 1; ``cancels`` = types 2 (partial) and 3 (full delete); ``replaces`` = 0 (LOBSTER shows an
    ITCH replace as a delete and a new order); ``messages`` = new_orders + cancels; ``passive_orders`` = orders added
    (type 1: LOBSTER only shows the resting part of an order, so every add rested) and ``passive_orders_filled`` =
    those whose id later appears in a type 4 execution. Type 7 (halt indicator) is ignored.

What compares with a simulated run, and what does not
------------------------------------------------------
Level-1 files (AMZN, GOOG samples) only hold events that touch the best quotes.

* Comparable: spread (mean, median, one-tick share; the top of book is exact at every event), top-of-book depth
  (``mean_depth_shares``: bid size + ask size, both sides together, as for a simulated run),
  trades per minute (every execution reaches the top), volume (but it is NASDAQ's volume, not the consolidated
  tape: ``volume_share`` is 1 by construction), 1-minute return volatility, trade-sign autocorrelation, execution
  sizes.
* Biased low: ``messages_per_min`` and the counts of new orders and cancels only include events at the touch
  (adds and cancels deeper in the book are missing), so ``cancel_to_trade`` is a lower bound for the whole book.
* Biased high: ``passive_fill_prob`` is the fill probability of orders *added at the touch*; orders placed deeper,
  which the simulator's counters include, fill less often. Orders resting from before the file starts are not in
  it at all. Order-size figures describe adds at the touch.
* Venue: NASDAQ alone. Spreads are NASDAQ's own, at least as wide as the NBBO was (the 2012 sample names, AMZN and
  GOOG, were high-priced and quoted many ticks wide: compare ``mean_spread_bps`` as well as ticks).

Level-10 files (AAPL sample) have the same first four columns and are read the same way. The AAPL sample covers only
the first ~50 seconds although its name says 09:30-16:00: the default window of such a truncated file ends at its
last message (:func:`sample_window`), with a warning (:func:`window_note`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

NS_PER_SECOND = 1_000_000_000
LOBSTER_VENUE = "NASDAQ"
LOBSTER_PRICE_SCALE = 10_000
"""LOBSTER price units per USD."""
DUMMY_ASK = 9_999_999_999
DUMMY_BID = -9_999_999_999

MESSAGE_COLUMNS = ("time_s", "event_type", "order_id", "size", "price", "direction")

_NAME = re.compile(
    r"^(?P<symbol>[^_]+)_(?P<date>\d{4}-\d{2}-\d{2})_(?P<start_ms>\d+)_(?P<end_ms>\d+)_"
    r"(?P<kind>message|orderbook)_(?P<levels>\d+)\.csv$"
)


class EventType(IntEnum):
    """LOBSTER message event types."""

    NEW = 1
    PARTIAL_CANCEL = 2
    DELETE = 3
    EXECUTE_VISIBLE = 4
    EXECUTE_HIDDEN = 5
    CROSS = 6
    HALT = 7


@dataclass(frozen=True)
class LobsterFileInfo:
    """What a LOBSTER file name says: ticker, date, window (ns after midnight) and book levels."""

    symbol: str
    date: str
    start_ns: int
    end_ns: int
    levels: int


class LobsterTables(NamedTuple):
    """A LOBSTER sample as sorbench tables (schemas of :mod:`harness.analytics.market_stats`)."""

    quotes: pd.DataFrame
    trades: pd.DataFrame
    activity: pd.DataFrame


def parse_file_name(path: str | Path) -> LobsterFileInfo | None:
    """The ticker, date, window and levels in a LOBSTER file name, or ``None`` if it is not one."""
    m = _NAME.match(Path(path).name)
    if m is None:
        return None
    return LobsterFileInfo(
        symbol=m["symbol"], date=m["date"], start_ns=int(m["start_ms"]) * 1_000_000,
        end_ns=int(m["end_ms"]) * 1_000_000, levels=int(m["levels"]),
    )


def orderbook_path_for(message_path: str | Path) -> Path:
    """The orderbook file beside a message file (``..._message_N.csv`` -> ``..._orderbook_N.csv``)."""
    p = Path(message_path)
    name = re.sub(r"_message_(\d+)\.csv$", r"_orderbook_\1.csv", p.name)
    if name == p.name:
        raise ValueError(f"{p}: not a LOBSTER message file name (expected ..._message_<levels>.csv)")
    return p.with_name(name)


def read_messages(path: str | Path) -> pd.DataFrame:
    """A message file: ``MESSAGE_COLUMNS`` plus ``ts_ns`` (int64 ns after midnight); prices stay in 1e-4 USD."""
    path = Path(path)
    try:
        df = pd.read_csv(path, header=None, dtype=float)
    except pd.errors.EmptyDataError:
        df = pd.DataFrame(columns=range(len(MESSAGE_COLUMNS)), dtype=float)
    if df.shape[1] != len(MESSAGE_COLUMNS):
        raise ValueError(f"{path}: a LOBSTER message file has {len(MESSAGE_COLUMNS)} columns, found {df.shape[1]}")
    df.columns = list(MESSAGE_COLUMNS)
    out = pd.DataFrame({"ts_ns": np.rint(df["time_s"].to_numpy() * NS_PER_SECOND).astype(np.int64)})
    out["time_s"] = df["time_s"]
    for col in MESSAGE_COLUMNS[1:]:
        out[col] = df[col].astype(np.int64)
    return out


def read_top_of_book(path: str | Path) -> pd.DataFrame:
    """Level 1 of an orderbook file: ``ask, ask_size, bid, bid_size`` (USD; NaN price and size 0 for an empty side)."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, header=None, usecols=range(4), dtype=np.int64)
    except pd.errors.EmptyDataError:
        raw = pd.DataFrame(np.zeros((0, 4), dtype=np.int64))
    except ValueError as exc:  # fewer than four columns, or not integers
        raise ValueError(f"{path}: not a LOBSTER orderbook file ({exc})") from exc
    ap, asz, bp, bsz = (raw.iloc[:, i].to_numpy() for i in range(4))
    ask_empty = ap >= DUMMY_ASK
    bid_empty = bp <= DUMMY_BID
    return pd.DataFrame({
        "ask": np.where(ask_empty, np.nan, ap / LOBSTER_PRICE_SCALE),
        "ask_size": np.where(ask_empty, 0, asz),
        "bid": np.where(bid_empty, np.nan, bp / LOBSTER_PRICE_SCALE),
        "bid_size": np.where(bid_empty, 0, bsz),
    })


UNCOVERED_TAIL_NS = 60 * NS_PER_SECOND
"""A file-name window whose end lies more than this after the last message is clipped (the sample is truncated)."""


def sample_window(message_path: str | Path, messages: pd.DataFrame) -> tuple[int, int]:
    """``(start_ns, end_ns)`` of a sample: the window in the file name, else first to last message.

    A truncated sample (the AAPL file covers ~50 s although its name says 09:30-16:00) would hold its last book state
    to the name's end and report that state's spread and a zero volatility for the rest of the day: when the last
    message lies more than :data:`UNCOVERED_TAIL_NS` before the name's end, the window ends just after the last
    message instead (:func:`window_note` says so).
    """
    info = parse_file_name(message_path)
    if info is None and messages.empty:
        raise ValueError(f"{message_path}: no messages and no window in the file name: pass window")
    if messages.empty:
        return info.start_ns, info.end_ns  # type: ignore[union-attr]
    last = int(messages["ts_ns"].iloc[-1]) + 1
    if info is None:
        return int(messages["ts_ns"].iloc[0]), last
    end = last if info.end_ns - last > UNCOVERED_TAIL_NS else info.end_ns
    return info.start_ns, max(end, info.start_ns + 1)


def window_note(message_path: str | Path, messages: pd.DataFrame) -> str | None:
    """A one-line warning when :func:`sample_window` clipped the file name's window, else None."""
    info = parse_file_name(message_path)
    if info is None or messages.empty:
        return None
    start, end = sample_window(message_path, messages)
    if end == info.end_ns:
        return None
    return (
        f"{Path(message_path).name}: the messages end at {_clock(end - 1)}, long before the file name's "
        f"{_clock(info.end_ns)}: the window is clipped to {_clock(start)}-{_clock(end)} (pass --start/--end to choose)"
    )


def _clock(ns: int) -> str:
    """HH:MM:SS.mmm of ns after midnight."""
    s, ms = divmod(ns // 1_000_000, 1000)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{ms:03d}"


def sample_symbol(message_path: str | Path, symbol: str | None) -> str:
    """``symbol`` if given, else the ticker in the file name."""
    if symbol is not None:
        return symbol
    info = parse_file_name(message_path)
    if info is None:
        raise ValueError(f"{message_path}: no ticker in the file name: pass symbol")
    return info.symbol


def tables_from_messages(
    messages: pd.DataFrame,
    top: pd.DataFrame,
    *,
    symbol: str,
    venue: str = LOBSTER_VENUE,
    window: tuple[int, int] | None = None,
) -> LobsterTables:
    """Quotes, trades and activity from parsed messages and top of book (the module docstring says how).

    ``window`` limits the activity counts to messages inside ``[start, end)`` (quotes and trades are kept whole:
    :func:`harness.analytics.market_stats.market_stats` clips them itself). Orders added in the window count as
    filled if they execute at any time in the file.
    """
    if len(messages) != len(top):
        raise ValueError(f"message and orderbook files differ in length: {len(messages)} vs {len(top)} rows")
    ts = messages["ts_ns"].to_numpy(dtype=np.int64)
    etype = messages["event_type"].to_numpy()
    quotes = pd.DataFrame({
        "venue": venue, "symbol": symbol, "ts_ns": ts,
        "bid": top["bid"].to_numpy(), "bid_size": top["bid_size"].to_numpy(dtype=np.int64),
        "ask": top["ask"].to_numpy(), "ask_size": top["ask_size"].to_numpy(dtype=np.int64),
    })
    is_trade = np.isin(etype, [EventType.EXECUTE_VISIBLE, EventType.EXECUTE_HIDDEN])
    ex = messages[is_trade]
    trades = pd.DataFrame({
        "symbol": symbol, "venue": venue, "ts_ns": ex["ts_ns"].to_numpy(dtype=np.int64),
        "price": ex["price"].to_numpy() / LOBSTER_PRICE_SCALE, "qty": ex["size"].to_numpy(dtype=np.int64),
        "aggressor": np.where(ex["direction"].to_numpy() == -1, "buy", "sell"), "router_involved": False,
    })
    inside = np.ones(len(messages), dtype=bool) if window is None else (ts >= window[0]) & (ts < window[1])
    new = inside & (etype == EventType.NEW)
    n_new = int(new.sum())
    n_cancel = int((inside & np.isin(etype, [EventType.PARTIAL_CANCEL, EventType.DELETE])).sum())
    added_ids = messages.loc[new, "order_id"].to_numpy()
    executed_ids = messages.loc[etype == EventType.EXECUTE_VISIBLE, "order_id"].to_numpy()
    n_filled = int(np.isin(np.unique(added_ids), executed_ids).sum())
    activity = pd.DataFrame([{
        "symbol": symbol, "venue": venue, "messages": n_new + n_cancel, "new_orders": n_new, "cancels": n_cancel,
        "replaces": 0, "passive_orders": int(np.unique(added_ids).size), "passive_orders_filled": n_filled,
    }])
    return LobsterTables(quotes=quotes, trades=trades, activity=activity)


def read_lobster(
    message_path: str | Path,
    orderbook_path: str | Path,
    *,
    symbol: str | None = None,
    venue: str = LOBSTER_VENUE,
    window: tuple[int, int] | None = None,
) -> LobsterTables:
    """Read a LOBSTER message + orderbook pair as sorbench ``(quotes, trades, activity)`` tables.

    Parameters
    ----------
    message_path, orderbook_path : str or Path
        The two files of one sample (any number of levels; only level 1 is used).
    symbol : str, optional
        Symbol to label the rows with (default: the ticker in the file name).
    venue : str
        Venue to label the rows with.
    window : tuple of int, optional
        ``(start_ns, end_ns)`` for the activity counts (default: every message in the file).

    Returns
    -------
    LobsterTables
        ``quotes``, ``trades`` and ``activity`` in the schemas of :mod:`harness.analytics.market_stats`.
    """
    messages = read_messages(message_path)
    top = read_top_of_book(orderbook_path)
    if len(messages) != len(top):
        raise ValueError(
            f"{orderbook_path}: {len(top)} rows but {message_path} has {len(messages)}: not the same sample"
        )
    return tables_from_messages(messages, top, symbol=sample_symbol(message_path, symbol), venue=venue, window=window)
