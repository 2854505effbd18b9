"""End-to-end simulations on a cut-down default scenario: what routers see, what they can reach, what they face.

Each simulation runs the real :func:`harness.sim.engine.simulate` on ``scenarios/default.toml`` cut to 40 s and 20
parents (see :mod:`tests.sim.helpers`), with latencies replaced by constants where a test needs exact times.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from enum import Enum
from typing import Any

import pytest
import simpy

from adapters.contract import (
    ChildAck,
    ChildCancelled,
    ChildFill,
    ChildReject,
    ParentOrder,
    Router,
    RouterContext,
)
from adapters.reference import BestPriceRouter, SingleVenueRouter
from harness.sim.background import EfficientPrice, LiquidityFlow, MarketMaker
from harness.sim.engine import Links, build_parents, efficient_prices, simulate
from harness.sim.kernel import Kernel
from harness.sim.market import Market, consolidate
from harness.sim.router_node import RouterNode
from tests.sim.helpers import (
    CrashingRouter,
    registry_with,
    simulate_keeping_market,
    small_dict,
    small_scenario,
)
from venues.book import OrderBook
from venues.types import Quote, RejectReason, Side, TimeInForce
from venues.venue import LitVenue

MS = 1_000_000


def const(ns: int) -> dict[str, Any]:
    return {"model": "constant", "ns": ns}


# ----------------------------------------------------------------------------------------------------- probe router
class ProbeRouter(Router):
    """Sends nothing; every 7 ms records the SIP's NBBO and every venue's direct-feed quote, and keeps its parents."""

    name = "probe"
    EVERY_NS = 7 * MS

    def on_start(self, ctx: RouterContext) -> None:
        super().on_start(ctx)
        self.context = ctx
        self.parents: list[ParentOrder] = []
        self.samples: list[tuple[int, str, Quote, dict[str, Quote]]] = []
        ctx.set_timer(50 * MS)

    def on_parent(self, parent: ParentOrder) -> None:
        self.parents.append(parent)

    def on_timer(self, token: object) -> None:
        ctx = self.ctx
        for sym in ctx.symbols:
            quotes = {v: ctx.quote(v, sym) for v, info in ctx.venues.items() if sym in info.symbols}
            self.samples.append((ctx.now_ns, sym, ctx.nbbo(sym), quotes))
        ctx.set_timer(self.EVERY_NS)


def _probe_of(node: RouterNode) -> ProbeRouter:
    router = node.router
    assert isinstance(router, ProbeRouter)
    return router


# ---------------------------------------------------------------------------------------------------------- (a) SIP
SIP_MD_NS = 2 * MS  # venue -> SIP
SIP_PROCESSING_NS = 1 * MS
SIP_TO_ROUTER_NS = 1 * MS
DIRECT_NS = 1 * MS  # venue -> router


def sip_lag_scenario():
    """Constant latencies (direct feeds 1 ms; SIP 2 ms in, 1 ms processing, 1 ms out) and a 4th, unprotected venue."""
    d = small_dict()
    d["venues"].append(
        {"name": "UNPROT", "fees": {"model": "maker-taker", "take_usd": 0.0030, "make_usd": -0.0020},
         "protected": False, "flow_share": 1.0}
    )
    d["latency"] = {
        "sip_processing": const(SIP_PROCESSING_NS),
        "defaults": {"order_entry": const(150_000), "response": const(150_000), "market_data": const(DIRECT_NS)},
        "links": [
            {"participant": "sip", "venue": v["name"], "direction": "market_data", "model": const(SIP_MD_NS)}
            for v in d["venues"]
        ] + [{"participant": "router", "venue": "SIP", "direction": "market_data", "model": const(SIP_TO_ROUTER_NS)}],
    }
    return small_scenario(d)


@pytest.fixture(scope="module")
def sip_run():
    sc = sip_lag_scenario()
    result, market, node = simulate_keeping_market(sc, ProbeRouter)
    assert result.status == "ok", result.error
    return sc, market, _probe_of(node)


def test_direct_feed_shows_each_venue_as_of_now_minus_its_link(sip_run):
    """ctx.quote(v, s) at t is venue v's top of book in force at t - 1 ms (the constant direct-feed latency)."""
    sc, market, probe = sip_run
    names = [v.name for v in sc.venues]
    assert len(probe.samples) > 5_000
    changed = 0
    for now, sym, _nbbo, quotes in probe.samples:
        for v, q in quotes.items():
            hist = market.history[names.index(v)][sym]
            assert q == hist.at(now - DIRECT_NS), (now, v, sym)
            changed += q != hist.at(now)
    assert changed > 100  # the delay matters: the direct view often differs from the venue's state now


def test_sip_nbbo_is_the_protected_consolidation_as_of_now_minus_all_sip_latencies(sip_run):
    """ctx.nbbo(s) at t consolidates the protected venues' tops in force at t - (1 + 1 + 2) ms; it lags direct feeds.

    The SIP-to-router link (1 ms), the SIP's processing (1 ms) and the venue-to-SIP links (2 ms) add up to 4 ms, three
    more than the direct feeds' 1 ms. The unprotected venue UNPROT is never part of it.
    """
    sc, market, probe = sip_run
    names = [v.name for v in sc.venues]
    protected = [i for i, v in enumerate(sc.venues) if v.is_protected]
    # the lit venues but UNPROT are protected; the dark pool and the wholesalers have no quote at all
    assert names[len(names) - 1] == "UNPROT" and [names[i] for i in protected] == ["NSDQ", "EDGX", "BYX"]
    lag = SIP_TO_ROUTER_NS + SIP_PROCESSING_NS + SIP_MD_NS
    lags_direct = unprotected_would_matter = 0
    for now, sym, q, quotes in probe.samples:
        seen = [market.history[i][sym].top_at(now - lag) for i in protected]
        expected = consolidate([top for _, top in seen])
        assert (q.bid, q.bid_size, q.ask, q.ask_size) == expected, (now, sym)
        assert q.ts_ns == max(t for t, _ in seen)
        # The true NBBO history, read at the same lagged time, agrees on prices and sizes.
        true_then = market.nbbo[sym].at(now - lag)
        assert (true_then.bid, true_then.bid_size, true_then.ask, true_then.ask_size) == expected
        direct = consolidate([
            (x.bid, x.bid_size, x.ask, x.ask_size) for v, x in quotes.items() if names.index(v) in protected
        ])
        lags_direct += direct != expected
        with_unprot = consolidate([top for _, top in seen] + [market.history[len(names) - 1][sym].top_at(now - lag)[1]])
        unprotected_would_matter += with_unprot != expected
    assert lags_direct > 100  # the SIP's NBBO is older than what the direct feeds show
    assert unprotected_would_matter > 100  # so excluding UNPROT is really being checked


# ---------------------------------------------------------------------------------------------------- (b) isolation
_HIDDEN = (Market, Kernel, OrderBook, LitVenue, EfficientPrice, MarketMaker, LiquidityFlow, RouterNode,
           simpy.Environment)


def public_reach(root: object, *, depth: int = 4) -> list[tuple[str, object]]:
    """Every object reachable from ``root`` through public (non-underscore) attributes, mapping values and items."""
    out: list[tuple[str, object]] = []
    seen: set[int] = set()
    stack: list[tuple[object, str, int]] = [(root, "ctx", 0)]
    while stack:
        obj, path, d = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        out.append((path, obj))
        if d >= depth or isinstance(obj, (int, float, str, bytes, bool, type(None), Enum, type)):
            continue
        if isinstance(obj, Mapping):
            stack += [(v, f"{path}[{k!r}]", d + 1) for k, v in obj.items()]
            continue
        if isinstance(obj, (list, tuple, set, frozenset)):
            stack += [(v, f"{path}[{i}]", d + 1) for i, v in enumerate(obj)]
            continue
        for name in dir(obj):
            if name.startswith("_"):
                continue
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # pydantic's deprecated instance attributes
                    value = getattr(obj, name)
            except Exception:  # a property that needs state is simply not followed
                continue
            stack.append((value, f"{path}.{name}", d + 1))
    return out


def _contract_members() -> set[str]:
    return {n for n in vars(RouterContext) if not n.startswith("_")}


@pytest.fixture(scope="module")
def probe_context():
    sc = small_scenario()
    result, _market, node = simulate_keeping_market(sc, ProbeRouter)
    assert result.status == "ok", result.error
    return _probe_of(node).context, node


def test_router_context_offers_exactly_the_contract_members(probe_context):
    """The context a router gets has no public attribute beyond the RouterContext protocol's members."""
    ctx, _node = probe_context
    public = {n for n in dir(ctx) if not n.startswith("_")}
    assert public == _contract_members()
    assert _contract_members() == {
        "now_ns", "venues", "symbols", "nbbo", "quote", "send", "cancel", "replace", "set_timer", "fills",
    }


def test_router_cannot_reach_hidden_state_through_public_attributes(probe_context):
    """No market, book, venue object, efficient price, kernel or the node itself is publicly reachable from ctx."""
    ctx, node = probe_context
    leaks = [(path, type(o).__name__) for path, o in public_reach(ctx) if isinstance(o, _HIDDEN)]
    assert leaks == []
    # The walk does find such leaks when they exist: the node the context wraps exposes the market publicly.
    assert any(isinstance(o, Market) for _, o in public_reach(node))


def test_router_context_rejects_new_attributes(probe_context):
    """A router cannot hang its own state on the context (and so cannot alter what other code reads from it)."""
    ctx, _node = probe_context
    with pytest.raises(AttributeError):
        ctx.market = object()


# ---------------------------------------------------------------------------------------------------- (c) CRN
class RecordingBestPrice(BestPriceRouter):
    """best-price, keeping the parents it receives."""

    name = "rec-best-price"

    def on_parent(self, parent: ParentOrder) -> None:
        self.__dict__.setdefault("parents", []).append(parent)
        super().on_parent(parent)


class RecordingSingleVenue(SingleVenueRouter):
    """single-venue, keeping the parents it receives."""

    name = "rec-single-venue"

    def on_parent(self, parent: ParentOrder) -> None:
        self.__dict__.setdefault("parents", []).append(parent)
        super().on_parent(parent)


def _rows(table: dict[str, list[Any]], cols: tuple[str, ...]) -> list[tuple[Any, ...]]:
    return list(zip(*(table[c] for c in cols), strict=True))


def test_two_routers_face_the_same_background_market_until_their_first_order():
    """Common random numbers: same seed, other router -> same parents, same tape and NBBO before any child order."""
    sc = small_scenario()
    runs = []
    for cls in (RecordingBestPrice, RecordingSingleVenue):
        params = cls.Params(venue="NSDQ") if cls is RecordingSingleVenue else cls.Params()
        result, _market, node = simulate_keeping_market(sc, cls, seed=4, params=params)
        assert result.status == "ok", result.error
        runs.append((result, node.router.parents))
    (ra, pa), (rb, pb) = runs
    assert pa == pb == build_parents(sc, 4)
    assert len(pa) == sc.flow.orders
    t0 = min(min(ra.child_orders["sent_ts_ns"]), min(rb.child_orders["sent_ts_ns"]))
    cols = ("ts_ns", "venue", "symbol", "price", "qty", "aggressor", "router_involved")
    before_a = [r for r in _rows(ra.trades, cols) if r[0] < t0 and not r[-1]]
    before_b = [r for r in _rows(rb.trades, cols) if r[0] < t0 and not r[-1]]
    assert len(before_a) > 20  # a real stretch of market to compare
    assert before_a == before_b
    nb_cols = ("symbol", "ts_ns", "bid", "bid_size", "ask", "ask_size")
    assert [r for r in _rows(ra.nbbo, nb_cols) if r[1] < t0] == [r for r in _rows(rb.nbbo, nb_cols) if r[1] < t0]
    # ...and afterwards the routers' own orders make the markets differ.
    assert _rows(ra.trades, cols) != _rows(rb.trades, cols)


def test_adding_a_venue_changes_no_other_component_s_draws():
    """A new venue leaves the efficient prices, the parents and existing links' delays exactly as they were."""
    base = small_scenario()
    d = small_dict()
    d["venues"].insert(0, {"name": "NEWV", "fees": {"model": "maker-taker", "take_usd": 0.003, "make_usd": -0.002}})
    more = small_scenario(d)
    for seed in (1, 2):
        va, vb = efficient_prices(base, seed), efficient_prices(more, seed)
        assert all(va[s].path == vb[s].path for s in va)
        assert build_parents(base, seed) == build_parents(more, seed)
        la, lb = Links(base, seed), Links(more, seed)
        for who, venue, direction in (("router", "EDGX", "order_entry"), ("market_maker", "BYX", "response")):
            a = la.get(who, venue, direction, instance="AAA")
            b = lb.get(who, venue, direction, instance="AAA")
            assert [a.delay() for _ in range(600)] == [b.delay() for _ in range(600)]


# ---------------------------------------------------------------------------------------------------- (d) failures
class _BoomError(Exception):
    pass


def _raising(where: str) -> type[Router]:
    class Raising(Router):
        name = f"raises-in-{where}"

        def __init__(self, params: Any = None) -> None:
            if where == "__init__":
                raise _BoomError(f"boom in {where}")
            super().__init__(params)

        def on_start(self, ctx: RouterContext) -> None:
            super().on_start(ctx)
            if where == "on_start":
                raise _BoomError(f"boom in {where}")
            ctx.set_timer(2 * MS)

        def on_parent(self, parent: ParentOrder) -> None:
            if where == "on_parent":
                raise _BoomError(f"boom in {where}")
            q = self.ctx.quote("NSDQ", parent.symbol)
            price = q.ask if parent.side is Side.BUY else q.bid
            self.ctx.send(parent_id=parent.parent_id, venue="NSDQ", side=parent.side, qty=parent.qty, price=price,
                          tif=TimeInForce.IOC)

        def on_timer(self, token: object) -> None:
            if where == "on_timer":
                raise _BoomError(f"boom in {where}")

        def on_ack(self, ack: ChildAck) -> None:
            if where == "on_ack":
                raise _BoomError(f"boom in {where}")

        def on_end(self) -> None:
            if where == "on_end":
                raise _BoomError(f"boom in {where}")

    return Raising


@pytest.mark.parametrize("where", ["__init__", "on_start", "on_parent", "on_timer", "on_ack", "on_end"])
def test_a_raising_router_fails_its_run_with_the_traceback_instead_of_raising(where: str):
    """An exception in any router code gives status 'failed', the message and traceback; simulate does not raise."""
    cls = _raising(where)
    sc = small_scenario()
    result = simulate(sc, cls.name, cls.Params(), 1, registry=registry_with(cls))
    assert result.status == "failed"
    assert f"boom in {where}" in result.error
    assert where in result.error
    assert "Traceback" in result.traceback and f"boom in {where}" in result.traceback
    assert "_BoomError" in result.traceback


def test_the_crashing_router_of_the_run_tests_fails_in_on_parent():
    """helpers.CrashingRouter (used across processes by the run tests) fails in on_parent with its message."""
    sc = small_scenario()
    result = simulate(sc, CrashingRouter.name, CrashingRouter.Params(), 1, registry=registry_with(CrashingRouter))
    assert result.status == "failed"
    assert "on_parent" in result.error and CrashingRouter.MESSAGE in result.traceback


# ---------------------------------------------------------------------------------------------------- (e) lifecycle
ENTRY_NS = 200_000
RESPONSE_NS = 300_000


class LifecycleRouter(Router):
    """Exercises every kind of child order and request, and records every message in the order it arrives.

    Per parent: an IOC one tick through the direct-feed contra quote on venue 0; a passive DAY limit three ticks
    behind the quote on venue 1 that is then shrunk (replace, same price), re-priced through the market (replace,
    may trade at once) and finally cancelled, replaced to zero or left open; a small DAY market order on venue 2;
    a DAY limit 200 ticks behind the quote on venue 1 that stays open; and a post-only order priced at the contra
    quote (refused when the quote is still there).
    """

    name = "lifecycle"

    def on_start(self, ctx: RouterContext) -> None:
        super().on_start(ctx)
        self.messages: list[object] = []
        self.refused: list[ChildReject] = []
        self.replaced: set[int] = set()
        self.names = list(ctx.venues)
        self._child: dict[int, tuple[str, ParentOrder]] = {}

    def _contra(self, venue: str, parent: ParentOrder) -> int | None:
        q = self.ctx.quote(venue, parent.symbol)
        return q.ask if parent.side is Side.BUY else q.bid

    def _near(self, venue: str, parent: ParentOrder) -> int | None:
        q = self.ctx.quote(venue, parent.symbol)
        return q.bid if parent.side is Side.BUY else q.ask

    def on_parent(self, parent: ParentOrder) -> None:
        ctx = self.ctx
        tick = ctx.symbols[parent.symbol].tick
        s = int(parent.side)
        v0, v1, v2 = self.names[:3]
        contra = self._contra(v0, parent)
        if contra is not None:
            ctx.send(parent_id=parent.parent_id, venue=v0, side=parent.side, qty=parent.qty, price=contra + s * tick,
                     tif=TimeInForce.IOC)
            ctx.send(parent_id=parent.parent_id, venue=v0, side=parent.side, qty=100, price=contra, post_only=True)
        near = self._near(v1, parent)
        if near is not None:
            cid = ctx.send(parent_id=parent.parent_id, venue=v1, side=parent.side, qty=300, price=near - 3 * s * tick)
            self._child[cid] = (v1, parent)
            ctx.set_timer(20 * MS, ("shrink", cid, near - 3 * s * tick))
        ctx.send(parent_id=parent.parent_id, venue=v2, side=parent.side, qty=50, price=None)
        if near is not None and near - 200 * s * tick > 0:
            # 200 ticks behind the quote: stays open whatever the market does (so "open" is always covered).
            ctx.send(parent_id=parent.parent_id, venue=v1, side=parent.side, qty=100, price=near - 200 * s * tick)

    def on_timer(self, token: object) -> None:
        kind, cid, price = token  # type: ignore[misc]
        venue, parent = self._child[cid]
        ctx = self.ctx
        if kind == "shrink":
            ctx.replace(cid, qty=100, price=price)
            self.replaced.add(cid)
            ctx.set_timer(20 * MS, ("cross", cid, price))
        elif kind == "cross":
            contra = self._contra(venue, parent)
            if contra is not None:
                s = int(parent.side)
                ctx.replace(cid, qty=400, price=contra + 2 * s * ctx.symbols[parent.symbol].tick)
            ctx.set_timer(20 * MS, ("end", cid, price))
        elif parent.parent_id % 3 == 0:
            ctx.cancel(cid)
        elif parent.parent_id % 3 == 1:
            ctx.replace(cid, qty=0, price=price)
        # else: left as it is (possibly open at the end)

    def on_ack(self, ack: ChildAck) -> None:
        self.messages.append(ack)

    def on_fill(self, fill: ChildFill) -> None:
        self.messages.append(fill)

    def on_cancelled(self, cancelled: ChildCancelled) -> None:
        self.messages.append(cancelled)

    def on_reject(self, reject: ChildReject) -> None:
        if reject.reason is RejectReason.EXCEEDS_PARENT:  # the simulator's own refusal, at once: no venue event
            self.refused.append(reject)
            return
        self.messages.append(reject)


@pytest.fixture(scope="module")
def lifecycle_run():
    d = small_dict()
    d["flow"]["orders"] = 40
    d["latency"] = {
        "sip_processing": const(20_000),
        "defaults": {"order_entry": const(ENTRY_NS), "response": const(RESPONSE_NS), "market_data": const(100_000)},
    }
    sc = small_scenario(d)
    result, market, node = simulate_keeping_market(sc, LifecycleRouter)
    # it sends more than each parent's quantity on purpose (every kind of child at once), so its run is an overfill
    assert result.status == "ok" or result.error.startswith("router 'lifecycle' overfilled"), result.error
    router = node.router
    assert isinstance(router, LifecycleRouter)
    return sc, result, market, router


def test_an_ack_or_entry_reject_is_the_first_message_of_every_child(lifecycle_run):
    """No fill or cancel of a child reaches the router before its ack; a child refused on entry gets no ack."""
    _sc, result, _market, router = lifecycle_run
    first: dict[int, object] = {}
    acks: dict[int, int] = {}
    for m in router.messages:
        first.setdefault(m.child_id, m)
        if isinstance(m, ChildAck):
            acks[m.child_id] = acks.get(m.child_id, 0) + 1
    status = dict(zip(result.child_orders["child_id"], result.child_orders["status"], strict=True))
    assert first, "the router heard nothing"
    for cid, m in first.items():
        if status[cid] == "rejected":
            assert isinstance(m, ChildReject) and cid not in acks
        else:
            assert isinstance(m, ChildAck), (cid, m)
            assert acks[cid] == 1
    assert any(isinstance(m, ChildFill) for m in router.messages)
    assert "rejected" in status.values()


def test_every_message_arrives_one_response_latency_after_the_venue_event(lifecycle_run):
    """recv_ts_ns >= venue_ts_ns + response latency (here exactly: a constant 300 us, in order)."""
    _sc, _result, _market, router = lifecycle_run
    assert len(router.messages) > 100
    for m in router.messages:
        assert m.recv_ts_ns >= m.venue_ts_ns + RESPONSE_NS
        assert m.recv_ts_ns == m.venue_ts_ns + RESPONSE_NS
    recv = [m.recv_ts_ns for m in router.messages]
    assert recv == sorted(recv)


def test_child_orders_reach_the_venue_one_order_entry_latency_after_sending(lifecycle_run):
    """venue_ts_ns = sent_ts_ns + 200 us for every child that arrived; only the last 200 us may be in flight."""
    sc, result, _market, _router = lifecycle_run
    ch = result.child_orders
    for sent, at_venue, status in zip(ch["sent_ts_ns"], ch["venue_ts_ns"], ch["status"], strict=True):
        if at_venue is None and status == "rejected":  # more than its parent's open quantity: no venue saw it
            continue
        if at_venue is None:
            assert status == "in_flight" and sent + ENTRY_NS >= sc.session.end_ns
        else:
            assert at_venue == sent + ENTRY_NS


def test_child_quantities_add_up_and_statuses_follow_them(lifecycle_run):
    """filled + cancelled + open == qty for every child (also after replaces), and status agrees with the numbers."""
    _sc, result, market, router = lifecycle_run
    ch = result.child_orders
    names = list(ch["venue"])
    venue_idx = market.venue_index
    fills_per_child: dict[int, int] = {}
    for cid, q in zip(result.fills["child_id"], result.fills["qty"], strict=True):
        fills_per_child[cid] = fills_per_child.get(cid, 0) + q
    statuses = set()
    replaced_and_traded = 0
    for i, cid in enumerate(ch["child_id"]):
        qty, filled, cancelled, status = ch["qty"][i], ch["filled_qty"][i], ch["cancelled_qty"][i], ch["status"][i]
        open_qty = market.book(venue_idx[names[i]], ch["symbol"][i]).open_qty(cid)
        accepted = 0 if status == "rejected" else qty  # a refused order never held any quantity at the venue
        assert filled + cancelled + open_qty == accepted, (cid, qty, filled, cancelled, open_qty, status)
        assert fills_per_child.get(cid, 0) == filled
        statuses.add(status)
        if status == "rejected":
            assert filled == cancelled == open_qty == 0
        elif status == "filled":
            assert filled == qty and open_qty == 0
        elif status == "open":
            assert open_qty > 0
        elif status == "cancelled":
            assert open_qty == 0 and cancelled > 0 and filled < qty
        replaced_and_traded += cid in router.replaced and filled > 0
    assert {"filled", "cancelled", "open", "rejected"} <= statuses
    assert replaced_and_traded > 0  # replaces that trade on arrival are covered


def test_fills_carry_the_venue_fee_for_their_liquidity_flag(lifecycle_run):
    """fee - rebate = take rate x qty for removed liquidity and make rate x qty for added (micro-dollars); each >= 0.

    A positive rate is charged (fee_micros), a negative one paid (rebate_micros); these venues pay no PFOF.
    """
    sc, result, _market, _router = lifecycle_run
    rates = {v.name: (round(v.fees.take_usd * 1e6), round(v.fees.make_usd * 1e6)) for v in sc.venues}
    f = result.fills
    liqs = set()
    for venue, qty, liq, fee, rebate, pfof in zip(f["venue"], f["qty"], f["liquidity"], f["fee_micros"],
                                                  f["rebate_micros"], f["pfof_micros"], strict=True):
        take, make = rates[venue]
        assert fee - rebate == (take if liq == "removed" else make) * qty
        assert fee >= 0 and rebate >= 0 and min(fee, rebate) == 0 and pfof == 0
        liqs.add(liq)
    assert liqs == {"added", "removed"}
