"""Run folders: the files, their columns and types, USD prices, the manifest, contained router failures, atomicity."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.errors import UserError
from harness.workflows.run import run_scenario
from tests.sim.helpers import CrashingRouter, registry_with, small_scenario

ROUTERS = ["best-price", CrashingRouter.name, "single-venue"]
SEEDS = [1, 2]

NY_TS = pa.timestamp("ns", tz="America/New_York")
"""The timezone-aware times beside the ns ones (docs/data-formats.md)."""
PARENT_SCHEMA = {
    "seed": pa.int64(), "parent_id": pa.int64(), "client_order_id": pa.string(), "symbol": pa.string(),
    "side": pa.string(), "order_type": pa.string(), "qty": pa.int64(), "limit_price": pa.float64(),
    "arrival_ts_ns": pa.int64(), "arrival_ts": NY_TS,
}
FILL_SCHEMA = {
    "router": pa.string(), "seed": pa.int64(), "parent_id": pa.int64(), "client_order_id": pa.string(),
    "child_id": pa.int64(), "venue": pa.string(), "symbol": pa.string(), "side": pa.string(),
    "exec_ts_ns": pa.int64(), "exec_ts": NY_TS, "qty": pa.int64(),
    "price": pa.float64(), "liquidity": pa.string(), "fee_usd": pa.float64(), "rebate_usd": pa.float64(),
    "pfof_usd": pa.float64(),
}
NBBO_SCHEMA = {
    "router": pa.string(), "seed": pa.int64(), "symbol": pa.string(), "ts_ns": pa.int64(), "bid": pa.float64(),
    "bid_size": pa.int64(), "ask": pa.float64(), "ask_size": pa.int64(),
}
CHILD_SCHEMA_SUBSET = {
    "router": pa.string(), "seed": pa.int64(), "child_id": pa.int64(), "parent_id": pa.int64(), "venue": pa.string(),
    "client_order_id": pa.string(), "side": pa.string(), "qty": pa.int64(), "limit_price": pa.float64(),
    "sent_ts_ns": pa.int64(), "sent_ts": NY_TS, "venue_ts_ns": pa.int64(), "filled_qty": pa.int64(),
    "cancelled_qty": pa.int64(), "status": pa.string(),
}
MANIFEST_KEYS = {
    "scenario", "scenario_sha256", "seeds", "routers", "sorbench_version", "git_commit", "python", "platform",
    "started_utc", "finished_utc", "files", "runs",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """best-price, a router that crashes on its first parent, and single-venue; seeds 1 and 2; in-process."""
    root = tmp_path_factory.mktemp("runs")
    sc = small_scenario()
    outcome = run_scenario(
        sc, scenario_path=None, routers=ROUTERS, seeds=SEEDS, out_dir=root / "run", results_root=root, jobs=1,
        registry=registry_with(CrashingRouter),
    )
    return sc, root, outcome


def test_run_folder_holds_exactly_the_expected_files(run_folder):
    """Tables, summary, manifest and one failure file per failed (router, seed), and nothing else."""
    _sc, root, outcome = run_folder
    out = root / "run"
    assert outcome.out_dir == out.resolve()
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    analytics = {f for f in files if f.split("/")[0] in ("tca", "regulatory", "conflict")}
    assert {"tca/orders.parquet", "tca/summary.csv", "tca/venues.csv", "tca/paired.csv"} <= analytics
    assert files - analytics == {
        "manifest.json", "parent_orders.parquet", "child_orders.parquet", "fills.parquet", "nbbo.parquet",
        "trades.parquet", "quotes.parquet", "activity.parquet", "fast_trader_fills.parquet", "summary.csv",
        "market_stats.csv", "report.html", "report.pdf", "common/nbbo.parquet",
        "failures/crasher-seed1.txt", "failures/crasher-seed2.txt",
    }
    assert "tca/drift.csv" in analytics  # the run has a common market, so the drift table is written


def test_the_folder_appears_complete_with_no_partial_leftovers(run_folder):
    """Only the finished folder is left beside it: the temporary '.partial' folder was renamed into place."""
    _sc, root, _outcome = run_folder
    assert sorted(p.name for p in root.iterdir()) == ["run"]


@pytest.mark.parametrize(
    ("name", "schema", "exact"),
    [
        ("parent_orders.parquet", PARENT_SCHEMA, True),
        ("fills.parquet", FILL_SCHEMA, True),
        ("nbbo.parquet", NBBO_SCHEMA, True),
        ("child_orders.parquet", CHILD_SCHEMA_SUBSET, False),
    ],
)
def test_tables_have_the_documented_columns_and_types(run_folder, name, schema, exact):
    """Integer ns times and sizes, float64 USD prices, string sides/venues; exactly the documented columns."""
    _sc, root, _outcome = run_folder
    table = pq.read_table(root / "run" / name)
    got = {f.name: f.type for f in table.schema}
    if exact:
        assert list(got) == list(schema)
    for col, typ in schema.items():
        assert got[col] == typ, (name, col, got[col])
    assert table.num_rows > 0


def test_categorical_columns_hold_their_documented_values(run_folder):
    """Sides are 'buy'/'sell', order types 'market'/'limit', liquidity 'added'/'removed'."""
    _sc, root, _outcome = run_folder
    out = root / "run"
    parents = pq.read_table(out / "parent_orders.parquet").to_pydict()
    fills = pq.read_table(out / "fills.parquet").to_pydict()
    children = pq.read_table(out / "child_orders.parquet").to_pydict()
    assert set(parents["side"]) == set(fills["side"]) == set(children["side"]) == {"buy", "sell"}
    assert set(parents["order_type"]) == {"market", "limit"}
    assert set(fills["liquidity"]) == {"added", "removed"}
    for otype, limit in zip(parents["order_type"], parents["limit_price"], strict=True):
        assert (limit is None) == (otype == "market")


def test_prices_in_files_are_usd(run_folder):
    """Every price is within 1% of its symbol's price_usd (AAA $50, BBB $20): USD, not 1e-4 price units."""
    sc, root, _outcome = run_folder
    out = root / "run"
    ref = {s.name: s.price_usd for s in sc.symbols}

    def check(path: str, *cols: str) -> int:
        t = pq.read_table(out / path).to_pydict()
        n = 0
        for i, sym in enumerate(t["symbol"]):
            for c in cols:
                v = t[c][i]
                if v is not None:
                    assert abs(v / ref[sym] - 1) < 0.01, (path, c, sym, v)
                    n += 1
        return n

    assert check("fills.parquet", "price") > 50
    assert check("nbbo.parquet", "bid", "ask") > 100
    assert check("parent_orders.parquet", "limit_price") > 5
    assert check("child_orders.parquet", "limit_price") > 5
    assert check("trades.parquet", "price") > 100


def test_fill_fees_are_usd_at_the_venue_rates(run_folder):
    """fee_usd - rebate_usd = qty x take rate (removed) or make rate (added) in USD; pfof_usd = qty x PFOF rate on
    removed liquidity. E.g. 100 shares taken on NSDQ: fee $0.30, rebate 0; 100 shares added there: rebate $0.29."""
    sc, root, _outcome = run_folder
    rates = {v.name: (v.fees.take_usd, v.fees.make_usd, v.fees.pfof_usd) for v in sc.venues}
    f = pq.read_table(root / "run" / "fills.parquet").to_pydict()
    for venue, qty, liq, fee, rebate, pfof in zip(f["venue"], f["qty"], f["liquidity"], f["fee_usd"],
                                                  f["rebate_usd"], f["pfof_usd"], strict=True):
        take, make, pfof_rate = rates[venue]
        assert fee - rebate == pytest.approx(qty * (take if liq == "removed" else make), abs=1e-9)
        assert fee >= 0 and rebate >= 0
        assert pfof == pytest.approx(qty * pfof_rate if liq == "removed" else 0.0, abs=1e-9)


def test_parent_orders_are_the_same_flow_for_each_seed(run_folder):
    """One row per generated parent per seed (20 x 2), arrivals inside the window after the warm-up."""
    sc, root, _outcome = run_folder
    p = pq.read_table(root / "run" / "parent_orders.parquet").to_pydict()
    assert [p["seed"].count(s) for s in SEEDS] == [sc.flow.orders] * 2
    lo = sc.session.start_ns + int(sc.flow.warmup_s * 1e9)
    assert all(lo <= t < sc.session.end_ns for t in p["arrival_ts_ns"])


def test_manifest_records_provenance_and_hashes_every_file(run_folder):
    """Resolved scenario and its sha256, seeds, routers, version, commit, python, platform, times, file hashes."""
    sc, root, _outcome = run_folder
    out = root / "run"
    m = json.loads((out / "manifest.json").read_text())
    assert set(m) >= MANIFEST_KEYS
    assert m["scenario"] == sc.model_dump(mode="json")
    assert m["scenario_sha256"] == sc.sha256()
    assert m["seeds"] == SEEDS
    assert [r["name"] for r in m["routers"]] == ROUTERS
    assert m["started_utc"] <= m["finished_utc"]
    assert m["python"] and m["platform"] and m["sorbench_version"]
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    assert set(m["files"]) == written
    for rel, digest in m["files"].items():
        assert sha256(out / rel) == digest, rel


def test_a_crashing_router_fails_alone_with_its_traceback_saved(run_folder):
    """The crasher's runs are 'failed' with the traceback on file; the other routers' runs and data are complete."""
    _sc, root, outcome = run_folder
    out = root / "run"
    m = json.loads((out / "manifest.json").read_text())
    status = {(r["router"], r["seed"]): r["status"] for r in m["runs"]}
    assert status == {(r, s): ("failed" if r == CrashingRouter.name else "ok") for r in ROUTERS for s in SEEDS}
    assert {(r.router, r.seed, r.status) for r in outcome.results} == {(r, s, st) for (r, s), st in status.items()}
    for seed in SEEDS:
        text = (out / "failures" / f"crasher-seed{seed}.txt").read_text()
        assert CrashingRouter.MESSAGE in text and "Traceback" in text and "on_parent" in text
    for table in ("fills.parquet", "child_orders.parquet", "nbbo.parquet", "trades.parquet"):
        t = pq.read_table(out / table).to_pydict()
        pairs = set(zip(t["router"], t["seed"], strict=True))
        assert pairs == {(r, s) for r in ("best-price", "single-venue") for s in SEEDS}, table
    summary = (out / "summary.csv").read_text()
    assert "crasher,failed (2/2 seeds)" in summary


def test_a_custom_registry_reaches_worker_processes(tmp_path):
    """With --jobs 2 the given registry (here with the crasher) is used by the workers too; the crash is contained."""
    sc = small_scenario()
    outcome = run_scenario(
        sc, scenario_path=None, routers=[CrashingRouter.name, "single-venue"], seeds=[1], out_dir=tmp_path / "run",
        results_root=tmp_path, jobs=2, registry=registry_with(CrashingRouter),
    )
    assert [(r.router, r.status) for r in outcome.results] == [(CrashingRouter.name, "failed"), ("single-venue", "ok")]
    assert (tmp_path / "run" / "failures" / "crasher-seed1.txt").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_an_existing_output_folder_is_a_user_error(tmp_path):
    """The run refuses to write into an existing folder and leaves it untouched."""
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="already exists"):
        run_scenario(small_scenario(), scenario_path=None, routers=["single-venue"], seeds=[1],
                     out_dir=tmp_path / "run", results_root=tmp_path)
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["keep.txt"]


def test_a_failure_while_writing_leaves_no_folder_and_no_partial_leftovers(tmp_path, monkeypatch):
    """If writing fails half-way: one clear error naming the folder and cause, and no destination or temp folder."""
    import harness.workflows.folder as folder_mod

    real_write = folder_mod._write
    calls = {"n": 0}

    def failing_write(path, table):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full (simulated)")
        real_write(path, table)

    monkeypatch.setattr(folder_mod, "_write", failing_write)
    with pytest.raises(UserError, match=r"run: cannot write the run folder: disk full \(simulated\)"):
        run_scenario(small_scenario(), scenario_path=None, routers=["single-venue"], seeds=[1],
                     out_dir=tmp_path / "run", results_root=tmp_path)
    assert calls["n"] == 3
    assert list(tmp_path.iterdir()) == []
