"""The market a scenario describes: the ``[session]`` window, ``[[symbols]]`` and ``[[venues]]`` with their fees.

Each venue composes a fee model and, by kind, a dark pool's contra liquidity or a wholesaler's fill model.
"""

from __future__ import annotations

import datetime
import math
from typing import Literal

from pydantic import Field, field_validator, model_validator

from harness.scenario.clock import SESSION_OPEN, _in_regular_session, parse_clock
from harness.scenario.strict import _NAME_RE, _FieldError, _Strict
from venues.types import PRICE_SCALE


class SessionSpec(_Strict):
    """The simulated window of the trading day, and the run's seed."""

    date: str = Field("2026-11-20", pattern=r"^\d{4}-\d{2}-\d{2}$", description="Informational trade date.")
    start: str = SESSION_OPEN
    end: str = "09:40:00"
    seed: int = Field(1, ge=0, lt=2**63)

    @field_validator("date")
    @classmethod
    def _real_date(cls, v: str) -> str:
        try:
            datetime.date.fromisoformat(v)
        except ValueError:
            raise ValueError(f"{v!r} is not a calendar date") from None
        return v

    @field_validator("start", "end")
    @classmethod
    def _in_session(cls, v: str) -> str:
        return _in_regular_session(v)

    @model_validator(mode="after")
    def _ordered(self) -> SessionSpec:
        if parse_clock(self.end) <= parse_clock(self.start):
            raise _FieldError("end", f"{self.end!r} is not after start {self.start!r}")
        return self

    @property
    def start_ns(self) -> int:
        """Window start, ns since midnight."""
        return parse_clock(self.start)

    @property
    def end_ns(self) -> int:
        """Window end, ns since midnight."""
        return parse_clock(self.end)


class SymbolSpec(_Strict):
    """A listed symbol and its latent efficient price process."""

    name: str = Field(pattern=_NAME_RE)
    price_usd: float = Field(gt=0, le=100_000, description="Efficient price at the window start.")
    tick_usd: float | None = Field(
        None, description="Tick; default $0.01 at or above $1, $0.0001 below. $0.005 allowed (half-penny names)."
    )
    round_lot: int = Field(100, gt=0)
    sp500: bool = False
    volatility_annual: float = Field(0.25, ge=0, le=5, description="Annualised volatility of the efficient price.")
    jumps_per_hour: float = Field(0.0, ge=0, le=3600)
    jump_sd_bps: float = Field(0.0, ge=0, le=5000)
    activity: float = Field(1.0, gt=0, le=100, description="Multiplier on every background flow rate.")
    mm_half_spread_ticks: float | None = Field(
        None, gt=0, le=100, description="Market makers' half-spread for this symbol (default: background's)."
    )
    impact_scale: float = Field(
        1.0, ge=0, le=100,
        description="Multiplier on background.impact's permanent and transient impact for this symbol (default 1; "
                    "thinner names move more per share).",
    )

    @field_validator("tick_usd")
    @classmethod
    def _tick(cls, v: float | None) -> float | None:
        if v is not None and not any(math.isclose(v, t, rel_tol=0, abs_tol=1e-12) for t in (0.01, 0.005, 0.0001)):
            raise ValueError(f"tick_usd {v!r} must be 0.01, 0.005 or 0.0001")
        return v

    @model_validator(mode="after")
    def _tick_fits_price(self) -> SymbolSpec:
        if self.tick_usd is not None and self.tick_usd >= 0.005 and self.price_usd < 1.0:
            raise _FieldError("tick_usd", f"{self.tick_usd} is not allowed below $1 (price_usd {self.price_usd})")
        if self.tick_usd == 0.0001 and self.price_usd >= 1.0:
            raise _FieldError("tick_usd", f"0.0001 is only for prices below $1 (price_usd {self.price_usd})")
        if self.price_usd < 10 * self.tick / PRICE_SCALE:  # quotes around it would reach zero
            raise _FieldError("price_usd", f"{self.price_usd!r} is below 10 ticks of ${self.tick / PRICE_SCALE:g}")
        return self

    @property
    def tick(self) -> int:
        """Tick in price units (1e-4 USD)."""
        usd = self.tick_usd if self.tick_usd is not None else (0.01 if self.price_usd >= 1.0 else 0.0001)
        return round(usd * 10_000)


class FeesSpec(_Strict):
    """A venue's per-share fees in USD; negative is a rebate. ``model`` must agree with the signs.

    ``pfof_usd`` is the payment for order flow per share a wholesaler pays the broker on the marketable flow it fills
    (public Rule 606 reports for S&P 500 market orders: about $0.002-0.006 per share in 2023-2024).
    """

    model: Literal["maker-taker", "inverted", "flat"]
    take_usd: float = Field(ge=-0.01, le=0.01)
    make_usd: float = Field(ge=-0.01, le=0.01)
    pfof_usd: float = Field(0.0, ge=0, le=0.01)

    @model_validator(mode="after")
    def _signs(self) -> FeesSpec:
        for name in ("take_usd", "make_usd", "pfof_usd"):
            v = getattr(self, name)
            if abs(v * 1e6 - round(v * 1e6)) > 1e-6:
                raise _FieldError(name, f"{v!r} is finer than one micro-dollar per share")
        if self.model == "maker-taker" and not (self.take_usd >= 0 >= self.make_usd):
            raise ValueError("maker-taker fees need take_usd >= 0 and make_usd <= 0 (a rebate)")
        if self.model == "inverted" and not (self.take_usd <= 0 <= self.make_usd):
            raise ValueError("inverted fees need take_usd <= 0 (a rebate) and make_usd >= 0")
        return self


class DarkPoolSpec(_Strict):
    """Contra liquidity and pricing of a dark pool (``kind = "dark"``), per symbol, before the symbol's ``activity``.

    The pool crosses at the midpoint of the NBBO *as it sees it*: the true NBBO as of ``reference_latency_us`` ago
    (pools price off a consolidated or slower direct feed). Institutions arrive as a Poisson process at
    ``arrivals_per_second`` (scaled by the intraday curve) with a random side and a size in round lots, lognormal
    around ``median_shares``; each rests a DAY midpoint order for an exponential ``mean_lifetime_s`` unless it trades.
    Toxic flow is latency arbitrage on the pool's stale midpoint: on every change of the true NBBO, with probability
    ``toxicity``, a fast trader watching direct feeds checks, ``toxic_latency_us`` later, whether the true midpoint
    is at least ``toxic_threshold_ticks`` ticks away from the pool's; if so it takes the resting midpoint orders on
    the side that profits (buys there when the true midpoint is above the pool's) with an IOC. Resting orders in a
    toxic pool are filled just when the price has moved against them.
    """

    arrivals_per_second: float = Field(0.2, ge=0, le=10_000)
    median_shares: float = Field(1500.0, gt=0, le=10_000_000)
    size_sigma: float = Field(0.8, ge=0, le=5)
    max_shares: int = Field(50_000, gt=0, le=100_000_000)
    mean_lifetime_s: float = Field(30.0, gt=0, le=86_400)
    reference_latency_us: float = Field(500.0, ge=0, le=1_000_000, description="Age of the NBBO the pool prices at.")
    toxicity: float = Field(0.0, ge=0, le=1, description="P(a fast trader acts on an NBBO change).")
    toxic_threshold_ticks: float = Field(0.5, ge=0, le=1000)
    toxic_latency_us: float = Field(5.0, ge=0, le=1_000_000)


class WholesalerSpec(_Strict):
    """How a wholesaler (``kind = "wholesaler"``) fills: price improvement and when it declines.

    The improvement of each fill is a share x of the quoted spread, x ~ Beta with mean ``improvement_mean`` and
    concentration ``improvement_concentration`` (a + b), capped at 0.5 (the midpoint). A fill at the far side less
    x * spread has effective/quoted spread 1 - 2x, so the default mean 0.27 gives E/Q around 0.46, inside the
    0.4-0.5 medians wholesalers report.
    """

    improvement_mean: float = Field(0.27, ge=0, le=0.5)
    improvement_concentration: float = Field(20.0, gt=0, le=10_000)
    max_order_shares: int | None = Field(None, gt=0, description="Larger orders are declined (DECLINED_SIZE).")
    max_spread_ticks: int | None = Field(None, gt=0, description="Declines when the NBBO is wider (fast market).")


class VenueSpec(_Strict):
    """A venue: a lit exchange, a dark pool or a wholesaler, with its fees and rules.

    Lit venues carry the background market's limit and market flow (``flow_share`` etc.) and the Reg NMS rules
    (``protection``, ``post_only``, ``lock_cross``); ``speed_bump_us`` delays every message into and out of the
    venue (an IEX-style exchange). Dark pools have a ``[venues.dark]`` table of contra liquidity; wholesalers a
    ``[venues.wholesaler]`` table. Neither has a protected quote.
    """

    name: str = Field(pattern=_NAME_RE)
    kind: Literal["lit", "dark", "wholesaler"] = "lit"
    fees: FeesSpec
    protected: bool | None = Field(None, description="Protected quote (Reg NMS); default: true for lit venues.")
    flow_share: float = Field(1.0, ge=0, le=100, description="Relative share of background liquidity flow.")
    limit_share: float | None = Field(
        None, ge=0, le=100, description="Share of background limit (maker) flow; default flow_share."
    )
    market_share: float | None = Field(
        None, ge=0, le=100,
        description="Rate of the background market orders counted here (they are routed); default flow_share.",
    )
    taker_weight: float = Field(
        1.0, ge=0, le=100,
        description="Background takers' routing weight for this venue at the NBBO (calibration, relative).",
    )
    symbols: list[str] | None = Field(None, description="Symbols traded here; default: all.")
    protection: Literal["reject", "route_out", "none"] = Field(
        "reject", description="Order protection (Rule 611) for non-ISO orders priced through a better quote."
    )
    post_only: Literal["reject", "reprice"] = "reject"
    lock_cross: Literal["reprice", "reject", "none"] = Field(
        "reprice", description="Displayed orders that would lock or cross another venue's protected quote."
    )
    route_out_latency_us: float = Field(200.0, ge=0, le=1_000_000, description="Routing-out hop to the away venue.")
    speed_bump_us: float = Field(0.0, ge=0, le=1_000_000, description="Delay on every message in and out.")
    min_qty: int = Field(0, ge=0, le=10_000_000, description="Venue-wide minimum order size (dark pools).")
    dark: DarkPoolSpec | None = None
    wholesaler: WholesalerSpec | None = None

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v.upper() == "SIP":
            raise ValueError("'SIP' is reserved for the consolidated feed")
        return v

    @model_validator(mode="after")
    def _kind_rules(self) -> VenueSpec:
        if self.kind != "lit" and self.protected:
            raise _FieldError("protected", f"a {self.kind} venue has no protected quote (got true)")
        if self.kind != "dark" and self.dark is not None:
            raise _FieldError("dark", f"only a dark venue takes a [dark] table (kind is {self.kind!r})")
        if self.kind != "wholesaler" and self.wholesaler is not None:
            raise _FieldError("wholesaler", f"only a wholesaler takes a [wholesaler] table (kind is {self.kind!r})")
        if self.kind != "wholesaler" and self.fees.pfof_usd:
            raise _FieldError("fees.pfof_usd", f"only wholesalers pay for order flow (kind is {self.kind!r})")
        if self.kind != "lit" and self.speed_bump_us:
            raise _FieldError("speed_bump_us", f"speed bumps are for lit venues (kind is {self.kind!r})")
        if self.kind == "lit" and self.min_qty:
            raise _FieldError("min_qty", "a venue-wide minimum size is for dark pools")
        return self

    @property
    def is_protected(self) -> bool:
        """Whether its quote is protected (lit venues unless set false)."""
        return self.kind == "lit" if self.protected is None else self.protected

    @property
    def dark_spec(self) -> DarkPoolSpec:
        """The dark pool's contra-liquidity model (defaults when the table is absent)."""
        return self.dark if self.dark is not None else DarkPoolSpec()

    @property
    def wholesaler_spec(self) -> WholesalerSpec:
        """The wholesaler's fill model (defaults when the table is absent)."""
        return self.wholesaler if self.wholesaler is not None else WholesalerSpec()
