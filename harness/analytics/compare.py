"""The comparison of two runs (``sorbench compare``): its data types and the computations over their tables.

:class:`RunSide` is one run (folder, manifest, per-order TCA table) and :class:`Comparison` everything the compare
report shows. The computations are pure: :func:`paired_change` (B - A per headline figure of one router, paired on
(seed, parent_id), stratified like ``tca/paired.csv``, seed-level interval) and :func:`verdict`; :func:`venue_shares`
and :func:`venue_mix_fractions` (each router's routed and executed venue mix in A and B); :func:`market_means` and
:func:`market_statistics_change` (the market statistics of both runs); :func:`flat_diff` and :func:`config_diff` (the
configuration change between two manifests as key paths). Reading the run folders and writing the compare folder is
:mod:`harness.workflows.compare`'s; drawing the page is :mod:`harness.report.compare`'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.analytics.paired import ALL, PAIRED_FIGURES, Figure, pair_frame, pair_rows

KIND = "sorbench-compare"
ABSENT = "(absent)"
BETTER, WORSE, NO_EVIDENCE, MIXED = "better", "worse", "no evidence", "mixed"
COMPARE_COLUMNS = [
    "router", "figure", "higher_is_better", "seeds", "n", "mean_a", "mean_b", "mean_diff", "ci_low", "ci_high",
    "zero_excluded", "direction", "verdict",
]
VENUE_MIX_COLUMNS = [
    "router", "venue", "routed_shares_a", "routed_shares_b", "routed_frac_a", "routed_frac_b", "routed_frac_change",
    "executed_shares_a", "executed_shares_b", "executed_frac_a", "executed_frac_b", "executed_frac_change",
]
MARKET_COLUMNS = ["router", "symbol", "venue", "statistic", "value_a", "value_b", "change"]
DIFF_COLUMNS = ["section", "path", "value_a", "value_b"]
RUN_KEYS_IGNORED = {
    "scenario", "routers", "files", "runs", "started_utc", "finished_utc", "command", "analysis", "scenario_file",
    "scenario_sha256", "jobs", "platform", "manifest_body_sha256",
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
            "intervals": "seed-level Student t over per-seed paired means (none below 5 seeds)",
            "ci_level": self.ci_level,
            "figures": [f.name for f in PAIRED_FIGURES], "verdicts": self.verdicts,
            "config_changes": len(self.config_diff), "notes": self.notes,
            "definitions": "docs/workflows.md, A configuration change; docs/analytics.md",
        }


def _direction(fig: Figure, low: float, high: float) -> str:
    if not (low > 0 or high < 0):
        return NO_EVIDENCE
    return BETTER if (low > 0) == fig.higher_is_better else WORSE


def paired_change(a_orders: pd.DataFrame, b_orders: pd.DataFrame, router: str, *, ci_level: float,
                  figures: tuple[Figure, ...] = PAIRED_FIGURES) -> pd.DataFrame:
    """Rows of ``compare.csv`` for one router: B - A per figure, paired on (seed, parent_id).

    The estimate is the "all" row of the paired comparison (strata weighted by their share of paired parents, the
    per-seed means' t interval over seeds; no interval and direction "no evidence" below 5 seeds, ``verdict`` says
    why).
    """
    # pair_rows takes A - B of its "a" and "b" sides: B goes in as "a" so that differences read B - A
    pair = pair_frame(b_orders[b_orders["router"] == router], a_orders[a_orders["router"] == router], figures)
    rows = [r for r in pair_rows(pair, "B", "A", figures=figures, level=ci_level)
            if (r["order_class"], r["symbol"], r["size_bucket"]) == (ALL, ALL, ALL)]
    by_name = {f.name: f for f in figures}
    out = []
    for r in rows:
        fig = by_name[str(r["figure"])]
        low, high = float(r["ci_low"]), float(r["ci_high"])  # type: ignore[arg-type]
        out.append({
            "router": router, "figure": fig.name, "higher_is_better": fig.higher_is_better, "seeds": r["seeds"],
            "n": r["n"], "mean_a": r["value_b"], "mean_b": r["value_a"], "mean_diff": r["mean_diff"],
            "ci_low": low, "ci_high": high, "zero_excluded": r["zero_excluded"],
            "direction": _direction(fig, low, high), "verdict": r["verdict"],
        })
    return pd.DataFrame(out, columns=COMPARE_COLUMNS)


def verdict(directions: list[str]) -> str:
    """A router's verdict from its figures' directions."""
    better, worse = BETTER in directions, WORSE in directions
    return MIXED if better and worse else BETTER if better else WORSE if worse else NO_EVIDENCE


def venue_shares(table: pd.DataFrame, *, routers: list[str], seeds: list[int]) -> pd.DataFrame:
    """Shares per router and venue of a child-order or fill table (``router``, ``seed``, ``venue``, ``qty``)."""
    t = table[table["router"].isin(routers) & table["seed"].isin(seeds)]
    return t.groupby(["router", "venue"], as_index=False)["qty"].sum()


def venue_mix_fractions(shares: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """Per router and venue: routed and executed shares and their fractions of the router's total, in A and B.

    ``shares`` maps ``"routed"`` and ``"executed"`` to the (A, B) tables of :func:`venue_shares`.
    """
    parts = []
    for what, (a_shares, b_shares) in shares.items():
        x = a_shares.rename(columns={"qty": f"{what}_shares_a"})
        y = b_shares.rename(columns={"qty": f"{what}_shares_b"})
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


def market_means(table: pd.DataFrame, *, routers: list[str], seeds: list[int]) -> pd.DataFrame:
    """A ``market_stats.csv`` table in long form (one row per statistic), averaged over ``seeds``."""
    t = table[table["router"].isin(routers) & table["seed"].isin(seeds)].drop(columns=["seed"])
    long = t.melt(id_vars=["router", "symbol", "venue"], var_name="statistic", value_name="value")
    return long.groupby(["router", "symbol", "venue", "statistic"], as_index=False, sort=False)["value"].mean()


def market_statistics_change(a_means: pd.DataFrame, b_means: pd.DataFrame) -> pd.DataFrame:
    """Market statistics per router, symbol and venue in A and B (:func:`market_means`) and their change B - A."""
    m = a_means.merge(b_means, on=["router", "symbol", "venue", "statistic"], how="outer", suffixes=("_a", "_b"))
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

    Lists of named tables (venues, symbols; latency links by participant/venue/direction) are matched by name
    (``venues[XNAS].fees.take_usd``, ``latency.links[router/EDGX/order_entry]``), so removing a venue is one change
    and reordering them one change (``venues (order)``); other lists are compared by position (``seeds[2]``).
    """
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in [*a, *(k for k in b if k not in a)]:
            out += flat_diff(a.get(k, _MISSING), b.get(k, _MISSING), f"{path}.{k}" if path else str(k))
        return out
    if isinstance(a, list) and isinstance(b, list):
        na, nb = _named(a), _named(b)
        if na is not None and nb is not None and (na or nb):
            ia, ib = dict(zip(na, a, strict=True)), dict(zip(nb, b, strict=True))
            common_a, common_b = [k for k in na if k in ib], [k for k in nb if k in ia]
            out = [(f"{path} (order)", _show(na), _show(nb))] if common_a != common_b else []
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
