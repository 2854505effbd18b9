"""Runs: every router x seed of a scenario, in-process or in a process pool, written as one run folder.

The run folder appears complete or not at all: everything is written into a hidden temporary folder beside the
destination, hashed into ``manifest.json``, and renamed into place last. Tables are Parquet with integer times and
USD float prices; rows are in a fixed order (seed, router, then time), so a scenario and seed give byte-identical
files whatever ``--jobs`` is.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import multiprocessing
import os
import platform
import shutil
import subprocess
import sys
import traceback
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from adapters.contract import ParentOrder
from adapters.registry import RouterRegistry, builtin_registry
from harness.errors import UserError
from harness.paths import REPO_ROOT
from harness.scenario.routers import resolve_router_params
from harness.scenario.schema import Scenario
from harness.sim.engine import RunResult, build_parents, simulate
from harness.sim.realtime import RealtimeSettings
from harness.sim.router_node import RouterLimits
from venues.types import FEE_SCALE, PRICE_SCALE

PARQUET_OPTIONS: dict[str, Any] = {"compression": "zstd", "use_dictionary": True, "write_statistics": True}


@dataclass(frozen=True)
class Task:
    """One simulation to run."""

    scenario_json: str
    router: str
    params: dict[str, Any]
    seed: int
    parents: tuple[ParentOrder, ...] | None
    limits: RouterLimits | None = None
    realtime: RealtimeSettings | None = None


def _failed(task: Task, why: str, exc: BaseException) -> RunResult:
    """A failed result for a task whose worker did not return one."""
    return RunResult(
        router=task.router, seed=task.seed, status="failed", error=f"router {task.router!r} failed: {why}",
        traceback="".join(traceback.format_exception(exc)),
    )


def _run_task(task: Task, registry: RouterRegistry | None = None) -> RunResult:
    """Worker entry point (also used in-process); ``registry`` defaults to the built-in routers."""
    scenario = Scenario.model_validate_json(task.scenario_json)
    registry = registry or builtin_registry()
    params = registry.get(task.router).Params.model_validate(task.params)
    parents = list(task.parents) if task.parents is not None else None
    return simulate(scenario, task.router, params, task.seed, parents=parents, registry=registry, limits=task.limits,
                    realtime=task.realtime)


@dataclass
class RunOutcome:
    """What a run produced: the folder and the per-(router, seed) results (tables dropped once written)."""

    out_dir: Path
    results: list[RunResult]
    summary: Any


def git_commit(path: Path) -> str | None:
    """The git commit of the source tree at ``path`` (with ``-dirty`` if it has changes), when available."""
    try:
        head = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("-dirty" if dirty else "") if head else None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sorbench")
    except PackageNotFoundError:
        return "0+unknown"


# The installed distributions a run's results depend on (the simulator, the tables, the analytics and the files).
RESULT_PACKAGES = ("simpy", "numpy", "pandas", "pyarrow", "pydantic", "matplotlib", "jinja2", "lxml", "duckdb")


def package_versions() -> dict[str, str | None]:
    """Versions of :data:`RESULT_PACKAGES` (None for one not installed), for the manifest."""
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in RESULT_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run_scenario(
    scenario: Scenario,
    *,
    scenario_path: Path | None,
    routers: Sequence[str],
    seeds: Sequence[int],
    out_dir: Path | None,
    results_root: Path,
    jobs: int = 1,
    parents: list[ParentOrder] | None = None,
    orders_file: Path | None = None,
    registry: RouterRegistry | None = None,
    on_done: Callable[[RunResult], None] | None = None,
    command: Sequence[str] = (),
    limits: RouterLimits | None = None,
    incentive_twins: int = 0,
    analyze_tables: bool = True,
    review_policy: Any = None,
    regulatory: Any = None,
    realtime: RealtimeSettings | None = None,
    report: bool = True,
) -> RunOutcome:
    """Run every router x seed and write the run folder; returns where it went and the summary.

    ``incentive_twins`` > 0 also runs every router x seed on that many twins of the scenario whose venues' payments
    (PFOF and maker rebates) are permuted or scaled while nothing else changes (:func:`payment_twins`), and writes
    each router's venue shares per twin to ``incentive/`` for the conflict analytics. ``analyze_tables`` runs the
    analytics (``tca/``, ``regulatory/``, ``conflict/``) on the folder before it is published, with
    ``review_policy`` (a :class:`~harness.analytics.review.ReviewPolicy`; None: the default policy file) and
    ``regulatory`` (a :class:`~harness.analytics.regulatory.RegulatoryConfig`: broker, customer, period); both are
    recorded in the manifest so that ``sorbench verify`` analyses the re-run the same way. ``realtime`` paces every
    simulation against the wall clock (:mod:`harness.sim.realtime`), one after the other in this process. ``report``
    (with ``analyze_tables``) writes ``report.html`` and ``report.pdf`` (:mod:`harness.report`) before the files are
    hashed.
    """
    from harness.analytics.regulatory import RegulatoryConfig
    from harness.analytics.review import load_policy

    registry = registry or builtin_registry()
    limits = limits or RouterLimits()
    review_policy = review_policy if review_policy is not None else load_policy(None)
    regulatory = regulatory if regulatory is not None else RegulatoryConfig()
    started = _utc_now()
    source = str(scenario_path) if scenario_path else scenario.name
    params = {r: resolve_router_params(scenario, registry, r, source=source) for r in routers}
    if out_dir is None:
        stamp = started.strftime("%Y%m%dT%H%M%SZ")
        out_dir = results_root / f"{scenario.name}-{stamp}"
        n = 1
        while out_dir.exists():
            n += 1
            out_dir = results_root / f"{scenario.name}-{stamp}-{n}"
    out_dir = out_dir.resolve()
    if out_dir.exists():
        raise UserError(f"{out_dir}: output folder already exists (choose another --out)")
    _check_writable(out_dir.parent)

    scenario_json = scenario.model_dump_json()
    frozen = tuple(parents) if parents is not None else None
    tasks = [
        Task(scenario_json, r, params[r].model_dump(mode="json"), seed, frozen, limits, realtime)
        for seed in seeds for r in routers
    ]
    # Real time: one simulation at a time, in this process (each takes its window in wall time anyway).
    results = _simulate_all(tasks, registry, 1 if realtime is not None else jobs, on_done)
    twins: list[dict[str, Any]] = []
    shares: dict[str, list[Any]] = {}
    if incentive_twins:
        twins, shares = _incentive_test(scenario, tasks, results, registry, jobs, incentive_twins, on_done)

    flows = {seed: (list(parents) if parents is not None else build_parents(scenario, seed)) for seed in seeds}
    tmp = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
    except OSError as err:
        raise UserError(f"{out_dir}: cannot write the run folder: {err.strerror or err}") from None
    try:
        summary = _write_folder(tmp, scenario, results, flows)
        if incentive_twins:
            (tmp / "incentive").mkdir()
            _write(tmp / "incentive" / "venue_shares.parquet", pa.table({
                "router": pa.array(shares["router"], pa.string()), "twin": pa.array(shares["twin"], pa.int64()),
                "seed": pa.array(shares["seed"], pa.int64()), "venue": pa.array(shares["venue"], pa.string()),
                "routed_shares": pa.array(shares["routed_shares"], pa.int64()),
                "payment_usd": pa.array(shares["payment_usd"], pa.float64()),
            }))
            (tmp / "incentive" / "twins.json").write_text(json.dumps(twins, indent=2) + "\n", encoding="utf-8")
        manifest: dict[str, Any] = {
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
            "orders_file_sha256": _sha256(orders_file) if orders_file else None,
            "seeds": list(seeds),
            "routers": [
                {"name": r, "origin": registry.origin(r), "params": params[r].model_dump(mode="json")} for r in routers
            ],
            "jobs": jobs,
            "router_limits": {
                "callback_timeout_s": limits.callback_timeout_s,
                "decision_latency": limits.decision_latency,
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
        manifest_path = tmp / "manifest.json"
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")  # the analytics read it
        manifest["analysis"] = _analyze(tmp, review_policy, regulatory) if analyze_tables else "skipped"
        if analyze_tables and report:
            manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")  # the report reads it
            manifest["report"] = _report(tmp, out_dir)
        else:
            manifest["report"] = "skipped"
        manifest["finished_utc"] = _utc_now().isoformat()
        manifest["files"] = {
            str(p.relative_to(tmp)): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file() and p != manifest_path
        }
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, out_dir)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"{out_dir}: cannot write the run folder: {err.strerror or err}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    for res in results:  # the tables now live in the folder
        res.child_orders = res.fills = res.nbbo = res.trades = res.quotes = res.activity = {}
        res.fast_trader_fills = {}
        res.extra_tables = {}
        res.extra_files = {}
    return RunOutcome(out_dir=out_dir, results=results, summary=summary)


def _simulate_all(
    tasks: list[Task], registry: RouterRegistry, jobs: int, on_done: Callable[[RunResult], None] | None
) -> list[RunResult]:
    """Run the tasks in order (in-process, or in ``jobs`` spawned workers); a failing router never raises here."""
    results: list[RunResult] = []
    if jobs <= 1 or len(tasks) == 1:
        for t in tasks:
            res = _run_task(t, registry)
            results.append(res)
            if on_done:
                on_done(res)
        return results
    ctx = multiprocessing.get_context("spawn")
    broken: list[int] = []
    done: dict[int, RunResult] = {}
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks)), mp_context=ctx) as pool:
        # The registry travels to the workers by reference (its router classes must be importable there).
        futures = [pool.submit(_run_task, t, registry) for t in tasks]
        for i, fut in enumerate(futures):
            try:
                done[i] = fut.result()
            except BrokenProcessPool:
                broken.append(i)  # some worker died; which task killed it is not known yet
            except Exception as exc:
                done[i] = _failed(tasks[i], f"worker raised {type(exc).__name__}: {exc}", exc)
            if i in done and on_done:
                on_done(done[i])
    # A router that kills its process (os._exit, a crash in native code) breaks the whole pool: rerun each
    # unfinished task alone in a fresh worker, so that only the culprit fails.
    for i in broken:
        with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as solo:
            try:
                done[i] = solo.submit(_run_task, tasks[i], registry).result()
            except Exception as exc:
                done[i] = _failed(tasks[i], f"its worker process died ({type(exc).__name__})", exc)
        if on_done:
            on_done(done[i])
    return [done[i] for i in range(len(tasks))]


def venue_payment_usd(venue: Any) -> float:
    """What a venue pays the broker per share for the flow it wants: PFOF (wholesalers) plus the maker rebate."""
    return float(venue.fees.pfof_usd + max(0.0, -venue.fees.make_usd))


def payment_twins(scenario: Scenario, n: int) -> list[tuple[str, Scenario]]:
    """``n`` twins of ``scenario`` whose venues' payments are permuted or scaled, nothing else changed.

    In order: payments rotated by one venue (PFOF among the wholesalers, maker rebates among the lit venues that pay
    one), all payments x 0.5, all x 1.5 (capped at $0.01 per share), then rotations by 2, 3, ... Take fees, venue
    rules and every participant are unchanged, so a router whose venue mix moves between twins is following the money.
    """
    venues = scenario.venues
    pfof_idx = [i for i, v in enumerate(venues) if v.fees.pfof_usd > 0]
    rebate_idx = [i for i, v in enumerate(venues) if v.fees.make_usd < 0]

    def build(label: str, pfof: dict[int, float], make: dict[int, float]) -> tuple[str, Scenario]:
        new_venues = []
        for i, v in enumerate(venues):
            fees = v.fees.model_copy(update={
                "pfof_usd": round(pfof.get(i, v.fees.pfof_usd), 6), "make_usd": round(make.get(i, v.fees.make_usd), 6),
            })
            new_venues.append(v.model_copy(update={"fees": fees}))
        return label, scenario.model_copy(update={"venues": new_venues})

    def rotate(k: int) -> tuple[str, Scenario]:
        pf = {i: venues[pfof_idx[(j + k) % len(pfof_idx)]].fees.pfof_usd for j, i in enumerate(pfof_idx)}
        mk = {i: venues[rebate_idx[(j + k) % len(rebate_idx)]].fees.make_usd for j, i in enumerate(rebate_idx)}
        return build(f"payments rotated by {k}", pf, mk)

    def scale(f: float) -> tuple[str, Scenario]:
        pf = {i: min(venues[i].fees.pfof_usd * f, 0.01) for i in pfof_idx}
        mk = {i: max(venues[i].fees.make_usd * f, -0.01) for i in rebate_idx}
        return build(f"payments x {f:g}", pf, mk)

    plan: list[Callable[[], tuple[str, Scenario]]] = [lambda: rotate(1), lambda: scale(0.5), lambda: scale(1.5)]
    k = 2
    while len(plan) < n:
        plan.append(lambda k=k: rotate(k))  # type: ignore[misc]
        k += 1
    return [make() for make in plan[:n]]


def _incentive_test(
    scenario: Scenario, tasks: list[Task], baseline: list[RunResult], registry: RouterRegistry, jobs: int, n: int,
    on_done: Callable[[RunResult], None] | None,
) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    """Rerun every task on ``n`` payment twins; per router, twin, seed and venue: routed shares and payment."""
    twins = [("baseline", scenario), *payment_twins(scenario, n)]
    rows: dict[str, list[Any]] = {k: [] for k in ("router", "twin", "seed", "venue", "routed_shares", "payment_usd")}
    described = []
    for twin_id, (label, twin) in enumerate(twins):
        pay = {v.name: venue_payment_usd(v) for v in twin.venues}
        described.append({"twin": twin_id, "label": label, "payment_usd": pay})
        if twin_id == 0:
            results = baseline
        else:
            twin_json = twin.model_dump_json()
            results = _simulate_all(
                [Task(twin_json, t.router, t.params, t.seed, t.parents, t.limits) for t in tasks], registry, jobs,
                on_done,
            )
        for res in results:
            if res.status != "ok":
                continue
            routed: dict[str, int] = dict.fromkeys(pay, 0)
            for venue, qty in zip(res.child_orders["venue"], res.child_orders["qty"], strict=True):
                routed[venue] += qty
            for venue, q in routed.items():
                for k, v in (("router", res.router), ("twin", twin_id), ("seed", res.seed), ("venue", venue),
                             ("routed_shares", q), ("payment_usd", pay[venue])):
                    rows[k].append(v)
    return described, rows


def regulatory_manifest(config: Any) -> dict[str, Any]:
    """The manifest's record of a :class:`~harness.analytics.regulatory.RegulatoryConfig` (JSON types)."""
    return {
        "broker": config.broker, "customer": config.customer,
        "designated_participant": config.designated_participant, "entity_codes": dict(config.entity_codes),
        "period": config.period.isoformat() if config.period else None, "timestamp": config.timestamp,
    }


def regulatory_from_manifest(record: dict[str, Any] | None) -> Any:
    """The :class:`~harness.analytics.regulatory.RegulatoryConfig` a manifest recorded (defaults when absent)."""
    from harness.analytics.regulatory import RegulatoryConfig

    if not record:
        return RegulatoryConfig()
    period = dt.date.fromisoformat(record["period"]) if record.get("period") else None
    return RegulatoryConfig(
        broker=record["broker"], customer=record["customer"],
        designated_participant=record["designated_participant"], entity_codes=dict(record.get("entity_codes") or {}),
        period=period, timestamp=record.get("timestamp"),
    )


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


def _report(folder: Path, run_path: Path) -> str:
    """Write the run's report into its finished folder; a report failure is recorded, never loses the simulations."""
    try:
        from harness.report import build_report, report_status

        return str(report_status(build_report(folder, run_path=run_path)))
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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _price_usd(values: list[int | None]) -> pa.Array:
    return pa.array([None if v is None else v / PRICE_SCALE for v in values], type=pa.float64())


def _write(path: Path, table: pa.Table) -> None:
    pq.write_table(table, path, **PARQUET_OPTIONS)


def _concat(results: list[RunResult], attr: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for res in results:
        for k, v in getattr(res, attr).items():
            out.setdefault(k, []).extend(v)
    return out


def _write_extras(folder: Path, results: list[RunResult]) -> None:
    """Router-specific tables (concatenated over runs, with router and seed columns) and files (one folder per run)."""
    tables: dict[str, dict[str, list[Any]]] = {}
    for res in results:
        for rel, cols in res.extra_tables.items():
            n = len(next(iter(cols.values()), []))
            out = tables.setdefault(rel, {"router": [], "seed": []})
            out["router"] += [res.router] * n
            out["seed"] += [res.seed] * n
            for k, v in cols.items():
                out.setdefault(k, []).extend(v)
        for rel, data in res.extra_files.items():
            p = Path(rel)
            dest = folder / p.parent / f"{res.router}-seed{res.seed}" / p.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
    for rel, cols in tables.items():
        dest = folder / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        _write(dest, pa.table(cols))


def _write_folder(
    folder: Path, scenario: Scenario, results: list[RunResult], flows: dict[int, list[ParentOrder]]
) -> Any:
    from harness.analytics.summary import summarize

    ok = [r for r in results if r.status == "ok" or r.partial]  # a partial run's tables are kept (manifest says so)
    parents_cols: dict[str, list[Any]] = {k: [] for k in (
        "seed", "parent_id", "symbol", "side", "order_type", "qty", "limit_price", "arrival_ts_ns")}
    for seed, flow in flows.items():
        for p in flow:
            parents_cols["seed"].append(seed)
            parents_cols["parent_id"].append(p.parent_id)
            parents_cols["symbol"].append(p.symbol)
            parents_cols["side"].append(p.side.name.lower())
            parents_cols["order_type"].append(p.order_type.value)
            parents_cols["qty"].append(p.qty)
            parents_cols["limit_price"].append(p.limit_price)
            parents_cols["arrival_ts_ns"].append(p.arrival_ts_ns)
    parents_tbl = pa.table({
        "seed": pa.array(parents_cols["seed"], pa.int64()),
        "parent_id": pa.array(parents_cols["parent_id"], pa.int64()),
        "symbol": pa.array(parents_cols["symbol"], pa.string()),
        "side": pa.array(parents_cols["side"], pa.string()),
        "order_type": pa.array(parents_cols["order_type"], pa.string()),
        "qty": pa.array(parents_cols["qty"], pa.int64()),
        "limit_price": _price_usd(parents_cols["limit_price"]),
        "arrival_ts_ns": pa.array(parents_cols["arrival_ts_ns"], pa.int64()),
    })
    _write(folder / "parent_orders.parquet", parents_tbl)

    ch = _concat(ok, "child_orders")
    child_tbl = pa.table({
        "router": pa.array(ch.get("router", []), pa.string()),
        "seed": pa.array(ch.get("seed", []), pa.int64()),
        "child_id": pa.array(ch.get("child_id", []), pa.int64()),
        "parent_id": pa.array(ch.get("parent_id", []), pa.int64()),
        "venue": pa.array(ch.get("venue", []), pa.string()),
        "symbol": pa.array(ch.get("symbol", []), pa.string()),
        "side": pa.array(ch.get("side", []), pa.string()),
        "order_type": pa.array(ch.get("order_type", []), pa.string()),
        "tif": pa.array(ch.get("tif", []), pa.string()),
        "post_only": pa.array(ch.get("post_only", []), pa.bool_()),
        "iso": pa.array(ch.get("iso", []), pa.bool_()),
        "midpoint_peg": pa.array(ch.get("midpoint_peg", []), pa.bool_()),
        "display_qty": pa.array(ch.get("display_qty", []), pa.int64()),
        "min_qty": pa.array(ch.get("min_qty", []), pa.int64()),
        "qty": pa.array(ch.get("qty", []), pa.int64()),
        "limit_price": _price_usd(ch.get("limit_price", [])),
        "sent_ts_ns": pa.array(ch.get("sent_ts_ns", []), pa.int64()),
        "venue_ts_ns": pa.array(ch.get("venue_ts_ns", []), pa.int64()),
        "filled_qty": pa.array(ch.get("filled_qty", []), pa.int64()),
        "cancelled_qty": pa.array(ch.get("cancelled_qty", []), pa.int64()),
        "status": pa.array(ch.get("status", []), pa.string()),
        "reject_reason": pa.array(ch.get("reject_reason", []), pa.string()),
    })
    _write(folder / "child_orders.parquet", child_tbl)

    f = _concat(ok, "fills")
    fills_tbl = pa.table({
        "router": pa.array(f.get("router", []), pa.string()),
        "seed": pa.array(f.get("seed", []), pa.int64()),
        "parent_id": pa.array(f.get("parent_id", []), pa.int64()),
        "child_id": pa.array(f.get("child_id", []), pa.int64()),
        "venue": pa.array(f.get("venue", []), pa.string()),
        "symbol": pa.array(f.get("symbol", []), pa.string()),
        "side": pa.array(f.get("side", []), pa.string()),
        "exec_ts_ns": pa.array(f.get("exec_ts_ns", []), pa.int64()),
        "qty": pa.array(f.get("qty", []), pa.int64()),
        "price": _price_usd(f.get("price", [])),
        "liquidity": pa.array(f.get("liquidity", []), pa.string()),
        "fee_usd": pa.array([m / FEE_SCALE for m in f.get("fee_micros", [])], pa.float64()),
        "rebate_usd": pa.array([m / FEE_SCALE for m in f.get("rebate_micros", [])], pa.float64()),
        "pfof_usd": pa.array([m / FEE_SCALE for m in f.get("pfof_micros", [])], pa.float64()),
    })
    _write(folder / "fills.parquet", fills_tbl)

    nb = _concat(ok, "nbbo")
    nbbo_tbl = pa.table({
        "router": pa.array(nb.get("router", []), pa.string()),
        "seed": pa.array(nb.get("seed", []), pa.int64()),
        "symbol": pa.array(nb.get("symbol", []), pa.string()),
        "ts_ns": pa.array(nb.get("ts_ns", []), pa.int64()),
        "bid": _price_usd(nb.get("bid", [])),
        "bid_size": pa.array(nb.get("bid_size", []), pa.int64()),
        "ask": _price_usd(nb.get("ask", [])),
        "ask_size": pa.array(nb.get("ask_size", []), pa.int64()),
    })
    _write(folder / "nbbo.parquet", nbbo_tbl)

    tr = _concat(ok, "trades")
    trades_tbl = pa.table({
        "router": pa.array(tr.get("router", []), pa.string()),
        "seed": pa.array(tr.get("seed", []), pa.int64()),
        "symbol": pa.array(tr.get("symbol", []), pa.string()),
        "venue": pa.array(tr.get("venue", []), pa.string()),
        "ts_ns": pa.array(tr.get("ts_ns", []), pa.int64()),
        "price": _price_usd(tr.get("price", [])),
        "qty": pa.array(tr.get("qty", []), pa.int64()),
        "aggressor": pa.array(tr.get("aggressor", []), pa.string()),
        "router_involved": pa.array(tr.get("router_involved", []), pa.bool_()),
    })
    _write(folder / "trades.parquet", trades_tbl)

    qt = _concat(ok, "quotes")
    quotes_tbl = pa.table({
        "router": pa.array(qt.get("router", []), pa.string()),
        "seed": pa.array(qt.get("seed", []), pa.int64()),
        "venue": pa.array(qt.get("venue", []), pa.string()),
        "symbol": pa.array(qt.get("symbol", []), pa.string()),
        "ts_ns": pa.array(qt.get("ts_ns", []), pa.int64()),
        "bid": _price_usd(qt.get("bid", [])),
        "bid_size": pa.array(qt.get("bid_size", []), pa.int64()),
        "ask": _price_usd(qt.get("ask", [])),
        "ask_size": pa.array(qt.get("ask_size", []), pa.int64()),
    })
    _write(folder / "quotes.parquet", quotes_tbl)
    ac = _concat(ok, "activity")
    activity_tbl = pa.table({
        "router": pa.array(ac.get("router", []), pa.string()),
        "seed": pa.array(ac.get("seed", []), pa.int64()),
        "venue": pa.array(ac.get("venue", []), pa.string()),
        "symbol": pa.array(ac.get("symbol", []), pa.string()),
        **{k: pa.array(ac.get(k, []), pa.int64()) for k in (
            "messages", "new_orders", "cancels", "replaces", "passive_orders", "passive_orders_filled")},
    })
    _write(folder / "activity.parquet", activity_tbl)
    ft = _concat(ok, "fast_trader_fills")
    _write(folder / "fast_trader_fills.parquet", pa.table({
        "router": pa.array(ft.get("router", []), pa.string()),
        "seed": pa.array(ft.get("seed", []), pa.int64()),
        "ts_ns": pa.array(ft.get("ts_ns", []), pa.int64()),
        "venue": pa.array(ft.get("venue", []), pa.string()),
        "symbol": pa.array(ft.get("symbol", []), pa.string()),
        "side": pa.array(ft.get("side", []), pa.string()),
        "qty": pa.array(ft.get("qty", []), pa.int64()),
        "price": _price_usd(ft.get("price", [])),
    }))

    _write_extras(folder, ok)
    failed = [r for r in results if r.status != "ok"]
    if failed:
        fdir = folder / "failures"
        fdir.mkdir()
        for r in failed:
            (fdir / f"{r.router}-seed{r.seed}.txt").write_text(f"{r.error}\n\n{r.traceback}", encoding="utf-8")

    import pandas as pd

    from harness.analytics.market_stats import market_stats_by_run, nbbo_as_quotes

    market = market_stats_by_run(
        quotes=pd.concat([quotes_tbl.to_pandas(), nbbo_as_quotes(nbbo_tbl.to_pandas())], ignore_index=True),
        trades=trades_tbl.to_pandas(), activity=activity_tbl.to_pandas(),
        ticks={s.name: s.tick / PRICE_SCALE for s in scenario.symbols},
        window=(scenario.session.start_ns, scenario.session.end_ns),
    )
    market.to_csv(folder / "market_stats.csv", index=False, float_format="%.6g", lineterminator="\n")

    summary = summarize(parents_tbl.to_pandas(), fills_tbl.to_pandas(), nbbo_tbl.to_pandas(), results)
    summary.to_csv(folder / "summary.csv", index=False, float_format="%.6g", lineterminator="\n")
    return summary
