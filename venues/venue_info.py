"""What any router may know about a venue and a symbol: :class:`VenueKind`, :class:`VenueInfo`, :class:`SymbolInfo`.

Also :data:`Away`, the view of the other venues' protected quotes that the caller passes a venue with each order (see
:mod:`venues.venue`). Public path: :mod:`venues.venue` re-exports all of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from venues.fees import FeeSchedule

Away = tuple[int | None, int | None]
"""``(best protected bid, best protected ask)`` on the other venues, as a venue sees them."""


class VenueKind(Enum):
    """What sort of venue it is."""

    LIT = "lit"
    DARK = "dark"
    WHOLESALER = "wholesaler"


@dataclass(frozen=True, slots=True)
class VenueInfo:
    """Static, public facts about a venue that any router may read."""

    name: str
    kind: VenueKind
    fees: FeeSchedule
    protected: bool
    """Whether its displayed quote is a protected quote in the NBBO."""
    symbols: tuple[str, ...]
    speed_bump_ns: int = 0
    """Delay added to every message into and out of the venue (informational: the harness applies it)."""
    min_qty: int = 0
    """Venue-wide minimum order size and minimum quantity (dark pools); 0: none."""


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """Static facts about a listed symbol."""

    name: str
    tick: int
    """Minimum price increment, price units."""
    round_lot: int
    """Shares in a round lot."""
    sp500: bool = False
