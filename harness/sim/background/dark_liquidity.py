"""Contra liquidity in dark pools: institutions resting midpoint orders and, in a toxic pool, fast traders."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from harness.sim.background.efficient_price import ActivityCurve
from harness.sim.background.shared import _BATCH, _BUY, _IOC, _NS, _SELL
from harness.sim.kernel import Kernel
from harness.sim.market import Market
from venues.types import Cancelled, Fill, Reject


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
