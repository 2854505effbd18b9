"""A firm's own order data read as sorbench's: order ids, sides, timestamps and tickers.

Shared by the parent-order files of ``run --orders`` (:mod:`harness.io.orders`) and the vendor files of ``sorbench
tca`` (:mod:`harness.io.vendor`); the rules are documented in docs/data-formats.md, *A firm's own data*.

* **Order ids** are kept as given (``O1``, ``ABC-0001``): every output table carries them in ``client_order_id``.
  The simulator and the analytics join on an integer ``parent_id``: a file whose ids are all plain non-negative
  integers (no sign, no leading zero) keeps them as ``parent_id``; any other file numbers its orders 1, 2, ... in
  the order of its rows (:func:`internal_ids`), so the same file always gives the same numbers.
* **Sides**: ``buy``/``sell``, ``B``/``S``, FIX Side ``1``/``2`` (and ``5``/``6``, sell short and sell short
  exempt, which are sells), in any case.
* **Timestamps** (:func:`parse_time`): integer ns since midnight (the session's time of day in New York), integer
  ns since the Unix epoch (anything of a day or more), or ISO 8601 with a time zone (``2026-11-20T09:30:00.5-05:00``,
  ``...T14:30:00Z``; up to nine fraction digits). Epoch and ISO times are converted to the ``America/New_York``
  day and time of day; a time without a zone is refused, as it could be any of them.
* **Tickers**: a symbol map (:func:`read_symbol_map`, TOML or CSV) from the firm's tickers to the scenario's
  symbols.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from harness.errors import UserError
from harness.scenario.clock import NS_PER_DAY, NS_PER_SECOND, SESSION_TIMEZONE

SESSION_ZONE = ZoneInfo(SESSION_TIMEZONE)
SIDE_ALIASES = {
    "buy": "buy",
    "b": "buy",
    "1": "buy",
    "sell": "sell",
    "s": "sell",
    "2": "sell",
    "5": "sell",
    "6": "sell",
}
"""Side spellings (lower case) -> ``buy`` / ``sell``."""
SIDE_HELP = "buy/sell, B/S or FIX 1/2"
TIME_HELP = "ns since midnight, ns since the epoch, or ISO 8601 with a time zone"
_ISO = re.compile(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?")
_PLAIN_ID = re.compile(r"0|[1-9]\d{0,18}")


def brief(value: Any) -> str:
    """``value`` as an error quotes it (text in quotes), at most 40 characters."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def parse_side(value: Any) -> str:
    """``buy`` or ``sell`` for any of :data:`SIDE_ALIASES` (any case); ``ValueError`` otherwise."""
    text = "" if value is None else str(value).strip().lower()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    side = SIDE_ALIASES.get(text)
    if side is None:
        raise ValueError(f"{brief(value)} is not a side ({SIDE_HELP})")
    return side


def order_id_text(value: Any) -> str:
    """An order id cell as text, as given: integers (and whole floats from a spreadsheet) without ``.0``."""
    if value is None or (isinstance(value, float) and value != value):
        raise ValueError("is empty")
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not an order id")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if not text:
        raise ValueError("is empty")
    if len(text) > 64:
        raise ValueError(f"{brief(text)} is longer than 64 characters")
    return text


def check_integer_id(text: str) -> None:
    """Refuse an id that is written as an integer but is no order number (negative, 2^63 or more)."""
    if re.fullmatch(r"[+-]?\d+", text):
        n = int(text)
        if n < 0:
            raise ValueError(f"{brief(n)} is negative")
        if n >= 2**63:
            raise ValueError(f"{brief(n)} is larger than 2^63 - 1")


def internal_ids(given: Sequence[str]) -> list[int]:
    """The integer ``parent_id`` of each given id: the id itself when every id is a plain integer, else 1, 2, ...

    Numbered in the order given (the file's row order), so a file always maps to the same numbers.
    """
    if all(_PLAIN_ID.fullmatch(g) and int(g) < 2**63 for g in given):
        return [int(g) for g in given]
    return list(range(1, len(given) + 1))


def parse_time(value: Any, *, day: dt.date | None = None) -> tuple[dt.date | None, int]:
    """(New York day or None, ns since midnight) of a timestamp cell (see the module docstring).

    ``day`` is the day the data is known to be on (the scenario's session, or an earlier row's); an epoch or ISO
    time on another day is an error. Integer times of day keep ``day`` (which may be None). ``ValueError`` names
    the value.
    """
    if isinstance(value, bool) or value is None or (isinstance(value, float) and value != value):
        raise ValueError(f"{brief(value)} is not a time ({TIME_HELP})")
    if isinstance(value, dt.datetime):
        return _on_day(_aware_ns(value), value, day)
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(f"{brief(value)} is not a whole number of ns ({TIME_HELP})")
        value = int(value)
    if isinstance(value, int):
        return _integer_time(value, day)
    text = str(value).strip()
    if re.fullmatch(r"\+?\d+", text):
        if len(text) > 20:
            raise ValueError(f"{brief(text)} is beyond the 64-bit integer range")
        return _integer_time(int(text), day)
    m = _ISO.fullmatch(text)
    if m is None:
        raise ValueError(f"{brief(text)} is not a time ({TIME_HELP})")
    if m[6] is None:
        raise ValueError(f"{brief(text)} has no time zone (add Z, +00:00 or -05:00)")
    try:
        base = dt.datetime.fromisoformat(f"{m[1]}T{m[2]}:{m[3]}:{m[4]}")
    except ValueError:
        raise ValueError(f"{brief(text)} is not a calendar date and time") from None
    zone = m[6].upper()
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        offset = int(digits[:2]) * 60 + int(digits[2:4] or 0)
        if offset >= 24 * 60:
            raise ValueError(f"{brief(text)} has an offset of 24 hours or more")
        tz: dt.tzinfo = dt.timezone(dt.timedelta(minutes=offset if zone[0] == "+" else -offset))
    else:
        tz = dt.UTC
    local = base.replace(tzinfo=tz).astimezone(SESSION_ZONE)
    frac = int((m[5] or "").ljust(9, "0"))
    return _on_day((local.date(), _wall_ns(local) + frac), text, day)


def _integer_time(n: int, day: dt.date | None) -> tuple[dt.date | None, int]:
    if n < 0:
        raise ValueError(f"{brief(n)} is negative")
    if n < NS_PER_DAY:
        return day, n
    if n >= 2**63:
        raise ValueError(f"{brief(n)} is beyond the 64-bit integer range")
    secs, frac = divmod(n, NS_PER_SECOND)
    local = dt.datetime.fromtimestamp(secs, tz=dt.UTC).astimezone(SESSION_ZONE)
    return _on_day((local.date(), _wall_ns(local) + frac), n, day)


def _aware_ns(value: dt.datetime) -> tuple[dt.date, int]:
    """A timezone-aware datetime (or pandas Timestamp, with its nanoseconds) as New York (day, ns since midnight)."""
    if value.tzinfo is None:
        raise ValueError(f"{brief(str(value))} has no time zone (store the column with one, e.g. UTC)")
    local = value.astimezone(SESSION_ZONE)
    return local.date(), _wall_ns(local) + int(getattr(value, "nanosecond", 0))


def _wall_ns(local: dt.datetime) -> int:
    return ((local.hour * 60 + local.minute) * 60 + local.second) * NS_PER_SECOND + local.microsecond * 1000


def _on_day(got: tuple[dt.date, int], shown: Any, day: dt.date | None) -> tuple[dt.date, int]:
    if day is not None and got[0] != day:
        raise ValueError(f"{brief(shown)} is on {got[0].isoformat()} in New York, not {day.isoformat()}")
    return got


def read_symbol_map(path: str | Path) -> dict[str, str]:
    """A firm's tickers -> the scenario's symbols, from TOML or CSV (docs/data-formats.md, *Symbol map*).

    TOML: ``FIRM = "SCEN"`` lines, at the top level or in a ``[symbols]`` table. CSV: a header ``ticker,symbol``
    and one row per ticker. A ticker given twice, or an empty cell, is an error naming the file and the row.
    """
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p}: symbol map not found")
    suffix = p.suffix.lower()
    if suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(p.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
            raise UserError(f"{p}: not a readable TOML file: {err}") from None
        table = data["symbols"] if isinstance(data.get("symbols"), dict) else data
        out: dict[str, str] = {}
        for k, v in table.items():
            if not isinstance(v, str) or not v.strip():
                raise UserError(f'{p}: {k}: {brief(v)} is not a symbol (write {k} = "SYMBOL")')
            out[str(k).strip()] = v.strip()
        return out
    if suffix == ".csv":
        return _csv_symbol_map(p)
    raise UserError(f"{p}: unknown symbol map type {suffix!r} (use .toml or .csv)")


def _csv_symbol_map(p: Path) -> dict[str, str]:
    import csv

    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            rows = [[c.strip() for c in r] for r in csv.reader(fh)]
    except (UnicodeDecodeError, csv.Error) as err:
        raise UserError(f"{p}: not a readable CSV file: {err}") from None
    if not rows or [c.lower() for c in rows[0][:2]] != ["ticker", "symbol"]:
        raise UserError(f"{p}: the header must be 'ticker,symbol'")
    out: dict[str, str] = {}
    for n, r in enumerate(rows[1:], start=1):
        if not any(r):
            continue
        if len(r) < 2 or not r[0] or not r[1]:
            raise UserError(f"{p}: row {n}: needs a ticker and a symbol, got {brief(','.join(r))}")
        if r[0] in out:
            raise UserError(f"{p}: row {n}: ticker {brief(r[0])} is mapped twice")
        out[r[0]] = r[1]
    return out


def map_symbol(ticker: str, symbols: Mapping[str, str] | None, known: Sequence[str]) -> str:
    """The scenario's symbol for a firm's ``ticker`` (mapped, else itself); ``ValueError`` if the scenario lacks it."""
    symbol = symbols.get(ticker, ticker) if symbols else ticker
    if symbol not in known:
        via = f" (mapped from {ticker!r})" if symbol != ticker else ""
        raise ValueError(f"{brief(symbol)}{via} is not in the scenario ({', '.join(known)})")
    return symbol
