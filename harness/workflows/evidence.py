"""The checks that make a run folder's evidence tamper-evident, beyond the file hashes (``sorbench verify``).

A forger who edits a file or a manifest field can also rewrite the hashes that ``manifest.json`` records. What
still gives them away, checked here:

- **The manifest's canonical hash** (``manifest_body_sha256``, :func:`harness.report.provenance.manifest_body_sha256`)
  over every field: a careless edit breaks it, and ``sorbench sign`` signs it (:mod:`harness.workflows.signing`).
- **Fields recomputed from other fields**: ``scenario_sha256`` from the resolved scenario; ``partial`` and
  ``failures`` from the runs' statuses; ``finished_utc`` not before ``started_utc``; ``report`` names the PDF engine
  the report records.
- **The report's run-specific data** (:func:`harness.report.provenance.read_run_data`): plain JSON whose values must
  be the manifest's (version, commit, Python, platform, packages, start time, workers, files, command). The report
  holds no script, frame, event handler or ``javascript:`` link besides that data element.
- **The report re-rendered** from the folder's data (:func:`report_problems`): ``report.html`` must be byte for byte
  what sorbench renders from the folder's tables, manifest and run-specific data, and ``report.pdf`` what it prints
  from that HTML: the same bytes apart from the creation and modification dates when the same PDF engine is here, else
  the same text (extracted with pypdf) and no PDF script, launch action or embedded file.
- **The re-run** (:func:`rerun_problems`): every field that a re-run reproduces (routers' parameters, every run's
  status, error and counters, the analytics' and report's status, ...) must equal the re-run's.

Fields no check can reproduce (the run's start time, command line, versions) are covered by the report's copy, the
manifest's canonical hash and, against a forger who rewrites all of them, only by a signature.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.report.provenance import (
    BODY_HASH,
    RUN_DATA_FIELDS,
    active_content,
    comparable_bytes,
    manifest_body_sha256,
    read_run_data,
)
from harness.workflows.provenance import sha256_file

REPORT_HTML, REPORT_PDF, SIGNATURE = "report.html", "report.pdf", "signature.json"
RUN_SPECIFIC = frozenset({
    "sorbench_version", "git_commit", "python", "packages", "platform", "command", "scenario_file", "orders_file",
    "jobs", "started_utc", "finished_utc", "files", BODY_HASH,
})
"""Manifest fields a re-run does not reproduce (where and when it ran, the files' hashes compared file by file)."""
WALL_CLOCK = frozenset({"simulation_wall_seconds", "wall_seconds"})
"""Run counters measured on the wall clock (a re-run's differ)."""
_PDF_DATES = re.compile(rb"/(CreationDate|ModDate) ?\(D:[0-9Z+\-' ]*\)")
_ACTIONS = frozenset({"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute", "/Rendition"})


def read_manifest(folder: Path) -> dict[str, Any]:
    """The run folder's manifest (one-line errors for a missing or unreadable one)."""
    path = folder / "manifest.json"
    if not folder.is_dir():
        raise UserError(f"{folder}: not a run folder (no such directory)")
    if not path.is_file():
        raise UserError(f"{path}: not found (is {folder} a sorbench run folder?)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not valid JSON: {err}") from None
    if not isinstance(manifest, dict):
        raise UserError(f"{path}: expected a JSON object at the top level")
    for key in ("scenario", "seeds", "routers", "files"):
        if key not in manifest:
            raise UserError(f"{path}: {key}: required field is missing")
    _check_types(manifest, path)
    return manifest


def _check_types(manifest: dict[str, Any], path: Path) -> None:
    """One-line errors for manifest fields of the wrong type (a hand-edited or hostile manifest)."""
    def bad(where: str, want: str, value: Any) -> UserError:
        shown = repr(value)
        return UserError(f"{path}: {where}: expected {want}, got {shown[:60]}{'...' if len(shown) > 60 else ''}")

    if not isinstance(manifest["scenario"], dict):
        raise bad("scenario", "an object", manifest["scenario"])
    seeds = manifest["seeds"]
    if not isinstance(seeds, list) or not all(type(x) is int and 0 <= x < 2**63 for x in seeds):
        raise bad("seeds", "a list of integers 0..2^63-1", seeds)
    files = manifest["files"]
    if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
        raise bad("files", "an object of file names to sha256 strings", files)
    for rel in files:
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise bad("files", "paths inside the run folder", rel)
    routers = manifest["routers"]
    if not isinstance(routers, list):
        raise bad("routers", "a list", routers)
    for i, r in enumerate(routers):
        if not isinstance(r, dict) or not isinstance(r.get("name"), str):
            raise bad(f"routers[{i}]", "an object with a string name", r)
        for key in ("origin", "source_sha256"):
            if r.get(key) is not None and not isinstance(r[key], str):
                raise bad(f"routers[{i}].{key}", "a string", r[key])
        if not isinstance(r.get("params", {}), dict):
            raise bad(f"routers[{i}].params", "an object", r["params"])
    runs = manifest.get("runs", [])
    if not isinstance(runs, list) or not all(isinstance(r, dict) for r in runs):
        raise bad("runs", "a list of objects", runs)
    common = manifest.get("common_market")
    if common is not None and not (isinstance(common, dict) and isinstance(common.get("runs", []), list)
                                   and all(isinstance(r, dict) for r in common.get("runs", []))):
        raise bad("common_market", "an object with a list of runs", common)
    for key in ("failures", "incentive_failures"):
        if manifest.get(key) is not None and not isinstance(manifest[key], list):
            raise bad(key, "a list", manifest[key])


def check_integrity(folder: Path, manifest: dict[str, Any]) -> dict[str, str]:
    """Recorded files against the folder: ``ok``, ``modified``, ``missing``; unrecorded files are ``added``."""
    out: dict[str, str] = {}
    recorded: dict[str, str] = manifest["files"]
    for rel, digest in recorded.items():
        p = folder / rel
        out[rel] = "missing" if not p.is_file() else ("ok" if sha256_file(p) == digest else "modified")
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_file() and rel not in ("manifest.json", SIGNATURE) and rel not in recorded:
            out[rel] = "added"
    return out


def _shown(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def manifest_problems(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """One line per manifest field that disagrees with the manifest's hash, the other fields or the report's data."""
    from harness.workflows.run import run_failures

    out: list[str] = []
    recorded = manifest.get(BODY_HASH)
    if recorded is None:
        out.append(f"manifest.json: {BODY_HASH}: not recorded, so the manifest's fields are not covered")
    elif recorded != manifest_body_sha256(manifest):
        out.append(f"manifest.json: a field changed after the run ({BODY_HASH} is not the hash of the fields)")
    out += _scenario_hash_problems(manifest)
    if "partial" in manifest and manifest.get("partial") != bool(run_failures(manifest)):
        out.append(f"manifest.json: partial: {_shown(manifest.get('partial'))} disagrees with the runs' statuses")
    if "failures" in manifest and manifest.get("failures") != run_failures(manifest):
        out.append("manifest.json: failures: not the failures the runs' statuses record")
    out += _time_problems(manifest)
    out += report_data_problems(folder, manifest)
    return out


def _scenario_hash_problems(manifest: dict[str, Any]) -> list[str]:
    from harness.scenario.schema import Scenario

    try:
        got = Scenario.model_validate(manifest["scenario"]).sha256()
    except (ValueError, TypeError, RecursionError):
        return ["manifest.json: scenario: not a valid resolved scenario"]
    if manifest.get("scenario_sha256") != got:
        return [f"manifest.json: scenario_sha256: {_shown(manifest.get('scenario_sha256'))} is not the resolved "
                f"scenario's sha256 ({got[:16]}...)"]
    return []


def _time_problems(manifest: dict[str, Any]) -> list[str]:
    times: dict[str, dt.datetime] = {}
    for key in ("started_utc", "finished_utc"):
        value = manifest.get(key)
        try:
            times[key] = dt.datetime.fromisoformat(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return [f"manifest.json: {key}: {_shown(value)} is not an ISO 8601 time"]
        if times[key].tzinfo is None:
            return [f"manifest.json: {key}: {_shown(value)} has no time zone"]
    if times["finished_utc"] < times["started_utc"]:
        return ["manifest.json: finished_utc: before started_utc"]
    return []


def report_data_problems(folder: Path, manifest: dict[str, Any]) -> list[str]:
    """The report's run-specific data against the manifest, and no active content in the report."""
    path = folder / REPORT_HTML
    if REPORT_HTML not in manifest.get("files", {}) or not path.is_file():
        return []
    html = path.read_bytes()
    out = [f"report.html: holds active content {hit} (sorbench's report has none)" for hit in active_content(html)]
    try:
        data = read_run_data(html)
    except ValueError as err:
        return [*out, f"report.html: {err}"]
    for key in RUN_DATA_FIELDS:
        if data[key] != manifest.get(key):
            out.append(f"manifest.json: {key}: {_shown(manifest.get(key))}, but report.html's run-specific data "
                       f"records {_shown(data[key])}")
    if REPORT_PDF in manifest.get("files", {}) and (folder / REPORT_PDF).is_file():
        out += [f"report.pdf: {hit} (sorbench's report has none)" for hit in pdf_active_content(folder / REPORT_PDF)]
    status = str(manifest.get("report", ""))
    if status.startswith("ok (pdf: ") and status != f"ok (pdf: {data['pdf_renderer']})":
        out.append(f"manifest.json: report: {_shown(status)}, but report.html records the PDF engine "
                   f"{_shown(data['pdf_renderer'])}")
    return out


def report_problems(folder: Path, manifest: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Re-render the report from the folder's data and compare: (problems, notes).

    The folder is copied (without its report) to a temporary folder, the report is built there with the run folder
    path and PDF engine label the report's run-specific data records, and the files are compared.
    """
    from harness.report.build import build_report

    html_path, pdf_path = folder / REPORT_HTML, folder / REPORT_PDF
    files = manifest.get("files", {})
    if REPORT_HTML not in files or not html_path.is_file():
        return [], []
    html = html_path.read_bytes()
    try:
        data = read_run_data(html)
    except ValueError:
        return [], []  # named by report_data_problems
    has_pdf = REPORT_PDF in files and pdf_path.is_file()
    tmp = Path(tempfile.mkdtemp(prefix="sorbench-verify-report-"))
    try:
        copy = tmp / folder.name
        shutil.copytree(folder, copy, ignore=shutil.ignore_patterns(REPORT_HTML, REPORT_PDF, SIGNATURE))
        try:
            built = build_report(copy, pdf=has_pdf, run_path=Path(data["run_folder"]), pdf_label=data["pdf_renderer"])
        except UserError as err:
            return [f"report.html: sorbench cannot re-render it from the folder's data ({err})"], []
        except Exception as err:  # the folder is untrusted: data the report cannot show is a failed check
            return [f"report.html: sorbench cannot re-render it from the folder's data ({type(err).__name__}: "
                    f"{str(err)[:80]})"], []
        problems: list[str] = []
        again = built.html.read_bytes()
        if again != html:
            where = "outside" if comparable_bytes(again) != comparable_bytes(html) else "inside"
            problems.append(f"report.html: not what sorbench renders from the folder's data ({where} the "
                            "run-specific block)")
        notes: list[str] = []
        if has_pdf and built.pdf is not None:
            p, n = _pdf_problems(pdf_path, built.pdf, same_engine=built.pdf_renderer == data["pdf_renderer"],
                                 engines=(data["pdf_renderer"], str(built.pdf_renderer)))
            problems += p
            notes += n
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return problems, notes


def _pdf_problems(
    pdf: Path, again: Path, *, same_engine: bool, engines: tuple[str, str]
) -> tuple[list[str], list[str]]:
    """``report.pdf`` against the one printed again here: bytes (dates aside) with the same engine, else text."""
    got, want = pdf.read_bytes(), again.read_bytes()
    if _PDF_DATES.sub(b"", got) == _PDF_DATES.sub(b"", want):
        return [], []
    out: list[str] = []
    if same_engine:
        return [*out, "report.pdf: not what sorbench prints from the report (bytes differ, dates aside)"], []
    notes = [f"report.pdf: printed with {engines[0]}, re-printed here with {engines[1]}: compared by its text"]
    if _pdf_text(pdf) != _pdf_text(again):
        out.append("report.pdf: its text is not the text of the report sorbench renders from the folder's data")
    return out, notes


def pdf_active_content(path: Path) -> list[str]:
    """What in a PDF acts when it is opened or clicked (pypdf), quoted briefly.

    An open action, additional actions, a form, document JavaScript, embedded files, and links whose action runs
    script, launches a program or submits a form.
    """
    import pypdf

    try:
        reader = pypdf.PdfReader(path)
        root: Any = reader.trailer["/Root"].get_object()
        found = [f"holds a PDF {k} entry" for k in ("/OpenAction", "/AA", "/AcroForm") if k in root]
        names: Any = root.get("/Names")
        names = names.get_object() if names is not None else {}
        found += [f"holds a PDF {k} name tree" for k in ("/JavaScript", "/EmbeddedFiles") if k in names]
        for i, page in enumerate(reader.pages):
            found += [f"page {i + 1} holds a PDF /AA entry"] if "/AA" in page else []
            for annot in page.get("/Annots") or []:
                action = annot.get_object().get("/A")
                kind = action.get_object().get("/S") if action is not None else None
                if kind in _ACTIONS:
                    found.append(f"page {i + 1} holds a link with a {kind} action")
    except Exception as err:  # any parser failure: the file is not a PDF sorbench printed
        return [f"is not a readable PDF ({type(err).__name__})"]
    return found[:3]


def _pdf_text(path: Path) -> str:
    """The PDF's text (pypdf), whitespace collapsed; a PDF pypdf cannot read has the text ``(unreadable)``."""
    import pypdf

    try:
        reader = pypdf.PdfReader(path)
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except Exception:  # any parser failure means the file is not the report
        return "(unreadable)"
    return " ".join(text.split())


def rerun_problems(recorded: dict[str, Any], again: dict[str, Any]) -> list[str]:
    """Manifest fields the re-run reproduces that differ from the recorded ones, one line each (at most 3 per field).

    Run-specific fields (:data:`RUN_SPECIFIC`) and wall-clock counters are skipped, and so are fields the recorded
    manifest lacks (a run by an earlier sorbench, which did not write them, claims nothing there); routers are
    compared by name, parameters and source hash (a plug-in's origin is wherever the verifier keeps it); the report's
    status without its PDF engine.
    """
    out: list[str] = []
    for key in sorted(recorded):
        if key in RUN_SPECIFIC:
            continue
        a, b = _comparable(key, recorded.get(key, "(absent)")), _comparable(key, again.get(key, "(absent)"))
        out += [f"manifest.json: {line} (re-run)" for line in _diff(a, b, key)[:3]]
    return out


def _comparable(key: str, value: Any) -> Any:
    if key == "routers" and isinstance(value, list):
        return [{k: r.get(k) for k in ("name", "params", "source_sha256")} if isinstance(r, dict) else r for r in value]
    if key == "runs" and isinstance(value, list):
        return [{k: v for k, v in r.items() if k not in WALL_CLOCK} if isinstance(r, dict) else r for r in value]
    if key == "report" and isinstance(value, str):
        return re.sub(r"^ok \(pdf: .*\)$", "ok (pdf)", value)
    return value


def _diff(a: Any, b: Any, path: str) -> list[str]:
    """Where ``a`` (recorded) and ``b`` (re-run) differ, as ``path: recorded X, re-run Y``."""
    if isinstance(a, dict) and isinstance(b, dict):
        return [line for k in sorted(set(a) | set(b), key=str)
                for line in _diff(a.get(k, "(absent)"), b.get(k, "(absent)"), f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [line for i, (x, y) in enumerate(zip(a, b, strict=True)) for line in _diff(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: recorded {_shown(a)}, re-run {_shown(b)}"]
