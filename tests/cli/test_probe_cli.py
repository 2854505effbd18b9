"""``sorbench probe`` on the command line: its folder, its findings, and one-line errors for bad options."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from harness.cli.app import app
from harness.workflows.probe import PROBES

runner = CliRunner()


def test_probe_writes_the_fingerprint_and_prints_one_finding_per_router_and_probe(tmp_path):
    out = tmp_path / "p"
    res = runner.invoke(app, ["probe", "--router", "single-venue", "--seeds", "2", "--orders", "3", "--out", str(out),
                              "--quiet"])  # every probe, toxicity's 120-s full market included
    assert res.exit_code == 0, res.output
    fp = pd.read_csv(out / "probe" / "fingerprint.csv")
    assert set(fp["probe"]) == set(PROBES) and set(fp["router"]) == {"single-venue", "best-price"}
    # the reference (best-price by default) beside every row: on the coverage twin of NSDQ both reach it fully
    row = fp[(fp["router"] == "single-venue") & (fp["probe"] == "coverage") & (fp["param"] == "NSDQ")].iloc[0]
    assert (row["reference"], row["mean"], row["reference_mean"]) == ("best-price", 1.0, 1.0)
    assert "reaches NSDQ (100%)" in res.output
    assert (out / "probe" / "twins.json").is_file() and (out / "probe" / "responses.csv").is_file()
    page = (out / "probe" / "probe.html").read_text()
    assert "Routing logic" in page and "data:image/png;base64," in page and "reaches NSDQ (100%)" in page
    assert not list(tmp_path.glob(".p.partial-*"))


@pytest.mark.parametrize(("args", "message"), [
    (["--seeds", "0"], "--seeds: 0 must be between 1 and 100"),
    (["--orders", "100000"], "--orders: 100000 must be between 1 and 10,000"),
    (["--parent-qty", "0"], "--parent-qty: 0 must be between 1 and 1,000,000 shares"),
    (["--symbol", "ZZZ"], "--symbol: 'ZZZ' is not a symbol of scenario 'default'"),
    (["--router", "no-such-router"], "--router: unknown router 'no-such-router'"),
    (["--probe", "telepathy"], "--probe: unknown probe 'telepathy'"),
    (["--claims", "missing.toml"], "missing.toml: no such file"),
    (["--reference", "nobody"], "--reference: unknown router 'nobody'"),
])
def test_bad_probe_options_get_one_line_and_exit_2(tmp_path, args, message):
    res = runner.invoke(app, ["probe", *args, "--out", str(tmp_path / "p"), "--quiet"])
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "p").exists()


def test_one_probe_only_and_never_over_an_existing_folder(tmp_path):
    out = tmp_path / "p"
    args = ["probe", "--router", "single-venue", "--probe", "hidden", "--seeds", "1", "--orders", "2", "--quiet",
            "--reference", "none"]
    res = runner.invoke(app, [*args, "--out", str(out)])
    assert res.exit_code == 0, res.output
    fp = pd.read_csv(out / "probe" / "fingerprint.csv")
    assert set(fp["probe"]) == {"hidden"} and set(fp["router"]) == {"single-venue"}
    again = runner.invoke(app, [*args, "--out", str(out)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_compare_on_two_probe_folders_lists_the_behaviours_that_changed(tmp_path):
    # Last year's fingerprint (A) and this year's (B, the same router re-probed); then B with one behaviour changed by
    # hand: best-price's hidden-liquidity response 100% -> 0% (and its finding) must be the one change listed.
    args = ["probe", "--router", "best-price", "--probe", "hidden", "--probe", "coverage", "--seeds", "1",
            "--orders", "2", "--quiet", "--reference", "none"]
    for name in ("a", "b"):
        assert runner.invoke(app, [*args, "--out", str(tmp_path / name)]).exit_code == 0
    same = runner.invoke(app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c1")])
    assert same.exit_code == 0, same.output
    assert "0 of 7 probe twin(s) changed" in same.output
    fp_path = tmp_path / "b" / "probe" / "fingerprint.csv"
    fp = pd.read_csv(fp_path)
    hidden = fp["probe"] == "hidden"
    fp.loc[hidden, "mean"] = 0.0
    fp.loc[hidden, "finding"] = "does not find hidden liquidity"
    fp.to_csv(fp_path, index=False)
    diff = runner.invoke(app, ["compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "c2")])
    assert diff.exit_code == 0 and "1 of 7 probe twin(s) changed" in diff.output
    changes = pd.read_csv(tmp_path / "c2" / "probe_changes.csv")
    row = changes[changes["changed"]].iloc[0]
    assert (row["probe"], row["mean_a"], row["mean_b"], row["change"]) == ("hidden", 1.0, 0.0, -1.0)


def test_compare_refuses_a_broken_fingerprint_in_one_line(tmp_path):
    bad = tmp_path / "bad" / "probe"
    bad.mkdir(parents=True)
    (bad / "fingerprint.csv").write_text("router,probe\nx,y\n")
    res = runner.invoke(app, ["compare", str(tmp_path / "bad"), str(tmp_path / "bad"), "--out", str(tmp_path / "c")])
    assert res.exit_code == 2 and "missing column(s)" in res.output and "Traceback" not in res.output


def test_probe_a_suite_into_one_folder_per_entry(tmp_path):
    suite = tmp_path / "dd.toml"
    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    suite.write_text(f'name = "dd"\n[[run]]\nscenario = "{scenarios / "default.toml"}"\nseeds = 1\nlabel = "one"\n'
                     'routers = ["single-venue"]\n')
    out = tmp_path / "bundle"
    res = runner.invoke(app, ["probe", "--suite", str(suite), "--probe", "coverage", "--orders", "2", "--out",
                              str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    fp = pd.read_csv(out / "one" / "probe" / "fingerprint.csv")
    assert set(fp["router"]) == {"single-venue", "best-price"} and set(fp["probe"]) == {"coverage"}
    both = runner.invoke(app, ["probe", str(scenarios / "default.toml"), "--suite", str(suite), "--out",
                               str(tmp_path / "x"), "--quiet"])
    assert both.exit_code == 2 and "--suite: give either a suite or a scenario" in both.output


def test_the_shipped_due_diligence_suite_loads():
    from harness.workflows.suite import load_suite

    plan = load_suite(Path(__file__).resolve().parents[2] / "scenarios" / "suites" / "due-diligence.toml")
    assert [r.label for r in plan.runs] == ["default", "toxic-dark-pool", "pfof-heavy-retail"]
    assert all(len(r.seeds) == 5 for r in plan.runs)  # the fewest that give intervals (MIN_SEEDS)
