"""The dark phase the dark-pool routers share: midpoint orders to dark pools first, the remainder lit.

A router built on :class:`DarkPhaseRouter` decides only how to split a parent across the dark pools
(:meth:`DarkPhaseRouter._dark_allocation`) and, if it learns, what to do with the outcome
(:meth:`DarkPhaseRouter._dark_done`). The mechanics are common:

* Every dark child is a midpoint order (``midpoint_peg=True``) capped at the parent's limit (no cap for a market
  order), with a minimum quantity of ``min_qty`` shares (at most the child's size). Pools whose venue-wide minimum
  exceeds their share are skipped; their share goes lit.
* With ``rest_ns = 0`` the children are IOC: they trade only with what rests in the pool on arrival. With
  ``rest_ns > 0`` they are DAY orders that rest for ``rest_ns`` and are then cancelled, which gives contra interest
  arriving meanwhile a chance to cross.
* When every dark child has been answered (filled, cancelled or rejected), the remainder is routed lit exactly as
  ``best-price`` routes a parent (:mod:`adapters.reference.best_price`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from adapters.contract import ChildFill, ParentOrder
from adapters.reference.best_price import BestPriceRouter, ParentState
from adapters.reference.common import trading
from venues.types import TimeInForce
from venues.venue import VenueInfo, VenueKind

_REST = "dark-rest"


@dataclass(slots=True)
class DarkChild:
    """One dark child order and what it got."""

    venue: str
    qty: int
    filled: int = 0


@dataclass(slots=True)
class DarkState(ParentState):
    """A parent's state with its dark phase."""

    in_dark: bool = False
    pools: list[VenueInfo] = field(default_factory=list)
    """The dark pools trading the symbol when the parent arrived (what the allocation is over)."""
    dark: dict[int, DarkChild] = field(default_factory=dict)


class DarkPhaseRouter(BestPriceRouter):
    """Base of the dark-pool routers: split across dark pools, then route the remainder lit (see module docstring)."""

    class Params(BestPriceRouter.Params):
        """Parameters of the dark phase (plus ``best-price``'s, used for the lit remainder)."""

        min_qty: int = Field(0, ge=0, description="Minimum execution size of each dark child, shares (0: none).")
        rest_ns: int = Field(
            0, ge=0, description="0: dark children are IOC; > 0: they rest this long (DAY) and are then cancelled."
        )

    # Hooks ------------------------------------------------------------------------------------------------------
    def _dark_allocation(self, state: DarkState, pools: list[VenueInfo]) -> list[int]:
        """Shares for each of ``pools`` (same order); the sum must not exceed ``state.leaves``."""
        raise NotImplementedError

    def _dark_done(self, state: DarkState, children: list[DarkChild], *, pools: list[VenueInfo]) -> None:
        """Every dark child of ``state`` has been answered; ``pools`` are those the allocation was over."""

    # Machinery --------------------------------------------------------------------------------------------------
    def _new_state(self, parent: ParentOrder) -> DarkState:
        return DarkState(parent, parent.qty)

    def _start(self, state: Any) -> None:
        parent = state.parent
        # by name, so that ties in an allocation (the even split's larger shares, equal marginal estimates) go by
        # venue name, never by the order a scenario happens to list the pools in
        pools = sorted(trading(self.ctx.venues, parent.symbol, kind=VenueKind.DARK), key=lambda v: v.name)
        state.pools = pools
        if pools:
            alloc = self._dark_allocation(state, pools)
            budget = state.leaves
            tif = TimeInForce.DAY if self.params.rest_ns > 0 else TimeInForce.IOC
            for pool, qty in zip(pools, alloc, strict=True):
                qty = min(qty, budget)
                if qty <= 0 or qty < pool.min_qty:
                    continue
                child = self._send(
                    state, venue=pool.name, qty=qty, price=parent.limit_price, tif=tif, midpoint_peg=True,
                    min_qty=min(self.params.min_qty, qty),
                )
                if child is not None:
                    state.dark[child] = DarkChild(pool.name, qty)
                    budget -= qty
        if state.dark:
            state.in_dark = True
            if self.params.rest_ns > 0:
                self.ctx.set_timer(self.params.rest_ns, (_REST, parent.parent_id))
        else:
            self._dark_done(state, [], pools=pools)
            self._route(state)

    def _filled(self, state: Any, fill: ChildFill) -> None:
        child = state.dark.get(fill.child_id)
        if child is not None:
            child.filled += fill.qty

    def _round_done(self, state: Any) -> None:
        if state.in_dark:
            state.in_dark = False
            self._dark_done(state, list(state.dark.values()), pools=state.pools)
        self._route(state)

    def on_timer(self, token: object) -> None:
        """Cancel the dark children still resting when their time is up; other tokens as ``best-price``."""
        if isinstance(token, tuple) and len(token) == 2 and token[0] == _REST:
            state = self._parents.get(token[1])
            if state is not None and state.in_dark:
                for child in sorted(state.outstanding):
                    self.ctx.cancel(child)
            return
        super().on_timer(token)
