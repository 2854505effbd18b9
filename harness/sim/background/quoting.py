"""How a market maker prices its quotes: a half-spread that responds to volatility, flow and time of day, and a skew.

:mod:`~harness.sim.background.market_maker` decides *when* to re-quote; this module decides *where*. At each re-quote
at time t, with v the efficient price the maker sees, the quotes are centred on

    c = v + flow_skew * F(t) - inventory_skew * inventory

and the half-spread is

    h = clamp(h0 * (sigma_hat / sigma) ** vol_elasticity * (1 + open_boost * exp(-(t - 09:30) / open_decay))
              + flow_widen * |F(t)|,  min_half_spread, max_half_spread)

h0
    The scenario's half-spread (``half_spread_ticks`` or the symbol's ``mm_half_spread_ticks``) plus the maker's
    venue offset: the calm-market half-spread at the symbol's nominal volatility, away from the open.
sigma_hat / sigma
    Volatility the maker has recently seen over the symbol's nominal volatility: sigma_hat^2 is an exponentially
    weighted quadratic variation of the log of v between the maker's re-quotes (time constant ``vol_decay_s``),
    sigma the symbol's ``volatility_annual`` per second. It starts at the nominal value, so a run has no warm-up.
    Higher variance at the open (the intraday curve) and jumps widen quotes this way.
open_boost, open_decay
    Time of day: ``open_spread_boost`` and ``open_spread_decay_minutes``; quotes are widest at 09:30 and settle to
    h0 through the morning (LOBSTER 2012-06-21: the first 30 minutes' spread is 1.7-1.9 times the day's mean).
F(t)
    The symbol's recent signed aggressive flow (shares, buys positive, exponentially weighted over
    ``background.impact.flow_decay_s``; :meth:`~harness.sim.background.efficient_price.EfficientPrice.signed_flow`).
    A maker that sees one-sided flow expects more of it (adverse selection): it widens by ``flow_widen_ticks_per_lot``
    and shifts its quotes in the flow's direction by ``flow_skew_ticks_per_lot`` per round lot of |F|.

Everything is O(1) float work per re-quote (two ``exp``, one ``log``, one ``sqrt``).
"""

from __future__ import annotations

import math
from typing import Any

from harness.sim.background.efficient_price import EfficientPrice
from harness.sim.background.shared import _NS

_SECONDS_PER_YEAR = 252 * 6.5 * 3600
_OPEN_NS = (9 * 3600 + 30 * 60) * _NS


def open_widening(t_ns: int, *, boost: float, decay_minutes: float) -> float:
    """The time-of-day factor on quoted width: 1 + ``boost`` * exp(-(t - 09:30) / decay), ``1 + boost`` before 09:30."""
    since_open = t_ns - _OPEN_NS
    return 1.0 + boost * (math.exp(-since_open / (decay_minutes * 60 * _NS)) if since_open > 0 else 1.0)


def improve_gaps(start_ns: int, end_ns: int, *, boost: float, decay_minutes: float) -> list[int]:
    """Per second of ``[start, end]``: the nearest whole number of ticks (at least 1) to :func:`open_widening`.

    Zero-intelligence limit flow improves an NBBO spread only when it is wider than this.
    """
    return [max(1, round(open_widening(t, boost=boost, decay_minutes=decay_minutes)))
            for t in range(start_ns, end_ns + _NS, _NS)]


class QuotePricer:
    """The centre and half-spread (price units) of one market maker's quotes (module docstring)."""

    __slots__ = (
        "_t_prev", "_v_prev", "_var_rate", "base", "flow_skew", "flow_widen", "max_half", "min_half", "nominal_var",
        "open_boost", "open_tau_ns", "value", "vol_elasticity", "vol_tau_ns",
    )

    def __init__(
        self, *, spec: Any, tick: int, round_lot: int, base_half: float, value: EfficientPrice,
        volatility_annual: float, start_ns: int,
    ) -> None:
        self.base = base_half
        self.value = value
        self.min_half = spec.min_half_spread_ticks * tick
        self.max_half = max(spec.max_half_spread_ticks * tick, self.min_half)
        self.open_boost = spec.open_spread_boost
        self.open_tau_ns = spec.open_spread_decay_minutes * 60 * _NS
        self.vol_elasticity = spec.vol_elasticity
        self.vol_tau_ns = spec.vol_decay_s * _NS
        self.nominal_var = volatility_annual**2 / _SECONDS_PER_YEAR  # log-variance per second
        self._var_rate = self.nominal_var
        self.flow_widen = spec.flow_widen_ticks_per_lot * tick / round_lot
        self.flow_skew = spec.flow_skew_ticks_per_lot * tick / round_lot
        self._t_prev = start_ns
        self._v_prev = 0.0

    def quote(self, now_ns: int, v: float) -> tuple[float, float]:
        """``(centre before inventory skew, half-spread)`` for a re-quote at ``now_ns`` seeing efficient price ``v``."""
        dt = now_ns - self._t_prev
        if dt > 0:
            if self._v_prev > 0.0 and v > 0.0:
                r = math.log(v / self._v_prev)
                tau = self.vol_tau_ns
                # exponentially weighted quadratic variation per second: unbiased for a random walk of that rate
                self._var_rate = self._var_rate * math.exp(-dt / tau) + r * r * (_NS / tau)
            self._t_prev = now_ns
            self._v_prev = v
        elif self._v_prev <= 0.0:
            self._v_prev = v
        half = self.base
        nominal = self.nominal_var
        if self.vol_elasticity and nominal > 0.0:
            half *= (self._var_rate / nominal) ** (0.5 * self.vol_elasticity)
        if self.open_boost:
            since_open = now_ns - _OPEN_NS
            half *= 1.0 + self.open_boost * (math.exp(-since_open / self.open_tau_ns) if since_open > 0 else 1.0)
        flow = self.value.signed_flow(now_ns)
        half += self.flow_widen * abs(flow)
        if half < self.min_half:
            half = self.min_half
        elif half > self.max_half:
            half = self.max_half
        return v + self.flow_skew * flow, half
