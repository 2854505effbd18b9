"""Zero-intelligence liquidity flow: limit, cancel and market orders per (symbol, venue), the background's hot path.

Liquidity flow
    Per (symbol, venue), limit and market orders arrive as Poisson processes with rates ``limit_per_second`` and
    ``market_per_second`` times the symbol's ``activity``, the venue's ``limit_share`` / ``market_share`` (both
    default to its ``flow_share``; inverted venues attract fewer makers and more takers) and the intraday curve. A
    limit order joins its side Geometric(``depth_geometric_p``) - 1 ticks behind the best price of the (true,
    undelayed) NBBO on that side (or, with ``improve_prob``, one tick inside an NBBO spread wider than w(t) ticks);
    with that side empty, one tick behind the contra best. w(t) is 1 tick through the day and wider after the open:
    the nearest whole number of ticks to the market makers' open widening 1 + ``open_spread_boost`` *
    exp(-(t - 09:30) / ``open_spread_decay_minutes``) (:func:`harness.sim.background.quoting.open_widening`), so that
    early-morning limit flow does not undercut the makers' wider quotes back to one tick. A price that would lock or
    cross the NBBO slides to one tick away from it, as exchanges' price-sliding does for displayed orders under Reg
    NMS Rule 610(d). Each limit
    order is cancelled by its owner after an exponential lifetime (``mean_lifetime_s``) unless it has traded away.
    Market order sides persist with probability ``sign_persistence`` (trade signs are positively autocorrelated).
    Market orders are routed (:mod:`harness.sim.background.routing`): the venue's stream only counts their rate,
    and a share of them are retail orders sent to a wholesaler first.
    Sizes are whole round lots (Geometric(``lots_geometric_p``) lots) with probability ``round_lot_share``, else
    lognormal with median ``odd_median_shares`` and log-sd ``odd_sigma``, capped at ``max_shares``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from simpy.events import NORMAL

from harness.sim.background.efficient_price import ActivityCurve
from harness.sim.background.routing import TakerRouter
from harness.sim.background.shared import _BATCH, _BUY, _IOC, _NS, _SELL
from harness.sim.kernel import Kernel, _Call
from harness.sim.market import Market
from venues.types import Side


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
        router: TakerRouter,
        retail_wholesaler_p: float = 0.0,
        improve_gap_ticks: list[int] | None = None,
    ) -> None:
        self.kernel = kernel
        self.router = router
        self.retail_p = retail_wholesaler_p if router.wholesalers else 0.0
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
        # Per second of the grid: the spread (price units) above which a limit order improves the NBBO.
        gaps = improve_gap_ticks or [1] * len(self._thin)
        self._gap = [tick * k for k in gaps] + [tick * gaps[-1]] * (len(self._thin) - len(gaps))
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
        u_route = rng.random(n)
        u_retail = rng.random(n)
        qty = np.where(whole_lots, np.minimum(lots * self.round_lot, spec.max_shares),
                       np.clip(odd, 1, spec.max_shares).astype(np.int64))
        self._batch = list(zip(
            gaps.tolist(), is_limit.tolist(), u_side.tolist(), depth.tolist(), improve.tolist(), qty.tolist(),
            life.tolist(), keep.tolist(), u_route.tolist(), u_retail.tolist(), strict=True,
        ))
        self._i = 0

    def _arrival(self, _: object) -> None:
        i = self._i
        if i >= _BATCH:
            self._refill()
            i = 0
        self._i = i + 1
        gap, is_limit, u_side, depth, improve, qty, life, keep, u_route, u_retail = self._batch[i]
        kernel = self.kernel
        market = self.market
        g = (kernel.env._now - self._t0) // 1_000_000_000
        g = g if 0 <= g < self._thin_last else (0 if g < 0 else self._thin_last)
        if keep > self._thin[g]:
            pass  # thinned away: this candidate event does not happen (same test as ActivityCurve.at)
        elif is_limit:
            bid, _, ask, _ = market._nbbo_last[self.symbol]
            tick = self.tick
            price: int | None
            if u_side < 0.5:
                side = _BUY
                if bid is not None:
                    price = bid - depth * tick
                    if improve and ask is not None and ask - bid > self._gap[g]:
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
                    if improve and bid is not None and ask - bid > self._gap[g]:
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
            self._take(side, qty, u_route, u_retail)
        kernel.scheduled += 1
        kernel._schedule(_Call(self._arrival, None), NORMAL, gap)

    def _expire(self, order_id: int) -> None:
        if order_id in self.book:
            self.market.cancel(self.venue_idx, self.symbol, order_id, self.owner)

    def _take(self, side: Side, qty: int, u_route: float, u_retail: float) -> None:
        """A market order: to a wholesaler first if it is retail flow sent there, else routed over the lit venues."""
        market, symbol, router = self.market, self.symbol, self.router
        if u_retail < self.retail_p:
            venue = router.wholesalers[min(int(u_retail / self.retail_p * len(router.wholesalers)),
                                           len(router.wholesalers) - 1)]
            printed = len(market.tape)
            market.submit_full(venue, symbol, market.next_order_id(), self.owner, side, qty, None, tif=_IOC)
            if len(market.tape) > printed:
                return  # filled whole; a declined order goes on to the lit venues
        tops = market._tops
        views = [tops[vi][symbol] for vi in router.venues]
        for vi, q, price, iso in router.plan(side, qty, u_route, views=views):
            market.submit_full(vi, symbol, market.next_order_id(), self.owner, side, q, price, tif=_IOC, iso=iso)
