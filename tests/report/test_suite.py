"""``sorbench run --suite``: every scenario of a suite file into one bundle, one report, and one-line errors."""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import harness.workflows.run
from harness.cli import app
from harness.errors import UserError
from harness.workflows.suite import load_suite, run_suite
from harness.workflows.verify import verify_run
from tests.sim.helpers import REPO, small_dict

SUITE = """
name = "tiny"
description = "two small scenarios"

[[run]]
scenario = "scenarios/calm.toml"
seeds = 1

[[run]]
scenario = "scenarios/dear.toml"
seeds = [3]
label = "dear-fees"
"""


def write_toml(path: Path, data: dict) -> Path:
    """A scenario dict as TOML (the few types scenario files use)."""
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{json.dumps(k)} = {value(x)}" for k, x in v.items()) + "}"
        return repr(v)

    lines = [f"{json.dumps(k)} = {value(v)}" for k, v in data.items()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert tomllib.loads(path.read_text()) == data
    return path


@pytest.fixture
def suite_dir(tmp_path: Path) -> Path:
    calm = small_dict()
    calm["name"] = "calm"
    dear = small_dict()
    dear["name"] = "dear"
    dear["venues"][0]["fees"]["take_usd"] = 0.0025  # a configuration change between the two members
    write_toml(tmp_path / "scenarios" / "calm.toml", calm)
    write_toml(tmp_path / "scenarios" / "dear.toml", dear)
    (tmp_path / "tiny.toml").write_text(SUITE, encoding="utf-8")
    return tmp_path


def run_cli(*args: object):
    return CliRunner().invoke(app, ["run", *map(str, args)])


@pytest.mark.slow
def test_a_suite_runs_every_scenario_into_one_bundle(suite_dir):
    bundle = suite_dir / "bundle"
    res = run_cli("--suite", suite_dir / "tiny.toml", "--out", bundle, "--quiet")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in bundle.iterdir()) == ["calm", "dear-fees", "suite.html", "suite.json",
                                                         "suite_summary.csv"]
    assert not any(p.name.startswith(".") for p in suite_dir.iterdir())  # no temporary folder left
    info = json.loads((bundle / "suite.json").read_text())
    text = (suite_dir / "tiny.toml").read_text()
    assert info["kind"] == "sorbench-suite" and info["name"] == "tiny"
    assert info["suite_file_content"] == text
    assert info["suite_file_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert info["versions"]["sorbench"] and info["versions"]["python"]
    assert [r["label"] for r in info["runs"]] == ["calm", "dear-fees"]
    for rec in info["runs"]:
        assert rec["status"] == "ok" and rec["routers"] == ["best-price", "single-venue"]
        assert rec["manifest_sha256"] == hashlib.sha256((bundle / rec["label"] / "manifest.json").read_bytes()
                                                        ).hexdigest()
    assert info["runs"][0]["seeds"] == [1] and info["runs"][1]["seeds"] == [3]  # count from the scenario's seed
    manifest = json.loads((bundle / "dear-fees" / "manifest.json").read_text())
    assert manifest["seeds"] == [3] and manifest["scenario"]["venues"][0]["fees"]["take_usd"] == 0.0025

    summary = pd.read_csv(bundle / "suite_summary.csv")
    assert summary[["label", "router"]].values.tolist() == [
        ["calm", "best-price"], ["calm", "single-venue"], ["dear-fees", "best-price"], ["dear-fees", "single-venue"]]
    assert set(summary["status"]) == {"ok"} and (summary["orders"] == 20).all()
    assert set(summary["review"]) <= {"pass", "review", "fail"} and summary["review"].notna().all()
    review = pd.read_csv(bundle / "calm" / "tca" / "review.csv")
    worst = review[review["router"] == "single-venue"]["status"].map({"pass": 0, "review": 1, "fail": 2}).max()
    assert summary.loc[1, "review"] == ["pass", "review", "fail"][worst]
    tca = pd.read_csv(bundle / "calm" / "tca" / "summary.csv")
    pooled = tca[(tca["router"] == "best-price") & (tca["symbol"] == "all") & (tca["order_class"] == "all")
                 & (tca["size_bucket"] == "all")]
    assert summary.loc[0, "pi_per_share"] == pytest.approx(pooled["pi_per_share"].iloc[0])

    html = (bundle / "suite.html").read_text()
    matrix = html[html.index('id="verdict-matrix"'):html.index("</table>", html.index('id="verdict-matrix"'))]
    for word in ("calm", "dear-fees", "best-price", "single-venue"):
        assert word in matrix
    assert matrix.count("<tr>") == 3  # header + two routers
    for label in ("calm", "dear-fees"):  # each member's own report is linked when the run wrote one
        assert (f'href="{label}/report.html"' in html) == (bundle / label / "report.html").is_file()
    assert "verdict" in res.stdout.lower() and str(bundle) in res.stdout.replace("\n", "")
    report = verify_run(bundle / "dear-fees")  # a member is a run folder verify checks on its own (with a re-run)
    assert report.ok and report.reproduced, report.problems


def test_a_failing_scenario_is_recorded_and_the_others_still_run(suite_dir, monkeypatch):
    real = harness.workflows.run.run_scenario

    def flaky(scenario, **kwargs):
        if kwargs["out_dir"].name == "calm":
            raise RuntimeError("disk on fire")
        return real(scenario, **kwargs)

    monkeypatch.setattr(harness.workflows.run, "run_scenario", flaky)
    outcome = run_suite(load_suite(suite_dir / "tiny.toml"), out_dir=suite_dir / "b")
    bundle = outcome.out_dir
    info = json.loads((bundle / "suite.json").read_text())
    assert [(r["label"], r["status"]) for r in info["runs"]] == [("calm", "failed"), ("dear-fees", "ok")]
    assert info["runs"][0]["error"] == "RuntimeError: disk on fire"
    assert "disk on fire" in (bundle / "failures" / "calm.txt").read_text()
    assert not (bundle / "calm").exists() and (bundle / "dear-fees" / "manifest.json").is_file()
    summary = pd.read_csv(bundle / "suite_summary.csv")
    assert summary.loc[summary["label"] == "calm", "status"].tolist() == ["failed", "failed"]
    assert summary.loc[summary["label"] == "dear-fees", "status"].tolist() == ["ok", "ok"]
    assert "run failed" in (bundle / "suite.html").read_text()


@pytest.mark.parametrize(("suite", "message"), [
    (SUITE.replace("seeds = 1", "seeds = 0"), "run[0].seeds: 0 must be between 1 and 1000 (got 0)"),
    (SUITE.replace("seeds = 1", 'seeds = "two"'),
     "run[0].seeds: 'two' is not a number of seeds or a list of seeds (got 'two')"),
    (SUITE.replace("seeds = [3]", "seeds = [3, 3]"), "run[1].seeds: [3, 3] lists a seed twice"),
    (SUITE.replace("seeds = 1", "seeds = 1\ncolour = 'red'"), "run[0].colour: unknown key (got 'red')"),
    (SUITE.replace('name = "tiny"', 'name = "a b"'), "name: String should match pattern"),
    (SUITE.replace("calm.toml", "nope.toml"), "run[0].scenario: 'scenarios/nope.toml' not found"),
    (SUITE.replace('label = "dear-fees"', 'label = "calm"'),
     "run[1].label: label 'calm' is also run[0]'s; give each run its own label"),
    (SUITE.replace("seeds = 1", 'seeds = 1\nrouters = ["nope"]'), "run[0].routers[0]: unknown router 'nope'"),
    (SUITE.replace("seeds = 1", 'seeds = 1\nrouter_config = "rc.toml"'), "run[0].router_config: 'rc.toml' not found"),
    ('name = "x"\n', "run: required field is missing"),
    ("name = [", "not valid TOML"),
])
def test_a_bad_suite_file_is_one_line_naming_file_field_and_value(suite_dir, suite, message):
    path = suite_dir / "bad.toml"
    path.write_text(suite, encoding="utf-8")
    res = run_cli("--suite", path, "--out", suite_dir / "never")
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {path}:") and message in lines[0], res.stderr
    assert not (suite_dir / "never").exists()


def test_a_bad_scenario_in_a_suite_is_its_own_one_line_error(suite_dir):
    broken = small_dict()
    broken["venues"][0]["fees"]["take_usd"] = 0.5
    write_toml(suite_dir / "scenarios" / "calm.toml", broken)
    with pytest.raises(UserError, match=r"calm\.toml: venues\[0\]\.fees\.take_usd"):
        load_suite(suite_dir / "tiny.toml")


def test_suite_and_single_run_options_are_exclusive(suite_dir):
    res = run_cli("--suite", suite_dir / "tiny.toml", "--seed", "4")
    assert res.exit_code == 2 and "--suite and --seed are exclusive" in res.stderr


def test_the_shipped_suites_are_valid():
    suites = sorted((REPO / "scenarios" / "suites").glob("*.toml"))
    assert suites
    for path in suites:
        plan = load_suite(path)
        assert plan.runs and all(r.scenario_path.is_file() for r in plan.runs)
    onboarding = load_suite(REPO / "scenarios" / "suites" / "onboarding.toml")
    assert [r.label for r in onboarding.runs] == ["default", "toxic-dark-pool", "pfof-heavy-retail"]


def test_a_suite_may_name_a_router_file_relative_to_it(suite_dir):
    (suite_dir / "mine.py").write_text(
        "from adapters.reference.single_venue import SingleVenueRouter\n\n\n"
        "class Mine(SingleVenueRouter):\n"
        "    name = \"mine\"\n"
        "    description = \"Test router from a file next to the suite.\"\n", encoding="utf-8")
    path = suite_dir / "mine.toml"
    path.write_text(SUITE.replace("seeds = 1", 'seeds = 1\nrouters = ["best-price", "mine.py:Mine"]'),
                    encoding="utf-8")
    plan = load_suite(path)
    assert plan.runs[0].routers == ["best-price", "mine"] and "mine" in plan.registry
