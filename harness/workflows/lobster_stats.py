"""Market statistics of LOBSTER samples, computed as a run's ``market_stats.csv`` (``sorbench lobster-stats``).

Reading the files is :mod:`harness.io.lobster`'s (its docstring says which figures are comparable with a simulated
run and which are biased); the statistics are :mod:`harness.analytics.market_stats`'s, the same as a run's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from harness.analytics.market_stats import ALL_VENUES, market_stats, order_size_summary
from harness.io.lobster import (
    EventType,
    orderbook_path_for,
    read_messages,
    read_top_of_book,
    sample_symbol,
    sample_window,
    tables_from_messages,
    window_note,
)


def lobster_stats(
    message_path: str | Path,
    orderbook_path: str | Path | None = None,
    tick_usd: float = 0.01,
    *,
    window: tuple[int, int] | None = None,
    symbol: str | None = None,
    notes: list[str] | None = None,
) -> pd.DataFrame:
    """:func:`~harness.analytics.market_stats.market_stats` of a LOBSTER sample: a ``NASDAQ`` and an equal ``ALL`` row.

    Parameters
    ----------
    message_path : str or Path
        The message file.
    orderbook_path : str or Path, optional
        The orderbook file (default: the one named like the message file).
    tick_usd : float
        Tick size in USD.
    window : tuple of int, optional
        ``(start_ns, end_ns)``; default: the window in the file name, else first to last message.
    symbol : str, optional
        Symbol (default: the ticker in the file name).
    notes : list of str, optional
        Receives a warning line when the default window had to be clipped to a truncated sample.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`harness.analytics.market_stats.STATS_COLUMNS`; :mod:`harness.io.lobster` says which figures are
        biased.
    """
    orderbook_path = orderbook_path if orderbook_path is not None else orderbook_path_for(message_path)
    messages = read_messages(message_path)
    win = window if window is not None else sample_window(message_path, messages)
    note = window_note(message_path, messages) if window is None else None
    if note is not None and notes is not None:
        notes.append(note)
    top = read_top_of_book(orderbook_path)
    if len(messages) != len(top):
        raise ValueError(
            f"{orderbook_path}: {len(top)} rows but {message_path} has {len(messages)}: not the same sample"
        )
    sym = sample_symbol(message_path, symbol)
    tables = tables_from_messages(messages, top, symbol=sym, window=win)
    nbbo = tables.quotes.assign(venue=ALL_VENUES)
    return market_stats(
        quotes=pd.concat([tables.quotes, nbbo], ignore_index=True), trades=tables.trades,
        activity=tables.activity, ticks={sym: tick_usd}, window=win,
    )


def lobster_order_sizes(
    message_path: str | Path, *, round_lot: int = 100, window: tuple[int, int] | None = None
) -> pd.DataFrame:
    """Size distribution (:func:`~harness.analytics.market_stats.order_size_summary`) of new orders and executions.

    Returns
    -------
    pandas.DataFrame
        One row per ``kind`` (``new_orders``: type 1 adds, at the touch in level-1 files; ``executions``: types 4
        and 5) with the summary's columns.
    """
    messages = read_messages(message_path)
    if window is not None:
        messages = messages[(messages["ts_ns"] >= window[0]) & (messages["ts_ns"] < window[1])]
    etype = messages["event_type"]
    kinds: Iterable[tuple[str, pd.Series]] = (
        ("new_orders", messages.loc[etype == EventType.NEW, "size"]),
        ("executions", messages.loc[etype.isin([EventType.EXECUTE_VISIBLE, EventType.EXECUTE_HIDDEN]), "size"]),
    )
    return pd.DataFrame([{"kind": kind, **order_size_summary(q, round_lot=round_lot)} for kind, q in kinds])

