"""``sorbench probe``: controlled experiments that reveal a router's routing logic (the due-diligence fingerprint).

The twins (:mod:`harness.workflows.probe_twins`) each change one thing in one controlled market; every router named
runs on every twin and seed, and each simulation gives one response (:data:`MEASURES`), the figure its probe is
about. :mod:`harness.analytics.probe` turns the responses into ``probe/fingerprint.csv`` and one plain sentence per
router and probe; :func:`write_probe_folder` writes them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from adapters.contract import ParentOrder
from adapters.registry import RouterRegistry
from harness.errors import UserError
from harness.scenario.routers import resolve_router_params
from harness.scenario.schema import Scenario
from harness.sim.engine import RunResult, build_parents
from harness.sim.router_node import RouterLimits
from harness.workflows.probe_twins import (
    FAILOVER_S,
    FEE_GRID_USD,
    LADDER_QTY,
    PROBES,
    REBATE_B_USD,
    ProbeSettings,
    Twin,
    coverage_twins,
    fee_twins,
    probe_market,
    probe_twins,
)
from harness.workflows.tasks import TaskExecutor, plan_tasks, simulate_all

__all__ = [
    "FEE_GRID_USD",
    "LADDER_QTY",
    "MEASURES",
    "PROBES",
    "REBATE_B_USD",
    "RESPONSE_COLUMNS",
    "ProbeSettings",
    "Twin",
    "check_new_folder",
    "compare_probe_folders",
    "coverage_twins",
    "fee_twins",
    "is_probe_folder",
    "probe_market",
    "probe_twins",
    "read_fingerprint",
    "run_probes",
    "write_probe_folder",
]

DETAIL_COLUMNS = ("window_parents", "stranded_parents", "median_fill_ms", "rejected_children", "early_value")
"""Figures behind a finding, where the probe has them (else NaN): the parents arriving in the twin's window, those
with nothing filled within FAILOVER_S (of arrival; of the window's end for a halt), the median time from arrival
(the halt's end) to a parent's first fill, ms, the child orders rejected, and for ``sent_late`` the same response
for parents arriving in the window's first third (what the router did before it could learn)."""
RESPONSE_COLUMNS = ("router", "probe", "twin", "param", "target", "seed", "status", "measure", "value",
                    "numerator", "denominator", *DETAIL_COLUMNS)
"""One row per router, twin and seed: the response ``value`` = ``numerator / denominator`` (NaN when failed)."""


def _share_at_target(res: RunResult, twin: Twin, parents: list[ParentOrder]) -> tuple[float, float]:
    """(shares executed at the target venue, parent shares)."""
    at = sum(q for v, q in zip(res.fills["venue"], res.fills["qty"], strict=True) if v == twin.target)
    return at, sum(p.qty for p in parents)


def _share_at_price(res: RunResult, twin: Twin, parents: list[ParentOrder]) -> tuple[float, float]:
    """(shares executed at the target venue at the twin's price, parent shares)."""
    f = res.fills
    at = sum(q for v, q, px in zip(f["venue"], f["qty"], f["price"], strict=True)
             if v == twin.target and px == twin.price)
    return at, sum(p.qty for p in parents)


def _sweep_share(res: RunResult, twin: Twin, parents: list[ParentOrder]) -> tuple[float, float]:
    """(parents whose first decision's child orders went to two venues or more, parents that got a child order)."""
    first: dict[int, tuple[int, set[str]]] = {}
    ch = res.child_orders
    for pid, venue, ts in zip(ch["parent_id"], ch["venue"], ch["sent_ts_ns"], strict=True):
        t, venues = first.get(pid, (ts, set()))
        if ts < t:
            t, venues = ts, set()
        if ts == t:
            venues.add(venue)
        first[pid] = (t, venues)
    return sum(1 for _, v in first.values() if len(v) >= 2), len(first)


def _filled_within(res: RunResult, twin: Twin, parents: list[ParentOrder]) -> tuple[float, float]:
    """(shares filled within FAILOVER_S of arrival, shares) of the parents arriving in the twin's window."""
    assert twin.window is not None
    start, end = twin.window
    inside = {p.parent_id: p for p in parents if start <= p.arrival_ts_ns < end}
    limit = round(FAILOVER_S * 1e9)
    done = sum(q for pid, q, t in zip(res.fills["parent_id"], res.fills["qty"], res.fills["exec_ts_ns"], strict=True)
               if pid in inside and t - inside[pid].arrival_ts_ns <= limit)
    return done, sum(p.qty for p in inside.values())


def _filled_after(res: RunResult, twin: Twin, parents: list[ParentOrder]) -> tuple[float, float]:
    """(shares filled within FAILOVER_S after the window's end, shares) of the parents arriving in the window."""
    assert twin.window is not None
    start, end = twin.window
    inside = {p.parent_id for p in parents if start <= p.arrival_ts_ns < end}
    limit = end + round(FAILOVER_S * 1e9)
    done = sum(q for pid, q, t in zip(res.fills["parent_id"], res.fills["qty"], res.fills["exec_ts_ns"], strict=True)
               if pid in inside and t <= limit)
    return done, sum(p.qty for p in parents if p.parent_id in inside)


def _share_in_dark(res: RunResult, twin: Twin, parents: list[ParentOrder]) -> tuple[float, float]:
    """(shares executed in the twin's dark pools, comma-separated in ``target``; parent shares)."""
    pools = set(twin.target.split(","))
    at = sum(q for v, q in zip(res.fills["venue"], res.fills["qty"], strict=True) if v in pools)
    return at, sum(p.qty for p in parents)


def _sent_to_target(res: RunResult, twin: Twin, parents: list[ParentOrder]) -> tuple[float, float]:
    """(child shares the router sent to the target venue, parent shares): where it routed, not where it executed.

    A venue's route-out rule may have the shares of an order sent elsewhere executed at the target.
    """
    ch = res.child_orders
    return sum(q for v, q in zip(ch["venue"], ch["qty"], strict=True) if v == twin.target), sum(p.qty for p in parents)


def _sent_late(res: RunResult, twin: Twin, parents: list[ParentOrder]) -> tuple[float, float]:
    """(child shares sent to the target by parents arriving in the twin's window, those parents' shares)."""
    assert twin.window is not None
    start, end = twin.window
    inside = {p.parent_id: p.qty for p in parents if start <= p.arrival_ts_ns < end}
    ch = res.child_orders
    sent = sum(q for pid, v, q in zip(ch["parent_id"], ch["venue"], ch["qty"], strict=True)
               if pid in inside and v == twin.target)
    return sent, sum(inside.values())


def _recovery(res: RunResult, twin: Twin, parents: list[ParentOrder], *, from_end: bool) -> dict[str, float]:
    """The failure probes' details (:data:`DETAIL_COLUMNS`): who was stranded, how fast the rest filled, rejects."""
    assert twin.window is not None
    start, end = twin.window
    inside = {p.parent_id: (end if from_end else p.arrival_ts_ns) for p in parents if start <= p.arrival_ts_ns < end}
    first: dict[int, int] = {}
    for pid, t in zip(res.fills["parent_id"], res.fills["exec_ts_ns"], strict=True):
        if pid in inside and (pid not in first or t < first[pid]):
            first[pid] = t
    limit = round(FAILOVER_S * 1e9)
    waits = sorted(first[pid] - t0 for pid, t0 in inside.items() if pid in first)
    ch = res.child_orders
    rejected = sum(1 for pid, st in zip(ch["parent_id"], ch["status"], strict=True)
                   if pid in inside and st == "rejected")
    return {"window_parents": len(inside),
            "stranded_parents": sum(1 for pid, t0 in inside.items() if pid not in first or first[pid] - t0 > limit),
            "median_fill_ms": (waits[(len(waits) - 1) // 2] / 1e6) if waits else float("nan"),
            "rejected_children": rejected}


def _early(res: RunResult, twin: Twin, parents: list[ParentOrder]) -> dict[str, float]:
    """``sent_late``'s response for parents arriving in the window's first third instead of its last."""
    assert twin.window is not None
    late_start, end = twin.window
    start = late_start - (end - late_start) * 2  # the late window is the last third of [start, end)
    first_third = Twin(twin.probe, twin.label, twin.param, twin.target, twin.scenario, twin.measure,
                       window=(start, start + (end - late_start)))
    num, den = _sent_late(res, first_third, parents)
    return {"early_value": num / den if den else float("nan")}


DETAILS: dict[str, Callable[[RunResult, Twin, list[ParentOrder]], dict[str, float]]] = {
    "filled_within": lambda res, twin, parents: _recovery(res, twin, parents, from_end=False),
    "filled_after": lambda res, twin, parents: _recovery(res, twin, parents, from_end=True),
    "sent_late": _early,
}
"""The measures with figures behind their findings (:data:`DETAIL_COLUMNS`)."""


MEASURES: dict[str, Callable[[RunResult, Twin, list[ParentOrder]], tuple[float, float]]] = {
    "share_at_target": _share_at_target,
    "share_at_price": _share_at_price,
    "sweep_share": _sweep_share,
    "filled_within": _filled_within,
    "filled_after": _filled_after,
    "share_in_dark": _share_in_dark,
    "sent_late": _sent_late,
    "sent_to_target": _sent_to_target,
}
"""Each twin's response from one simulation: (numerator, denominator); the value is their ratio."""


def _simulate_twin(twin: Twin, routers: Sequence[str], *, seeds: Sequence[int], params: dict[str, Any],
                   parents: list[ParentOrder] | None, registry: RouterRegistry, jobs: int,
                   on_done: Callable[[RunResult], None] | None, executor: TaskExecutor | None) -> list[RunResult]:
    """Every router x seed on one twin, in virtual time; routers behind an external system (``fix``) in real time.

    The real-time ones run one after the other at time factor 1 (keep ``window_s`` short for them: every twin takes
    its whole window of wall time per seed).
    """
    from harness.sim.realtime import RealtimeSettings, requires_realtime

    live = [r for r in routers if requires_realtime(registry.get(r))]
    virtual = [r for r in routers if r not in live]
    out: list[RunResult] = []
    if virtual:
        out += simulate_all(plan_tasks(twin.scenario, virtual, seeds=seeds, params=params, parents=parents,
                                       limits=RouterLimits(), realtime=None), registry, jobs=jobs, on_done=on_done,
                            executor=executor)
    if live:
        out += simulate_all(plan_tasks(twin.scenario, live, seeds=seeds, params=params, parents=parents,
                                       limits=RouterLimits(), realtime=RealtimeSettings()), registry, jobs=1,
                            on_done=on_done)
    order = {r: i for i, r in enumerate(routers)}
    return sorted(out, key=lambda res: (res.seed, order[res.router]))


def run_probes(
    scenario: Scenario, routers: Sequence[str], *, seeds: Sequence[int], registry: RouterRegistry,
    settings: ProbeSettings | None = None, jobs: int = 1, on_done: Callable[[RunResult], None] | None = None,
    twins: list[Twin] | None = None, executor: TaskExecutor | None = None,
) -> tuple[list[Twin], dict[str, list[Any]]]:
    """Every router x seed on every twin; the responses as column lists (:data:`RESPONSE_COLUMNS`).

    A failed simulation keeps its row (``status`` says so, value NaN); the analytics leave it out and count it.
    """
    twins = twins if twins is not None else probe_twins(scenario, settings or ProbeSettings())
    rows: dict[str, list[Any]] = {k: [] for k in RESPONSE_COLUMNS}
    done: dict[tuple[str, Any], list[RunResult]] = {}  # twins sharing a scenario and flow are simulated once
    for i, twin in enumerate(twins):
        params = {r: resolve_router_params(twin.scenario, registry, r, source=twin.label) for r in routers}
        fixed = list(twin.parents) if twin.parents is not None else None
        flows = {seed: fixed if fixed is not None else build_parents(twin.scenario, seed) for seed in seeds}
        measure = MEASURES[twin.measure]
        key = (twin.scenario.sha256(), twin.parents)
        if key not in done:
            done[key] = _simulate_twin(twin, routers, seeds=seeds, params=params, parents=fixed, registry=registry,
                                       jobs=jobs, on_done=on_done, executor=executor)
        for res in done[key]:
            ok = res.status == "ok"
            num, den = measure(res, twin, flows[res.seed]) if ok else (float("nan"), float("nan"))
            value = num / den if den and den == den else float("nan")
            extra = DETAILS[twin.measure](res, twin, flows[res.seed]) if ok and twin.measure in DETAILS else {}
            base = RESPONSE_COLUMNS[:len(RESPONSE_COLUMNS) - len(DETAIL_COLUMNS)]
            for k, v in zip(base, (res.router, twin.probe, i, str(twin.param), twin.target, res.seed, res.status,
                                   twin.measure, value, num, den), strict=True):
                rows[k].append(v)
            for k in DETAIL_COLUMNS:
                rows[k].append(extra.get(k, float("nan")))
    return twins, rows


def check_new_folder(out_dir: Path) -> None:
    """A probe folder is never written over an existing path (``UserError``, one line)."""
    if out_dir.exists():
        raise UserError(f"--out: {out_dir} already exists (a probe folder is written to a new path)")


def write_probe_folder(out_dir: Path, *, scenario: Scenario, routers: Sequence[str], seeds: Sequence[int],
                       settings: ProbeSettings, twins: list[Twin], rows: dict[str, list[Any]],
                       claims: Any = None, claims_file: Path | None = None,
                       reference: str | None = None) -> tuple[Any, Any]:
    """``out_dir/probe/``: responses, fingerprint, claims, twins and ``probe.html``, written whole or not at all.

    Returns the fingerprint and the claims cross-check (None without claims).
    """
    from harness.analytics.claims import cross_check
    from harness.analytics.probe import fingerprint
    from harness.report.probe import render_probe_page
    from harness.workflows.folder import partial_folder

    fp = fingerprint(rows, reference=reference)
    checked = cross_check(claims, fp) if claims is not None else None
    tmp = partial_folder(out_dir)
    try:
        folder = tmp / "probe"
        folder.mkdir()
        pd.DataFrame(rows).to_csv(folder / "responses.csv", index=False, float_format="%.6g", lineterminator="\n")
        fp.to_csv(folder / "fingerprint.csv", index=False, float_format="%.6g", lineterminator="\n")
        described = {
            "scenario": scenario.name, "scenario_sha256": scenario.sha256(), "routers": list(routers),
            "seeds": list(seeds), "settings": asdict(settings), "reference": reference,
            "twins": [{"twin": i, "probe": t.probe, "label": t.label, "param": t.param, "target": t.target,
                       "measure": t.measure, "scenario_sha256": t.scenario.sha256()} for i, t in enumerate(twins)],
        }
        (folder / "twins.json").write_text(json.dumps(described, indent=2, sort_keys=True) + "\n")
        if checked is not None:
            checked.to_csv(folder / "claims.csv", index=False, lineterminator="\n")
        info = dict(described, symbol=twins[0].scenario.symbols[0].name if twins else "",
                    claims_file=str(claims_file) if claims_file else "")
        (folder / "probe.html").write_text(render_probe_page(fp, checked, info), encoding="utf-8")
        check_new_folder(out_dir)
        tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return fp, checked


def read_fingerprint(folder: Path) -> pd.DataFrame:
    """A probe folder's ``probe/fingerprint.csv``, checked (``UserError`` naming the file on anything wrong)."""
    from harness.analytics.probe import FINGERPRINT_COLUMNS

    path = folder / "probe" / "fingerprint.csv"
    if not path.is_file():
        raise UserError(f"{path}: no such file (is {folder} a probe folder?)")
    try:
        fp = pd.read_csv(path, dtype={"param": str, "router": str, "probe": str, "finding": str})
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise UserError(f"{path}: cannot read it ({str(exc).splitlines()[0][:200]})") from None
    missing = [c for c in FINGERPRINT_COLUMNS if c not in fp.columns]
    if missing:
        raise UserError(f"{path}: missing column(s) {', '.join(missing)}")
    if not pd.api.types.is_numeric_dtype(fp["mean"]):
        raise UserError(f"{path}: column mean is not numeric")
    return fp


def is_probe_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a probe's fingerprint (not a run folder)."""
    return (folder / "probe" / "fingerprint.csv").is_file() and not (folder / "manifest.json").is_file()


def compare_probe_folders(a: Path, b: Path, out: Path) -> pd.DataFrame:
    """Which behaviours changed between two probe folders, written to ``out/probe_changes.csv`` (``out`` is new).

    The table is :func:`~harness.analytics.probe.fingerprint_changes`'s.
    """
    from harness.analytics.probe import fingerprint_changes

    changes = fingerprint_changes(read_fingerprint(a), read_fingerprint(b))
    check_new_folder(out)
    try:
        out.mkdir(parents=True)
    except OSError as err:
        raise UserError(f"--out: cannot create {out} ({err.strerror or err})") from None
    changes.to_csv(out / "probe_changes.csv", index=False, float_format="%.6g", lineterminator="\n")
    return changes
