"""Informed traders: one per symbol, taking liquidity when the efficient price is beyond the far side of the NBBO."""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.sim.background.efficient_price import ActivityCurve, EfficientPrice
from harness.sim.background.routing import TakerRouter
from harness.sim.background.shared import _BATCH, _BUY, _IOC, _NS, _SELL
from harness.sim.kernel import Kernel
from harness.sim.market import Market
from venues.types import Side


class InformedTrader:
    """Takes liquidity when the latent efficient price is beyond the far side of the NBBO (one per symbol).

    Candidate arrivals are Poisson at ``arrivals_per_second`` (scaled by intraday activity through thinning). At an
    arrival at time t it compares the efficient price v(t) with the true NBBO: if v >= ask + ``threshold_ticks``
    ticks it buys at most ``max_lots`` round lots, no more than the NBBO's displayed size, with IOCs at the ask on the
    venues showing it, routed as every background taker routes (:mod:`harness.sim.background.routing`: not ISO, so
    the venues' order protection applies); symmetrically for sells. Its orders appear at the venue at the arrival
    time (its information and speed are part of the model, not of its latency links), later at a speed-bumped venue.
    This is what makes resting orders adversely selected and markouts informative. Its executions are part of the
    signed flow that moves the efficient price (:mod:`harness.sim.background.efficient_price`, permanent impact)
    and that market makers widen and skew on (:mod:`harness.sim.background.quoting`).
    """

    def __init__(
        self,
        *,
        kernel: Kernel,
        market: Market,
        symbol: str,
        router: TakerRouter,
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
        self.router = router
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
        self._batch: list[tuple[int, float, float]] = []
        self._i = 0
        if rate > 0:
            kernel.at(start_ns + self._next()[0], self._arrival)

    def _next(self) -> tuple[int, float, float]:
        if self._i >= len(self._batch):
            gaps = self.rng.exponential(self.mean_gap_ns, size=_BATCH).astype(np.int64) + 1
            keep = self.rng.random(_BATCH).tolist()
            self._batch = list(zip(gaps.tolist(), keep, self.rng.random(_BATCH).tolist(), strict=True))
            self._i = 0
        item = self._batch[self._i]
        self._i += 1
        return item

    def _arrival(self, _: object) -> None:
        now = self.kernel.env._now
        gap, keep, u_route = self._next()
        if keep * self.activity.peak <= self.activity.at(now):
            v = self.value.at(now)
            market = self.market
            bid, _, ask, _ = market.nbbo_now(self.symbol)
            if ask is not None and v >= ask + self.threshold:
                self._take(_BUY, ask, u_route)
            elif bid is not None and v <= bid - self.threshold:
                self._take(_SELL, bid, u_route)
        self.kernel.at(now + gap, self._arrival)

    def _take(self, side: Side, price: int, u_route: float) -> None:
        """IOCs at ``price`` (the NBBO) on the venues showing it, as the taker routing rule places them."""
        market, router = self.market, self.router
        tops = market._tops
        views = [tops[vi][self.symbol] for vi in router.venues]
        now = self.kernel.env._now
        for vi, qty, px, iso in router.plan(side, self.max_qty, u_route, views=views, limit=price):
            order = (vi, market.next_order_id(), side, qty, px, iso)
            bump = self.bumps[vi] if self.bumps else 0
            if bump:  # a speed-bumped venue sees it later, when the quote may have moved
                self.kernel.at(now + bump, self._send, order)
            else:
                self._send(order)

    def _send(self, order: tuple[int, int, Side, int, int, bool]) -> None:
        vi, order_id, side, qty, price, iso = order
        self.market.submit_full(vi, self.symbol, order_id, self.owner, side, qty, price, tif=_IOC, iso=iso)
