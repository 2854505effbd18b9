"""sorbench verify: an untouched run verifies; an edited folder or edited results are named; bad input is one line."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.report.provenance import BODY_HASH, manifest_body_sha256
from harness.workflows.run import run_scenario
from harness.workflows.verify import verify_run
from tests.sim.helpers import REPO, small_scenario


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("verify")
    out = root / "run"
    run_scenario(small_scenario(), scenario_path=None, routers=["best-price", "single-venue"], seeds=[1, 2],
                 out_dir=out, results_root=root)
    return out


def _copy(run_dir: Path, tmp_path: Path) -> Path:
    import shutil

    dst = tmp_path / "copy"
    shutil.copytree(run_dir, dst)
    return dst


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=300)


def test_an_untouched_run_verifies_by_rerunning_it(run_dir):
    """Every recorded file is intact, and a re-run from the manifest gives the same sha256 for every one of them."""
    report = verify_run(run_dir)
    assert report.ok, report.problems
    assert report.reproduced
    assert set(report.reproduction) == set(json.loads((run_dir / "manifest.json").read_text())["files"])
    assert "fills.parquet" in report.reproduction and "tca/orders.parquet" in report.reproduction
    assert report.reproduction["common/nbbo.parquet"] == "ok"  # the common market is re-run and compared too


def test_an_edited_result_file_is_named_and_exits_1(run_dir, tmp_path):
    """Appending one byte to fills.parquet breaks its recorded hash: verify exits 1 and names it."""
    copy = _copy(run_dir, tmp_path)
    with open(copy / "fills.parquet", "ab") as fh:
        fh.write(b"\0")
    proc = _cli("verify", str(copy), "--no-rerun")
    assert proc.returncode == 1
    assert "fills.parquet: modified (integrity)" in proc.stdout
    assert "summary.csv" not in proc.stdout


def test_results_edited_with_the_manifest_rewritten_to_match_are_caught_by_the_rerun(run_dir, tmp_path):
    """A forger who edits summary.csv and updates its hash in the manifest passes integrity, not the re-run."""
    copy = _copy(run_dir, tmp_path)
    path = copy / "summary.csv"
    path.write_text(path.read_text().replace("best-price", "best-price ", 1))
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["summary.csv"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest[BODY_HASH] = manifest_body_sha256(manifest)  # the manifest's own hash rewritten too
    (copy / "manifest.json").write_text(json.dumps(manifest))
    report = verify_run(copy, check_report=False)
    assert all(s == "ok" for s in report.integrity.values())
    assert report.problems == ["summary.csv: differs (re-run)"]


def test_an_edited_common_market_is_named_by_integrity_and_by_the_rerun(run_dir, tmp_path):
    """A common market edited (one bid a cent lower) is named: modified, and with its hash rewritten, differs."""
    import pandas as pd

    copy = _copy(run_dir, tmp_path)
    path = copy / "common" / "nbbo.parquet"
    nbbo = pd.read_parquet(path)
    nbbo.loc[nbbo.index[len(nbbo) // 2], "bid"] -= 0.01
    nbbo.to_parquet(path, index=False)
    assert verify_run(copy, rerun=False, check_report=False).problems == ["common/nbbo.parquet: modified (integrity)"]
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["files"]["common/nbbo.parquet"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest[BODY_HASH] = manifest_body_sha256(manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest))
    assert verify_run(copy, check_report=False).problems == ["common/nbbo.parquet: differs (re-run)"]


def test_an_added_file_is_reported(run_dir, tmp_path):
    copy = _copy(run_dir, tmp_path)
    (copy / "extra.csv").write_text("x\n")
    report = verify_run(copy, rerun=False, check_report=False)
    assert report.problems == ["extra.csv: added (integrity)"]


def test_not_a_run_folder_is_one_line_exit_2(tmp_path):
    proc = _cli("verify", str(tmp_path))
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "manifest.json: not found" in proc.stderr
