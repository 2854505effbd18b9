"""Parent-order files: a CSV or Parquet file of parent orders, read and checked against a scenario.

Columns (header row for CSV): ``parent_id`` (unique integer >= 0), ``symbol`` (in the scenario), ``side`` (``buy`` or
``sell``), ``order_type`` (``market`` or ``limit``), ``qty`` (integer > 0), ``limit_price`` (USD on the symbol's tick
grid; empty for market orders, required for limit orders), ``arrival_ts_ns`` (integer ns since midnight inside the
scenario's window). Other columns are ignored. Rows are numbered from 1 (the first data row; line 2 of a CSV file).
Generated flows (from the scenario's seed) are :mod:`harness.sim.flow`'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from adapters.contract import MAX_ORDER_QTY, MAX_PRICE, ParentOrder
from harness.errors import UserError
from venues.types import PRICE_SCALE, OrdType, Side

FLOW_COLUMNS = ("parent_id", "symbol", "side", "order_type", "qty", "limit_price", "arrival_ts_ns")


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


def load_parents(path: str | Path, scenario: Any) -> list[ParentOrder]:
    """Read and check a parent-order file against ``scenario``; raises :class:`UserError` naming the bad row."""
    p = Path(path)
    if not p.is_file():
        raise UserError(f"{p}: order file not found")
    header, rows = _read_table(p)
    missing = [c for c in FLOW_COLUMNS if c not in header]
    if missing:
        raise UserError(f"{p}: missing column(s) {', '.join(missing)} (need {', '.join(FLOW_COLUMNS)})")
    col = {c: header.index(c) for c in FLOW_COLUMNS}
    ticks = {s.name: s.tick for s in scenario.symbols}
    start, end = scenario.session.start_ns, scenario.session.end_ns
    parents: list[ParentOrder] = []
    seen: dict[int, int] = {}
    errors: list[str] = []
    for n, row in rows:
        try:
            if len(row) < len(header):
                raise ValueError(f"has {len(row)} cells, the header has {len(header)}")
            parents.append(_parse_row(row, col, ticks, start, end, seen, n))
        except ValueError as err:
            errors.append(f"row {n}: {err}")
    if errors:
        more = f" (and {len(errors) - 1} more bad row(s))" if len(errors) > 1 else ""
        raise UserError(f"{p}: {errors[0]}{more}")
    if not parents:
        raise UserError(f"{p}: no orders (the file has a header but no data rows)")
    parents.sort(key=lambda o: (o.arrival_ts_ns, o.parent_id))
    return parents


def _parse_row(
    row: Sequence[Any], col: Mapping[str, int], ticks: Mapping[str, int], start: int, end: int,
    seen: dict[int, int], n: int,
) -> ParentOrder:
    parent_id = _int(row[col["parent_id"]], "parent_id")
    if parent_id < 0:
        raise ValueError(f"parent_id: {_brief(parent_id)} is negative")
    if parent_id >= 2**63:
        raise ValueError(f"parent_id: {_brief(parent_id)} is larger than 2^63 - 1")
    if parent_id in seen:
        raise ValueError(f"parent_id: {parent_id} repeats row {seen[parent_id]}")
    symbol = str(row[col["symbol"]] if row[col["symbol"]] is not None else "").strip()
    if symbol not in ticks:
        raise ValueError(f"symbol: {symbol!r} is not in the scenario ({', '.join(ticks)})")
    side_text = str(row[col["side"]] or "").strip().lower()
    if side_text not in {"buy", "sell"}:
        raise ValueError(f"side: {row[col['side']]!r} is not 'buy' or 'sell'")
    type_text = str(row[col["order_type"]] or "").strip().lower()
    if type_text not in {"market", "limit"}:
        raise ValueError(f"order_type: {row[col['order_type']]!r} is not 'market' or 'limit'")
    qty = _int(row[col["qty"]], "qty")
    if qty <= 0:
        raise ValueError(f"qty: {_brief(qty)} is not positive")
    if qty > MAX_ORDER_QTY:
        raise ValueError(f"qty: {_brief(qty)} is more than the largest order, {MAX_ORDER_QTY:,} shares")
    raw_limit = row[col["limit_price"]]
    limit: int | None = None
    blank = raw_limit is None or (isinstance(raw_limit, float) and math.isnan(raw_limit)) or str(raw_limit) == ""
    if type_text == "market":
        if not blank:
            raise ValueError(f"limit_price: {raw_limit!r} given for a market order (leave it empty)")
    else:
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
        if abs(usd * PRICE_SCALE - limit) > 1e-6 or limit % ticks[symbol]:
            raise ValueError(
                f"limit_price: {raw_limit!r} is not on {symbol}'s tick grid (${ticks[symbol] / PRICE_SCALE:g})"
            )
    ts = _int(row[col["arrival_ts_ns"]], "arrival_ts_ns")
    if not start <= ts < end:
        raise ValueError(f"arrival_ts_ns: {ts} is outside the scenario window [{start}, {end})")
    seen[parent_id] = n
    return ParentOrder(
        parent_id=parent_id, symbol=symbol, side=Side.BUY if side_text == "buy" else Side.SELL,
        order_type=OrdType.MARKET if type_text == "market" else OrdType.LIMIT, qty=qty, limit_price=limit,
        arrival_ts_ns=ts,
    )
