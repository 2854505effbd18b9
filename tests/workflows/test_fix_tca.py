"""FIX-log TCA (harness/workflows/fix_tca.py): ``sorbench tca --fix-log`` reads orders and fills from tag=value logs
into the TCA tables, and a run rendered as a FIX log gives the run's TCA.

``data/fix/known.log`` is hand-written (SOH lines with a QuickFIX file-log prefix, ``|`` lines from a printed drop
copy, a Logon/Heartbeat/Logout, a comment and a blank line); ``data/fix/known_quotes.csv`` is its NBBO. Orders are
numbered 1..4 in log order (their ClOrdIDs are not numbers):

1. A1 buy 300 AAA limit 10.05 at 14:30:00.000; NBBO 10.00 / 10.02 (mid 10.01). Fills 100 @ 10.02 (XNAS, 14:30:00.250),
   100 @ 10.01 (EDGX, 14:30:00.500) and 100 @ 10.03 (XNYS, 14:30:01) which is busted (150=H, ExecRefID E3).
   filled 200 -> fill rate 200/300; vwap (10.02 + 10.01) / 2 = 10.015; PI per share (buy: ask - price) is
   (100 * 0 + 100 * 0.01) / 200 = 0.005; effective spread 2 * (p - 10.01) averaged = (0.02 + 0) / 2 = 0.01; first
   fill 250 ms after arrival.
2. B1 sell short 500 BBB limit 20.05 at 14:30:02; NBBO 20.00 / 20.04. Replaced (35=G, then 150=5) by B2 with
   OrderQty 400; B2 filled 400 @ 20.01 (BATS, a FIX 4.2 report 150=2) at 14:30:10. The fill belongs to parent 2
   (the replaced order keeps its original's parent); qty is the confirmed 400 -> fill rate 1; vwap 20.01; PI (sell:
   price - bid) 20.01 - 20.00 = 0.01; first fill 8000 ms.
3. C1 buy 200 AAA market IOC at 14:30:06; NBBO 10.01 / 10.03 (since 14:30:05). Filled 200 @ 10.03 at 14:30:06.100
   with 0.003 per share, corrected (150=G) to 10.025 and 0.002 per share: vwap 10.025; PI 10.03 - 10.025 = 0.005;
   fees 200 * 0.002 = 0.40; first fill 100 ms (the correction keeps the execution time).
4. D1 buy 100 AAA limit 9.90 at 14:30:20 (hand-written, no BodyLength/CheckSum): never filled -> fill rate 0, no vwap.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from harness.analytics.common_market import COMMON_COLUMNS
from harness.cli import app
from harness.io.fix_message import parse_message
from harness.workflows.fix_tca import render_fix_log, render_run_fix_log
from harness.workflows.run import run_scenario
from tests.sim.helpers import small_dict, small_scenario

DATA = Path(__file__).resolve().parents[1] / "data" / "fix"
KNOWN = DATA / "known.log"
QUOTES = DATA / "known_quotes.csv"


def tca(*args: object) -> object:
    return CliRunner().invoke(app, ["tca", *map(str, args)])


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    for f in (KNOWN, QUOTES):
        shutil.copy(f, tmp_path / f.name)
    return tmp_path


def edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (on exactly one line) by ``new``; returns that line's number."""
    lines = path.read_text(encoding="utf-8").split("\n")
    hits = [i for i, line in enumerate(lines) if old in line]
    assert len(hits) == 1, hits
    lines[hits[0]] = lines[hits[0]].replace(old, new)
    path.write_text("\n".join(lines), encoding="utf-8")
    return hits[0] + 1


def test_known_log_gives_the_hand_worked_figures(logs):
    res = tca("--fix-log", logs / "known.log", "--quotes", logs / "known_quotes.csv", "--out", logs / "out")
    assert res.exit_code == 0, res.output
    o = pd.read_parquet(logs / "out" / "orders.parquet").set_index("parent_id")
    assert list(o.index) == [1, 2, 3, 4] and set(o["router"]) == {"vendor"}
    assert o.loc[1, "filled_qty"] == 200 and o.loc[1, "n_fills"] == 2  # the busted 100 are gone
    assert o.loc[1, "fill_rate"] == pytest.approx(2 / 3)
    assert o.loc[1, "vwap"] == pytest.approx(10.015)
    assert o.loc[1, "pi_per_share"] == pytest.approx(0.005)
    assert o.loc[1, "effective_spread"] == pytest.approx(0.01)
    assert o.loc[1, "time_to_first_fill_ms"] == pytest.approx(250.0)
    assert (o.loc[2, "qty"], o.loc[2, "filled_qty"], o.loc[2, "fill_rate"]) == (400, 400, 1.0)
    assert o.loc[2, "side"] == "sell" and o.loc[2, "limit_price"] == pytest.approx(20.05)
    assert o.loc[2, "vwap"] == pytest.approx(20.01) and o.loc[2, "pi_per_share"] == pytest.approx(0.01)
    assert o.loc[2, "time_to_first_fill_ms"] == pytest.approx(8000.0)
    assert o.loc[3, "vwap"] == pytest.approx(10.025) and o.loc[3, "pi_per_share"] == pytest.approx(0.005)
    assert o.loc[3, "fees_usd"] == pytest.approx(0.4) and o.loc[3, "tif"] == "ioc"
    assert o.loc[3, "time_to_first_fill_ms"] == pytest.approx(100.0)
    assert o.loc[4, "fill_rate"] == 0 and np.isnan(o.loc[4, "vwap"])
    assert np.isnan(o.loc[4, "time_to_first_fill_ms"])
    venues = pd.read_csv(logs / "out" / "venues.csv").set_index("venue")
    assert sorted(venues.index) == ["BATS", "EDGX", "XNAS"]  # XNYS's only fill was busted
    meta = json.loads((logs / "out" / "meta.json").read_text())
    fix = meta["fix_log"]
    assert fix["trading_day"] == "2026-11-20"
    assert {k: fix["counts"][k] for k in ("new_orders", "fills", "busts", "corrections", "replaces",
                                          "session_messages")} == {
        "new_orders": 4, "fills": 5, "busts": 1, "corrections": 1, "replaces": 1, "session_messages": 3}
    assert fix["orders"][1] == {"parent_id": 2, "clordid": "B1", "replaced_by": ["B2"], "line": 11}
    assert "vendor" in res.stdout


def test_without_quotes_the_nbbo_figures_are_empty_and_the_output_says_so(logs):
    res = tca("--fix-log", logs / "known.log")
    assert res.exit_code == 0, res.output
    o = pd.read_parquet(logs / "tca" / "orders.parquet").set_index("parent_id")  # default: tca/ beside the log
    assert o["pi_per_share"].isna().all() and o["arrival_mid"].isna().all()
    assert o.loc[1, "vwap"] == pytest.approx(10.015) and o.loc[1, "fill_rate"] == pytest.approx(2 / 3)
    assert "no quotes given" in res.stdout


def test_a_malformed_value_is_one_line_naming_the_line_and_nothing_is_written(logs):
    line = edit(logs / "known.log", "|38=100|", "|38=abc|")  # order D1: the hand-written line without a CheckSum
    res = tca("--fix-log", logs / "known.log", "--quotes", logs / "known_quotes.csv", "--out", logs / "out")
    assert res.exit_code == 2
    assert res.stderr.strip().splitlines() == [
        f"error: {logs / 'known.log'}:{line}: tag 38 (OrderQty) is not a whole number of shares 1..100000000: 'abc'"]
    assert not (logs / "out").exists()


def test_a_checksum_or_length_mismatch_names_the_line(logs):
    line = edit(logs / "known.log", "31=10.02\x01", "31=10.12\x01")  # same length, different bytes
    res = tca("--fix-log", logs / "known.log")
    assert res.exit_code == 2
    assert f"known.log:{line}: tag 10 (CheckSum) is" in res.stderr and "but the message sums to" in res.stderr
    edit(logs / "known.log", "31=10.12\x01", "31=10.125\x01")
    res = tca("--fix-log", logs / "known.log")
    assert f"known.log:{line}: tag 9 (BodyLength) is 165 but the body is 166 bytes" in res.stderr
    # the printed ('|') form is checked as if its delimiters were SOH
    shutil.copy(KNOWN, logs / "clean.log")
    pipe_line = edit(logs / "clean.log", "31=10.01|", "31=10.02|")
    res = tca("--fix-log", logs / "clean.log")
    assert res.exit_code == 2 and f"clean.log:{pipe_line}: tag 10 (CheckSum)" in res.stderr


def test_lenient_skips_bad_lines_with_a_count(logs):
    line = edit(logs / "known.log", "31=10.02\x01", "31=10.12\x01")  # A1's first fill
    res = tca("--fix-log", logs / "known.log", "--quotes", logs / "known_quotes.csv", "--lenient")
    assert res.exit_code == 0, res.output
    assert "1 bad line(s) skipped" in res.stdout and f"known.log:{line}" in res.stdout.replace("\n", "")
    o = pd.read_parquet(logs / "tca" / "orders.parquet").set_index("parent_id")
    assert o.loc[1, "filled_qty"] == 100 and o.loc[1, "vwap"] == pytest.approx(10.01)
    assert json.loads((logs / "tca" / "meta.json").read_text())["fix_log"]["counts"]["skipped_lines"] == 1
    assert tca("--fix-log", logs / "known.log", "--lenient").exit_code == 0
    assert "--lenient applies to --fix-log only" in tca("--run", logs, "--lenient").stderr


def test_option_errors():
    res = tca("--fix-log", KNOWN, "--orders", "o.csv")
    assert res.exit_code == 2 and "--fix-log and --orders are exclusive" in res.stderr
    assert "no such file" in tca("--fix-log", "nope.log").stderr


def test_epoch_quotes_move_the_log_to_the_epoch(logs):
    q = pd.read_csv(logs / "known_quotes.csv")
    midnight = (pd.Timestamp("2026-11-20") - pd.Timestamp("1970-01-01")) // pd.Timedelta(1, "ns")
    q.assign(ts_ns=q["ts_ns"] + midnight).to_csv(logs / "epoch.csv", index=False)
    res = tca("--fix-log", logs / "known.log", "--quotes", logs / "epoch.csv")
    assert res.exit_code == 0, res.output
    o = pd.read_parquet(logs / "tca" / "orders.parquet").set_index("parent_id")
    assert o.loc[1, "pi_per_share"] == pytest.approx(0.005) and o.loc[1, "arrival_ts_ns"] > midnight
    assert "ns since the epoch" in res.stdout


def test_a_run_rendered_as_a_fix_log_gives_the_runs_tca(tmp_path):
    """Round trip: one router's and seed's parents and fills of a real run, written as FIX, analysed again."""
    sc = small_scenario(small_dict())
    run = run_scenario(sc, scenario_path=None, routers=["best-price"], seeds=[1], out_dir=tmp_path / "run",
                       results_root=tmp_path).out_dir
    res = tca("--run", run, "--out", tmp_path / "run_tca")
    assert res.exit_code == 0, res.output
    (tmp_path / "run.log").write_text(render_run_fix_log(run, router="best-price", seed=1, delimiter="|"),
                                      encoding="utf-8")
    nbbo = pd.read_parquet(run / "nbbo.parquet")
    nbbo[(nbbo["router"] == "best-price") & (nbbo["seed"] == 1)].drop(columns=["router", "seed"]).to_parquet(
        tmp_path / "nbbo.parquet")
    res = tca("--fix-log", tmp_path / "run.log", "--quotes", tmp_path / "nbbo.parquet", "--out", tmp_path / "fix_tca")
    assert res.exit_code == 0, res.output
    a = pd.read_parquet(tmp_path / "run_tca" / "orders.parquet")
    b = pd.read_parquet(tmp_path / "fix_tca" / "orders.parquet")
    assert len(a) == len(b) == 20 and a["filled_qty"].sum() > 0
    assert (a["parent_id"].to_numpy() == b["parent_id"].to_numpy()).all()
    # PFOF is not in a FIX execution report; everything else must come back (fees travel as Commission = fee - rebate)
    # except the common market, which a FIX log does not have (its common_* columns are the router's own values)
    # arrival_ts too: the log's clock is UTC (FIX UTCTimestamps), and render_fix_log writes the run's New York times
    # of day as UTCTimestamps, so the two instants differ by New York's UTC offset (5 h in November)
    same = [c for c in a.columns if c not in ("router", "seed", "pfof_usd", "pfof_per_share", "arrival_ts",
                                              *COMMON_COLUMNS)]
    assert ((a["arrival_ts"] - b["arrival_ts"]) == pd.Timedelta(hours=5)).all()
    np.testing.assert_array_equal(b["common_bid"], b["arrival_bid"])
    assert not b["common_arrival_differs"].any()
    pd.testing.assert_frame_equal(a[same], b[same], check_dtype=False, rtol=0, atol=1e-9)
    assert a["vwap"].notna().sum() > 10 and a["pi_per_share"].notna().sum() > 10


def test_caret_a_printed_logs_are_read_and_checked_as_soh():
    soh = render_fix_log(pd.DataFrame({"parent_id": [1], "symbol": ["AAA"], "side": ["sell"], "order_type": ["market"],
                                       "qty": [100], "limit_price": [np.nan], "arrival_ts_ns": [52_200 * 10**9]}),
                         pd.DataFrame(columns=["parent_id", "venue", "exec_ts_ns", "qty", "price"]), date="2026-11-20")
    line = "2026-11-20 14:30:00 IN " + soh.strip().replace("\x01", "^A")
    msg = parse_message(line.encode())
    assert msg is not None and msg.msg_type == "D" and msg.fields[54] == "2" and msg.fields[40] == "1"
    with pytest.raises(ValueError, match="CheckSum"):
        parse_message(line.replace("38=100", "38=200").encode())


def test_quickfix_accepts_rendered_messages_and_we_accept_quickfixs(tmp_path):
    """Interoperability with QuickFIX's own parser (optional: skipped without the quickfix Python module)."""
    try:
        import quickfix as fix
    except ImportError:
        pytest.skip("the quickfix Python module is not installed (pip install quickfix-ssl)")
    spec = Path(sys.prefix) / "share" / "quickfix" / "FIX44.xml"
    if not spec.is_file():
        pytest.skip(f"QuickFIX's FIX44.xml data dictionary not found at {spec}")
    parents = pd.DataFrame({"parent_id": [1], "symbol": ["AAA"], "side": ["buy"], "order_type": ["limit"],
                            "qty": [100], "limit_price": [50.01], "arrival_ts_ns": [34_200_123_456_789]})
    fills = pd.DataFrame({"parent_id": [1, 1], "venue": ["NSDQ", "EDGX"], "exec_ts_ns": [34_200_223_456_789] * 2,
                          "qty": [60, 40], "price": [50.0, 50.01], "fee_usd": [0.18, -0.1]})
    (tmp_path / "r.log").write_text(render_fix_log(parents, fills, date="2026-11-20"), encoding="utf-8")
    # QuickFIX aborts the process on a bad message (a C++ exception), so it runs in a child process
    check = ("import sys, quickfix as fix\n"
             "dd = fix.DataDictionary(sys.argv[2])\n"
             "for line in open(sys.argv[1], encoding='utf-8').read().splitlines():\n"
             "    fix.Message(line, dd, True)\n"
             "print('ok')\n")
    res = subprocess.run([sys.executable, "-c", check, str(tmp_path / "r.log"), str(spec)], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr
    msg = fix.Message()
    header = msg.getHeader()
    for field in (fix.BeginString("FIX.4.4"), fix.MsgType("D"), fix.SenderCompID("A"), fix.TargetCompID("B"),
                  fix.MsgSeqNum(7)):
        header.setField(field)
    for field in (fix.ClOrdID("Q1"), fix.Symbol("AAA"), fix.Side("1"), fix.OrderQty(100), fix.OrdType("2"),
                  fix.Price(50.01), fix.StringField(60, "20261120-14:30:00.000")):
        msg.setField(field)
    parsed = parse_message(msg.toString().encode())  # BodyLength and CheckSum as QuickFIX computed them
    assert parsed is not None and parsed.fields[11] == "Q1" and parsed.fields[44] == "50.01"
    with pytest.raises(ValueError, match="CheckSum"):
        parse_message(msg.toString().replace("11=Q1", "11=Q2").encode())
