"""Compute every analytics table from checked inputs and write the output folders, each all or nothing.

A run folder gets three folders: ``tca/`` (execution quality and the committee's review), ``regulatory/`` (Rule 605
and 606 files) and ``conflict/`` (conflict-of-interest evidence). Each is built in a temporary folder beside its
target and renamed into place; every target is checked before anything is written.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import pandas as pd

from harness.analytics.aggregate import summary_table, venue_table
from harness.analytics.common_market import add_common_columns, drift_table
from harness.analytics.conflict import ConflictTables, compute_conflict
from harness.analytics.context import RunContext, load_run_context
from harness.analytics.inference import MIN_SEEDS
from harness.analytics.inputs import TcaInputs, load_run_folder, load_vendor_files
from harness.analytics.nbbo import NbboIndex
from harness.analytics.orders import arrival_table, fill_table, order_table
from harness.analytics.paired import paired_table, ranking_table
from harness.analytics.regulatory import RegulatoryConfig, RegulatoryReports, compute_regulatory
from harness.analytics.review import ReviewTables, review_tables
from harness.analytics.review_policy import ReviewPolicy, load_policy
from harness.errors import UserError
from harness.scenario.clock import SESSION_TIMEZONE, session_timestamps

TCA_DIR = "tca"
REGULATORY_DIR = "regulatory"
CONFLICT_DIR = "conflict"
META_KIND = "sorbench-tca"
"""``meta.json``'s ``kind``: only a folder carrying it (or an empty one) is replaced by a new write."""
META_KINDS = {TCA_DIR: META_KIND, REGULATORY_DIR: "sorbench-regulatory", CONFLICT_DIR: "sorbench-conflict"}
CSV_FLOAT_FORMAT = "%.10g"


@dataclass(frozen=True)
class TcaTables:
    """The analytics' output tables and the folders they were written to.

    ``fills`` are the per-fill figures behind the orders; ``review`` the committee's review (written into
    ``tca/``); ``regulatory`` and ``conflict`` are filled in by ``analyze`` for a run folder; ``drift`` is how far
    each router's market drifted from the common market (``tca/drift.csv``), None without a common market.
    """

    orders: pd.DataFrame
    summary: pd.DataFrame
    venues: pd.DataFrame
    paired: pd.DataFrame
    ranking: pd.DataFrame
    out_dir: Path | None = None
    fills: pd.DataFrame | None = None
    review: ReviewTables | None = None
    regulatory: RegulatoryReports | None = None
    conflict: ConflictTables | None = None
    regulatory_dir: Path | None = None
    conflict_dir: Path | None = None
    drift: pd.DataFrame | None = None


PolicyArg = ReviewPolicy | Path | str | None


def _policy(policy: PolicyArg) -> ReviewPolicy:
    return policy if isinstance(policy, ReviewPolicy) else load_policy(policy)


def compute_tca(inputs: TcaInputs, *, policy: PolicyArg = None, context: RunContext | None = None) -> TcaTables:
    """All TCA tables and the review from checked inputs (no files written).

    ``policy`` is a ``ReviewPolicy``, a policy file, or None for the default policy; ``context`` the run's manifest
    and extra tables (venue terms, ticks, child-order details), empty for vendor data.
    """
    index = NbboIndex(inputs.nbbo)
    arrivals = arrival_table(inputs.parents, inputs.nbbo, index=index)
    fills = fill_table(arrivals, inputs.fills, inputs.nbbo, index=index)
    orders = add_common_columns(order_table(arrivals, fills, rebates=_policy(policy).broker.rebates),
                                inputs.common_nbbo)
    paired = paired_table(orders)
    context = context or RunContext()
    children = context.children if context.children is not None else inputs.children
    review = review_tables(orders, fills, context=context, children=children, policy=_policy(policy))
    day = context.session_date.isoformat() if context.session_date is not None else inputs.date
    review = replace(review, review_orders=with_client_ids(review.review_orders, inputs.parents),
                     exceptions=with_client_ids(review.exceptions, inputs.parents))
    summary = summary_table(orders)
    orders = with_client_ids(orders, inputs.parents, date=day, ts_column="arrival_ts_ns", zone=inputs.clock_zone)
    return TcaTables(
        orders=orders, summary=summary, venues=venue_table(fills, inputs.children, inputs.venues),
        paired=paired, ranking=ranking_table(paired, orders), fills=fills, review=review,
        drift=drift_table(orders) if inputs.common_nbbo is not None else None,
    )


def with_client_ids(frame: pd.DataFrame, parents: pd.DataFrame, *, date: str | None = None,
                    ts_column: str | None = None, zone: str = SESSION_TIMEZONE) -> pd.DataFrame:
    """``frame`` with ``client_order_id`` after ``parent_id`` (the firm's id from ``parents``, else the number).

    With ``ts_column`` (ns since midnight of the session ``date``) its New York time goes after it, named without
    ``_ns`` (``arrival_ts``: ``datetime64[ns, America/New_York]``, empty without a date). Row order is kept.
    """
    if "parent_id" not in frame.columns or "client_order_id" in frame.columns:
        return frame
    out = frame.copy()
    if "client_order_id" in parents.columns and len(out):
        ids = parents[["seed", "parent_id", "client_order_id"]].drop_duplicates(["seed", "parent_id"])
        given = out[["seed", "parent_id"]].merge(ids, on=["seed", "parent_id"], how="left")["client_order_id"]
        number = out["parent_id"].astype("Int64").astype("string")
        values = given.astype("string").fillna(number).to_numpy()
    else:
        values = out["parent_id"].astype("Int64").astype("string").to_numpy()
    out.insert(out.columns.get_loc("parent_id") + 1, "client_order_id", pd.Series(values, index=out.index,
                                                                                   dtype="string"))
    if ts_column is not None and ts_column in out.columns:
        stamps = session_timestamps(out[ts_column].to_numpy(), date, zone=zone).to_pandas()
        stamps.index = out.index  # keeps the New York dtype, also for an all-empty column
        out.insert(out.columns.get_loc(ts_column) + 1, ts_column.removesuffix("_ns"), stamps)
    return out


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    frame.to_csv(path, index=False, float_format=CSV_FLOAT_FORMAT, lineterminator="\n")


def check_target(out_dir: Path, *, label: str = TCA_DIR) -> None:
    """Raise ``UserError`` unless ``out_dir`` may be (re)written: absent, empty, or written by sorbench as ``label``."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not _is_ours(out_dir, META_KINDS[label]):
        raise UserError(f"{out_dir}: exists and is not a {label} folder; refusing to replace it (choose another --out)")


def write_folder(out_dir: Path, fill: Callable[[Path], None], *, meta: dict[str, object],
                 label: str = TCA_DIR) -> Path:
    """Write a folder whole: ``fill(tmp)`` writes its files into a temporary folder beside it, then it is renamed.

    A reader sees the old folder or the new one, never a half-written one; on failure nothing is left behind.
    ``meta`` is written as ``meta.json`` with the folder's ``kind``.
    """
    out_dir = Path(out_dir)
    check_target(out_dir, label=label)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    except OSError as exc:
        raise UserError(f"{out_dir}: cannot write ({exc.strerror or exc})") from None
    old: Path | None = None
    try:
        fill(tmp)
        meta = {**meta, "kind": META_KINDS[label]}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True, default=str) + "\n",
                                       encoding="utf-8")
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
            out_dir.rename(old / out_dir.name)
        tmp.rename(out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not out_dir.exists() and (old / out_dir.name).exists():
            (old / out_dir.name).rename(out_dir)
        raise UserError(f"{out_dir}: cannot write ({exc.strerror or exc})") from None
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return out_dir


def write_tca(tables: TcaTables, out_dir: Path, *, meta: dict[str, object]) -> Path:
    """Write the TCA tables (and the review, when computed) into ``out_dir``, replacing it whole."""
    def fill(tmp: Path) -> None:
        tables.orders.to_parquet(tmp / "orders.parquet", index=False)
        for name, frame in (("summary", tables.summary), ("venues", tables.venues), ("paired", tables.paired),
                            ("ranking", tables.ranking)):
            _write_csv(frame, tmp / f"{name}.csv")
        if tables.drift is not None:
            _write_csv(tables.drift, tmp / "drift.csv")
        if tables.review is not None:
            _write_csv(tables.review.review, tmp / "review.csv")
            _write_csv(tables.review.review_orders, tmp / "review_orders.csv")
            _write_csv(tables.review.exceptions, tmp / "exceptions.csv")

    return write_folder(out_dir, fill, meta=meta, label=TCA_DIR)


def write_regulatory(reports: RegulatoryReports, out_dir: Path, *, meta: dict[str, object]) -> Path:
    """Write the regulatory files into ``out_dir``, replacing it whole."""
    def fill(tmp: Path) -> None:
        for name, data in reports.files.items():
            (tmp / name).write_bytes(data)

    return write_folder(out_dir, fill, meta=meta, label=REGULATORY_DIR)


def write_conflict(tables: ConflictTables, out_dir: Path, *, meta: dict[str, object]) -> Path:
    """Write the conflict tables (summary, venue choice, leakage, elasticity, regret) into ``out_dir``."""
    def fill(tmp: Path) -> None:
        for name in ("summary", "venue_choice", "leakage", "elasticity", "regret"):
            _write_csv(getattr(tables, name), tmp / f"{name}.csv")

    return write_folder(out_dir, fill, meta=meta, label=CONFLICT_DIR)


def _is_ours(folder: Path, kind: str) -> bool:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("kind") == kind


INTERVALS = (f"seed-level Student t over per-seed values; no interval or verdict below {MIN_SEEDS} seeds "
             "(docs/analytics.md, Intervals)")
"""How every interval of the analytics is made, as recorded in each ``meta.json``."""


def _meta(inputs: TcaInputs, *, sources: dict[str, str], policy: ReviewPolicy | None = None) -> dict[str, object]:
    return {
        "sources": sources, "intervals": INTERVALS,
        "rows": {"orders": len(inputs.parents), "fills": len(inputs.fills), "nbbo": len(inputs.nbbo)},
        "definitions": "docs/analytics.md",
        **({"review_policy": policy.model_dump(mode="json")} if policy is not None else {}),
    }


def analyze(folder: Path | str, out: Path | str | None = None, *, policy: PolicyArg = None,
            regulatory: RegulatoryConfig | None = None, reports_dir: Path | str | None = None,
            n_boot: int | None = None, seed: int | None = None) -> TcaTables:
    """Compute a run folder's analytics and write ``tca/``, ``regulatory/`` and ``conflict/``.

    ``out`` is the TCA folder (default ``<folder>/tca``); ``regulatory/`` and ``conflict/`` go into ``reports_dir``
    (default the run folder). ``policy`` is the review policy (a
    ``ReviewPolicy`` or a file; None: the default file, or the built-in defaults); ``regulatory`` sets the broker
    name, period and codes of the regulatory files. Every target folder is checked before any is written. Raises
    ``UserError`` on a bad folder, table or policy. ``n_boot`` and ``seed`` (the former bootstrap's) are deprecated
    and have no effect: every interval is seed-level (:data:`INTERVALS`).
    """
    del n_boot, seed
    folder = Path(folder)
    inputs = load_run_folder(folder)
    context = load_run_context(folder)
    pol = _policy(policy)
    tables = compute_tca(inputs, policy=pol, context=context)
    assert tables.fills is not None  # compute_tca always sets them
    config = regulatory or RegulatoryConfig()
    reports = compute_regulatory(tables.orders, tables.fills, tables.venues, context=context, config=config,
                                 nbbo=inputs.nbbo)
    conflict = compute_conflict(tables.orders, tables.fills, inputs.nbbo, context=context,
                                params=pol.conflict_params())
    base = Path(reports_dir) if reports_dir is not None else folder
    targets = {TCA_DIR: Path(out) if out is not None else folder / TCA_DIR,
               REGULATORY_DIR: base / REGULATORY_DIR, CONFLICT_DIR: base / CONFLICT_DIR}
    for label, target in targets.items():
        check_target(target, label=label)
    # Written inside the run folder (the default), the source is "." so the files do not depend on where the folder
    # was when it was analysed (a run is analysed in its hidden temporary folder before it is published).
    inside = out is None and reports_dir is None
    sources = {"run_folder": "." if inside else str(folder.resolve())}
    tca_dir = write_tca(tables, targets[TCA_DIR], meta=_meta(inputs, sources=sources, policy=pol))
    reg_dir = write_regulatory(reports, targets[REGULATORY_DIR], meta={
        "sources": sources, "period": reports.period.isoformat(), "entity_codes": reports.entity_codes,
        "config": {k: v for k, v in asdict(config).items() if k != "entity_codes"}, "notes": list(reports.notes),
        "files": sorted(reports.files), "definitions": "docs/analytics.md#regulatory-files",
    })
    conflict_dir = write_conflict(conflict, targets[CONFLICT_DIR], meta={
        "sources": sources, "intervals": INTERVALS,
        "params": asdict(pol.conflict_params()), "notes": list(conflict.notes),
        "definitions": "docs/analytics.md#conflict-of-interest-evidence",
    })
    return replace(tables, out_dir=tca_dir, regulatory=reports, conflict=conflict, regulatory_dir=reg_dir,
                   conflict_dir=conflict_dir)


def analyze_files(orders: Path | str, fills: Path | str, quotes: Path | str, out: Path | str | None = None, *,
                  policy: PolicyArg = None, n_boot: int | None = None, seed: int | None = None) -> TcaTables:
    """The TCA tables and review from a vendor's orders, fills and quotes; ``out`` defaults to ``tca/`` beside orders.

    Vendor data has no venue schedules, S&P 500 flags or child orders, so no regulatory or conflict folders are
    written; the review's paying-venue rule reads payments from the fills. ``n_boot`` and ``seed`` are deprecated and
    have no effect (:data:`INTERVALS`).
    """
    del n_boot, seed
    paths = Path(orders), Path(fills), Path(quotes)
    inputs = load_vendor_files(*paths)
    pol = _policy(policy)
    tables = compute_tca(inputs, policy=pol)
    target = Path(out) if out is not None else paths[0].parent / TCA_DIR
    meta = _meta(inputs, policy=pol,
                 sources={k: str(p) for k, p in zip(("orders", "fills", "quotes"), paths, strict=True)})
    return replace(tables, out_dir=write_tca(tables, target, meta=meta))
