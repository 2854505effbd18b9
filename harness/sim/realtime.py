"""Real-time mode: the simulation paced against the wall clock, so that an external process can take part.

In virtual time the kernel jumps from one event to the next as fast as it can. In real time (``sorbench run
--realtime``) the same kernel processes each event no earlier than its wall-clock due time: with time factor ``f``,
one simulated second takes ``1/f`` wall seconds, counted from the moment the router has started (its ``on_start``
returned, e.g. once a FIX vendor has logged on). Everything else is what virtual time does: the same market, the same
parent flow, the same run folder and analytics; a router that never looks outside the process (every reference
router) gives the same tables in both modes.

External input. A router that takes part through another process (``adapters.fix.FixRouter``) exposes
``realtime_inbox``, an object with ``wait(timeout_s) -> bool`` that blocks until input from outside arrived (returns
``True``) or the timeout passed (``False``). The loop below sleeps on it instead of ``time.sleep``; when it returns
``True`` the loop computes the simulated time that corresponds to the wall clock *now* and schedules the router's
``on_timer(realtime_inbox)`` there, so the external message is applied at the simulated "now", after every event due
before it. The router itself only ever runs on the simulation thread; threads of its own (a FIX engine's) never
touch the simulation.

When the simulation falls behind the wall clock (events take longer to process than the time between them), events
are processed late, in order, and the largest lag is reported (``realtime_max_lag_ms`` in the run's manifest entry).

Nothing here is on the virtual-time path: :func:`harness.sim.engine.simulate` calls :meth:`Kernel.run` as before unless
real time is asked for.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from harness.errors import UserError
from harness.sim.kernel import Kernel

_NS = 1_000_000_000
_WINDOW = re.compile(r"^\s*(\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)\s*-\s*(\d{1,2}:\d{2}:\d{2}(?:\.\d+)?)\s*$")


class ExternalInput(Protocol):
    """What a router offering outside input exposes as ``realtime_inbox``."""

    def wait(self, timeout_s: float) -> bool:
        """Block up to ``timeout_s`` for outside input; ``True`` if some is waiting to be applied."""
        ...


@dataclass(frozen=True)
class RealtimeSettings:
    """How a real-time run is paced.

    Parameters
    ----------
    time_factor : float
        Simulated seconds per wall second (1: real time; 2: twice as fast; 0.5: half speed). An external router's
        own processing time counts ``time_factor`` times over in simulated time.
    window : tuple of str or None
        ``(start, end)`` clock times that replace the scenario's session window (the resolved scenario in the manifest
        shows them); ``None`` keeps the scenario's window.
    """

    time_factor: float = 1.0
    window: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.time_factor) and self.time_factor > 0):
            raise ValueError(f"time factor must be a positive number, got {self.time_factor}")

    def describe(self) -> dict[str, Any]:
        """The settings as recorded in the manifest."""
        return {"time_factor": self.time_factor, "window": list(self.window) if self.window else None}


def parse_window(text: str) -> tuple[str, str]:
    """``"09:30:00-09:31:00"`` -> ``("09:30:00", "09:31:00")``; a :class:`UserError` for anything else."""
    m = _WINDOW.match(text)
    if m is None:
        raise UserError(f"--window: {text!r} is not HH:MM:SS-HH:MM:SS")
    return m.group(1), m.group(2)


def apply_window(scenario: Any, window: tuple[str, str] | None, *, source: str = "--window") -> Any:
    """The scenario with its session window replaced by ``window`` (validated like a scenario file's)."""
    if window is None:
        return scenario
    from harness.scenario.schema import scenario_from_dict

    data = scenario.model_dump(mode="json")
    data["session"] = {**data["session"], "start": window[0], "end": window[1]}
    return scenario_from_dict(data, source=source)


def requires_realtime(router_cls: type) -> bool:
    """Whether a router class can only take part in real time (an external system behind it)."""
    return bool(getattr(router_cls, "requires_realtime", False))


def run_paced(
    kernel: Kernel,
    until_ns: int,
    *,
    time_factor: float,
    external: ExternalInput | None = None,
    wake: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, float]:
    """Process the kernel's events strictly before ``until_ns``, each no earlier than its wall-clock due time.

    Parameters
    ----------
    kernel : Kernel
        The simulation's kernel; its current time is mapped to the wall clock's now.
    until_ns : int
        End of the window (exclusive), as :meth:`Kernel.run`.
    time_factor : float
        Simulated seconds per wall second.
    external : ExternalInput or None
        Outside input to wait on while idle; ``wake(t_ns)`` is called (on this thread) when it has some, with the
        simulated time that corresponds to the wall clock then (never before the kernel's now, always before
        ``until_ns``). ``wake`` must schedule something on the kernel at ``t_ns``.
    clock, sleep
        The wall clock and the sleep used without ``external`` (tests substitute them).

    Returns
    -------
    dict
        ``realtime_max_lag_ms`` (largest delay of an event past its due time) and ``realtime_wakeups`` (outside
        input hand-overs).
    """
    env = kernel.env
    rate = time_factor * _NS  # simulated ns per wall second
    t0_sim = env.now
    t0_wall = clock()
    max_lag = 0.0
    wakeups = 0
    while True:
        nxt = env.peek()
        target = until_ns if nxt >= until_ns else nxt
        due = t0_wall + (target - t0_sim) / rate
        remaining = due - clock()
        woke = False
        if external is not None:
            woke = external.wait(max(remaining, 0.0))
        elif remaining > 0:
            sleep(remaining)
        if woke and wake is not None:
            t = t0_sim + int((clock() - t0_wall) * rate)
            wake(min(max(t, env.now), until_ns - 1))
            wakeups += 1
            continue
        late = clock() - due
        if late < 0:
            continue  # woke early (spurious wake-up or input without a wake hook): wait again
        if nxt >= until_ns:
            break
        max_lag = max(max_lag, late)
        kernel.step()
    return {"realtime_max_lag_ms": max_lag * 1000.0, "realtime_wakeups": float(wakeups)}


def run_router_paced(kernel: Kernel, until_ns: int, *, node: Any, settings: RealtimeSettings) -> dict[str, float]:
    """:func:`run_paced` for a simulation hosting ``node``, wiring the router's ``realtime_inbox`` if it has one."""
    inbox = getattr(node.router, "realtime_inbox", None)
    wake = None
    if inbox is not None:
        def wake(t_ns: int) -> None:
            node.timer_at(t_ns, inbox)

    return run_paced(kernel, until_ns, time_factor=settings.time_factor, external=inbox, wake=wake)


def close_router(router: Any) -> tuple[dict[str, dict[str, list[Any]]], dict[str, bytes], str]:
    """Call the router's ``realtime_close()`` if it has one: its extra tables and files, and an error ('' if none).

    Never raises: a router whose teardown fails gets the failure recorded, the run's results are still written.
    """
    close = getattr(router, "realtime_close", None)
    if close is None:
        return {}, {}, ""
    try:
        tables, files = close()
    except Exception as exc:
        return {}, {}, f"router {getattr(router, 'name', '?')!r} failed to close: {type(exc).__name__}: {exc}"
    return dict(tables), dict(files), ""


__all__ = [
    "ExternalInput", "RealtimeSettings", "apply_window", "close_router", "parse_window", "requires_realtime",
    "run_paced", "run_router_paced",
]
