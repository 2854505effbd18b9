"""``best-price``: the fee-aware best-price router.

Policy
------
On a parent order's arrival, and again each time all of its outstanding child orders have been answered:

1. Read every lit venue's contra-side top of book from the direct feeds (as delayed by the router's links).
2. Rank the venues whose displayed price is within the parent's limit by *net* price per share: the displayed price
   plus the venue's take fee for a buy (minus it for a sell); ties go to the larger displayed size, then the name.
3. Walk the ranking, sending an IOC limit order at each venue's displayed price for the smaller of its displayed size
   and what is still unallocated ("splitting by displayed size"), until the parent's open quantity is allocated.
4. When every child has been answered and shares remain, repeat (at most ``max_rounds`` rounds). A market order that
   finds no displayed contra liquidity retries after ``retry_delay_ns``; a limit order that finds none within its
   limit posts its remainder as a DAY limit order at its limit, on the venue with the shortest visible queue at that
   price (ties: the lowest maker fee, then the name).

This is the textbook Reg NMS-era SOR: it looks only at displayed top-of-book prices and fees, which makes it the
baseline that the richer policies (sequential, spray, dark-first, ...) are compared with. Its weaknesses are by
design: it trusts stale quotes (an IOC at a vanished price comes back cancelled), it sees one level per venue and
it ignores hidden and dark liquidity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from adapters.contract import ChildCancelled, ChildFill, ChildReject, ParentOrder, Router, RouterContext
from venues.types import OrdType, Side, TimeInForce
from venues.venue import VenueInfo, VenueKind

_MICROS_PER_PRICE_UNIT = 100  # price units are 1e-4 USD, fees are 1e-6 USD


@dataclass(slots=True)
class _ParentState:
    parent: ParentOrder
    leaves: int
    rounds: int = 0
    outstanding: set[int] = field(default_factory=set)
    posted: bool = False


class BestPriceRouter(Router):
    """Fee-aware best price across lit venues, split by displayed size (see the module docstring)."""

    name = "best-price"
    description = "Fee-aware: IOCs at the best net displayed prices across lit venues, split by displayed size."

    class Params(BaseModel):
        """Parameters of ``best-price``."""

        model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
        max_rounds: int = Field(20, ge=1, description="Routing rounds per parent before giving up or posting.")
        retry_delay_ns: int = Field(1_000_000, ge=1, description="Wait before re-reading quotes when none is usable.")

    def on_start(self, ctx: RouterContext) -> None:
        """Keep the lit venues."""
        super().on_start(ctx)
        self._lit: list[VenueInfo] = [v for v in ctx.venues.values() if v.kind is VenueKind.LIT]
        self._parents: dict[int, _ParentState] = {}
        self._child_parent: dict[int, int] = {}

    def on_parent(self, parent: ParentOrder) -> None:
        """Start routing a new parent order."""
        state = _ParentState(parent, parent.qty)
        self._parents[parent.parent_id] = state
        self._route(state)

    def on_fill(self, fill: ChildFill) -> None:
        """Book the fill; re-route once the round is answered."""
        state = self._parents[fill.parent_id]
        state.leaves -= fill.qty
        if fill.leaves_qty == 0:
            self._answered(state, fill.child_id)

    def on_cancelled(self, cancelled: ChildCancelled) -> None:
        """An IOC remainder (or a cancel) came back."""
        self._answered(self._parents[cancelled.parent_id], cancelled.child_id)

    def on_reject(self, reject: ChildReject) -> None:
        """A child was refused: treat it as answered."""
        self._answered(self._parents[reject.parent_id], reject.child_id)

    def on_timer(self, token: object) -> None:
        """Retry a parent that found no usable quote."""
        assert isinstance(token, int)
        self._route(self._parents[token])

    # ------------------------------------------------------------------------------------------------------------
    def _answered(self, state: _ParentState, child_id: int) -> None:
        if child_id in state.outstanding:
            state.outstanding.discard(child_id)
            if not state.outstanding:
                self._route(state)

    def _route(self, state: _ParentState) -> None:
        if state.leaves <= 0 or state.outstanding or state.posted:
            return
        parent = state.parent
        if state.rounds >= self.params.max_rounds:
            if parent.order_type is OrdType.LIMIT:
                self._post(state)
            return
        state.rounds += 1
        ctx = self.ctx
        buy = parent.side is Side.BUY
        s = 1 if buy else -1
        limit = parent.limit_price
        candidates = []
        for venue in self._lit:
            if parent.symbol not in venue.symbols:
                continue
            q = ctx.quote(venue.name, parent.symbol)
            price, size = (q.ask, q.ask_size) if buy else (q.bid, q.bid_size)
            if price is None or size <= 0:
                continue
            if limit is not None and s * (price - limit) > 0:
                continue
            # Net cost per share in micro-dollars, signed so that smaller is better for either side.
            net = s * price * _MICROS_PER_PRICE_UNIT + venue.fees.take_fee_micros
            candidates.append((net, -size, venue.name, price, size))
        if not candidates:
            if parent.order_type is OrdType.LIMIT:
                self._post(state)
            else:
                ctx.set_timer(self.params.retry_delay_ns, parent.parent_id)
            return
        candidates.sort()
        unallocated = state.leaves
        for _net, _neg_size, venue_name, price, size in candidates:
            qty = size if size < unallocated else unallocated
            child = ctx.send(
                parent_id=parent.parent_id, venue=venue_name, side=parent.side, qty=qty, price=price,
                tif=TimeInForce.IOC,
            )
            state.outstanding.add(child)
            unallocated -= qty
            if not unallocated:
                break

    def _post(self, state: _ParentState) -> None:
        """Rest the remainder at the limit where the visible queue at that price is shortest."""
        parent = state.parent
        assert parent.limit_price is not None
        limit = parent.limit_price
        buy = parent.side is Side.BUY
        best: tuple[int, int, str] | None = None
        for venue in self._lit:
            if parent.symbol not in venue.symbols:
                continue
            q = self.ctx.quote(venue.name, parent.symbol)
            price, size = (q.bid, q.bid_size) if buy else (q.ask, q.ask_size)
            if price is None or (price < limit if buy else price > limit):
                ahead = 0  # our price would set a new best level there
            elif price == limit:
                ahead = size
            else:
                ahead = 1 << 62  # better-priced orders are ahead of us; their depth is not visible at level 1
            key = (ahead, venue.fees.make_fee_micros, venue.name)
            if best is None or key < best:
                best = key
        if best is None:
            return
        state.posted = True
        self.ctx.send(
            parent_id=parent.parent_id, venue=best[2], side=parent.side, qty=state.leaves, price=limit,
            tif=TimeInForce.DAY,
        )
