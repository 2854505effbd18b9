"""Building one simulation's parts from its scenario: latency links, venues, the market, background participants.

:func:`harness.sim.engine.simulate` calls these in a fixed order (the order of construction sets owner and order ids
and the order of the kernel's first events); every random draw comes from a stream named after its component
(:func:`harness.sim.streams.stream`), so building one part never changes another's draws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from harness.scenario.routers import venue_infos
from harness.scenario.schema import Scenario
from harness.sim.background import (
    ActivityCurve,
    DarkLiquidity,
    EfficientPrice,
    FastTrader,
    Impact,
    InformedTrader,
    LiquidityFlow,
    MarketMaker,
    TakerRouter,
)
from harness.sim.background.plants import StandingLiquidity
from harness.sim.background.quoting import improve_gaps
from harness.sim.kernel import Kernel
from harness.sim.latency import Link, model_from_spec
from harness.sim.market import Market
from harness.sim.router_node import RouterLimits, RouterNode
from harness.sim.streams import stream
from venues.types import FEE_SCALE
from venues.venue import DarkPool, LitVenue, SymbolInfo, VenueKind, Wholesaler


class Links:
    """The scenario's latency links, each built on first use with its own stream ``("latency", participant, ...)``.

    A venue's speed bump is added to every order-entry, response and market-data link with it.
    """

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self._lat = scenario.latency
        self._seed = seed
        self._overrides: dict[tuple[str, str, str], Any] = {
            (ln.participant, ln.venue, ln.direction): ln.model for ln in scenario.latency.links
        }
        self._bump_ns = {v.name: round(v.speed_bump_us * 1000) for v in scenario.venues}

    def get(self, participant: str, venue: str, direction: str, *, instance: str = "") -> Link:
        """The link of ``participant`` (one ``instance`` of it, if several) with ``venue`` in ``direction``."""
        spec = self._overrides.get((participant, venue, direction)) or getattr(self._lat.defaults, direction)
        name = ("latency", participant, instance, venue, direction)
        return Link(model_from_spec(spec), stream(self._seed, *name), offset_ns=self._bump_ns.get(venue, 0))

    def sip_processing(self) -> Link:
        """The SIP's consolidation delay."""
        return Link(model_from_spec(self._lat.sip_processing), stream(self._seed, "latency", "sip", "processing"))


def improvement_sampler(spec: Any, rng: Any) -> Callable[[], float]:
    """Draws of a wholesaler's price improvement as a share of the spread: Beta(mean, concentration), at most 0.5."""
    a = max(spec.improvement_mean * spec.improvement_concentration, 1e-9)
    b = max((1.0 - spec.improvement_mean) * spec.improvement_concentration, 1e-9)
    buf: list[float] = []

    def draw() -> float:
        if not buf:
            buf.extend(reversed(np.minimum(rng.beta(a, b, size=256), 0.5).tolist()))
        return buf.pop()

    return draw


def build_venues(scenario: Scenario, seed: int) -> tuple[list[Any], list[Callable[[], float] | None], list[int]]:
    """The scenario's venues, each wholesaler's improvement sampler and each venue's route-out hop (ns).

    Wholesalers are built with owner 0; the caller registers each with the market and sets its owner id.
    """
    infos = venue_infos(scenario)
    ticks = {s.name: s.tick for s in scenario.symbols}
    venues: list[Any] = []
    samplers: list[Callable[[], float] | None] = []
    for vspec in scenario.venues:
        info = infos[vspec.name]
        sampler = None
        if info.kind is VenueKind.LIT:
            venues.append(LitVenue(info, ticks=ticks, protection=vspec.protection, post_only=vspec.post_only,
                                   lock_cross=vspec.lock_cross))
        elif info.kind is VenueKind.DARK:
            venues.append(DarkPool(info, ticks=ticks))
        else:
            w = vspec.wholesaler_spec
            venues.append(Wholesaler(info, ticks=ticks, owner=0, max_order_shares=w.max_order_shares,
                                     max_spread_ticks=w.max_spread_ticks))
            sampler = improvement_sampler(w, stream(seed, "wholesaler", vspec.name))
        samplers.append(sampler)
    hops = [round(v.route_out_latency_us * 1000) for v in scenario.venues]
    return venues, samplers, hops


def reference_delays(scenario: Scenario) -> list[int]:
    """Per venue, the age (ns) of the NBBO it prices midpoint crosses at: dark pools' reference latency, else 0."""
    return [round(v.dark_spec.reference_latency_us * 1000) if v.kind == "dark" else 0 for v in scenario.venues]


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


def activity_curve(scenario: Scenario) -> ActivityCurve:
    """The intraday activity curve over the scenario's window."""
    i = scenario.background.intraday
    return ActivityCurve(
        start_ns=scenario.session.start_ns, end_ns=scenario.session.end_ns, open_boost=i.open_boost,
        close_boost=i.close_boost, decay_minutes=i.decay_minutes,
    )


def efficient_prices(scenario: Scenario, seed: int) -> dict[str, EfficientPrice]:
    """Every symbol's latent efficient price path for ``seed``."""
    s = scenario.session
    grid_ns = max(1, int(scenario.background.price_grid_ms * 1_000_000))
    curve = activity_curve(scenario)
    imp = scenario.background.impact
    return {
        sym.name: EfficientPrice(
            start_ns=s.start_ns, end_ns=s.end_ns, grid_ns=grid_ns, price=sym.price_usd * 10_000,
            volatility_annual=sym.volatility_annual, jumps_per_hour=sym.jumps_per_hour,
            jump_sd_bps=sym.jump_sd_bps, rng=stream(seed, "efficient_price", sym.name), activity=curve,
            impact=Impact(permanent_bps=imp.permanent_bps, transient_bps=imp.transient_bps,
                          transient_decay_s=imp.transient_decay_s, flow_decay_s=imp.flow_decay_s,
                          round_lot=sym.round_lot, scale=sym.impact_scale) if imp.enabled else None,
        )
        for sym in scenario.symbols
    }


def build_market(scenario: Scenario, seed: int, *, kernel: Kernel, symbols: dict[str, SymbolInfo]) -> Market:
    """The market over the scenario's venues (``build_venues``), each wholesaler registered under its own owner id."""
    venues, samplers, hops = build_venues(scenario, seed)
    market = Market(kernel, venues, list(symbols), improvement=samplers, route_out_ns=hops,
                    reference_ns=reference_delays(scenario))
    for venue in venues:  # wholesalers trade as principal under their own owner id
        if isinstance(venue, Wholesaler):
            venue.owner = market.register_owner(None)
    return market


def background_take_fees(scenario: Scenario) -> list[float]:
    """The take fees (USD per share, per venue) the background routes by.

    ``background.routing.fee_view_usd`` when set (the incentive test's payment twins: the unchanged scenario's), else
    the venues' own.
    """
    view = scenario.background.routing.fee_view_usd
    if view is None:
        return [v.fees.take_usd for v in scenario.venues]
    if len(view) != len(scenario.venues):
        raise ValueError(f"background.routing.fee_view_usd: {len(view)} fees for {len(scenario.venues)} venues")
    return [float(x) for x in view]


def lit_venues_by_fee(scenario: Scenario, info_list: list[Any]) -> dict[str, list[int]]:
    """Per symbol, the lit venues that trade it (indices), cheapest take fee first, then in scenario order.

    Fee-aware takers break price ties that way (by :func:`background_take_fees`).
    """
    fees = background_take_fees(scenario)
    by_fee = sorted(
        (i for i, info in enumerate(info_list) if info.kind is VenueKind.LIT),
        key=lambda i: (round(fees[i] * FEE_SCALE), i),
    )
    lit: dict[str, list[int]] = {
        sym.name: [vi for vi in by_fee if sym.name in info_list[vi].symbols] for sym in scenario.symbols
    }
    return lit


def start_background(
    scenario: Scenario, seed: int, *, kernel: Kernel, market: Market, infos: dict[str, Any],
    values: dict[str, EfficientPrice], links: Links, start_ns: int,
) -> tuple[dict[tuple[int, str], MarketMaker], dict[str, list[int]]]:
    """Create every background participant except the fast trader (each schedules itself on ``kernel``).

    Returns the market makers by (venue index, symbol) and the lit venues per symbol by take fee, which the fast
    trader watches.
    """
    bg = scenario.background
    curve = activity_curve(scenario)
    market.flow_listeners.update(values)  # every execution feeds its symbol's price impact (before owners react)
    makers: dict[tuple[int, str], MarketMaker] = {}
    info_list = list(infos.values())
    lit = lit_venues_by_fee(scenario, info_list)
    bumps = [info.speed_bump_ns for info in info_list]
    dark_pools: list[tuple[str, DarkLiquidity]] = []
    # Background participants, in a fixed order (symbol, then venue) so owner and order ids are deterministic.
    for sym in scenario.symbols:
        router = taker_router(scenario, sym, market=market, info_list=info_list, lit=lit[sym.name])
        for vi, vspec in enumerate(scenario.venues):
            if sym.name not in infos[vspec.name].symbols:
                continue
            _start_venue_participants(sym, vi, vspec, seed=seed, kernel=kernel, market=market, bg=bg, values=values,
                                      links=links, start_ns=start_ns, curve=curve, makers=makers,
                                      dark_pools=dark_pools, router=router,
                                      venue_names=[v.name for v in scenario.venues])
        if bg.informed.enabled:
            InformedTrader(
                kernel=kernel, market=market, symbol=sym.name, router=router, tick=sym.tick,
                round_lot=sym.round_lot, spec=bg.informed, value=values[sym.name], activity=curve,
                rng=stream(seed, "informed", sym.name), start_ns=start_ns, bumps=bumps,
            )
    if scenario.plants:
        StandingLiquidity(kernel=kernel, market=market, plants=list(scenario.plants),
                          venue_index={v.name: i for i, v in enumerate(scenario.venues)}, start_ns=start_ns)
    return makers, lit


def taker_router(scenario: Scenario, sym: Any, *, market: Market, info_list: list[Any], lit: list[int]) -> TakerRouter:
    """The routing rule of ``sym``'s background takers over its lit venues and wholesalers (scenario weights, fees)."""
    routing = scenario.background.routing
    return TakerRouter(
        market=market, symbol=sym.name, lit_venues=lit, taker_weights=[v.taker_weight for v in scenario.venues],
        take_fees_usd=background_take_fees(scenario), fee_scale_usd=routing.fee_scale_usd,
        sweep_limit_ticks=routing.sweep_limit_ticks, tick=sym.tick,
        wholesalers=[i for i, info in enumerate(info_list)
                     if info.kind is VenueKind.WHOLESALER and sym.name in info.symbols],
    )


def _start_venue_participants(
    sym: Any, vi: int, vspec: Any, *, seed: int, kernel: Kernel, market: Market, bg: Any,
    values: dict[str, EfficientPrice], links: Links, start_ns: int, curve: ActivityCurve,
    makers: dict[tuple[int, str], MarketMaker], dark_pools: list[tuple[str, DarkLiquidity]], router: TakerRouter,
    venue_names: list[str],
) -> None:
    """The participants of one symbol at one venue: a dark pool's liquidity, or a lit venue's maker and flow."""
    if vspec.kind == "dark":
        dark_pools.append((vspec.name, DarkLiquidity(
            kernel=kernel, market=market, venue_idx=vi, symbol=sym.name, tick=sym.tick,
            round_lot=sym.round_lot, spec=vspec.dark_spec, scale=sym.activity,
            rng=stream(seed, "dark", sym.name, vspec.name),
            toxic_rng=stream(seed, "dark_toxic", sym.name, vspec.name), start_ns=start_ns, activity=curve,
            venue_min_qty=vspec.min_qty,
        )))
        return
    if vspec.kind != "lit":
        return
    if bg.market_maker.enabled:
        makers[(vi, sym.name)] = MarketMaker(
            kernel=kernel, market=market, venue_idx=vi, symbol=sym.name, tick=sym.tick,
            round_lot=sym.round_lot, spec=bg.market_maker, value=values[sym.name],
            rng=stream(seed, "market_maker", sym.name, vspec.name),
            entry=links.get("market_maker", vspec.name, "order_entry", instance=sym.name),
            response=links.get("market_maker", vspec.name, "response", instance=sym.name),
            start_ns=start_ns, half_spread_ticks=sym.mm_half_spread_ticks, volatility_annual=sym.volatility_annual,
            feeds={w: links.get("market_maker", venue_names[w], "market_data",
                                instance=f"{sym.name}@{vspec.name}")
                   for w in market.protected_venues(sym.name) if w != vi},
        )
    if bg.liquidity.enabled:
        LiquidityFlow(
            kernel=kernel, market=market, venue_idx=vi, symbol=sym.name, tick=sym.tick,
            round_lot=sym.round_lot, spec=bg.liquidity,
            limit_scale=sym.activity * _or(vspec.limit_share, vspec.flow_share),
            market_scale=sym.activity * _or(vspec.market_share, vspec.flow_share),
            rng=stream(seed, "flow", sym.name, vspec.name), start_ns=start_ns, activity=curve, router=router,
            retail_wholesaler_p=bg.routing.retail_share * bg.routing.retail_wholesaler_share,
            improve_gap_ticks=improve_gaps(curve.start_ns, curve.start_ns + (len(curve.values) - 1) * 1_000_000_000,
                                           boost=bg.market_maker.open_spread_boost,
                                           decay_minutes=bg.market_maker.open_spread_decay_minutes),
        )


def start_fast_trader(
    scenario: Scenario, seed: int, *, kernel: Kernel, market: Market, infos: dict[str, Any], links: Links,
    lit: dict[str, list[int]], makers: dict[tuple[int, str], MarketMaker],
) -> FastTrader | None:
    """The fast trader watching every venue's feed and the market makers, if the scenario enables it."""
    bg = scenario.background
    fast: FastTrader | None = None
    if bg.fast_trader.enabled:
        venue_names = list(infos)
        fast = FastTrader(
            kernel=kernel, market=market, spec=bg.fast_trader, rng=stream(seed, "fast_trader"), lit_venues=lit,
            round_lots={s.name: s.round_lot for s in scenario.symbols},
            market_data=[links.get("fast_trader", v, "market_data") for v in venue_names],
            order_entry=[links.get("fast_trader", v, "order_entry") for v in venue_names],
            makers=makers,
        )
    return fast


def build_router_node(
    router: Any, *, kernel: Kernel, market: Market, infos: dict[str, Any], symbols: dict[str, SymbolInfo],
    links: Links, names: list[str], limits: RouterLimits | None,
) -> RouterNode:
    """The router's node: its links with every venue (order entry, responses, direct feeds) and the SIP."""
    node = RouterNode(
        router=router, kernel=kernel, market=market, venue_infos=infos, symbol_infos=symbols,
        order_entry=[links.get("router", v, "order_entry") for v in names],
        response=[links.get("router", v, "response") for v in names],
        market_data=[links.get("router", v, "market_data") for v in names],
        sip_feed=links.get("router", "SIP", "market_data"),
        sip_processing=links.sip_processing(),
        sip_links=[links.get("sip", v, "market_data") for v in names],
        limits=limits,
    )
    return node
