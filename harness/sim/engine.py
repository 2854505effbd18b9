"""One simulation: a scenario, one router, one seed -> the run's tables.

This is the one place where the pieces meet: the kernel, the venues, the latency links, the SIP, the background
participants, the parent-order flow and the router. :func:`simulate` is a pure function of its arguments (the
same inputs give identical outputs, in any process), which is what makes runs reproducible and comparable.

The parts are built by :mod:`harness.sim.engine_setup`; this module runs them and collects the run's tables.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from adapters.contract import ParentOrder
from adapters.registry import RouterRegistry, builtin_registry
from harness.scenario.clock import parse_clock
from harness.scenario.routers import make_router, venue_infos
from harness.scenario.schema import Scenario
from harness.sim.background import FastTrader
from harness.sim.containment import Containment, contained, failure_message
from harness.sim.engine_setup import (
    Links,
    build_market,
    build_router_node,
    efficient_prices,
    start_background,
    start_fast_trader,
)
from harness.sim.flow import generate_parents
from harness.sim.kernel import Kernel
from harness.sim.market import Market
from harness.sim.realtime import RealtimeSettings, close_router, requires_realtime, run_router_paced
from harness.sim.router_node import RouterFailure, RouterLimits, RouterNode
from harness.sim.router_process import RemoteRouter, runs_out_of_process
from venues.venue import SymbolInfo

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
    sip_reads: dict[str, list[int]] = field(default_factory=dict)
    """Per symbol: the router's SIP NBBO reads and how many differed from the true NBBO in price."""
    stats: dict[str, float] = field(default_factory=dict)
    partial: bool = False
    """A failed run whose tables are kept (what an external router did before it failed; see harness.sim.realtime)."""
    extra_tables: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    """Router-specific tables by run-folder path (e.g. ``fix/parent_execution_reports.parquet``), column lists."""
    extra_files: dict[str, bytes] = field(default_factory=dict)
    """Router-specific files by run-folder path (e.g. the FIX session logs)."""


def build_parents(scenario: Scenario, seed: int) -> list[ParentOrder]:
    """The generated parent-order flow of ``seed`` (identical for every router)."""
    return generate_parents(scenario, seed, efficient_prices(scenario, seed))


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
    market = build_market(scenario, seed, kernel=kernel, symbols=symbols)
    values = efficient_prices(scenario, seed)
    links = Links(scenario, seed)
    makers, lit = start_background(scenario, seed, kernel=kernel, market=market, infos=infos, values=values,
                                   links=links, start_ns=start_ns)
    fast = start_fast_trader(scenario, seed, kernel=kernel, market=market, infos=infos, links=links, lit=lit,
                             makers=makers)

    for ev in scenario.events:
        _schedule_event(kernel, market, ev)

    if parents is None:
        parents = generate_parents(scenario, seed, values)
    limits = limits or RouterLimits(callback_timeout_s=None)
    with contained() as containment:  # sys.exit, os._exit, a raised KeyboardInterrupt fail this run only
        router, failed = _build_router(registry, router_name, router_params, seed=seed, parents=parents,
                                       realtime=realtime, containment=containment, limits=limits,
                                       infos=infos, symbols=symbols)
        if failed is not None:
            return failed
        names = list(infos)
        try:
            node = build_router_node(router, kernel=kernel, market=market, infos=infos, symbols=symbols,
                                     links=links, names=names, limits=limits)
            node.containment = containment
            status, error, tb, paced, extra, sim_wall = _run_router(kernel, node, router, parents=parents,
                                                                    end_ns=end_ns, realtime=realtime)
        finally:
            if isinstance(router, RemoteRouter):
                router.close()
    if containment.exit_attempts and status == "ok":  # e.g. from a thread of the router's that swallowed it
        status, error = "failed", f"router {router_name!r} failed: {containment.describe_exit()}"
    result = RunResult(router=router_name, seed=seed, status=status, error=error, traceback=tb,
                       partial=status != "ok" and realtime is not None and requires_realtime(type(router)),
                       extra_tables=extra[0], extra_files=extra[1])
    _collect(result, node, market, names, end_ns)
    overfilled = _overfilled(node)
    if overfilled and status == "ok":  # failed like a router that raised (its tables are not analysed)
        result.status, result.error = "failed", f"router {router_name!r} {overfilled}"
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


def _overfilled(node: RouterNode) -> str:
    """Which parents the router's fills exceeded ('' if none): a router that overfills a parent is not ``ok``."""
    filled: dict[int, int] = {}
    for f in node.fills:
        filled[f[0]] = filled.get(f[0], 0) + f[6]
    over = [(pid, q, node.parents[pid].qty) for pid, q in sorted(filled.items()) if q > node.parents[pid].qty]
    if not over:
        return ""
    pid, q, qty = over[0]
    return f"overfilled {len(over)} parent order(s), e.g. parent {pid}: {q} shares filled of {qty} ({q / qty:.0%})"


def _build_router(
    registry: RouterRegistry, router_name: str, router_params: BaseModel, *, seed: int, parents: list[ParentOrder],
    realtime: RealtimeSettings | None, containment: Containment, limits: RouterLimits, infos: dict[str, Any],
    symbols: dict[str, SymbolInfo],
) -> tuple[Any, RunResult | None]:
    """The router, or None and the failed result of a router that is real-time only or that cannot be built.

    A plug-in (any router with ``limits.router_process == "always"``) is built in a process of its own and
    represented here by a :class:`~harness.sim.router_process.RemoteRouter`.
    """
    if realtime is None and router_name in registry and requires_realtime(registry.get(router_name)):
        return None, RunResult(
            router=router_name, seed=seed, status="failed", stats={"parents": len(parents)},
            error=f"router {router_name!r} takes part only in real time (sorbench run --realtime)",
        )
    if runs_out_of_process(registry, router_name, limits):
        try:
            return RemoteRouter.start(registry.get(router_name), router_params, limits=limits, venues=infos,
                                      symbols=symbols), None
        except RouterFailure as failure:
            return None, RunResult(router=router_name, seed=seed, status="failed", error=str(failure),
                                   traceback=failure.traceback, stats={"parents": len(parents)})
    try:
        router = make_router(registry, router_name, router_params)
    except BaseException as exc:  # a router that cannot even be built fails alone, like one that raises later
        message = failure_message(exc, containment)
        if message is None:
            raise  # the user pressed Ctrl-C
        return None, RunResult(
            router=router_name, seed=seed, status="failed",
            error=f"router {router_name!r} failed in __init__: {message}",
            traceback=traceback.format_exc(), stats={"parents": len(parents)},
        )
    return router, None


def _run_router(
    kernel: Kernel, node: RouterNode, router: Any, *, parents: list[ParentOrder], end_ns: int,
    realtime: RealtimeSettings | None,
) -> tuple[str, str, str, dict[str, float], tuple[dict[str, Any], dict[str, bytes], str], float]:
    """Start the node, schedule the parents and run to ``end_ns`` (paced against the wall clock with ``realtime``).

    Returns the status, error and traceback, the pacing figures, an external router's tables, files and closing
    error, and the simulation's wall time (s). A :class:`RouterFailure` fails the run; other exceptions propagate.
    """
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
    return status, error, tb, paced, extra, sim_wall


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
            def on(_: Any) -> None:  # the venue is down: others declare self-help (Rule 611(b)(1))
                venue.open = False
                market.self_help(vi, True)

            def off(_: Any) -> None:
                venue.open = True
                market.self_help(vi, False)
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
    result.sip_reads = {sym: list(v) for sym, v in sorted(node.sip_reads.items())}
    tape = market.tape
    result.trades = {
        "router": [r] * len(tape), "seed": [seed] * len(tape),
        "symbol": [t[2] for t in tape], "venue": [venue_names[t[1]] for t in tape], "ts_ns": [t[0] for t in tape],
        "price": [t[3] for t in tape], "qty": [t[4] for t in tape],
        "aggressor": ["buy" if t[5] == 1 else "sell" for t in tape], "router_involved": [t[6] for t in tape],
        "aggressor_order_id": [t[7] for t in tape], "iso": [t[8] for t in tape],
        "nbbo_row": [t[9] for t in tape],
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
