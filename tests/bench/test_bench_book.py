"""Benchmarks of the order book (pytest-benchmark).

Inputs are generated before timing with a seeded NumPy generator, so the timed function runs the book only; each
benchmark checks its result, so a broken book fails here too. With ``--benchmark-disable`` each runs once.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from pytest_benchmark.fixture import BenchmarkFixture

from venues.book import OrderBook
from venues.types import Cancelled, Event, Fill, QuoteUpdate, Reject, RejectReason, Side, TimeInForce

N_ORDERS = 10_000
SEED = 20_240_601
MID = 10_000
"""Centre of the generated prices, in ticks (tick 1)."""

# Operation codes of the mixed stream.
LIMIT, CANCEL, MARKETABLE, MARKET = 0, 1, 2, 3


def _resting_orders(rng: np.random.Generator, n: int) -> list[tuple[int, Side, int, int]]:
    """``n`` (order id, side, qty, price) that never cross: bids below ``MID``, asks at or above it."""
    sides = rng.integers(0, 2, n)
    offsets = rng.integers(1, 200, n)
    qtys = rng.integers(1, 10, n) * 100
    return [
        (i + 1, Side.BUY if s else Side.SELL, int(q), MID - int(o) if s else MID + int(o) - 1)
        for i, (s, o, q) in enumerate(zip(sides, offsets, qtys, strict=True))
    ]


def _insert_all(orders: list[tuple[int, Side, int, int]]) -> tuple[OrderBook, list[Event]]:
    book = OrderBook(tick=1)
    events: list[Event] = []
    for ts_ns, (order_id, side, qty, price) in enumerate(orders):
        events += book.submit(order_id, 1, side, qty, price=price, ts_ns=ts_ns)
    return book, events


def test_bench_insert_non_crossing_limits(benchmark: BenchmarkFixture) -> None:
    """Resting 10k non-crossing limit orders: all rest, none trade, and the book holds every share."""
    orders = _resting_orders(np.random.default_rng(SEED), N_ORDERS)
    book, events = benchmark(_insert_all, orders)
    assert len(book) == N_ORDERS
    # Only quote updates, and only for orders that improved or joined the top.
    assert all(isinstance(e, QuoteUpdate) for e in events)
    assert 0 < len(events) < N_ORDERS // 10
    shares = sum(q for side in (Side.BUY, Side.SELL) for _, q in book.depth(side, levels=0))
    assert shares == sum(q for _, _, q, _ in orders)
    # Offsets 1..199 each side of the mid: every price of both bands is taken by 10k orders.
    assert (book.best_bid, book.best_ask) == (MID - 1, MID)
    assert len(book.depth(Side.BUY, levels=0)) == len(book.depth(Side.SELL, levels=0)) == 199


def _mixed_stream(rng: np.random.Generator, n: int) -> list[tuple[int, int, Side, int, int, int]]:
    """``n`` operations ``(code, order id, side, qty, price, cancel target)``.

    About 60% resting-or-not limits around ``MID``, 20% cancels of an earlier id (some already gone), 15% marketable
    IOC limits and 5% market orders.
    """
    codes = rng.choice([LIMIT, CANCEL, MARKETABLE, MARKET], size=n, p=[0.60, 0.20, 0.15, 0.05])
    sides = rng.integers(0, 2, n)
    offsets = rng.integers(0, 20, n)
    qtys = rng.integers(1, 10, n) * 100
    targets = rng.random(n)
    ops = []
    for i in range(n):
        side = Side.BUY if sides[i] else Side.SELL
        if codes[i] == LIMIT:  # passive: at or behind the mid on its own side
            price = MID - 1 - int(offsets[i]) if side is Side.BUY else MID + int(offsets[i])
        else:  # marketable: a few ticks through the mid
            price = MID + int(offsets[i]) if side is Side.BUY else MID - 1 - int(offsets[i])
        target = 1 + int(targets[i] * i)  # an id at or before this operation's own
        ops.append((int(codes[i]), i + 1, side, int(qtys[i]), price, target))
    return ops


def _run_stream(ops: list[tuple[int, int, Side, int, int, int]]) -> tuple[OrderBook, list[Event]]:
    book = OrderBook(tick=1)
    events: list[Event] = []
    for ts_ns, (code, order_id, side, qty, price, target) in enumerate(ops):
        if code == LIMIT:
            events += book.submit(order_id, 1, side, qty, price=price, ts_ns=ts_ns)
        elif code == CANCEL:
            events += book.cancel(target, owner=1, ts_ns=ts_ns)
        elif code == MARKETABLE:
            events += book.submit(order_id, 1, side, qty, price=price, ts_ns=ts_ns, tif=TimeInForce.IOC)
        else:
            events += book.submit(order_id, 1, side, qty, price=None, ts_ns=ts_ns)
    return book, events


def test_bench_mixed_stream(benchmark: BenchmarkFixture) -> None:
    """10k mixed limits, cancels and marketable orders: shares are conserved and every kind of event occurs."""
    ops = _mixed_stream(np.random.default_rng(SEED), N_ORDERS)
    book, events = benchmark(_run_stream, ops)
    kinds = Counter(type(e) for e in events)
    assert min(kinds[Fill], kinds[QuoteUpdate], kinds[Cancelled], kinds[Reject]) > 500
    # Cancels of ids already gone (filled, cancelled, never rested) are rejected, and nothing else is.
    assert {e.reason for e in events if isinstance(e, Reject)} == {RejectReason.UNKNOWN_ORDER}
    # Every share submitted (cancels submit none) is filled once as taker, cancelled, or still open.
    submitted = sum(qty for code, _, _, qty, _, _ in ops if code != CANCEL)
    taken = sum(e.qty for e in events if isinstance(e, Fill))
    cancelled = sum(e.qty for e in events if isinstance(e, Cancelled))
    open_qty = sum(q for side in (Side.BUY, Side.SELL) for _, q in book.depth(side, levels=0))
    assert submitted == 2 * taken + cancelled + open_qty
    if book.best_bid is not None and book.best_ask is not None:
        assert book.best_bid < book.best_ask
