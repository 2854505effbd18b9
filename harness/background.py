"""The background market: a latent efficient price per symbol, market makers, and zero-intelligence liquidity flow.

Models (every parameter is in the scenario's ``[background]`` table; see docs/market-model.md)
-----------------------------------------------------------------------------------------------
Efficient price
    Geometric random walk on a fixed grid (``price_grid_ms``): log-returns Normal(0, sigma * sqrt(dt)) with sigma
    the annualised volatility over 252 days of 6.5 hours, plus compound-Poisson jumps (``jumps_per_hour``, sizes
    Normal(0, ``jump_sd_bps``)). Held piecewise constant between grid points. Nobody trades on it directly in this
    version; market makers quote around it, so quotes follow it.
Market makers
    One per (symbol, venue), quoting one level on each side: bid = floor(v - h - skew), ask = ceil(v + h - skew) on
    the tick grid, with v the efficient price as of the moment the maker decided (one order-entry latency before its
    messages reach the venue), h = ``half_spread_ticks`` (or the symbol's ``mm_half_spread_ticks``) plus a per-venue
    offset in [0, ``venue_offset_ticks``] drawn once per (symbol, venue), and skew = ``skew_ticks_per_lot`` per
    round lot of inventory (long inventory lowers both quotes). It re-quotes at Poisson times
    (``requotes_per_second``) and after each fill of its quotes (one response plus one order-entry latency later).
    Re-quoting replaces an order whose price changed or whose open size fell below ``refill_below`` of the quote
    size; unchanged quotes send nothing. Its quotes are plain limit orders, so a re-quote through a stale contra
    order on its own venue trades with it; a quote that would lock or cross another venue's protected quote is
    pulled back one tick from it. Inventory is updated at the moment of the fill (the maker reacts later, but its
    books are exact).
Liquidity flow
    Per (symbol, venue), limit and market orders arrive as Poisson processes with rates ``limit_per_second`` and
    ``market_per_second`` times the symbol's ``activity`` and the venue's ``flow_share``. A limit order joins its
    side Geometric(``depth_geometric_p``) - 1 ticks behind the best price of the (true, undelayed) NBBO on that side
    (or, with ``improve_prob``, one tick inside an NBBO spread wider than one tick); with that side empty, one tick
    behind the contra best. A price that would lock or cross the NBBO slides to one tick away from it, as exchanges'
    price-sliding does for displayed orders under Reg NMS Rule 610(d). Each limit order
    is cancelled by its owner after an exponential lifetime (``mean_lifetime_s``) unless it has traded away. Market
    order sides persist with probability ``sign_persistence`` (trade signs are positively autocorrelated). Sizes are
    whole round lots (Geometric(``lots_geometric_p``) lots) with probability ``round_lot_share``, else lognormal
    with median ``odd_median_shares`` and log-sd ``odd_sigma``, capped at ``max_shares``.

Common random numbers
    Every event draws the same fixed set of numbers from its component's stream whatever the book looks like, so the
    streams stay aligned across routers: two routers face the same arrivals, sides, sizes and lifetimes, differing
    only where their own orders changed the books.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from simpy.events import NORMAL

from harness.kernel import Kernel, _Call
from harness.latency import Link
from harness.market import Market
from venues.types import Cancelled, Fill, Reject, Side, TimeInForce

_BUY = Side.BUY
_SELL = Side.SELL
_IOC = TimeInForce.IOC
_SECONDS_PER_YEAR = 252 * 6.5 * 3600
_NS = 1_000_000_000
_BATCH = 256


class EfficientPrice:
    """The latent efficient price of one symbol over the window, in price units (float)."""

    def __init__(
        self,
        *,
        start_ns: int,
        end_ns: int,
        grid_ns: int,
        price: float,
        volatility_annual: float,
        jumps_per_hour: float,
        jump_sd_bps: float,
        rng: np.random.Generator,
    ) -> None:
        self.start_ns = start_ns
        self.grid_ns = grid_ns
        n = (end_ns - start_ns) // grid_ns + 2
        dt_s = grid_ns / _NS
        sigma = volatility_annual * math.sqrt(dt_s / _SECONDS_PER_YEAR)
        steps = rng.standard_normal(n) * sigma
        counts = rng.poisson(jumps_per_hour * dt_s / 3600.0, size=n)
        jumps = rng.standard_normal(n) * (jump_sd_bps / 1e4) * np.sqrt(counts)
        steps[0] = 0.0
        jumps[0] = 0.0
        self.path: list[float] = (price * np.exp(np.cumsum(steps + jumps))).tolist()
        self._last = len(self.path) - 1

    def at(self, t_ns: int) -> float:
        """Efficient price in force at ``t_ns``."""
        i = (t_ns - self.start_ns) // self.grid_ns
        if i < 0:
            return self.path[0]
        return self.path[i if i < self._last else self._last]


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
    ) -> None:
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
        self.mean_gap_ns = _NS / spec.requotes_per_second
        self.rng = rng
        self.inventory = 0
        self.bid_id = 0
        self.ask_id = 0
        self._refill_pending = False
        self._gaps: list[float] = []
        self._gi = 0
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
        v = self.value.at(now - self.entry.delay()) - self.inventory * self.skew_per_share
        tick = self.tick
        bid = math.floor((v - self.half_spread) / tick) * tick
        ask = math.ceil((v + self.half_spread) / tick) * tick
        if ask <= bid:
            ask = bid + tick
        # Do not lock or cross another venue's protected quote (Reg NMS Rule 610(d)); stale quotes on the maker's
        # own venue are traded against instead.
        o_bid, _, o_ask, _ = self.market.nbbo_excluding(self.symbol, self.venue_idx)
        if o_ask is not None and bid >= o_ask:
            bid = o_ask - tick
        if o_bid is not None and ask <= o_bid:
            ask = o_bid + tick
        if bid <= 0:
            bid = tick
            ask = max(ask, 2 * tick)
        self.bid_id = self._place(self.bid_id, _BUY, bid)
        self.ask_id = self._place(self.ask_id, _SELL, ask)
        if periodic:
            self.kernel.at(now + self._next_gap(), self._requote, True)

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


class LiquidityFlow:
    """Zero-intelligence limit, cancel and market flow for one symbol on one venue (module docstring)."""

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
        rate_scale: float,
        rng: np.random.Generator,
        start_ns: int,
    ) -> None:
        self.kernel = kernel
        self.market = market
        self.venue_idx = venue_idx
        self.symbol = symbol
        self.tick = tick
        self.round_lot = round_lot
        self.spec = spec
        self.rng = rng
        self.owner = market.register_owner(None)
        self.book = market.book(venue_idx, symbol)
        limit_rate = spec.limit_per_second * rate_scale
        market_rate = spec.market_per_second * rate_scale
        total = limit_rate + market_rate
        self.active = total > 0
        self.p_limit = limit_rate / total if total > 0 else 0.0
        self.mean_gap_ns = _NS / total if total > 0 else 0.0
        self.mean_life_ns = spec.mean_lifetime_s * _NS
        self.last_market_side = _BUY
        self._i = _BATCH
        if self.active:
            self._refill()
            kernel.at(start_ns + self._batch[0][0], self._arrival)
            self._i = 1

    def _refill(self) -> None:
        """Draw the next batch of events; every event takes the same draws whatever it turns out to be (CRN)."""
        rng, spec, n = self.rng, self.spec, _BATCH
        gaps = rng.exponential(self.mean_gap_ns, size=n).astype(np.int64) + 1
        is_limit = rng.random(n) < self.p_limit
        u_side = rng.random(n)
        depth = rng.geometric(spec.depth_geometric_p, size=n) - 1
        improve = rng.random(n) < spec.improve_prob
        whole_lots = rng.random(n) < spec.round_lot_share
        lots = rng.geometric(spec.lots_geometric_p, size=n)
        odd = np.exp(math.log(spec.odd_median_shares) + spec.odd_sigma * rng.standard_normal(n))
        life = rng.exponential(self.mean_life_ns, size=n).astype(np.int64) + 1
        qty = np.where(whole_lots, np.minimum(lots * self.round_lot, spec.max_shares),
                       np.clip(odd, 1, spec.max_shares).astype(np.int64))
        self._batch = list(zip(
            gaps.tolist(), is_limit.tolist(), u_side.tolist(), depth.tolist(), improve.tolist(), qty.tolist(),
            life.tolist(), strict=True,
        ))
        self._i = 0

    def _arrival(self, _: object) -> None:
        i = self._i
        if i >= _BATCH:
            self._refill()
            i = 0
        self._i = i + 1
        gap, is_limit, u_side, depth, improve, qty, life = self._batch[i]
        kernel = self.kernel
        market = self.market
        if is_limit:
            bid, _, ask, _ = market._nbbo_last[self.symbol]
            tick = self.tick
            price: int | None
            if u_side < 0.5:
                side = _BUY
                if bid is not None:
                    price = bid - depth * tick
                    if improve and ask is not None and ask - bid > tick:
                        price = bid + tick
                elif ask is not None:
                    price = ask - (1 + depth) * tick
                else:
                    price = None
                if price is not None and ask is not None and price >= ask:
                    price = ask - tick  # never lock or cross the NBBO (Reg NMS Rule 610(d))
            else:
                side = _SELL
                if ask is not None:
                    price = ask + depth * tick
                    if improve and bid is not None and ask - bid > tick:
                        price = ask - tick
                elif bid is not None:
                    price = bid + (1 + depth) * tick
                else:
                    price = None
                if price is not None and bid is not None and price <= bid:
                    price = bid + tick
            if price is not None and price > 0:
                order_id = market._next_order_id
                market._next_order_id = order_id + 1
                market.submit(self.venue_idx, self.symbol, order_id, self.owner, side, qty, price)
                kernel.scheduled += 1
                kernel._schedule(_Call(self._expire, order_id), NORMAL, life)
        else:
            p = self.spec.sign_persistence
            # Keep the previous side with probability p, else a fair coin from the rest of the same uniform.
            side = self.last_market_side if u_side < p else (_BUY if (u_side - p) / (1.0 - p) < 0.5 else _SELL)
            self.last_market_side = side
            market.submit(self.venue_idx, self.symbol, market.next_order_id(), self.owner, side, qty, None, _IOC)
        kernel.scheduled += 1
        kernel._schedule(_Call(self._arrival, None), NORMAL, gap)

    def _expire(self, order_id: int) -> None:
        if order_id in self.book:
            self.market.cancel(self.venue_idx, self.symbol, order_id, self.owner)
