"""``best-price``: the displayed-price router, conflict-free (fee-blind).

Policy
------
On a parent order's arrival, and again each time all of its outstanding child orders have been answered:

1. Read every lit venue's contra-side top of book from the direct feeds (as delayed by the router's links).
2. Rank the venues whose displayed price is within the parent's limit by *displayed* price (the lowest ask for a buy,
   the highest bid for a sell); ties go to the larger displayed size (the likelier fill), then the venue name.
3. Walk the ranking, sending an IOC limit order at each venue's displayed price for the smaller of its displayed size
   and what is still unallocated ("splitting by displayed size"), until the parent's open quantity is allocated.
4. When every child has been answered and shares remain, repeat (at most ``max_rounds`` rounds). A market order that
   finds no displayed contra liquidity retries after ``retry_delay_ns``; a limit order that finds none within its
   limit posts its remainder as a DAY limit order at its limit, on the venue with the least queue ahead of it at
   that price (:class:`QueueAhead`: first the price levels known to be ahead, then the visible shares ahead, then
   the venue name).

Conflict-free by construction
-----------------------------
No decision reads a fee, a rebate or a payment for order flow. Those are the broker's under the default ledger
(``[broker] rebates = "retained"``), so a tie broken by them would follow the broker's money, not the customer's
outcome: with every limit behind the touch tied on queue, a "lowest maker fee" tie-break sends the rest to the
highest rebate payer. Take fees are not part of the ranking either: they are part of the customer's net price only
when the ledger passes them through, and the router does not know the ledger, so the displayed price (what the
customer is quoted) decides, then the size and queue (the customer's chance of a fill), then the name. The
incentive test (docs/analytics.md) holds the router to this: its venue mix must not move when payments are
permuted across venues.

Source: the textbook Reg NMS-era SOR of broker practice, in its fee-blind form. It looks only at displayed
top-of-book prices, sizes and queues, which makes it the baseline that the richer policies (sequential, spray,
dark-first, ...) are compared with and the review's default benchmark. Its weaknesses are by design: it trusts
stale quotes (an IOC at a vanished price comes back cancelled), it sees one level per venue and it ignores hidden
and dark liquidity.

Building on it
--------------
Several reference routers reuse this lit machinery for their remainders: they subclass :class:`BestPriceRouter` and
override its hooks (:meth:`~BestPriceRouter._start`, :meth:`~BestPriceRouter._round_done`,
:meth:`~BestPriceRouter._offer_key`, :meth:`~BestPriceRouter._post_key`, ...). A parent's state keeps the set of its
child orders not yet answered (``outstanding``); when the last one is answered (a fill with no leaves, a cancel or a
reject), :meth:`~BestPriceRouter._round_done` runs, which by default routes the remainder lit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from adapters.contract import ChildCancelled, ChildFill, ChildReject, ParentOrder, Router, RouterContext
from adapters.reference.common import MICROS_PER_PRICE_UNIT, contra, near, sign, trading, within_limit
from venues.types import OrdType, Quote, Side, TimeInForce
from venues.venue import VenueInfo, VenueKind


class Offer(NamedTuple):
    """A lit venue's displayed contra quote as seen for one parent order."""

    venue: str
    price: int
    size: int
    net_micros: int
    """Cost per share in micro-dollars including the take fee, signed so that smaller is better for either side."""
    take_fee_micros: int

    @property
    def price_key(self) -> int:
        """The displayed price signed so that smaller is better for either side (``net_micros`` without the fee)."""
        return self.net_micros - self.take_fee_micros


class QueueAhead(NamedTuple):
    """What is ahead of a resting order at its limit on one venue, as the venue's top of book shows it.

    Compared as a tuple, smaller first: the fewer price levels known to be ahead, then the fewer visible shares.
    """

    levels_ticks: int
    """Price units between the venue's better-priced near side and the limit (0: the order joins or sets the best
    level there). Every level in between may hold shares; only the first one's size is visible."""
    visible_shares: int
    """Shares known to be ahead: the venue's displayed size at its best near-side level when that level is at or
    better than the limit (0 when the order would set a new best level)."""


@dataclass(slots=True)
class ParentState:
    """What a router built on :class:`BestPriceRouter` remembers about one parent order."""

    parent: ParentOrder
    leaves: int
    """Shares not yet filled."""
    rounds: int = 0
    outstanding: set[int] = field(default_factory=set)
    """Child orders sent and not yet answered (a fill with no leaves, a cancel or a reject answers one)."""
    posted: bool = False
    """The remainder rests as a DAY order; nothing more is routed."""


class BestPriceRouter(Router):
    """Fee-aware best price across lit venues, split by displayed size (see the module docstring)."""

    name = "best-price"
    description = "Fee-blind: IOCs at the best displayed prices across lit venues, split by displayed size."
    tie_break: ClassVar[str | None] = (
        "displayed price, then larger displayed size (for resting orders: fewer price levels and shares ahead), "
        "then venue name; never fees, rebates or payment for order flow"
    )
    """How the router breaks ties between venues, in words, for a conflict-free router (the report quotes it for the
    benchmark); ``None`` for a subclass whose choices use fees, rebates or payment for order flow."""

    iso: ClassVar[bool] = False
    """Whether lit IOC children are sent as intermarket sweep orders (``spray`` sets it)."""

    class Params(BaseModel):
        """Parameters of ``best-price``."""

        model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
        max_rounds: int = Field(20, ge=1, description="Routing rounds per parent before giving up or posting.")
        retry_delay_ns: int = Field(1_000_000, ge=1, description="Wait before re-reading quotes when none is usable.")

    def on_start(self, ctx: RouterContext) -> None:
        """Reset the per-parent state."""
        super().on_start(ctx)
        self._parents: dict[int, Any] = {}

    def on_parent(self, parent: ParentOrder) -> None:
        """Start routing a new parent order."""
        if parent.qty <= 0 or parent.parent_id in self._parents:
            return
        state = self._new_state(parent)
        self._parents[parent.parent_id] = state
        self._start(state)

    def on_fill(self, fill: ChildFill) -> None:
        """Book the fill; re-route once the round is answered."""
        state = self._parents.get(fill.parent_id)
        if state is None:
            return
        state.leaves -= fill.qty
        self._filled(state, fill)
        if fill.leaves_qty <= 0:
            self._answered(state, fill.child_id)

    def on_cancelled(self, cancelled: ChildCancelled) -> None:
        """An IOC remainder (or a cancel) came back."""
        state = self._parents.get(cancelled.parent_id)
        if state is not None:
            self._answered(state, cancelled.child_id)

    def on_reject(self, reject: ChildReject) -> None:
        """A child was refused: treat it as answered (a refused cancel of an answered child changes nothing)."""
        state = self._parents.get(reject.parent_id)
        if state is not None:
            self._answered(state, reject.child_id)

    def on_timer(self, token: object) -> None:
        """Retry a parent that found no usable quote (the token is its parent id)."""
        if isinstance(token, int):
            state = self._parents.get(token)
            if state is not None:
                self._route(state)

    # Hooks for subclasses ----------------------------------------------------------------------------------------
    def _new_state(self, parent: ParentOrder) -> ParentState:
        """A fresh state for ``parent`` (subclasses return a subclass of :class:`ParentState`)."""
        return ParentState(parent, parent.qty)

    def _start(self, state: Any) -> None:
        """Act on a new parent; the default routes it lit."""
        self._route(state)

    def _filled(self, state: Any, fill: ChildFill) -> None:
        """Called on each fill after ``state.leaves`` is reduced; the default does nothing."""

    def _round_done(self, state: Any) -> None:
        """Every outstanding child has been answered; the default routes the remainder lit."""
        self._route(state)

    def _offer_key(self, offer: Offer) -> tuple[Any, ...]:
        """Ranking of lit offers, smallest first: displayed price, then larger size, then name (no fee)."""
        return (offer.price_key, -offer.size, offer.venue)

    def _lit_venues(self, state: Any) -> list[VenueInfo]:
        """Lit venues the parent may take from (those trading its symbol)."""
        return trading(self.ctx.venues, state.parent.symbol, kind=VenueKind.LIT)

    def _post_key(self, state: Any, venue: VenueInfo, *, ahead: QueueAhead) -> tuple[Any, ...]:
        """Ranking of venues to rest the remainder on: least queue ahead (:class:`QueueAhead`), then name (no fee)."""
        return (*ahead, venue.name)

    # Machinery -------------------------------------------------------------------------------------------------
    def _answered(self, state: Any, child_id: int) -> None:
        if child_id in state.outstanding:
            state.outstanding.discard(child_id)
            if not state.outstanding:
                self._round_done(state)

    def _send(
        self,
        state: Any,
        *,
        venue: str,
        qty: int,
        price: int | None,
        tif: TimeInForce,
        track: bool = True,
        **flags: Any,
    ) -> int | None:
        """Send a child for ``state``'s parent; refuses (returns ``None``) a non-positive size or a wrong venue.

        A tracked child joins ``state.outstanding``.
        """
        parent = state.parent
        info = self.ctx.venues.get(venue)
        if qty <= 0 or info is None or parent.symbol not in info.symbols:
            return None
        child = self.ctx.send(
            parent_id=parent.parent_id, venue=venue, side=parent.side, qty=qty, price=price, tif=tif, **flags
        )
        if track:
            state.outstanding.add(child)
        return child

    def _offers(self, state: Any) -> list[Offer]:
        """Lit contra quotes within the parent's limit, ranked by :meth:`_offer_key`."""
        parent = state.parent
        s = sign(parent.side)
        offers = []
        for venue in self._lit_venues(state):
            price, size = contra(self.ctx.quote(venue.name, parent.symbol), parent.side)
            if price is None or size <= 0 or not within_limit(price, limit=parent.limit_price, side=parent.side):
                continue
            take = venue.fees.take_fee_micros
            offers.append(Offer(venue.name, price, size, s * price * MICROS_PER_PRICE_UNIT + take, take))
        offers.sort(key=self._offer_key)
        return offers

    def _route(self, state: Any) -> None:
        """One round: IOCs down the ranking, split by displayed size (see the module docstring)."""
        if state.leaves <= 0 or state.outstanding or state.posted:
            return
        parent = state.parent
        if state.rounds >= self.params.max_rounds:
            if parent.order_type is OrdType.LIMIT:
                self._post(state)
            return
        state.rounds += 1
        offers = self._offers(state)
        if not offers:
            self._no_offers(state)
            return
        unallocated = state.leaves
        for offer in offers:
            qty = min(offer.size, unallocated)
            if self._send(state, venue=offer.venue, qty=qty, price=offer.price, tif=TimeInForce.IOC, iso=self.iso):
                unallocated -= qty
            if not unallocated:
                break

    def _no_offers(self, state: Any) -> None:
        """Nothing to take within the limit: a limit order posts, a market order retries later."""
        if state.parent.order_type is OrdType.LIMIT:
            self._post(state)
        else:
            self.ctx.set_timer(self.params.retry_delay_ns, state.parent.parent_id)

    def _post(self, state: Any) -> None:
        """Rest the remainder at the limit on the best venue by :meth:`_post_key` (least queue ahead)."""
        parent = state.parent
        limit = parent.limit_price
        if limit is None or state.leaves <= 0 or state.posted:
            return
        best: tuple[Any, ...] | None = None
        best_venue = ""
        for venue in self._lit_venues(state):
            key = self._post_key(state, venue, ahead=queue_ahead(self.ctx.quote(venue.name, parent.symbol),
                                                                  side=parent.side, limit=limit))
            if best is None or key < best:
                best, best_venue = key, venue.name
        if best is None:
            return
        if self._send(state, venue=best_venue, qty=state.leaves, price=limit, tif=TimeInForce.DAY, track=False):
            state.posted = True


def queue_ahead(quote: Quote, *, side: Side, limit: int) -> QueueAhead:
    """What a resting order of ``side`` at ``limit`` would have ahead of it on a venue quoting ``quote``.

    An empty near side, or one worse than the limit: nothing (the order sets a new best level). At the limit: the
    displayed size. Better than the limit: the price units between that level and the limit, and its displayed size
    (the depth of the levels in between is not visible at level 1).
    """
    price, size = near(quote, side)
    gap = sign(side) * (price - limit) if price is not None else -1
    if gap < 0:
        return QueueAhead(0, 0)
    return QueueAhead(gap, size)
