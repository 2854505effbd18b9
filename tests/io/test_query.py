"""sorbench query: SQL views over every run folder of a results directory."""

from __future__ import annotations

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
