"""The market: quote histories as of a time, the true NBBO over protected venues, and the tape's router flags.

Every test builds a :class:`~harness.sim.market.Market` by hand: three lit venues trading one symbol ``XYZ`` with a
one-cent tick (100 price units), ``A`` and ``B`` protected and ``C`` not, and drives it with orders at chosen times.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from harness.sim.kernel import Kernel
from harness.sim.market import Market, QuoteHistory, consolidate
from venues.fees import FeeSchedule
from venues.types import EMPTY_QUOTE, Cancelled, Fill, Quote, Reject, Side, TimeInForce
from venues.venue import LitVenue, VenueInfo, VenueKind

SYM = "XYZ"
TICK = 100
A, B, C = 0, 1, 2
P = 500_000  # $50.00


def usd_cents(cents: int) -> int:
    """Price units of ``$50 + cents``."""
    return P + cents * TICK


class Recorder:
    """An owner that records what it hears at the venue."""

    def __init__(self) -> None:
        self.execs: list[tuple[int, Fill, bool]] = []
        self.cancels: list[Cancelled] = []
        self.rejects: list[Reject] = []

    def on_exec(self, venue_idx: int, symbol: str, fill: Fill, is_maker: bool) -> None:
        self.execs.append((venue_idx, fill, is_maker))

    def on_cancelled(self, venue_idx: int, symbol: str, event: Cancelled) -> None:
        self.cancels.append(event)

    def on_reject(self, venue_idx: int, symbol: str, event: Reject) -> None:
        self.rejects.append(event)


def make_market() -> Market:
    fees = FeeSchedule(take_fee_micros=3_000, make_fee_micros=-2_000)
    venues = [
        LitVenue(VenueInfo(name=n, kind=VenueKind.LIT, fees=fees, protected=prot, symbols=(SYM,)), ticks={SYM: TICK})
        for n, prot in (("A", True), ("B", True), ("C", False))
    ]
    return Market(Kernel(0), venues, [SYM])


def play(market: Market, script: list[tuple[int, Callable[[], None]]]) -> None:
    """Run each ``(t_ns, action)`` at its time."""
    for t, action in script:
        market.kernel.at(t, lambda fn: fn(), action)
    market.kernel.run(max(t for t, _ in script) + 1)


def order(market: Market, venue: int, owner: int, side: Side, qty: int, price: int | None, **kw) -> Callable[[], None]:
    return lambda: market.submit(venue, SYM, market.next_order_id(), owner, side, qty, price, **kw)


# ----------------------------------------------------------------------------------------------------- QuoteHistory
def test_quote_history_returns_the_state_in_force_at_a_time():
    """at(t) is the last state published at or before t; before the first one it is the empty quote."""
    h = QuoteHistory()
    h.append(100, (10, 1, 12, 2))
    h.append(200, (11, 5, 12, 2))
    h.append(200, (11, 6, 12, 2))  # two updates in the same nanosecond: the later one is in force
    h.append(350, (None, 0, 12, 9))
    assert h.at(99) == EMPTY_QUOTE
    assert h.top_at(99) == (0, (None, 0, None, 0))
    assert h.at(100) == Quote(ts_ns=100, bid=10, bid_size=1, ask=12, ask_size=2)
    assert h.at(199) == Quote(ts_ns=100, bid=10, bid_size=1, ask=12, ask_size=2)
    assert h.at(200) == Quote(ts_ns=200, bid=11, bid_size=6, ask=12, ask_size=2)
    assert h.top_at(349) == (200, (11, 6, 12, 2))
    assert h.at(10**12) == Quote(ts_ns=350, bid=None, bid_size=0, ask=12, ask_size=9)
    assert len(h) == 4


def test_consolidate_takes_best_prices_and_sums_sizes_at_them():
    """Best bid is the highest, best ask the lowest; sizes add over venues at exactly those prices.

    Tops: (100 x 5 / 103 x 1), (101 x 2 / 103 x 4), (101 x 3 / None), (None / 102 x 7):
    best bid 101 with 2 + 3 = 5; best ask 102 with 7 (the 103s are worse and not counted).
    """
    tops = [(100, 5, 103, 1), (101, 2, 103, 4), (101, 3, None, 0), (None, 0, 102, 7)]
    assert consolidate(tops) == (101, 5, 102, 7)
    assert consolidate([]) == (None, 0, None, 0)
    assert consolidate([(None, 0, None, 0)]) == (None, 0, None, 0)


# -------------------------------------------------------------------------------------------------------- the market
def test_venue_histories_record_each_top_of_book_change_at_its_time():
    """Every top-of-book change of a venue is appended to its history at the time it happened."""
    m = make_market()
    mm = m.register_owner(None)
    play(m, [
        (10, order(m, A, mm, Side.BUY, 100, usd_cents(-1))),
        (20, order(m, A, mm, Side.BUY, 50, usd_cents(-1))),  # joins the bid: size 150
        (30, order(m, A, mm, Side.BUY, 70, usd_cents(-3))),  # behind the best: no change at the top
        (40, order(m, A, mm, Side.SELL, 200, usd_cents(+1))),
    ])
    h = m.history[A][SYM]
    assert h.ts == [10, 20, 40]
    assert h.at(5) == EMPTY_QUOTE
    assert h.at(25) == Quote(20, usd_cents(-1), 150, None, 0)
    assert h.at(40) == Quote(40, usd_cents(-1), 150, usd_cents(1), 200)
    assert m.top(A, SYM) == (usd_cents(-1), 150, usd_cents(1), 200)
    assert len(m.history[B][SYM]) == 0


def test_true_nbbo_consolidates_protected_venues_only():
    """The NBBO sums protected sizes at equal prices and ignores the unprotected venue C.

    t=10 A bids 100 @ 49.99               -> NBBO 49.99 x 100 / -
    t=20 B bids 200 @ 49.99               -> 49.99 x 300 / -         (sizes at the same price add)
    t=30 B offers 300 @ 50.02             -> 49.99 x 300 / 50.02 x 300
    t=40 C bids 500 @ 50.00 (unprotected) -> unchanged, no new NBBO entry although C's top changed
    t=50 A offers 100 @ 50.01             -> 49.99 x 300 / 50.01 x 100 (A's better offer alone)
    t=60 C offers 900 @ 50.01             -> unchanged
    t=70 a sell of 100 at market on A takes A's whole bid -> 49.99 x 200 / 50.01 x 100 (B's bid alone)
    """
    m = make_market()
    mm = m.register_owner(None)
    play(m, [
        (10, order(m, A, mm, Side.BUY, 100, usd_cents(-1))),
        (20, order(m, B, mm, Side.BUY, 200, usd_cents(-1))),
        (30, order(m, B, mm, Side.SELL, 300, usd_cents(2))),
        (40, order(m, C, mm, Side.BUY, 500, usd_cents(0))),
        (50, order(m, A, mm, Side.SELL, 100, usd_cents(1))),
        (60, order(m, C, mm, Side.SELL, 900, usd_cents(1))),
        (70, order(m, A, mm, Side.SELL, 100, None, tif=TimeInForce.IOC)),
    ])
    nb = m.nbbo[SYM]
    b99, a01, a02 = usd_cents(-1), usd_cents(1), usd_cents(2)
    assert nb.at(9) == EMPTY_QUOTE
    assert nb.ts == [10, 20, 30, 50, 70]
    states = [nb.at(t) for t in (10, 20, 30, 45, 50, 65, 70)]
    assert [(q.bid, q.bid_size, q.ask, q.ask_size) for q in states] == [
        (b99, 100, None, 0),
        (b99, 300, None, 0),
        (b99, 300, a02, 300),
        (b99, 300, a02, 300),  # C's better bid at t=40 is not protected
        (b99, 300, a01, 100),
        (b99, 300, a01, 100),  # C's 900 at 50.01 is not added either
        (b99, 200, a01, 100),
    ]
    assert m.nbbo_now(SYM) == (b99, 200, a01, 100)
    assert m.protected_venues(SYM) == [A, B]
    # Without B, the protected NBBO is A's top alone: its bid was taken at t=70, its 50.01 offer remains.
    assert m.nbbo_excluding(SYM, B) == (None, 0, a01, 100) == m.top(A, SYM)


def test_tape_flags_trades_of_tracked_owners_only():
    """Each trade is on the tape with its venue, price, size and aggressor; router_involved iff an owner is tracked.

    Three trades on A: untracked taker vs untracked maker (False), tracked taker (True), tracked maker (True).
    """
    m = make_market()
    bg = m.register_owner(Recorder())
    router_rec = Recorder()
    router = m.register_owner(router_rec, tracked=True)
    assert m.tracked_owners == {router}
    play(m, [
        (10, order(m, A, bg, Side.SELL, 100, usd_cents(1))),
        (20, order(m, A, bg, Side.BUY, 30, None, tif=TimeInForce.IOC)),  # bg hits bg
        (30, order(m, A, router, Side.BUY, 20, usd_cents(1), tif=TimeInForce.IOC)),  # router takes
        (40, order(m, A, router, Side.SELL, 40, usd_cents(3))),  # router rests above the bg offer
        (50, order(m, A, bg, Side.BUY, 60, usd_cents(3), tif=TimeInForce.IOC)),  # 50 from bg, then 10 from router
    ])
    buy = Side.BUY.value
    assert [t[:7] for t in m.tape] == [
        (20, A, SYM, usd_cents(1), 30, buy, False),
        (30, A, SYM, usd_cents(1), 20, buy, True),
        (50, A, SYM, usd_cents(1), 50, buy, False),
        (50, A, SYM, usd_cents(3), 10, buy, True),
    ]
    # Each row also names the aggressor's order and whether it was an ISO (none of these was).
    assert len({t[7] for t in m.tape}) == 3 and not any(t[8] for t in m.tape)
    # The tracked owner heard about its two trades at the venue: once as taker, once as maker.
    assert [(f.qty, is_maker) for _, f, is_maker in router_rec.execs] == [(20, False), (10, True)]


def test_market_counts_messages_and_dispatches_cancels_and_rejects_to_their_owner():
    """Every new, cancel and replace request counts one message; cancels and rejects reach the order's owner."""
    m = make_market()
    rec = Recorder()
    me = m.register_owner(rec)
    oid = m.next_order_id()
    m.submit(A, SYM, oid, me, Side.BUY, 100, usd_cents(-1))
    m.replace(A, SYM, oid, me, 50, usd_cents(-1))
    m.cancel(A, SYM, oid, me)
    m.cancel(A, SYM, oid, me)  # already gone: rejected
    m.submit(A, SYM, m.next_order_id(), me, Side.BUY, 100, usd_cents(-1) + 1)  # off tick: rejected
    assert m.messages == 5
    assert [c.qty for c in rec.cancels] == [50]
    assert [r.reason.value for r in rec.rejects] == ["unknown_order", "off_tick"]
    assert m.next_order_id() == oid + 2


@pytest.mark.parametrize("protected", [True, False])
def test_a_venue_not_trading_a_symbol_is_not_part_of_its_nbbo(protected: bool):
    """Protected venues per symbol are those that list it."""
    fees = FeeSchedule(take_fee_micros=0, make_fee_micros=0)
    venues = [
        LitVenue(VenueInfo(name="A", kind=VenueKind.LIT, fees=fees, protected=True, symbols=(SYM,)),
                 ticks={SYM: TICK, "OTHER": TICK}),
        LitVenue(VenueInfo(name="B", kind=VenueKind.LIT, fees=fees, protected=protected, symbols=(SYM, "OTHER")),
                 ticks={SYM: TICK, "OTHER": TICK}),
    ]
    m = Market(Kernel(0), venues, [SYM, "OTHER"])
    assert m.protected_venues(SYM) == ([0, 1] if protected else [0])
    assert m.protected_venues("OTHER") == ([1] if protected else [])
