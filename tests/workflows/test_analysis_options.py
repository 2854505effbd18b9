"""``--policy``, ``--broker`` and ``--period`` on ``sorbench run`` and ``sorbench tca``: the analytics use them, the
manifest records them, ``sorbench verify`` re-analyses the re-run the same way, and bad values are one line, exit 2."""

from __future__ import annotations

import json
import tomllib

import pandas as pd
import pytest

from tests.cli.test_cli import REPO, sorbench, tiny_dict, write_toml

POLICY = REPO / "scenarios" / "policy" / "review-thresholds.toml"


def _policy_with_best_price_as_only_reference(tmp_path):
    data = tomllib.loads(POLICY.read_text(encoding="utf-8"))
    data["reference_routers"] = ["best-price"]
    return write_toml(tmp_path / "committee.toml", data)


@pytest.fixture(scope="module")
def run_with_options(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("options")
    policy = _policy_with_best_price_as_only_reference(tmp)
    scenario = write_toml(tmp / "tiny.toml", tiny_dict())
    out = tmp / "run"
    res = sorbench("run", scenario, "--out", out, "--quiet", "--policy", policy, "--broker", "Example Securities LLC",
                   "--period", "2026-05", cwd=tmp)
    assert res.returncode == 0, res.stderr
    return out


def test_run_policy_sets_the_review_benchmark_and_is_recorded(run_with_options):
    """With best-price the only reference router, every review row's benchmark is best-price (the default policy would
    have the same here, so the manifest's record is checked too: it is the file's list, not the default's nine)."""
    review = pd.read_csv(run_with_options / "tca" / "review.csv")
    figure_rows = review[review.benchmark.notna() & (review.rule != "paying-venues-marketable")]
    assert len(figure_rows) and set(figure_rows.benchmark) <= {"best-price", "0.0", "1.0"}
    manifest = json.loads((run_with_options / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["review_policy"]["reference_routers"] == ["best-price"]
    assert manifest["regulatory"]["broker"] == "Example Securities LLC"
    assert manifest["regulatory"]["period"] == "2026-05-01"


def test_broker_and_period_reach_the_606_files(run_with_options):
    """May 2026 is in the second quarter: the 606(a)(1) report covers 2026 Q2 and names the broker."""
    xml = (run_with_options / "regulatory" / "rule606a1_best-price.xml").read_text(encoding="utf-8")
    assert "<bd>Example Securities LLC</bd>" in xml
    assert "<year>2026</year>" in xml and "<qtr>2</qtr>" in xml
    rule605 = pd.read_csv(run_with_options / "regulatory" / "rule605_summary.csv", dtype=str)
    assert len(rule605) and rule605.RptDate.eq("202605").all()


@pytest.mark.slow
def test_verify_reanalyses_with_the_recorded_policy_and_settings(run_with_options):
    """A re-run with the default policy and broker would write a different review.csv and 606 files; verify passes
    only because it uses what the manifest recorded."""
    res = sorbench("verify", run_with_options, cwd=REPO)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize(("args", "needle"), [
    (["--period", "2026-13"], "--period: '2026-13' is not a month YYYY-MM"),
    (["--broker", "  "], "--broker: '  ' must be 1 to 200 characters"),
    (["--policy", "missing-policy.toml"], "missing-policy.toml"),
])
def test_bad_analysis_options_are_one_line_exit_2(tmp_path, args, needle):
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    for cmd in (["run", scenario, "--out", tmp_path / "never", "--quiet"], ["tca", "--run", tmp_path]):
        res = sorbench(*cmd, *args, cwd=tmp_path)
        assert res.returncode == 2, res.stderr
        assert needle in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
        assert "Traceback" not in res.stderr
    assert not (tmp_path / "never").exists()


def test_bad_policy_value_names_the_file_and_field(tmp_path):
    data = tomllib.loads(POLICY.read_text(encoding="utf-8"))
    data["ci_level"] = 1.5
    policy = write_toml(tmp_path / "bad.toml", data)
    scenario = write_toml(tmp_path / "tiny.toml", tiny_dict())
    res = sorbench("run", scenario, "--out", tmp_path / "never", "--quiet", "--policy", policy, cwd=tmp_path)
    assert res.returncode == 2
    assert "bad.toml" in res.stderr and "ci_level" in res.stderr and "1.5" in res.stderr
    assert not (tmp_path / "never").exists()
