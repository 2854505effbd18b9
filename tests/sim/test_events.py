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


def test_self_help_lets_other_venues_trade_through_a_dead_venues_quote():
    """Rule 611(b)(1): NSDQ's standing offer at $50.01 beats EDGX's $50.02. single-venue sends every market buy to EDGX,
    whose protection (``route_out`` in default.toml) routes it out to NSDQ's better quote while NSDQ is up: filled
    at NSDQ, $50.01. While NSDQ is down (09:30:04-09:30:08) its quote is not protected: the buys fill at EDGX at
    $50.02 (no route-out to a dead venue), and the recorded NBBO offer is EDGX's $50.02, not the dead venue's."""
    from harness.scenario.schema import load_scenario
    from harness.workflows.probe import ProbeSettings, probe_market

    base, _ = load_scenario(SCENARIOS / "default.toml")
    data = probe_market(base, ProbeSettings(orders=12, window_s=11.0))
    plant = {"symbol": "AAA", "qty": 5000, "refresh_ms": 1.0}
    data["plants"] = [dict(plant, venue="NSDQ", side="sell", price_usd=50.01),
                      dict(plant, venue="EDGX", side="sell", price_usd=50.02),
                      dict(plant, venue="EDGX", side="buy", price_usd=49.98)]
    data["events"] = [{"kind": "venue_outage", "venue": "NSDQ", "start": "09:30:04", "end": "09:30:08"}]
    data["router_params"] = {"single-venue": {"venue": "EDGX"}}
    data["routers"] = ["single-venue"]
    sc = scenario_from_dict(data, source="self-help")
    reg = builtin_registry()
    res = engine.simulate(sc, "single-venue", resolve_router_params(sc, reg, "single-venue", source="t"), 3,
                          registry=reg)
    start, end = parse_clock("09:30:04"), parse_clock("09:30:08")
    fills = {(start <= t < end, v, px)
             for t, v, px in zip(res.fills["exec_ts_ns"], res.fills["venue"], res.fills["price"], strict=True)}
    assert fills == {(False, "NSDQ", 500_100), (True, "EDGX", 500_200)}
    asks = {(t >= start) + (t >= end): a for t, a in zip(res.nbbo["ts_ns"], res.nbbo["ask"], strict=True)}
    assert asks == {0: 500_100, 1: 500_200, 2: 500_100}
