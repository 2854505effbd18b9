"""Reg NMS compliance of a market: prints outside the NBBO (trade-throughs), locked and crossed NBBO, SIP staleness.

Pure pandas/numpy over a run's tables; the figures join ``market_stats.csv`` (:func:`compliance_by_run`).

Definitions
-----------
Aggressive order
    One incoming order's executions at one venue: the tape's rows with the same ``venue`` and
    ``aggressor_order_id`` (without that column: the same ``venue``, ``ts_ns`` and ``aggressor``). A routed-out
    remainder reaching a second venue is a second aggressive order there.
Outside the NBBO of the instant before
    The reference is the true NBBO in force when the order arrived: the row ``nbbo_row`` of the symbol's NBBO
    history (the simulator records it with each print, so events at the same nanosecond keep their order: an
    order arriving just after a sibling took a quote elsewhere is compared with the NBBO that sibling left), or,
    without that column (real data), the NBBO as of ``ts_ns - 1``. A buy
    prints outside it above the NBBO ask, a sell below the NBBO bid; with that side of the NBBO empty nothing is
    outside. An aggressive order *trades through* when its best print is outside (it did not even get the NBBO
    price: Rule 611's trade-through); walking one venue's own book past the NBBO after taking its best price is not
    a trade-through of the order, but its deeper prints count in the volume share.
ISO
    The tape's ``iso`` flag: the aggressor reached the venue as an intermarket sweep order, whose sender takes every
    better protected quote at the same time (Rule 611(b)(5)); its prints outside the NBBO are the legal kind.
Locked / crossed
    Time shares of the two-sided NBBO with bid = ask (locked) and bid > ask (crossed), in the ``ALL`` rows.
SIP staleness in clock time
    A SIP subscriber sees each NBBO change ``sip_lag_ns`` after a direct-feed subscriber (the SIP's extra hop and
    processing, :func:`harness.scenario.latency.sip_extra_lag_ns`); the share of the window in which the two views
    differ is the measure of the union of ``[change, change + lag)`` over the NBBO's changes, over the window.
SIP staleness at router decisions
    The share of the router's child orders sent while the SIP view was stale in that sense (an NBBO change in the
    ``sip_lag_ns`` before the send): what a router deciding on the SIP would have missed that a direct-feed router
    saw. (``market_stats.csv`` also gives, where the router read the SIP, the share of its reads that differed from
    the true NBBO: ``sip_reads``, ``sip_stale_decision_share``.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from harness.analytics.market_stats import each_run

ALL_VENUES = "ALL"

COMPLIANCE_COLUMNS = (
    "aggressive_orders", "through_order_share", "through_iso_share", "non_iso_through_share",
    "through_volume_share", "locked_time_share", "crossed_time_share", "sip_stale_time_share", "sip_stale_send_share",
)
"""Columns :func:`compliance` adds to each (symbol, venue) row, in order."""

_PRICE_EPS = 1e-7  # USD: prices are on a 1e-4 grid, so anything below half of it is float noise


def _order_keys(tr: pd.DataFrame) -> list[str]:
    if "aggressor_order_id" in tr.columns:
        return ["venue", "aggressor_order_id"]
    return ["venue", "ts_ns", "aggressor"]


def _prints_outside(tr: pd.DataFrame, nbbo: pd.DataFrame) -> np.ndarray:
    """Per print of one symbol: whether it is outside the NBBO in force just before it."""
    nb = nbbo.sort_values("ts_ns", kind="stable")  # the history's own order within a nanosecond is kept
    if "nbbo_row" in tr.columns:
        i = tr["nbbo_row"].to_numpy(dtype=np.int64)
    else:
        nts = nb["ts_ns"].to_numpy(dtype=np.int64)
        i = np.searchsorted(nts, tr["ts_ns"].to_numpy(dtype=np.int64) - 1, side="right") - 1
    ok = (i >= 0) & (i < len(nb))
    j = np.maximum(i, 0)
    bid = np.where(ok, nb["bid"].to_numpy(dtype=float)[j] if len(nb) else np.nan, np.nan)
    ask = np.where(ok, nb["ask"].to_numpy(dtype=float)[j] if len(nb) else np.nan, np.nan)
    price = tr["price"].to_numpy(dtype=float)
    buy = (tr["aggressor"].astype(str) == "buy").to_numpy()
    with np.errstate(invalid="ignore"):
        return np.where(buy, price > ask + _PRICE_EPS, price < bid - _PRICE_EPS)


def _through_rows(sym: str, tr: pd.DataFrame, nbbo: pd.DataFrame) -> list[dict[str, Any]]:
    """Trade-through figures of one symbol's prints, per venue and then ``ALL``."""
    tr = tr.reset_index(drop=True).copy()
    tr["_out"] = _prints_outside(tr, nbbo)
    tr["_iso"] = tr["iso"].astype(bool) if "iso" in tr.columns else False
    tr["_out_qty"] = np.where(tr["_out"], tr["qty"].to_numpy(dtype=float), 0.0)
    # The best print of an order is outside iff every print is (they share one reference NBBO): min over prints.
    orders = tr.groupby(_order_keys(tr), sort=False).agg(
        out=("_out", "min"), iso=("_iso", "max"))
    orders = orders.reset_index()
    rows = []
    for venue in [*sorted(set(tr["venue"])), ALL_VENUES]:
        o = orders if venue == ALL_VENUES else orders[orders["venue"] == venue]
        p = tr if venue == ALL_VENUES else tr[tr["venue"] == venue]
        n = len(o)
        out = o["out"].to_numpy(dtype=bool)
        iso = o["iso"].to_numpy(dtype=bool)
        volume = float(p["qty"].sum())
        rows.append({
            "symbol": sym, "venue": venue, "aggressive_orders": n,
            "through_order_share": out.sum() / n if n else math.nan,
            "through_iso_share": (out & iso).sum() / out.sum() if out.any() else math.nan,
            "non_iso_through_share": (out & ~iso).sum() / n if n else math.nan,
            "through_volume_share": float(p["_out_qty"].sum()) / volume if volume else math.nan,
        })
    return rows


def _nbbo_time_shares(nbbo: pd.DataFrame, *, tick: float, window: tuple[int, int], sip_lag_ns: int,
                      sends: np.ndarray | None = None) -> dict[str, float]:
    """Locked and crossed shares of two-sided time, the SIP's stale share of the window and of ``sends``."""
    start, end = window
    nan = math.nan
    out = {"locked_time_share": nan, "crossed_time_share": nan, "sip_stale_time_share": nan,
           "sip_stale_send_share": nan}
    if nbbo.empty:
        return out
    nb = nbbo.sort_values("ts_ns", kind="stable")
    ts = nb["ts_ns"].to_numpy(dtype=np.int64)
    t0 = np.clip(ts, start, end)
    w = (np.append(t0[1:], end) - t0).astype(float)
    bid = nb["bid"].to_numpy(dtype=float)
    ask = nb["ask"].to_numpy(dtype=float)
    two = np.isfinite(bid) & np.isfinite(ask) & (w > 0)
    if two.any():
        spread = np.round((ask[two] - bid[two]) / tick, 6)
        total = w[two].sum()
        out["locked_time_share"] = float(w[two][spread == 0].sum() / total)
        out["crossed_time_share"] = float(w[two][spread < 0].sum() / total)
    changes = ts[(ts >= start) & (ts < end)]
    gaps = np.diff(np.append(changes, end))
    lag = max(0, int(sip_lag_ns))
    out["sip_stale_time_share"] = float(np.minimum(gaps, lag).sum() / (end - start))
    if sends is not None and len(sends):
        # the last change at or before each send, and whether it is less than the lag old
        i = np.searchsorted(ts, sends, side="right") - 1
        recent = (i >= 0) & (sends - ts[np.maximum(i, 0)] < lag)
        out["sip_stale_send_share"] = float(recent.mean())
    return out


def compliance(
    *, trades: pd.DataFrame, nbbo: pd.DataFrame, ticks: Mapping[str, float], window: tuple[int, int],
    sip_lag_ns: int = 0, child_orders: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per symbol and venue (and ``ALL``) compliance figures of one market (module docstring).

    Parameters
    ----------
    trades : pandas.DataFrame
        The tape: ``symbol, venue, ts_ns, price, qty, aggressor`` (USD prices), optionally ``aggressor_order_id``
        and ``iso`` (without it no print counts as an ISO).
    nbbo : pandas.DataFrame
        The true NBBO history: ``symbol, ts_ns, bid, ask`` (USD, NaN for an empty side).
    ticks : Mapping[str, float]
        Tick size in USD per symbol.
    window : tuple of int
        ``(start_ns, end_ns)``: prints and quote time outside it are left out.
    sip_lag_ns : int
        The SIP view's extra age over a direct feed.
    child_orders : pandas.DataFrame, optional
        The router's child orders (``symbol, sent_ts_ns``), for the SIP's staleness at its decisions.

    Returns
    -------
    pandas.DataFrame
        ``symbol, venue`` and :data:`COMPLIANCE_COLUMNS`; quote figures only in the ``ALL`` rows (NaN elsewhere).
    """
    start, end = int(window[0]), int(window[1])
    tr = trades[(trades["ts_ns"] >= start) & (trades["ts_ns"] < end)]
    rows: list[dict[str, Any]] = []
    for sym in sorted(set(tr["symbol"]) | set(nbbo["symbol"])):
        nb = nbbo[nbbo["symbol"] == sym]
        sym_rows = _through_rows(sym, tr[tr["symbol"] == sym], nb)
        sends = None
        if child_orders is not None:
            sent = child_orders.loc[child_orders["symbol"] == sym, "sent_ts_ns"].to_numpy(dtype=np.int64)
            sends = sent[(sent >= start) & (sent < end)]
        sym_rows[-1].update(_nbbo_time_shares(nb, tick=float(ticks[sym]), window=(start, end),
                                              sip_lag_ns=sip_lag_ns, sends=sends))
        rows.extend(sym_rows)
    return pd.DataFrame(rows, columns=["symbol", "venue", *COMPLIANCE_COLUMNS])


def compliance_by_run(
    *, trades: pd.DataFrame, nbbo: pd.DataFrame, ticks: Mapping[str, float], window: tuple[int, int],
    sip_lag_ns: int = 0, child_orders: pd.DataFrame | None = None, keys: Sequence[str] = ("router", "seed"),
) -> pd.DataFrame:
    """:func:`compliance` of every run (each (router, seed) is its own market), with the ``keys`` columns in front."""
    return each_run({"trades": trades, "nbbo": nbbo}, keys,
                    lambda **t: compliance(**t, ticks=ticks, window=window, sip_lag_ns=sip_lag_ns),
                    columns=["symbol", "venue", *COMPLIANCE_COLUMNS], extra={"child_orders": child_orders})
