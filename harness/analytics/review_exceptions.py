"""The exception report: individual orders with unusual latency, poor prices, poor fills or unexpected venues.

Latency is judged against the pooled percentile of every router's orders of the same class, prices against a number
of ticks of price improvement, fills on marketable orders, and venues by their share of the router's executions for
that order class (or their absence from the scenario). The thresholds are the policy's ``[exceptions]`` table
(:mod:`harness.analytics.review_policy`). Definitions: docs/analytics.md, *Review policy*.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.classify import OrderClass
from harness.analytics.context import RunContext
from harness.analytics.orders import ORDER_KEYS
from harness.analytics.review_policy import ALL, ReviewPolicy

MARKETABLE = (OrderClass.MARKET.value, OrderClass.MARKETABLE_LIMIT.value)
EXCEPTION_COLUMNS = ["router", "seed", "parent_id", "symbol", "side", "order_class", "rule", "value", "threshold",
                     "venue", "detail"]


def exceptions_table(orders: pd.DataFrame, fills: pd.DataFrame, context: RunContext,
                     policy: ReviewPolicy | None = None) -> pd.DataFrame:
    """Individual orders with unusual latency, poor prices, poor fills or unexpected venues, and the rule for each.

    * ``slow_first_fill``: time to first fill above the ``latency_percentile`` (linear interpolation) of every
      router's orders of the same order class (classes in ``latency_classes``);
    * ``pi_below_ticks``: share-weighted PI per share below -``pi_ticks_below`` ticks of the symbol;
    * ``poor_fill``: a market or marketable limit order with fill rate below ``marketable_min_fill_rate``;
    * ``unexpected_venue``: a fill at a venue that carries less than ``min_venue_share`` of the router's executed
      shares in that order class, or at a venue the scenario does not list.
    """
    ex = (policy or ReviewPolicy()).exceptions
    found: list[pd.DataFrame] = []
    base = [*ORDER_KEYS, "symbol", "side", "order_class"]

    def add(frame: pd.DataFrame, rule: str, value: pd.Series, threshold: npt.ArrayLike, detail: str,
            venue: pd.Series | None = None) -> None:
        if len(frame):
            found.append(frame[base].assign(rule=rule, value=value.to_numpy(np.float64),
                                            threshold=np.broadcast_to(np.asarray(threshold, np.float64), len(frame)),
                                            venue=venue.to_numpy() if venue is not None else "", detail=detail))

    t = orders["time_to_first_fill_ms"]
    for cls in ex.latency_classes:
        in_cls = (orders["order_class"] == cls) if cls != ALL else pd.Series(True, index=orders.index)
        times = t[in_cls & t.notna()]
        if len(times):
            limit = float(np.percentile(times.to_numpy(np.float64), ex.latency_percentile))
            hit = orders[in_cls & (t > limit)]
            add(hit, "slow_first_fill", hit["time_to_first_fill_ms"], limit,
                f"time to first fill above the p{ex.latency_percentile:g} of all routers' {cls} orders "
                f"({limit:.3f} ms)")
    tick = orders["symbol"].map(context.tick).astype(np.float64)
    floor = -ex.pi_ticks_below * tick
    hit_mask = orders["pi_per_share"] < floor
    hit = orders[hit_mask]
    add(hit, "pi_below_ticks", hit["pi_per_share"], floor[hit_mask],
        f"price improvement per share below -{ex.pi_ticks_below:g} tick(s)")
    marketable = orders["order_class"].isin(MARKETABLE)
    hit = orders[marketable & (orders["fill_rate"] < ex.marketable_min_fill_rate)]
    add(hit, "poor_fill", hit["fill_rate"], ex.marketable_min_fill_rate,
        "market or marketable limit order mostly unfilled")
    if len(fills):
        f = fills.merge(orders[base], on=ORDER_KEYS, how="inner", suffixes=("_fill", ""))
        per = f.groupby(["router", "order_class", "venue"])["qty"].sum()
        share = per / per.groupby(level=["router", "order_class"]).transform("sum")
        f["venue_share"] = share.reindex(pd.MultiIndex.from_frame(f[["router", "order_class", "venue"]])).to_numpy()
        unlisted = ~f["venue"].isin(list(context.venues)) if context.terms_known else pd.Series(False, index=f.index)
        hit = f[(f["venue_share"] < ex.min_venue_share) | unlisted].drop_duplicates([*ORDER_KEYS, "venue"])
        add(hit, "unexpected_venue", hit["venue_share"], ex.min_venue_share,
            "venue carrying a small share of the router's executions for this order class (or not in the scenario)",
            venue=hit["venue"])
    refused = _refused_children(orders[[*base, "qty"]], context.children)
    add(refused, "refused_child", refused["qty_child"], refused["qty"],
        "child order refused at the contract boundary (quantity or price out of range, off the tick, or more than "
        "the parent's open quantity): value is its quantity, threshold the parent's", venue=refused["venue"])
    if not found:
        return pd.DataFrame(columns=EXCEPTION_COLUMNS)
    table = pd.concat(found, ignore_index=True)[EXCEPTION_COLUMNS]
    return table.sort_values(["router", "seed", "parent_id", "rule", "venue"], kind="stable").reset_index(drop=True)



REFUSED = ("exceeds_parent", "invalid_quantity", "invalid_price", "off_tick")
"""Reject reasons that say the router itself sent an impossible child order (the simulator's or a venue's)."""


def _refused_children(orders: pd.DataFrame, children: pd.DataFrame | None) -> pd.DataFrame:
    """Child orders refused for a reason of :data:`REFUSED`, with their parent's columns (``qty_child``, ``qty``)."""
    if children is None or "reject_reason" not in children.columns:
        return orders.iloc[0:0].assign(qty_child=pd.Series(dtype=np.float64), venue=pd.Series(dtype=object))
    bad = children.loc[children["reject_reason"].isin(REFUSED), [*ORDER_KEYS, "venue", "qty"]]
    return bad.merge(orders, on=ORDER_KEYS, how="inner", suffixes=("_child", ""))
