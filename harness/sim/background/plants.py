"""Standing liquidity from the scenario's ``[[plants]]``: orders at fixed prices, re-placed whole after each fill.

Each plant (:class:`harness.scenario.plants.PlantSpec`) is placed at the start of the window or ``start_ms`` later
(in scenario order, so order ids are deterministic; a cycling plant again every ``every_ms``, cancelled ``life_ms``
after each placing) through the venue's full entry path (:meth:`harness.sim.market.Market.submit_full`: a
lit venue applies its order-protection and lock/cross rules to it as to any order). After a fill, ``refresh_ms``
later, what is left of it is cancelled and the plant is placed again at its full size, so every parent order of a
controlled experiment meets the same book. No randomness: plants draw nothing.
"""

from __future__ import annotations

from typing import Any

from harness.sim.background.shared import _BUY, _SELL
from harness.sim.kernel import Kernel
from harness.sim.market import Market
from venues.types import PRICE_SCALE, Cancelled, Fill, Reject
from venues.venue_info import VenueKind


class StandingLiquidity:
    """Every plant of a scenario, under one owner id (module docstring)."""

    def __init__(self, *, kernel: Kernel, market: Market, plants: list[Any], venue_index: dict[str, int],
                 start_ns: int) -> None:
        self.kernel = kernel
        self.market = market
        self.plants = plants
        self.venue_index = venue_index
        self.owner = market.register_owner(self)
        self.live: dict[int, int] = {}
        """Order id to plant index of the orders now placed."""
        self._due: set[int] = set()
        self.expiry: list[int | None] = [None] * len(plants)
        """Per plant, when its current placing's life ends (None: it lives on)."""
        self.fills: list[tuple[int, int, int, int]] = []
        """(ts_ns, plant index, qty, price in price units) of every fill of a plant."""
        for i, p in enumerate(plants):  # in scenario order, so order ids are deterministic
            kernel.at(start_ns + round(p.start_ms * 1_000_000), self._cycle, i)

    def _cycle(self, i: int) -> None:
        """Place plant ``i`` (afresh, cancelling a live one) and schedule its end of life and its next cycle."""
        p = self.plants[i]
        now = self.kernel.env._now
        self._withdraw(i)
        if p.life_ms is not None:
            end = now + round(p.life_ms * 1_000_000)
            self.expiry[i] = end
            self.kernel.at(end, self._end_of_life, i)
        self._place(i)
        if p.every_ms is not None:
            self.kernel.at(now + round(p.every_ms * 1_000_000), self._cycle, i)

    def _end_of_life(self, i: int) -> None:
        if self.expiry[i] is not None and self.expiry[i] <= self.kernel.env._now:
            self._withdraw(i)

    def _withdraw(self, i: int) -> None:
        """Cancel plant ``i``'s live order, if any."""
        p = self.plants[i]
        vi = self.venue_index[p.venue]
        for order_id in [o for o, j in self.live.items() if j == i]:
            del self.live[order_id]
            if self.market.is_open(vi, p.symbol, order_id):
                self.market.cancel(vi, p.symbol, order_id, self.owner)

    def _place(self, i: int) -> None:
        p = self.plants[i]
        market = self.market
        order_id = market.next_order_id()
        self.live[order_id] = i
        price = None if p.price_usd is None else round(p.price_usd * PRICE_SCALE)
        vi = self.venue_index[p.venue]
        side = _BUY if p.side == "buy" else _SELL
        if p.display == "midpoint":  # a dark pool's midpoint order, or a lit venue's midpoint peg
            market.submit_full(vi, p.symbol, order_id, self.owner, side, p.qty, None,
                               midpoint_peg=market.venues[vi].info.kind is VenueKind.LIT)
        else:
            market.submit_full(vi, p.symbol, order_id, self.owner, side, p.qty, price,
                               display_qty=0 if p.display == "hidden" else None)

    def _refresh(self, arg: tuple[int, int]) -> None:
        order_id, i = arg
        self._due.discard(i)
        if order_id not in self.live:
            return  # withdrawn (end of life, a new cycle) since the fill
        end = self.expiry[i]
        p = self.plants[i]
        vi = self.venue_index[p.venue]
        del self.live[order_id]
        if self.market.is_open(vi, p.symbol, order_id):
            self.market.cancel(vi, p.symbol, order_id, self.owner)
        if end is None or self.kernel.env._now < end:
            self._place(i)

    # Owner callbacks
    def on_exec(self, venue_idx: int, symbol: str, fill: Fill, is_maker: bool) -> None:
        """Record the fill and re-place the plant ``refresh_ms`` later (once per plant at a time)."""
        order_id = fill.maker_order_id if is_maker else fill.taker_order_id
        i = self.live.get(order_id)
        if i is None:
            return
        self.fills.append((fill.ts_ns, i, fill.qty, fill.price))
        if i not in self._due:
            self._due.add(i)
            delay = round(self.plants[i].refresh_ms * 1_000_000)
            self.kernel.at(self.kernel.env._now + delay, self._refresh, (order_id, i))

    def on_cancelled(self, venue_idx: int, symbol: str, event: Cancelled) -> None:
        """A refresh's cancel: nothing to do."""

    def on_reject(self, venue_idx: int, symbol: str, event: Reject) -> None:
        """A plant the venue refused (an outage, a halt, a lock): it is not retried."""
        self.live.pop(event.order_id, None)
