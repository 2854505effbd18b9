"""Tests of the midpoint-peg book: crossing at the caller's midpoint, caps, minimum quantities, time priority."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from venues.midpoint import MidpointBook
from venues.types import Cancelled, CancelReason, Event, Fill, QuoteUpdate, Reject, RejectReason, Side, TimeInForce

M, T = 1, 2
BUY, SELL = Side.BUY, Side.SELL
DAY, IOC, FOK = TimeInForce.DAY, TimeInForce.IOC, TimeInForce.FOK
MID = 1_000


def fills(events: list[Event]) -> list[tuple[int, int, int, int, int]]:
    """``(maker id, price, qty, maker leaves, taker leaves)``."""
    return [(e.maker_order_id, e.price, e.qty, e.maker_leaves, e.taker_leaves) for e in events if isinstance(e, Fill)]


def test_an_incoming_peg_crosses_resting_contra_pegs_at_the_midpoint() -> None:
    book = MidpointBook()
    assert book.submit(1, M, SELL, 100, mid=MID, ts_ns=1) == []  # rests, no quote update (never displayed)
    events = book.submit(2, T, BUY, 60, mid=MID + 3, ts_ns=2)
    assert fills(events) == [(1, MID + 3, 60, 40, 0)]  # at the midpoint passed with the incoming order
    assert book.queue(SELL) == [(1, 40)] and book.resting_qty(SELL) == 40


def test_without_a_valid_midpoint_nothing_crosses_day_rests_ioc_cancels_fok_is_rejected() -> None:
    book = MidpointBook()
    book.submit(1, M, SELL, 100, mid=MID, ts_ns=1)
    assert book.submit(2, T, BUY, 10, mid=None, ts_ns=2) == []
    assert book.queue(BUY) == [(2, 10)]
    assert book.submit(3, T, BUY, 10, mid=None, ts_ns=3, tif=IOC) == [Cancelled(3, T, 10, CancelReason.IOC_REMAINDER)]
    assert book.submit(4, T, BUY, 10, mid=None, ts_ns=4, tif=FOK) == [Reject(4, T, RejectReason.FOK_NOT_FILLABLE)]


def test_pegs_trade_in_time_priority() -> None:
    book = MidpointBook()
    book.submit(1, M, BUY, 10, mid=MID, ts_ns=1)
    book.submit(2, M, BUY, 10, mid=MID, ts_ns=2)
    events = book.submit(3, T, SELL, 15, mid=MID, ts_ns=3, tif=IOC)
    assert fills(events) == [(1, MID, 10, 0, 5), (2, MID, 5, 5, 0)]


def test_a_buy_peg_trades_only_when_the_midpoint_is_at_or_below_its_cap() -> None:
    book = MidpointBook()
    book.submit(1, M, SELL, 10, mid=MID, ts_ns=1)
    assert book.submit(2, T, BUY, 10, mid=MID, limit=MID - 1, ts_ns=2, tif=IOC) == [
        Cancelled(2, T, 10, CancelReason.IOC_REMAINDER)
    ]
    assert fills(book.submit(3, T, BUY, 10, mid=MID, limit=MID, ts_ns=3, tif=IOC)) == [(1, MID, 10, 0, 0)]


def test_a_resting_sell_peg_capped_above_the_midpoint_is_passed_over() -> None:
    book = MidpointBook()
    book.submit(1, M, SELL, 10, mid=MID, limit=MID + 1, ts_ns=1)  # wants at least MID + 1
    book.submit(2, M, SELL, 10, mid=MID, ts_ns=2)
    events = book.submit(3, T, BUY, 15, mid=MID, ts_ns=3, tif=IOC)
    assert fills(events) == [(2, MID, 10, 0, 5)]
    assert book.queue(SELL) == [(1, 10)]


def test_a_resting_min_qty_peg_is_passed_over_by_smaller_incoming_orders() -> None:
    book = MidpointBook()
    book.submit(1, M, SELL, 100, mid=MID, min_qty=50, ts_ns=1)
    book.submit(2, M, SELL, 10, mid=MID, ts_ns=2)
    assert fills(book.submit(3, T, BUY, 30, mid=MID, ts_ns=3, tif=IOC)) == [(2, MID, 10, 0, 20)]
    assert fills(book.submit(4, T, BUY, 50, mid=MID, ts_ns=4, tif=IOC)) == [(1, MID, 50, 50, 0)]


def test_an_incoming_min_qty_peg_trades_only_if_its_minimum_can_be_filled() -> None:
    book = MidpointBook()
    book.submit(1, M, SELL, 30, mid=MID, ts_ns=1)
    assert book.submit(2, T, BUY, 100, mid=MID, min_qty=40, ts_ns=2, tif=IOC) == [
        Cancelled(2, T, 100, CancelReason.IOC_REMAINDER)  # only 30 < 40: no trade at all
    ]
    assert book.submit(3, T, BUY, 100, mid=MID, min_qty=40, ts_ns=3) == []  # DAY: rests whole
    assert book.queue(BUY) == [(3, 100)]
    assert book.queue(SELL) == [(1, 30)]


def test_post_only_peg_is_rejected_if_it_would_trade_and_rests_otherwise() -> None:
    book = MidpointBook()
    book.submit(1, M, SELL, 30, mid=MID, ts_ns=1)
    assert book.submit(2, T, BUY, 10, mid=MID, ts_ns=2, post_only=True) == [
        Reject(2, T, RejectReason.POST_ONLY_WOULD_CROSS)
    ]
    assert book.submit(3, T, BUY, 10, mid=None, ts_ns=3, post_only=True) == []


def test_invalid_orders_are_rejected() -> None:
    book = MidpointBook()
    book.submit(1, M, SELL, 30, mid=MID, ts_ns=1)
    assert book.submit(1, M, SELL, 30, mid=MID, ts_ns=1) == [Reject(1, M, RejectReason.DUPLICATE_ORDER_ID)]
    assert book.submit(2, M, SELL, 0, mid=MID, ts_ns=1) == [Reject(2, M, RejectReason.INVALID_QUANTITY)]
    assert book.submit(2, M, SELL, 5, mid=MID, min_qty=6, ts_ns=1) == [Reject(2, M, RejectReason.INVALID_QUANTITY)]
    assert book.submit(2, M, SELL, 5, mid=MID, limit=0, ts_ns=1) == [Reject(2, M, RejectReason.INVALID_PRICE)]


def test_cancel_reports_the_open_quantity_and_unknown_or_foreign_ids_are_rejected() -> None:
    book = MidpointBook()
    book.submit(1, M, SELL, 30, mid=MID, ts_ns=1)
    assert book.cancel(1, owner=T, ts_ns=2) == [Reject(1, T, RejectReason.UNKNOWN_ORDER)]
    assert book.cancel(1, owner=M, ts_ns=2) == [Cancelled(1, M, 30, CancelReason.REQUESTED)]
    assert book.cancel(1, owner=M, ts_ns=3) == [Reject(1, M, RejectReason.UNKNOWN_ORDER)]
    assert len(book) == 0 and book.resting_qty(SELL) == 0


def test_replace_smaller_with_the_same_cap_keeps_priority_and_anything_else_loses_it() -> None:
    book = MidpointBook()
    book.submit(1, M, BUY, 30, mid=None, ts_ns=1)
    book.submit(2, M, BUY, 30, mid=None, ts_ns=2)
    assert book.replace(1, owner=M, qty=20, limit=None, mid=None, ts_ns=3) == []
    assert book.queue(BUY) == [(1, 20), (2, 30)]
    book.replace(1, owner=M, qty=20, limit=MID, mid=None, ts_ns=4)  # new cap: to the back
    assert book.queue(BUY) == [(2, 30), (1, 20)]
    assert book.order_price(1) == MID


def test_replace_re_matches_at_the_midpoint_given() -> None:
    book = MidpointBook()
    book.submit(1, M, BUY, 30, mid=MID, limit=MID - 5, ts_ns=1)
    book.submit(2, M, SELL, 10, mid=MID, ts_ns=2)  # cannot trade with 1: mid above its cap
    events = book.replace(1, owner=M, qty=30, limit=None, mid=MID, ts_ns=3)
    assert fills(events) == [(2, MID, 10, 0, 20)]
    assert book.open_qty(1) == 20


def test_cancelled_pegs_are_compacted_away() -> None:
    book = MidpointBook()
    for i in range(200):
        book.submit(i, M, BUY, 1, mid=None, ts_ns=i)
    for i in range(199):
        book.cancel(i, owner=M, ts_ns=1_000)
    assert book.queue(BUY) == [(199, 1)]
    assert len(book._buys) < 100  # dead entries do not pile up


# ---------------------------------------------------------------------------------------------------- properties

_ops = st.lists(
    st.tuples(
        st.sampled_from(["submit"] * 5 + ["cancel"]),
        st.sampled_from([BUY, SELL]),
        st.integers(1, 20),  # qty
        st.sampled_from([None, None, MID - 2, MID, MID + 2]),  # cap
        st.sampled_from([0, 0, 0, 5, 15]),  # min qty
        st.sampled_from([MID - 1, MID, MID + 1, None]),  # the midpoint now
        st.sampled_from([DAY, DAY, IOC]),
        st.integers(0, 50),  # cancel pick
    ),
    min_size=5,
    max_size=50,
)


@settings(max_examples=200, deadline=None)
@given(ops=_ops)
def test_pegs_conserve_shares_fill_at_the_mid_in_time_priority_and_rest_only_when_nothing_eligible_is_left(
    ops: list[tuple[str, Side, int, int | None, int, int | None, TimeInForce, int]],
) -> None:
    """Shares are conserved; every fill is at the midpoint passed, within both caps; an incoming order trades with the
    eligible contra pegs exactly in time order (greedy); and what rests had no eligible contra peg left."""
    book = MidpointBook()
    total: defaultdict[int, int] = defaultdict(int)
    done: defaultdict[int, int] = defaultdict(int)
    caps: dict[int, int | None] = {}
    mins: dict[int, int] = {}
    for ts, (kind, side, qty, cap, min_qty, mid, tif, pick) in enumerate(ops):
        if kind == "cancel":
            live = sorted(book)
            if live:
                oid = live[pick % len(live)]
                events = book.cancel(oid, owner=M, ts_ns=ts)
                assert events == [Cancelled(oid, M, total[oid] - done[oid], CancelReason.REQUESTED)]
                done[oid] += total[oid] - done[oid]
            continue
        min_qty = min(min_qty, qty)
        contra_before = [(i, q) for i, q in book.queue(side.opposite)]
        events = book.submit(ts, M, side, qty, mid=mid, limit=cap, min_qty=min_qty, ts_ns=ts, tif=tif)
        assert not any(isinstance(e, QuoteUpdate | Reject) for e in events)
        total[ts] = qty
        caps[ts], mins[ts] = cap, min_qty
        got = [(e.maker_order_id, e.qty) for e in events if isinstance(e, Fill)]
        # The greedy walk over the contra queue as it stood, with the same eligibility rules written out again.
        expected: list[tuple[int, int]] = []
        rem = qty
        eligible_taker = mid is not None and (cap is None or (mid <= cap if side is BUY else mid >= cap))
        for oid, open_qty in contra_before:
            c = caps[oid]
            ok_cap = mid is not None and (c is None or (mid <= c if side.opposite is BUY else mid >= c))
            if rem and eligible_taker and ok_cap and not (mins[oid] and rem < min(mins[oid], open_qty)):
                x = min(rem, open_qty)
                expected.append((oid, x))
                rem -= x
        if min_qty and qty - rem < min_qty:
            expected, rem = [], qty  # the incoming minimum cannot be met: no trade
        assert got == expected
        for e in events:
            if isinstance(e, Fill):
                assert e.price == mid
                done[e.maker_order_id] += e.qty
                done[e.taker_order_id] += e.qty
            elif isinstance(e, Cancelled):
                assert tif is IOC and e.qty == rem
                done[e.order_id] += e.qty
        for oid in total:
            assert total[oid] == done[oid] + book.open_qty(oid)
        assert book.resting_qty(BUY) == sum(q for _, q in book.queue(BUY))
        assert book.resting_qty(SELL) == sum(q for _, q in book.queue(SELL))
