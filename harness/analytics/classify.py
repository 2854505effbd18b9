"""Rule 605-style order classes and size buckets, decided from the NBBO in force when the order arrived.

Prices are compared in whole micro-dollars (``round(usd * 1e6)``) so that a limit exactly ten cents outside the quote
is "near the quote" however the floats happened to round.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import numpy.typing as npt

NEAR_QUOTE_USD = 0.10
"""A non-marketable limit at most this far outside the quote (on its own side) is near the quote."""


class OrderClass(StrEnum):
    """The ``order_class`` codes of the per-order table (Rule 605 order types, IOC kept apart)."""

    MARKET = "market"
    MARKETABLE_LIMIT = "marketable_limit"
    BEYOND_MIDPOINT = "nml_beyond_midpoint"
    AT_OR_INSIDE_QUOTE = "nml_at_or_inside_quote"
    NEAR_QUOTE = "nml_near_quote"
    AWAY = "nml_away"
    IOC = "ioc"
    UNKNOWN = "unknown"


class Side(StrEnum):
    """Side of a parent order, as written in the tables."""

    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    """Order type of a parent order, as written in the tables."""

    MARKET = "market"
    LIMIT = "limit"


class Tif(StrEnum):
    """Time in force; a table without a ``tif`` column is all ``day``."""

    DAY = "day"
    IOC = "ioc"
    FOK = "fok"


class Liquidity(StrEnum):
    """Liquidity flag of a fill."""

    ADDED = "added"
    REMOVED = "removed"


SIZE_BUCKET_EDGES_USD = (250.0, 1_000.0, 5_000.0, 10_000.0, 20_000.0, 50_000.0, 200_000.0)
SIZE_BUCKETS = ("<250", "250-1k", "1k-5k", "5k-10k", "10k-20k", "20k-50k", "50k-200k", ">=200k")
"""Notional buckets in USD; each includes its lower edge: 250.00 is "250-1k", 199,999.99 is "50k-200k"."""

SHARE_BUCKET_EDGES = (100, 500, 2_000, 5_000, 10_000)
SHARE_BUCKETS = ("100-499", "500-1999", "2000-4999", "5000-9999")
SHARE_BUCKET_OTHER = "other"
UNKNOWN = "unknown"

FloatArray = npt.NDArray[np.float64]


def side_sign(side: npt.ArrayLike) -> FloatArray:
    """The sign s of each side: +1 for a buy, -1 for a sell."""
    return np.where(np.asarray(side, dtype=object) == Side.BUY.value, 1.0, -1.0)


def micros(usd: npt.ArrayLike) -> FloatArray:
    """USD to whole micro-dollars (as floats, so that NaN survives)."""
    return np.rint(np.asarray(usd, dtype=np.float64) * 1e6)


def classify_orders(
    side: npt.ArrayLike,
    order_type: npt.ArrayLike,
    tif: npt.ArrayLike,
    limit_price: npt.ArrayLike,
    *,
    bid: npt.ArrayLike,
    ask: npt.ArrayLike,
) -> npt.NDArray[np.object_]:
    """The order class of each order from its terms and the NBBO (bid, ask) at its arrival.

    IOC and FOK orders are ``ioc`` whatever their price; market orders are ``market``. A limit order is marketable
    when a buy's limit is at or above the ask (a sell's at or below the bid). A non-marketable buy limit L is
    beyond the midpoint when mid < L < ask, at or inside the quote when bid <= L <= mid, near the quote when
    bid - $0.10 <= L < bid, and away below that; sells mirror this. A limit order without a two-sided NBBO at
    arrival is ``unknown``.
    """
    s = side_sign(side)
    lim = micros(limit_price) * s
    b, a = micros(bid), micros(ask)
    far = np.where(s > 0, a, b) * s
    near = np.where(s > 0, b, a) * s
    mid2 = (a + b) * s  # twice the midpoint, so that a half-micro midpoint compares exactly
    quoted = ~(np.isnan(a) | np.isnan(b))
    near_limit = near - round(NEAR_QUOTE_USD * 1e6)
    limit_class = np.select(
        [~quoted, lim >= far, 2 * lim > mid2, lim >= near, lim >= near_limit],
        [OrderClass.UNKNOWN.value, OrderClass.MARKETABLE_LIMIT.value, OrderClass.BEYOND_MIDPOINT.value,
         OrderClass.AT_OR_INSIDE_QUOTE.value, OrderClass.NEAR_QUOTE.value],
        default=OrderClass.AWAY.value,
    )
    tif_arr = np.asarray(tif, dtype=object)
    otype = np.asarray(order_type, dtype=object)
    immediate = (tif_arr == Tif.IOC.value) | (tif_arr == Tif.FOK.value)
    out = np.where(immediate, OrderClass.IOC.value,
                   np.where(otype == OrderType.MARKET.value, OrderClass.MARKET.value, limit_class))
    return out.astype(object)


def size_bucket(notional_usd: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Rule 605 notional size bucket of each order (``unknown`` where the notional is NaN)."""
    n = np.asarray(notional_usd, dtype=np.float64)
    idx = np.searchsorted(np.asarray(SIZE_BUCKET_EDGES_USD), n, side="right")
    labels = np.asarray(SIZE_BUCKETS, dtype=object)[np.minimum(idx, len(SIZE_BUCKETS) - 1)]
    return np.where(np.isnan(n), UNKNOWN, labels).astype(object)


def share_bucket(qty: npt.ArrayLike) -> npt.NDArray[np.object_]:
    """Legacy share-size bucket of each order: 100-499, 500-1999, 2000-4999, 5000-9999, else ``other``."""
    q = np.asarray(qty, dtype=np.float64)
    idx = np.searchsorted(np.asarray(SHARE_BUCKET_EDGES, dtype=np.float64), q, side="right") - 1
    inside = (idx >= 0) & (idx < len(SHARE_BUCKETS))
    labels = np.asarray(SHARE_BUCKETS, dtype=object)[np.clip(idx, 0, len(SHARE_BUCKETS) - 1)]
    return np.where(inside, labels, SHARE_BUCKET_OTHER).astype(object)
