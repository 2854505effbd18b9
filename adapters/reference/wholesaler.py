"""``wholesaler``: marketable flow to the wholesaler that has recently improved prices the most.

Policy
------
1. A parent that is marketable against the NBBO as the SIP shows it (a market order, or a limit at or through the far
   side) goes whole, as one IOC order at the parent's limit (market: no limit), to one wholesaler trading the symbol:

   * a wholesaler not yet tried (no fill and no decline seen) comes first, in scenario order, so that every one is
     learnt about;
   * with ``explore_every = n > 0``, every n-th marketable parent goes to the next wholesaler in turn (round robin),
     to keep learning after the others have been tried;
   * otherwise, the one with the largest average price improvement per share over its last ``window_fills`` fills;
     a wholesaler that has only declined comes last; ties go by name.

   Price improvement of a fill is measured against the NBBO far side the router saw when it sent the order:
   ``ask - price`` for a buy, ``price - bid`` for a sell, in USD per share (it is what the customer gained over
   trading at the quote).
2. Non-marketable parents, parents for a symbol no wholesaler trades, and the shares of an order a wholesaler
   declines (``DECLINED_SIZE``, ``DECLINED_MARKET``, ``NOT_MARKETABLE`` or any other reject) are routed lit as
   ``best-price`` routes them.

Source: retail brokers' practice of routing marketable retail orders to wholesalers (single-dealer platforms) and
comparing them by the price improvement they deliver, as in SEC Rule 605/606 reports and broker "execution quality"
statistics; the untried-first and round-robin rules are the simplest bandit-style exploration. It ignores payment for
order flow entirely (compare ``rebate-max``, which follows it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from adapters.contract import ChildFill, ChildReject, RouterContext
from adapters.reference.best_price import BestPriceRouter
from adapters.reference.common import contra, is_marketable, sign, trading
from venues.types import PRICE_SCALE, TimeInForce
from venues.venue import VenueInfo, VenueKind


@dataclass(slots=True)
class ImprovementStats:
    """A wholesaler's recent price improvement, from the router's own fills."""

    fills: deque[tuple[int, float]]
    """``(shares, improvement in USD per share)`` of the most recent fills."""
    declines: int = 0

    @property
    def tried(self) -> bool:
        """Whether anything has been learnt about it (a fill or a decline)."""
        return bool(self.fills) or self.declines > 0

    def mean_usd(self) -> float | None:
        """Share-weighted average improvement per share over the window; ``None`` before the first fill."""
        shares = sum(q for q, _ in self.fills)
        if shares <= 0:
            return None
        return sum(q * pi for q, pi in self.fills) / shares


@dataclass(slots=True)
class _Sent:
    wholesaler: str
    far: int | None
    side_sign: int


class WholesalerRouter(BestPriceRouter):
    """Marketable flow to the best-improving wholesaler, the rest lit (see the module docstring)."""

    name = "wholesaler"
    description = "Marketable flow to the wholesaler with the best recent price improvement; the rest lit."
    tie_break = None  # the wholesalers it sends to pay for the flow: not a conflict-free reference (docs/routers.md)

    class Params(BestPriceRouter.Params):
        """Parameters of ``wholesaler``."""

        window_fills: int = Field(50, ge=1, description="Fills per wholesaler in its price-improvement average.")
        explore_every: int = Field(
            0, ge=0, description="Every n-th marketable parent goes round robin to the next wholesaler (0: never)."
        )

    def on_start(self, ctx: RouterContext) -> None:
        """Reset the statistics."""
        super().on_start(ctx)
        window = self.params.window_fills
        self.stats: dict[str, ImprovementStats] = {
            v.name: ImprovementStats(deque(maxlen=window))
            for v in ctx.venues.values()
            if v.kind is VenueKind.WHOLESALER
        }
        self._sent: dict[int, _Sent] = {}
        self._marketable_count = 0
        self._turn = -1

    def choose(self, candidates: list[VenueInfo]) -> VenueInfo:
        """The wholesaler for the next marketable parent among ``candidates`` (see the module docstring)."""
        self._marketable_count += 1
        for v in candidates:
            if not self.stats[v.name].tried:
                return v
        every = self.params.explore_every
        if every and self._marketable_count % every == 0:
            self._turn = (self._turn + 1) % len(candidates)
            return candidates[self._turn]

        def key(v: VenueInfo) -> tuple[int, float, str]:
            mean = self.stats[v.name].mean_usd()
            return (0, -mean, v.name) if mean is not None else (1, 0.0, v.name)

        return min(candidates, key=key)

    def _start(self, state: Any) -> None:
        parent = state.parent
        candidates = trading(self.ctx.venues, parent.symbol, kind=VenueKind.WHOLESALER)
        if candidates:
            nbbo = self.ctx.nbbo(parent.symbol)
            if is_marketable(parent, nbbo):
                venue = self.choose(candidates)
                child = self._send(state, venue=venue.name, qty=state.leaves, price=parent.limit_price,
                                   tif=TimeInForce.IOC)
                if child is not None:
                    self._sent[child] = _Sent(venue.name, contra(nbbo, parent.side)[0], sign(parent.side))
                    return
        self._route(state)

    def _filled(self, state: Any, fill: ChildFill) -> None:
        sent = self._sent.pop(fill.child_id, None)
        if sent is not None and sent.far is not None:
            improvement_usd = sent.side_sign * (sent.far - fill.price) / PRICE_SCALE
            self.stats[sent.wholesaler].fills.append((fill.qty, improvement_usd))

    def on_reject(self, reject: ChildReject) -> None:
        """Count a wholesaler's decline, then route the shares lit."""
        sent = self._sent.pop(reject.child_id, None)
        if sent is not None:
            self.stats[sent.wholesaler].declines += 1
        super().on_reject(reject)
