"""Build a run folder's ``report.html`` and ``report.pdf``, and rebuild them later (``sorbench report``).

:func:`build_report` reads only the run folder, renders the HTML from the templates, prints the PDF (Chromium, or the
matplotlib fallback) and puts both in place by renaming temporary files, so a reader never sees half a report.
:func:`rebuild_report` does the same for an existing run folder and updates the report files' entries in its
manifest, so ``sorbench verify`` still passes.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import UserError
from harness.report import context as sections
from harness.report import evidence, methodology
from harness.report.data import REPORT_FILES, RunData, load_run_data, read_manifest, sha256_file
from harness.report.provenance import (
    BODY_HASH,
    manifest_body_sha256,
    run_data,
    run_data_script,
)

HTML_NAME, PDF_NAME = REPORT_FILES
SECTIONS = (
    ("summary", "Summary verdict per router"), ("review", "Quarterly review"), ("tca", "TCA dashboard"),
    ("paired", "Paired comparisons"), ("conflict", "Conflict of interest"), ("exceptions", "Exceptions"),
    ("regulatory", "Rule 605/606 tables"), ("glossary", "Glossary of headline figures"),
    ("methodology", "Methodology and model assumptions"), ("reproducibility", "Reproducibility"),
)
"""The report's sections, in order: (HTML id, heading)."""
_PARTIAL = re.compile(r"^\.(?P<name>.+)\.partial-\d+$")


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`build_report` wrote: the HTML, the PDF (None with ``pdf=False``) and what printed the PDF."""

    html: Path
    pdf: Path | None
    pdf_renderer: str | None
    """``headless Chromium <version>``, the matplotlib fallback, or None when no PDF was made."""
    figures: int
    tables: int


def _session_text(sc: dict[str, Any]) -> str:
    s = sc.get("session") or {}
    return f"{s.get('date', '?')} {s.get('start', '?')}-{s.get('end', '?')}"


def report_context(data: RunData, *, run_path: Path, pdf_renderer: str) -> dict[str, Any]:
    """Everything the templates show, built from the run folder's tables (figures not included)."""
    bench = sections.benchmark_router(data)
    analysis = str(data.manifest.get("analysis", "ok"))
    warnings = []
    if analysis not in ("ok", "skipped"):
        warnings.append(f"The analytics of this run failed ({analysis}); sections built on them are missing. "
                        "See failures/analysis.txt.")
    elif data.table("tca/review.csv") is None:
        warnings.append("This run folder holds no analytics (tca/, conflict/, regulatory/): most sections are empty. "
                        "Running sorbench report on the folder runs them first.")
    failed = [f"{r.get('router')} (seed {r.get('seed')})" for r in data.manifest.get("runs", []) or []
              if isinstance(r, dict) and r.get("status") != "ok"]
    if failed:
        warnings.append(f"Simulations that failed: {', '.join(failed)}. Their routers have no results for those seeds.")
    dashboard = [{"title": "All symbols" if t.key == "dashboard-all" else t.key.removeprefix("dashboard-"), "table": t}
                 for t in sections.dashboard_tables(data, bench)]
    title = f"Best-execution report: {data.scenario.get('name', data.folder.name)}"
    return {
        "title": title,
        "page": page_marks(data, title=title, run_path=run_path),
        "run_specific": run_data_script(run_data(data.manifest, run_path=run_path, pdf_renderer=pdf_renderer)),
        "run": {"scenario": data.scenario.get("name", "?"), "description": data.scenario.get("description", ""),
                "session": _session_text(data.scenario), "seeds": data.manifest.get("seeds", []),
                "routers": data.routers, "benchmark": bench, "analysis": analysis,
                "benchmark_statement": evidence.benchmark_statement(data, bench)},
        "sections": [{"id": i, "title": t} for i, t in SECTIONS],
        "warnings": warnings,
        "summary": sections.summary_section(data),
        "review": sections.review_section(data),
        "dashboard": dashboard,
        "paired": sections.paired_section(data, bench),
        "conflict": evidence.conflict_section(data),
        "exceptions": sections.exceptions_section(data),
        "regulatory": evidence.regulatory_section(data),
        "glossary": {"table": methodology.glossary_table()},
        "methodology": {"parameters": methodology.parameter_tables(data),
                        "analysis": methodology.analysis_tables(data)},
        "a": methodology.assumption_values(data),
        "repro": methodology.reproducibility_section(data, run_path=run_path, pdf_renderer=pdf_renderer),
    }


CONFIDENTIAL = ("Confidential: prepared for the firm's best-execution review. Simulated evidence, not customer "
                "executions.")
"""The printed report's footer line."""


def page_marks(data: RunData, *, title: str, run_path: Path) -> dict[str, str]:
    """The printed report's running header and footer.

    Left the title, right the scenario with its hash, centre the run id and start date (run-specific: a re-run differs
    there, so it sits in the HTML's run-specific block); the footer a confidentiality line and the page number.
    """
    started = str(data.manifest.get("started_utc") or "")[:10] or "date not recorded"
    sha = str(data.manifest.get("scenario_sha256") or "")[:12]
    scenario = str(data.scenario.get("name", "?")) + (f" ({sha})" if sha else "")
    return {"head_left": f"sorbench - {title}", "head_right": f"scenario {scenario}",
            "head_run": f"run {run_path.name} - {started} UTC", "foot_left": CONFIDENTIAL}


def _tables_of(ctx: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every table of the context with the section it belongs to, in report order (for the fallback PDF)."""
    from harness.report.tables import Table

    out: list[tuple[str, Any]] = []

    def walk(section: str, node: Any) -> None:
        if isinstance(node, Table):
            out.append((section, node))
        elif isinstance(node, dict):
            for v in node.values():
                walk(section, v)
        elif isinstance(node, list):
            for v in node:
                walk(section, v)

    for key, title in (("summary", "Summary verdict per router"), ("review", "Quarterly review"),
                       ("dashboard", "TCA dashboard"), ("paired", "Paired comparisons"),
                       ("conflict", "Conflict of interest"), ("exceptions", "Exceptions"),
                       ("regulatory", "Rule 605/606 tables"), ("glossary", "Glossary of headline figures"),
                       ("methodology", "Methodology and model assumptions"),
                       ("repro", "Reproducibility")):
        walk(title, ctx[key])
    return out


def _fallback_sections(ctx: dict[str, Any], assumptions_text: list[str]) -> list[tuple[str, list[str]]]:
    """The report's sections as text for the fallback PDF: every table, and the assumptions in words."""
    from harness.report.pdf import table_lines

    by_section: dict[str, list[str]] = {title: [] for _i, title in SECTIONS}
    by_section["Methodology and model assumptions"] += [*assumptions_text, ""]
    by_section["Summary verdict per router"] += [ctx["run"]["benchmark_statement"]["text"], ""]
    for section, table in _tables_of(ctx):
        by_section[section] += [*table_lines(table), ""]
    repro = ctx["repro"]
    by_section["Reproducibility"] += ["To run again:", "  " + repro["rerun_command"], "To verify and rebuild:",
                                      "  " + repro["verify_command"], "  " + repro["report_command"]]
    return [(title, lines or ["(nothing to show)"]) for title, lines in by_section.items()]


def _html_text(fragment: str) -> list[str]:
    """Plain text of an HTML fragment, one wrapped paragraph per list item or paragraph."""
    import html as html_mod
    import textwrap

    from harness.report.pdf import WRAP

    text = re.sub(r"<(li|p|h4)[^>]*>", "\n\n", fragment)
    text = html_mod.unescape(re.sub(r"<[^>]+>", "", text))
    out: list[str] = []
    for para in re.split(r"\n\s*\n", text):
        words = " ".join(para.split())
        if words:
            out += [*textwrap.wrap(words, WRAP), ""]
    return out


def display_path(folder: Path) -> Path:
    """The folder's path as its reader will know it.

    A run's hidden temporary folder ``.NAME.partial-PID`` is shown as ``NAME`` beside it (where it is renamed to when
    the run finishes).
    """
    folder = folder.resolve()
    m = _PARTIAL.match(folder.name)
    return folder.parent / m.group("name") if m else folder


def build_report(folder: Path | str, *, pdf: bool = True, run_path: Path | None = None,
                 pdf_label: str | None = None) -> ReportFiles:
    """Write ``report.html`` (and ``report.pdf`` with ``pdf``) into the run folder ``folder`` from its files only.

    ``run_path`` is the folder's path to show in the reproducibility section (default: the folder's, with a run's
    temporary folder name resolved, see :func:`display_path`); ``pdf_label`` the PDF engine to name there (default:
    the one used; ``sorbench verify`` re-renders a report with the label the report records). Raises ``UserError``
    for a folder that is not a run folder or holds an unreadable table; returns the files written and the PDF
    renderer used.
    """
    from harness.report import pdf as pdf_mod
    from harness.report.figures import make_figures
    from harness.report.html import render_html, template_env

    folder = Path(folder)
    data = load_run_data(folder)
    engine = pdf_mod.find_renderer() if pdf else None
    renderer = engine.label if engine is not None else None
    ctx = report_context(data, run_path=run_path or display_path(folder),
                         pdf_renderer=pdf_label or renderer or "no PDF printed with this build (html only)")
    figures = make_figures(data, bench=ctx["run"]["benchmark"], terms=evidence.venue_terms(data))
    ctx["figures"] = figures
    text = render_html(ctx)
    html_tmp = pdf_tmp = None
    try:
        # Temporary names beside the targets (hidden, so a folder listing never shows half a report); plain open()
        # so the files get the user's usual permissions.
        html_tmp = folder / f".{HTML_NAME}.tmp-{os.getpid()}.html"  # Chromium reads the type from the name
        with open(html_tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        if pdf:
            pdf_tmp = folder / f".{PDF_NAME}.tmp-{os.getpid()}.pdf"
            pdf_tmp.unlink(missing_ok=True)
            assert engine is not None

            def text_fallback(path: Path) -> None:
                assumptions = template_env().get_template("_assumptions.html.j2").render(a=ctx["a"])
                pdf_mod.render_fallback_pdf(path, _fallback_sections(ctx, _html_text(assumptions)),
                                            list(figures.values()))

            pdf_mod.write_pdf(engine, html_tmp, pdf_tmp, text_fallback)
            os.replace(pdf_tmp, folder / PDF_NAME)
            pdf_tmp = None
        os.replace(html_tmp, folder / HTML_NAME)
        html_tmp = None
    except OSError as exc:
        raise UserError(f"{folder}: cannot write the report ({exc.strerror or exc})") from None
    finally:
        for p in (html_tmp, pdf_tmp):
            if p is not None:
                p.unlink(missing_ok=True)
    return ReportFiles(html=folder / HTML_NAME, pdf=(folder / PDF_NAME) if pdf else None, pdf_renderer=renderer,
                       figures=len(figures), tables=len(_tables_of(ctx)))


def report_status(files: ReportFiles) -> str:
    """The manifest's ``report`` entry for a report that was built."""
    return f"ok (pdf: {files.pdf_renderer})" if files.pdf_renderer else "ok (html only)"


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    path = folder / "manifest.json"
    tmp = folder / f".manifest.json.tmp-{os.getpid()}"
    manifest.pop(BODY_HASH, None)
    manifest[BODY_HASH] = manifest_body_sha256(manifest)  # last, over every other field (docs/workflows.md)
    try:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{path}: cannot write ({exc.strerror or exc})") from None


def rebuild_report(folder: Path | str, *, pdf: bool = True) -> ReportFiles:
    """``sorbench report``: rebuild a run folder's report and record the new report files' hashes in its manifest.

    A folder without ``tca/`` gets its analytics first (``tca/``, ``regulatory/`` and ``conflict/``, whose files are
    added to the manifest's ``files`` and ``analysis`` set to ``ok``, so a re-run by ``sorbench verify`` analyses too).
    Every other file's recorded hash is left as it is. With ``pdf=False`` an existing ``report.pdf`` (of an earlier
    build, which the rebuilt report no longer matches) is removed with its manifest entry.
    """
    folder = Path(folder)
    manifest = read_manifest(folder)
    if not isinstance(manifest.get("files"), dict):
        raise UserError(f"{folder / 'manifest.json'}: files: required field is missing (an unfinished run?)")
    if not (folder / "tca").is_dir():
        from harness.analytics import analyze
        from harness.analytics.regulatory_settings import regulatory_from_manifest
        from harness.analytics.review_policy import ReviewPolicy

        policy = manifest.get("review_policy")
        analyze(folder, policy=ReviewPolicy.model_validate(policy) if policy else None,
                regulatory=regulatory_from_manifest(manifest.get("regulatory")))
        for sub in ("tca", "regulatory", "conflict"):
            for p in sorted((folder / sub).rglob("*")):
                if p.is_file():
                    manifest["files"][p.relative_to(folder).as_posix()] = sha256_file(p)
        manifest["files"] = dict(sorted(manifest["files"].items()))
        manifest["analysis"] = "ok"
        _write_manifest(folder, manifest)
    if not pdf and (folder / PDF_NAME).is_file():
        # a PDF of an earlier build no longer matches the rebuilt report (verify compares them): it goes
        (folder / PDF_NAME).unlink()
    files = build_report(folder, pdf=pdf)
    manifest = read_manifest(folder)
    if not pdf:
        manifest["files"].pop(PDF_NAME, None)
    for name in REPORT_FILES:
        if (folder / name).is_file():
            manifest["files"][name] = sha256_file(folder / name)
    manifest["files"] = dict(sorted(manifest["files"].items()))
    manifest["report"] = report_status(files)
    _write_manifest(folder, manifest)
    return files
