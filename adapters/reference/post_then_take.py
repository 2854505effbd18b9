"""``post-then-take``: rest passively on the venue with the best passive economics, then cross what is left.

Policy
------
1. On arrival, rest the whole parent as one DAY limit order (post-only if ``post_only``) on one lit venue: the one
   named by ``venue``, or else the venue trading the symbol with the lowest maker fee (the largest maker rebate;
   ties: name). Price: for a market order or a marketable limit, the near side (the best bid for a buy, the best
   offer for a sell, over the lit direct feeds; never through the limit); for a non-marketable limit, the limit.
2. After ``timeout_ns``, if shares remain: a limit order with nothing to take within its limit keeps resting where
   it is (it is now an ordinary resting limit order); otherwise the resting order is cancelled and, once the cancel
   is confirmed, the remainder crosses as ``best-price`` routes it (IOCs at the best prices within the limit;
   a limit remainder that finds nothing posts at its limit).
3. If the venue refuses the resting order (for instance a post-only order that would cross because the market
   moved), the parent crosses at once.

Source: the "post then take" (or "passive then aggressive") tactic of broker algorithms and maker-taker economics:
rest first to earn the spread and the rebate, take only if the passive order does not fill in time. Setting
``venue`` to an inverted (taker-maker) venue gives the variant that pays to post there because its queue is shorter
and fills sooner. The cost is the risk of non-execution while the price moves away (adverse selection of the fills
it does get), which the timeout bounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field

from adapters.contract import ParentOrder
from adapters.reference.best_price import BestPriceRouter, ParentState
from adapters.reference.common import contra, near, sign, trading, within_limit
from venues.types import OrdType, TimeInForce
from venues.venue import VenueInfo, VenueKind

_TIMEOUT = "post-timeout"


@dataclass(slots=True)
class _State(ParentState):
    resting: int | None = None
    """The passive child."""


class PostThenTakeRouter(BestPriceRouter):
    """Rest on the best-rebate venue, cross the remainder after a timeout (see the module docstring)."""

    name = "post-then-take"
    description = "Rests at the near side on the best-rebate (or a named) venue; after a timeout cancels and crosses."
    tie_break = None  # it chooses the venue by maker fee (the largest rebate): not a conflict-free reference

    class Params(BestPriceRouter.Params):
        """Parameters of ``post-then-take``."""

        timeout_ns: int = Field(2_000_000_000, ge=1, description="How long the passive order rests before crossing.")
        post_only: bool = Field(True, description="Send the passive order post-only.")
        venue: str | None = Field(
            None, description="Lit venue to rest on (e.g. an inverted one); default: the lowest maker fee."
        )

    @classmethod
    def check_params(cls, params: BaseModel, *, venues: Mapping[str, VenueInfo]) -> None:
        """A configured venue must exist and be lit."""
        name = getattr(params, "venue", None)
        if name is not None:
            if name not in venues:
                raise ValueError(f"venue {name!r} is not in the scenario (venues: {', '.join(venues)})")
            if venues[name].kind is not VenueKind.LIT:
                raise ValueError(f"venue {name!r} is not a lit venue")

    def _new_state(self, parent: ParentOrder) -> _State:
        return _State(parent, parent.qty)

    def _passive_venue(self, symbol: str) -> VenueInfo | None:
        lit = trading(self.ctx.venues, symbol, kind=VenueKind.LIT)
        if self.params.venue is not None:
            return next((v for v in lit if v.name == self.params.venue), None)
        return min(lit, key=lambda v: (v.fees.make_fee_micros, v.name), default=None)

    def _start(self, state: Any) -> None:
        parent = state.parent
        venue = self._passive_venue(parent.symbol)
        price = self._passive_price(parent)
        if venue is None or price is None:
            self._route(state)
            return
        child = self._send(
            state, venue=venue.name, qty=state.leaves, price=price, tif=TimeInForce.DAY, post_only=self.params.post_only
        )
        if child is None:
            self._route(state)
            return
        state.resting = child
        self.ctx.set_timer(self.params.timeout_ns, (_TIMEOUT, parent.parent_id))

    def _passive_price(self, parent: ParentOrder) -> int | None:
        """Near side for a market or marketable order (not through the limit); the limit for a non-marketable one."""
        s = sign(parent.side)
        lit = trading(self.ctx.venues, parent.symbol, kind=VenueKind.LIT)
        quotes = [self.ctx.quote(v.name, parent.symbol) for v in lit]
        nears = [p for p in (near(q, parent.side)[0] for q in quotes) if p is not None]
        fars = [p for p in (contra(q, parent.side)[0] for q in quotes) if p is not None]
        best_near = max(nears, key=lambda p: s * p) if nears else None
        best_far = min(fars, key=lambda p: s * p) if fars else None
        limit = parent.limit_price
        if limit is not None and (best_far is None or not within_limit(best_far, limit=limit, side=parent.side)):
            return limit  # not marketable: rest at the limit
        if best_near is None:
            return limit
        if limit is not None and not within_limit(best_near, limit=limit, side=parent.side):
            return limit
        return best_near

    def _limit_out_of_reach(self, state: Any) -> bool:
        parent = state.parent
        return parent.order_type is OrdType.LIMIT and not self._offers(state)

    def on_timer(self, token: object) -> None:
        """At the timeout, cancel the passive order unless it should keep resting; other tokens as ``best-price``."""
        if isinstance(token, tuple) and len(token) == 2 and token[0] == _TIMEOUT:
            state = self._parents.get(token[1])
            if state is None or state.leaves <= 0 or state.resting not in state.outstanding:
                return
            if self._limit_out_of_reach(state):
                return  # nothing to take within the limit: keep resting
            self.ctx.cancel(state.resting)
            return
        super().on_timer(token)

    def _round_done(self, state: Any) -> None:
        # The passive order is finished (filled, cancelled at the timeout or refused): cross whatever is left.
        self._route(state)
