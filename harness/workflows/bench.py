"""``sorbench bench``: simulator speed on a fixed scenario, against a bare simpy loop in the same process.

* ``messages_per_second``: book messages (new, cancel and replace requests, marketable or not, reaching any venue)
  over the wall time of the simulation loop (building the scenario is excluded).
* ``kernel_events_per_second``: simpy events processed by the simulation over the same time.
* ``bare_simpy_events_per_second``: one simpy process yielding ``env.timeout(1)`` in a loop, measured here and now,
  so the ratio is comparable across machines.
* ``messages_ratio_to_bare_simpy``: book messages per second over the bare loop's events per second: the speed
  normalised by the machine, which (unlike ``ratio_to_bare_simpy``) does not fall when the simulator needs fewer
  kernel events per message.

``run_bench(profile=True)`` also simulates the scenario a second time under :mod:`cProfile` (the figures above come
from the run without the profiler, whose overhead would distort them) and returns the functions that took the most
time of their own (``profile``: rows of calls, own seconds, share of the profiled time, cumulative seconds, function).
"""

from __future__ import annotations

import cProfile
import pstats
from pathlib import Path
from typing import Any

from adapters.registry import builtin_registry
from harness.scenario.clock import format_clock, parse_clock
from harness.scenario.schema import scenario_from_dict
from harness.sim.baseline import bare_simpy_rate
from harness.sim.engine import simulate

BENCH_SCENARIO: dict[str, Any] = {
    "name": "bench",
    "description": "Fixed benchmark: 4 lit venues x 3 symbols, busy background flow, best-price router.",
    "session": {"start": "09:30:00", "end": "09:32:00", "seed": 12345},
    "symbols": [
        {"name": "AAA", "price_usd": 50.0, "volatility_annual": 0.3, "activity": 2.0},
        {"name": "BBB", "price_usd": 20.0, "volatility_annual": 0.4, "activity": 1.5},
        {"name": "CCC", "price_usd": 120.0, "volatility_annual": 0.25, "activity": 1.0},
    ],
    "venues": [
        {"name": "V1", "fees": {"model": "maker-taker", "take_usd": 0.003, "make_usd": -0.0029}, "flow_share": 1.5},
        {"name": "V2", "fees": {"model": "maker-taker", "take_usd": 0.003, "make_usd": -0.0032}},
        {"name": "V3", "fees": {"model": "inverted", "take_usd": -0.0002, "make_usd": 0.0003}, "flow_share": 0.6},
        {"name": "V4", "fees": {"model": "flat", "take_usd": 0.0005, "make_usd": 0.0005}, "flow_share": 0.5},
    ],
    "latency": {
        "defaults": {
            "order_entry": {"model": "lognormal", "median_ns": 150_000, "sigma": 0.25},
            "response": {"model": "lognormal", "median_ns": 150_000, "sigma": 0.25},
            "market_data": {"model": "lognormal", "median_ns": 120_000, "sigma": 0.25},
        }
    },
    "background": {"liquidity": {"limit_per_second": 20.0, "market_per_second": 1.5}},
    "flow": {"orders": 400, "warmup_s": 5.0},
    "routers": ["best-price"],
}


_REPO = Path(__file__).resolve().parents[2]


def run_bench(*, simulated_seconds: float = 120.0, profile: bool = False, profile_rows: int = 25) -> dict[str, Any]:
    """Run the benchmark scenario once and the bare simpy loop once; return the figures (module docstring)."""
    data = dict(BENCH_SCENARIO)
    start = parse_clock(data["session"]["start"])
    data["session"] = dict(data["session"], end=format_clock(start + int(simulated_seconds * 1e9))[:18])
    # a short run keeps time for parent orders: warm-up at most a quarter of it (5 s, as fixed, from 20 s up)
    data["flow"] = dict(data["flow"], warmup_s=min(data["flow"]["warmup_s"], simulated_seconds / 4))
    scenario = scenario_from_dict(data, source="bench")
    registry = builtin_registry()
    params = registry.get("best-price").Params()

    def once() -> Any:
        return simulate(scenario, "best-price", params, scenario.session.seed, registry=registry)

    result = once()
    seconds = result.stats["simulation_wall_seconds"]
    messages = int(result.stats["messages"])
    events = int(result.stats["kernel_events"])
    bare = bare_simpy_rate()
    kernel_rate = events / seconds
    figures: dict[str, Any] = {
        "messages": messages,
        "seconds": seconds,
        "messages_per_second": messages / seconds,
        "kernel_events": events,
        "kernel_events_per_second": kernel_rate,
        "bare_simpy_events_per_second": bare,
        "ratio_to_bare_simpy": kernel_rate / bare,
        "messages_ratio_to_bare_simpy": messages / seconds / bare,
        "simulated_seconds": simulated_seconds,
        "router_status": result.status,
    }
    if profile:
        profiler = cProfile.Profile()
        profiler.runcall(once)
        figures["profile"] = profile_top(pstats.Stats(profiler), profile_rows)
    return figures


def profile_top(stats: pstats.Stats, rows: int) -> list[dict[str, Any]]:
    """The ``rows`` functions with the most own time (tottime), each with its share of the whole profiled time."""
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]  # (file, line, name) -> (cc, nc, tt, ct, callers)
    total = sum(tt for _cc, _nc, tt, _ct, _callers in table.values()) or 1.0
    top = sorted(table.items(), key=lambda item: (-item[1][2], item[0]))[:rows]
    return [
        {"calls": nc, "tottime_s": tt, "share": tt / total, "cumtime_s": ct, "function": _where(func)}
        for func, (_cc, nc, tt, ct, _callers) in top
    ]


def _where(func: tuple[str, int, str]) -> str:
    """``path:line(name)`` with the path relative to the repository (or to site-packages) when it is under it."""
    path, line, name = func
    if path == "~":
        return name  # a built-in, e.g. "<built-in method _heapq.heappop>"
    p = Path(path)
    if p.is_relative_to(_REPO):
        path = str(p.relative_to(_REPO))
    elif "site-packages" in p.parts:
        path = str(Path(*p.parts[p.parts.index("site-packages") + 1 :]))
    return f"{path}:{line}({name})"
