"""A firm's own files in and out (issue 18 item 7): a vendor order file with string ClOrdIDs, ISO/epoch/ns times,
every side alias and its own tickers runs with ``--orders --symbol-map``; the ids come back as given in every order
table, with New York timestamps beside the ns ones; ``tca`` on the same orders written the firm's way gives the run's
own figures; a bad value is one line naming file, row, column and value, exit 2."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import tomli_w

from harness.errors import UserError
from harness.io.vendor import Table, normalize_vendor
from tests.sim.test_flow import START, S, tiny_dict

ROOT = Path(__file__).resolve().parents[2]
NY = "America/New_York"
EPOCH_0930 = 1_795_185_000 * 10**9
"""2026-11-20 09:30:00 in New York (14:30 UTC) in ns since the epoch: 20,777 days * 86,400 s + 52,200 s."""


def _sorbench(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


VENDOR_ORDERS = f"""parent_id,symbol,side,order_type,qty,limit_price,arrival_ts_ns
O-7,AAPL,B,market,200,,2026-11-20T14:30:06Z
O-2,MSFT,s,limit,300,19.95,2026-11-20T09:30:08.5-05:00
O-9,AAPL,1,limit,100,50.00,{EPOCH_0930 + 10 * S}
O-1,MSFT,Sell,market,100,,{START + 12 * S}
O-3,AAPL,buy,market,100,,2026-11-20T14:30:14.000000001+00:00
O-4,MSFT,2,market,100,,2026-11-20T15:30:16+01:00
"""


@pytest.fixture(scope="module")
def vendor_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("vendor")
    (tmp / "tiny.toml").write_bytes(tomli_w.dumps(tiny_dict()).encode())
    (tmp / "orders.csv").write_text(VENDOR_ORDERS, encoding="utf-8")
    (tmp / "map.csv").write_text("ticker,symbol\nAAPL,AAA\nMSFT,BBB\n", encoding="utf-8")
    proc = _sorbench(
        "run",
        "tiny.toml",
        "--orders",
        "orders.csv",
        "--symbol-map",
        "map.csv",
        "-r",
        "best-price",
        "--out",
        "run",
        "--quiet",
        "--no-report",
        cwd=tmp,
    )
    assert proc.returncode == 0, proc.stderr
    return tmp


def test_string_ids_and_new_york_times_are_in_every_order_table(vendor_run):
    run = vendor_run / "run"
    parents = pd.read_parquet(run / "parent_orders.parquet")
    # row order is arrival order; the internal ids are the file's row numbers (O-7 first ... O-4 sixth)
    assert parents["client_order_id"].tolist() == ["O-7", "O-2", "O-9", "O-1", "O-3", "O-4"]
    assert parents["parent_id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert parents["side"].tolist() == ["buy", "sell", "buy", "sell", "buy", "sell"]
    assert parents["symbol"].tolist() == ["AAA", "BBB", "AAA", "BBB", "AAA", "BBB"]
    # 09:30:06 (ISO Z), 08.5 (ISO -05:00), 10 (epoch), 12 (ns since midnight), 14 s + 1 ns, 16 (+01:00)
    assert (parents["arrival_ts_ns"] - START).tolist() == [6 * S, 8 * S + S // 2, 10 * S, 12 * S, 14 * S + 1, 16 * S]
    assert str(parents["arrival_ts"].dtype) == f"datetime64[ns, {NY}]"
    assert parents["arrival_ts"].iloc[0] == pd.Timestamp("2026-11-20T09:30:06", tz=NY)
    for name, ts in (
        ("fills.parquet", "exec_ts"),
        ("child_orders.parquet", "sent_ts"),
        ("tca/orders.parquet", "arrival_ts"),
    ):
        table = pd.read_parquet(run / name)
        assert len(table), name
        cols = list(table.columns)
        assert cols[cols.index("parent_id") + 1] == "client_order_id", name
        assert cols[cols.index(f"{ts}_ns") + 1] == ts, name
        ids = dict(zip(parents["parent_id"], parents["client_order_id"], strict=True))
        assert (table["client_order_id"] == table["parent_id"].map(ids)).all(), name
        local = table[ts].dt.tz_convert(NY)
        wall = (local.dt.tz_localize(None) - pd.Timestamp("2026-11-20")).astype("int64")
        assert (wall == table[f"{ts}_ns"]).all(), name
    review = pd.read_csv(run / "tca" / "review_orders.csv")
    assert set(review["client_order_id"]) <= set(parents["client_order_id"])


def test_tca_of_the_same_orders_in_the_firms_format_gives_the_runs_figures(vendor_run):
    """Orders and fills keyed by the ClOrdIDs, fills at epoch times, quotes in ISO UTC under the firm's tickers."""
    run = vendor_run / "run"
    parents = pd.read_parquet(run / "parent_orders.parquet")
    fills = pd.read_parquet(run / "fills.parquet")
    nbbo = pd.read_parquet(run / "nbbo.parquet")
    ticker = {"AAA": "AAPL", "BBB": "MSFT"}
    side = {"buy": "B", "sell": "S"}
    orders = parents.assign(
        parent_id=parents["client_order_id"], symbol=parents["symbol"].map(ticker), side=parents["side"].map(side)
    )
    orders = orders[["parent_id", "symbol", "side", "order_type", "qty", "limit_price", "arrival_ts_ns"]]
    vendor_fills = pd.DataFrame(
        {
            "parent_id": fills["client_order_id"],
            "venue": fills["venue"],
            "exec_ts_ns": fills["exec_ts_ns"] - START + EPOCH_0930,
            "qty": fills["qty"],
            "price": fills["price"],
            "fee_usd": fills["fee_usd"],
            "rebate_usd": fills["rebate_usd"],
            "pfof_usd": fills["pfof_usd"],
            "side": fills["side"].map({"buy": "1", "sell": "2"}),
        }
    )
    quotes = nbbo.assign(
        symbol=nbbo["symbol"].map(ticker),
        ts_ns=nbbo["ts_ns"].map(
            lambda ns: (pd.Timestamp("2026-11-20", tz=NY) + pd.Timedelta(int(ns), "ns")).tz_convert("UTC").isoformat()
        ),
    )[["symbol", "ts_ns", "bid", "ask"]]
    orders.to_csv(vendor_run / "v_orders.csv", index=False)
    vendor_fills.to_csv(vendor_run / "v_fills.csv", index=False)
    quotes.to_csv(vendor_run / "v_quotes.csv", index=False)
    proc = _sorbench(
        "tca",
        "--orders",
        "v_orders.csv",
        "--fills",
        "v_fills.csv",
        "--quotes",
        "v_quotes.csv",
        "--symbol-map",
        "map.csv",
        "--out",
        "vtca",
        cwd=vendor_run,
    )
    assert proc.returncode == 0, proc.stderr
    got = pd.read_parquet(vendor_run / "vtca" / "orders.parquet").sort_values("client_order_id")
    want = pd.read_parquet(run / "tca" / "orders.parquet").sort_values("client_order_id")
    assert got["client_order_id"].tolist() == want["client_order_id"].tolist()
    assert got["arrival_ts"].tolist() == want["arrival_ts"].tolist()
    for col in ("filled_qty", "vwap", "arrival_mid", "pi_per_share", "effective_spread"):
        pd.testing.assert_series_equal(
            got[col].reset_index(drop=True), want[col].reset_index(drop=True), check_names=False
        )


def test_a_bad_value_in_a_vendor_file_is_one_line_and_exit_2(vendor_run):
    (vendor_run / "bad_fills.csv").write_text(
        "parent_id,venue,exec_ts_ns,qty,price,side\n"
        "O-7,NSDQ,2026-11-20T14:30:07Z,100,50.02,B\n"
        "O-7,NSDQ,2026-11-20T14:30:07Z,100,50.02,hold\n",
        encoding="utf-8",
    )
    proc = _sorbench(
        "tca",
        "--orders",
        "orders.csv",
        "--fills",
        "bad_fills.csv",
        "--quotes",
        "v_quotes.csv",
        "--symbol-map",
        "map.csv",
        "--out",
        "bad",
        cwd=vendor_run,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].endswith(
        "bad_fills.csv: row 2 (line 3), column 'side': 'hold' is not a side (buy/sell, B/S or FIX 1/2)"
    ), proc.stderr


def _table(frame: pd.DataFrame, label: str) -> Table:
    return Table(frame, label, csv=True)


ORDERS = pd.DataFrame(
    {
        "parent_id": ["A1", "A2"],
        "symbol": ["AAA", "AAA"],
        "side": ["B", "S"],
        "order_type": ["market", "market"],
        "qty": ["100", "100"],
        "limit_price": [None, None],
        "arrival_ts_ns": ["2026-11-20T14:30:00Z", "2026-11-20T14:30:01Z"],
    }
)


@pytest.mark.parametrize(
    ("fills", "text"),
    [
        (
            {"parent_id": ["A3"], "exec_ts_ns": ["2026-11-20T14:30:02Z"]},
            "row 1 (line 2), column 'parent_id': 'A3' is not an order in o.csv",
        ),
        (
            {"parent_id": ["A1"], "exec_ts_ns": ["2026-11-21T14:30:02Z"]},
            "row 1 (line 2), column 'exec_ts_ns': '2026-11-21T14:30:02Z' is on 2026-11-21",
        ),
        (
            {"parent_id": ["A1"], "exec_ts_ns": ["14:30:02"]},
            "row 1 (line 2), column 'exec_ts_ns': '14:30:02' is not a time",
        ),
    ],
)
def test_bad_vendor_cells_name_file_row_column_and_value(fills, text):
    with pytest.raises(UserError) as err:
        normalize_vendor(_table(ORDERS, "o.csv"), _table(pd.DataFrame(fills), "f.csv"), None)
    assert str(err.value).startswith(f"f.csv: {text}"), str(err.value)


def test_vendor_ids_map_deterministically_and_epoch_quotes_join_the_day():
    quotes = pd.DataFrame({"symbol": ["AAPL"], "ts_ns": [EPOCH_0930], "bid": [1.0], "ask": [1.1]})
    got = normalize_vendor(
        _table(ORDERS, "o.csv"),
        _table(pd.DataFrame({"parent_id": ["A2"], "exec_ts_ns": [str(START + S)]}), "f.csv"),
        Table(quotes, "q.parquet"),
        symbol_map={"AAPL": "AAA"},
    )
    assert got.orders["parent_id"].tolist() == [1, 2]
    assert got.orders["client_order_id"].tolist() == ["A1", "A2"]
    assert got.orders["side"].tolist() == ["buy", "sell"]
    assert got.fills["parent_id"].tolist() == [2]
    assert got.quotes["ts_ns"].tolist() == [START] and got.quotes["symbol"].tolist() == ["AAA"]
    assert got.date == dt.date(2026, 11, 20).isoformat()


def test_verify_rereads_the_file_with_the_recorded_symbol_map(vendor_run):
    """The manifest keeps the map, so the re-run reads the tickers the same way and gives identical files."""
    import json

    manifest = json.loads((vendor_run / "run" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["orders_symbol_map"] == {"AAPL": "AAA", "MSFT": "BBB"}
    proc = _sorbench("verify", "run", cwd=vendor_run)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_a_parquet_timestamp_column_with_a_zone_is_read_at_any_unit():
    """A microsecond UTC timestamp column (what pandas often writes) is the same instant as the ns ISO text."""
    fills = pd.DataFrame({"parent_id": ["A1"], "exec_ts_ns": pd.to_datetime(["2026-11-20T14:30:02Z"]).as_unit("us")})
    got = normalize_vendor(_table(ORDERS, "o.csv"), Table(fills, "f.parquet"), None)
    assert got.fills["exec_ts_ns"].tolist() == [START + 2 * S]
    naive = fills.assign(exec_ts_ns=fills["exec_ts_ns"].dt.tz_localize(None))
    with pytest.raises(
        UserError, match=r"f\.parquet: row 1, column 'exec_ts_ns': a timestamp column without a time zone"
    ):
        normalize_vendor(_table(ORDERS, "o.csv"), Table(naive, "f.parquet"), None)
