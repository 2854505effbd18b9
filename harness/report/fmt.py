"""Number formats of the report: one function per unit, each turning NaN or None into an en dash.

Every price figure (price improvement, spreads, markouts, shortfall, fees per share) is shown in one unit, cph (cents
per 100 shares, two decimals): :func:`price` turns the analytics' USD per share into it (0.0040 -> ``+40.00``);
fractions are shown as percentages; E/Q with three decimals; times in milliseconds with three significant figures or
two decimals.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from markupsafe import Markup

DASH = "\u2013"


def _num(v: Any) -> float | None:
    if v is None or isinstance(v, bool | str):
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def usd4(v: Any, *, signed: bool = True) -> str:
    """USD per share, four decimals (``+0.0040``; ``0.0000`` for zero)."""
    x = _num(v)
    if x is None:
        return DASH
    x = round(x, 4) + 0.0  # no "-0.0000"
    return f"{x:+.4f}" if signed and x != 0 else f"{x:.4f}"


def usd2(v: Any) -> str:
    """A USD amount with thousands separators and cents."""
    x = _num(v)
    return DASH if x is None else f"{round(x, 2) + 0.0:,.2f}"


def cph(v: Any, *, signed: bool = True) -> str:
    """Cents per 100 shares, two decimals."""
    x = _num(v)
    if x is None:
        return DASH
    x = round(x, 2) + 0.0
    return f"{x:+.2f}" if signed and x != 0 else f"{x:.2f}"


def price(v: Any, *, signed: bool = True) -> str:
    """A price figure stored in USD per share, shown in cph (x 10,000, two decimals: 0.004034 -> ``+40.34``)."""
    x = _num(v)
    return DASH if x is None else cph(x * 10_000, signed=signed)


def bps(v: Any) -> str:
    """A fraction of the price in basis points, two decimals (0.000199 -> 1.99)."""
    x = _num(v)
    return DASH if x is None else f"{round(x * 10_000, 2) + 0.0:.2f}"


def pct(v: Any, digits: int = 1) -> str:
    """A fraction as a percentage (0.9746 -> 97.5%)."""
    x = _num(v)
    return DASH if x is None else f"{round(x * 100, digits) + 0.0:.{digits}f}%"


def pct_points(v: Any, digits: int = 2) -> str:
    """A number already in percent (the Rule 606 files' fields) with a % sign."""
    x = _num(v)
    return DASH if x is None else f"{round(x, digits) + 0.0:.{digits}f}%"


def ratio(v: Any, digits: int = 3) -> str:
    """A dimensionless ratio (E/Q), three decimals."""
    x = _num(v)
    return DASH if x is None else f"{round(x, digits) + 0.0:.{digits}f}"


def ms(v: Any) -> str:
    """Milliseconds: two decimals below 1,000 ms, whole milliseconds with separators above."""
    x = _num(v)
    if x is None:
        return DASH
    return f"{round(x, 2) + 0.0:,.2f}" if abs(x) < 1000 else f"{round(x):,}"


def integer(v: Any) -> str:
    """A count with thousands separators."""
    x = _num(v)
    return DASH if x is None else f"{round(x):,}"


def number(v: Any, digits: int = 4) -> str:
    """A plain number with ``digits`` significant figures."""
    x = _num(v)
    return DASH if x is None else f"{x:.{digits}g}"


def signed(v: Any, digits: int = 2) -> str:
    """A signed number with ``digits`` decimals."""
    x = _num(v)
    return DASH if x is None else f"{round(x, digits) + 0.0:+.{digits}f}"


def text(v: Any) -> str:
    """A cell's text: NaN and None as a dash, floats without a trailing .0 when whole."""
    if v is None:
        return DASH
    if isinstance(v, float):
        if math.isnan(v):
            return DASH
        return f"{v:g}"
    return str(v)


FIGURE_FORMATS: dict[str, Callable[[Any], str]] = {
    "pi_per_share": price, "effective_spread": price, "shortfall_per_share": price, "markout_1s": price,
    "eq_ratio": ratio, "fill_rate": pct, "orders_filled_frac": pct, "time_to_first_fill_ms": ms,
    "paying_venue_share": pct, "net_fees_per_share": price,
}
FIGURE_UNITS: dict[str, str] = {
    "pi_per_share": "cph", "effective_spread": "cph", "shortfall_per_share": "cph",
    "markout_1s": "cph", "eq_ratio": "ratio", "fill_rate": "% of shares", "orders_filled_frac": "% of orders",
    "time_to_first_fill_ms": "ms", "paying_venue_share": "% of routed shares", "net_fees_per_share": "cph",
}


def figure_value(figure: str, v: Any) -> str:
    """A value of a review or paired figure in that figure's unit."""
    return FIGURE_FORMATS.get(figure, number)(v)


def figure_diff(figure: str, v: Any) -> str:
    """A difference of a figure, signed, in the figure's unit (percentage points for fractions)."""
    x = _num(v)
    if x is None:
        return DASH
    fmt = FIGURE_FORMATS.get(figure, number)
    if fmt is pct:
        return f"{round(x * 100, 1) + 0.0:+.1f} pts"
    if fmt is ratio:
        return f"{round(x, 3) + 0.0:+.3f}"
    if fmt is ms:
        return f"{round(x, 2) + 0.0:+,.2f}"
    if fmt is price:
        return price(x)
    return f"{x:+.4g}"


def figure_interval(figure: str, lo: Any, hi: Any) -> str:
    """An interval of a figure's difference, the unit once (``-72.3 to -50.7 pts``)."""
    if _num(lo) is None or _num(hi) is None:
        return DASH
    a, b = figure_diff(figure, lo), figure_diff(figure, hi)
    if a.endswith(" pts") and b.endswith(" pts"):
        a = a.removesuffix(" pts")
    return f"{a} to {b}"


def figure_threshold(figure: str, v: Any) -> str:
    """An action threshold (a margin) of a figure, unsigned, in its unit."""
    return DASH if _num(v) is None else figure_diff(figure, v).lstrip("+")


CSS_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-_/()[]+=%")


def css_string(v: Any) -> Markup:
    r"""``v`` as a quoted CSS string for a ``<style>`` element.

    Every character outside a plain set is written as a hex escape (``\\3c `` for ``<``), so that no value can end
    the string, the rule or the element it is written into.
    """
    body = "".join(ch if ch in CSS_PLAIN else f"\\{ord(ch):x} " for ch in str(v))
    return Markup(f'"{body}"')


FILTERS: dict[str, Callable[..., str]] = {
    "usd4": usd4, "usd2": usd2, "cph": cph, "price": price, "bps": bps, "pct": pct, "pct_points": pct_points,
    "ratio": ratio, "ms": ms, "integer": integer, "number": number, "signed": signed, "text": text,
    "css_string": css_string,
}
"""The template filters, by name."""
