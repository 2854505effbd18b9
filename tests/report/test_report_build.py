"""report.html of a run folder: written and hashed by the run, self-contained, deterministic, true to the tables,
rebuilt by ``sorbench report`` with only the report's hashes changed in the manifest."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import lxml.html
import pandas as pd
import pytest

from harness.report import SECTIONS, build_report, rebuild_report
from harness.report.provenance import BEGIN, END, RUN_DATA_ID, comparable_bytes, read_run_data
from harness.workflows.verify import verify_run
from tests.report.conftest import REPORT_ROUTERS, small_report_run
from tests.sim.helpers import REPO, CrashingRouter, registry_with

STATUS_RANK = {"pass": 0, "review": 1, "fail": 2}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _table(html: str, key: str) -> list[list[str]]:
    """The body rows (not sub-headings) of table ``t-<key>`` as cell texts."""
    doc = lxml.html.fromstring(html)
    (table,) = doc.xpath(f'//table[@id="t-{key}"]')
    return [[td.text_content().strip() for td in tr.xpath("./td")] for tr in table.xpath("./tbody/tr")
            if "group" not in (tr.get("class") or "")]


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300, env=env)


def test_a_run_writes_its_report_and_records_its_hashes(report_run):
    manifest = _manifest(report_run)
    assert manifest["report"].startswith("ok")
    for name in ("report.html", "report.pdf"):
        assert manifest["files"][name] == _sha(report_run / name)
    assert not list(report_run.glob(".*")), "no temporary file is left in the run folder"


def test_the_html_is_one_self_contained_file_without_scripts_or_external_urls(report_run):
    html = (report_run / "report.html").read_text(encoding="utf-8")
    # no script: the one script element is the run-specific data, a type browsers never execute
    assert html.lower().count("<script") == 1
    assert html.count(f'<script type="application/json" id="{RUN_DATA_ID}">') == 1
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", html), "every src/href is inline or an anchor"
    assert not re.search(r"url\(\s*['\"]?(?!data:)", html), "no CSS url() to fetch"
    images = re.findall(r'<img src="([^"]+)"', html)
    assert len(images) >= 6
    for src in images:
        head, data = src.split(",", 1)
        assert head == "data:image/png;base64"
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    assert re.findall(r"<h2>(.*?)</h2>", html) == [title for _id, title in SECTIONS]
    # two run-specific blocks: the printed header's run id and date (head), the reproducibility section (body)
    assert html.count(BEGIN) == 2 and html.count(END) == 2
    data = read_run_data(html.encode())  # plain data that agrees with the manifest
    manifest = json.loads((report_run / "manifest.json").read_text(encoding="utf-8"))
    assert data["git_commit"] == manifest["git_commit"] and data["run_folder"].endswith(report_run.name)


def test_the_summary_verdicts_are_review_csvs_worst_status_per_router(report_run):
    review = pd.read_csv(report_run / "tca" / "review.csv")
    worst = review.groupby("router")["status"].agg(lambda s: max(s, key=STATUS_RANK.__getitem__)).to_dict()
    rows = _table((report_run / "report.html").read_text(encoding="utf-8"), "verdict")
    shown = {r[0].removesuffix(" (benchmark)"): r[2] for r in rows}
    assert shown == worst
    assert set(shown) == set(REPORT_ROUTERS)
    conflict = pd.read_csv(report_run / "conflict" / "summary.csv").set_index("router")
    for r in rows:
        router = r[0].removesuffix(" (benchmark)")
        assert r[4] == conflict.loc[router, "finding"]  # Router, Runs, Review verdict, Rules counts, Conflict
        assert (r[4] == "flagged") == bool(conflict.loc[router, "flagged"])
    # the report run has too few seeds for any verdict: nobody is shown clean
    assert set(conflict["finding"]) <= {"flagged", "insufficient evidence"}


def test_the_drift_table_shows_each_routers_pooled_row_of_drift_csv(report_run):
    drift = pd.read_csv(report_run / "tca" / "drift.csv", dtype={"seed": str})
    pooled = drift[drift["seed"] == "all"]
    rows = _table((report_run / "report.html").read_text(encoding="utf-8"), "drift")
    assert [r[0] for r in rows] == list(pooled["router"])
    for r, (_, d) in zip(rows, pooled.iterrows(), strict=True):
        assert r[1] == f"{d['parents']:,}" and r[2] == f"{d['arrival_differs_share']:.1%}"


def test_the_review_tables_show_every_row_of_review_csv(report_run):
    review = pd.read_csv(report_run / "tca" / "review.csv")
    html = (report_run / "report.html").read_text(encoding="utf-8")
    keys = re.findall(r'id="t-(review-(?:price|speed|fill|venue|other))"', html)
    shown = [row for key in keys for row in _table(html, key)]
    assert len(shown) == len(review)
    assert sorted((r[0], r[1], r[-2]) for r in shown) == sorted(
        zip(review["router"], review["symbol"], review["status"], strict=True))


def test_building_twice_from_the_same_folder_gives_the_same_html_bytes(run_copy):
    build_report(run_copy, pdf=False)
    first = (run_copy / "report.html").read_bytes()
    build_report(run_copy, pdf=False)
    assert (run_copy / "report.html").read_bytes() == first


def test_a_rebuilt_report_equals_the_runs_outside_its_run_specific_block(report_run, run_copy):
    rebuild_report(run_copy, pdf=False)
    original = (report_run / "report.html").read_bytes()
    rebuilt = (run_copy / "report.html").read_bytes()
    assert rebuilt != original  # the copy's path (and the PDF line) differ, inside the run-specific block
    assert comparable_bytes(rebuilt) == comparable_bytes(original)


def test_sorbench_report_changes_only_the_report_files_hashes(run_copy):
    before = _manifest(run_copy)["files"]
    (run_copy / "report.html").write_text("stale", encoding="utf-8")
    proc = _cli("report", str(run_copy), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    after = _manifest(run_copy)["files"]
    # --no-pdf: the earlier build's report.pdf no longer matches the rebuilt report, so it goes with its entry
    assert set(after) == set(before) - {"report.pdf"} and not (run_copy / "report.pdf").exists()
    assert {k for k in after if after[k] != before[k]} == {"report.html"}
    assert after["report.html"] == _sha(run_copy / "report.html")
    assert verify_run(run_copy, rerun=False).ok


@pytest.mark.parametrize("case", ["no folder", "no manifest", "unreadable table", "missing column"])
def test_sorbench_report_errors_are_one_line_with_exit_status_2(case, run_copy, tmp_path):
    target = run_copy
    if case == "no folder":
        target = tmp_path / "nope"
    elif case == "no manifest":
        target = tmp_path / "empty"
        target.mkdir()
    elif case == "unreadable table":
        (run_copy / "tca" / "review.csv").write_bytes(b"\xff\xfe\x00\x00not utf-8")
    else:
        (run_copy / "tca" / "paired.csv").write_text("figure,router_a\npi_per_share,a\n", encoding="utf-8")
    proc = _cli("report", str(target), "--no-pdf")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in proc.stderr
    expected = {"no folder": "not a run folder", "no manifest": "manifest.json: not found",
                "unreadable table": "tca/review.csv: cannot read",
                "missing column": "tca/paired.csv: column 'router_b' is missing"}[case]
    assert expected in lines[0]


def test_a_run_without_analytics_gets_them_and_its_report_from_sorbench_report(tmp_path):
    out = small_report_run(tmp_path, routers=["best-price", "single-venue"], analyze_tables=False)
    manifest = _manifest(out)
    assert manifest["analysis"] == "skipped" and manifest["report"] == "skipped"
    assert not (out / "report.html").exists()
    files = rebuild_report(out, pdf=False)
    assert files.html.is_file() and (out / "tca" / "review.csv").is_file()
    manifest = _manifest(out)
    assert manifest["analysis"] == "ok" and manifest["report"].startswith("ok")
    assert "tca/review.csv" in manifest["files"] and "report.html" in manifest["files"]
    assert verify_run(out, rerun=False).ok
    rows = _table(files.html.read_text(encoding="utf-8"), "verdict")
    assert [r[0] for r in rows] == ["best-price (benchmark)", "single-venue"]


def test_a_failed_router_is_reported_as_failed_beside_a_lone_working_router(tmp_path, monkeypatch):
    monkeypatch.setenv("SORBENCH_PDF", "text")  # the fallback PDF: quicker, and this test is about the HTML
    out = small_report_run(tmp_path, routers=["single-venue", CrashingRouter.name],
                           registry=registry_with(CrashingRouter))
    assert _manifest(out)["report"].startswith("ok")
    html = (out / "report.html").read_text(encoding="utf-8")
    rows = {r[0].removesuffix(" (benchmark)"): r for r in _table(html, "verdict")}
    assert rows[CrashingRouter.name][1] == "failed" and rows[CrashingRouter.name][2] == "failed"
    assert rows["single-venue"][1] == "ok" and rows["single-venue"][2] in STATUS_RANK
    assert CrashingRouter.MESSAGE in html  # the error is quoted
    # One working router and no reference router: no benchmark, so no comparison against one; the figures still load.
    assert 'id="t-paired-benchmark"' not in html and 'id="t-dashboard-all"' in html
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) >= 6


def test_a_report_failure_is_recorded_and_never_loses_the_run(tmp_path, monkeypatch):
    import harness.report

    def broken(*_args, **_kwargs):
        raise RuntimeError("report exploded on purpose")

    monkeypatch.setattr(harness.report, "build_report", broken)
    out = small_report_run(tmp_path, routers=["best-price"])
    manifest = _manifest(out)
    assert manifest["report"] == "failed: RuntimeError: report exploded on purpose"
    assert "report exploded on purpose" in (out / "failures" / "report.txt").read_text(encoding="utf-8")
    assert "failures/report.txt" in manifest["files"] and "fills.parquet" in manifest["files"]
    assert (out / "tca" / "review.csv").is_file() and not (out / "report.html").exists()
    assert verify_run(out, rerun=False).ok
