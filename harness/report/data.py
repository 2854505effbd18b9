"""Read a run folder for its report: the manifest, the analytics' output tables and a few simulation tables.

The report reads nothing but the run folder. Analytics tables that are absent (a run whose analytics failed or were
skipped) are ``None`` and their sections say so; a table that is present but unreadable, or lacks a column the report
needs, is a one-line ``UserError`` naming the file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import UserError

REPORT_FILES = ("report.html", "report.pdf")
"""The report's own files: presentation, never listed among the data files it describes."""

CSV_TABLES: dict[str, tuple[str, ...]] = {
    "summary.csv": ("router", "status", "orders", "fill_rate", "pi_per_share", "eq_ratio"),
    "tca/summary.csv": ("router", "symbol", "order_class", "size_bucket", "orders", "fill_rate", "pi_per_share",
                        "eq_ratio", "markout_100ms", "markout_1s", "markout_5s", "markout_60s", "markout_300s",
                        "shortfall_per_share", "first_fill_ms_median"),
    "tca/venues.csv": ("router", "venue", "routed_shares", "executed_shares", "fill_rate", "frac_of_routed",
                       "frac_of_executed", "frac_far_side", "net_fee_cph", "pfof_cph"),
    "tca/paired.csv": ("figure", "router_a", "router_b", "higher_is_better", "n", "value_a", "value_b", "mean_diff",
                       "ci_low", "ci_high", "zero_excluded", "better"),
    "tca/ranking.csv": ("figure", "router", "rank", "value", "wins", "losses", "ties"),
    "tca/review.csv": ("router", "rule", "figure", "order_classes", "symbol", "benchmark", "value",
                       "benchmark_value", "diff", "ci_low", "ci_high", "review_threshold", "fail_threshold", "status",
                       "orders", "detail"),
    "tca/exceptions.csv": ("router", "seed", "parent_id", "symbol", "side", "order_class", "rule", "value",
                           "threshold", "venue", "detail"),
    "tca/drift.csv": ("router", "seed", "parents", "arrival_differs_share", "class_differs_share",
                      "size_bucket_differs_share", "mid_abs_diff_bps"),
    "conflict/summary.csv": ("router", "paying_venue_share", "payment_elasticity", "elasticity_ci_low",
                             "elasticity_ci_high", "broker_net_payment_cph", "customer_net_pi_cph",
                             "reference_router", "regret_cph", "regret_ci_low", "regret_ci_high", "flagged",
                             "reason"),
    "conflict/elasticity.csv": ("router", "payment_elasticity", "elasticity_ci_low", "elasticity_ci_high", "seeds",
                                "twins", "note"),
    "conflict/venue_choice.csv": ("router", "term", "coef", "se", "ci_low", "ci_high", "n", "note"),
    "conflict/leakage.csv": ("router", "targeted_shares", "quote_fade", "other_venue_move_100ms_cph",
                             "other_venue_move_1s_cph", "fast_trader_fills", "fast_trader_profit_cph", "note"),
    "regulatory/rule605_summary.csv": ("RprtEntityCd", "Sp500", "OrderSize", "OrderType", "AvgOrderQty",
                                       "AvgOrderSize", "PctExctdAtQuotOrBetter", "PctExctdPI", "WghtdAvgPctPI",
                                       "AvgEffctvSprdPct", "AvgEFQPct", "AvgRealSprdPct15sec",
                                       "AvgRealSprdPct1min", "WghtdAvgExctnTime"),
}
PARQUET_TABLES: dict[str, tuple[str, ...]] = {
    "tca/orders.parquet": ("router", "seed", "parent_id", "symbol", "side", "order_class", "qty", "filled_qty",
                           "pi_per_share", "time_to_first_fill_ms", "arrival_bid", "arrival_ask"),
    "child_orders.parquet": ("router", "seed", "venue", "qty", "sent_ts_ns"),
    "fills.parquet": ("router", "seed", "parent_id", "venue", "side", "qty", "price"),
}
FULL_TABLES = ("tca/orders.parquet",)
"""Read whole: the dashboard aggregates every figure of the orders with the analytics' own summary."""
STRING_COLUMNS = ("router", "router_a", "router_b", "better", "venue", "symbol", "reference_router", "benchmark",
                  "RprtEntityCd", "Sp500", "OrderType", "note", "detail", "reason", "finding")
"""Read as text whatever they hold, so a router called "NA" or "1" stays a name."""


@dataclass
class RunData:
    """Everything the report shows, as read from one run folder (``None``: the file is not there)."""

    folder: Path
    manifest: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Tables by their path in the folder (``"tca/review.csv"``); absent files are absent keys."""
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``tca``, ``conflict`` and ``regulatory`` ``meta.json`` contents (empty when missing)."""
    xml: dict[str, bytes] = field(default_factory=dict)
    """``regulatory/rule606*.xml`` files by name."""
    failures: dict[str, str] = field(default_factory=dict)
    """``failures/*.txt`` by name: the first line of each."""
    file_hashes: dict[str, str] = field(default_factory=dict)
    """Data files and their sha256: the manifest's ``files`` (report files left out), or hashed here when the
    manifest has none yet (the report is built before the run's manifest records its files)."""

    def table(self, name: str) -> pd.DataFrame | None:
        """The table at ``name`` (a path in the folder), or None when the run folder does not hold it."""
        return self.tables.get(name)

    @property
    def routers(self) -> list[str]:
        """The run's routers, in the manifest's order."""
        return [str(r.get("name")) for r in self.manifest.get("routers", []) if isinstance(r, dict)]

    @property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario recorded in the manifest (empty if absent)."""
        sc = self.manifest.get("scenario")
        return sc if isinstance(sc, dict) else {}


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def read_manifest(folder: Path) -> dict[str, Any]:
    """The run folder's ``manifest.json`` (one-line errors: not a folder, no manifest, not JSON, not a run's)."""
    if not folder.is_dir():
        raise UserError(f"{folder}: not a run folder (no such directory)")
    path = folder / "manifest.json"
    if not path.is_file():
        raise UserError(f"{path}: not found (is {folder} a sorbench run folder?)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: cannot read ({_one_line(exc)})") from None
    if not isinstance(manifest, dict):
        raise UserError(f"{path}: not a run manifest (expected a JSON object)")
    for key in ("scenario", "seeds", "routers"):
        if key not in manifest:
            raise UserError(f"{path}: {key}: required field is missing")
    if not isinstance(manifest["routers"], list) or not isinstance(manifest["scenario"], dict):
        raise UserError(f"{path}: routers/scenario: not a run manifest")
    return manifest


def _check_columns(frame: pd.DataFrame, path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise UserError(f"{path}: column {missing[0]!r} is missing")
    return frame


def read_csv_table(path: Path, required: tuple[str, ...] = ()) -> pd.DataFrame:
    """A CSV table of the run folder, text columns as text; one-line ``UserError`` if unreadable."""
    try:
        with open(path, encoding="utf-8") as fh:
            header = fh.readline().strip().split(",")
        dtypes = {c: "string" for c in header if c in STRING_COLUMNS}
        frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UserError(f"{path}: cannot read ({_one_line(exc)})") from None
    for col in dtypes:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return _check_columns(frame, path, required)


def read_parquet_table(path: Path, required: tuple[str, ...] = (), *, all_columns: bool = False) -> pd.DataFrame:
    """A Parquet table of the run folder (only the columns required unless ``all_columns``).

    One-line ``UserError`` if unreadable or a required column is missing.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
        missing = [c for c in required if c not in names]
        if missing:
            raise UserError(f"{path}: column {missing[0]!r} is missing")
        frame = pq.read_table(path, columns=None if all_columns else list(required)).to_pandas()
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise UserError(f"{path}: cannot read ({_one_line(exc)})") from None
    return frame


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path}: cannot read ({_one_line(exc)})") from None
    return data if isinstance(data, dict) else {}


def sha256_file(path: Path) -> str:
    """The sha256 of a file, hex."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def data_file_hashes(folder: Path, manifest: dict[str, Any]) -> dict[str, str]:
    """The run's data files and their sha256: the manifest's record, or the folder's files when it has none yet.

    The report's own files and hidden (temporary) files are left out: a report cannot list its own hash.
    """
    recorded = manifest.get("files")
    if isinstance(recorded, dict) and recorded:
        return {str(k): str(v) for k, v in sorted(recorded.items()) if k not in REPORT_FILES}
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if not p.is_file() or rel == "manifest.json" or rel in REPORT_FILES:
            continue
        if any(part.startswith(".") for part in p.relative_to(folder).parts):
            continue
        out[rel] = sha256_file(p)
    return out


def load_run_data(folder: Path | str) -> RunData:
    """Read what the report needs from a run folder (see the module docstring for what may be missing)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    data = RunData(folder=folder, manifest=manifest)
    for name, required in CSV_TABLES.items():
        path = folder / name
        if path.is_file():
            data.tables[name] = read_csv_table(path, required)
    for name, required in PARQUET_TABLES.items():
        path = folder / name
        if path.is_file():
            data.tables[name] = read_parquet_table(path, required, all_columns=name in FULL_TABLES)
    for sub in ("tca", "conflict", "regulatory"):
        path = folder / sub / "meta.json"
        data.meta[sub] = _read_json(path) if path.is_file() else {}
    reg = folder / "regulatory"
    if reg.is_dir():
        for p in sorted(reg.glob("rule606*.xml")):
            try:
                data.xml[p.name] = p.read_bytes()
            except OSError as exc:
                raise UserError(f"{p}: cannot read ({_one_line(exc)})") from None
    fail_dir = folder / "failures"
    if fail_dir.is_dir():
        for p in sorted(fail_dir.glob("*.txt")):
            try:
                lines = [ln for ln in p.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
            except OSError:
                lines = []
            # A traceback's last line says what went wrong; a router's failure file starts with its error.
            line = lines[-1] if lines and lines[0].startswith("Traceback") else (lines[0] if lines else "")
            data.failures[p.name] = line.strip()
    data.file_hashes = data_file_hashes(folder, manifest)
    return data
