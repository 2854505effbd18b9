"""``rebate-max``: the deliberately conflicted control, routing for the broker's payments, not the customer's price.

Policy
------
1. A parent that is marketable against the NBBO as the SIP shows it goes whole, as one IOC at the parent's limit
   (market: no limit), to the wholesaler paying the most for order flow (the largest ``fees.pfof_micros``; ties: name)
   among those trading the symbol and paying anything at all.
2. With no such wholesaler, or for the shares it declines, marketable flow is routed lit like ``best-price`` but with
   the ranking turned around: **lowest take fee first** (an inverted venue's taker rebate before anything else), and
   only then price (still within the parent's limit: it never trades through the customer's limit).
3. Non-marketable flow (a limit order that cannot trade now) rests as one DAY order at its limit on the lit venue
   with the **largest maker rebate** (the lowest maker fee; ties: name), whatever its queue.

This router is conflicted on purpose: every choice maximises what the broker is paid (payment for order flow, taker
rebates, maker rebates) rather than the customer's execution quality. It is the control against which the analytics
that detect conflicted routing are checked; the harm it does is the difference a best-execution review should find.
Source: the conflicts of interest described in the SEC's 2022 Order Competition Rule proposal and in studies of
maker-taker rebates and payment for order flow (e.g. Battalio, Corwin and Jennings 2016, "Can Brokers Have It All?
On the Relation between Make-Take Fees and Limit Order Execution Quality", Journal of Finance).
"""

from __future__ import annotations

from typing import Any

from adapters.reference.best_price import BestPriceRouter, Offer, QueueAhead
from adapters.reference.common import is_marketable, trading
from venues.types import TimeInForce
from venues.venue import VenueInfo, VenueKind


class RebateMaxRouter(BestPriceRouter):
    """Conflicted control: top PFOF payer, then lowest take fee; passive flow to the top maker rebate."""

    name = "rebate-max"
    description = "Conflicted control: marketable flow to the top PFOF payer or lowest take fee; passive to top rebate."
    tie_break = None  # conflicted by design

    class Params(BestPriceRouter.Params):
        """Parameters of ``rebate-max``."""

    def _start(self, state: Any) -> None:
        parent = state.parent
        if not is_marketable(parent, self.ctx.nbbo(parent.symbol)):
            self._post(state)
            return
        wholesalers = trading(self.ctx.venues, parent.symbol, kind=VenueKind.WHOLESALER)
        payers = [v for v in wholesalers if v.fees.pfof_micros > 0]
        if payers:
            top = min(payers, key=lambda v: (-v.fees.pfof_micros, v.name))
            if self._send(state, venue=top.name, qty=state.leaves, price=parent.limit_price, tif=TimeInForce.IOC):
                return
        self._route(state)

    def _offer_key(self, offer: Offer) -> tuple[Any, ...]:
        return (offer.take_fee_micros, offer.net_micros, -offer.size, offer.venue)

    def _post_key(self, state: Any, venue: VenueInfo, *, ahead: QueueAhead) -> tuple[Any, ...]:
        return (venue.fees.make_fee_micros, venue.name)
