"""The Python API (harness/api.py) returns the run folder's own tables and figures: ``orders`` is
tca/orders.parquet, ``compare(a, b)`` reads a - b whichever order the pair is stored in, figures are matplotlib
figures, ``write`` copies a folder ``open_run`` reads back; bad input is a UserError naming it. Also: the wheel
ships py.typed in the three packages and registers the pytest plugin."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from harness import api
from harness.errors import UserError
from tests.sim.test_flow import tiny

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> api.Run:
    tmp = tmp_path_factory.mktemp("api")
    return api.run(tiny(), routers=["best-price", "sequential"], seeds=[1], out=tmp / "run", results_root=tmp)


def test_tables_are_the_folders_own(run):
    assert run.routers == ["best-price", "sequential"] and run.seeds == [1] and run.failures == []
    pd.testing.assert_frame_equal(run.orders, pd.read_parquet(run.folder / "tca" / "orders.parquet"))
    pd.testing.assert_frame_equal(run.fills, pd.read_parquet(run.folder / "fills.parquet"))
    pd.testing.assert_frame_equal(run.summary(), pd.read_csv(run.folder / "tca" / "summary.csv"))
    assert set(run.orders["router"]) == {"best-price", "sequential"}
    assert run.table("tca/venues.csv").equals(pd.read_csv(run.folder / "tca" / "venues.csv"))
    with pytest.raises(UserError, match="no table 'nope'"):
        run.table("nope")


def test_compare_reads_a_minus_b_in_either_order(run):
    ab = run.compare("best-price", "sequential")
    ba = run.compare("sequential", "best-price")
    assert len(ab) == len(ba) > 0
    assert (ab[["order_class", "symbol", "size_bucket"]] == "all").all().all()
    assert (ab["router_a"] == "best-price").all() and (ba["router_a"] == "sequential").all()
    pd.testing.assert_series_equal(ab["mean_diff"], -ba["mean_diff"])
    pd.testing.assert_series_equal(ab["value_a"], ba["value_b"], check_names=False)
    pi = run.compare("sequential", "best-price", figure="pi_per_share")
    assert pi["figure"].tolist() == ["pi_per_share"]
    # the stored row (best-price - sequential) is turned round: its own value_a is best-price's figure
    stored = pd.read_csv(run.folder / "tca" / "paired.csv")
    stored = stored[
        (stored["figure"] == "pi_per_share") & (stored[["order_class", "symbol", "size_bucket"]] == "all").all(axis=1)
    ]
    assert pi["value_a"].iloc[0] == pytest.approx(stored["value_b"].iloc[0], nan_ok=True)
    with pytest.raises(UserError, match="'random' is not a router of this run"):
        run.compare("random", "best-price")


def test_figures_are_matplotlib_figures(run):
    from matplotlib.figure import Figure

    assert run.figure_keys[0] == "markouts" and len(run.figure_keys) == 8
    fig = run.figure("pi-distribution")
    assert isinstance(fig, Figure) and fig.axes
    with pytest.raises(UserError, match="no figure 'nope'"):
        run.figure("nope")


def test_write_copies_the_folder_and_open_run_reads_it(run, tmp_path):
    copy = api.open_run(run.write(tmp_path / "copy"))
    pd.testing.assert_frame_equal(copy.orders, run.orders)
    assert copy.manifest["files"] == run.manifest["files"]
    with pytest.raises(UserError, match="already exists"):
        run.write(tmp_path / "copy")
    with pytest.raises(UserError, match="not a run folder"):
        api.open_run(tmp_path)


def test_load_cuts_the_session_and_names_a_missing_scenario():
    sc = api.load("default", end="09:31:00")
    assert sc.session.end == "09:31:00" and sc.session.end_ns - sc.session.start_ns == 60 * 10**9
    with pytest.raises(UserError, match="no-such-scenario: no such scenario"):
        api.load("no-such-scenario")
    with pytest.raises(UserError, match="unknown router 'nope'"):
        api.run(tiny(), routers=["nope"])


def test_the_wheel_ships_py_typed_and_the_pytest_plugin(tmp_path):
    from hatchling.builders.wheel import WheelBuilder

    wheel = next(iter(WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])))
    names = zipfile.ZipFile(wheel).namelist()
    assert {"venues/py.typed", "adapters/py.typed", "harness/py.typed", "adapters/testing.py"} <= set(names)
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "[pytest11]\nsorbench = adapters.pytest_plugin" in entry_points
