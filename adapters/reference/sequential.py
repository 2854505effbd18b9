"""``sequential``: one venue at a time, best displayed price first, waiting for each answer (serial routing).

Policy
------
1. Read the lit venues' contra-side quotes from the direct feeds and rank those within the parent's limit by
   displayed price (ties: larger size, then name; no fee or rebate enters), as ``best-price`` does.
2. Send **one** IOC limit order, to the best venue not yet tried in this pass, at its displayed price for the smaller
   of its displayed size and the parent's open quantity.
3. Wait for that child's answer (fills with no leaves, an IOC remainder or a reject), then re-read the quotes and go
   on with the best venue not yet tried in the pass.
4. A pass ends when every venue with a usable quote has been tried; a new pass starts from the (freshly ranked) best
   venue, at most ``max_rounds`` passes in all. A limit order that finds nothing within its limit, or has used its
   passes, posts its remainder as a DAY limit order at its limit on the venue with the least queue ahead; a
   market order that finds no quote retries after ``retry_delay_ns`` (a look that finds nothing uses up a pass) and
   stops after its last pass.

Source: serial ("sequential") routing, the way many broker routers and exchange routing services work a
marketable order (one destination at a time, re-pricing after each response), as opposed to parallel ("spray")
routing. It never has two orders in flight, so it cannot overfill and each step sees the latest quotes, at the cost
of one round trip per venue: on fast-moving quotes, the later venues' liquidity is often gone by the time it gets
there. It sends no ISOs, so it relies on taking the best-priced venue first for order protection.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adapters.contract import ParentOrder
from adapters.reference.best_price import BestPriceRouter, ParentState
from venues.types import OrdType, TimeInForce


@dataclass(slots=True)
class _State(ParentState):
    tried: set[str] = field(default_factory=set)
    """Venues tried in the current pass."""


class SequentialRouter(BestPriceRouter):
    """One venue at a time in displayed-price order, waiting for each answer (see the module docstring)."""

    name = "sequential"
    description = "Serial: one IOC at a time to the best-priced venue not yet tried, re-reading quotes after each."

    class Params(BestPriceRouter.Params):
        """Parameters of ``sequential`` (``max_rounds`` counts passes over the venues)."""

    def _new_state(self, parent: ParentOrder) -> _State:
        return _State(parent, parent.qty)

    def _route(self, state: Any) -> None:
        if state.leaves <= 0 or state.outstanding or state.posted:
            return
        parent = state.parent
        offers = [o for o in self._offers(state) if o.venue not in state.tried] if state.rounds else []
        if not offers:
            # The pass is over (or none has started): begin the next one, if any is left.
            if state.rounds >= self.params.max_rounds:
                if parent.order_type is OrdType.LIMIT:
                    self._post(state)
                return
            state.rounds += 1
            state.tried.clear()
            offers = self._offers(state)
            if not offers:
                self._no_offers(state)
                return
        best = offers[0]
        state.tried.add(best.venue)
        self._send(state, venue=best.venue, qty=min(best.size, state.leaves), price=best.price, tif=TimeInForce.IOC)
