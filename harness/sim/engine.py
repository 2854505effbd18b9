"""One simulation: a scenario, one router, one seed -> the run's tables.

This is the one place where the pieces meet: the kernel, the venues, the latency links, the SIP, the background
participants, the parent-order flow and the router. :func:`simulate` is a pure function of its arguments (the
same inputs give identical outputs, in any process), which is what makes runs reproducible and comparable.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel

from adapters.contract import ParentOrder
from adapters.registry import RouterRegistry, builtin_registry
from harness.scenario.routers import make_router, venue_infos
from harness.scenario.schema import Scenario, parse_clock
from harness.sim.background import (
    ActivityCurve,
    DarkLiquidity,
    EfficientPrice,
    FastTrader,
    InformedTrader,
    LiquidityFlow,
    MarketMaker,
)
from harness.sim.flow import generate_parents
from harness.sim.kernel import Kernel
from harness.sim.latency import Link, model_from_spec
from harness.sim.market import Market
from harness.sim.realtime import RealtimeSettings, close_router, requires_realtime, run_router_paced
from harness.sim.router_node import RouterFailure, RouterLimits, RouterNode
from harness.sim.streams import stream
from venues.venue import DarkPool, LitVenue, SymbolInfo, VenueKind, Wholesaler

_NS = 1_000_000_000


@dataclass
class RunResult:
    """Everything one (router, seed) simulation produced; tables are dicts of equal-length column lists."""

    router: str
    seed: int
    status: str
    """``ok`` or ``failed``."""
    error: str = ""
    traceback: str = ""
    child_orders: dict[str, list[Any]] = field(default_factory=dict)
    fills: dict[str, list[Any]] = field(default_factory=dict)
    nbbo: dict[str, list[Any]] = field(default_factory=dict)
    trades: dict[str, list[Any]] = field(default_factory=dict)
    quotes: dict[str, list[Any]] = field(default_factory=dict)
    """Every venue's top-of-book history (the direct feeds, undelayed)."""
    activity: dict[str, list[Any]] = field(default_factory=dict)
    """Per venue and symbol: message counts and passive-order outcomes."""
    fast_trader_fills: dict[str, list[Any]] = field(default_factory=dict)
    stats: dict[str, float] = field(default_factory=dict)
    partial: bool = False
    """A failed run whose tables are kept (what an external router did before it failed; see harness/sim/realtime.py)."""
    extra_tables: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    """Router-specific tables by run-folder path (e.g. ``fix/parent_execution_reports.parquet``), column lists."""
    extra_files: dict[str, bytes] = field(default_factory=dict)
    """Router-specific files by run-folder path (e.g. the FIX session logs)."""


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


def build_parents(scenario: Scenario, seed: int) -> list[ParentOrder]:
    """The generated parent-order flow of ``seed`` (identical for every router)."""
    return generate_parents(scenario, seed, efficient_prices(scenario, seed))


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
    return {
        sym.name: EfficientPrice(
            start_ns=s.start_ns, end_ns=s.end_ns, grid_ns=grid_ns, price=sym.price_usd * 10_000,
            volatility_annual=sym.volatility_annual, jumps_per_hour=sym.jumps_per_hour,
            jump_sd_bps=sym.jump_sd_bps, rng=stream(seed, "efficient_price", sym.name), activity=curve,
        )
        for sym in scenario.symbols
    }


def simulate(
    scenario: Scenario,
    router_name: str,
    router_params: BaseModel,
    seed: int,
    *,
    parents: list[ParentOrder] | None = None,
    registry: RouterRegistry | None = None,
    limits: RouterLimits | None = None,
    realtime: RealtimeSettings | None = None,
) -> RunResult:
    """Run one router on one seed of ``scenario``; a failing router gives ``status="failed"``, never an exception.

    ``realtime`` paces the simulation against the wall clock (:mod:`harness.sim.realtime`); ``None`` is virtual time.
    """
    wall0 = time.perf_counter()
    registry = registry or builtin_registry()
    start_ns, end_ns = scenario.session.start_ns, scenario.session.end_ns
    kernel = Kernel(start_ns)
    infos = venue_infos(scenario)
    symbols = {
        s.name: SymbolInfo(name=s.name, tick=s.tick, round_lot=s.round_lot, sp500=s.sp500) for s in scenario.symbols
    }
    venues, samplers, hops = build_venues(scenario, seed)
    market = Market(kernel, venues, list(symbols), improvement=samplers, route_out_ns=hops,
                    reference_ns=reference_delays(scenario))
    for venue in venues:  # wholesalers trade as principal under their own owner id
        if isinstance(venue, Wholesaler):
            venue.owner = market.register_owner(None)
    values = efficient_prices(scenario, seed)
    links = Links(scenario, seed)
    bg = scenario.background

    curve = activity_curve(scenario)
    makers: dict[tuple[int, str], MarketMaker] = {}
    info_list = list(infos.values())
    # Lit venues per symbol, cheapest take fee first (fee-aware takers break price ties that way).
    by_fee = sorted(
        (i for i, info in enumerate(info_list) if info.kind is VenueKind.LIT),
        key=lambda i: (info_list[i].fees.take_fee_micros, i),
    )
    lit: dict[str, list[int]] = {
        sym.name: [vi for vi in by_fee if sym.name in info_list[vi].symbols] for sym in scenario.symbols
    }
    bumps = [info.speed_bump_ns for info in info_list]
    dark_pools: list[tuple[str, DarkLiquidity]] = []
    # Background participants, in a fixed order (symbol, then venue) so owner and order ids are deterministic.
    for sym in scenario.symbols:
        for vi, vspec in enumerate(scenario.venues):
            if sym.name not in infos[vspec.name].symbols:
                continue
            if vspec.kind == "dark":
                dark_pools.append((vspec.name, DarkLiquidity(
                    kernel=kernel, market=market, venue_idx=vi, symbol=sym.name, tick=sym.tick,
                    round_lot=sym.round_lot, spec=vspec.dark_spec, scale=sym.activity,
                    rng=stream(seed, "dark", sym.name, vspec.name),
                    toxic_rng=stream(seed, "dark_toxic", sym.name, vspec.name), start_ns=start_ns, activity=curve,
                    venue_min_qty=vspec.min_qty,
                )))
                continue
            if vspec.kind != "lit":
                continue
            if bg.market_maker.enabled:
                makers[(vi, sym.name)] = MarketMaker(
                    kernel=kernel, market=market, venue_idx=vi, symbol=sym.name, tick=sym.tick,
                    round_lot=sym.round_lot, spec=bg.market_maker, value=values[sym.name],
                    rng=stream(seed, "market_maker", sym.name, vspec.name),
                    entry=links.get("market_maker", vspec.name, "order_entry", instance=sym.name),
                    response=links.get("market_maker", vspec.name, "response", instance=sym.name),
                    start_ns=start_ns, half_spread_ticks=sym.mm_half_spread_ticks,
                )
            if bg.liquidity.enabled:
                LiquidityFlow(
                    kernel=kernel, market=market, venue_idx=vi, symbol=sym.name, tick=sym.tick,
                    round_lot=sym.round_lot, spec=bg.liquidity,
                    limit_scale=sym.activity * _or(vspec.limit_share, vspec.flow_share),
                    market_scale=sym.activity * _or(vspec.market_share, vspec.flow_share),
                    rng=stream(seed, "flow", sym.name, vspec.name), start_ns=start_ns, activity=curve,
                )
        if bg.informed.enabled:
            InformedTrader(
                kernel=kernel, market=market, symbol=sym.name, venue_idxs=lit[sym.name], tick=sym.tick,
                round_lot=sym.round_lot, spec=bg.informed, value=values[sym.name], activity=curve,
                rng=stream(seed, "informed", sym.name), start_ns=start_ns, bumps=bumps,
            )
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

    for ev in scenario.events:
        _schedule_event(kernel, market, ev)

    if parents is None:
        parents = generate_parents(scenario, seed, values)
    if realtime is None and router_name in registry and requires_realtime(registry.get(router_name)):
        return RunResult(
            router=router_name, seed=seed, status="failed", stats={"parents": len(parents)},
            error=f"router {router_name!r} takes part only in real time (sorbench run --realtime)",
        )
    try:
        router = make_router(registry, router_name, router_params)
    except Exception as exc:  # a router that cannot even be built fails alone, like one that raises later
        return RunResult(
            router=router_name, seed=seed, status="failed",
            error=f"router {router_name!r} failed in __init__: {type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(), stats={"parents": len(parents)},
        )
    names = list(infos)
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
    status, error, tb = "ok", "", ""
    paced: dict[str, float] = {}
    extra: tuple[dict[str, Any], dict[str, bytes], str] = ({}, {}, "")
    sim_wall0 = time.perf_counter()
    try:
        node.start()
        for p in parents:
            node.schedule_parent(p)
        if realtime is None:
            kernel.run(end_ns)
        else:
            paced = run_router_paced(kernel, end_ns, node=node, settings=realtime)
        node.end()
    except RouterFailure as failure:
        status, error, tb = "failed", str(failure), failure.traceback
    finally:
        if realtime is not None:  # an external router's sessions are closed whatever happened
            extra = close_router(router)
    if extra[2] and status == "ok":
        status, error = "failed", extra[2]
    sim_wall = time.perf_counter() - sim_wall0
    result = RunResult(router=router_name, seed=seed, status=status, error=error, traceback=tb,
                       partial=status != "ok" and realtime is not None and requires_realtime(type(router)),
                       extra_tables=extra[0], extra_files=extra[1])
    _collect(result, node, market, names, end_ns)
    _collect_market(result, market, names, fast)
    result.stats = {
        "messages": market.messages,
        "kernel_events": kernel.scheduled,
        "simulated_seconds": (min(kernel.now, end_ns) - start_ns) / _NS,
        "simulation_wall_seconds": sim_wall,
        "wall_seconds": time.perf_counter() - wall0,
        "parents": len(parents),
        **paced,
    }
    return result


def _schedule_event(kernel: Kernel, market: Market, ev: Any) -> None:
    """Apply a scenario's market event at its start and undo it at its end (see MarketEventSpec)."""
    start, end = parse_clock(ev.start), parse_clock(ev.end)
    if end <= kernel.now:
        return
    if ev.kind == "halt":
        on: Any = lambda _: market.halted.add(ev.symbol)  # noqa: E731
        off: Any = lambda _: market.halted.discard(ev.symbol)  # noqa: E731
    else:
        vi = market.venue_index[ev.venue]
        if ev.kind == "venue_outage":
            venue = market.venues[vi]
            on = lambda _: setattr(venue, "open", False)  # noqa: E731
            off = lambda _: setattr(venue, "open", True)  # noqa: E731
        else:
            on = lambda _: market.frozen_feeds.add(vi)  # noqa: E731
            off = lambda _: market.unfreeze(vi)  # noqa: E731
    kernel.at(max(start, kernel.now), on)
    kernel.at(end, off)


def _collect(result: RunResult, node: RouterNode, market: Market, venue_names: list[str], end_ns: int) -> None:
    """Turn the node's and the market's records into column lists (integers inside, as recorded)."""
    r, seed = result.router, result.seed
    ch: dict[str, list[Any]] = {k: [] for k in (
        "router", "seed", "child_id", "parent_id", "venue", "symbol", "side", "order_type", "tif", "post_only",
        "iso", "midpoint_peg", "display_qty", "min_qty", "qty", "limit_price", "sent_ts_ns", "venue_ts_ns",
        "filled_qty", "cancelled_qty", "status", "reject_reason",
    )}
    for rec in node.children.values():
        if rec.reject_reason:
            status = "rejected"
        elif rec.venue_ts_ns < 0:
            status = "in_flight"
        elif rec.filled_qty >= rec.qty:
            status = "filled"
        elif market.is_open(rec.venue_idx, rec.symbol, rec.child_id):
            status = "open"
        else:
            status = "cancelled"
        for k, v in (
            ("router", r), ("seed", seed), ("child_id", rec.child_id), ("parent_id", rec.parent_id),
            ("venue", venue_names[rec.venue_idx]), ("symbol", rec.symbol), ("side", rec.side.name.lower()),
            ("order_type", "market" if rec.price is None else "limit"), ("tif", rec.tif.value),
            ("post_only", rec.post_only), ("iso", rec.iso), ("midpoint_peg", rec.midpoint_peg),
            ("display_qty", rec.display_qty), ("min_qty", rec.min_qty), ("qty", rec.qty), ("limit_price", rec.price),
            ("sent_ts_ns", rec.sent_ts_ns), ("venue_ts_ns", rec.venue_ts_ns if rec.venue_ts_ns >= 0 else None),
            ("filled_qty", rec.filled_qty), ("cancelled_qty", rec.cancelled_qty), ("status", status),
            ("reject_reason", rec.reject_reason or None),
        ):
            ch[k].append(v)
    result.child_orders = ch
    cols = ("parent_id", "child_id", "venue", "symbol", "side", "exec_ts_ns", "qty", "price", "liquidity", "fee_micros",
            "rebate_micros", "pfof_micros")
    fills: dict[str, list[Any]] = {"router": [r] * len(node.fills), "seed": [seed] * len(node.fills)}
    for j, name in enumerate(cols):
        fills[name] = [row[j] for row in node.fills]
    fills["venue"] = [venue_names[v] for v in fills["venue"]]
    fills["side"] = ["buy" if s == 1 else "sell" for s in fills["side"]]
    result.fills = fills
    nb: dict[str, list[Any]] = {k: [] for k in ("router", "seed", "symbol", "ts_ns", "bid", "bid_size", "ask",
                                                 "ask_size")}
    for sym, hist in market.nbbo.items():
        n = len(hist)
        nb["router"] += [r] * n
        nb["seed"] += [seed] * n
        nb["symbol"] += [sym] * n
        nb["ts_ns"] += hist.ts
        for j, k in enumerate(("bid", "bid_size", "ask", "ask_size")):
            nb[k] += [t[j] for t in hist.tops]
    result.nbbo = nb
    tape = market.tape
    result.trades = {
        "router": [r] * len(tape), "seed": [seed] * len(tape),
        "symbol": [t[2] for t in tape], "venue": [venue_names[t[1]] for t in tape], "ts_ns": [t[0] for t in tape],
        "price": [t[3] for t in tape], "qty": [t[4] for t in tape],
        "aggressor": ["buy" if t[5] == 1 else "sell" for t in tape], "router_involved": [t[6] for t in tape],
    }



def _collect_market(result: RunResult, market: Market, venue_names: list[str], fast: FastTrader | None) -> None:
    """Per-venue quote histories, activity counters and the fast trader's fills as column lists."""
    r, seed = result.router, result.seed
    q: dict[str, list[Any]] = {k: [] for k in ("router", "seed", "venue", "symbol", "ts_ns", "bid", "bid_size", "ask",
                                                "ask_size")}
    act: dict[str, list[Any]] = {k: [] for k in ("router", "seed", "venue", "symbol", "messages", "new_orders",
                                                  "cancels", "replaces", "passive_orders", "passive_orders_filled")}
    for vi, name in enumerate(venue_names):
        for sym, hist in market.history[vi].items():
            n = len(hist)
            q["router"] += [r] * n
            q["seed"] += [seed] * n
            q["venue"] += [name] * n
            q["symbol"] += [sym] * n
            q["ts_ns"] += hist.ts
            for j, k in enumerate(("bid", "bid_size", "ask", "ask_size")):
                q[k] += [t[j] for t in hist.tops]
            new, cancels, replaces, rested = market.counts[vi][sym]
            for k, v in (("router", r), ("seed", seed), ("venue", name), ("symbol", sym),
                         ("messages", new + cancels + replaces), ("new_orders", new), ("cancels", cancels),
                         ("replaces", replaces), ("passive_orders", rested),
                         ("passive_orders_filled", len(market.filled_makers[vi][sym]))):
                act[k].append(v)
    result.quotes = q
    result.activity = act
    rows = fast.fills if fast is not None else []
    result.fast_trader_fills = {
        "router": [r] * len(rows), "seed": [seed] * len(rows), "ts_ns": [f[0] for f in rows],
        "venue": [venue_names[f[1]] for f in rows], "symbol": [f[2] for f in rows],
        "side": ["buy" if f[3] == 1 else "sell" for f in rows], "qty": [f[4] for f in rows],
        "price": [f[5] for f in rows],
    }
