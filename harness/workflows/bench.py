"""``sorbench bench``: simulator speed on a fixed scenario, against a bare simpy loop in the same process.

* ``messages_per_second``: book messages (new, cancel and replace requests, marketable or not, reaching any venue)
  over the wall time of the simulation loop (building the scenario is excluded).
* ``kernel_events_per_second``: simpy events processed by the simulation over the same time.
* ``bare_simpy_events_per_second``: one simpy process yielding ``env.timeout(1)`` in a loop, measured here and now,
  so the ratio is comparable across machines.
"""

from __future__ import annotations

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


def run_bench(*, simulated_seconds: float = 120.0) -> dict[str, Any]:
    """Run the benchmark scenario once and the bare simpy loop once; return the figures."""
    data = dict(BENCH_SCENARIO)
    start = parse_clock(data["session"]["start"])
    data["session"] = dict(data["session"], end=format_clock(start + int(simulated_seconds * 1e9))[:18])
    scenario = scenario_from_dict(data, source="bench")
    registry = builtin_registry()
    params = registry.get("best-price").Params()
    result = simulate(scenario, "best-price", params, scenario.session.seed, registry=registry)
    seconds = result.stats["simulation_wall_seconds"]
    messages = int(result.stats["messages"])
    events = int(result.stats["kernel_events"])
    bare = bare_simpy_rate()
    kernel_rate = events / seconds
    return {
        "messages": messages,
        "seconds": seconds,
        "messages_per_second": messages / seconds,
        "kernel_events": events,
        "kernel_events_per_second": kernel_rate,
        "bare_simpy_events_per_second": bare,
        "ratio_to_bare_simpy": kernel_rate / bare,
        "simulated_seconds": simulated_seconds,
        "router_status": result.status,
    }
