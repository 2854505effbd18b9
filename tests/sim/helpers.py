"""Builders for the harness tests: small scenarios, registries with test routers, and a simulate that keeps the market.

``small_scenario()`` is ``scenarios/default.toml`` cut to a 40-second window, 20 parent orders and two routers, so one
:func:`harness.sim.engine.simulate` call takes a fraction of a second. ``simulate_keeping_market`` runs the real
:func:`~harness.sim.engine.simulate` and also returns its :class:`~harness.sim.market.Market` (by spying on the engine's
``_collect`` step), so a test can compare what a router saw with what the venues really showed; the router runs in
the test's process (``--router-process never``), so that the test can look at the router object afterwards.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import harness.sim.engine as engine
from adapters.contract import ParentOrder, Router
from adapters.registry import RouterRegistry, builtin_registry
from harness.scenario.schema import Scenario, scenario_from_dict
from harness.sim.engine import RunResult
from harness.sim.market import Market
from harness.sim.router_node import RouterLimits, RouterNode

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TOML = REPO / "scenarios" / "default.toml"

SMALL_END = "09:30:40"
SMALL_ORDERS = 20
SMALL_WARMUP_S = 5.0


def default_dict() -> dict[str, Any]:
    """``scenarios/default.toml`` as a plain dict (a fresh deep copy every call)."""
    with open(DEFAULT_TOML, "rb") as fh:
        return copy.deepcopy(tomllib.load(fh))


def small_dict(**session: Any) -> dict[str, Any]:
    """The default scenario cut to a 40 s window and 20 parents (``session`` keys override, e.g. ``seed=3``)."""
    d = default_dict()
    d["session"]["end"] = SMALL_END
    d["session"].update(session)
    d["flow"]["orders"] = SMALL_ORDERS
    d["flow"]["warmup_s"] = SMALL_WARMUP_S
    d["routers"] = ["best-price", "single-venue"]  # two routers keep CLI runs of the small scenario quick
    return d


def small_scenario(d: dict[str, Any] | None = None) -> Scenario:
    """A validated scenario from ``d`` (default: :func:`small_dict`)."""
    return scenario_from_dict(d if d is not None else small_dict(), source="<test>")


def registry_with(*classes: type[Router]) -> RouterRegistry:
    """The built-in registry plus ``classes``."""
    reg = builtin_registry()
    for cls in classes:
        reg.register(cls, origin="test")
    return reg


def simulate_keeping_market(
    scenario: Scenario, router: type[Router], *, seed: int = 1, params: Any = None,
    parents: list[ParentOrder] | None = None,
) -> tuple[RunResult, Market, RouterNode]:
    """Run :func:`harness.sim.engine.simulate` for ``router`` and return its result, market and router node."""
    reg = registry_with(router) if router.name not in builtin_registry() else builtin_registry()
    captured: dict[str, Any] = {}
    real_collect: Callable[..., None] = engine._collect

    def spy(result: RunResult, node: RouterNode, market: Market, *args: Any) -> None:
        captured["node"], captured["market"] = node, market
        real_collect(result, node, market, *args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "_collect", spy)
        result = engine.simulate(  # in this process: the tests look at the router object itself afterwards
            scenario, router.name, params if params is not None else router.Params(), seed,
            parents=parents, registry=reg, limits=RouterLimits(callback_timeout_s=None, router_process="never"),
        )
    return result, captured["market"], captured["node"]


class CrashingRouter(Router):
    """Raises on its first parent order (importable, so worker processes can unpickle it)."""

    name = "crasher"
    description = "Test router: raises in on_parent."
    MESSAGE = "crasher exploded on purpose"

    def on_parent(self, parent: ParentOrder) -> None:
        raise RuntimeError(self.MESSAGE)
