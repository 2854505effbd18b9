"""Property tests of hidden, reserve and min-qty orders: random operation sequences against invariants and a model.

Each example drives one book through random submits (displayed, hidden, reserve, min-qty; limit or market; DAY, IOC,
FOK or post-only), cancels and replaces on a small price grid, and checks after every operation:

* shares are conserved per order id, and every view (queue, hidden_queue, depth, open_qty, order_info, len) agrees;
* the displayed book is never crossed or locked;
* the book restricted to orders *without* a min-qty condition is never crossed or locked: every crossed pair of
  resting orders (a buy priced at or above a sell) involves at least one min-qty order;
* one taker's fills never get better for the maker side (non-worsening prices);
* the events and the displayed and non-displayed queues equal those of :class:`HiddenReferenceBook`, a naive model
  that re-sorts a flat list by (price, displayed-before-hidden, time) on every step, sharing no code with the book.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from venues.book import OrderBook
from venues.types import (
    Cancelled,
    CancelReason,
    Event,
    Fill,
    QuoteUpdate,
    Reject,
    RejectReason,
    Side,
    TimeInForce,
)

OWNERS = (1, 2)

# ---------------------------------------------------------------------------------------------------- reference model


@dataclass(slots=True)
class _Ref:
    order_id: int
    owner: int
    side: Side
    price: int
    shown: int
    """Displayed quantity."""
    hidden: int
    """Non-displayed quantity: a hidden order's open quantity or a reserve order's reserve."""
    display: int | None
    min_qty: int
    dseq: int
    """Priority time of the displayed part."""
    hseq: int
    """Priority time of the non-displayed part."""

    @property
    def open(self) -> int:
        return self.shown + self.hidden


class HiddenReferenceBook:
    """A naive book with hidden, reserve and min-qty orders; the rules of :mod:`venues.book`, written out slowly."""

    def __init__(self) -> None:
        self.orders: list[_Ref] = []
        self.seq = 0
        self.top: tuple[int | None, int, int | None, int] = (None, 0, None, 0)

    # -- operations

    def submit(
        self, order_id: int, owner: int, side: Side, qty: int, price: int | None, tif: TimeInForce,
        post_only: bool, display: int | None, min_qty: int,
    ) -> list[Event]:
        if qty <= 0 or (display is not None and display < 0):
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]
        if min_qty != 0 and (min_qty < 0 or display != 0 or min_qty > qty):
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]
        if price is not None and price <= 0:
            return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if price is None and post_only:
            return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if self._find(order_id) is not None:
            return [Reject(order_id, owner, RejectReason.DUPLICATE_ORDER_ID)]
        can = self._dry_run(side, qty, price)
        if post_only and can > 0:
            return [Reject(order_id, owner, RejectReason.POST_ONLY_WOULD_CROSS)]
        if not post_only and tif is TimeInForce.FOK and can < qty:
            return [Reject(order_id, owner, RejectReason.FOK_NOT_FILLABLE)]
        if display is not None and display >= qty:
            display = None
        events: list[Event] = []
        self._enter(order_id, owner, side, qty, price, tif, display, min_qty, min_qty, events)
        return self._with_quote(events)

    def cancel(self, order_id: int, owner: int) -> list[Event]:
        o = self._find(order_id)
        if o is None or o.owner != owner:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_ORDER)]
        self.orders.remove(o)
        return self._with_quote([Cancelled(order_id, owner, o.open, CancelReason.REQUESTED)])

    def replace(self, order_id: int, owner: int, qty: int, price: int) -> list[Event]:
        o = self._find(order_id)
        if o is None or o.owner != owner:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_ORDER)]
        if qty < 0:
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]
        if price <= 0:
            return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if qty == 0:
            return self.cancel(order_id, owner)
        if price == o.price and qty <= o.open:
            cut = o.open - qty
            if o.display == 0:
                o.hidden -= cut
            else:  # reserve first, then the shown part
                r = min(cut, o.hidden)
                o.hidden -= r
                o.shown -= cut - r
            return self._with_quote([])
        self.orders.remove(o)
        events: list[Event] = []
        self._enter(order_id, owner, o.side, qty, price, TimeInForce.DAY, o.display, min(o.min_qty, qty), o.min_qty,
                    events)
        return self._with_quote(events)

    # -- views

    def queue(self, side: Side) -> list[tuple[int, list[tuple[int, int]]]]:
        mine = sorted((o for o in self.orders if o.side is side and o.shown), key=lambda o: (-side * o.price, o.dseq))
        return _group([(o.price, o.order_id, o.shown) for o in mine])

    def hidden_queue(self, side: Side) -> list[tuple[int, list[tuple[int, int]]]]:
        mine = sorted((o for o in self.orders if o.side is side and o.hidden), key=lambda o: (-side * o.price, o.hseq))
        return _group([(o.price, o.order_id, o.hidden) for o in mine])

    # -- internals

    def _find(self, order_id: int) -> _Ref | None:
        return next((o for o in self.orders if o.order_id == order_id), None)

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _enter(
        self, order_id: int, owner: int, side: Side, qty: int, price: int | None, tif: TimeInForce,
        display: int | None, check_min: int, keep_min: int, events: list[Event],
    ) -> None:
        if check_min and self._dry_run(side, qty, price) < check_min:
            left = qty
        else:
            left = self._match(order_id, owner, side, qty, price, events)
        if not left:
            return
        if price is None:
            events.append(Cancelled(order_id, owner, left, CancelReason.MARKET_REMAINDER))
        elif tif is TimeInForce.DAY:
            seq = self._next()
            if display is None:
                shown, hidden = left, 0
            elif display == 0:
                shown, hidden = 0, left
            else:
                shown = min(display, left)
                hidden = left - shown
            self.orders.append(_Ref(order_id, owner, side, price, shown, hidden, display, keep_min, seq, seq))
        else:
            events.append(Cancelled(order_id, owner, left, CancelReason.IOC_REMAINDER))

    def _dry_run(self, side: Side, qty: int, price: int | None) -> int:
        clone = copy.deepcopy(self)
        return qty - clone._match(0, 0, side, qty, price, [])

    def _match(self, order_id: int, owner: int, side: Side, qty: int, price: int | None, events: list[Event]) -> int:
        contra = side.opposite
        prices = sorted(
            {o.price for o in self.orders if o.side is contra and (price is None or side * (price - o.price) >= 0)},
            key=lambda p: side * p,
        )
        for p in prices:
            if not qty:
                break
            exhausted: list[_Ref] = []
            at_p = [o for o in self.orders if o.side is contra and o.price == p]
            for o in sorted((o for o in at_p if o.shown), key=lambda o: o.dseq):
                if not qty:
                    break
                x = min(o.shown, qty)
                o.shown -= x
                qty -= x
                events.append(Fill(0, p, x, side, o.order_id, o.owner, order_id, owner, o.open, qty))
                if not o.shown and o.display and o.hidden:
                    exhausted.append(o)
            for o in sorted((o for o in at_p if o.hidden), key=lambda o: o.hseq):
                if not qty:
                    break
                if o.min_qty and qty < min(o.min_qty, o.open):
                    continue
                x = min(o.hidden, qty)
                o.hidden -= x
                qty -= x
                events.append(Fill(0, p, x, side, o.order_id, o.owner, order_id, owner, o.open, qty))
            for o in exhausted:
                if o.hidden:
                    assert o.display is not None
                    r = min(o.display, o.hidden)
                    o.hidden -= r
                    o.shown = r
                    o.dseq = self._next()
            self.orders = [o for o in self.orders if o.open]
        return qty

    def _with_quote(self, events: list[Event]) -> list[Event]:
        top: list[int | None] = []
        for side in (Side.BUY, Side.SELL):
            q = self.queue(side)
            top += [q[0][0], sum(qty for _, qty in q[0][1])] if q else [None, 0]
        if tuple(top) != self.top:
            self.top = (top[0], top[1], top[2], top[3])  # type: ignore[assignment]
            events.append(QuoteUpdate(0, top[0], top[1], top[2], top[3]))  # type: ignore[arg-type]
        return events


def _group(rows: list[tuple[int, int, int]]) -> list[tuple[int, list[tuple[int, int]]]]:
    out: list[tuple[int, list[tuple[int, int]]]] = []
    for price, order_id, qty in rows:
        if not out or out[-1][0] != price:
            out.append((price, []))
        out[-1][1].append((order_id, qty))
    return out


# ---------------------------------------------------------------------------------------------------- operations


@dataclass(frozen=True, slots=True)
class Submit:
    owner: int
    side: Side
    qty: int
    price: int | None
    tif: TimeInForce
    post_only: bool
    display: int | None
    min_qty: int


@dataclass(frozen=True, slots=True)
class Cancel:
    pick: int


@dataclass(frozen=True, slots=True)
class Replace:
    pick: int
    dqty: int
    dprice: int


Op = Submit | Cancel | Replace

_displays = st.sampled_from([None, None, None, 0, 0, 1, 2, 3, 5])
_submits = st.builds(
    Submit,
    owner=st.sampled_from(OWNERS),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    qty=st.integers(1, 12),
    price=st.one_of(st.integers(1, 10), st.integers(1, 10), st.integers(1, 10), st.none()),
    tif=st.sampled_from([TimeInForce.DAY] * 4 + [TimeInForce.IOC, TimeInForce.FOK]),
    post_only=st.sampled_from([False] * 9 + [True]),
    display=_displays,
    min_qty=st.sampled_from([0, 0, 0, 2, 4, 8]),
)
_cancels = st.builds(Cancel, pick=st.integers(0, 100))
_replaces = st.builds(
    Replace, pick=st.integers(0, 100), dqty=st.integers(-3, 4), dprice=st.sampled_from([0, 0, 1, -1, 2])
)
operations = st.lists(
    st.sampled_from([_submits] * 6 + [_cancels, _replaces]).flatmap(lambda s: s), min_size=10, max_size=60
)


# ---------------------------------------------------------------------------------------------------- driver


@dataclass(slots=True)
class Ledger:
    total: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    done: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    bought: int = 0
    sold: int = 0


class Driver:
    def __init__(self, *, with_reference: bool) -> None:
        self.book = OrderBook(tick=1)
        self.ref = HiddenReferenceBook() if with_reference else None
        self.next_id = 1
        self.ts = 0
        self.ledger = Ledger()
        self.owner_of: dict[int, int] = {}
        self.side_of: dict[int, Side] = {}

    def apply(self, op: Op) -> tuple[list[Event], list[Event]]:
        self.ts += 1
        book, ref, ledger = self.book, self.ref, self.ledger
        expected: list[Event] = []
        if isinstance(op, Submit):
            oid = self.next_id
            self.next_id += 1
            events = book.submit(oid, op.owner, op.side, op.qty, price=op.price, ts_ns=self.ts, tif=op.tif,
                                 post_only=op.post_only, display_qty=op.display, min_qty=op.min_qty)
            if ref is not None:
                expected = ref.submit(oid, op.owner, op.side, op.qty, op.price, op.tif, op.post_only, op.display,
                                      op.min_qty)
            if not _is_reject(events):
                ledger.total[oid] += op.qty
                self.owner_of[oid] = op.owner
                self.side_of[oid] = op.side
        else:
            live = sorted(book)
            if not live:
                return [], []
            oid = live[op.pick % len(live)]
            owner = self.owner_of[oid]
            if isinstance(op, Cancel):
                events = book.cancel(oid, owner=owner, ts_ns=self.ts)
                expected = ref.cancel(oid, owner) if ref is not None else []
            else:
                old = book.open_qty(oid)
                qty = max(0, old + op.dqty)
                price = max(1, (book.order_price(oid) or 1) + op.dprice)
                events = book.replace(oid, owner=owner, qty=qty, price=price, ts_ns=self.ts)
                expected = ref.replace(oid, owner, qty, price) if ref is not None else []
                if not _is_reject(events) and qty > 0:
                    ledger.total[oid] += qty - old
        for e in events:
            if isinstance(e, Fill):
                ledger.done[e.maker_order_id] += e.qty
                ledger.done[e.taker_order_id] += e.qty
                ledger.bought += e.qty
                ledger.sold += e.qty
                assert self.side_of[e.taker_order_id] is e.taker_side
                assert self.side_of[e.maker_order_id] is e.taker_side.opposite
            elif isinstance(e, Cancelled):
                ledger.done[e.order_id] += e.qty
        return events, expected


def _is_reject(events: list[Event]) -> bool:
    return len(events) == 1 and isinstance(events[0], Reject)


def _zero_ts(events: list[Event]) -> list[Event]:
    return [replace(e, ts_ns=0) if isinstance(e, Fill | QuoteUpdate) else e for e in events]


# ---------------------------------------------------------------------------------------------------- invariants


def assert_shares_conserved_and_views_agree(book: OrderBook, ledger: Ledger) -> None:
    """Per id: responsible == filled + cancelled + open; queue + hidden_queue == open; depth == displayed queue."""
    for oid, total in ledger.total.items():
        assert total == ledger.done[oid] + book.open_qty(oid), ("shares not conserved", oid)
    per_id: defaultdict[int, int] = defaultdict(int)
    for side in (Side.BUY, Side.SELL):
        shown = book.queue(side)
        assert book.depth(side, 0) == [(p, sum(q for _, q in orders)) for p, orders in shown]
        for view in (shown, book.hidden_queue(side)):
            for price, orders in view:
                for oid, qty in orders:
                    assert qty > 0 and book.order_price(oid) == price
                    per_id[oid] += qty
    assert per_id == {oid: book.open_qty(oid) for oid in book}
    assert len(per_id) == len(book)


def assert_displayed_book_not_crossed(book: OrderBook) -> None:
    q = book.quote()
    if q.bid is not None and q.ask is not None:
        assert q.bid < q.ask, ("displayed book crossed or locked", q)


def assert_only_min_qty_orders_are_crossed(book: OrderBook) -> None:
    """The best buy and best sell among orders without a min-qty condition do not lock or cross."""
    infos = [book.order_info(oid) for oid in book]
    buys = [i.price for i in infos if i is not None and i.side is Side.BUY and not i.min_qty]
    sells = [i.price for i in infos if i is not None and i.side is Side.SELL and not i.min_qty]
    if buys and sells:
        assert max(buys) < min(sells), ("non-min-qty interest crossed", max(buys), min(sells))


def assert_fill_prices_do_not_improve(fills: list[Fill]) -> None:
    prices = [f.price for f in fills]
    if fills:
        assert prices == sorted(prices, reverse=fills[0].taker_side is Side.SELL)


# ---------------------------------------------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(ops=operations)
def test_hidden_reserve_and_min_qty_orders_conserve_shares_and_never_cross_except_through_min_qty(
    ops: list[Op],
) -> None:
    """After every operation: shares conserved, views agree, displayed book uncrossed, only min-qty pairs crossed."""
    driver = Driver(with_reference=False)
    for op in ops:
        events, _ = driver.apply(op)
        assert_shares_conserved_and_views_agree(driver.book, driver.ledger)
        assert_displayed_book_not_crossed(driver.book)
        assert_only_min_qty_orders_are_crossed(driver.book)
        assert_fill_prices_do_not_improve([e for e in events if isinstance(e, Fill)])
        assert driver.ledger.bought == driver.ledger.sold


@settings(max_examples=200, deadline=None)
@given(ops=operations)
def test_hidden_reserve_and_min_qty_orders_follow_price_display_time_priority_of_the_reference_model(
    ops: list[Op],
) -> None:
    """Every operation's events and both sides' displayed and non-displayed queues equal the reference model's."""
    driver = Driver(with_reference=True)
    assert driver.ref is not None
    for op in ops:
        events, expected = driver.apply(op)
        assert _zero_ts(events) == expected, op
        for side in (Side.BUY, Side.SELL):
            assert driver.book.queue(side) == driver.ref.queue(side), (op, side)
            assert driver.book.hidden_queue(side) == driver.ref.hidden_queue(side), (op, side)
        q = driver.book.quote()
        assert (q.bid, q.bid_size, q.ask, q.ask_size) == driver.ref.top
