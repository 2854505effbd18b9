"""``random``: the null router, every child to a uniformly random venue.

Policy
------
Each child order goes to a venue drawn uniformly at random from all venues trading the parent's symbol (lit, dark
and wholesalers alike), from the router's own generator ``numpy.random.default_rng(seed)``:

* Each child is an IOC for the parent's whole open quantity, at the parent's limit (a market order: no limit; on a
  lit venue it is a market order, in a dark pool a midpoint order with no cap, at a wholesaler a market order).
* When a child has been answered and shares remain, the next child goes to a fresh random draw, up to
  ``max_children`` children per parent. After that a market order stops; a limit order rests its remainder as one
  DAY order at its limit on a random lit venue.

It uses no market data at all. Source: the "null model" of any evaluation: a policy whose results every router that
claims to add value must beat (as random order routing is used as a baseline in SOR studies and as random-allocation
baselines are in the dark-pool allocation literature). Given the same seed and the same messages, it makes the same
choices: it never touches global random state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from adapters.contract import ChildCancelled, ChildFill, ChildReject, ParentOrder, Router, RouterContext
from adapters.reference.common import trading
from venues.types import OrdType, TimeInForce
from venues.venue import VenueInfo, VenueKind


@dataclass(slots=True)
class _State:
    parent: ParentOrder
    leaves: int
    children: int = 0
    outstanding: set[int] = field(default_factory=set)


class RandomVenueRouter(Router):
    """Each child to a uniformly random venue trading the symbol (see the module docstring)."""

    name = "random"
    description = "Null model: each child IOC to a uniformly random venue trading the symbol (seeded, deterministic)."

    class Params(BaseModel):
        """Parameters of ``random``."""

        model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
        seed: int = Field(0, ge=0, description="Seed of the router's own random generator.")
        max_children: int = Field(5, ge=1, description="IOC children per parent before stopping (limit: resting).")

    def on_start(self, ctx: RouterContext) -> None:
        """Create the generator from ``seed``."""
        super().on_start(ctx)
        self.rng = np.random.default_rng(self.params.seed)
        self._parents: dict[int, _State] = {}

    def on_parent(self, parent: ParentOrder) -> None:
        """Send the first child."""
        if parent.qty <= 0 or parent.parent_id in self._parents:
            return
        state = _State(parent, parent.qty)
        self._parents[parent.parent_id] = state
        self._next(state)

    def on_fill(self, fill: ChildFill) -> None:
        """Book the fill; the next child once this one is answered."""
        state = self._parents.get(fill.parent_id)
        if state is None:
            return
        state.leaves -= fill.qty
        if fill.leaves_qty <= 0:
            self._answered(state, fill.child_id)

    def on_cancelled(self, cancelled: ChildCancelled) -> None:
        """An IOC remainder came back."""
        state = self._parents.get(cancelled.parent_id)
        if state is not None:
            self._answered(state, cancelled.child_id)

    def on_reject(self, reject: ChildReject) -> None:
        """A refused child is answered too."""
        state = self._parents.get(reject.parent_id)
        if state is not None:
            self._answered(state, reject.child_id)

    def _answered(self, state: _State, child_id: int) -> None:
        if child_id in state.outstanding:
            state.outstanding.discard(child_id)
            if not state.outstanding:
                self._next(state)

    def _pick(self, venues: list[VenueInfo]) -> VenueInfo:
        return venues[int(self.rng.integers(len(venues)))]

    def _next(self, state: _State) -> None:
        parent = state.parent
        if state.leaves <= 0 or state.outstanding:
            return
        if state.children >= self.params.max_children:
            if state.children == self.params.max_children and parent.order_type is OrdType.LIMIT:
                lit = trading(self.ctx.venues, parent.symbol, kind=VenueKind.LIT)
                if lit:
                    state.children += 1
                    self.ctx.send(parent_id=parent.parent_id, venue=self._pick(lit).name, side=parent.side,
                                  qty=state.leaves, price=parent.limit_price, tif=TimeInForce.DAY)
            return
        venues = trading(self.ctx.venues, parent.symbol)
        if not venues:
            return
        state.children += 1
        child = self.ctx.send(parent_id=parent.parent_id, venue=self._pick(venues).name, side=parent.side,
                              qty=state.leaves, price=parent.limit_price, tif=TimeInForce.IOC)
        state.outstanding.add(child)
