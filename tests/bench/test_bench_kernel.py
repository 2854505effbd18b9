"""Benchmarks of the simulation kernel and of a whole short simulation (run with ``--benchmark-enable``).

Under the default ``--benchmark-disable`` each runs once as a smoke test; each asserts on its result so it can fail.
"""

from __future__ import annotations

import simpy

from adapters.registry import builtin_registry
from harness.scenario.schema import scenario_from_dict
from harness.sim.engine import simulate
from harness.sim.kernel import Kernel
from harness.workflows.bench import BENCH_SCENARIO


def _chain(n: int) -> int:
    """Schedule ``n`` one-shot calls, each scheduling the next 1 ns later; returns how many ran."""
    kernel = Kernel(0)
    count = 0

    def step(_: object) -> None:
        nonlocal count
        count += 1
        if count < n:
            kernel.at(kernel.now + 1, step)

    kernel.at(0, step)
    kernel.run(10**12)
    return count


def _bare_simpy(n: int) -> int:
    env = simpy.Environment()
    done = 0

    def proc(env: simpy.Environment):
        nonlocal done
        for _ in range(n):
            yield env.timeout(1)
            done += 1

    env.process(proc(env))
    env.run()
    return done


def test_bench_kernel_calls(benchmark) -> None:
    """Kernel.at one-shot calls: every scheduled call runs exactly once, in order."""
    assert benchmark(_chain, 50_000) == 50_000


def test_bench_bare_simpy(benchmark) -> None:
    """The bare simpy loop the kernel is compared with."""
    assert benchmark(_bare_simpy, 50_000) == 50_000


def test_bench_short_simulation(benchmark) -> None:
    """Ten simulated seconds of the benchmark scenario: every message reaches a venue, the router run is ok."""
    data = dict(BENCH_SCENARIO, session={"start": "09:30:00", "end": "09:30:10", "seed": 7},
                flow={"orders": 20, "warmup_s": 2.0})
    scenario = scenario_from_dict(data, source="bench")
    registry = builtin_registry()
    result = benchmark.pedantic(
        simulate, args=(scenario, "best-price", registry.get("best-price").Params(), 7), kwargs={"registry": registry},
        rounds=1, iterations=1,
    )
    assert result.status == "ok"
    assert result.stats["messages"] > 1_000
    assert result.stats["kernel_events"] >= result.stats["messages"] * 0.5
