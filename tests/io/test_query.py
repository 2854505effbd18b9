"""sorbench query: SQL views over every run folder of a results directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from harness.errors import UserError
from harness.io.query import query
from harness.workflows.run import run_scenario
from tests.sim.helpers import small_scenario


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("results")
    run_scenario(small_scenario(), scenario_path=None, routers=["best-price"], seeds=[1], out_dir=root / "r1",
                 results_root=root)
    run_scenario(small_scenario(), scenario_path=None, routers=["best-price", "single-venue"], seeds=[2],
                 out_dir=root / "r2", results_root=root)
    (root / "not-a-run").mkdir()
    return root


def test_views_span_every_run_with_a_run_column(results):
    """fills over both runs equals the two files' rows, split by run; runs has one row per manifest."""
    got = query(results, "SELECT run, count(*) AS n FROM fills GROUP BY run ORDER BY run")
    expect = [pq.read_metadata(results / r / "fills.parquet").num_rows for r in ("r1", "r2")]
    assert got["run"].tolist() == ["r1", "r2"] and got["n"].tolist() == expect
    runs = query(results, "SELECT run, routers FROM runs ORDER BY run")
    assert runs["routers"].tolist() == ['["best-price"]', '["best-price", "single-venue"]']
    tca = query(results, "SELECT run, router, count(*) AS n FROM tca_orders GROUP BY ALL ORDER BY ALL")
    assert tca["router"].tolist() == ["best-price", "best-price", "single-venue"]


def test_one_run_folder_can_be_queried_alone(results):
    got = query(results / "r2", "SELECT DISTINCT router FROM summary ORDER BY router")
    assert got["router"].tolist() == ["best-price", "single-venue"]


def test_bad_sql_and_missing_folder_are_one_line_errors(results, tmp_path):
    with pytest.raises(UserError, match=r"^query: .*nope"):
        query(results, "SELECT nope FROM fills")
    with pytest.raises(UserError, match="no such results folder"):
        query(tmp_path / "missing", "SELECT 1")
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_formats_print_null_as_null_and_floats_without_binary_noise(results):
    """0.1 + 0.2 is 0.30000000000000004 in binary floating point; it prints as 0.3 (12 significant digits). NULL is an
    empty CSV cell, JSON null and NULL in a table, never nan; integers stay integers."""
    from harness.io.query import query_table, to_csv, to_json, to_text

    sql = "SELECT 0.1::DOUBLE + 0.2::DOUBLE AS x, NULL::DOUBLE AS n, 3 AS i, 'a,b' AS s, 1/3 AS third"
    table = query_table(results, sql)
    assert to_csv(table) == 'x,n,i,s,third\n0.3,,3,"a,b",0.333333333333\n'
    assert json.loads(to_json(table)) == [{"x": 0.3, "n": None, "i": 3, "s": "a,b", "third": 0.333333333333}]
    assert to_text(table).splitlines() == ["x    n     i  s    third", "0.3  NULL  3  a,b  0.333333333333"]
    assert "nan" not in to_csv(query_table(results, "SELECT * FROM nbbo")).lower()  # empty sides are NULL


def test_query_cli_formats_and_stdout(results, tmp_path):
    """--format csv|json|parquet to stdout (-) or a file; the deprecated --csv still works, - being stdout; piped
    tables are plain text (no box drawing)."""
    from typer.testing import CliRunner

    from harness.cli.app import app

    runner = CliRunner()
    sql = "SELECT run, count(*) AS n FROM fills GROUP BY run ORDER BY run"
    expect = [pq.read_metadata(results / r / "fills.parquet").num_rows for r in ("r1", "r2")]
    res = runner.invoke(app, ["query", sql, "--results", str(results), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == [{"run": "r1", "n": expect[0]}, {"run": "r2", "n": expect[1]}]
    res = runner.invoke(app, ["query", sql, "--results", str(results), "--csv", "-"])
    assert res.exit_code == 0 and res.stdout == f"run,n\nr1,{expect[0]}\nr2,{expect[1]}\n", res.output
    assert "deprecated" in res.stderr and not Path("-").exists()
    res = runner.invoke(app, ["query", sql, "--results", str(results)])
    assert res.stdout.splitlines()[0].split() == ["run", "n"] and not set(res.stdout) & set("─│┃━┏")
    out = tmp_path / "q.parquet"
    res = runner.invoke(app, ["query", sql, "--results", str(results), "--format", "parquet", "--out", str(out)])
    assert res.exit_code == 0 and pq.read_table(out).to_pylist() == [{"run": "r1", "n": expect[0]},
                                                                       {"run": "r2", "n": expect[1]}]
    res = runner.invoke(app, ["query", sql, "--results", str(results), "--format", "xml"])
    assert res.exit_code == 2 and "--format: 'xml' is not one of table, csv, json, parquet" in res.stderr
