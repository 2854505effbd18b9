"""Fast traders (latency arbitrage): after a trade or a quote change on one venue they race to the others.

Trade reactions (``react_to``)
    After a print of the router under test, with probability ``take_prob``; after another participant's print
    (``react_to = "all"``) only if it cleared its venue's best level on the side hit (a price-moving print: the
    quotes left at that price elsewhere are stale), with probability ``clear_take_prob``: it sweeps the other venues'
    quotes at that price or better (:class:`FastTrader`). Otherwise the makers on the other venues fade.

Quote reactions (``quote_reactions``)
    When a protected venue V's best bid or ask price changes, the fast trader sees it one market-data latency from V
    later (at most one look per (venue, symbol) pending: changes in between are seen together). It then compares V's
    quote with the other protected venues' as its direct feeds show them. If V's bid is above another venue W's ask
    (V's ask below W's bid), the NBBO is crossed *as it sees it*: with probability ``take_prob`` it buys W's ask and
    sells to V's bid (an IOC ISO each, at the quotes' prices, for the smaller size shown, at most ``max_lots`` round
    lots): the arbitrage that removes crossed markets. A locked market (bid = ask) offers nothing to take after fees;
    it is left to the makers, who back off on seeing it, and to takers. Its orders reach each venue one order-entry
    latency later.
"""

from __future__ import annotations

from collections.abc import Callable
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
    If it races (module docstring: ``take_prob`` or ``clear_take_prob``) it then looks at every other lit venue W
    trading the symbol through its direct feed from W (its market-data latency) and, where W shows a quote at the
    traded price or better, sends W an IOC intermarket sweep order (ISO) in the same direction at the quote's price
    for the size shown (at most ``max_lots`` round lots), all at the same instant, each arriving after its
    order-entry latency to W: a sweep of every quote it sees at or better than the traded price, so not a
    trade-through (the size cap can leave part of a quote, which a strict ISO would take). Otherwise the market
    makers on the other venues fade: each pulls its quote on the side being hit, at the same moment. Either way a
    router that routes sequentially, or whose child orders reach W later than the fast trader, finds the quote it
    aimed at gone. Its fills are recorded (``fills``) so that its profit can be measured (from the router's orders
    alone with ``react_to = "router"``).
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
        self._looking: set[tuple[int, str]] = set()
        self.owner = market.register_owner(self)
        if spec.quote_reactions:
            for symbol in lit_venues:
                market.watch_tops(symbol, self._watcher(symbol))
        self.protected = {sym: [w for w in venues if w in set(market.protected_venues(sym))]
                          for sym, venues in lit_venues.items()}
        self.fills: list[tuple[int, int, str, int, int, int]] = []
        """(ts_ns, venue index, symbol, side value, qty, price) of every fill of the fast trader."""
        market.trade_watcher = self

    def on_trade(self, venue_idx: int, symbol: str, fill: Fill) -> None:
        """A trade printed on ``venue_idx`` (called by the market, synchronously)."""
        if fill.qty < self.spec.min_trade_shares or fill.taker_owner == self.owner:
            return
        u = self.rng.random()
        if fill.taker_owner in self.market.tracked_owners:
            take = u < self.spec.take_prob
        else:  # another participant's print is worth racing only when it cleared its venue's best level
            book = self.market.venues[venue_idx].books[symbol]
            left = book.best_ask if fill.taker_side is _BUY else book.best_bid
            take = (left is None or left != fill.price) and u < self.spec.clear_take_prob
        now = self.kernel.env._now
        seen = now + self.market_data[venue_idx].delay()
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

    def _watcher(self, symbol: str) -> Callable[[int], None]:
        def on_top(venue_idx: int) -> None:
            key = (venue_idx, symbol)
            if key not in self._looking:
                self._looking.add(key)
                self.kernel.at(self.kernel.env._now + self.market_data[venue_idx].delay(), self._look, key)

        return on_top

    def _look(self, key: tuple[int, str]) -> None:
        """It sees venue V's new quote: take a quote elsewhere that V's locks or crosses (module docstring)."""
        self._looking.discard(key)
        v, symbol = key
        now = self.kernel.env._now
        history = self.market.history
        seen = {w: history[w][symbol].top_at(self.market_data[w].view_time(now))[1] for w in self.protected[symbol]}
        if v not in seen:
            return
        v_bid, v_bid_size, v_ask, v_ask_size = seen[v]
        best_ask = best_bid = None
        for w, (bid, bid_size, ask, ask_size) in seen.items():
            if w == v:
                continue
            if ask is not None and ask_size > 0 and (best_ask is None or ask < best_ask[1]):
                best_ask = (w, ask, ask_size)
            if bid is not None and bid_size > 0 and (best_bid is None or bid > best_bid[1]):
                best_bid = (w, bid, bid_size)
        cap = self.spec.max_lots * self.round_lots[symbol]
        if v_bid is not None and best_ask is not None and v_bid > best_ask[1]:
            w, ask, ask_size = best_ask
            self._arbitrage(symbol, now, take=(w, _BUY, min(ask_size, cap), ask),
                            crossed=(v, _SELL, v_bid_size, v_bid) if v_bid > ask else None)
        elif v_ask is not None and best_bid is not None and v_ask < best_bid[1]:
            w, bid, bid_size = best_bid
            self._arbitrage(symbol, now, take=(w, _SELL, min(bid_size, cap), bid),
                            crossed=(v, _BUY, v_ask_size, v_ask) if v_ask < bid else None)

    def _arbitrage(self, symbol: str, now: int, *, take: tuple[int, Side, int, int],
                   crossed: tuple[int, Side, int, int] | None) -> None:
        """With ``take_prob``: take the crossed quote and the other leg for the same size."""
        if self.rng.random() >= self.spec.take_prob:
            return
        w, side, qty, price = take
        if crossed is not None:
            qty = min(qty, crossed[2])
        if qty <= 0:
            return
        self.kernel.at(now + self.order_entry[w].delay(), self._take, (w, symbol, side, qty, price))
        if crossed is not None:
            v, side_v, _, price_v = crossed
            self.kernel.at(now + self.order_entry[v].delay(), self._take, (v, symbol, side_v, qty, price_v))

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
