"""FIX tag=value logs and drop copies as TCA inputs: parent orders from NewOrderSingle, fills from ExecutionReport.

Pure Python, no FIX engine needed. One message per line, fields separated by SOH (byte 0x01), ``|`` or ``^A`` (as
printed logs show SOH); anything before ``8=FIX`` on a line (a QuickFIX file-log timestamp, a session id) is ignored,
as are blank lines and lines starting with ``#``. BodyLength (9) and CheckSum (10) are checked whenever the message
carries both, computed as if the delimiter were SOH (a printed log keeps the lengths of the original message).

What is read (tags and their mapping: docs/workflows.md, *FIX log import*):

* **Parents**: NewOrderSingle (35=D). In a drop copy without them, the first ExecutionReport of an order
  (ExecType 150=0 New) stands in for it. ``arrival_ts_ns`` is TransactTime (60), else SendingTime (52).
* **Cancel/replace**: OrderCancelReplaceRequest (35=G) and ExecutionReport 150=5 (Replaced) link the new ClOrdID
  (11) to the order of OrigClOrdID (41), so a replaced order keeps the parent of its original. A confirmed replace
  (150=5) sets the parent's quantity to its new OrderQty (38); the order type and limit price stay those of the
  original, which is what the order was at arrival, where the analytics classify it.
* **Fills**: ExecutionReport with ExecType F (trade; 1 / 2 partial fill / fill in FIX 4.2, or OrdStatus 39=1/2 when
  150 is absent) and LastQty (32) > 0: LastQty, LastPx (31), LastMkt (30, venue; "UNKNOWN" when absent),
  TransactTime, Commission (12) with CommType (13) 1 per share or 3 absolute as ``fee_usd`` (a negative commission
  is a rebate), LastLiquidityInd (851) 1 added / 2 removed.
* **Busts and corrections**: ExecType H (or ExecTransType 20=1, FIX 4.2) removes the fill whose ExecID (17) is the
  bust's ExecRefID (19); ExecType G (or 20=2) replaces its quantity, price and, when given, venue and commission,
  keeping its execution time.

Times are UTCTimestamps ``YYYYMMDD-HH:MM:SS[.fraction]`` turned into nanoseconds since midnight (UTC) of the log's
trading day, like a run's ``arrival_ts_ns``; a log spanning several days is an error. A quotes file whose timestamps
are nanoseconds since the epoch is recognised (every ``ts_ns`` at least one day) and the log's times are then moved
to the epoch too.

Every problem is one line, ``fix.log:17: tag 38 (OrderQty) is not a whole number of shares 1..100000000: 'abc'``;
with ``lenient`` the offending message is skipped instead and counted. The TCA of a log is
:mod:`harness.workflows.fix_tca`'s; the message format itself (delimiters, BodyLength, CheckSum, UTCTimestamps)
:mod:`harness.io.fix_message`'s.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from adapters.contract import MAX_ORDER_QTY, MAX_PRICE
from harness.errors import UserError
from harness.io.fix_message import FixMessage, FixProblem, parse_message, parse_timestamp, tag_name
from venues.types import PRICE_SCALE

UNKNOWN_VENUE = "UNKNOWN"
MAX_NOTED = 20
"""Skipped lines listed by number in the notes (the count is always complete)."""

SESSION_MESSAGES = {"A": "Logon", "0": "Heartbeat", "1": "TestRequest", "2": "ResendRequest", "3": "Reject",
                    "4": "SequenceReset", "5": "Logout"}
SIDES = {"1": "buy", "2": "sell", "5": "sell", "6": "sell"}
"""Side (54): sell short (5) and sell short exempt (6) are sells."""
ORD_TYPES = {"1": "market", "2": "limit"}
TIFS = {"0": "day", "1": "day", "3": "ioc", "4": "fok", "6": "day"}
"""TimeInForce (59): GTC (1) and GTD (6) are day orders within one day's log; absent is day."""
LIQUIDITY = {"1": "added", "2": "removed"}
COMM_PER_SHARE, COMM_ABSOLUTE = "1", "3"
TRADE_EXEC_TYPES = {"F", "1", "2"}

def _brief(text: str) -> str:
    """A field's value as an error quotes it: at most 32 characters."""
    return text if len(text) <= 32 else f"{text[:32]}... ({len(text)} characters)"


_QTY = re.compile(r"\d+(?:\.0*)?")
_PRICE = re.compile(r"(?:\d+(?:\.\d*)?|\.\d+)")
_AMOUNT = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


@dataclass
class _Order:
    parent_id: int
    clordid: str
    line: int
    symbol: str
    side: str
    order_type: str
    tif: str
    qty: int
    limit_price: float | None
    arrival_ts_ns: int
    filled: int = 0


@dataclass
class _Fill:
    order: _Order
    exec_id: str | None
    line: int
    venue: str
    exec_ts_ns: int
    qty: int
    price: float
    fee_usd: float | None
    liquidity: str | None


@dataclass
class FixLog:
    """What a FIX log holds for the analytics: parents and fills as vendor tables, and an account of the reading.

    ``parents`` has parent_id, client_order_id (the original ClOrdID), symbol, side, order_type, tif, qty, limit_price,
    arrival_ts_ns; ``fills`` has
    parent_id, venue, exec_ts_ns, qty, price, fee_usd (signed: negative is a rebate), liquidity. ``orders`` maps
    each parent_id to its original ClOrdID, the ClOrdIDs of its replacements and its line.
    """

    path: Path
    date: dt.date | None
    parents: pd.DataFrame
    fills: pd.DataFrame
    orders: list[dict[str, Any]]
    counts: dict[str, int]
    skipped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class _Reader:
    """The log read message by message, in line order (see the module docstring for the rules)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.date: dt.date | None = None
        self.date_line = 0
        self.orders: dict[str, _Order] = {}
        """Every ClOrdID (original or replacement) -> its order."""
        self.parents: list[_Order] = []
        self.chains: dict[int, list[str]] = {}
        self.fills: dict[str, _Fill] = {}
        """Live fills by ExecID (or a line key for fills without one), in log order."""
        self.seen_exec_ids: set[str] = set()
        self.counts = dict.fromkeys(("messages", "session_messages", "ignored_messages", "new_orders", "replaces",
                                     "fills", "busts", "corrections", "duplicates_ignored", "unknown_venue"), 0)

    # ------------------------------------------------------------------------------------------------ values
    def _time(self, msg: FixMessage, what: str) -> int:
        tag = 60 if msg.get(60) is not None else 52
        text = msg.get(tag)
        if text is None:
            raise FixProblem(f"{what} is missing {tag_name(60)} and {tag_name(52)}")
        try:
            day, ns = parse_timestamp(text)
        except ValueError as exc:
            raise FixProblem(f"{tag_name(tag)} {exc}: {text!r}") from None
        if self.date is None:
            self.date, self.date_line = day, msg.line
        elif day != self.date:
            raise FixProblem(f"{tag_name(tag)} {text!r} is on {day.isoformat()}, but the log's trading day is "
                             f"{self.date.isoformat()} (from line {self.date_line}); split the log by day")
        return ns

    @staticmethod
    def _qty(msg: FixMessage, tag: int, what: str) -> int:
        text = msg.need(tag, what).strip()
        if not _QTY.fullmatch(text) or len(text) > 32 or not 0 < int(text.split(".")[0]) <= MAX_ORDER_QTY:
            raise FixProblem(f"{tag_name(tag)} is not a whole number of shares 1..{MAX_ORDER_QTY}: "
                             f"{_brief(msg.fields[tag])!r}")
        return int(text.split(".")[0])

    @staticmethod
    def _price(msg: FixMessage, tag: int, what: str) -> float:
        text = msg.need(tag, what).strip()
        if not _PRICE.fullmatch(text) or len(text) > 32 or not 0 < float(text) <= MAX_PRICE / PRICE_SCALE:
            raise FixProblem(f"{tag_name(tag)} is not a positive price up to {MAX_PRICE // PRICE_SCALE}: "
                             f"{_brief(msg.fields[tag])!r}")
        return float(text)

    @staticmethod
    def _code(msg: FixMessage, tag: int, table: dict[str, str], what: str, *, default: str | None = None) -> str:
        text = msg.get(tag)
        if text is None:
            if default is not None:
                return default
            raise FixProblem(f"{what} is missing {tag_name(tag)}")
        value = table.get(text.strip())
        if value is None:
            known = ", ".join(f"{k} ({v})" for k, v in table.items())
            raise FixProblem(f"{tag_name(tag)} {text!r} is not supported (known: {known})")
        return value

    @staticmethod
    def _symbol(msg: FixMessage, what: str) -> str:
        symbol = msg.need(55, what).strip()
        sfx = msg.get(65)
        return f"{symbol}.{sfx.strip()}" if sfx else symbol

    @staticmethod
    def _possdup(msg: FixMessage) -> bool:
        return msg.get(43) == "Y" or msg.get(97) == "Y"

    def _fee(self, msg: FixMessage, qty: int) -> float | None:
        text = msg.get(12)
        if text is None:
            return None
        if not _AMOUNT.fullmatch(text.strip()):
            raise FixProblem(f"{tag_name(12)} is not a number: {text!r}")
        kind = msg.get(13)
        if kind is None:
            raise FixProblem(f"{tag_name(12)} is given without {tag_name(13)}")
        if kind == COMM_PER_SHARE:
            return float(text) * qty
        if kind == COMM_ABSOLUTE:
            return float(text)
        raise FixProblem(f"{tag_name(13)} {kind!r} is not supported (known: 1 (per share), 3 (absolute))")

    def _venue(self, msg: FixMessage) -> str:
        venue = msg.get(30)
        if venue is None or not venue.strip():
            self.counts["unknown_venue"] += 1
            return UNKNOWN_VENUE
        return venue.strip()

    def _order_of(self, msg: FixMessage) -> _Order:
        for tag in (11, 41):
            clordid = msg.get(tag)
            if clordid is not None and clordid in self.orders:
                return self.orders[clordid]
        shown = msg.get(11) or msg.get(41)
        if shown is None:
            raise FixProblem(f"ExecutionReport is missing {tag_name(11)}")
        raise FixProblem(f"{tag_name(11)} {shown!r} is not an order of this log "
                         "(no NewOrderSingle or New report before it)")

    # ---------------------------------------------------------------------------------------------- messages
    def read(self, msg: FixMessage) -> None:
        self.counts["messages"] += 1
        kind = msg.msg_type
        if kind in SESSION_MESSAGES:
            self.counts["session_messages"] += 1
        elif kind == "D":
            self._new_order(msg, what="NewOrderSingle")
        elif kind == "G":
            self._replace_request(msg)
        elif kind == "8":
            self._execution_report(msg)
        else:
            self.counts["ignored_messages"] += 1

    def _new_order(self, msg: FixMessage, *, what: str) -> None:
        clordid = msg.need(11, what)
        if clordid in self.orders:
            if self._possdup(msg):
                self.counts["duplicates_ignored"] += 1
                return
            raise FixProblem(f"{tag_name(11)} {clordid!r} was already used (line {self.orders[clordid].line})")
        symbol = self._symbol(msg, what)
        side = self._code(msg, 54, SIDES, what)
        qty = self._qty(msg, 38, what)
        order_type = self._code(msg, 40, ORD_TYPES, what)
        limit = self._price(msg, 44, f"{what} of a limit order") if order_type == "limit" else None
        tif = self._code(msg, 59, TIFS, what, default="day")
        arrival = self._time(msg, what)
        order = _Order(parent_id=len(self.parents) + 1, clordid=clordid, line=msg.line, symbol=symbol, side=side,
                       order_type=order_type, tif=tif, qty=qty, limit_price=limit, arrival_ts_ns=arrival)
        self.parents.append(order)
        self.orders[clordid] = order
        self.chains[order.parent_id] = [clordid]
        self.counts["new_orders"] += 1

    def _link(self, msg: FixMessage, what: str) -> _Order:
        """Link the message's new ClOrdID to the order of its OrigClOrdID."""
        new, orig = msg.need(11, what), msg.need(41, what)
        order = self.orders.get(orig)
        if order is None:
            raise FixProblem(f"{tag_name(41)} {orig!r} is not an order of this log")
        known = self.orders.get(new)
        if known is not None and known is not order:
            raise FixProblem(f"{tag_name(11)} {new!r} already names another order (line {known.line})")
        if known is None:
            self.orders[new] = order
            self.chains[order.parent_id].append(new)
        return order

    def _replace_request(self, msg: FixMessage) -> None:
        self._link(msg, "OrderCancelReplaceRequest")

    def _execution_report(self, msg: FixMessage) -> None:
        what = "ExecutionReport"
        exec_type = msg.get(150)
        trans = msg.get(20)
        if trans == "1" or (trans in (None, "0") and exec_type == "H"):
            self._bust(msg)
        elif trans == "2" or (trans in (None, "0") and exec_type == "G"):
            self._correct(msg)
        elif trans == "3":
            self.counts["ignored_messages"] += 1  # a status report repeats what is known
        elif exec_type in TRADE_EXEC_TYPES or (exec_type is None and msg.get(39) in ("1", "2")):
            self._fill(msg)
        elif exec_type == "5":
            order = self._link(msg, f"{what} (Replaced)")
            if msg.get(38) is not None:
                qty = self._qty(msg, 38, what)
                if qty < order.filled:
                    raise FixProblem(f"{tag_name(38)} {qty} is below the {order.filled} shares already filled")
                order.qty = qty
            self.counts["replaces"] += 1
        elif exec_type == "0" and (msg.get(11) or "") not in self.orders and (msg.get(41) or "") not in self.orders:
            self._new_order(msg, what=f"{what} (New)")  # a drop copy without the NewOrderSingle
        else:
            self.counts["ignored_messages"] += 1

    def _fill(self, msg: FixMessage) -> None:
        what = "ExecutionReport (trade)"
        order = self._order_of(msg)
        exec_id = msg.get(17)
        if exec_id is not None and exec_id in self.seen_exec_ids:
            if self._possdup(msg):
                self.counts["duplicates_ignored"] += 1
                return
            raise FixProblem(f"{tag_name(17)} {exec_id!r} was already reported")
        qty = self._qty(msg, 32, what)
        price = self._price(msg, 31, what)
        self._check_instrument(msg, order)
        ts = self._time(msg, what)
        if ts < order.arrival_ts_ns:
            raise FixProblem(f"the fill's time is before its order's arrival (line {order.line})")
        if order.filled + qty > order.qty:
            raise FixProblem(f"{tag_name(32)} {qty} takes order {order.clordid!r} to {order.filled + qty} shares, "
                             f"more than its {order.qty}")
        fill = _Fill(order=order, exec_id=exec_id, line=msg.line, venue=self._venue(msg), exec_ts_ns=ts, qty=qty,
                     price=price, fee_usd=self._fee(msg, qty), liquidity=LIQUIDITY.get(msg.get(851) or ""))
        order.filled += qty
        if exec_id is not None:
            self.seen_exec_ids.add(exec_id)
        self.fills[exec_id if exec_id is not None else f"line {msg.line}"] = fill
        self.counts["fills"] += 1

    def _check_instrument(self, msg: FixMessage, order: _Order) -> None:
        if msg.get(55) is not None and self._symbol(msg, "") != order.symbol:
            raise FixProblem(f"{tag_name(55)} {msg.get(55)!r} differs from its order's {order.symbol!r} "
                             f"(line {order.line})")
        if msg.get(54) is not None and SIDES.get(msg.get(54) or "") != order.side:
            raise FixProblem(f"{tag_name(54)} {msg.get(54)!r} differs from its order's side {order.side} "
                             f"(line {order.line})")

    def _referenced(self, msg: FixMessage, what: str) -> tuple[str, _Fill]:
        ref = msg.need(19, what)
        fill = self.fills.get(ref)
        if fill is None:
            raise FixProblem(f"{tag_name(19)} {ref!r} is not a live fill of this log")
        return ref, fill

    def _bust(self, msg: FixMessage) -> None:
        what = "ExecutionReport (trade cancel)"
        if self._repeat(msg):
            return
        ref, fill = self._referenced(msg, what)
        fill.order.filled -= fill.qty
        del self.fills[ref]
        self.counts["busts"] += 1

    def _correct(self, msg: FixMessage) -> None:
        what = "ExecutionReport (trade correct)"
        if self._repeat(msg):
            return
        ref, fill = self._referenced(msg, what)
        qty = self._qty(msg, 32, what)
        price = self._price(msg, 31, what)
        order = fill.order
        if order.filled - fill.qty + qty > order.qty:
            raise FixProblem(f"{tag_name(32)} {qty} takes order {order.clordid!r} to "
                             f"{order.filled - fill.qty + qty} shares, more than its {order.qty}")
        if msg.get(60) is not None or msg.get(52) is not None:
            self._time(msg, what)  # checked for the trading day; the fill keeps its execution time
        venue = self._venue(msg) if msg.get(30) is not None else fill.venue
        fee = self._fee(msg, qty) if msg.get(12) is not None else fill.fee_usd
        exec_id = msg.get(17)
        order.filled += qty - fill.qty
        del self.fills[ref]
        new = _Fill(order=order, exec_id=exec_id or ref, line=msg.line, venue=venue, exec_ts_ns=fill.exec_ts_ns,
                    qty=qty, price=price, fee_usd=fee, liquidity=fill.liquidity)
        self.fills[exec_id or ref] = new
        if exec_id is not None:
            self.seen_exec_ids.add(exec_id)
        self.counts["corrections"] += 1

    def _repeat(self, msg: FixMessage) -> bool:
        exec_id = msg.get(17)
        if exec_id is not None and exec_id in self.seen_exec_ids:
            if self._possdup(msg):
                self.counts["duplicates_ignored"] += 1
                return True
            raise FixProblem(f"{tag_name(17)} {exec_id!r} was already reported")
        if exec_id is not None:
            self.seen_exec_ids.add(exec_id)
        return False


def read_fix_log(path: Path | str, *, lenient: bool = False) -> FixLog:
    """Parents and fills of a FIX log (see the module docstring); ``UserError`` ``file:line: problem`` on a bad line.

    With ``lenient`` a bad line is skipped (its message is not used) and listed in ``skipped``; the reading goes on.
    """
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise UserError(f"{label}: no such file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{label}: cannot read ({exc.strerror or exc})") from None
    reader = _Reader(label)
    skipped: list[str] = []
    for lineno, raw in enumerate(data.split(b"\n"), start=1):
        try:
            msg = parse_message(raw, line=lineno)
            if msg is not None:
                reader.read(msg)
        except FixProblem as exc:
            if not lenient:
                raise UserError(f"{label}:{lineno}: {exc}") from None
            skipped.append(f"{label}:{lineno}: {exc}")
    if not reader.parents:
        raise UserError(f"{label}: no orders found (no NewOrderSingle 35=D, nor ExecutionReport 150=0 New)")
    return _result(path, reader, skipped)


def _result(path: Path, reader: _Reader, skipped: list[str]) -> FixLog:
    parents = reader.parents
    roots = [o.clordid for o in parents]
    # The user's own order numbers when every ClOrdID is one (so tables join back to their systems), else 1, 2, ...
    if all(c.isdigit() and not c.startswith("0") and int(c) < 2**63 for c in roots):
        ids = {o.parent_id: int(o.clordid) for o in parents}
    else:
        ids = {o.parent_id: o.parent_id for o in parents}
    parent_frame = pd.DataFrame({
        "parent_id": pd.Series([ids[o.parent_id] for o in parents], dtype=np.int64),
        "client_order_id": pd.Series([o.clordid for o in parents], dtype=object),
        "symbol": [o.symbol for o in parents],
        "side": [o.side for o in parents],
        "order_type": [o.order_type for o in parents],
        "tif": [o.tif for o in parents],
        "qty": pd.Series([o.qty for o in parents], dtype=np.int64),
        "limit_price": pd.Series([np.nan if o.limit_price is None else o.limit_price for o in parents],
                                 dtype=np.float64),
        "arrival_ts_ns": pd.Series([o.arrival_ts_ns for o in parents], dtype=np.int64),
    })
    fills = sorted(reader.fills.values(), key=lambda f: (f.exec_ts_ns, f.line))
    fill_frame = pd.DataFrame({
        "parent_id": pd.Series([ids[f.order.parent_id] for f in fills], dtype=np.int64),
        "venue": pd.Series([f.venue for f in fills], dtype=object),
        "exec_ts_ns": pd.Series([f.exec_ts_ns for f in fills], dtype=np.int64),
        "qty": pd.Series([f.qty for f in fills], dtype=np.int64),
        "price": pd.Series([f.price for f in fills], dtype=np.float64),
        "fee_usd": pd.Series([np.nan if f.fee_usd is None else f.fee_usd for f in fills], dtype=np.float64),
        "liquidity": pd.Series([f.liquidity for f in fills], dtype=object),
    })
    orders = [{"parent_id": ids[o.parent_id], "clordid": o.clordid, "replaced_by": reader.chains[o.parent_id][1:],
               "line": o.line} for o in parents]
    notes = []
    if reader.counts["unknown_venue"]:
        notes.append(f"{reader.counts['unknown_venue']} fill(s) without LastMkt (30): venue {UNKNOWN_VENUE!r}")
    if skipped:
        shown = "; ".join(skipped[:MAX_NOTED]) + (f"; ... ({len(skipped) - MAX_NOTED} more)"
                                                  if len(skipped) > MAX_NOTED else "")
        notes.append(f"--lenient: {len(skipped)} bad line(s) skipped: {shown}")
    return FixLog(path=path, date=reader.date, parents=parent_frame, fills=fill_frame, orders=orders,
                  counts={**reader.counts, "skipped_lines": len(skipped)}, skipped=skipped, notes=notes)
