"""``--json`` on run, compare, verify, validate, routers and tca: stdout is exactly one JSON object (status, exit_code,
paths, errors and the command's figures), every human line goes to stderr, and the exit status is the one without
``--json`` (0, 1, 2, 3), errors included (issue 18, item 6)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.cli.test_cli import REPO, sorbench, tiny_dict, write_toml

HOSTILE = REPO / "tests" / "data" / "plugins" / "hostile_routers.py"
KEYS = {"command", "status", "exit_code", "paths", "errors"}


def one_object(proc: Any) -> dict[str, Any]:
    """The single JSON object on stdout (one line), checked against the exit status."""
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    obj = json.loads(lines[0])
    assert set(obj) >= KEYS, obj
    assert obj["exit_code"] == proc.returncode, (obj, proc.stderr)
    return obj


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    base = tmp_path_factory.mktemp("json")
    scenario = write_toml(base / "tiny.toml", tiny_dict())
    proc = sorbench("run", scenario, "--out", base / "run", "--no-pdf", "--json", cwd=base)
    return base, proc


def test_run_json_gives_the_summary_the_verdicts_and_the_files(ran):
    base, proc = ran
    obj = one_object(proc)
    assert obj["command"] == "run" and obj["status"] == "ok" and obj["exit_code"] == 0 and obj["errors"] == []
    folder = Path(obj["paths"]["run_folder"])
    assert folder == base / "run" and all(Path(p).exists() for p in obj["paths"].values())
    assert {"manifest.json", "summary.csv", "report.html", "tca"} <= set(obj["paths"])
    summary = pd.read_csv(folder / "summary.csv")
    assert [r["router"] for r in obj["summary"]] == summary["router"].tolist() == ["best-price", "single-venue"]
    assert [r["orders"] for r in obj["summary"]] == summary["orders"].tolist()
    assert obj["summary"][0]["fill_rate"] == pytest.approx(summary["fill_rate"].iloc[0], rel=1e-5)  # csv: 6 digits
    assert {v["router"] for v in obj["verdicts"]} == {"best-price", "single-venue"}
    assert all(v["outcome"] in {"pass", "review", "fail", "flagged", "failed"} for v in obj["verdicts"])
    assert obj["seeds"] == [1]
    # the human summary went to stderr
    assert "Per-router summary" in proc.stderr and f"results: {folder}" in proc.stderr


def test_verify_json_intact_and_tampered(ran, tmp_path):
    base, _ = ran
    proc = sorbench("verify", base / "run", "--no-rerun", "--json", cwd=base)
    obj = one_object(proc)
    assert obj["status"] == "ok" and obj["verified"] is True and obj["problems"] == []
    assert obj["files_checked"] == len(json.loads((base / "run" / "manifest.json").read_text())["files"])
    copy = tmp_path / "copy"
    shutil.copytree(base / "run", copy)
    (copy / "summary.csv").write_text("tampered\n", encoding="utf-8")
    proc = sorbench("verify", copy, "--no-rerun", "--json", cwd=tmp_path)
    obj = one_object(proc)
    assert proc.returncode == 1 and obj["status"] == "failed" and obj["verified"] is False
    # the integrity failure first; verify's re-render of the report from the folder's data fails on it too
    assert obj["problems"][0] == "summary.csv: modified (integrity)"
    assert all(p.startswith(("summary.csv:", "report.html:")) for p in obj["problems"])
    assert "DIFFERS" in proc.stderr


def test_compare_and_tca_json(ran, tmp_path):
    base, _ = ran
    proc = sorbench("compare", base / "run", base / "run", "--out", tmp_path / "cmp", "--json", cwd=base)
    obj = one_object(proc)
    assert obj["status"] == "ok" and set(obj["verdicts"]) == {"best-price", "single-venue"}
    assert obj["config_diff"] == [] and obj["paths"]["compare"] == str(tmp_path / "cmp")
    assert len(obj["figures"]) == len(pd.read_csv(tmp_path / "cmp" / "compare.csv"))
    proc = sorbench("tca", "--run", base / "run", "--out", tmp_path / "tca", "--json", cwd=base)
    obj = one_object(proc)
    assert obj["status"] == "ok" and Path(obj["paths"]["summary.csv"]).is_file()
    assert {r["router"] for r in obj["summary"]} == {"best-price", "single-venue"}
    assert "Per-router execution quality" in proc.stderr


def test_routers_json_lists_the_registry(tmp_path):
    from adapters.loader import full_registry

    obj = one_object(sorbench("routers", "--json", cwd=tmp_path))
    assert [r["name"] for r in obj["routers"]] == full_registry().names()
    assert {r["origin"] for r in obj["routers"]} >= {"built-in"}


def test_errors_are_json_with_the_error_line_and_exit_2(tmp_path):
    bad = tiny_dict()
    bad["session"]["seed"] = "x"
    scenario = write_toml(tmp_path / "bad.toml", bad)
    proc = sorbench("run", scenario, "--out", tmp_path / "out", "--json", cwd=tmp_path)
    obj = one_object(proc)
    assert proc.returncode == 2 and obj["status"] == "error"
    assert obj["errors"] == [f"{scenario}: session.seed: Input should be a valid integer (got 'x')"]
    assert proc.stderr.startswith("error: ") and not (tmp_path / "out").exists()
    for argv in (["routers", "--json", "--bogus"], ["verify", tmp_path / "missing", "--json"],
                 ["tca", "--json"], ["compare", tmp_path, tmp_path, "--json"]):
        proc = sorbench(*argv, cwd=tmp_path)
        obj = one_object(proc)
        assert proc.returncode == 2 and obj["status"] == "error" and len(obj["errors"]) == 1, (argv, obj)


def test_a_partial_run_is_status_partial_exit_3_with_each_failure(tmp_path):
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    proc = sorbench("run", scenario, "--router", "best-price", "--router", f"{HOSTILE}:SysExitRouter",
                    "--out", tmp_path / "run", "--no-report", "--json", cwd=tmp_path)
    obj = one_object(proc)
    assert proc.returncode == 3 and obj["status"] == "partial" and obj["partial"] is True
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert obj["errors"] == manifest["failures"] and len(obj["errors"]) == 1 and "sys.exit" in obj["errors"][0]
