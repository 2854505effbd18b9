"""``sorbench query``: SQL over every run folder under a results directory (DuckDB on the Parquet files).

Each table a run writes is a view over all runs, with a ``run`` column (the run folder's name) first:
``parent_orders``, ``child_orders``, ``fills``, ``nbbo``, ``trades``, ``quotes``, ``activity``,
``fast_trader_fills``, ``tca_orders`` (``tca/orders.parquet``), ``venue_shares``
(``incentive/venue_shares.parquet``) and ``common_nbbo`` (``common/nbbo.parquet``, the market with no router flow);
CSV outputs are views too (``summary``, ``market_stats``, ``tca_summary``, ``tca_venues``, ``tca_paired``,
``tca_drift``); and ``runs`` has one row per run from its manifest (scenario, its sha256, seeds,
routers, start time, git commit). Views only exist for tables that some run has. Columns missing in older runs read
as NULL (``UNION ALL BY NAME``). Nothing is copied: DuckDB reads the files in place.

``sorbench query --format table|csv|json|parquet`` writes the result through :func:`query_table` and the
formatters below: floats with :data:`FLOAT_DIGITS` significant digits (``0.30000000000000004`` prints as ``0.3``),
NULL (and NaN) as an empty cell in CSV, ``null`` in JSON and ``NULL`` in a table; Parquet keeps the values as they are.

Example::

    sorbench query "SELECT run, router, sum(qty * price) AS notional FROM fills GROUP BY ALL ORDER BY run"
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
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


FLOAT_DIGITS = 12
"""Significant digits of a float in CSV, JSON and table output: drops binary noise (``0.1 + 0.2``) and keeps the
$0.0001 price unit of any amount below $100,000,000."""


def query_table(results: Path, sql: str) -> Any:
    """Run ``sql`` over the results folder; returns a pyarrow Table (types and NULLs as DuckDB gives them)."""
    import duckdb
    import pyarrow as pa

    con = connect(results)
    try:
        rel = con.sql(sql)
        if rel is None:  # a statement without a result (CREATE, SET)
            return pa.table({})
        fetch = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
        return fetch()
    except duckdb.Error as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"query: {first}") from None
    finally:
        con.close()


def plain_value(v: Any) -> Any:
    """A cell as a JSON value: floats to :data:`FLOAT_DIGITS` digits, NaN and NULL as None, times in ISO 8601."""
    if isinstance(v, float):
        return float(f"{v:.{FLOAT_DIGITS}g}") if math.isfinite(v) else (None if math.isnan(v) else str(v))
    if isinstance(v, decimal.Decimal):
        return plain_value(float(v)) if v != v.to_integral_value() else int(v)
    if isinstance(v, dt.datetime | dt.date | dt.time):
        return v.isoformat()
    if isinstance(v, dt.timedelta):
        return v.total_seconds()
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, list):
        return [plain_value(x) for x in v]
    if isinstance(v, dict):
        return {str(k): plain_value(x) for k, x in v.items()}
    return v


def cell_text(v: Any, *, null: str = "") -> str:
    """A cell as text (CSV, table): ``null`` for NULL and NaN, ``true``/``false``, nested values as JSON."""
    v = plain_value(v)
    if v is None:
        return null
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)  # the shortest text that reads back as the (rounded) float
    if isinstance(v, list | dict):
        return json.dumps(v)
    return str(v)


def to_csv(table: Any) -> str:
    """The result as CSV with a header (Unix line ends; NULL as an empty cell)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow([cell_text(v) for v in row.values()])
    return buf.getvalue()


def to_json(table: Any) -> str:
    """The result as one JSON array of row objects (NULL: null), one line."""
    rows = [{k: plain_value(v) for k, v in row.items()} for row in table.to_pylist()]
    return json.dumps(rows, allow_nan=False) + "\n"


def to_text(table: Any, *, limit: int | None = None) -> str:
    """The result as a plain text table: a header, columns padded with spaces, no box drawing (NULL: ``NULL``)."""
    names = list(table.column_names)
    rows = [[cell_text(v, null="NULL") for v in row.values()] for row in table.slice(0, limit).to_pylist()]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def to_parquet(table: Any) -> bytes:
    """The result as a Parquet file's bytes."""
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()
