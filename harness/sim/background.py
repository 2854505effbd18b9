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
    ``market_per_second`` times the symbol's ``activity``, the venue's ``limit_share`` / ``market_share`` (both
    default to its ``flow_share``; inverted venues attract fewer makers and more takers) and the intraday curve. A
    limit order joins its side Geometric(``depth_geometric_p``) - 1 ticks behind the best price of the (true,
    undelayed) NBBO on that side (or, with ``improve_prob``, one tick inside an NBBO spread wider than one tick);
    with that side empty, one tick behind the contra best. A price that would lock or cross the NBBO slides to one
    tick away from it, as exchanges' price-sliding does for displayed orders under Reg NMS Rule 610(d). Each limit
    order is cancelled by its owner after an exponential lifetime (``mean_lifetime_s``) unless it has traded away.
    Market order sides persist with probability ``sign_persistence`` (trade signs are positively autocorrelated).
    Sizes are whole round lots (Geometric(``lots_geometric_p``) lots) with probability ``round_lot_share``, else
    lognormal with median ``odd_median_shares`` and log-sd ``odd_sigma``, capped at ``max_shares``.

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

from harness.sim.kernel import Kernel, _Call
from harness.sim.latency import Link
from harness.sim.market import Market
from venues.types import Cancelled, Fill, Reject, Side, TimeInForce

_BUY = Side.BUY
_SELL = Side.SELL
_IOC = TimeInForce.IOC
_SECONDS_PER_YEAR = 252 * 6.5 * 3600
_NS = 1_000_000_000
_BATCH = 256


_OPEN_NS = (9 * 3600 + 30 * 60) * _NS
_CLOSE_NS = 16 * 3600 * _NS


class ActivityCurve:
    """Intraday activity u(t): 1 + a * exp(-(t - open) / tau) + b * exp(-(close - t) / tau), mean 1 over the day.

    Held on a one-second grid over the simulated window; ``peak`` is its largest value there (for thinning).
    """

    def __init__(self, *, start_ns: int, end_ns: int, open_boost: float, close_boost: float, decay_minutes: float):
        self._tau_s = decay_minutes * 60.0
        self._open_boost = open_boost
        self._close_boost = close_boost
        day = (_CLOSE_NS - _OPEN_NS) / _NS
        # Mean of exp(-x / tau) over [0, day] is tau / day * (1 - exp(-day / tau)); both boosts share it.
        self._norm = 1.0 + (open_boost + close_boost) * self._tau_s / day * (1.0 - math.exp(-day / self._tau_s))
        self.start_ns = start_ns
        grid = self.evaluate(np.arange(start_ns, end_ns + _NS, _NS, dtype=np.int64))
        self.values: list[float] = grid.tolist()
        self.peak = float(grid.max())
        self._last = len(self.values) - 1

    def evaluate(self, times_ns: np.ndarray) -> np.ndarray:
        """U at each time (exact, vectorised)."""
        t = times_ns.astype(np.float64)
        since_open = (t - _OPEN_NS) / _NS
        to_close = (_CLOSE_NS - t) / _NS
        raw = 1.0 + self._open_boost * np.exp(-since_open / self._tau_s) + self._close_boost * np.exp(
            -to_close / self._tau_s
        )
        return raw / self._norm

    def at(self, t_ns: int) -> float:
        """U at ``t_ns`` (one-second resolution: the hot path reads the grid)."""
        i = (t_ns - self.start_ns) // _NS
        if i <= 0:
            return self.values[0]
        return self.values[i if i < self._last else self._last]


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
        activity: ActivityCurve | None = None,
    ) -> None:
        self.start_ns = start_ns
        self.grid_ns = grid_ns
        n = (end_ns - start_ns) // grid_ns + 2
        dt_s = grid_ns / _NS
        sigma = volatility_annual * math.sqrt(dt_s / _SECONDS_PER_YEAR)
        steps = rng.standard_normal(n) * sigma
        if activity is not None:  # variance follows activity: sigma_t = sigma * sqrt(u(t))
            steps *= np.sqrt(activity.evaluate(start_ns + np.arange(n, dtype=np.int64) * grid_ns))
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
        limit_scale: float,
        market_scale: float,
        rng: np.random.Generator,
        start_ns: int,
        activity: ActivityCurve,
    ) -> None:
        self.kernel = kernel
        self.activity = activity
        self.market = market
        self.venue_idx = venue_idx
        self.symbol = symbol
        self.tick = tick
        self.round_lot = round_lot
        self.spec = spec
        self.rng = rng
        self.owner = market.register_owner(None)
        self.book = market.book(venue_idx, symbol)
        limit_rate = spec.limit_per_second * limit_scale
        market_rate = spec.market_per_second * market_scale
        base_rate = limit_rate + market_rate
        # Candidate events arrive at the peak rate; each is kept with probability u(t) / peak (thinning).
        total = base_rate * activity.peak
        self.active = total > 0
        self.p_limit = limit_rate / base_rate if base_rate > 0 else 0.0
        self.mean_gap_ns = _NS / total if total > 0 else 0.0
        self.mean_life_ns = spec.mean_lifetime_s * _NS
        self.last_market_side = _BUY
        # Thinning thresholds u(t) / peak on the activity curve's one-second grid (read inline on the hot path).
        self._thin = [u / activity.peak for u in activity.values]
        self._thin_last = len(self._thin) - 1
        self._t0 = activity.start_ns
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
        keep = rng.random(n)
        qty = np.where(whole_lots, np.minimum(lots * self.round_lot, spec.max_shares),
                       np.clip(odd, 1, spec.max_shares).astype(np.int64))
        self._batch = list(zip(
            gaps.tolist(), is_limit.tolist(), u_side.tolist(), depth.tolist(), improve.tolist(), qty.tolist(),
            life.tolist(), keep.tolist(), strict=True,
        ))
        self._i = 0

    def _arrival(self, _: object) -> None:
        i = self._i
        if i >= _BATCH:
            self._refill()
            i = 0
        self._i = i + 1
        gap, is_limit, u_side, depth, improve, qty, life, keep = self._batch[i]
        kernel = self.kernel
        market = self.market
        g = (kernel.env._now - self._t0) // 1_000_000_000
        if keep > self._thin[g if 0 <= g < self._thin_last else (0 if g < 0 else self._thin_last)]:
            pass  # thinned away: this candidate event does not happen (same test as ActivityCurve.at)
        elif is_limit:
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


class InformedTrader:
    """Takes liquidity when the latent efficient price is beyond the far side of the NBBO (one per symbol).

    Candidate arrivals are Poisson at ``arrivals_per_second`` (scaled by intraday activity through thinning). At an
    arrival at time t it compares the efficient price v(t) with the true NBBO: if v >= ask + ``threshold_ticks``
    ticks it buys with an IOC at the ask on the lit venue showing it (the lowest take fee on ties), at most
    ``max_lots`` round lots and the displayed size there; symmetrically for sells. Its orders appear at the venue at
    the arrival time (its information and speed are part of the model, not of its latency links). This is what makes
    resting orders adversely selected and markouts informative.
    """

    def __init__(
        self,
        *,
        kernel: Kernel,
        market: Market,
        symbol: str,
        venue_idxs: list[int],
        tick: int,
        round_lot: int,
        spec: Any,
        value: EfficientPrice,
        activity: ActivityCurve,
        rng: np.random.Generator,
        start_ns: int,
        bumps: list[int] | None = None,
    ) -> None:
        self.kernel = kernel
        self.market = market
        self.symbol = symbol
        self.venue_idxs = venue_idxs
        self.bumps = bumps or []
        self.tick = tick
        self.max_qty = spec.max_lots * round_lot
        self.threshold = spec.threshold_ticks * tick
        self.value = value
        self.activity = activity
        self.rng = rng
        self.owner = market.register_owner(None)
        rate = spec.arrivals_per_second * activity.peak
        self.mean_gap_ns = _NS / rate if rate > 0 else 0.0
        self._batch: list[tuple[int, float]] = []
        self._i = 0
        if rate > 0:
            kernel.at(start_ns + self._next()[0], self._arrival)

    def _next(self) -> tuple[int, float]:
        if self._i >= len(self._batch):
            gaps = self.rng.exponential(self.mean_gap_ns, size=_BATCH).astype(np.int64) + 1
            self._batch = list(zip(gaps.tolist(), self.rng.random(_BATCH).tolist(), strict=True))
            self._i = 0
        item = self._batch[self._i]
        self._i += 1
        return item

    def _arrival(self, _: object) -> None:
        now = self.kernel.env._now
        gap, keep = self._next()
        if keep * self.activity.peak <= self.activity.at(now):
            v = self.value.at(now)
            market = self.market
            bid, _, ask, _ = market.nbbo_now(self.symbol)
            if ask is not None and v >= ask + self.threshold:
                self._take(_BUY, ask)
            elif bid is not None and v <= bid - self.threshold:
                self._take(_SELL, bid)
        self.kernel.at(now + gap, self._arrival)

    def _take(self, side: Side, price: int) -> None:
        """IOC at ``price`` on the first lit venue showing it on the contra side."""
        market = self.market
        for vi in self.venue_idxs:
            bid, bid_size, ask, ask_size = market.top(vi, self.symbol)
            shown, size = (ask, ask_size) if side is _BUY else (bid, bid_size)
            if shown == price and size > 0:
                qty = min(size, self.max_qty)
                order = (vi, market.next_order_id(), side, qty, price)
                bump = self.bumps[vi] if self.bumps else 0
                if bump:  # a speed-bumped venue sees it later, when the quote may have moved
                    self.kernel.at(self.kernel.env._now + bump, self._send, order)
                else:
                    self._send(order)
                return

    def _send(self, order: tuple[int, int, Side, int, int]) -> None:
        vi, order_id, side, qty, price = order
        self.market.submit(vi, self.symbol, order_id, self.owner, side, qty, price, _IOC)


class FastTrader:
    """Latency arbitrage: after a trade on one venue, race to the other venues and take or fade the same quotes.

    When a qualifying trade prints on venue V (a trade by the router under test, or any trade with ``react_to =
    "all"``, of at least ``min_trade_shares``), the fast trader learns of it after its market-data latency from V.
    With probability ``take_prob`` it then sends, to every other lit venue W trading the symbol, an IOC in the same
    direction at the traded price, for the size displayed there at that price or better (at most ``max_lots``
    round lots), arriving after its order-entry latency to W. Otherwise the market makers on the other venues fade:
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
        for w in self.lit_venues[symbol]:
            if w == venue_idx:
                continue
            if take:
                arg = (w, symbol, fill.taker_side, fill.price)
                self.kernel.at(seen + self.order_entry[w].delay(), self._take, arg)
            else:
                maker = self.makers.get((w, symbol))
                if maker is not None:
                    self.kernel.at(seen + maker.entry.delay(), self._fade, (maker, fill.taker_side))

    def _take(self, arg: tuple[int, str, Side, int]) -> None:
        w, symbol, side, price = arg
        market = self.market
        bid, bid_size, ask, ask_size = market.top(w, symbol)
        cap = self.spec.max_lots * self.round_lots[symbol]
        if side is _BUY and ask is not None and ask <= price and ask_size > 0:
            market.submit(w, symbol, market.next_order_id(), self.owner, side, min(ask_size, cap), ask, _IOC)
        elif side is _SELL and bid is not None and bid >= price and bid_size > 0:
            market.submit(w, symbol, market.next_order_id(), self.owner, side, min(bid_size, cap), bid, _IOC)

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


class DarkLiquidity:
    """Contra liquidity in one dark pool for one symbol: institutions and, in a toxic pool, fast traders.

    Institutions (``spec.arrivals_per_second`` times the symbol's activity, thinned by the intraday curve) send DAY
    midpoint orders on a random side, sized in round lots (lognormal around ``median_shares``), cancelled after an
    exponential lifetime unless they trade. Every arrival takes the same draws whatever happens (common random
    numbers). Toxic flow: on every change of the true NBBO, with probability ``toxicity`` (its own stream), a fast
    trader looks ``toxic_latency_us`` later: if the true midpoint is at least ``toxic_threshold_ticks`` ticks from
    the midpoint the pool prices at (the NBBO as of ``reference_latency_us`` ago) and there is resting contra
    interest on the profitable side, it takes it with an IOC midpoint order (at most ``max_shares``).
    """

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
        scale: float,
        rng: np.random.Generator,
        toxic_rng: np.random.Generator,
        start_ns: int,
        activity: ActivityCurve,
        venue_min_qty: int = 0,
    ) -> None:
        self.kernel = kernel
        self.market = market
        self.venue_idx = venue_idx
        self.symbol = symbol
        self.round_lot = round_lot
        self.spec = spec
        self.rng = rng
        self.toxic_rng = toxic_rng
        self.activity = activity
        self.threshold = spec.toxic_threshold_ticks * tick
        self.reference_ns = round(spec.reference_latency_us * 1000)
        self.toxic_ns = round(spec.toxic_latency_us * 1000)
        self.min_qty = venue_min_qty
        self.owner = market.register_owner(self)
        self.toxic_owner = market.register_owner(self)
        self.fills: list[tuple[int, int, int, int, bool]] = []
        """(ts_ns, side value, qty, price in price units, toxic) of every fill of these participants."""
        rate = spec.arrivals_per_second * scale * activity.peak
        self.mean_gap_ns = _NS / rate if rate > 0 else 0.0
        self._batch: list[tuple[int, float, float, int, int]] = []
        self._i = 0
        self._coins: list[float] = []
        if rate > 0:
            kernel.at(start_ns + self._next()[0], self._arrival)
        if spec.toxicity > 0:
            market.watch_nbbo(symbol, self._nbbo_changed)

    def _next(self) -> tuple[int, float, float, int, int]:
        if self._i >= len(self._batch):
            rng, spec, n = self.rng, self.spec, _BATCH
            gaps = rng.exponential(self.mean_gap_ns, size=n).astype(np.int64) + 1
            keep = rng.random(n)
            side = rng.random(n)
            shares = np.exp(math.log(spec.median_shares) + spec.size_sigma * rng.standard_normal(n))
            lots = np.maximum(1, np.rint(np.minimum(shares, spec.max_shares) / self.round_lot)).astype(np.int64)
            qty = np.maximum(lots * self.round_lot, self.min_qty)
            life = rng.exponential(spec.mean_lifetime_s * _NS, size=n).astype(np.int64) + 1
            self._batch = list(zip(gaps.tolist(), keep.tolist(), side.tolist(), qty.tolist(), life.tolist(),
                                   strict=True))
            self._i = 0
        item = self._batch[self._i]
        self._i += 1
        return item

    def _arrival(self, _: object) -> None:
        now = self.kernel.env._now
        gap, keep, u_side, qty, life = self._next()
        if keep * self.activity.peak <= self.activity.at(now):
            market = self.market
            order_id = market.next_order_id()
            market.submit_full(self.venue_idx, self.symbol, order_id, self.owner, _BUY if u_side < 0.5 else _SELL,
                               qty, None)
            self.kernel.at(now + life, self._expire, order_id)
        self.kernel.at(now + gap, self._arrival)

    def _expire(self, order_id: int) -> None:
        if self.market.is_open(self.venue_idx, self.symbol, order_id):
            self.market.cancel(self.venue_idx, self.symbol, order_id, self.owner)

    def _nbbo_changed(self) -> None:
        if not self._coins:
            self._coins = self.toxic_rng.random(_BATCH).tolist()
        if self._coins.pop() < self.spec.toxicity:
            self.kernel.at(self.kernel.env._now + self.toxic_ns, self._pick_off)

    def _pick_off(self, _: object) -> None:
        market = self.market
        now = self.kernel.env._now
        bid, _, ask, _ = market.nbbo_now(self.symbol)
        rbid, _, rask, _ = market.nbbo_as_of(self.symbol, now - self.reference_ns)
        if bid is None or ask is None or rbid is None or rask is None or bid >= ask or rbid >= rask:
            return
        gap = (bid + ask - rbid - rask) / 2
        if abs(gap) < self.threshold or gap == 0:
            return
        side = _BUY if gap > 0 else _SELL
        resting = market.venues[self.venue_idx].books[self.symbol].resting_qty(side.opposite)  # type: ignore[union-attr]
        if resting > 0:
            market.submit_full(self.venue_idx, self.symbol, market.next_order_id(), self.toxic_owner, side,
                               min(resting, self.spec.max_shares), None, tif=_IOC)

    # Owner callbacks
    def on_exec(self, venue_idx: int, symbol: str, fill: Fill, is_maker: bool) -> None:
        """Record the fill (the pool's markouts by participant type come from these)."""
        owner = fill.maker_owner if is_maker else fill.taker_owner
        buy = (fill.taker_side is _BUY) != is_maker
        self.fills.append((fill.ts_ns, 1 if buy else -1, fill.qty, fill.price, owner == self.toxic_owner))

    def on_cancelled(self, venue_idx: int, symbol: str, event: Cancelled) -> None:
        """IOC remainders and expiries: nothing to do."""

    def on_reject(self, venue_idx: int, symbol: str, event: Reject) -> None:
        """Nothing to do (a halt, an outage)."""
