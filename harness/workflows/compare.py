"""``sorbench compare``: a before/after report of a configuration change, paired on identical order flows.

Run A (before) and run B (after) must replay the same parent orders: the two manifests' ``parent_orders.parquet``
hashes agree, or the orders of every seed both runs share are identical row for row. Only the seeds both runs have,
and the routers both ran, are compared. For each common router the orders are paired by (seed, parent_id) between the
two runs' ``tca/orders.parquet`` (computed in memory for a folder without ``tca/``; the run folders are never
written to), and for every headline figure of :data:`harness.analytics.paired.PAIRED_FIGURES` the mean paired
difference B - A is estimated exactly as the "all" row of the routers' paired comparisons in ``tca/paired.csv``:
within strata (order class, symbol, size bucket) weighted by their share of paired parents, per seed, with Student's
t interval over the seeds; below 5 seeds no interval and no direction (``verdict`` says so).

A figure's direction says whether B is *better* or *worse* than A by the figure's own good direction (higher PI, fill
rate and markout; lower spreads, E/Q, shortfall, time to first fill and net fees) when the interval excludes zero,
else *no evidence*. A router's verdict is *better* (some figures better, none worse), *worse*, *mixed* or *no
evidence*. Beside the figures: each router's venue mix in both runs (routed and executed shares, from
``child_orders.parquet`` and ``fills.parquet`` of the common seeds), the market statistics of both runs
(``market_stats.csv``) and the configuration change itself, a flat key-path diff of the two manifests' resolved
scenarios, router parameters and run settings (``venues[NSDQ].fees.take_usd: 0.003 -> 0.0025``).

This module reads the two run folders and writes the compare folder; the comparison's data types and computations
are :mod:`harness.analytics.compare`, the HTML page :mod:`harness.report.compare`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from harness.analytics.compare import (
    MARKET_COLUMNS,
    Comparison,
    RunSide,
    config_diff,
    market_means,
    market_statistics_change,
    paired_change,
    venue_mix_fractions,
    venue_shares,
    verdict,
)
from harness.analytics.inference import MIN_SEEDS, too_few_seeds
from harness.analytics.inputs import load_run_folder
from harness.analytics.orders import orders_tca
from harness.errors import UserError
from harness.workflows.provenance import sha256_file
from harness.workflows.verify import read_manifest

VENUE_MIX_FILES = (("routed", "child_orders.parquet"), ("executed", "fills.parquet"))
"""Where each side of the venue mix comes from: routed shares from the child orders, executed from the fills."""


def load_side(folder: Path | str) -> RunSide:
    """A run folder's manifest and per-order TCA table (stored ``tca/orders.parquet``, else computed in memory)."""
    folder = Path(folder).resolve()
    manifest = read_manifest(folder)
    stored = folder / "tca" / "orders.parquet"
    if stored.is_file():
        orders, source = pd.read_parquet(stored), "tca/orders.parquet"
    else:
        inputs = load_run_folder(folder)
        orders, source = orders_tca(inputs.parents, inputs.fills, inputs.nbbo), "computed (no tca/ in the folder)"
    return RunSide(folder=folder, manifest=manifest, manifest_sha256=sha256_file(folder / "manifest.json"),
                   orders=orders, tca_source=source)


def check_same_flows(a: RunSide, b: RunSide, seeds: list[int]) -> str:
    """Raise ``UserError`` unless both runs replayed the same parent orders on ``seeds``; returns how it was known."""
    sha_a = a.manifest.get("files", {}).get("parent_orders.parquet")
    sha_b = b.manifest.get("files", {}).get("parent_orders.parquet")
    if sha_a is not None and sha_a == sha_b:
        return f"identical parent_orders.parquet (sha256 {sha_a[:16]}...)"
    pa_, pb_ = (pd.read_parquet(s.folder / "parent_orders.parquet") for s in (a, b))
    keys = ["seed", "parent_id"]
    for seed in seeds:
        x = pa_[pa_["seed"] == seed].sort_values(keys).reset_index(drop=True)
        y = pb_[pb_["seed"] == seed].sort_values(keys).reset_index(drop=True)
        why = None
        if len(x) != len(y):
            why = f"{len(x)} vs {len(y)} orders"
        elif list(x.columns) != list(y.columns):
            why = f"columns {list(x.columns)} vs {list(y.columns)}"
        else:
            for col in x.columns:
                differs = ~((x[col] == y[col]) | (x[col].isna() & y[col].isna())).to_numpy(dtype=bool)
                if differs.any():
                    i = int(np.flatnonzero(differs)[0])
                    why = f"order {x['parent_id'].iloc[i]}: {col} {x[col].iloc[i]!r} vs {y[col].iloc[i]!r}"
                    break
        if why is not None:
            raise UserError(f"{a.folder} and {b.folder} do not replay the same parent orders (seed {seed}: {why}); "
                            "compare needs identical flows: the same scenario flow, orders file and seeds")
    return f"parent orders identical on seeds {seeds} (files differ only in other seeds)"


def _shares(folder: Path, name: str, routers: list[str], seeds: list[int]) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        return pd.DataFrame({"router": [], "venue": [], "qty": []})
    return venue_shares(pd.read_parquet(path, columns=["router", "seed", "venue", "qty"]), routers=routers, seeds=seeds)


def venue_mix_change(a: RunSide, b: RunSide, routers: list[str], seeds: list[int]) -> pd.DataFrame:
    """Per router and venue: routed and executed shares and their fractions of the router's total, in A and B."""
    shares = {what: (_shares(a.folder, file, routers, seeds), _shares(b.folder, file, routers, seeds))
              for what, file in VENUE_MIX_FILES}
    return venue_mix_fractions(shares)


def market_change(a: RunSide, b: RunSide, routers: list[str], seeds: list[int]) -> pd.DataFrame:
    """Market statistics (``market_stats.csv``) per router, symbol and venue, averaged over the common seeds."""
    frames = []
    for s in (a, b):
        path = s.folder / "market_stats.csv"
        if not path.is_file():
            return pd.DataFrame(columns=MARKET_COLUMNS)
        frames.append(market_means(pd.read_csv(path), routers=routers, seeds=seeds))
    return market_statistics_change(frames[0], frames[1])


# ------------------------------------------------------------------------------------------------------- compare
def compare_runs(run_a: Path | str, run_b: Path | str, *, routers: list[str] | None = None,
                 ci_level: float = 0.95) -> Comparison:
    """Compare run B (after) with run A (before) on their common seeds and routers; ``UserError`` if they differ."""
    a, b = load_side(run_a), load_side(run_b)
    seeds = sorted(set(a.manifest["seeds"]) & set(b.manifest["seeds"]))
    if not seeds:
        raise UserError(f"{a.folder} and {b.folder} share no seed (A: {a.manifest['seeds']}, B: "
                        f"{b.manifest['seeds']}); compare needs the same seeds")
    flows = check_same_flows(a, b, seeds)
    names_a = [r["name"] for r in a.manifest["routers"]]
    names_b = {r["name"] for r in b.manifest["routers"]}
    common = [r for r in names_a if r in names_b]
    if routers:
        for r in routers:
            if r not in common:
                raise UserError(f"--router: {r!r} is not a router of both runs (common: {', '.join(common) or 'none'})")
        common = [r for r in common if r in routers]
    if not common:
        raise UserError(f"{a.folder} and {b.folder} have no router in common (A: {', '.join(names_a)}; B: "
                        f"{', '.join(sorted(names_b))})")
    notes = [f"flows: {flows}"]
    if len(seeds) < MIN_SEEDS:
        notes.append(f"{too_few_seeds(len(seeds))}: no interval is given and every direction is 'no evidence'")
    ok_a, ok_b = a.ok_runs(), b.ok_runs()
    for r in common:
        missing = [s for s in seeds if (r, s) not in ok_a or (r, s) not in ok_b]
        if missing:
            notes.append(f"{r}: seeds {missing} failed in one of the runs and are left out")
    if a.manifest.get("sorbench_version") != b.manifest.get("sorbench_version") or (
            a.manifest.get("git_commit") != b.manifest.get("git_commit")):
        notes.append("the runs were made by different sorbench code (see config_diff.csv, section run): a difference "
                     "may come from the code as well as from the configuration")
    figures = pd.concat([paired_change(a.orders[a.orders["seed"].isin(seeds)], b.orders[b.orders["seed"].isin(seeds)],
                                       r, ci_level=ci_level) for r in common],
                        ignore_index=True)
    verdicts = {r: verdict(list(figures.loc[figures["router"] == r, "direction"])) for r in common}
    return Comparison(
        a=a, b=b, seeds=seeds, routers=common, figures=figures, venue_mix=venue_mix_change(a, b, common, seeds),
        market=market_change(a, b, common, seeds), config_diff=config_diff(a.manifest, b.manifest),
        verdicts=verdicts, ci_level=ci_level, notes=notes,
    )


def default_out(a: Path | str, b: Path | str, results_root: Path = Path("results")) -> Path:
    """``results/compare-<A name>-vs-<B name>``."""
    return results_root / f"compare-{Path(a).resolve().name}-vs-{Path(b).resolve().name}"


def write_compare(comparison: Comparison, out_dir: Path, *, command: list[str] | None = None) -> Path:
    """Write the compare folder whole (temporary folder, then renamed); never replaces an existing folder."""
    from harness.report.compare import render_compare_html

    out_dir = Path(out_dir)
    if out_dir.exists():
        raise UserError(f"{out_dir}: already exists (choose another --out)")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    except OSError as exc:
        raise UserError(f"{out_dir}: cannot write ({exc.strerror or exc})") from None
    try:
        csv = {"float_format": "%.10g", "lineterminator": "\n", "index": False}
        comparison.figures.to_csv(tmp / "compare.csv", **csv)
        comparison.venue_mix.to_csv(tmp / "venue_mix.csv", **csv)
        comparison.market.to_csv(tmp / "market_change.csv", **csv)
        comparison.config_diff.to_csv(tmp / "config_diff.csv", **csv)
        info = comparison.info()
        info["command"] = list(command) if command else None
        info["files"] = ["compare.csv", "venue_mix.csv", "market_change.csv", "config_diff.csv", "compare.html"]
        (tmp / "compare.json").write_text(json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8")
        (tmp / "compare.html").write_text(render_compare_html(comparison, command=command), encoding="utf-8")
        os.rename(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"{out_dir}: cannot write ({exc.strerror or exc})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir
