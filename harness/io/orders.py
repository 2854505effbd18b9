"""Parent-order files: a CSV or Parquet file of parent orders, read and checked against a scenario.

Columns (header row for CSV): ``parent_id`` (unique; the firm's order id, text or integer, kept as given in
``client_order_id``), ``symbol`` (in the scenario, or a firm's ticker the symbol map or a ``scenario_symbol`` column
maps to one), ``side`` (``buy``/``sell``, ``B``/``S``, FIX ``1``/``2``, any case), ``order_type`` (``market`` or
``limit``), ``qty`` (integer > 0), ``limit_price`` (USD on the symbol's tick grid; empty for market orders, required
for limit orders), ``arrival_ts_ns`` (ns since midnight, ns since the epoch or ISO 8601 with a time zone, on the
scenario's session day in New York and inside its window; :mod:`harness.io.order_fields`). Other columns are
ignored. Rows are numbered from 1 (the first data row; line 2 of a CSV file).
Generated flows (from the scenario's seed) are :mod:`harness.sim.flow`'s.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from adapters.contract import MAX_ORDER_QTY, MAX_PRICE, ParentOrder
from harness.errors import UserError
from harness.io.order_fields import (
    check_integer_id,
    internal_ids,
    map_symbol,
    order_id_text,
    parse_side,
    parse_time,
)
from harness.scenario.clock import format_clock
from venues.types import PRICE_SCALE, OrdType, Side

FLOW_COLUMNS = ("parent_id", "symbol", "side", "order_type", "qty", "limit_price", "arrival_ts_ns")
SCENARIO_SYMBOL = "scenario_symbol"
"""Optional column: the scenario's symbol for the row (the ``symbol`` column then holds the firm's ticker)."""


def _read_table(path: Path) -> tuple[list[str], list[tuple[int, list[Any]]]]:
    """Column names and numbered rows (as Python values; CSV cells as stripped strings) of a CSV or Parquet file.

    Rows are numbered from 1 for the first record after the header; blank CSV lines are skipped but keep their number,
    so a row number still points at line ``n + 1`` of the file.
    """
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as err:
            raise UserError(f"{path}: not a readable Parquet file: {err}") from None
        cols = table.column_names
        data = [table.column(c).to_pylist() for c in cols]
        return cols, list(enumerate((list(r) for r in zip(*data, strict=True)), start=1)) if data else []
    if suffix in {".csv", ".txt"}:
        import csv

        try:
            with path.open(newline="", encoding="utf-8-sig") as fh:  # -sig: spreadsheets start CSVs with a BOM
                reader = csv.reader(fh)
                rows = list(reader)
        except UnicodeDecodeError as err:
            raise UserError(f"{path}: not UTF-8 text: {err.reason} at byte {err.start}") from None
        except csv.Error as err:  # e.g. a cell over the csv module's 128 KiB field limit
            raise UserError(f"{path}: row {max(reader.line_num - 1, 0)}: not readable as CSV: {err}") from None
        if not rows:
            raise UserError(f"{path}: empty file (expected a header row: {', '.join(FLOW_COLUMNS)})")
        header = [h.strip() for h in rows[0]]
        body = []
        for n, r in enumerate(rows[1:], start=1):
            if not any(c.strip() for c in r):
                continue
            body.append((n, [c.strip() for c in r]))
        return header, body
    raise UserError(f"{path}: unknown order file type {suffix!r} (use .csv or .parquet)")


def _brief(value: Any) -> Any:
    """``value`` as an error message quotes it: at most 40 characters of a long number or text."""
    text = str(value)
    return value if len(text) <= 40 else f"{text[:20]}...({len(text)} characters)"


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{what}: {value!r} is not an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(f"{what}: {value!r} is not an integer")
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{what}: {_brief(text)!r} is not an integer") from None


def load_parents(path: str | Path, scenario: Any, *, symbol_map: Mapping[str, str] | None = None) -> list[ParentOrder]:
    """Read and check a parent-order file against ``scenario``; raises :class:`UserError` naming the bad row.

    ``symbol_map`` maps the firm's tickers in the ``symbol`` column to the scenario's symbols (a ``scenario_symbol``
    column, when the file has one, does so row by row). Each parent's ``client_order_id`` is its id as given.
    """
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p}: order file not found")
    header, rows = _read_table(p)
    missing = [c for c in FLOW_COLUMNS if c not in header]
    if missing:
        raise UserError(f"{p}: missing column(s) {', '.join(missing)} (need {', '.join(FLOW_COLUMNS)})")
    col = {c: header.index(c) for c in (*FLOW_COLUMNS, SCENARIO_SYMBOL) if c in header}
    ticks = {s.name: s.tick for s in scenario.symbols}
    rules = _Rules(ticks=ticks, start=scenario.session.start_ns, end=scenario.session.end_ns,
                   day=dt.date.fromisoformat(scenario.session.date), symbol_map=symbol_map)
    parents: list[ParentOrder] = []
    seen: dict[str, int] = {}
    errors: list[str] = []
    for n, row in rows:
        try:
            if len(row) < len(header):
                raise ValueError(f"has {len(row)} cells, the header has {len(header)}")
            parents.append(_parse_row(row, col, rules, seen, n))
        except ValueError as err:
            errors.append(f"row {n}: {err}")
    if errors:
        more = f" (and {len(errors) - 1} more bad row(s))" if len(errors) > 1 else ""
        raise UserError(f"{p}: {errors[0]}{more}")
    if not parents:
        raise UserError(f"{p}: no orders (the file has a header but no data rows)")
    ids = internal_ids([o.client_order_id or "" for o in parents])
    parents = [replace(o, parent_id=i) for o, i in zip(parents, ids, strict=True)]
    parents.sort(key=lambda o: (o.arrival_ts_ns, o.parent_id))
    return parents


@dataclass(frozen=True)
class _Rules:
    """What a row is checked against: the scenario's symbols and ticks, window and session day, the symbol map."""

    ticks: Mapping[str, int]
    start: int
    end: int
    day: dt.date
    symbol_map: Mapping[str, str] | None


def _field(what: str, parse: Any, value: Any) -> Any:
    """``parse(value)``, its ``ValueError`` prefixed with the column's name."""
    try:
        return parse(value)
    except ValueError as err:
        raise ValueError(f"{what}: {err}") from None


def _parse_row(row: Sequence[Any], col: Mapping[str, int], rules: _Rules, seen: dict[str, int], n: int) -> ParentOrder:
    given = _field("parent_id", order_id_text, row[col["parent_id"]])
    _field("parent_id", check_integer_id, given)
    if given in seen:
        raise ValueError(f"parent_id: {given} repeats row {seen[given]}")
    ticker = str(row[col["symbol"]] if row[col["symbol"]] is not None else "").strip()
    if SCENARIO_SYMBOL in col and str(row[col[SCENARIO_SYMBOL]] or "").strip():
        symbol = _field(SCENARIO_SYMBOL, lambda t: map_symbol(t, None, list(rules.ticks)),
                        str(row[col[SCENARIO_SYMBOL]]).strip())
    else:
        symbol = _field("symbol", lambda t: map_symbol(t, rules.symbol_map, list(rules.ticks)), ticker)
    side_text = _field("side", parse_side, row[col["side"]])
    type_text = str(row[col["order_type"]] or "").strip().lower()
    if type_text not in {"market", "limit"}:
        raise ValueError(f"order_type: {row[col['order_type']]!r} is not 'market' or 'limit'")
    qty = _int(row[col["qty"]], "qty")
    if qty <= 0:
        raise ValueError(f"qty: {_brief(qty)} is not positive")
    if qty > MAX_ORDER_QTY:
        raise ValueError(f"qty: {_brief(qty)} is more than the largest order, {MAX_ORDER_QTY:,} shares")
    limit = _limit(row[col["limit_price"]], type_text, symbol, rules.ticks[symbol])
    _, ts = _field("arrival_ts_ns", lambda v: parse_time(v, day=rules.day), row[col["arrival_ts_ns"]])
    if not rules.start <= ts < rules.end:
        raise ValueError(f"arrival_ts_ns: {_brief(row[col['arrival_ts_ns']])} ({format_clock(ts)} in New York) is "
                         f"outside the scenario window [{rules.start}, {rules.end})")
    seen[given] = n
    return ParentOrder(
        parent_id=0, symbol=symbol, side=Side.BUY if side_text == "buy" else Side.SELL,
        order_type=OrdType.MARKET if type_text == "market" else OrdType.LIMIT, qty=qty, limit_price=limit,
        arrival_ts_ns=ts, client_order_id=given,
    )


def _limit(raw_limit: Any, type_text: str, symbol: str, tick: int) -> int | None:
    """The limit price in price units (on the tick grid) of a limit order; None for a market order."""
    blank = raw_limit is None or (isinstance(raw_limit, float) and math.isnan(raw_limit)) or str(raw_limit) == ""
    if type_text == "market":
        if not blank:
            raise ValueError(f"limit_price: {raw_limit!r} given for a market order (leave it empty)")
        return None
    if blank:
        raise ValueError("limit_price: empty for a limit order")
    try:
        usd = float(raw_limit)
    except (TypeError, ValueError):
        raise ValueError(f"limit_price: {raw_limit!r} is not a number") from None
    if not math.isfinite(usd) or usd <= 0:
        raise ValueError(f"limit_price: {_brief(raw_limit)!r} is not a positive price")
    if usd > MAX_PRICE / PRICE_SCALE:
        raise ValueError(f"limit_price: {_brief(raw_limit)!r} is above the largest price, "
                         f"${MAX_PRICE // PRICE_SCALE:,}")
    limit = round(usd * PRICE_SCALE)
    if abs(usd * PRICE_SCALE - limit) > 1e-6 or limit % tick:
        raise ValueError(f"limit_price: {raw_limit!r} is not on {symbol}'s tick grid (${tick / PRICE_SCALE:g})")
    return limit
