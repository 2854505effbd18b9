"""Market makers: one per (symbol, venue), quoting one level each side around the efficient price.

Market makers
    One per (symbol, venue), quoting one level on each side: bid = floor(c - h - skew), ask = ceil(c + h - skew) on
    the tick grid, with c and h the centre and half-spread :mod:`~harness.sim.background.quoting` prices from v, the
    efficient price as of the moment the maker decided (one order-entry latency before its messages reach the
    venue): h starts from ``half_spread_ticks`` (or the symbol's ``mm_half_spread_ticks``) plus a per-venue offset
    in [0, ``venue_offset_ticks``] drawn once per (symbol, venue) and responds to volatility, recent signed flow and
    time of day; skew = ``skew_ticks_per_lot`` per round lot of inventory (long inventory lowers both quotes). It
    re-quotes at Poisson times (``requotes_per_second``) and after each fill of its quotes (one response plus one
    order-entry latency later).
    Re-quoting replaces an order whose price changed or whose open size fell below ``refill_below`` of the quote
    size; unchanged quotes send nothing. Its quotes are plain limit orders, so a re-quote through a stale contra
    order on its own venue trades with it; a quote that would lock or cross another venue's protected quote *as the
    maker sees it* (its direct feed from that venue, as of its decision) is pulled back one tick from it, as the
    venues' price-sliding under Rule 610(d) would re-price it: a lock or cross of the true NBBO arises only from
    latency, and lasts until someone sees it (below). Inventory is updated at the moment of the fill (the maker
    reacts later, but its books are exact).

Event-driven re-quotes (:mod:`harness.sim.background.maker_reactions` holds the rules and the bounds)
    Besides its Poisson re-quotes, a maker re-quotes when it sees, through its delayed direct feeds, another venue's
    best bid or ask price change (``react_to_quotes``), and pulls its quote on a side that a trade on another venue
    hit at or through its price (``react_to_trades``), keeping that side out for ``fade_hold_ms``.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any

import numpy as np

from harness.sim.background.efficient_price import EfficientPrice
from harness.sim.background.maker_reactions import MakerReactions
from harness.sim.background.quoting import QuotePricer
from harness.sim.background.shared import _BATCH, _BUY, _NS, _SELL
from harness.sim.kernel import Kernel
from harness.sim.latency import Link
from harness.sim.market import Market
from venues.types import Cancelled, Fill, Reject, Side


class MarketMaker:
    """Quotes one level each side of one symbol on one venue around the efficient price (module docstring)."""

    def __init__(
        self,
        *,
        kernel: Kernel,
        market: Market,
        venue_idx: int,
        symbol: str,
        tick: int,
        round_lot: int,
        spec: Any,
        value: EfficientPrice,
        rng: np.random.Generator,
        entry: Link,
        response: Link,
        start_ns: int,
        half_spread_ticks: float | None = None,
        feeds: dict[int, Link] | None = None,
        volatility_annual: float = 0.0,
    ) -> None:
        """``feeds[w]`` is the maker's market-data link from protected venue ``w`` (every one but its own)."""
        self.kernel = kernel
        self.market = market
        self.venue_idx = venue_idx
        self.symbol = symbol
        self.tick = tick
        self.round_lot = round_lot
        self.value = value
        self.entry = entry
        self.response = response
        self.owner = market.register_owner(self)
        self.book = market.book(venue_idx, symbol)
        self.size = spec.quote_size_lots * round_lot
        self.refill_qty = spec.refill_below * self.size
        self.skew_per_share = spec.skew_ticks_per_lot * tick / round_lot
        half = spec.half_spread_ticks if half_spread_ticks is None else half_spread_ticks
        self.half_spread = (half + rng.uniform(0.0, spec.venue_offset_ticks)) * tick
        self.pricer = QuotePricer(spec=spec, tick=tick, round_lot=round_lot, base_half=self.half_spread, value=value,
                                  volatility_annual=volatility_annual, start_ns=start_ns)
        self.mean_gap_ns = _NS / spec.requotes_per_second
        self.rng = rng
        self.inventory = 0
        self.bid_id = 0
        self.ask_id = 0
        self._refill_pending = False
        self._gaps: list[float] = []
        self._gi = 0
        self.feeds = feeds if feeds is not None else {}
        self.pulled = False
        """Whether its last re-quote was pulled back from another venue's quote (Rule 610(d), as it saw it)."""
        self._feed_pairs = [(market.history[w][symbol], link) for w, link in self.feeds.items()]
        self.reactions = MakerReactions(self, spec) if self.feeds else None
        kernel.at(start_ns + int(rng.uniform(0, 1_000_000)), self._requote, True)

    def _next_gap(self) -> int:
        if self._gi >= len(self._gaps):
            self._gaps = self.rng.exponential(self.mean_gap_ns, size=_BATCH).tolist()
            self._gi = 0
        g = self._gaps[self._gi]
        self._gi += 1
        return int(g) + 1

    def _requote(self, periodic: bool) -> None:
        now = self.kernel.env._now
        if not periodic:
            self._refill_pending = False
        centre, half = self.pricer.quote(now, self.value.at(now - self.entry.delay()))
        v = centre - self.inventory * self.skew_per_share
        tick = self.tick
        bid = math.floor((v - half) / tick) * tick
        ask = math.ceil((v + half) / tick) * tick
        if ask <= bid:
            ask = bid + tick
        bid, ask = self._slide(now, bid, ask)
        if bid <= 0:
            bid = tick
            ask = max(ask, 2 * tick)
        held = self.reactions.held(now) if self.reactions is not None else 0
        if not held & 1:
            self.bid_id = self._place(self.bid_id, _BUY, bid)
        if not held & 2:
            self.ask_id = self._place(self.ask_id, _SELL, ask)
        if periodic:
            self.kernel.at(now + self._next_gap(), self._requote, True)

    def _slide(self, now: int, bid: int, ask: int) -> tuple[int, int]:
        """Rule 610(d) as the maker sees the market: pull a quote back one tick from a protected quote it would lock.

        The other venues' quotes are its direct feeds' as of its decision; ``pulled`` says whether one was pulled
        back. Stale quotes on its own venue are traded against instead.
        """
        if not self.feeds:
            o_bid, _, o_ask, _ = self.market.nbbo_excluding(self.symbol, self.venue_idx)
        else:  # its direct feeds from the other venues, as of its decision (one order-entry latency ago)
            decided = now - self.entry.delay()
            o_bid = o_ask = None
            for h, link in self._feed_pairs:  # QuoteHistory.top_at, inline: only the prices are needed
                i = bisect_right(h.ts, link.view_time(decided)) - 1
                if i >= 0:
                    b, _, a, _ = h.tops[i]
                    if b is not None and (o_bid is None or b > o_bid):
                        o_bid = b
                    if a is not None and (o_ask is None or a < o_ask):
                        o_ask = a
        pulled = False
        if o_ask is not None and bid >= o_ask:
            bid = o_ask - self.tick
            pulled = True
        if o_bid is not None and ask <= o_bid:
            ask = o_bid + self.tick
            pulled = True
        self.pulled = pulled
        return bid, ask

    def _place(self, order_id: int, side: Side, price: int) -> int:
        book = self.book
        open_qty = book.open_qty(order_id) if order_id else 0
        market = self.market
        if not open_qty:
            order_id = market.next_order_id()
            market.submit(self.venue_idx, self.symbol, order_id, self.owner, side, self.size, price)
        elif book.order_price(order_id) != price or open_qty < self.refill_qty:
            market.replace(self.venue_idx, self.symbol, order_id, self.owner, self.size, price)
        return order_id

    def fade(self, taker_side: Side) -> None:
        """Pull the quote that takers on ``taker_side`` are hitting (the ask when buyers are lifting offers).

        The next scheduled re-quote puts it back, around the value then.
        """
        order_id = self.ask_id if taker_side is _BUY else self.bid_id
        if order_id and order_id in self.book:
            self.market.cancel(self.venue_idx, self.symbol, order_id, self.owner)

    # Owner callbacks (at the venue, synchronous)
    def on_exec(self, venue_idx: int, symbol: str, fill: Fill, is_maker: bool) -> None:
        """Book the inventory change; after a fill of a resting quote, re-quote with latency."""
        buy = (fill.taker_side is _BUY) != is_maker
        self.inventory += fill.qty if buy else -fill.qty
        if is_maker and not self._refill_pending:
            self._refill_pending = True
            now = self.kernel.env._now
            self.kernel.at(now + self.response.delay() + self.entry.delay(), self._requote, False)

    def on_cancelled(self, venue_idx: int, symbol: str, event: Cancelled) -> None:
        """Nothing to do: the next re-quote sees the order gone."""

    def on_reject(self, venue_idx: int, symbol: str, event: Reject) -> None:
        """Nothing to do: the next re-quote places a new order."""
