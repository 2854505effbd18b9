"""Compute every TCA table from checked inputs and write them as a ``tca/`` folder, all or nothing."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from harness.analytics.aggregate import summary_table, venue_table
from harness.analytics.inputs import TcaInputs, load_run_folder, load_vendor_files
from harness.analytics.nbbo import NbboIndex
from harness.analytics.orders import arrival_table, fill_table, order_table
from harness.analytics.paired import paired_table, ranking_table
from harness.errors import UserError

TCA_DIR = "tca"
META_KIND = "sorbench-tca"
"""``meta.json``'s ``kind``: only a folder carrying it (or an empty one) is replaced by a new write."""
CSV_FLOAT_FORMAT = "%.10g"


@dataclass(frozen=True)
class TcaTables:
    """The analytics' output tables and the folder they were written to."""

    orders: pd.DataFrame
    summary: pd.DataFrame
    venues: pd.DataFrame
    paired: pd.DataFrame
    ranking: pd.DataFrame
    out_dir: Path | None = None


def compute_tca(inputs: TcaInputs, *, n_boot: int = 2000, seed: int = 0) -> TcaTables:
    """All tables from checked inputs (no files touched)."""
    index = NbboIndex(inputs.nbbo)
    arrivals = arrival_table(inputs.parents, inputs.nbbo, index=index)
    fills = fill_table(arrivals, inputs.fills, inputs.nbbo, index=index)
    orders = order_table(arrivals, fills)
    paired = paired_table(orders, n_boot=n_boot, seed=seed)
    return TcaTables(
        orders=orders, summary=summary_table(orders), venues=venue_table(fills, inputs.children, inputs.venues),
        paired=paired, ranking=ranking_table(paired, orders),
    )


def write_tca(tables: TcaTables, out_dir: Path, *, meta: dict[str, object]) -> Path:
    """Write the tables into ``out_dir``, replacing it whole: built in a temporary folder beside it, then renamed.

    A reader sees the old folder or the new one, never a half-written one; on failure nothing is left behind.
    """
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"{out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not _is_tca_folder(out_dir):
        raise UserError(f"{out_dir}: exists and is not a tca folder; refusing to replace it (choose another --out)")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    except OSError as exc:
        raise UserError(f"{out_dir}: cannot write ({exc.strerror or exc})") from None
    old: Path | None = None
    try:
        tables.orders.to_parquet(tmp / "orders.parquet", index=False)
        for name, frame in (("summary", tables.summary), ("venues", tables.venues), ("paired", tables.paired),
                            ("ranking", tables.ranking)):
            frame.to_csv(tmp / f"{name}.csv", index=False, float_format=CSV_FLOAT_FORMAT, lineterminator="\n")
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
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


def _is_tca_folder(folder: Path) -> bool:
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and meta.get("kind") == META_KIND


def _meta(inputs: TcaInputs, *, n_boot: int, seed: int, sources: dict[str, str]) -> dict[str, object]:
    return {
        "kind": META_KIND, "sources": sources, "n_boot": n_boot, "bootstrap_seed": seed,
        "rows": {"orders": len(inputs.parents), "fills": len(inputs.fills), "nbbo": len(inputs.nbbo)},
        "definitions": "docs/analytics.md",
    }


def _check_params(n_boot: int, seed: int) -> None:
    if n_boot < 1:
        raise UserError(f"--n-boot: {n_boot} must be at least 1")
    if not 0 <= seed < 2**63:
        raise UserError(f"--boot-seed: {seed} is out of range")


def analyze(folder: Path | str, out: Path | str | None = None, *, n_boot: int = 2000, seed: int = 0) -> TcaTables:
    """Compute the TCA tables of a run folder and write them to ``out`` (default ``<folder>/tca``).

    Writes ``orders.parquet``, ``summary.csv``, ``venues.csv``, ``paired.csv``, ``ranking.csv`` and ``meta.json``
    atomically. ``n_boot`` and ``seed`` set the paired bootstrap. Raises ``UserError`` on a bad folder or table.
    """
    _check_params(n_boot, seed)
    folder = Path(folder)
    inputs = load_run_folder(folder)
    tables = compute_tca(inputs, n_boot=n_boot, seed=seed)
    target = Path(out) if out is not None else folder / TCA_DIR
    meta = _meta(inputs, n_boot=n_boot, seed=seed, sources={"run_folder": str(folder)})
    return replace(tables, out_dir=write_tca(tables, target, meta=meta))


def analyze_files(orders: Path | str, fills: Path | str, quotes: Path | str, out: Path | str | None = None, *,
                  n_boot: int = 2000, seed: int = 0) -> TcaTables:
    """The same tables from a vendor's orders, fills and quotes files; ``out`` defaults to ``tca/`` beside orders."""
    _check_params(n_boot, seed)
    paths = Path(orders), Path(fills), Path(quotes)
    inputs = load_vendor_files(*paths)
    tables = compute_tca(inputs, n_boot=n_boot, seed=seed)
    target = Path(out) if out is not None else paths[0].parent / TCA_DIR
    meta = _meta(inputs, n_boot=n_boot, seed=seed,
                 sources={k: str(p) for k, p in zip(("orders", "fills", "quotes"), paths, strict=True)})
    return replace(tables, out_dir=write_tca(tables, target, meta=meta))

