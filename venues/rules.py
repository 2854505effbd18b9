"""Market-wide rules as pure functions: tick sizes, round lots, the midpoint, order protection and wholesaler pricing.

Prices are integers in 1e-4 USD (:data:`~venues.types.PRICE_SCALE` units per dollar). The venue classes in
:mod:`venues.venue` and :mod:`venues.midpoint` apply these; they are kept here so that each rule has one definition a
reader can check against the regulation it models.

Regulation modelled
-------------------
* **Tick size** (Reg NMS Rule 612, sub-penny rule): quotes and orders priced at or above $1.00 are in whole cents;
  below $1.00 in $0.0001. A scenario may give a symbol a half-penny ($0.005) tick at or above $1.00 (the tick
  regime proposed for tightly quoted names). Executions are not quotes: a wholesaler may fill at sub-penny prices.
* **Round lot** (amended Reg NMS definition, effective 2025): 100 shares for a price up to $250.00, 40 up to
  $1,000.00, 10 up to $10,000.00 and 1 above. (The rule sets each stock's round lot from its average closing price
  over the prior calendar month; the simulator applies the function to the price it is given.)
* **Order protection** (Rule 611): a venue must not execute a buy above, or a sell below, another venue's protected
  quote unless the order is an intermarket sweep order (ISO).
* **Locked and crossed markets** (Rule 610(d)): a venue must not display a bid at or above another venue's protected
  offer (or an offer at or below a protected bid).
"""

from __future__ import annotations

from venues.types import PRICE_SCALE, Side

DOLLAR = PRICE_SCALE
"""$1.00 in price units."""

CENT_TICK = PRICE_SCALE // 100
"""$0.01 in price units."""

HALF_PENNY_TICK = PRICE_SCALE // 200
"""$0.005 in price units."""

SUB_PENNY_TICK = 1
"""$0.0001 in price units: the tick below $1.00 and the grid of wholesaler price improvement."""

_ROUND_LOTS: tuple[tuple[float, int], ...] = ((250.0, 100), (1_000.0, 40), (10_000.0, 10))


def round_lot_for_price(price_usd: float) -> int:
    """Round lot size in shares for a stock at ``price_usd`` under the amended Reg NMS definition.

    Parameters
    ----------
    price_usd : float
        Price in US dollars (the prior month's average close under the rule), positive.

    Returns
    -------
    int
        100 up to and including $250.00; 40 up to $1,000.00; 10 up to $10,000.00; 1 above.

    Raises
    ------
    ValueError
        If the price is not positive.
    """
    if not price_usd > 0:
        raise ValueError(f"price_usd must be positive, got {price_usd!r}")
    for limit_usd, lot in _ROUND_LOTS:
        if price_usd <= limit_usd:
            return lot
    return 1


def tick_for_price(price: int, half_penny: bool = False) -> int:
    """Minimum price increment, in price units, for a quote or order at ``price`` (price units).

    Parameters
    ----------
    price : int
        Price in 1e-4 USD units.
    half_penny : bool
        The symbol trades in half pennies at or above $1.00.

    Returns
    -------
    int
        ``100`` ($0.01) at or above $1.00, ``50`` ($0.005) there for a half-penny symbol, ``1`` ($0.0001) below
        $1.00.
    """
    if price >= DOLLAR:
        return HALF_PENNY_TICK if half_penny else CENT_TICK
    return SUB_PENNY_TICK


def midpoint(bid: int | None, ask: int | None) -> int | None:
    """Midpoint of a valid NBBO in whole price units, or ``None`` if it is not valid.

    The NBBO is valid when both sides are present and ``bid < ask`` (a locked or crossed market has no usable
    midpoint: midpoint pegs do not trade). A half-unit midpoint (an odd spread in 1e-4 USD, possible only below
    $1.00) is rounded down, to the buyer's benefit by $0.00005.
    """
    if bid is None or ask is None or bid >= ask:
        return None
    return (bid + ask) // 2


def is_through(side: Side, price: int | None, far: int | None) -> bool:
    """Whether an order of ``side`` limited at ``price`` (``None``: market) may execute worse than ``far``.

    ``far`` is the best protected contra price elsewhere (the away ask for a buy, the away bid for a sell); ``None``
    means there is none and nothing is through it.
    """
    if far is None:
        return False
    if price is None:
        return True
    return price > far if side is Side.BUY else price < far


def locks_or_crosses(side: Side, price: int, far: int | None) -> bool:
    """Whether displaying ``price`` on ``side`` would lock or cross ``far`` (the contra protected quote)."""
    if far is None:
        return False
    return price >= far if side is Side.BUY else price <= far


def improved_price(side: Side, bid: int, ask: int, improvement: float) -> int:
    """Execution price of a wholesaler fill with price improvement, in price units.

    Parameters
    ----------
    side : Side
        The customer's side.
    bid, ask : int
        A valid NBBO (``bid < ask``).
    improvement : float
        Share of the quoted spread given back to the customer, in ``[0, 1)``.

    Returns
    -------
    int
        ``ask - improvement * (ask - bid)`` for a buy (``bid + improvement * (ask - bid)`` for a sell), rounded to
        the $0.0001 grid in the customer's favour (down for a buy, up for a sell), then kept between the midpoint
        (rounded the wholesaler's way: it never gives more than half the spread) and the far side (never worse than
        the NBBO).

    Raises
    ------
    ValueError
        If the NBBO is not valid or ``improvement`` is outside ``[0, 1)``.
    """
    if not bid < ask:
        raise ValueError(f"improved_price needs bid < ask, got {bid} / {ask}")
    if not 0.0 <= improvement < 1.0:
        raise ValueError(f"improvement must be in [0, 1), got {improvement!r}")
    spread = ask - bid
    give = improvement * spread
    if side is Side.BUY:
        p = ask - _ceil(give)
        return max(p, (bid + ask + 1) // 2)  # ceil of the mid: no more than half the spread
    p = bid + _ceil(give)
    return min(p, (bid + ask) // 2)


def _ceil(x: float) -> int:
    """Ceiling that ignores float noise below 1e-9 (``0.3 * 10`` is 3, not 4)."""
    n = int(x)
    return n + 1 if x - n > 1e-9 else n
