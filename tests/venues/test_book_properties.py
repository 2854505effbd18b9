"""Property tests of the order book: random operation sequences against invariants and a reference model.

Each example drives one book through a random sequence of submits (limit or market; DAY, IOC, FOK or post-only),
cancels and replaces on a small price grid, so that crossing, locking and sweeping happen often, and checks after
every operation:

* the book is never crossed;
* shares are conserved per order id (an exact ledger of submitted, filled, cancelled and open quantity);
* a taker's fills walk the contra queue in price-time order;
* the events and both full queues equal those of :class:`ReferenceBook`, a naive list-based book written to be
  obviously correct.

The first three are checked without the model (so a mistake shared by model and book cannot hide), the last one in
its own test. Sequences have at least 20 operations so that books build up; a shrunk failing example therefore still
lists 20, most of them reduced to trivial one-share orders.
"""

from __future__ import annotations

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
class _RefOrder:
    order_id: int
    owner: int
    side: Side
    price: int
    qty: int
    seq: int
    """Priority time: a global arrival counter, renewed when the order loses priority."""


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

    ``reuse`` picks an earlier id (the ``reuse``-th ever used, modulo) instead of a fresh one: a duplicate if that order
    is live, a legal re-use if it is finished.
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

MID_TICKS = 10
_sides = st.sampled_from([Side.BUY, Side.SELL])
_owners = st.sampled_from(OWNERS)
_picks = st.integers(0, 1_000)
_rarely = st.sampled_from([False] * 9 + [True])
_off_grid = st.sampled_from([0] * 19 + [1])
_reuse = st.sampled_from([None] * 30 + [0, 1, 2, 3, 5, 8])

_tifs = st.sampled_from([TimeInForce.DAY] * 3 + [TimeInForce.IOC, TimeInForce.FOK])
_away = st.integers(-3, 6)
"""Ticks away from the middle on an order's own side: positive rests behind the middle, negative reaches through it.

Prices cluster on a few levels around the middle, so queues of several orders form and crossings are common.
"""


@st.composite
def _limit_orders(draw: st.DrawFn, *, post_only: bool) -> Submit:
    side = draw(_sides)
    away = draw(_away)
    return Submit(
        owner=draw(_owners),
        side=side,
        qty=draw(st.integers(1, 10)),
        price_ticks=MID_TICKS - away if side is Side.BUY else MID_TICKS + 1 + away,
        off_grid=0 if post_only else draw(_off_grid),
        tif=TimeInForce.DAY if post_only else draw(_tifs),
        post_only=post_only,
        reuse=draw(_reuse),
    )


_limits = _limit_orders(post_only=False)
_post_only = _limit_orders(post_only=True)
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
    qty=st.sampled_from([0, 0, 0, -1, -2, 1, 2, 3]),
    price_ticks=st.sampled_from([0, 0, 0, 0, 1, -1, 2, -2, 4, -4]),
    off_grid=_off_grid,
) | st.builds(
    Replace,
    pick=_picks,
    stale=_rarely,
    foreign=_rarely,
    relative=st.just(False),
    qty=st.integers(0, 12),
    price_ticks=st.integers(MID_TICKS - 6, MID_TICKS + 7),
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
    with_reference : bool
        Also run the reference model (otherwise :meth:`apply` returns no expected events).
    """

    def __init__(self, tick: int, *, with_reference: bool) -> None:
        self.book = OrderBook(tick=tick)
        self.ref = ReferenceBook(tick) if with_reference else None
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
            expected = ref.submit(order_id, op.owner, op.side, op.qty, price, op.tif, op.post_only) if ref else []
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
                expected = ref.cancel(order_id, owner) if ref else []
            else:
                if op.relative:
                    qty = old_open + op.qty
                    price = (book.order_price(order_id) or tick) + op.price_ticks * tick + op.off_grid
                else:
                    qty, price = op.qty, op.price_ticks * tick + op.off_grid
                events = book.replace(order_id, owner=owner, qty=qty, price=price, ts_ns=self.ts_ns)
                expected = ref.replace(order_id, owner, qty, price) if ref else []
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


# ---------------------------------------------------------------------------------------------------- invariants


def assert_not_crossed(book: OrderBook) -> None:
    """The best bid is strictly below the best ask whenever both sides are present (never crossed or locked)."""
    bids, asks = book.depth(Side.BUY, 1), book.depth(Side.SELL, 1)
    if bids and asks:
        assert bids[0][0] < asks[0][0], ("crossed book", bids, asks)
    assert (book.best_bid, book.best_ask) == (bids[0][0] if bids else None, asks[0][0] if asks else None)


def assert_shares_conserved(book: OrderBook, ledger: Ledger) -> None:
    """Per order id, shares it was responsible for == filled + cancelled + open; bought == sold; views agree.

    The views are ``queue``, ``depth``, ``open_qty``, ``order_price``, ``len`` and iteration, which must all describe
    the same set of live orders with positive open quantities.
    """
    for order_id in ledger.total.keys() | ledger.filled.keys() | ledger.cancelled.keys():
        open_qty = book.open_qty(order_id)
        accounted = ledger.filled[order_id] + ledger.cancelled[order_id] + open_qty
        assert ledger.total[order_id] == accounted, ("shares not conserved", order_id)
    assert ledger.bought == ledger.sold
    queued = []
    for side in (Side.BUY, Side.SELL):
        queue = book.queue(side)
        assert book.depth(side, levels=0) == [(price, sum(q for _, q in orders)) for price, orders in queue]
        for price, orders in queue:
            for order_id, qty in orders:
                assert qty > 0
                assert (book.open_qty(order_id), book.order_price(order_id)) == (qty, price)
                queued.append(order_id)
    assert sorted(queued) == sorted(book)
    assert len(queued) == len(book)


def assert_price_time_walk(fills: list[Fill], contra_before: list[tuple[int, int]]) -> None:
    """One taker's fills hit prices in non-worsening order and makers exactly in queue order.

    The makers are the first ones of the contra queue as it stood before the operation, in that order; all but the
    last are filled completely, and the taker's leaves count down.
    """
    if not fills:
        return
    prices = [f.price for f in fills]
    assert prices == sorted(prices, reverse=fills[0].taker_side is Side.SELL), "price priority"
    assert [(f.price, f.maker_order_id) for f in fills] == contra_before[: len(fills)], "price-time priority"
    assert all(f.maker_leaves == 0 for f in fills[:-1])
    assert fills[-1].maker_leaves == 0 or fills[-1].taker_leaves == 0
    leaves = [f.taker_leaves for f in fills]
    assert leaves == sorted(leaves, reverse=True)


# ---------------------------------------------------------------------------------------------------- properties


@settings(max_examples=120, deadline=None)
@given(tick=ticks, ops=operations)
def test_random_operations_keep_the_book_uncrossed_conserving_and_in_price_time_order(tick: int, ops: list[Op]) -> None:
    """After every operation: the book is not crossed, shares are conserved and fills follow price-time priority.

    These checks do not use the reference model, so a mistake shared by the model and the book cannot hide from
    them.
    """
    driver = Driver(tick, with_reference=False)
    for op in ops:
        events, _ = driver.apply(op)
        assert_not_crossed(driver.book)
        assert_shares_conserved(driver.book, driver.ledger)
        assert_price_time_walk([e for e in events if isinstance(e, Fill)], driver.contra_before)


@settings(max_examples=200, deadline=None)
@given(tick=ticks, ops=operations)
def test_random_operations_match_the_reference_model(tick: int, ops: list[Op]) -> None:
    """Every operation's events and both full queues (price, order, open quantity, priority) equal the reference's."""
    driver = Driver(tick, with_reference=True)
    for op in ops:
        events, expected = driver.apply(op)
        assert _zero_ts(events) == expected, op
        assert all(e.ts_ns == driver.ts_ns for e in events if isinstance(e, Fill | QuoteUpdate))
        for side in (Side.BUY, Side.SELL):
            assert driver.book.queue(side) == driver.ref.queue(side), (op, side)
        q = driver.book.quote(driver.ts_ns)
        assert (q.bid, q.bid_size, q.ask, q.ask_size) == driver.ref.top


@settings(max_examples=120, deadline=None)
@given(tick=ticks, ops=operations)
def test_cancel_quiet_changes_the_book_as_cancel_does_and_returns_its_quote_update(tick: int, ops: list[Op]) -> None:
    """``cancel_quiet`` (the background's cancel) leaves the same book as ``cancel`` and returns the same quote change.

    Before every cancel of the random sequence, a copy of the book is cancelled quietly; after the real cancel both
    books' queues and quotes agree, and the quiet call returned the fields of the real call's :class:`QuoteUpdate`
    (or ``None`` when there was none, including for a rejected cancel).
    """
    import copy

    driver = Driver(tick, with_reference=False)
    for op in ops:
        quiet = None
        if isinstance(op, Cancel):
            twin = copy.deepcopy(driver.book)
            order_id = driver._pick(op.pick, stale=op.stale)  # the order and owner Driver.apply will use
            owner = driver.owner_of.get(order_id, OWNERS[0])
            if op.foreign:
                owner = OWNERS[1] if owner == OWNERS[0] else OWNERS[0]
            quiet = twin.cancel_quiet(order_id, owner, driver.ts_ns + 1)
        events, _ = driver.apply(op)
        if isinstance(op, Cancel):
            updates = [(e.bid, e.bid_size, e.ask, e.ask_size) for e in events if isinstance(e, QuoteUpdate)]
            assert quiet == (updates[0] if updates else None), op
            for side in (Side.BUY, Side.SELL):
                assert twin.queue(side) == driver.book.queue(side), (op, side)
            assert twin.quote(driver.ts_ns) == driver.book.quote(driver.ts_ns)


@settings(max_examples=120, deadline=None)
@given(tick=ticks, ops=operations)
def test_rest_passive_rests_as_submit_does_or_declines_changing_nothing(tick: int, ops: list[Op]) -> None:
    """``rest_passive`` (the background's limit order) rests as ``submit`` would, or declines and changes nothing.

    Before every DAY limit order of the random sequence that is not post-only, a copy of the book gets it through
    ``rest_passive``. If it declines (``False``) the copy is unchanged; otherwise the real ``submit`` only rested the
    order (no fill, cancel or reject), both books agree afterwards, and ``rest_passive`` returned the fields of
    ``submit``'s :class:`QuoteUpdate` (``None`` when there was none).
    """
    import copy

    driver = Driver(tick, with_reference=False)
    for op in ops:
        plain = (
            isinstance(op, Submit) and op.tif is TimeInForce.DAY and not op.post_only and op.price_ticks is not None
        )
        if plain:
            twin = copy.deepcopy(driver.book)
            before = copy.deepcopy(driver.book)
            order_id = driver._pick(op.reuse, stale=True) if op.reuse is not None and driver.ids else driver.next_id
            price = op.price_ticks * tick + op.off_grid
            top = twin.rest_passive(order_id, op.owner, op.side, op.qty, price, driver.ts_ns + 1)
        events, _ = driver.apply(op)
        if not plain:
            continue
        if top is False:
            for side in (Side.BUY, Side.SELL):
                assert twin.queue(side) == before.queue(side), (op, side)
            assert twin.quote() == before.quote()
            continue
        assert all(isinstance(e, QuoteUpdate) for e in events), op
        assert top == ((events[0].bid, events[0].bid_size, events[0].ask, events[0].ask_size) if events else None), op
        for side in (Side.BUY, Side.SELL):
            assert twin.queue(side) == driver.book.queue(side), (op, side)
        assert twin.quote(driver.ts_ns) == driver.book.quote(driver.ts_ns)
        assert twin.open_qty(order_id) == driver.book.open_qty(order_id) == op.qty
