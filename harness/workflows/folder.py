"""The run folder's files: the Parquet tables, router extras, failures, market statistics and summary.

Tables are Parquet with integer times and USD float prices (:data:`PARQUET_OPTIONS`); rows are in a fixed order
(seed, router, then time). Everything is written into the hidden temporary folder of :func:`partial_folder`, which
the run renames into place once it is complete (:func:`harness.workflows.run.run_scenario`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from adapters.contract import ParentOrder
from harness.errors import UserError
from harness.scenario.clock import session_timestamps
from harness.scenario.schema import Scenario
from harness.sim.engine import RunResult
from venues.types import FEE_SCALE, PRICE_SCALE

PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "use_dictionary": True, "write_statistics": True}


_PARTIAL_NAME = re.compile(r"^\.(?P<name>.+)\.partial-(?P<pid>\d+)$")


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` exists on this machine (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def stale_partial_folders(parent: Path) -> list[str]:
    """Hidden ``.NAME.partial-PID`` folders in ``parent`` whose process is gone: runs killed while writing.

    They are reported, not deleted: on a folder shared between machines the PID may belong to another host, and a
    half-written folder is the only trace of what a killed run did. Sorted by name.
    """
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return []
    out = []
    for p in entries:
        m = _PARTIAL_NAME.match(p.name)
        if m and p.is_dir() and int(m.group("pid")) != os.getpid() and not _alive(int(m.group("pid"))):
            out.append(p.name)
    return out


def partial_folder(out_dir: Path) -> Path:
    """Create (afresh) the hidden temporary folder beside ``out_dir`` that the run is written into."""
    tmp = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
    except OSError as err:
        raise UserError(f"{out_dir}: cannot write the run folder: {err.strerror or err}") from None
    return tmp


def write_run_tables(
    folder: Path, scenario: Scenario, *, results: list[RunResult], flows: dict[int, list[ParentOrder]]
) -> Any:
    """Write the simulation tables, extras, failures, ``market_stats.csv`` and ``summary.csv``; return the summary."""
    from harness.analytics.summary import summarize

    ok = [r for r in results if r.status == "ok" or r.partial]  # a partial run's tables are kept (manifest says so)
    date = scenario.session.date
    ids = client_ids(flows)
    parents_tbl = parents_table(flows)
    _write(folder / "parent_orders.parquet", with_order_columns(parents_tbl, ids, date, "arrival_ts_ns"))
    child_tbl = child_orders_table(ok)
    _write(folder / "child_orders.parquet", with_order_columns(child_tbl, ids, date, "sent_ts_ns"))
    fills_tbl = fills_table(ok)
    _write(folder / "fills.parquet", with_order_columns(fills_tbl, ids, date, "exec_ts_ns"))
    nbbo_tbl = nbbo_table(ok)
    _write(folder / "nbbo.parquet", nbbo_tbl)
    trades_tbl = trades_table(ok)
    _write(folder / "trades.parquet", trades_tbl)
    quotes_tbl = quotes_table(ok)
    _write(folder / "quotes.parquet", quotes_tbl)
    activity_tbl = activity_table(ok)
    _write(folder / "activity.parquet", activity_tbl)
    _write(folder / "fast_trader_fills.parquet", fast_trader_fills_table(ok))

    _write_extras(folder, ok)
    _write_failures(folder, results)
    _write_market_stats(folder, scenario, quotes=quotes_tbl, nbbo=nbbo_tbl, trades=trades_tbl, activity=activity_tbl,
                        results=ok, child_orders=child_tbl)

    summary = summarize(parents_tbl.to_pandas(), fills_tbl.to_pandas(), nbbo_tbl.to_pandas(), results)
    summary.to_csv(folder / "summary.csv", index=False, float_format="%.6g", lineterminator="\n")
    return summary


def write_common_market(folder: Path, results: list[RunResult]) -> None:
    """``common/nbbo.parquet``: the NBBO of every seed's common market (no router flow), as ``nbbo.parquet``.

    ``results`` are the common market's simulations (one per seed, router ``"(no router)"``); a seed whose
    simulation failed has no rows (the manifest's ``common_market`` entry records it, and the analytics fall back to
    the routers' own markets for that seed).
    """
    from harness.workflows.common import COMMON_NBBO_FILE

    dest = folder / COMMON_NBBO_FILE
    dest.parent.mkdir(parents=True, exist_ok=True)
    _write(dest, nbbo_table([r for r in results if r.status == "ok"]))


def client_ids(flows: dict[int, list[ParentOrder]]) -> dict[tuple[int, int], str]:
    """(seed, parent_id) -> the order's id as the firm gave it (a generated order's: its ``parent_id`` as text)."""
    return {(seed, p.parent_id): p.client_order_id if p.client_order_id is not None else str(p.parent_id)
            for seed, flow in flows.items() for p in flow}


def with_order_columns(table: pa.Table, ids: dict[tuple[int, int], str], date: str, ts_column: str) -> pa.Table:
    """``table`` with ``client_order_id`` after ``parent_id`` and the New York time of ``ts_column`` after it.

    ``arrival_ts_ns`` gets ``arrival_ts`` beside it (``timestamp[ns, tz=America/New_York]`` on the session ``date``),
    ``exec_ts_ns`` ``exec_ts``, ``sent_ts_ns`` ``sent_ts`` (docs/data-formats.md, *Timestamps and order ids*).
    """
    seeds = table.column("seed").to_pylist()
    pids = table.column("parent_id").to_pylist()
    given = pa.array([ids.get((s, p), str(p)) for s, p in zip(seeds, pids, strict=True)], pa.string())
    table = table.add_column(table.column_names.index("parent_id") + 1, "client_order_id", given)
    at = table.column_names.index(ts_column) + 1
    return table.add_column(at, ts_column.removesuffix("_ns"),
                            session_timestamps(table.column(ts_column).to_pylist(), date))


def parents_table(flows: dict[int, list[ParentOrder]]) -> pa.Table:
    """The parent orders of every seed (``parent_orders.parquet``)."""
    parents_cols: dict[str, list[Any]] = {k: [] for k in (
        "seed", "parent_id", "symbol", "side", "order_type", "qty", "limit_price", "arrival_ts_ns")}
    for seed, flow in flows.items():
        for p in flow:
            parents_cols["seed"].append(seed)
            parents_cols["parent_id"].append(p.parent_id)
            parents_cols["symbol"].append(p.symbol)
            parents_cols["side"].append(p.side.name.lower())
            parents_cols["order_type"].append(p.order_type.value)
            parents_cols["qty"].append(p.qty)
            parents_cols["limit_price"].append(p.limit_price)
            parents_cols["arrival_ts_ns"].append(p.arrival_ts_ns)
    return pa.table({
        "seed": pa.array(parents_cols["seed"], pa.int64()),
        "parent_id": pa.array(parents_cols["parent_id"], pa.int64()),
        "symbol": pa.array(parents_cols["symbol"], pa.string()),
        "side": pa.array(parents_cols["side"], pa.string()),
        "order_type": pa.array(parents_cols["order_type"], pa.string()),
        "qty": pa.array(parents_cols["qty"], pa.int64()),
        "limit_price": _price_usd(parents_cols["limit_price"]),
        "arrival_ts_ns": pa.array(parents_cols["arrival_ts_ns"], pa.int64()),
    })


def child_orders_table(results: list[RunResult]) -> pa.Table:
    """The child orders of the runs, concatenated (``child_orders.parquet``)."""
    ch = _concat(results, "child_orders")
    return pa.table({
        "router": pa.array(ch.get("router", []), pa.string()),
        "seed": pa.array(ch.get("seed", []), pa.int64()),
        "child_id": pa.array(ch.get("child_id", []), pa.int64()),
        "parent_id": pa.array(ch.get("parent_id", []), pa.int64()),
        "venue": pa.array(ch.get("venue", []), pa.string()),
        "symbol": pa.array(ch.get("symbol", []), pa.string()),
        "side": pa.array(ch.get("side", []), pa.string()),
        "order_type": pa.array(ch.get("order_type", []), pa.string()),
        "tif": pa.array(ch.get("tif", []), pa.string()),
        "post_only": pa.array(ch.get("post_only", []), pa.bool_()),
        "iso": pa.array(ch.get("iso", []), pa.bool_()),
        "midpoint_peg": pa.array(ch.get("midpoint_peg", []), pa.bool_()),
        "display_qty": pa.array(ch.get("display_qty", []), pa.int64()),
        "min_qty": pa.array(ch.get("min_qty", []), pa.int64()),
        "qty": pa.array(ch.get("qty", []), pa.int64()),
        "limit_price": _price_usd(ch.get("limit_price", [])),
        "sent_ts_ns": pa.array(ch.get("sent_ts_ns", []), pa.int64()),
        "venue_ts_ns": pa.array(ch.get("venue_ts_ns", []), pa.int64()),
        "filled_qty": pa.array(ch.get("filled_qty", []), pa.int64()),
        "cancelled_qty": pa.array(ch.get("cancelled_qty", []), pa.int64()),
        "status": pa.array(ch.get("status", []), pa.string()),
        "reject_reason": pa.array(ch.get("reject_reason", []), pa.string()),
    })


def fills_table(results: list[RunResult]) -> pa.Table:
    """The fills of the runs, fees in USD (``fills.parquet``)."""
    f = _concat(results, "fills")
    return pa.table({
        "router": pa.array(f.get("router", []), pa.string()),
        "seed": pa.array(f.get("seed", []), pa.int64()),
        "parent_id": pa.array(f.get("parent_id", []), pa.int64()),
        "child_id": pa.array(f.get("child_id", []), pa.int64()),
        "venue": pa.array(f.get("venue", []), pa.string()),
        "symbol": pa.array(f.get("symbol", []), pa.string()),
        "side": pa.array(f.get("side", []), pa.string()),
        "exec_ts_ns": pa.array(f.get("exec_ts_ns", []), pa.int64()),
        "qty": pa.array(f.get("qty", []), pa.int64()),
        "price": _price_usd(f.get("price", [])),
        "liquidity": pa.array(f.get("liquidity", []), pa.string()),
        "fee_usd": pa.array([m / FEE_SCALE for m in f.get("fee_micros", [])], pa.float64()),
        "rebate_usd": pa.array([m / FEE_SCALE for m in f.get("rebate_micros", [])], pa.float64()),
        "pfof_usd": pa.array([m / FEE_SCALE for m in f.get("pfof_micros", [])], pa.float64()),
    })


def nbbo_table(results: list[RunResult]) -> pa.Table:
    """The NBBO of every run (``nbbo.parquet``)."""
    nb = _concat(results, "nbbo")
    return pa.table({
        "router": pa.array(nb.get("router", []), pa.string()),
        "seed": pa.array(nb.get("seed", []), pa.int64()),
        "symbol": pa.array(nb.get("symbol", []), pa.string()),
        "ts_ns": pa.array(nb.get("ts_ns", []), pa.int64()),
        "bid": _price_usd(nb.get("bid", [])),
        "bid_size": pa.array(nb.get("bid_size", []), pa.int64()),
        "ask": _price_usd(nb.get("ask", [])),
        "ask_size": pa.array(nb.get("ask_size", []), pa.int64()),
    })


def trades_table(results: list[RunResult]) -> pa.Table:
    """Every venue's trades in the runs (``trades.parquet``)."""
    tr = _concat(results, "trades")
    return pa.table({
        "router": pa.array(tr.get("router", []), pa.string()),
        "seed": pa.array(tr.get("seed", []), pa.int64()),
        "symbol": pa.array(tr.get("symbol", []), pa.string()),
        "venue": pa.array(tr.get("venue", []), pa.string()),
        "ts_ns": pa.array(tr.get("ts_ns", []), pa.int64()),
        "price": _price_usd(tr.get("price", [])),
        "qty": pa.array(tr.get("qty", []), pa.int64()),
        "aggressor": pa.array(tr.get("aggressor", []), pa.string()),
        "router_involved": pa.array(tr.get("router_involved", []), pa.bool_()),
        "aggressor_order_id": pa.array(tr.get("aggressor_order_id", []), pa.int64()),
        "iso": pa.array(tr.get("iso", []), pa.bool_()),
        "nbbo_row": pa.array(tr.get("nbbo_row", []), pa.int64()),
    })


def quotes_table(results: list[RunResult]) -> pa.Table:
    """Every venue's quote history in the runs (``quotes.parquet``)."""
    qt = _concat(results, "quotes")
    return pa.table({
        "router": pa.array(qt.get("router", []), pa.string()),
        "seed": pa.array(qt.get("seed", []), pa.int64()),
        "venue": pa.array(qt.get("venue", []), pa.string()),
        "symbol": pa.array(qt.get("symbol", []), pa.string()),
        "ts_ns": pa.array(qt.get("ts_ns", []), pa.int64()),
        "bid": _price_usd(qt.get("bid", [])),
        "bid_size": pa.array(qt.get("bid_size", []), pa.int64()),
        "ask": _price_usd(qt.get("ask", [])),
        "ask_size": pa.array(qt.get("ask_size", []), pa.int64()),
    })


def activity_table(results: list[RunResult]) -> pa.Table:
    """Message counts per venue and symbol in the runs (``activity.parquet``)."""
    ac = _concat(results, "activity")
    return pa.table({
        "router": pa.array(ac.get("router", []), pa.string()),
        "seed": pa.array(ac.get("seed", []), pa.int64()),
        "venue": pa.array(ac.get("venue", []), pa.string()),
        "symbol": pa.array(ac.get("symbol", []), pa.string()),
        **{k: pa.array(ac.get(k, []), pa.int64()) for k in (
            "messages", "new_orders", "cancels", "replaces", "passive_orders", "passive_orders_filled")},
    })


def fast_trader_fills_table(results: list[RunResult]) -> pa.Table:
    """The fast traders' fills in the runs (``fast_trader_fills.parquet``)."""
    ft = _concat(results, "fast_trader_fills")
    return pa.table({
        "router": pa.array(ft.get("router", []), pa.string()),
        "seed": pa.array(ft.get("seed", []), pa.int64()),
        "ts_ns": pa.array(ft.get("ts_ns", []), pa.int64()),
        "venue": pa.array(ft.get("venue", []), pa.string()),
        "symbol": pa.array(ft.get("symbol", []), pa.string()),
        "side": pa.array(ft.get("side", []), pa.string()),
        "qty": pa.array(ft.get("qty", []), pa.int64()),
        "price": _price_usd(ft.get("price", [])),
    })


def _write_failures(folder: Path, results: list[RunResult]) -> None:
    """``failures/<router>-seed<seed>.txt`` for every run that did not finish: its error and traceback."""
    failed = [r for r in results if r.status != "ok"]
    if failed:
        fdir = folder / "failures"
        fdir.mkdir()
        for r in failed:
            safe = re.sub(r"[^A-Za-z0-9_.\-]", "_", r.router).lstrip(".") or "_"  # never a path out of the folder
            (fdir / f"{safe}-seed{r.seed}.txt").write_text(f"{r.error}\n\n{r.traceback}", encoding="utf-8")


def _write_market_stats(
    folder: Path, scenario: Scenario, *, quotes: pa.Table, nbbo: pa.Table, trades: pa.Table, activity: pa.Table,
    results: list[RunResult], child_orders: pa.Table,
) -> None:
    """``market_stats.csv``: the market statistics of every run, symbol and venue."""
    import pandas as pd

    from harness.analytics.compliance import compliance_by_run
    from harness.analytics.cross_venue import cross_venue_by_run
    from harness.analytics.market_stats import ALL_VENUES, market_stats_by_run, nbbo_as_quotes
    from harness.scenario.latency import sip_extra_lag_ns

    nbbo_df, trades_df = nbbo.to_pandas(), trades.to_pandas()
    ticks = {s.name: s.tick / PRICE_SCALE for s in scenario.symbols}
    window = (scenario.session.start_ns, scenario.session.end_ns)
    market = market_stats_by_run(
        quotes=pd.concat([quotes.to_pandas(), nbbo_as_quotes(nbbo_df)], ignore_index=True),
        trades=trades_df, activity=activity.to_pandas(), ticks=ticks, window=window,
    )
    lag = sip_extra_lag_ns(scenario.latency, [v.name for v in scenario.venues if v.is_protected])
    checks = compliance_by_run(trades=trades_df, nbbo=nbbo_df, ticks=ticks, window=window, sip_lag_ns=lag,
                               child_orders=child_orders.select(["router", "seed", "symbol", "sent_ts_ns"]).to_pandas())
    market = market.merge(checks, on=["router", "seed", "symbol", "venue"], how="left", sort=False)
    moves = cross_venue_by_run(trades=trades_df, nbbo=nbbo_df, window=window)
    market = market.merge(moves, on=["router", "seed", "symbol", "venue"], how="left", sort=False)
    reads = pd.DataFrame(
        [(r.router, r.seed, sym, ALL_VENUES, n, stale) for r in results for sym, (n, stale) in r.sip_reads.items()],
        columns=["router", "seed", "symbol", "venue", "sip_reads", "sip_stale_reads"],
    )
    market = market.merge(reads, on=["router", "seed", "symbol", "venue"], how="left", sort=False)
    market["sip_stale_decision_share"] = market["sip_stale_reads"] / market["sip_reads"]
    market = market.drop(columns=["sip_stale_reads"])
    market.to_csv(folder / "market_stats.csv", index=False, float_format="%.6g", lineterminator="\n")


def _price_usd(values: list[int | None]) -> pa.Array:
    return pa.array([None if v is None else v / PRICE_SCALE for v in values], type=pa.float64())


def _write(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path, **PARQUET_OPTIONS)


def _concat(results: list[RunResult], attr: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for res in results:
        for k, v in getattr(res, attr).items():
            out.setdefault(k, []).extend(v)
    return out


def _write_extras(folder: Path, results: list[RunResult]) -> None:
    """Router-specific tables (concatenated over runs, with router and seed columns) and files (one folder per run)."""
    tables: dict[str, dict[str, list[Any]]] = {}
    for res in results:
        for rel, cols in res.extra_tables.items():
            n = len(next(iter(cols.values()), []))
            out = tables.setdefault(rel, {"router": [], "seed": []})
            out["router"] += [res.router] * n
            out["seed"] += [res.seed] * n
            for k, v in cols.items():
                out.setdefault(k, []).extend(v)
        for rel, data in res.extra_files.items():
            p = Path(rel)
            dest = folder / p.parent / f"{res.router}-seed{res.seed}" / p.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
    for rel, cols in tables.items():
        dest = folder / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        _write(dest, pa.table(cols))


def write_incentive(folder: Path, *, twins: list[dict[str, Any]], shares: dict[str, list[Any]]) -> None:
    """``incentive/venue_shares.parquet`` and ``incentive/twins.json``: the incentive test's counts and its twins."""
    (folder / "incentive").mkdir()
    _write(folder / "incentive" / "venue_shares.parquet", pa.table({
        "router": pa.array(shares["router"], pa.string()), "channel": pa.array(shares["channel"], pa.string()),
        "twin": pa.array(shares["twin"], pa.int64()), "rotation": pa.array(shares["rotation"], pa.int64()),
        "seed": pa.array(shares["seed"], pa.int64()), "venue": pa.array(shares["venue"], pa.string()),
        "routed_shares": pa.array(shares["routed_shares"], pa.int64()),
        "payment_usd": pa.array(shares["payment_usd"], pa.float64()),
    }))
    (folder / "incentive" / "twins.json").write_text(json.dumps(twins, indent=2) + "\n", encoding="utf-8")
