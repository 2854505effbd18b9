"""Input checks: a bad file gives one line naming the file, row, column and value; fee conventions are read right."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.analytics.inputs import load_run_folder, load_vendor_files, normalize_fills
from harness.errors import UserError
from tests.analytics import builders as b
from tests.analytics import cases

ORDERS_CSV = """parent_id,symbol,side,order_type,qty,limit_price,arrival_ts_ns
1,XYZ,buy,market,300,,500000000
2,XYZ,SELL,limit,500,10.00,1500000000
"""
FILLS_CSV = """parent_id,venue,exec_ts_ns,qty,price,fee_usd
1,V1,600000000,100,10.05,0.30
1,V2,700000000,200,10.10,0.60
2,V1,1800000000,200,10.08,-0.40
"""
QUOTES_CSV = """symbol,ts_ns,bid,ask
XYZ,0,10.00,10.10
XYZ,1000000000,10.02,10.12
"""


def vendor(tmp_path: Path, orders: str = ORDERS_CSV, fills: str = FILLS_CSV,
           quotes: str = QUOTES_CSV) -> tuple[Path, Path, Path]:
    paths = tmp_path / "orders.csv", tmp_path / "fills.csv", tmp_path / "quotes.csv"
    for path, text in zip(paths, (orders, fills, quotes), strict=True):
        path.write_text(text, encoding="utf-8")
    return paths


def error_of(tmp_path: Path, **files: str) -> str:
    with pytest.raises(UserError) as exc:
        load_vendor_files(*vendor(tmp_path, **files))
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_signed_fee_is_split_into_fee_and_rebate_and_pfof_is_zero():
    f = normalize_fills(pd.DataFrame({"fee_usd": [0.30, -0.40, 0.0]}))
    assert f["fee_usd"].tolist() == [0.30, 0.0, 0.0]
    assert f["rebate_usd"].tolist() == [0.0, 0.40, 0.0]
    assert f["pfof_usd"].tolist() == [0.0, 0.0, 0.0]


def test_explicit_fee_rebate_pfof_columns_are_kept_and_missing_ones_are_zero():
    f = normalize_fills(pd.DataFrame({"fee_usd": [0.30, None], "pfof_usd": [0.0, 0.2]}))
    assert f["fee_usd"].tolist() == [0.30, 0.0] and f["rebate_usd"].tolist() == [0.0, 0.0]
    assert f["pfof_usd"].tolist() == [0.0, 0.2]
    assert normalize_fills(pd.DataFrame({"qty": [1]}))[["fee_usd", "rebate_usd", "pfof_usd"]].sum().sum() == 0


def test_good_vendor_files_load_with_defaults(tmp_path):
    inputs = load_vendor_files(*vendor(tmp_path))
    assert set(inputs.parents["router"]) == {"vendor"} and set(inputs.parents["seed"]) == {0}
    assert inputs.parents["side"].tolist() == ["buy", "sell"]  # "SELL" read case-insensitively
    assert inputs.fills["router"].tolist() == ["vendor"] * 3
    assert inputs.fills["rebate_usd"].tolist() == [0.0, 0.0, 0.40]
    assert "router" not in inputs.nbbo.columns  # one market for every router


@pytest.mark.parametrize(("files", "expected"), [
    ({"fills": FILLS_CSV.replace("1,V2,700000000,200", "1,V2,700000000,abc")},
     "fills.csv: row 2 (line 3), column 'qty': 'abc' is not a whole number"),
    ({"fills": FILLS_CSV.replace(",10.05,", ",ten,")},
     "fills.csv: row 1 (line 2), column 'price': 'ten' is not a number"),
    ({"fills": FILLS_CSV.replace(",10.05,", ",-1,")}, "fills.csv: row 1 (line 2), column 'price': '-1' must be > 0"),
    ({"fills": FILLS_CSV.replace("1,V2,", ",V2,")}, "fills.csv: row 2 (line 3), column 'parent_id': is empty"),
    ({"fills": FILLS_CSV.replace("2,V1,", "7,V1,")},
     "fills.csv: row 3 (line 4), column 'parent_id': 7 is not an order in"),
    ({"fills": FILLS_CSV.replace("1,V1,600000000", "1,V1,400000000")},
     "fills.csv: row 1 (line 2), column 'exec_ts_ns': 400000000 is before the order's arrival_ts_ns 500000000"),
    ({"fills": FILLS_CSV.replace("1,V2,700000000,200", "1,V2,700000000,201")},
     "fills.csv: row 2 (line 3), column 'qty': fills of order 1 reach 301 shares, more than its 300"),
    ({"fills": FILLS_CSV.replace("price,", "px,")}, "fills.csv: missing column 'price'"),
    ({"orders": ORDERS_CSV.replace("buy,market", "hold,market")},
     "orders.csv: row 1 (line 2), column 'side': 'hold' is not one of buy, sell"),
    ({"orders": ORDERS_CSV.replace("limit,500,10.00", "limit,500,")},
     "orders.csv: row 2 (line 3), column 'limit_price': is empty for a limit order"),
    ({"orders": ORDERS_CSV.replace("2,XYZ,SELL", "1,XYZ,SELL")},
     "orders.csv: row 2 (line 3), column 'parent_id': order 1 appears twice"),
    ({"orders": ORDERS_CSV.replace(",300,", ",0,")}, "orders.csv: row 1 (line 2), column 'qty': '0' must be > 0"),
    ({"quotes": QUOTES_CSV.replace("XYZ,0,", "XYZ,0.5,")},
     "quotes.csv: row 1 (line 2), column 'ts_ns': '0.5' is not a whole number"),
    ({"fills": "parent_id,venue,exec_ts_ns,qty,price,fee_usd,rebate_usd\n1,V1,600000000,100,10.05,-0.3,0\n"},
     "fills.csv: row 1 (line 2), column 'fee_usd': -0.3 must be >= 0 when rebate_usd/pfof_usd are given"),
])
def test_bad_vendor_file_names_file_row_column_and_value(tmp_path, files, expected):
    assert expected in error_of(tmp_path, **files)


def test_fills_without_router_are_ambiguous_when_orders_name_several_routers(tmp_path):
    orders = "router,parent_id,symbol,side,order_type,qty,arrival_ts_ns\nA,1,XYZ,buy,market,300,500000000\n" \
             "B,1,XYZ,buy,market,300,500000000\n"
    assert "fills.csv: missing column 'router'" in error_of(tmp_path, orders=orders)


def test_unknown_format_and_missing_file_are_one_line_errors(tmp_path):
    paths = vendor(tmp_path)
    odd = tmp_path / "orders.xlsx"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(UserError, match=r"orders\.xlsx: unknown format '\.xlsx'"):
        load_vendor_files(odd, paths[1], paths[2])
    with pytest.raises(UserError, match=r"nope\.csv: no such file"):
        load_vendor_files(tmp_path / "nope.csv", paths[1], paths[2])
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"not parquet")
    with pytest.raises(UserError, match=r"broken\.parquet: not a readable Parquet file"):
        load_vendor_files(broken, paths[1], paths[2])


def test_run_folder_parents_are_expanded_to_the_runs_that_exist(tmp_path):
    # router S ran seed 1 only (its seed 2 failed: no rows anywhere); R ran seeds 1 and 2
    parents = pd.concat([b.parents([(1, "buy", "market", 100, None, 5)], seed=s) for s in (1, 2)])
    nbbo = pd.concat([b.nbbo([(0, 10.0, 10.1)], router="R", seed=1), b.nbbo([(0, 10.0, 10.1)], router="R", seed=2),
                      b.nbbo([(0, 10.0, 10.1)], router="S", seed=1)])
    b.write_run(tmp_path, {"parent_orders": parents, "fills": b.fills([]), "nbbo": nbbo})
    inputs = load_run_folder(tmp_path)
    assert sorted(zip(inputs.parents["router"], inputs.parents["seed"], strict=True)) == [("R", 1), ("R", 2),
                                                                                         ("S", 1)]


def test_run_folder_errors_name_the_parquet_file_and_row(tmp_path):
    with pytest.raises(UserError, match="no such directory"):
        load_run_folder(tmp_path / "missing")
    tables = cases.case_a_tables()
    b.write_run(tmp_path, {k: v for k, v in tables.items() if k != "nbbo"})
    with pytest.raises(UserError, match=r"nbbo.parquet: no such file"):
        load_run_folder(tmp_path)
    bad = cases.CASE_A_FILLS.copy()
    bad.loc[2, "liquidity"] = "both"
    b.write_run(tmp_path, {**tables, "fills": bad})
    with pytest.raises(UserError, match=r"fills.parquet: row 3, column 'liquidity': 'both' is not one of"):
        load_run_folder(tmp_path)


@pytest.mark.parametrize(("files", "expected"), [
    ({"orders": ORDERS_CSV.replace(",300,", f",{2**63},")},
     "orders.csv: row 1 (line 2), column 'qty': '9223372036854775808' is beyond the 64-bit integer range"),
    ({"orders": ORDERS_CSV.replace(",300,", ",1e20,")},
     "orders.csv: row 1 (line 2), column 'qty': '1e20' is not a whole number"),
    ({"orders": ORDERS_CSV.replace(",300,", ",100000001,")},
     "orders.csv: row 1 (line 2), column 'qty': '100000001' is more than the largest allowed, 100,000,000"),
    ({"orders": ORDERS_CSV.replace("limit,500,10.00", "limit,500,1e305")},
     "orders.csv: row 2 (line 3), column 'limit_price': '1e305' is more than the largest allowed, 1,000,000"),
    ({"fills": FILLS_CSV.replace("1,V1,600000000,100", "1,V1,600000000," + "9" * 400)},
     "fills.csv: row 1 (line 2), column 'qty': '9999999999999999999...(402 characters) is beyond the 64-bit"),
    ({"fills": FILLS_CSV.replace(",10.05,", ",1e305,")},
     "fills.csv: row 1 (line 2), column 'price': '1e305' is more than the largest allowed"),
])
def test_numbers_no_order_can_have_are_one_line_errors_naming_file_row_and_column(tmp_path, files, expected):
    """qty >= 2^63, 1e20 and 400 digits, limit_price 1e305: refused with the file, row, column and value."""
    message = error_of(tmp_path, **files)
    assert expected in message, message
    assert len(message) < 300
