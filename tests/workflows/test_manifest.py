"""The manifest carries what a reviewer needs to reproduce a run: package versions among them, and verify reports
a run made with other versions (a note, since a version change may legitimately change results)."""

from __future__ import annotations

import json
import shutil
from importlib.metadata import version

from harness.report.provenance import BODY_HASH, manifest_body_sha256
from harness.workflows.provenance import RESULT_PACKAGES
from harness.workflows.run import run_scenario
from harness.workflows.verify import verify_run
from tests.sim.helpers import small_scenario


def test_manifest_records_package_versions_and_verify_notes_a_difference(tmp_path):
    out = tmp_path / "run"
    run_scenario(small_scenario(), scenario_path=None, routers=["best-price"], seeds=[1], out_dir=out,
                 results_root=tmp_path, report=False)  # no report: its data would name the edit below as tampering
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["packages"]) == set(RESULT_PACKAGES)
    assert manifest["packages"]["numpy"] == version("numpy") and manifest["packages"]["simpy"] == version("simpy")
    for key in ("scenario", "seeds", "routers", "sorbench_version", "git_commit", "python", "review_policy",
                "regulatory", "files"):
        assert key in manifest

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    manifest["packages"]["numpy"] = "0.0.1"  # as a run made elsewhere would record (its canonical hash to match)
    manifest[BODY_HASH] = manifest_body_sha256(manifest)
    (copy / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    report = verify_run(copy)
    assert report.ok, report.problems  # the results still reproduce: only a note
    assert f"run made with numpy 0.0.1, verifying with {version('numpy')}" in report.notes
