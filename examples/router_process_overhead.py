"""Overhead per callback of a router process: a reference router in sorbench's process and in a process of its own.

Run from the checkout: ``python examples/router_process_overhead.py [ROUTER] [REPEATS]`` (default best-price, 3).
It simulates the small test scenario stretched to a 2-minute window and 60 parents ``REPEATS`` times each way
(``--router-process plugins`` keeps a built-in router in process, ``always`` moves it out), counts callbacks and
requests, and prints the CPU time both processes spent per callback beyond the in-process run, the wall time per
callback, the fixed cost of starting and stopping one router process, and the cost of registering a plug-in (the
short-lived process that inspects it, :mod:`adapters.inspection`), all medians, with the machine's load (``uptime``)
before and after. docs/routers.md quotes its output.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters import inspection
from adapters.loader import PluginRegistry
from adapters.registry import builtin_registry
from harness.scenario.routers import venue_infos
from harness.scenario.schema import scenario_from_dict
from harness.sim.engine import simulate
from harness.sim.router_node import RouterLimits
from harness.sim.router_process import RemoteRouter
from tests.sim.helpers import small_dict
from venues.venue import SymbolInfo

COUNTS = {"cb": 0, "req": 0}
CHILD_CPU: list[float] = []


def _instrument() -> None:
    """Count callbacks and requests and keep each router process's CPU time (from its reaping)."""
    call, answer, reap = RemoteRouter._call, RemoteRouter._answer, RemoteRouter._reap

    def counted_call(self: Any, where: str, arg: Any) -> None:
        COUNTS["cb"] += 1
        call(self, where, arg)

    def counted_answer(self: Any, handler: Any, msg: Any, deadline: Any) -> None:
        COUNTS["req"] += 1
        answer(self, handler, msg, deadline)

    def timed_reap(self: Any, timeout: Any) -> tuple[int, float]:
        code, cpu = reap(self, timeout)
        if cpu:
            CHILD_CPU.append(cpu)
        return code, cpu

    RemoteRouter._call = counted_call  # type: ignore[method-assign,assignment]
    RemoteRouter._answer = counted_answer  # type: ignore[method-assign,assignment]
    RemoteRouter._reap = timed_reap  # type: ignore[method-assign,assignment]


def _registration(repeats: int) -> tuple[float, float]:
    """Median wall time of registering a file plug-in (one inspecting process), and of validating its parameters."""
    spec = f"{Path(__file__).resolve().parents[1] / 'tests' / 'data' / 'plugins' / 'ext_router.py'}:ExternalRouter"
    inspect_wall, params_wall = [], []
    for _ in range(repeats):
        inspection._INSPECTED.clear()
        inspection._VALIDATED.clear()
        t = time.perf_counter()
        reg = PluginRegistry()
        name = reg.add_spec(spec)
        inspect_wall.append(time.perf_counter() - t)
        t = time.perf_counter()
        inspection.validate_params(reg.get(name).plugin, {"venue": "EDGX"}, venues=[])  # type: ignore[attr-defined]
        params_wall.append(time.perf_counter() - t)
    return statistics.median(inspect_wall), statistics.median(params_wall)


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main(router: str, repeats: int = 3) -> None:
    """Measure and print."""
    print(f"before: {_uptime()}")
    d = small_dict()
    d["session"]["end"] = "09:32:00"
    d["flow"]["orders"] = 60
    sc = scenario_from_dict(d, source="<overhead>")
    reg = builtin_registry()
    cls = reg.get(router)
    _instrument()
    symbols = {s.name: SymbolInfo(name=s.name, tick=s.tick, round_lot=s.round_lot) for s in sc.symbols}
    idle, idle_wall = [], []
    for _ in range(repeats):  # a router process that only starts and stops: the fixed cost of a run
        CHILD_CPU.clear()
        t = time.perf_counter()
        RemoteRouter.start(cls, cls.Params(), limits=RouterLimits(), venues=venue_infos(sc), symbols=symbols).close()
        idle_wall.append(time.perf_counter() - t)
        idle.append(CHILD_CPU[-1])
    rows: dict[str, list[tuple[float, float, float]]] = {"plugins": [], "always": []}
    for _ in range(repeats):
        for mode in rows:
            COUNTS.update(cb=0, req=0)
            CHILD_CPU.clear()
            c0 = time.process_time()
            res = simulate(sc, router, cls.Params(), 1, registry=reg, limits=RouterLimits(router_process=mode))
            assert res.status == "ok", res.error
            rows[mode].append((time.process_time() - c0, sum(CHILD_CPU), res.stats["simulation_wall_seconds"]))
    inspect_wall, params_wall = _registration(repeats)
    cb, req = COUNTS["cb"], COUNTS["req"]
    med = statistics.median
    sim_in, sim_out = med(r[0] for r in rows["plugins"]), med(r[0] for r in rows["always"])
    child = med(r[1] for r in rows["always"]) - med(idle)
    wall_in, wall_out = med(r[2] for r in rows["plugins"]), med(r[2] for r in rows["always"])
    total = sim_out - sim_in + child
    print(f"{router}: {cb} callbacks, {req} requests; load average {os.getloadavg()[0]:.1f}")
    print(
        f"CPU per callback: simulator +{(sim_out - sim_in) / cb * 1e6:.0f} us, router process "
        f"{child / cb * 1e6:.0f} us, total {total / cb * 1e6:.0f} us ({total / (cb + req) * 1e6:.0f} us a message)"
    )
    per_cb = (wall_out - wall_in) / cb * 1e6
    print(
        f"wall: simulation {wall_in:.3f} s in process, {wall_out:.3f} s out: {per_cb:.0f} us "
        f"per callback; a router process starts and stops in {med(idle_wall):.3f} s ({med(idle):.3f} s CPU)"
    )
    print(f"registering a file plug-in (its inspecting process): {inspect_wall:.3f} s wall; validating a "
          f"parameter table in such a process: {params_wall:.3f} s wall ({repeats} repeats, medians)")
    print(f"after: {_uptime()}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "best-price", int(sys.argv[2]) if len(sys.argv) > 2 else 3)
