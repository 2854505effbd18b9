"""``spray``: a simultaneous intermarket sweep of every protected quote within the limit (parallel routing).

Policy
------
1. Read every protected lit venue's contra-side quote from the direct feeds. Keep those within the parent's limit;
   for a market order, those within ``collar_ticks`` ticks of the best contra price seen (the collar stops a market
   order from sweeping into a far-away quote on a thin venue).
2. Rank them by displayed price first (an ISO must take better-priced protected quotes before worse ones), then by
   larger displayed size, then name (fee-blind, as ``best-price``: docs/routers.md).
3. In one callback, send an IOC **intermarket sweep order** (ISO) to each, at its displayed price for the smaller of
   its displayed size and what is still unallocated: every protected quote better than the worst price swept is
   taken in full, which is what Reg NMS Rule 611(b)(5) asks of the sender of an ISO, and the venues then skip their
   own order-protection checks.
4. The remainder is handled like ``best-price``: when every child has been answered, sweep again against fresh
   quotes (at most ``max_rounds`` sweeps); a limit order that finds nothing within its limit posts its remainder as
   a DAY order at its limit on the shortest visible queue, a market order with nothing in its collar retries after
   ``retry_delay_ns``.

Source: parallel ("spray") routing with ISOs, the standard way a broker takes displayed liquidity at several prices
at once under Reg NMS (Rule 600(b) defines the ISO, Rule 611(b)(5) the exception it gives). Sending everything at
once beats quote fading by fast traders better than ``sequential`` does, but over-reaches when quotes are stale:
a child sent to a quote that has gone comes back unfilled, and it cannot see non-displayed liquidity.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from adapters.reference.best_price import BestPriceRouter, Offer
from adapters.reference.common import sign
from venues.venue import VenueInfo


class SprayRouter(BestPriceRouter):
    """Simultaneous ISO IOCs to every protected quote within the limit (see the module docstring)."""

    name = "spray"
    description = "Parallel: one simultaneous ISO IOC per protected quote within the limit (market: within a collar)."

    iso: ClassVar[bool] = True

    class Params(BestPriceRouter.Params):
        """Parameters of ``spray``."""

        collar_ticks: int = Field(
            5, ge=0, description="Market orders: sweep only quotes within this many ticks of the best contra price."
        )

    def _lit_venues(self, state: Any) -> list[VenueInfo]:
        return [v for v in super()._lit_venues(state) if v.protected]

    def _offer_key(self, offer: Offer) -> tuple[Any, ...]:
        # Price first: an ISO sweep must not leave a better-priced protected quote behind. No fee: see best-price.
        return (offer.price_key, -offer.size, offer.venue)

    def _offers(self, state: Any) -> list[Offer]:
        offers = super()._offers(state)
        parent = state.parent
        if parent.limit_price is None and offers:
            s = sign(parent.side)
            best = min(s * o.price for o in offers)
            info = self.ctx.symbols.get(parent.symbol)
            collar = self.params.collar_ticks * (info.tick if info is not None else 1)
            offers = [o for o in offers if s * o.price - best <= collar]
        return offers
