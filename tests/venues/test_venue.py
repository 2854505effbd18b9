"""Tests of the lit venue: routing to the symbol's book and the checks the venue makes before the book."""

from __future__ import annotations

import pytest

from venues.fees import FeeSchedule
from venues.types import Cancelled, CancelReason, QuoteUpdate, Reject, RejectReason, Side
from venues.venue import LitVenue, VenueInfo, VenueKind

OWNER = 7
TS = 1_000


@pytest.fixture
def venue() -> LitVenue:
    """A maker-taker lit venue listing AAA (tick 1) and BBB (tick 100)."""
    info = VenueInfo(
        name="LIT1",
        kind=VenueKind.LIT,
        fees=FeeSchedule.from_usd(take_usd=0.0030, make_usd=-0.0029),
        protected=True,
        symbols=("AAA", "BBB"),
    )
    return LitVenue(info, ticks={"AAA": 1, "BBB": 100})


def test_one_book_per_listed_symbol_with_its_tick(venue: LitVenue) -> None:
    """The venue holds one book per listed symbol, each with that symbol's tick."""
    assert sorted(venue.books) == ["AAA", "BBB"]
    assert (venue.books["AAA"].tick, venue.books["BBB"].tick) == (1, 100)


def test_submit_goes_to_the_symbols_book_only(venue: LitVenue) -> None:
    """An order for AAA rests in AAA's book and leaves BBB's book empty."""
    events = venue.submit("AAA", 1, OWNER, Side.BUY, 10, price=500_100, ts_ns=TS)
    assert events == [QuoteUpdate(TS, 500_100, 10, None, 0)]
    assert venue.books["AAA"].queue(Side.BUY) == [(500_100, [(1, 10)])]
    assert len(venue.books["BBB"]) == 0


def test_submit_uses_the_symbols_tick(venue: LitVenue) -> None:
    """A price on AAA's 1-unit grid but off BBB's 100-unit grid is accepted for AAA and rejected for BBB."""
    assert venue.submit("BBB", 1, OWNER, Side.SELL, 5, price=500_150, ts_ns=TS) == [
        Reject(1, OWNER, RejectReason.OFF_TICK)
    ]
    assert venue.submit("AAA", 1, OWNER, Side.SELL, 5, price=500_150, ts_ns=TS) == [
        QuoteUpdate(TS, None, 0, 500_150, 5)
    ]


def test_cancel_and_replace_go_to_the_symbols_book(venue: LitVenue) -> None:
    """The same order id in two books is cancelled or replaced only in the book named."""
    venue.submit("AAA", 1, OWNER, Side.BUY, 10, price=500_000, ts_ns=TS)
    venue.submit("BBB", 1, OWNER, Side.BUY, 20, price=500_000, ts_ns=TS)
    venue.replace("BBB", 1, owner=OWNER, qty=15, price=500_000, ts_ns=TS)
    assert (venue.books["AAA"].open_qty(1), venue.books["BBB"].open_qty(1)) == (10, 15)
    events = venue.cancel("AAA", 1, owner=OWNER, ts_ns=TS)
    assert events[0] == Cancelled(1, OWNER, 10, CancelReason.REQUESTED)
    assert (venue.books["AAA"].open_qty(1), venue.books["BBB"].open_qty(1)) == (0, 15)


def test_unknown_symbol_is_rejected(venue: LitVenue) -> None:
    """Submit, cancel and replace for a symbol the venue does not list are rejected as UNKNOWN_SYMBOL."""
    expected = [Reject(1, OWNER, RejectReason.UNKNOWN_SYMBOL)]
    assert venue.submit("ZZZ", 1, OWNER, Side.BUY, 10, price=500_000, ts_ns=TS) == expected
    assert venue.cancel("ZZZ", 1, owner=OWNER, ts_ns=TS) == expected
    assert venue.replace("ZZZ", 1, owner=OWNER, qty=5, price=500_000, ts_ns=TS) == expected
    assert all(len(book) == 0 for book in venue.books.values())


def test_closed_venue_rejects_submit_and_replace(venue: LitVenue) -> None:
    """While the venue is closed, submits and replaces are rejected as VENUE_CLOSED and books are unchanged."""
    venue.submit("AAA", 1, OWNER, Side.BUY, 10, price=500_000, ts_ns=TS)
    venue.open = False
    assert venue.submit("AAA", 2, OWNER, Side.SELL, 10, price=500_000, ts_ns=TS) == [
        Reject(2, OWNER, RejectReason.VENUE_CLOSED)
    ]
    assert venue.replace("AAA", 1, owner=OWNER, qty=5, price=500_000, ts_ns=TS) == [
        Reject(1, OWNER, RejectReason.VENUE_CLOSED)
    ]
    assert venue.books["AAA"].queue(Side.BUY) == [(500_000, [(1, 10)])]
    assert venue.books["AAA"].queue(Side.SELL) == []


def test_closed_venue_still_accepts_cancels(venue: LitVenue) -> None:
    """Cancels are not refused when the venue is closed (the venue checks open only for submit and replace)."""
    venue.submit("AAA", 1, OWNER, Side.BUY, 10, price=500_000, ts_ns=TS)
    venue.open = False
    assert venue.cancel("AAA", 1, owner=OWNER, ts_ns=TS)[0] == Cancelled(1, OWNER, 10, CancelReason.REQUESTED)
    assert 1 not in venue.books["AAA"]


def test_reopened_venue_accepts_orders(venue: LitVenue) -> None:
    """Closing is not permanent: once open again, orders reach the book."""
    venue.open = False
    venue.open = True
    assert venue.submit("AAA", 1, OWNER, Side.BUY, 10, price=500_000, ts_ns=TS) == [
        QuoteUpdate(TS, 500_000, 10, None, 0)
    ]
