"""Generated parent-order flows (harness/sim/flow.py): a pure function of scenario and seed, shared by every router.

Order files (harness/io/orders.py) are tests/io/test_orders.py."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

import harness.sim.engine as engine
from adapters.contract import ParentOrder
from adapters.registry import builtin_registry
from harness.scenario.clock import parse_clock
from harness.scenario.schema import Scenario, scenario_from_dict
from harness.sim.engine import build_parents
from harness.sim.flow import generate_parents
from venues.types import OrdType, Side

DEFAULT = Path(__file__).resolve().parents[2] / "scenarios" / "default.toml"
_DEFAULT_DATA = tomllib.loads(DEFAULT.read_text(encoding="utf-8"))

START = parse_clock("09:30:00")
END = parse_clock("09:30:40")
S = 1_000_000_000


def tiny_dict(**flow: Any) -> dict[str, Any]:
    """default.toml cut to 40 s and 10 parents (``flow`` keys override)."""
    d = copy.deepcopy(_DEFAULT_DATA)
    d["session"]["end"] = "09:30:40"
    d["flow"].update({"orders": 10, "warmup_s": 5.0, **flow})
    return d


def tiny(**flow: Any) -> Scenario:
    return scenario_from_dict(tiny_dict(**flow), source="<tiny>")


# ----------------------------------------------------------------------------------------------- generated flow
class _Flat:
    """An efficient price that never moves."""

    def __init__(self, price: int) -> None:
        self.price = price

    def exogenous_at(self, ts_ns: int) -> int:
        return self.price


FLAT = {"AAA": _Flat(500_000), "BBB": _Flat(200_037)}  # BBB's value sits between ticks


def test_generated_flow_is_deterministic_per_seed():
    sc = tiny(orders=50)
    assert build_parents(sc, 1) == build_parents(sc, 1)
    assert build_parents(sc, 1) != build_parents(sc, 2)
    assert generate_parents(sc, 7, FLAT) == generate_parents(sc, 7, FLAT)


@pytest.mark.parametrize("orders", [0, 1, 37])
def test_generated_flow_has_flow_orders_parents(orders):
    parents = build_parents(tiny(orders=orders), 3)
    assert len(parents) == orders
    assert [p.parent_id for p in parents] == list(range(1, orders + 1))


def test_generated_parents_respect_window_sizes_and_tick_grid():
    sc = tiny(orders=2_000, max_shares=700, limit_offset_ticks_max=4)
    parents = generate_parents(sc, 11, FLAT)
    lo = sc.session.start_ns + int(sc.flow.warmup_s * S)
    assert all(lo <= p.arrival_ts_ns < sc.session.end_ns for p in parents)
    assert [p.arrival_ts_ns for p in parents] == sorted(p.arrival_ts_ns for p in parents)
    sizes = [p.qty for p in parents]
    assert min(sizes) >= 1 and max(sizes) == 700  # median 300, log-sd 1: many are capped
    ticks = {s.name: s.tick for s in sc.symbols}
    kinds = {OrdType.MARKET: 0, OrdType.LIMIT: 0}
    for p in parents:
        kinds[p.order_type] += 1
        if p.order_type is OrdType.MARKET:
            assert p.limit_price is None
            continue
        tick, value = ticks[p.symbol], FLAT[p.symbol].price
        assert p.limit_price % tick == 0
        # 1..limit_offset_ticks_max ticks through or behind the value (a value between ticks rounds outward).
        assert tick <= abs(p.limit_price - value) <= 5 * tick
    assert kinds[OrdType.MARKET] > 0 and kinds[OrdType.LIMIT] > 0
    assert {p.side for p in parents} == {Side.BUY, Side.SELL}
    assert {p.symbol for p in parents} == {"AAA", "BBB"}


def test_generated_flow_follows_mix_side_and_symbol_weights():
    sc = tiny(orders=300, buy_share=1.0, mix={"market": 1.0, "marketable_limit": 0.0, "nonmarketable_limit": 0.0},
              symbol_weights={"AAA": 0.0, "BBB": 1.0}, round_lot_share=1.0)
    parents = generate_parents(sc, 5, FLAT)
    assert {(p.side, p.order_type, p.symbol) for p in parents} == {(Side.BUY, OrdType.MARKET, "BBB")}
    assert all(p.qty % 100 == 0 for p in parents)


def test_generated_flow_is_identical_for_every_router(monkeypatch):
    """The flow depends on scenario and seed only: simulate hands both routers the build_parents list."""
    sc = tiny()
    seen: dict[str, list[ParentOrder]] = {}
    real = engine.generate_parents
    registry = builtin_registry()
    for name in ("best-price", "single-venue"):
        monkeypatch.setattr(engine, "generate_parents", lambda *a, _n=name: seen.setdefault(_n, real(*a)))
        result = engine.simulate(sc, name, registry.get(name).Params(), 1, registry=registry)
        assert result.status == "ok"
        assert set(result.child_orders["parent_id"]) <= {p.parent_id for p in seen[name]}
    assert seen["best-price"] == seen["single-venue"] == build_parents(sc, 1)
    assert len(seen["best-price"]) == 10
