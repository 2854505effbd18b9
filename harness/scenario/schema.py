"""Scenario files: a strict, typed schema (pydantic) for TOML scenario files, and loading with one-line errors.

Every table rejects unknown keys; every value is range-checked; cross-field rules (times inside the session, unique
names, known venues in router parameters and latency links, fees within the access-fee cap, prices on the tick grid)
are checked here so that a simulation never starts on a bad scenario. A resolved scenario has a stable hash: the
sha256 of its canonical JSON (sorted keys, no whitespace).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from harness.errors import UserError

SESSION_OPEN = "09:30:00"
SESSION_CLOSE = "16:00:00"
NS_PER_SECOND = 1_000_000_000
_TIME_RE = re.compile(r"^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$")
_NAME_RE = r"^[A-Za-z][A-Za-z0-9_.\-]{0,31}$"


def parse_clock(text: str) -> int:
    """``HH:MM:SS[.fraction]`` to nanoseconds since midnight."""
    m = _TIME_RE.match(text)
    if not m:
        raise ValueError(f"{text!r} is not a time of day HH:MM:SS[.fff]")
    hh, mm, ss = int(m[1]), int(m[2]), int(m[3])
    if hh > 23 or mm > 59 or ss > 59:
        raise ValueError(f"{text!r} is not a time of day")
    frac = (m[4] or "").ljust(9, "0")
    return ((hh * 60 + mm) * 60 + ss) * NS_PER_SECOND + int(frac)


def format_clock(ts_ns: int) -> str:
    """Nanoseconds since midnight to ``HH:MM:SS.fffffffff``."""
    s, ns = divmod(ts_ns, NS_PER_SECOND)
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{ns:09d}"


class _FieldError(ValueError):
    """A cross-field check failed at a known location (relative to the model whose validator raised it)."""

    def __init__(self, loc: str, msg: str) -> None:
        super().__init__(f"{loc}: {msg}")
        self.loc = loc
        self.msg = msg


def _in_regular_session(v: str) -> str:
    """``v`` if it is a time of day inside the regular session, else a ValueError naming it."""
    t = parse_clock(v)
    if not parse_clock(SESSION_OPEN) <= t <= parse_clock(SESSION_CLOSE):
        raise ValueError(f"{v!r} is outside the regular session {SESSION_OPEN}-{SESSION_CLOSE}")
    return v


class _Strict(BaseModel):
    # strict: TOML has real types, so "150000" or true where a number belongs is a mistake, not something to coerce;
    # no inf/nan: no quantity here can be infinite, and nan slips past every range check.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False, validate_default=True)


# ---------------------------------------------------------------------------------------------------- latency models
class _LatencyBase(_Strict):
    jitter_ns: int = Field(0, ge=0, description="Uniform extra delay in [0, jitter_ns] added to each draw.")


class ConstantLatencySpec(_LatencyBase):
    """Always the same delay."""

    model: Literal["constant"]
    ns: int = Field(ge=0)


class NormalLatencySpec(_LatencyBase):
    """Normal distribution truncated below at ``min_ns`` (draws below it are redrawn)."""

    model: Literal["normal"]
    mean_ns: int = Field(ge=0)
    sd_ns: int = Field(ge=0)
    min_ns: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _reachable(self) -> NormalLatencySpec:
        if self.sd_ns == 0 and self.mean_ns < self.min_ns:
            raise _FieldError("min_ns", f"{self.min_ns} is above mean_ns {self.mean_ns} with sd_ns 0")
        if self.sd_ns > 0 and (self.min_ns - self.mean_ns) / self.sd_ns > 6:
            raise _FieldError("min_ns", f"{self.min_ns} is more than 6 sd above mean_ns {self.mean_ns}")
        return self


class LognormalLatencySpec(_LatencyBase):
    """Lognormal: ``median_ns * exp(sigma * Z)``, plus ``min_ns``."""

    model: Literal["lognormal"]
    median_ns: int = Field(gt=0)
    sigma: float = Field(ge=0, le=5)
    min_ns: int = Field(0, ge=0)


class EmpiricalLatencySpec(_LatencyBase):
    """Draws uniformly from measured samples (ns)."""

    model: Literal["empirical"]
    samples_ns: list[Annotated[int, Field(ge=0)]] = Field(min_length=1)


LatencySpec = Annotated[
    ConstantLatencySpec | NormalLatencySpec | LognormalLatencySpec | EmpiricalLatencySpec,
    Field(discriminator="model"),
]

Direction = Literal["order_entry", "response", "market_data"]
Participant = Literal["router", "market_maker", "sip", "informed", "fast_trader", "institution"]


class LatencyDefaults(_Strict):
    """Default link models per direction, used wherever no ``[[latency.links]]`` entry overrides them."""

    order_entry: LatencySpec = ConstantLatencySpec(model="constant", ns=150_000)
    response: LatencySpec = ConstantLatencySpec(model="constant", ns=150_000)
    market_data: LatencySpec = ConstantLatencySpec(model="constant", ns=150_000)


class LinkSpec(_Strict):
    """One (participant, venue, direction) link's model. ``venue = "SIP"`` is the SIP-to-participant feed."""

    participant: Participant
    venue: str
    direction: Direction
    model: LatencySpec


class LatencySection(_Strict):
    """Every link's latency. Links are per (participant, venue) and direction."""

    defaults: LatencyDefaults = LatencyDefaults()
    sip_processing: LatencySpec = ConstantLatencySpec(model="constant", ns=20_000)
    """Time the SIP takes to consolidate a quote update before publishing it."""
    links: list[LinkSpec] = []


# ----------------------------------------------------------------------------------------------- market structure
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
        None, ge=0, le=100, description="Share of background market (taker) flow; default flow_share."
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


class MarketMakerSpec(_Strict):
    """Market makers: one per (symbol, venue), quoting one level each side around the efficient price."""

    enabled: bool = True
    half_spread_ticks: float = Field(0.75, gt=0, le=100, description="Half the quoted spread around value, ticks.")
    quote_size_lots: int = Field(3, gt=0, le=1000, description="Quote size in round lots.")
    refill_below: float = Field(0.5, ge=0, le=1, description="Refill when open size falls below this share.")
    requotes_per_second: float = Field(4.0, gt=0, le=1000)
    skew_ticks_per_lot: float = Field(0.05, ge=0, le=10, description="Quote shift per round lot of inventory.")
    venue_offset_ticks: float = Field(
        0.35, ge=0, le=10, description="Max extra half-spread per venue (spread of quality across venues)."
    )


class LiquidityFlowSpec(_Strict):
    """Zero-intelligence limit/cancel/market flow per (symbol, venue), before symbol activity and venue share."""

    enabled: bool = True
    limit_per_second: float = Field(8.0, ge=0, le=100_000)
    market_per_second: float = Field(0.8, ge=0, le=100_000)
    mean_lifetime_s: float = Field(2.0, gt=0, le=86_400, description="Mean resting time before the owner cancels.")
    improve_prob: float = Field(0.15, ge=0, le=1, description="P(improve a spread wider than 1 tick).")
    depth_geometric_p: float = Field(0.2, gt=0, le=1, description="Ticks behind the best ~ Geometric(p) - 1.")
    round_lot_share: float = Field(0.6, ge=0, le=1, description="Share of orders that are whole round lots.")
    lots_geometric_p: float = Field(0.55, gt=0, le=1, description="Round lots per round-lot order ~ Geometric(p).")
    odd_median_shares: float = Field(40.0, gt=0, le=1_000_000)
    odd_sigma: float = Field(0.9, ge=0, le=5)
    max_shares: int = Field(20_000, gt=0, le=100_000_000)
    sign_persistence: float = Field(0.9, ge=0, lt=1, description="P(market order has the previous one's side).")


class IntradaySpec(_Strict):
    """U-shaped activity: rates (and efficient-price variance) scale by u(t), higher at the open and the close.

    u(t) = 1 + open_boost * exp(-(t - 09:30) / decay) + close_boost * exp(-(16:00 - t) / decay), normalised so that
    its mean over the whole session is 1 (a scenario's rates are day averages).
    """

    open_boost: float = Field(1.5, ge=0, le=50)
    close_boost: float = Field(1.0, ge=0, le=50)
    decay_minutes: float = Field(20.0, gt=0, le=390)


class InformedSpec(_Strict):
    """Informed traders: take liquidity when the latent efficient price is beyond the far side of the NBBO."""

    enabled: bool = True
    arrivals_per_second: float = Field(0.5, ge=0, le=10_000, description="Per symbol, before intraday scaling.")
    threshold_ticks: float = Field(0.5, ge=0, le=1000, description="Edge beyond the far side needed to trade.")
    max_lots: int = Field(4, gt=0, le=100_000, description="Largest order, round lots (capped by displayed size).")


class FastTraderSpec(_Strict):
    """Latency arbitrageurs: after a trade on one venue they race to the others and take or fade the same quotes."""

    enabled: bool = True
    react_to: Literal["router", "all"] = Field("router", description="Trades of the router under test, or all.")
    min_trade_shares: int = Field(100, ge=1, description="Smallest triggering trade.")
    take_prob: float = Field(0.5, ge=0, le=1, description="P(take the other venues' quotes); else fade them.")
    max_lots: int = Field(5, gt=0, le=100_000, description="Most it takes per venue, round lots.")


class BackgroundSpec(_Strict):
    """The background market."""

    price_grid_ms: float = Field(10.0, gt=0, le=60_000, description="Step of the efficient price path.")
    intraday: IntradaySpec = IntradaySpec()
    market_maker: MarketMakerSpec = MarketMakerSpec()
    liquidity: LiquidityFlowSpec = LiquidityFlowSpec()
    informed: InformedSpec = InformedSpec()
    fast_trader: FastTraderSpec = FastTraderSpec()


class OrderMix(_Strict):
    """Intended mix of parent order types (marketability is decided by the NBBO at arrival)."""

    market: float = Field(0.4, ge=0)
    marketable_limit: float = Field(0.3, ge=0)
    nonmarketable_limit: float = Field(0.3, ge=0)

    @model_validator(mode="after")
    def _some(self) -> OrderMix:
        if self.market + self.marketable_limit + self.nonmarketable_limit <= 0:
            raise ValueError("the order mix weights are all zero")
        return self


class FlowSpec(_Strict):
    """The parent-order flow replayed to every router: generated from the seed, or read from a file."""

    file: str | None = Field(None, description="CSV or Parquet of parent orders, relative to the scenario file.")
    orders: int = Field(200, ge=0, le=10_000_000)
    warmup_s: float = Field(20.0, ge=0, description="No parent arrives in the first warmup_s of the window.")
    buy_share: float = Field(0.5, ge=0, le=1)
    mix: OrderMix = OrderMix()
    median_shares: float = Field(300.0, gt=0, le=10_000_000)
    size_sigma: float = Field(1.0, ge=0, le=5)
    max_shares: int = Field(10_000, gt=0, le=100_000_000)
    round_lot_share: float = Field(0.7, ge=0, le=1, description="Share of parents rounded to whole round lots.")
    limit_offset_ticks_max: int = Field(3, ge=1, le=1000, description="Limits sit 1..max ticks from the touch.")
    symbol_weights: dict[str, float] | None = Field(None, description="Relative share of parents per symbol.")


class MarketEventSpec(_Strict):
    """A scheduled disruption between ``start`` and ``end`` (times of day inside the regular session).

    * ``venue_outage``: the venue rejects new orders and replaces (``venue_closed``); cancels still work and its
      resting orders and quotes stay where they were.
    * ``stale_quotes``: the venue keeps trading but its feeds (direct and to the SIP) stop updating: everyone
      sees the quotes it showed at ``start``.
    * ``halt``: trading in ``symbol`` is halted on every venue: new orders and replaces are rejected (``halted``),
      cancels work; trading resumes at ``end`` from the books as they were (no reopening auction is modelled).
    """

    kind: Literal["venue_outage", "stale_quotes", "halt"]
    start: str
    end: str
    venue: str | None = None
    symbol: str | None = None

    @field_validator("start", "end")
    @classmethod
    def _in_session(cls, v: str) -> str:
        return _in_regular_session(v)

    @model_validator(mode="after")
    def _shape(self) -> MarketEventSpec:
        if parse_clock(self.end) <= parse_clock(self.start):
            raise _FieldError("end", f"{self.end!r} is not after start {self.start!r}")
        if self.kind == "halt" and (self.symbol is None or self.venue is not None):
            raise _FieldError("symbol", "a halt names a symbol (and no venue)")
        if self.kind != "halt" and (self.venue is None or self.symbol is not None):
            raise _FieldError("venue", f"a {self.kind} names a venue (and no symbol)")
        return self


class Scenario(_Strict):
    """A whole scenario file."""

    name: str = Field(pattern=_NAME_RE)
    description: str = ""
    session: SessionSpec = SessionSpec()
    access_fee_cap_usd: float = Field(0.0030, ge=0, le=0.01, description="Reg NMS access-fee cap per share.")
    symbols: list[SymbolSpec] = Field(min_length=1)
    venues: list[VenueSpec] = Field(min_length=1)
    latency: LatencySection = LatencySection()
    background: BackgroundSpec = BackgroundSpec()
    flow: FlowSpec = FlowSpec()
    events: list[MarketEventSpec] = []
    routers: list[str] = Field(default_factory=lambda: ["best-price", "single-venue"], min_length=1)
    router_params: dict[str, dict[str, Any]] = {}

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        _unique([s.name for s in self.symbols], "symbols", "symbol", key=".name")
        _unique([v.name for v in self.venues], "venues", "venue", key=".name")
        _unique(self.routers, "routers", "router")
        symbol_names = {s.name for s in self.symbols}
        venue_names = {v.name for v in self.venues}
        for i, v in enumerate(self.venues):
            if v.fees.take_usd > self.access_fee_cap_usd + 1e-12:
                raise _FieldError(
                    f"venues[{i}].fees.take_usd",
                    f"{v.fees.take_usd} is above the access-fee cap {self.access_fee_cap_usd}",
                )
            for j, sym in enumerate(v.symbols or []):
                if sym not in symbol_names:
                    raise _FieldError(f"venues[{i}].symbols[{j}]", f"unknown symbol {sym!r}")
        for sym in symbol_names:
            if not any(v.symbols is None or sym in v.symbols for v in self.venues):
                raise _FieldError("symbols", f"symbol {sym!r} trades on no venue")
            if not any(v.is_protected and (v.symbols is None or sym in v.symbols) for v in self.venues):
                raise _FieldError("symbols", f"symbol {sym!r} has no protected lit venue (no NBBO to trade around)")
        for i, link in enumerate(self.latency.links):
            if link.venue != "SIP" and link.venue not in venue_names:
                raise _FieldError(f"latency.links[{i}].venue", f"unknown venue {link.venue!r}")
            if link.participant == "sip" and (link.direction != "market_data" or link.venue == "SIP"):
                raise _FieldError(
                    f"latency.links[{i}]", "a 'sip' link is a venue's market_data feed to the SIP"
                )
            if link.venue == "SIP" and link.direction != "market_data":
                raise _FieldError(f"latency.links[{i}].direction", "the SIP only sends market_data")
        seen = set()
        for i, link in enumerate(self.latency.links):
            key = (link.participant, link.venue, link.direction)
            if key in seen:
                raise _FieldError(f"latency.links[{i}]", f"duplicate link {key}")
            seen.add(key)
        if self.flow.symbol_weights is not None:
            for sym, w in self.flow.symbol_weights.items():
                if sym not in symbol_names:
                    raise _FieldError(f"flow.symbol_weights.{sym}", f"unknown symbol {sym!r}")
                if not (w >= 0 and math.isfinite(w)):
                    raise _FieldError(f"flow.symbol_weights.{sym}", f"weight {w!r} must be >= 0")
            if sum(self.flow.symbol_weights.values()) <= 0:
                raise _FieldError("flow.symbol_weights", "all weights are zero")
        start, end = self.session.start_ns, self.session.end_ns
        if self.flow.warmup_s * NS_PER_SECOND >= end - start:
            raise _FieldError("flow.warmup_s", f"{self.flow.warmup_s} s leaves no time for parent orders")
        for i, ev in enumerate(self.events):
            if ev.venue is not None and ev.venue not in venue_names:
                raise _FieldError(f"events[{i}].venue", f"unknown venue {ev.venue!r}")
            if ev.symbol is not None and ev.symbol not in symbol_names:
                raise _FieldError(f"events[{i}].symbol", f"unknown symbol {ev.symbol!r}")
        for name in self.router_params:
            if name not in self.routers:
                raise _FieldError(f"router_params.{name}", f"parameters for router {name!r}, which is not in routers")
        return self

    @property
    def venue_names(self) -> list[str]:
        """Venue names in file order."""
        return [v.name for v in self.venues]

    def venue_symbols(self, venue: VenueSpec) -> list[str]:
        """Symbols that trade on ``venue``, in the scenario's symbol order."""
        return [s.name for s in self.symbols if venue.symbols is None or s.name in venue.symbols]

    def canonical_json(self) -> str:
        """Canonical JSON of the resolved scenario (all defaults filled in)."""
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def sha256(self) -> str:
        """Stable hash of the resolved scenario."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def _unique(names: list[str], field: str, what: str, *, key: str = "") -> None:
    seen: dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen:
            raise _FieldError(f"{field}[{i}]{key}", f"duplicate {what} name {n!r} (also {field}[{seen[n]}]{key})")
        seen[n] = i


# ------------------------------------------------------------------------------------------------------- loading
def _loc_text(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in {"constant", "normal", "lognormal", "empirical"}:
            continue  # discriminated-union tag pydantic inserts into the path
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _format_validation_error(source: str, err: ValidationError) -> str:
    first = err.errors()[0]
    msg = first["msg"]
    ctx_err = (first.get("ctx") or {}).get("error")
    if isinstance(ctx_err, _FieldError):
        at = _loc_text(tuple(first["loc"])) if first["loc"] else ""
        loc = ctx_err.loc if not at else at + (ctx_err.loc if ctx_err.loc.startswith("[") else f".{ctx_err.loc}")
        return f"{source}: {loc}: {ctx_err.msg}"
    loc = _loc_text(tuple(first["loc"]))
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    shown = first.get("input")
    more = f" (and {len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    if first["type"] in {"missing"}:
        return f"{source}: {loc}: required field is missing{more}"
    if isinstance(shown, (dict, list)):
        return f"{source}: {loc}: {msg}{more}"
    return f"{source}: {loc}: {msg} (got {shown!r}){more}"


def scenario_from_dict(data: Mapping[str, Any], *, source: str = "<scenario>", registry: Any = None) -> Scenario:
    """Validate a scenario mapping; raises :class:`UserError` naming ``source``, the field and the value."""
    routers = data.get("routers")
    if registry is not None and isinstance(routers, list):
        # Name an unknown router before any error it causes elsewhere (e.g. its [router_params] table).
        for i, name in enumerate(routers):
            if isinstance(name, str) and name not in registry:
                known = ", ".join(sorted(registry))
                raise UserError(f"{source}: routers[{i}]: unknown router {name!r} (known: {known})")
    try:
        scenario = Scenario.model_validate(dict(data))
    except ValidationError as err:
        raise UserError(_format_validation_error(source, err)) from None
    if registry is not None:
        check_routers(scenario, registry, source=source)
    return scenario


def check_routers(scenario: Scenario, registry: Any, *, source: str) -> None:
    """Routers must be registered and their parameters valid for this scenario."""
    from harness.scenario.routers import resolve_router_params  # local: avoids a cycle at import

    for i, name in enumerate(scenario.routers):
        if name not in registry:
            known = ", ".join(sorted(registry))
            raise UserError(f"{source}: routers[{i}]: unknown router {name!r} (known: {known})")
        resolve_router_params(scenario, registry, name, source=source)


def read_toml(path: Path, *, what: str = "file") -> dict[str, Any]:
    """A TOML file's contents; one-line UserErrors for a missing file, bad TOML or bad UTF-8."""
    if not path.is_file():
        raise UserError(f"{path}: {what} not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise UserError(f"{path}: not valid TOML: {err}") from None
    except UnicodeDecodeError as err:
        raise UserError(f"{path}: not UTF-8 text: {err.reason} at byte {err.start}") from None


def load_scenario(path: str | Path, *, registry: Any = None) -> tuple[Scenario, Path]:
    """Read and validate a TOML scenario file; returns it with its resolved path."""
    p = Path(path)
    data = read_toml(p, what="scenario file")
    return scenario_from_dict(data, source=str(p), registry=registry), p.resolve()


def json_schema() -> dict[str, Any]:
    """JSON Schema of scenario files, for editors."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sorbench scenario"
    return schema
