"""``sorbench compare``: a configuration change with a known direction of effect, A vs A, and refused comparisons.

Run B raises the router's order-entry latency to every venue to a constant 1 s (A: the default scenario's ~40-150
us). No child order can reach a venue before 1 s after its parent arrived, so every B order that fills has its first
fill at least 1000 ms after arrival, while in A most first fills come within a millisecond (the test checks both
facts on the per-order tables): time to first fill must be worse in B, with an interval above zero. Nothing else about
the flow changes: the parent orders depend only on the flow, symbols and seed, so the runs pair order by order.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from harness.analytics.compare import config_diff, flat_diff
from harness.cli import app
from harness.workflows.compare import load_side
from harness.workflows.run import run_scenario
from harness.workflows.verify import check_integrity, read_manifest
from tests.sim.helpers import REPO, small_dict, small_scenario

SLOW_NS = 1_000_000_000


def slow_router(d: dict) -> dict:
    """``d`` with the router's order-entry link to every venue a constant 1 s."""
    links = [x for x in d["latency"].get("links", [])
             if not (x["participant"] == "router" and x["direction"] == "order_entry")]
    links += [{"participant": "router", "venue": v["name"], "direction": "order_entry",
               "model": {"model": "constant", "ns": SLOW_NS}} for v in d["venues"]]
    d["latency"]["links"] = links
    return d


def make_run(root: Path, name: str, d: dict, seeds: list[int]) -> Path:
    return run_scenario(small_scenario(d), scenario_path=None, routers=["best-price"], seeds=seeds,
                        out_dir=root / name, results_root=root).out_dir


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    more = small_dict()
    more["flow"]["orders"] = 21
    return {
        "a": make_run(root, "a", small_dict(), [1, 2]),
        "b": make_run(root, "b", slow_router(small_dict()), [1, 2]),
        # five seeds, the fewest that allow a verdict (seed-level intervals)
        "a5": make_run(root, "a5", small_dict(), [1, 2, 3, 4, 5]),
        "b5": make_run(root, "b5", slow_router(small_dict()), [1, 2, 3, 4, 5]),
        "other_flow": make_run(root, "other_flow", more, [1, 2]),
        "seeds23": make_run(root, "seeds23", small_dict(), [2, 3]),
    }


def compare(*args: object):
    return CliRunner().invoke(app, ["compare", *map(str, args)])


@pytest.mark.slow
def test_slower_order_entry_makes_time_to_first_fill_worse(runs, tmp_path):
    a_orders, b_orders = load_side(runs["a5"]).orders, load_side(runs["b5"]).orders  # stored tca/ or computed
    assert b_orders["time_to_first_fill_ms"].min() >= SLOW_NS / 1e6  # the certain fact the direction rests on
    assert a_orders["time_to_first_fill_ms"].median() < 1.0
    res = compare(runs["a5"], runs["b5"], "--out", tmp_path / "cmp")
    assert res.exit_code == 0, res.output
    out = tmp_path / "cmp"
    assert sorted(p.name for p in out.iterdir()) == ["compare.csv", "compare.html", "compare.json", "config_diff.csv",
                                                      "market_change.csv", "venue_mix.csv"]
    table = pd.read_csv(out / "compare.csv").set_index(["router", "figure"])
    ttff = table.loc[("best-price", "time_to_first_fill_ms")]
    assert ttff["direction"] == "worse" and ttff["ci_low"] > 0 and bool(ttff["zero_excluded"])
    assert ttff["mean_diff"] == pytest.approx(ttff["mean_b"] - ttff["mean_a"])
    assert ttff["mean_diff"] > 500 and ttff["seeds"] == 5
    info = json.loads((out / "compare.json").read_text())
    assert info["verdicts"]["best-price"] in ("worse", "mixed")
    assert info["seeds"] == [1, 2, 3, 4, 5] and info["routers"] == ["best-price"]
    for side in ("a", "b"):
        assert info[f"run_{side}"]["manifest_sha256"] == hashlib.sha256(
            (runs[f"{side}5"] / "manifest.json").read_bytes()).hexdigest()
    diff = pd.read_csv(out / "config_diff.csv")
    assert "latency.links[router/EDGX/order_entry]" in set(diff["path"])
    nsdq = diff[diff["path"] == "latency.links[router/NSDQ/order_entry].model.ns"].iloc[0]
    assert (nsdq["value_a"], nsdq["value_b"]) == ("(absent)", str(SLOW_NS))
    html = (out / "compare.html").read_text()
    # the figure's label (harness.analytics.labels): its population and unit
    assert "Mean time to 1st fill, paired orders both filled (ms)" in html
    assert "data:image/png;base64," in html and "worse" in html
    assert "latency.links[router/NSDQ/order_entry].model.ns" in html
    mix = pd.read_csv(out / "venue_mix.csv")
    assert mix.groupby("router")["executed_frac_a"].sum().to_dict() == pytest.approx({"best-price": 1.0})
    assert "time_to_first_fill_ms" in res.stdout and "best-price:" in res.stdout
    for side in ("a5", "b5"):  # compare reads the run folders, never writes to them
        assert set(check_integrity(runs[side], read_manifest(runs[side])).values()) == {"ok"}


def test_a_run_against_itself_shows_zero_differences_and_no_evidence(runs, tmp_path):
    res = compare(runs["a"], runs["a"], "--out", tmp_path / "same")
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "same" / "compare.csv")
    assert len(table) == 8 and (table["mean_diff"] == 0).all()
    assert set(table["direction"]) == {"no evidence"} and not table["zero_excluded"].any()
    assert set(table["verdict"]) == {"too few seeds for a verdict (2; need 5)"}  # two seeds: no interval at all
    info = json.loads((tmp_path / "same" / "compare.json").read_text())
    assert info["verdicts"] == {"best-price": "no evidence"}
    assert any(n.startswith("too few seeds for a verdict (2; need 5)") for n in info["notes"])
    assert len(pd.read_csv(tmp_path / "same" / "config_diff.csv")) == 0
    assert (pd.read_csv(tmp_path / "same" / "venue_mix.csv")["executed_frac_change"] == 0).all()


def test_a_folder_without_tca_is_analysed_in_memory_with_the_same_figures(runs, tmp_path):
    bare = tmp_path / "bare"
    shutil.copytree(runs["a"], bare)
    shutil.rmtree(bare / "tca")
    stored = compare(runs["a"], runs["b"], "--out", tmp_path / "stored")
    computed = compare(bare, runs["b"], "--out", tmp_path / "computed")
    assert stored.exit_code == 0 and computed.exit_code == 0, computed.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "stored" / "compare.csv"),
                                  pd.read_csv(tmp_path / "computed" / "compare.csv"))
    assert json.loads((tmp_path / "computed" / "compare.json").read_text())["run_a"]["tca"].startswith("computed")
    assert not (bare / "tca").exists()


def test_only_the_common_seeds_are_compared(runs, tmp_path):
    res = compare(runs["a"], runs["seeds23"], "--out", tmp_path / "c")
    assert res.exit_code == 0, res.output
    info = json.loads((tmp_path / "c" / "compare.json").read_text())
    assert info["seeds"] == [2] and info["only_in_a"]["seeds"] == [1] and info["only_in_b"]["seeds"] == [3]
    table = pd.read_csv(tmp_path / "c" / "compare.csv")
    assert (table["seeds"] == 1).all() and (table["mean_diff"] == 0).all()  # same scenario, same seed 2


def test_different_flows_are_refused(runs, tmp_path):
    res = compare(runs["a"], runs["other_flow"], "--out", tmp_path / "x")
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "do not replay the same parent orders (seed 1: 20 vs 21 orders)" in lines[0]
    assert not (tmp_path / "x").exists()


def test_option_errors(runs, tmp_path):
    (tmp_path / "exists").mkdir()
    res = compare(runs["a"], runs["b"], "--out", tmp_path / "exists")
    assert res.exit_code == 2 and "already exists" in res.stderr
    res = compare(runs["a"], runs["b"], "--out", tmp_path / "y", "--router", "spray")
    assert res.exit_code == 2 and "--router: 'spray' is not a router of both runs (common: best-price)" in res.stderr
    res = compare(runs["a"], tmp_path / "nope", "--out", tmp_path / "z")
    assert res.exit_code == 2 and "not a run folder" in res.stderr


def test_flat_diff_key_paths():
    a = {"venues": [{"name": "X", "fees": {"take_usd": 0.003}}, {"name": "Y", "fees": {"take_usd": 0.003}}]}
    b = {"venues": [{"name": "X", "fees": {"take_usd": 0.003}}, {"name": "Y", "fees": {"take_usd": 0.0025}}]}
    assert flat_diff(a, b) == [("venues[Y].fees.take_usd", "0.003", "0.0025")]  # named tables: by name
    swapped = {"venues": [b["venues"][1], b["venues"][0]]}
    assert flat_diff(a, swapped) == [("venues (order)", '["X", "Y"]', '["Y", "X"]'),
                                     ("venues[Y].fees.take_usd", "0.003", "0.0025")]
    assert flat_diff({"seeds": [1, 2]}, {"seeds": [1, 3]}) == [("seeds[1]", "2", "3")]  # unnamed: by position
    c = {"venues": [{"name": "X", "fees": {"take_usd": 0.003}}]}
    assert flat_diff(a, c) == [("venues[Y]", '{"fees": {"take_usd": 0.003}, "name": "Y"}', "(absent)")]
    assert flat_diff({"n": 1}, {"n": 1.0}) == [("n", "1", "1.0")]  # a type change is a change
    ma = {"scenario": {"name": "s", "routers": ["r"]}, "routers": [{"name": "r", "params": {"k": 1}}],
          "seeds": [1], "started_utc": "t0"}
    mb = {"scenario": {"name": "s", "routers": ["r"]}, "routers": [{"name": "r", "params": {"k": 2}}],
          "seeds": [1], "started_utc": "t1"}
    assert config_diff(ma, mb).values.tolist() == [["router", "r.params.k", "1", "2"]]


@pytest.mark.slow
def test_run_with_baseline_compares_the_new_run_with_it(tmp_path, monkeypatch):
    """``run --baseline``: B lowers NSDQ's take fee from 0.003 to 0.0025 for single-venue, which sends every child to
    NSDQ; its removing fills pay 0.0005 less per share and its adding fills' rebate is unchanged, so its net fees per
    share must fall (interval below zero). The cheaper venue also draws more of the routed background takers
    (docs/market-model.md, background order routing), so the market differs and the fill rate may move a little
    (seeds 1-5: -2.3 points); it must show no significant change (interval includes zero). Customer net fees carry
    the fees
    only when the broker passes fees and rebates through, so both runs use a policy that does (with the default,
    retained, the customer's net fees are 0 in both runs and the change shows in the broker's figures instead)."""
    from tests.report.test_suite import write_toml

    monkeypatch.chdir(tmp_path)
    shipped = (REPO / "scenarios" / "policy" / "review-thresholds.toml").read_text()
    assert shipped.count('rebates = "retained"') == 1
    (tmp_path / "passed.toml").write_text(shipped.replace('rebates = "retained"', 'rebates = "passed-through"'))
    d = small_dict()
    write_toml(tmp_path / "a.toml", d)
    d["venues"][0]["fees"]["take_usd"] = 0.0025
    write_toml(tmp_path / "b.toml", d)
    runner = CliRunner()
    # five seeds, the fewest that allow a verdict
    res = runner.invoke(app, ["run", "a.toml", "--router", "single-venue", "--seeds", "5", "--out", "runa", "--quiet",
                                  "--policy", "passed.toml"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["run", "b.toml", "--router", "single-venue", "--baseline", "runa", "--out", "runb",
                              "--quiet", "--policy", "passed.toml"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "runb" / "manifest.json").read_text())["seeds"] == [1, 2, 3, 4, 5]  # baseline's
    out = tmp_path / "results" / "compare-runa-vs-runb"
    table = pd.read_csv(out / "compare.csv").set_index("figure")
    assert table.loc["net_fees_per_share", "direction"] == "better"
    assert table.loc["net_fees_per_share", "ci_high"] < 0
    assert table.loc["fill_rate", "ci_low"] <= 0 <= table.loc["fill_rate", "ci_high"]
    diff = pd.read_csv(out / "config_diff.csv", dtype=str).values.tolist()
    # The only configuration change; the manifest's common-market figures (message counts) differ too, since the
    # routed background reacts to the fee even with no router.
    assert [r for r in diff if r[0] == "scenario"] == [["scenario", "venues[NSDQ].fees.take_usd", "0.003", "0.0025"]]
    assert all(r[0] == "scenario" or r[1].startswith("common_market.runs[") for r in diff), diff
