"""The per-router headline table printed after a run (a first cut of the analytics; definitions per metrics.md).

For every parent order the reference quote is the true consolidated NBBO in force at its arrival (B, A; m0 their
midpoint; QS = A - B), taken from the run's own NBBO history, so each router is measured against the market it
actually faced. Per fill of ``q`` shares at ``p``, with s = +1 for a buy and -1 for a sell:

* price improvement PI = s * (FT - p), FT = A for a buy and B for a sell (USD per share, > 0 is better);
* effective spread ES = 2 * s * (p - m0).

``pi_per_share``, ``eq_ratio`` and ``mean_first_fill_ms`` cover the router's marketable orders only (classes ``market``
and ``marketable_limit`` of :func:`harness.analytics.classify_orders`, as Rule 605 reports E/Q): a resting limit order
earns the spread, so pooling it would make E/Q meaningless. They are share-weighted over fills:
``pi_per_share = sum(PI*q) / sum(q)`` and ``eq_ratio = sum(ES*q) / sum(QS*q)`` (a ratio of averages);
``mean_first_fill_ms`` is the mean over those parents with any fill of the time from arrival to the first fill.
``fill_rate`` is filled shares over parent shares, all orders; ``fees_usd`` is fees minus rebates;
``pfof_usd`` the payment for order flow the broker received (it does not reach the customer).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from harness.analytics.classify import OrderClass, classify_orders

MARKETABLE_CLASSES = (OrderClass.MARKET.value, OrderClass.MARKETABLE_LIMIT.value)

SUMMARY_COLUMNS = [
    "router", "status", "seeds", "orders", "shares", "filled_shares", "fill_rate", "pi_per_share", "eq_ratio",
    "mean_first_fill_ms", "fees_usd", "pfof_usd",
]


def arrival_quotes(parents: pd.DataFrame, nbbo: pd.DataFrame, routers: Sequence[str]) -> pd.DataFrame:
    """Parents (one row per router x seed x parent) with the NBBO in force at arrival: ``arr_bid``, ``arr_ask``."""
    frames = [parents.assign(router=r) for r in routers]
    if not frames:
        return parents.assign(router=pd.Series(dtype=str), arr_bid=np.nan, arr_ask=np.nan)
    p = pd.concat(frames, ignore_index=True).sort_values("arrival_ts_ns", kind="stable")
    q = nbbo[["router", "seed", "symbol", "ts_ns", "bid", "ask"]].sort_values("ts_ns", kind="stable")
    merged = pd.merge_asof(
        p, q.rename(columns={"bid": "arr_bid", "ask": "arr_ask"}), left_on="arrival_ts_ns", right_on="ts_ns",
        by=["router", "seed", "symbol"], direction="backward", allow_exact_matches=True,
    )
    return merged.drop(columns=["ts_ns"]).sort_values(["router", "seed", "parent_id"], kind="stable")


def summarize(parents: pd.DataFrame, fills: pd.DataFrame, nbbo: pd.DataFrame, results: Sequence[Any]) -> pd.DataFrame:
    """One row per router (all seeds pooled), in the order the routers ran."""
    routers = list(dict.fromkeys(r.router for r in results))
    ok_pairs = {(r.router, r.seed) for r in results if r.status == "ok" or getattr(r, "partial", False)}
    rows = []
    p_all = arrival_quotes(parents, nbbo, routers)
    p_all = p_all[[(r, s) in ok_pairs for r, s in zip(p_all["router"], p_all["seed"], strict=True)]]
    tif = p_all["tif"].fillna("day") if "tif" in p_all.columns else pd.Series("day", index=p_all.index)
    order_class = classify_orders(p_all["side"], p_all["order_type"], tif, p_all["limit_price"].astype(np.float64),
                                  bid=p_all["arr_bid"], ask=p_all["arr_ask"])
    p_all = p_all.assign(marketable=np.isin(order_class, MARKETABLE_CLASSES))
    f = fills.merge(
        p_all[["router", "seed", "parent_id", "arr_bid", "arr_ask", "arrival_ts_ns", "marketable"]],
        on=["router", "seed", "parent_id"], how="inner",
    )
    s = np.where(f["side"] == "buy", 1.0, -1.0)
    far = np.where(s > 0, f["arr_ask"], f["arr_bid"])
    mid = (f["arr_ask"] + f["arr_bid"]) / 2
    f = f.assign(
        pi=s * (far - f["price"]), es=2 * s * (f["price"] - mid), qs=f["arr_ask"] - f["arr_bid"],
        delay_ms=(f["exec_ts_ns"] - f["arrival_ts_ns"]) / 1e6,
    )
    for router in routers:
        seeds = sorted({r.seed for r in results if r.router == router})
        failed = [r for r in results if r.router == router and r.status != "ok"]
        p = p_all[p_all["router"] == router]
        fr = f[f["router"] == router]
        q = fr["qty"].astype(float)
        valid = fr["marketable"] & fr["pi"].notna() & fr["qs"].notna()
        qv = q[valid]
        first = fr[fr["marketable"]].groupby(["seed", "parent_id"])["delay_ms"].min()
        rows.append({
            "router": router,
            "status": "ok" if not failed else f"failed ({len(failed)}/{len(seeds)} seeds"
            + (", partial results kept)" if any(getattr(r, "partial", False) for r in failed) else ")"),
            "seeds": len(seeds),
            "orders": len(p),
            "shares": int(p["qty"].sum()),
            "filled_shares": int(q.sum()),
            "fill_rate": float(q.sum() / p["qty"].sum()) if len(p) and p["qty"].sum() else np.nan,
            "pi_per_share": float((fr["pi"][valid] * qv).sum() / qv.sum()) if qv.sum() else np.nan,
            "eq_ratio": float((fr["es"][valid] * qv).sum() / (fr["qs"][valid] * qv).sum())
            if qv.sum() and (fr["qs"][valid] * qv).sum() else np.nan,
            "mean_first_fill_ms": float(first.mean()) if len(first) else np.nan,
            "fees_usd": float(fr["fee_usd"].sum() - (fr["rebate_usd"].sum() if "rebate_usd" in fr else 0.0)),
            "pfof_usd": float(fr["pfof_usd"].sum()) if "pfof_usd" in fr else 0.0,
        })
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
