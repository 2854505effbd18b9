"""Tampered run folders fail ``sorbench verify`` with a line naming what changed (issue 17, items 5 and 7).

Each case is a careful forger's edit: the file or field is changed, then every hash the manifest records (the files'
sha256 and ``manifest_body_sha256``) is rewritten to match, so the file hashes alone would pass. What still catches
it: the manifest's fields checked against each other and against the report's run-specific data, the report
re-rendered from the folder's data, the re-run, and a signature.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from harness.report.provenance import BODY_HASH, manifest_body_sha256
from harness.workflows.verify import verify_run

Manifest = dict[str, Any]


def forge(folder: Path, edit: Callable[[Manifest], None] | None = None) -> None:
    """Apply ``edit`` to the manifest, then rewrite every file hash and the manifest's canonical hash to match."""
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if edit is not None:
        edit(manifest)
    manifest["files"] = {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in ("manifest.json", "signature.json")
    }
    manifest[BODY_HASH] = manifest_body_sha256(manifest)
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def copy_of(run: Path, tmp_path: Path) -> Path:
    dst = tmp_path / run.name
    shutil.copytree(run, dst)
    return dst


def edit_text(folder: Path, name: str, old: str, new: str, *, count: int = 1) -> None:
    p = folder / name
    text = p.read_text(encoding="utf-8")
    assert old in text, (name, old)
    p.write_text(text.replace(old, new, count), encoding="utf-8")


def _set(key: str, value: Any) -> Callable[[Manifest], None]:
    return lambda m: m.__setitem__(key, value)


def _first_run_failed(m: Manifest) -> None:
    m["runs"][0]["status"] = "failed"


def _finished_first(m: Manifest) -> None:
    m["finished_utc"] = "2000-01-01T00:00:00+00:00"


FIELD_EDITS: dict[str, tuple[Callable[[Manifest], None], str]] = {
    # manifest-only edits, hashes rewritten; expected line (substring)
    "git_commit": (_set("git_commit", "0" * 40), "manifest.json: git_commit:"),
    "sorbench_version": (_set("sorbench_version", "9.9.9"), "manifest.json: sorbench_version:"),
    "started_utc": (_set("started_utc", "2020-01-01T00:00:00+00:00"), "manifest.json: started_utc:"),
    "command": (_set("command", ["sorbench", "run", "--seeds", "20"]), "manifest.json: command:"),
    "python": (_set("python", "3.0.0"), "manifest.json: python:"),
    "platform": (_set("platform", "Plan9"), "manifest.json: platform:"),
    "packages": (lambda m: m["packages"].__setitem__("numpy", "0.1"), "manifest.json: packages:"),
    "jobs": (_set("jobs", 64), "manifest.json: jobs:"),
    "scenario_file": (_set("scenario_file", "/elsewhere.toml"), "manifest.json: scenario_file:"),
    "scenario_sha256": (_set("scenario_sha256", "ab" * 32), "manifest.json: scenario_sha256:"),
    "runs[].status": (_first_run_failed, "manifest.json: partial:"),
    "partial": (_set("partial", True), "manifest.json: partial:"),
    "failures": (_set("failures", ["best-price seed 1: crashed"]), "manifest.json: failures:"),
    "finished_utc": (_finished_first, "manifest.json: finished_utc: before started_utc"),
    "report engine": (_set("report", "ok (pdf: Acrobat)"), "manifest.json: report:"),
}


@pytest.mark.parametrize("case", sorted(FIELD_EDITS))
def test_a_manifest_only_edit_with_every_hash_rewritten_fails_verify(signed_off_run, tmp_path, case):
    edit, needle = FIELD_EDITS[case]
    folder = copy_of(signed_off_run, tmp_path)
    forge(folder, edit)
    report = verify_run(folder, rerun=False, check_report=False)
    assert all(s == "ok" for s in report.integrity.values())  # the file hashes alone would pass
    assert not report.ok and any(needle in p for p in report.problems), report.problems


def test_an_untouched_folder_passes_the_same_checks(signed_off_run):
    """The control: the same checks find nothing in the folder as the run wrote it."""
    report = verify_run(signed_off_run, rerun=False, check_report=False)
    assert report.ok, report.problems


def test_a_manifest_edit_that_keeps_the_old_canonical_hash_is_named(signed_off_run, tmp_path):
    """A careless forger edits a field (here a run's counter, which no other check covers) and leaves the hash."""
    folder = copy_of(signed_off_run, tmp_path)
    path = folder / "manifest.json"
    m = json.loads(path.read_text())
    m["runs"][0]["messages"] += 1
    path.write_text(json.dumps(m, indent=2))
    problems = verify_run(folder, rerun=False, check_report=False).problems
    assert problems == [f"manifest.json: a field changed after the run ({BODY_HASH} is not the hash of the fields)"]


def test_a_manifest_without_its_canonical_hash_is_named(signed_off_run, tmp_path):
    folder = copy_of(signed_off_run, tmp_path)
    path = folder / "manifest.json"
    m = json.loads(path.read_text())
    del m[BODY_HASH]
    path.write_text(json.dumps(m, indent=2))
    assert any("not recorded" in p for p in verify_run(folder, rerun=False, check_report=False).problems)


HTML_EDITS = {
    # a script after the data element, inside the head's run-specific block (the "fail" -> "pass" script)
    "script in head block": (
        '</script>\n<style>@page',
        '</script>\n<script>document.querySelectorAll(".badge.fail").forEach(e=>e.textContent="pass")</script>\n'
        '<style>@page', "active content"),
    "script in body block": ('<p class="note">Run-specific:', '<script src="https://x.example/a.js"></script>'
                             '<p class="note">Run-specific:', "active content"),
    "event handler": ("<body>", '<body onload="alert(1)">', "active content"),
    "markup in the data": ('"pdf_renderer":', '"pdf_renderer":"</script><img src=x>",', "JSON data element"),
    "data edited": ('"jobs":1', '"jobs":2', "manifest.json: jobs:"),
}


@pytest.mark.parametrize("case", sorted(HTML_EDITS))
def test_script_or_edited_data_in_the_report_fails_verify(signed_off_run, tmp_path, case):
    old, new, needle = HTML_EDITS[case]
    folder = copy_of(signed_off_run, tmp_path)
    edit_text(folder, "report.html", old, new)
    forge(folder)
    report = verify_run(folder, rerun=False, check_report=False)
    assert not report.ok and any(needle in p for p in report.problems), report.problems


def test_a_pdf_given_a_javascript_open_action_fails_verify(signed_off_run, tmp_path):
    """Document JavaScript added with pypdf (what a reader runs on opening): named without re-rendering."""
    import pypdf

    folder = copy_of(signed_off_run, tmp_path)
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = pypdf.PdfWriter(clone_from=folder / "report.pdf")
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert('pass');")})
    writer.write(folder / "report.pdf")
    forge(folder)
    report = verify_run(folder, rerun=False, check_report=False)
    assert any(p.startswith("report.pdf: holds a PDF") for p in report.problems), report.problems


def test_added_and_removed_files_are_named(signed_off_run, tmp_path):
    folder = copy_of(signed_off_run, tmp_path)
    (folder / "evil.py").write_text("print('hi')\n")
    (folder / "tca" / "ranking.csv").unlink()
    problems = verify_run(folder, rerun=False, check_report=False).problems
    assert "evil.py: added (integrity)" in problems and "tca/ranking.csv: missing (integrity)" in problems


# ---- the report re-rendered from the folder's data (each case builds the report once more: ~10-20 s)


def test_an_untouched_report_is_what_sorbench_renders_from_the_folder(signed_off_run):
    report = verify_run(signed_off_run, rerun=False)
    assert report.ok, report.problems


def test_a_text_edit_outside_the_block_and_a_pdf_edit_are_named_by_the_re_rendering(signed_off_run, tmp_path):
    """report.html with one verdict word changed, and report.pdf with one byte of its Creator changed."""
    folder = copy_of(signed_off_run, tmp_path)
    edit_text(folder, "report.html", '<span class="badge fail">fail</span>', '<span class="badge fail">pass</span>')
    pdf = (folder / "report.pdf").read_bytes()
    assert b"/Creator (Mozilla" in pdf or b"/Producer" in pdf
    edited = (pdf.replace(b"/Creator (Mozilla", b"/Creator (Mozillb", 1) if b"/Creator (Mozilla" in pdf
              else pdf.replace(b"/Producer (", b"/Producer (X", 1))
    (folder / "report.pdf").write_bytes(edited)
    forge(folder)
    problems = verify_run(folder, rerun=False).problems
    assert "report.html: not what sorbench renders from the folder's data (outside the run-specific block)" \
        in problems, problems
    assert any(p.startswith("report.pdf: not what sorbench prints") or p.startswith("report.pdf: its text")
               for p in problems), problems


@pytest.mark.slow
def test_router_params_edited_in_the_manifest_are_named_by_the_report_and_by_the_re_run(signed_off_run, tmp_path):
    """best-price max_rounds 20 -> 1 in routers[].params only (the issue's "re-runs identical")."""
    folder = copy_of(signed_off_run, tmp_path)

    def edit(m: Manifest) -> None:
        m["routers"][0]["params"]["max_rounds"] = 1

    forge(folder, edit)
    problems = verify_run(folder).problems
    assert "manifest.json: routers[0].params.max_rounds: recorded 1, re-run 20 (re-run)" in problems, problems
    assert any(p.startswith("report.html: not what sorbench renders") for p in problems), problems


@pytest.mark.slow
def test_a_consistent_status_forgery_is_named_by_the_report(signed_off_run, tmp_path):
    """runs[0] made failed with partial and failures to match: the report's runs table still says ok."""
    folder = copy_of(signed_off_run, tmp_path)

    def edit(m: Manifest) -> None:
        m["runs"][0].update(status="failed", error="crashed")
        m["partial"] = True
        m["failures"] = ["best-price seed 1: crashed"]

    forge(folder, edit)
    problems = verify_run(folder, rerun=False).problems
    assert any(p.startswith("report.html: not what sorbench renders") for p in problems), problems
