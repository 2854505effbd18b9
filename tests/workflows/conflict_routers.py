"""Plug-in routers with a known conflict of interest (or none), for the incentive test's known-answer cases.

They are written from the router contract alone (not from ``best-price``, whose tie-breaks another change may move):

* ``test-displayed-price``: fee-blind. A marketable parent (market, or a limit at or through the far side of the SIP
  NBBO) is swept with IOC orders at the best *displayed* lit price (ties: the larger displayed size, then the venue
  name), one venue per round, up to 20 rounds; a market order that finds nothing retries after 1 ms. A limit
  parent's remainder rests as a DAY order at its limit on the lit venue first by name. Fees, rebates and PFOF are
  never read.
* ``test-rebate-tilt``: the same, except that each resting remainder is split in two: half (rounded down) rests on
  the lit venue paying the largest maker rebate, the rest where the fee-blind router would rest it: 50% of resting
  shares go to the top rebate payer.
* ``test-pfof-tilt``: the same, except that every fourth marketable parent (by parent id) goes whole, as one IOC at
  its limit, to the wholesaler paying the most PFOF (its shares that the wholesaler declines or does not fill are
  swept lit): 25% of marketable orders go to the top PFOF payer.
* ``test-improvement-diverter``: a conditional conflict. Every marketable parent goes whole, as one IOC at its limit,
  to a wholesaler chosen on the router's own running record of each wholesaler's price improvement in the symbol:
  the mean, over its last ``window`` (5) fills *there* in that symbol, of the improvement per share against the far
  side of the SIP NBBO the router saw when it sent the child (the router learns about a wholesaler only from the
  orders it sends there). A wholesaler without a fill on record in the symbol yet is tried first (the first such by
  name: fee-blind exploration).
  Otherwise it goes to the wholesaler whose record is best (ties: name), *unless* the wholesaler paying the most
  PFOF has a record within ``margin_units`` (5 price units, $0.0005 = 0.05 cents) per share of the best: then it
  goes to that payer. Declined or unfilled shares are swept lit as the fee-blind router sweeps. The conflict is
  only ever a near-tie broken by the broker's money, so how often it acts depends on how far apart the
  wholesalers' improvements are in the scenario.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import ClassVar

from adapters.contract import ChildCancelled, ChildFill, ChildReject, ParentOrder, Router
from adapters.reference.common import contra, is_marketable, sign, trading, within_limit
from venues.types import OrdType, TimeInForce
from venues.venue import VenueInfo, VenueKind

MAX_ROUNDS = 20
RETRY_NS = 1_000_000


@dataclass(slots=True)
class _State:
    parent: ParentOrder
    leaves: int
    rounds: int = 0
    outstanding: set[int] = field(default_factory=set)
    posted: bool = False


class DisplayedPriceRouter(Router):
    """Fee-blind best displayed price (see the module docstring)."""

    name = "test-displayed-price"
    description = "Test router: IOCs at the best displayed lit price, remainders rest on the first lit venue by name."

    def on_start(self, ctx) -> None:  # type: ignore[no-untyped-def]
        """Reset the per-parent state."""
        super().on_start(ctx)
        self._parents: dict[int, _State] = {}

    def on_parent(self, parent: ParentOrder) -> None:
        """Route a new parent."""
        if parent.qty <= 0:
            return
        state = _State(parent, parent.qty)
        self._parents[parent.parent_id] = state
        self._first(state)

    def _first(self, state: _State) -> None:
        self._route(state)

    def on_fill(self, fill: ChildFill) -> None:
        """Book the fill; re-route when the child is done."""
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
        """A refused child counts as answered."""
        state = self._parents.get(reject.parent_id)
        if state is not None:
            self._answered(state, reject.child_id)

    def on_timer(self, token: object) -> None:
        """Retry a market order that found nothing."""
        if isinstance(token, int) and token in self._parents:
            self._route(self._parents[token])

    def _answered(self, state: _State, child_id: int) -> None:
        state.outstanding.discard(child_id)
        if not state.outstanding and not state.posted and state.leaves > 0:
            self._route(state)

    def _send(self, state: _State, venue: str, *, price: int | None, tif: TimeInForce) -> None:
        p = state.parent
        child = self.ctx.send(parent_id=p.parent_id, venue=venue, side=p.side, qty=state.leaves, price=price, tif=tif)
        state.outstanding.add(child)

    def _route(self, state: _State) -> None:
        p = state.parent
        if state.leaves <= 0 or state.posted:
            return
        state.rounds += 1
        lit = trading(self.ctx.venues, p.symbol, kind=VenueKind.LIT)
        offers = []
        for v in lit:
            price, size = contra(self.ctx.quote(v.name, p.symbol), p.side)
            if price is not None and size > 0 and within_limit(price, limit=p.limit_price, side=p.side):
                offers.append((sign(p.side) * price, -size, v.name, price, size))
        if offers and state.rounds <= MAX_ROUNDS:
            _, _, venue, price, size = min(offers)
            child = self.ctx.send(parent_id=p.parent_id, venue=venue, side=p.side, qty=min(size, state.leaves),
                                  price=price, tif=TimeInForce.IOC)
            state.outstanding.add(child)
            return
        if p.order_type is OrdType.LIMIT and p.limit_price is not None and lit:
            state.posted = True
            self._post(state, lit)
        elif state.rounds <= MAX_ROUNDS:
            self.ctx.set_timer(RETRY_NS, p.parent_id)

    def _post(self, state: _State, lit: list[VenueInfo]) -> None:
        """Rest the remainder, fee-blind: on the first lit venue by name."""
        self._send(state, min(v.name for v in lit), price=state.parent.limit_price, tif=TimeInForce.DAY)


class RebateTiltRouter(DisplayedPriceRouter):
    """Half of every resting remainder goes to the top maker-rebate payer."""

    name = "test-rebate-tilt"
    description = "Test router: 50% of resting shares to the lit venue paying the largest maker rebate."

    def _post(self, state: _State, lit: list[VenueInfo]) -> None:
        p = state.parent
        top = min(lit, key=lambda v: (v.fees.make_fee_micros, v.name)).name
        half = state.leaves // 2
        for venue, qty in ((top, half), (min(v.name for v in lit), state.leaves - half)):
            if qty > 0:
                state.outstanding.add(self.ctx.send(parent_id=p.parent_id, venue=venue, side=p.side, qty=qty,
                                                    price=p.limit_price, tif=TimeInForce.DAY))


class PfofTiltRouter(DisplayedPriceRouter):
    """Every fourth marketable parent goes whole to the wholesaler paying the most PFOF."""

    name = "test-pfof-tilt"
    description = "Test router: 25% of marketable orders to the wholesaler paying the most PFOF."
    share: ClassVar[int] = 4

    def _first(self, state: _State) -> None:
        p = state.parent
        wholesalers = trading(self.ctx.venues, p.symbol, kind=VenueKind.WHOLESALER)
        if (p.parent_id % self.share == 0 and wholesalers and is_marketable(p, self.ctx.nbbo(p.symbol))):
            top = max(wholesalers, key=lambda v: (v.fees.pfof_micros, v.name))
            self._send(state, top.name, price=p.limit_price, tif=TimeInForce.IOC)
            return
        self._route(state)


class ImprovementDiverter(DisplayedPriceRouter):
    """Marketable parents to the wholesaler with the best recent improvement, unless the top PFOF payer is close."""

    name = "test-improvement-diverter"
    description = ("Test router: marketable orders to the wholesaler with the best recent price improvement, to the "
                   "top PFOF payer when its recent improvement is within $0.0005 per share of the best.")
    window: ClassVar[int] = 5
    """Fills per wholesaler in its running record."""
    margin_units: ClassVar[int] = 5
    """$0.0005 per share in price units ($0.0001): the near-tie the broker's money breaks."""

    def on_start(self, ctx) -> None:  # type: ignore[no-untyped-def]
        """Reset the records and the diversion counts."""
        super().on_start(ctx)
        self.records: dict[tuple[str, str], deque[float]] = {}
        """Per wholesaler and symbol: improvement per share (price units) of its last ``window`` fills."""
        self._far_at_send: dict[int, int] = {}
        """Per wholesaler child: the far side of the SIP NBBO when it was sent (what its fill is measured against)."""
        self.choices: list[tuple[str, bool]] = []
        """Per marketable parent sent to a wholesaler: the wholesaler and whether the choice was a diversion."""

    def _first(self, state: _State) -> None:
        p = state.parent
        wholesalers = trading(self.ctx.venues, p.symbol, kind=VenueKind.WHOLESALER)
        nbbo = self.ctx.nbbo(p.symbol)
        far, _ = contra(nbbo, p.side)
        if not wholesalers or far is None or not is_marketable(p, nbbo):
            self._route(state)
            return
        venue, diverted = self.choose(p.symbol, wholesalers)
        self.choices.append((venue, diverted))
        child = self.ctx.send(parent_id=p.parent_id, venue=venue, side=p.side, qty=state.leaves,
                              price=p.limit_price, tif=TimeInForce.IOC)
        state.outstanding.add(child)
        self._far_at_send[child] = far

    def choose(self, symbol: str, wholesalers: list[VenueInfo]) -> tuple[str, bool]:
        """The wholesaler for a marketable parent in ``symbol``; whether it is the payer chosen over a better one."""
        untried = sorted(v.name for v in wholesalers if not self.records.get((v.name, symbol)))
        if untried:
            return untried[0], False
        mean = {v.name: sum(rec) / len(rec) for v in wholesalers if (rec := self.records[(v.name, symbol)])}
        best = min(mean, key=lambda n: (-mean[n], n))
        payer = max(wholesalers, key=lambda v: (v.fees.pfof_micros, v.name)).name
        if payer != best and mean[payer] >= mean[best] - self.margin_units:
            return payer, True
        return best, False

    def on_fill(self, fill: ChildFill) -> None:
        """Add a wholesaler fill's improvement per share to that wholesaler's record, then book it."""
        far = self._far_at_send.get(fill.child_id)
        if far is not None:
            self.records.setdefault((fill.venue, fill.symbol), deque(maxlen=self.window)).append(
                float(sign(fill.side) * (far - fill.price)))
        super().on_fill(fill)


ROUTERS = (DisplayedPriceRouter, RebateTiltRouter, PfofTiltRouter, ImprovementDiverter)
