"""The latent efficient price of each symbol, and the intraday activity curve that scales its variance and every rate.

Efficient price
    Geometric random walk on a fixed grid (``price_grid_ms``): log-returns Normal(0, sigma * sqrt(dt)) with sigma
    the annualised volatility over 252 days of 6.5 hours, plus compound-Poisson jumps (``jumps_per_hour``, sizes
    Normal(0, ``jump_sd_bps``)). Held piecewise constant between grid points. This *exogenous* part is drawn up
    front from the symbol's own stream, so it is identical for every router of a seed (common random numbers).
Permanent impact (``[background.impact]``)
    On top of the exogenous path the price responds to signed order flow: every execution (any venue, any
    participant, the router's included) moves the log-price in the aggressor's direction by a square-root amount of
    its order's size, ``(sqrt(Q + q) - sqrt(Q)) / sqrt(round_lot)`` times ``permanent_bps`` (kept) plus
    ``transient_bps`` (decaying exponentially with ``transient_decay_s``), where ``Q`` is what the same aggressive
    order had already executed: an order's impact is ``bps * sqrt(its size in lots)`` however many fills it takes,
    concave in size. v(t) = exogenous(t) * exp(impact(t)); the impact is a deterministic function of the flow, so
    two routers' markets differ only through their own orders and what those orders caused. A read at a time before
    the last execution (a participant's view one latency ago) gets the impact just before that execution. The same
    object keeps the recent signed flow (shares, exponentially weighted over ``flow_decay_s``) the market makers read.
Intraday activity
    The U-shaped curve of ``[background.intraday]``; the efficient price's variance and every background flow's
    rate follow it.
"""

from __future__ import annotations

import math

import numpy as np

from harness.sim.background.shared import _NS

_SECONDS_PER_YEAR = 252 * 6.5 * 3600


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


class Impact:
    """Parameters of the flow-driven part of one symbol's efficient price (module docstring), in natural units."""

    __slots__ = ("flow_tau_ns", "perm", "tau_ns", "trans")

    def __init__(self, *, permanent_bps: float, transient_bps: float, transient_decay_s: float, flow_decay_s: float,
                 round_lot: int, scale: float = 1.0) -> None:
        per_share = scale * 1e-4 / math.sqrt(round_lot)  # bps per sqrt(lot) -> log-price per sqrt(share)
        self.perm = permanent_bps * per_share
        self.trans = transient_bps * per_share
        self.tau_ns = transient_decay_s * _NS
        self.flow_tau_ns = flow_decay_s * _NS


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
        impact: Impact | None = None,
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
        """The exogenous path (grid values), the same for every router of a seed."""
        self._last = len(self.path) - 1
        self.impact = impact
        self._perm = 0.0  # permanent log impact so far
        self._trans = 0.0  # transient log impact as of _t_ns
        self._before = 0.0  # total log impact just before the last execution
        self._t_ns = start_ns  # time of the last execution
        self._order_id = 0  # the last execution's aggressive order and the shares it had executed
        self._order_qty = 0
        self._flow = 0.0  # signed shares, exponentially weighted, as of _t_ns

    def exogenous_at(self, t_ns: int) -> float:
        """The exogenous part of the price at ``t_ns`` (no impact): what the parent flow is generated from."""
        i = (t_ns - self.start_ns) // self.grid_ns
        if i < 0:
            return self.path[0]
        return self.path[i if i < self._last else self._last]

    def at(self, t_ns: int) -> float:
        """Efficient price in force at ``t_ns``: the exogenous path times the flow's impact (module docstring)."""
        i = (t_ns - self.start_ns) // self.grid_ns
        base = self.path[0] if i < 0 else self.path[i if i < self._last else self._last]
        imp = self.impact
        if imp is None:
            return base
        dt = t_ns - self._t_ns
        if dt < 0:
            return base * math.exp(self._before)
        if self._trans == 0.0:
            return base * math.exp(self._perm)
        return base * math.exp(self._perm + self._trans * math.exp(-dt / imp.tau_ns))

    def signed_flow(self, t_ns: int) -> float:
        """Recent signed aggressive volume (shares, buys positive), exponentially weighted over ``flow_decay_s``."""
        imp = self.impact
        if imp is None or t_ns <= self._t_ns:
            return self._flow
        return self._flow * math.exp(-(t_ns - self._t_ns) / imp.flow_tau_ns)

    def on_execution(self, ts_ns: int, order_id: int, sign: int, qty: int) -> None:
        """An execution of ``qty`` shares by aggressive order ``order_id`` (``sign`` +1 buy, -1 sell); O(1)."""
        imp = self.impact
        if imp is None:
            return
        if order_id == self._order_id:
            done = self._order_qty
            step = math.sqrt(done + qty) - math.sqrt(done)
            self._order_qty = done + qty
        else:
            self._order_id, self._order_qty = order_id, qty
            step = math.sqrt(qty)
        dt = ts_ns - self._t_ns
        if dt > 0:
            self._trans *= math.exp(-dt / imp.tau_ns)
            self._flow *= math.exp(-dt / imp.flow_tau_ns)
            self._t_ns = ts_ns
            self._before = self._perm + self._trans  # executions at one instant share the "before"
        self._perm += sign * step * imp.perm
        self._trans += sign * step * imp.trans
        self._flow += sign * qty
