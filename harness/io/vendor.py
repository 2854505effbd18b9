"""A vendor's orders, fills and quotes (``sorbench tca --orders/--fills/--quotes``) in the analytics' terms.

The files are read as they are (:func:`harness.analytics.inputs.read_table`); this module turns a firm's own
spellings into sorbench's before the analytics check the tables (:mod:`harness.io.order_fields` has the rules):
string order ids get an integer ``parent_id`` and keep their text in ``client_order_id`` (the fills' ``parent_id``
names orders by the same text); sides may be ``B``/``S`` or FIX ``1``/``2``; ``arrival_ts_ns``, ``exec_ts_ns`` and
the quotes' ``ts_ns`` may be ns since midnight, ns since the epoch or ISO 8601 with a time zone, and all become ns
since midnight of one New York day (returned, for the tables' timezone-aware columns); tickers go through the
symbol map. A bad cell is one line naming the file, the row, the column and the value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from harness.errors import UserError
from harness.io.order_fields import (
    SESSION_ZONE,
    brief,
    check_integer_id,
    internal_ids,
    order_id_text,
    parse_side,
    parse_time,
)
from harness.scenario.clock import NS_PER_DAY


@dataclass(frozen=True)
class Table:
    """A raw table and where it came from (row ``i`` is data row ``i + 1``; a CSV's line ``i + 2``)."""

    frame: pd.DataFrame
    label: str
    csv: bool = False

    def where(self, i: int, column: str) -> str:
        """``file: row N (line N+1), column 'c'`` for the 0-based row ``i``."""
        line = f" (line {i + 2})" if self.csv else ""
        return f"{self.label}: row {i + 1}{line}, column {column!r}"


@dataclass(frozen=True)
class VendorData:
    """The three tables in sorbench's spellings and the New York day their timestamps are on (None: not known)."""

    orders: pd.DataFrame
    fills: pd.DataFrame
    quotes: pd.DataFrame | None
    date: str | None


def normalize_vendor(
    orders: Table, fills: Table, quotes: Table | None, *, symbol_map: Mapping[str, str] | None = None
) -> VendorData:
    """The vendor's tables with integer ids, ``buy``/``sell`` sides, ns-since-midnight times and mapped symbols."""
    o, f = orders.frame.copy(), fills.frame.copy()
    q = quotes.frame.copy() if quotes is not None else None
    ids = _order_ids(o, orders)
    if "parent_id" in f.columns:
        f["parent_id"] = _fill_ids(f["parent_id"], ids, fills, orders.label)
    day: dt.date | None = None
    for table, frame, column in ((orders, o, "arrival_ts_ns"), (fills, f, "exec_ts_ns"), (quotes, q, "ts_ns")):
        if table is not None and frame is not None and column in frame.columns:
            values, day = _times(frame[column], table, column, day)
            frame[column] = values.to_numpy()
    for table, frame in ((orders, o), (fills, f)):
        if "side" in frame.columns:
            frame["side"] = _sides(frame["side"], table)
    for frame in (o, f, q):
        if symbol_map and frame is not None and "symbol" in frame.columns:
            frame["symbol"] = frame["symbol"].map(
                lambda s: symbol_map.get(str(s).strip(), s) if isinstance(s, str) else s
            )
    return VendorData(orders=o, fills=f, quotes=q, date=day.isoformat() if day is not None else None)


def _order_ids(frame: pd.DataFrame, table: Table) -> dict[str, int]:
    """Give the orders integer ``parent_id``s and their given text as ``client_order_id``; returns text -> id."""
    if "parent_id" not in frame.columns:
        return {}  # the analytics name the missing column
    given: list[str] = []
    seen: dict[str, int] = {}
    for i, value in enumerate(frame["parent_id"].tolist()):
        try:
            text = order_id_text(value)
            check_integer_id(text)
        except ValueError as err:
            raise UserError(f"{table.where(i, 'parent_id')}: {err}") from None
        if text in seen and "router" not in frame.columns and "seed" not in frame.columns:
            raise UserError(f"{table.where(i, 'parent_id')}: order {brief(text)} appears twice (row {seen[text] + 1})")
        seen.setdefault(text, i)
        given.append(text)
    unique = list(dict.fromkeys(given))
    mapping = dict(zip(unique, internal_ids(unique), strict=True))
    frame["parent_id"] = np.array([mapping[g] for g in given], dtype=np.int64)
    if "client_order_id" not in frame.columns:
        frame.insert(frame.columns.get_loc("parent_id") + 1, "client_order_id", given)
    return mapping


def _fill_ids(raw: pd.Series, ids: dict[str, int], table: Table, orders_label: str) -> pd.Series:
    out = np.empty(len(raw), dtype=np.int64)
    for i, value in enumerate(raw.tolist()):
        try:
            text = order_id_text(value)
        except ValueError as err:
            raise UserError(f"{table.where(i, 'parent_id')}: {err}") from None
        if text not in ids:
            raise UserError(f"{table.where(i, 'parent_id')}: {brief(text)} is not an order in {orders_label}")
        out[i] = ids[text]
    return pd.Series(out, index=raw.index)


def _sides(raw: pd.Series, table: Table) -> pd.Series:
    out = []
    for i, value in enumerate(raw.tolist()):
        try:
            out.append(parse_side(value))
        except ValueError as err:
            raise UserError(f"{table.where(i, 'side')}: {err}") from None
    return pd.Series(out, index=raw.index, dtype=object)


def _times(raw: pd.Series, table: Table, column: str, day: dt.date | None) -> tuple[pd.Series, dt.date | None]:
    """Ns since midnight of one New York day for a column of times in any accepted form, and that day."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        if getattr(raw.dtype, "tz", None) is None:
            raise UserError(f"{table.where(0, column)}: a timestamp column without a time zone (store it with one)")
        return _epoch(raw.dt.as_unit("ns").astype("int64").to_numpy(), table, column, day)
    if pd.api.types.is_integer_dtype(raw.dtype) and not raw.isna().any():
        return _epoch(raw.to_numpy(np.int64), table, column, day)
    text = raw.astype("string").str.strip()
    if text.notna().all() and text.str.fullmatch(r"\d{1,19}").all():
        as_int = pd.to_numeric(text, errors="coerce")
        if as_int.notna().all() and (as_int < 2**63).all():
            return _epoch(text.astype("int64").to_numpy(), table, column, day)
    out = np.empty(len(raw), dtype=np.int64)
    for i, value in enumerate(raw.tolist()):
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            raise UserError(f"{table.where(i, column)}: is empty")
        try:
            got, out[i] = parse_time(value, day=day)
        except ValueError as err:
            raise UserError(f"{table.where(i, column)}: {err}") from None
        day = day or got
    return pd.Series(out, index=raw.index), day


def _epoch(ns: np.ndarray, table: Table, column: str, day: dt.date | None) -> tuple[pd.Series, dt.date | None]:
    """Integer times: those under a day are times of day; the others ns since the epoch, moved to New York."""
    if (ns < 0).any():
        i = int(np.flatnonzero(ns < 0)[0])
        raise UserError(f"{table.where(i, column)}: {ns[i]} is negative")
    epoch = ns >= NS_PER_DAY
    if not epoch.any():
        return pd.Series(ns), day
    local = pd.to_datetime(pd.Series(ns[epoch]), unit="ns", utc=True).dt.tz_convert(SESSION_ZONE).dt.tz_localize(None)
    days = local.dt.normalize()
    first = days.iloc[0].date() if day is None else day
    wrong = (days != pd.Timestamp(first)).to_numpy()
    if wrong.any():
        k = int(np.flatnonzero(wrong)[0])
        i = int(np.flatnonzero(epoch)[k])
        raise UserError(
            f"{table.where(i, column)}: {ns[i]} is on {days.iloc[k].date().isoformat()} in New York, "
            f"not {first.isoformat()}"
        )
    out = ns.copy()
    out[epoch] = (local - days).to_numpy().astype("timedelta64[ns]").astype(np.int64)
    return pd.Series(out), first
