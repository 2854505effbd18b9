"""``sorbench validate`` and ``sorbench schema`` know every kind of file (scenario, suite, review policy, router
config), tell the kind from the file, and report every mistake at once, one line each naming the file, the field and
the value (issue 18, item 6)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from harness.scenario.reading import read_toml
from harness.workflows.validate import detect_kind, json_schema, validate_file
from tests.cli.test_cli import DEFAULT, REPO, sorbench, tiny_dict, write_toml

SHIPPED = {
    "scenario": DEFAULT,
    "suite": REPO / "scenarios" / "suites" / "onboarding.toml",
    "policy": REPO / "scenarios" / "policy" / "review-thresholds.toml",
    "router-config": REPO / "scenarios" / "fix" / "fix-router.toml",
}


@pytest.mark.parametrize("kind", list(SHIPPED))
def test_every_shipped_file_is_told_apart_valid_and_matches_its_json_schema(kind):
    path = SHIPPED[kind]
    checked = validate_file(path, scenario=DEFAULT)
    assert (checked.kind, checked.errors) == (kind, [])
    jsonschema.validate(read_toml(path), json_schema(kind))  # the schema an editor gets accepts the shipped file


def test_every_error_of_a_scenario_is_reported_at_once(tmp_path):
    """Three independent mistakes: three lines, each naming the file, the field and the bad value."""
    d = tiny_dict()
    d["session"]["seed"] = "x"
    d["symbols"][0]["price_usd"] = -1
    d["venues"][1]["fees"]["rebate"] = 1
    path = write_toml(tmp_path / "bad.toml", d)
    checked = validate_file(path)
    assert checked.kind == "scenario"
    assert sorted(checked.errors) == sorted([
        f"{path}: session.seed: Input should be a valid integer (got 'x')",
        f"{path}: symbols[0].price_usd: Input should be greater than 0 (got -1)",
        f"{path}: venues[1].fees.rebate: unknown key (got 1)",
    ])
    proc = sorbench("validate", path, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert sorted(proc.stderr.splitlines()) == sorted(f"error: {e}" for e in checked.errors)
    obj = json.loads(sorbench("validate", path, "--json", cwd=tmp_path).stdout)
    assert obj["status"] == "error" and obj["exit_code"] == 2 and obj["kind"] == "scenario"
    assert sorted(obj["errors"]) == sorted(checked.errors)


def test_a_policy_and_a_router_config_report_every_error(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text("benchmark_router = 3\nci_level = 7\n", encoding="utf-8")
    assert validate_file(policy).errors == [
        f"{policy}: benchmark_router: Input should be a valid string (got 3)",
        f"{policy}: ci_level: Input should be less than 1 (got 7)",
    ]
    config = tmp_path / "routers.toml"
    config.write_text("[best-price]\nmax_rounds = 'x'\nfoo = 1\n[best-prise]\nx = 1\n", encoding="utf-8")
    checked = validate_file(config, scenario=DEFAULT)
    assert checked.kind == "router-config"
    assert checked.errors[:2] == [f"{config}: best-price.max_rounds: Input should be a valid integer (got 'x')",
                                  f"{config}: best-price.foo: unknown key"]
    assert checked.errors[2].startswith(f"{config}: [best-prise]: unknown router") and len(checked.errors) == 3


def test_a_suite_is_not_mistaken_for_a_scenario_and_kind_can_be_forced(tmp_path):
    """Before, a suite file given to validate was a scenario 'missing symbols'."""
    suite = SHIPPED["suite"]
    proc = sorbench("validate", suite, cwd=tmp_path)
    assert proc.returncode == 0 and "suite 'onboarding'" in proc.stdout, proc.stderr
    forced = validate_file(suite, kind="scenario")
    assert forced.kind == "scenario" and any("symbols: required field is missing" in e for e in forced.errors)
    assert detect_kind({"benchmark_router": "best-price"}, Path("p.toml")) == "policy"
    assert validate_file(write_toml(tmp_path / "odd.toml", {"x": 1})).errors == [
        f"{tmp_path / 'odd.toml'}: cannot tell the kind of file: a scenario has [session], a suite [[run]], a policy "
        "benchmark_router or [[rules]], a router config only [<router>] tables (give --kind)"]
    proc = sorbench("validate", suite, "--kind", "nope", cwd=tmp_path)
    assert proc.returncode == 2 and "--kind: 'nope' is not one of" in proc.stderr


def test_schema_for_every_kind(tmp_path):
    for kind, key in (("suite", "run"), ("policy", "benchmark_router"), ("router-config", "best-price")):
        proc = sorbench("schema", "--kind", kind, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert key in json.loads(proc.stdout)["properties"]
    bad_suite = {"name": "s", "run": [{"scenario": "x.toml", "seeds": 1, "bogus": 1}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad_suite, json_schema("suite"))
