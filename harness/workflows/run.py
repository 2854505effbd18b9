"""Runs: every router x seed of a scenario, in-process or in a process pool, written as one run folder.

The run folder appears complete or not at all: everything is written into a hidden temporary folder beside the
destination, hashed into ``manifest.json``, and renamed into place last. Tables are Parquet with integer times and
USD float prices; rows are in a fixed order (seed, router, then time), so a scenario and seed give byte-identical
files whatever ``--jobs`` is.

This module plans a run and puts its steps together: the simulations (:mod:`harness.workflows.tasks`), the incentive
test's payment twins (:mod:`harness.workflows.incentive`), the folder's files (:mod:`harness.workflows.folder`), the
manifest with the run's provenance (:mod:`harness.workflows.provenance`), the analytics and the report.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from adapters.contract import ParentOrder
from adapters.loader import source_sha256
from adapters.registry import RouterRegistry, builtin_registry
from harness.errors import UserError
from harness.paths import REPO_ROOT
from harness.report.provenance import BODY_HASH, manifest_body_sha256
from harness.scenario.routers import resolve_router_params
from harness.scenario.schema import Scenario
from harness.sim.engine import RunResult, build_parents
from harness.sim.realtime import RealtimeSettings
from harness.sim.router_node import RouterLimits
from harness.workflows.common import COMMON_ROUTER, common_manifest
from harness.workflows.folder import (
    partial_folder,
    stale_partial_folders,
    write_common_market,
    write_incentive,
    write_run_tables,
)
from harness.workflows.incentive import incentive_test, payment_twins, venue_payment_usd
from harness.workflows.provenance import RESULT_PACKAGES, git_commit, package_versions, sha256_file, utc_now
from harness.workflows.provenance import sorbench_version as _version
from harness.workflows.tasks import TaskExecutor, plan_common_tasks, plan_tasks, simulate_all

# Also importable from here, where they used to live: the provenance helpers (harness.workflows.provenance) and the
# incentive test's payment twins (harness.workflows.incentive).
__all__ = [
    "RESULT_PACKAGES", "RunOutcome", "_version", "git_commit", "package_versions", "payment_twins", "run_scenario",
    "venue_payment_usd",
]


@dataclass
class RunOutcome:
    """What a run produced: the folder and the per-(router, seed) results (tables dropped once written)."""

    out_dir: Path
    results: list[RunResult]
    summary: Any
    failures: list[str] = field(default_factory=list)
    """One line per failure (a (router, seed) simulation, the analytics, the report); empty: the run is complete."""
    stale: list[str] = field(default_factory=list)
    """Hidden partial folders beside the run left by killed runs (:func:`stale_partial_folders`), to report."""

    @property
    def partial(self) -> bool:
        """Some simulation, the analytics or the report failed (the folder holds the rest; ``manifest.partial``)."""
        return bool(self.failures)


def run_scenario(
    scenario: Scenario,
    *,
    scenario_path: Path | None,
    routers: Sequence[str],
    seeds: Sequence[int],
    out_dir: Path | None,
    results_root: Path,
    jobs: int = 1, executor: TaskExecutor | None = None,
    parents: list[ParentOrder] | None = None,
    orders_file: Path | None = None, symbol_map: dict[str, str] | None = None, registry: RouterRegistry | None = None,
    on_done: Callable[[RunResult], None] | None = None, on_phase: Callable[[str], None] | None = None,
    command: Sequence[str] = (), limits: RouterLimits | None = None,
    incentive_twins: int = 0, analyze_tables: bool = True,
    review_policy: Any = None, regulatory: Any = None, realtime: RealtimeSettings | None = None,
    report: bool = True, pdf: bool = True,
) -> RunOutcome:
    """Run every router x seed and write the run folder; returns where it went and the summary.

    ``incentive_twins`` > 0 also runs every router x seed on that many twins per payment channel (PFOF, maker
    rebates, take fees) whose venues' payments on that channel are permuted while nothing else changes
    (:func:`payment_twins`), and writes each router's venue shares per twin to ``incentive/`` for the conflict
    analytics. ``analyze_tables`` runs the analytics (``tca/``, ``regulatory/``, ``conflict/``) on the folder, with
    ``review_policy`` (a :class:`~harness.analytics.review.ReviewPolicy`; None: the default policy file) and
    ``regulatory`` (a :class:`~harness.analytics.regulatory.RegulatoryConfig`: broker, customer, period); both are
    recorded in the manifest so that ``sorbench verify`` analyses the re-run the same way. ``realtime`` paces every
    simulation against the wall clock (:mod:`harness.sim.realtime`), one after the other in this process. ``report``
    (with ``analyze_tables``) writes ``report.html`` and, with ``pdf``, ``report.pdf`` (:mod:`harness.report`) before
    the files are hashed. ``on_phase`` hears each phase's name as it starts (:data:`PHASES`). ``symbol_map`` (which read
    ``orders_file``) goes into the manifest, for ``verify``. ``executor`` (None: this machine, ``jobs`` processes)
    runs the simulations elsewhere, on a Dask cluster (:mod:`harness.workflows.executor`), with the same results.
    """
    (phase := on_phase or (lambda _name: None))("simulating")
    registry, limits, review_policy, regulatory = _with_defaults(
        registry, limits, review_policy=review_policy, regulatory=regulatory)
    started = utc_now()
    source = str(scenario_path) if scenario_path else scenario.name
    params = {r: resolve_router_params(scenario, registry, r, source=source) for r in routers}
    out_dir = _destination(out_dir, results_root, scenario_name=scenario.name, started=started)

    tasks = plan_tasks(scenario, routers, seeds=seeds, params=params, parents=parents, limits=limits, realtime=realtime)
    results, common = _simulate(tasks, plan_common_tasks(scenario, seeds), registry,
                                jobs=1 if realtime is not None else jobs, on_done=on_done,
                                executor=None if realtime is not None else executor)
    twins: list[dict[str, Any]] = []
    shares: dict[str, list[Any]] = {}
    if incentive_twins:
        twins, shares = incentive_test(scenario, tasks, baseline=results, registry=registry, jobs=jobs,
                                       n=incentive_twins, on_done=on_done, executor=executor)

    phase("writing tables")
    flows = {seed: (list(parents) if parents is not None else build_parents(scenario, seed)) for seed in seeds}
    tmp = partial_folder(out_dir)
    try:
        summary = write_run_tables(tmp, scenario, results=results, flows=flows)
        write_common_market(tmp, common)
        if incentive_twins:
            write_incentive(tmp, twins=twins, shares=shares)
        manifest = _manifest(
            scenario, scenario_path=scenario_path, orders_file=orders_file, seeds=seeds, routers=routers,
            registry=registry, params=params, jobs=jobs, limits=limits, realtime=realtime, executor=executor,
            incentive_twins=incentive_twins, review_policy=review_policy, regulatory=regulatory, started=started,
            results=results, command=command, symbol_map=symbol_map,
        )
        manifest["common_market"] = common_manifest(common)
        twin_failures = [f"incentive twin {t['twin']} ({t['label']}): {line}" for t in twins
                         for line in t.get("failed_runs", ())]
        if twin_failures:
            manifest["incentive_failures"] = twin_failures
        failures = _publish(tmp, out_dir, manifest=manifest, analyze_tables=analyze_tables, report=report, pdf=pdf,
                            review_policy=review_policy, regulatory=regulatory, phase=phase)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"{out_dir}: cannot write the run folder: {err.strerror or err}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _drop_tables(results)
    return RunOutcome(out_dir=out_dir, results=results, summary=summary, failures=failures,
                      stale=stale_partial_folders(out_dir.parent))


PHASES = ("simulating", "writing tables", "analysing", "writing report", "hashing files")
"""The phases of :func:`run_scenario` in order, the names its ``on_phase`` hears (a progress display shows them)."""


def _simulate(
    tasks: list[Any], common: list[Any], registry: RouterRegistry, *, jobs: int,
    on_done: Callable[[RunResult], None] | None, executor: TaskExecutor | None = None,
) -> tuple[list[RunResult], list[RunResult]]:
    """The routers' simulations and the common market's (one per seed), in one pool; ``on_done`` sees the routers'.

    Real time (``jobs`` 1) runs them one after the other in this process; the common market is virtual time anyway.
    """
    def done(res: RunResult) -> None:
        if on_done is not None and res.router != COMMON_ROUTER:
            on_done(res)

    every = simulate_all([*tasks, *common], registry, jobs=jobs, on_done=done if on_done is not None else None,
                         executor=executor)
    return every[:len(tasks)], every[len(tasks):]


def _with_defaults(
    registry: RouterRegistry | None, limits: RouterLimits | None, *, review_policy: Any, regulatory: Any
) -> tuple[RouterRegistry, RouterLimits, Any, Any]:
    """The built-in routers, default limits, the default review policy file and default regulatory settings for None."""
    from harness.analytics.regulatory import RegulatoryConfig
    from harness.analytics.review_policy import load_policy

    registry = registry or builtin_registry()
    limits = limits or RouterLimits()
    review_policy = review_policy if review_policy is not None else load_policy(None)
    regulatory = regulatory if regulatory is not None else RegulatoryConfig()
    return registry, limits, review_policy, regulatory


def _destination(out_dir: Path | None, results_root: Path, *, scenario_name: str, started: dt.datetime) -> Path:
    """The run folder (default ``<results_root>/<scenario>-<UTC time>``, with a counter if taken): new and writable."""
    if out_dir is None:
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        out_dir = results_root / f"{scenario_name}-{stamp}"
        n = 1
        while out_dir.exists():
            n += 1
            out_dir = results_root / f"{scenario_name}-{stamp}-{n}"
    out_dir = out_dir.resolve()
    if out_dir.exists():
        raise UserError(f"{out_dir}: output folder already exists (choose another --out)")
    _check_writable(out_dir.parent)
    return out_dir


def _manifest(
    scenario: Scenario, *, scenario_path: Path | None, orders_file: Path | None, seeds: Sequence[int],
    routers: Sequence[str], registry: RouterRegistry, params: dict[str, Any], jobs: int,
    executor: TaskExecutor | None, limits: RouterLimits,
    realtime: RealtimeSettings | None, incentive_twins: int, review_policy: Any, regulatory: Any,
    started: dt.datetime, results: list[RunResult], command: Sequence[str], symbol_map: dict[str, str] | None = None,
) -> dict[str, Any]:
    """``manifest.json`` before the analytics: provenance, resolved inputs, run settings and each run's stats."""
    from harness.analytics.regulatory_settings import regulatory_manifest

    return {
        "sorbench_version": _version(),
        "git_commit": git_commit(REPO_ROOT),
        "python": sys.version.split()[0],
        "packages": package_versions(),
        "platform": platform.platform(),
        "command": list(command),
        "scenario_file": str(scenario_path) if scenario_path else None,
        "scenario_sha256": scenario.sha256(),
        "scenario": scenario.model_dump(mode="json"),
        "orders_file": str(orders_file) if orders_file else None,
        "orders_file_sha256": sha256_file(orders_file) if orders_file else None,
        "orders_symbol_map": dict(symbol_map) if symbol_map else None,
        "seeds": list(seeds),
        "routers": [
            {"name": r, "origin": registry.origin(r), "source_sha256": source_sha256(registry.get(r)),
             "params": params[r].model_dump(mode="json")} for r in routers
        ],
        "jobs": jobs,
        "executor": executor.description if executor is not None and realtime is None else "local",
        "router_limits": {
            "callback_timeout_s": limits.callback_timeout_s,
            "decision_latency": limits.decision_latency,
            "router_process": limits.router_process,
            "router_memory_bytes": limits.router_memory_bytes,
            "router_cpu_s": limits.router_cpu_s,
            "router_requests_per_callback": limits.router_requests_per_callback,
            "reproducible": limits.decision_latency != "measured" and realtime is None,
        },
        "realtime": realtime.describe() if realtime is not None else None,
        "incentive_twins": incentive_twins,
        "review_policy": review_policy.model_dump(mode="json"),
        "regulatory": regulatory_manifest(regulatory),
        "started_utc": started.isoformat(),
        "runs": [
            {"router": res.router, "seed": res.seed, "status": res.status, "error": res.error or None,
             **({"partial": True} if res.partial else {}),
             **{k: (round(v, 6) if isinstance(v, float) else v) for k, v in res.stats.items()}}
            for res in results
        ],
    }


def _publish(
    tmp: Path, out_dir: Path, *, manifest: dict[str, Any], analyze_tables: bool, report: bool, pdf: bool = True,
    review_policy: Any, regulatory: Any, phase: Callable[[str], None] = lambda _name: None,
) -> list[str]:
    """Analyse and report the written folder, hash its files into the manifest and rename it to ``out_dir``.

    Returns the run's failures (:func:`run_failures`), which the manifest also records (``partial``, ``failures``).
    """
    manifest_path = tmp / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")  # the analytics read it
    if analyze_tables:
        phase("analysing")
    manifest["analysis"] = _analyze(tmp, review_policy, regulatory) if analyze_tables else "skipped"
    if analyze_tables and report:
        phase("writing report")
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")  # the report reads it
        manifest["report"] = _report(tmp, out_dir, pdf=pdf)
    else:
        manifest["report"] = "skipped"
    failures = run_failures(manifest)
    manifest["partial"] = bool(failures)
    manifest["failures"] = failures
    manifest["finished_utc"] = utc_now().isoformat()
    phase("hashing files")
    manifest["files"] = {
        str(p.relative_to(tmp)): sha256_file(p) for p in sorted(tmp.rglob("*")) if p.is_file() and p != manifest_path
    }
    manifest[BODY_HASH] = manifest_body_sha256(manifest)  # last: the canonical hash of every other field
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, out_dir)
    return failures


def run_failures(manifest: dict[str, Any]) -> list[str]:
    """One line per failure a manifest records: each failed (router, seed) simulation, the analytics, the report."""
    lines = [f"{r['router']} seed {r['seed']}: {r.get('error') or 'failed'}"
             for r in manifest.get("runs", []) if r.get("status") != "ok"]
    lines += [f"common market seed {r['seed']}: {r.get('error') or 'failed'}"
              for r in (manifest.get("common_market") or {}).get("runs", []) if r.get("status") != "ok"]
    lines += list(manifest.get("incentive_failures") or ())
    for step, name, file in (("analysis", "analytics", "analysis"), ("report", "report", "report")):
        value = str(manifest.get(step, ""))
        if value.startswith("failed"):
            lines.append(f"{name} {value} (traceback: failures/{file}.txt)")
    return lines


def _drop_tables(results: list[RunResult]) -> None:
    """Let go of the results' tables once the folder holds them."""
    for res in results:  # the tables now live in the folder
        res.child_orders = res.fills = res.nbbo = res.trades = res.quotes = res.activity = {}
        res.fast_trader_fills = {}
        res.extra_tables = {}
        res.extra_files = {}


def _analyze(folder: Path, policy: Any = None, regulatory: Any = None) -> str:
    """Run the analytics on a finished folder; an analytics failure is recorded, never loses the simulations."""
    try:
        from harness.analytics import analyze

        analyze(folder, policy=policy, regulatory=regulatory)
    except Exception as exc:
        (folder / "failures").mkdir(exist_ok=True)
        (folder / "failures" / "analysis.txt").write_text(traceback.format_exc(), encoding="utf-8")
        return f"failed: {type(exc).__name__}: {exc}"
    return "ok"


def _report(folder: Path, run_path: Path, *, pdf: bool = True) -> str:
    """Write the run's report (``report.pdf`` too with ``pdf``) into its finished folder.

    A report failure is recorded, never loses the simulations.
    """
    try:
        from harness.report import build_report, report_status

        return str(report_status(build_report(folder, run_path=run_path, pdf=pdf)))
    except Exception as exc:
        (folder / "failures").mkdir(exist_ok=True)
        (folder / "failures" / "report.txt").write_text(traceback.format_exc(), encoding="utf-8")
        return f"failed: {type(exc).__name__}: {exc}"


def _check_writable(folder: Path) -> None:
    """Create ``folder`` if needed and make sure files can be written there, before any simulation runs."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise UserError(f"{folder}: cannot create the output location: {err.strerror or err}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"{folder}: the output location is not writable")
