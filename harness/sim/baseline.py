"""The speed baseline of ``sorbench bench``: a bare simpy loop, measured in the same process as the simulation.

``harness.sim`` is the only room that imports simpy, so the loop lives here rather than in the bench workflow.
"""

from __future__ import annotations

import time

import simpy


def bare_simpy_rate(events: int = 300_000) -> float:
    """Events per second of a bare simpy loop of one-nanosecond timeouts."""
    env = simpy.Environment()

    def loop(env: simpy.Environment):
        for _ in range(events):
            yield env.timeout(1)

    env.process(loop(env))
    t0 = time.perf_counter()
    env.run()
    return events / (time.perf_counter() - t0)
