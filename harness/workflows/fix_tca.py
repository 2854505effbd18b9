"""The FIX-log TCA: a FIX log's execution-quality tables (``sorbench tca --fix-log``), and runs written as FIX logs.

:func:`analyze_fix_log` reads a log with :func:`harness.io.fixlog.read_fix_log` (the mapping of tags to orders and
fills is documented there and in docs/workflows.md, *FIX log import*), lines its clock up with the quotes' and writes
the TCA tables as for a run folder. :func:`render_fix_log` and :func:`render_run_fix_log` go the other way, writing
parents and fills as a FIX log, to check that a log gives the same TCA as the run it came from.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from harness.analytics.inputs import Source, TcaInputs, read_table, vendor_inputs
from harness.analytics.orders import arrival_table
from harness.analytics.report import INTERVALS, TCA_DIR, TcaTables, compute_tca, write_tca
from harness.analytics.review_policy import ReviewPolicy, load_policy
from harness.io.fix_message import NS_PER_DAY, format_timestamp
from harness.io.fixlog import COMM_ABSOLUTE, FixLog, read_fix_log


@dataclass(frozen=True)
class FixTca:
    """The TCA tables of a FIX log, the log as read, and notes for the user."""

    tables: TcaTables
    log: FixLog
    notes: list[str]


def _policy_of(policy: ReviewPolicy | Path | str | None) -> ReviewPolicy:
    return policy if isinstance(policy, ReviewPolicy) else load_policy(policy)


def analyze_fix_log(log: Path | str, quotes: Path | str | None = None, out: Path | str | None = None, *,
                    policy: ReviewPolicy | Path | str | None = None, lenient: bool = False) -> FixTca:
    """Write the TCA tables of a FIX log (``out`` defaults to ``tca/`` beside the log), as ``sorbench tca`` does.

    The orders are router "vendor", seed 0. Without ``quotes`` every NBBO-dependent figure (PI, spreads, E/Q,
    markouts, shortfall) is NaN and the notes say so. Raises ``UserError`` (one line) before anything is written.
    """
    log = Path(log)
    target = Path(out) if out is not None else log.parent / TCA_DIR
    pol = _policy_of(policy)
    parsed = read_fix_log(log, lenient=lenient)
    if quotes is not None:
        quotes_raw, qs = read_table(Path(quotes))
    else:
        quotes_raw, qs = None, Source("(no quotes)")
    inputs = vendor_inputs(parsed.parents, parsed.fills, quotes_raw,
                           sources=(Source(f"{log} (orders)"), Source(f"{log} (fills)"), qs))
    notes = list(parsed.notes)
    clock = "ns since midnight UTC of the log's trading day"
    if len(inputs.nbbo) and int(inputs.nbbo["ts_ns"].min()) >= NS_PER_DAY and parsed.date is not None:
        shift = (parsed.date - dt.date(1970, 1, 1)).days * NS_PER_DAY
        inputs = _shifted(inputs, shift)
        clock = "ns since the epoch (the quotes file's clock)"
        notes.append("the quotes' timestamps are ns since the epoch: the log's times were moved to the epoch")
    if quotes is None:
        notes.append("no quotes given: the NBBO-dependent figures (price improvement, effective and realized "
                     "spreads, E/Q, markouts, shortfall) are empty")
    else:
        arrivals = arrival_table(inputs.parents, inputs.nbbo)
        missing = int(arrivals["arrival_mid"].isna().sum())
        if missing:
            notes.append(f"{missing} of {len(arrivals)} order(s) have no two-sided NBBO at arrival in the quotes "
                         f"(same symbols? same clock: {clock}?)")
    day = "1970-01-01" if clock.startswith("ns since the epoch") else parsed.date.isoformat() if parsed.date else None
    tables = compute_tca(replace(inputs, date=day, clock_zone="UTC"), policy=pol)
    meta: dict[str, object] = {
        "sources": {"fix_log": str(log), "quotes": str(quotes) if quotes is not None else None},
        "intervals": INTERVALS,
        "rows": {"orders": len(inputs.parents), "fills": len(inputs.fills), "nbbo": len(inputs.nbbo)},
        "definitions": "docs/analytics.md; FIX mapping: docs/workflows.md, FIX log import",
        "review_policy": pol.model_dump(mode="json"),
        "fix_log": {"trading_day": parsed.date.isoformat() if parsed.date else None, "clock": clock,
                    "lenient": lenient, "counts": parsed.counts, "orders": parsed.orders, "notes": notes},
    }
    tables = replace(tables, out_dir=write_tca(tables, target, meta=meta))
    return FixTca(tables=tables, log=parsed, notes=notes)


def _shifted(inputs: TcaInputs, shift_ns: int) -> TcaInputs:
    parents = inputs.parents.assign(arrival_ts_ns=inputs.parents["arrival_ts_ns"] + shift_ns)
    fills = inputs.fills.assign(exec_ts_ns=inputs.fills["exec_ts_ns"] + shift_ns)
    return replace(inputs, parents=parents, fills=fills)


# ------------------------------------------------------------------------------------------------------ rendering
def _amount(x: object) -> float:
    return 0.0 if x is None or pd.isna(x) else float(x)  # type: ignore[arg-type]


def _num(x: float) -> str:
    return np.format_float_positional(float(x), trim="-")


def _frame(fields: list[tuple[int, str]], *, delimiter: str) -> str:
    """A message with BodyLength and CheckSum (computed over SOH) printed with ``delimiter``."""
    head, body_fields = fields[0], fields[1:]
    body = "".join(f"{t}={v}\x01" for t, v in body_fields)
    msg = f"{head[0]}={head[1]}\x01" + f"9={len(body.encode())}\x01" + body
    msg += f"10={sum(msg.encode()) % 256:03d}\x01"
    return msg.replace("\x01", delimiter) if delimiter != "\x01" else msg


def render_fix_log(parents: pd.DataFrame, fills: pd.DataFrame, *, date: dt.date | str,
                   begin_string: str = "FIX.4.4", delimiter: str = "\x01", sender: str = "SORBENCH",
                   target: str = "BROKER") -> str:
    """Parents and fills (run-folder or vendor columns, one router and seed) as a FIX log, one message a line.

    Each parent is a NewOrderSingle (ClOrdID = parent_id) at its arrival; each fill an ExecutionReport 150=F with
    LastQty, LastPx, LastMkt, TransactTime, Commission = fee - rebate (CommType 3) and LastLiquidityInd. Times are
    ns since midnight of ``date``. Used to check that a FIX log gives the same TCA as the run it came from.
    """
    day = dt.date.fromisoformat(date) if isinstance(date, str) else date
    events: list[tuple[int, int, int, list[tuple[int, str]]]] = []
    for i, p in enumerate(parents.itertuples(index=False)):
        f = [(11, str(p.parent_id)), (55, str(p.symbol)), (54, "1" if p.side == "buy" else "2"),
             (38, str(int(p.qty))), (40, "1" if p.order_type == "market" else "2")]
        if p.order_type == "limit":
            f.append((44, _num(p.limit_price)))
        f += [(59, "0"), (60, format_timestamp(day, p.arrival_ts_ns))]
        events.append((int(p.arrival_ts_ns), 0, i, f))
    cum: dict[int, int] = {}
    notional: dict[int, float] = {}
    qty_of = dict(zip(parents["parent_id"], parents["qty"], strict=True))
    side_of = dict(zip(parents["parent_id"], parents["side"], strict=True))
    sym_of = dict(zip(parents["parent_id"], parents["symbol"], strict=True))
    ordered = fills.sort_values(["exec_ts_ns"], kind="stable").reset_index(drop=True)
    for i, fl in enumerate(ordered.itertuples(index=False)):
        pid = int(fl.parent_id)
        cum[pid] = cum.get(pid, 0) + int(fl.qty)
        notional[pid] = notional.get(pid, 0.0) + int(fl.qty) * float(fl.price)
        fee = _amount(getattr(fl, "fee_usd", None)) - _amount(getattr(fl, "rebate_usd", None))
        f = [(37, f"O{pid}"), (11, str(pid)), (17, f"E{i + 1}"), (150, "F"),
             (39, "2" if cum[pid] >= qty_of[pid] else "1"), (55, str(sym_of[pid])),
             (54, "1" if side_of[pid] == "buy" else "2"), (32, str(int(fl.qty))), (31, _num(fl.price)),
             (30, str(fl.venue)), (60, format_timestamp(day, fl.exec_ts_ns)), (12, _num(round(fee, 9))),
             (13, COMM_ABSOLUTE), (151, str(int(qty_of[pid]) - cum[pid])), (14, str(cum[pid])),
             (6, _num(round(notional[pid] / cum[pid], 6)))]
        liq = getattr(fl, "liquidity", None)
        if liq in ("added", "removed"):
            f.append((851, "1" if liq == "added" else "2"))
        events.append((int(fl.exec_ts_ns), 1, i, f))
    events.sort(key=lambda e: e[:3])
    lines = []
    for seq, (ts, kind, _, f) in enumerate(events, start=1):
        header = [(8, begin_string), (35, "D" if kind == 0 else "8"), (49, sender if kind == 0 else target),
                  (56, target if kind == 0 else sender), (34, str(seq)), (52, format_timestamp(day, ts))]
        lines.append(_frame(header + f, delimiter=delimiter))
    return "\n".join(lines) + "\n"


def render_run_fix_log(run_folder: Path | str, *, router: str, seed: int, delimiter: str = "\x01") -> str:
    """One router's and seed's parents and fills of a run folder as a FIX log (see ``render_fix_log``)."""
    folder = Path(run_folder)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    parents = pd.read_parquet(folder / "parent_orders.parquet")
    fills = pd.read_parquet(folder / "fills.parquet")
    parents = parents[parents["seed"] == seed]
    fills = fills[(fills["router"] == router) & (fills["seed"] == seed)]
    return render_fix_log(parents, fills, date=manifest["scenario"]["session"]["date"], delimiter=delimiter)
