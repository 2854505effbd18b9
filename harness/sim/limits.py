"""How a run contains and charges a router: :class:`RouterLimits` (wall clock, decision time, router processes).

Also importable from :mod:`harness.sim.router_node`, where it used to live.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ROUTER_MEMORY_BYTES = 1 << 30
"""A router process's default address-space limit: 1 GiB (``--router-memory``)."""
DEFAULT_ROUTER_CPU_S = 600
"""A router process's default CPU-time limit over its (router, seed) run: 600 s (``--router-cpu``)."""
DEFAULT_ROUTER_REQUESTS = 10_000
"""Requests a router process may make in one callback (more is a flood: the run fails)."""


@dataclass(frozen=True)
class RouterLimits:
    """How a run contains and charges the router's own computation.

    Parameters
    ----------
    callback_timeout_s : float or None
        Wall-clock limit of one callback; a callback that runs longer is stopped (``SIGALRM``, POSIX main thread)
        and the run fails with the reason. ``None``: no limit.
    decision_latency : "none", "measured" or int
        Router computation charged as latency: ``"none"`` (the router thinks in zero time), ``"measured"`` (each
        order, cancel or replace leaves the router after the wall-clock time the callback had spent when it was
        sent; results then depend on the machine and are not reproducible) or a fixed number of nanoseconds added
        to each of them (reproducible).
    router_process : "plugins", "always" or "never"
        Which routers run in a process of their own (:mod:`harness.sim.router_process`): every plug-in (any router
        not built into sorbench), every router, or none (in this process: for debugging one's own router only).
        Routers that take part only in real time always run in this process.
    router_memory_bytes : int or None
        Address-space limit of a router process (``RLIMIT_AS``); None: none.
    router_cpu_s : int or None
        CPU-time limit of a router process, seconds over its whole (router, seed) run (``RLIMIT_CPU``); None: none.
    router_requests_per_callback : int
        Requests (quotes, orders, cancels, replaces, timers) a router process may make in one callback.
    """

    callback_timeout_s: float | None = 30.0
    decision_latency: str | int = "none"
    router_process: str = "plugins"
    router_memory_bytes: int | None = DEFAULT_ROUTER_MEMORY_BYTES
    router_cpu_s: int | None = DEFAULT_ROUTER_CPU_S
    router_requests_per_callback: int = DEFAULT_ROUTER_REQUESTS

    def __post_init__(self) -> None:
        if self.callback_timeout_s is not None and not self.callback_timeout_s > 0:
            raise ValueError(f"callback timeout must be positive, got {self.callback_timeout_s}")
        d = self.decision_latency
        if isinstance(d, str):
            if d not in ("none", "measured"):
                raise ValueError(f"decision latency must be 'none', 'measured' or nanoseconds, got {d!r}")
        elif d < 0:
            raise ValueError(f"decision latency must be >= 0 ns, got {d}")
        if self.router_process not in ("plugins", "always", "never"):
            raise ValueError(f"router process must be 'plugins', 'always' or 'never', got {self.router_process!r}")
        for what, v in (("router memory", self.router_memory_bytes), ("router CPU limit", self.router_cpu_s)):
            if v is not None and v <= 0:
                raise ValueError(f"{what} must be positive, got {v}")
        if self.router_requests_per_callback <= 0:
            raise ValueError(f"requests per callback must be positive, got {self.router_requests_per_callback}")
