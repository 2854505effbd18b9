"""Fast traders (latency arbitrage): after a trade on one venue they race to the others and take or fade its quotes."""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.sim.background.market_maker import MarketMaker
from harness.sim.background.shared import _BUY, _IOC, _SELL
from harness.sim.kernel import Kernel
from harness.sim.latency import Link
from harness.sim.market import Market
from venues.types import Cancelled, Fill, Reject, Side


class FastTrader:
    """Latency arbitrage: after a trade on one venue, race to the other venues and take or fade the same quotes.

    When a qualifying trade prints on venue V (a trade by the router under test, or any trade with ``react_to =
    "all"``, of at least ``min_trade_shares``), the fast trader learns of it after its market-data latency from V.
    With probability ``take_prob`` it then looks at every other lit venue W trading the symbol through its direct
    feed from W (its market-data latency) and, where W shows a quote at the traded price or better, sends W an IOC
    intermarket sweep order (ISO) in the same direction at the quote's price for the size shown (at most
    ``max_lots`` round lots), all at the same instant, each arriving after its order-entry latency to W: a sweep of
    every quote it sees at or better than the traded price, so not a trade-through (the size cap can leave part of
    a quote, which a strict ISO would take). Otherwise the market makers on the other venues fade:
    each pulls its quote on the side being hit, at the same moment. Either way a router that routes sequentially, or
    whose child orders reach W later than the fast trader, finds the quote it aimed at gone. Its fills are recorded
    (``fills``) so that its profit from the router's orders can be measured.
    """

    def __init__(
        self,
        *,
        kernel: Kernel,
        market: Market,
        spec: Any,
        rng: np.random.Generator,
        lit_venues: dict[str, list[int]],
        round_lots: dict[str, int],
        market_data: list[Link],
        order_entry: list[Link],
        makers: dict[tuple[int, str], MarketMaker],
    ) -> None:
        self.kernel = kernel
        self.market = market
        self.spec = spec
        self.rng = rng
        self.lit_venues = lit_venues
        self.round_lots = round_lots
        self.market_data = market_data
        self.order_entry = order_entry
        self.makers = makers
        self.react_all = spec.react_to == "all"
        self.owner = market.register_owner(self)
        self.fills: list[tuple[int, int, str, int, int, int]] = []
        """(ts_ns, venue index, symbol, side value, qty, price) of every fill of the fast trader."""
        market.trade_watcher = self

    def on_trade(self, venue_idx: int, symbol: str, fill: Fill) -> None:
        """A trade printed on ``venue_idx`` (called by the market, synchronously)."""
        if fill.qty < self.spec.min_trade_shares or fill.taker_owner == self.owner:
            return
        now = self.kernel.env._now
        seen = now + self.market_data[venue_idx].delay()
        take = self.rng.random() < self.spec.take_prob
        if take:
            self.kernel.at(seen, self._sweep, (venue_idx, symbol, fill.taker_side, fill.price))
            return
        for w in self.lit_venues[symbol]:
            maker = self.makers.get((w, symbol)) if w != venue_idx else None
            if maker is not None:
                self.kernel.at(seen + maker.entry.delay(), self._fade, (maker, fill.taker_side))

    def _sweep(self, arg: tuple[int, str, Side, int]) -> None:
        """It has seen the trade: send ISOs to the other venues' quotes at or better than its price, as it sees them."""
        origin, symbol, side, price = arg
        market = self.market
        now = self.kernel.env._now
        cap = self.spec.max_lots * self.round_lots[symbol]
        for w in self.lit_venues[symbol]:
            if w == origin:
                continue
            bid, bid_size, ask, ask_size = market.history[w][symbol].top_at(self.market_data[w].view_time(now))[1]
            if side is _BUY and ask is not None and ask <= price and ask_size > 0:
                order = (w, symbol, side, min(ask_size, cap), ask)
            elif side is _SELL and bid is not None and bid >= price and bid_size > 0:
                order = (w, symbol, side, min(bid_size, cap), bid)
            else:
                continue
            self.kernel.at(now + self.order_entry[w].delay(), self._take, order)

    def _take(self, order: tuple[int, str, Side, int, int]) -> None:
        w, symbol, side, qty, price = order
        market = self.market
        market.submit_full(w, symbol, market.next_order_id(), self.owner, side, qty, price, tif=_IOC, iso=True)

    @staticmethod
    def _fade(arg: tuple[MarketMaker, Side]) -> None:
        maker, side = arg
        maker.fade(side)

    # Owner callbacks
    def on_exec(self, venue_idx: int, symbol: str, fill: Fill, is_maker: bool) -> None:
        """Record the fill."""
        buy = (fill.taker_side is _BUY) != is_maker
        self.fills.append((fill.ts_ns, venue_idx, symbol, 1 if buy else -1, fill.qty, fill.price))

    def on_cancelled(self, venue_idx: int, symbol: str, event: Cancelled) -> None:
        """IOC remainders: nothing to do."""

    def on_reject(self, venue_idx: int, symbol: str, event: Reject) -> None:
        """Nothing to do."""
