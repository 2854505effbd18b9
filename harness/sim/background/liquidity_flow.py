"""Zero-intelligence liquidity flow: limit, cancel and market orders per (symbol, venue), the background's hot path.

Liquidity flow
    Per (symbol, venue), limit and market orders arrive as Poisson processes with rates ``limit_per_second`` and
    ``market_per_second`` times the symbol's ``activity``, the venue's ``limit_share`` / ``market_share`` (both
    default to its ``flow_share``; inverted venues attract fewer makers and more takers) and the intraday curve. A
    limit order joins its side Geometric(``depth_geometric_p``) - 1 ticks behind the best price of the NBBO on that
    side as it was ``view_lag_us`` ago (these traders are slow: they price from a consolidated view; 0 gives the
    true NBBO now), or, with ``improve_prob``, one tick inside an NBBO spread wider than w(t) ticks; with that side
    empty, one tick behind the contra best. w(t) is 1 tick through the day and wider after the open: the nearest
    whole number of ticks to the market makers' open widening 1 + ``open_spread_boost`` *
    exp(-(t - 09:30) / ``open_spread_decay_minutes``) (:func:`harness.sim.background.quoting.open_widening`), so that
    early-morning limit flow does not undercut the makers' wider quotes back to one tick. A price that would lock or
    cross that NBBO slides to one tick away from it, as exchanges' price-sliding does for displayed orders under Reg
    NMS Rule 610(d), and (with a lag) one that would trade with its own venue's contra best slides one tick behind it
    (the order is meant to rest): so a limit order can lock or cross another venue's quote that changed within the
    lag, never its own venue's. Each limit
    order is cancelled by its owner after an exponential lifetime (``mean_lifetime_s``) unless it has traded away.
    Market order sides persist with probability ``sign_persistence`` (trade signs are positively autocorrelated).
    Market orders are routed (:mod:`harness.sim.background.routing`): the venue's stream only counts their rate,
    and a share of them are retail orders sent to a wholesaler first.
    Sizes are whole round lots (Geometric(``lots_geometric_p``) lots) with probability ``round_lot_share``, else
    lognormal with median ``odd_median_shares`` and log-sd ``odd_sigma``, capped at ``max_shares``.

Implementation (speed; the output does not depend on it)
    Candidates are drawn ``_BATCH`` at a time from the stream, in a fixed order whatever each turns out to be (common
    random numbers). :meth:`LiquidityFlow._refill` turns a batch into absolute times, applies the thinning test there
    (thinned candidates never reach the kernel) and precomputes each kept event's kind, depth in price units and
    size; the arrival only reads the NBBO and prices the order. Each limit order's expiry is one call the kernel
    keeps in its timer wheel.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Any

import numpy as np

from harness.sim.background.efficient_price import ActivityCurve
from harness.sim.background.routing import TakerRouter
from harness.sim.background.shared import _BATCH, _BUY, _IOC, _NS, _SELL
from harness.sim.kernel import Kernel
from harness.sim.market import Market
from venues.types import Side

_EMPTY_TOP = (None, 0, None, 0)


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
        self.view_lag_ns = round(spec.view_lag_us * 1_000)
        self.nbbo_history = market.nbbo[symbol]
        self.last_market_side = _BUY
        # Thinning thresholds u(t) / peak on the activity curve's one-second grid.
        self._thin = np.array([u / activity.peak for u in activity.values], dtype=np.float64)
        self._t0 = activity.start_ns
        # Candidates after the curve's last second (past the session's end) are never drawn.
        self._horizon_ns = activity.start_ns + len(activity.values) * _NS
        self._push = kernel.push
        self._book_orders = self.book._orders
        self._rows: list[tuple[Any, ...]] = []
        self._i = 0
        self._next_ns = start_ns  # time of the next candidate event to draw (before its gap)
        self._first = True
        self._arrival_fn = self._arrival
        self._expire_fn = self._expire
        self._submit = market.submit
        # Per second of the grid: the spread (price units) above which a limit order improves the NBBO.
        gaps = improve_gap_ticks or [1] * len(self._thin)
        self._gap = [tick * k for k in gaps] + [tick * gaps[-1]] * (len(self._thin) - len(gaps))
        self._gap_last = len(self._gap) - 1
        if self.active:
            self._schedule_next()

    def _refill(self) -> None:
        """Draw the next batch of candidate events; every one takes the same draws whatever it turns out to be (CRN).

        Candidate ``k`` of the stream arrives ``gap[k - 1]`` after candidate ``k - 1`` (the first one ``gap[0]``
        after the start) and uses row ``k``'s other draws (row 0's are drawn and unused). Thinned candidates are
        dropped here (the same test the arrival made: ``keep > u(t) / peak`` on the one-second grid), so only
        events that happen reach the kernel; prices, sides and sizes are precomputed for the kept ones.
        """
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
        qty = np.where(
            whole_lots,
            np.minimum(lots * self.round_lot, spec.max_shares),
            np.clip(odd, 1, spec.max_shares).astype(np.int64),
        )
        # times: row k at next + gap[0] + ... + gap[k - 1]; the first candidate of the whole stream is row 1.
        times = self._next_ns + np.concatenate(([0], np.cumsum(gaps[:-1])))
        self._next_ns = int(times[-1] + gaps[-1])
        kept = keep <= self._thin[np.clip((times - self._t0) // _NS, 0, len(self._thin) - 1)]
        if self._first:
            kept[0] = False
            self._first = False
        # kind: 0 limit buy, 1 limit sell, 2 market
        kind = np.where(is_limit, (u_side >= 0.5).astype(np.int64), 2)
        self._rows = list(
            zip(
                times[kept].tolist(),
                kind[kept].tolist(),
                (depth[kept] * self.tick).tolist(),
                improve[kept].tolist(),
                qty[kept].tolist(),
                life[kept].tolist(),
                u_side[kept].tolist(),
                u_route[kept].tolist(),
                u_retail[kept].tolist(),
                strict=True,
            )
        )
        self._i = 0

    def _schedule_next(self) -> None:
        """Put the next kept event on the kernel's queue (drawing batches until one has it, up to the horizon)."""
        while self._i >= len(self._rows):
            if self._next_ns >= self._horizon_ns:
                return
            self._refill()
        self._push(self._rows[self._i][0], self._arrival_fn, None)

    def _arrival(self, _: object) -> None:
        i = self._i
        self._i = i + 1
        _t, kind, depth_px, improve, qty, life, u_side, u_route, u_retail = self._rows[i]
        if kind != 2:
            lag = self.view_lag_ns
            if lag:  # the NBBO in force lag ago (QuoteHistory.top_at, inline on the hot path)
                hist = self.nbbo_history
                j = bisect_right(hist.ts, _t - lag) - 1
                bid, _, ask, _ = hist.tops[j] if j >= 0 else _EMPTY_TOP
            else:
                bid, _, ask, _ = self.market._nbbo_last[self.symbol]
            g = (_t - self._t0) // _NS
            wide = self._gap[g if 0 <= g < self._gap_last else (0 if g < 0 else self._gap_last)]
            tick = self.tick
            price: int | None
            if kind == 0:
                side = _BUY
                if bid is not None:
                    price = bid - depth_px
                    if improve and ask is not None and ask - bid > wide:
                        price = bid + tick
                elif ask is not None:
                    price = ask - tick - depth_px
                else:
                    price = None
                if price is not None and ask is not None and price >= ask:
                    price = ask - tick  # never lock or cross the NBBO (Reg NMS Rule 610(d))
            else:
                side = _SELL
                if ask is not None:
                    price = ask + depth_px
                    if improve and bid is not None and ask - bid > wide:
                        price = ask - tick
                elif bid is not None:
                    price = bid + tick + depth_px
                else:
                    price = None
                if price is not None and bid is not None and price <= bid:
                    price = bid + tick
            if price is not None and lag:  # its own venue's book it sees live: a resting order, never marketable
                own = self.book._top  # (best_bid, _, best_ask, _), without the properties' calls
                if side is _BUY:
                    if own[2] is not None and price >= own[2]:
                        price = own[2] - tick
                elif own[0] is not None and price <= own[0]:
                    price = own[0] + tick
            if price is not None and price > 0:
                market = self.market
                order_id = market._next_order_id
                market._next_order_id = order_id + 1
                self._submit(self.venue_idx, self.symbol, order_id, self.owner, side, qty, price)
                self._push(_t + life, self._expire_fn, order_id)
        else:
            p = self.spec.sign_persistence
            # Keep the previous side with probability p, else a fair coin from the rest of the same uniform.
            side = self.last_market_side if u_side < p else (_BUY if (u_side - p) / (1.0 - p) < 0.5 else _SELL)
            self.last_market_side = side
            self._take(side, qty, u_route, u_retail)
        rows = self._rows
        if i + 1 < len(rows):  # the next event is in this batch (inlined _schedule_next)
            self._push(rows[i + 1][0], self._arrival_fn, None)
        else:
            self._schedule_next()

    def _expire(self, order_id: int) -> None:
        if order_id in self._book_orders:
            self.market.cancel(self.venue_idx, self.symbol, order_id, self.owner)

    def _take(self, side: Side, qty: int, u_route: float, u_retail: float) -> None:
        """A market order: to a wholesaler first if it is retail flow sent there, else routed over the lit venues."""
        market, symbol, router = self.market, self.symbol, self.router
        if u_retail < self.retail_p:
            venue = router.wholesalers[
                min(int(u_retail / self.retail_p * len(router.wholesalers)), len(router.wholesalers) - 1)
            ]
            printed = len(market.tape)
            market.submit_full(venue, symbol, market.next_order_id(), self.owner, side, qty, None, tif=_IOC)
            if len(market.tape) > printed:
                return  # filled whole; a declined order goes on to the lit venues
        tops = market._tops
        views = [tops[vi][symbol] for vi in router.venues]
        for vi, q, price, iso in router.plan(side, qty, u_route, views=views):
            market.submit_full(vi, symbol, market.next_order_id(), self.owner, side, q, price, tif=_IOC, iso=iso)
