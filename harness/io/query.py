"""``sorbench query``: SQL over every run folder under a results directory (DuckDB on the Parquet files).

Each table a run writes is a view over all runs, with a ``run`` column (the run folder's name) first:
``parent_orders``, ``child_orders``, ``fills``, ``nbbo``, ``trades``, ``quotes``, ``activity``,
``fast_trader_fills``, ``tca_orders`` (``tca/orders.parquet``), ``venue_shares``
(``incentive/venue_shares.parquet``) and ``common_nbbo`` (``common/nbbo.parquet``, the market with no router flow);
CSV outputs are views too (``summary``, ``market_stats``, ``tca_summary``, ``tca_venues``, ``tca_paired``,
``tca_drift``); and ``runs`` has one row per run from its manifest (scenario, its sha256, seeds,
routers, start time, git commit). Views only exist for tables that some run has. Columns missing in older runs read
as NULL (``UNION ALL BY NAME``). Nothing is copied: DuckDB reads the files in place.

Example::

    sorbench query "SELECT run, router, sum(qty * price) AS notional FROM fills GROUP BY ALL ORDER BY run"
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from harness.errors import UserError

PARQUET_VIEWS = {
    "parent_orders": "parent_orders.parquet", "child_orders": "child_orders.parquet", "fills": "fills.parquet",
    "nbbo": "nbbo.parquet", "trades": "trades.parquet", "quotes": "quotes.parquet", "activity": "activity.parquet",
    "fast_trader_fills": "fast_trader_fills.parquet", "tca_orders": "tca/orders.parquet",
    "venue_shares": "incentive/venue_shares.parquet", "common_nbbo": "common/nbbo.parquet",
}
CSV_VIEWS = {
    "summary": "summary.csv", "market_stats": "market_stats.csv", "tca_summary": "tca/summary.csv",
    "tca_venues": "tca/venues.csv", "tca_paired": "tca/paired.csv", "tca_drift": "tca/drift.csv",
}


def run_folders(results: Path) -> list[Path]:
    """Run folders (holding a manifest.json) at or directly under ``results``, sorted by name."""
    if not results.is_dir():
        raise UserError(f"{results}: no such results folder")
    if (results / "manifest.json").is_file():
        return [results]
    return sorted(p for p in results.iterdir() if p.is_dir() and (p / "manifest.json").is_file())


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def connect(results: Path) -> Any:
    """An in-memory DuckDB connection with a view per table over every run under ``results``."""
    import duckdb

    runs = run_folders(results)
    con = duckdb.connect()
    for views, reader in ((PARQUET_VIEWS, "read_parquet"), (CSV_VIEWS, "read_csv_auto")):
        for view, rel in views.items():
            parts = [
                f"SELECT {_quote(run.name)} AS run, * FROM {reader}({_quote(str(run / rel))})"
                for run in runs if (run / rel).is_file()
            ]
            if parts:
                con.execute(f"CREATE VIEW {view} AS " + " UNION ALL BY NAME ".join(parts))
    rows = []
    for run in runs:
        m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        rows.append((
            run.name, (m.get("scenario") or {}).get("name"), m.get("scenario_sha256"), json.dumps(m.get("seeds")),
            json.dumps([r.get("name") for r in m.get("routers", [])]), m.get("started_utc"), m.get("git_commit"),
        ))
    con.execute("CREATE TABLE runs (run VARCHAR, scenario VARCHAR, scenario_sha256 VARCHAR, seeds VARCHAR, "
                "routers VARCHAR, started_utc VARCHAR, git_commit VARCHAR)")
    if rows:
        con.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    return con


def query(results: Path, sql: str) -> Any:
    """Run ``sql`` over the results folder; returns a pandas DataFrame (one-line UserError for bad SQL)."""
    import duckdb

    con = connect(results)
    try:
        return con.execute(sql).fetchdf()
    except duckdb.Error as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"query: {first}") from None
    finally:
        con.close()
