"""``sorbench compare``: a before/after report of a configuration change, paired on identical order flows.

Run A (before) and run B (after) must replay the same parent orders: the two manifests' ``parent_orders.parquet``
hashes agree, or the orders of every seed both runs share are identical row for row. Only the seeds both runs have,
and the routers both ran, are compared. For each common router the orders are paired by (seed, parent_id) between the
two runs' ``tca/orders.parquet`` (computed in memory for a folder without ``tca/``; the run folders are never
written to), and for every headline figure of :data:`harness.analytics.paired.PAIRED_FIGURES` the mean paired
difference B - A gets a two-stage bootstrap interval (seeds, then orders within each seed drawn with replacement),
exactly as the routers' paired comparisons in ``tca/paired.csv``.

A figure's direction says whether B is *better* or *worse* than A by the figure's own good direction (higher PI, fill
rate and markout; lower spreads, E/Q, shortfall, time to first fill and net fees) when the interval excludes zero,
else *no evidence*. A router's verdict is *better* (some figures better, none worse), *worse*, *mixed* or *no
evidence*. Beside the figures: each router's venue mix in both runs (routed and executed shares, from
``child_orders.parquet`` and ``fills.parquet`` of the common seeds), the market statistics of both runs
(``market_stats.csv``) and the configuration change itself, a flat key-path diff of the two manifests' resolved
scenarios, router parameters and run settings (``venues[2].fees.take_usd: 0.003 -> 0.0025``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.analytics.inputs import load_run_folder
from harness.analytics.orders import orders_tca
from harness.analytics.paired import PAIRED_FIGURES, Figure, _compare, _stream
from harness.errors import UserError
from harness.workflows.verify import read_manifest

KIND = "sorbench-compare"
ABSENT = "(absent)"
BETTER, WORSE, NO_EVIDENCE, MIXED = "better", "worse", "no evidence", "mixed"
COMPARE_COLUMNS = [
    "router", "figure", "higher_is_better", "seeds", "n", "mean_a", "mean_b", "mean_diff", "ci_low", "ci_high",
    "zero_excluded", "direction",
]
VENUE_MIX_COLUMNS = [
    "router", "venue", "routed_shares_a", "routed_shares_b", "routed_frac_a", "routed_frac_b", "routed_frac_change",
    "executed_shares_a", "executed_shares_b", "executed_frac_a", "executed_frac_b", "executed_frac_change",
]
MARKET_COLUMNS = ["router", "symbol", "venue", "statistic", "value_a", "value_b", "change"]
DIFF_COLUMNS = ["section", "path", "value_a", "value_b"]
RUN_KEYS_IGNORED = {
    "scenario", "routers", "files", "runs", "started_utc", "finished_utc", "command", "analysis", "scenario_file",
    "scenario_sha256", "jobs", "platform",
}
"""Manifest keys that are bookkeeping, not configuration (the scenario and routers have their own sections)."""


@dataclass(frozen=True)
class RunSide:
    """One of the two runs: its folder, manifest (and the manifest's sha256) and per-order TCA table."""

    folder: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    orders: pd.DataFrame
    tca_source: str

    @property
    def name(self) -> str:
        """The folder's name."""
        return self.folder.name

    def ok_runs(self) -> set[tuple[str, int]]:
        """(router, seed) pairs that finished."""
        return {(r["router"], int(r["seed"])) for r in self.manifest.get("runs", []) if r.get("status") == "ok"}


@dataclass
class Comparison:
    """Everything ``sorbench compare`` reports (the tables are written as CSV, the rest into compare.json)."""

    a: RunSide
    b: RunSide
    seeds: list[int]
    routers: list[str]
    figures: pd.DataFrame
    venue_mix: pd.DataFrame
    market: pd.DataFrame
    config_diff: pd.DataFrame
    verdicts: dict[str, str]
    n_boot: int
    boot_seed: int
    ci_level: float
    notes: list[str] = field(default_factory=list)

    def info(self) -> dict[str, Any]:
        """The content of compare.json (inputs, their hashes, what was compared, verdicts)."""
        def side(s: RunSide) -> dict[str, Any]:
            m = s.manifest
            return {
                "folder": str(s.folder), "manifest_sha256": s.manifest_sha256,
                "scenario_name": m.get("scenario", {}).get("name"), "scenario_sha256": m.get("scenario_sha256"),
                "parent_orders_sha256": m.get("files", {}).get("parent_orders.parquet"),
                "seeds": m.get("seeds"), "routers": [r["name"] for r in m.get("routers", [])],
                "sorbench_version": m.get("sorbench_version"), "git_commit": m.get("git_commit"),
                "command": m.get("command"), "tca": s.tca_source,
            }

        a_routers = {r["name"] for r in self.a.manifest.get("routers", [])}
        b_routers = {r["name"] for r in self.b.manifest.get("routers", [])}
        return {
            "kind": KIND, "run_a": side(self.a), "run_b": side(self.b),
            "seeds": self.seeds, "routers": self.routers,
            "only_in_a": {"seeds": sorted(set(self.a.manifest["seeds"]) - set(self.seeds)),
                          "routers": sorted(a_routers - b_routers)},
            "only_in_b": {"seeds": sorted(set(self.b.manifest["seeds"]) - set(self.seeds)),
                          "routers": sorted(b_routers - a_routers)},
            "n_boot": self.n_boot, "bootstrap_seed": self.boot_seed, "ci_level": self.ci_level,
            "figures": [f.name for f in PAIRED_FIGURES], "verdicts": self.verdicts,
            "config_changes": len(self.config_diff), "notes": self.notes,
            "definitions": "docs/workflows.md, A configuration change; docs/analytics.md",
        }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


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
    return RunSide(folder=folder, manifest=manifest, manifest_sha256=_sha256(folder / "manifest.json"),
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


def _direction(fig: Figure, low: float, high: float) -> str:
    if not (low > 0 or high < 0):
        return NO_EVIDENCE
    return BETTER if (low > 0) == fig.higher_is_better else WORSE


def paired_change(a_orders: pd.DataFrame, b_orders: pd.DataFrame, router: str, *, n_boot: int, seed: int,
                  ci_level: float, figures: tuple[Figure, ...] = PAIRED_FIGURES) -> pd.DataFrame:
    """Rows of ``compare.csv`` for one router: B - A per figure, paired on (seed, parent_id), bootstrap interval."""
    cols = ["seed", "parent_id", *sorted({f.column for f in figures} | {"effective_spread", "quoted_spread",
                                                                         "filled_qty"})]
    # paired._compare takes A - B of its "a" and "b" sides: B goes in as "a" so that differences read B - A
    pair = b_orders.loc[b_orders["router"] == router, cols].merge(
        a_orders.loc[a_orders["router"] == router, cols], on=["seed", "parent_id"], suffixes=("_a", "_b"),
    ).sort_values(["seed", "parent_id"], kind="stable").reset_index(drop=True)
    rows = _compare(pair, "B", "A", figures=figures, n_boot=n_boot, rng=_stream(seed, f"compare:{router}", "B-A"),
                    ci_level=ci_level)
    by_name = {f.name: f for f in figures}
    out = []
    for r in rows:
        fig = by_name[str(r["figure"])]
        low, high = float(r["ci_low"]), float(r["ci_high"])  # type: ignore[arg-type]
        out.append({
            "router": router, "figure": fig.name, "higher_is_better": fig.higher_is_better, "seeds": r["seeds"],
            "n": r["n"], "mean_a": r["value_b"], "mean_b": r["value_a"], "mean_diff": r["mean_diff"],
            "ci_low": low, "ci_high": high, "zero_excluded": r["zero_excluded"],
            "direction": _direction(fig, low, high),
        })
    return pd.DataFrame(out, columns=COMPARE_COLUMNS)


def verdict(directions: list[str]) -> str:
    """A router's verdict from its figures' directions."""
    better, worse = BETTER in directions, WORSE in directions
    return MIXED if better and worse else BETTER if better else WORSE if worse else NO_EVIDENCE


def _shares(folder: Path, name: str, routers: list[str], seeds: list[int]) -> pd.DataFrame:
    path = folder / name
    if not path.is_file():
        return pd.DataFrame({"router": [], "venue": [], "qty": []})
    t = pd.read_parquet(path, columns=["router", "seed", "venue", "qty"])
    t = t[t["router"].isin(routers) & t["seed"].isin(seeds)]
    return t.groupby(["router", "venue"], as_index=False)["qty"].sum()


def venue_mix_change(a: RunSide, b: RunSide, routers: list[str], seeds: list[int]) -> pd.DataFrame:
    """Per router and venue: routed and executed shares and their fractions of the router's total, in A and B."""
    parts = []
    for what, file in (("routed", "child_orders.parquet"), ("executed", "fills.parquet")):
        x = _shares(a.folder, file, routers, seeds).rename(columns={"qty": f"{what}_shares_a"})
        y = _shares(b.folder, file, routers, seeds).rename(columns={"qty": f"{what}_shares_b"})
        parts.append(x.merge(y, on=["router", "venue"], how="outer"))
    mix = parts[0].merge(parts[1], on=["router", "venue"], how="outer")
    for what in ("routed", "executed"):
        for s in ("a", "b"):
            col = f"{what}_shares_{s}"
            mix[col] = mix[col].fillna(0).astype(np.int64)
            total = mix.groupby("router")[col].transform("sum")
            mix[f"{what}_frac_{s}"] = np.where(total > 0, mix[col] / total.where(total > 0, 1), np.nan)
        mix[f"{what}_frac_change"] = mix[f"{what}_frac_b"] - mix[f"{what}_frac_a"]
    return mix.sort_values(["router", "venue"], kind="stable").reset_index(drop=True)[VENUE_MIX_COLUMNS]


def market_change(a: RunSide, b: RunSide, routers: list[str], seeds: list[int]) -> pd.DataFrame:
    """Market statistics (``market_stats.csv``) per router, symbol and venue, averaged over the common seeds."""
    frames = []
    for s in (a, b):
        path = s.folder / "market_stats.csv"
        if not path.is_file():
            return pd.DataFrame(columns=MARKET_COLUMNS)
        t = pd.read_csv(path)
        t = t[t["router"].isin(routers) & t["seed"].isin(seeds)].drop(columns=["seed"])
        long = t.melt(id_vars=["router", "symbol", "venue"], var_name="statistic", value_name="value")
        frames.append(long.groupby(["router", "symbol", "venue", "statistic"], as_index=False, sort=False)["value"]
                      .mean())
    m = frames[0].merge(frames[1], on=["router", "symbol", "venue", "statistic"], how="outer", suffixes=("_a", "_b"))
    m["change"] = m["value_b"] - m["value_a"]
    return m.sort_values(["router", "symbol", "venue", "statistic"], kind="stable").reset_index(drop=True)[
        MARKET_COLUMNS]


# --------------------------------------------------------------------------------------------------- config diff
LINK_KEYS = ("participant", "venue", "direction")


def _item_key(item: Any) -> str | None:
    """A list item's natural key: its ``name``, or a latency link's participant/venue/direction."""
    if not isinstance(item, dict):
        return None
    if isinstance(item.get("name"), str):
        return str(item["name"])
    if all(isinstance(item.get(k), str) for k in LINK_KEYS):
        return "/".join(item[k] for k in LINK_KEYS)
    return None


def _named(items: list[Any]) -> list[str] | None:
    keys = [_item_key(i) for i in items]
    if any(k is None for k in keys) or len(set(keys)) != len(keys):
        return None
    return keys  # type: ignore[return-value]


_MISSING = object()


def _show(v: Any) -> str:
    if v is _MISSING:
        return ABSENT
    if isinstance(v, str):
        return v
    return json.dumps(v, sort_keys=True)


def flat_diff(a: Any, b: Any, path: str = "") -> list[tuple[str, str, str]]:
    """Every leaf that differs between two JSON-like values, as (key path, A, B); absent leaves show ``(absent)``.

    Lists are compared by position (``venues[2].fees.take_usd``) unless they are lists of named tables (venues,
    symbols; latency links by participant/venue/direction) whose names differ between the two or come in another
    order: those are matched by name (``venues[WHSB]``, ``latency.links[router/EDGX/order_entry]``), so removing a
    venue is one change.
    """
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in [*a, *(k for k in b if k not in a)]:
            out += flat_diff(a.get(k, _MISSING), b.get(k, _MISSING), f"{path}.{k}" if path else str(k))
        return out
    if isinstance(a, list) and isinstance(b, list):
        na, nb = _named(a), _named(b)
        if na is not None and nb is not None and na != nb:
            ia, ib = dict(zip(na, a, strict=True)), dict(zip(nb, b, strict=True))
            out = []
            for k in [*na, *(k for k in nb if k not in ia)]:
                out += flat_diff(ia.get(k, _MISSING), ib.get(k, _MISSING), f"{path}[{k}]")
            return out
        out = []
        for i in range(max(len(a), len(b))):
            out += flat_diff(a[i] if i < len(a) else _MISSING, b[i] if i < len(b) else _MISSING, f"{path}[{i}]")
        return out
    if a is _MISSING or b is _MISSING or type(a) is not type(b) or a != b:
        return [(path, _show(a), _show(b))]
    return []


def config_diff(ma: dict[str, Any], mb: dict[str, Any]) -> pd.DataFrame:
    """The configuration change: resolved scenario, router parameters and run settings that differ, as key paths."""
    rows: list[tuple[str, str, str, str]] = []
    sa = {k: v for k, v in ma.get("scenario", {}).items() if k not in ("routers", "router_params")}
    sb = {k: v for k, v in mb.get("scenario", {}).items() if k not in ("routers", "router_params")}
    rows += [("scenario", *d) for d in flat_diff(sa, sb)]
    ra = {r["name"]: {k: v for k, v in r.items() if k != "name"} for r in ma.get("routers", [])}
    rb = {r["name"]: {k: v for k, v in r.items() if k != "name"} for r in mb.get("routers", [])}
    rows += [("router", f"{p}", x, y) for p, x, y in flat_diff(ra, rb)]
    xa = {k: v for k, v in ma.items() if k not in RUN_KEYS_IGNORED}
    xb = {k: v for k, v in mb.items() if k not in RUN_KEYS_IGNORED}
    rows += [("run", *d) for d in flat_diff(xa, xb)]
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


# ------------------------------------------------------------------------------------------------------- compare
def compare_runs(run_a: Path | str, run_b: Path | str, *, routers: list[str] | None = None, n_boot: int = 2000,
                 seed: int = 0, ci_level: float = 0.95) -> Comparison:
    """Compare run B (after) with run A (before) on their common seeds and routers; ``UserError`` if they differ."""
    if n_boot < 1:
        raise UserError(f"--n-boot: {n_boot} must be at least 1")
    if not 0 <= seed < 2**63:
        raise UserError(f"--boot-seed: {seed} is out of range")
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
                                       r, n_boot=n_boot, seed=seed, ci_level=ci_level) for r in common],
                        ignore_index=True)
    verdicts = {r: verdict(list(figures.loc[figures["router"] == r, "direction"])) for r in common}
    return Comparison(
        a=a, b=b, seeds=seeds, routers=common, figures=figures, venue_mix=venue_mix_change(a, b, common, seeds),
        market=market_change(a, b, common, seeds), config_diff=config_diff(a.manifest, b.manifest),
        verdicts=verdicts, n_boot=n_boot, boot_seed=seed, ci_level=ci_level, notes=notes,
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
