"""The market with every kind of venue: order protection and route-out, ISO, dark midpoint crosses, wholesalers.

Each test builds a :class:`~harness.sim.market.Market` by hand on one symbol ``XYZ`` with a one-cent tick (100 price
units) around $50.00 and drives it with orders at chosen times, so every expected figure can be worked out by hand.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.sim.kernel import Kernel
from harness.sim.latency import ConstantLatency, Link, LognormalLatency
from harness.sim.market import Market
from venues.fees import FeeSchedule
from venues.types import Cancelled, CancelReason, Fill, Reject, RejectReason, Side, TimeInForce
from venues.venue import DarkPool, LitVenue, VenueInfo, VenueKind, Wholesaler

SYM = "XYZ"
TICK = 100
P = 500_000  # $50.00
HOP_NS = 200_000  # route-out hop from venue A to the away venue


def c(cents: int) -> int:
    """Price units of ``$50 + cents``."""
    return P + cents * TICK


class Recorder:
    """An owner that records what it hears at the venue, with the venue index."""

    def __init__(self) -> None:
        self.execs: list[tuple[int, Fill, bool]] = []
        self.cancels: list[tuple[int, Cancelled]] = []
        self.rejects: list[tuple[int, Reject]] = []

    def on_exec(self, venue_idx: int, symbol: str, fill: Fill, is_maker: bool) -> None:
        self.execs.append((venue_idx, fill, is_maker))

    def on_cancelled(self, venue_idx: int, symbol: str, event: Cancelled) -> None:
        self.cancels.append((venue_idx, event))

    def on_reject(self, venue_idx: int, symbol: str, event: Reject) -> None:
        self.rejects.append((venue_idx, event))


LIT_A, LIT_B, DARK, WHS = 0, 1, 2, 3


def make_market(*, protection_a: str = "route_out", improvement: float = 0.25) -> Market:
    """A (lit, policy ``protection_a``), B (lit, rejects trade-throughs), a dark pool and a wholesaler."""
    fees = FeeSchedule(take_fee_micros=3_000, make_fee_micros=-2_000)
    ticks = {SYM: TICK}
    venues: list = [
        LitVenue(VenueInfo("A", VenueKind.LIT, fees, True, (SYM,)), ticks=ticks, protection=protection_a),  # type: ignore[arg-type]
        LitVenue(VenueInfo("B", VenueKind.LIT, fees, True, (SYM,)), ticks=ticks),
        DarkPool(VenueInfo("D", VenueKind.DARK, FeeSchedule(1_000, 1_000), False, (SYM,)), ticks=ticks),
        Wholesaler(VenueInfo("W", VenueKind.WHOLESALER, FeeSchedule(0, 0, pfof_micros=3_000), False, (SYM,)),
                   ticks=ticks, owner=0, max_order_shares=1_000),
    ]
    market = Market(Kernel(0), venues, [SYM], improvement=[None, None, None, lambda: improvement],
                    route_out_ns=[HOP_NS, HOP_NS, 0, 0])
    venues[WHS].owner = market.register_owner(None)
    return market


def play(market: Market, script: list[tuple[int, Callable[[], None]]], *, until: int | None = None) -> None:
    for t, action in script:
        market.kernel.at(t, lambda fn: fn(), action)
    market.kernel.run(until if until is not None else max(t for t, _ in script) + 1)


def lit_quotes(market: Market, mm: int) -> list[tuple[int, Callable[[], None]]]:
    """A: 49.98 x 50.02 (300 each); B: 49.99 x 50.01 (200 each). NBBO 49.99 x 50.01, midpoint $50.00."""
    def q(v: int, side: Side, qty: int, px: int) -> Callable[[], None]:
        return lambda: market.submit(v, SYM, market.next_order_id(), mm, side, qty, px)
    return [(1, q(LIT_A, Side.BUY, 300, c(-2))), (1, q(LIT_A, Side.SELL, 300, c(2))),
            (1, q(LIT_B, Side.BUY, 200, c(-1))), (1, q(LIT_B, Side.SELL, 200, c(1)))]


def test_route_out_sends_the_remainder_to_the_better_away_quote_after_the_hop():
    """A buy 500 @ 50.03 at A (route_out) while B offers 200 @ 50.01: A executes nothing worse than B's ask.

    A's own ask is 50.02, worse than B's 50.01, so nothing trades at A (its limit is clipped to 50.01); all 500
    are routed out. After the 200 us hop the IOC ISO reaches B at B's ask, 50.01: 200 fill there and the other 300
    come back cancelled (ioc_remainder). The fill is reported from venue B.
    """
    m = make_market()
    mm, router = m.register_owner(None), Recorder()
    rid = m.register_owner(router)
    oid = 10_000
    script = [*lit_quotes(m, mm),
        (1_000, lambda: m.submit_full(LIT_A, SYM, oid, rid, Side.BUY, 500, c(3), tif=TimeInForce.DAY)),
    ]
    play(m, script, until=1_000 + HOP_NS + 1)
    assert [(v, f.price, f.qty, f.ts_ns) for v, f, _ in router.execs] == [(LIT_B, c(1), 200, 1_000 + HOP_NS)]
    assert [(v, e.order_id, e.qty, e.reason) for v, e in router.cancels] == [
        (LIT_B, oid, 300, CancelReason.IOC_REMAINDER)]
    assert m.routed_out == 1
    assert not m.is_open(LIT_A, SYM, oid)


def test_reject_policy_refuses_a_trade_through_but_an_iso_trades_through():
    """At A with protection "reject": buy 100 @ 50.02 would trade at A's 50.02 through B's 50.01 -> TRADE_THROUGH.

    The same order as an ISO is the sender's promise to sweep B itself: it trades at A's 50.02 at once.
    """
    m = make_market(protection_a="reject")
    mm, router = m.register_owner(None), Recorder()
    rid = m.register_owner(router)
    script = [*lit_quotes(m, mm),
        (1_000, lambda: m.submit_full(LIT_A, SYM, 20_001, rid, Side.BUY, 100, c(2), tif=TimeInForce.IOC)),
        (2_000, lambda: m.submit_full(LIT_A, SYM, 20_002, rid, Side.BUY, 100, c(2), tif=TimeInForce.IOC, iso=True)),
    ]
    play(m, script)
    assert [(v, e.order_id, e.reason) for v, e in router.rejects] == [(LIT_A, 20_001, RejectReason.TRADE_THROUGH)]
    assert [(v, f.taker_order_id, f.price, f.qty) for v, f, _ in router.execs] == [(LIT_A, 20_002, c(2), 100)]


def test_dark_pool_crosses_at_the_nbbo_midpoint_when_the_contra_arrives():
    """A resting dark buy 300 is crossed by a sell 500 at the NBBO midpoint (49.99 + 50.01) / 2 = $50.00.

    The sell's other 200 rest (DAY). The NBBO is the lit venues' (the dark pool shows no quote and is not part of it).
    """
    m = make_market()
    mm, buyer, seller = m.register_owner(None), Recorder(), Recorder()
    b, s = m.register_owner(buyer), m.register_owner(seller)
    script = [*lit_quotes(m, mm),
        (1_000, lambda: m.submit_full(DARK, SYM, 30_001, b, Side.BUY, 300, None)),
        (2_000, lambda: m.submit_full(DARK, SYM, 30_002, s, Side.SELL, 500, None)),
    ]
    play(m, script)
    assert [(f.price, f.qty, maker) for _, f, maker in buyer.execs] == [(P, 300, True)]
    assert [(f.price, f.qty, maker) for _, f, maker in seller.execs] == [(P, 300, False)]
    assert m.is_open(DARK, SYM, 30_002) and not m.is_open(DARK, SYM, 30_001)
    assert m.nbbo_now(SYM) == (c(-1), 200, c(1), 200)
    assert m.tape[-1][1:5] == (DARK, SYM, P, 300)


def test_wholesaler_fills_whole_with_the_drawn_improvement_and_declines_by_size():
    """NBBO 49.99 x 50.01 (spread 200 units). A market buy 400 with improvement 0.25 fills at the ask less
    0.25 x 200 = 50 units: 500_100 - 50 = 500_050 ($50.0050), whole. A buy 1,500 is above the 1,000-share limit:
    DECLINED_SIZE, nothing trades.
    """
    m = make_market(improvement=0.25)
    mm, router = m.register_owner(None), Recorder()
    rid = m.register_owner(router)
    script = [*lit_quotes(m, mm),
        (1_000, lambda: m.submit_full(WHS, SYM, 40_001, rid, Side.BUY, 400, None, tif=TimeInForce.IOC)),
        (2_000, lambda: m.submit_full(WHS, SYM, 40_002, rid, Side.BUY, 1_500, None, tif=TimeInForce.IOC)),
    ]
    play(m, script)
    assert [(v, f.price, f.qty) for v, f, _ in router.execs] == [(WHS, 500_050, 400)]
    assert [(v, e.order_id, e.reason) for v, e in router.rejects] == [(WHS, 40_002, RejectReason.DECLINED_SIZE)]


def test_halted_symbol_rejects_orders_at_every_kind_of_venue():
    """During a halt new orders are refused (``halted``) at lit, dark and wholesaler venues alike."""
    m = make_market()
    router = Recorder()
    rid = m.register_owner(router)
    m.halted.add(SYM)
    for i, v in enumerate((LIT_A, DARK, WHS)):
        m.submit_full(v, SYM, 50_000 + i, rid, Side.BUY, 100, None, tif=TimeInForce.IOC)
    assert [(v, e.reason) for v, e in router.rejects] == [
        (LIT_A, RejectReason.HALTED), (DARK, RejectReason.HALTED), (WHS, RejectReason.HALTED)]


def test_speed_bump_adds_its_delay_to_every_draw_of_a_link():
    """A 350 us bump on a 100 us constant link gives 450 us; on a random link every draw is 350 us later."""
    bumped = Link(ConstantLatency(100_000), None, offset_ns=350_000)
    assert bumped.delay() == 450_000
    import numpy as np

    model = LognormalLatency(100_000, 0.3)
    plain = Link(model, np.random.default_rng(5))
    bump = Link(model, np.random.default_rng(5), offset_ns=350_000)
    assert [bump.delay() - plain.delay() for _ in range(50)] == [350_000] * 50
    with pytest.raises(ValueError, match="offset_ns"):
        Link(model, np.random.default_rng(5), offset_ns=-1)
