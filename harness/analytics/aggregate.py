"""Aggregate tables: the router x symbol x order class x size bucket summary and the per-venue scorecard.

Aggregates are share-weighted: execution figures (PI, spreads, markouts) by each order's filled shares, the
shortfall by each order's shares. E/Q is a ratio of averages, sum(ES * filled) / sum(QS * filled) over the same
orders, never a mean of per-order ratios. Times to fill are per order (orders with a fill), not share-weighted.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import product

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.classify import SIZE_BUCKETS, UNKNOWN, Liquidity, OrderClass, Tif
from harness.analytics.orders import MARKOUT_COLUMNS, REALIZED_COLUMNS

ALL = "all"
DIMENSIONS = ("symbol", "order_class", "size_bucket")
FloatArray = npt.NDArray[np.float64]
CPH = 10_000.0
"""USD per share to cents per 100 shares."""

_SHARE_WEIGHTED = (
    ("pi_per_share", "filled_qty"), ("effective_spread", "filled_qty"), ("quoted_spread", "filled_qty"),
    *((c, "filled_qty") for c in (*REALIZED_COLUMNS, *MARKOUT_COLUMNS)), ("shortfall_per_share", "qty"),
)

SUMMARY_COLUMNS = [
    "router", *DIMENSIONS, "orders", "shares", "filled_shares", "fill_rate", "orders_filled_frac", "pi_per_share",
    "frac_improved", "frac_at_quote", "frac_outside", "effective_spread", "quoted_spread", "eq_ratio",
    *REALIZED_COLUMNS, *MARKOUT_COLUMNS, "shortfall_per_share", "first_fill_ms_mean", "first_fill_ms_median",
    "first_fill_ms_p95", "last_fill_ms_mean", "fees_usd", "rebates_usd", "pfof_usd", "fees_per_share",
    "rebates_per_share", "pfof_per_share", "net_fees_per_share",
]

VENUE_COLUMNS = [
    "router", "venue", "kind", "child_orders", "routed_shares", "ioc_routed_shares", "avg_routed_size",
    "executed_shares", "fills", "fill_rate", "frac_of_routed", "frac_of_executed", "midpoint_shares",
    "near_side_shares", "far_side_shares", "unknown_side_shares", "frac_midpoint", "frac_near_side", "frac_far_side",
    "provided_shares", "removed_shares", "fees_usd", "rebates_usd", "pfof_usd", "net_fee_cph", "net_fee_cph_provided",
    "net_fee_cph_removed", "pfof_cph",
]

_ORDER_CLASS_RANK = {c.value: i for i, c in enumerate(OrderClass)}
_SIZE_RANK = {b: i for i, b in enumerate((*SIZE_BUCKETS, UNKNOWN))}


def _ratio(num: npt.ArrayLike, den: npt.ArrayLike) -> FloatArray:
    """The ratio num / den, NaN where den is 0."""
    n, d = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d != 0, n / np.where(d != 0, d, 1.0), np.nan)


def _summary_inputs(orders: pd.DataFrame) -> pd.DataFrame:
    """Per-order numerators and denominators, so that every aggregate is a ratio of group sums."""
    w: dict[str, object] = {k: orders[k].to_numpy() for k in ("router", *DIMENSIONS)}
    filled = orders["filled_qty"].to_numpy(np.float64)
    w["orders"] = np.ones(len(orders))
    w["shares"] = orders["qty"].to_numpy(np.float64)
    w["filled_shares"] = filled
    w["orders_filled"] = (filled > 0).astype(np.float64)
    for col, weight in _SHARE_WEIGHTED:
        v, wt = orders[col].to_numpy(np.float64), orders[weight].to_numpy(np.float64)
        ok = ~np.isnan(v)
        w[f"{col}:num"] = np.where(ok, v * wt, 0.0)
        w[f"{col}:den"] = np.where(ok, wt, 0.0)
    es, qs = orders["effective_spread"].to_numpy(np.float64), orders["quoted_spread"].to_numpy(np.float64)
    both = ~np.isnan(es) & ~np.isnan(qs)
    w["eq:es"] = np.where(both, es * filled, 0.0)
    w["eq:qs"] = np.where(both, qs * filled, 0.0)
    for col in ("improved_qty", "at_quote_qty", "outside_qty", "fees_usd", "rebates_usd", "pfof_usd"):
        w[col] = orders[col].to_numpy(np.float64)
    w["first_fill_ms"] = orders["time_to_first_fill_ms"].to_numpy(np.float64)
    w["last_fill_ms"] = orders["time_to_last_fill_ms"].to_numpy(np.float64)
    return pd.DataFrame(w)


def _summarise(work: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    g = work.groupby(keys, sort=False, dropna=False)
    sums = g[[c for c in work.columns if c not in (*keys, *DIMENSIONS, "first_fill_ms", "last_fill_ms")]].sum()
    s = {c: sums[c].to_numpy(np.float64) for c in sums.columns}
    first = g["first_fill_ms"]
    priced = s["improved_qty"] + s["at_quote_qty"] + s["outside_qty"]
    out: dict[str, object] = {
        "orders": s["orders"].astype(np.int64), "shares": s["shares"].astype(np.int64),
        "filled_shares": s["filled_shares"].astype(np.int64), "fill_rate": _ratio(s["filled_shares"], s["shares"]),
        "orders_filled_frac": _ratio(s["orders_filled"], s["orders"]),
        **{col: _ratio(s[f"{col}:num"], s[f"{col}:den"]) for col, _weight in _SHARE_WEIGHTED},
        "frac_improved": _ratio(s["improved_qty"], priced), "frac_at_quote": _ratio(s["at_quote_qty"], priced),
        "frac_outside": _ratio(s["outside_qty"], priced), "eq_ratio": _ratio(s["eq:es"], s["eq:qs"]),
        "first_fill_ms_mean": first.mean().to_numpy(np.float64),
        "first_fill_ms_median": first.median().to_numpy(np.float64),
        "first_fill_ms_p95": first.quantile(0.95).to_numpy(np.float64),
        "last_fill_ms_mean": g["last_fill_ms"].mean().to_numpy(np.float64),
        "fees_usd": s["fees_usd"], "rebates_usd": s["rebates_usd"], "pfof_usd": s["pfof_usd"],
        "fees_per_share": _ratio(s["fees_usd"], s["filled_shares"]),
        "rebates_per_share": _ratio(s["rebates_usd"], s["filled_shares"]),
        "pfof_per_share": _ratio(s["pfof_usd"], s["filled_shares"]),
        "net_fees_per_share": _ratio(s["fees_usd"] - s["rebates_usd"], s["filled_shares"]),
    }
    return pd.DataFrame(out, index=sums.index).reset_index()


def _sort_key(col: pd.Series) -> pd.Series:
    if col.name == "order_class":
        ranks = col.map(_ORDER_CLASS_RANK)
    elif col.name == "size_bucket":
        ranks = col.map(_SIZE_RANK)
    else:
        return col.where(col != ALL, "")
    return ranks.where(col != ALL, -1)


def summary_table(orders: pd.DataFrame) -> pd.DataFrame:
    """Aggregates per router x symbol x order class x size bucket, with ``all`` rows for every dimension.

    Every subset of the three dimensions is pooled in turn (8 groupings per router), so the table holds the
    router's overall row (all, all, all) as well as, say, all symbols for one order class and size bucket.
    """
    if orders.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    work = _summary_inputs(orders)
    frames = []
    for pooled in product((False, True), repeat=len(DIMENSIONS)):
        keys = ["router", *(d for d, p in zip(DIMENSIONS, pooled, strict=True) if not p)]
        frame = _summarise(work, keys)
        for d, p in zip(DIMENSIONS, pooled, strict=True):
            if p:
                frame[d] = ALL
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)[SUMMARY_COLUMNS]
    return table.sort_values(["router", *DIMENSIONS], key=_sort_key, kind="stable").reset_index(drop=True)


def venue_table(fill_metrics: pd.DataFrame, children: pd.DataFrame | None = None,
                venues: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rule 606(b)(3)-style scorecard per router x venue.

    Routed and IOC-routed shares come from the child orders (NaN without them); executed shares and the rest from
    the fills. An execution is at the midpoint, on the near side (the side of the midpoint better for the customer,
    including better than the NBBO) or the far side (worse, including outside the NBBO) of the NBBO in force just
    before it. ``net_fee_cph`` is (fees - rebates) per executed share in cents per 100 shares: > 0 the router paid,
    < 0 it was paid. ``pfof_cph`` is the payment for order flow the broker received, cph.
    """
    f = fill_metrics
    liquidity = f["liquidity"] if "liquidity" in f.columns else pd.Series(UNKNOWN, index=f.index)
    q = f["qty"].astype(np.float64)
    net = f["fee_usd"] - f["rebate_usd"]
    added, removed = liquidity == Liquidity.ADDED.value, liquidity == Liquidity.REMOVED.value
    work = pd.DataFrame({
        "router": f["router"], "venue": f["venue"], "executed_shares": q, "fills": 1,
        "midpoint_shares": q.where(f["exec_position"] == "midpoint", 0.0),
        "near_side_shares": q.where(f["exec_position"] == "near", 0.0),
        "far_side_shares": q.where(f["exec_position"] == "far", 0.0),
        "unknown_side_shares": q.where(f["exec_position"] == "unknown", 0.0),
        "provided_shares": q.where(added, 0.0), "removed_shares": q.where(removed, 0.0),
        "fees_usd": f["fee_usd"], "rebates_usd": f["rebate_usd"], "pfof_usd": f["pfof_usd"],
        "net_provided": net.where(added, 0.0), "net_removed": net.where(removed, 0.0),
    })
    by_fill = work.groupby(["router", "venue"], sort=True).sum()
    if children is not None:
        c = children
        routed = pd.DataFrame({
            "router": c["router"], "venue": c["venue"], "child_orders": 1, "routed_shares": c["qty"],
            "ioc_routed_shares": c["qty"].where(c["tif"] == Tif.IOC.value, 0),
        }).groupby(["router", "venue"], sort=True).sum()
        t = by_fill.join(routed, how="outer")
        for col in work.columns.drop(["router", "venue"]):
            t[col] = t[col].fillna(0.0)
        for col in routed.columns:
            t[col] = t[col].fillna(0).astype(np.int64)
    else:
        t = by_fill.assign(child_orders=np.nan, routed_shares=np.nan, ioc_routed_shares=np.nan)
    t = t.reset_index()
    t["avg_routed_size"] = _ratio(t["routed_shares"], t["child_orders"])
    t["fill_rate"] = _ratio(t["executed_shares"], t["routed_shares"])
    t["frac_of_routed"] = _ratio(t["routed_shares"], t.groupby("router")["routed_shares"].transform("sum"))
    t["frac_of_executed"] = _ratio(t["executed_shares"], t.groupby("router")["executed_shares"].transform("sum"))
    for side in ("midpoint", "near_side", "far_side"):
        t[f"frac_{side}"] = _ratio(t[f"{side}_shares"], t["executed_shares"])
    t["net_fee_cph"] = _ratio(t["fees_usd"] - t["rebates_usd"], t["executed_shares"]) * CPH
    t["net_fee_cph_provided"] = _ratio(t["net_provided"], t["provided_shares"]) * CPH
    t["net_fee_cph_removed"] = _ratio(t["net_removed"], t["removed_shares"]) * CPH
    t["pfof_cph"] = _ratio(t["pfof_usd"], t["executed_shares"]) * CPH
    for col in ("executed_shares", "fills", "midpoint_shares", "near_side_shares", "far_side_shares",
                "unknown_side_shares", "provided_shares", "removed_shares"):
        t[col] = t[col].astype(np.int64)
    if venues is not None and "kind" in venues.columns:
        t = t.merge(venues[["venue", "kind"]].drop_duplicates("venue"), on="venue", how="left")
    else:
        t["kind"] = np.nan
    return t[VENUE_COLUMNS]


def pooled_rows(summary: pd.DataFrame, dims: Sequence[str] = DIMENSIONS) -> pd.DataFrame:
    """The summary's per-router overall rows (every dimension ``all``)."""
    mask = np.logical_and.reduce([summary[d] == ALL for d in dims])
    return summary[mask].reset_index(drop=True)
