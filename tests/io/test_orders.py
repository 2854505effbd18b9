"""Parent-order files (harness/io/orders.py): CSV and Parquet load to integer-priced, time-ordered parents or fail
naming file, row and column; ``run`` replays a file to every router and ``validate`` checks a scenario's own file."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tomli_w

from adapters.contract import ParentOrder
from harness.errors import UserError
from harness.io.orders import FLOW_COLUMNS, load_parents
from tests.sim.test_flow import END, START, S, tiny, tiny_dict
from venues.types import OrdType, Side

DATA = Path(__file__).resolve().parents[1] / "data"


def write_csv(path: Path, rows: list[list[Any]], header: list[str] | tuple[str, ...] = FLOW_COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def good_rows() -> list[list[Any]]:
    """Three good rows in FLOW_COLUMNS order, not in arrival order."""
    return [
        [7, "AAA", "buy", "limit", 300, "50.01", START + 3 * S],
        [3, "BBB", "sell", "market", 150, "", START + 1 * S],
        [5, "AAA", "sell", "limit", 100, "49.99", START + 2 * S],
    ]


EXPECTED = [
    ParentOrder(parent_id=3, symbol="BBB", side=Side.SELL, order_type=OrdType.MARKET, qty=150, limit_price=None,
                arrival_ts_ns=START + 1 * S),
    ParentOrder(parent_id=5, symbol="AAA", side=Side.SELL, order_type=OrdType.LIMIT, qty=100, limit_price=499_900,
                arrival_ts_ns=START + 2 * S),
    ParentOrder(parent_id=7, symbol="AAA", side=Side.BUY, order_type=OrdType.LIMIT, qty=300, limit_price=500_100,
                arrival_ts_ns=START + 3 * S),
]


# ------------------------------------------------------------------------------------------------ good files
def test_csv_loads_integer_prices_sorted_by_arrival(tmp_path):
    path = write_csv(tmp_path / "orders.csv", good_rows())
    assert load_parents(path, tiny()) == EXPECTED


def test_csv_columns_in_any_order_with_extra_columns_spaces_and_case(tmp_path):
    header = ["note", *reversed(FLOW_COLUMNS)]
    rows = [["x", *reversed([f" {c} " if isinstance(c, str) else c for c in r])] for r in good_rows()]
    rows[1][-3] = " SELL "  # side, upper case and padded
    assert load_parents(write_csv(tmp_path / "orders.csv", rows, header), tiny()) == EXPECTED


def test_csv_ties_in_arrival_break_by_parent_id(tmp_path):
    rows = [[9, "BBB", "buy", "limit", 1, "20", START + 2 * S], *good_rows()]
    got = load_parents(write_csv(tmp_path / "orders.csv", rows), tiny())
    assert [p.parent_id for p in got] == [3, 5, 9, 7]
    assert got[2].limit_price == 200_000


def test_csv_with_a_byte_order_mark_loads(tmp_path):
    """Spreadsheets save UTF-8 CSVs with a BOM; the first column is still parent_id."""
    path = write_csv(tmp_path / "orders.csv", good_rows())
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert load_parents(path, tiny()) == EXPECTED


def test_parquet_loads_integer_prices_sorted_by_arrival(tmp_path):
    rows = good_rows()
    table = pa.table({
        "parent_id": pa.array([r[0] for r in rows], pa.int64()),
        "symbol": pa.array([r[1] for r in rows], pa.string()),
        "side": pa.array([r[2] for r in rows], pa.string()),
        "order_type": pa.array([r[3] for r in rows], pa.string()),
        "qty": pa.array([r[4] for r in rows], pa.int64()),
        "limit_price": pa.array([float(r[5]) if r[5] else None for r in rows], pa.float64()),
        "arrival_ts_ns": pa.array([r[6] for r in rows], pa.int64()),
    })
    pq.write_table(table, tmp_path / "orders.parquet")
    got = load_parents(tmp_path / "orders.parquet", tiny())
    assert got == EXPECTED
    assert all(isinstance(p.limit_price, int) for p in got if p.limit_price is not None)


def test_shipped_fixture_file_loads():
    got = load_parents(DATA / "orders_tiny.csv", tiny())
    assert len(got) == 6
    assert [p.arrival_ts_ns for p in got] == sorted(p.arrival_ts_ns for p in got)
    assert {p.symbol for p in got} == {"AAA", "BBB"}


# ------------------------------------------------------------------------------------------------- bad files
def _row2(column: str, value: Any) -> list[list[Any]]:
    rows = good_rows()
    rows[1][FLOW_COLUMNS.index(column)] = value
    return rows


# (id, rows, row number, text right after "row N: ")
BAD_ROWS: list[tuple[str, list[list[Any]], int, str]] = [
    ("bad side", _row2("side", "hold"), 2, "side: 'hold'"),
    ("bad order_type", _row2("order_type", "stop"), 2, "order_type: 'stop'"),
    ("qty zero", _row2("qty", 0), 2, "qty: 0"),
    ("qty not a number", _row2("qty", "abc"), 2, "qty: 'abc'"),
    ("qty not an integer", _row2("qty", "1.5"), 2, "qty: '1.5'"),
    ("limit price on a market order", _row2("limit_price", "20.00"), 2, "limit_price: '20.00'"),
    ("limit order without a price", [*good_rows()[:2], [5, "AAA", "sell", "limit", 100, "", START]], 3,
     "limit_price: empty"),
    ("price off the tick grid", [good_rows()[0], [4, "AAA", "buy", "limit", 100, "50.005", START]], 2,
     "limit_price: '50.005'"),
    ("negative price", [good_rows()[0], [4, "AAA", "buy", "limit", 100, "-50.00", START]], 2,
     "limit_price: '-50.00'"),
    ("price not a number", [good_rows()[0], [4, "AAA", "buy", "limit", 100, "fifty", START]], 2,
     "limit_price: 'fifty'"),
    ("unknown symbol", _row2("symbol", "ZZZ"), 2, "symbol: 'ZZZ'"),
    ("negative parent_id", _row2("parent_id", -3), 2, "parent_id: -3"),
    ("duplicate parent_id", [*good_rows(), [7, "BBB", "buy", "market", 1, "", START]], 4, "parent_id: 7 repeats row 1"),
    ("arrival before the window", _row2("arrival_ts_ns", START - 1), 2, f"arrival_ts_ns: {START - 1}"),
    ("arrival at the window end", _row2("arrival_ts_ns", END), 2, f"arrival_ts_ns: {END}"),
    ("arrival not an integer", _row2("arrival_ts_ns", "9:30"), 2, "arrival_ts_ns: '9:30'"),
    ("too few cells", [good_rows()[0], [4, "AAA", "buy", "market", 100]], 2, "has 5 cells, the header has 7"),
    # numbers no order can have: refused here instead of overflowing the run folder's int64 columns later
    ("qty 2^63", _row2("qty", 2**63), 2, f"qty: {2**63} is more than the largest order, 100,000,000 shares"),
    ("qty one over the maximum", _row2("qty", 100_000_001), 2, "qty: 100000001 is more than the largest order"),
    ("qty 1e20", _row2("qty", "1e20"), 2, "qty: '1e20' is not an integer"),
    ("qty of 400 digits", _row2("qty", "9" * 400), 2, "qty: 99999999999999999999...(400 characters) is more than"),
    ("parent_id 2^63", _row2("parent_id", 2**63), 2, f"parent_id: {2**63} is larger than 2^63 - 1"),
    ("limit price 1e305", [good_rows()[0], [4, "AAA", "buy", "limit", 100, "1e305", START]], 2,
     "limit_price: '1e305' is above the largest price, $1,000,000"),
    ("limit price 1e400 (inf)", [good_rows()[0], [4, "AAA", "buy", "limit", 100, "1e400", START]], 2,
     "limit_price: '1e400' is not a positive price"),
]


@pytest.mark.parametrize(("rows", "row", "text"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_bad_csv_row_is_named_by_file_row_and_column(tmp_path, rows, row, text):
    path = write_csv(tmp_path / "orders.csv", rows)
    with pytest.raises(UserError) as excinfo:
        load_parents(path, tiny())
    assert str(excinfo.value).startswith(f"{path}: row {row}: {text}"), str(excinfo.value)
    assert "more bad row" not in str(excinfo.value)


PARQUET_BAD: list[tuple[str, str, Any, pa.DataType, str]] = [
    ("qty a fraction", "qty", 1.5, pa.float64(), "qty: 1.5"),
    ("qty text", "qty", "abc", pa.string(), "qty: 'abc'"),
    ("side missing", "side", None, pa.string(), "side: None"),
    ("limit price on a market order", "limit_price", 20.0, pa.float64(), "limit_price: 20.0"),
]


@pytest.mark.parametrize(("column", "value", "dtype", "text"), [c[1:] for c in PARQUET_BAD],
                         ids=[c[0] for c in PARQUET_BAD])
def test_bad_parquet_row_is_named_by_file_row_and_column(tmp_path, column, value, dtype, text):
    rows = good_rows()
    cols: dict[str, pa.Array] = {}
    for j, name in enumerate(FLOW_COLUMNS):
        values = [r[j] for r in rows]
        if name == "limit_price":
            values = [float(v) if v else None for v in values]
        if name == column:
            values[1] = value
            if dtype == pa.string():
                values = [v if v is None else str(v) for v in values]
            cols[name] = pa.array(values, dtype)
        else:
            cols[name] = pa.array(values)
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.table(cols), path)
    with pytest.raises(UserError) as excinfo:
        load_parents(path, tiny())
    assert str(excinfo.value).startswith(f"{path}: row 2: {text}"), str(excinfo.value)


def test_row_numbers_count_blank_lines(tmp_path):
    """Row n is line n + 1 of the CSV even when a blank line comes before it."""
    path = tmp_path / "orders.csv"
    path.write_text(
        ",".join(FLOW_COLUMNS) + "\n"
        f"1,AAA,buy,market,100,,{START}\n"
        "\n"
        f"2,AAA,hold,market,100,,{START}\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError, match=r": row 3: side: 'hold'"):
        load_parents(path, tiny())


def test_several_bad_rows_name_the_first_and_count_the_rest(tmp_path):
    rows = [*good_rows(), [8, "AAA", "buy", "market", 0, "", START], [9, "AAA", "buy", "market", 1, "", END]]
    rows[0][2] = "hold"
    path = write_csv(tmp_path / "orders.csv", rows)
    with pytest.raises(UserError) as excinfo:
        load_parents(path, tiny())
    assert str(excinfo.value) == (f"{path}: row 1: side: 'hold' is not a side (buy/sell, B/S or FIX 1/2) "
                                  "(and 2 more bad row(s))")


@pytest.mark.parametrize(
    ("name", "content", "text"),
    [
        ("orders.csv", "parent_id,symbol,side,order_type,qty,arrival_ts_ns\n", "missing column(s) limit_price"),
        ("orders.csv", "", "empty file"),
        ("orders.csv", "parent_id,symbol,side,order_type,qty,limit_price,arrival_ts_ns\n", "no orders"),
        ("orders.csv", b"parent_id,symbol\xe9\n", "not UTF-8 text"),
        ("orders.json", "[]", "unknown order file type '.json'"),
        ("orders.parquet", b"not parquet at all", "not a readable Parquet file"),
    ],
    ids=["missing column", "empty file", "header only", "not utf-8", "unknown extension", "corrupt parquet"],
)
def test_bad_file_is_named(tmp_path, name, content, text):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as excinfo:
        load_parents(path, tiny())
    assert str(excinfo.value).startswith(f"{path}: {text}"), str(excinfo.value)


def test_missing_order_file_is_named(tmp_path):
    with pytest.raises(UserError) as excinfo:
        load_parents(tmp_path / "gone.csv", tiny())
    assert str(excinfo.value) == f"{tmp_path / 'gone.csv'}: order file not found"


# ---------------------------------------------------------------------------------------------- the CLI with files
def _sorbench(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
        timeout=120,
    )


def test_run_with_a_bad_order_file_exits_2_with_one_line_and_writes_nothing(tmp_path):
    scenario = tmp_path / "tiny.toml"
    scenario.write_bytes(tomli_w.dumps(tiny_dict()).encode())
    orders = write_csv(tmp_path / "bad.csv", _row2("side", "hold"))
    out = tmp_path / "results" / "run"
    proc = _sorbench("run", scenario, "--orders", orders, "--out", out, "--quiet", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and "bad.csv: row 2: side: 'hold'" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() and not (tmp_path / "results").exists()


def test_validate_checks_the_scenarios_own_order_file(tmp_path):
    """flow.file is relative to the scenario file, and `validate` reads it."""
    (tmp_path / "flows").mkdir()
    write_csv(tmp_path / "flows" / "orders.csv", _row2("qty", 0))
    scenario = tmp_path / "tiny.toml"
    scenario.write_bytes(tomli_w.dumps(tiny_dict(file="flows/orders.csv")).encode())
    proc = _sorbench("validate", scenario, cwd=tmp_path / "flows")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "orders.csv: row 2: qty: 0 is not positive" in proc.stderr


@pytest.mark.slow
def test_run_replays_the_order_file_to_every_router(tmp_path):
    scenario = tmp_path / "tiny.toml"
    scenario.write_bytes(tomli_w.dumps(tiny_dict()).encode())
    out = tmp_path / "run"
    proc = _sorbench("run", scenario, "--orders", DATA / "orders_tiny.csv", "--out", out, "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    parents = pq.read_table(out / "parent_orders.parquet").to_pylist()
    expected = load_parents(DATA / "orders_tiny.csv", tiny())
    assert [(r["parent_id"], r["qty"], r["arrival_ts_ns"]) for r in parents] == [
        (p.parent_id, p.qty, p.arrival_ts_ns) for p in expected
    ]
    children = pq.read_table(out / "child_orders.parquet").to_pylist()
    for router in ("best-price", "single-venue"):
        assert {c["parent_id"] for c in children if c["router"] == router} <= {p.parent_id for p in expected}
        assert any(c["router"] == router for c in children)


def test_a_csv_cell_over_128_kib_is_a_one_line_error(tmp_path):
    """The csv module's field limit is an error naming the file and the row, not a traceback."""
    rows = good_rows()
    rows[1][FLOW_COLUMNS.index("symbol")] = "A" * 200_000
    path = write_csv(tmp_path / "orders.csv", rows)
    with pytest.raises(UserError) as excinfo:
        load_parents(path, tiny())
    assert str(excinfo.value).startswith(f"{path}: row 2: not readable as CSV: field larger than field limit")
    assert "\n" not in str(excinfo.value)


def test_a_parquet_qty_of_1e20_is_refused_with_its_row(tmp_path):
    cols = {name: pa.array([r[j] for r in good_rows()]) for j, name in enumerate(FLOW_COLUMNS) if name != "qty"}
    cols["limit_price"] = pa.array([float(v) if v else None for v in (r[5] for r in good_rows())])
    cols["qty"] = pa.array([300.0, 1e20, 100.0])
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.table(cols), path)
    with pytest.raises(UserError) as excinfo:
        load_parents(path, tiny())
    assert str(excinfo.value).startswith(f"{path}: row 2: qty: 100000000000000000000 is more than the largest order")
