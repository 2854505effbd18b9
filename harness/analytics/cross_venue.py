"""Cross-venue dynamics of a market: how venues move together and how the consolidated quote mean-reverts.

Pure pandas/numpy over a run's tables; the figures join ``market_stats.csv`` in the ``ALL`` rows
(:func:`cross_venue_by_run`).

Definitions
-----------
Aggressive order
    As in :mod:`harness.analytics.compliance`: one incoming order's executions at one venue (the tape's rows with the
    same ``venue`` and ``aggressor_order_id``; without that column the same ``venue``, ``ts_ns`` and ``aggressor``),
    signed +1 for a buy, -1 for a sell, timed at its first print.
Cross-venue sign correlation (``xvenue_sign_corr``)
    In time order (ties in tape order), the Pearson correlation of the signs of consecutive aggressive orders over the
    pairs that are on *different* venues at *different* times (``xvenue_pairs`` such pairs): the children of one
    routing decision that reach several venues at the same nanosecond (a sweep, a split over the NBBO venues) are
    one decision, not two venues moving together, and are left out. With venues trading independently it is ~0; it
    is positive when an order on one venue is followed by same-side orders elsewhere (fast traders racing to the
    other venues, takers following a quote move).
Consolidated mid-change autocorrelation (``mid_change_autocorr``)
    The NBBO mid of every two-sided NBBO state in the window (locked and crossed states included), its successive
    non-zero changes, and their lag-1 sample autocorrelation (``mid_changes`` changes). Negative when quotes
    mean-revert at the tick scale (a side moves and comes back), positive when the consolidated quote creeps (venues
    catching up with each other one after another).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from harness.analytics.market_stats import each_run

ALL_VENUES = "ALL"

CROSS_VENUE_COLUMNS = ("xvenue_sign_corr", "xvenue_pairs", "mid_change_autocorr", "mid_changes")
"""Columns :func:`cross_venue` adds to each symbol's ``ALL`` row, in order."""


def _pearson(x: np.ndarray, y: np.ndarray) -> float:
    if len(x) < 2:
        return math.nan
    dx, dy = x - x.mean(), y - y.mean()
    den = math.sqrt(float((dx * dx).sum()) * float((dy * dy).sum()))
    return float((dx * dy).sum()) / den if den > 0 else math.nan


def aggressive_orders(trades: pd.DataFrame) -> pd.DataFrame:
    """One row per aggressive order (module docstring): ``ts_ns, venue, sign``, in time (then tape) order."""
    if trades.empty:
        return pd.DataFrame(
            {"ts_ns": pd.Series(dtype="int64"), "venue": pd.Series(dtype=object), "sign": pd.Series(dtype="int64")}
        )
    tr = trades.reset_index(drop=True)
    keys = ["venue", "aggressor_order_id"] if "aggressor_order_id" in tr.columns else ["venue", "ts_ns", "aggressor"]
    first = tr.groupby(keys, sort=False).head(1)
    sign = np.where(first["aggressor"].astype(str).str.lower() == "buy", 1, -1)
    out = pd.DataFrame(
        {
            "ts_ns": first["ts_ns"].to_numpy(dtype=np.int64),
            "venue": first["venue"].to_numpy(),
            "sign": sign,
            "_row": first.index.to_numpy(),
        }
    )
    out = out.sort_values(["ts_ns", "_row"], kind="stable")
    return out.drop(columns="_row").reset_index(drop=True)


def xvenue_sign_corr(trades: pd.DataFrame) -> tuple[float, int]:
    """Correlation of the signs of consecutive aggressive orders on different venues, and the number of such pairs."""
    orders = aggressive_orders(trades)
    if len(orders) < 2:
        return math.nan, 0
    venue = orders["venue"].to_numpy()
    ts = orders["ts_ns"].to_numpy()
    sign = orders["sign"].to_numpy(dtype=float)
    other = (venue[1:] != venue[:-1]) & (ts[1:] != ts[:-1])
    return _pearson(sign[:-1][other], sign[1:][other]), int(other.sum())


def mid_change_autocorr(nbbo: pd.DataFrame, window: tuple[int, int]) -> tuple[float, int]:
    """Lag-1 autocorrelation of the successive non-zero changes of the NBBO mid in ``window``, and their number."""
    start, end = window
    nb = nbbo[(nbbo["ts_ns"] >= start) & (nbbo["ts_ns"] < end)].sort_values("ts_ns", kind="stable")
    bid = nb["bid"].to_numpy(dtype=float)
    ask = nb["ask"].to_numpy(dtype=float)
    two = np.isfinite(bid) & np.isfinite(ask)
    mid2 = np.rint((bid[two] + ask[two]) * 1e5)  # twice the mid in 1e-5 USD: exact on the 1e-4 grid
    d = np.diff(mid2)
    d = d[d != 0]
    if len(d) < 3:
        return math.nan, len(d)
    return _pearson(d[:-1], d[1:]), len(d)


def cross_venue(*, trades: pd.DataFrame, nbbo: pd.DataFrame, window: tuple[int, int]) -> pd.DataFrame:
    """Per symbol, the ``ALL`` row of :data:`CROSS_VENUE_COLUMNS` (module docstring).

    ``trades``: ``symbol, venue, ts_ns, aggressor`` (and ``aggressor_order_id`` where known); ``nbbo``: the true
    NBBO history ``symbol, ts_ns, bid, ask`` (USD, NaN for an empty side); ``window``: ``(start_ns, end_ns)``.
    """
    start, end = int(window[0]), int(window[1])
    tr = trades[(trades["ts_ns"] >= start) & (trades["ts_ns"] < end)]
    rows: list[dict[str, Any]] = []
    for sym in sorted(set(tr["symbol"]) | set(nbbo["symbol"])):
        corr, pairs = xvenue_sign_corr(tr[tr["symbol"] == sym])
        ac, n = mid_change_autocorr(nbbo[nbbo["symbol"] == sym], (start, end))
        rows.append(
            {
                "symbol": sym,
                "venue": ALL_VENUES,
                "xvenue_sign_corr": corr,
                "xvenue_pairs": pairs,
                "mid_change_autocorr": ac,
                "mid_changes": n,
            }
        )
    return pd.DataFrame(rows, columns=["symbol", "venue", *CROSS_VENUE_COLUMNS])


def cross_venue_by_run(
    *, trades: pd.DataFrame, nbbo: pd.DataFrame, window: tuple[int, int], keys: Sequence[str] = ("router", "seed")
) -> pd.DataFrame:
    """:func:`cross_venue` of every run (each (router, seed) is its own market), with the ``keys`` columns in front."""
    return each_run(
        {"trades": trades, "nbbo": nbbo},
        keys,
        lambda **t: cross_venue(**t, window=window),
        columns=["symbol", "venue", *CROSS_VENUE_COLUMNS],
    )
