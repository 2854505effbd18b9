"""Information leakage per router: quote fade, other venues' quotes moving after its fills, fast traders' profit.

``leakage_table`` puts them side by side (NaN, with a note, where a run folder lacks the per-venue quotes, the child
orders or the fast traders' fills). Definitions: docs/analytics.md, *Conflict-of-interest evidence*.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from harness.analytics.classify import micros, side_sign
from harness.analytics.context import RunContext
from harness.analytics.nbbo import NbboIndex, run_end_ts
from harness.analytics.orders import MS

CPH = 10_000.0
LEAKAGE_COLUMNS = [
    "router", "targeting_children", "targeted_shares", "faded_shares", "quote_fade", "other_venue_move_100ms_cph",
    "other_venue_move_1s_cph", "fast_trader_fills", "fast_trader_shares", "fast_trader_profit_usd",
    "fast_trader_profit_cph", "note",
]
OTHER_VENUE_HORIZONS_NS = {"100ms": 100 * MS, "1s": 1_000 * MS}
FAST_TRADER_HORIZON_NS = 1_000 * MS


def _venue_index(quotes: pd.DataFrame, *, sizes: bool) -> NbboIndex:
    """An index over per-venue quotes keyed by (router, seed, symbol|venue); ``sizes`` looks up sizes, not prices."""
    q = quotes.assign(symbol=quotes["symbol"] + "|" + quotes["venue"])
    if sizes:
        q = q.assign(bid=q["bid_size"].astype(np.float64), ask=q["ask_size"].astype(np.float64))
    return NbboIndex(q[["router", "seed", "symbol", "ts_ns", "bid", "ask"]])


def quote_fade(children: pd.DataFrame, quotes: pd.DataFrame) -> pd.DataFrame:
    """Per router: of the displayed size child orders targeted when sent, the share gone when they arrived.

    A child order targets displayed size when, at its venue and at its send time, the far side of the venue's quote
    (the ask for a buy) is at or better than its limit: the size targeted is min(child shares, displayed size). On
    arrival (the venue's quote just before ``venue_ts_ns``) the size still available is the displayed size if the
    far side is at or better than the price targeted, else 0. Fade = (targeted - min(targeted, available)) summed,
    over targeted summed. Only the top of each venue's book is known, so size deeper than the best price is not
    seen. Midpoint-pegged and post-only children do not target displayed size and are left out.
    """
    need = {"limit_price", "sent_ts_ns", "venue_ts_ns", "side", "symbol"}
    if not need <= set(children.columns):
        return pd.DataFrame(columns=["router", "targeting_children", "targeted_shares", "faded_shares", "quote_fade"])
    c = children[children["limit_price"].notna() & children["venue_ts_ns"].notna()]  # in flight at the end: left out
    for flag in ("midpoint_peg", "post_only"):
        if flag in c.columns:
            c = c[~c[flag].astype(bool)]
    c = c.reset_index(drop=True)
    prices, sizes = _venue_index(quotes, sizes=False), _venue_index(quotes, sizes=True)
    key = c.assign(symbol=c["symbol"] + "|" + c["venue"])
    codes = prices.codes(key)
    buy = c["side"].to_numpy() == "buy"
    sent_t, arr_t = c["sent_ts_ns"].to_numpy(np.int64), c["venue_ts_ns"].astype(np.int64).to_numpy(np.int64)
    at_sent, size_sent = prices.at(codes, sent_t), sizes.at(codes, sent_t)
    at_arr, size_arr = prices.at(codes, arr_t, strict=True), sizes.at(codes, arr_t, strict=True)
    far_sent = micros(np.where(buy, at_sent.ask, at_sent.bid))
    far_arr = micros(np.where(buy, at_arr.ask, at_arr.bid))
    limit = micros(c["limit_price"].to_numpy(np.float64))
    s = np.where(buy, 1.0, -1.0)
    shown = np.nan_to_num(np.where(buy, size_sent.ask, size_sent.bid))
    targets = np.isfinite(far_sent) & (s * far_sent <= s * limit) & (shown > 0)
    targeted = np.where(targets, np.minimum(c["qty"].to_numpy(np.float64), shown), 0.0)
    still = np.isfinite(far_arr) & (s * far_arr <= s * far_sent)
    available = np.where(still, np.nan_to_num(np.where(buy, size_arr.ask, size_arr.bid)), 0.0)
    faded = targeted - np.minimum(targeted, available)
    out = pd.DataFrame({"router": c["router"], "targeting_children": targets.astype(np.int64),
                        "targeted_shares": targeted, "faded_shares": faded}).groupby("router").sum()
    out["quote_fade"] = out["faded_shares"] / out["targeted_shares"].replace(0, np.nan)
    return out.reset_index()


def other_venue_moves(fills: pd.DataFrame, quotes: pd.DataFrame) -> pd.DataFrame:
    """Per router: how the other venues' quotes moved after the router's fills, share-weighted, cph.

    For a fill at venue V at time t: m_other(t) is the midpoint of the best bid and best offer across the venues
    other than V (quotes just before t), and the move at h is s * (m_other(t + h) - m_other(t)), s = +1 for a buy.
    > 0: the other venues' prices moved against the router's customer after it traded (information leaking to
    those who reprice there). NaN where t + h is past the run's quote history.
    """
    venues = sorted(quotes["venue"].unique())
    prices = _venue_index(quotes, sizes=False)
    f = fills.reset_index(drop=True)
    s = side_sign(f["side"])
    t = f["exec_ts_ns"].to_numpy(np.int64)
    end = run_end_ts(quotes, f)
    codes = {v: prices.codes(f.assign(symbol=f["symbol"] + "|" + v)) for v in venues}
    own = {v: (f["venue"] == v).to_numpy() for v in venues}
    out = pd.DataFrame({"router": f["router"]})
    for name, h in OTHER_VENUE_HORIZONS_NS.items():
        mids = []
        for when, strict in ((t, True), (t + h, False)):
            bids, asks = [], []
            for v in venues:
                q = prices.at(codes[v], when, strict=strict)
                bids.append(np.where(own[v], np.nan, q.bid))
                asks.append(np.where(own[v], np.nan, q.ask))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # an instant with no other venue quoting: NaN
                mids.append((np.nanmax(np.vstack(bids), axis=0) + np.nanmin(np.vstack(asks), axis=0)) / 2)
        move = s * (mids[1] - mids[0]) * CPH
        move[(t + h) > end] = np.nan
        q = f["qty"].to_numpy(np.float64)
        out[f"_num_{name}"] = np.where(np.isfinite(move), move * q, 0.0)
        out[f"_den_{name}"] = np.where(np.isfinite(move), q, 0.0)
    g = out.groupby("router").sum()
    res = pd.DataFrame(index=g.index)
    for name in OTHER_VENUE_HORIZONS_NS:
        res[f"other_venue_move_{name}_cph"] = g[f"_num_{name}"] / g[f"_den_{name}"].replace(0, np.nan)
    return res.reset_index()


def fast_trader_profit(fast_fills: pd.DataFrame, nbbo: pd.DataFrame, fills: pd.DataFrame) -> pd.DataFrame:
    """Per router: the fast traders' profit in the router's run, their fills marked to the NBBO midpoint 1 s later.

    profit = sum of s * (m(t + 1 s) - p) * q over the fast traders' fills (s = +1 for their buys), USD; and per 100
    shares the router executed, cph. Fills whose mark is past the run's NBBO history are left out. In a scenario
    whose fast traders react only to the router's trades this is the profit the router's orders gave them.
    """
    index = NbboIndex(nbbo)
    ff = fast_fills.reset_index(drop=True)
    t = ff["ts_ns"].to_numpy(np.int64) + FAST_TRADER_HORIZON_NS
    mid = index.at(index.codes(ff), t).mid
    mid[t > run_end_ts(nbbo, ff)] = np.nan
    profit = side_sign(ff["side"]) * (mid - ff["price"].to_numpy(np.float64)) * ff["qty"].to_numpy(np.float64)
    ok = np.isfinite(profit)
    g = pd.DataFrame({"router": ff["router"][ok], "fast_trader_fills": 1, "fast_trader_shares": ff["qty"][ok],
                      "fast_trader_profit_usd": profit[ok]}).groupby("router").sum()
    executed = fills.groupby("router")["qty"].sum() if len(fills) else pd.Series(dtype=np.float64)
    g["fast_trader_profit_cph"] = g["fast_trader_profit_usd"] / executed.reindex(g.index).replace(0, np.nan) * CPH
    return g.reset_index()


def _join(table: pd.DataFrame, per_router: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``per_router``'s columns by router (either may be empty: its router column then has no type)."""
    per_router = per_router.astype({"router": object})
    return table.astype({"router": object}).merge(per_router, on="router", how="left")


def leakage_table(fills: pd.DataFrame, children: pd.DataFrame | None, context: RunContext,
                  nbbo: pd.DataFrame) -> pd.DataFrame:
    """Quote fade, other venues' quote moves and fast traders' profit per router (NaN, with a note, without inputs)."""
    routers = sorted(set(fills["router"].unique()) | (set(children["router"].unique()) if children is not None
                                                      else set()))
    table = pd.DataFrame({"router": pd.Series(routers, dtype=object)})
    notes: list[str] = []
    if context.quotes is not None and children is not None:
        table = _join(table, quote_fade(children, context.quotes))
    else:
        notes.append("no per-venue quotes or child orders: no quote fade")
    if context.quotes is not None and len(fills):
        table = _join(table, other_venue_moves(fills, context.quotes))
    else:
        notes.append("no per-venue quotes: no other-venue moves")
    if context.fast_trader_fills is not None:
        table = _join(table, fast_trader_profit(context.fast_trader_fills, nbbo, fills))
        for col in ("fast_trader_fills", "fast_trader_shares", "fast_trader_profit_usd"):
            table[col] = table[col].fillna(0)
    else:
        notes.append("no fast_trader_fills.parquet: no fast-trader profit")
    for col in LEAKAGE_COLUMNS:
        if col not in table.columns:
            table[col] = np.nan
    table["note"] = "; ".join(notes)
    return table[LEAKAGE_COLUMNS]

