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


def router_limits(timeout_s: float, decision: str, *, cls: Any) -> Any:
    """``RouterLimits`` from the CLI options (one-line errors)."""
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
    return cls(callback_timeout_s=timeout_s or None, decision_latency=value)


def apply_router_config(sc: Any, path: Path, registry: Any) -> Any:
    """The scenario with ``[router_params]`` tables replaced by those of a router-config TOML file (checked)."""
    from harness.scenario.routers import apply_router_config as apply

    return apply(sc, path, registry)
