"""The latent efficient price of each symbol, and the intraday activity curve that scales its variance and every rate.

Efficient price
    Geometric random walk on a fixed grid (``price_grid_ms``): log-returns Normal(0, sigma * sqrt(dt)) with sigma
    the annualised volatility over 252 days of 6.5 hours, plus compound-Poisson jumps (``jumps_per_hour``, sizes
    Normal(0, ``jump_sd_bps``)). Held piecewise constant between grid points. Nobody trades on it directly in this
    version; market makers quote around it, so quotes follow it.
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
