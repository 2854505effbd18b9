"""``sorbench verify``: prove that a run folder is exactly what its stated inputs produce.

Three checks, in order:

1. **Integrity.** Every file listed in ``manifest.json`` is present with the recorded sha256, and no file was added
   (a run folder edited after the fact fails here; ``signature.json`` aside).
2. **Evidence** (:mod:`harness.workflows.evidence`, :mod:`harness.workflows.signing`): the manifest's canonical hash
   and the fields recomputed from others, the report's run-specific data against the manifest, the report
   re-rendered from the folder's data, and with ``--key`` the folder's signature; what a forger who rewrote the
   hashes still cannot hide.
3. **Reproduction.** The run is done again from the manifest alone (the resolved scenario with its router parameters,
   the seeds, the routers by name, the router limits and isolation (router-process mode, memory, CPU, wall-clock
   and request limits, as recorded), the incentive twins and, if one was used, the
   parent-order file, whose hash must match) into a temporary folder, and every result file's hash is compared with
   the recorded one, and every manifest field a re-run reproduces with the re-run's. A difference names the file
   or field. Runs that charged *measured* decision latency depend on the
   machine's speed and cannot be reproduced byte for byte; verify says so instead of failing them.

Verify never executes code that came with the folder: the re-run uses sorbench's built-in routers and the plug-ins
the user names with ``--router`` (matched by the sha256 of their source recorded in the manifest), never a
``routers[].origin`` and never an installed entry point. A run with any other router is checked for integrity only,
and verify says which router it could not re-run and why.

A different sorbench version or git commit than the run's is reported (code changes may legitimately change
results); the comparison is still made.

The report files are presentation: both are integrity-checked like every file, but in the re-run comparison
``report.html`` is compared without its run-specific block (versions, commit, times, command lines, paths: see
:mod:`harness.report.provenance`) and ``report.pdf`` is not compared (Chromium writes its creation time into it);
the evidence checks compare both with the report re-rendered from the folder itself.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.paths import REPO_ROOT
from harness.workflows.evidence import check_integrity, read_manifest
from harness.workflows.provenance import sha256_file

REPORT_HTML, REPORT_PDF, SIGNATURE = "report.html", "report.pdf", "signature.json"
NOT_COMPARED = "not compared"


@dataclass
class VerifyReport:
    """What verify found. ``ok`` when nothing differs."""

    folder: Path
    integrity: dict[str, str] = field(default_factory=dict)
    """File -> ``ok``, ``modified``, ``missing`` or ``added``."""
    reproduction: dict[str, str] = field(default_factory=dict)
    """File -> ``ok``, ``differs``, ``missing`` (not produced again), ``extra`` (produced, not recorded) or
    ``not compared`` (``report.pdf``, whose bytes carry the time it was printed)."""
    notes: list[str] = field(default_factory=list)
    reproduced: bool = False
    not_rerun: list[str] = field(default_factory=list)
    """Why the run could not be re-run here (a router that is neither built in nor named, by matching source, on
    the command line); empty when it was re-run or the re-run was not asked for."""
    evidence: list[str] = field(default_factory=list)
    """One line per tampering sign beyond the file hashes (:mod:`harness.workflows.evidence`) and per signature
    problem (:mod:`harness.workflows.signing`): ``"manifest.json: git_commit: ..."``, ``"report.pdf: ..."``."""

    @property
    def problems(self) -> list[str]:
        """Every file that failed a check, as ``"file: state (check)"``."""
        out = [f"{f}: {s} (integrity)" for f, s in sorted(self.integrity.items()) if s != "ok"]
        out += [f"{f}: {s} (re-run)" for f, s in sorted(self.reproduction.items()) if s not in ("ok", NOT_COMPARED)]
        return out + self.evidence

    @property
    def ok(self) -> bool:
        """No integrity or reproduction problem."""
        return not self.problems


_LIMIT_FIELDS: dict[str, tuple[Any, str]] = {
    "callback_timeout_s": (30.0, "a positive number of seconds or null"),
    "decision_latency": ("none", "'none', 'measured' or a number of ns"),
    "router_process": ("plugins", "'plugins', 'always' or 'never'"),
    "router_memory_bytes": (1 << 30, "a positive number of bytes or null"),
    "router_cpu_s": (600, "a positive number of seconds or null"),
    "router_requests_per_callback": (10_000, "a positive integer"),
}
"""The isolation settings a run records under ``router_limits`` (default: what a run without them used)."""


def recorded_limits(manifest: dict[str, Any]) -> Any:
    """The :class:`~harness.sim.limits.RouterLimits` the run recorded, for its re-run; one-line errors.

    The router-process mode, memory, CPU, wall-clock and request limits are the run's, so that a router that failed
    on a limit fails again and one that kept within them is contained exactly as it was.
    """
    from harness.sim.router_node import RouterLimits

    lim = manifest.get("router_limits")
    if lim is None:
        lim = {}
    if not isinstance(lim, dict):
        raise UserError(f"manifest.json: router_limits: expected an object, got {repr(lim)[:60]}")
    values: dict[str, Any] = {}
    for key, (default, want) in _LIMIT_FIELDS.items():
        v = lim.get(key, default)
        number = isinstance(v, int | float) and not isinstance(v, bool)
        ok = {
            "callback_timeout_s": v is None or number,
            "decision_latency": v in ("none", "measured") or (type(v) is int),
            "router_process": v in ("plugins", "always", "never"),
            "router_requests_per_callback": type(v) is int,
        }.get(key, v is None or type(v) is int)
        if not ok:
            raise UserError(f"manifest.json: router_limits.{key}: expected {want}, got {repr(v)[:60]}")
        values[key] = v
    try:
        return RouterLimits(**values)
    except (ValueError, TypeError) as err:
        raise UserError(f"manifest.json: router_limits: {err}") from None


def rerun_registry(manifest: dict[str, Any], plugins: Sequence[str] = ()) -> tuple[Any, list[str]]:
    """The routers a re-run may use, and one line per router of the run that it cannot re-run.

    Only sorbench's built-in routers and the plug-ins the user names (``--router MODULE:CLASS`` or
    ``FILE.py:CLASS``, inspected in contained child processes under the run's recorded limits, never imported
    here) are ever loaded: never an origin the manifest names, never an installed entry point, so verifying a
    folder cannot run code that came with it. A named plug-in stands in for the run's router of the same name
    only if the sha256 of its source file is the one recorded.
    """
    from adapters.loader import full_registry, source_sha256
    from adapters.registry import RegistryError
    from harness.sim.router_process import inspection_limits

    registry = full_registry(entry_point_group=None, limits=inspection_limits(recorded_limits(manifest)))
    named: dict[str, str] = {}
    try:
        for spec in plugins:
            named[registry.add_spec(spec)] = spec
    except RegistryError as err:
        raise UserError(f"--router: {err}") from None
    missing: list[str] = []
    for r in manifest["routers"]:
        name, origin, want = r["name"], r.get("origin") or "built-in", r.get("source_sha256")
        if name not in named and name in registry and registry.origin(name) == "built-in":
            continue
        if name not in named:
            missing.append(f"router {name!r} ({origin[:80]}) is not built in; name its source with --router "
                           f"MODULE:CLASS or FILE.py:CLASS to re-run it (the folder's own code is never run)")
            continue
        got = source_sha256(registry.get(name))
        if not want:
            missing.append(f"router {name!r}: the manifest records no source sha256, so {named[name]} cannot be "
                           "matched with the run's code")
        elif got != want:
            missing.append(f"router {name!r}: {named[name]} has source sha256 {str(got)[:12]}, the run's had "
                           f"{want[:12]}")
    return registry, missing


def reproduce(
    manifest: dict[str, Any], *, jobs: int = 1, registry: Any = None, executor: Any = None
) -> tuple[dict[str, str], list[str], dict[str, Any]]:
    """Run again from the manifest into a temporary folder; returns the new files' hashes, notes and manifest.

    ``registry`` comes from :func:`rerun_registry` (default: built-in routers only); ``executor`` (a
    :class:`~harness.workflows.tasks.TaskExecutor`, None: this machine) runs the simulations.
    """
    from harness.analytics.regulatory_settings import regulatory_from_manifest
    from harness.analytics.review_policy import ReviewPolicy
    from harness.io.orders import load_parents
    from harness.scenario.schema import Scenario
    from harness.workflows.provenance import git_commit, package_versions, sorbench_version
    from harness.workflows.run import run_scenario

    notes: list[str] = []
    try:
        scenario = Scenario.model_validate(manifest["scenario"])
    except ValueError as err:
        first = str(err).splitlines()
        raise UserError(f"manifest.json: scenario: not a valid scenario ({first[1] if len(first) > 1 else err})") \
            from None
    if registry is None:
        registry, missing = rerun_registry(manifest)
        if missing:
            raise UserError(missing[0])
    parents = None
    orders_file = manifest.get("orders_file")
    if orders_file:
        p = Path(orders_file)
        if not p.is_file():
            raise UserError(f"{p}: the run's parent-order file is not here; it is needed to verify")
        if sha256_file(p) != manifest.get("orders_file_sha256"):
            raise UserError(f"{p}: the parent-order file changed since the run (sha256 differs)")
        parents = load_parents(p, scenario, symbol_map=manifest.get("orders_symbol_map") or None)
    limits = recorded_limits(manifest)
    if limits.router_process == "never" and any(r.get("origin") != "built-in" for r in manifest["routers"]):
        notes.append("the run was made with --router-process never: the plug-ins named for the re-run ran in "
                     "this process, as recorded")
    recorded = manifest.get("packages") or {}
    for name, now in package_versions().items():
        if name in recorded and recorded[name] != now:
            notes.append(f"run made with {name} {recorded[name]}, verifying with {now}")
    if manifest.get("sorbench_version") != sorbench_version():
        notes.append(f"run made with sorbench {manifest.get('sorbench_version')}, verifying with {sorbench_version()}")
    here = git_commit(REPO_ROOT)
    if manifest.get("git_commit") and here and manifest["git_commit"] != here:
        notes.append(f"run made at commit {manifest['git_commit'][:12]}, verifying at {here[:12]}")
    tmp = Path(tempfile.mkdtemp(prefix="sorbench-verify-"))
    try:
        out = tmp / "rerun"
        run_scenario(
            scenario, scenario_path=None, routers=[r["name"] for r in manifest["routers"]],
            seeds=list(manifest["seeds"]), out_dir=out, results_root=tmp, jobs=jobs, executor=executor,
            parents=parents,
            orders_file=Path(orders_file) if orders_file else None, registry=registry, limits=limits,
            symbol_map=manifest.get("orders_symbol_map") or None,
            incentive_twins=int(manifest.get("incentive_twins") or 0),
            analyze_tables=manifest.get("analysis", "ok") != "skipped",
            review_policy=ReviewPolicy.model_validate(manifest["review_policy"])
            if manifest.get("review_policy") else None,
            regulatory=regulatory_from_manifest(manifest.get("regulatory")),
            report=manifest.get("report", "skipped") != "skipped",
            pdf="html only" not in str(manifest.get("report", "")),
        )
        again_manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        again = again_manifest["files"]
        if (out / REPORT_HTML).is_file():
            from harness.report.provenance import comparable_sha256

            again[REPORT_HTML] = comparable_sha256(out / REPORT_HTML)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return again, notes, again_manifest


def verify_run(
    folder: Path, *, rerun: bool = True, jobs: int = 1, plugins: Sequence[str] = (), key: Path | None = None,
    check_report: bool = True, executor: Any = None,
) -> VerifyReport:
    """Integrity, evidence and (with ``rerun``) reproduction checks of a run folder.

    ``plugins`` are the ``--router`` specs the user trusts for the re-run (:func:`rerun_registry`); a run with a
    router that is neither built in nor among them is checked for integrity only, and the report says why. ``key``
    is an ed25519 public key (PEM) whose signature the folder must carry (:mod:`harness.workflows.signing`).
    ``check_report`` re-renders the report from the folder's data and compares it (the slowest check: a test that
    checks something else may skip it).
    """
    folder = folder.resolve()
    manifest = read_manifest(folder)
    report = VerifyReport(folder=folder, integrity=check_integrity(folder, manifest))
    _check_evidence(report, manifest, key=key, check_report=check_report)
    if not rerun:
        report.notes.append("re-run skipped (--no-rerun): the files, the manifest and the report were checked, the "
                            "results were not re-run")
        return report
    if manifest.get("realtime"):
        report.notes.append("the run was paced against the wall clock (--realtime): results depend on timing and "
                            "are not reproducible byte for byte; re-run skipped")
        return report
    if recorded_limits(manifest).decision_latency == "measured":
        report.notes.append("the run charged measured decision latency: results depend on machine speed and are "
                            "not reproducible byte for byte; re-run skipped")
        return report
    registry, missing = rerun_registry(manifest, plugins)
    if missing:
        report.not_rerun = missing
        report.notes += [*missing, "re-run skipped: only integrity was checked"]
        return report
    result = reproduce(manifest, jobs=jobs, registry=registry, executor=executor)
    again, notes = result[0], result[1]
    report.notes += notes
    if len(result) > 2:
        from harness.workflows.evidence import rerun_problems

        report.evidence += rerun_problems(manifest, result[2])
    report.reproduced = True
    recorded: dict[str, str] = dict(manifest["files"])
    if REPORT_HTML in recorded and (folder / REPORT_HTML).is_file():
        from harness.report.provenance import comparable_sha256

        recorded[REPORT_HTML] = comparable_sha256(folder / REPORT_HTML)  # as the re-run's, without its run block
    if REPORT_PDF in recorded:
        report.notes.append(f"{REPORT_PDF}: not compared with the re-run's (it carries the time it was printed); "
                            f"{REPORT_HTML} is compared without its run-specific block")
    for rel, digest in recorded.items():
        if rel == REPORT_PDF:
            report.reproduction[rel] = NOT_COMPARED
            continue
        report.reproduction[rel] = "missing" if rel not in again else ("ok" if again[rel] == digest else "differs")
    for rel in again:
        if rel not in recorded:
            report.reproduction[rel] = "extra"
    return report


def _check_evidence(report: VerifyReport, manifest: dict[str, Any], *, key: Path | None, check_report: bool) -> None:
    """The manifest's hash and cross-checks, the signature, and the report re-rendered (:mod:`.evidence`)."""
    from harness.workflows.evidence import manifest_problems, report_problems
    from harness.workflows.signing import signature_problems

    folder = report.folder
    report.evidence += manifest_problems(folder, manifest)
    if key is not None:
        report.evidence += signature_problems(folder, manifest, key)
    elif (folder / SIGNATURE).is_file():
        report.notes.append(f"{SIGNATURE}: the folder is signed; give --key PUBLIC_KEY to check the signature")
    if check_report:
        problems, notes = report_problems(folder, manifest)
        report.evidence += problems
        report.notes += notes
