"""Top-of-book histories and their consolidation: :class:`QuoteHistory`, :func:`consolidate` and :func:`nbbo_after`.

Tops are tuples ``(bid, bid_size, ask, ask_size)`` in price units and shares, ``None`` for an empty side.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from venues.types import EMPTY_QUOTE, Quote

_Top = tuple[int | None, int, int | None, int]
_EMPTY_TOP: _Top = (None, 0, None, 0)


class QuoteHistory:
    """Top-of-book states in time order; ``at(t)`` is the state in force at ``t`` (the last update at or before)."""

    __slots__ = ("ts", "tops")

    def __init__(self) -> None:
        self.ts: list[int] = []
        self.tops: list[_Top] = []

    def append(self, ts_ns: int, top: _Top) -> None:
        """Record a new state (times must not decrease)."""
        self.ts.append(ts_ns)
        self.tops.append(top)

    def top_at(self, t_ns: int) -> tuple[int, _Top]:
        """``(publication time, (bid, bid_size, ask, ask_size))`` in force at ``t_ns``."""
        i = bisect_right(self.ts, t_ns) - 1
        if i < 0:
            return 0, _EMPTY_TOP
        return self.ts[i], self.tops[i]

    def at(self, t_ns: int) -> Quote:
        """The :class:`Quote` in force at ``t_ns``."""
        i = bisect_right(self.ts, t_ns) - 1
        if i < 0:
            return EMPTY_QUOTE
        bid, bid_size, ask, ask_size = self.tops[i]
        return Quote(ts_ns=self.ts[i], bid=bid, bid_size=bid_size, ask=ask, ask_size=ask_size)

    def __len__(self) -> int:
        return len(self.ts)


def consolidate(tops: Sequence[_Top]) -> _Top:
    """NBBO of some venues' tops: best bid and ask, with the sizes summed over venues at those prices."""
    bid: int | None = None
    ask: int | None = None
    bid_size = ask_size = 0
    for b, bs, a, as_ in tops:
        if b is not None:
            if bid is None or b > bid:
                bid, bid_size = b, bs
            elif b == bid:
                bid_size += bs
        if a is not None:
            if ask is None or a < ask:
                ask, ask_size = a, as_
            elif a == ask:
                ask_size += as_
    return (bid, bid_size, ask, ask_size)


def nbbo_after(nbbo: _Top, old: _Top, new: _Top, tops: Sequence[_Top]) -> _Top:
    """``consolidate(tops)`` after one venue's entry of ``tops`` changed from ``old`` to ``new`` (already in ``tops``).

    ``nbbo`` is ``consolidate`` of the tops before the change. The result is exactly ``consolidate(tops)``, found
    from the change alone unless the venue alone held a best price and left it (then ``tops`` is scanned).
    """
    nb, nbs, na, nas = nbbo
    ob, obs, oa, oas = old
    b, bs, a, as_ = new
    if b == ob:
        if b is not None and b == nb:
            nbs += bs - obs
    elif b is not None and (nb is None or b >= nb):
        if b == nb:  # joins the best bid (its old bid was worse, so not in nbs)
            nbs += bs
        else:
            nb, nbs = b, bs
    elif ob is not None and ob == nb:  # it leaves the best bid
        nbs -= obs
        if nbs <= 0:  # nobody else there (or only empty sizes): scan
            return consolidate(tops)
    if a == oa:
        if a is not None and a == na:
            nas += as_ - oas
    elif a is not None and (na is None or a <= na):
        if a == na:
            nas += as_
        else:
            na, nas = a, as_
    elif oa is not None and oa == na:
        nas -= oas
        if nas <= 0:
            return consolidate(tops)
    return (nb, nbs, na, nas)
