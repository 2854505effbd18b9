"""Per-fill and per-order execution-quality figures (definitions: docs/analytics.md and the metrics spec).

Three steps, each a pure function of data frames:

* ``arrival_table``: every parent order (one row per router x seed x parent) with the NBBO in force at its arrival in
  its router's own run, its order class and size buckets;
* ``fill_table``: every fill with its price improvement, effective and realized spreads, markouts and the NBBO just
  before it executed;
* ``order_table``: the fills rolled up per order (share-weighted), with fill rate, shortfall, timing and fees.

With s = +1 for a buy and -1 for a sell, B, A the NBBO at arrival, m0 their midpoint, FT = A for a buy and B for a
sell, p and q a fill's price and shares and m(t) the midpoint in force at t:

* PI = s * (FT - p); ES = 2 * s * (p - m0); realized spread at h = 2 * s * (p - m(t_exec + h));
  markout at h = s * (m(t_exec + h) - p). All USD per share.
* A horizon is observed only while the run's NBBO history lasts: where t_exec + h is after the run's last NBBO row
  the figure is NaN rather than extrapolated, and an order's figure at h is NaN unless every one of its fills has it.
* Per-fill figures are rounded to nano-dollars (1e-9 USD) to strip float noise.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.classify import (
    Tif,
    classify_orders,
    micros,
    share_bucket,
    side_sign,
    size_bucket,
)
from harness.analytics.nbbo import QUOTE_KEYS, NbboIndex, last_mid, run_end_ts

ORDER_KEYS = ["router", "seed", "parent_id"]
MS = 1_000_000
REALIZED_HORIZONS_NS = {"50ms": 50 * MS, "1s": 1_000 * MS, "15s": 15_000 * MS, "60s": 60_000 * MS,
                        "300s": 300_000 * MS}
MARKOUT_HORIZONS_NS = {"100ms": 100 * MS, "1s": 1_000 * MS, "5s": 5_000 * MS, "60s": 60_000 * MS,
                       "300s": 300_000 * MS}
REALIZED_COLUMNS = [f"realized_spread_{h}" for h in REALIZED_HORIZONS_NS]
MARKOUT_COLUMNS = [f"markout_{h}" for h in MARKOUT_HORIZONS_NS]

ORDER_COLUMNS = [
    "router", "seed", "parent_id", "symbol", "side", "order_type", "tif", "limit_price", "arrival_ts_ns",
    "order_class", "size_bucket", "share_bucket", "notional_usd", "qty", "filled_qty", "fill_rate", "n_fills", "vwap",
    "arrival_bid", "arrival_ask", "arrival_mid", "quoted_spread", "pi_per_share", "effective_spread",
    "improved_qty", "at_quote_qty", "outside_qty", *REALIZED_COLUMNS, *MARKOUT_COLUMNS, "end_mid",
    "shortfall_per_share", "time_to_first_fill_ms", "time_to_last_fill_ms", "fees_usd", "rebates_usd", "pfof_usd",
    "fees_per_share", "rebates_per_share", "pfof_per_share", "net_fees_per_share",
]

FloatArray = npt.NDArray[np.float64]


def arrival_table(parents: pd.DataFrame, nbbo: pd.DataFrame, *, index: NbboIndex | None = None) -> pd.DataFrame:
    """Parent orders (with a ``router`` column) and the NBBO at their arrival, order class and buckets.

    Adds ``tif`` ("day" where absent), ``arrival_bid``, ``arrival_ask``, ``arrival_mid``, ``quoted_spread``,
    ``notional_usd`` (qty x arrival midpoint, or x limit price when there is no two-sided NBBO), ``order_class``,
    ``size_bucket``, ``share_bucket``, ``end_mid`` (the last two-sided midpoint of the symbol in the run) and
    ``quotes_end_ts_ns`` (the run's last NBBO timestamp). Rows are sorted by router, seed and parent_id.
    """
    index = index if index is not None else NbboIndex(nbbo)
    p = parents.sort_values(ORDER_KEYS, kind="stable").reset_index(drop=True)
    if "tif" not in p.columns:
        p["tif"] = Tif.DAY.value
    p["tif"] = p["tif"].fillna(Tif.DAY.value)
    p["limit_price"] = p["limit_price"].astype(np.float64) if "limit_price" in p.columns else np.nan
    q = index.at(index.codes(p), p["arrival_ts_ns"].to_numpy(np.int64))
    p["arrival_bid"], p["arrival_ask"], p["arrival_mid"] = q.bid, q.ask, q.mid
    p["quoted_spread"] = q.ask - q.bid
    limit = p["limit_price"].to_numpy(np.float64)
    ref = np.where(np.isnan(q.mid), limit, q.mid)
    p["notional_usd"] = p["qty"].to_numpy(np.float64) * ref
    p["order_class"] = classify_orders(p["side"], p["order_type"], p["tif"], limit, bid=q.bid, ask=q.ask)
    p["size_bucket"] = size_bucket(p["notional_usd"])
    p["share_bucket"] = share_bucket(p["qty"])
    p["end_mid"] = last_mid(nbbo, p, QUOTE_KEYS)
    p["quotes_end_ts_ns"] = run_end_ts(nbbo, p)
    return p


def fill_table(arrivals: pd.DataFrame, fills: pd.DataFrame, nbbo: pd.DataFrame, *,
               index: NbboIndex | None = None) -> pd.DataFrame:
    """Every fill with its figures against the arrival NBBO and later midpoints of its router's run.

    ``fills`` carries router, seed, parent_id, venue, exec_ts_ns, qty, price and fee_usd / rebate_usd / pfof_usd
    (see ``inputs.normalize_fills``). Adds ``order_row`` (the row of its order in ``arrivals``), ``pi``,
    ``effective_spread``, the realized spreads and markouts, ``exec_bid`` / ``exec_ask`` / ``exec_mid`` (the NBBO just
    before the execution) and ``exec_position``: "midpoint", "near" (on the side of the midpoint better for the
    customer, including better than the NBBO), "far" (worse, including outside the NBBO) or "unknown".
    """
    index = index if index is not None else NbboIndex(nbbo)
    keys = arrivals[ORDER_KEYS].assign(order_row=np.arange(len(arrivals), dtype=np.int64))
    f = fills.drop(columns=[c for c in ("symbol", "side") if c in fills.columns]).merge(keys, on=ORDER_KEYS,
                                                                                         how="left")
    if f["order_row"].isna().any():
        bad = f.loc[f["order_row"].isna(), ORDER_KEYS].iloc[0].to_dict()
        raise ValueError(f"a fill refers to an order that is not in the orders table: {bad}")
    row = f["order_row"].to_numpy(np.int64)
    f["order_row"] = row
    order = arrivals.iloc[row]
    f["symbol"] = order["symbol"].to_numpy()
    f["side"] = order["side"].to_numpy()
    s = side_sign(f["side"])
    p = f["price"].to_numpy(np.float64)
    t = f["exec_ts_ns"].to_numpy(np.int64)
    bid0, ask0 = order["arrival_bid"].to_numpy(np.float64), order["arrival_ask"].to_numpy(np.float64)
    m0 = (bid0 + ask0) / 2
    f["pi"] = _clean(s * (np.where(s > 0, ask0, bid0) - p))
    f["effective_spread"] = _clean(2 * s * (p - m0))

    codes = index.codes(f)
    end = order["quotes_end_ts_ns"].to_numpy(np.int64)
    mids: dict[int, FloatArray] = {}
    for h in {*REALIZED_HORIZONS_NS.values(), *MARKOUT_HORIZONS_NS.values()}:
        th = t + h
        mids[h] = np.where(th <= end, index.at(codes, th).mid, np.nan)
    for name, h in REALIZED_HORIZONS_NS.items():
        f[f"realized_spread_{name}"] = _clean(2 * s * (p - mids[h]))
    for name, h in MARKOUT_HORIZONS_NS.items():
        f[f"markout_{name}"] = _clean(s * (mids[h] - p))

    before = index.at(codes, t, strict=True)
    f["exec_bid"], f["exec_ask"], f["exec_mid"] = before.bid, before.ask, before.mid
    rel = s * (2 * micros(p) - micros(before.bid) - micros(before.ask))  # twice p - mid: a half-micro mid is exact
    f["exec_position"] = np.select([np.isnan(rel), rel == 0, rel < 0], ["unknown", "midpoint", "near"], "far")
    return f


def _clean(usd: FloatArray) -> FloatArray:
    """Round to nano-dollars: strips float noise such as 10.15 - 10.100000000000001, and -0.0."""
    return np.round(usd, 9) + 0.0


def _per_order(row: npt.NDArray[np.int64], values: npt.ArrayLike, n: int) -> FloatArray:
    return np.bincount(row, weights=np.asarray(values, dtype=np.float64), minlength=n).astype(np.float64)


def _share_weighted(row: npt.NDArray[np.int64], values: FloatArray, qty: FloatArray, filled: FloatArray,
                    n: int) -> FloatArray:
    """Share-weighted mean per order; NaN where the order has no fills or any of its fills lacks the figure."""
    missing = _per_order(row, np.isnan(values), n) > 0
    total = _per_order(row, np.where(np.isnan(values), 0.0, values) * qty, n)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = total / filled
    out[missing | (filled == 0)] = np.nan
    return out


def order_table(arrivals: pd.DataFrame, fill_metrics: pd.DataFrame, *, rebates: str = "retained") -> pd.DataFrame:
    """One row per router x seed x parent: the ``ORDER_COLUMNS`` (fills rolled up share-weighted).

    Implementation shortfall per share of the order is
    ``[s * (vwap - m0) * filled + s * (end_mid - m0) * unfilled + customer fees] / qty`` where ``end_mid`` is the
    last two-sided midpoint of the symbol in the run's NBBO history (the end of the order's life: an unfilled
    remainder is valued when the session's data ends). The customer's fees follow the broker policy's rebate
    ledger ``rebates``: ``"retained"`` (the broker keeps the exchanges' rebates and pays their fees) gives 0,
    ``"passed-through"`` gives fees - rebates; ``net_fees_per_share`` is the same amount per filled share. PFOF
    accrues to the broker and is never in the shortfall. The venues' fees, rebates and PFOF appear as totals
    (``*_usd``) and per filled share (``*_per_share``) whoever bears them.
    """
    if rebates not in ("retained", "passed-through"):
        raise ValueError(f"rebates must be 'retained' or 'passed-through', not {rebates!r}")
    passed = rebates == "passed-through"
    n = len(arrivals)
    o = arrivals.copy()
    row = fill_metrics["order_row"].to_numpy(np.int64)
    q = fill_metrics["qty"].to_numpy(np.float64)
    qty = o["qty"].to_numpy(np.float64)
    filled = _per_order(row, q, n)
    s = side_sign(o["side"])
    with np.errstate(invalid="ignore", divide="ignore"):
        vwap = _per_order(row, fill_metrics["price"].to_numpy(np.float64) * q, n) / filled
    vwap[filled == 0] = np.nan
    o["filled_qty"] = filled.astype(np.int64)
    o["fill_rate"] = filled / qty
    o["n_fills"] = np.bincount(row, minlength=n)
    o["vwap"] = vwap
    for col, per_fill in (("pi_per_share", "pi"), ("effective_spread", "effective_spread"),
                          *((c, c) for c in (*REALIZED_COLUMNS, *MARKOUT_COLUMNS))):
        o[col] = _share_weighted(row, fill_metrics[per_fill].to_numpy(np.float64), q, filled, n)
    pi = micros(fill_metrics["pi"].to_numpy(np.float64))
    o["improved_qty"] = _per_order(row, q * (pi > 0), n).astype(np.int64)
    o["at_quote_qty"] = _per_order(row, q * (pi == 0), n).astype(np.int64)
    o["outside_qty"] = _per_order(row, q * (pi < 0), n).astype(np.int64)

    totals = {c: _per_order(row, fill_metrics[c].to_numpy(np.float64), n) for c in ("fee_usd", "rebate_usd",
                                                                                  "pfof_usd")}
    o["fees_usd"], o["rebates_usd"], o["pfof_usd"] = totals["fee_usd"], totals["rebate_usd"], totals["pfof_usd"]
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, total in (("fees", totals["fee_usd"]), ("rebates", totals["rebate_usd"]),
                            ("pfof", totals["pfof_usd"]),
                            ("net_fees", (totals["fee_usd"] - totals["rebate_usd"]) * passed)):
            o[f"{name}_per_share"] = np.where(filled > 0, total / filled, np.nan)

    m0 = o["arrival_mid"].to_numpy(np.float64)
    unfilled = qty - filled
    filled_part = np.where(filled > 0, s * (vwap - m0) * filled, 0.0)
    unfilled_part = np.where(unfilled > 0, s * (o["end_mid"].to_numpy(np.float64) - m0) * unfilled, 0.0)
    customer_fees = (totals["fee_usd"] - totals["rebate_usd"]) * passed
    o["shortfall_per_share"] = _clean((filled_part + unfilled_part + customer_fees) / qty)

    ts = pd.Series(fill_metrics["exec_ts_ns"].to_numpy(np.int64)).groupby(row)
    arrival = o["arrival_ts_ns"].to_numpy(np.int64)
    for col, agg in (("time_to_first_fill_ms", ts.min()), ("time_to_last_fill_ms", ts.max())):
        at = np.full(n, np.nan)
        at[agg.index.to_numpy(np.int64)] = (agg.to_numpy(np.int64) - arrival[agg.index.to_numpy(np.int64)]) / MS
        o[col] = at
    return o[ORDER_COLUMNS]


def orders_tca(parents: pd.DataFrame, fills: pd.DataFrame, nbbo: pd.DataFrame, *,
               rebates: str = "retained") -> pd.DataFrame:
    """The per-order table straight from parents (with ``router``), normalized fills and the NBBO history."""
    index = NbboIndex(nbbo)
    arrivals = arrival_table(parents, nbbo, index=index)
    return order_table(arrivals, fill_table(arrivals, fills, nbbo, index=index), rebates=rebates)
