"""Scenario suites: ``sorbench run --suite FILE`` runs several scenarios into one bundle with one report.

A suite file is strict TOML (unknown keys are errors; every value is checked with the field named)::

    name = "onboarding"
    description = "..."

    [[run]]
    scenario = "../default.toml"      # relative to the suite file
    seeds = 2                         # a count (from the scenario's seed upward) or a list: [1, 5, 9]
    routers = ["best-price", "x.py:R"] # optional; default: the scenario's; names, module:Class or file.py:Class
    router_config = "vendor.toml"     # optional; [<router>] tables of parameters, relative to the suite file
    label = "default"                 # optional; the member folder's name (default: the scenario file's stem)

Every entry is checked before anything runs (the suite file, each scenario, routers, router configs, order files).
Each entry then runs with :func:`harness.workflows.run.run_scenario` into ``BUNDLE/<label>/``, a complete run folder
with its own analytics that ``sorbench verify`` checks on its own. An entry that fails while running is recorded and
the others still run. The bundle gets ``suite.json`` (the suite file's content and sha256, each member's manifest
sha256, versions), ``suite_summary.csv`` (one row per entry and router: headline figures, review verdict, conflict
flag) and ``suite.html``. It is written under a hidden temporary name beside its destination and renamed last.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import Field, ValidationError, field_validator, model_validator

from harness.errors import UserError
from harness.scenario.reading import read_toml, validation_errors
from harness.scenario.routers import apply_router_config, resolve_router_params
from harness.scenario.schema import Scenario, load_scenario
from harness.scenario.strict import _NAME_RE, _FieldError, _Strict
from harness.workflows.provenance import sha256_file, utc_now, versions

KIND = "sorbench-suite"
MAX_SEEDS = 1000
SUMMARY_COLUMNS = [
    "label", "scenario", "router", "status", "seeds", "orders", "fill_rate", "pi_per_share", "eq_ratio",
    "effective_spread", "shortfall_per_share", "first_fill_ms_median", "net_fees_per_share", "review",
    "review_fail", "review_review", "review_pass", "conflict_flagged",
]
REVIEW_ORDER = {"pass": 0, "review": 1, "fail": 2}


class SuiteRun(_Strict):
    """One ``[[run]]`` entry: a scenario file, its seeds and, optionally, routers, router config and label."""

    scenario: str = Field(min_length=1, description="Scenario TOML file, relative to the suite file.")
    seeds: Any = Field(description="Number of seeds (from the scenario's seed upward) or a list of seeds.")
    routers: list[str] | None = Field(None, min_length=1)
    router_config: str | None = Field(None, min_length=1)
    label: str | None = Field(None, pattern=_NAME_RE, description="Folder name of this run in the bundle.")

    @field_validator("seeds")
    @classmethod
    def _seeds(cls, v: Any) -> int | list[int]:
        if isinstance(v, bool):
            raise ValueError(f"{v!r} is not a number of seeds or a list of seeds")
        if isinstance(v, int):
            if not 1 <= v <= MAX_SEEDS:
                raise ValueError(f"{v} must be between 1 and {MAX_SEEDS}")
            return v
        if isinstance(v, list):
            if not v:
                raise ValueError("the list of seeds is empty")
            for s in v:
                if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < 2**63:
                    raise ValueError(f"{s!r} is not a seed (a whole number from 0)")
            if len(set(v)) != len(v):
                raise ValueError(f"{v} lists a seed twice")
            if len(v) > MAX_SEEDS:
                raise ValueError(f"more than {MAX_SEEDS} seeds")
            return list(v)
        raise ValueError(f"{v!r} is not a number of seeds or a list of seeds")

    @field_validator("routers")
    @classmethod
    def _unique_routers(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and len(set(v)) != len(v):
            raise ValueError(f"{v} lists a router twice")
        return v


class Suite(_Strict):
    """A whole suite file."""

    name: str = Field(pattern=_NAME_RE)
    description: str = ""
    run: list[SuiteRun] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_labels(self) -> Suite:
        seen: dict[str, int] = {}
        for i, r in enumerate(self.run):
            label = r.label or Path(r.scenario).stem
            if label in seen:
                where = f"run[{i}].label" if r.label else f"run[{i}].scenario"
                raise _FieldError(where, f"label {label!r} is also run[{seen[label]}]'s; give each run its own label")
            seen[label] = i
        return self


@dataclass(frozen=True)
class PlannedRun:
    """A suite entry resolved and checked: what ``run_scenario`` gets."""

    index: int
    label: str
    scenario: Scenario
    scenario_path: Path
    routers: list[str]
    seeds: list[int]
    router_config: Path | None
    parents: list[Any] | None
    orders_file: Path | None


@dataclass
class SuitePlan:
    """A checked suite: the file, its content and hash, and every entry resolved."""

    path: Path
    text: str
    sha256: str
    suite: Suite
    runs: list[PlannedRun]
    registry: Any

    @property
    def simulations(self) -> int:
        """Router x seed simulations in the whole suite."""
        return sum(len(r.routers) * len(r.seeds) for r in self.runs)


@dataclass
class SuiteOutcome:
    """Where the bundle went and what each entry did."""

    out_dir: Path
    summary: pd.DataFrame
    runs: list[dict[str, Any]] = field(default_factory=list)


def _label_loc(i: int) -> str:
    return f"run[{i}]"


def load_suite(path: Path | str, *, registry: Any = None) -> SuitePlan:
    """Read, validate and resolve a suite file; one-line ``UserError`` naming the file, the field and the value."""
    from adapters.loader import full_registry, is_spec
    from adapters.registry import RegistryError
    from harness.io.orders import load_parents

    path = Path(path)
    data = read_toml(path, what="suite file")
    try:
        suite = Suite.model_validate(data)
    except ValidationError as err:
        raise validation_errors(str(path), err) from None
    if registry is None:
        try:
            registry = full_registry()
        except RegistryError as err:
            raise UserError(str(err)) from None
    text = path.read_text(encoding="utf-8")
    base = path.resolve().parent
    planned = []
    for i, entry in enumerate(suite.run):
        where = f"{path}: {_label_loc(i)}"
        sc_path = base / entry.scenario
        if not sc_path.is_file():
            raise UserError(f"{where}.scenario: {entry.scenario!r} not found (looked for {sc_path})")
        sc, resolved = load_scenario(sc_path, registry=registry)
        routers = list(entry.routers) if entry.routers is not None else list(sc.routers)
        for j, name in enumerate(routers):
            if is_spec(name):  # module:Class, or file.py:Class relative to the suite file
                module, _, cls = name.rpartition(":")
                spec = f"{base / module}:{cls}" if module.endswith(".py") and not Path(module).is_absolute() else name
                try:
                    routers[j] = name = registry.add_spec(spec)
                except RegistryError as err:
                    raise UserError(f"{where}.routers[{j}]: {err}") from None
            if name not in registry:
                raise UserError(f"{where}.routers[{j}]: unknown router {name!r} (known: {', '.join(registry.names())})")
        if entry.router_config is not None:  # after the routers: a spec's router must be registered to be named
            cfg = base / entry.router_config
            if not cfg.is_file():
                raise UserError(f"{where}.router_config: {entry.router_config!r} not found (looked for {cfg})")
            sc = apply_router_config(sc, cfg, registry)
        sc = sc.model_copy(update={
            "routers": routers, "router_params": {k: v for k, v in sc.router_params.items() if k in routers},
        })
        try:

            for name in routers:
                resolve_router_params(sc, registry, name, source=str(sc_path))
        except UserError as err:
            raise UserError(f"{where}: {err}") from None
        seeds = (list(range(sc.session.seed, sc.session.seed + entry.seeds)) if isinstance(entry.seeds, int)
                 else list(entry.seeds))
        orders_file = resolved.parent / sc.flow.file if sc.flow.file is not None else None
        parents = load_parents(orders_file, sc) if orders_file is not None else None
        planned.append(PlannedRun(
            index=i, label=entry.label or Path(entry.scenario).stem, scenario=sc, scenario_path=resolved,
            routers=routers, seeds=seeds, router_config=(base / entry.router_config) if entry.router_config else None,
            parents=parents, orders_file=orders_file,
        ))
    return SuitePlan(path=path, text=text, sha256=sha256_file(path), suite=suite,
                     runs=planned, registry=registry)


def default_bundle(plan: SuitePlan, results_root: Path, started: dt.datetime) -> Path:
    """``results/suite-<name>-<UTC time>`` (with a counter if taken)."""
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    out = results_root / f"suite-{plan.suite.name}-{stamp}"
    n = 1
    while out.exists():
        n += 1
        out = results_root / f"suite-{plan.suite.name}-{stamp}-{n}"
    return out


def run_suite(plan: SuitePlan, *, out_dir: Path | None, results_root: Path = Path("results"), jobs: int = 1,
              on_done: Callable[[Any], None] | None = None, on_entry: Callable[[PlannedRun], None] | None = None,
              command: Sequence[str] = (), limits: Any = None, review_policy: Any = None,
              regulatory: Any = None, on_phase: Callable[[str], None] | None = None,
              executor: Any = None) -> SuiteOutcome:
    """Run every entry into one bundle (see the module docstring); a failing entry is recorded, the others run.

    ``limits``, ``review_policy``, ``regulatory`` and ``on_phase`` (each entry's phases, then ``writing suite
    report``) and ``executor`` (None: this machine) are passed to every :func:`~harness.workflows.run.run_scenario`.
    """
    from harness.report.suite import render_suite_html
    from harness.workflows.run import run_scenario

    if jobs < 1:
        raise UserError(f"--jobs: {jobs} must be at least 1")
    started = utc_now()
    out_dir = (out_dir if out_dir is not None else default_bundle(plan, results_root, started)).resolve()
    if out_dir.exists():
        raise UserError(f"{out_dir}: output folder already exists (choose another --out)")
    tmp = out_dir.parent / f".{out_dir.name}.partial-{os.getpid()}"
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
    except OSError as err:
        raise UserError(f"{out_dir}: cannot write the bundle: {err.strerror or err}") from None
    records: list[dict[str, Any]] = []
    try:
        for entry in plan.runs:
            if on_entry is not None:
                on_entry(entry)
            t0 = utc_now()
            record: dict[str, Any] = {
                "label": entry.label, "scenario_file": str(entry.scenario_path), "scenario_name": entry.scenario.name,
                "scenario_sha256": entry.scenario.sha256(), "seeds": entry.seeds, "routers": entry.routers,
                "router_config": str(entry.router_config) if entry.router_config else None, "folder": entry.label,
            }
            try:
                outcome = run_scenario(
                    entry.scenario, scenario_path=entry.scenario_path, routers=entry.routers, seeds=entry.seeds,
                    out_dir=tmp / entry.label, results_root=tmp, jobs=jobs, parents=entry.parents, on_phase=on_phase,
                    orders_file=entry.orders_file, registry=plan.registry, on_done=on_done, command=command,
                    limits=limits, review_policy=review_policy, regulatory=regulatory, executor=executor,
                )
            except Exception as exc:  # recorded; the other entries still run
                record.update(status="failed", error=f"{type(exc).__name__}: {exc}" if not isinstance(exc, UserError)
                              else str(exc), manifest_sha256=None)
                (tmp / "failures").mkdir(exist_ok=True)
                (tmp / "failures" / f"{entry.label}.txt").write_text(traceback.format_exc(), encoding="utf-8")
                shutil.rmtree(tmp / entry.label, ignore_errors=True)
            else:
                manifest = json.loads((outcome.out_dir / "manifest.json").read_text(encoding="utf-8"))
                failed_runs = [f"{r['router']} seed {r['seed']}" for r in manifest.get("runs", [])
                               if r.get("status") != "ok"]
                record.update(status="ok", error=None, manifest_sha256=sha256_file(outcome.out_dir / "manifest.json"),
                              analysis=manifest.get("analysis"), failed_router_runs=failed_runs,
                              failures=outcome.failures)
            record["wall_seconds"] = round((utc_now() - t0).total_seconds(), 3)
            records.append(record)
        if on_phase is not None:
            on_phase("writing suite report")
        summary = suite_summary(tmp, plan, records)
        summary.to_csv(tmp / "suite_summary.csv", index=False, float_format="%.10g", lineterminator="\n")
        info = {
            "kind": KIND, "name": plan.suite.name, "description": plan.suite.description,
            "suite_file": str(plan.path), "suite_file_sha256": plan.sha256, "suite_file_content": plan.text,
            "versions": versions(), "command": list(command), "jobs": jobs, "started_utc": started.isoformat(),
            "finished_utc": utc_now().isoformat(), "runs": records,
        }
        (tmp / "suite.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        (tmp / "suite.html").write_text(render_suite_html(info, summary, bundle=tmp), encoding="utf-8")
        os.replace(tmp, out_dir)
    except OSError as err:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"{out_dir}: cannot write the bundle: {err.strerror or err}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return SuiteOutcome(out_dir=out_dir, summary=summary, runs=records)


def _read_csv(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path) if path.is_file() else None
    except (OSError, ValueError, pd.errors.ParserError):
        return None


def _router_status(manifest: dict[str, Any], router: str) -> str:
    states = [r.get("status") for r in manifest.get("runs", []) if r.get("router") == router]
    if states and all(s == "ok" for s in states):
        return "ok"
    return "failed" if not any(s == "ok" for s in states) else "partial"


def suite_summary(bundle: Path, plan: SuitePlan, records: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per entry and router: status, headline TCA figures, review verdict and conflict flag."""
    rows: list[dict[str, Any]] = []
    for entry, rec in zip(plan.runs, records, strict=True):
        folder = bundle / entry.label
        manifest: dict[str, Any] = {}
        if rec["status"] == "ok":
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        tca = _read_csv(folder / "tca" / "summary.csv")
        review = _read_csv(folder / "tca" / "review.csv")
        conflict = _read_csv(folder / "conflict" / "summary.csv")
        for router in entry.routers:
            row: dict[str, Any] = dict.fromkeys(SUMMARY_COLUMNS)
            row.update(label=entry.label, scenario=entry.scenario.name, router=router, seeds=len(entry.seeds),
                       status=_router_status(manifest, router) if manifest else "failed")
            if tca is not None:
                pooled = tca[(tca["router"] == router) & (tca["symbol"] == "all") & (tca["order_class"] == "all")
                             & (tca["size_bucket"] == "all")]
                if len(pooled):
                    p = pooled.iloc[0]
                    for col in ("orders", "fill_rate", "pi_per_share", "eq_ratio", "effective_spread",
                                "shortfall_per_share", "first_fill_ms_median", "net_fees_per_share"):
                        row[col] = p[col]
            if review is not None:
                mine = review[review["router"] == router]
                if len(mine):
                    row["review"] = max(mine["status"], key=lambda s: REVIEW_ORDER.get(s, -1))
                    top = mine[mine["symbol"] == "all"] if "symbol" in mine.columns else mine
                    for status in ("fail", "review", "pass"):
                        row[f"review_{status}"] = int((top["status"] == status).sum())
            if conflict is not None:
                mine = conflict[conflict["router"] == router]
                if len(mine):
                    row["conflict_flagged"] = bool(mine["flagged"].iloc[0])
            rows.append(row)
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
