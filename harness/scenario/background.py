"""The ``[background]`` table of a scenario: the background market's participants and its intraday activity curve.

The simulation of these participants is :mod:`harness.sim.background`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from harness.scenario.strict import _Strict


class MarketMakerSpec(_Strict):
    """Market makers: one per (symbol, venue), quoting one level each side around the efficient price.

    The half-spread responds to recent volatility, recent signed flow and time of day within
    [``min_half_spread_ticks``, ``max_half_spread_ticks``] (:mod:`harness.sim.background.quoting`).
    """

    enabled: bool = True
    half_spread_ticks: float = Field(0.75, gt=0, le=100, description="Half the quoted spread around value, ticks.")
    quote_size_lots: int = Field(3, gt=0, le=1000, description="Quote size in round lots.")
    refill_below: float = Field(0.5, ge=0, le=1, description="Refill when open size falls below this share.")
    requotes_per_second: float = Field(4.0, gt=0, le=1000)
    skew_ticks_per_lot: float = Field(0.05, ge=0, le=10, description="Quote shift per round lot of inventory.")
    venue_offset_ticks: float = Field(
        0.35, ge=0, le=10, description="Max extra half-spread per venue (spread of quality across venues)."
    )
    react_to_quotes: bool = Field(
        True, description="Also re-quote on seeing (through its delayed direct feeds) another venue's best bid or "
                          "ask price change.",
    )
    react_to_trades: bool = Field(
        True, description="Pull its quote on a side that a trade on another venue hit at or through its price, "
                          "on seeing the trade.",
    )
    react_min_interval_us: float = Field(
        50.0, ge=0, le=60_000_000, description="Least time between two quote-change re-quotes of one maker, "
                                               "microseconds.",
    )
    fade_hold_ms: float = Field(
        1.0, ge=0, le=60_000, description="How long a side pulled after a trade elsewhere stays out, milliseconds.",
    )
    min_half_spread_ticks: float = Field(
        0.5, gt=0, le=100, description="Smallest half-spread a maker quotes, ticks (default 0.5: one-tick spread)."
    )
    max_half_spread_ticks: float = Field(
        25.0, gt=0, le=1000, description="Largest half-spread a maker quotes, ticks (default 25)."
    )
    vol_elasticity: float = Field(
        1.0, ge=0, le=5,
        description="Exponent of the half-spread on recent over nominal volatility, dimensionless (default 1: "
                    "proportional; 0: ignore volatility).",
    )
    vol_decay_s: float = Field(
        60.0, gt=0, le=86_400,
        description="Time constant of the makers' recent-volatility estimate, seconds (default 60).",
    )
    open_spread_boost: float = Field(
        1.5, ge=0, le=50,
        description="Extra half-spread at 09:30 as a multiple of the base, dimensionless (default 1.5: 2.5 times "
                    "as wide at the open), decaying with open_spread_decay_minutes; liquidity flow does not improve "
                    "a spread narrower than the nearest whole number of ticks to that width factor.",
    )
    open_spread_decay_minutes: float = Field(
        30.0, gt=0, le=390, description="Time constant of the open's extra width, minutes (default 30)."
    )
    flow_widen_ticks_per_lot: float = Field(
        0.02, ge=0, le=10,
        description="Half-spread added per round lot of recent signed flow |F| (background.impact.flow_decay_s), "
                    "ticks per lot (default 0.02): adverse selection.",
    )
    flow_skew_ticks_per_lot: float = Field(
        0.02, ge=0, le=10,
        description="Quote shift in the flow's direction per round lot of recent signed flow F, ticks per lot "
                    "(default 0.02).",
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
    view_lag_us: float = Field(
        5000.0, ge=0, le=60_000_000,
        description="Age of the NBBO a limit order is priced from (and slid off, Rule 610(d)), microseconds; 0: the "
                    "true NBBO now.",
    )


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
    """Latency arbitrageurs: after a trade or quote change on one venue they race to the others and take or fade."""

    enabled: bool = True
    react_to: Literal["router", "all"] = Field(
        "all", description="The trades it reacts to: every lit trade ('all'), or the router under test's only "
                           "('router': a pure measure of the router's own leakage).",
    )
    quote_reactions: bool = Field(
        True, description="Also react to quote changes: take a quote that a change on another venue locked or "
                          "crossed, as it sees both, and arbitrage a crossed market.",
    )
    min_trade_shares: int = Field(100, ge=1, description="Smallest triggering trade, shares.")
    take_prob: float = Field(
        0.5, ge=0, le=1, description="After a trade of the router under test: P(take the other venues' quotes); "
                                     "else the makers there fade them. Also P(take) of a locked or crossed quote."
    )
    clear_take_prob: float = Field(
        1.0, ge=0, le=1, description="After another participant's trade that cleared its venue's best price level "
                                     "(react_to = 'all'): P(take the other venues' quotes at that price or better); "
                                     "else, and after a print that left the level, the makers there fade them."
    )
    max_lots: int = Field(5, gt=0, le=100_000, description="Most it takes per venue, round lots.")


class TakerRoutingSpec(_Strict):
    """How background takers route: NBBO venues first, larger orders as ISO sweeps, never trading through otherwise.

    The rule is :mod:`harness.sim.background.routing`'s. A share of retail market orders goes to wholesalers first:
    ``retail_wholesaler_share`` defaults to 0.9, since broker-dealers route more than 90% of individual investors'
    marketable orders to wholesalers (SEC, Order Competition Rule proposal, Release 34-96495, December 2022);
    ``retail_share`` (the retail part of liquidity flow's market orders) is a scenario assumption, and the default
    0.3 puts 27% of those orders, about 15% of a symbol's volume, at the wholesalers (docs/market-model.md).
    """

    fee_scale_usd: float = Field(
        0.001, gt=0, le=1,
        description="USD per share: a venue's routing weight is multiplied by exp(-take_usd / fee_scale_usd).",
    )
    sweep_limit_ticks: int = Field(
        2, ge=0, le=1000, description="Ticks beyond the NBBO an ISO sweep of a market order may trade, ticks."
    )
    retail_share: float = Field(
        0.3, ge=0, le=1, description="Share of liquidity flow's market orders that are retail (0 to 1)."
    )
    retail_wholesaler_share: float = Field(
        0.9, ge=0, le=1, description="Share of retail market orders sent to a wholesaler first (0 to 1)."
    )
    fee_view_usd: list[float] | None = Field(
        None, description="Take fees (USD per share, one per venue in scenario order) the background routes and "
                          "breaks ties by; default (unset) the venues' own. The incentive test's payment twins set "
                          "it to the unchanged scenario's, so that a twin changes what the router is paid or "
                          "charged and nothing the rest of the market does.",
    )


class ImpactSpec(_Strict):
    """Permanent and transient impact: the efficient price responds to signed order flow (square-root in size).

    Every execution moves the efficient log-price in its aggressor's direction; an aggressive order of q shares
    moves it by ``(permanent_bps + transient_bps) * sqrt(q / round_lot)`` bps in all (concave in size), of which the
    transient part decays exponentially. The symbol's ``impact_scale`` multiplies both. The exogenous random walk is
    unchanged (common random numbers); see docs/market-model.md, "Permanent impact".
    """

    enabled: bool = Field(True, description="Whether order flow moves the efficient price (False: exogenous only).")
    permanent_bps: float = Field(
        0.02, ge=0, le=1000,
        description="Permanent move of the efficient price per aggressive order of one round lot, bps (default "
                    "0.02); an order of q shares moves it permanent_bps * sqrt(q / round_lot).",
    )
    transient_bps: float = Field(
        0.02, ge=0, le=1000,
        description="Transient move per aggressive order of one round lot, bps (default 0.02), decaying with "
                    "transient_decay_s.",
    )
    transient_decay_s: float = Field(
        30.0, gt=0, le=86_400, description="Time constant of the transient part's exponential decay, seconds."
    )
    flow_decay_s: float = Field(
        5.0, gt=0, le=86_400,
        description="Time constant of the recent signed flow (shares, exponentially weighted) market makers read, "
                    "seconds (default 5).",
    )


class BackgroundSpec(_Strict):
    """The background market."""

    price_grid_ms: float = Field(10.0, gt=0, le=60_000, description="Step of the efficient price path.")
    intraday: IntradaySpec = IntradaySpec()
    market_maker: MarketMakerSpec = MarketMakerSpec()
    liquidity: LiquidityFlowSpec = LiquidityFlowSpec()
    informed: InformedSpec = InformedSpec()
    fast_trader: FastTraderSpec = FastTraderSpec()
    routing: TakerRoutingSpec = TakerRoutingSpec()
    impact: ImpactSpec = ImpactSpec()
