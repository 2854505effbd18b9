"""The common market: every parent classified and benchmarked against the same seed simulated with no router flow.

Each router's earlier orders move its own market, so a parent's arrival NBBO (and with it its Rule 605 order class
and notional size bucket) can differ between routers. A run folder therefore also holds, per seed, the NBBO history
of the market with no router flow (``common/nbbo.parquet``: the same scenario, seed and background streams, no
parent routed; ``router`` is :data:`COMMON_ROUTER`). This module adds to the per-order table

* ``common_bid``, ``common_ask``: the true NBBO in force at the parent's arrival in the common market (USD);
* ``common_order_class``, ``common_size_bucket``: the order class and notional bucket decided from that quote by the
  same code as ``order_class`` / ``size_bucket`` (:func:`harness.analytics.orders.arrival_table`);
* ``common_arrival_differs``: the router's own arrival NBBO (bid or ask) differs from the common one;

and measures, per router and seed, how far each router's market drifted from the common one (:func:`drift_table`,
``tca/drift.csv``). Where there is no common market (vendor files, FIX logs, run folders written before it existed,
or a seed whose common simulation failed) the common columns equal the router's own values and
``common_arrival_differs`` is False.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from harness.analytics.classify import micros
from harness.analytics.orders import ORDER_KEYS, arrival_table

COMMON_ROUTER = "(no router)"
"""The ``router`` label of the common market's rows."""
COMMON_NBBO_FILE = "common/nbbo.parquet"
"""The common market's NBBO history in a run folder (columns as ``nbbo.parquet``)."""
COMMON_COLUMNS = ["common_bid", "common_ask", "common_order_class", "common_size_bucket", "common_arrival_differs"]
"""The columns :func:`add_common_columns` adds to the per-order table."""
ANY_ROUTER = "(any router)"
"""The ``router`` label of the drift table's rows that count a parent once, if any router's market drifted."""
ALL_SEEDS = "all"
"""The ``seed`` label of the drift table's rows pooled over seeds."""
DRIFT_COLUMNS = ["router", "seed", "parents", "arrival_differs", "arrival_differs_share", "class_differs",
                 "class_differs_share", "size_bucket_differs", "size_bucket_differs_share", "mid_parents",
                 "mid_abs_diff_usd", "mid_abs_diff_bps"]

_TERMS = ["symbol", "side", "order_type", "tif", "limit_price", "qty", "arrival_ts_ns"]
BoolArray = npt.NDArray[np.bool_]


def _differs(a: npt.ArrayLike, b: npt.ArrayLike) -> BoolArray:
    """Prices differ in whole micro-dollars; two missing prices (a one-sided or empty book) are equal."""
    ma, mb = micros(a), micros(b)
    return ~((ma == mb) | (np.isnan(ma) & np.isnan(mb)))


def add_common_columns(orders: pd.DataFrame, common_nbbo: pd.DataFrame | None) -> pd.DataFrame:
    """The per-order table with the :data:`COMMON_COLUMNS` (see the module docstring), rows in the same order.

    ``orders`` has the order keys, the order's terms (symbol, side, order type, tif, limit price, qty, arrival
    time) and the router's own ``arrival_bid`` / ``arrival_ask`` / ``order_class`` / ``size_bucket``.
    ``common_nbbo`` is the common market's NBBO history (``seed``, ``symbol``, ``ts_ns``, ``bid``, ``ask``; any
    ``router`` column is ignored), or None when the folder has none. Rows of a seed the common market does not
    cover keep the router's own values.
    """
    o = orders.copy()
    own_bid, own_ask = o["arrival_bid"].to_numpy(np.float64), o["arrival_ask"].to_numpy(np.float64)
    own_class, own_bucket = o["order_class"].to_numpy(object), o["size_bucket"].to_numpy(object)
    if common_nbbo is None or not len(common_nbbo) or not len(o):
        covered = np.zeros(len(o), dtype=bool)
        bid, ask, cls, bucket = own_bid, own_ask, own_class, own_bucket
    else:
        market = common_nbbo.drop(columns=["router"], errors="ignore")  # one market for every router of a seed
        common = arrival_table(o[[*ORDER_KEYS, *_TERMS]], market)
        m = o[ORDER_KEYS].merge(common[[*ORDER_KEYS, "arrival_bid", "arrival_ask", "order_class", "size_bucket"]],
                                on=ORDER_KEYS, how="left", validate="one_to_one")
        covered = o["seed"].isin(pd.unique(market["seed"])).to_numpy(dtype=bool)
        bid = np.where(covered, m["arrival_bid"].to_numpy(np.float64), own_bid)
        ask = np.where(covered, m["arrival_ask"].to_numpy(np.float64), own_ask)
        cls = np.where(covered, m["order_class"].to_numpy(object), own_class)
        bucket = np.where(covered, m["size_bucket"].to_numpy(object), own_bucket)
    o["common_bid"], o["common_ask"] = bid, ask
    o["common_order_class"] = pd.Series(cls, index=o.index).astype(o["order_class"].dtype)  # as order_class
    o["common_size_bucket"] = pd.Series(bucket, index=o.index).astype(o["size_bucket"].dtype)
    o["common_arrival_differs"] = covered & (_differs(own_bid, bid) | _differs(own_ask, ask))
    return o


def _drift_columns(orders: pd.DataFrame) -> pd.DataFrame:
    """Per order: the three "differs" flags and the absolute arrival-midpoint difference (USD and bps)."""
    own_mid = (orders["arrival_bid"].to_numpy(np.float64) + orders["arrival_ask"].to_numpy(np.float64)) / 2
    common_mid = (orders["common_bid"].to_numpy(np.float64) + orders["common_ask"].to_numpy(np.float64)) / 2
    diff = np.round(np.abs(own_mid - common_mid), 9)  # nano-dollars: strips float noise such as 10.005 - 10.0049999
    with np.errstate(invalid="ignore", divide="ignore"):
        bps = diff / common_mid * 1e4
    return pd.DataFrame({
        "router": orders["router"].to_numpy(object), "seed": orders["seed"].to_numpy(np.int64),
        "parent_id": orders["parent_id"].to_numpy(np.int64),
        "arrival": orders["common_arrival_differs"].to_numpy(bool),
        "class": (orders["order_class"] != orders["common_order_class"]).to_numpy(bool),
        "bucket": (orders["size_bucket"] != orders["common_size_bucket"]).to_numpy(bool),
        "usd": diff, "bps": bps,
    })


def _summarise(d: pd.DataFrame, router: str, seed: object) -> dict[str, object]:
    """One drift row over the per-order (or per-parent) flags and differences in ``d``."""
    n = len(d)
    has_mid = ~np.isnan(d["usd"].to_numpy(np.float64))
    row: dict[str, object] = {"router": router, "seed": seed, "parents": n}
    for name, col in (("arrival_differs", "arrival"), ("class_differs", "class"), ("size_bucket_differs", "bucket")):
        k = int(d[col].sum())
        row[name], row[f"{name}_share"] = k, (k / n if n else np.nan)
    row["mid_parents"] = int(has_mid.sum())
    row["mid_abs_diff_usd"] = float(d["usd"][has_mid].mean()) if has_mid.any() else np.nan
    row["mid_abs_diff_bps"] = float(d["bps"][has_mid].mean()) if has_mid.any() else np.nan
    return row


def drift_table(orders: pd.DataFrame) -> pd.DataFrame:
    """How far each router's market drifted from the common market (``tca/drift.csv``; :data:`DRIFT_COLUMNS`).

    One row per router and seed, then the router's row pooled over seeds (``seed`` = "all", every parent weighing
    the same). ``parents`` counts the router's parents; ``arrival_differs`` those whose arrival NBBO (bid or ask, in
    whole micro-dollars) differs from the common market's, ``class_differs`` and ``size_bucket_differs`` those whose
    ``order_class`` / ``size_bucket`` differ from ``common_order_class`` / ``common_size_bucket``, each also as a
    share of ``parents``. ``mid_abs_diff_usd`` is the mean absolute difference of the arrival midpoint,
    |m0 - m0_common|, over the ``mid_parents`` parents with a two-sided NBBO in both markets; ``mid_abs_diff_bps``
    the mean of the same difference in basis points of the common midpoint. The last rows (``router`` =
    "(any router)") count each seed's parent once: it differs (or changes class or bucket) when it does for at least
    one router, and its midpoint difference is the largest over the routers.
    """
    if not len(orders):
        return pd.DataFrame(columns=DRIFT_COLUMNS)
    d = _drift_columns(orders)
    rows: list[dict[str, object]] = []
    for router, g in d.groupby("router", sort=True):
        rows += [_summarise(gs, str(router), int(seed)) for seed, gs in g.groupby("seed", sort=True)]
        rows.append(_summarise(g, str(router), ALL_SEEDS))
    anyr = d.groupby(["seed", "parent_id"], sort=True).agg(
        arrival=("arrival", "any"), **{"class": ("class", "any")}, bucket=("bucket", "any"),
        usd=("usd", "max"), bps=("bps", "max")).reset_index()
    rows += [_summarise(gs, ANY_ROUTER, int(seed)) for seed, gs in anyr.groupby("seed", sort=True)]
    rows.append(_summarise(anyr, ANY_ROUTER, ALL_SEEDS))
    return pd.DataFrame(rows, columns=DRIFT_COLUMNS)
