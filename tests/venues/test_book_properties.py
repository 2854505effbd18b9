"""Property tests of the order book: random operation sequences against invariants and a reference model.

Each example drives one book through a random sequence of submits (limit or market; DAY, IOC, FOK or post-only),
cancels and replaces on a small price grid, so that crossing, locking and sweeping happen often, and checks after
every operation:

* the book is never crossed;
* shares are conserved per order id (an exact ledger of submitted, filled, cancelled and open quantity);
* a taker's fills walk the contra queue in price-time order;
* the events and both full queues equal those of :class:`ReferenceBook`, a naive list-based book written to be
  obviously correct.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from venues.book import OrderBook
from venues.types import (
    CancelReason,
    Cancelled,
    Event,
    Fill,
    QuoteUpdate,
    Reject,
    RejectReason,
    Side,
    TimeInForce,
)

OWNERS = (1, 2)
MAX_PRICE = 20


# ---------------------------------------------------------------------------------------------------- reference model


@dataclass(slots=True)
class _RefOrder:
    order_id: int
    owner: int
    side: Side
    price: int
    qty: int
    seq: int
    """Priority time: a global arrival counter, reset when the order loses priority."""


class ReferenceBook:
    """A naive price-time priority book: one flat list of live orders, matched by sorting on every operation.

    It implements the rules in :mod:`venues.book`'s docstring directly and slowly; it shares no code with it.

    Parameters
    ----------
    tick : int
        Price grid of the book.
    """

    def __init__(self, tick: int) -> None:
        self.tick = tick
        self.orders: list[_RefOrder] = []
        self.seq = 0
        self.top: tuple[int | None, int, int | None, int] = (None, 0, None, 0)

    def submit(
        self, order_id: int, owner: int, side: Side, qty: int, price: int | None, tif: TimeInForce, post_only: bool
    ) -> list[Event]:
        """Enter an order; same contract as :meth:`OrderBook.submit`."""
        if qty <= 0:
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]
        if price is not None and price <= 0:
            return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if price is not None and price % self.tick:
            return [Reject(order_id, owner, RejectReason.OFF_TICK)]
        if price is None and post_only:
            return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if self._find(order_id) is not None:
            return [Reject(order_id, owner, RejectReason.DUPLICATE_ORDER_ID)]
        crossable = self._crossable(side, price)
        if post_only and crossable:
            return [Reject(order_id, owner, RejectReason.POST_ONLY_WOULD_CROSS)]
        if tif is TimeInForce.FOK and not post_only and sum(o.qty for o in crossable) < qty:
            return [Reject(order_id, owner, RejectReason.FOK_NOT_FILLABLE)]
        events: list[Event] = []
        left = self._match(order_id, owner, side, qty, price, events)
        if left:
            if price is None:
                events.append(Cancelled(order_id, owner, left, CancelReason.MARKET_REMAINDER))
            elif tif is TimeInForce.DAY:
                self._rest(order_id, owner, side, price, left)
            else:
                events.append(Cancelled(order_id, owner, left, CancelReason.IOC_REMAINDER))
        return self._with_quote(events)

    def cancel(self, order_id: int, owner: int) -> list[Event]:
        """Cancel an open order; same contract as :meth:`OrderBook.cancel`."""
        order = self._find(order_id)
        if order is None or order.owner != owner:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_ORDER)]
        self.orders.remove(order)
        return self._with_quote([Cancelled(order_id, owner, order.qty, CancelReason.REQUESTED)])

    def replace(self, order_id: int, owner: int, qty: int, price: int) -> list[Event]:
        """Cancel/replace an open order; same contract as :meth:`OrderBook.replace`."""
        order = self._find(order_id)
        if order is None or order.owner != owner:
            return [Reject(order_id, owner, RejectReason.UNKNOWN_ORDER)]
        if qty < 0:
            return [Reject(order_id, owner, RejectReason.INVALID_QUANTITY)]
        if price <= 0:
            return [Reject(order_id, owner, RejectReason.INVALID_PRICE)]
        if price % self.tick:
            return [Reject(order_id, owner, RejectReason.OFF_TICK)]
        if qty == 0:
            return self.cancel(order_id, owner)
        if price == order.price and qty <= order.qty:
            order.qty = qty
            return self._with_quote([])
        self.orders.remove(order)
        events: list[Event] = []
        left = self._match(order_id, owner, order.side, qty, price, events)
        if left:
            self._rest(order_id, owner, order.side, price, left)
        return self._with_quote(events)

    def queue(self, side: Side) -> list[tuple[int, list[tuple[int, int]]]]:
        """Same shape as :meth:`OrderBook.queue`."""
        mine = sorted((o for o in self.orders if o.side is side), key=lambda o: (-side * o.price, o.seq))
        out: list[tuple[int, list[tuple[int, int]]]] = []
        for o in mine:
            if not out or out[-1][0] != o.price:
                out.append((o.price, []))
            out[-1][1].append((o.order_id, o.qty))
        return out

    def _find(self, order_id: int) -> _RefOrder | None:
        return next((o for o in self.orders if o.order_id == order_id), None)

    def _crossable(self, side: Side, price: int | None) -> list[_RefOrder]:
        """Contra orders the taker may trade with, in the order it must trade with them."""
        contra = [
            o for o in self.orders if o.side is side.opposite and (price is None or side * (price - o.price) >= 0)
        ]
        return sorted(contra, key=lambda o: (side * o.price, o.seq))

    def _match(self, order_id: int, owner: int, side: Side, qty: int, price: int | None, events: list[Event]) -> int:
        for maker in self._crossable(side, price):
            if not qty:
                break
            x = min(qty, maker.qty)
            maker.qty -= x
            qty -= x
            events.append(Fill(0, maker.price, x, side, maker.order_id, maker.owner, order_id, owner, maker.qty, qty))
            if not maker.qty:
                self.orders.remove(maker)
        return qty

    def _rest(self, order_id: int, owner: int, side: Side, price: int, qty: int) -> None:
        self.seq += 1
        self.orders.append(_RefOrder(order_id, owner, side, price, qty, self.seq))

    def _with_quote(self, events: list[Event]) -> list[Event]:
        top: list[int | None] = []
        for side in (Side.BUY, Side.SELL):
            q = self.queue(side)
            top += [q[0][0], sum(qty for _, qty in q[0][1])] if q else [None, 0]
        bid, bid_size, ask, ask_size = top
        if tuple(top) != self.top:
            self.top = (bid, bid_size, ask, ask_size)  # type: ignore[assignment]
            events.append(QuoteUpdate(0, bid, bid_size, ask, ask_size))  # type: ignore[arg-type]
        return events


# ---------------------------------------------------------------------------------------------------- operations


@dataclass(frozen=True, slots=True)
class Submit:
    """Submit an order at ``price_ticks * tick + off_grid`` (``price_ticks=None``: market order).

    ``reuse`` picks an earlier id (live, which is a duplicate, or finished, which is allowed) instead of a fresh one.
    """

    owner: int
    side: Side
    qty: int
    price_ticks: int | None
    off_grid: int
    tif: TimeInForce
    post_only: bool
    reuse: int | None


@dataclass(frozen=True, slots=True)
class Cancel:
    """Cancel the ``pick``-th live order (``stale``: the ``pick``-th id ever used); ``foreign``: by the other owner."""

    pick: int
    stale: bool
    foreign: bool


@dataclass(frozen=True, slots=True)
class Replace:
    """Replace an order picked as for :class:`Cancel` with a new open quantity and price.

    With ``relative`` the new quantity is the open quantity plus ``qty`` and the new price the current price plus
    ``price_ticks`` ticks, so that keep-priority size changes and one-tick moves are common; otherwise both are
    absolute. ``off_grid`` price units are added to the price.
    """

    pick: int
    stale: bool
    foreign: bool
    relative: bool
    qty: int
    price_ticks: int
    off_grid: int


Op = Submit | Cancel | Replace

MAX_PRICE_TICKS = 20
_sides = st.sampled_from([Side.BUY, Side.SELL])
_owners = st.sampled_from(OWNERS)
_picks = st.integers(0, 1_000)
_rarely = st.sampled_from([False] * 9 + [True])
_off_grid = st.sampled_from([0] * 19 + [1])
_reuse = st.sampled_from([None] * 9 + [0]).flatmap(lambda r: st.none() if r is None else _picks)

_limits = st.builds(
    Submit,
    owner=_owners,
    side=_sides,
    qty=st.integers(1, 10),
    price_ticks=st.integers(1, MAX_PRICE_TICKS),
    off_grid=_off_grid,
    tif=st.sampled_from([TimeInForce.DAY] * 3 + [TimeInForce.IOC, TimeInForce.FOK]),
    post_only=st.just(False),
    reuse=_reuse,
)
_post_only = st.builds(
    Submit,
    owner=_owners,
    side=_sides,
    qty=st.integers(1, 10),
    price_ticks=st.integers(1, MAX_PRICE_TICKS),
    off_grid=st.just(0),
    tif=st.just(TimeInForce.DAY),
    post_only=st.just(True),
    reuse=_reuse,
)
_markets = st.builds(
    Submit,
    owner=_owners,
    side=_sides,
    qty=st.integers(1, 15),
    price_ticks=st.none(),
    off_grid=st.just(0),
    tif=st.sampled_from(list(TimeInForce)),
    post_only=_rarely,  # a post-only market order is rejected as INVALID_PRICE
    reuse=st.none(),
)
_invalid_submits = st.builds(
    Submit,
    owner=_owners,
    side=_sides,
    qty=st.sampled_from([-1, 0, 1]),
    price_ticks=st.sampled_from([-1, 0, 1]),
    off_grid=st.just(0),
    tif=st.sampled_from(list(TimeInForce)),
    post_only=st.booleans(),
    reuse=st.none(),
)
_cancels = st.builds(Cancel, pick=_picks, stale=_rarely, foreign=_rarely)
_replaces = st.builds(
    Replace,
    pick=_picks,
    stale=_rarely,
    foreign=_rarely,
    relative=st.just(True),
    qty=st.integers(-2, 3),
    price_ticks=st.sampled_from([0, 0, 0, 0, 1, -1, 2, -2, 4, -4]),
    off_grid=_off_grid,
) | st.builds(
    Replace,
    pick=_picks,
    stale=_rarely,
    foreign=_rarely,
    relative=st.just(False),
    qty=st.integers(0, 12),
    price_ticks=st.integers(1, MAX_PRICE_TICKS),
    off_grid=_off_grid,
)

# st.one_of drops repeated branches, so weights come from repetition in a sampled_from list of strategies.
_mix = [_limits] * 8 + [_post_only, _markets, _invalid_submits, _cancels] + [_replaces] * 3
operations = st.lists(st.sampled_from(_mix).flatmap(lambda strategy: strategy), min_size=20, max_size=80)
ticks = st.sampled_from([1, 1, 1, 2])


# ---------------------------------------------------------------------------------------------------- driver


@dataclass(slots=True)
class Ledger:
    """Share accounting per order id, from the events alone (plus the open quantity the book reports)."""

    total: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    """Shares each id has been responsible for: submitted, adjusted by accepted replaces."""
    filled: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    cancelled: defaultdict[int, int] = field(default_factory=lambda: defaultdict(int))
    side: dict[int, Side] = field(default_factory=dict)
    bought: int = 0
    sold: int = 0


class Driver:
    """Applies operations to an :class:`OrderBook` (and a :class:`ReferenceBook`) and records what happened.

    Parameters
    ----------
    tick : int
        Tick of both books.
    """

    def __init__(self, tick: int) -> None:
        self.book = OrderBook(tick=tick)
        self.ref = ReferenceBook(tick)
        self.ids: list[int] = []
        self.owner_of: dict[int, int] = {}
        self.next_id = 1
        self.ts_ns = 0
        self.ledger = Ledger()
        self.contra_before: list[tuple[int, int]] = []
        """Contra-side queue (price, id) of the last operation's taker before it ran, best first."""

    def _pick(self, pick: int, *, stale: bool) -> int:
        pool = self.ids if stale else sorted(self.book)
        return pool[pick % len(pool)] if pool else 0

    def apply(self, op: Op) -> tuple[list[Event], list[Event]]:
        """Run ``op`` on both books; return (real events, reference events)."""
        self.ts_ns += 1
        book, ref, ledger, tick = self.book, self.ref, self.ledger, self.book.tick
        if isinstance(op, Submit):
            if op.reuse is not None and self.ids:
                order_id = self._pick(op.reuse, stale=True)
            else:
                order_id = self.next_id
                self.next_id += 1
                self.ids.append(order_id)
            price = None if op.price_ticks is None else op.price_ticks * tick + op.off_grid
            self.contra_before = _flat_queue(book, op.side.opposite)
            events = book.submit(
                order_id, op.owner, op.side, op.qty, price=price, ts_ns=self.ts_ns, tif=op.tif, post_only=op.post_only
            )
            expected = ref.submit(order_id, op.owner, op.side, op.qty, price, op.tif, op.post_only)
            if not _is_reject(events):
                ledger.total[order_id] += op.qty
                ledger.side[order_id] = op.side
                self.owner_of[order_id] = op.owner
        else:
            order_id = self._pick(op.pick, stale=op.stale)
            owner = self.owner_of.get(order_id, OWNERS[0])
            if op.foreign:
                owner = OWNERS[1] if owner == OWNERS[0] else OWNERS[0]
            old_open = book.open_qty(order_id)
            side = ledger.side.get(order_id, Side.BUY)
            self.contra_before = _flat_queue(book, side.opposite)
            if isinstance(op, Cancel):
                events = book.cancel(order_id, owner=owner, ts_ns=self.ts_ns)
                expected = ref.cancel(order_id, owner)
            else:
                if op.relative:
                    qty = old_open + op.qty
                    price = (book.order_price(order_id) or tick) + op.price_ticks * tick + op.off_grid
                else:
                    qty, price = op.qty, op.price_ticks * tick + op.off_grid
                events = book.replace(order_id, owner=owner, qty=qty, price=price, ts_ns=self.ts_ns)
                expected = ref.replace(order_id, owner, qty, price)
                if not _is_reject(events) and qty > 0:
                    # The order is now responsible for qty open shares instead of old_open. A replace to 0 is a
                    # cancel, reported as a Cancelled of old_open, so it needs no adjustment.
                    ledger.total[order_id] += qty - old_open
        for e in events:
            if isinstance(e, Fill):
                ledger.filled[e.maker_order_id] += e.qty
                ledger.filled[e.taker_order_id] += e.qty
                assert ledger.side[e.taker_order_id] is e.taker_side
                assert ledger.side[e.maker_order_id] is e.taker_side.opposite
                for party in (e.maker_order_id, e.taker_order_id):
                    if ledger.side[party] is Side.BUY:
                        ledger.bought += e.qty
                    else:
                        ledger.sold += e.qty
            elif isinstance(e, Cancelled):
                ledger.cancelled[e.order_id] += e.qty
        return events, expected


def _is_reject(events: list[Event]) -> bool:
    return len(events) == 1 and isinstance(events[0], Reject)


def _flat_queue(book: OrderBook, side: Side) -> list[tuple[int, int]]:
    """``(price, order id)`` of every live order of one side, in the order a taker must trade with them."""
    return [(price, order_id) for price, orders in book.queue(side) for order_id, _ in orders]


def _zero_ts(events: list[Event]) -> list[Event]:
    """The events with timestamps zeroed, for comparison with the reference model (which has no clock)."""
    return [replace(e, ts_ns=0) if isinstance(e, Fill | QuoteUpdate) else e for e in events]


# ---------------------------------------------------------------------------------------------------- properties


@settings(max_examples=200, deadline=None)
@given(tick=ticks, ops=operations)
def test_book_is_never_crossed(tick: int, ops: list[Op]) -> None:
    """After every operation the best bid is strictly below the best ask (no crossed or locked book)."""
    driver = Driver(tick)
    for op in ops:
        driver.apply(op)
        bids, asks = driver.book.depth(Side.BUY, 1), driver.book.depth(Side.SELL, 1)
        if bids and asks:
            assert bids[0][0] < asks[0][0], (op, bids, asks)
        assert (driver.book.best_bid, driver.book.best_ask) == (
            bids[0][0] if bids else None,
            asks[0][0] if asks else None,
        )


@settings(max_examples=200, deadline=None)
@given(tick=ticks, ops=operations)
def test_shares_are_conserved_per_order(tick: int, ops: list[Op]) -> None:
    """For every order id: shares it was responsible for == filled + cancelled + open, after every operation.

    Also every fill pairs a buy order with a sell order (taker on ``taker_side``, maker opposite), so the total
    bought equals the total sold, and the book's open quantities agree with its queues and depth.
    """
    driver = Driver(tick)
    for op in ops:
        driver.apply(op)
        book, ledger = driver.book, driver.ledger
        for order_id in set(ledger.total) | set(ledger.filled) | set(ledger.cancelled):
            open_qty = book.open_qty(order_id)
            assert open_qty >= 0
            assert ledger.total[order_id] == ledger.filled[order_id] + ledger.cancelled[order_id] + open_qty, (
                order_id,
                op,
            )
        assert ledger.bought == ledger.sold
        for side in (Side.BUY, Side.SELL):
            queue = book.queue(side)
            assert book.depth(side, levels=0) == [(price, sum(q for _, q in orders)) for price, orders in queue]
            assert all(q > 0 for _, orders in queue for _, q in orders)
            assert all(book.open_qty(i) == q and book.order_price(i) == p for p, orders in queue for i, q in orders)
        queued = [i for side in (Side.BUY, Side.SELL) for _, orders in book.queue(side) for i, _ in orders]
        assert sorted(queued) == sorted(book) and len(queued) == len(book)


@settings(max_examples=200, deadline=None)
@given(tick=ticks, ops=operations)
def test_takers_walk_the_contra_queue_in_price_time_order(tick: int, ops: list[Op]) -> None:
    """A taker's fills hit prices in non-worsening order and makers exactly in queue order.

    The makers one operation trades with are the first ones of the contra queue as it stood before the operation,
    in that order; all but the last are filled completely.
    """
    driver = Driver(tick)
    for op in ops:
        events, _ = driver.apply(op)
        got = [e for e in events if isinstance(e, Fill)]
        if not got:
            continue
        side = got[0].taker_side
        prices = [f.price for f in got]
        assert prices == sorted(prices, reverse=side is Side.SELL)
        assert [(f.price, f.maker_order_id) for f in got] == driver.contra_before[: len(got)]
        assert all(f.maker_leaves == 0 for f in got[:-1])
        assert got[-1].maker_leaves == 0 or got[-1].taker_leaves == 0
        assert [f.taker_leaves for f in got] == sorted((f.taker_leaves for f in got), reverse=True)


@settings(max_examples=300, deadline=None)
@given(tick=ticks, ops=operations)
def test_book_matches_the_reference_model(tick: int, ops: list[Op]) -> None:
    """Events and both full queues (price, order, open quantity, priority) equal the naive reference book's."""
    driver = Driver(tick)
    for op in ops:
        events, expected = driver.apply(op)
        assert _zero_ts(events) == expected, op
        assert all(e.ts_ns == driver.ts_ns for e in events if isinstance(e, Fill | QuoteUpdate))
        for side in (Side.BUY, Side.SELL):
            assert driver.book.queue(side) == driver.ref.queue(side), (op, side)
        bid, bid_size, ask, ask_size = driver.ref.top
        q = driver.book.quote(driver.ts_ns)
        assert (q.bid, q.bid_size, q.ask, q.ask_size) == (bid, bid_size, ask, ask_size)
