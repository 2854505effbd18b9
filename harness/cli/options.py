"""The options several commands share, and turning options into settings with one-line errors.

``--policy``, ``--broker`` and ``--period`` (``run`` and ``tca``) become the review policy and the regulatory files'
settings; ``run``'s real-time, router-limit and router-config options become the objects the workflows take.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from harness.errors import UserError

PolicyOption = Annotated[
    Path | None, typer.Option(help="Review-policy TOML (default: scenarios/policy/review-thresholds.toml).")
]
BrokerOption = Annotated[str | None, typer.Option(help="Broker-dealer named in the Rule 605/606 files.")]
PeriodOption = Annotated[
    str | None, typer.Option(help="Month the Rule 605/606 files report, YYYY-MM (default: the session date).")
]


def analysis_options(policy: Path | None, broker: str | None, *, period: str | None) -> tuple[Any, Any]:
    """The review policy and the regulatory files' settings from ``--policy``, ``--broker`` and ``--period``."""
    import datetime as dt

    from harness.analytics.regulatory import RegulatoryConfig
    from harness.analytics.review_policy import load_policy

    review = load_policy(policy)
    config = RegulatoryConfig()
    if broker is not None:
        if not broker.strip() or len(broker) > 200:
            raise UserError(f"--broker: {broker!r} must be 1 to 200 characters")
        config = RegulatoryConfig(broker=broker.strip())
    if period is not None:
        try:
            month = dt.date.fromisoformat(f"{period}-01")
        except ValueError:
            raise UserError(f"--period: {period!r} is not a month YYYY-MM") from None
        config = RegulatoryConfig(broker=config.broker, period=month)
    return review, config


def realtime_options(
    sc: Any, registry: Any, *, routers: list[str], realtime: bool, time_factor: float, window: str | None,
    incentive_test: bool,
) -> tuple[Any, Any]:
    """The scenario (with ``--window`` applied) and the real-time settings (None: virtual time); one-line errors."""
    from harness.sim.realtime import RealtimeSettings, apply_window, parse_window, requires_realtime

    external = [r for r in routers if requires_realtime(registry.get(r))]
    if not realtime:
        if external:
            raise UserError(f"--router {external[0]}: an external router takes part only in real time: add --realtime "
                            "(see docs/fix.md)")
        if window is not None or time_factor != 1.0:
            raise UserError("--window and --time-factor need --realtime")
        return sc, None
    if not (math.isfinite(time_factor) and 0 < time_factor <= 1000):
        raise UserError(f"--time-factor: {time_factor} must be > 0 and <= 1000")
    if incentive_test and external:
        raise UserError(f"--incentive-test: router {external[0]!r} cannot be rerun on payment twins (it is external)")
    span = parse_window(window) if window is not None else None
    return apply_window(sc, span), RealtimeSettings(time_factor=time_factor, window=span)


ExecutorOption = Annotated[str, typer.Option(
    help="Where the simulations run: local (this machine, --jobs processes), dask (a Dask LocalCluster of --jobs "
         "workers; needs sorbench[dask]) or dask://HOST:PORT (a running Dask scheduler; docs/scaling.md).")]


def executor_choice(value: str, *, realtime: bool = False) -> Any:
    """The checked ``--executor`` value (:class:`~harness.workflows.executor.ExecutorChoice`); one-line errors."""
    from harness.workflows.executor import parse_executor

    choice = parse_executor(value)
    if realtime and choice.kind != "local":
        raise UserError(f"--executor: {value!r}: a real-time run (--realtime) is paced in this process; use local")
    return choice


RouterProcessOption = Annotated[str, typer.Option(
    help="Which routers run in a router process of their own: plugins (every router not built in), always, or "
         "never (debugging one's own router only).")]
RouterMemoryOption = Annotated[str, typer.Option(
    help="Address-space limit of each router process: bytes, or with KiB/MiB/GiB (default 1GiB; 0: none).")]
RouterCpuOption = Annotated[int, typer.Option(
    help="CPU-time limit of each router process over its (router, seed) run, seconds (0: none).")]

_UNITS = {"": 1, "b": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_memory(text: str) -> int | None:
    """``--router-memory`` in bytes (None for 0); one-line error otherwise."""
    raw = text.strip().lower()
    digits = raw.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = raw[len(digits):].strip()
    if not digits.strip().isdigit() or unit not in _UNITS or len(digits) > 15:
        raise UserError(f"--router-memory: {text[:40]!r} is not a size such as 1GiB, 512MiB or 0 (none)")
    value = int(digits) * _UNITS[unit]
    if value and value < 64 << 20:
        raise UserError(f"--router-memory: {text!r} is below 64MiB, too little to start a Python process")
    return value or None


def router_limits(timeout_s: float, decision: str, *, cls: Any,
                  isolation: tuple[str, str, int] = ("plugins", "1GiB", 600)) -> Any:
    """``RouterLimits`` from the CLI options (one-line errors).

    ``isolation`` is ``(--router-process, --router-memory, --router-cpu)``.
    """
    process, memory, cpu_s = isolation
    if process not in ("plugins", "always", "never"):
        raise UserError(f"--router-process: {process!r} is not plugins, always or never")
    if not 0 <= cpu_s <= 10**7:
        raise UserError(f"--router-cpu: {cpu_s} must be between 0 (none) and 10,000,000 seconds")
    extra = {"router_process": process, "router_memory_bytes": parse_memory(memory), "router_cpu_s": cpu_s or None}
    if not (timeout_s >= 0 and math.isfinite(timeout_s)):
        raise UserError(f"--callback-timeout: {timeout_s} must be a number of seconds >= 0")
    value: str | int = decision
    if decision not in ("none", "measured"):
        try:
            value = int(decision)
        except ValueError:
            raise UserError(f"--decision-latency: {decision!r} is not none, measured or a number of ns") from None
        if value < 0:
            raise UserError(f"--decision-latency: {decision!r} must be >= 0 ns")
    return cls(callback_timeout_s=timeout_s or None, decision_latency=value, **extra)


def apply_router_config(sc: Any, path: Path, registry: Any) -> Any:
    """The scenario with ``[router_params]`` tables replaced by those of a router-config TOML file (checked)."""
    from harness.scenario.routers import apply_router_config as apply

    return apply(sc, path, registry)
