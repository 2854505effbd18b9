"""``sorbench tca`` as a user runs it: good files give the tables; a bad row is one stderr line naming the file, row
and column, exit status 2, no traceback and nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.analytics import builders as b
from tests.analytics import cases
from tests.analytics.test_inputs import FILLS_CSV, vendor

REPO = Path(__file__).resolve().parents[2]


def sorbench(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "harness.cli", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_vendor_files_give_the_tables(tmp_path):
    orders, fills, quotes = vendor(tmp_path)
    res = sorbench("tca", "--orders", orders, "--fills", fills, "--quotes", quotes, "--out", tmp_path / "out",
                   cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "--n-boot" not in res.stdout  # the deprecated bootstrap options are only mentioned when given
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"orders.parquet", "summary.csv", "venues.csv",
                                                               "paired.csv", "ranking.csv"}
    table = pd.read_parquet(tmp_path / "out" / "orders.parquet").set_index("parent_id")
    # order 1 as in case A: PI 5/300 against the vendor's NBBO 10.00/10.10; order 2 PI 0.06, fill rate 0.4
    assert table.loc[1, "pi_per_share"] == pytest.approx(5 / 300)
    assert table.loc[2, "pi_per_share"] == pytest.approx(0.06) and table.loc[2, "fill_rate"] == pytest.approx(0.4)
    assert set(table["router"]) == {"vendor"}
    assert "vendor" in res.stdout and str(tmp_path / "out") in res.stdout.replace("\n", "")


def test_default_out_is_tca_beside_the_orders_file(tmp_path):
    res = sorbench("tca", "--orders", "orders.csv", "--fills", "fills.csv", "--quotes", "quotes.csv",
                   cwd=vendor(tmp_path)[0].parent)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "tca" / "summary.csv").is_file()


def test_malformed_row_is_one_line_naming_file_row_and_column_and_nothing_is_written(tmp_path):
    orders, fills, quotes = vendor(tmp_path, fills=FILLS_CSV.replace("1,V2,700000000,200", "1,V2,700000000,2x0"))
    res = sorbench("tca", "--orders", orders, "--fills", fills, "--quotes", quotes, "--out", tmp_path / "out",
                   cwd=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert f"{fills}: row 2 (line 3), column 'qty': '2x0' is not a whole number" in lines[0]
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fills.csv", "orders.csv", "quotes.csv"]


def test_run_folder_and_option_errors(tmp_path):
    run = b.write_run(tmp_path / "run", cases.case_a_tables())
    res = sorbench("tca", "--run", run, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (run / "tca" / "orders.parquet").is_file()
    bad = sorbench("tca", "--run", run, "--orders", "x.csv", cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.strip() == "error: --run and --orders are exclusive"
    missing = sorbench("tca", "--orders", "x.csv", cwd=tmp_path)
    assert missing.returncode == 2 and "--fills, --quotes required" in missing.stderr


def test_the_former_bootstrap_options_are_accepted_and_said_to_change_nothing(tmp_path):
    orders, fills, quotes = vendor(tmp_path)
    base = ["tca", "--orders", orders, "--fills", fills, "--quotes", quotes]
    plain = sorbench(*base, "--out", tmp_path / "plain", cwd=tmp_path)
    old = sorbench(*base, "--out", tmp_path / "old", "--n-boot", "50", "--boot-seed", "3", cwd=tmp_path)
    assert plain.returncode == old.returncode == 0, old.stderr
    assert "--n-boot and --boot-seed have no effect" in old.stdout
    for name in ("summary.csv", "paired.csv", "ranking.csv"):
        assert (tmp_path / "plain" / name).read_bytes() == (tmp_path / "old" / name).read_bytes()
