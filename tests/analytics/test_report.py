"""analyze(): a run folder's tca/ tables are written whole or not at all, and match the pure functions."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from harness.analytics import analyze, compute_tca, load_run_folder
from harness.errors import UserError
from tests.analytics import builders as b
from tests.analytics import cases

TCA_FILES = {"orders.parquet", "summary.csv", "venues.csv", "paired.csv", "ranking.csv", "meta.json", "review.csv",
             "review_orders.csv", "exceptions.csv"}


def two_router_run(tmp_path):
    """Case A for router R and, on the same orders, router S whose fills are a cent worse (buys) / better (sells)."""
    tables = cases.case_a_tables()
    s_fills = cases.CASE_A_FILLS.assign(router="S")
    s_fills["price"] = s_fills["price"] + s_fills["side"].map({"buy": 0.01, "sell": -0.01})
    return b.write_run(tmp_path / "run", {
        "parent_orders": tables["parent_orders"],
        "fills": b.concat([cases.CASE_A_FILLS, s_fills]),
        "nbbo": b.concat([cases.CASE_A_NBBO, cases.CASE_A_NBBO.assign(router="S")]),
        "child_orders": b.concat([cases.CASE_A_CHILDREN, cases.CASE_A_CHILDREN.assign(router="S")]),
        "venues": pd.DataFrame({"venue": ["V1", "V2", "V3"], "kind": ["lit", "lit", "dark"],
                                "protected": [True, True, False], "take_fee_usd": 0.003, "make_fee_usd": -0.002,
                                "pfof_usd": 0.0}),
    })


def test_analyze_writes_every_table_and_they_match_the_computation(tmp_path):
    run = two_router_run(tmp_path)
    result = analyze(run)
    assert result.out_dir == run / "tca" and {p.name for p in (run / "tca").iterdir()} == TCA_FILES
    expected = compute_tca(load_run_folder(run))
    pd.testing.assert_frame_equal(pd.read_parquet(run / "tca" / "orders.parquet"), expected.orders)
    summary = pd.read_csv(run / "tca" / "summary.csv")
    assert len(summary) == len(expected.summary) and set(summary["router"]) == {"R", "S"}
    venues = pd.read_csv(run / "tca" / "venues.csv")
    assert set(venues["kind"]) == {"lit", "dark"}
    paired = pd.read_csv(run / "tca" / "paired.csv")
    pi = paired[(paired["figure"] == "pi_per_share") & (paired["order_class"] == "all")].iloc[0]
    # S is one cent worse on every fill of the three filled orders: R - S = +0.01 exactly; case A is one seed, so
    # there is no interval and no verdict (seed-level inference needs 5 seeds), and the ranking separates nobody
    assert (pi["router_a"], pi["router_b"], pi["n"], pi["seeds"]) == ("R", "S", 3, 1)
    assert pi["mean_diff"] == pytest.approx(0.01) and np.isnan(pi["ci_low"]) and np.isnan(pi["ci_high"])
    assert pi["verdict"] == "too few seeds for a verdict (1; need 5)" and not pi["zero_excluded"]
    ranking = pd.read_csv(run / "tca" / "ranking.csv")
    ranks = ranking[(ranking["figure"] == "pi_per_share") & (ranking["order_class"] == "all")]
    assert ranks.set_index("router")["rank"].to_dict() == {"R": 1, "S": 1}
    meta = json.loads((run / "tca" / "meta.json").read_text(encoding="utf-8"))
    assert "n_boot" not in meta and meta["intervals"].startswith("seed-level Student t") and meta["rows"]["orders"] == 8


def test_analyze_replaces_an_old_tca_folder_and_leaves_no_temporary_folders(tmp_path):
    run = two_router_run(tmp_path)
    analyze(run)
    (run / "tca" / "stale.csv").write_text("old", encoding="utf-8")
    analyze(run)
    assert {p.name for p in (run / "tca").iterdir()} == TCA_FILES
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".")) == []


def test_analyze_refuses_to_replace_a_folder_it_did_not_write(tmp_path):
    # --out pointing at the run folder itself (or any other folder with content) must not wipe it
    run = two_router_run(tmp_path)
    before = sorted(p.name for p in run.iterdir())
    with pytest.raises(UserError, match="is not a tca folder; refusing to replace it"):
        analyze(run, run)
    assert sorted(p.name for p in run.iterdir()) == before
    (tmp_path / "empty").mkdir()
    assert analyze(run, tmp_path / "empty").out_dir == tmp_path / "empty"


def test_a_failed_write_keeps_the_old_tables_and_leaves_nothing_behind(tmp_path, monkeypatch):
    run = two_router_run(tmp_path)
    analyze(run)
    before = (run / "tca" / "summary.csv").read_bytes()

    def broken(self, path, *args, **kwargs):
        if str(path).endswith("ranking.csv"):
            raise OSError(28, "No space left on device")
        return original(self, path, *args, **kwargs)

    original = pd.DataFrame.to_csv
    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(UserError, match="cannot write"):
        analyze(run)
    assert (run / "tca" / "summary.csv").read_bytes() == before
    assert [p.name for p in run.iterdir() if p.name.startswith(".")] == []


def test_bad_input_writes_nothing(tmp_path):
    run = two_router_run(tmp_path)
    bad = pd.read_parquet(run / "fills.parquet")
    bad.loc[0, "qty"] = -5
    bad.to_parquet(run / "fills.parquet", index=False)
    with pytest.raises(UserError, match=r"fills.parquet: row 1, column 'qty': -5 must be > 0"):
        analyze(run)
    assert not (run / "tca").exists() and [p.name for p in run.iterdir() if p.name.startswith(".")] == []


def test_out_elsewhere_and_parameter_checks(tmp_path):
    run = two_router_run(tmp_path)
    result = analyze(run, tmp_path / "elsewhere" / "tca")
    assert {p.name for p in result.out_dir.iterdir()} == TCA_FILES and not (run / "tca").exists()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match="is not a folder"):
        analyze(run, tmp_path / "file")
