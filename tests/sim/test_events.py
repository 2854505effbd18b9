"""Scheduled market events: venue outages, stale feeds and trading halts do what the scenario says."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from adapters.registry import builtin_registry
from harness.errors import UserError
from harness.scenario.clock import parse_clock
from harness.scenario.routers import resolve_router_params
from harness.scenario.schema import scenario_from_dict
from harness.sim import engine

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _run(name: str, router: str = "single-venue", **session):
    d = tomllib.loads((SCENARIOS / name).read_text(encoding="utf-8"))
    d["session"].update(session)
    sc = scenario_from_dict(d, source=name, registry=builtin_registry())
    reg = builtin_registry()
    captured = {}
    original = engine._collect

    def capture(result, node, market, names, end_ns):
        captured["market"] = market
        original(result, node, market, names, end_ns)

    engine._collect = capture
    try:
        result = engine.simulate(sc, router, resolve_router_params(sc, reg, router, source=name), sc.session.seed,
                                 registry=reg)
    finally:
        engine._collect = original
    return sc, result, captured["market"]


@pytest.fixture(scope="module")
def outage():
    return _run("venue-outage.toml", end="09:38:00")


@pytest.fixture(scope="module")
def halt():
    return _run("halt-reopen.toml", end="09:37:00")


def test_a_venue_in_outage_rejects_the_routers_orders_and_accepts_them_before_and_after(outage):
    """single-venue sends everything to NSDQ: children arriving 09:33-09:35 are rejected venue_closed, others not."""
    _sc, result, _market = outage
    ch = result.child_orders
    start, end = parse_clock("09:33:00"), parse_clock("09:35:00")
    inside = [s for s, t in zip(ch["status"], ch["venue_ts_ns"], strict=True) if t is not None and start <= t < end]
    outside = [(s, r) for s, r, t in zip(ch["status"], ch["reject_reason"], ch["venue_ts_ns"], strict=True)
               if t is not None and not start <= t < end]
    assert inside and all(s == "rejected" for s in inside)
    assert outside and all(r != "venue_closed" for _s, r in outside)
    reasons = {r for r, t in zip(ch["reject_reason"], ch["venue_ts_ns"], strict=True) if t and start <= t < end}
    assert reasons == {"venue_closed"}


def test_no_trade_prints_on_a_venue_in_outage(outage):
    """Nothing new can reach the book, so nothing trades there (cancels only)."""
    _sc, result, _market = outage
    tr = result.trades
    start, end = parse_clock("09:33:00"), parse_clock("09:35:00")
    assert not [t for v, t in zip(tr["venue"], tr["ts_ns"], strict=True) if v == "NSDQ" and start <= t < end]
    assert [t for v, t in zip(tr["venue"], tr["ts_ns"], strict=True) if v == "NSDQ" and t >= end]


def test_a_frozen_feed_publishes_nothing_while_its_venue_keeps_trading(outage):
    """EDGX's quote history has no entry inside 09:36-09:37, but EDGX trades there, and the feed resumes at 09:37."""
    _sc, result, market = outage
    edgx = market.venue_index["EDGX"]
    start, end = parse_clock("09:36:00"), parse_clock("09:37:00")
    for hist in market.history[edgx].values():
        assert not [t for t in hist.ts if start < t < end]
        assert [t for t in hist.ts if t >= end]
    assert [t for v, t in zip(result.trades["venue"], result.trades["ts_ns"], strict=True)
            if v == "EDGX" and start <= t < end]


def test_a_halted_symbol_does_not_trade_anywhere_and_resumes_after(halt):
    """AAA prints no trade on any venue 09:33-09:36; BBB keeps trading; AAA trades again after the reopening."""
    _sc, result, _market = halt
    tr = result.trades
    start, end = parse_clock("09:33:00"), parse_clock("09:36:00")
    rows = list(zip(tr["symbol"], tr["ts_ns"], strict=True))
    assert not [t for s, t in rows if s == "AAA" and start <= t < end]
    assert [t for s, t in rows if s == "BBB" and start <= t < end]
    assert [t for s, t in rows if s == "AAA" and t >= end]


def test_router_orders_in_a_halted_symbol_are_rejected_halted(halt):
    """The router's AAA children that reach a venue during the halt are rejected with reason halted."""
    _sc, result, _market = halt
    ch = result.child_orders
    start, end = parse_clock("09:33:00"), parse_clock("09:36:00")
    during = [r for s, r, t in zip(ch["symbol"], ch["reject_reason"], ch["venue_ts_ns"], strict=True)
              if s == "AAA" and t is not None and start <= t < end]
    assert during and set(during) == {"halted"}


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"kind": "halt", "venue": "NSDQ", "start": "09:31:00", "end": "09:32:00"}, "events[0].symbol"),
        ({"kind": "venue_outage", "venue": "NOPE", "start": "09:31:00", "end": "09:32:00"}, "events[0].venue"),
        ({"kind": "halt", "symbol": "AAA", "start": "09:32:00", "end": "09:31:00"}, "events[0].end"),
        ({"kind": "halt", "symbol": "ZZZ", "start": "09:31:00", "end": "09:32:00"}, "events[0].symbol"),
        ({"kind": "halt", "symbol": "AAA", "start": "08:00:00", "end": "09:32:00"}, "events[0].start"),
    ],
)
def test_bad_events_are_named(event, field):
    d = tomllib.loads((SCENARIOS / "default.toml").read_text(encoding="utf-8"))
    d["events"] = [event]
    with pytest.raises(UserError) as err:
        scenario_from_dict(d, source="x.toml")
    assert str(err.value).startswith(f"x.toml: {field}:"), str(err.value)
