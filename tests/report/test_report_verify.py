"""sorbench verify and the report files: integrity-checked like every file; in the re-run comparison report.html is
compared without its run-specific block and report.pdf is not compared (both are re-rendered from the folder's data
and compared by the evidence checks, tests/hostile/test_tampering.py)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

import harness.workflows.verify
from harness.report.provenance import BEGIN, BODY_HASH, END, manifest_body_sha256
from harness.workflows.verify import reproduce, verify_run


def _rewrite(folder: Path, name: str, old: str, new: str) -> None:
    """Edit a file of the run folder and record its new hash in the manifest (a careful forger)."""
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"][name] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest[BODY_HASH] = manifest_body_sha256(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


@pytest.fixture(scope="module")
def rerun(report_run: Path) -> tuple[dict[str, str], list[str]]:
    """The re-run of the small run from its manifest (what verify computes), done once for the module."""
    return reproduce(json.loads((report_run / "manifest.json").read_text(encoding="utf-8")))


def test_a_run_with_its_report_verifies_and_the_pdf_is_not_compared(report_run, rerun, monkeypatch):
    monkeypatch.setattr(harness.workflows.verify, "reproduce",
                        lambda manifest, jobs=1, registry=None, executor="local": rerun)
    report = verify_run(report_run)
    assert report.ok, report.problems
    assert report.integrity["report.html"] == "ok" and report.integrity["report.pdf"] == "ok"
    assert report.reproduction["report.html"] == "ok"
    assert report.reproduction["report.pdf"] == "not compared"
    assert any(n.startswith("report.pdf: not compared") for n in report.notes)
    assert {"report.html", "report.pdf"} <= set(rerun[0])  # the re-run wrote its own report


def test_a_report_edited_outside_its_run_block_is_caught_by_the_rerun(run_copy, rerun, monkeypatch):
    monkeypatch.setattr(harness.workflows.verify, "reproduce",
                        lambda manifest, jobs=1, registry=None, executor="local": rerun)
    html = (run_copy / "report.html").read_text(encoding="utf-8")
    verdict = re.search(r'<span class="badge (?:fail|review)">(fail|review)</span>', html)
    assert verdict is not None
    _rewrite(run_copy, "report.html", verdict.group(0), '<span class="badge pass">pass</span>')
    report = verify_run(run_copy, check_report=False)
    assert all(s == "ok" for s in report.integrity.values())  # the hash was updated to match
    assert report.problems == ["report.html: differs (re-run)"]


def test_the_run_specific_block_is_left_out_of_the_rerun_comparison_but_checked_against_its_data(
    run_copy, rerun, monkeypatch
):
    """The block differs in a re-run, so the re-run comparison leaves it out; but what it shows must be what sorbench
    renders from its data, so an edited commit there is named by the re-rendering."""
    monkeypatch.setattr(harness.workflows.verify, "reproduce",
                        lambda manifest, jobs=1, registry=None, executor="local": rerun)
    html = (run_copy / "report.html").read_text(encoding="utf-8")
    block = html[html.rindex(BEGIN):html.rindex(END)]  # the reproducibility section's block (the last)
    commit = re.search(r"git commit</td><td[^>]*>([^<]*)</td>", block)
    assert commit is not None
    _rewrite(run_copy, "report.html", commit.group(0), commit.group(0).replace(commit.group(1), "elsewhere"))
    report = verify_run(run_copy)
    assert report.reproduction["report.html"] == "ok"
    assert report.problems == ["report.html: not what sorbench renders from the folder's data (inside the "
                               "run-specific block)"]


def test_a_run_folder_from_before_reports_verifies_without_one(run_copy):
    """A manifest without a "report" entry: the re-run writes no report, so nothing is extra or missing."""
    manifest = json.loads((run_copy / "manifest.json").read_text(encoding="utf-8"))
    del manifest["report"]
    for name in ("report.html", "report.pdf"):
        del manifest["files"][name]
        (run_copy / name).unlink()
    manifest[BODY_HASH] = manifest_body_sha256(manifest)
    (run_copy / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    report = verify_run(run_copy)
    assert report.ok, report.problems
    assert "report.html" not in report.reproduction
