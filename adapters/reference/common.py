"""Small, pure helpers the reference routers share: sides of a quote, limits, marketability, venue filters.

Prices are integer price units ($0.0001); fees are integer micro-dollars per share (see :mod:`venues.fees`).
"""

from __future__ import annotations

from collections.abc import Mapping

from adapters.contract import ParentOrder
from venues.types import FEE_SCALE, PRICE_SCALE, OrdType, Quote, Side
from venues.venue import VenueInfo, VenueKind

MICROS_PER_PRICE_UNIT = FEE_SCALE // PRICE_SCALE
"""100: price units are 1e-4 USD, fees are 1e-6 USD."""


def sign(side: Side) -> int:
    """+1 for a buy, -1 for a sell: ``sign * price`` is a cost, smaller is better for either side."""
    return 1 if side is Side.BUY else -1


def contra(quote: Quote, side: Side) -> tuple[int | None, int]:
    """The side of ``quote`` an order of ``side`` would trade against: ``(price, size)`` (ask for a buy)."""
    return (quote.ask, quote.ask_size) if side is Side.BUY else (quote.bid, quote.bid_size)


def near(quote: Quote, side: Side) -> tuple[int | None, int]:
    """The side of ``quote`` an order of ``side`` would join: ``(price, size)`` (bid for a buy)."""
    return (quote.bid, quote.bid_size) if side is Side.BUY else (quote.ask, quote.ask_size)


def within_limit(price: int, *, limit: int | None, side: Side) -> bool:
    """Whether trading at ``price`` respects ``limit`` (``None``: a market order, any price)."""
    return limit is None or sign(side) * (price - limit) <= 0


def is_marketable(parent: ParentOrder, nbbo: Quote) -> bool:
    """A market order, or a limit order at or through the far side of ``nbbo`` (a missing far side: not marketable).

    A market order is marketable by definition, even when the far side is empty.
    """
    if parent.order_type is OrdType.MARKET or parent.limit_price is None:
        return True
    far, _ = contra(nbbo, parent.side)
    return far is not None and within_limit(far, limit=parent.limit_price, side=parent.side)


def trading(venues: Mapping[str, VenueInfo], symbol: str, *, kind: VenueKind | None = None) -> list[VenueInfo]:
    """Venues (of ``kind``, or any kind) that trade ``symbol``, in the scenario's order."""
    return [v for v in venues.values() if symbol in v.symbols and (kind is None or v.kind is kind)]


def split_evenly(qty: int, n: int) -> list[int]:
    """``qty`` shares in ``n`` parts as equal as possible, the larger parts first (``[4, 3, 3]`` for 10 in 3)."""
    if n <= 0:
        return []
    base, extra = divmod(qty, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def split_by_weights(qty: int, weights: list[float]) -> list[int]:
    """Largest-remainder rounding of ``qty * weights`` (weights summing to 1) to integers summing to ``qty``.

    Ties in the remainders go to the earlier entry, so the result is deterministic.
    """
    if not weights:
        return []
    raw = [qty * max(w, 0.0) for w in weights]
    total = sum(raw)
    if total <= 0:
        return split_evenly(qty, len(weights))
    raw = [r * qty / total for r in raw]
    parts = [int(r) for r in raw]
    short = qty - sum(parts)
    order = sorted(range(len(raw)), key=lambda i: (-(raw[i] - parts[i]), i))
    for i in order[:short]:
        parts[i] += 1
    return parts
