"""How background participants that take liquidity choose where to send it: a simple Reg NMS router per symbol.

Background taker routing
    A taker (liquidity flow's market orders, informed traders, fast traders) routes from the quotes it sees (its
    own view: the true tops for participants modelled without a location, a delayed direct feed for the fast
    trader) over the open protected lit venues trading the symbol:

    * An order no larger than the size displayed at the NBBO goes to the venues showing the NBBO price, as plain
      IOC limit orders at that price (not ISO: the venue's Rule 611 check applies). The first venue is drawn with
      weight ``taker_weight x displayed size x exp(-take_fee_usd / fee_scale_usd)`` (the venue's calibration
      weight, its size and its take fee; a rebate raises the weight); what it cannot fill goes to the other NBBO
      venues, cheapest take fee first.
    * A larger order, when its limit allows a worse price, is an intermarket sweep: IOC ISOs sent at the same
      instant to every protected quote at or better than the sweep's limit, best first and each for its full
      displayed size until the order is filled (Rule 611(b)(5)); the sweep's limit is ``sweep_limit_ticks`` beyond
      the NBBO (or the order's own limit, if nearer). If the displayed quotes do not fill it, the first venue's
      child takes the rest at the sweep's limit, trading down its own book; anything left is cancelled (IOC).
    * With no quote on the contra side it sends nothing.

    Wholesalers: a share ``retail_share`` of liquidity flow's market orders are retail, and of those
    ``retail_wholesaler_share`` go first to a wholesaler (drawn uniformly among the scenario's wholesalers trading
    the symbol); an order the wholesaler declines is routed to the lit venues as above.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from harness.sim.market import Market
from venues.types import Side

_BUY = Side.BUY
Child = tuple[int, int, int, bool]
"""(venue index, qty, limit price, iso) of one child order."""


class TakerRouter:
    """The routing rule of background takers in one symbol (module docstring)."""

    __slots__ = ("market", "symbol", "venues", "static_weight", "fee_rank", "sweep_ticks", "wholesalers")

    def __init__(
        self, *, market: Market, symbol: str, lit_venues: Sequence[int], taker_weights: Sequence[float],
        take_fees_usd: Sequence[float], fee_scale_usd: float, sweep_limit_ticks: int, tick: int,
        wholesalers: Sequence[int] = (),
    ) -> None:
        """``lit_venues`` are the lit venues trading ``symbol``; weights and fees are indexed by venue index."""
        self.market = market
        self.symbol = symbol
        protected = set(market.protected_venues(symbol))
        self.venues = [vi for vi in lit_venues if vi in protected]
        self.static_weight = {
            vi: taker_weights[vi] * math.exp(-take_fees_usd[vi] / fee_scale_usd) for vi in self.venues
        }
        self.fee_rank = {vi: r for r, vi in enumerate(sorted(self.venues, key=lambda v: (take_fees_usd[v], v)))}
        self.sweep_ticks = sweep_limit_ticks * tick
        self.wholesalers = list(wholesalers)

    def plan(self, side: Side, qty: int, u: float, *, views: Sequence[tuple[int | None, int, int | None, int]],
             limit: int | None = None) -> list[Child]:
        """The child orders for ``qty`` on ``side``; ``views[k]`` is the top seen of ``self.venues[k]``.

        ``u`` is a uniform draw in [0, 1) choosing the first venue; ``limit`` caps the price (None: a market order).
        """
        buy = side is _BUY
        venues = self.market.venues
        quotes: list[tuple[int, int, int]] = []  # (price key, lower is better; venue; size)
        best = 0
        at_best: list[tuple[int, int]] = []
        for vi, (bid, bid_size, ask, ask_size) in zip(self.venues, views, strict=True):
            if buy:
                px, size = ask, ask_size
            else:
                px, size = bid, bid_size
            if px is None or size <= 0 or not venues[vi].open:
                continue
            if limit is not None and (px > limit if buy else px < limit):
                continue
            key = px if buy else -px
            quotes.append((key, vi, size))
            if not at_best or key < best:
                best, at_best = key, [(vi, size)]
            elif key == best:
                at_best.append((vi, size))
        if not at_best:
            return []
        first = at_best[0][0] if len(at_best) == 1 else self._pick(at_best, u)
        sign = 1 if buy else -1
        shown = 0
        for vi, size in at_best:
            shown += size
            if vi == first and qty <= size:  # the common case: the first venue alone fills it
                return [(vi, qty, sign * best, False)]
        lim_key = best + self.sweep_ticks
        if limit is not None:
            lim_key = min(lim_key, limit if buy else -limit)
        if qty <= shown or lim_key <= best:
            ordered = [first, *sorted((vi for vi, _ in at_best if vi != first), key=self.fee_rank.__getitem__)]
            sizes = dict(at_best)
            children: list[Child] = []
            left = min(qty, shown)
            for vi in ordered:
                q = min(left, sizes[vi])
                children.append((vi, q, sign * best, False))
                left -= q
                if not left:
                    break
            return children
        quotes.sort()
        return self._sweep(quotes, qty=qty, first=first, lim_key=lim_key, sign=sign)

    def _pick(self, at_best: list[tuple[int, int]], u: float) -> int:
        """The first venue among those at the NBBO, drawn by weight (module docstring)."""
        weights = [self.static_weight[vi] * size for vi, size in at_best]
        total = sum(weights)
        if total <= 0:
            return at_best[0][0]
        x = u * total
        for (vi, _), w in zip(at_best, weights, strict=True):
            x -= w
            if x < 0:
                return vi
        return at_best[-1][0]

    @staticmethod
    def _sweep(quotes: list[tuple[int, int, int]], *, qty: int, first: int, lim_key: int, sign: int) -> list[Child]:
        """ISO children: every quote at or better than the sweep's limit, best first, until ``qty`` is placed."""
        children: list[list[int]] = []
        left = qty
        for key, vi, size in quotes:
            if key > lim_key:
                break
            q = min(left, size)
            children.append([vi, q, key])
            left -= q
            if not left:
                break
        if left:  # the displayed quotes are all taken: the first venue's child trades on down to the limit
            for child in children:
                if child[0] == first:
                    child[1] += left
                    child[2] = lim_key
                    break
        # the first venue's child goes last, so the better quotes elsewhere are taken before it walks its book
        children.sort(key=lambda c: c[0] == first)
        return [(vi, q, sign * key, True) for vi, q, key in children]
